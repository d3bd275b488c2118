"""Forecast mode journals what drives its alpha: the model's features, each with the
coefficient the forecast used and its part (coefficient x value), never the configured
weights of signals that play no part in it."""

from __future__ import annotations

import math

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.alpha.combiner import AlphaCombiner
from hyperliquid_ofi_trader.alpha.forecast import OnlineForecast
from hyperliquid_ofi_trader.alpha.forecast_model import ForecastModel
from hyperliquid_ofi_trader.feedback.trust_score import SignalTrust
from hyperliquid_ofi_trader.regime.state import LiquidityLevel, RegimeState, VolLevel

MS = 1_000_000
FEATURES = ("lead_trend_1000ms_bps", "lag_trend_1000ms_bps", "ofi")


def _model(coefs: tuple[float, ...] = (7.5, -0.2, 0.4)) -> ForecastModel:
    return ForecastModel(coin="ETH", horizon_ms=1000, latency_ms=100, features=FEATURES,
                         coef_bps=coefs, coef_std_bps=(0.1,) * 3, feature_std=(1.0,) * 3,
                         residual_std_bps=2.0, sample_ms=100)


def _regime(volatility: VolLevel = VolLevel.NORMAL, ns: int = 0) -> RegimeState:
    return RegimeState(tradable=True, liquidity=LiquidityLevel.LIQUID, volatility=volatility,
                       liquidation=False, coin="ETH", exchange_ns=ns)


def test_the_breakdown_lists_the_model_features_and_sums_to_the_forecast() -> None:
    combiner = AlphaCombiner(forecaster=SignalTrust(models={"ETH": _model()}))
    signals = {"lead_trend_1000ms_bps": -0.3, "lag_trend_1000ms_bps": 0.6, "ofi": 1.2,
               "microprice": -0.5, "aggressive_volume": 0.8}
    combiner.compute(signals, _regime())
    br = combiner.explain()
    assert br.signals == ()  # the configured weights take no part in a forecast alpha
    assert [f.name for f in br.features] == list(FEATURES)
    assert [f.coef_bps for f in br.features] == [7.5, -0.2, 0.4]
    assert [f.value for f in br.features] == [-0.3, 0.6, 1.2]
    assert all(f.status == "used" for f in br.features)
    assert all(f.contribution_bps == f.coef_bps * f.value for f in br.features)
    assert br.forecast is not None
    assert sum(f.contribution_bps for f in br.features) == pytest.approx(br.forecast.bps)
    assert br.raw == pytest.approx(br.forecast.bps / 5.0)  # alpha_scale_bps
    row = msgspec.json.decode(msgspec.json.encode(br.as_dict()))  # as the journal has it
    assert row["signals"] == []
    assert row["features"][0] == {"name": "lead_trend_1000ms_bps", "status": "used",
                                  "value": -0.3, "coef_bps": 7.5, "contribution_bps": -2.25}


def test_the_regime_scales_the_forecast_not_the_parts() -> None:
    combiner = AlphaCombiner(forecaster=SignalTrust(models={"ETH": _model()}),
                             high_vol_damping=0.5)
    combiner.compute({"lead_trend_1000ms_bps": 1.0}, _regime(VolLevel.HIGH))
    br = combiner.explain()
    assert br.forecast is not None
    total = sum(f.contribution_bps for f in br.features)
    assert total == pytest.approx(7.5)
    # The journal's forecast is the conditioned one: the parts are the model's own.
    assert br.forecast.bps == pytest.approx(total * br.conditioned / br.compressed)
    assert abs(br.forecast.bps) < abs(total)


def test_statuses_say_how_each_signal_was_read() -> None:
    est = OnlineForecast(_model())
    published: dict[str, object] = {"lead_trend_1000ms_bps": math.nan,
                                    "lag_trend_1000ms_bps": 5e6, "ofi": "1.0"}
    est.forecast(published)  # type: ignore[arg-type]
    by_name = {f.name: f for f in est.breakdown()}
    assert by_name["lead_trend_1000ms_bps"].status == "rejected"
    assert by_name["lead_trend_1000ms_bps"].value == 0.0
    assert by_name["lag_trend_1000ms_bps"].status == "clipped"
    assert by_name["lag_trend_1000ms_bps"].value == 1e6
    assert by_name["ofi"].status == "rejected"  # text, even when it parses
    est.forecast({"ofi": 2})
    by_name = {f.name: f for f in est.breakdown()}
    assert by_name["lead_trend_1000ms_bps"].status == "missing"
    assert by_name["ofi"].status == "used"
    assert by_name["ofi"].value == 2.0


def test_nothing_to_break_down_before_the_first_forecast() -> None:
    assert OnlineForecast(_model()).breakdown() == ()
    assert SignalTrust(models={"ETH": _model()}).breakdown("ETH") == ()
    assert AlphaCombiner(forecaster=SignalTrust(models={"ETH": _model()})).explain().features \
        == ()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-5, 5), st.floats(-5, 5), st.floats(-5, 5)),
                min_size=1, max_size=60))
def test_the_parts_use_the_coefficients_of_that_forecast(
        steps: list[tuple[float, float, float]]) -> None:
    """A sample maturing on the same call moves the coefficients after the forecast: the
    breakdown must show the ones the forecast used, so its parts still sum to it."""
    trust = SignalTrust(models={"ETH": _model()})
    mid = [3500.0]
    trust.attach(lambda coin: mid[0])
    combiner = AlphaCombiner(forecaster=trust)
    learned = False
    for i, x in enumerate(steps):
        before = list(trust.estimator("ETH").coef)
        mid[0] *= 1.0 + x[0] * 1e-4
        combiner.compute(dict(zip(FEATURES, x, strict=True)), _regime(ns=i * 400 * MS))
        br = combiner.explain()
        assert br.forecast is not None
        assert [f.coef_bps for f in br.features] == before
        total = sum(f.contribution_bps for f in br.features)
        if abs(total) < 100.0:  # under the bound (max_forecast_bps)
            assert br.forecast.bps == pytest.approx(total, rel=1e-12, abs=1e-12)
        learned |= trust.estimator("ETH").coef != before
    if len(steps) > 10:
        assert learned  # the case the test is about did occur
