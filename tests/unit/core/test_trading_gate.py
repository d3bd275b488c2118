"""The one trading gate (core/state.py): state, unhealthy feeds, awaiting reconciliation,
the automatic resume, and the engine asking the order path to reconcile when it starts
waiting (the live runner no longer keeps its own copy of that rule)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from hyperliquid_ofi_trader.core.events import FeedStatus, GatewayEvent
from hyperliquid_ofi_trader.core.stages import (
    CancelIntent,
    ModifyIntent,
    OrderIntent,
    PlanIntent,
    Tif,
    may_add_exposure,
)
from hyperliquid_ofi_trader.core.state import (
    AWAITING_RECONCILIATION,
    TradingGate,
    TradingState,
    Trigger,
)
from tests.unit.core.test_engine import Rig, bbo, feed
from tests.unit.core.test_engine_execution_path import snapshot


class CountingReconciler:
    def __init__(self) -> None:
        self.calls = 0

    def reconcile(self) -> None:
        self.calls += 1


class NullListener:
    def on_gateway(self, event: GatewayEvent) -> None:
        pass


def _gate(*, reconciles: bool = True, auto: bool = False
          ) -> tuple[TradingGate, CountingReconciler]:
    rec = CountingReconciler()
    return TradingGate(reconciles=reconciles, auto_resume_on_feed_recovery=auto,
                       request_reconciliation=rec.reconcile), rec


# ---------------------------------------------------------------- the gate alone


def test_an_order_path_waits_for_the_account_from_the_start() -> None:
    gate, rec = _gate()
    assert gate.awaiting_reconciliation
    assert rec.calls == 0  # nothing is connected yet: the connection's UP asks
    gate.reconciled()
    assert not gate.awaiting_reconciliation


def test_a_reconnect_and_a_recovered_stream_restart_the_wait_and_ask_each_time() -> None:
    gate, rec = _gate()
    gate.reconciled()
    gate.feed_back("", FeedStatus.UP)
    assert (gate.awaiting_reconciliation, rec.calls) == (True, 1)
    gate.reconciled()
    gate.feed_lost("bbo:ETH")
    gate.feed_back("bbo:ETH", FeedStatus.RECOVERED)
    assert (gate.awaiting_reconciliation, rec.calls) == (True, 2)
    assert gate.unhealthy == ()


def test_a_channel_up_clears_it_without_a_reconciliation() -> None:
    gate, rec = _gate()
    gate.reconciled()
    gate.feed_lost("bbo:ETH")
    gate.feed_lost("trades:ETH")
    gate.feed_back("bbo:ETH", FeedStatus.UP)
    assert gate.unhealthy == ("trades:ETH",)
    assert (gate.awaiting_reconciliation, rec.calls) == (False, 0)
    gate.feed_back("", FeedStatus.UP)  # the client re-subscribed everything
    assert not gate.unhealthy


def test_without_an_order_path_nothing_is_awaited_or_asked() -> None:
    gate, rec = _gate(reconciles=False)
    assert not gate.awaiting_reconciliation
    gate.feed_back("", FeedStatus.UP)
    gate.feed_back("bbo:ETH", FeedStatus.RECOVERED)
    assert (gate.awaiting_reconciliation, rec.calls) == (False, 0)


def test_auto_resume_needs_every_condition() -> None:
    gate, _ = _gate(auto=True)
    gate.reconciled()
    gate.feed_lost("")
    gate.apply(Trigger.FEED_LOST, "down", 0, 1)
    assert gate.resume_reason() is None  # still unhealthy
    gate.feed_back("", FeedStatus.UP)
    assert gate.resume_reason() is None  # the account is not reconciled yet
    gate.reconciled()
    assert gate.resume_reason() == ("every needed feed is healthy and the account is "
                                    "reconciled")
    gate.apply(Trigger.STAGE_ERRORS_REDUCE, "errors", 0, 2)  # no-op: REDUCING, cause kept
    assert gate.cause is Trigger.FEED_LOST
    off, _ = _gate(auto=False)
    off.reconciled()
    off.apply(Trigger.FEED_LOST, "down", 0, 1)
    assert off.resume_reason() is None


def test_auto_resume_never_after_a_manual_reduce() -> None:
    gate, _ = _gate(reconciles=False, auto=True)
    gate.apply(Trigger.MANUAL_REDUCE, "operator", 0, 1)
    assert gate.resume_reason() is None


def test_admit_applies_the_state_and_the_regimes_exits_only_rule() -> None:
    gate, _ = _gate(reconciles=False)
    place = OrderIntent(coin="ETH", is_buy=True, size=1.0, price=1.0, tif=Tif.ALO)
    exit_ = OrderIntent(coin="ETH", is_buy=False, size=1.0, price=1.0, tif=Tif.IOC,
                        reduce_only=True)
    move = ModifyIntent(coin="ETH", cloid="0x1", is_buy=True, size=1.0, price=1.1,
                        tif=Tif.ALO, tag="requote")
    plan = (place, exit_, move)
    assert gate.admit(plan) is plan
    pulled = CancelIntent(coin="ETH", cloid="0x1", tag="reducing:requote")
    assert gate.admit(plan, exits_only=True) == (exit_, pulled)
    gate.apply(Trigger.MANUAL_HALT, "operator", 0, 1)
    assert gate.admit(plan) == (CancelIntent(coin="ETH", cloid="0x1", tag="halted:requote"),)


_CLOIDS = st.sampled_from(["0x1", "0x2", "0x3"])
_INTENTS: st.SearchStrategy[PlanIntent] = st.one_of(
    st.builds(OrderIntent, coin=st.just("ETH"), is_buy=st.booleans(), size=st.just(1.0),
              price=st.just(1.0), tif=st.sampled_from(list(Tif)), reduce_only=st.booleans(),
              tag=st.just("t")),
    st.builds(ModifyIntent, coin=st.just("ETH"), cloid=_CLOIDS, is_buy=st.booleans(),
              size=st.just(1.0), price=st.just(1.0), tif=st.sampled_from(list(Tif)),
              reduce_only=st.booleans(), tag=st.just("m")),
    st.builds(CancelIntent, coin=st.just("ETH"), cloid=_CLOIDS, tag=st.just("c")))
_TRIGGERS = {TradingState.ACTIVE: None, TradingState.REDUCING: Trigger.MANUAL_REDUCE,
             TradingState.HALTED: Trigger.MANUAL_HALT}


@given(plan=st.lists(_INTENTS, max_size=6).map(tuple),
       state=st.sampled_from(list(TradingState)), exits_only=st.booleans())
def test_admit_never_lets_exposure_through_a_degraded_gate(
        plan: tuple[PlanIntent, ...], state: TradingState, exits_only: bool) -> None:
    gate, _ = _gate(reconciles=False)
    trigger = _TRIGGERS[state]
    if trigger is not None:
        gate.apply(trigger, "test", 0, 1)
    kept = gate.admit(plan, exits_only=exits_only)
    if state is TradingState.ACTIVE and not exits_only:
        assert kept == plan
    else:
        assert not any(may_add_exposure(i) for i in kept)
    if state is TradingState.HALTED:
        assert all(isinstance(i, CancelIntent) for i in kept)
    # Every cancel survives, and every kept action is one the plan asked for on that order.
    assert [i for i in plan if isinstance(i, CancelIntent)] == [
        i for i in kept if isinstance(i, CancelIntent) and i.tag == "c"]
    assert {i.cloid for i in kept if not isinstance(i, OrderIntent)} <= {
        i.cloid for i in plan if not isinstance(i, OrderIntent)}
    assert len(kept) <= len(plan)
    assert gate.admit(kept, exits_only=exits_only) == kept  # filtering twice changes nothing


# ---------------------------------------------------------------- through the engine


def test_the_engine_asks_the_order_path_to_reconcile_when_it_starts_waiting(
        tmp_path: Path) -> None:
    rec = CountingReconciler()
    rig = Rig(tmp_path, gateway_listeners=[NullListener()], reconciler=rec)
    rig.send(feed(FeedStatus.UP, "", 1))
    assert rec.calls == 1
    rig.send(snapshot(2), bbo("ETH", 3))
    assert len(rig.sink.submitted) == 1
    rig.send(feed(FeedStatus.STALE, "bbo:ETH", 4), feed(FeedStatus.RECOVERED, "bbo:ETH", 5))
    assert rec.calls == 2
    assert rig.engine.gate.awaiting_reconciliation
    rig.engine.resume("operator")
    rig.send(bbo("ETH", 6))
    assert len(rig.sink.submitted) == 1
    assert rig.reader().decisions()[-1].reason == AWAITING_RECONCILIATION
    rig.send(feed(FeedStatus.UP, "bbo:ETH", 7))  # a channel-level UP: no new request
    assert rec.calls == 2


def test_an_engine_without_an_order_path_never_asks(tmp_path: Path) -> None:
    rec = CountingReconciler()
    rig = Rig(tmp_path, reconciler=rec)
    rig.send(feed(FeedStatus.UP, "", 1), bbo("ETH", 2))
    assert rec.calls == 0
    assert rig.state() is TradingState.ACTIVE
    assert len(rig.sink.submitted) == 1
