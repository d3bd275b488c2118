"""Liquidity regime: hysteresis, dwell time, hard faults, threshold validation."""

from __future__ import annotations

import itertools
import math

import pytest

from hyperliquid_ofi_trader.config.models import LiquidityRegimeThresholds
from hyperliquid_ofi_trader.core.events import BookSnapshot, Side
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.regime.liquidity import LiquidityRegime
from hyperliquid_ofi_trader.regime.state import LiquidityLevel, Reason, RegimeConfigError

S = 1_000_000_000


class FakeBook:
    """A book reduced to what the regime reads: mid 100, a chosen spread and depth."""

    def __init__(self, coin: str = "ETH") -> None:
        self.coin = coin
        self.exchange_ns = 0
        self.bid: float | None = 99.995
        self.ask: float | None = 100.005
        self.total_depth = 100.0

    def set(self, t_ns: int, depth: float, spread_bps: float = 1.0) -> FakeBook:
        half = 100.0 * spread_bps / 1e4 / 2
        self.exchange_ns = t_ns
        self.bid, self.ask = 100.0 - half, 100.0 + half
        self.total_depth = depth
        return self

    def mid(self) -> float | None:
        if self.bid is None or self.ask is None:
            return None
        return (self.bid + self.ask) / 2

    def best_bid(self) -> tuple[float, float] | None:
        return None if self.bid is None else (self.bid, self.total_depth / 2)

    def best_ask(self) -> tuple[float, float] | None:
        return None if self.ask is None else (self.ask, self.total_depth / 2)

    def depth(self, levels: int = 5) -> float:
        return self.total_depth

    def levels(self, side: Side, n: int) -> list[tuple[float, float]]:
        top = self.best_bid() if side == Side.BID else self.best_ask()
        return [top] if top is not None and n > 0 else []


def make(dwell_ns: int = 0) -> LiquidityRegime:
    return LiquidityRegime(
        enter_depth=50.0, exit_depth=30.0, enter_spread_bps=2.0, exit_spread_bps=5.0,
        min_dwell_ns=dwell_ns, depth_levels=5,
    )


def test_starts_thin_without_data() -> None:
    reg = make()
    assert not reg.tradable()
    assert reg.reason == Reason.LIQ_NO_DATA


def test_enters_when_deep_and_tight() -> None:
    reg = make()
    assert reg.update(FakeBook().set(S, depth=60.0, spread_bps=1.0)) is LiquidityLevel.LIQUID
    assert reg.tradable()
    assert reg.reason is None
    assert reg.depth == 60.0
    assert reg.spread_bps == pytest.approx(1.0)


def test_inside_band_does_not_enter_nor_exit() -> None:
    reg = make()
    book = FakeBook()
    reg.update(book.set(S, depth=40.0))  # between exit (30) and enter (50): stays THIN
    assert not reg.tradable()
    assert reg.reason == Reason.LIQ_THIN_DEPTH
    reg.update(book.set(2 * S, depth=60.0))
    assert reg.tradable()
    reg.update(book.set(3 * S, depth=40.0))  # inside the band: stays LIQUID
    assert reg.tradable()
    reg.update(book.set(4 * S, depth=60.0, spread_bps=3.0))  # spread inside its band
    assert reg.tradable()


def test_exit_on_thin_depth_and_on_wide_spread() -> None:
    reg = make()
    book = FakeBook()
    reg.update(book.set(S, depth=60.0))
    reg.update(book.set(2 * S, depth=29.0))
    assert not reg.tradable()
    assert reg.reason == Reason.LIQ_THIN_DEPTH
    reg.update(book.set(3 * S, depth=60.0))
    reg.update(book.set(4 * S, depth=60.0, spread_bps=6.0))
    assert not reg.tradable()
    assert reg.reason == Reason.LIQ_WIDE_SPREAD


def test_enter_needs_tight_spread_too() -> None:
    reg = make()
    reg.update(FakeBook().set(S, depth=60.0, spread_bps=3.0))
    assert not reg.tradable()
    assert reg.reason == Reason.LIQ_WIDE_SPREAD


@pytest.mark.parametrize("threshold", [50.0, 30.0])
def test_oscillation_around_one_threshold_never_flaps(threshold: float) -> None:
    # Depth wobbling +-1 around either threshold every 100 ms never crosses the whole band.
    reg = make(dwell_ns=0)
    book = FakeBook()
    reg.update(book.set(1, depth=60.0))  # start LIQUID
    start_level = reg.level
    for i in range(1000):
        reg.update(book.set(2 + i * 100_000_000, depth=threshold + (1.0 if i % 2 else -1.0)))
    changes = reg.switches - 1  # minus the initial entry
    if threshold == 50.0:
        assert changes == 0
        assert reg.level is start_level
    else:
        assert changes == 1
        assert reg.level is LiquidityLevel.THIN


def test_full_band_oscillation_is_limited_by_dwell() -> None:
    # Crossing the whole band every 100 ms for 10 s: with a 2 s dwell at most one switch
    # per 2 s (5 in 10 s, plus the initial entry).
    reg = make(dwell_ns=2 * S)
    book = FakeBook()
    switch_times: list[int] = []
    for i in range(100):
        t = i * 100_000_000
        before = reg.switches
        reg.update(book.set(t, depth=60.0 if i % 2 == 0 else 20.0))
        if reg.switches != before:
            switch_times.append(t)
    assert len(switch_times) >= 2
    gaps = [b - a for a, b in itertools.pairwise(switch_times)]
    assert all(g >= 2 * S for g in gaps)
    assert len(switch_times) <= 6


def test_dwell_holds_entry_and_reports_it() -> None:
    reg = make(dwell_ns=5 * S)
    book = FakeBook()
    reg.update(book.set(S, depth=60.0))  # first switch is never held
    reg.update(book.set(2 * S, depth=10.0))  # exit condition, but dwell holds LIQUID
    assert reg.tradable()
    reg.update(book.set(6 * S, depth=10.0))  # dwell over: exits
    assert not reg.tradable()
    reg.update(book.set(7 * S, depth=60.0))
    assert not reg.tradable()
    assert reg.reason == Reason.LIQ_DWELL
    reg.update(book.set(11 * S, depth=60.0))
    assert reg.tradable()


def test_empty_side_forces_thin_despite_dwell() -> None:
    reg = make(dwell_ns=60 * S)
    book = FakeBook().set(S, depth=60.0)
    reg.update(book)
    book.ask = None
    book.exchange_ns = 2 * S
    reg.update(book)
    assert not reg.tradable()
    assert reg.reason == Reason.LIQ_NO_BOOK
    assert math.isnan(reg.depth)


def test_crossed_or_locked_book_forces_thin() -> None:
    reg = make(dwell_ns=60 * S)
    book = FakeBook().set(S, depth=60.0)
    reg.update(book)
    book.bid, book.ask = 100.0, 100.0
    reg.update(book)
    assert not reg.tradable()
    assert reg.reason == Reason.LIQ_CROSSED


def test_nan_depth_is_no_book() -> None:
    reg = make()
    reg.update(FakeBook().set(S, depth=math.nan))
    assert not reg.tradable()
    assert reg.reason == Reason.LIQ_NO_BOOK


def test_time_never_goes_backwards() -> None:
    reg = make(dwell_ns=5 * S)
    book = FakeBook()
    reg.update(book.set(10 * S, depth=60.0))
    reg.update(book.set(3 * S, depth=10.0))  # older stamp: time stays at 10 s
    assert reg.now_ns == 10 * S
    assert reg.tradable()  # still within the dwell of the switch at 10 s


def test_with_real_orderbook() -> None:
    book = OrderBook("ETH")
    bids = tuple((2500.0 - i * 0.1, 10.0, 1) for i in range(5))
    asks = tuple((2500.1 + i * 0.1, 10.0, 1) for i in range(5))
    book.apply_snapshot(BookSnapshot(exchange_ns=S, local_ns=S, coin="ETH", bids=bids,
                                     asks=asks))
    reg = make()
    reg.update(book)
    assert reg.depth == pytest.approx(100.0)
    assert reg.spread_bps == pytest.approx(0.1 / 2500.05 * 1e4)
    assert reg.tradable()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"enter_depth": 30.0, "exit_depth": 30.0},  # no depth band
        {"enter_depth": 20.0, "exit_depth": 30.0},  # inverted depth band
        {"enter_spread_bps": 5.0, "exit_spread_bps": 5.0},
        {"enter_spread_bps": 6.0},
        {"min_dwell_ns": -1},
        {"depth_levels": 0},
        {"enter_depth": math.nan},
        {"exit_spread_bps": math.inf},
        {"exit_depth": -1.0},
    ],
)
def test_constructor_rejects_bad_thresholds(kwargs: dict[str, float]) -> None:
    base: dict[str, float] = {"enter_depth": 50.0, "exit_depth": 30.0, "enter_spread_bps": 2.0,
                              "exit_spread_bps": 5.0, "min_dwell_ns": 0, "depth_levels": 5}
    base.update(kwargs)
    with pytest.raises(RegimeConfigError):
        LiquidityRegime(**base)  # type: ignore[arg-type]


def test_from_config_builds_the_same_regime_in_ns() -> None:
    section = LiquidityRegimeThresholds(enter_depth=50.0, exit_depth=30.0, enter_spread_bps=2.0,
                                        exit_spread_bps=5.0, min_dwell_ms=2000, depth_levels=5)
    reg = LiquidityRegime.from_config(section)
    assert reg.min_dwell_ns == 2 * S
    reg.update(FakeBook().set(S, depth=60.0))
    assert reg.tradable()
