"""`hlofi explain` in one step: the newest run's journal by default, `last`, `--order`."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.cli import explain
from hyperliquid_ofi_trader.core import journal_views
from hyperliquid_ofi_trader.core.journal import Journal, JournalError
from hyperliquid_ofi_trader.runtime.explanation import explain_text

MS = 1_000_000
T0 = 1_737_918_843_000 * MS


def _journal(path: Path, reasons: tuple[str, ...]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with Journal(path) as journal:
        for i, reason in enumerate(reasons):
            journal.record_decision(exchange_ns=T0 + i * MS, local_ns=T0 + i * MS + 3 * MS,
                                    coin="ETH", trigger="bbo", outcome="skip", reason=reason,
                                    trading_state="ACTIVE", inputs={"alpha": 0.25 * i})
    return path


def _add_order(path: Path, cloid: str, decision_id: int) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(
            "INSERT INTO orders (cloid, oid, decision_id, coin, is_buy, px, sz, tif, "
            "reduce_only, tag, state, filled, avg_px, fee, created_ns, updated_ns, last_error)"
            " VALUES (?, 1, ?, 'ETH', 1, 3300.0, 0.1, 'Alo', 0, '', 'resting', 0, 0, 0, ?, ?,"
            " '')", (cloid, decision_id, T0, T0))
        conn.commit()
    finally:
        conn.close()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test root."""

    explain.register(app)
    return app


def test_no_db_uses_the_newest_run_and_last_is_the_newest_decision(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    old = _journal(tmp_path / "runs" / "run-1" / "journal.sqlite", ("old run",))
    new = _journal(tmp_path / "runs" / "run-2" / "journal.sqlite",
                   ("first of new", "second of new", "newest of new"))
    os.utime(old, (1, 1))  # the older run is older on disk too
    result = CliRunner().invoke(_app(), ["explain"])
    assert result.exit_code == 0, result.output
    assert "decision 3" in result.output
    assert "newest of new" in result.output
    by_word = CliRunner().invoke(_app(), ["explain", "last", "--json"])
    assert by_word.exit_code == 0, by_word.output
    assert '"reason": "newest of new"' in by_word.output
    assert explain.newest_run_journal(tmp_path / "runs") == new


def test_order_option_explains_the_decision_that_placed_it(tmp_path: Path) -> None:
    db = _journal(tmp_path / "j.sqlite", ("a", "placed the order", "c"))
    _add_order(db, "0xabc123", 2)
    result = CliRunner().invoke(_app(), ["explain", "--order", "0xABC123", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "decision 2" in result.output
    assert "placed the order" in result.output
    unknown = CliRunner().invoke(_app(), ["explain", "--order", "0xdead", "--db", str(db)])
    assert unknown.exit_code == 1
    assert "no order with cloid 0xdead" in unknown.output


def test_bad_decision_words_and_empty_journals_are_clear(tmp_path: Path) -> None:
    db = _journal(tmp_path / "j.sqlite", ())
    empty = CliRunner().invoke(_app(), ["explain", "last", "--db", str(db)])
    assert empty.exit_code == 1
    assert "has no decisions yet" in empty.output
    word = CliRunner().invoke(_app(), ["explain", "first", "--db", str(db)])
    assert word.exit_code == 1
    assert "positive id or 'last'" in word.output
    assert "Traceback" not in word.output + empty.output


def test_explain_text_is_the_cli_rendering(tmp_path: Path) -> None:
    db = _journal(tmp_path / "j.sqlite", ("why not",))
    text = explain_text(db, 1)
    assert "decision 1" in text
    assert "why not" in text


def test_journal_views_recent_rows_carry_decision_ids(tmp_path: Path) -> None:
    db = _journal(tmp_path / "j.sqlite", ("a", "b"))
    _add_order(db, "0x01", 2)
    assert [d["id"] for d in journal_views.latest_decisions(db, 5)] == [2, 1]
    assert journal_views.recent_orders(db)[0]["decision_id"] == 2
    assert journal_views.recent_fills(db) == []
    with pytest.raises(JournalError, match="journal not found"):
        journal_views.latest_decisions(tmp_path / "missing.sqlite")


def test_a_running_system_is_explained_before_older_runs_on_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hyperliquid_ofi_trader.runtime.registry import RunRegistry, entry_for_this_process

    monkeypatch.chdir(tmp_path)
    live_dir = tmp_path / "elsewhere" / "live-run"
    _journal(live_dir / "journal.sqlite", ("from the running system",))
    newer_on_disk = _journal(tmp_path / "runs" / "run-9" / "journal.sqlite", ("finished",))
    os.utime(newer_on_disk)  # the finished run's file is the newest on disk
    RunRegistry().register(entry_for_this_process(  # this test process plays the run
        run_dir=live_dir, mode="run", venue="emulator", account="0x" + "0" * 40,
        started_ns=T0, control_file=live_dir / "control.json",
        ack_file=live_dir / "control_ack.json", status_file=live_dir / "status.json"))
    result = CliRunner().invoke(_app(), ["explain", "last"])
    assert result.exit_code == 0, result.output
    assert "from the running system" in result.output
