"""The backtest: recorded frames through the exact live engine, against an in-process
simulated venue, with modelled latencies.

    recording ──iter_frames──▶ HyperliquidCodec ──market events──┐
                                                                 ├─▶ EventQueue (time, seq)
    each market event is scheduled TWICE:                        │
      at its exchange time → SimVenue.on_market (the venue's book moves; our resting
                              orders it crosses or reaches fill, in queue order)
      at its receive time  → Engine.on_event (the recorded receive time, or exchange
                              time + a modelled feed delay), with the ReplayClock there
    our commands → SimulatedGateway → venue at + entry latency → answers at + ack latency,
    private pushes at + feed latency → Engine.on_event

The engine, strategy and order path are built by the same functions as every other mode
(`runtime.assembly.build_engine` + `runtime.execution_stack.build_execution`): no
backtest-only decision path. Timers fire as in `runtime/replay.py`, from the receive-time
clock. Nothing sleeps, opens a socket or reads the wall clock (the caller may pass a
stopwatch to time the run), so the same data, config and seed give the same journal.

Frames are read lazily; the queue only runs entries older than the newest frame's receive
time minus `lookahead_ns`, so a venue event whose exchange time precedes its receive time
by up to that much still lands in time order. A later one (a recording whose receive time
trails exchange time by more than the lookahead) runs at once and is counted in
`late_market_events`.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import msgspec
import numpy as np

from hyperliquid_ofi_trader.backtest.decoded_frames import EmptySourceError, open_decoded
from hyperliquid_ofi_trader.backtest.event_queue import EventQueue
from hyperliquid_ofi_trader.backtest.gateway_simulated import SimulatedGateway
from hyperliquid_ofi_trader.backtest.report_data import journal_sha256
from hyperliquid_ofi_trader.config.models import AppConfig
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.engine import Engine
from hyperliquid_ofi_trader.core.events import AnyEvent, AssetCtx, Bbo, BookSnapshot, Trades
from hyperliquid_ofi_trader.core.journal import Journal
from hyperliquid_ofi_trader.core.timers import PeriodicTimers
from hyperliquid_ofi_trader.data.coin_data import CoinData
from hyperliquid_ofi_trader.data.decoded_cache import DecodedFrame, default_cache_dir
from hyperliquid_ofi_trader.data.replay_sources import Frame, ReadStats, ReplaySource
from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.execution.order_manager import OrderManagerSettings
from hyperliquid_ofi_trader.execution.order_store import OrderStore
from hyperliquid_ofi_trader.risk.recovery import RecoveryPolicy
from hyperliquid_ofi_trader.runtime.assembly import Execution, Strategy, build_engine, build_trust
from hyperliquid_ofi_trader.runtime.execution_stack import ExecutionStack, build_execution
from hyperliquid_ofi_trader.runtime.recovery_tick import (
    books_fresh,
    fresh_book_ns,
    needed_coins,
    recovery_tick,
)
from hyperliquid_ofi_trader.runtime.replay import JOURNAL_FLUSH_PERIOD_NS, STATUS_PERIOD_NS
from hyperliquid_ofi_trader.runtime.run_context import recording_context, write_run_context
from hyperliquid_ofi_trader.sim.latency import (
    DEFAULT_FEED,
    Distribution,
    LatencyConfig,
    LatencyModel,
)
from hyperliquid_ofi_trader.sim.settings import SimInstrument, SimSettings
from hyperliquid_ofi_trader.sim.venue import SimVenue
from hyperliquid_ofi_trader.venues.hyperliquid.asset_meta import AssetRegistry
from hyperliquid_ofi_trader.venues.hyperliquid.common.fees import BASE_MAKER_FEE, BASE_TAKER_FEE
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import RateLimiter
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import SecretKey
from hyperliquid_ofi_trader.venues.hyperliquid.signing.nonce import NonceCounter
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer, RecoveryMemo
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

JOURNAL_NAME: Final = "journal.sqlite"
# Rows per journal / order-store commit. Live trading commits small batches (and every
# order's rows before it leaves) to bound what a crash loses; a backtest's orders never
# leave the process and a crashed backtest is rerun, so it commits rarely (and at each
# flush timer, as live).
BACKTEST_WRITE_BATCH: Final = 4096
_MARKET: Final = (BookSnapshot, Bbo, Trades, AssetCtx)
# The simulated account's key is fixed, not random: the venue's fill hashes derive from the
# signer's address, and a backtest must be repeatable. It only ever signs for the in-process
# venue.
_ACCOUNT_SEED: Final = b"hyperliquid_ofi_trader backtest account v1"


class BacktestError(OurBugError):
    """The backtest cannot start with what the user gave (output exists, no data)."""


@dataclass(frozen=True, slots=True)
class BacktestSettings:
    """Venue economics and mechanics of a backtest. Fees are fractions (0.00045 = 4.5 bps),
    by default the venue's base tier; a negative maker fee is a rebate."""

    taker_fee: float = BASE_TAKER_FEE
    maker_fee: float = BASE_MAKER_FEE
    initial_usdc: float = 100_000.0
    lookahead_ns: int = 2_000_000_000
    order_settings: OrderManagerSettings | None = None  # None: risk.yaml `execution`
    # The live gateway's client-side budgets, risk.yaml `rate_limits` (False: send at once
    # and let the venue refuse).
    client_budgets: bool = True

    def __post_init__(self) -> None:
        if self.lookahead_ns < 0:
            raise BacktestError("lookahead_ns must not be negative")

    def venue_settings(self, cfg: AppConfig) -> SimSettings:
        instruments = tuple(SimInstrument(name, spec.sz_decimals, spec.max_leverage)
                            for name, spec in cfg.symbols.coins.items())
        return SimSettings(instruments=instruments, taker_fee=self.taker_fee,
                           maker_fee=self.maker_fee, initial_usdc=self.initial_usdc)


@dataclass(slots=True)
class BacktestResult:
    """What a backtest did, for the CLI summary, `--json` and tests."""

    source: str
    out_dir: str
    journal: str
    seed: int
    latency: dict[str, str] = field(default_factory=dict)
    frames: int = 0
    market_events: int = 0
    engine_events: int = 0
    queue_entries: int = 0
    late_market_events: int = 0
    first_local_ns: int = 0
    last_local_ns: int = 0
    wall_s: float = 0.0
    journal_sha256: str = ""
    read: dict[str, Any] = field(default_factory=dict)
    codec_rejections: dict[str, int] = field(default_factory=dict)
    engine: dict[str, Any] = field(default_factory=dict)
    execution: dict[str, Any] = field(default_factory=dict)
    gateway: dict[str, Any] = field(default_factory=dict)
    venue: dict[str, Any] = field(default_factory=dict)
    report: str | None = None

    @property
    def events_per_s(self) -> float:
        return self.engine_events / self.wall_s if self.wall_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["recorded_span_s"] = ((self.last_local_ns - self.first_local_ns) / 1e9
                                  if self.frames else 0.0)
        out["events_per_s"] = self.events_per_s
        return out


def account_key() -> SecretKey:
    return SecretKey(hashlib.sha256(_ACCOUNT_SEED).digest())


class BacktestDriver:
    """Schedules every frame's events on the queue and runs the queue in time order."""

    __slots__ = ("clock", "codec", "engine", "engine_events", "first_local_ns", "frames",
                 "gateway", "late", "latency", "lookahead_ns", "market_events", "on_status",
                 "queue", "timers", "timers_next_ns", "venue")

    def __init__(self, engine: Engine, clock: ReplayClock, queue: EventQueue,
                 venue: SimVenue, gateway: SimulatedGateway, latency: LatencyModel,
                 codec: HyperliquidCodec, lookahead_ns: int) -> None:
        self.engine, self.clock, self.queue = engine, clock, queue
        self.venue, self.gateway, self.latency, self.codec = venue, gateway, latency, codec
        self.lookahead_ns = lookahead_ns
        self.timers = PeriodicTimers({"journal_flush": JOURNAL_FLUSH_PERIOD_NS,
                                      "status": STATUS_PERIOD_NS})
        self.timers_next_ns = 0  # before this no timer is due (skips `due` per event)
        self.frames = self.market_events = self.engine_events = self.late = 0
        self.first_local_ns = 0
        # Called after each status timer with its time (the recovery policy, as live).
        self.on_status: Callable[[int], None] | None = None

    # ------------------------------------------------------------ queue actions

    def deliver(self, event: AnyEvent) -> None:
        """The engine receives `event` now (queue time): clock, due timers, then the event."""
        clock = self.clock
        clock.advance_to(self.queue.now_ns())
        on_event = self.engine.on_event
        now = clock.now_ns()
        if now >= self.timers_next_ns:
            for timer in self.timers.due(now):
                on_event(timer)
                if timer.name == "status" and self.on_status is not None:
                    self.on_status(timer.local_ns)
            self.timers_next_ns = self.timers.next_ns()
        self.engine_events += 1
        on_event(event)

    def to_venue(self, event: BookSnapshot | Bbo | Trades | AssetCtx) -> None:
        """The market moves at the venue (exchange time)."""
        venue = self.venue  # the gateway's venue (`_assemble`)
        venue.on_market(event)
        if venue.has_pushes():  # one of our orders traded; else draining is a no-op (per frame)
            self.gateway.drain_pushes(self.queue.now_ns())

    def start(self, _: object) -> None:
        # As after any connect: reconcile the account before the engine may trade.
        self.gateway.reconcile()

    # ------------------------------------------------------------ frames

    def feed(self, local_ns: int, raw: bytes | str) -> None:
        self.feed_decoded(local_ns, self.codec.decode(raw, local_ns))

    def feed_decoded(self, local_ns: int, events: list[AnyEvent]) -> None:
        """One frame, already decoded (by this driver's codec, or read back from the
        decoded-recording cache)."""
        queue = self.queue
        if not self.frames:
            self.first_local_ns = local_ns
            queue.push(local_ns, self.start)
        queue.run_until(local_ns - self.lookahead_ns)
        self.frames += 1
        for event in events:
            if isinstance(event, _MARKET):
                self._schedule_market(event, local_ns)
            else:  # codec rejections and the like: the engine counts them on receipt
                queue.push(local_ns, self.deliver, event)

    def _schedule_market(self, event: BookSnapshot | Bbo | Trades | AssetCtx,
                         local_ns: int) -> None:
        queue = self.queue
        self.market_events += 1
        venue_ns = event.exchange_ns or local_ns  # asset contexts carry no venue time
        if venue_ns < queue.now_ns():
            self.late += 1
        queue.push(venue_ns, self.to_venue, event)
        at = self.latency.market_receive_ns(event.exchange_ns, local_ns)
        if at != local_ns:
            event = msgspec.structs.replace(event, local_ns=at)
        queue.push(at, self.deliver, event)

    def run(self, frames: Iterable[Frame], limit: int | None = None,
            on_progress: Callable[[int], None] | None = None) -> None:
        for local_ns, raw in frames:
            if limit is not None and self.frames >= limit:
                break
            self.feed(local_ns, raw)
            if on_progress is not None and self.frames % 1000 == 0:
                on_progress(self.frames)
        self.queue.run_all()  # answers and pushes still in flight

    def run_decoded(self, frames: Iterable[DecodedFrame], limit: int | None = None,
                    on_progress: Callable[[int], None] | None = None) -> None:
        for local_ns, events in frames:
            if limit is not None and self.frames >= limit:
                break
            self.feed_decoded(local_ns, events)
            if on_progress is not None and self.frames % 1000 == 0:
                on_progress(self.frames)
        self.queue.run_all()  # answers and pushes still in flight


# ---------------------------------------------------------------- assembly


@dataclass(slots=True)
class _Run:
    engine: Engine
    driver: BacktestDriver
    stack: ExecutionStack
    store: OrderStore


class _BacktestOrderStore(OrderStore):
    """The order store of a backtest commits full batches only, and the rest at close:
    live, a new order is made durable before it leaves and the flush timer bounds what a
    crash loses; in a backtest no order leaves the process, and nothing reads these
    tables back during the run. (It writes through the journal's non-durable writer: no
    ahead-log file.)"""

    __slots__ = ()

    def flush(self, *, force: bool = False) -> None:
        if force or self.pending >= self.batch_size:  # close() forces
            super().flush(force=force)


def _assemble(cfg: AppConfig, journal: Journal, journal_path: Path, clock: ReplayClock,
              seed: int, latency: LatencyConfig | None, settings: BacktestSettings,
              codec: HyperliquidCodec) -> _Run:
    # The queue starts one lookahead before the first receive time: the first frames'
    # exchange times lie before it.
    queue = EventQueue(clock.now_ns() - settings.lookahead_ns)
    venue = SimVenue(settings.venue_settings(cfg), queue)
    key = account_key()
    venue.open_account(key.address)
    # The venue recovers every action our signer made in this process: known at once.
    venue.signatures = RecoveryMemo()
    model = LatencyModel(latency, seed)
    assets = AssetRegistry.from_meta(venue.meta())
    # The journal's writer (no fsyncs, no ahead log: durable=False): one connection.
    store = _BacktestOrderStore(journal.writer, batch_size=BACKTEST_WRITE_BATCH)
    holder: list[BacktestDriver] = []
    signer = L1Signer(key, mainnet=venue.settings.mainnet, memo=venue.signatures)
    gateway = SimulatedGateway(venue, signer,
                               NonceCounter(clock), assets, model, queue,
                               lambda ev: holder[0].deliver(ev),
                               limits=RateLimiter(cfg.risk.rate_limits)
                               if settings.client_budgets else None)
    stacks: list[ExecutionStack] = []
    trust = build_trust(cfg)

    def factory(markets: Mapping[str, CoinData], strategy: Strategy) -> Execution:
        stack = build_execution(cfg, clock, markets, gateway, store, trust,
                                strategy.signals.fresh,
                                settings.order_settings or OrderManagerSettings.from_config(cfg))
        stacks.append(stack)
        return stack.execution

    engine, _ = build_engine(cfg, clock, journal, execution=factory, trust=trust)
    driver = BacktestDriver(engine, clock, queue, venue, gateway, model, codec,
                            settings.lookahead_ns)
    holder.append(driver)
    driver.on_status = _recovery(cfg, engine, stacks[0], gateway)
    return _Run(engine, driver, stacks[0], store)


def _recovery(cfg: AppConfig, engine: Engine, stack: ExecutionStack,
              gateway: SimulatedGateway) -> Callable[[int], None]:
    """The live runner's recovery policy on the status tick (runtime/recovery_tick.py): a
    halt that live trading leaves by itself must not latch for the rest of a backtest."""
    policy = RecoveryPolicy(cfg.risk.recovery)
    coins, max_age = needed_coins(cfg), fresh_book_ns(cfg)

    def on_status(now_ns: int) -> None:
        recovery_tick(policy, engine, stack.kill, gateway.reconcile, now_ns,
                      books_ok=books_fresh(engine.markets, coins, now_ns, max_age))

    return on_status


def run_backtest(cfg: AppConfig, data: ReplaySource, out_dir: Path, seed: int = 0, *,
                 latency: LatencyConfig | None = None,
                 settings: BacktestSettings | None = None, limit: int | None = None,
                 on_progress: Callable[[int], None] | None = None,
                 stopwatch: Callable[[], float] | None = None,
                 decoded_cache: Path | Literal[False] | None = None) -> BacktestResult:
    """Backtest `cfg` over the recording at `data`; the journal goes to
    `out_dir/journal.sqlite` (which must not exist yet). `stopwatch` (e.g.
    `time.perf_counter`, from the CLI or a benchmark) only times the run.

    `decoded_cache`: the folder of the decoded-recording cache (data/decoded_cache.py;
    None: where the environment says, False: none). A run with a `limit` neither reads
    nor writes it (its counts must describe the frames it read)."""
    settings = settings or BacktestSettings()
    journal_path = out_dir / JOURNAL_NAME
    if journal_path.exists():
        raise BacktestError(f"{journal_path} already exists: choose another output folder")
    stats = ReadStats()
    codec = HyperliquidCodec(frozenset(cfg.symbols.coins))
    cache_dir = (None if decoded_cache is False or limit is not None
                 else decoded_cache or default_cache_dir())
    try:  # raises early for a bad source, and for missing coins before any output exists
        first_ns, frames = open_decoded(data, stats, codec, cfg.symbols.traded, cache_dir)
    except EmptySourceError as exc:
        raise BacktestError(str(exc)) from exc
    out_dir.mkdir(parents=True, exist_ok=True)
    clock = ReplayClock(first_ns)
    result = BacktestResult(source=str(data), out_dir=str(out_dir), journal=str(journal_path),
                            seed=seed, latency=(latency or LatencyConfig()).describe())
    with Journal(journal_path, batch_size=BACKTEST_WRITE_BATCH, durable=False) as journal:
        run = _assemble(cfg, journal, journal_path, clock, seed, latency, settings, codec)
        started = stopwatch() if stopwatch is not None else 0.0
        try:
            with _setup_frozen(), _young_collections_spaced():
                run.driver.run_decoded(frames, limit, on_progress)
        finally:
            frames.close()  # a cache entry being written is kept only after the last frame
            run.engine.flush()
            run.stack.orders.flush()
            run.store.close()
        _fill_result(result, run, stats)
    # After the journal's close: its last (in a backtest, most) rows are committed there.
    result.wall_s = stopwatch() - started if stopwatch is not None else 0.0
    result.journal_sha256 = journal_sha256(journal_path)
    return result


@contextmanager
def _setup_frozen() -> Iterator[None]:
    """Everything alive before the replay (modules, the config, the assembled engine and
    venue: ~100k objects) is set aside from the cyclic garbage collector for the run:
    each full collection walked all of it, ~0.1 s each (a 15-minute run made two). Given
    back afterwards (garbage among it is collected then); left alone if the process had
    already frozen objects of its own."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


# Net new container objects between two young-generation collections during the replay.
# Python's 700 made ~685 collections in an hour of synthetic data (and ~65 older ones),
# ~0.17 s, that found 240 cyclic objects in all: a decision's objects die by reference
# counting. 20,000 makes ~15 collections (~0.06 s) that find the same 240.
_REPLAY_GC_YOUNG: Final = 20_000


@contextmanager
def _young_collections_spaced() -> Iterator[None]:
    """Collect the young generation every `_REPLAY_GC_YOUNG` new objects during
    the replay, and put the process's thresholds back afterwards. Left alone when the
    automatic collector is off (disabled, or a threshold of 0) or already less frequent."""
    thresholds = gc.get_threshold()
    young = thresholds[0]
    if not gc.isenabled() or young == 0 or young >= _REPLAY_GC_YOUNG:
        yield
        return
    gc.set_threshold(_REPLAY_GC_YOUNG, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _fill_result(result: BacktestResult, run: _Run, stats: ReadStats) -> None:
    d = run.driver
    result.frames, result.market_events = d.frames, d.market_events
    result.engine_events, result.queue_entries = d.engine_events, d.queue.processed
    result.late_market_events = d.late
    result.first_local_ns, result.last_local_ns = d.first_local_ns, d.clock.now_ns()
    result.read = dataclasses.asdict(stats)
    result.codec_rejections = dict(d.codec.rejections)
    result.engine = msgspec.to_builtins(run.engine.snapshot())
    result.execution = msgspec.to_builtins(run.stack.summary())
    result.gateway = dataclasses.asdict(d.gateway.stats)
    result.venue = _venue_summary(d.venue, d.gateway.account)


def _venue_summary(venue: SimVenue, account: str) -> dict[str, Any]:
    """What the venue says the account ended with (its own ledger, not ours)."""
    status, state = venue.handle_info({"type": "clearinghouseState", "user": account},
                                      venue.clock.now_ns())
    memo = venue.signatures
    out: dict[str, Any] = {"rejected": dict(venue.rejected),
                           "signatures_known": 0 if memo is None else memo.hits}
    if status == 200 and isinstance(state, dict):
        out["account_value"] = state.get("marginSummary", {}).get("accountValue")
        out["positions"] = {p["position"]["coin"]: p["position"]["szi"]
                            for p in state.get("assetPositions", [])}
    return out


def write_html_report(result: BacktestResult) -> Path | None:
    """The HTML report next to the journal, when the report module is installed."""
    try:
        from hyperliquid_ofi_trader.backtest.report_html import render_report
    except ImportError:
        return None
    write_run_context(Path(result.out_dir), recording_context(Path(result.source)))
    _, files = render_report(Path(result.journal), Path(result.out_dir))
    result.report = str(files.html)
    return files.html


# ---------------------------------------------------------------- synthetic recordings


def record_synthetic(out_dir: Path, duration_s: float, seed: int = 0, *,
                     receive_delay: Distribution | None = None) -> int:
    """Record `duration_s` of the seeded synthetic market (sim/synthetic.py) as a
    recording (wire frames via sim/wire_encode, written by `data.recording.FrameRecorder`),
    as if a recorder had received each block `receive_delay` after it was published
    (default: the default feed latency; never earlier than the previous block). Returns
    the number of frames written. For tests, benchmarks and demos of the backtest."""
    from hyperliquid_ofi_trader.data.recording import FrameRecorder
    from hyperliquid_ofi_trader.sim.synthetic import SyntheticMarket
    from hyperliquid_ofi_trader.sim.wire_encode import encode_market_event

    market = SyntheticMarket(seed=seed)
    delay = receive_delay or DEFAULT_FEED
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    end_ns = market.settings.start_ns + int(duration_s * 1e9)
    local_ns = frames = 0
    with FrameRecorder(out_dir, "synthetic") as recorder:
        for block_ns, events in market.iter_blocks():
            if block_ns > end_ns:
                break
            local_ns = max(block_ns + int(delay.draw(rng, 1)[0]), local_ns)
            for event in events:
                recorder.write(encode_market_event(event), local_ns)
                frames += 1
    return frames
