"""Per-signer nonces: strictly increasing, near the clock, safe under concurrency.

The venue keeps each signer's 100 highest nonces; a new one must exceed the smallest of
them, never repeat, and lie within (block time - 2 days, block time + 1 day). The SDKs use
the millisecond clock, so two actions in one millisecond collide ("Invalid nonce: duplicate
nonce N"). One `NonceCounter` per signer hands out `max(now_ms, last + 1)`: unique, still
close to real time, and it keeps increasing if the host clock steps backwards.

Bursts run the counter ahead of the clock by one per action in the same millisecond; the
venue's one-day allowance is ~86 million actions away, far beyond any rate limit.
"""

from __future__ import annotations

import threading

from hyperliquid_ofi_trader.core.clock import Clock

_NS_PER_MS = 1_000_000


class NonceCounter:
    """`next()` is strictly increasing across all threads sharing this counter."""

    __slots__ = ("_clock", "_last", "_lock")

    def __init__(self, clock: Clock, *, last: int = 0) -> None:
        self._clock = clock
        self._last = last
        self._lock = threading.Lock()

    def next(self) -> int:
        """A fresh nonce: the clock in ms, or one more than the previous if that is later."""
        with self._lock:
            now_ms = self._clock.now_ns() // _NS_PER_MS
            nonce = now_ms if now_ms > self._last else self._last + 1
            self._last = nonce
            return nonce

    def observe(self, nonce: int) -> None:
        """Never hand out `nonce` or anything below it (e.g. nonces a previous run of this
        signer used, read back from the journal at restart)."""
        with self._lock:
            if nonce > self._last:
                self._last = nonce

    @property
    def last(self) -> int:
        """The most recent nonce handed out or observed (0 before any)."""
        return self._last
