"""The status snapshot a running system publishes for other processes (`hlofi status`,
`hlofi kill`'s confirmation, the web dashboard).

`build_status(runner)` reads the runner's components between events (same thread, never
inside one) into a `RunStatus`; `StatusPublisher` rewrites `<run_dir>/status.json`
atomically about once a second (a rename: readers never see a torn file) and once more,
with `running: false`, when the run ends. `read_status(path)` is the reader's side.

The snapshot is plain JSON so any client can use it: state and its cause, uptime,
positions and PnL (gross, fees, net), open orders with the decision that caused each, the
last decisions (read from the journal, i.e. up to its 1 s flush behind), feed health and
latency, the kill switch and the operator control channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import msgspec

from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.utils.atomic_file import atomic_write, read_small

if TYPE_CHECKING:
    from hyperliquid_ofi_trader.runtime.live import LiveRunner

log = logging.getLogger(__name__)

STATUS_FILE: Final = "status.json"
STATUS_VERSION: Final = 1
RECENT_DECISIONS: Final = 10
_NS_PER_S: Final = 1e9


class PositionStatus(msgspec.Struct, frozen=True, kw_only=True):
    coin: str
    size: float
    entry_px: float
    mark: float | None
    unrealised: float
    realised: float
    funding: float
    fees: float
    fills: int


class PnlStatus(msgspec.Struct, frozen=True, kw_only=True):
    """USD. gross = realised + unrealised + funding; net = gross - fees."""

    gross: float
    fees: float
    net: float
    realised: float
    unrealised: float
    funding: float


class OpenOrderRow(msgspec.Struct, frozen=True, kw_only=True):
    cloid: str
    oid: int | None
    coin: str
    side: str
    price: float
    size: float
    filled: float
    tif: str
    reduce_only: bool
    state: str
    decision_id: int
    age_s: float


class DecisionStatus(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    local_ns: int
    coin: str
    trigger: str
    outcome: str
    reason: str
    trading_state: str


class BookTop(msgspec.Struct, frozen=True, kw_only=True):
    bid: float | None
    ask: float | None
    mid: float | None
    spread_bps: float | None


class FeedHealth(msgspec.Struct, frozen=True, kw_only=True):
    healthy: bool
    unhealthy: tuple[str, ...]
    connects: int
    last_event_age_s: float | None
    last_error: str
    latency_ms: dict[str, dict[str, float]]


class ControlStatus(msgspec.Struct, frozen=True, kw_only=True):
    last_seq: int
    accepted: int
    rejections: int
    last_error: str


class RunStatus(msgspec.Struct, frozen=True, kw_only=True):
    version: int = STATUS_VERSION
    pid: int
    running: bool
    mode: str
    venue: str
    venue_note: str
    network: str
    account: str
    run_dir: str
    journal: str
    started_ns: int
    updated_ns: int
    uptime_s: float
    trading_state: str
    state_cause: str | None
    state_reason: str
    durable_halt: str | None  # why a kill survives restarts, None when none is recorded
    kill_switch: str | None
    books: dict[str, BookTop]
    positions: tuple[PositionStatus, ...]
    pnl: PnlStatus
    open_orders: tuple[OpenOrderRow, ...]
    last_decisions: tuple[DecisionStatus, ...]
    feed: FeedHealth
    counters: dict[str, Any]
    control: ControlStatus
    recovery: dict[str, Any] = msgspec.field(default_factory=dict)
    ui_url: str = ""  # the run's dashboard, when it serves one


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(RunStatus)


class StatusError(OurBugError):
    """A status file is missing or unreadable."""


def encode_status(status: RunStatus) -> bytes:
    return _encoder.encode(status)


def read_status(path: Path) -> RunStatus:
    raw = read_small(path)
    if raw is None:
        raise StatusError(f"no status file at {path} (the run has not published one yet)")
    try:
        return _decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise StatusError(f"unreadable status file {path}: {exc}") from None


# ---------------------------------------------------------------- the journal's tail


class JournalTail:
    """A read-only connection to the run's journal for its latest rows (opened lazily:
    the journal exists only once the run started)."""

    __slots__ = ("_conn", "path")

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    def recent_decisions(self, n: int = RECENT_DECISIONS) -> tuple[DecisionStatus, ...]:
        rows = self._query("SELECT id, local_ns, coin, trigger, outcome, reason, "
                           "trading_state FROM decisions ORDER BY id DESC LIMIT ?", (n,))
        return tuple(DecisionStatus(id=r[0], local_ns=r[1], coin=r[2], trigger=r[3],
                                    outcome=r[4], reason=r[5], trading_state=r[6])
                     for r in rows)

    def last_state_reason(self) -> str:
        rows = self._query("SELECT trigger, reason FROM state_changes ORDER BY id DESC "
                           "LIMIT 1", ())
        return f"{rows[0][0]}: {rows[0][1]}" if rows else ""

    def _query(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro",
                                             uri=True, timeout=0.05)
            return list(self._conn.execute(sql, args))
        except sqlite3.Error as exc:  # busy, not created yet: the next second will do
            log.debug("status: journal read failed: %s", exc)
            return []

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None


# ---------------------------------------------------------------- building


def build_status(runner: LiveRunner, tail: JournalTail, *, running: bool = True) -> RunStatus:
    """The runner's status now. Call between events (the runner's timer does)."""
    now = runner.clock.now_ns()
    engine = runner.engine
    snap = engine.snapshot() if engine is not None else None
    books = _books(runner)
    marks = {coin: top.mid for coin, top in books.items()}
    positions = _positions(runner, marks)
    stack = runner.stack
    return RunStatus(
        pid=runner.identity.pid, running=running, mode=runner.identity.mode,
        venue=runner.endpoints.name, venue_note=runner.identity.venue_note,
        network="mainnet" if runner.endpoints.mainnet else "testnet",
        account=runner.account, run_dir=str(runner.options.run_dir.resolve()),
        journal=str(runner.journal_path.resolve()), started_ns=runner.started_ns,
        updated_ns=now, uptime_s=max(0.0, (now - runner.started_ns) / _NS_PER_S),
        trading_state=snap.trading_state.value if snap is not None else "STARTING",
        state_cause=snap.state_cause if snap is not None else None,
        state_reason=tail.last_state_reason() if snap is not None and snap.state_cause
        else "",
        durable_halt=runner.durable_halt_reason(),
        kill_switch=stack.kill.fired if stack is not None else None,
        books=books, positions=positions, pnl=_pnl(positions),
        open_orders=_orders(runner, now), last_decisions=tail.recent_decisions(),
        feed=_feed(runner, snap, now), counters=_counters(runner, snap),
        control=runner.control_status(), recovery=runner.recovery_status(),
        ui_url=runner.ui_url)


def _books(runner: LiveRunner) -> dict[str, BookTop]:
    if runner.engine is None:
        return {}
    out: dict[str, BookTop] = {}
    for coin, market in runner.engine.markets.items():
        bid, ask = market.book.best_bid(), market.book.best_ask()
        mid = market.book.mid()
        spread = (ask[0] - bid[0]) / mid * 1e4 if bid and ask and mid else None
        out[coin] = BookTop(bid=bid[0] if bid else None, ask=ask[0] if ask else None,
                            mid=_finite(mid), spread_bps=_finite(spread))
    return out


def _positions(runner: LiveRunner, marks: dict[str, float | None]
               ) -> tuple[PositionStatus, ...]:
    stack = runner.stack
    if stack is None:
        return ()
    out = []
    for coin in stack.positions.coins():
        p = stack.positions.get(coin)
        mark = marks.get(coin)
        out.append(PositionStatus(coin=coin, size=p.size, entry_px=p.entry_px, mark=mark,
                                  unrealised=p.unrealised(mark), realised=p.realised,
                                  funding=p.funding, fees=p.fees, fills=p.fills))
    return tuple(out)


def _pnl(positions: tuple[PositionStatus, ...]) -> PnlStatus:
    realised = sum(p.realised for p in positions)
    unrealised = sum(p.unrealised for p in positions)
    funding = sum(p.funding for p in positions)
    fees = sum(p.fees for p in positions)
    gross = realised + unrealised + funding
    return PnlStatus(gross=gross, fees=fees, net=gross - fees, realised=realised,
                     unrealised=unrealised, funding=funding)


def _orders(runner: LiveRunner, now: int) -> tuple[OpenOrderRow, ...]:
    stack = runner.stack
    if stack is None:
        return ()
    return tuple(OpenOrderRow(cloid=o.cloid, oid=o.oid, coin=o.coin,
                              side="buy" if o.is_buy else "sell", price=o.price, size=o.size,
                              filled=o.filled, tif=o.tif.value, reduce_only=o.reduce_only,
                              state=o.state.value,
                              decision_id=o.decision_id,
                              age_s=max(0.0, (now - o.created_ns) / _NS_PER_S))
                 for o in stack.orders.open_orders())


def _feed(runner: LiveRunner, snap: Any, now: int) -> FeedHealth:
    ws = runner.ws
    unhealthy: tuple[str, ...] = tuple(snap.feeds_unhealthy) if snap is not None else ()
    last = snap.last_local_ns if snap is not None else 0
    return FeedHealth(healthy=ws is not None and runner.connects > 0 and not unhealthy,
                      unhealthy=unhealthy, connects=runner.connects,
                      last_event_age_s=(now - last) / _NS_PER_S if last else None,
                      last_error=ws.stats.last_error if ws is not None else "",
                      latency_ms=dict(snap.latency_ms) if snap is not None else {})


def _counters(runner: LiveRunner, snap: Any) -> dict[str, Any]:
    if snap is None:
        return {}
    counters: dict[str, Any] = {"events": snap.events, "decisions": snap.decisions,
                                "outcomes": dict(snap.outcomes),
                                "rejections": dict(snap.rejections),
                                "stage_errors": dict(snap.stage_errors)}
    if runner.stack is not None:
        counters["orders"] = runner.stack.orders.summary().get("outcomes", {})
        counters["kill_switch_fires"] = dict(runner.stack.kill.fires)
    return counters


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


# ---------------------------------------------------------------- publishing


class StatusPublisher:
    """Rewrites `<run_dir>/status.json`; a failed write is logged once and retried.

    Building the snapshot takes ~0.1 ms on the event loop; the atomic write (temp file +
    rename) takes milliseconds on some filesystems, so the periodic publish hands it to a
    worker thread (`background=True`) and the loop never waits on the disk. Writes are
    numbered: one that finishes after a newer one (the final `running: false` snapshot
    among them) is dropped, never written over it."""

    __slots__ = ("_failing", "_in_flight", "_lock", "_next_seq", "_written_seq", "path",
                 "skipped", "tail", "writes")

    def __init__(self, run_dir: Path, journal_path: Path) -> None:
        self.path = run_dir / STATUS_FILE
        self.tail = JournalTail(journal_path)
        self.writes = 0
        self.skipped = 0  # periodic snapshots dropped while the previous write was slow
        self._failing = False
        self._lock = threading.Lock()
        self._next_seq = 0
        self._written_seq = -1
        self._in_flight: asyncio.Future[None] | None = None

    def publish(self, runner: LiveRunner, *, running: bool = True,
                background: bool = False) -> RunStatus:
        status = build_status(runner, self.tail, running=running)
        data, seq = encode_status(status), self._next_seq
        self._next_seq += 1
        if not background:
            self._write(seq, data)
        elif self._in_flight is not None and not self._in_flight.done():
            self.skipped += 1  # the disk is slower than the period: the next one is fresher
        else:
            loop = asyncio.get_running_loop()
            self._in_flight = loop.run_in_executor(None, self._write, seq, data)
        return status

    def _write(self, seq: int, data: bytes) -> None:
        with self._lock:
            if seq < self._written_seq:
                return
            try:
                atomic_write(self.path, data, durable=False, mode=0o644)
            except OSError as exc:
                if not self._failing:
                    log.error("cannot write the status file %s: %s", self.path, exc)
                self._failing = True
                return
            self._written_seq = seq
            self._failing = False
            self.writes += 1

    def close(self) -> None:
        self.tail.close()
