"""End-to-end backtests: the real BTC archive hour with the OFI-only config, and a
recorded synthetic BTC→ETH market with the default config."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hyperliquid_ofi_trader.backtest.runner import (
    BacktestResult,
    record_synthetic,
    run_backtest,
    write_html_report,
)
from hyperliquid_ofi_trader.config import load_config
from hyperliquid_ofi_trader.config.loader import build_config
from hyperliquid_ofi_trader.sim.synthetic_recording import record_scenario

REPO = Path(__file__).resolve().parent.parent.parent


def _orders_by_tif(result: BacktestResult) -> dict[str, int]:
    with sqlite3.connect(result.journal) as conn:
        rows = conn.execute("SELECT o.tif, count(*) FROM fills f JOIN orders o "
                            "ON o.cloid = f.cloid GROUP BY o.tif").fetchall()
    return {str(tif): int(n) for tif, n in rows}


def test_archive_hour_with_ofi_config_stands_aside_and_reports(hl_archive_btc: Path,
                                                              tmp_path: Path) -> None:
    # OFI forecasts next to nothing beyond a second on this hour (`hlofi research fit`):
    # no edge beats the cost, so the economically rational strategy sends nothing, and
    # says why on every decision.
    cfg = load_config(REPO / "configs" / "btc-ofi")
    result = run_backtest(cfg, hl_archive_btc, tmp_path / "run", seed=1)
    assert result.frames == 5587
    assert result.engine["stage_errors"] == {}
    assert result.gateway["sent"] == 0
    skips = result.execution["router_skips"]
    assert sum(skips.values()) > 1000
    assert set(skips) <= {"alpha_below_min", "edge_below_cost", "forecast_warming_up"}, skips
    with sqlite3.connect(result.journal) as conn:
        (orders,) = conn.execute("SELECT count(*) FROM orders").fetchone()
        (priced,) = conn.execute("SELECT count(*) FROM decisions WHERE outcome = 'skip' AND "
                                 "inputs LIKE '%expected_cost_bps%'").fetchone()
    assert orders == 0
    assert priced > 1000  # each skip carries its edge, cost and margin
    html = write_html_report(result)
    assert html is not None
    assert html.exists()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synthetic") / "data"
    record_synthetic(path, 4 * 60.0, seed=11)
    return path


@pytest.fixture(scope="module")
def exploitable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exploitable") / "data"
    record_scenario("exploitable", 11, 4 * 60.0, path)
    return path


# The order path and its determinism are under test here, not the economics: the
# cheapest fee tier without safety margins (bench/bench_edge_scenarios.py judges profit).
_EAGER = {"thresholds.yaml": {
    "costs": {"fee_tier": 6, "maker_rebate_tier": 3, "adverse_prior_bps": 0.0,
              "expected_slippage_bps": 0.0, "min_margin_bps": 0.0, "uncertainty_k": 0.0},
    "forecast": {"min_evidence": 0.0}}}


def test_synthetic_btc_eth_fills_alo_and_ioc_and_repeats(exploitable: Path,
                                                        tmp_path: Path) -> None:
    cfg = build_config(_EAGER)
    synthetic = exploitable
    a = run_backtest(cfg, synthetic, tmp_path / "a", seed=4)
    b = run_backtest(cfg, synthetic, tmp_path / "b", seed=4)
    c = run_backtest(cfg, synthetic, tmp_path / "c", seed=5)
    fills = _orders_by_tif(a)
    assert fills.get("Alo", 0) > 0, fills
    assert fills.get("Ioc", 0) > 0, fills
    assert a.engine["stage_errors"] == {}
    assert a.journal_sha256 == b.journal_sha256
    # Sampled latencies: another seed moves acks and fills, hence the journal.
    assert c.journal_sha256 != a.journal_sha256
    ours = {k: p["size"] for k, p in a.execution["positions"].items() if p["size"]}
    assert ours == pytest.approx({k: float(v) for k, v in a.venue["positions"].items()})


_HASH_SCRIPT = """
import sys
from pathlib import Path
from hyperliquid_ofi_trader.backtest.runner import run_backtest
from hyperliquid_ofi_trader.config import load_config
from hyperliquid_ofi_trader.config.loader import build_config
from hyperliquid_ofi_trader.sim.synthetic_recording import record_scenario
r = run_backtest(load_config(), Path(sys.argv[1]), Path(sys.argv[2]), seed=9, limit=4000)
print(r.journal_sha256)
"""


def test_same_hash_across_processes_and_hash_seeds(synthetic: Path, tmp_path: Path) -> None:
    # Nothing may depend on str hashing (set order) or on the process: two interpreters
    # with different PYTHONHASHSEEDs must write the same journal.
    hashes = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", _HASH_SCRIPT, str(synthetic),
                              str(tmp_path / hash_seed)], env=env, cwd=REPO,
                             capture_output=True, text=True, check=True, timeout=300)
        hashes.append(out.stdout.strip().splitlines()[-1])
    assert len(hashes[0]) == 64
    assert hashes[0] == hashes[1]
