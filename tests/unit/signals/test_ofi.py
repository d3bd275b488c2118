"""OFI: hand-computed Level-1 events, rolling windows, multi-level, integrated, normalisation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hyperliquid_ofi_trader.core.events import BookSnapshot, Side
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.signals.ofi import (
    IntegratedOFI,
    MultiLevelOFI,
    OFICalculator,
    OFINormalizer,
    RollingSum,
    fit_integrated_weights,
    l1_ofi_event,
    normalise_weights,
    vol_in_ticks,
)
from tests.mirror_view import MirrorView

BID, ASK = Side.BID, Side.ASK


def make_book() -> OrderBook:
    """Bid 100 x 5 (then 99.5 x 3), ask 101 x 4 (then 101.5 x 6)."""
    book = OrderBook("BTC")
    for side, px, sz in ((BID, 100.0, 5.0), (BID, 99.5, 3.0), (ASK, 101.0, 4.0),
                         (ASK, 101.5, 6.0)):
        book.apply_diff(side, px, sz)
    return book


def initialised(book: OrderBook) -> OFICalculator:
    calc = OFICalculator(book)
    assert calc.update() == 0.0  # first call only records the state
    return calc


# Each case: the diffs applied after the initial book, and the hand-computed OFI event.
CASES = {
    "bid price up": ([(BID, 100.5, 2.0)], 2.0),               # +qb
    "bid price down": ([(BID, 100.0, 0.0)], -5.0),            # −qb' (new best 99.5 not counted)
    "bid unchanged, size up": ([(BID, 100.0, 8.0)], 3.0),     # qb − qb'
    "bid unchanged, size down": ([(BID, 100.0, 1.0)], -4.0),
    "ask price up": ([(ASK, 101.0, 0.0)], 4.0),               # +qa'
    "ask price down": ([(ASK, 100.7, 1.0)], -1.0),            # −qa
    "ask unchanged, size up": ([(ASK, 101.0, 9.0)], -5.0),    # −qa + qa'
    "ask unchanged, size down": ([(ASK, 101.0, 1.0)], 3.0),
    "bid up and ask down": ([(BID, 100.5, 2.0), (ASK, 100.7, 3.0)], 2.0 - 3.0),
    "bid down and ask up": ([(BID, 100.0, 0.0), (ASK, 101.0, 0.0)], -5.0 + 4.0),
    "both sizes change": ([(BID, 100.0, 7.0), (ASK, 101.0, 2.0)], 2.0 + 2.0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_l1_ofi_hand_computed(name: str) -> None:
    diffs, expected = CASES[name]
    book = make_book()
    calc = initialised(book)
    for side, px, sz in diffs:
        book.apply_diff(side, px, sz)
    assert calc.update() == pytest.approx(expected)
    assert calc.update() == 0.0  # nothing changed since


@pytest.mark.parametrize("name", list(CASES))
def test_mirrored_book_negates_ofi(name: str) -> None:
    diffs, expected = CASES[name]
    book = make_book()
    calc = initialised(book)
    mirror = initialised_mirror(book)
    for side, px, sz in diffs:
        book.apply_diff(side, px, sz)
    assert mirror.update() == pytest.approx(-calc.update())
    assert calc.events == 1 or expected == 0.0


def initialised_mirror(book: OrderBook) -> OFICalculator:
    calc = OFICalculator(MirrorView(book))
    calc.update()
    return calc


def test_pure_function_matches_formula() -> None:
    # bid up, ask up at once: +qb (bid) + qa' (ask)
    assert l1_ofi_event(101, 2, 102, 7, 100, 5, 101, 4) == 2 + 4
    # nothing moved
    assert l1_ofi_event(100, 5, 101, 4, 100, 5, 101, 4) == 0.0


def test_snapshot_with_unchanged_top_adds_nothing() -> None:
    book = OrderBook("BTC")
    snap = BookSnapshot(exchange_ns=1, local_ns=1, coin="BTC",
                        bids=((100.0, 5.0, 1), (99.0, 1.0, 1)), asks=((101.0, 4.0, 1),))
    book.apply_snapshot(snap)
    calc = initialised(book)
    deeper = BookSnapshot(exchange_ns=2, local_ns=2, coin="BTC",
                          bids=((100.0, 5.0, 1), (99.0, 9.0, 2)), asks=((101.0, 4.0, 1),))
    assert book.apply_snapshot(deeper) == 1
    assert calc.update() == 0.0
    assert calc.events == 0


def test_empty_side_is_rejected_and_reinitialises() -> None:
    book = make_book()
    calc = initialised(book)
    book.apply_diff(ASK, 101.0, 0.0)
    book.apply_diff(ASK, 101.5, 0.0)
    assert calc.update() == 0.0
    assert calc.rejected == 1
    book.apply_diff(ASK, 105.0, 50.0)
    assert calc.update() == 0.0  # re-initialised: no jump from the gap
    book.apply_diff(ASK, 105.0, 40.0)
    assert calc.update() == pytest.approx(10.0)


def test_reset_forgets_previous_state() -> None:
    book = make_book()
    calc = initialised(book)
    calc.reset()
    book.apply_diff(BID, 100.5, 2.0)
    assert calc.update() == 0.0
    book.apply_diff(BID, 100.5, 3.0)
    assert calc.update() == pytest.approx(1.0)


# ------------------------------------------------------------------ rolling sums


def test_rolling_sum_evicts_on_exchange_time() -> None:
    rs = RollingSum(window_ns=1_000)
    rs.add(1.0, 0)
    rs.add(2.0, 500)
    assert rs.total() == 3.0
    rs.add(4.0, 1_000)  # the value at 0 is exactly one window old: out of (0, 1000]
    assert rs.total() == 6.0
    assert rs.advance(1_499) == 6.0
    assert rs.advance(1_500) == 4.0
    assert rs.advance(2_000) == 0.0
    assert len(rs) == 0


def test_rolling_sum_clamps_late_values_and_rejects_nan() -> None:
    rs = RollingSum(window_ns=100)
    rs.add(1.0, 1_000)
    assert rs.add(2.0, 900)  # older stamp: counted at the latest time
    assert rs.clamped == 1
    assert rs.advance(1_099) == 3.0
    assert rs.advance(1_100) == 0.0
    assert not rs.add(math.nan, 1_200)
    assert not rs.add(math.inf, 1_200)
    assert rs.rejected == 2
    assert rs.total() == 0.0


def test_rolling_sum_stays_exact_over_many_evictions() -> None:
    rng = np.random.default_rng(7)
    values = rng.normal(0, 1e6, 5_000)
    rs = RollingSum(window_ns=50)
    for i, v in enumerate(values):
        rs.add(float(v), i)
    assert rs.total() == pytest.approx(math.fsum(values[-50:]), abs=1e-6)


def test_rolling_sum_rejects_bad_window() -> None:
    with pytest.raises(ValueError, match="positive"):
        RollingSum(0)


# ------------------------------------------------------------------ multi-level / integrated


def test_multi_level_hand_computed() -> None:
    book = make_book()
    ml = MultiLevelOFI(book, levels=3)
    assert ml.update() == (0.0, 0.0, 0.0)
    book.apply_diff(BID, 99.5, 4.0)   # level 2 bid size +1
    book.apply_diff(ASK, 102.0, 2.0)  # level 3 ask appears (was missing: +inf, 0) → −2
    assert ml.update() == pytest.approx((0.0, 1.0, -2.0))
    assert ml.update() == (0.0, 0.0, 0.0)


def test_multi_level_first_level_equals_l1() -> None:
    book = make_book()
    ml, l1 = MultiLevelOFI(book, levels=2), OFICalculator(book)
    ml.update()
    l1.update()
    for side, px, sz in ((BID, 100.5, 2.0), (ASK, 101.0, 0.0), (BID, 100.5, 7.0),
                         (ASK, 100.8, 1.0)):
        book.apply_diff(side, px, sz)
        assert ml.update()[0] == pytest.approx(l1.update())


def test_multi_level_rejects_bad_levels_arg() -> None:
    with pytest.raises(ValueError, match="at least one level"):
        MultiLevelOFI(make_book(), levels=0)


def test_fit_integrated_weights_recovers_first_component() -> None:
    rng = np.random.default_rng(3)
    loading = np.array([3.0, 2.0, 1.0])
    x = rng.normal(size=(4_000, 1)) * loading + rng.normal(scale=0.05, size=(4_000, 3))
    w = fit_integrated_weights(x)
    assert np.abs(w).sum() == pytest.approx(1.0)
    np.testing.assert_allclose(w, loading / loading.sum(), atol=0.01)
    np.testing.assert_allclose(fit_integrated_weights(-x), w, atol=1e-12)  # sign convention


def test_fit_integrated_weights_errors() -> None:
    with pytest.raises(ValueError, match="2-D"):
        fit_integrated_weights(np.zeros(5))
    with pytest.raises(ValueError, match="at least 2"):
        fit_integrated_weights(np.array([[1.0, 2.0], [np.nan, 1.0]]))
    with pytest.raises(ValueError, match="no variance"):
        fit_integrated_weights(np.ones((10, 3)))


def test_integrated_ofi_is_weighted_multi_level() -> None:
    book = make_book()
    integ = IntegratedOFI(book, [2.0, 2.0])  # normalised to (0.5, 0.5)
    assert integ.weights == (0.5, 0.5)
    integ.update()
    book.apply_diff(BID, 100.0, 7.0)   # level 1: +2
    book.apply_diff(BID, 99.5, 7.0)    # level 2: +4
    assert integ.update() == pytest.approx(3.0)
    with pytest.raises(ValueError, match="finite"):
        normalise_weights([0.0, 0.0])


# ------------------------------------------------------------------ normalisation


def test_normalizer_formula_and_guards() -> None:
    norm = OFINormalizer(vol_floor=0.5)
    assert norm.scale(10.0, 5.0, 2.0) == pytest.approx(1.0)      # 10 / (5 · 2)
    assert norm.scale(10.0, 5.0) == pytest.approx(2.0)           # depth only
    assert norm.scale(10.0, 5.0, 0.0) == pytest.approx(4.0)      # vol floored at 0.5
    for depth, vol in ((0.0, 1.0), (-1.0, 1.0), (math.nan, 1.0), (5.0, math.nan),
                       (5.0, -1.0), (math.inf, 1.0)):
        assert norm.scale(10.0, depth, vol) == 0.0
    assert norm.scale(math.nan, 5.0, 1.0) == 0.0
    assert norm.rejected == 7
    with pytest.raises(ValueError, match="vol_floor"):
        OFINormalizer(vol_floor=0.0)


def test_normalizer_makes_coins_comparable() -> None:
    # Same flow relative to depth and volatility → same scaled value, whatever the coin's size.
    norm = OFINormalizer()
    assert norm.scale(50.0, 100.0, 2.0) == pytest.approx(norm.scale(0.5, 1.0, 2.0))


def test_vol_in_ticks() -> None:
    # 1e-4 per sqrt(s) over 4 s at mid 50,000, tick 1 → 1e-4 · 2 · 50,000 = 10 ticks
    assert vol_in_ticks(1e-4, 50_000.0, 1.0, 4.0) == pytest.approx(10.0)
    assert math.isnan(vol_in_ticks(1e-4, 50_000.0, 0.0, 4.0))
