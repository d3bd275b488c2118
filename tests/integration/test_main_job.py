"""The main job end to end: `hlofi run` against the built-in emulator over real loopback
sockets, as a separate process, exactly as a user starts it (with a shorter warm-up)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

FAST_WARMUP = """
regime:
  volatility:
    halflife_ms: 2000
  liquidity:
    min_dwell_ms: 1000
"""


@pytest.mark.timeout(180)
def test_hlofi_run_trades_against_the_emulator(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "thresholds.yaml").write_text(FAST_WARMUP)
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "hyperliquid_ofi_trader.main", "run", "--duration", "40",
         "--json", "--config", str(config), "--run-dir", str(run_dir), "--seed", "3"],
        capture_output=True, text=True, timeout=170, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["venue"] == "emulator"
    assert "SYNTHETIC" in summary["venue_note"]
    engine = summary["engine"]
    assert engine["stage_errors"] == {}
    assert engine["outcomes"].get("submit", 0) > 0
    orders = summary["fill_stats"]["orders_by_tif_and_outcome"]
    assert orders, summary["execution"]["router_skips"]
    assert summary["gateway"]["answered"] > 0
    assert summary["gateway"]["failed"] == 0
    # Every order the run placed is accounted for and none is left open at the end.
    conn = sqlite3.connect(run_dir / "journal.sqlite")
    try:
        states = dict(conn.execute("SELECT state, COUNT(*) FROM orders GROUP BY state"))
        fills = conn.execute("SELECT COUNT(*) FROM fills").fetchone()[0]
        unlinked = conn.execute("SELECT COUNT(*) FROM orders o LEFT JOIN decisions d "
                                "ON d.id = o.decision_id WHERE d.id IS NULL").fetchone()[0]
    finally:
        conn.close()
    assert fills > 0, states
    assert not set(states) & {"PENDING", "RESTING", "PARTIALLY_FILLED", "UNKNOWN"}, states
    assert unlinked == 0  # every order traces back to the decision that caused it
