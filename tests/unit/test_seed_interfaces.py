"""The seed's interfaces, called exactly as the seed writes them, beside the fast ones: each
class default-constructible from the packaged config (issue 10, item 9)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from hyperliquid_ofi_trader.config.packaged import packaged_config
from hyperliquid_ofi_trader.core.events import Side
from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.core.state import TradingState
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.execution.router import ExecutionRouter
from hyperliquid_ofi_trader.regime.liquidity import LiquidityRegime
from hyperliquid_ofi_trader.risk.kill_switch import KillSwitch
from hyperliquid_ofi_trader.signals.leadlag import LeadLagSignal
from hyperliquid_ofi_trader.signals.ofi import OFICalculator, OFINormalizer
from tests.unit.core.test_engine import Rig, bbo

COIN = packaged_config().symbols.traded[0]


def _book(bid: float = 3000.0, ask: float = 3000.1, size: float = 20.0,
          levels: int = 5) -> OrderBook:
    """A book built the seed's way: string sides, one level at a time."""
    book = OrderBook(depth=5)
    for i in range(levels):
        book.apply_diff("bid", round(bid - i * 0.1, 1), size)
        book.apply_diff("ask", round(ask + i * 0.1, 1), size)
    return book


# ---------------------------------------------------------------- data: OrderBook


def test_orderbook_as_the_seed_builds_and_reads_it() -> None:
    book = OrderBook(depth=5)
    assert book.coin == COIN  # the packaged config's traded coin
    book.apply_diff("bid", 3000.0, 2.0)
    book.apply_diff("ask", 3000.5, 1.5)
    book.apply_diff("bid", 2999.5, 4.0)
    assert book.best_bid() == (3000.0, 2.0)
    assert book.best_ask() == (3000.5, 1.5)
    assert book.depth(levels=5) == 7.5
    assert book.depth() == 7.5
    book.apply_diff("bid", 3000.0, 0.0)  # size 0 removes the level
    assert book.best_bid() == (2999.5, 4.0)


def test_the_book_depth_setting_is_what_depth_sums_by_default() -> None:
    book = OrderBook(depth=1)
    book.apply_diff("bid", 100.0, 1.0)
    book.apply_diff("bid", 99.0, 5.0)
    assert book.depth() == 1.0
    assert book.depth(levels=2) == 6.0
    with pytest.raises(ValueError, match="depth must be a positive number of levels"):
        OrderBook(depth=0)


def test_the_fast_interface_still_works_beside_the_seed_one() -> None:
    book = OrderBook("BTC")
    book.apply_diff(Side.BID, 60000.0, 1.0)
    book.apply_diff("ASK", 60001.0, 1.0)  # any case
    book.apply_diff("b", 59999.0, 1.0)  # the venue's own letters
    book.apply_diff("asks", 60002.0, 1.0)
    assert book.best_bid() == (60000.0, 1.0)
    assert book.best_ask() == (60001.0, 1.0)
    assert book.level_count(Side.BID) == 2


@pytest.mark.parametrize(("side", "price", "size", "reason"), [
    ("mid", 100.0, 1.0, "bad_side"),
    (None, 100.0, 1.0, "bad_side"),
    (2, 100.0, 1.0, "bad_side"),
    (True, 100.0, 1.0, "bad_side"),
    ("bid", "100", 1.0, "bad_level"),
    ("ask", 100.0, None, "bad_level"),
    ("bid", float("nan"), 1.0, "bad_level"),
    ("bid", 100.0, -1.0, "bad_level"),
])
def test_bad_input_to_apply_diff_is_counted_never_raised(side: object, price: object,
                                                         size: object, reason: str) -> None:
    book = OrderBook(depth=5)
    book.apply_diff(side, price, size)  # type: ignore[arg-type]
    assert book.rejections == {reason: 1}
    assert book.best_bid() is None
    assert book.best_ask() is None


# ---------------------------------------------------------------- signals: OFI


def test_ofi_calculator_on_the_seed_book() -> None:
    book = _book(size=10.0, levels=1)
    ofi = OFICalculator(book)
    assert ofi.update() == 0.0  # first look: nothing to compare with
    book.apply_diff("bid", 3000.0, 13.0)  # 3 more bid at an unchanged best bid
    assert ofi.update() == 3.0
    book.apply_diff("ask", 3000.1, 4.0)  # 6 less ask at an unchanged best ask
    assert ofi.update() == 6.0


def test_ofi_normalizer_scale_as_written() -> None:
    norm = OFINormalizer()
    assert norm.scale(6.0, 3.0, 2.0) == 1.0
    assert norm.scale(6.0, 3.0, 0.0) == 4.0  # a flat market is floored, not divided by 0
    assert norm.scale(6.0, 0.0, 1.0) == 0.0
    assert norm.scale("6", 3.0, 1.0) == 0.0  # type: ignore[arg-type]
    assert norm.rejected == 2


# ---------------------------------------------------------------- regime: liquidity


def test_liquidity_regime_update_and_tradable_as_written() -> None:
    regime = LiquidityRegime()
    assert regime.tradable() is False  # no data yet
    deep = _book(size=20.0)  # 200 ETH on 5 levels, 0.33 bps wide: above the config's bar
    regime.update(deep)
    assert regime.tradable() is True
    thin = LiquidityRegime()
    thin.update(_book(size=1.0))  # 10 ETH: under the packaged enter depth
    assert thin.tradable() is False


# ---------------------------------------------------------------- signals: lead-lag


def _warm(sig: LeadLagSignal, n: int = 60) -> None:
    for i in range(n):
        wiggle = 1e-5 * math.sin(i)
        assert sig.update(60000.0 * (1 + wiggle), 3000.0 * (1 - wiggle)) == 0


def test_leadlag_update_with_two_mids_as_written() -> None:
    sig = LeadLagSignal()
    cfg = packaged_config()
    pair = cfg.symbols.lead_lag[0]
    assert (sig.lead_coin, sig.lag_coin) == (pair.lead, pair.lag)
    assert sig.window_ns == pair.window_ms * 1_000_000
    assert sig.update(60000.0, 3000.0) == 0  # warming up
    assert sig.update(float("nan"), 3000.0) == 0
    assert sig.rejected == 1


@pytest.mark.parametrize(("jump", "expect"), [(1.003, 1), (0.997, -1)])
def test_leadlag_two_mid_form_signals_a_lead_move_the_lag_has_not_followed(
        jump: float, expect: int) -> None:
    # Each time-less call is one observation a block after the previous: a tight loop of
    # calls is judged as the same sequence of blocks, every time.
    sig = LeadLagSignal()
    _warm(sig)
    assert sig.update(60000.0 * jump, 3000.0) == expect


def test_leadlag_two_mid_form_a_lead_move_the_lag_followed_is_no_signal() -> None:
    sig = LeadLagSignal()
    _warm(sig)
    assert sig.update(60000.0 * 1.003, 3000.0 * 1.003) == 0


def test_leadlag_two_mid_form_with_a_real_clock() -> None:
    ticks = iter(range(0, 10**12, 40_000_000))  # 40 ms apart, as a live caller might be
    sig = LeadLagSignal(clock=lambda: next(ticks))
    _warm(sig)
    assert sig.update(60000.0 * 1.003, 3000.0) == 1


# ---------------------------------------------------------------- execution: router


def test_router_route_as_written() -> None:
    router = ExecutionRouter()
    assert router.route(0.5, 1.0, 0.0) == ()  # its own books are empty: nothing to price
    assert router.last_reason.startswith("no_price")
    book = router.books[COIN]
    assert isinstance(book, OrderBook)
    for level in range(3):
        book.apply_diff("bid", round(3000.0 - level * 0.1, 1), 20.0)
        book.apply_diff("ask", round(3000.1 + level * 0.1, 1), 20.0)
    (intent,) = router.route(0.5, 1.0, 0.0)
    assert (intent.coin, intent.is_buy, intent.tif) == (COIN, True, Tif.ALO)
    assert intent.price == 3000.0


class PositionState:
    def __init__(self, pos: dict[str, float]) -> None:
        self.pos = pos

    def position(self, coin: str) -> float:
        return self.pos.get(coin, 0.0)


def test_router_position_state_forms_and_the_fast_call() -> None:
    router = ExecutionRouter(books={COIN: _book()})
    short = -0.02
    by_number = router.route(0.5, 1.0, short)
    by_mapping = router.route(0.5, 1.0, {COIN: short})
    by_source = router.route(0.5, 1.0, PositionState({COIN: short}))
    fast = router.route(COIN, 0.5, 1.0, short)
    assert by_number == by_mapping == by_source == fast
    (intent,) = fast
    assert intent.reduce_only  # buying against a short position reduces it
    assert router.route(0.5, 1.0, True) == ()  # a bool is no position
    assert router.last_reason.startswith("bad_position")


# ---------------------------------------------------------------- risk: kill switch


def test_kill_switch_check_on_a_mapping_of_trigger_inputs() -> None:
    kill = KillSwitch()
    assert kill.check({}) is False
    assert kill.check({"feed_lag_ms": 10.0, "daily_pnl_usd": 5.0}) is False
    assert kill.check({"consecutive_slippage_fills": 1, "depth_vanish_fraction": 0.1,
                       "daily_loss_usd": 1.0, "operator_kill": False}) is False
    assert kill.check({"feed_lag_ms": 60_000.0}) is True
    assert kill.fired_code == "feed_lag"
    assert kill.check({}) is True  # latched until an operator resets it
    kill.reset(0)
    assert kill.check({}) is False


@pytest.mark.parametrize(("inputs", "code"), [
    ({"order_rtt_ms": 1e9}, "order_rtt"),
    ({"depth": 1.0, "avg_depth": 100.0}, "depth_vanish"),
    ({"slippage_bps": [0.0, 500.0, 500.0, 500.0, 500.0, 500.0]}, "consecutive_slippage"),
    ({"feed_age_ms": 1e9}, "stale_feed"),
    ({"daily_pnl_usd": -1e9}, "daily_loss"),
    ({"operator_kill": True}, "operator_kill"),
    ({"feed_lag_ms": float("nan")}, "feed_lag"),  # unreadable: fail safe
    ({"depth": "deep", "avg_depth": 1.0}, "depth_vanish"),
    ({"consecutive_slippage_fills": 99}, "consecutive_slippage"),
    ({"depth_vanish_fraction": 0.99}, "depth_vanish"),
    ({"daily_loss_usd": 1e9}, "daily_loss"),
])
def test_each_trigger_fires_from_its_input(inputs: dict[str, object], code: str) -> None:
    kill = KillSwitch()
    assert kill.check(inputs) is True
    assert kill.fired_code == code


def test_an_unknown_trigger_input_is_named() -> None:
    with pytest.raises(ValueError, match=r"unknown kill switch input\(s\) \['feed_lag'\]"):
        KillSwitch().check({"feed_lag": 10_000})


def test_kill_switch_check_on_the_engine_snapshot(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.send(bbo("ETH", 1))
    kill = KillSwitch()
    assert kill.check(rig.engine.snapshot()) is False
    rig.engine.halt("test")
    snap = rig.engine.snapshot()
    assert snap.trading_state is TradingState.HALTED
    assert kill.check(snap) is True
    assert kill.fired is None  # the engine halted for its own reason: nothing latched
    assert kill.check(bbo("ETH", 2), 2_000_000) is None  # the engine's form, beside it


# ---------------------------------------------------------------- alpha and feedback
# `AlphaCombiner().compute(signals, regime)` (keys "leadlag", "ofi", "av") and
# `SignalTrust().update(ofi, fill, slippage)` / `.weight()` belong to the engineer who
# rewrites alpha/combiner.py and feedback/trust_score.py: their cases go here.


def test_alpha_combiner_compute_as_written() -> None:
    from hyperliquid_ofi_trader.alpha.combiner import AlphaCombiner

    combiner = AlphaCombiner()  # weights from the packaged thresholds.yaml
    up = combiner.compute({"leadlag": 1.0, "ofi": 0.5, "av": 0.2}, "normal")  # type: ignore[arg-type]
    down = combiner.compute({"leadlag": -1.0, "ofi": -0.5, "av": -0.2}, None)  # type: ignore[arg-type]
    assert 0.0 < up <= 1.0
    assert down == pytest.approx(-up)
    # "av" is the seed's key for the taker imbalance ("aggressive_volume" today).
    only_av = combiner.compute({"av": 0.9}, "normal")  # type: ignore[arg-type]
    assert only_av == pytest.approx(combiner.compute({"aggressive_volume": 0.9}, "normal"))  # type: ignore[arg-type]
    assert only_av > 0


def test_signal_trust_update_and_weight_as_written() -> None:
    from hyperliquid_ofi_trader.feedback.trust_score import SignalTrust

    trust = SignalTrust()  # the packaged forecast model as its prior
    fill = {"side": "B", "px": 3000.0, "sz": 0.1}
    assert trust.update(1.5, fill, 2.0)  # OFI at the decision, the fill, its markout (bps)
    w = trust.weight("ofi")
    assert 0.0 <= w <= 1.0
    assert not trust.update(math.nan, fill, 2.0)  # nothing learned from garbage
    assert 0.0 <= trust.weight("leadlag") <= 1.0
