"""Load one run's journal (live, paper, emulator or backtest) into polars DataFrames.

The journal is opened read-only (`mode=ro`), so a report can be built while a run is
still writing (WAL readers never block the writer). Every table is optional: a journal
from a run without execution has no `orders`/`fills` rows (or, from an old schema, no
such tables); the frames are then empty with the same columns, so the metrics code has
one shape to handle.

Decision inputs are JSON written by the engine; any key may be absent (a "halted"
decision has no signals, a "not tradable" one no alpha) and a value may have an
unexpected type (the journal stores the repr of what it could not encode). Each wanted
field is extracted with a type check and becomes null when absent or malformed; rows whose
inputs are not JSON at all are counted in `bad_inputs`, never raised.

Time axis: `local_ns` (our receive clock; the replay clock in a backtest) is the one
clock every row carries that orders them as we saw them, so mids, fills and state changes
are aligned on it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson
import polars as pl

from hyperliquid_ofi_trader.core.journal import SCHEMA_VERSION
from hyperliquid_ofi_trader.errors import OurBugError

JOURNAL_NAMES: Final = ("journal.sqlite", "journal.db", "journal.sqlite3")

DECISION_SCHEMA: Final[dict[str, Any]] = {
    "id": pl.Int64, "exchange_ns": pl.Int64, "local_ns": pl.Int64, "coin": pl.Utf8,
    "trigger": pl.Utf8, "outcome": pl.Utf8, "reason": pl.Utf8, "trading_state": pl.Utf8,
    "mid": pl.Float64, "bid": pl.Float64, "ask": pl.Float64, "alpha": pl.Float64,
    "ofi": pl.Float64, "tradable": pl.Boolean, "liquidity": pl.Utf8,
    "volatility": pl.Utf8, "liquidation": pl.Boolean, "position": pl.Float64,
    # The router's economics of the decision (edge mode): expected edge, the cost of the
    # chosen order type, and their margin, in bps. Null when the router journals none.
    "expected_edge_bps": pl.Float64, "expected_cost_bps": pl.Float64,
    "margin_bps": pl.Float64,
}
ORDER_SCHEMA: Final[dict[str, Any]] = {
    "cloid": pl.Utf8, "oid": pl.Int64, "decision_id": pl.Int64, "coin": pl.Utf8,
    "is_buy": pl.Boolean, "px": pl.Float64, "sz": pl.Float64, "tif": pl.Utf8,
    "reduce_only": pl.Boolean, "tag": pl.Utf8, "state": pl.Utf8, "filled": pl.Float64,
    "avg_px": pl.Float64, "fee": pl.Float64, "created_ns": pl.Int64, "updated_ns": pl.Int64,
    "last_error": pl.Utf8,
}
FILL_SCHEMA: Final[dict[str, Any]] = {
    "coin": pl.Utf8, "tid": pl.Int64, "cloid": pl.Utf8, "oid": pl.Int64, "px": pl.Float64,
    "sz": pl.Float64, "is_buy": pl.Boolean, "fee": pl.Float64, "crossed": pl.Boolean,
    "exchange_ns": pl.Int64, "local_ns": pl.Int64, "decision_id": pl.Int64,
}
STATE_SCHEMA: Final[dict[str, Any]] = {
    "id": pl.Int64, "exchange_ns": pl.Int64, "local_ns": pl.Int64, "from_state": pl.Utf8,
    "to_state": pl.Utf8, "trigger": pl.Utf8, "reason": pl.Utf8,
}
ERROR_SCHEMA: Final[dict[str, Any]] = {
    "id": pl.Int64, "exchange_ns": pl.Int64, "local_ns": pl.Int64, "stage": pl.Utf8,
    "event_type": pl.Utf8, "coin": pl.Utf8, "error_type": pl.Utf8, "message": pl.Utf8,
}
_ROW_COLS: Final = ("id", "exchange_ns", "local_ns", "coin", "trigger", "outcome", "reason",
                    "trading_state")
_HASHED_TABLES: Final = (("decisions", "id"), ("orders", "cloid"), ("fills", "coin, tid"))


class ReportDataError(OurBugError):
    """The given path is not a readable journal (the user's input is at fault)."""


@dataclass(frozen=True, slots=True)
class JournalFrames:
    """One journal as frames. `tables` names the tables the file actually has."""

    path: Path
    decisions: pl.DataFrame
    orders: pl.DataFrame
    fills: pl.DataFrame
    state_changes: pl.DataFrame
    errors: pl.DataFrame
    tables: frozenset[str]
    bad_inputs: int
    sha256: str

    @property
    def coins(self) -> tuple[str, ...]:
        """Coins that were decided on or traded, sorted."""
        seen = set(self.decisions["coin"].to_list()) | set(self.fills["coin"].to_list())
        return tuple(sorted(seen))


def resolve_journal(path: Path) -> Path:
    """A journal file itself, or the journal inside a run folder."""
    if path.is_file():
        return path
    if not path.is_dir():
        raise ReportDataError(f"no such journal or run folder: {path}")
    for name in JOURNAL_NAMES:
        if (path / name).is_file():
            return path / name
    found = sorted(p for ext in ("*.sqlite", "*.db", "*.sqlite3") for p in path.glob(ext))
    if len(found) == 1:
        return found[0]
    if not found:
        raise ReportDataError(f"{path} holds no journal ({', '.join(JOURNAL_NAMES)})")
    names = ", ".join(p.name for p in found)
    raise ReportDataError(f"{path} holds several databases ({names}): pass the journal file")


def connect_ro(path: Path) -> sqlite3.Connection:
    """Read-only connection to a journal; `ReportDataError` when it is not one."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as exc:
        raise ReportDataError(f"{path} is not a journal database: {exc}") from exc
    if not 1 <= version <= SCHEMA_VERSION:
        conn.close()
        raise ReportDataError(f"{path} is not a journal this program reads "
                              f"(schema version {version}, expected 1..{SCHEMA_VERSION})")
    return conn


def table_names(conn: sqlite3.Connection) -> frozenset[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return frozenset(str(r[0]) for r in rows)


def load_frames(path: Path) -> JournalFrames:
    """Read every table of the journal at `path` (a file or a run folder)."""
    journal = resolve_journal(path)
    conn = connect_ro(journal)
    try:
        # One read transaction: the frames and the hash see the same snapshot even while
        # the run is still writing.
        conn.execute("BEGIN")
        tables = table_names(conn)
        decisions, bad = _decisions(conn, tables)
        return JournalFrames(
            path=journal, decisions=decisions,
            orders=_table(conn, tables, "orders", ORDER_SCHEMA, "cloid"),
            fills=_table(conn, tables, "fills", FILL_SCHEMA, "local_ns, coin, tid"),
            state_changes=_table(conn, tables, "state_changes", STATE_SCHEMA, "id"),
            errors=_table(conn, tables, "errors", ERROR_SCHEMA, "id"),
            tables=tables, bad_inputs=bad, sha256=content_sha256(conn, tables))
    except sqlite3.Error as exc:
        raise ReportDataError(f"cannot read journal {journal}: {exc}") from exc
    finally:
        conn.close()


def content_sha256(conn: sqlite3.Connection, tables: frozenset[str]) -> str:
    """SHA-256 of a canonical dump of decisions, orders and fills, each ordered by its key.

    Not the file's bytes: those vary with SQLite's page layout, WAL checkpoints and vacuum,
    while two runs that decided, ordered and filled the same way must compare equal."""
    digest = hashlib.sha256()
    for table, key in _HASHED_TABLES:
        digest.update(f"table {table}\n".encode())
        if table not in tables:
            digest.update(b"absent\n")
            continue
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY {key}"):
            digest.update(orjson.dumps(row, default=_hash_default))
            digest.update(b"\n")
    return digest.hexdigest()


def journal_sha256(path: Path) -> str:
    """`content_sha256` of the journal at `path` (a file or a run folder)."""
    journal = resolve_journal(path)
    conn = connect_ro(journal)
    try:
        return content_sha256(conn, table_names(conn))
    except sqlite3.Error as exc:
        raise ReportDataError(f"cannot read journal {journal}: {exc}") from exc
    finally:
        conn.close()


def _hash_default(obj: object) -> str:
    return obj.hex() if isinstance(obj, bytes) else repr(obj)


def _table(conn: sqlite3.Connection, tables: frozenset[str], name: str,
           schema: Mapping[str, Any], order_by: str) -> pl.DataFrame:
    if name not in tables:
        return pl.DataFrame(schema=dict(schema))
    cols = ", ".join(schema)
    rows = conn.execute(f"SELECT {cols} FROM {name} ORDER BY {order_by}").fetchall()
    # SQLite stores booleans as 0/1: polars casts them on construction (strict=False).
    return pl.DataFrame(rows, schema=dict(schema), orient="row", strict=False)


def _decisions(conn: sqlite3.Connection, tables: frozenset[str]) -> tuple[pl.DataFrame, int]:
    if "decisions" not in tables:
        return pl.DataFrame(schema=DECISION_SCHEMA), 0
    rows: list[tuple[Any, ...]] = []
    bad = 0
    cur = conn.execute(f"SELECT {', '.join(_ROW_COLS)}, inputs FROM decisions ORDER BY id")
    for row in cur:
        inputs = _parse_inputs(row[-1])
        if inputs is None:
            bad += 1
            inputs = {}
        rows.append((*row[:-1], *_input_fields(inputs)))
    return pl.DataFrame(rows, schema=DECISION_SCHEMA, orient="row", strict=False), bad


def _parse_inputs(text: object) -> dict[str, Any] | None:
    if not isinstance(text, (str, bytes)):
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _input_fields(inputs: Mapping[str, Any]) -> tuple[Any, ...]:
    """The DECISION_SCHEMA columns after `_ROW_COLS`, in order, from one decision's inputs."""
    book = _mapping(inputs.get("book"))
    signals = _mapping(inputs.get("signals"))
    regime = _mapping(inputs.get("regime"))
    economics = _mapping(_mapping(inputs.get("router")).get("economics"))
    return (_num(book.get("mid")), _num(book.get("bid")), _num(book.get("ask")),
              _num(inputs.get("alpha")), _num(signals.get("ofi")),
              _bool(regime.get("tradable")), _str(regime.get("liquidity")),
              _str(regime.get("volatility")), _bool(regime.get("liquidation")),
              _num(inputs.get("position")), _num(economics.get("expected_edge_bps")),
              _num(economics.get("expected_cost_bps")), _num(economics.get("margin_bps")))


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _num(value: object) -> float | None:
    # bool is an int subclass: a flag is not a number.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
