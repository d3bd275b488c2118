"""The live runner: the async edge around the synchronous engine.

It owns the event loop side of a live, testnet or emulator run:
- the WebSocket client (market channels + our account's private channels), whose decoded
  events go to the engine, and whose `post` answers go to the gateway;
- the Hyperliquid gateway (signs and sends commands; its answers come back as events);
- a timer task that turns time into `Timer` events (journal flush, order timeouts, dead
  man's switch, operator control file, status refresh);
- reconciliation: after every (re)connect the gateway queries the venue, and the engine
  does not trade until that `AccountSnapshot` has been applied.

Every event reaches `Engine.on_event` through `dispatch`, which never re-enters the engine:
an event produced while the engine is running (e.g. a gateway refusal) is queued and
handled right after, in order. This module may read the wall clock: it is an async edge.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

from hyperliquid_ofi_trader.config.models import AppConfig
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.core.engine import Engine
from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    Bbo,
    BookSnapshot,
    FeedState,
    FeedStatus,
    PostResponse,
    Trades,
    UserFills,
)
from hyperliquid_ofi_trader.core.journal import Journal
from hyperliquid_ofi_trader.core.market_data import CoinData
from hyperliquid_ofi_trader.core.timers import PeriodicTimers
from hyperliquid_ofi_trader.data.codec import HyperliquidCodec
from hyperliquid_ofi_trader.data.ws_client import HyperliquidWsClient, WsClientConfig
from hyperliquid_ofi_trader.execution.asset_meta import AssetRegistry
from hyperliquid_ofi_trader.execution.gateway_hyperliquid import (
    HyperliquidGateway,
)
from hyperliquid_ofi_trader.execution.info_client import InfoClient
from hyperliquid_ofi_trader.execution.keys import SecretKey
from hyperliquid_ofi_trader.execution.nonce import NonceCounter
from hyperliquid_ofi_trader.execution.order_store import OrderStore, OrderStoreError
from hyperliquid_ofi_trader.execution.post_channel import PostChannel
from hyperliquid_ofi_trader.execution.rate_limits import RateLimiter
from hyperliquid_ofi_trader.execution.signing import L1Signer
from hyperliquid_ofi_trader.risk.control import ControlReader, read_control_file
from hyperliquid_ofi_trader.runtime.assembly import Execution, Strategy, build_engine, build_trust
from hyperliquid_ofi_trader.runtime.execution_stack import ExecutionStack, build_execution
from hyperliquid_ofi_trader.runtime.metrics import RunMetrics
from hyperliquid_ofi_trader.runtime.venue_settings import (
    gateway_settings,
    order_manager_settings,
)

log = logging.getLogger(__name__)

TIMER_PERIODS_NS: Mapping[str, int] = {
    "journal_flush": 1_000_000_000,
    "tick": 250_000_000,  # order-manager timeouts, dead man's switch, stale-feed checks
    "control": 200_000_000,  # `hlofi kill` / `hlofi resume` halts within a second
    "status": 500_000_000,
    # Private pushes lost without any visible feed fault (a silent stretch shorter than
    # the staleness limit) are caught by reconciling periodically: 42 weight of 1200/min.
    "reconcile": 30_000_000_000,
    # What a restart must not forget: the nonce floor (execution/nonce.py) and today's PnL
    # (the daily loss limit, risk/kill_switch.py).
    "persist": 1_000_000_000,
}
_TIMER_RESOLUTION_S = 0.05
_NS_PER_DAY = 86_400 * 1_000_000_000
_PIPELINE_WINDOW = 65_536


class LiveRunError(Exception):
    """A run could not start (venue unreachable, coin unknown to the venue, ...)."""


@dataclass(frozen=True, slots=True)
class VenueEndpoints:
    rest_url: str
    ws_url: str
    mainnet: bool
    name: str  # "emulator", "testnet", "mainnet"


@dataclass(frozen=True, slots=True)
class RunOptions:
    run_dir: Path
    duration_s: float | None
    metrics_port: int | None = None
    ws: WsClientConfig = field(default_factory=WsClientConfig)


@dataclass(slots=True)
class PipelineTimes:
    """Wall time of `Engine.on_event` per market event (ring buffer, ns)."""

    samples: deque[int] = field(default_factory=lambda: deque(maxlen=_PIPELINE_WINDOW))

    def percentiles_us(self) -> dict[str, float]:
        if not self.samples:
            return {}
        arr = np.fromiter(self.samples, dtype=np.int64) / 1e3
        p50, p90, p99 = np.percentile(arr, [50, 90, 99])
        return {"count": float(arr.size), "p50": float(p50), "p90": float(p90),
                "p99": float(p99), "max": float(arr.max())}


def subscriptions(cfg: AppConfig, account: str) -> list[dict[str, Any]]:
    """Market channels for every configured coin, private channels for the ACCOUNT address
    (never the API wallet's: that would silently return nothing)."""
    book: dict[str, Any] = {}
    if cfg.symbols.book.fast:
        book["fast"] = True
    if cfg.symbols.book.n_sig_figs is not None:
        book["nSigFigs"] = cfg.symbols.book.n_sig_figs
    subs: list[dict[str, Any]] = []
    for coin in cfg.symbols.coins:
        subs.append({"type": "l2Book", "coin": coin, **book})
        subs.extend({"type": kind, "coin": coin} for kind in ("bbo", "trades",
                                                               "activeAssetCtx"))
    subs.extend({"type": kind, "user": account} for kind in ("orderUpdates", "userFills",
                                                              "userEvents"))
    return subs


def _needs_reconcile(event: FeedState) -> bool:
    if event.channel == "":
        return event.status is FeedStatus.UP
    # Any stream that was stale may have hidden private pushes sent on the same socket.
    return event.status is FeedStatus.RECOVERED


class LiveRunner:
    """One live run: engine + WebSocket + gateway + timers, until stopped."""

    def __init__(self, cfg: AppConfig, endpoints: VenueEndpoints, key: SecretKey,
                 account: str, options: RunOptions) -> None:
        self.cfg, self.endpoints, self.options = cfg, endpoints, options
        self.clock = LiveClock()
        self.account = account.lower()
        self._signer = L1Signer(key, mainnet=endpoints.mainnet)
        options.run_dir.mkdir(parents=True, exist_ok=True)
        self.journal_path = options.run_dir / "journal.sqlite"
        self.metrics = RunMetrics()
        self.pipeline = PipelineTimes()
        self._pending: deque[AnyEvent] = deque()
        self._in_engine = False
        self._closing = False
        self._stop = asyncio.Event()
        self._control = ControlReader()
        self.status_listeners: list[Callable[[LiveRunner], None]] = []
        self.engine: Engine | None = None
        self.stack: ExecutionStack | None = None
        self.strategy: Strategy | None = None
        self.gateway: HyperliquidGateway | None = None
        self.ws: HyperliquidWsClient | None = None
        self._nonce_keeping: tuple[OrderStore, NonceCounter] | None = None
        self.started_ns = 0
        self.connects = 0

    # ------------------------------------------------------------ dispatch

    def dispatch(self, event: AnyEvent) -> None:
        """Hand one event to the engine, never re-entrantly."""
        self._pending.append(event)
        if self._in_engine:
            return
        engine = self.engine
        if engine is None:
            return
        self._in_engine = True
        try:
            while self._pending:
                ev = self._pending.popleft()
                if isinstance(ev, BookSnapshot | Bbo | Trades):
                    t0 = time.perf_counter_ns()
                    engine.on_event(ev)
                    elapsed = time.perf_counter_ns() - t0
                    self.pipeline.samples.append(elapsed)
                    self.metrics.pipeline.observe(elapsed / 1e9)
                else:
                    engine.on_event(ev)
        finally:
            self._in_engine = False

    def on_ws_event(self, event: AnyEvent) -> None:
        if self._closing and isinstance(event, FeedState):
            return  # our own shutdown closing the socket is not a feed failure
        gateway = self.gateway
        if isinstance(event, PostResponse):
            if gateway is not None:
                gateway.on_ws_event(event)
            return
        if gateway is not None and isinstance(event, FeedState | UserFills):
            gateway.on_ws_event(event)
        self.dispatch(event)
        if isinstance(event, FeedState) and gateway is not None and _needs_reconcile(event):
            # Resubscribed, or a silent stream spoke again: reconcile before trading
            # resumes (the venue does not replay private events missed meanwhile).
            self.connects += event.status is FeedStatus.UP
            gateway.reconcile()

    def request_stop(self) -> None:
        self._stop.set()

    # ------------------------------------------------------------ life cycle

    async def run(self) -> None:
        opts = self.options
        self.started_ns = self.clock.now_ns()
        if opts.metrics_port is not None:
            self.metrics.serve(opts.metrics_port)
        async with aiohttp.ClientSession() as session:
            assets = await self._load_assets(session)
            with Journal(self.journal_path) as journal:
                store = OrderStore(self.journal_path)
                try:
                    await self._run_with(session, assets, journal, store)
                finally:
                    store.flush()
                    store.close()

    async def _load_assets(self, session: aiohttp.ClientSession) -> AssetRegistry:
        info = InfoClient(self.endpoints.rest_url, session, clock=self.clock)
        try:
            assets = AssetRegistry.from_meta(await info.meta())
        except Exception as exc:
            raise LiveRunError(f"cannot read the venue's instruments from "
                               f"{self.endpoints.rest_url}: {exc}") from exc
        missing = sorted(set(self.cfg.symbols.coins) - set(assets.names()))
        if missing:
            raise LiveRunError(f"coins not listed by the venue: {', '.join(missing)}")
        return assets

    async def _run_with(self, session: aiohttp.ClientSession, assets: AssetRegistry,
                        journal: Journal, store: OrderStore) -> None:
        codec = HyperliquidCodec(frozenset(self.cfg.symbols.coins))
        ws = HyperliquidWsClient(self.endpoints.ws_url, subscriptions(self.cfg, self.account),
                                 codec.decode, self.on_ws_event, clock=self.clock,
                                 config=self.options.ws)
        post = PostChannel(ws.send, self.clock)
        nonce = NonceCounter.after_restart(self.clock,
                                           store.load_nonce_floor(self._signer.address))
        self._nonce_keeping = (store, nonce)
        gateway = HyperliquidGateway(self._signer, self.account, nonce,
                                     assets, post, self.endpoints.rest_url, session,
                                     self.dispatch, self.clock, RateLimiter(),
                                     gateway_settings(self.cfg))
        self.ws, self.gateway = ws, gateway
        self._build_engine(journal, store, gateway)
        self._carry_daily_pnl(store)
        # Everything built so far lives as long as the run: move it out of the collector's
        # reach, so full collections (the ms-long pauses a long run otherwise meets on
        # the order path) only scan what the run allocated since.
        gc.freeze()
        self._control.prime(read_control_file(self.options.run_dir))
        await gateway.start()
        ws_task = asyncio.create_task(ws.run(), name="hl-ws")
        timer_task = asyncio.create_task(self._timers(), name="hl-timers")
        try:
            await self._wait_for_end(ws_task)
        finally:
            await self._shutdown(ws, gateway, ws_task, timer_task)

    def _build_engine(self, journal: Journal, store: OrderStore,
                      gateway: HyperliquidGateway) -> None:
        trust = build_trust(self.cfg)

        def execution(markets: Mapping[str, CoinData], strategy: Strategy) -> Execution:
            self.stack = build_execution(self.cfg, self.clock, markets, gateway, store, trust,
                                         strategy.signals.fresh,
                                         order_manager_settings(self.cfg))
            return self.stack.execution

        self.engine, self.strategy = build_engine(self.cfg, self.clock, journal,
                                                  execution=execution, trust=trust,
                                                  auto_resume_on_feed_recovery=True)

    def _carry_daily_pnl(self, store: OrderStore) -> None:
        # UTC day of the live clock: the kill switch counts days of the engine's clock.
        day = self.clock.now_ns() // _NS_PER_DAY
        carried = store.load_daily_pnl(day)
        if carried is not None and self.stack is not None:
            self.stack.kill.carry_in(day, carried)
            log.info("today's PnL so far from earlier runs: %.2f USD", carried)

    async def _wait_for_end(self, ws_task: asyncio.Task[None]) -> None:
        stop_task = asyncio.create_task(self._stop.wait())
        timeout = self.options.duration_s
        done, _ = await asyncio.wait({ws_task, stop_task}, timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        stop_task.cancel()
        if ws_task in done:
            ws_task.result()  # a callback bug in our code: surface it

    async def _timers(self) -> None:
        timers = PeriodicTimers(TIMER_PERIODS_NS)
        while True:
            await asyncio.sleep(_TIMER_RESOLUTION_S)
            for timer in timers.due(self.clock.now_ns()):
                if timer.name == "control":
                    self._poll_control()
                elif timer.name == "reconcile" and self.gateway is not None:
                    self.gateway.reconcile()
                elif timer.name == "status":
                    self._publish_status()
                elif timer.name == "persist":
                    self._persist_restart_state()
                self.dispatch(timer)

    def _persist_restart_state(self) -> None:
        if self._nonce_keeping is None:
            return
        store, nonce = self._nonce_keeping
        now = self.clock.now_ns()
        today = self.stack.kill.today_pnl(now) if self.stack is not None else None
        try:
            store.save_nonce_floor(self._signer.address, nonce.floor())
            if today is not None:
                store.save_daily_pnl(*today)
        except OrderStoreError as exc:  # the nonce margin covers a missed save; PnL: next
            log.error("cannot save restart state: %s", exc)

    def _poll_control(self) -> None:
        command = self._control.parse(read_control_file(self.options.run_dir),
                                      local_ns=self.clock.now_ns())
        if command is not None:
            log.warning("operator command %s: %s", command.command, command.reason)
            self.dispatch(command)

    def _publish_status(self) -> None:
        engine = self.engine
        if engine is None:
            return
        snap = engine.snapshot()
        m = self.metrics
        m.set_counts(m.events, snap.events_by_type)
        m.set_counts(m.decisions, snap.outcomes)
        m.set_counts(m.rejections, snap.rejections)
        m.set_counts(m.stage_errors, snap.stage_errors)
        m.set_state(snap.trading_state.value)
        m.set_latency(snap.latency_ms)
        if self.stack is not None:
            for coin in self.stack.positions.coins():
                m.position.labels(coin).set(self.stack.positions.position(coin))
        for listener in self.status_listeners:
            listener(self)

    async def _shutdown(self, ws: HyperliquidWsClient, gateway: HyperliquidGateway,
                        ws_task: asyncio.Task[None], timer_task: asyncio.Task[None]) -> None:
        """Cancel every order, let the answers arrive, then close and flush."""
        engine = self.engine
        if engine is not None and self.stack is not None and self.stack.orders.open_orders():
            self.stack.orders.cancel_all("run ended")
            await self._await_no_open_orders(timeout_s=5.0)
        if engine is not None:
            # A last reconciliation, so fills whose pushes were lost still reach the
            # journal and the summary before we close.
            await self._reconcile_and_wait(gateway, engine, timeout_s=3.0)
        timer_task.cancel()
        await gateway.stop()
        self._persist_restart_state()
        self._closing = True
        ws.stop()
        await asyncio.gather(ws_task, timer_task, return_exceptions=True)
        if engine is not None:
            self._publish_status()
            engine.flush()

    async def _reconcile_and_wait(self, gateway: HyperliquidGateway, engine: Engine,
                                  timeout_s: float) -> None:
        def snapshots() -> int:
            return engine.snapshot().events_by_type.get("AccountSnapshot", 0)

        before = snapshots()
        gateway.reconcile()
        deadline = time.monotonic() + timeout_s
        while snapshots() == before:
            if time.monotonic() > deadline:
                log.warning("final reconciliation did not answer within %.0f s", timeout_s)
                return
            await asyncio.sleep(0.05)

    async def _await_no_open_orders(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self.stack is not None and self.stack.orders.open_orders():
            if time.monotonic() > deadline:
                log.warning("orders still open at shutdown: %d (the venue's dead man's "
                            "switch, if armed, cancels them)",
                            len(self.stack.orders.open_orders()))
                return
            await asyncio.sleep(0.05)
