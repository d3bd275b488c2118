"""LatencyMonitor: the ring keeps exactly the last `window` samples, and its summary equals
numpy's percentiles over those samples (the reference: a deque of the same window)."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest

from hyperliquid_ofi_trader.core.clock import LatencyMonitor, linear_percentile


def _reference(samples: list[int], window: int) -> dict[str, float]:
    last = np.array(deque(samples, maxlen=window), dtype=np.int64) / 1e6
    p50, p90, p99 = np.percentile(last, [50, 90, 99])
    return {"count": float(last.size), "p50": float(p50), "p90": float(p90),
            "p99": float(p99), "max": float(last.max())}


@pytest.mark.parametrize("n", [1, 5, 7, 8, 9, 31, 1000])
def test_summary_is_the_last_window_samples(n: int) -> None:
    window = 8
    rng = np.random.default_rng(n)
    lags = [int(x) for x in rng.integers(-5_000_000, 900_000_000, size=n)]
    mon = LatencyMonitor(window)
    for i, lag in enumerate(lags):
        mon.record(1_000 + i, 1_000 + i + lag)
    assert mon.summary_ms() == _reference(lags, window)
    assert mon.percentile_ns(90) == float(np.percentile(lags[-window:], 90))
    assert mon.count == n
    assert mon.last_ns == lags[-1]


def test_empty_and_timeless_events() -> None:
    mon = LatencyMonitor(4)
    mon.record(0, 123)  # no venue time: ignored
    assert mon.count == 0
    assert math.isnan(mon.percentile_ns(50))
    assert mon.summary_ms()["count"] == 0.0
    assert math.isnan(mon.summary_ms()["max"])


def test_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="window must be positive"):
        LatencyMonitor(0)


@pytest.mark.parametrize("seed", range(40))
def test_linear_percentile_equals_numpy_to_the_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5000))
    kind = seed % 4
    if kind == 0:  # latencies in ns, as the monitor holds them
        values = rng.integers(-10**9, 10**10, size=n).astype(np.float64) / 1e6
    elif kind == 1:  # many ties
        values = rng.integers(0, 5, size=n).astype(np.float64)
    elif kind == 2:  # wide magnitudes
        values = rng.standard_cauchy(size=n) * 1e6
    else:
        values = rng.random(size=n)
    ascending = np.sort(values)
    for q in (0, 1, 25, 50, 90, 99, 99.9, 100, float(rng.random() * 100)):
        assert linear_percentile(ascending, q) == float(np.percentile(values, q)), (n, q)
