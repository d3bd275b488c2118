"""Commands that tell the truth: each failure is one clear message and a non-zero exit code,
never a silent success (issue 13 item 4). Busy ports and the HALTED exit code are in
test_dashboard_server.py; the kill → HALTED exit path end to end in the browser test."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.cli import backtest, replay, research
from hyperliquid_ofi_trader.cli import run as run_cli
from hyperliquid_ofi_trader.data.coin_scan import MissingCoinError, require_traded_coins
from hyperliquid_ofi_trader.regime.state import Reason
from tests.conftest import REPO_ROOT


def _app(*modules: object) -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """Test root."""

    for module in modules:
        module.register(root)  # type: ignore[attr-defined]
    return root


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_paper_with_an_unreachable_feed_says_so_and_exits_1(tmp_path: Path) -> None:
    url = f"ws://127.0.0.1:{_free_port()}/ws"
    run_dir = tmp_path / "run"
    result = CliRunner().invoke(_app(run_cli), [
        "paper", "--feed-url", url, "--connect-timeout", "1", "--run-dir", str(run_dir),
        "--json"])
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert f"no market data from {url} within 1 s" in text
    assert "Traceback" not in text
    assert not run_dir.exists()  # nothing started, nothing left behind


def _frame(ns: int, coin: str) -> tuple[int, bytes]:
    return ns, orjson.dumps({"channel": "bbo", "data": {"coin": coin, "time": ns // 10**6}})


def test_missing_traded_coin_is_named_with_the_coins_found(tmp_path: Path) -> None:
    configs = tmp_path / "configs"
    (configs / "sol-only").mkdir(parents=True)
    (configs / "sol-only" / "symbols.yaml").write_text("traded: [SOL]\n")
    frames = iter([_frame(i * 10**9, "SOL") for i in range(10)])
    with pytest.raises(MissingCoinError) as exc:
        require_traded_coins(frames, ("ETH",), configs)
    message = str(exc.value)
    assert "holds SOL" in message
    assert "no data for ETH" in message
    assert f"--config {configs / 'sol-only'}" in message


def test_present_coins_pass_every_frame_through_once() -> None:
    frames = [_frame(i * 10**8, "BTC" if i % 2 else "ETH") for i in range(12_000)]
    assert list(require_traded_coins(iter(frames), ("ETH", "BTC"))) == frames


@pytest.mark.realdata
def test_backtest_of_data_without_the_traded_coin_stops_at_once(
        hl_archive_btc: Path, tmp_path: Path) -> None:
    out = tmp_path / "bt"
    result = CliRunner().invoke(_app(backtest), ["backtest", "--data", str(hl_archive_btc),
                                                 "--out", str(out), "--json"])
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "holds BTC" in text
    assert "no data for ETH" in text
    assert "--config" in text
    assert "btc-ofi" in text
    assert not out.exists()


@pytest.mark.realdata
def test_replay_of_data_without_the_traded_coin_stops_at_once(
        hl_archive_btc: Path, tmp_path: Path) -> None:
    journal = tmp_path / "r.sqlite"
    result = CliRunner().invoke(_app(replay), ["replay", "--data", str(hl_archive_btc),
                                               "--journal", str(journal), "--json"])
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "holds BTC" in text
    assert "no data for ETH" in text
    assert not journal.exists()


@pytest.mark.realdata
def test_every_not_tradable_decision_has_its_reason(hl_archive_btc: Path,
                                                   tmp_path: Path) -> None:
    journal = tmp_path / "r.sqlite"
    result = CliRunner().invoke(_app(replay), [
        "replay", "--data", str(hl_archive_btc), "--journal", str(journal), "--json",
        "--config", str(REPO_ROOT / "configs" / "btc-ofi"), "--limit", "1500"])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(journal)
    try:
        reasons = [r for (r,) in conn.execute(
            "SELECT reason FROM decisions WHERE outcome = 'not_tradable'")]
    finally:
        conn.close()
    assert reasons  # the warm-up alone makes some
    codes = {c.value for c in Reason}
    for reason in reasons:
        parts = [p.strip() for p in reason.split(";")]
        assert all(p in codes for p in parts), reason


@pytest.mark.realdata
def test_research_coin_absent_from_a_binance_capture_names_what_it_holds(
        binance_btc: Path) -> None:
    result = CliRunner().invoke(_app(research), ["research", "ofi", "--data",
                                                 str(binance_btc), "--coin", "ETH"])
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "no bookTicker rows for ETHUSDT" in text
    assert "it holds: BTCUSDT" in text


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["explain", "--help"]])
def test_help_reads_well_at_80_columns(args: list[str]) -> None:
    env = {**os.environ, "COLUMNS": "80"}
    proc = subprocess.run([sys.executable, "-m", "hyperliquid_ofi_trader.main", *args],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    if args == ["--help"]:
        # One sentence per command; a docstring's line break used to cut it mid-way.
        assert any(line.split() == ["run", "Run", "the", "full", "trading", "system."]
                   for line in lines)
    else:
        # Plain two-column help: an option's text gets most of the width, not a third.
        assert any(len(line) > 70 and line.startswith("  --") for line in lines)
