"""The live runner: the async edge around the synchronous engine.

It owns the event loop side of a live, testnet or emulator run:
- the WebSocket client (market channels + our account's private channels), whose decoded
  events go to the engine, and whose `post` answers go to the gateway;
- the Hyperliquid gateway (signs and sends commands; its answers come back as events);
- a timer task that turns time into `Timer` events (journal flush, order timeouts, dead
  man's switch, operator control file, status refresh);
- reconciliation: after every (re)connect the gateway queries the venue, and the engine
  does not trade until that `AccountSnapshot` has been applied;
- shutdown (`_shutdown`), bounded in time and work whatever the venue does: no new order
  is taken, every order is cancelled, a last reconciliation runs, then the gateway gets
  what is left of `shutdown_timeout_s`. A second stop request (Ctrl-C, SIGTERM) skips the
  waiting but still stops the gateway, journals and flushes. Orders still open at the end
  are named in the log, the journal (`errors`, stage "shutdown") and the summary.

Every event reaches `Engine.on_event` through `dispatch`, which never re-enters the engine:
an event produced while the engine is running (e.g. a gateway refusal) is queued and
handled right after, in order. This module may read the wall clock: it is an async edge.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import numpy as np

from hyperliquid_ofi_trader.config.models import AppConfig
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.core.engine import Engine
from hyperliquid_ofi_trader.core.events import (
    AccountSnapshot,
    AnyEvent,
    Bbo,
    BookSnapshot,
    ControlCommand,
    FeedState,
    FeedStatus,
    PostResponse,
    Trades,
    UserFills,
)
from hyperliquid_ofi_trader.core.journal import Journal, JournalError
from hyperliquid_ofi_trader.core.persistence import make_private_dir
from hyperliquid_ofi_trader.core.state import TradingState
from hyperliquid_ofi_trader.core.timers import PeriodicTimers
from hyperliquid_ofi_trader.data.coin_data import CoinData
from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.execution.order_records import OrderManagerSettings
from hyperliquid_ofi_trader.execution.order_store import OrderStore, OrderStoreError
from hyperliquid_ofi_trader.risk.control import (
    ACK_FILE,
    COMMANDS,
    CONTROL_FILE,
    ControlAck,
    ControlReader,
    read_control_file,
    write_ack,
)
from hyperliquid_ofi_trader.risk.halt_store import (
    HaltRecord,
    HaltStoreError,
    clear_halt,
    halt_paths,
    halt_scope,
    read_halt,
    write_halt,
)
from hyperliquid_ofi_trader.risk.recovery import (
    Action,
    RecoveryPolicy,
    trigger_name,
)
from hyperliquid_ofi_trader.runtime.assembly import Execution, Strategy, build_engine, build_trust
from hyperliquid_ofi_trader.runtime.execution_stack import ExecutionStack, build_execution
from hyperliquid_ofi_trader.runtime.metrics import RunMetrics
from hyperliquid_ofi_trader.runtime.registry import (
    RunEntry,
    RunRegistry,
    entry_for_this_process,
    state_dir,
)
from hyperliquid_ofi_trader.runtime.status import STATUS_FILE, ControlStatus, StatusPublisher
from hyperliquid_ofi_trader.venues.hyperliquid.asset_meta import AssetRegistry
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import RateLimiter
from hyperliquid_ofi_trader.venues.hyperliquid.execution.gateway import (
    GatewaySettings,
    HyperliquidGateway,
)
from hyperliquid_ofi_trader.venues.hyperliquid.feed import HyperliquidFeed
from hyperliquid_ofi_trader.venues.hyperliquid.http.info import InfoClient
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import SecretKey
from hyperliquid_ofi_trader.venues.hyperliquid.signing.nonce import NonceCounter
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (
    HyperliquidWsClient,
    WsClientConfig,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.post import PostChannel

log = logging.getLogger(__name__)

TIMER_PERIODS_NS: Mapping[str, int] = {
    "journal_flush": 1_000_000_000,
    "tick": 250_000_000,  # order-manager timeouts, dead man's switch, stale-feed checks
    "control": 200_000_000,  # `hlofi kill` / `hlofi resume` halts within a second
    "status": 500_000_000,
    "status_file": 1_000_000_000,  # status.json for `hlofi status` and the dashboard
    # Private pushes lost without any visible feed fault (a silent stretch shorter than
    # the staleness limit) are caught by reconciling periodically: 42 weight of 1200/min.
    "reconcile": 30_000_000_000,
    # What a restart must not forget: the nonce floor (venues/hyperliquid/signing/nonce.py)
    # and today's PnL (the daily loss limit, risk/kill_switch.py).
    "persist": 1_000_000_000,
}
_TIMER_RESOLUTION_S = 0.05
_NS_PER_DAY = 86_400 * 1_000_000_000
_PIPELINE_WINDOW = 65_536


class LiveRunError(OurBugError):
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
    shutdown_timeout_s: float = 15.0  # the whole shutdown, cancels to flush
    mode: str = "run"  # "run" | "paper": how the registry and status name it
    venue_note: str = ""
    state_dir: Path | None = None  # registry + durable halts; None: runtime.registry.state_dir()
    ui_url: str = ""  # the run's web dashboard (without its token), for `hlofi status`


@dataclass(slots=True)
class ShutdownReport:
    """How the run ended: for the summary (and the journal, for the open orders)."""

    forced: bool = False  # a second stop request cut the waiting short
    duration_s: float = 0.0
    open_orders: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RunIdentity:
    pid: int
    mode: str
    venue_note: str


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




class LiveRunner:
    """One live run: engine + WebSocket + gateway + timers, until stopped."""

    def __init__(self, cfg: AppConfig, endpoints: VenueEndpoints, key: SecretKey,
                 account: str, options: RunOptions) -> None:
        self.cfg, self.endpoints, self.options = cfg, endpoints, options
        self.clock = LiveClock()
        self.account = account.lower()
        self._signer = L1Signer(key, mainnet=endpoints.mainnet)
        make_private_dir(options.run_dir)  # the journal holds the account's history
        self.journal_path = cfg.risk.journal.in_run_dir(options.run_dir)
        self.metrics = RunMetrics()
        self.pipeline = PipelineTimes()
        self._pending: deque[AnyEvent] = deque()
        self._in_engine = False
        self._closing = False
        self._stop = asyncio.Event()
        self._force = asyncio.Event()
        self.shutdown: ShutdownReport | None = None
        self._journal: Journal | None = None
        self._control = ControlReader()
        self.identity = RunIdentity(os.getpid(), options.mode, options.venue_note)
        self._state_dir = options.state_dir if options.state_dir is not None else state_dir()
        self._registry = RunRegistry(self._state_dir)
        self._registered: RunEntry | None = None
        self._halt_paths = halt_paths(options.run_dir, self._state_dir,
                                      halt_scope(endpoints.name, self.account))
        # Read now, so the command line can say so before the run starts.
        self.durable_halt: HaltRecord | None = read_halt(self._halt_paths)
        self.status = StatusPublisher(options.run_dir, self.journal_path)
        self.recovery = RecoveryPolicy(cfg.risk.recovery)
        # A book whose last update is older than the kill switch's lag limit (plus a
        # second of slack) is not a healthy feed to recover on.
        self._fresh_book_ns = (cfg.risk.kill_switch.max_feed_lag_ms + 1000) * 1_000_000
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
                    if type(ev) is AccountSnapshot:
                        self._cancel_if_halted()
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
        if (isinstance(event, FeedState) and event.channel == ""
                and event.status is FeedStatus.UP):
            self.connects += 1
        # A reconnect or a silent stream that spoke again makes the engine's trading gate
        # await reconciliation, and the engine asks the gateway for it (core/state.py).
        self.dispatch(event)

    def request_stop(self) -> None:
        """First call: a graceful, bounded shutdown. Any later call: a fast one (the
        waiting is skipped; the journal is still written and flushed)."""
        if self._stop.is_set():
            if not self._force.is_set():
                log.warning("second stop request: shutting down now, without waiting")
            self._force.set()
        self._stop.set()

    # ------------------------------------------------------------ life cycle

    async def run(self) -> None:
        opts = self.options
        self.started_ns = self.clock.now_ns()
        if opts.metrics_port is not None:
            self.metrics.serve(opts.metrics_port)
        self._register()
        try:
            async with aiohttp.ClientSession() as session:
                assets = await self._load_assets(session)
                with Journal(self.journal_path) as journal:
                    store = OrderStore(journal.writer)  # one writer of the run database
                    try:
                        await self._run_with(session, assets, journal, store)
                    finally:
                        store.close()  # flushes; a failed last write is logged, never raised
        finally:
            self._unregister()

    # ------------------------------------------------------------ registry, control, halt

    def _register(self) -> None:
        """Make this run findable by `hlofi kill/resume/status` from another shell."""
        run_dir = self.options.run_dir
        entry = entry_for_this_process(
            run_dir=run_dir, mode=self.identity.mode, venue=self.endpoints.name,
            account=self.account, started_ns=self.started_ns,
            control_file=run_dir / CONTROL_FILE, ack_file=run_dir / ACK_FILE,
            status_file=run_dir / STATUS_FILE)
        if self.options.ui_url:
            entry = msgspec.structs.replace(entry, ui_url=self.options.ui_url)
        try:
            self._registry.register(entry)
        except OSError as exc:
            raise LiveRunError(f"cannot register the run in {self._registry.root} (set "
                               f"HLOFI_STATE_DIR to a writable folder): "
                               f"{exc.strerror or exc}") from exc
        self._registered = entry
        self.status.publish(self)  # STARTING: `hlofi status` has something to read at once

    def _unregister(self) -> None:
        if self._registered is not None:
            self.status.publish(self, running=False)
            self._registry.unregister(self._registered)
            self._registered = None
        self.status.close()

    def _apply_durable_halt(self) -> None:
        """A kill recorded before this start (an earlier run, or `hlofi kill` while
        nothing ran): enter HALTED before anything can trade."""
        record = self.durable_halt = read_halt(self._halt_paths)  # `hlofi kill` meanwhile?
        if record is None:
            return
        log.info("starting HALTED: a kill is recorded (%s); `hlofi resume` to trade",
                    record.describe())
        now = self.clock.now_ns()
        self.dispatch(ControlCommand(exchange_ns=0, local_ns=now, command="kill",
                                     reason=f"durable halt: {record.describe()}"))

    def _cancel_if_halted(self) -> None:
        # Orders found resting by a reconciliation (left by a crashed earlier run) must not
        # rest while HALTED: a halted system only cancels.
        if (self.engine is not None and self.engine.state is TradingState.HALTED
                and self.stack is not None and self.stack.orders.open_orders()):
            self.stack.orders.cancel_all("halted: orders found resting at reconciliation")

    def durable_halt_reason(self) -> str | None:
        return None if self.durable_halt is None else self.durable_halt.describe()

    def control_status(self) -> ControlStatus:
        c = self._control
        return ControlStatus(last_seq=c.last_seq, accepted=c.accepted,
                             rejections=c.rejections, last_error=c.last_error)

    def recovery_status(self) -> dict[str, Any]:
        return self.recovery.explain(self.clock.now_ns())

    # ------------------------------------------------------------ recovery policy

    def _recover_if_allowed(self) -> None:
        engine, stack, gateway = self.engine, self.stack, self.gateway
        if engine is None or stack is None or gateway is None:
            return
        snap = engine.snapshot()
        trigger = trigger_name(snap.state_cause, stack.kill.fired_code)
        if trigger is not None and self.durable_halt is not None:
            # An operator's kill landing on a system already halted by, say, a stale
            # feed changes neither the state's cause nor the kill switch's code: the
            # recorded halt is what says an operator holds it.
            trigger = "operator_kill"
        now = self.clock.now_ns()
        action = self.recovery.observe(
            now, trigger=trigger, healthy=self._feed_healthy(snap.feeds_unhealthy, now),
            reconciliations=snap.events_by_type.get("AccountSnapshot", 0))
        if action is Action.RECONCILE:
            log.info("recovery: %s cleared, feed healthy; reconciling the account", trigger)
            gateway.reconcile()
        elif action is Action.RECOVER:
            stack.kill.reset(now, keep_day=True)
            engine.recover(f"{trigger} cleared: feed healthy for "
                           f"{self.recovery.healthy_for_ns / 1e9:g} s and the "
                           "account reconciled")

    def _feed_healthy(self, unhealthy: tuple[str, ...], now_ns: int) -> bool:
        """Connected, no needed channel stale, and a fresh two-sided book for every coin
        a decision needs."""
        if unhealthy or self.connects == 0 or self.engine is None:
            return False
        needed = set(self.cfg.symbols.traded)
        needed.update(self.cfg.symbols.lead_coins)
        for coin in needed:
            market = self.engine.markets.get(coin)
            if market is None:
                return False
            book = market.book
            if (book.best_bid() is None or book.best_ask() is None
                    or now_ns - book.exchange_ns > self._fresh_book_ns):
                return False
        return True

    async def _load_assets(self, session: aiohttp.ClientSession) -> AssetRegistry:
        info = InfoClient(self.endpoints.rest_url, session, clock=self.clock,
                          timeout_s=self.cfg.risk.execution.rest_timeout_s)
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
        feed = HyperliquidFeed(self.cfg.symbols.coins)
        book = self.cfg.symbols.book
        # Private channels for the ACCOUNT address (never the API wallet's: silence).
        subs = feed.subscriptions(self.account, fast_book=book.fast,
                                  book_sig_figs=book.n_sig_figs)
        ws = HyperliquidWsClient(self.endpoints.ws_url, subs, feed.decode, self.on_ws_event,
                                 clock=self.clock,
                                 config=WsClientConfig.from_config(self.cfg))
        budgets = self.cfg.risk.rate_limits
        post = PostChannel(ws.send, self.clock, max_in_flight=budgets.max_in_flight_posts)
        nonce = NonceCounter.after_restart(self.clock,
                                           store.load_nonce_floor(self._signer.address))
        self._nonce_keeping = (store, nonce)
        gateway = HyperliquidGateway(self._signer, self.account, nonce,
                                     assets, post, self.endpoints.rest_url, session,
                                     self.dispatch, self.clock, RateLimiter(budgets),
                                     GatewaySettings.from_config(self.cfg))
        self.ws, self.gateway = ws, gateway
        self._journal = journal
        self._build_engine(journal, store, gateway)
        await self._load_fees(session)
        self._carry_daily_pnl(store)
        # Everything built so far lives as long as the run: move it out of the collector's
        # reach, so full collections (the ms-long pauses a long run otherwise meets on
        # the order path) only scan what the run allocated since.
        gc.freeze()
        self._control.prime(read_control_file(self.options.run_dir),
                            started_ns=self.started_ns)
        self._apply_durable_halt()
        await gateway.start()
        ws_task = asyncio.create_task(ws.run(), name="hl-ws")
        timer_task = asyncio.create_task(self._timers(), name="hl-timers")
        try:
            await self._wait_for_end(ws_task)
        finally:
            await self._shutdown(ws, gateway, ws_task, timer_task)

    async def _load_fees(self, session: aiohttp.ClientSession) -> None:
        """The account's own fee rates (`userFees`) for the cost model; without an answer
        the configured fee tier stands (the decision rule is the same, only less exact)."""
        costs = self.stack.costs if self.stack is not None else None
        if costs is None:
            return
        info = InfoClient(self.endpoints.rest_url, session, clock=self.clock,
                          timeout_s=self.cfg.risk.execution.rest_timeout_s)
        try:
            answer = await info.query({"type": "userFees", "user": self.account})
            costs.set_venue_fees(float(answer["userCrossRate"]), float(answer["userAddRate"]))
        except Exception as exc:  # the venue's answer is optional input: never fatal
            log.warning("userFees unavailable (%r): costs use the configured fee tier", exc)
            return
        # DEBUG: the summary and the status carry these figures; an INFO line would land in
        # the middle of the live view.
        log.debug("fees from the venue: taker %.2f bps, maker %.2f bps",
                 costs.explain()["taker_fee_bps"], costs.explain()["maker_fee_bps"])

    def _build_engine(self, journal: Journal, store: OrderStore,
                      gateway: HyperliquidGateway) -> None:
        trust = build_trust(self.cfg)

        def execution(markets: Mapping[str, CoinData], strategy: Strategy) -> Execution:
            self.stack = build_execution(self.cfg, self.clock, markets, gateway, store, trust,
                                         strategy.signals.fresh,
                                         OrderManagerSettings.from_config(self.cfg))
            return self.stack.execution

        # Leaving a degraded state by itself is the recovery policy's call (risk.yaml
        # `recovery`, `_recover_if_allowed`), with its hourly cap, not the engine's.
        self.engine, self.strategy = build_engine(self.cfg, self.clock, journal,
                                                  execution=execution, trust=trust,
                                                  auto_resume_on_feed_recovery=False)

    def _carry_daily_pnl(self, store: OrderStore) -> None:
        # UTC day of the live clock: the kill switch counts days of the engine's clock.
        day = self.clock.now_ns() // _NS_PER_DAY
        carried = store.load_daily_pnl(day)
        if carried is not None and self.stack is not None:
            self.stack.kill.carry_in(day, carried)
            log.info("today's PnL so far from earlier runs: %.2f USD", carried)
        opened = store.load_day_open(self.account, day)
        if opened is not None and opened > 0 and self.stack is not None:
            self.stack.kill.carry_in_open(day, opened)
            log.info("account value at today's open (UTC): %.2f USD", opened)

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
                elif timer.name == "status_file":
                    self.status.publish(self, background=True)
                elif timer.name == "tick":
                    self._recover_if_allowed()
                elif timer.name == "persist":
                    self._persist_restart_state()
                self.dispatch(timer)

    def _persist_restart_state(self) -> None:
        if self._nonce_keeping is None:
            return
        store, nonce = self._nonce_keeping
        now = self.clock.now_ns()
        today = self.stack.kill.today_pnl(now) if self.stack is not None else None
        opened = self.stack.kill.day_open() if self.stack is not None else None
        try:
            store.save_nonce_floor(self._signer.address, nonce.floor())
            if today is not None:
                store.save_daily_pnl(*today)
            if opened is not None:
                store.save_day_open(self.account, *opened)
        except OrderStoreError as exc:  # nonces: the clock covers a missed save; PnL: next
            log.error("cannot save restart state: %s", exc)

    def _poll_control(self) -> None:
        command = self._control.parse(read_control_file(self.options.run_dir),
                                      local_ns=self.clock.now_ns())
        if command is None:
            return
        ack = self._apply_operator(command, seq=self._control.last_seq)
        try:
            write_ack(self.options.run_dir, ack)
        except OSError as exc:
            log.error("cannot acknowledge operator command %s: %s", command.command, exc)

    def operator_command(self, command: str, reason: str) -> ControlAck:
        """Apply "kill" or "resume" from inside this process (the dashboard's button) by
        the same path as `hlofi kill`: engine state change, durable halt, journal flushed.
        Call on the event loop's thread. Raises ValueError for an unknown command."""
        if command not in COMMANDS:
            raise ValueError(f"unknown operator command {command!r}")
        event = ControlCommand(exchange_ns=0, local_ns=self.clock.now_ns(), command=command,
                               reason=reason)
        return self._apply_operator(event, seq=0)

    def _apply_operator(self, command: ControlCommand, *, seq: int) -> ControlAck:
        log.warning("operator command %s: %s", command.command, command.reason)
        self.dispatch(command)
        detail = self._keep_halt_durable(command)
        self._flush_journal()  # the state change is on disk before anyone is told
        engine = self.engine
        ack = ControlAck(seq=seq, command=command.command,
                         trading_state=engine.state.value if engine is not None
                         else "STARTING", applied_ns=self.clock.now_ns(),
                         pid=self.identity.pid, detail=detail)
        self.status.publish(self)
        return ack

    def _flush_journal(self) -> None:
        if self.engine is None:
            return
        try:
            self.engine.flush()
        except JournalError as exc:
            log.error("cannot flush the journal after an operator command: %s", exc)

    def _keep_halt_durable(self, command: ControlCommand) -> str:
        """Record a kill so a restart stays HALTED; forget it once resumed."""
        engine = self.engine
        halted = engine is not None and engine.state is TradingState.HALTED
        try:
            if command.command == "kill" and halted:
                record = HaltRecord(reason=command.reason or "operator kill",
                                    written_ns=self.clock.now_ns(),
                                    source=f"run pid {self.identity.pid}")
                self.durable_halt = record  # latches this process even if the write fails
                write_halt(self._halt_paths, record)
            elif command.command == "resume" and not halted:
                clear_halt(self._halt_paths)
                self.durable_halt = None
        except HaltStoreError as exc:
            log.error("%s", exc)
            return str(exc)
        return ""

    @property
    def ui_url(self) -> str:
        return self._registered.ui_url if self._registered is not None else ""

    def publish_ui_url(self, url: str) -> None:
        """Tell the registry where this run's dashboard is (`hlofi status` shows it)."""
        entry = self._registered
        if entry is None:
            return
        self._registered = msgspec.structs.replace(entry, ui_url=url)
        try:
            self._registry.update(self._registered)
        except OSError as exc:
            log.error("cannot update the run registry: %s", exc)

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
        """Take no new order, cancel every order, reconcile, stop the gateway, then close
        and flush: every step bounded by one deadline; a second stop request skips the
        waiting (see the module docstring)."""
        report = self.shutdown = ShutdownReport()
        started = time.monotonic()
        deadline = started + self.options.shutdown_timeout_s
        engine, stack = self.engine, self.stack
        gateway.stop_accepting_orders()
        if stack is not None and stack.orders.live_count():
            stack.orders.cancel_all("run ended")
            await self._until(lambda: not stack.orders.live_count(), deadline)
        if engine is not None and not self._force.is_set():
            # A last reconciliation, so fills whose pushes were lost still reach the
            # journal and the summary before we close.
            await self._reconcile_and_wait(gateway, engine, deadline)
        if stack is not None and stack.orders.live_count() == 0:
            self._clear_dead_mans_switch(gateway)
        timer_task.cancel()
        drain_s = 0.0 if self._force.is_set() else max(0.0, deadline - time.monotonic())
        await gateway.stop(drain_timeout_s=min(drain_s, gateway.drain_timeout_s))
        self._persist_restart_state()
        self._closing = True
        ws.stop()
        await asyncio.gather(ws_task, timer_task, return_exceptions=True)
        report.forced = self._force.is_set()
        report.open_orders = self._record_open_orders()
        report.duration_s = time.monotonic() - started
        if engine is not None:
            self._publish_status()
            try:
                engine.flush()
            except JournalError as exc:  # close() counts what is lost; the run still ends
                log.error("last journal flush failed: %s", exc)

    async def _until(self, done: Callable[[], bool], deadline: float) -> bool:
        """Wait until `done()`, the deadline or a forced stop; True when done."""
        while not done():
            if self._force.is_set() or time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    def _clear_dead_mans_switch(self, gateway: HyperliquidGateway) -> None:
        # Nothing rests: a switch left armed would trigger after we are gone and spend
        # one of the venue's 10 daily triggers for nothing.
        stack = self.stack
        if stack is not None and stack.dms.armed_until_ms is not None:
            gateway.schedule_cancel(None)

    def _record_open_orders(self) -> list[dict[str, Any]]:
        """Name every order still open (the venue's dead man's switch, if armed, cancels
        them) in the log and the journal; returns them for the summary."""
        stack, journal = self.stack, self._journal
        if stack is None:
            return []
        now = self.clock.now_ns()
        left: list[dict[str, Any]] = []
        for order in stack.orders.open_orders():
            entry = {"cloid": order.cloid, "oid": order.oid, "coin": order.coin,
                     "side": "buy" if order.is_buy else "sell", "price": order.price,
                     "size": order.size, "state": order.state.value,
                     "last_error": order.last_error}
            left.append(entry)
            log.error("order left open at shutdown: %s", entry)
            if journal is not None:
                journal.record_error(exchange_ns=0, local_ns=now, stage="shutdown",
                                     event_type="Shutdown", coin=order.coin,
                                     error_type="order_left_open",
                                     message=" ".join(f"{k}={v}" for k, v in entry.items()))
        return left

    async def _reconcile_and_wait(self, gateway: HyperliquidGateway, engine: Engine,
                                  deadline: float, timeout_s: float = 3.0) -> None:
        def snapshots() -> int:
            return engine.snapshot().events_by_type.get("AccountSnapshot", 0)

        before = snapshots()
        gateway.reconcile()
        if not await self._until(lambda: snapshots() != before,
                                 min(deadline, time.monotonic() + timeout_s)):
            log.warning("final reconciliation did not answer in time")
