"""Persistence of orders, fills and positions in the journal's SQLite database (WAL).

The tables come from `core.journal.MIGRATIONS` (migration 2), so a decision -> order ->
fill chain is one join away in one file. Writes are batched like the journal's: `save_*`
only queues (an order saved twice before a flush is written once, last state wins) and
`flush()` commits everything in one transaction, automatically every `batch_size` rows
and on the owner's flush timer / shutdown.

The synchronous writes are `save_nonce_floor` and `save_daily_pnl` (a timer's, off the
order path) and `reserve_cloids`: the order manager reserves a block of cloid
counter values and commits the reservation BEFORE using any of them, so a crash can never
make a restarted process reuse a cloid the venue has already seen.

Durability: as the journal's (a crash loses at most the unflushed rows), except for new
orders: the order manager calls `write_ahead()` before sending, which appends the new
order rows to a write-ahead log next to the database (execution/order_ahead_log.py, one
`os.write`, a few µs; without a log file, a commit of the batch). The next open inserts
the logged rows the database lacks, so every order the venue ever saw has a row whatever
killed the process. Lost fills are not lost for good: a restart reconciles against the
venue's recent fills.

In a run the store writes through the journal's `RunDatabaseWriter` (`OrderStore(
journal.writer)`): one connection writes the file, each side with its own batches.
Writes go through `core.persistence`: a transaction rolls back on any exception (a value
SQLite cannot bind raises OverflowError, not sqlite3.Error), a row refused by value is
set aside alone (`health.quarantined`) instead of failing every later batch, and a lock
is waited for 50 ms at most. `health.failing` feeds the degrade watch.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

import msgspec

from hyperliquid_ofi_trader.core.journal import JournalError, migrate, recover_lost_decisions
from hyperliquid_ofi_trader.core.persistence import (
    RunDatabaseWriter,
    TransientWriteError,
    WriteHealth,
    atomic,
)
from hyperliquid_ofi_trader.core.records import PositionRow
from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.execution.order_ahead_log import OrderAheadLog, log_path, read_rows

DEFAULT_BATCH_SIZE: Final = 64
LIVE_STATES: Final = ("pending", "resting", "partially_filled", "cancel_pending", "unknown")
_CLOID_KEY: Final = "cloid_counter"
_NONCE_KEY_PREFIX: Final = "nonce_floor:"
_DAILY_PNL_KEY_PREFIX: Final = "daily_pnl_micro_usd:"  # order_meta values are integers
_DAY_OPEN_KEY_PREFIX: Final = "day_open_account_micro_usd:"
_MICRO: Final = 1_000_000
_log = logging.getLogger(__name__)


class OrderStoreError(OurBugError):
    """The database cannot be written or read (disk full, not a journal file): environment."""


class OrderRow(msgspec.Struct, frozen=True, kw_only=True):
    """One order as persisted (columns of `orders`)."""

    cloid: str
    oid: int | None
    decision_id: int
    coin: str
    is_buy: bool
    px: float
    sz: float
    tif: str
    reduce_only: bool
    tag: str
    state: str
    filled: float
    avg_px: float
    fee: float
    created_ns: int
    updated_ns: int
    last_error: str
    replaces: str | None
    replaced_by: str | None


class FillRow(msgspec.Struct, frozen=True, kw_only=True):
    """One fill as persisted (columns of `fills`); identity is (coin, tid)."""

    coin: str
    tid: int
    cloid: str | None
    oid: int
    px: float
    sz: float
    is_buy: bool
    fee: float
    crossed: bool
    exchange_ns: int
    local_ns: int
    decision_id: int | None


_ORDER_COLS: Final = tuple(OrderRow.__struct_fields__)
_FILL_COLS: Final = tuple(FillRow.__struct_fields__)
_UPSERT_ORDER: Final = (f"INSERT OR REPLACE INTO orders ({', '.join(_ORDER_COLS)}) "
                        f"VALUES ({', '.join('?' * len(_ORDER_COLS))})")
# A logged row never overwrites what the database already holds (that is newer).
_INSERT_ORDER_IF_NEW: Final = (f"INSERT OR IGNORE INTO orders ({', '.join(_ORDER_COLS)}) "
                               f"VALUES ({', '.join('?' * len(_ORDER_COLS))})")
# A fill already stored (a replayed snapshot) is ignored by its (coin, tid) key.
_INSERT_FILL: Final = (f"INSERT OR IGNORE INTO fills ({', '.join(_FILL_COLS)}) "
                       f"VALUES ({', '.join('?' * len(_FILL_COLS))})")
_UPSERT_POSITION: Final = ("INSERT OR REPLACE INTO positions (coin, size, entry_px, updated_ns) "
                           "VALUES (?, ?, ?, ?)")
_UPSERT_META: Final = "INSERT OR REPLACE INTO order_meta (key, value) VALUES (?, ?)"


def _open(db: RunDatabaseWriter | sqlite3.Connection | Path | str) -> RunDatabaseWriter:
    if isinstance(db, RunDatabaseWriter):
        return db.acquire()  # the journal's: one connection writes the run database
    if isinstance(db, sqlite3.Connection):
        # Explicit BEGIN/COMMIT below need autocommit mode (no implicit transactions).
        db.isolation_level = None
        return RunDatabaseWriter(db, Path("<connection>"))
    path = Path(db)
    try:
        return RunDatabaseWriter.open(path).acquire()
    except (OSError, sqlite3.Error) as exc:
        raise OrderStoreError(f"cannot open order store {path}: {exc}") from exc


def _day_open_key(account: str, day: int) -> str:
    return f"{_DAY_OPEN_KEY_PREFIX}{account.lower()}:{day}"


def _nonce_key(signer: str) -> str:
    return _NONCE_KEY_PREFIX + signer.lower()


def _order_from_db(r: tuple[Any, ...]) -> OrderRow:
    values = dict(zip(_ORDER_COLS, r, strict=True))
    values["is_buy"] = bool(values["is_buy"])
    values["reduce_only"] = bool(values["reduce_only"])
    return OrderRow(**values)


def _fill_from_db(r: tuple[Any, ...]) -> FillRow:
    values = dict(zip(_FILL_COLS, r, strict=True))
    values["is_buy"] = bool(values["is_buy"])
    values["crossed"] = bool(values["crossed"])
    return FillRow(**values)


class OrderStore:
    """Batched writer and restart reader of the execution tables."""

    __slots__ = ("_ahead", "_conn", "_fills", "_logged", "_orders", "_owns_conn",
                 "_positions", "_writer", "batch_size", "flushes", "health", "max_pending",
                 "path", "recovered_ahead")

    def __init__(self, db: RunDatabaseWriter | sqlite3.Connection | Path | str, *,
                 batch_size: int = DEFAULT_BATCH_SIZE, max_pending: int = 100_000) -> None:
        """`db`: the journal's writer (`journal.writer`: the run's one connection), a
        path (a writer of its own), or a borrowed connection (never closed here)."""
        if batch_size <= 0:
            raise ValueError(f"order store batch_size must be positive, got {batch_size}")
        self._owns_conn = not isinstance(db, sqlite3.Connection)
        self._writer = _open(db)
        self._conn, self.path = self._writer.conn, self._writer.path
        try:
            migrate(self._conn, self.path)
        except JournalError as exc:
            self._let_go()
            raise OrderStoreError(str(exc)) from exc
        self.batch_size = batch_size
        self.max_pending = max_pending
        self._orders: dict[str, OrderRow] = {}
        self._fills: list[FillRow] = []
        self._positions: dict[str, PositionRow] = {}
        self.flushes = 0
        self.health = WriteHealth()
        self._logged: set[str] = set()  # cloids in the ahead log since its last clear
        self.recovered_ahead = 0
        self._ahead: OrderAheadLog | None = None
        # Durable writers only: a backtest's (durable=False) sends nothing anywhere.
        if self._owns_conn and self._writer.durable and str(self.path) != ":memory:":
            self.recovered_ahead = self._recover_ahead_log()
            self._ahead = OrderAheadLog(log_path(self.path))

    def _recover_ahead_log(self) -> int:
        """Insert the orders a previous process logged before sending but never committed
        (it died first), then the `lost` decisions they cite; returns how many orders."""
        path = log_path(self.path)
        rows = read_rows(path, OrderRow)
        if not rows:
            return 0
        astuple = msgspec.structs.astuple
        before = self._conn.total_changes
        try:
            atomic(self._conn, lambda c: c.executemany(_INSERT_ORDER_IF_NEW,
                                                       [astuple(r) for r in rows]))
            inserted = self._conn.total_changes - before
            recover_lost_decisions(self._conn)
        except Exception as exc:
            raise OrderStoreError(f"cannot recover {path}: {exc}") from exc
        path.write_bytes(b"")
        if inserted:
            _log.warning("order store: %d order(s) sent by an earlier process just before it "
                         "died were recovered from %s", inserted, path.name)
        return inserted

    @property
    def write_errors(self) -> int:
        return self.health.write_errors

    @property
    def dropped(self) -> int:
        return self.health.dropped

    @property
    def pending(self) -> int:
        return len(self._orders) + len(self._fills) + len(self._positions)

    # ------------------------------------------------------------ writes (batched)

    def save_order(self, row: OrderRow) -> None:
        self._orders[row.cloid] = row
        self._maybe_flush()

    def write_ahead(self) -> None:
        """Make the queued new orders (state `pending`) durable now, before they are sent:
        appended to the ahead log (a few µs), or, without one or when that write fails,
        committed with the batch. Never raises for the log: a failed append falls back."""
        if self._ahead is None:
            self.flush()
            return
        fresh = [r for c, r in self._orders.items()
                 if r.state == "pending" and c not in self._logged]
        if not fresh:
            return
        try:
            self._ahead.append(fresh)
        except OSError as exc:
            _log.error("order ahead log write failed, committing instead: %s", exc)
            self.flush(force=True)
            return
        self._logged.update(r.cloid for r in fresh)

    def save_fill(self, row: FillRow) -> None:
        self._fills.append(row)
        self._maybe_flush()

    def save_position(self, row: PositionRow) -> None:
        self._positions[row.coin] = row
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if self.pending < self.batch_size:
            return
        try:
            self.flush()
        except OrderStoreError as exc:
            # A full disk must not stop order handling: keep the rows (bounded) and retry.
            _log.error("order store write failed (%s rows kept): %s", self.pending, exc)
            if self.pending > self.max_pending:
                self.health.dropped += self.pending
                self._clear()

    def flush(self, *, force: bool = False) -> None:
        """Commit every queued row in one transaction; `OrderStoreError` when the write
        failed for a reason that may pass (rows stay queued for the next attempt). A row
        SQLite refuses by value is set aside alone (counted in `health`, logged). While
        writes keep failing, an attempt is only made now and then
        (`WriteHealth.should_retry`) unless `force` (close does)."""
        if not self.pending or not (force or self.health.should_retry()):
            return
        try:
            # Never a WAL checkpoint here: this commit may be on the order path.
            refused = self._writer.write(self._pending_statements(), checkpoint=False)
        except TransientWriteError as exc:
            self.health.note_failure(str(exc))
            raise OrderStoreError(f"cannot write order store {self.path}: {exc}") from exc
        self._clear()
        self.flushes += 1
        self.health.note_success()
        self._clear_ahead_log()
        if refused:
            self.health.note_quarantine(refused)
            for q in refused:
                _log.error("order store: %s", q.describe())

    def _clear_ahead_log(self) -> None:
        # Every logged row was queued, and the batch just committed holds it.
        if self._ahead is not None and self._ahead.entries:
            try:
                self._ahead.clear()
            except OSError as exc:  # recovery re-inserts nothing newer: harmless
                _log.error("order ahead log not truncated: %s", exc)
            self._logged.clear()

    def _pending_statements(self) -> list[tuple[str, list[tuple[Any, ...]]]]:
        astuple = msgspec.structs.astuple
        return [(_UPSERT_ORDER, [astuple(r) for r in self._orders.values()]),
                (_INSERT_FILL, [astuple(r) for r in self._fills]),
                (_UPSERT_POSITION, [astuple(r) for r in self._positions.values()])]

    def _transaction(self, body: Callable[[sqlite3.Connection], Any]) -> None:
        try:
            self._writer.commit(body, checkpoint=False)  # a cloid reservation: order path
        except Exception as exc:  # any exception: atomic() has rolled back already
            self.health.note_failure(str(exc))
            raise OrderStoreError(f"cannot write order store {self.path}: {exc}") from exc

    def _clear(self) -> None:
        self._orders.clear()
        self._fills.clear()
        self._positions.clear()

    def reserve_cloids(self, high: int) -> None:
        """Durably record that cloid counters below `high` may be in use. Synchronous:
        the caller must not use a counter before this returns."""
        self._transaction(lambda c: c.execute(_UPSERT_META, (_CLOID_KEY, high)))

    def save_nonce_floor(self, signer: str, floor: int) -> None:
        """Durably record that `signer` used no nonce above `floor` (+ the restart margin);
        see venues/hyperliquid/signing/nonce.py. Synchronous: called from a timer, never per
        order."""
        self._transaction(lambda c: c.execute(_UPSERT_META, (_nonce_key(signer), floor)))

    def save_daily_pnl(self, day: int, pnl_usd: float) -> None:
        """Durably record the PnL made on UTC day `day` so far (the kill switch's daily
        loss survives a restart). Synchronous: called from a timer, never per order."""
        value = round(pnl_usd * _MICRO)
        self._transaction(lambda c: c.execute(_UPSERT_META,
                                              (f"{_DAILY_PNL_KEY_PREFIX}{day}", value)))

    def save_day_open(self, account: str, day: int, account_value: float) -> None:
        """Durably record `account`'s value at the venue when UTC day `day` opened (the
        kill switch's daily loss is measured against it in every run of that day)."""
        value = round(account_value * _MICRO)
        self._transaction(lambda c: c.execute(_UPSERT_META,
                                              (_day_open_key(account, day), value)))

    # ------------------------------------------------------------ reads (restart recovery)

    def load_day_open(self, account: str, day: int) -> float | None:
        """`account`'s value saved for UTC day `day`'s open, None when no run saved one."""
        row = self._read("SELECT value FROM order_meta WHERE key = ?",
                         (_day_open_key(account, day),))
        return int(row[0][0]) / _MICRO if row else None

    def load_daily_pnl(self, day: int) -> float | None:
        """The PnL saved for UTC day `day`, None when no run saved one."""
        row = self._read("SELECT value FROM order_meta WHERE key = ?",
                         (f"{_DAILY_PNL_KEY_PREFIX}{day}",))
        return int(row[0][0]) / _MICRO if row else None

    def load_nonce_floor(self, signer: str) -> int:
        """The floor a previous process saved for `signer`, 0 when none was saved."""
        row = self._read("SELECT value FROM order_meta WHERE key = ?", (_nonce_key(signer),))
        return int(row[0][0]) if row else 0

    def load_cloid_counter(self) -> int:
        """The reserved high-water mark: every counter below it may have been used."""
        row = self._read("SELECT value FROM order_meta WHERE key = ?", (_CLOID_KEY,))
        return int(row[0][0]) if row else 0

    def load_open_orders(self) -> list[OrderRow]:
        """Orders whose last persisted state was not terminal, oldest first."""
        marks = ", ".join("?" * len(LIVE_STATES))
        rows = self._read(f"SELECT {', '.join(_ORDER_COLS)} FROM orders "
                          f"WHERE state IN ({marks}) ORDER BY created_ns, cloid", LIVE_STATES)
        return [_order_from_db(r) for r in rows]

    def load_order(self, cloid: str) -> OrderRow | None:
        pending = self._orders.get(cloid)
        if pending is not None:
            return pending
        rows = self._read(f"SELECT {', '.join(_ORDER_COLS)} FROM orders WHERE cloid = ?",
                          (cloid,))
        return _order_from_db(rows[0]) if rows else None

    def load_fills(self, cloid: str | None = None) -> list[FillRow]:
        sql = f"SELECT {', '.join(_FILL_COLS)} FROM fills"
        rows = (self._read(sql + " ORDER BY exchange_ns, tid") if cloid is None else
                self._read(sql + " WHERE cloid = ? ORDER BY exchange_ns, tid", (cloid,)))
        return [_fill_from_db(r) for r in rows]

    def load_fill_keys(self, limit: int) -> list[tuple[str, int]]:
        """(coin, tid) of the `limit` most recent stored fills: the de-duplication memory."""
        rows = self._read("SELECT coin, tid FROM fills ORDER BY exchange_ns DESC, tid DESC "
                          "LIMIT ?", (limit,))
        return [(str(c), int(t)) for c, t in rows]

    def load_positions(self) -> dict[str, PositionRow]:
        rows = self._read("SELECT coin, size, entry_px, updated_ns FROM positions")
        return {c: PositionRow(coin=c, size=s, entry_px=e, updated_ns=u) for c, s, e, u in rows}

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return list(self._conn.execute(sql, tuple(params)).fetchall())
        except sqlite3.Error as exc:
            raise OrderStoreError(f"cannot read order store {self.path}: {exc}") from exc

    def close(self) -> None:
        """Flush, and close the connection if this store opened it. Idempotent. Never
        raises for a failed last write (a shutdown must end): lost rows are logged and
        counted as dropped."""
        try:
            self.flush(force=True)
        except OrderStoreError as exc:
            self.health.dropped += self.pending
            _log.error("order store: %d rows lost at close: %s", self.pending, exc)
            self._clear()
        finally:
            if self._ahead is not None:
                self._ahead.close()
                self._ahead = None
            self._let_go()

    def _let_go(self) -> None:
        # The writer's connection closes with its last user (the journal, usually).
        if self._owns_conn:
            self._owns_conn = False
            self._writer.release()
