"""`hlofi research fit`: the forecast model fitted on forward moves, out of sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.alpha.forecast_model import ForecastModel
from hyperliquid_ofi_trader.cli import research
from hyperliquid_ofi_trader.config.loader import load_config
from hyperliquid_ofi_trader.research.forecast_fit import collect_samples, fit
from hyperliquid_ofi_trader.sim.synthetic_recording import record_scenario


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test root."""

    research.register(app)
    return app


def invoke(*args: str) -> object:
    return CliRunner().invoke(_app(), ["research", *args])


@pytest.fixture(scope="module")
def exploitable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exploitable") / "data"
    record_scenario("exploitable", 21, 300.0, path)
    return path


def test_fit_writes_a_model_and_reports_out_of_sample(exploitable: Path, tmp_path: Path) -> None:
    out = tmp_path / "eth.yaml"
    res = invoke("fit", "--data", str(exploitable), "--coin", "ETH", "--horizon-ms", "2000",
                 "--latency-ms", "200", "--out", str(out), "--json")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    report = json.loads(res.output)  # type: ignore[attr-defined]
    assert report["synthetic"] is True
    assert report["n_test"] > 100
    assert len(report["calibration"]) == 10
    # The planted lead-lag edge is found out of sample: ETH follows BTC's recent move.
    assert report["ic_oos"] > 0.1
    assert report["coefficients"]["lead_trend_1000ms_bps"]["coef_bps"] > 0
    model = ForecastModel.load(out)
    assert model.horizon_ms == 2000
    assert model.latency_ms == 200
    assert model.fit.synthetic


def test_a_mirrored_market_fits_a_negated_forecast(exploitable: Path) -> None:
    s = collect_samples(exploitable, load_config(), "ETH")
    up = fit(s, latency_ms=200, horizon_ms=2000, sample_ms=100).model
    # Mirror the market: every feature and every mid move change sign.
    mirrored = type(s)(coin=s.coin, ns=s.ns, x=-s.x, mid_ns=s.mid_ns, mid=1e4 / s.mid,
                       features=s.features)
    down = fit(mirrored, latency_ms=200, horizon_ms=2000, sample_ms=100).model
    x = s.x[len(s.ns) // 2]
    pred_up = sum(c * v for c, v in zip(up.coef_bps, x, strict=True))
    pred_down = sum(c * v for c, v in zip(down.coef_bps, -x, strict=True))
    assert pred_down == pytest.approx(-pred_up, rel=0.05, abs=0.05)


def test_fit_refuses_an_untraded_coin_clearly(exploitable: Path) -> None:
    res = invoke("fit", "--data", str(exploitable), "--coin", "DOGE")
    assert res.exit_code == 1  # type: ignore[attr-defined]
    assert "not traded" in res.output  # type: ignore[attr-defined]
