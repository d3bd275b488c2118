"""Build the order path (router, risk, order manager, feedback) for any venue port.

The live gateway, the emulator-backed gateway and the backtest's simulated gateway all
implement `core.commands.CommandPort`; this builder wires the same objects in front of
whichever one it is given, so every mode runs one decision path.

Command flow:  OrderManager → port (gateway); the dead man's switch arms first (resting
               guard), then the kill switch and the feedback probe hear "sent"
Event flow:    engine → kill switch tap (kill switch, dead man's switch, markouts)
               engine → private listeners (order manager, positions' funding, fill-rate
               statuses, costs' maker fills)
               order manager → fill listeners (positions, slippage, fill rate, markouts)
               engine → gateway listeners (order manager, account reconciler)
               engine → timer listeners (order manager timeouts, dead man's switch)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hyperliquid_ofi_trader.config.models import AppConfig
from hyperliquid_ofi_trader.core.clock import Clock
from hyperliquid_ofi_trader.core.commands import CommandPort
from hyperliquid_ofi_trader.core.events import (
    AccountSnapshot,
    AnyEvent,
    Bbo,
    BookSnapshot,
    GatewayEvent,
)
from hyperliquid_ofi_trader.data.coin_data import CoinData
from hyperliquid_ofi_trader.execution.costs import CostModel, cost_settings
from hyperliquid_ofi_trader.execution.order_manager import OrderManager, OrderManagerSettings
from hyperliquid_ofi_trader.execution.order_store import OrderStore
from hyperliquid_ofi_trader.execution.requoting import RequotingRouter
from hyperliquid_ofi_trader.execution.router import ExecutionRouter, RouterSettings
from hyperliquid_ofi_trader.feedback.entry_latency import EntryLatency
from hyperliquid_ofi_trader.feedback.fill_costs import ExitFillMix, IocSlippage
from hyperliquid_ofi_trader.feedback.fill_rate import FillRateTracker
from hyperliquid_ofi_trader.feedback.markouts import Markouts
from hyperliquid_ofi_trader.feedback.probe import FeedbackProbe
from hyperliquid_ofi_trader.feedback.slippage import SlippageTracker
from hyperliquid_ofi_trader.feedback.trust_score import SignalTrust
from hyperliquid_ofi_trader.risk.dead_mans_switch import (
    DeadMansSwitch,
    DmsKind,
)
from hyperliquid_ofi_trader.risk.exposure import ExposureGate
from hyperliquid_ofi_trader.risk.flatten import Flattener
from hyperliquid_ofi_trader.risk.kill_switch import (
    KillSwitch,
    marks_from_books,
)
from hyperliquid_ofi_trader.risk.position import PositionBook
from hyperliquid_ofi_trader.runtime.assembly import Execution
from hyperliquid_ofi_trader.runtime.persistence_watch import PersistenceWatch

SignalsOf = Callable[[str], Mapping[str, float] | None]
# Built once: `isinstance(event, BookSnapshot | Bbo)` built the union on every event.
_BOOK_EVENTS = (BookSnapshot, Bbo)


class EventTap:
    """The engine's kill-switch slot: every event passes here first.

    Besides the kill switch itself, two observers need to see every event without being
    pipeline stages: the dead man's switch (any venue message proves the venue is alive)
    and the markouts (mid moves after each fill, on exchange time).
    """

    __slots__ = ("dms", "kill", "markouts")

    def __init__(self, kill: KillSwitch, dms: DeadMansSwitch, markouts: Markouts) -> None:
        self.kill, self.dms, self.markouts = kill, dms, markouts

    def check(self, event: AnyEvent, now_ns: int) -> str | None:
        self.dms.observe(event)
        if isinstance(event, _BOOK_EVENTS):
            self.markouts.on_market(event)
        return self.kill.check(event, now_ns)


class AccountReconciler:
    """Gateway listener: the venue's account snapshot is the truth for positions and the
    account value the exposure gate sizes against."""

    __slots__ = ("discrepancies", "positions")

    def __init__(self, positions: PositionBook) -> None:
        self.positions = positions
        self.discrepancies = 0

    def on_gateway(self, event: GatewayEvent) -> None:
        if isinstance(event, AccountSnapshot):
            self.discrepancies += len(self.positions.reconcile(event))


class DeadMansSwitchDriver:
    """Timer listener: keeps the venue's scheduleCancel armed while orders rest, and
    cancels everything from our side when the venue refuses it and goes quiet."""

    __slots__ = ("dms", "orders", "port")

    def __init__(self, dms: DeadMansSwitch, orders: OrderManager, port: CommandPort) -> None:
        self.dms, self.orders, self.port = dms, orders, port

    def on_timer(self, now_ns: int) -> None:
        action = self.dms.on_timer(now_ns, self.orders.live_count() > 0)
        if action.kind is DmsKind.ARM:
            self.port.schedule_cancel(action.time_ms)
        elif action.kind is DmsKind.CLEAR:
            self.port.schedule_cancel(None)
        elif action.kind is DmsKind.CANCEL_ALL:
            self.orders.cancel_all(action.reason)


class OrderStoreFlusher:
    """Timer listener: commits the order store's batch a few times a second, so a crash
    loses at most the last fraction of a second of order and fill rows."""

    __slots__ = ("orders",)

    def __init__(self, orders: OrderManager) -> None:
        self.orders = orders

    def on_timer(self, now_ns: int) -> None:
        self.orders.flush()


@dataclass(frozen=True, slots=True)
class ExecutionStack:
    """Everything on the order path, kept for status views and the run summary."""

    execution: Execution
    orders: OrderManager
    positions: PositionBook
    router: RequotingRouter
    gate: ExposureGate
    kill: KillSwitch
    dms: DeadMansSwitch
    slippage: SlippageTracker
    fill_rate: FillRateTracker
    markouts: Markouts
    trust: SignalTrust
    reconciler: AccountReconciler
    costs: CostModel | None = None  # fees (tier or the venue's userFees), adverse selection

    def summary(self) -> dict[str, Any]:
        return {"orders": self.orders.summary(), "positions": self.positions.summary(),
                "router_skips": dict(self.router.router.skips),
                "router_routed": dict(self.router.router.routed),
                "requotes": dict(self.router.requoted),
                "gate_rejections": dict(self.gate.rejections),
                "kill_switch": {"fired": self.kill.fired, "fires": dict(self.kill.fires)},
                "dead_mans_switch": self.dms.explain(),
                "slippage_bps": self.slippage.summary(), "fill_rate": self.fill_rate.summary(),
                "markouts_bps": self.markouts.summary(), "trust": self.trust.explain(),
                "costs": None if self.costs is None else self.costs.explain()}


def build_execution(cfg: AppConfig, clock: Clock, markets: Mapping[str, CoinData],
                    port: CommandPort, store: OrderStore | None, trust: SignalTrust,
                    signals_of: SignalsOf,
                    order_settings: OrderManagerSettings | None = None) -> ExecutionStack:
    """Wire the order path in front of `port`. `trust` is shared with the alpha combiner."""
    books = {coin: data.book for coin, data in markets.items()}
    marks = marks_from_books(books)
    positions = PositionBook(store)
    slippage, fill_rate, markouts = SlippageTracker(), FillRateTracker(), Markouts()
    markouts.add_listener(trust.on_markout)
    dms = DeadMansSwitch(cfg.risk.dead_mans_switch)
    orders = OrderManager(port, clock, store, order_settings)
    kill = KillSwitch.from_config(cfg, pnl=positions, marks=marks,
                                  slippage=slippage.fill_slippage_bps,
                                  fill_is_new=orders.is_new_fill)
    # The manager alone decides a fill is new (on (coin, tid), whichever channel brought
    # it); the one position book and the feedback trackers hear each new fill once.
    entry_latency = EntryLatency()  # the cost model's measured latency
    for on_fill in (positions.on_fill_report, slippage.on_fill_report,
                    fill_rate.on_fill_report, markouts.on_fill_report,
                    entry_latency.on_fill_report):
        orders.add_fill_listener(on_fill)
    # The cost model's measured exit fill mix and IOC slippage (unless configured fixed).
    cost_cfg = cost_settings(cfg)
    exit_share: Callable[[], float] | None = None
    ioc_slippage: Callable[[], float] | None = None
    if cost_cfg.exit_mix_prior_fills is not None:
        mix = ExitFillMix(cost_cfg.exit_post_only_share, cost_cfg.exit_mix_prior_fills)
        orders.add_fill_listener(mix.on_fill_report)
        exit_share = mix.maker_share
    if cost_cfg.slippage_prior_fills is not None:
        slip = IocSlippage(slippage.context, cost_cfg.expected_slippage_bps,
                           cost_cfg.slippage_prior_fills)
        orders.add_fill_listener(slip.on_fill_report)
        ioc_slippage = slip.slippage_bps
    # The switch is armed before any order that may rest goes out (risk/dead_mans_switch).
    orders.set_resting_guard(dms.arm_before_resting)
    orders.add_sent_listener(kill)
    orders.add_sent_listener(FeedbackProbe(books, slippage, fill_rate, trust, signals_of))
    router_settings = RouterSettings.from_config(cfg)
    costs = CostModel(cost_cfg, latency_ms=entry_latency.entry_ms,
                      exit_maker_share=exit_share, slippage_bps=ioc_slippage)
    markouts.add_listener(costs.on_markout)
    router = RequotingRouter(ExecutionRouter(router_settings, books,
                                             open_orders=orders.open_order_views,
                                             edge_of=trust.edge_of, costs=costs,
                                             clock_ns=clock.now_ns), orders)
    # risk.yaml flatten_on_kill: the engine sends these through the gate on a halt.
    flatten = Flattener(lambda: {c: positions.position(c) for c in positions.coins()},
                        books, router_settings.instruments, router_settings.ioc_slippage_bps,
                        cfg.risk.limits.max_order_usd,
                        busy=lambda coin: bool(orders.open_order_views(coin))
                        ) if cfg.risk.kill_switch.flatten_on_kill else None
    gate = ExposureGate(cfg.risk.limits, positions, marks, router_settings.instruments,
                        lead_reserved_per_minute=(
                            cfg.thresholds.router.lead_reserved_orders_per_minute),
                        exit_reserved_per_minute=(
                            cfg.thresholds.router.exit_reserved_orders_per_minute))
    reconciler = AccountReconciler(positions)
    execution = Execution(
        router=router, positions=positions, risk_gate=gate, order_sink=orders, flatten=flatten,
        kill_switch=EventTap(kill, dms, markouts),
        # Fills reach positions and trackers through the order manager (above); here:
        # funding, order statuses (fill rates), maker fills (costs: a set, repeats are
        # harmless).
        private_listeners=(orders, positions, fill_rate, costs),
        gateway_listeners=(orders, reconciler), reconciler=port,
        timer_listeners=(orders, DeadMansSwitchDriver(dms, orders, port),
                         OrderStoreFlusher(orders),
                         *([] if store is None else
                           [PersistenceWatch({"order store": store.health})])))
    return ExecutionStack(execution=execution, orders=orders, positions=positions,
                          router=router, gate=gate, kill=kill, dms=dms, slippage=slippage,
                          fill_rate=fill_rate, markouts=markouts, trust=trust,
                          reconciler=reconciler, costs=costs)
