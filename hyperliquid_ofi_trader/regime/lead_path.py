"""A lead coin's recent mid path: how far it ran up or down within a trailing span.

The liquidation detector of a LAG coin asks it whether a one-sided burst with a price jump
is the lag catching up with its lead (the lead ran the same way first) rather than a
cascade of its own (see regime/detector.py). A catch-up trails its lead by the lead-lag
delay plus however long the lag takes to close the gap, so the span is longer than the
burst window.

A `TrailingRange` gives the span's highest and lowest mid in O(1) amortised per update,
as it does the liquidation detector's trade prices. Bad mids (non-finite, non-positive)
are counted in `rejected` and ignored; times that go backwards are clamped to the latest.
"""

from __future__ import annotations

import math

from hyperliquid_ofi_trader.regime.trailing_range import TrailingRange

_BPS = 1e4


class LeadPath:
    """Trailing highest/lowest mid of one coin over `span_ns` of exchange time."""

    __slots__ = ("_range", "_span_ns", "last", "now_ns", "rejected")

    def __init__(self, span_ns: int) -> None:
        if span_ns <= 0:
            raise ValueError(f"span_ns must be > 0, got {span_ns}")
        self._span_ns = span_ns
        self._range = TrailingRange()
        self.last = math.nan
        self.now_ns = -1
        self.rejected = 0

    @property
    def span_ns(self) -> int:
        return self._span_ns

    def update(self, mid: float, exchange_ns: int) -> None:
        if not (mid > 0.0 and math.isfinite(mid)):
            self.rejected += 1
            return
        t = exchange_ns if exchange_ns > self.now_ns else self.now_ns
        self.now_ns = t
        self.last = mid
        self._range.push(t, mid)
        self._range.evict(t - self._span_ns)

    def run_bps(self, up: bool, now_ns: int, span_ns: int | None = None) -> float:
        """How far the mid ran in one direction within `span_ns` (at most the path's own
        span; None: all of it) ending at `now_ns`: up, from the lowest mid to the last one;
        down, from the highest to the last (bps, >= 0). 0 when the path has no mid in that
        span (a stale lead explains nothing)."""
        span = self._span_ns if span_ns is None else min(span_ns, self._span_ns)
        if now_ns - self.now_ns > span or self._range.empty():
            return 0.0
        since = now_ns - span
        last = self.last
        if up:
            low = self._range.low(since)
            return 0.0 if low is None else (last - low) / low * _BPS
        high = self._range.high(since)
        return 0.0 if high is None else (high - last) / high * _BPS
