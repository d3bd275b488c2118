"""OrderStore: schema from the journal's migrations, batching, restart reads."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import msgspec
import pytest

from hyperliquid_ofi_trader.core.journal import SCHEMA_VERSION, Journal
from hyperliquid_ofi_trader.core.records import PositionRow
from hyperliquid_ofi_trader.execution.order_store import (
    FillRow,
    OrderRow,
    OrderStore,
    OrderStoreError,
)


def order_row(cloid: str, state: str = "resting", created: int = 1, **kw: Any) -> OrderRow:
    base = OrderRow(
        cloid=cloid, oid=10, decision_id=3, coin="ETH", is_buy=True, px=2500.0, sz=1.0,
        tif="Alo", reduce_only=False, tag="t", state=state, filled=0.0, avg_px=0.0, fee=0.0,
        created_ns=created, updated_ns=created, last_error="", replaces=None,
        replaced_by=None)
    return msgspec.structs.replace(base, **kw)


def fill_row(tid: int, coin: str = "ETH", cloid: str | None = "0x1") -> FillRow:
    return FillRow(coin=coin, tid=tid, cloid=cloid, oid=10, px=2500.0, sz=0.1, is_buy=True,
                   fee=0.01, crossed=False, exchange_ns=tid, local_ns=tid, decision_id=3)


def test_schema_lives_in_the_journal_file(tmp_path: Path) -> None:
    db = tmp_path / "j.sqlite"
    with Journal(db) as journal:
        did = journal.record_decision(exchange_ns=1, local_ns=1, coin="ETH", trigger="bbo",
                                      outcome="submit", reason="", trading_state="active",
                                      inputs={})
        store = OrderStore(db)
        store.save_order(order_row("0xa", decision_id=did))
        store.flush()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    joined = conn.execute("SELECT d.outcome, o.cloid FROM orders o JOIN decisions d "
                          "ON d.id = o.decision_id").fetchall()
    assert joined == [("submit", "0xa")]
    store.close()


def test_batched_writes_last_state_wins(tmp_path: Path) -> None:
    store = OrderStore(tmp_path / "s.sqlite", batch_size=4)
    store.save_order(order_row("0xa", state="pending"))
    store.save_order(order_row("0xa", state="resting"))
    assert store.pending == 1
    assert store.load_open_orders() == []  # not committed yet
    assert store.load_order("0xa") is not None  # but readable from the queue
    for i in range(3):
        store.save_fill(fill_row(i))
    assert store.pending == 0  # the fourth row triggered a flush
    assert store.flushes == 1
    assert [r.state for r in store.load_open_orders()] == ["resting"]
    store.close()


def test_open_orders_exclude_terminal_and_keep_types(tmp_path: Path) -> None:
    store = OrderStore(tmp_path / "s.sqlite")
    store.save_order(order_row("0xa", state="filled", created=1))
    store.save_order(order_row("0xb", state="unknown", created=3, oid=None))
    store.save_order(order_row("0xc", state="cancel_pending", created=2, reduce_only=True,
                               replaced_by="0xd"))
    store.flush()
    rows = store.load_open_orders()
    assert [r.cloid for r in rows] == ["0xc", "0xb"]
    assert rows[0].reduce_only is True
    assert rows[0].replaced_by == "0xd"
    assert rows[1].oid is None
    store.close()


def test_fills_are_unique_on_coin_and_tid(tmp_path: Path) -> None:
    store = OrderStore(tmp_path / "s.sqlite")
    store.save_fill(fill_row(1))
    store.save_fill(fill_row(1))
    store.save_fill(fill_row(1, coin="BTC"))
    store.flush()
    store.save_fill(fill_row(1))
    store.flush()
    assert len(store.load_fills()) == 2
    assert [f.coin for f in store.load_fills("0x1")] == ["ETH", "BTC"]
    assert set(store.load_fill_keys(10)) == {("ETH", 1), ("BTC", 1)}
    assert len(store.load_fill_keys(1)) == 1
    store.close()


def test_cloid_reservation_and_positions_survive_reopen(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    store = OrderStore(db)
    assert store.load_cloid_counter() == 0
    store.reserve_cloids(2048)
    store.save_position(PositionRow(coin="ETH", size=-0.5, entry_px=2400.0, updated_ns=5))
    store.close()
    again = OrderStore(db)
    assert again.load_cloid_counter() == 2048
    assert again.load_positions()["ETH"].size == -0.5
    again.close()


def test_nonce_floors_are_kept_per_signer_across_reopen(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    store = OrderStore(db)
    assert store.load_nonce_floor("0xAB" + "0" * 38) == 0
    store.save_nonce_floor("0xAB" + "0" * 38, 1_700_000_000_000)
    store.save_nonce_floor("0xab" + "0" * 38, 1_700_000_000_500)  # same signer, any case
    store.save_nonce_floor("0xcd" + "0" * 38, 5)
    store.close()
    again = OrderStore(db)
    assert again.load_nonce_floor("0xab" + "0" * 38) == 1_700_000_000_500
    assert again.load_nonce_floor("0xcd" + "0" * 38) == 5
    assert again.load_cloid_counter() == 0  # a different key of the same table
    again.close()


def test_daily_pnl_is_kept_per_utc_day_to_the_micro_dollar(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    store = OrderStore(db)
    assert store.load_daily_pnl(20_000) is None
    store.save_daily_pnl(20_000, -12.3456789)
    store.save_daily_pnl(20_001, 4.0)
    store.close()
    again = OrderStore(db)
    assert again.load_daily_pnl(20_000) == -12.345679
    assert again.load_daily_pnl(20_001) == 4.0
    again.close()


def test_a_connection_can_be_shared(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "c.sqlite")
    store = OrderStore(conn)
    store.save_order(order_row("0xa"))
    store.close()  # flushes, leaves the caller's connection open
    assert conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 1
    conn.close()


def test_not_a_database_is_an_order_store_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(OrderStoreError):
        OrderStore(bad)


def test_write_failure_keeps_rows_for_the_next_flush(tmp_path: Path) -> None:
    store = OrderStore(tmp_path / "s.sqlite", batch_size=1)
    store._conn.execute("DROP TABLE fills")  # simulate a broken file under us
    store.save_fill(fill_row(1))
    assert store.write_errors == 1
    assert store.pending == 1
    store.flush()  # an automatic retry right after a failure is deferred (back-off)
    assert store.health.deferred == 1
    with pytest.raises(OrderStoreError):
        store.flush(force=True)
    store._conn.close()


def test_bad_batch_size() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        OrderStore(":memory:", batch_size=0)
