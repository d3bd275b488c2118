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
from collections import deque
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
    """

    __slots__ = ("_last_ns", "_samples", "count")

    def __init__(self, window: int = 4096) -> None:
        if window <= 0:
            raise ValueError(f"latency window must be positive, got {window}")
        self._samples: deque[int] = deque(maxlen=window)
        self._last_ns = 0
        self.count = 0

    def record(self, exchange_ns: int, local_ns: int) -> None:
        """Add one sample; events without a venue time (exchange_ns == 0) are ignored."""
        if exchange_ns <= 0:
            return
        lag = local_ns - exchange_ns
        self._samples.append(lag)
        self._last_ns = lag
        self.count += 1

    @property
    def last_ns(self) -> int:
        return self._last_ns

    def summary_ms(self) -> dict[str, float]:
        """p50/p90/p99/max of the window in milliseconds, for status views and reports."""
        if not self._samples:
            return {"count": 0.0, "p50": math.nan, "p90": math.nan, "p99": math.nan,
                    "max": math.nan}
        arr = np.fromiter(self._samples, dtype=np.int64) / 1e6
        p50, p90, p99 = np.percentile(arr, [50, 90, 99])
        return {"count": float(arr.size), "p50": float(p50), "p90": float(p90),
                "p99": float(p99), "max": float(arr.max())}
