"""The whole system (engine, re-quoting router, risk gate, order manager) against the
simulated venue on the seeded synthetic market, with a port that records every order
action on its way to the venue together with the trading state it was sent in.

The venue acknowledges, rests and fills orders, so re-quotes (modifies of resting orders)
really happen: this is where a re-quote that bypasses the trading state shows."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hyperliquid_ofi_trader.backtest.event_queue import EventQueue
from hyperliquid_ofi_trader.backtest.gateway_simulated import SimulatedGateway
from hyperliquid_ofi_trader.backtest.runner import BacktestDriver, BacktestSettings, account_key
from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.config.models import AppConfig
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.commands import CancelOrder, ModifyOrder, PlaceOrder
from hyperliquid_ofi_trader.core.engine import Engine
from hyperliquid_ofi_trader.core.journal import Journal
from hyperliquid_ofi_trader.core.state import TradingState
from hyperliquid_ofi_trader.data.coin_data import CoinData
from hyperliquid_ofi_trader.execution.order_records import OrderManagerSettings
from hyperliquid_ofi_trader.feedback.trust_score import SignalTrust
from hyperliquid_ofi_trader.runtime.assembly import Execution, Strategy, build_engine
from hyperliquid_ofi_trader.runtime.execution_stack import ExecutionStack, build_execution
from hyperliquid_ofi_trader.sim.latency import LatencyModel
from hyperliquid_ofi_trader.sim.synthetic import SyntheticMarket
from hyperliquid_ofi_trader.sim.venue import SimVenue
from hyperliquid_ofi_trader.sim.wire_encode import encode_market_event
from hyperliquid_ofi_trader.venues.hyperliquid.asset_meta import AssetRegistry
from hyperliquid_ofi_trader.venues.hyperliquid.signing.nonce import NonceCounter
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec
from tests.plumbing import EAGER_COSTS

Action = PlaceOrder | ModifyOrder | CancelOrder


@dataclass(frozen=True, slots=True)
class Sent:
    """One order action as it left the order manager, and the state it left in."""

    state: TradingState
    action: Action

    def may_add_exposure(self) -> bool:
        """A place or a replacement that is not reduce-only could grow the position."""
        if isinstance(self.action, CancelOrder):
            return False
        order = self.action if isinstance(self.action, PlaceOrder) else self.action.replacement
        return not order.reduce_only


@dataclass(slots=True)
class RecordingPort:
    """A `CommandPort` that logs each action with the engine's state, then forwards it."""

    inner: SimulatedGateway
    state: Callable[[], TradingState] = lambda: TradingState.ACTIVE
    sent: list[Sent] = field(default_factory=list)

    def _log(self, actions: Sequence[Action]) -> None:
        now = self.state()
        self.sent.extend(Sent(now, a) for a in actions)

    def place(self, orders: Sequence[PlaceOrder]) -> None:
        self._log(orders)
        self.inner.place(orders)

    def cancel(self, cancels: Sequence[CancelOrder]) -> None:
        self._log(cancels)
        self.inner.cancel(cancels)

    def modify(self, modifies: Sequence[ModifyOrder]) -> None:
        self._log(modifies)
        self.inner.modify(modifies)

    def query_order(self, coin: str, cloid: str | None, oid: int | None) -> None:
        self.inner.query_order(coin, cloid, oid)

    def schedule_cancel(self, time_ms: int | None) -> None:
        self.inner.schedule_cancel(time_ms)

    def reconcile(self) -> None:
        self.inner.reconcile()


@dataclass(slots=True)
class SimRig:
    engine: Engine
    stack: ExecutionStack
    port: RecordingPort
    driver: BacktestDriver
    market: SyntheticMarket

    def run_blocks(self, n: int) -> None:
        """Publish `n` blocks of the synthetic market, received 1 ms after publication."""
        for _ in range(n):
            events = self.market.next_block()
            received_ns = self.market.now_ns + 1_000_000
            for event in events:
                self.driver.feed(received_ns, encode_market_event(event))

    def finish(self) -> None:
        self.driver.queue.run_all()

    def modifies(self) -> list[ModifyOrder]:
        return [s.action for s in self.port.sent if isinstance(s.action, ModifyOrder)]


def build_rig(journal: Journal, seed: int, cfg: AppConfig | None = None) -> SimRig:
    """The backtest's assembly (backtest/runner.py), with the recording port in front of
    the simulated gateway. `journal` must outlive the rig."""
    # The order path is under test, not the economics: the eager cost config (tests/plumbing.py)
    # so that decisions do become orders to re-quote.
    cfg = cfg or build_config({"thresholds.yaml": EAGER_COSTS})
    market = SyntheticMarket(seed=seed)
    clock = ReplayClock(market.now_ns)
    settings = BacktestSettings()
    queue = EventQueue(clock.now_ns() - settings.lookahead_ns)
    venue = SimVenue(settings.venue_settings(cfg), queue)
    key = account_key()
    venue.open_account(key.address)
    latency = LatencyModel(None, seed)
    holder: list[BacktestDriver] = []
    gateway = SimulatedGateway(venue, L1Signer(key, mainnet=venue.settings.mainnet),
                               NonceCounter(clock), AssetRegistry.from_meta(venue.meta()),
                               latency, queue, lambda ev: holder[0].deliver(ev))
    port = RecordingPort(gateway)
    stacks: list[ExecutionStack] = []
    trust = SignalTrust()

    def factory(markets: Mapping[str, CoinData], strategy: Strategy) -> Execution:
        stack = build_execution(cfg, clock, markets, port, None, trust,
                                strategy.signals.fresh, OrderManagerSettings.from_config(cfg))
        stacks.append(stack)
        return stack.execution

    engine, _ = build_engine(cfg, clock, journal, execution=factory, trust=trust)
    port.state = lambda: engine.state
    driver = BacktestDriver(engine, clock, queue, venue, gateway, latency,
                            HyperliquidCodec(frozenset(cfg.symbols.coins)), settings.lookahead_ns)
    holder.append(driver)
    return SimRig(engine, stacks[0], port, driver, market)


def journal_at(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "journal.sqlite")
