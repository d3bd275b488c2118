"""Read-only views over a run's journal for operators: the latest decisions, the orders and
fills with the decision that caused each, and which decision placed an order.

`JournalReader` (core/journal.py) answers "this decision, these state changes"; these
queries answer the operator's next questions ("what did it just do, and why?"). They open
the database read-only (safe beside the writing run: WAL readers never block it) and are
meant for status views, the dashboard and `hlofi explain`, never the event path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from hyperliquid_ofi_trader.core.journal import JournalError

_DECISION_COLS = ("id", "exchange_ns", "local_ns", "coin", "trigger", "outcome", "reason",
                  "trading_state", "inputs")
_ORDER_COLS = ("cloid", "oid", "decision_id", "coin", "is_buy", "px", "sz", "tif",
               "reduce_only", "tag", "state", "filled", "avg_px", "fee", "created_ns",
               "updated_ns", "last_error")
_FILL_COLS = ("coin", "tid", "cloid", "oid", "px", "sz", "is_buy", "fee", "crossed",
              "exchange_ns", "local_ns", "decision_id")


@contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    if not path.is_file():
        raise JournalError(f"journal not found: {path}")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise JournalError(f"cannot open {path}: {exc}") from exc
    try:
        yield conn
    except sqlite3.Error as exc:
        raise JournalError(f"{path} cannot be read as a journal: {exc}") from exc
    finally:
        conn.close()


def _rows(conn: sqlite3.Connection, cols: tuple[str, ...], sql: str,
          params: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [dict(zip(cols, r, strict=True)) for r in conn.execute(sql, params)]


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                        (name,)).fetchone() is not None


def latest_decisions(path: Path, limit: int = 20) -> list[dict[str, Any]]:
    """The newest decisions first, inputs decoded."""
    with _read_only(path) as conn:
        rows = _rows(conn, _DECISION_COLS,
                     f"SELECT {', '.join(_DECISION_COLS)} FROM decisions "
                     "ORDER BY id DESC LIMIT ?", (limit,))
    for row in rows:
        row["inputs"] = orjson.loads(row["inputs"])
    return rows


def last_decision_id(path: Path, *, acted: bool = False) -> int | None:
    """The newest decision id; with `acted`, the newest that produced an order action."""
    where = "WHERE outcome = 'submit'" if acted else ""
    with _read_only(path) as conn:
        row = conn.execute(f"SELECT MAX(id) FROM decisions {where}").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def decision_of_order(path: Path, cloid: str) -> int | None:
    """The decision that placed the order with this client order id (None: unknown)."""
    with _read_only(path) as conn:
        if not _has_table(conn, "orders"):
            return None
        row = conn.execute("SELECT decision_id FROM orders WHERE lower(cloid) = lower(?)",
                           (cloid,)).fetchone()
    return None if row is None else int(row[0])


def recent_orders(path: Path, limit: int = 30) -> list[dict[str, Any]]:
    """The newest orders first, each with its decision id."""
    with _read_only(path) as conn:
        if not _has_table(conn, "orders"):
            return []
        return _rows(conn, _ORDER_COLS, f"SELECT {', '.join(_ORDER_COLS)} FROM orders "
                     "ORDER BY created_ns DESC LIMIT ?", (limit,))


def recent_fills(path: Path, limit: int = 30) -> list[dict[str, Any]]:
    """The newest fills first, each with the decision of the order it filled."""
    with _read_only(path) as conn:
        if not _has_table(conn, "fills"):
            return []
        return _rows(conn, _FILL_COLS, f"SELECT {', '.join(_FILL_COLS)} FROM fills "
                     "ORDER BY local_ns DESC LIMIT ?", (limit,))
