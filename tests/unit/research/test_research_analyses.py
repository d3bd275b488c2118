"""The research analyses on synthetic series whose answer is known by construction."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from hyperliquid_ofi_trader.research import leadlag_xcorr, microprice_fit, ofi_impact, signal_ic
from hyperliquid_ofi_trader.research.series import (
    BookSeries,
    ExtractStats,
    MarketSeries,
    TradeSeries,
    asof,
    infer_tick,
)
from hyperliquid_ofi_trader.research.stats import spearman
from hyperliquid_ofi_trader.signals.leadlag import LeadLagSignal

S = 1_000_000_000
MS = 1_000_000


def book(ns: npt.ArrayLike, mid: npt.ArrayLike, ofi: npt.ArrayLike | None = None, *,
         coin: str = "X", half_spread: float = 0.5, bid_sz: npt.ArrayLike | None = None,
         ask_sz: npt.ArrayLike | None = None) -> BookSeries:
    t = np.asarray(ns, dtype=np.int64)
    m = np.asarray(mid, dtype=np.float64)
    ones = np.ones(t.size)
    qb = ones if bid_sz is None else np.asarray(bid_sz, dtype=np.float64)
    qa = ones if ask_sz is None else np.asarray(ask_sz, dtype=np.float64)
    return BookSeries(coin=coin, ns=t, bid_px=m - half_spread, bid_sz=qb, ask_px=m + half_spread,
                      ask_sz=qa, ofi=np.zeros(t.size) if ofi is None else
                      np.asarray(ofi, dtype=np.float64), depth_m=0.5 * (qb + qa))


def market(b: BookSeries, trades: TradeSeries | None = None) -> MarketSeries:
    empty = TradeSeries(np.empty(0, np.int64), np.empty(0), np.empty(0), np.empty(0, bool))
    return MarketSeries("test", b, trades or empty, ExtractStats())


# ---------------------------------------------------------------- helpers


def test_asof_takes_the_last_row_at_or_before() -> None:
    ns = np.array([10, 20, 30], dtype=np.int64)
    v = np.array([1.0, 2.0, 3.0])
    got = asof(ns, v, [5, 10, 25, 30, 99])
    assert np.isnan(got[0])
    assert got[1:].tolist() == [1.0, 2.0, 3.0, 3.0]


def test_infer_tick_ignores_float_noise() -> None:
    assert infer_tick([61800.2, 61800.3, 61800.5]) == pytest.approx(0.1)
    assert infer_tick([42000.0, 42001.0, 42005.0]) == 1.0
    assert math.isnan(infer_tick([5.0, 5.0]))


# ---------------------------------------------------------------- OFI impact


def planted_impact(beta: float, n_intervals: int, seed: int = 0) -> BookSeries:
    """Rows every 100 ms; each row's mid moves by beta·OFI exactly (in ticks of 1)."""
    rng = np.random.default_rng(seed)
    n = n_intervals * 10
    ofi = rng.normal(size=n)
    ofi[0] = 0.0
    mid = 1000.0 + np.cumsum(beta * ofi)
    return book(np.arange(n, dtype=np.int64) * 100 * MS, mid, ofi)


def test_ofi_regression_recovers_planted_beta() -> None:
    rep = ofi_impact.analyse(planted_impact(0.8, 300), [S], 1.0)
    c = ofi_impact.find(rep, 1.0, "ofi", ofi_impact.CONTEMPORANEOUS)
    p = ofi_impact.find(rep, 1.0, "ofi", ofi_impact.PREDICTIVE)
    assert c.slope == pytest.approx(0.8)
    assert c.r2 == pytest.approx(1.0)
    assert c.n == 299  # 300 s of rows, the last interval ends after the data: dropped
    assert abs(p.r2) < 0.05  # independent OFI does not forecast the next interval


def test_interval_series_by_hand() -> None:
    # Rows at 0, 0.5, 1.2, 1.9 s; 2.5 s is in a trailing partial interval and is dropped.
    b = book([0, S // 2, 12 * S // 10, 19 * S // 10, 25 * S // 10],
             [10.0, 11.0, 13.0, 12.0, 50.0], [0.0, 1.0, 2.0, -1.0, 9.0])
    s = ofi_impact.interval_series(b, S, 0.5)
    assert s.ofi.tolist() == [1.0, 1.0]
    assert s.dmid_ticks.tolist() == [2.0, 2.0]  # 10 -> 11 -> 12, in ticks of 0.5
    assert s.depth.tolist() == [1.0, 1.0]


def test_beta_per_depth_bucket_falls_as_one_over_depth() -> None:
    rng = np.random.default_rng(5)
    n = 2_000
    depth = np.repeat(rng.uniform(0.5, 5.0, size=n // 10), 10)
    ofi = rng.normal(size=n)
    ofi[0] = 0.0
    mid = 1000.0 + np.cumsum(ofi / depth)
    b = book(np.arange(n, dtype=np.int64) * 100 * MS, mid, ofi, bid_sz=depth, ask_sz=depth)
    rep = ofi_impact.analyse(b, [S], 1.0, n_buckets=4)
    assert len(rep.depth_buckets) == 4
    slopes = [bk.fit.slope for bk in rep.depth_buckets]
    assert slopes == sorted(slopes, reverse=True)
    assert rep.depth_exponent.slope == pytest.approx(-1.0, abs=0.15)
    norm = ofi_impact.find(rep, 1.0, "ofi/depth", ofi_impact.CONTEMPORANEOUS)
    assert norm.r2 == pytest.approx(1.0)


# ---------------------------------------------------------------- lead-lag


def lead_lag_pair(delay_ms: int, n: int = 60_000, seed: int = 6) -> tuple[BookSeries,
                                                                          BookSeries]:
    """A random walk sampled every 1 ms and a copy delayed by `delay_ms` plus its own noise."""
    rng = np.random.default_rng(seed)
    steps = rng.choice([-1.0, 0.0, 0.0, 0.0, 1.0], size=n)
    lead_mid = 50_000.0 + np.cumsum(steps)
    lag_mid = 3_000.0 + 0.06 * np.concatenate([np.zeros(delay_ms), lead_mid[:-delay_ms]
                                               - 50_000.0]) + 0.05 * np.cumsum(
        rng.choice([-1.0, 0.0, 1.0], size=n))
    ns = np.arange(n, dtype=np.int64) * MS
    return book(ns, lead_mid, coin="L"), book(ns, lag_mid, coin="F", half_spread=0.005)


def test_xcorr_finds_the_planted_delay_and_calls_it_significant() -> None:
    lead, lag = lead_lag_pair(30)
    res = leadlag_xcorr.xcorr(lead, lag, max_lag_ms=100, step_ms=10, shifts=20)
    assert res.peak_lag_ms == 30.0
    assert res.best_lead_lag_ms == 30.0
    assert res.lead_significant
    assert res.lead_to_lag0_ratio > 2.0


def test_xcorr_of_independent_walks_finds_no_lead() -> None:
    lead, _ = lead_lag_pair(30, seed=7)
    other, _ = lead_lag_pair(30, seed=8)
    other = book(other.ns, other.mid, coin="F")
    res = leadlag_xcorr.xcorr(lead, other, max_lag_ms=100, step_ms=10, shifts=50)
    assert not res.lead_significant


def test_signal_hit_rate_is_high_when_the_lag_coin_follows() -> None:
    lead, lag = lead_lag_pair(40, n=120_000)
    sig = LeadLagSignal(50 * MS, 2.0, 5 * S, lead_coin="L", lag_coin="F")
    hr = leadlag_xcorr.hit_rate(lead, lag, sig, 200 * MS)
    assert hr.fires > 20
    assert hr.hits + hr.misses + hr.flats == hr.fires
    assert hr.hit_rate > 0.7
    assert hr.z_vs_half > 2.0


def test_leadlag_refuses_the_same_coin_twice() -> None:
    lead, _ = lead_lag_pair(10, n=5_000)
    with pytest.raises(ValueError, match="different coins"):
        leadlag_xcorr.analyse(lead, lead, shifts=0)


# ---------------------------------------------------------------- IC


def test_future_move_and_ic_of_a_peeking_signal() -> None:
    rng = np.random.default_rng(9)
    n = 3_000
    mid = 100.0 + np.cumsum(rng.choice([-1.0, 0.0, 1.0], size=n))
    ns = np.arange(n, dtype=np.int64) * 10 * MS
    m = market(book(ns, mid))
    fut = signal_ic.future_move_ticks(m, 50 * MS, 1.0)
    assert fut[0] == mid[5] - mid[0]
    assert np.isnan(fut[-1])  # horizon beyond the data
    # A perfect predictor (the future move itself) has IC 1; the production signals on a
    # book without OFI or size imbalance carry no information (constant: unknown).
    ic, _ = spearman(fut, fut)
    assert ic == pytest.approx(1.0)
    rep = signal_ic.analyse(m, 1.0, [50 * MS])
    by_name = {r.signal: r for r in rep.ic}
    assert set(by_name) == {"ofi", "ofi_norm", "microprice"}  # no trades: no aggressive vol
    assert math.isnan(by_name["ofi"].ic)


def test_ic_of_microprice_when_imbalance_drives_the_next_move() -> None:
    rng = np.random.default_rng(10)
    n = 4_000
    imb = rng.uniform(0.05, 0.95, size=n)
    moves = np.where(rng.uniform(size=n) < imb, 1.0, -1.0)  # heavy bid → up more often
    mid = 100.0 + np.concatenate([[0.0], np.cumsum(moves[:-1])])
    b = book(np.arange(n, dtype=np.int64) * 10 * MS, mid, bid_sz=imb, ask_sz=1.0 - imb)
    rep = signal_ic.analyse(market(b), 1.0, [10 * MS])
    micro = next(r for r in rep.ic if r.signal == "microprice")
    assert micro.ic > 0.3
    assert micro.significant


def test_aggressive_volume_is_evaluated_when_trades_exist() -> None:
    n = 200
    ns = np.arange(n, dtype=np.int64) * 100 * MS
    trades = TradeSeries(ns[::2] + 1, np.full(n // 2, 100.0), np.ones(n // 2),
                         np.arange(n // 2) % 3 == 0)
    rep = signal_ic.analyse(market(book(ns, 100.0 + np.arange(n) % 3), trades), 1.0, [S])
    assert any(r.signal == "aggressive_volume" for r in rep.ic)


# ---------------------------------------------------------------- micro-price


def test_microprice_fit_learns_the_direction_of_imbalance() -> None:
    rng = np.random.default_rng(11)
    n = 20_000
    imb = rng.uniform(0.01, 0.99, size=n)
    moves = np.where(rng.uniform(size=n) < 0.3, np.where(rng.uniform(size=n) < imb, 1.0, -1.0),
                     0.0)
    mid = 100.0 + np.concatenate([[0.0], np.cumsum(moves[:-1])])
    b = book(np.arange(n, dtype=np.int64) * MS, mid, bid_sz=imb, ask_sz=1.0 - imb)
    fit = microprice_fit.fit(b, 1.0, n_imbalance=4, n_spread=1)
    row = fit.model.adjustment_ticks[0]
    assert row[0] is not None
    assert row[3] is not None
    assert row[0] < 0.0 < row[3]
    assert microprice_fit.agrees_with_weighted_mid(fit.model) == [True]
    assert fit.spread_share[1] == 1.0
    assert len(fit.table()) == 4


def test_leadlag_refuses_series_that_do_not_overlap() -> None:
    lead, lag = lead_lag_pair(10, n=5_000)
    later = book(lag.ns + 10 * S, lag.mid, coin="F")
    with pytest.raises(ValueError, match="overlap too little"):
        leadlag_xcorr.analyse(lead, later, shifts=0)
