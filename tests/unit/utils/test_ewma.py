"""Time-decayed EWMA estimators against brute-force weighted sums over the full history."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.utils.ewma import TimeDecayedRatio, TimeEwma, TimeEwmaVar

H = 1_000_000_000  # 1 s half-life

samples = st.lists(
    st.tuples(st.floats(min_value=-1e3, max_value=1e3), st.integers(0, 3 * H)),
    min_size=1,
    max_size=30,
)


def weights(times: list[int]) -> list[float]:
    """Brute force: each sample's weight is 2^(-age/H), age measured from the newest time,
    with a sample's own time clamped up to the newest time seen before it."""
    clamped, newest = [], -1
    for t in times:
        newest = max(newest, t)
        clamped.append(newest)
    return [2.0 ** (-(newest - t) / H) for t in clamped]


@settings(max_examples=200, deadline=None)
@given(samples)
def test_ewma_equals_brute_force(data: list[tuple[float, int]]) -> None:
    ewma = TimeEwma(H)
    for x, t in data:
        ewma.update(x, t)
    w = weights([t for _, t in data])
    want = sum(wi * x for wi, (x, _) in zip(w, data, strict=True)) / sum(w)
    assert ewma.value == pytest.approx(want, rel=1e-9, abs=1e-9)
    assert ewma.count == len(data)


@settings(max_examples=200, deadline=None)
@given(samples)
def test_ewma_var_equals_brute_force(data: list[tuple[float, int]]) -> None:
    est = TimeEwmaVar(H)
    for x, t in data:
        est.update(x, t)
    w = weights([t for _, t in data])
    total = sum(w)
    mean = sum(wi * x for wi, (x, _) in zip(w, data, strict=True)) / total
    var = sum(wi * (x - mean) ** 2 for wi, (x, _) in zip(w, data, strict=True)) / total
    assert est.mean == pytest.approx(mean, rel=1e-9, abs=1e-9)
    assert est.variance == pytest.approx(var, rel=1e-6, abs=1e-6)


def test_var_is_stable_with_large_mean() -> None:
    est = TimeEwmaVar(H)
    for i in range(1000):
        est.update(1e9 + (1.0 if i % 2 else -1.0), i * 1_000_000)
    assert est.variance == pytest.approx(1.0, rel=1e-3)


def test_half_life_halves_the_weight() -> None:
    ewma = TimeEwma(H)
    ewma.update(0.0, 0)
    ewma.update(3.0, H)  # old sample now weighs 0.5: (0 * 0.5 + 3 * 1) / 1.5
    assert ewma.value == pytest.approx(2.0)


def test_ratio_is_variance_rate() -> None:
    ratio = TimeDecayedRatio(10 * H)
    assert ratio.value is None
    ratio.update(0.04, 0.0, 0)  # a move with no elapsed time: no division by zero
    assert ratio.value is None
    ratio.update(0.0, 1.0, H)
    assert ratio.value == pytest.approx(0.04 * 2 ** -0.1 / 1.0)


def test_rejects_non_finite_and_empty() -> None:
    ewma, var, ratio = TimeEwma(H), TimeEwmaVar(H), TimeDecayedRatio(H)
    assert ewma.value is None
    assert var.variance is None
    assert var.std is None
    ewma.update(math.nan, 1)
    var.update(math.inf, 1)
    ratio.update(1.0, math.nan, 1)
    assert (ewma.rejected, var.rejected, ratio.rejected) == (1, 1, 1)
    assert ewma.value is None
    ewma.update(5.0, 2)
    assert ewma.value == 5.0


def test_bad_half_life() -> None:
    with pytest.raises(ValueError, match="half-life"):
        TimeEwma(0)
