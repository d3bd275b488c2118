"""Journal -> frames: missing tables, missing or malformed inputs, run-folder resolution."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hyperliquid_ofi_trader.backtest.report_data import (
    ReportDataError,
    journal_sha256,
    load_frames,
    resolve_journal,
)
from hyperliquid_ofi_trader.core.journal import Journal
from tests.unit import report_support as rs


def test_decision_inputs_are_parsed(tmp_path: Path) -> None:
    frames = load_frames(rs.write_scenario(tmp_path / "journal.sqlite"))
    d = frames.decisions
    assert d["mid"].to_list() == [m for _, m in rs.MIDS]
    assert d["alpha"].to_list() == [0.2] * 7
    assert d["ofi"].to_list() == [1.0] * 7
    assert d["tradable"].to_list() == [True] * 5 + [False, True]
    assert frames.fills.height == 3
    assert frames.orders["tif"].to_list() == ["Ioc", "Alo", "Ioc", "Alo", "Ioc"]
    assert frames.state_changes["to_state"].to_list() == ["REDUCING", "HALTED"]
    assert frames.coins == ("ETH",)
    assert frames.bad_inputs == 0


def test_missing_and_malformed_inputs_become_nulls(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal(path) as j:
        j.record_decision(exchange_ns=1, local_ns=1, coin="ETH", trigger="Bbo",
                          outcome="halted", reason="x", trading_state="HALTED", inputs={})
        j.record_decision(exchange_ns=2, local_ns=2, coin="ETH", trigger="Bbo",
                          outcome="skip", reason="x", trading_state="ACTIVE",
                          inputs={"book": "not a mapping", "alpha": True,
                                  "signals": {"ofi": "1.0"}, "regime": {"tradable": 1}})
        j.record_decision(exchange_ns=3, local_ns=3, coin="ETH", trigger="Bbo",
                          outcome="skip", reason="x", trading_state="ACTIVE", inputs={})
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE decisions SET inputs = '{broken' WHERE id = 3")
    conn.close()
    frames = load_frames(path)
    assert frames.decisions.height == 3
    for col in ("mid", "alpha", "ofi", "tradable"):
        assert frames.decisions[col].null_count() == 3, col
    assert frames.bad_inputs == 1


def test_journal_without_execution_tables(tmp_path: Path) -> None:
    # A schema-1 journal (written before migration 2 existed): no orders, fills.
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE decisions (id INTEGER PRIMARY KEY, exchange_ns INTEGER, "
                       "local_ns INTEGER, coin TEXT, trigger TEXT, outcome TEXT, reason TEXT, "
                       "trading_state TEXT, inputs TEXT); PRAGMA user_version = 1;")
    conn.close()
    frames = load_frames(path)
    assert frames.fills.is_empty()
    assert frames.orders.is_empty()
    assert "fills" not in frames.tables
    assert frames.fills.columns[:3] == ["coin", "tid", "cloid"]


def test_run_folder_resolution(tmp_path: Path) -> None:
    rs.write_empty(tmp_path / "journal.sqlite")
    assert resolve_journal(tmp_path) == tmp_path / "journal.sqlite"
    other = tmp_path / "sub"
    other.mkdir()
    rs.write_empty(other / "run.db")
    assert resolve_journal(other) == other / "run.db"
    rs.write_empty(other / "second.sqlite")
    with pytest.raises(ReportDataError, match="several databases"):
        resolve_journal(other)
    with pytest.raises(ReportDataError, match="no such"):
        resolve_journal(tmp_path / "absent")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ReportDataError, match="holds no journal"):
        resolve_journal(empty)


def test_not_a_journal(tmp_path: Path) -> None:
    bogus = tmp_path / "x.sqlite"
    bogus.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(ReportDataError, match="not a journal"):
        load_frames(bogus)
    plain = tmp_path / "plain.sqlite"
    sqlite3.connect(plain).close()
    with pytest.raises(ReportDataError, match="schema version 0"):
        load_frames(plain)


def test_hash_of_identical_journals_matches(tmp_path: Path) -> None:
    a = journal_sha256(rs.write_scenario(tmp_path / "a.sqlite"))
    b = journal_sha256(rs.write_scenario(tmp_path / "b.sqlite"))
    assert a == b
    assert load_frames(tmp_path / "a.sqlite").sha256 == a
    # An extra fill, anything else equal: a different run.
    rs.insert_rows(tmp_path / "b.sqlite", orders=(),
                   fills=(rs.fill(14, "0x03", False, 99.9, 0.1, 0.0, True, 3.6, 4),))
    assert journal_sha256(tmp_path / "b.sqlite") != a
