"""`hlofi paper` end to end: an upstream emulator plays "the real venue's public feed";
paper mode relays it into a local emulator and trades there. Only subscriptions reach the
upstream: no order, no signed action."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_main_job import FAST_WARMUP


@pytest.mark.timeout(180)
def test_paper_trades_on_a_relayed_feed(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "thresholds.yaml").write_text(FAST_WARMUP)
    upstream = subprocess.Popen(
        [sys.executable, "-m", "hyperliquid_ofi_trader.main", "sim-exchange", "--port", "0",
         "--seed", "4", "--duration", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        ws_url = _ws_url(upstream)
        proc = subprocess.run(
            [sys.executable, "-m", "hyperliquid_ofi_trader.main", "paper", "--feed-url", ws_url,
             "--duration", "35", "--json", "--config", str(config),
             "--run-dir", str(tmp_path / "run")],
            capture_output=True, text=True, timeout=170, check=False)
    finally:
        upstream.terminate()
        upstream.wait(timeout=10)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["venue"] == "paper"
    assert "PAPER" in summary["venue_note"]
    engine = summary["engine"]
    assert engine["stage_errors"] == {}
    assert engine["events_by_type"].get("Bbo", 0) > 100  # the relayed feed arrived
    assert engine["outcomes"].get("submit", 0) > 0
    assert summary["gateway"]["answered"] > 0


def _ws_url(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    for _ in range(40):
        line = proc.stdout.readline()
        if "ws://" in line:
            return "ws://" + line.split("ws://", 1)[1].split()[0]
    raise AssertionError("the upstream emulator did not print its WebSocket URL")
