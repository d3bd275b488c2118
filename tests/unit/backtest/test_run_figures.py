"""Issue 12 item 8: gross before fees, fees, net, turnover and fills, in total and by order
type, from one source (the journal) in `hlofi backtest --json` and the report."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.backtest.report import run_figures
from hyperliquid_ofi_trader.cli import backtest
from hyperliquid_ofi_trader.sim.synthetic_recording import record_scenario
from tests.plumbing import EAGER_COSTS_YAML

pytestmark = pytest.mark.timeout(120)


def _app() -> typer.Typer:
    app = typer.Typer()
    backtest.register(app)
    app.command("noop")(lambda: None)
    return app


def test_backtest_json_has_the_headline_figures_and_says_synthetic(tmp_path: Path) -> None:
    record_scenario("exploitable", 5, 120.0, tmp_path / "rec")
    # The figures are under test, not the economics: the eager cost config so that it trades.
    config = tmp_path / "config"
    config.mkdir()
    (config / "thresholds.yaml").write_text(EAGER_COSTS_YAML)
    result = CliRunner().invoke(_app(), ["backtest", "--data", str(tmp_path / "rec"),
                                         "--out", str(tmp_path / "bt"), "--json",
                                         "--no-report", "--config", str(config)])
    assert result.exit_code == 0, result.output
    doc = orjson.loads(result.output.strip().splitlines()[-1])
    assert doc["data"] == "SYNTHETIC (scenario exploitable, seed 5)"
    for key in ("gross_pnl_usd", "fees_usd", "net_pnl_usd", "turnover_usd", "fills"):
        assert key in doc, key
    assert doc["fills"] > 0
    assert doc["net_pnl_usd"] == pytest.approx(doc["gross_pnl_usd"] - doc["fees_usd"])
    by_type = doc["by_order_type"]
    assert sum(o["fills"] for o in by_type.values()) == doc["fills"]
    assert sum(o["gross_pnl_usd"] for o in by_type.values()) == pytest.approx(
        doc["gross_pnl_usd"], abs=1e-6)
    assert sum(o["fees_usd"] for o in by_type.values()) == pytest.approx(doc["fees_usd"])
    assert sum(o["turnover_usd"] for o in by_type.values()) == pytest.approx(
        doc["turnover_usd"])
    # The same figures as the report built from the same journal.
    assert run_figures(tmp_path / "bt") == {k: doc[k] for k in run_figures(tmp_path / "bt")}
