"""Hyperliquid exchange-action wire format: number text, client order ids, action dicts.

Every L1 action is hashed as msgpack of the dict in insertion order (HYPERLIQUID.md §4), so
the builders here fix each dict's key order to the venue's exactly; a reordered key is a
different hash, and the venue answers "User or API Wallet 0x... does not exist." because
the signature recovers to some other address.

Numbers travel as decimal strings. `float_to_wire` has the official SDK's contract
(`hyperliquid.utils.signing.float_to_wire`): at most 8 decimals, refuses a value it would
have to round, no trailing zeros, no exponent. It differs where the SDK is unsafe: it never
returns "-0" (the SDK does, for -0.0), and it refuses NaN, infinities and magnitudes of
1e20 or more (the SDK returns "NaN"/"Infinity", or silently rounds past 28 digits).

Builders refuse what must never reach the venue (size 0: a reduce-only order of size "0"
has been seen closing a whole position; non-positive prices; malformed cloids): that is a
bug upstream, so they raise `WireError` rather than send.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.errors import OurBugError

Action = dict[str, Any]
OrderWire = dict[str, Any]

# The SDK's acceptance test: printing with 8 decimals must not move the value by 1e-12 or
# more. Kept verbatim in meaning so we accept and refuse exactly what the SDK does.
_ROUNDING_TOLERANCE: Final = 1e-12
# Beyond this the SDK's Decimal.normalize() (28 significant digits) rounds the text.
_MAX_MAGNITUDE: Final = 1e20
_MAX_WIRE_DECIMALS: Final = 8
# Below this |x| a float's repr (when it has <= 8 decimals) is its ".8f" text unpadded.
_SHORT_REPR_LIMIT: Final = float(2**23)
_FIXED_REPR_MIN: Final = 1e-4  # repr uses an exponent below this magnitude ("1e-05")
_CLOID_HEX_DIGITS: Final = 32
_CLOID_LIMIT: Final = 1 << 128
# One C-level match instead of a per-character set test: same strings accepted.
_CLOID_RE: Final = re.compile(f"0x[0-9a-f]{{{_CLOID_HEX_DIGITS}}}")
# A Tif member hashes and compares as its value, so it finds its plain-str text here.
_TIF_TEXT: Final = {t.value: t.value for t in Tif}
_U64_LIMIT: Final = 1 << 64


class WireError(OurBugError, ValueError):
    """A value that cannot be sent as given (our bug upstream, never the venue's)."""


def float_to_wire(x: float) -> str:
    """`x` as the venue's decimal text, or `WireError` if that would change its value."""
    if _FIXED_REPR_MIN <= x < _SHORT_REPR_LIMIT or -_SHORT_REPR_LIMIT < x <= -_FIXED_REPR_MIN:
        # Fast path: below 2**23 half an ulp is under 4.7e-10, so a repr with at most 8
        # decimals is exactly what ".8f" prints (then rounds back to x): the same text,
        # without the format-parse-compare round trip. From 1e-4 up, repr has no exponent.
        text = repr(x)
        if len(text) - text.find(".") <= _MAX_WIRE_DECIMALS + 1:
            return text[:-2] if text.endswith(".0") else text
    return _float_to_wire_checked(x)


def _float_to_wire_checked(x: float) -> str:
    """The general path: any float, the SDK's acceptance test verbatim."""
    if not -_MAX_MAGNITUDE < x < _MAX_MAGNITUDE:  # also false for NaN
        raise WireError(f"cannot put {x!r} on the wire: not finite or too large")
    text = f"{x:.8f}"
    if abs(float(text) - x) >= _ROUNDING_TOLERANCE:
        raise WireError(f"cannot put {x!r} on the wire without rounding it to 8 decimals")
    # ".8f" always prints a point, so stripping zeros then the point cannot eat digits.
    text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def make_cloid(n: int) -> str:
    """Client order id number `n` (0 <= n < 2**128) as "0x" + 32 lowercase hex digits."""
    if type(n) is not int or not 0 <= n < _CLOID_LIMIT:
        raise WireError(f"cloid number must be an int in [0, 2**128), got {n!r}")
    return f"0x{n:032x}"


def is_cloid(text: object) -> bool:
    """True for "0x" + 32 lowercase hex digits, the only cloid form we ever send."""
    return isinstance(text, str) and _CLOID_RE.fullmatch(text) is not None


def _check_cloid(cloid: str) -> str:
    if not is_cloid(cloid):
        raise WireError(f"malformed cloid {cloid!r}: expected 0x + 32 lowercase hex digits")
    return cloid


def _check_asset(asset: int) -> int:
    if type(asset) is not int or asset < 0:
        raise WireError(f"asset id must be a non-negative int, got {asset!r}")
    return asset


def _check_oid(oid: int) -> int:
    if type(oid) is not int or not 0 <= oid < _U64_LIMIT:
        raise WireError(f"oid must be an int in [0, 2**64), got {oid!r}")
    return oid


def _positive_wire(value: float, what: str) -> str:
    if not value > 0:  # also refuses NaN
        raise WireError(f"order {what} must be positive, got {value!r}")
    return float_to_wire(value)


def _tif_text(tif: Tif | str) -> str:
    """The plain-str value msgpack needs (a StrEnum member or its text in; never a member out)."""
    text = _TIF_TEXT.get(tif) if isinstance(tif, str) else None
    if text is None:
        raise WireError(f"unknown time in force {tif!r}: expected one of {sorted(_TIF_TEXT)}")
    return text


def order_wire(asset: int, is_buy: bool, px: float, sz: float, reduce_only: bool,
               tif: Tif | str, cloid: str | None) -> OrderWire:
    """One limit order: {"a","b","p","s","r","t", "c"?} in the venue's key order."""
    wire: OrderWire = {
        "a": _check_asset(asset),
        "b": bool(is_buy),
        "p": _positive_wire(px, "price"),
        "s": _positive_wire(sz, "size"),
        "r": bool(reduce_only),
        "t": {"limit": {"tif": _tif_text(tif)}},
    }
    if cloid is not None:  # the venue expects the key absent, not null, without a cloid
        wire["c"] = _check_cloid(cloid)
    return wire


def _non_empty(items: Iterable[Any], what: str) -> list[Any]:
    out = list(items)
    if not out:
        raise WireError(f"{what} action needs at least one entry")
    return out


def order_action(orders: Iterable[OrderWire], grouping: str = "na") -> Action:
    """`{"type": "order", "orders": [...], "grouping": "na"}`."""
    return {"type": "order", "orders": _non_empty(orders, "order"), "grouping": grouping}


def cancel_action(cancels: Iterable[tuple[int, int]]) -> Action:
    """Cancel by venue oid: `{"type": "cancel", "cancels": [{"a", "o"}]}`."""
    entries = [{"a": _check_asset(a), "o": _check_oid(o)} for a, o in cancels]
    return {"type": "cancel", "cancels": _non_empty(entries, "cancel")}


def cancel_by_cloid_action(cancels: Iterable[tuple[int, str]]) -> Action:
    """Cancel by our cloid; note the different keys: `[{"asset", "cloid"}]`."""
    entries = [{"asset": _check_asset(a), "cloid": _check_cloid(c)} for a, c in cancels]
    return {"type": "cancelByCloid", "cancels": _non_empty(entries, "cancelByCloid")}


def _modify_target(target: int | str) -> int | str:
    return _check_cloid(target) if isinstance(target, str) else _check_oid(target)


def batch_modify_action(modifies: Iterable[tuple[int | str, OrderWire]]) -> Action:
    """Cancel-and-replace: `{"type": "batchModify", "modifies": [{"oid", "order"}]}`.

    `oid` is the venue oid (int) or our cloid (str) of the order to replace; the venue
    gives the replacement a NEW oid.
    """
    entries = [{"oid": _modify_target(t), "order": w} for t, w in modifies]
    return {"type": "batchModify", "modifies": _non_empty(entries, "batchModify")}


def schedule_cancel_action(time_ms: int | None) -> Action:
    """Dead man's switch: cancel all at `time_ms`; None clears the schedule."""
    action: Action = {"type": "scheduleCancel"}
    if time_ms is not None:  # the clearing form omits the key entirely
        if type(time_ms) is not int or not 0 < time_ms < _U64_LIMIT:
            raise WireError(f"scheduleCancel time must be a positive int ms, got {time_ms!r}")
        action["time"] = time_ms
    return action


def update_leverage_action(asset: int, is_cross: bool, leverage: int) -> Action:
    """`{"type": "updateLeverage", "asset", "isCross", "leverage"}`."""
    if type(leverage) is not int or leverage < 1:
        raise WireError(f"leverage must be an int >= 1, got {leverage!r}")
    return {"type": "updateLeverage", "asset": _check_asset(asset), "isCross": bool(is_cross),
            "leverage": leverage}


def noop_action() -> Action:
    """Burns a nonce: sending it voids any in-flight action signed with a lower nonce."""
    return {"type": "noop"}

