"""One writer of the run database: the journal and the order store share one connection,
and the durability guarantees each of them gives still hold through it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from hyperliquid_ofi_trader.backtest import runner
from hyperliquid_ofi_trader.backtest.runner import record_synthetic, run_backtest
from hyperliquid_ofi_trader.config import load_config
from hyperliquid_ofi_trader.core import persistence
from hyperliquid_ofi_trader.core.journal import LOST_OUTCOME, Journal, JournalReader
from hyperliquid_ofi_trader.core.persistence import RunDatabaseWriter
from hyperliquid_ofi_trader.execution.order_ahead_log import log_path
from hyperliquid_ofi_trader.execution.order_store import OrderRow, OrderStore

T0 = 1_700_000_000_000_000_000


def _order(cloid: str, decision_id: int) -> OrderRow:
    return OrderRow(cloid=cloid, oid=None, decision_id=decision_id, coin="ETH", is_buy=True,
                    px=2500.0, sz=0.01, tif="Alo", reduce_only=False, tag="t",
                    state="pending", filled=0.0, avg_px=0.0, fee=0.0, created_ns=T0,
                    updated_ns=T0, last_error="", replaces=None, replaced_by=None)


def _decide(j: Journal, decision_id: int | None = None) -> int:
    return j.record_decision(exchange_ns=T0, local_ns=T0, coin="ETH", trigger="Bbo",
                             outcome="orders", reason="r", trading_state="ACTIVE", inputs={},
                             decision_id=decision_id)


def test_the_store_writes_through_the_journals_connection(tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    journal = Journal(path)
    store = OrderStore(journal.writer)
    assert store._conn is journal.writer.conn
    did = journal.reserve_decision_id()
    store.save_order(_order("0xa", did))
    store.write_ahead()
    _decide(journal, did)  # cited: committed at once
    store.flush()
    store.close()  # the journal still writes through it
    _decide(journal)
    journal.close()
    with pytest.raises(sqlite3.ProgrammingError):
        journal.writer.conn.execute("SELECT 1")  # closed with its last user
    with JournalReader(path) as r:
        assert r.counts()["decisions"] == 2
    again = OrderStore(path)
    assert again.load_order("0xa") == _order("0xa", did)
    again.close()


def test_the_journal_may_close_first(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "run.sqlite")
    store = OrderStore(journal.writer)
    journal.close()
    journal.close()  # idempotent: does not take the store's share
    store.save_order(_order("0xa", 1))
    store.flush()
    assert store.load_order("0xa") == _order("0xa", 1)
    store.close()


def test_an_order_logged_ahead_survives_a_kill_through_the_shared_writer(
        tmp_path: Path) -> None:
    path = tmp_path / "run.sqlite"
    journal = Journal(path)
    store = OrderStore(journal.writer)
    did = journal.reserve_decision_id()
    store.save_order(_order("0xa", did))
    store.write_ahead()  # the send follows; the process dies before any commit
    assert log_path(path).stat().st_size > 0
    journal.writer.conn.close()  # SIGKILL
    journal2 = Journal(path)
    store2 = OrderStore(journal2.writer)
    assert store2.recovered_ahead == 1
    assert store2.load_order("0xa") == _order("0xa", did)
    store2.close()
    journal2.close()
    with JournalReader(path) as r:
        lost = r.decision(did)
        assert lost is not None
        assert lost.outcome == LOST_OUTCOME


def test_order_path_commits_never_run_a_checkpoint(tmp_path: Path) -> None:
    writer = RunDatabaseWriter.open(tmp_path / "run.sqlite").acquire()
    seen: list[int] = []

    def body(conn: sqlite3.Connection) -> None:
        seen.append(int(conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]))

    writer.commit(body, checkpoint=False)  # the order store's commits
    writer.commit(body)  # the journal's
    assert seen == [0, 1000]
    assert int(writer.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) == 1000
    writer.release()


def test_a_backtest_opens_one_connection_to_its_database(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    record_synthetic(data, 30.0, seed=5)
    opened: list[Path] = []
    real = persistence.connect_wal

    def counting(path: Path, **kwargs: Any) -> sqlite3.Connection:
        opened.append(Path(path))
        return real(path, **kwargs)

    monkeypatch.setattr(persistence, "connect_wal", counting)
    monkeypatch.setattr(runner, "connect_wal", counting, raising=False)
    result = run_backtest(load_config(), data, tmp_path / "run", seed=1)
    assert [p.name for p in opened] == [Path(result.journal).name]


def test_a_non_durable_writer_creates_large_pages_and_a_durable_one_the_default(
        tmp_path: Path) -> None:
    bulk = RunDatabaseWriter.open(tmp_path / "bulk.sqlite", durable=False)
    live = RunDatabaseWriter.open(tmp_path / "live.sqlite")
    try:
        assert bulk.conn.execute("PRAGMA page_size").fetchone()[0] == persistence.BULK_PAGE_SIZE
        assert live.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
        for w in (bulk, live):
            assert w.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        live.conn.execute("CREATE TABLE t (x)")
    finally:
        bulk.conn.close()
        live.conn.close()
    # An existing database keeps the page size it was created with.
    again = RunDatabaseWriter.open(tmp_path / "live.sqlite", durable=False)
    try:
        again.conn.execute("CREATE TABLE IF NOT EXISTS t (x)")
        assert again.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
    finally:
        again.conn.close()
