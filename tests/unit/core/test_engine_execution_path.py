"""Engine wiring of the order path: gateway answers, timers, operator commands, the rule
that an engine with an order path trades only after reconciling with the venue, and the
one gate every action of a router's plan (place, modify, cancel) passes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import msgspec

from hyperliquid_ofi_trader.config.loader import load_config
from hyperliquid_ofi_trader.config.risk_schema import RiskLimits
from hyperliquid_ofi_trader.core.events import (
    AccountSnapshot,
    AnyEvent,
    CancelAck,
    ControlCommand,
    FeedStatus,
    GatewayEvent,
    OrderAck,
    Timer,
)
from hyperliquid_ofi_trader.core.stages import (
    CancelIntent,
    ModifyIntent,
    OrderIntent,
    PlanIntent,
    Tif,
    may_add_exposure,
)
from hyperliquid_ofi_trader.core.state import TradingState, allowed_in
from hyperliquid_ofi_trader.risk.exposure import ExposureGate
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import Instrument
from tests.unit.core.test_engine import (
    MS,
    SETTINGS,
    FakeGate,
    FakeKill,
    FakeSink,
    Rig,
    bbo,
    feed,
)


class RecordingListener:
    def __init__(self) -> None:
        self.gateway: list[GatewayEvent] = []
        self.timers: list[int] = []

    def on_gateway(self, event: GatewayEvent) -> None:
        self.gateway.append(event)

    def on_timer(self, now_ns: int) -> None:
        self.timers.append(now_ns)


class OperatorKill(FakeKill):
    """Like risk.kill_switch.KillSwitch: fires on "kill", clears on "resume", sees all events."""

    def __init__(self) -> None:
        super().__init__()
        self.fired: str | None = None

    def check(self, event: AnyEvent, now_ns: int) -> str | None:
        if isinstance(event, ControlCommand):
            self.fired = "operator_kill" if event.command == "kill" else None
        return self.fired


def snapshot(t_ms: int) -> AccountSnapshot:
    return AccountSnapshot(exchange_ns=0, local_ns=t_ms * MS, user="0xabc", open_orders=(),
                           positions=(), recent_fills=(), account_value=1e5, withdrawable=1e5)


def control(command: str, t_ms: int) -> ControlCommand:
    return ControlCommand(exchange_ns=0, local_ns=t_ms * MS, command=command, reason="test")


def test_gateway_events_reach_listeners_and_timers_carry_clock_time(tmp_path: Path) -> None:
    listener = RecordingListener()
    rig = Rig(tmp_path, gateway_listeners=[listener], timer_listeners=[listener])
    ack = OrderAck(exchange_ns=0, local_ns=5 * MS, cloid="0x" + "0" * 32, oid=7,
                   outcome="resting", filled_size=0.0, avg_px=0.0, error="")
    cancel = CancelAck(exchange_ns=0, local_ns=6 * MS, coin="ETH", cloid=None, oid=7, ok=True,
                       error="")
    rig.send(ack, cancel, Timer(exchange_ns=0, local_ns=9 * MS, name="tick"))
    assert listener.gateway == [ack, cancel]
    assert listener.timers == [9 * MS]


def test_no_order_before_the_account_is_reconciled(tmp_path: Path) -> None:
    rig = Rig(tmp_path, gateway_listeners=[RecordingListener()])
    rig.send(bbo("ETH", 1))
    assert rig.sink.submitted == []
    assert rig.reader().decisions()[-1].reason.startswith("awaiting reconciliation")
    rig.send(snapshot(2), bbo("ETH", 3))
    assert len(rig.sink.submitted) == 1


def test_reconnect_resumes_only_after_reconciliation(tmp_path: Path) -> None:
    from hyperliquid_ofi_trader.core.engine import EngineSettings

    settings = EngineSettings.from_config(load_config(), coins=SETTINGS.coins,
                                          traded=SETTINGS.traded, lead=SETTINGS.lead,
                                          auto_resume_on_feed_recovery=True)
    rig = Rig(tmp_path, settings=settings, gateway_listeners=[RecordingListener()])
    rig.send(snapshot(1), feed(FeedStatus.DOWN, "", 2))
    assert rig.state() is TradingState.REDUCING
    rig.send(feed(FeedStatus.UP, "", 3))
    assert rig.state() is TradingState.REDUCING  # the feed is back, the account is not
    submitted = len(rig.sink.submitted)
    rig.send(bbo("ETH", 4))
    assert len(rig.sink.submitted) == submitted
    rig.send(snapshot(5))
    assert rig.state() is TradingState.ACTIVE


def test_operator_kill_halts_and_resume_reaches_the_kill_switch_first(tmp_path: Path) -> None:
    kill = OperatorKill()
    rig = Rig(tmp_path, kill_switch=kill)
    rig.send(control("kill", 1))
    assert rig.state() is TradingState.HALTED
    assert rig.sink.cancels, "halting must cancel every order"
    rig.send(bbo("ETH", 2))
    assert rig.sink.submitted == []
    rig.send(control("resume", 3))
    assert rig.state() is TradingState.ACTIVE
    assert kill.fired is None
    rig.send(bbo("ETH", 4))
    assert rig.state() is TradingState.ACTIVE  # no re-halt on the next event
    assert len(rig.sink.submitted) == 1


def test_unknown_or_pointless_control_is_counted(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    events: list[AnyEvent] = [control("resume", 1), control("explode", 2)]
    rig.send(*events)
    assert rig.state() is TradingState.ACTIVE
    rejections = rig.engine.snapshot().rejections
    assert rejections == {"control_resume_ignored": 1, "control_explode_ignored": 1}


def test_a_recovered_stream_needs_reconciliation_before_trading(tmp_path: Path) -> None:
    rig = Rig(tmp_path, gateway_listeners=[RecordingListener()])
    rig.send(snapshot(1), bbo("ETH", 2))
    placed = len(rig.sink.submitted)
    assert placed == 1
    rig.send(feed(FeedStatus.STALE, "bbo:ETH", 3), feed(FeedStatus.RECOVERED, "bbo:ETH", 4))
    rig.engine.resume("operator after the stale feed")
    rig.send(bbo("ETH", 5))
    assert len(rig.sink.submitted) == placed  # pushes may have been lost while silent
    rig.send(snapshot(6), bbo("ETH", 7))
    assert len(rig.sink.submitted) == placed + 1


# ---------------------------------------------------------------- plans: one gate for all


class PlanRouter:
    """Wants the same plan on every decision, whatever the state."""

    def __init__(self, plan: tuple[PlanIntent, ...]) -> None:
        self.plan = plan

    def route(self, coin: str, alpha: float, ofi: float | None,
              position: float) -> Sequence[PlanIntent]:
        return self.plan


def _modify(cloid: str, reduce_only: bool) -> ModifyIntent:
    return ModifyIntent(coin="ETH", cloid=cloid, is_buy=False, size=0.01, price=2500.5,
                        tif=Tif.ALO, reduce_only=reduce_only, tag="requote:behind_touch")


def _place(reduce_only: bool) -> OrderIntent:
    return OrderIntent(coin="ETH", is_buy=False, size=0.01, price=2500.0, tif=Tif.IOC,
                       reduce_only=reduce_only, tag="test")


PLAN: tuple[PlanIntent, ...] = (
    _modify("0xm1", reduce_only=False), _modify("0xm2", reduce_only=True),
    _place(reduce_only=False), _place(reduce_only=True),
    CancelIntent(coin="ETH", cloid="0xc1", tag="requote:alpha_flipped"))


def test_active_sends_the_whole_plan_through_the_gate_under_one_decision(
        tmp_path: Path) -> None:
    gate = FakeGate()
    rig = Rig(tmp_path, router=PlanRouter(PLAN), risk_gate=gate)
    rig.send(bbo("ETH", 1))
    ((did, sent),) = rig.sink.submitted
    assert sent == PLAN
    with rig.reader() as r:
        (row,) = r.decisions()
    assert row.id == did
    assert [a.get("action") for a in row.inputs["approved"]] == [
        "modify", "modify", None, None, "cancel"]
    assert row.inputs["approved"][0]["cloid"] == "0xm1"


def test_reducing_lets_through_only_cancels_and_reduce_only_actions(tmp_path: Path) -> None:
    gate = FakeGate()
    rig = Rig(tmp_path, router=PlanRouter(PLAN), risk_gate=gate)
    rig.engine.reduce("test")
    rig.send(bbo("ETH", 1))
    ((did, submitted),) = rig.sink.submitted
    sent: tuple[PlanIntent, ...] = submitted  # the fake sink's type only knows places
    # The quote that is not reduce-only is pulled, not moved; the new order that could
    # add exposure is dropped; what cannot add exposure goes on, in the plan's order.
    assert sent == (CancelIntent(coin="ETH", cloid="0xm1", tag="reducing:requote:behind_touch"),
                    PLAN[1], PLAN[3], PLAN[4])
    assert not any(may_add_exposure(i) for i in sent)
    assert gate.states == [TradingState.REDUCING]
    with rig.reader() as r:
        (row,) = r.decisions()
    assert row.id == did
    assert len(row.inputs["intents"]) == len(PLAN)  # what the router wanted, journaled
    assert [a.get("action") for a in row.inputs["approved"]] == [
        "cancel", "modify", None, "cancel"]


def test_reducing_with_nothing_allowed_is_a_skip(tmp_path: Path) -> None:
    rig = Rig(tmp_path, router=PlanRouter((_place(False),)))
    rig.engine.reduce("test")
    rig.send(bbo("ETH", 1))
    assert rig.sink.submitted == []
    with rig.reader() as r:
        (row,) = r.decisions()
    assert row.reason == "trading state REDUCING: only reduce-only intents may pass"


def test_halted_allows_only_cancels() -> None:
    kept = allowed_in(TradingState.HALTED, PLAN)
    assert all(isinstance(i, CancelIntent) for i in kept)
    assert [i.cloid for i in kept if isinstance(i, CancelIntent)] == ["0xm1", "0xm2", "0xc1"]
    assert allowed_in(TradingState.ACTIVE, PLAN) is PLAN


def test_a_halted_engine_never_asks_the_router(tmp_path: Path) -> None:
    rig = Rig(tmp_path, router=PlanRouter(PLAN))
    rig.engine.halt("test")
    rig.send(bbo("ETH", 1))
    assert rig.sink.submitted == []
    assert rig.sink.cancels  # cancel_all on the way into HALTED


class PullingSink(FakeSink):
    def __init__(self) -> None:
        super().__init__()
        self.pulled: list[str] = []

    def cancel_exposing(self, reason: str) -> int:
        self.pulled.append(reason)
        return 1


def test_entering_reducing_asks_the_sink_to_pull_exposing_orders(tmp_path: Path) -> None:
    sink = PullingSink()
    rig = Rig(tmp_path, order_sink=sink)
    rig.send(feed(FeedStatus.DOWN, "", 1))
    assert rig.state() is TradingState.REDUCING
    assert len(sink.pulled) == 1
    assert sink.pulled[0].startswith("feed down on connection")
    rig.engine.reduce("again")  # already REDUCING: no transition, nothing more
    assert len(sink.pulled) == 1
    rig.engine.halt("test")  # HALTED cancels everything instead
    assert sink.cancels
    assert len(sink.pulled) == 1


class _Flat:
    account_value: float | None = 100_000.0

    def position(self, coin: str) -> float:
        return 0.0

    def coins(self) -> tuple[str, ...]:
        return ()


def test_a_refused_modify_is_journaled_with_its_reason(tmp_path: Path) -> None:
    limits = RiskLimits(max_position_usd={"ETH": 1e6}, max_total_notional_usd=1e6,
                              max_leverage=100.0, max_order_usd=1e6, max_orders_per_minute=1)
    eth = Instrument(name="ETH", asset=1, sz_decimals=4, max_leverage=25)
    positions = _Flat()
    gate = ExposureGate(limits, positions, lambda coin: 2500.0, {"ETH": eth})
    off_tick = ModifyIntent(coin="ETH", cloid="0xm1", is_buy=True, size=0.01, price=2500.05,
                            tif=Tif.ALO, tag="requote:behind_touch")
    on_tick = msgspec.structs.replace(off_tick, cloid="0xm2", price=2500.1)
    rig = Rig(tmp_path, router=PlanRouter((off_tick, on_tick, on_tick)), positions=positions,
              risk_gate=gate)
    rig.send(bbo("ETH", 1))
    ((_, submitted),) = rig.sink.submitted
    sent: tuple[PlanIntent, ...] = submitted
    assert sent == (on_tick,)  # the second on-tick move is over the 1/min budget
    with rig.reader() as r:
        (row,) = r.decisions()
    assert [(i["action"], why.split(":")[0]) for i, why in row.inputs["rejected"]] == [
        ("modify", "off_tick"), ("modify", "rate_limit")]
