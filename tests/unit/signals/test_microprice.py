"""Weighted mid and Stoikov micro-price: hand values, mirror symmetry, fit on known processes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from hyperliquid_ofi_trader.signals.microprice import (
    MicropriceModel,
    MicropriceModelError,
    MicropriceSignal,
    fit_microprice,
    weighted_mid,
)


def two_state_process(
    n: int, rho: float, alpha: float, seed: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """A hidden sign s_t ∈ {−1, +1} that persists with probability rho; the imbalance is in
    the upper half when s = +1; each step the mid moves one tick in the direction of s with
    probability alpha. The expected total future move from s is alpha·Σ(2ρ−1)^k = alpha/(2(1−ρ))
    ticks: the micro-price adjustment the fit must recover.
    """
    rng = np.random.default_rng(seed)
    flips = rng.random(n) > rho
    s = np.empty(n, dtype=np.int64)
    s[0] = 1
    for i in range(1, n):
        s[i] = -s[i - 1] if flips[i] else s[i - 1]
    imb = np.where(s > 0, rng.uniform(0.5, 1.0, n), rng.uniform(0.0, 0.5, n))
    moves = np.where(rng.random(n) < alpha, s.astype(np.float64), 0.0)
    mid = 1_000.0 + np.concatenate([[0.0], np.cumsum(moves[:-1])])
    return imb, np.full(n, 1.0), mid


def test_weighted_mid_hand_computed() -> None:
    # I = 3 / (3 + 1) = 0.75 → 0.75 · 101 + 0.25 · 100 = 100.75
    assert weighted_mid(100.0, 3.0, 101.0, 1.0) == pytest.approx(100.75)
    assert weighted_mid(100.0, 0.0, 101.0, 0.0) == pytest.approx(100.5)


def test_signal_without_model_is_weighted_mid() -> None:
    sig = MicropriceSignal(None, tick=0.5)
    adj = sig.update(100.0, 3.0, 101.0, 1.0)
    assert sig.price == pytest.approx(100.75)
    assert adj == pytest.approx(0.25 / 0.5)
    assert sig.adjustment_bps == pytest.approx(1e4 * 0.25 / 100.5)
    assert sig.half_spread_units == pytest.approx(0.5)


def test_mirrored_book_negates_deviation() -> None:
    sig = MicropriceSignal(None, tick=1.0)
    a = sig.update(100.0, 3.0, 101.0, 1.0)
    b = sig.update(-101.0 + 300.0, 1.0, -100.0 + 300.0, 3.0)  # mirror, shifted to positive prices
    assert b == -a
    assert sig.update(100.0, 2.0, 101.0, 2.0) == 0.0


@pytest.mark.parametrize(("bid", "bsz", "ask", "asz"), [
    (100.0, 1.0, 100.0, 1.0), (101.0, 1.0, 100.0, 1.0), (100.0, 0.0, 101.0, 1.0),
    (math.nan, 1.0, 101.0, 1.0), (100.0, 1.0, math.inf, 1.0), (-1.0, 1.0, 1.0, 1.0),
])
def test_invalid_top_gives_nan_and_counts(bid: float, bsz: float, ask: float,
                                          asz: float) -> None:
    sig = MicropriceSignal(None, tick=1.0)
    assert math.isnan(sig.update(bid, bsz, ask, asz))
    assert math.isnan(sig.price)
    assert sig.rejected == 1


def test_fit_recovers_known_adjustment() -> None:
    imb, spread, mid = two_state_process(200_000, rho=0.8, alpha=0.2, seed=11)
    model = fit_microprice(imb, spread, mid, tick=1.0, n_imbalance=2, n_spread=1)
    expected = 0.2 / (2 * (1 - 0.8))  # 0.5 tick
    low, high = model.adjustment_ticks[0]
    assert low is not None
    assert high is not None
    assert model.converged
    assert high == pytest.approx(expected, abs=0.03)
    assert low == -high
    assert model.adjustment(0.9, 1) == pytest.approx(expected, abs=0.03)
    assert model.adjustment(0.1, 1) == -model.adjustment(0.9, 1)


def test_fit_without_persistence_equals_one_step_drift() -> None:
    # rho = 0.5: the state is i.i.d., so only the next move counts: alpha ticks.
    imb, spread, mid = two_state_process(200_000, rho=0.5, alpha=0.3, seed=5)
    model = fit_microprice(imb, spread, mid, tick=1.0, n_imbalance=4, n_spread=2)
    row = model.adjustment_ticks[0]
    low, high = row[0], row[3]
    assert low is not None
    assert high is not None
    assert high == pytest.approx(0.3, abs=0.03)
    assert low == -high
    assert model.adjustment_ticks[1] == (None,) * 4  # spread 2 never seen
    assert math.isnan(model.adjustment(0.9, 2))


def test_signal_uses_model_and_falls_back_for_unseen_spread() -> None:
    imb, spread, mid = two_state_process(50_000, rho=0.8, alpha=0.2, seed=2)
    model = fit_microprice(imb, spread, mid, tick=1.0, n_imbalance=2, n_spread=2)
    sig = MicropriceSignal(model)
    g = model.adjustment(0.75, 1)
    assert sig.update(100.0, 3.0, 101.0, 1.0) == pytest.approx(g)
    assert sig.update(100.0, 1.0, 101.0, 3.0) == -sig.update(100.0, 3.0, 101.0, 1.0)
    assert sig.fallbacks == 0
    sig.update(100.0, 3.0, 102.0, 1.0)  # spread 2 ticks: unseen, weighted mid instead
    assert sig.fallbacks == 1
    assert sig.price == pytest.approx(weighted_mid(100.0, 3.0, 102.0, 1.0))


def test_fit_skips_big_jumps_and_bad_rows() -> None:
    imb, spread, mid = two_state_process(20_000, rho=0.8, alpha=0.2, seed=3)
    mid[5_000:] += 500.0  # one gap (a resync) must not become a 500-tick move
    imb[100] = math.nan
    spread[200] = 7.0
    model = fit_microprice(imb, spread, mid, tick=1.0, n_imbalance=2, n_spread=1)
    assert model.n_transitions == 20_000 - 1 - 1 - 2 - 2
    assert abs(model.adjustment(0.9, 1)) < 1.0


def test_fit_argument_errors() -> None:
    ok = np.array([0.2, 0.7, 0.4])
    with pytest.raises(ValueError, match="differ in length"):
        fit_microprice(ok, ok[:2], ok, tick=1.0)
    with pytest.raises(ValueError, match="tick"):
        fit_microprice(ok, ok, ok, tick=0.0)
    with pytest.raises(ValueError, match="no usable transitions"):
        fit_microprice(ok, np.full(3, 9.0), ok, tick=1.0)


def test_save_load_round_trip(tmp_path: Path) -> None:
    imb, spread, mid = two_state_process(20_000, rho=0.7, alpha=0.2, seed=4)
    model = fit_microprice(imb, spread, mid, tick=1.0, n_imbalance=4, n_spread=2)
    path = tmp_path / "model.json"
    model.save(path)
    assert MicropriceModel.load(path) == model


def test_load_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(MicropriceModelError, match="cannot read"):
        MicropriceModel.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(MicropriceModelError, match="invalid"):
        MicropriceModel.load(bad)
    ragged = tmp_path / "ragged.json"
    ragged.write_text('{"tick": 1.0, "n_imbalance": 3, "adjustment_ticks": [[0.1, -0.1]],'
                      ' "state_counts": [[1, 1]], "n_transitions": 2, "iterations": 1,'
                      ' "converged": true}')
    with pytest.raises(MicropriceModelError, match="length 2, expected 3"):
        MicropriceModel.load(ragged)


def test_signal_requires_tick() -> None:
    with pytest.raises(ValueError, match="tick"):
        MicropriceSignal(None)
