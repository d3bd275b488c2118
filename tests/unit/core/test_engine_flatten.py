"""Flattening on halt (risk.yaml flatten_on_kill) passes the one gate every order action
passes: what REDUCING lets through, the risk gate's rules and budget, then the sink under a
journaled decision of its own. Nothing reaches the venue around it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hyperliquid_ofi_trader.config.risk_schema import RiskLimits
from hyperliquid_ofi_trader.core.engine import Outcome
from hyperliquid_ofi_trader.core.events import Funding, Timer, UserFills
from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.core.state import TradingState
from hyperliquid_ofi_trader.risk.exposure import ExposureGate
from hyperliquid_ofi_trader.risk.flatten import FLATTEN_TAG, Flattener
from hyperliquid_ofi_trader.runtime.assembly import build_markets
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import Instrument
from tests.unit.core.test_engine import MS, SETTINGS, FakeGate, FakeKill, Rig, bbo

ETH = Instrument(name="ETH", asset=1, sz_decimals=4, max_leverage=25)


class Held:
    """Positions as the position book gives them (the gate reads one, the flattener all)."""

    account_value: float | None = 100_000.0

    def __init__(self, **sizes: float) -> None:
        self.sizes = sizes

    def position(self, coin: str) -> float:
        return self.sizes.get(coin, 0.0)

    def coins(self) -> tuple[str, ...]:
        return tuple(self.sizes)


def _gate(held: Held, *, max_order_usd: float = 200.0, per_minute: int = 60) -> ExposureGate:
    limits = RiskLimits(max_position_usd={"ETH": 1e4}, max_total_notional_usd=1e4,
                        max_leverage=10.0, max_order_usd=max_order_usd,
                        max_orders_per_minute=per_minute)
    return ExposureGate(limits, held, lambda coin: 2500.0, {"ETH": ETH})


def _rig(tmp_path: Path, held: Held, gate: object, kill: object = None,
         busy: Callable[[str], bool] | None = None) -> Rig:
    markets = build_markets(SETTINGS)
    flatten = Flattener(lambda: dict(held.sizes), {c: m.book for c, m in markets.items()},
                        {"ETH": ETH}, 10.0, 200.0, busy=busy)
    return Rig(tmp_path, positions=held, risk_gate=gate, kill_switch=kill, markets=markets,
               flatten=flatten)


def test_a_halt_flattens_through_the_gate_under_a_decision_of_its_own(tmp_path: Path) -> None:
    held = Held(ETH=-0.3)  # ~$750 short: four buys of ~$188, each within max_order_usd
    rig = _rig(tmp_path, held, _gate(held))
    rig.send(bbo("ETH", 1))
    rig.sink.submitted.clear()
    rig.engine.halt("desk says stop")
    assert rig.sink.cancels == ["operator: desk says stop"]
    ((did, orders),) = rig.sink.submitted
    assert did > 0  # a decision id of its own, never 0
    assert [(o.is_buy, o.reduce_only, o.tif, o.tag) for o in orders
            ] == [(True, True, Tif.IOC, FLATTEN_TAG)] * 4
    assert sum(round(o.size * 1e4) for o in orders) == 3000
    with rig.reader() as r:
        row = r.decisions()[-1]
    assert (row.id, row.coin, row.trigger, row.outcome) == (did, "ETH", "halt",
                                                            Outcome.SUBMIT)
    assert row.trading_state == "HALTED"
    assert row.reason == "flatten on halt (round 1): 4 of 4 order(s) approved"
    assert row.inputs["halt"] == "manual_halt: operator: desk says stop"
    assert len(row.inputs["approved"]) == 4
    assert rig.engine.snapshot().outcomes[Outcome.SUBMIT] == 2  # the bbo's and the flatten


def test_the_gate_refuses_what_breaks_its_rules_and_nothing_else_leaves(tmp_path: Path) -> None:
    held = Held(ETH=0.3)
    # One order a minute: the bbo's decision spends it, so every flatten order is refused.
    rig = _rig(tmp_path, held, _gate(held, per_minute=1))
    rig.send(bbo("ETH", 1))
    assert len(rig.sink.submitted) == 1
    rig.engine.halt("test")
    assert len(rig.sink.submitted) == 1  # nothing more reached the sink
    with rig.reader() as r:
        row = r.decisions()[-1]
    assert (row.trigger, row.outcome) == ("halt", Outcome.REJECTED)
    assert row.reason == ("flatten on halt (round 1): 0 of 4 order(s) approved (rate_limit: "
                          "1 orders in the last 60 s)")
    assert [why.split(":")[0] for _, why in row.inputs["rejected"]] == ["rate_limit"] * 4


def test_the_gate_judges_flattening_under_reducing_rules(tmp_path: Path) -> None:
    held = Held(ETH=0.3)
    gate = FakeGate()
    rig = _rig(tmp_path, held, gate)
    rig.send(bbo("ETH", 1))  # a touch to price against (its decision is judged ACTIVE)
    rig.engine.halt("test")
    # Reduce-only passes under REDUCING; under HALTED the gate would pass none.
    assert gate.states == [TradingState.ACTIVE, TradingState.REDUCING]


def test_a_kill_switch_halt_flattens_too(tmp_path: Path) -> None:
    held = Held(ETH=0.05)
    kill = FakeKill()
    kill.trip_at = bbo("ETH", 2).local_ns
    rig = _rig(tmp_path, held, _gate(held), kill)
    rig.send(bbo("ETH", 1), bbo("ETH", 2), bbo("ETH", 3))
    assert rig.state() is TradingState.HALTED
    (flatten_call,) = [s for s in rig.sink.submitted if s[1][0].tag == FLATTEN_TAG]
    with rig.reader() as r:
        rows = {d.id: d for d in r.decisions()}
    assert rows[flatten_call[0]].inputs["halt"].startswith("kill_switch: ")


def test_flat_or_not_configured_sends_nothing(tmp_path: Path) -> None:
    flat = Held(ETH=0.0)
    rig = _rig(tmp_path, flat, _gate(flat))
    rig.send(bbo("ETH", 1))
    sent = list(rig.sink.submitted)
    rig.engine.halt("test")
    assert rig.sink.submitted == sent
    held = Held(ETH=0.3)
    plain = Rig(tmp_path / "plain", positions=held, risk_gate=_gate(held))  # flatten off
    plain.send(bbo("ETH", 1))
    sent = list(plain.sink.submitted)
    plain.engine.halt("test")
    assert plain.sink.submitted == sent
    with plain.reader() as r:
        assert [d.trigger for d in r.decisions()] == ["Bbo"]


def test_without_a_risk_gate_flattening_is_never_sent_unchecked(tmp_path: Path) -> None:
    held = Held(ETH=0.3)
    rig = _rig(tmp_path, held, None)
    rig.send(bbo("ETH", 1))  # a touch to price against (its decision sends nothing either)
    rig.engine.halt("test")
    assert rig.sink.submitted == []
    with rig.reader() as r:
        row = r.decisions()[-1]
    assert (row.outcome, row.trigger) == (Outcome.NOT_CONFIGURED, "halt")


def _timer(t_ms: int) -> Timer:
    return Timer(exchange_ns=0, local_ns=t_ms * MS, name="status")


def _answer(t_ms: int) -> UserFills:
    """An answer about our fills: the venue is still settling."""
    return UserFills(exchange_ns=0, local_ns=t_ms * MS, user="0xabc", is_snapshot=False,
                     fills=())


def _funding(t_ms: int) -> Funding:
    return Funding(exchange_ns=0, local_ns=t_ms * MS, coin="ETH", usdc=0.0, size=0.3,
                   funding_rate=0.0)


def test_a_coin_is_closed_once_nothing_of_ours_in_it_is_live_and_answers_settle(
        tmp_path: Path) -> None:
    held = Held(ETH=0.3)
    live = {"ETH": True}  # an IOC in flight at the halt: it may still fill
    rig = _rig(tmp_path, held, FakeGate(), busy=lambda coin: live[coin])
    rig.send(bbo("ETH", 1))
    sent = len(rig.sink.submitted)
    rig.engine.halt("test")
    rig.send(_timer(2_000))
    assert len(rig.sink.submitted) == sent  # still live: nothing yet
    live["ETH"] = False
    held.sizes["ETH"] = 0.35  # its fill landed
    rig.send(_answer(2_500), _timer(3_000))
    assert len(rig.sink.submitted) == sent  # an answer 0.5 s ago: not settled yet
    rig.send(_funding(3_400), _timer(3_600))  # funding says nothing about our orders
    ((_, orders),) = rig.sink.submitted[sent:]
    assert sum(round(o.size * 1e4) for o in orders) == 3500  # what the position became


def test_rounds_are_bounded_per_halt(tmp_path: Path) -> None:
    held = Held(ETH=0.3)  # the fake sink never fills: every round finds the same position
    rig = _rig(tmp_path, held, FakeGate())
    rig.send(bbo("ETH", 1))
    sent = len(rig.sink.submitted)
    rig.engine.halt("test")  # round 1
    rig.send(*(_timer(1_000 * k) for k in range(2, 12)))
    assert len(rig.sink.submitted) - sent == 5
    with rig.reader() as r:
        rows = [d for d in r.decisions() if d.trigger == "halt"]
    assert [d.reason.split(")")[0] for d in rows] == [
        f"flatten on halt (round {k}" for k in range(1, 6)]
    # Round 1 at the halt; each later one stamped with the timer that asked (2 s, 3 s, ...).
    assert [d.local_ns // MS for d in rows[1:]] == [2_000, 3_000, 4_000, 5_000]
    rig.engine.resume("test")
    rig.engine.halt("again")  # a new halt: its own rounds
    assert len(rig.sink.submitted) - sent == 6


def test_nothing_is_flattened_on_positions_the_venue_has_not_confirmed(
        tmp_path: Path) -> None:
    held = Held(ETH=0.3)
    rig = _rig(tmp_path, held, FakeGate())
    rig.send(bbo("ETH", 1))
    sent = len(rig.sink.submitted)
    rig.engine.gate._awaiting = True  # a reconnect: the account must be reconciled first
    rig.engine.halt("test")
    rig.send(_timer(3_000))
    assert len(rig.sink.submitted) == sent
    rig.engine.gate.reconciled()
    rig.send(_timer(4_000))
    assert len(rig.sink.submitted) == sent + 1
