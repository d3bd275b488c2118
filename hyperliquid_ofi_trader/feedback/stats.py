"""A small running summary (count, mean, min, max, recent-window percentiles) for feedback."""

from __future__ import annotations

import math
from collections import deque

import numpy as np


class RunningStats:
    """O(1) `add`; percentiles over the last `window` samples are computed on demand."""

    __slots__ = ("_recent", "count", "max", "min", "total")

    def __init__(self, window: int = 2048) -> None:
        self._recent: deque[float] = deque(maxlen=window)
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = -math.inf

    def add(self, x: float) -> None:
        self._recent.append(x)
        self.count += 1
        self.total += x
        self.min = min(self.min, x)
        self.max = max(self.max, x)

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else math.nan

    def percentile(self, q: float) -> float:
        if not self._recent:
            return math.nan
        return float(np.percentile(np.fromiter(self._recent, dtype=np.float64), q))

    def summary(self) -> dict[str, float]:
        return {"count": float(self.count), "mean": self.mean,
                "p50": self.percentile(50), "p90": self.percentile(90),
                "min": self.min if self.count else math.nan,
                "max": self.max if self.count else math.nan}
