"""Client-side rate budgets: slow ourselves down BEFORE the venue says no (sans-I/O).

The venue's limits (HYPERLIQUID.md section 6 and section 2):
- per IP: 1200 weight per rolling minute; an exchange action weighs 1 + floor(batch / 40),
  `l2Book` / `allMids` / `clearinghouseState` / `orderStatus` weigh 2, other info 20;
- per address: 10,000 initial requests + 1 per USDC traded (each order or cancel of a batch
  is one request); once exhausted, one request per 10 s; cancels get extra room
  (the venue documents min(cap + 100,000, 2 x cap) for them);
- WebSocket: 2000 messages sent per minute (pings and posts count), 100 posts in flight.
  The socket's messages are counted where every frame is sent, by the WebSocket client
  (risk.yaml `websocket.max_messages`, websocket/client.py), not here: a post it refuses
  goes over REST. The in-flight posts are the `PostChannel`'s (`max_in_flight_posts`).

A refusal by the venue costs a round trip and, for an order, an opportunity; a refusal of a
CANCEL can cost real money. So this module keeps a slice of every budget free for cancels:
ORDER and INFO requests stop short of the limit, CANCEL requests may use all of it. The
gateway drains cancels before places, so a cancel never waits behind a new order.

`RateLimiter.try_acquire(kind, weight, now_ns, requests=n)` either records the request in
every budget it touches and returns 0, or records nothing and returns how long to wait.
No clock is read here: time comes in as `now_ns`.

When the venue says no anyway (our count drifted: a restart, another client on the same
IP or address), `note_refusal` makes the budget agree with it, so every later request waits
on this one shared budget instead of each caller retrying on its own:
- address refusal: the budget counts as exhausted (one request per 10 s, cancels keep their
  extra room) until the venue's own figures (`sync`, at each reconcile) say otherwise;
- HTTP 429 (IP): orders and queries pause for a backoff that doubles with each refusal in a
  row (1 s .. 60 s); cancels are not held back (a refused cancel is re-sent, spaced, by
  the order manager).
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # the section's type only: config sits below the venue
    from hyperliquid_ofi_trader.config.models import RateLimitBudgets

_NS_PER_S: Final = 1_000_000_000
_MINUTE_NS: Final = 60 * _NS_PER_S
_LIGHT_INFO: Final = frozenset({"l2Book", "allMids", "clearinghouseState", "orderStatus"})
_CANCEL_EXTRA: Final = 100_000  # the venue's documented extra room for cancels
_IP_BACKOFF_FIRST_NS: Final = _NS_PER_S
_IP_BACKOFF_MAX_NS: Final = 60 * _NS_PER_S


class RequestKind(enum.Enum):
    """What a request is, which decides the budgets it draws on and its priority."""

    ORDER = "order"  # place, modify, leverage: may wait
    CANCEL = "cancel"  # cancel, cancelByCloid, scheduleCancel: may use the reserves
    INFO = "info"  # /info queries: IP weight only


def exchange_weight(batch_len: int) -> int:
    """IP weight of an exchange action carrying `batch_len` orders or cancels."""
    return 1 + max(batch_len, 0) // 40


def info_weight(info_type: str) -> int:
    """IP weight of an /info request of type `info_type`."""
    return 2 if info_type in _LIGHT_INFO else 20


class WeightWindow:
    """Weighted events in a rolling window: at most `limit` total weight at any time."""

    __slots__ = ("_events", "_limit", "_total", "_window_ns")

    def __init__(self, limit: int, window_ns: int = _MINUTE_NS) -> None:
        self._limit = limit
        self._window_ns = window_ns
        self._events: deque[tuple[int, int]] = deque()
        self._total = 0

    def used(self, now_ns: int) -> int:
        self._expire(now_ns)
        return self._total

    def wait_ns(self, weight: int, now_ns: int, reserve: int = 0) -> int:
        """Nanoseconds until `weight` more fits under `limit - reserve` (0 = now)."""
        self._expire(now_ns)
        allowed = self._limit - reserve
        excess = self._total + weight - allowed
        if excess <= 0:
            return 0
        if weight > allowed:  # can never fit: wait a whole window, the caller splits
            return self._window_ns
        freed = 0
        for t, w in self._events:  # oldest first: find the event whose expiry frees enough
            freed += w
            if freed >= excess:
                return max(1, t + self._window_ns - now_ns)
        return self._window_ns  # unreachable: total >= excess

    def record(self, weight: int, now_ns: int) -> None:
        self._events.append((now_ns, weight))
        self._total += weight

    def _expire(self, now_ns: int) -> None:
        cutoff = now_ns - self._window_ns
        events = self._events
        while events and events[0][0] <= cutoff:
            self._total -= events.popleft()[1]


class AddressBudget:
    """The per-address cumulative request count against a cap that grows with volume.

    Our count can drift from the venue's (a restart, another process on the same address):
    `sync` takes the venue's own figures from a `userRateLimit` answer.
    """

    __slots__ = ("_initial", "_interval_ns", "_last_throttled_ns", "_per_usdc",
                 "_reserve", "_traded_usdc", "_used", "_venue_cap")

    def __init__(self, s: RateLimitBudgets) -> None:
        self._initial = s.address_initial_requests
        self._per_usdc = s.address_requests_per_usdc
        self._interval_ns = round(s.address_exhausted_interval_s * _NS_PER_S)
        self._reserve = s.address_cancel_reserve
        self._used = 0
        self._traded_usdc = 0.0
        self._venue_cap: int | None = None
        self._last_throttled_ns: int | None = None

    @property
    def used(self) -> int:
        return self._used

    def cap(self) -> int:
        if self._venue_cap is not None:
            return self._venue_cap
        return self._initial + int(self._traded_usdc * self._per_usdc)

    def cancel_cap(self) -> int:
        cap = self.cap()
        return min(cap + _CANCEL_EXTRA, 2 * cap)

    def note_traded(self, usdc: float) -> None:
        """Our fills grow the cap (1 request per USDC of notional)."""
        if usdc > 0:
            self._traded_usdc += usdc
            if self._venue_cap is not None:
                self._venue_cap += int(usdc * self._per_usdc)

    def sync(self, used: int, cap: int) -> None:
        """Adopt the venue's figures (`userRateLimit`: nRequestsUsed, nRequestsCap)."""
        self._used = max(0, used)
        self._venue_cap = max(0, cap)

    def wait_ns(self, requests: int, is_cancel: bool, now_ns: int) -> int:
        limit = self.cancel_cap() if is_cancel else self.cap() - self._reserve
        if self._used + requests <= limit:
            return 0
        last = self._last_throttled_ns  # exhausted: the venue lets one through per interval
        if last is None or now_ns - last >= self._interval_ns:
            return 0
        return last + self._interval_ns - now_ns

    def record(self, requests: int, is_cancel: bool, now_ns: int) -> None:
        limit = self.cancel_cap() if is_cancel else self.cap() - self._reserve
        if self._used + requests > limit:
            self._last_throttled_ns = now_ns
        self._used += requests

    def note_refused(self, now_ns: int) -> None:
        """The venue refused a request for this address's budget: it is spent, whatever
        our count said. Orders now go one per interval; cancels keep their extra room."""
        self._used = max(self._used, self.cap())
        self._last_throttled_ns = now_ns


@dataclass(slots=True)
class RateLimitStats:
    granted: int = 0
    delayed: int = 0  # try_acquire calls answered with a wait
    delayed_cancels: int = 0
    venue_refusals: int = 0  # the venue said "rate limited" although we had budget


class IpBackoff:
    """After an HTTP 429: no order or query until `until_ns`; the pause doubles with each
    refusal that comes before the previous pause has been over for a whole window."""

    __slots__ = ("_pause_ns", "_window_ns", "until_ns")

    def __init__(self, window_ns: int) -> None:
        self._window_ns = window_ns
        self._pause_ns = 0
        self.until_ns = 0

    def refused(self, now_ns: int) -> None:
        calm = now_ns - self.until_ns > self._window_ns
        if calm or self._pause_ns == 0:
            self._pause_ns = _IP_BACKOFF_FIRST_NS
        else:
            self._pause_ns = min(self._pause_ns * 2, _IP_BACKOFF_MAX_NS)
        self.until_ns = max(self.until_ns, now_ns + self._pause_ns)

    def wait_ns(self, now_ns: int) -> int:
        return max(0, self.until_ns - now_ns)


class RateLimiter:
    """The request budgets of one process (one IP, one trading address)."""

    __slots__ = ("_address", "_ip", "_ip_backoff", "_s", "stats")

    def __init__(self, settings: RateLimitBudgets | None = None) -> None:
        """`settings`: risk.yaml `rate_limits` (None: the packaged section)."""
        if settings is None:
            settings = _packaged_budgets()
        self._s = settings
        window_ns = round(settings.window_s * _NS_PER_S)
        self._ip = WeightWindow(settings.ip_weight_per_minute, window_ns)
        self._address = AddressBudget(settings)
        self._ip_backoff = IpBackoff(window_ns)
        self.stats = RateLimitStats()

    @property
    def settings(self) -> RateLimitBudgets:
        return self._s

    @property
    def address(self) -> AddressBudget:
        return self._address

    def note_refusal(self, *, ip: bool, now_ns: int) -> None:
        """The venue refused a request for a rate limit: `ip` for HTTP 429 (the IP's
        weight), else the address's cumulative budget. See the module docstring."""
        self.stats.venue_refusals += 1
        if ip:
            self._ip_backoff.refused(now_ns)
        else:
            self._address.note_refused(now_ns)

    def ip_used(self, now_ns: int) -> int:
        return self._ip.used(now_ns)

    def try_acquire(self, kind: RequestKind, weight: int, now_ns: int, *,
                    requests: int = 0) -> int:
        """Record the request and return 0, or record nothing and return the wait in ns.

        `weight` is IP weight; `requests` is the number of orders/cancels the action
        carries, for the address budget.
        """
        wait = self.wait_ns(kind, weight, now_ns, requests=requests)
        if wait:
            self.stats.delayed += 1
            if kind is RequestKind.CANCEL:
                self.stats.delayed_cancels += 1
            return wait
        self._record(kind, weight, now_ns, requests)
        self.stats.granted += 1
        return 0

    def wait_ns(self, kind: RequestKind, weight: int, now_ns: int, *,
                requests: int = 0) -> int:
        """How long `try_acquire` would make this request wait, without recording it."""
        is_cancel = kind is RequestKind.CANCEL
        reserve = 0 if is_cancel else self._s.ip_cancel_reserve
        wait = self._ip.wait_ns(weight, now_ns, reserve)
        if not is_cancel:
            wait = max(wait, self._ip_backoff.wait_ns(now_ns))
        if kind is not RequestKind.INFO and requests > 0:
            wait = max(wait, self._address.wait_ns(requests, is_cancel, now_ns))
        return wait

    def _record(self, kind: RequestKind, weight: int, now_ns: int, requests: int) -> None:
        self._ip.record(weight, now_ns)
        if kind is not RequestKind.INFO and requests > 0:
            self._address.record(requests, kind is RequestKind.CANCEL, now_ns)


def _packaged_budgets() -> RateLimitBudgets:
    from hyperliquid_ofi_trader.config.packaged import packaged_config

    return packaged_config().risk.rate_limits
