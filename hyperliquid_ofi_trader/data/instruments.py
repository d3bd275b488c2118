"""Hyperliquid instrument rules: price ticks, size steps, minimum order value.

Venue rules for perpetuals (HYPERLIQUID.md section 5):
- a price has at most 5 significant figures AND at most `6 - szDecimals` decimals; integer
  prices are always allowed, whatever their number of significant figures;
- a size has at most `szDecimals` decimals;
- an order's value must be at least $10.
So the tick depends on the price's magnitude: BTC (szDecimals 5) near 100,000 has tick 1,
near 42,000 tick 1, near 9,000 tick 0.1; ETH (szDecimals 4) near 2,500 has tick 0.1.

Floats cannot represent most decimal ticks, so every computation goes through `Decimal`
built from the float's shortest repr (`repr(0.1)` is "0.1": the value the caller meant),
and results are snapped back to the nearest float. The `*_str` variants give the exact
wire text (no exponent, no trailing zeros) for the gateway.

Invalid arguments (non-finite or non-positive price, negative size, szDecimals outside
0..max_decimals) are OUR bug, not the venue's: they raise `InstrumentError` (a ValueError).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any, Final

from hyperliquid_ofi_trader.core.events import Side

PERP_MAX_DECIMALS: Final = 6  # spot uses 8; pass max_decimals=8 for spot pairs
MAX_SIG_FIGS: Final = 5
MAX_SZ_DECIMALS: Final = 8  # spot tokens can have up to 8 size decimals
MIN_ORDER_VALUE_USD: Final = Decimal(10)


class InstrumentError(ValueError):
    """A caller passed an impossible price, size or szDecimals (a bug upstream)."""


class RoundMode(enum.Enum):
    NEAREST = "nearest"  # half-even: no systematic bias
    UP = "up"
    DOWN = "down"


_ROUNDING: Final = {
    RoundMode.NEAREST: ROUND_HALF_EVEN,
    RoundMode.UP: ROUND_CEILING,
    RoundMode.DOWN: ROUND_FLOOR,
}


def _dec(value: float, what: str) -> Decimal:
    if not math.isfinite(value):
        raise InstrumentError(f"{what} must be finite, got {value!r}")
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


def price_decimals(price: float, sz_decimals: int, max_decimals: int = PERP_MAX_DECIMALS) -> int:
    """How many decimals a price of this magnitude may carry (0 means integers only)."""
    _check_sz_decimals(sz_decimals, max_decimals)
    return _decimals_at(_price_dec(price), sz_decimals, max_decimals)


def tick_size_decimal(
    price: float, sz_decimals: int, max_decimals: int = PERP_MAX_DECIMALS
) -> Decimal:
    """The exact tick at this price's magnitude, as a Decimal."""
    return Decimal(1).scaleb(-price_decimals(price, sz_decimals, max_decimals))


def tick_size(price: float, sz_decimals: int, max_decimals: int = PERP_MAX_DECIMALS) -> float:
    """The tick at this price's magnitude (1.0 for BTC near 100,000; 0.1 for ETH near 2,500)."""
    return float(tick_size_decimal(price, sz_decimals, max_decimals))


def _mode(side_or_mode: Side | RoundMode) -> RoundMode:
    """A buy rounds its limit down and a sell rounds up: rounding never makes us pay more."""
    if isinstance(side_or_mode, RoundMode):
        return side_or_mode
    return RoundMode.DOWN if side_or_mode is Side.BID else RoundMode.UP


def round_price_decimal(
    price: float,
    sz_decimals: int,
    side_or_mode: Side | RoundMode = RoundMode.NEAREST,
    max_decimals: int = PERP_MAX_DECIMALS,
) -> Decimal:
    """Round to a valid venue price. Side.BID rounds down, Side.ASK rounds up."""
    _check_sz_decimals(sz_decimals, max_decimals)
    d = _price_dec(price)
    quantum = Decimal(1).scaleb(-_decimals_at(d, sz_decimals, max_decimals))
    rounded = d.quantize(quantum, rounding=_ROUNDING[_mode(side_or_mode)])
    if rounded <= 0:  # a tiny price rounded down to zero: the smallest valid price instead
        rounded = quantum
    return rounded


def round_price(
    price: float,
    sz_decimals: int,
    side_or_mode: Side | RoundMode = RoundMode.NEAREST,
    max_decimals: int = PERP_MAX_DECIMALS,
) -> float:
    return float(round_price_decimal(price, sz_decimals, side_or_mode, max_decimals))


def round_price_str(
    price: float,
    sz_decimals: int,
    side_or_mode: Side | RoundMode = RoundMode.NEAREST,
    max_decimals: int = PERP_MAX_DECIMALS,
) -> str:
    return to_wire(round_price_decimal(price, sz_decimals, side_or_mode, max_decimals))


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
    return d.quantize(Decimal(1).scaleb(-sz_decimals), rounding=_ROUNDING[mode])


def round_size(size: float, sz_decimals: int, mode: RoundMode = RoundMode.DOWN) -> float:
    return float(round_size_decimal(size, sz_decimals, mode))


def round_size_str(size: float, sz_decimals: int, mode: RoundMode = RoundMode.DOWN) -> str:
    return to_wire(round_size_decimal(size, sz_decimals, mode))


def is_valid_price(price: float, sz_decimals: int, max_decimals: int = PERP_MAX_DECIMALS) -> bool:
    """True when the venue accepts this price as is (no rounding needed)."""
    if not (math.isfinite(price) and price > 0):
        return False
    d = Decimal(repr(price))
    if d == d.to_integral_value():
        return True
    return d == round_price_decimal(price, sz_decimals, RoundMode.NEAREST, max_decimals)


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
        return float(Decimal(1).scaleb(-self.sz_decimals))

    def meets_min_value(self, price: float, size: float) -> bool:
        """The venue refuses orders under $10 of value (rounded size times rounded price)."""
        value = _dec(price, "price") * round_size_decimal(size, self.sz_decimals)
        return value >= MIN_ORDER_VALUE_USD


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
