"""Poison-proof persistence: journal and order store writes are atomic, isolate a poisoned
row, never wait seconds on a lock, report their health, and a failing database degrades
trading through the engine's stage-error escalation.

Reproduced before the fix: a fill with tid 2**63 raised OverflowError (not sqlite3.Error)
inside the order store's transaction, which stayed open, and every later write of the
process failed; a bbo time of 9.3e12 ms did the same to the journal.
"""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
import stat
import time
from pathlib import Path

import msgspec
import pytest

from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.events import Timer
from hyperliquid_ofi_trader.core.journal import (
    DECISION_ID_BLOCK,
    LOST_OUTCOME,
    Journal,
    JournalError,
    JournalReader,
)
from hyperliquid_ofi_trader.core.persistence import BUSY_TIMEOUT_S, WriteHealth, atomic
from hyperliquid_ofi_trader.core.state import TradingState
from hyperliquid_ofi_trader.execution.order_ahead_log import log_path
from hyperliquid_ofi_trader.execution.order_store import (
    FillRow,
    OrderRow,
    OrderStore,
    OrderStoreError,
)
from hyperliquid_ofi_trader.runtime.assembly import build_engine
from hyperliquid_ofi_trader.runtime.persistence_watch import PersistenceError, PersistenceWatch

S = 1_000_000_000
T0 = 1_737_918_843_000 * 1_000_000


def _fill(tid: int, exchange_ns: int = T0) -> FillRow:
    return FillRow(coin="ETH", tid=tid, cloid=None, oid=1, px=2500.0, sz=0.01, is_buy=True,
                   fee=0.01, crossed=True, exchange_ns=exchange_ns, local_ns=T0,
                   decision_id=None)


def _order(cloid: str, decision_id: int) -> OrderRow:
    return OrderRow(cloid=cloid, oid=None, decision_id=decision_id, coin="ETH", is_buy=True,
                    px=2500.0, sz=0.01, tif="Ioc", reduce_only=False, tag="t",
                    state="pending", filled=0.0, avg_px=0.0, fee=0.0, created_ns=T0,
                    updated_ns=T0, last_error="", replaces=None, replaced_by=None)


def _decide(j: Journal, exchange_ns: int = T0, decision_id: int | None = None) -> int:
    return j.record_decision(exchange_ns=exchange_ns, local_ns=T0, coin="ETH", trigger="Bbo",
                             outcome="skip", reason="r", trading_state="ACTIVE", inputs={},
                             decision_id=decision_id)


# ---------------------------------------------------------------- poisoned rows


def test_fill_tid_beyond_int64_is_set_aside_and_the_store_keeps_working(tmp_path: Path) -> None:
    store = OrderStore(tmp_path / "j.sqlite", batch_size=1000)
    store.save_fill(_fill(1))
    store.save_fill(_fill(2**63))
    store.save_fill(_fill(3))
    store.flush()
    assert store.health.quarantined == 1
    assert "OverflowError" in store.health.last_error
    assert not store._conn.in_transaction
    store.reserve_cloids(4096)  # a synchronous write right after: no open transaction
    store.save_fill(_fill(4))
    store.flush()
    assert [f.tid for f in store.load_fills()] == [1, 3, 4]
    assert store.load_cloid_counter() == 4096
    store.close()


def test_decision_time_beyond_int64_is_set_aside_and_the_journal_keeps_working(
        tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    j = Journal(path, batch_size=1000)
    _decide(j)
    _decide(j, exchange_ns=9_300_000_000_000 * 1_000_000)
    _decide(j)
    j.flush()
    assert j.health.quarantined == 1
    _decide(j)
    j.close()
    with JournalReader(path) as r:
        assert [d.id for d in r.decisions()] == [1, 3, 4]


def test_a_transaction_rolls_back_on_any_exception(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    conn.execute("CREATE TABLE t (x INTEGER)")

    def body(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO t VALUES (1)")
        raise KeyboardInterrupt  # not even an Exception

    with pytest.raises(KeyboardInterrupt):
        atomic(conn, body)
    assert not conn.in_transaction
    assert conn.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)


def test_a_transaction_left_open_elsewhere_does_not_block_the_next(tmp_path: Path) -> None:
    store = OrderStore(tmp_path / "j.sqlite")
    store._conn.execute("BEGIN")  # someone else's failure left it open
    store.reserve_cloids(10)
    assert store.load_cloid_counter() == 10
    store.close()


def test_meta_write_failing_with_a_foreign_exception_is_an_order_store_error(
        tmp_path: Path) -> None:
    store = OrderStore(tmp_path / "j.sqlite")
    with pytest.raises(OrderStoreError, match=r"int too large|Overflow"):
        store.reserve_cloids(2**64)
    assert not store._conn.in_transaction
    assert store.health.failing
    store.close()


# ---------------------------------------------------------------- locks never block for long


def test_a_locked_database_fails_fast_and_keeps_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    j = Journal(path)
    _decide(j)  # reserves the first block of ids
    j.flush()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    _decide(j)
    started = time.monotonic()
    with pytest.raises(JournalError, match="locked"):
        j.flush()
    assert time.monotonic() - started < BUSY_TIMEOUT_S + 0.5  # not Python's default 5 s
    assert j.pending == 1
    assert j.health.failing
    other.execute("ROLLBACK")
    other.close()
    j.flush(force=True)
    assert not j.health.failing
    assert j.pending == 0
    j.close()


def test_automatic_retries_back_off_while_writes_fail(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    store = OrderStore(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    store.save_fill(_fill(1))
    attempts = []
    for call in range(200):  # e.g. the flush timer, many times a second
        before = store.health.write_errors
        with contextlib.suppress(OrderStoreError):
            store.flush()
        if store.health.write_errors > before:
            attempts.append(call)
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert gaps[:5] == [2, 4, 8, 16, 32]
    assert set(gaps[5:]) == {64}  # capped: a stuck lock still gets retried
    other.execute("ROLLBACK")
    other.close()
    for _ in range(64):
        store.flush()
    assert store.pending == 0
    assert not store.health.failing
    store.close()


def test_close_after_a_failed_last_write_does_not_raise(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    j = Journal(path)
    store = OrderStore(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    _decide(j)
    store.save_fill(_fill(1))
    j.close()
    store.close()
    assert (j.dropped, store.dropped) == (1, 1)
    other.execute("ROLLBACK")
    other.close()


# ---------------------------------------------------------------- audit links across crashes


def test_decision_ids_are_not_reused_after_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    first = Journal(path)
    written = _decide(first)
    first.flush()
    reserved = first.reserve_decision_id()  # its orders left; the row never did
    batched = _decide(first)
    first._conn.close()  # crash: nothing else reaches the file
    second = Journal(path)
    new = _decide(second)
    assert new > max(written, reserved, batched)
    second.close()


def test_a_clean_close_gives_back_the_unused_ids(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as j:
        assert _decide(j) == 1
    with Journal(path) as j:
        assert _decide(j) == 2
        assert j._decision_high == 2 + DECISION_ID_BLOCK


def test_a_block_is_reserved_before_its_first_id_is_used(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    j = Journal(path, batch_size=10_000)
    for _ in range(DECISION_ID_BLOCK + 1):
        j.reserve_decision_id()
    reader = sqlite3.connect(path)
    (high,) = reader.execute(
        "SELECT value FROM order_meta WHERE key = 'decision_id_high'").fetchone()
    assert high == 1 + 2 * DECISION_ID_BLOCK  # the second block was committed on entry
    reader.close()


def test_a_cited_decision_is_committed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    j = Journal(path, batch_size=1000)
    did = j.reserve_decision_id()
    _decide(j, decision_id=did)
    with JournalReader(path) as r:  # another connection sees it before any flush
        assert r.decision(did) is not None
    j.close()


def test_orders_whose_decision_row_was_lost_get_one_lost_decision(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as j:
        kept = _decide(j)
    store = OrderStore(path)
    store.save_order(_order("0xa", kept))
    store.save_order(_order("0xb", 7))  # decision 7 died with its process
    store.save_order(_order("0xc", 7))
    store.close()
    with Journal(path) as j:
        assert j.recovered_lost == 1
    with JournalReader(path) as r:
        lost = r.decision(7)
        assert lost is not None
        assert lost.outcome == LOST_OUTCOME
        assert sorted(lost.inputs["orders"]) == ["0xb", "0xc"]
        assert r.decision(kept) is not None
        assert r.counts()["decisions"] == 2
    with Journal(path) as j:  # idempotent
        assert j.recovered_lost == 0


# ---------------------------------------------------------------- owner-only files


def test_database_and_new_folder_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "run" / "journal.sqlite"
    Journal(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


# ---------------------------------------------------------------- degrade


def test_watch_raises_while_failing_and_reports_a_quarantine_once() -> None:
    health = WriteHealth()
    watch = PersistenceWatch({"journal": health}, period_ns=S)
    watch.on_timer(0)
    health.note_failure("database is locked")
    with pytest.raises(PersistenceError, match="journal: writes failing"):
        watch.on_timer(S)
    watch.on_timer(S + 1)  # within the period: not checked again
    health.failing = False
    watch.on_timer(2 * S)
    health.quarantined += 1
    with pytest.raises(PersistenceError, match="1 row"):
        watch.on_timer(3 * S)
    watch.on_timer(4 * S)


def test_a_failing_journal_reduces_then_halts_the_engine(tmp_path: Path) -> None:
    cfg = build_config({})
    clock = ReplayClock(T0)
    journal = Journal(tmp_path / "j.sqlite")
    engine, _ = build_engine(cfg, clock, journal)
    journal.health.note_failure("disk I/O error")
    states = []
    for second in range(1, 12):
        now = T0 + second * S
        clock.advance_to(now)
        engine.on_event(Timer(exchange_ns=0, local_ns=now, name="tick"))
        states.append(engine.state)
    assert states[0] is TradingState.ACTIVE
    assert states[2] is TradingState.REDUCING  # reducing_after: 3
    assert states[9] is TradingState.HALTED  # halted_after: 10
    assert engine.snapshot().stage_errors["timer"] == 11
    journal.close()


def test_day_open_account_value_round_trips(tmp_path: Path) -> None:
    store = OrderStore(tmp_path / "j.sqlite")
    assert store.load_day_open("0xAb", 20_000) is None
    store.save_day_open("0xAb", 20_000, 10_123.456789)
    store.save_day_open("0xab", 20_001, 9_000.0)
    store.save_day_open("0xcd", 20_000, 5.0)  # another account's day is its own
    assert store.load_day_open("0xab", 20_000) == pytest.approx(10_123.456789)
    assert store.load_day_open("0xcd", 20_000) == pytest.approx(5.0)
    store.close()


# ---------------------------------------------------------------- the order ahead log


def test_a_new_order_logged_before_the_send_survives_a_kill(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as j:
        j.reserve_decision_id()  # its process dies before journaling it (id 1)
    store = OrderStore(path)
    store.save_order(_order("0xa", 1))
    store.write_ahead()
    assert log_path(path).stat().st_size > 0
    store._conn.close()  # SIGKILL: the batch was never committed
    again = OrderStore(path)
    assert again.recovered_ahead == 1
    assert again.load_order("0xa") == _order("0xa", 1)
    assert log_path(path).stat().st_size == 0
    again.close()
    with JournalReader(path) as r:
        lost = r.decision(1)
        assert lost is not None
        assert lost.outcome == LOST_OUTCOME


def test_a_committed_batch_truncates_the_log_and_newer_rows_win(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    store = OrderStore(path)
    store.save_order(_order("0xa", 1))
    store.write_ahead()
    store.write_ahead()  # nothing new: nothing appended twice
    assert log_path(path).read_bytes().count(b"\n") == 1
    store.flush()
    assert log_path(path).stat().st_size == 0
    # A log left by a crash never overwrites a newer row already in the database.
    store.save_order(msgspec.structs.replace(_order("0xa", 1), state="resting"))
    store.flush()
    log_path(path).write_bytes(msgspec.json.encode(_order("0xa", 1)) + b"\n{torn")
    store._conn.close()
    again = OrderStore(path)
    assert again.recovered_ahead == 0
    row = again.load_order("0xa")
    assert row is not None
    assert row.state == "resting"
    again.close()


def test_without_a_log_file_the_write_ahead_commits(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "j.sqlite")
    store = OrderStore(conn)  # a connection given: no file of our own for a log
    store.save_order(_order("0xa", 1))
    store.write_ahead()
    assert store.pending == 0
    store.close()
