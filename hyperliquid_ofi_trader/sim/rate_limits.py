"""The venue's two rate limits (HYPERLIQUID.md section 6), sans-I/O.

- Per IP: 1200 weight per rolling minute. An exchange action weighs 1 + floor(n / 40)
  for a batch of n; `l2Book`, `allMids`, `clearinghouseState`, `orderStatus` weigh 2 and
  most other info requests 20. Over the limit the venue answers HTTP 429.
- Per address: 10,000 initial requests plus 1 per USDC traded (cumulative). Each order or
  cancel in a batch counts as one request. Once exhausted, one request per 10 s gets
  through. Cancels get extra room: cap + min(extra, cap) before they are limited.
"""

from __future__ import annotations

from collections import deque
from typing import Final

_WINDOW_MS: Final = 60_000
# The emulator's own queries (a new subscriber's first frame): never metered, never a
# client's budget, never refused.
UNMETERED_IP: Final = "emulator-internal"
_LIGHT_INFO: Final = frozenset({"l2Book", "allMids", "clearinghouseState", "orderStatus",
                                "spotClearinghouseState"})


def exchange_weight(batch_len: int) -> int:
    return 1 + batch_len // 40


def info_weight(info_type: str) -> int:
    return 2 if info_type in _LIGHT_INFO else 20


class _IpWindow:
    __slots__ = ("events", "total")

    def __init__(self) -> None:
        self.events: deque[tuple[int, int]] = deque()
        self.total = 0

    def expire(self, now_ms: int) -> None:
        while self.events and self.events[0][0] <= now_ms - _WINDOW_MS:
            self.total -= self.events.popleft()[1]


class IpLimiter:
    """Rolling one-minute weight budget per IP."""

    __slots__ = ("_ips", "_limit")

    def __init__(self, weight_per_minute: int) -> None:
        self._limit = weight_per_minute
        self._ips: dict[str, _IpWindow] = {}

    def charge(self, ip: str, weight: int, now_ms: int) -> bool:
        """Record `weight` for `ip` and return True, or return False (refused, not recorded)."""
        if ip == UNMETERED_IP:
            return True
        window = self._ips.get(ip)
        if window is None:
            window = self._ips[ip] = _IpWindow()
        window.expire(now_ms)
        if window.total + weight > self._limit:
            return False
        window.events.append((now_ms, weight))
        window.total += weight
        return True

    def used(self, ip: str, now_ms: int) -> int:
        window = self._ips.get(ip)
        if window is None:
            return 0
        window.expire(now_ms)
        return window.total


class _AddressBudget:
    __slots__ = ("last_throttled_ms", "used")

    def __init__(self) -> None:
        self.used = 0
        self.last_throttled_ms: int | None = None


class AddressLimiter:
    """Cumulative request budget per trading address, grown by traded volume."""

    __slots__ = ("_budgets", "_cancel_extra", "_initial", "_interval_ms", "_per_usdc")

    def __init__(self, initial: int, per_usdc: float, exhausted_interval_ms: int,
                 cancel_extra: int) -> None:
        self._initial = initial
        self._per_usdc = per_usdc
        self._interval_ms = exhausted_interval_ms
        self._cancel_extra = cancel_extra
        self._budgets: dict[str, _AddressBudget] = {}

    def cap(self, cum_volume: float) -> int:
        return self._initial + int(cum_volume * self._per_usdc)

    def used(self, address: str) -> int:
        budget = self._budgets.get(address)
        return budget.used if budget else 0

    def charge(self, address: str, n_requests: int, cum_volume: float, now_ms: int,
               *, is_cancel: bool = False) -> bool:
        """Count `n_requests` for `address`; False when the venue would refuse them."""
        budget = self._budgets.get(address)
        if budget is None:
            budget = self._budgets[address] = _AddressBudget()
        cap = self.cap(cum_volume)
        if is_cancel:
            cap += min(self._cancel_extra, cap)
        if budget.used + n_requests <= cap:
            budget.used += n_requests
            return True
        return self._throttled(budget, n_requests, now_ms)

    def _throttled(self, budget: _AddressBudget, n_requests: int, now_ms: int) -> bool:
        # Exhausted: the venue still lets one request through every interval.
        last = budget.last_throttled_ms
        if last is not None and now_ms - last < self._interval_ms:
            return False
        budget.last_throttled_ms = now_ms
        budget.used += n_requests
        return True
