"""Exponentially weighted statistics on irregular, exchange-time samples.

Market events do not arrive on a grid, so a per-sample smoothing factor would make the
memory of an estimate depend on the event rate. Here every sample's weight decays with its
AGE in event time: w_i = 2 ** (-(t - t_i) / half_life). The estimators keep decayed sums,
so an update is O(1) (one `exp`) and no history is stored.

Time comes from the samples (exchange timestamps), never from a clock. A sample older than
the newest one seen is weighted as if it were at the newest time (time never runs back), and
non-finite samples are ignored and counted in `rejected`, so one bad print cannot poison an
estimate forever.
"""

from __future__ import annotations

import math
from typing import Final

_LN2: Final = math.log(2.0)


class _Decay:
    """Shared time bookkeeping: the decay factor since the newest sample."""

    __slots__ = ("_k", "count", "last_ns", "rejected")

    def __init__(self, halflife_ns: int) -> None:
        if halflife_ns <= 0:
            raise ValueError(f"half-life must be positive, got {halflife_ns} ns")
        self._k = _LN2 / halflife_ns
        self.last_ns: int | None = None
        self.count = 0
        self.rejected = 0

    def _factor(self, t_ns: int) -> float:
        """Decay of existing weights when a sample at t_ns arrives; moves time forward."""
        last = self.last_ns
        if last is None:
            self.last_ns = t_ns
            return 0.0
        if t_ns <= last:
            return 1.0
        self.last_ns = t_ns
        return math.exp(-(t_ns - last) * self._k)


class TimeEwma(_Decay):
    """Time-decayed weighted mean: sum(w_i * x_i) / sum(w_i)."""

    __slots__ = ("_sum", "_weight")

    def __init__(self, halflife_ns: int) -> None:
        super().__init__(halflife_ns)
        self._sum = 0.0
        self._weight = 0.0

    def update(self, value: float, t_ns: int) -> None:
        if not math.isfinite(value):
            self.rejected += 1
            return
        d = self._factor(t_ns)
        self._weight = self._weight * d + 1.0
        self._sum = self._sum * d + value
        self.count += 1

    @property
    def value(self) -> float | None:
        """The mean, None before the first sample."""
        return self._sum / self._weight if self._weight > 0.0 else None


class TimeEwmaVar(_Decay):
    """Time-decayed weighted mean and variance (West's incremental update, stable for large
    means, unlike the sum-of-squares shortcut)."""

    __slots__ = ("_m2", "_mean", "_weight")

    def __init__(self, halflife_ns: int) -> None:
        super().__init__(halflife_ns)
        self._mean = 0.0
        self._m2 = 0.0
        self._weight = 0.0

    def update(self, value: float, t_ns: int) -> None:
        if not math.isfinite(value):
            self.rejected += 1
            return
        d = self._factor(t_ns)
        self._weight = self._weight * d + 1.0
        delta = value - self._mean
        self._mean += delta / self._weight
        self._m2 = self._m2 * d + delta * (value - self._mean)
        self.count += 1

    @property
    def mean(self) -> float | None:
        return self._mean if self._weight > 0.0 else None

    @property
    def variance(self) -> float | None:
        """Weighted (population) variance, None before the first sample."""
        if self._weight <= 0.0:
            return None
        return max(self._m2 / self._weight, 0.0)

    @property
    def std(self) -> float | None:
        var = self.variance
        return None if var is None else math.sqrt(var)


class TimeDecayedRatio(_Decay):
    """Ratio of two time-decayed sums, sum(w_i * a_i) / sum(w_i * b_i).

    With a_i = squared log return and b_i = elapsed seconds, this is the realised variance
    per second over irregular samples: quiet stretches (returns of 0 over long intervals)
    lower it, as they should, and bursts of events at one timestamp (b_i = 0) add their
    moves without dividing by a zero interval.
    """

    __slots__ = ("_den", "_num")

    def __init__(self, halflife_ns: int) -> None:
        super().__init__(halflife_ns)
        self._num = 0.0
        self._den = 0.0

    def update(self, numerator: float, denominator: float, t_ns: int) -> None:
        if not (math.isfinite(numerator) and math.isfinite(denominator)):
            self.rejected += 1
            return
        d = self._factor(t_ns)
        self._num = self._num * d + numerator
        self._den = self._den * d + denominator
        self.count += 1

    @property
    def value(self) -> float | None:
        """The ratio, None until the denominator has accumulated something positive."""
        return self._num / self._den if self._den > 0.0 else None
