"""The whole decision path with the order path wired in (runtime/execution_stack.py), on
the synthetic market, against a port that records what would be sent to the venue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from hyperliquid_ofi_trader.config.loader import build_config
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.commands import CancelOrder, ModifyOrder, PlaceOrder
from hyperliquid_ofi_trader.core.events import AccountSnapshot, AnyEvent, Timer
from hyperliquid_ofi_trader.core.journal import Journal, JournalReader
from hyperliquid_ofi_trader.data.coin_data import CoinData
from hyperliquid_ofi_trader.execution.order_store import OrderStore
from hyperliquid_ofi_trader.feedback.trust_score import SignalTrust
from hyperliquid_ofi_trader.runtime.assembly import Execution, Strategy, build_engine
from hyperliquid_ofi_trader.runtime.execution_stack import ExecutionStack, build_execution
from hyperliquid_ofi_trader.sim.scenarios import settings_for
from hyperliquid_ofi_trader.sim.synthetic import SyntheticMarket, SyntheticSettings


class RecordingPort:
    def __init__(self) -> None:
        self.placed: list[PlaceOrder] = []
        self.cancelled: list[CancelOrder] = []
        self.modified: list[ModifyOrder] = []
        self.scheduled: list[int | None] = []
        self.reconciles = 0

    def place(self, orders: Sequence[PlaceOrder]) -> None:
        self.placed.extend(orders)

    def cancel(self, cancels: Sequence[CancelOrder]) -> None:
        self.cancelled.extend(cancels)

    def modify(self, modifies: Sequence[ModifyOrder]) -> None:
        self.modified.extend(modifies)

    def query_order(self, coin: str, cloid: str | None, oid: int | None) -> None:
        pass

    def schedule_cancel(self, time_ms: int | None) -> None:
        self.scheduled.append(time_ms)

    def reconcile(self) -> None:
        self.reconciles += 1


def _account(local_ns: int) -> AccountSnapshot:
    return AccountSnapshot(exchange_ns=0, local_ns=local_ns, user="0x" + "1" * 40,
                           open_orders=(), positions=(), recent_fills=(),
                           account_value=100_000.0, withdrawable=100_000.0)


# The order path is under test, not the economics: the cheapest fee tier and no safety
# margins, on the market with a planted lead-lag edge, so that decisions do become orders.
_EAGER = {"thresholds.yaml": {
    "costs": {"fee_tier": 6, "maker_rebate_tier": 3, "adverse_prior_bps": 0.0,
              "expected_slippage_bps": 0.0, "min_margin_bps": 0.0, "uncertainty_k": 0.0},
    "forecast": {"min_evidence": 0.0}}}


def _run(tmp_path: Path, minutes: int) -> tuple[RecordingPort, ExecutionStack, Path]:
    cfg = build_config(_EAGER)
    clock = ReplayClock()
    port = RecordingPort()
    path = tmp_path / "journal.sqlite"
    trust = SignalTrust()
    stacks: list[ExecutionStack] = []
    with Journal(path) as journal:
        store = OrderStore(path)

        def factory(markets: Mapping[str, CoinData], strategy: Strategy) -> Execution:
            stack = build_execution(cfg, clock, markets, port, store, trust,
                                    strategy.signals.fresh)
            stacks.append(stack)
            return stack.execution

        engine, _ = build_engine(cfg, clock, journal, execution=factory, trust=trust)
        market = SyntheticMarket(settings_for("exploitable", SyntheticSettings().start_ns),
                                 seed=7)
        events: list[AnyEvent] = [_account(market.now_ns)]
        for _ in range(minutes * 600):
            events.extend(market.next_block())
            events.append(Timer(exchange_ns=0, local_ns=market.now_ns, name="tick"))
        for ev in events:
            clock.advance_to(ev.local_ns + 1)
            engine.on_event(ev)
        engine.flush()
        store.flush()
        store.close()
    return port, stacks[0], path


def test_decisions_become_orders_with_cloids_and_decision_ids(tmp_path: Path) -> None:
    port, stack, path = _run(tmp_path, minutes=2)
    assert port.placed, stack.summary()["router_skips"]
    tifs = {o.tif.value for o in port.placed}
    assert tifs <= {"Alo", "Ioc"}
    reader = JournalReader(path)
    for order in port.placed[:20]:
        assert order.cloid.startswith("0x")
        assert len(order.cloid) == 34
        decision = reader.decision(order.decision_id)
        assert decision is not None
        assert decision.outcome == "submit"
        assert decision.coin == order.coin == "ETH"
    assert len({o.cloid for o in port.placed}) == len(port.placed)


def test_an_unanswering_venue_halts_trading_and_cancels(tmp_path: Path) -> None:
    port, stack, _ = _run(tmp_path, minutes=1)
    # Nothing ever answers this port: the round-trip rule of the kill switch fires, every
    # live order is cancelled, and the dead man's switch had been armed meanwhile.
    assert (stack.kill.fired or "").startswith("order_rtt")
    assert stack.summary()["orders"]["counts"].get("cancel_all", 0) > 0
    assert port.cancelled
    assert port.scheduled
    assert all(t is None or t > 0 for t in port.scheduled)
