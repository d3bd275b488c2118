"""Reconnect pacing: exponential backoff with full jitter, and sliding-window rate limits.

Sans-I/O: nothing here sleeps or reads a clock. Callers pass `now_ns` and get back how
long to wait; the async edge (`ws_client.py`) does the waiting.

Why full jitter (delay drawn uniformly from [0, ceiling]): when the venue drops every
client at once ("periodically and without announcement"), deterministic backoff makes
them all come back in lock-step; full jitter spreads them out (AWS architecture blog,
"Exponential Backoff And Jitter"). The random source is injected so tests are repeatable.

Why a separate connection-rate limiter: backoff resets after a healthy connection, so a
venue that accepts and then drops connections quickly could still push us past its
per-IP limit of 30 new connections per minute; the sliding window is a hard guarantee
that holds whatever the backoff state.
"""

from __future__ import annotations

import random
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the section's type only: config sits below data
    from hyperliquid_ofi_trader.config.models import ReconnectBackoff

_NS_PER_S = 1_000_000_000


class ExponentialBackoff:
    """Full-jitter exponential backoff: delay ~ U(0, min(max, base * 2**attempt)).

    `attempt` counts consecutive retries since the last reset. A connection that stays
    up for `healthy_after_ns` resets it, so a flapping link keeps growing its delay while
    an occasional venue-side drop is retried almost at once.
    """

    __slots__ = ("_base_ns", "_connected_at_ns", "_healthy_after_ns", "_max_ns", "_rng",
                 "attempt")

    def __init__(self, base_ns: int, max_ns: int, healthy_after_ns: int,
                 rng: random.Random) -> None:
        if not 0 < base_ns <= max_ns:
            raise ValueError(f"need 0 < base_ns <= max_ns, got {base_ns}, {max_ns}")
        self._base_ns = base_ns
        self._max_ns = max_ns
        self._healthy_after_ns = healthy_after_ns
        self._rng = rng
        self._connected_at_ns: int | None = None
        self.attempt = 0

    @classmethod
    def from_config(cls, config: ReconnectBackoff, rng: random.Random) -> ExponentialBackoff:
        """risk.yaml `websocket.reconnect` (seconds) in ns."""
        return cls(_s_to_ns(config.base_s), _s_to_ns(config.max_s),
                   _s_to_ns(config.healthy_after_s), rng)

    def ceiling_ns(self, attempt: int) -> int:
        """Upper bound of the delay for a given attempt number (0-based)."""
        # Shift is capped so huge attempt counts cannot build giant integers.
        return min(self._max_ns, self._base_ns << min(attempt, 62))

    def next_delay_ns(self) -> int:
        """Draw the delay before the next attempt and count the attempt."""
        ceiling = self.ceiling_ns(self.attempt)
        self.attempt += 1
        return int(self._rng.random() * ceiling)

    def on_connected(self, now_ns: int) -> None:
        self._connected_at_ns = now_ns

    def on_disconnected(self, now_ns: int) -> None:
        """Reset when the connection that just ended had been healthy long enough."""
        start = self._connected_at_ns
        self._connected_at_ns = None
        if start is not None and now_ns - start >= self._healthy_after_ns:
            self.attempt = 0

    def reset(self) -> None:
        self.attempt = 0


class SlidingWindowLimiter:
    """At most `limit` events in any rolling window of `window_ns`.

    Keeps the timestamps of the last `limit` events; the oldest one decides when the
    next is allowed. O(1) per call, memory bounded by `limit`.
    """

    __slots__ = ("_limit", "_times", "_window_ns")

    def __init__(self, limit: int, window_ns: int) -> None:
        if limit <= 0 or window_ns <= 0:
            raise ValueError(f"limit and window must be positive, got {limit}, {window_ns}")
        self._limit = limit
        self._window_ns = window_ns
        self._times: deque[int] = deque(maxlen=limit)

    @property
    def limit(self) -> int:
        return self._limit

    def wait_ns(self, now_ns: int, reserve: int = 0) -> int:
        """Nanoseconds until one more event is allowed (0 = now).

        `reserve` keeps that many slots free for someone else: the event is allowed only
        while fewer than `limit - reserve` events lie in the window.
        """
        allowed = self._limit - reserve
        if allowed <= 0:
            raise ValueError(f"reserve {reserve} leaves no room under limit {self._limit}")
        times = self._times
        if len(times) < allowed:
            return 0
        # The event `allowed` places back from the newest must have left the window.
        gate = times[len(times) - allowed]
        return max(0, gate + self._window_ns - now_ns)

    def record(self, now_ns: int) -> None:
        self._times.append(now_ns)

    def try_acquire(self, now_ns: int, reserve: int = 0) -> int:
        """Record an event if allowed and return 0; otherwise return the wait in ns."""
        wait = self.wait_ns(now_ns, reserve)
        if wait == 0:
            self._times.append(now_ns)
        return wait

    def count_in_window(self, now_ns: int) -> int:
        """Events within (now - window, now]: for status displays, not the hot path."""
        cutoff = now_ns - self._window_ns
        return sum(1 for t in self._times if t > cutoff)

    def history(self) -> tuple[int, ...]:
        """The remembered event times (at most `limit`), oldest first."""
        return tuple(self._times)


def connect_limiter_of(config: ReconnectBackoff) -> SlidingWindowLimiter:
    """The hard cap on new connections of risk.yaml `websocket.reconnect`."""
    return SlidingWindowLimiter(config.max_connects, _s_to_ns(config.window_s))


def _s_to_ns(seconds: float) -> int:
    return round(seconds * _NS_PER_S)
