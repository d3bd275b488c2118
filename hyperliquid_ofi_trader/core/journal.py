"""The decision journal: an embedded SQLite database in WAL mode.

Every decision the engine takes (including "skip", "halted", "no strategy configured")
is one row of `decisions`, with the inputs that produced it as JSON, so any decision can
be explained later (`hlofi explain ID`). Trading-state changes and caught stage errors go
to `state_changes` and `errors`.

Cost on the hot path: `record_*` serialises the inputs once (orjson, a few µs) and appends
a tuple to an in-memory batch (the engine does it after submitting a decision's orders);
the batch is written in one transaction every `batch_size` rows and whenever `flush()` is
called (the engine's flush timer and shutdown).
Durability contract: `journal_mode=WAL` + `synchronous=NORMAL` means a committed batch
survives a process crash (the WAL is fsynced at checkpoints, so a power loss may lose the
last committed transactions too); a crash loses at most the rows not yet flushed, i.e.
fewer than `batch_size` rows plus whatever arrived since the last flush timer.

Ids are assigned here, not by SQLite, and `record_decision` returns the id immediately
(before the row is committed) so that orders can cite the decision that caused them.
`reserve_decision_id` hands out the id before the row exists, so the engine can submit
orders first and journal after. Ids are reserved durably in blocks (`order_meta` key
`decision_id_high`, committed before the first id of a block is handed out, as cloids
are): a process killed before its batch was written can never make the next one reuse an
id its orders already cite. A clean close gives the unused rest of the block back.
A decision row written under a reserved id (orders cite it) is committed at once, right
after the orders left; if the process died in between, the next open writes a `lost`
decision row for every order whose decision row never arrived, so every order and fill
still maps to exactly one decision.
A backtest (`durable=False`, a large `batch_size`) writes cited rows with their batch
instead, commits only full batches (and the rest at close) unless a flush is forced, and its
connection skips fsyncs (`synchronous=OFF`): its "wire" is an in-process
venue and a crashed backtest is rerun, so none of that protects anything there, while one
commit per order and the checkpoint fsyncs were most of its journal cost.

Writes go through the run database's one writer (`core.persistence.RunDatabaseWriter`,
`journal.writer`), which the order store shares: one connection, one transaction that
rolls back on any exception, a poisoned row set aside alone (`health.quarantined`), a
50 ms busy timeout, an owner-only file. `health` tells the degrade watch
(runtime/persistence_watch.py) when writes fail.

Schema versioning: `PRAGMA user_version` holds the number of applied migrations;
`MIGRATIONS` is append-only (one schema, one owner of its version). Migration 2 adds the
execution tables written by `execution/order_store.py`: orders (cloid PK, decision_id, ...),
fills (PRIMARY KEY (coin, tid), decision_id), positions and order_meta (the cloid counter
reservation), all in this same database file, so a decision -> order -> fill chain is one
join away.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import msgspec
import orjson

from hyperliquid_ofi_trader.core.persistence import (
    Quarantined,
    RunDatabaseWriter,
    TransientWriteError,
    WriteHealth,
    atomic,
)
from hyperliquid_ofi_trader.core.state import Transition
from hyperliquid_ofi_trader.errors import OurBugError

DEFAULT_BATCH_SIZE: Final = 64
# Decision ids reserved per durable commit: one ~15 us commit per this many decisions.
DECISION_ID_BLOCK: Final = 1024
DECISION_HIGH_KEY: Final = "decision_id_high"
LOST_OUTCOME: Final = "lost"
_log = logging.getLogger(__name__)

MIGRATIONS: tuple[str, ...] = (
    # 1: decisions, state changes, errors.
    """
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        exchange_ns INTEGER NOT NULL,
        local_ns INTEGER NOT NULL,
        coin TEXT NOT NULL,
        trigger TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT NOT NULL,
        trading_state TEXT NOT NULL,
        inputs TEXT NOT NULL
    );
    CREATE INDEX decisions_local_ns ON decisions(local_ns);
    CREATE TABLE state_changes (
        id INTEGER PRIMARY KEY,
        exchange_ns INTEGER NOT NULL,
        local_ns INTEGER NOT NULL,
        from_state TEXT NOT NULL,
        to_state TEXT NOT NULL,
        trigger TEXT NOT NULL,
        reason TEXT NOT NULL
    );
    CREATE INDEX state_changes_local_ns ON state_changes(local_ns);
    CREATE TABLE errors (
        id INTEGER PRIMARY KEY,
        exchange_ns INTEGER NOT NULL,
        local_ns INTEGER NOT NULL,
        stage TEXT NOT NULL,
        event_type TEXT NOT NULL,
        coin TEXT NOT NULL,
        error_type TEXT NOT NULL,
        message TEXT NOT NULL
    );
    CREATE INDEX errors_local_ns ON errors(local_ns);
    """,
    # 2: orders, fills, positions (execution/order_store.py) and the cloid reservation.
    # No REFERENCES to decisions: order rows may be committed before their decision's batch.
    """
    CREATE TABLE orders (
        cloid TEXT PRIMARY KEY,
        oid INTEGER,
        decision_id INTEGER NOT NULL,
        coin TEXT NOT NULL,
        is_buy INTEGER NOT NULL,
        px REAL NOT NULL,
        sz REAL NOT NULL,
        tif TEXT NOT NULL,
        reduce_only INTEGER NOT NULL,
        tag TEXT NOT NULL,
        state TEXT NOT NULL,
        filled REAL NOT NULL,
        avg_px REAL NOT NULL,
        fee REAL NOT NULL,
        created_ns INTEGER NOT NULL,
        updated_ns INTEGER NOT NULL,
        last_error TEXT NOT NULL,
        replaces TEXT,
        replaced_by TEXT
    );
    CREATE INDEX orders_state ON orders(state);
    CREATE INDEX orders_decision ON orders(decision_id);
    CREATE INDEX orders_oid ON orders(oid);
    CREATE TABLE fills (
        coin TEXT NOT NULL,
        tid INTEGER NOT NULL,
        cloid TEXT,
        oid INTEGER NOT NULL,
        px REAL NOT NULL,
        sz REAL NOT NULL,
        is_buy INTEGER NOT NULL,
        fee REAL NOT NULL,
        crossed INTEGER NOT NULL,
        exchange_ns INTEGER NOT NULL,
        local_ns INTEGER NOT NULL,
        decision_id INTEGER,
        PRIMARY KEY (coin, tid)
    );
    CREATE INDEX fills_cloid ON fills(cloid);
    CREATE INDEX fills_decision ON fills(decision_id);
    CREATE INDEX fills_local_ns ON fills(local_ns);
    CREATE TABLE positions (
        coin TEXT PRIMARY KEY,
        size REAL NOT NULL,
        entry_px REAL NOT NULL,
        updated_ns INTEGER NOT NULL
    );
    CREATE TABLE order_meta (
        key TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    );
    """,
)
SCHEMA_VERSION: Final = len(MIGRATIONS)

_INSERT_DECISION = ("INSERT INTO decisions (id, exchange_ns, local_ns, coin, trigger, outcome, "
                    "reason, trading_state, inputs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
_INSERT_STATE = ("INSERT INTO state_changes (id, exchange_ns, local_ns, from_state, to_state, "
                 "trigger, reason) VALUES (?, ?, ?, ?, ?, ?, ?)")
_INSERT_ERROR = ("INSERT INTO errors (id, exchange_ns, local_ns, stage, event_type, coin, "
                 "error_type, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
_JSON_OPTS: Final = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
# Tried first: orjson's non-str-key mode is ~15 % slower on every dict, and the inputs'
# keys are str in practice. It encodes every str-keyed document to the same text, and
# refuses (so `_JSON_OPTS` is then tried) any other.
_JSON_OPTS_STR_KEYS: Final = orjson.OPT_SERIALIZE_NUMPY
_SET_META: Final = "INSERT OR REPLACE INTO order_meta (key, value) VALUES (?, ?)"
# Orders whose decision row never reached the file (the process died between sending
# and journaling): one `lost` decision each, so the order still cites exactly one row.
_RECOVER_LOST: Final = (
    "INSERT INTO decisions (id, exchange_ns, local_ns, coin, trigger, outcome, reason, "
    "trading_state, inputs) "
    "SELECT o.decision_id, 0, MIN(o.created_ns), MIN(o.coin), 'recovery', ?, "
    "'the process ended after sending these orders and before journaling the decision; "
    "its inputs are lost', 'UNKNOWN', json_object('orders', json_group_array(o.cloid)) "
    "FROM orders o LEFT JOIN decisions d ON d.id = o.decision_id "
    "WHERE d.id IS NULL AND o.decision_id > 0 GROUP BY o.decision_id")


class JournalError(OurBugError):
    """The journal file cannot be used (bad path, not a journal, newer schema): user-facing."""


def _json_default(obj: Any) -> Any:
    # Structs (events, regime states) and anything else the inputs carry: never fail a
    # decision record because one input has an unexpected type; store its text instead.
    if isinstance(obj, msgspec.Struct):
        return msgspec.to_builtins(obj)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=repr)
    return repr(obj)


def encode_inputs(inputs: Mapping[str, Any]) -> str:
    """Inputs as JSON text. Non-finite floats become null (orjson's rule). Never raises:
    what orjson cannot encode even with `_json_default` (an int beyond 64 bits, a cycle)
    is stored as its repr, so the decision itself is never lost."""
    try:
        return orjson.dumps(inputs, default=_json_default, option=_JSON_OPTS_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        pass  # a non-str key, or what even `_JSON_OPTS` cannot encode
    try:
        return orjson.dumps(inputs, default=_json_default, option=_JSON_OPTS).decode()
    except (TypeError, orjson.JSONEncodeError) as exc:
        fallback = {"unencodable_inputs": repr(inputs)[:10_000], "error": str(exc)}
        return orjson.dumps(fallback).decode()


def _open_writer(path: Path, durable: bool) -> RunDatabaseWriter:
    try:
        return RunDatabaseWriter.open(path, durable=durable).acquire()
    except (OSError, sqlite3.Error) as exc:
        raise JournalError(f"cannot open journal {path}: {exc}") from exc


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Apply pending migrations in one transaction each; return the resulting version."""
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise JournalError(f"{path} is not a journal database: {exc}") from exc
    if version > SCHEMA_VERSION:
        raise JournalError(f"{path} has schema version {version}, newer than this program "
                           f"understands ({SCHEMA_VERSION}); upgrade hyperliquid_ofi_trader")
    for number in range(version, SCHEMA_VERSION):
        try:
            conn.executescript(f"BEGIN; {MIGRATIONS[number]}; "
                               f"PRAGMA user_version = {number + 1}; COMMIT;")
        except BaseException as exc:  # any exception: never leave the migration open
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if not isinstance(exc, sqlite3.Error):
                raise
            raise JournalError(f"{path}: migration {number + 1} failed: {exc}") from exc
    return SCHEMA_VERSION


def _max_id(conn: sqlite3.Connection, table: str) -> int:
    row = conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()
    return int(row[0])


def _decision_high(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM order_meta WHERE key = ?",
                       (DECISION_HIGH_KEY,)).fetchone()
    return 0 if row is None else int(row[0])


def recover_lost_decisions(conn: sqlite3.Connection) -> int:
    """Write a `lost` decision for every order citing a decision with no row; returns how
    many. Run at open, before this process writes anything."""
    before = conn.total_changes
    atomic(conn, lambda c: c.execute(_RECOVER_LOST, (LOST_OUTCOME,)))
    return conn.total_changes - before


class Journal:
    """Append-only writer of decisions, state changes and errors, batched."""

    __slots__ = (
        "_conn",
        "_decision_high",
        "_decisions",
        "_errors",
        "_next_decision",
        "_next_error",
        "_next_state",
        "_released",
        "_reserved",
        "_states",
        "batch_size",
        "durable",
        "flushes",
        "health",
        "max_pending",
        "path",
        "recovered_lost",
        "writer",
    )

    def __init__(self, path: Path | str, *, batch_size: int = DEFAULT_BATCH_SIZE,
                 max_pending: int = 100_000, durable: bool = True) -> None:
        if batch_size <= 0:
            raise ValueError(f"journal batch_size must be positive, got {batch_size}")
        self.path = Path(path)
        self.batch_size = batch_size
        self.durable = durable  # False only where no order leaves the process
        # The run database's one writer: the order store writes through it too
        # (`OrderStore(journal.writer)`), on the same connection.
        self.writer = _open_writer(self.path, durable)
        self._released = False
        self._conn = self.writer.conn
        try:
            migrate(self._conn, self.path)
        except JournalError:
            self.writer.release()
            raise
        try:
            self.recovered_lost = recover_lost_decisions(self._conn)
            self._next_decision = max(_max_id(self._conn, "decisions") + 1,
                                      _decision_high(self._conn))
            self._next_state = _max_id(self._conn, "state_changes") + 1
            self._next_error = _max_id(self._conn, "errors") + 1
        except sqlite3.Error as exc:
            self.writer.release()
            raise JournalError(f"cannot read journal {self.path}: {exc}") from exc
        if self.recovered_lost:
            _log.warning("journal: %d order decision(s) of an earlier process were never "
                         "written; recorded as '%s'", self.recovered_lost, LOST_OUTCOME)
        self._decision_high = self._next_decision  # nothing reserved by this process yet
        self.health = WriteHealth()
        self._decisions: list[tuple[Any, ...]] = []
        self._reserved: set[int] = set()  # reserved decision ids whose row is not written
        self._states: list[tuple[Any, ...]] = []
        self._errors: list[tuple[Any, ...]] = []
        self.max_pending = max_pending
        self.flushes = 0

    @property
    def write_errors(self) -> int:
        return self.health.write_errors

    @property
    def dropped(self) -> int:
        return self.health.dropped

    @property
    def pending(self) -> int:
        """Rows recorded but not yet committed (what a crash right now would lose)."""
        return len(self._decisions) + len(self._states) + len(self._errors)

    def _take_decision_id(self) -> int:
        did = self._next_decision
        if did >= self._decision_high:
            self._reserve_decision_ids(did + DECISION_ID_BLOCK)
        self._next_decision = did + 1
        return did

    def _reserve_decision_ids(self, high: int) -> None:
        """Commit that ids below `high` may be in use before handing any of them out."""
        self._decision_high = high
        try:
            self.writer.commit(lambda c: c.execute(_SET_META, (DECISION_HIGH_KEY, high)))
        except Exception as exc:
            # Deciding must go on (the degrade watch sees `failing`); ids of this block may
            # be reused only if the process also dies before its next successful flush.
            self.health.note_failure(f"cannot reserve decision ids: {exc}")
            _log.error("journal: cannot reserve decision ids below %d: %s", high, exc)

    def reserve_decision_id(self) -> int:
        """Take the next decision id now; write its row later with
        `record_decision(decision_id=...)`.

        Why: the engine must cite the decision in the orders it submits, but encoding the
        row (and a batch commit it may trigger) has no business between a market event and
        the order leaving. The caller must record every id it reserves, so ids stay
        gap-free and sequential in the order decisions were taken."""
        did = self._take_decision_id()
        self._reserved.add(did)
        return did

    def record_decision(self, *, exchange_ns: int, local_ns: int, coin: str, trigger: str,
                        outcome: str, reason: str, trading_state: str,
                        inputs: Mapping[str, Any], decision_id: int | None = None) -> int:
        """Queue one decision row; return its id (sequential, usable at once).

        `decision_id` is one from `reserve_decision_id` (the row is written under it);
        None takes the next id. An id not reserved, or already written, is a programming
        error (ValueError): a duplicate would make every later batch commit fail.

        A row under a reserved id is committed at once (its orders are already on the
        wire; a crash must not leave them citing nothing) unless `durable` is off;
        other rows are batched."""
        cited = decision_id is not None
        if decision_id is None:
            did = self._take_decision_id()
        elif decision_id in self._reserved:
            self._reserved.discard(decision_id)
            did = decision_id
        else:
            raise ValueError(f"decision id {decision_id} was not reserved or is already "
                             "written")
        decisions = self._decisions
        decisions.append((did, exchange_ns, local_ns, coin, trigger, outcome, reason,
                          trading_state, encode_inputs(inputs)))
        now = cited and self.durable
        # `_maybe_flush`'s test first: a call per decision saved, it flushes once a batch
        if now or (len(decisions) + len(self._states) + len(self._errors)
                   >= self.batch_size):
            self._maybe_flush(now=now)
        return did

    def record_state_change(self, tr: Transition) -> int:
        sid = self._next_state
        self._next_state = sid + 1
        self._states.append((sid, tr.exchange_ns, tr.local_ns, tr.from_state.value,
                             tr.to_state.value, tr.trigger.value, tr.reason))
        self._maybe_flush()
        return sid

    def record_error(self, *, exchange_ns: int, local_ns: int, stage: str, event_type: str,
                     coin: str, error_type: str, message: str) -> int:
        eid = self._next_error
        self._next_error = eid + 1
        self._errors.append((eid, exchange_ns, local_ns, stage, event_type, coin, error_type,
                             message))
        self._maybe_flush()
        return eid

    def _maybe_flush(self, now: bool = False) -> None:
        # `pending` spelled out: this runs for every decision
        if not now and (len(self._decisions) + len(self._states) + len(self._errors)
                        < self.batch_size):
            return
        try:
            self.flush()
        except JournalError as exc:
            # A full disk must not stop trading decisions on the hot path: keep the rows for
            # the next attempt, bounded so memory cannot grow without limit.
            _log.error("journal write failed (%s pending rows kept): %s", self.pending, exc)
            if self.pending > self.max_pending:
                self.health.dropped += self.pending
                self._clear()

    def flush(self, *, force: bool = False) -> None:
        """Commit every queued row in one transaction; raise `JournalError` if the write
        failed for a reason that may pass (the rows stay queued for the next flush). A row
        SQLite refuses by value is set aside alone (counted in `health`, logged) so that
        it cannot block every later write. While writes keep failing, an attempt is only
        made now and then (`WriteHealth.should_retry`) unless `force` (close does). Not
        `durable`: only a full batch is committed unless `force` (the flush timer of a
        backtest bounds no loss worth a commit)."""
        if not self.durable and not force and self.pending < self.batch_size:
            return
        if not self.pending or not (force or self.health.should_retry()):
            return
        try:
            refused = self.writer.write(((_INSERT_DECISION, self._decisions),
                                         (_INSERT_STATE, self._states),
                                         (_INSERT_ERROR, self._errors)))
        except TransientWriteError as exc:
            self.health.note_failure(str(exc))
            raise JournalError(f"cannot write journal {self.path}: {exc}") from exc
        self._clear()
        self.flushes += 1
        self.health.note_success()
        if refused:
            self._report_quarantine(refused)

    def _report_quarantine(self, refused: Sequence[Quarantined]) -> None:
        self.health.note_quarantine(refused)
        for q in refused:
            _log.error("journal: %s", q.describe())

    def _clear(self) -> None:
        self._decisions.clear()
        self._states.clear()
        self._errors.clear()

    def close(self) -> None:
        """Flush, give back the unused decision ids of the block, and close. Idempotent.
        Never raises for a failed last write (a shutdown must end): the rows it could not
        write are logged and counted as dropped."""
        try:
            self.flush(force=True)
            self._release_unused_ids()
        except JournalError as exc:
            self.health.dropped += self.pending
            _log.error("journal: %d rows lost at close: %s", self.pending, exc)
            self._clear()
        finally:
            self._release_writer()

    def _release_writer(self) -> None:
        # Once: the order store may still write through it until it closes too.
        if not self._released:
            self._released = True
            self.writer.release()

    def _release_unused_ids(self) -> None:
        # Only after a successful flush: every id handed out is then in the file.
        if self._reserved or self._decision_high <= self._next_decision:
            return
        try:
            self.writer.commit(lambda c: c.execute(_SET_META, (DECISION_HIGH_KEY,
                                                               self._next_decision)))
        except sqlite3.Error as exc:  # closed already, another process: keep the gap
            _log.warning("journal: unused decision ids not released: %s", exc)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- read side (explain, reports)


class DecisionRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    exchange_ns: int
    local_ns: int
    coin: str
    trigger: str
    outcome: str
    reason: str
    trading_state: str
    inputs: dict[str, Any]


class StateChangeRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    exchange_ns: int
    local_ns: int
    from_state: str
    to_state: str
    trigger: str
    reason: str


class ErrorRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    exchange_ns: int
    local_ns: int
    stage: str
    event_type: str
    coin: str
    error_type: str
    message: str


class JournalReader:
    """Read-only access for `explain`, reports and tests. Never writes or migrates."""

    __slots__ = ("_conn", "path")

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise JournalError(f"journal not found: {self.path}")
        try:
            self._conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise JournalError(f"{self.path} is not a journal database: {exc}") from exc
        if version < 1:
            raise JournalError(f"{self.path} is not a journal database (no schema)")
        if version > SCHEMA_VERSION:
            raise JournalError(f"{self.path} has schema version {version}, newer than this "
                               f"program understands ({SCHEMA_VERSION})")

    def journal_mode(self) -> str:
        return str(self._conn.execute("PRAGMA journal_mode").fetchone()[0])

    def decision(self, decision_id: int) -> DecisionRow | None:
        row = self._conn.execute(
            "SELECT id, exchange_ns, local_ns, coin, trigger, outcome, reason, trading_state, "
            "inputs FROM decisions WHERE id = ?", (decision_id,)).fetchone()
        if row is None:
            return None
        return DecisionRow(id=row[0], exchange_ns=row[1], local_ns=row[2], coin=row[3],
                           trigger=row[4], outcome=row[5], reason=row[6], trading_state=row[7],
                           inputs=orjson.loads(row[8]))

    def decisions(self, limit: int | None = None) -> list[DecisionRow]:
        ids = self._conn.execute("SELECT id FROM decisions ORDER BY id LIMIT ?",
                                 (-1 if limit is None else limit,)).fetchall()
        return [d for (i,) in ids if (d := self.decision(int(i))) is not None]

    def state_changes(self, lo_ns: int = 0, hi_ns: int = 2**63 - 1) -> list[StateChangeRow]:
        rows = self._conn.execute(
            "SELECT id, exchange_ns, local_ns, from_state, to_state, trigger, reason "
            "FROM state_changes WHERE local_ns BETWEEN ? AND ? ORDER BY id", (lo_ns, hi_ns))
        return [StateChangeRow(id=r[0], exchange_ns=r[1], local_ns=r[2], from_state=r[3],
                               to_state=r[4], trigger=r[5], reason=r[6]) for r in rows]

    def errors(self, lo_ns: int = 0, hi_ns: int = 2**63 - 1) -> list[ErrorRow]:
        rows = self._conn.execute(
            "SELECT id, exchange_ns, local_ns, stage, event_type, coin, error_type, message "
            "FROM errors WHERE local_ns BETWEEN ? AND ? ORDER BY id", (lo_ns, hi_ns))
        return [ErrorRow(id=r[0], exchange_ns=r[1], local_ns=r[2], stage=r[3], event_type=r[4],
                         coin=r[5], error_type=r[6], message=r[7]) for r in rows]

    def counts(self) -> dict[str, int]:
        return {t: int(self._conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])
                for t in ("decisions", "state_changes", "errors")}

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> JournalReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
