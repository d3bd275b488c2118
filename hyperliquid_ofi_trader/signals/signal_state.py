"""The latest value of each signal, with its exchange time, staleness and rejections.

The alpha stage reads `fresh(now_ns)`: only signals that are finite and younger than their
staleness limit. A signal that stopped updating (feed gap, one coin's book gone) therefore
drops out of the alpha instead of voting with an old value. `now_ns` should be exchange time
(the latest event's `exchange_ns`), the same clock the signals are stamped with.

Rejections (`rejections[reason]`), never exceptions:
- `unknown_signal`: a name without a staleness limit (a wiring bug; nothing is stored);
- `non_finite`: NaN or ±inf. The previous value is also invalidated: a signal that just
  produced garbage must not keep voting with its last good value until it goes stale;
- `out_of_order`: a value stamped earlier than the one held (the held one is newer).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

import msgspec


class SignalReading(msgspec.Struct, frozen=True, gc=False):
    """One signal as the journal records it. `value` None: never set or invalidated."""

    value: float | None
    exchange_ns: int
    age_ns: int
    stale: bool


_NEVER: Final = -math.inf
"""`_Slot.expires_ns` of an invalid slot: no time is at or before it."""


class _Slot:
    """One signal's value. `expires_ns` is `exchange_ns + stale_after_ns` while `valid`,
    `_NEVER` otherwise: `fresh` then tests each slot with one comparison (for integer times
    `now - exchange_ns <= stale_after_ns` is exactly `now <= exchange_ns + stale_after_ns`).
    Every write of `valid` or `exchange_ns` writes `expires_ns` with it."""

    __slots__ = ("exchange_ns", "expires_ns", "stale_after_ns", "valid", "value")

    def __init__(self, stale_after_ns: int) -> None:
        self.stale_after_ns = stale_after_ns
        self.value = math.nan
        self.exchange_ns = -1
        self.valid = False
        self.expires_ns: float = _NEVER


class SignalState:
    """Latest finite value per signal name, judged fresh against a per-signal age limit."""

    __slots__ = ("_items", "_slots", "rejections")

    def __init__(self, stale_after_ns: Mapping[str, int]) -> None:
        for name, limit in stale_after_ns.items():
            if limit <= 0:
                raise ValueError(f"stale_after for signal {name!r} must be positive, got {limit}")
        self._slots = {name: _Slot(limit) for name, limit in stale_after_ns.items()}
        self._items = tuple(self._slots.items())  # fixed after construction; read per event
        self.rejections: dict[str, int] = {}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._slots)

    def set(self, name: str, value: float, exchange_ns: int) -> bool:
        """Store `value` for `name` at `exchange_ns`; False (counted) when rejected."""
        slot = self._slots.get(name)
        if slot is None:
            return self._reject("unknown_signal")
        if exchange_ns < slot.exchange_ns:
            return self._reject("out_of_order")
        if not math.isfinite(value):
            slot.valid = False
            slot.exchange_ns = exchange_ns
            slot.expires_ns = _NEVER
            return self._reject("non_finite")
        slot.value, slot.exchange_ns, slot.valid = value, exchange_ns, True
        slot.expires_ns = exchange_ns + slot.stale_after_ns
        return True

    def invalidate(self, name: str) -> None:
        """Drop a signal's value (e.g. its input book was reset) until it is set again."""
        slot = self._slots.get(name)
        if slot is not None:
            slot.valid = False
            slot.expires_ns = _NEVER

    def fresh(self, now_ns: int) -> dict[str, float]:
        """Valid signals whose age (now − their exchange time) is within their limit."""
        # `s.valid and now_ns - s.exchange_ns <= s.stale_after_ns`, as one comparison
        # (see `_Slot`): this runs for every decision.
        return {name: s.value for name, s in self._items if now_ns <= s.expires_ns}

    def snapshot(self, now_ns: int) -> dict[str, SignalReading]:
        """Every configured signal with value, age and stale flag, for the decision journal."""
        return {name: _reading(s, now_ns) for name, s in self._slots.items()}

    def _reject(self, reason: str) -> bool:
        self.rejections[reason] = self.rejections.get(reason, 0) + 1
        return False


def _reading(slot: _Slot, now_ns: int) -> SignalReading:
    if not slot.valid:
        age = now_ns - slot.exchange_ns if slot.exchange_ns >= 0 else -1
        return SignalReading(None, slot.exchange_ns, age, True)
    age = now_ns - slot.exchange_ns
    return SignalReading(slot.value, slot.exchange_ns, age, age > slot.stale_after_ns)
