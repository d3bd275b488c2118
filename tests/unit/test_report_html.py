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
    assert "<script>" not in page
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
