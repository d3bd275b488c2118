"""Clocks and feed-latency measurement.

The engine and everything it calls get time only from an injected `Clock`. This module
and the async edges (WebSocket client, gateways, CLI) are the only places allowed to read
the wall clock; `tests/unit/test_clock_purity.py` enforces that.

- `LiveClock` reads the system clock (`time.time_ns`), for live, paper and emulator runs.
- `ReplayClock` is advanced by the replay driver to each frame's recorded receive time,
  so a replay sees exactly the times the live run saw and is bit-for-bit repeatable.
"""

from __future__ import annotations

import math
import time
from array import array
from typing import Protocol

import numpy as np


class Clock(Protocol):
    """Time source: integer nanoseconds since the Unix epoch."""

    def now_ns(self) -> int: ...


class LiveClock:
    """The system clock. Cheap: one C call per read."""

    __slots__ = ()

    def now_ns(self) -> int:
        return time.time_ns()


class ReplayClock:
    """A clock that only moves when the replay driver says so, and never backwards."""

    __slots__ = ("_now_ns",)

    def __init__(self, start_ns: int = 0) -> None:
        self._now_ns = start_ns

    def now_ns(self) -> int:
        return self._now_ns

    def advance_to(self, ns: int) -> None:
        """Move to `ns`. Recorded receive times can jitter backwards: time stays put then."""
        if ns > self._now_ns:
            self._now_ns = ns


class LatencyMonitor:
    """Rolling distribution of feed latency (local receive time − exchange time).

    Keeps the last `window` samples in a ring buffer; percentiles are computed on demand
    (off the hot path), `record` is O(1). Negative latencies are kept: they reveal clock
    skew between our host and the venue, which a user must see rather than have hidden.

    The ring is a flat int64 `array`, so a summary views it as a numpy array without
    copying it element by element (a backtest asks for one at every status tick).
    Percentiles and the maximum depend only on which samples are in the window, not on
    their order in the ring.
    """

    __slots__ = ("_last_ns", "_next", "_ring", "count")

    def __init__(self, window: int = 4096) -> None:
        if window <= 0:
            raise ValueError(f"latency window must be positive, got {window}")
        self._ring = array("q", bytes(8 * window))
        self._next = 0  # slot the next sample overwrites
        self._last_ns = 0
        self.count = 0

    def record(self, exchange_ns: int, local_ns: int) -> None:
        """Add one sample; events without a venue time (exchange_ns == 0) are ignored."""
        if exchange_ns <= 0:
            return
        lag = local_ns - exchange_ns
        ring, i = self._ring, self._next
        ring[i] = lag
        i += 1
        self._next = 0 if i == len(ring) else i
        self._last_ns = lag
        self.count += 1

    @property
    def last_ns(self) -> int:
        return self._last_ns

    def _ascending(self) -> np.ndarray:
        """The window's samples (ns), sorted ascending."""
        return np.sort(np.frombuffer(self._ring, dtype=np.int64,
                                     count=min(self.count, len(self._ring))))

    def percentile_ns(self, q: float) -> float:
        """The q-th percentile (0..100) of the window, NaN when there are no samples."""
        if not self.count:
            return math.nan
        return linear_percentile(self._ascending().astype(np.float64), q)

    def summary_ms(self) -> dict[str, float]:
        """p50/p90/p99/max of the window in milliseconds, for status views and reports."""
        if not self.count:
            return {"count": 0.0, "p50": math.nan, "p90": math.nan, "p99": math.nan,
                    "max": math.nan}
        ms = self._ascending() / 1e6
        return {"count": float(ms.size), "p50": linear_percentile(ms, 50),
                "p90": linear_percentile(ms, 90), "p99": linear_percentile(ms, 99),
                "max": float(ms[-1])}


def linear_percentile(ascending: np.ndarray, q: float) -> float:
    """`numpy.percentile(values, q)` (method "linear") of float64 values already sorted, in
    the same floating-point steps as numpy (equal to the last bit), without its per-call
    machinery: a backtest's status tick asks for three of them over 4096 samples."""
    n = ascending.size
    virtual = (n - 1) * (q / 100)
    if virtual >= n - 1:
        return float(ascending[-1])
    if virtual < 0:
        return float(ascending[0])
    lo = math.floor(virtual)
    a, b = ascending[lo], ascending[lo + 1]
    gamma = virtual - lo
    diff = b - a
    return float(b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma)
