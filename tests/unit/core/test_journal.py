"""The SQLite decision journal: WAL mode, batching, ids, read-back, schema version."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from hyperliquid_ofi_trader.core.journal import (
    SCHEMA_VERSION,
    Journal,
    JournalError,
    JournalReader,
    encode_inputs,
)
from hyperliquid_ofi_trader.core.state import TradingStateMachine, Trigger


def _decision(j: Journal, i: int, **inputs: object) -> int:
    return j.record_decision(exchange_ns=1000 + i, local_ns=2000 + i, coin="ETH",
                             trigger="Bbo", outcome="skip", reason=f"r{i}",
                             trading_state="ACTIVE", inputs=inputs)


def test_wal_mode_and_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    Journal(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    with JournalReader(path) as r:
        assert r.journal_mode() == "wal"


def test_rows_are_batched_until_flush(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    j = Journal(path, batch_size=100)
    ids = [_decision(j, i, alpha=0.1 * i) for i in range(5)]
    assert ids == [1, 2, 3, 4, 5]
    assert j.pending == 5
    with JournalReader(path) as r:
        assert r.counts()["decisions"] == 0  # nothing committed yet: what a crash would lose
    j.flush()
    assert j.pending == 0
    with JournalReader(path) as r:
        row = r.decision(3)
        assert row is not None
        assert (row.exchange_ns, row.local_ns, row.coin, row.reason) == (1002, 2002, "ETH", "r2")
        assert row.inputs == {"alpha": pytest.approx(0.2)}
        assert r.decision(99) is None
    j.close()


def test_batch_size_triggers_commit(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    j = Journal(path, batch_size=3)
    for i in range(7):
        _decision(j, i)
    assert j.flushes == 2
    assert j.pending == 1
    with JournalReader(path) as r:
        assert r.counts()["decisions"] == 6
    j.close()
    with JournalReader(path) as r:
        assert r.counts()["decisions"] == 7


def test_ids_continue_after_reopen(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as j:
        _decision(j, 0)
        _decision(j, 1)
    with Journal(path) as j:
        assert _decision(j, 2) == 3


def test_state_changes_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    sm = TradingStateMachine()
    with Journal(path) as j:
        j.record_state_change(sm.apply(Trigger.FEED_LOST, "bbo:ETH stale", 5, 2005))
        j.record_error(exchange_ns=6, local_ns=2006, stage="alpha", event_type="Bbo",
                       coin="ETH", error_type="ZeroDivisionError", message="division by zero")
    with JournalReader(path) as r:
        (sc,) = r.state_changes()
        assert (sc.from_state, sc.to_state, sc.trigger, sc.reason) == (
            "ACTIVE", "REDUCING", "feed_lost", "bbo:ETH stale")
        (err,) = r.errors(2000, 3000)
        assert (err.stage, err.coin, err.error_type) == ("alpha", "ETH", "ZeroDivisionError")
        assert r.errors(0, 100) == []


def test_inputs_with_odd_values_never_fail(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as j:
        _decision(j, 0, nan=math.nan, inf=math.inf, obj=object(), tags={"b", "a"},
                  nested={"k": (1, 2)})
    with JournalReader(path) as r:
        row = r.decision(1)
        assert row is not None
        assert row.inputs["nan"] is None
        assert row.inputs["inf"] is None
        assert row.inputs["tags"] == ["a", "b"]
        assert row.inputs["nested"] == {"k": [1, 2]}
        assert row.inputs["obj"].startswith("<object")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    Journal(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(JournalError, match="newer"):
        Journal(path)
    with pytest.raises(JournalError, match="newer"):
        JournalReader(path)


def test_reader_errors_are_specific(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="not found"):
        JournalReader(tmp_path / "absent.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(JournalError, match="not a journal"):
        JournalReader(junk)
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(JournalError, match="no schema"):
        JournalReader(empty)


def test_a_row_refused_by_value_is_set_aside_alone(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    j = Journal(path, batch_size=2)
    _decision(j, 0)
    # Sabotage: an id that already exists makes its INSERT fail. It used to fail the whole
    # batch forever (rows kept, every later flush failing on the same row).
    j._next_decision = 1  # the test reaches in to force a constraint error
    j.flush()
    _decision(j, 1)
    _decision(j, 2)  # batch full -> the duplicate is quarantined, the other row written
    assert j.pending == 0
    assert j.health.quarantined == 1
    assert not j.health.failing
    assert "UNIQUE" in j.health.last_error
    j.close()
    with JournalReader(path) as r:
        assert [d.reason for d in r.decisions()] == ["r0", "r2"]


def test_bad_batch_size() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        Journal(":memory:", batch_size=0)


def test_unencodable_inputs_are_kept_as_text(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    loop: dict[str, object] = {}
    loop["self"] = loop
    with Journal(path) as j:
        _decision(j, 0, huge=2**80)
        _decision(j, 1, cycle=loop)
    with JournalReader(path) as r:
        rows = r.decisions()
    assert len(rows) == 2
    assert "1208925819614629174706176" in rows[0].inputs["unencodable_inputs"]
    assert "error" in rows[1].inputs


def test_inputs_with_non_str_keys_are_encoded_with_their_keys_as_text() -> None:
    # The str-keys-only encoding is tried first; a document it refuses is encoded as before.
    assert encode_inputs({"a": {1: 2, 1.5: "x", "b": math.nan}}) == (
        '{"a":{"1":2,"1.5":"x","b":null}}')
    assert encode_inputs({"a": {"k": [1, 2.0]}}) == '{"a":{"k":[1,2.0]}}'


# ---------------------------------------------------------------- reserved ids


def test_reserved_id_is_written_later_and_ids_stay_sequential(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path, batch_size=100) as j:
        assert _decision(j, 0) == 1
        reserved = j.reserve_decision_id()
        assert reserved == 2
        assert j.pending == 1  # nothing queued for the reserved id yet
        assert j.record_decision(exchange_ns=5, local_ns=6, coin="BTC", trigger="Bbo",
                                 outcome="submit", reason="r", trading_state="ACTIVE",
                                 inputs={"a": 1}, decision_id=reserved) == 2
        assert _decision(j, 3) == 3
    with JournalReader(path) as r:
        rows = r.decisions()
    assert [(d.id, d.outcome) for d in rows] == [(1, "skip"), (2, "submit"), (3, "skip")]
    assert rows[1].inputs == {"a": 1}
    assert (rows[1].exchange_ns, rows[1].coin) == (5, "BTC")


def test_reserved_ids_continue_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as j:
        _decision(j, 0)
    with Journal(path) as j:
        assert j.reserve_decision_id() == 2


@pytest.mark.parametrize("bad", [0, -1, 2, 99])
def test_an_id_never_reserved_is_refused(tmp_path: Path, bad: int) -> None:
    with Journal(tmp_path / "j.sqlite") as j:
        _decision(j, 0)
        with pytest.raises(ValueError, match="not reserved"):
            j.record_decision(exchange_ns=1, local_ns=1, coin="ETH", trigger="Bbo",
                              outcome="skip", reason="r", trading_state="ACTIVE", inputs={},
                              decision_id=bad)
        assert j.pending == 1


def test_a_reserved_id_is_written_once(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as j:
        did = j.reserve_decision_id()
        kw: dict[str, Any] = {"exchange_ns": 1, "local_ns": 1, "coin": "ETH",
                              "trigger": "Bbo", "outcome": "skip", "reason": "r",
                              "trading_state": "ACTIVE", "inputs": {}}
        assert j.record_decision(**kw, decision_id=did) == did
        with pytest.raises(ValueError, match="already written"):
            j.record_decision(**kw, decision_id=did)
        assert j.pending == 0  # a cited decision is committed at once


def test_a_journal_that_need_not_be_durable_batches_cited_rows_and_skips_fsyncs(
        tmp_path: Path) -> None:
    # Backtests: the orders never leave the process, so a cited row waits for its batch.
    path = tmp_path / "j.sqlite"
    with Journal(path, batch_size=100, durable=False) as j:
        did = j.reserve_decision_id()
        j.record_decision(exchange_ns=1, local_ns=1, coin="ETH", trigger="Bbo",
                          outcome="submit", reason="r", trading_state="ACTIVE", inputs={},
                          decision_id=did)
        assert j.pending == 1
        with JournalReader(path) as r:
            assert r.counts()["decisions"] == 0
        assert j._conn.execute("PRAGMA synchronous").fetchone()[0] == 0  # OFF
    with JournalReader(path) as r:
        assert [d.outcome for d in r.decisions()] == ["submit"]  # written at close
    with Journal(path) as j:
        assert j._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_a_journal_that_need_not_be_durable_commits_only_full_batches(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path, batch_size=3, durable=False) as j:
        _decision(j, 0)
        j.flush()  # a flush timer: nothing worth a commit yet
        assert j.pending == 1
        _decision(j, 1)
        _decision(j, 2)  # the batch is full: committed
        assert j.pending == 0
        _decision(j, 3)
    with JournalReader(path) as r:
        assert [d.id for d in r.decisions()] == [1, 2, 3, 4]  # the rest at close
