"""Hyperliquid instrument rules: price ticks, size steps, minimum order value.

Venue rules for perpetuals (HYPERLIQUID.md section 5):
- a price has at most 5 significant figures AND at most `6 - szDecimals` decimals; integer
  prices are always allowed, whatever their number of significant figures;
- a size has at most `szDecimals` decimals;
- an order's value must be at least $10.
So the tick depends on the price's magnitude: BTC (szDecimals 5) near 100,000 has tick 1,
near 42,000 tick 1, near 9,000 tick 0.1; ETH (szDecimals 4) near 2,500 has tick 0.1.

Floats cannot represent most decimal ticks, so the rules are DEFINED on the `Decimal` built
from the float's shortest repr (`repr(0.1)` is "0.1": the value the caller meant), with
results snapped back to the nearest float: the `*_decimal` functions compute exactly that,
and they are the reference. The float functions (`round_price`, `round_size`,
`is_valid_price`, `is_valid_size`, `meets_min_value`, `tick_size`) sit on the order path, so
they take a float fast path (see "Fast path" below) that returns exactly what the reference
returns, and fall back to it whenever float arithmetic is too close to call. The `*_str`
variants give the exact wire text (no exponent, no trailing zeros).

Fast path (why it is exact). Let D = Decimal(repr(p)) and k the allowed decimals.
- The decimal exponent of D is found by comparing p with the floats nearest to 1e-4..1e4:
  rounding to nearest is monotonic, so p >= float(1e{e}) exactly when D >= 10**e.
- D is on the k-decimal grid iff round(p * 10**k) / 10**k == p: if so, the decimal n / 10**k
  rounds to p, and the shortest repr of p has no more decimals than any decimal rounding to
  p; conversely, D on the grid makes round(p * 10**k) exactly D * 10**k.
- Off the grid, x = p * 10**k is within ~2.3e-16*|x| of D * 10**k (half an ulp of p, scaled,
  plus the product's rounding), so floor/ceil/round of x is that of D * 10**k whenever x is
  farther than `_BAND`*max(1, |x|) (about 4e6 times that error) from an integer (DOWN/UP) or
  from a .5 tie (NEAREST). Inside the band, or for |x| >= 2**52, the reference decides.
- The float result q / 10**k is the correctly rounded quotient, i.e. float(Decimal(q)/10**k).

Invalid arguments (non-finite or non-positive price, negative size, szDecimals outside
0..max_decimals) are OUR bug, not the venue's: they raise `InstrumentError` (a ValueError).
"""

from __future__ import annotations

import enum
import math
from bisect import bisect_right
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, Final

from hyperliquid_ofi_trader.core.events import Side
from hyperliquid_ofi_trader.errors import OurBugError

PERP_MAX_DECIMALS: Final = 6  # spot uses 8; pass max_decimals=8 for spot pairs
MAX_SIG_FIGS: Final = 5
MAX_SZ_DECIMALS: Final = 8  # spot tokens can have up to 8 size decimals
MIN_ORDER_VALUE_USD: Final = Decimal(10)


class InstrumentError(OurBugError, ValueError):
    """A caller passed an impossible price, size or szDecimals (a bug upstream)."""


class RoundMode(enum.Enum):
    NEAREST = "nearest"  # half-even: no systematic bias
    UP = "up"
    DOWN = "down"


# Module-level names for the members the fast path compares against: a global lookup is
# cheaper than an attribute lookup on an enum class, and these run on every order.
_DOWN: Final = RoundMode.DOWN
_UP: Final = RoundMode.UP
_BID: Final = Side.BID

_ROUNDING: Final = {
    RoundMode.NEAREST: ROUND_HALF_EVEN,
    RoundMode.UP: ROUND_CEILING,
    RoundMode.DOWN: ROUND_FLOOR,
}

# ------------------------------------------------------------------ fast-path tables

# Decimals the fast path handles: every size (MAX_SZ_DECIMALS) and every price on a perp
# (6 - szDecimals) or spot pair (8 - szDecimals). More falls back to the reference.
_FAST_MAX_DECIMALS: Final = 8
# 10**k and 10**-k parsed from text, so each is the correctly rounded float (10**k is exact).
_SCALES: Final = tuple(float(f"1e{k}") for k in range(_FAST_MAX_DECIMALS + 1))
_STEPS: Final = tuple(float(f"1e-{k}") for k in range(_FAST_MAX_DECIMALS + 1))
# float(10**e) for e = -4..4: bisect_right(_MAGNITUDES, p) = i says the decimal exponent of
# repr(p) is e = i - 5, clamped to -5..4 (at -5 and below the 5-significant-figure limit
# allows 9+ decimals, more than any cap; at 4 and above it allows none), and
# _SIG_DECIMALS[i] is the decimals that limit allows.
_MIN_EXPONENT: Final = -(_FAST_MAX_DECIMALS + 1 - MAX_SIG_FIGS)
_MAGNITUDES: Final = tuple(float(f"1e{e}") for e in range(_MIN_EXPONENT, MAX_SIG_FIGS))
_SIG_DECIMALS: Final = tuple(
    MAX_SIG_FIGS - 1 - e for e in range(_MIN_EXPONENT - 1, MAX_SIG_FIGS))
# Half-width, relative to max(1, |x|), of the band around an integer or a .5 tie where float
# arithmetic is not trusted to decide (its error is below 2.3e-16 relative; see above).
_BAND: Final = 1e-9
# Beyond this a scaled value's integer part is not exact in a float: leave it to Decimal.
_SAFE_SCALED: Final = 2.0**52
# The lot check's fast path: below 2**40 a size's own representation error plus the multiply's
# rounding stay under 2**-12 of a lot, far from the .5 where round() could pick the wrong
# neighbour (33554432.18011697 at 8 decimals scales to ...696.5 although it is on the lot).
_SAFE_LOT_SCALED: Final = 2.0**40
_MIN_VALUE: Final = float(MIN_ORDER_VALUE_USD)


def _require_finite(value: float, what: str) -> None:
    if not math.isfinite(value):
        raise InstrumentError(f"{what} must be finite, got {value!r}")


def _dec(value: float, what: str) -> Decimal:
    _require_finite(value, what)
    return Decimal(repr(value))


def _check_sz_decimals(sz_decimals: int, max_decimals: int) -> None:
    if not 0 <= sz_decimals <= max_decimals:
        raise InstrumentError(f"szDecimals must be in 0..{max_decimals}, got {sz_decimals}")


def _price_dec(price: float) -> Decimal:
    d = _dec(price, "price")
    if d <= 0:
        raise InstrumentError(f"price must be positive, got {price!r}")
    return d


def _decimals_at(d: Decimal, sz_decimals: int, max_decimals: int) -> int:
    # adjusted() is the exponent of the leading digit: 42727 -> 4, 0.0123 -> -2.
    by_sig_figs = MAX_SIG_FIGS - 1 - d.adjusted()
    return max(0, min(max_decimals - sz_decimals, by_sig_figs))


def _fast_decimals(price: float, cap: int) -> int:
    """`_decimals_at(Decimal(repr(price)), ...)` for 0 < price < inf and cap <= 8."""
    return min(cap, _SIG_DECIMALS[bisect_right(_MAGNITUDES, price)])


def _snap(value: float, scale: float, mode: RoundMode) -> float | None:
    """`float(Decimal(repr(value)).quantize(1/scale, mode))` for a finite value >= 0.

    None when the float arithmetic is too close to call: the caller asks the reference.
    """
    x = value * scale
    if not x < _SAFE_SCALED:
        return None
    n = round(x)
    off = x - n  # exact: x and n are within 0.5 of each other and n < 2**52
    band = _BAND * x if x > 1.0 else _BAND
    if -band <= off <= band:
        # On the grid, where the reference returns the value itself (even -0.0), or just off
        # it, where only exact arithmetic can tell which side of the integer it is.
        return value if n / scale == value else None
    if mode is _DOWN:
        return math.floor(x) / scale
    if mode is _UP:
        return math.ceil(x) / scale
    if -band <= abs(off) - 0.5 <= band:  # a near tie: half-even needs the exact value
        return None
    return n / scale


# ------------------------------------------------------------------ prices


def price_decimals(price: float, sz_decimals: int, max_decimals: int = PERP_MAX_DECIMALS) -> int:
    """How many decimals a price of this magnitude may carry (0 means integers only)."""
    _check_sz_decimals(sz_decimals, max_decimals)
    cap = max_decimals - sz_decimals
    if 0.0 < price < math.inf and cap <= _FAST_MAX_DECIMALS:
        return _fast_decimals(price, cap)
    return _decimals_at(_price_dec(price), sz_decimals, max_decimals)  # raises on bad prices


def tick_size_decimal(
    price: float, sz_decimals: int, max_decimals: int = PERP_MAX_DECIMALS
) -> Decimal:
    """The exact tick at this price's magnitude, as a Decimal."""
    return Decimal(1).scaleb(-price_decimals(price, sz_decimals, max_decimals))


def tick_size(price: float, sz_decimals: int, max_decimals: int = PERP_MAX_DECIMALS) -> float:
    """The tick at this price's magnitude (1.0 for BTC near 100,000; 0.1 for ETH near 2,500)."""
    k = price_decimals(price, sz_decimals, max_decimals)
    return _STEPS[k] if k <= _FAST_MAX_DECIMALS else float(Decimal(1).scaleb(-k))


def _mode(side_or_mode: Side | RoundMode) -> RoundMode:
    """A buy rounds its limit down and a sell rounds up: rounding never makes us pay more."""
    if isinstance(side_or_mode, RoundMode):
        return side_or_mode
    return _DOWN if side_or_mode is _BID else _UP


def round_price_decimal(
    price: float,
    sz_decimals: int,
    side_or_mode: Side | RoundMode = RoundMode.NEAREST,
    max_decimals: int = PERP_MAX_DECIMALS,
) -> Decimal:
    """Round to a valid venue price. Side.BID rounds down, Side.ASK rounds up (reference)."""
    _check_sz_decimals(sz_decimals, max_decimals)
    d = _price_dec(price)
    quantum = Decimal(1).scaleb(-_decimals_at(d, sz_decimals, max_decimals))
    rounded = _quantize(d, quantum, _ROUNDING[_mode(side_or_mode)], "price")
    if rounded <= 0:  # a tiny price rounded down to zero: the smallest valid price instead
        rounded = quantum
    return rounded


def round_price(
    price: float,
    sz_decimals: int,
    side_or_mode: Side | RoundMode = RoundMode.NEAREST,
    max_decimals: int = PERP_MAX_DECIMALS,
) -> float:
    """`float(round_price_decimal(...))`, without Decimal unless too close to call."""
    _check_sz_decimals(sz_decimals, max_decimals)
    cap = max_decimals - sz_decimals
    if 0.0 < price < math.inf and cap <= _FAST_MAX_DECIMALS:
        k = _fast_decimals(price, cap)
        snapped = _snap(price, _SCALES[k], _mode(side_or_mode))
        if snapped is not None:
            return snapped if snapped > 0.0 else _STEPS[k]  # never 0: one tick instead
    return float(round_price_decimal(price, sz_decimals, side_or_mode, max_decimals))


def round_price_str(
    price: float,
    sz_decimals: int,
    side_or_mode: Side | RoundMode = RoundMode.NEAREST,
    max_decimals: int = PERP_MAX_DECIMALS,
) -> str:
    return to_wire(round_price_decimal(price, sz_decimals, side_or_mode, max_decimals))


def is_valid_price_decimal(
    price: float, sz_decimals: int, max_decimals: int = PERP_MAX_DECIMALS
) -> bool:
    """The reference for `is_valid_price`, in Decimal."""
    if not (math.isfinite(price) and price > 0):
        return False
    d = Decimal(repr(price))
    if d == d.to_integral_value():
        return True
    return d == round_price_decimal(price, sz_decimals, RoundMode.NEAREST, max_decimals)


def is_valid_price(price: float, sz_decimals: int, max_decimals: int = PERP_MAX_DECIMALS) -> bool:
    """True when the venue accepts this price as is (no rounding needed)."""
    if not (math.isfinite(price) and price > 0):
        return False
    # repr(p) is an integer exactly when the float is (below 2**52 a float next to an
    # integer is not one; above, all floats are), and integer prices are always valid.
    if price % 1.0 == 0.0:
        return True
    _check_sz_decimals(sz_decimals, max_decimals)
    cap = max_decimals - sz_decimals
    if cap > _FAST_MAX_DECIMALS:
        return is_valid_price_decimal(price, sz_decimals, max_decimals)
    # Not an integer, so price < 2**52, and price * 10**k < 10**5 for k > 0: round() is exact.
    scale = _SCALES[_fast_decimals(price, cap)]
    return round(price * scale) / scale == price


# ------------------------------------------------------------------ sizes


def round_size_decimal(
    size: float, sz_decimals: int, mode: RoundMode = RoundMode.DOWN
) -> Decimal:
    """Round a size to szDecimals. Default DOWN: never more exposure than asked for.

    The result can be 0: the caller must then not send the order (a size "0" reduce-only
    order has been seen closing a whole position).
    """
    _check_sz_decimals(sz_decimals, MAX_SZ_DECIMALS)
    d = _dec(size, "size")
    if d < 0:
        raise InstrumentError(f"size must not be negative, got {size!r}")
    return _quantize(d, Decimal(1).scaleb(-sz_decimals), _ROUNDING[mode], "size")


def _quantize(d: Decimal, quantum: Decimal, rounding: str, what: str) -> Decimal:
    try:
        return d.quantize(quantum, rounding=rounding)
    except InvalidOperation:  # more digits than Decimal's 28: no venue takes such a value
        raise InstrumentError(f"{what} {d} is too large to round exactly") from None


def round_size(size: float, sz_decimals: int, mode: RoundMode = RoundMode.DOWN) -> float:
    """`float(round_size_decimal(...))`, without Decimal unless too close to call."""
    _check_sz_decimals(sz_decimals, MAX_SZ_DECIMALS)
    if 0.0 <= size < math.inf:  # -0.0 too, as the reference accepts it
        snapped = _snap(size, _SCALES[sz_decimals], mode)
        if snapped is not None:
            return snapped
    return float(round_size_decimal(size, sz_decimals, mode))  # raises on bad sizes


def round_size_str(size: float, sz_decimals: int, mode: RoundMode = RoundMode.DOWN) -> str:
    return to_wire(round_size_decimal(size, sz_decimals, mode))


def is_valid_size_decimal(size: float, sz_decimals: int) -> bool:
    """The reference for `is_valid_size`, in Decimal."""
    _check_sz_decimals(sz_decimals, MAX_SZ_DECIMALS)
    if not (math.isfinite(size) and size >= 0):
        return False
    try:
        return round_size_decimal(size, sz_decimals, RoundMode.NEAREST) == Decimal(repr(size))
    except InstrumentError:  # szDecimals was checked above: the size is beyond exact rounding
        return False


def is_valid_size(size: float, sz_decimals: int) -> bool:
    """True when `size` is finite, not negative and a multiple of the lot (0 included).

    Whether a zero size may be sent is the caller's rule. szDecimals outside
    0..MAX_SZ_DECIMALS raises `InstrumentError`.
    """
    _check_sz_decimals(sz_decimals, MAX_SZ_DECIMALS)
    if not 0.0 <= size < math.inf:
        return False
    scale = _SCALES[sz_decimals]
    x = size * scale
    if x < _SAFE_LOT_SCALED:
        return round(x) / scale == size
    return is_valid_size_decimal(size, sz_decimals)


def meets_min_value_decimal(price: float, size: float, sz_decimals: int) -> bool:
    """The reference for `Instrument.meets_min_value`, in Decimal."""
    value = _dec(price, "price") * round_size_decimal(size, sz_decimals)
    return value >= MIN_ORDER_VALUE_USD


def meets_min_value(price: float, size: float, sz_decimals: int) -> bool:
    """Price times the rounded size is at least $10 (the venue refuses smaller orders)."""
    _require_finite(price, "price")
    # The float product is within 3.4e-16 relative of the exact one: only a value within
    # the band around $10 needs the exact product.
    value = price * round_size(size, sz_decimals)
    if abs(value - _MIN_VALUE) > _BAND * _MIN_VALUE:
        return value >= _MIN_VALUE
    return meets_min_value_decimal(price, size, sz_decimals)


def to_wire(value: Decimal) -> str:
    """Exact decimal text without exponent or trailing zeros ("0.0001", "42727", "2500.1")."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text


@dataclass(frozen=True, slots=True)
class Instrument:
    """One perpetual as `meta.universe` describes it. `asset` is its index there."""

    name: str
    asset: int
    sz_decimals: int
    max_leverage: int
    max_decimals: int = PERP_MAX_DECIMALS

    def tick_size(self, price: float) -> float:
        return tick_size(price, self.sz_decimals, self.max_decimals)

    def round_price(self, price: float, side_or_mode: Side | RoundMode) -> float:
        return round_price(price, self.sz_decimals, side_or_mode, self.max_decimals)

    def round_size(self, size: float, mode: RoundMode = RoundMode.DOWN) -> float:
        return round_size(size, self.sz_decimals, mode)

    @property
    def size_step(self) -> float:
        if 0 <= self.sz_decimals <= _FAST_MAX_DECIMALS:
            return _STEPS[self.sz_decimals]
        return float(Decimal(1).scaleb(-self.sz_decimals))

    def meets_min_value(self, price: float, size: float) -> bool:
        """The venue refuses orders under $10 of value (rounded size times rounded price)."""
        return meets_min_value(price, size, self.sz_decimals)


def instruments_from_meta(meta: dict[str, Any]) -> dict[str, Instrument]:
    """Build instruments from a `{"type": "meta"}` answer; the asset id is the universe index.

    Delisted entries are kept (their index still defines the ids of those after them).
    Raises InstrumentError on a malformed answer: it is read once at start-up, never on the
    hot path, and trading with wrong instrument rules must not start.
    """
    universe = meta.get("universe")
    if not isinstance(universe, list):
        raise InstrumentError("meta answer has no 'universe' list")
    out: dict[str, Instrument] = {}
    for asset, entry in enumerate(universe):
        try:
            inst = Instrument(
                name=str(entry["name"]),
                asset=asset,
                sz_decimals=int(entry["szDecimals"]),
                max_leverage=int(entry.get("maxLeverage", 1)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InstrumentError(f"malformed universe entry {asset}: {entry!r}") from exc
        _check_sz_decimals(inst.sz_decimals, inst.max_decimals)
        out[inst.name] = inst
    return out
