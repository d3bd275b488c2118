"""The one writer of the run database (`RunDatabaseWriter`) and its SQLite plumbing.

The journal (decisions, state changes, errors) and the order store (orders, fills,
positions, reservations) live in one file and write it through ONE connection: each keeps
its own batch and commit rhythm (what it must make durable when), and both commit through
the writer's `write` / `commit`. Two connections on one file used to meet each other's
write locks (each wait up to the busy timeout, on the event loop) and doubled the WAL
bookkeeping; one connection on one thread cannot lock itself out.

WAL checkpoints (milliseconds) run only in commits that may take them: the order store's
commits happen on the order path (a cloid reservation inside a submit, a batch commit
reached by a new order's row), so they pass `checkpoint=False` and the connection's
automatic checkpoint is off for them; the journal's commits, made after the orders left,
keep checkpointing the shared file.

Three failures seen in fault runs shape it:
- A value SQLite cannot bind (an int beyond 64 bits raises `OverflowError`, not a
  `sqlite3.Error`) escaped the writer's `except sqlite3.Error`, left the connection inside
  an open transaction, and every later write of the process failed ("cannot start a
  transaction within a transaction", "database is locked"). Here a transaction rolls back
  on ANY exception (`atomic`), and a leftover open transaction is rolled back before the
  next one starts.
- One poisoned row failed its whole batch, and the batch was kept for retry, so it failed
  forever. `write_batch` retries a failed batch row by row and sets aside only the rows
  SQLite refuses by value (`Quarantined`); a transient failure (locked, disk full, I/O)
  keeps the whole batch for the next attempt.
- Python's default busy timeout is 5 s: a write meeting a lock blocked the event loop for
  seconds, 26 times in a row. Writers here wait at most `BUSY_TIMEOUT_S`, and while writes
  keep failing, automatic retries back off (`WriteHealth.should_retry`: one attempt in 2,
  4, ... 64 calls), so a database that stays locked costs the event loop a few 50 ms waits
  per second at most, not one per event.

Files are owner-only: the run folder 0700, the database 0600 (SQLite gives its -wal and
-shm files the database file's mode). They hold the account's whole trading history.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from hyperliquid_ofi_trader.errors import TransientError

BUSY_TIMEOUT_S: Final = 0.05
DIR_MODE: Final = 0o700
FILE_MODE: Final = 0o600
_QUARANTINE_KEEP: Final = 100  # the most recent quarantined rows kept for inspection
_MAX_RETRY_GAP: Final = 64  # calls skipped at most between two attempts while failing
_AUTOCHECKPOINT_PAGES: Final = 1000  # SQLite's default
# Page size of a database a non-durable writer creates (a backtest's): its decision rows
# (a few KB of JSON each, tens of thousands per run) fit in one 64 KiB page with others
# instead of spilling into overflow chains of 4 KiB pages, which measured ~45 % less
# CPU per row inserted. A durable (live) database keeps SQLite's default: its small,
# frequent commits would each write whole large pages to the WAL.
BULK_PAGE_SIZE: Final = 65_536

Row = tuple[Any, ...]
Statement = tuple[str, Sequence[Row]]


class TransientWriteError(TransientError):
    """The database refused a write for a reason that may pass (locked, full, I/O)."""


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A row SQLite refused by value: never retried, reported and counted."""

    sql: str
    row: Row
    error: str

    def describe(self) -> str:
        table = self.sql.split(" INTO ", 1)[-1].split(" ", 1)[0]
        return f"{table} row {self.row!r:.200} refused: {self.error}"


@dataclass(slots=True)
class WriteHealth:
    """How a writer's persistence is doing, for the degrade watch and status views."""

    failing: bool = False  # the last write attempt failed; rows are queued for retry
    write_errors: int = 0
    quarantined: int = 0
    dropped: int = 0  # rows given up after the queue bound (data lost)
    last_error: str = ""
    recent_quarantine: list[Quarantined] = field(default_factory=list)
    deferred: int = 0  # automatic attempts skipped while failing
    _streak: int = 0  # failures in a row
    _skipped: int = 0  # calls since the last attempt

    def note_failure(self, error: str) -> None:
        self.failing = True
        self.write_errors += 1
        self._streak += 1
        self.last_error = error

    def note_success(self) -> None:
        self.failing = False
        self._streak = 0
        self._skipped = 0

    def should_retry(self) -> bool:
        """Whether an automatic write should be attempted now: always while healthy; while
        failing, once in 2, 4, 8, ... 64 calls (no clock: calls come from events/timers)."""
        if not self.failing:
            return True
        self._skipped += 1
        if self._skipped >= min(2 ** self._streak, _MAX_RETRY_GAP):
            self._skipped = 0
            return True
        self.deferred += 1
        return False

    def note_quarantine(self, rows: Sequence[Quarantined]) -> None:
        self.quarantined += len(rows)
        self.recent_quarantine.extend(rows)
        del self.recent_quarantine[:-_QUARANTINE_KEEP]
        self.last_error = rows[-1].describe()


def make_private_dir(path: Path) -> None:
    """Create `path` (and missing parents) owner-only; an existing folder is left as it is,
    except the last component when it was created here."""
    existed = path.is_dir()
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if not existed:
        os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask


def _create_private_file(path: Path) -> None:
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE)
        os.close(fd)


def connect_wal(path: Path, *, page_size: int | None = None) -> sqlite3.Connection:
    """An autocommit connection in WAL mode with a short busy timeout; the folder and the
    file are created owner-only when missing. `page_size` applies to a database created
    now (SQLite ignores it for one that has pages). Raises OSError or sqlite3.Error."""
    if str(path) != ":memory:":
        make_private_dir(path.parent)
        _create_private_file(path)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                           timeout=BUSY_TIMEOUT_S)
    if page_size is not None:  # before WAL mode, which fixes the page size
        conn.execute(f"PRAGMA page_size={int(page_size)}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def atomic(conn: sqlite3.Connection, body: Callable[[sqlite3.Connection], object]) -> None:
    """Run `body` in one transaction: committed entirely, or rolled back on any exception
    (which is re-raised as it was)."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")  # left open by someone else's failure: never build on it
    conn.execute("BEGIN")
    try:
        body(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def is_transient(exc: BaseException) -> bool:
    """Locked, busy, full, I/O: worth a retry with the same rows. Anything else a row did."""
    return isinstance(exc, sqlite3.OperationalError)


def write_batch(conn: sqlite3.Connection, statements: Iterable[Statement]) -> list[Quarantined]:
    """Write every row of every statement in one transaction and return the rows set
    aside. A transient failure raises `TransientWriteError` and writes nothing."""
    batch = [(sql, rows) for sql, rows in statements if rows]
    if not batch:
        return []
    try:
        atomic(conn, lambda c: _execute_all(c, batch))
        return []
    except Exception as exc:
        if is_transient(exc):
            raise TransientWriteError(str(exc)) from exc
    return _write_row_by_row(conn, batch)


def _execute_all(conn: sqlite3.Connection, batch: Sequence[Statement]) -> None:
    for sql, rows in batch:
        conn.executemany(sql, rows)


def _write_row_by_row(conn: sqlite3.Connection,
                      batch: Sequence[Statement]) -> list[Quarantined]:
    # A failing INSERT is undone alone by SQLite (statement atomicity), and a value Python
    # cannot bind fails before the statement runs, so the rest of the batch still commits.
    refused: list[Quarantined] = []

    def body(c: sqlite3.Connection) -> None:
        for sql, rows in batch:
            for row in rows:
                try:
                    c.execute(sql, row)
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    refused.append(Quarantined(sql, tuple(row), f"{type(exc).__name__}: "
                                                               f"{exc}"))

    try:
        atomic(conn, body)
    except Exception as exc:
        raise TransientWriteError(str(exc)) from exc
    return refused


@contextmanager
def _without_checkpoint(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("PRAGMA wal_autocheckpoint=0")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA wal_autocheckpoint={_AUTOCHECKPOINT_PAGES}")


class RunDatabaseWriter:
    """The one connection that writes a run database, shared by the journal and the order
    store (see the module docstring). `durable=False` (a backtest: no order leaves the
    process, a crashed run is rerun) skips fsyncs."""

    __slots__ = ("conn", "durable", "owners", "path")

    def __init__(self, conn: sqlite3.Connection, path: Path, *, durable: bool = True) -> None:
        self.conn = conn
        self.path = path
        self.durable = durable
        self.owners = 0  # front-ends still using it; the last one to let go closes it

    @classmethod
    def open(cls, path: Path, *, durable: bool = True) -> RunDatabaseWriter:
        """Raises OSError or sqlite3.Error (the front-ends turn them into their errors)."""
        conn = connect_wal(path, page_size=None if durable else BULK_PAGE_SIZE)
        try:
            if not durable:
                conn.execute("PRAGMA synchronous=OFF")
        except sqlite3.Error:
            conn.close()
            raise
        return cls(conn, path, durable=durable)

    def write(self, statements: Iterable[Statement], *,
              checkpoint: bool = True) -> list[Quarantined]:
        """`write_batch` on the shared connection: one transaction, rows refused by value
        returned, `TransientWriteError` when nothing could be written."""
        if checkpoint:
            return write_batch(self.conn, statements)
        with _without_checkpoint(self.conn):
            return write_batch(self.conn, statements)

    def commit(self, body: Callable[[sqlite3.Connection], object], *,
               checkpoint: bool = True) -> None:
        """`atomic(body)` on the shared connection (re-raises what body raised)."""
        if checkpoint:
            atomic(self.conn, body)
            return
        with _without_checkpoint(self.conn):
            atomic(self.conn, body)

    def acquire(self) -> RunDatabaseWriter:
        self.owners += 1
        return self

    def release(self) -> None:
        """A front-end is done with the writer; the last one closes the connection."""
        self.owners -= 1
        if self.owners <= 0:
            self.conn.close()
