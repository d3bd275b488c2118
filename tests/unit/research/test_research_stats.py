"""Known-answer tests of the research statistics (numpy only, no scipy)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.research.stats import (
    cross_correlation,
    lagged_correlation,
    ols,
    pearson,
    rankdata,
    spearman,
    white_noise_band,
)


def test_ols_recovers_a_planted_slope_and_intercept() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=5_000)
    y = 0.7 * x + 2.0 + rng.normal(scale=0.5, size=x.size)
    fit = ols(x, y)
    assert fit.n == 5_000
    assert fit.slope == pytest.approx(0.7, abs=0.02)
    assert fit.intercept == pytest.approx(2.0, abs=0.02)
    # R² = var(signal) / var(total) = 0.49 / (0.49 + 0.25)
    assert fit.r2 == pytest.approx(0.49 / 0.74, abs=0.02)
    assert fit.t_stat > 50


def test_ols_t_stat_matches_textbook_formula() -> None:
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    y = np.array([0.1, 0.9, 2.2, 2.8, 4.1])
    fit = ols(x, y)
    b, a = np.polyfit(x, y, 1)
    resid = y - (a + b * x)
    se = math.sqrt((resid @ resid) / 3 / ((x - x.mean()) ** 2).sum())
    assert fit.slope == pytest.approx(b)
    assert fit.t_stat == pytest.approx(b / se)
    assert fit.r2 == pytest.approx(np.corrcoef(x, y)[0, 1] ** 2)


def test_ols_drops_non_finite_pairs_and_reports_unknown_when_degenerate() -> None:
    fit = ols([1.0, 2.0, np.nan, 3.0, 4.0], [2.0, 4.0, 5.0, np.inf, 8.0])
    assert fit.n == 3
    assert fit.slope == pytest.approx(2.0)
    constant_x = ols([1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 4.0])
    assert math.isnan(constant_x.slope)
    assert constant_x.n == 4
    assert math.isnan(ols([], []).r2)
    with pytest.raises(ValueError, match="differ in length"):
        ols([1.0, 2.0], [1.0])


def test_rankdata_averages_ties() -> None:
    assert rankdata([10.0, 20.0, 20.0, 5.0]).tolist() == [2.0, 3.5, 3.5, 1.0]
    assert rankdata([3.0, 3.0, 3.0]).tolist() == [2.0, 2.0, 2.0]


def test_ic_of_a_perfect_predictor_is_one() -> None:
    rng = np.random.default_rng(2)
    future = rng.normal(size=1_000)
    ic, n = spearman(np.exp(future) * 3.0, future)  # monotone transform: ranks identical
    assert ic == pytest.approx(1.0)
    assert n == 1_000
    assert spearman(-future, future)[0] == pytest.approx(-1.0)


def test_spearman_of_independent_series_is_inside_the_band() -> None:
    rng = np.random.default_rng(3)
    ic, n = spearman(rng.normal(size=4_000), rng.normal(size=4_000))
    assert abs(ic) < white_noise_band(n)


def test_constant_series_give_unknown_correlation() -> None:
    assert math.isnan(pearson([1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 4.0]))
    assert math.isnan(spearman([1.0, 2.0], [2.0, 1.0])[0])  # too few pairs


def test_cross_correlation_recovers_the_lag_of_a_lagged_copy() -> None:
    rng = np.random.default_rng(4)
    lead = rng.normal(size=20_000)
    lag = np.concatenate([np.zeros(7), lead[:-7]]) + rng.normal(scale=0.5, size=lead.size)
    lags, corr, n = cross_correlation(lead, lag, 20)
    assert lags[int(np.argmax(corr))] == 7  # positive: the first series moves first
    assert corr[20] == pytest.approx(0.0, abs=0.03)  # lag 0
    assert n == 20_000
    # Swapping the series mirrors the answer.
    lags2, corr2, _ = cross_correlation(lag, lead, 20)
    assert lags2[int(np.argmax(corr2))] == -7


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=-5, max_value=5), st.integers(min_value=0, max_value=10_000))
def test_lagged_correlation_matches_explicit_slices(k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=60), rng.normal(size=60)
    got, n = lagged_correlation(x, y, k)
    xs, ys = (x[: 60 - k], y[k:]) if k >= 0 else (x[-k:], y[: 60 + k])
    assert n == 60 - abs(k)
    assert got == pytest.approx(float(np.corrcoef(xs, ys)[0, 1]))
