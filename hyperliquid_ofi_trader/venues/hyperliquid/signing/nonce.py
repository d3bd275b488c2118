"""Per-signer nonces: strictly increasing, near the clock, safe under concurrency.

The venue keeps each signer's 100 highest nonces; a new one must exceed the smallest of
them, never repeat, and lie within (block time - 2 days, block time + 1 day). The SDKs use
the millisecond clock, so two actions in one millisecond collide ("Invalid nonce: duplicate
nonce N"). One `NonceCounter` per signer hands out `max(now_ms, last + 1)`: unique, still
close to real time, and it keeps increasing if the host clock steps backwards.

Bursts run the counter ahead of the clock by one per action in the same millisecond; the
venue's one-day allowance is ~86 million actions away, far beyond any rate limit.

Across restarts: a new process must not reuse a nonce the previous one sent, even if the
host clock stepped back meanwhile (the venue would answer "nonce too low" until the clock
caught up). The owner saves `floor()` every second and at shutdown, and a restarted counter
hands out `max(saved floor + 1, now)`. It never adds a margin on top: a margin would push
every quick restart further ahead of the clock (a minute per restart used to add up until
the venue's window refused every action). What a crash between two saves could have
handed out is covered by the clock itself: nonces only run ahead of the clock by one per
action within a millisecond, and a restart takes far longer than such a burst lasts.

When the venue refuses a nonce anyway (`Invalid nonce: ...`), the gateway reports it and
recovers here, it does not retry blindly: "too low N < least" → `observe(least)`; outside
the allowed window → `rebase_to_clock()`, back to the clock but never below a nonce the
venue accepted (`confirm`).
"""

from __future__ import annotations

import threading

from hyperliquid_ofi_trader.core.clock import Clock

_NS_PER_MS = 1_000_000


class NonceCounter:
    """`next()` is strictly increasing across all threads sharing this counter."""

    __slots__ = ("_clock", "_confirmed", "_last", "_lock")

    def __init__(self, clock: Clock, *, last: int = 0) -> None:
        self._clock = clock
        self._last = last
        self._confirmed = 0
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

    def confirm(self, nonce: int) -> None:
        """The venue accepted `nonce` (it answered the action): never go back below it."""
        with self._lock:
            if nonce > self._confirmed:
                self._confirmed = nonce

    def rebase_to_clock(self) -> int:
        """After an out-of-window refusal: hand out clock-based nonces again, above every
        nonce the venue accepted. Returns how far ahead of the clock the counter was (ms)."""
        with self._lock:
            now_ms = self._clock.now_ns() // _NS_PER_MS
            ahead = self._last - now_ms
            self._last = max(self._confirmed, now_ms - 1)
            return ahead

    def floor(self) -> int:
        """Every nonce this counter will hand out from now on is above this value: the
        figure to save so that a restarted process never goes back (see module docstring)."""
        with self._lock:
            return max(self._last, self._clock.now_ns() // _NS_PER_MS)

    @classmethod
    def after_restart(cls, clock: Clock, saved_floor: int) -> NonceCounter:
        """A counter for a signer whose previous process saved `saved_floor` (0: none):
        its first nonce is max(saved_floor + 1, now), never further ahead."""
        return cls(clock, last=max(saved_floor, 0))

    @property
    def last(self) -> int:
        """The most recent nonce handed out or observed (0 before any)."""
        return self._last
