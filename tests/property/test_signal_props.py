"""Property tests for the signals: OFI antisymmetry and bounds, window sums, signal bounds."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.core.events import Side
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.signals.aggressive_volume import AggressiveVolume
from hyperliquid_ofi_trader.signals.microprice import (
    MicropriceModel,
    MicropriceSignal,
    fit_microprice,
    weighted_mid,
)
from hyperliquid_ofi_trader.signals.ofi import (
    MultiLevelOFI,
    OFICalculator,
    RollingSum,
    l1_ofi_event,
)
from hyperliquid_ofi_trader.signals.signal_state import SignalState
from tests.mirror_view import MirrorView

FAST = settings(max_examples=150, deadline=None)

prices = st.integers(min_value=1, max_value=60).map(float)
sizes = st.floats(min_value=0.001, max_value=1e4, allow_nan=False)
any_floats = st.floats(allow_nan=True, allow_infinity=True)


@FAST
@given(prices, sizes, prices, sizes, prices, sizes, prices, sizes)
def test_l1_event_antisymmetric_and_bounded(pb: float, qb: float, pa: float, qa: float,
                                            pb0: float, qb0: float, pa0: float,
                                            qa0: float) -> None:
    e = l1_ofi_event(pb, qb, pa, qa, pb0, qb0, pa0, qa0)
    mirrored = l1_ofi_event(-pa, qa, -pb, qb, -pa0, qa0, -pb0, qb0)
    assert mirrored == -e
    assert abs(e) <= qb + qb0 + qa + qa0


diffs = st.lists(
    st.tuples(st.sampled_from([Side.BID, Side.ASK]), st.integers(1, 20).map(float),
              st.one_of(st.just(0.0), sizes)),
    min_size=1, max_size=40,
)


@FAST
@given(diffs)
def test_calculator_on_mirrored_book_negates(seq: list[tuple[Side, float, float]]) -> None:
    book = OrderBook("X")
    calc, mirror = OFICalculator(book), OFICalculator(MirrorView(book))
    ml, ml_mirror = MultiLevelOFI(book, 3), MultiLevelOFI(MirrorView(book), 3)
    for side, px, sz in seq:
        book.apply_diff(side, px, sz)
        assert mirror.update() == -calc.update()
        assert ml_mirror.update() == tuple(-v for v in ml.update())


@FAST
@given(st.lists(st.tuples(st.integers(0, 50), st.floats(-1e6, 1e6)), max_size=80),
       st.integers(1, 200))
def test_rolling_sum_matches_brute_force(steps: list[tuple[int, float]], window: int) -> None:
    rs = RollingSum(window)
    t, seen = 0, []
    for dt, v in steps:
        t += dt
        rs.add(v, t)
        seen.append((t, v))
        brute = math.fsum(x for ts, x in seen if ts > t - window)
        assert math.isclose(rs.total(), brute, rel_tol=1e-9, abs_tol=1e-6)


@FAST
@given(st.lists(st.tuples(st.integers(0, 100), sizes, st.booleans()), max_size=60))
def test_aggressive_volume_in_bounds(trades: list[tuple[int, float, bool]]) -> None:
    av = AggressiveVolume(window_ns=500)
    t = 0
    for dt, size, is_buy in trades:
        t += dt
        av.on_trade(size, is_buy, t)
        assert -1.0 <= av.value() <= 1.0


@FAST
@given(prices, sizes, st.integers(1, 5).map(float), sizes)
def test_weighted_mid_inside_spread_and_mirror(pb: float, qb: float, width: float,
                                               qa: float) -> None:
    pa = pb + width
    w = weighted_mid(pb, qb, pa, qa)
    assert pb <= w <= pa
    sig = MicropriceSignal(None, tick=1.0)
    d = sig.update(pb, qb, pa, qa)
    assert -1.0 <= sig.half_spread_units <= 1.0
    # Mirror (bid ↔ ask, prices reflected around a constant to stay positive).
    assert sig.update(1_000.0 - pa, qa, 1_000.0 - pb, qb) == -d


@cache
def fitted_model() -> MicropriceModel:
    rng = np.random.default_rng(0)
    n = 20_000
    imb = rng.random(n)
    mid = 1_000.0 + np.concatenate([[0.0], np.cumsum(np.where(rng.random(n - 1) < 0.1,
                                                              np.sign(imb[:-1] - 0.5), 0.0))])
    spread = rng.integers(1, 3, n).astype(np.float64)
    return fit_microprice(imb, spread, mid, tick=1.0, n_imbalance=5, n_spread=2)


@FAST
@given(st.integers(100, 500).map(float), sizes, st.integers(1, 2).map(float), sizes)
def test_fitted_micro_price_mirror_negates(pb: float, qb: float, width: float,
                                           qa: float) -> None:
    sig = MicropriceSignal(fitted_model())
    d = sig.update(pb, qb, pb + width, qa)
    assert sig.update(1_000.0 - pb - width, qa, 1_000.0 - pb, qb) == -d
    assert sig.fallbacks == 0


@FAST
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), any_floats, st.integers(0, 100))))
def test_signal_state_only_reports_finite(sets: list[tuple[str, float, int]]) -> None:
    s = SignalState({"a": 50, "b": 10})
    t = 0
    for name, value, dt in sets:
        t += dt
        s.set(name, value, t)
        fresh = s.fresh(t)
        assert set(fresh) <= {"a", "b"}
        assert all(math.isfinite(v) for v in fresh.values())
