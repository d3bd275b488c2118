"""The report on a real backtest (BTC archive hour, first 1,200 snapshots): our PnL,
rebuilt from the journal alone, must agree with the simulated venue's own ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hyperliquid_ofi_trader.alpha.forecast_model import ForecastModel
from hyperliquid_ofi_trader.backtest.report import ReportSummary, summarize
from hyperliquid_ofi_trader.backtest.report_html import render_report
from hyperliquid_ofi_trader.backtest.runner import BacktestResult, BacktestSettings, run_backtest
from hyperliquid_ofi_trader.config.loader import build_config
from tests.conftest import HL_ARCHIVE_BTC, require

pytestmark = pytest.mark.realdata

# BTC instead of the default ETH, with depth thresholds in BTC units (the ETH defaults
# would keep the regime "thin" all hour and nothing would trade).
OVERRIDES: dict[str, dict[str, Any]] = {
    "symbols.yaml": {"traded": ["BTC"]},
    "risk.yaml": {"limits": {"max_position_usd": {"BTC": 5000.0}, "max_order_usd": 500.0,
                             "max_total_notional_usd": 10000.0}},
    "thresholds.yaml": {"regime": {"liquidity": {"enter_depth": 2.0, "exit_depth": 1.0}}},
}


def _believer(path: Path) -> Path:
    """A forecast model that believes OFI (5 bps per unit) and will not be talked out of it
    (a huge prior): this test checks the accounting of trades, and the economically
    rational default stands aside on this hour."""
    ForecastModel(coin="BTC", horizon_ms=1000, latency_ms=100, features=("ofi",),
                  coef_bps=(5.0,), coef_std_bps=(0.0,), feature_std=(1.0,),
                  residual_std_bps=1.0, sample_ms=100).save(path)
    return path


@pytest.fixture(scope="module")
def backtest(tmp_path_factory: pytest.TempPathFactory) -> tuple[BacktestResult, ReportSummary]:
    data = require(HL_ARCHIVE_BTC)
    out = tmp_path_factory.mktemp("bt") / "run"
    model = _believer(tmp_path_factory.mktemp("model") / "btc.yaml")
    overrides = {**OVERRIDES, "thresholds.yaml": {
        **OVERRIDES["thresholds.yaml"],
        "forecast": {"model_path": str(model), "prior_n_eff": 1e9, "min_evidence": 0.0},
        "costs": {"fee_tier": 6, "uncertainty_k": 0.0, "min_margin_bps": 0.0}}}
    result = run_backtest(build_config(overrides), data, out, limit=1200)
    return result, summarize(out)


def test_pnl_matches_the_venue_ledger(backtest: tuple[BacktestResult, ReportSummary]) -> None:
    result, summary = backtest
    assert summary.fills > 0, "the scenario must trade for this check to mean anything"
    venue_pnl = float(result.venue["account_value"]) - BacktestSettings().initial_usdc
    assert summary.net_pnl_usd == pytest.approx(venue_pnl, abs=1e-3)
    (btc,) = summary.per_coin
    assert btc.final_position == pytest.approx(float(result.venue["positions"]["BTC"]))
    assert summary.journal_sha256 == result.journal_sha256


def test_real_run_renders(backtest: tuple[BacktestResult, ReportSummary],
                          tmp_path: Path) -> None:
    result, summary = backtest
    again, files = render_report(Path(result.journal), tmp_path / "report")
    assert again == summary
    assert files.html.stat().st_size > 10_000
    assert summary.slippage_bps.n == summary.fills
    assert sum(r.placed for r in summary.fill_rates if r.by == "tif") == summary.orders
