"""The main job end to end: `hlofi run` against the built-in emulator over real loopback
sockets, as a separate process, exactly as a user starts it (with a shorter warm-up)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hyperliquid_ofi_trader.backtest.report import summarize
from hyperliquid_ofi_trader.cli.sim_exchange import ENV_FEE_TIER
from tests.plumbing import EAGER_COSTS_YAML

# The plumbing is under test, not the economics (bench/bench_edge_scenarios.py is): a short
# warm-up, and the cheapest fee tier without safety margins so that 40 s hold orders.
FAST_WARMUP = """
regime:
  volatility:
    halflife_ms: 2000
  liquidity:
    min_dwell_ms: 1000
""" + EAGER_COSTS_YAML


@pytest.mark.timeout(180)
def test_hlofi_run_trades_against_the_emulator(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # The emulator charges the base tier here, as `hlofi run` does by default: the run must
    # price its orders with the venue's answer, not the config's cheaper tier.
    monkeypatch.setenv(ENV_FEE_TIER, "0")
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
    # The config says fee tier 6 (2.4 bps taker); the venue's userFees answer wins.
    assert summary["execution"]["costs"]["taker_fee_bps"] == pytest.approx(4.5)
    # A queued place that a later decision cancels before it is sent is "withdrawn"; the
    # gateway reports it through its failure path (never sent): nothing else may fail.
    assert summary["gateway"]["failed"] == summary["gateway"]["withdrawn"]
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
    # One source of truth (issue 10 item 8): the summary's figures are the journal's, and
    # the live trackers count each fill once although fills arrive on two channels.
    assert summary["fills"] == fills == summarize(run_dir).fills
    assert summary["net_pnl_usd"] == pytest.approx(summary["gross_pnl_usd"]
                                                   - summary["fees_usd"])
    execution = summary["execution"]
    for horizon, stats in execution["markouts_bps"]["pnl_bps"].items():
        assert stats["count"] <= fills, horizon
    assert sum(s["count"] for s in execution["slippage_bps"]["vs_mid"].values()) <= fills
    assert not set(states) & {"PENDING", "RESTING", "PARTIALLY_FILLED", "UNKNOWN"}, states
    assert unlinked == 0  # every order traces back to the decision that caused it
