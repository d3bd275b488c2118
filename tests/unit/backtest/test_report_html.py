"""HTML report files and the `hlofi report` command, on hand-built journals."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.backtest.report_data import load_frames
from hyperliquid_ofi_trader.backtest.report_html import HTML_NAME, render_report
from hyperliquid_ofi_trader.backtest.report_plots import FIGURES, not_tradable_spans
from hyperliquid_ofi_trader.cli import report as report_cli
from hyperliquid_ofi_trader.runtime.run_context import (
    live_context,
    recording_context,
    write_run_context,
)
from tests.unit import report_support as rs

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def app() -> typer.Typer:
    a = typer.Typer()
    report_cli.register(a)
    a.command("noop")(lambda: None)  # two commands: typer keeps the command name
    return a


def run(app: typer.Typer, *args: str) -> Any:
    return CliRunner().invoke(app, ["report", *args])


def test_html_holds_figures_and_summary(tmp_path: Path) -> None:
    rs.write_scenario(tmp_path / "journal.sqlite")
    summary, files = render_report(tmp_path, tmp_path / "out")
    page = files.html.read_text(encoding="utf-8")
    assert files.html.name == HTML_NAME
    assert page.count("data:image/png;base64,") == len(FIGURES)
    for png in files.pngs:
        data = png.read_bytes()
        assert data.startswith(PNG_MAGIC)
        assert base64.b64encode(data).decode() in page  # embedded, self-contained
    assert "<th class='l'>net PnL (USD)</th><td>0.63</td>" in page
    assert "<th class='l'>turnover (USD)</th><td>502.8</td>" in page
    assert summary.journal_sha256 in page
    assert "kill_switch" in page
    assert "daily loss" in page
    on_disk = json.loads(files.summary_json.read_text())
    assert on_disk["net_pnl_usd"] == pytest.approx(0.63)
    assert "No fills in this run" not in page


def test_empty_run_still_reports(tmp_path: Path) -> None:
    _, files = render_report(rs.write_empty(tmp_path / "journal.sqlite"), tmp_path / "out")
    page = files.html.read_text(encoding="utf-8")
    assert "No fills in this run" in page
    assert all(p.read_bytes().startswith(PNG_MAGIC) for p in files.pngs)


def test_journal_text_is_escaped(tmp_path: Path) -> None:
    path = rs.write_scenario(tmp_path / "journal.sqlite")
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE state_changes SET reason = '<script>alert(1)</script>'")
    conn.close()
    _, files = render_report(path, tmp_path / "out")
    page = files.html.read_text(encoding="utf-8")
    # The page carries its own chart script; the journal's text never becomes one.
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;" in page


def test_not_tradable_spans_end_at_next_decision(tmp_path: Path) -> None:
    frames = load_frames(rs.write_scenario(tmp_path / "journal.sqlite"))
    # Decision 6 (t = 6 s) is not tradable; decision 7 (t = 10 s) is again.
    assert not_tradable_spans(frames.decisions) == [(rs.ts(6), rs.ts(10))]


def test_cli_writes_report_and_prints_table(app: typer.Typer, tmp_path: Path) -> None:
    rs.write_scenario(tmp_path / "journal.sqlite")
    result = run(app, str(tmp_path), "--interval-s", "2")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report" / HTML_NAME).is_file()
    assert "net PnL" in result.output
    assert "0.63" in result.output


def test_cli_json(app: typer.Typer, tmp_path: Path) -> None:
    path = rs.write_scenario(tmp_path / "journal.sqlite")
    result = run(app, str(path), "--json", "--out", str(tmp_path / "o"), "--horizons", "1,5",
                 "--interval-s", "2")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [m["horizon_s"] for m in data["markouts"]] == [1.0, 5.0]
    assert data["sharpe_intervals"] == 5
    assert (tmp_path / "o" / "summary.json").is_file()


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p / "absent", "no such journal"),
    (lambda p: (p / "x.sqlite").write_bytes(b"garbage" * 200) and p / "x.sqlite",
     "not a journal"),
])
def test_cli_user_errors(app: typer.Typer, tmp_path: Path, make: Any, message: str) -> None:
    result = run(app, str(make(tmp_path)))
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_rejects_bad_horizons(app: typer.Typer, tmp_path: Path) -> None:
    rs.write_empty(tmp_path / "journal.sqlite")
    result = run(app, str(tmp_path), "--horizons", "1,x")
    assert result.exit_code == 2
    assert "--horizons" in result.output


def test_report_names_the_market_and_says_synthetic(tmp_path: Path) -> None:
    rs.write_scenario(tmp_path / "journal.sqlite")
    write_run_context(tmp_path, live_context(
        "sim", "emulator", "local emulator, market: SYNTHETIC (scenario exploitable, seed 3)"))
    _, files = render_report(tmp_path, tmp_path / "out")
    page = files.html.read_text(encoding="utf-8")
    assert "<p class='synthetic'>SYNTHETIC market" in page
    assert "market: local emulator, market: SYNTHETIC (scenario exploitable, seed 3)" in page
    assert "Run report: sim " in page


def test_report_of_a_real_recording_has_no_synthetic_banner(tmp_path: Path) -> None:
    rs.write_scenario(tmp_path / "journal.sqlite")
    write_run_context(tmp_path, recording_context(tmp_path / "archive.lz4"))
    page = render_report(tmp_path, tmp_path / "out")[1].html.read_text(encoding="utf-8")
    assert "class='synthetic'" not in page
    assert f"market: recording {tmp_path / 'archive.lz4'}" in page


def test_synthetic_recording_context_names_scenario_and_seed(tmp_path: Path) -> None:
    (tmp_path / "recording.json").write_text(
        '{"synthetic": true, "scenario": "no-edge", "seed": 7}')
    ctx = recording_context(tmp_path / "frames-20260101T00.ndjson.zst")
    assert ctx["synthetic"] is True
    assert ctx["market"].startswith("SYNTHETIC (scenario no-edge, seed 7)")


def test_sections_are_titled_and_tables_carry_decision_ids(tmp_path: Path) -> None:
    rs.write_scenario(tmp_path / "journal.sqlite")
    page = render_report(tmp_path, tmp_path / "out")[1].html.read_text(encoding="utf-8")
    assert "<h2>PnL and position</h2>" in page
    assert "<h2>pnl_position.png</h2>" not in page
    assert "market: not recorded with this run" in page  # no run.json: said, not guessed
    fills = page.split("id='fills'")[1].split("id='orders'")[0]
    # Fill tid 12 was journaled without a decision: found through its order 0x02 (#3).
    for decision in ("#1", "#3", "#4"):
        assert f"<td class='l'>{decision}</td>" in fills
    orders = page.split("id='orders'")[1]
    assert orders.count("<tr>") == 1 + len(rs.ORDERS)
    assert "<td class='l'>#6</td>" in orders


def test_interactive_pnl_chart_is_inline_and_offline(tmp_path: Path) -> None:
    rs.write_scenario(tmp_path / "journal.sqlite")
    page = render_report(tmp_path, tmp_path / "out")[1].html.read_text(encoding="utf-8")
    assert "id='pnl-chart'" in page
    assert "leeoniya/uPlot" in page  # the library itself, inlined
    assert "const PNL = {" in page
    assert '"net"' in page
    assert "<script src=" not in page  # nothing fetched at view time
