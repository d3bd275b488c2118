"""The online forecast and the trust that learns both ways: symmetry, never NaN, bounds."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.alpha.combiner import AlphaCombiner
from hyperliquid_ofi_trader.alpha.forecast import OnlineForecast
from hyperliquid_ofi_trader.alpha.forecast_model import (
    ForecastModel,
    ForecastModelError,
    packaged_model,
)
from hyperliquid_ofi_trader.config.loader import build_config
from hyperliquid_ofi_trader.config.thresholds_schema import ForecastThresholds
from hyperliquid_ofi_trader.feedback.trust_score import SignalTrust, TrustSettings
from hyperliquid_ofi_trader.regime.state import LiquidityLevel, RegimeState, VolLevel
from hyperliquid_ofi_trader.research.trust_sim import TrustSimSettings, simulate

MS = 1_000_000


def _forecast(**overrides: object) -> ForecastThresholds:
    """The packaged `forecast` section with `overrides`, validated as a user file would be."""
    return build_config({"thresholds.yaml": {"forecast": overrides}}).thresholds.forecast

FEATURES = ("lead_ret_bps", "ofi", "microprice")
NORMAL = RegimeState(tradable=True, liquidity=LiquidityLevel.LIQUID,
                     volatility=VolLevel.NORMAL, liquidation=False, coin="ETH")


def model(coefs: tuple[float, ...] = (2.0, 0.1, -0.5), horizon_ms: int = 1000) -> ForecastModel:
    return ForecastModel(coin="ETH", horizon_ms=horizon_ms, latency_ms=100, features=FEATURES,
                         coef_bps=coefs, coef_std_bps=(0.1,) * 3, feature_std=(1.0,) * 3,
                         residual_std_bps=2.0, sample_ms=100)


def mirrored(signals: dict[str, float]) -> dict[str, float]:
    return {k: -v for k, v in signals.items()}


# ---------------------------------------------------------------- symmetry


@given(st.dictionaries(st.sampled_from(FEATURES),
                       st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)))
def test_a_mirrored_market_negates_the_forecast(signals: dict[str, float]) -> None:
    est = OnlineForecast(model())
    up, _, _ = est.forecast(signals)
    down, _, _ = est.forecast(mirrored(signals))
    assert down == pytest.approx(-up, abs=1e-12)


def test_learning_on_a_mirrored_market_learns_the_same_coefficients() -> None:
    rng = random.Random(3)
    a, b = OnlineForecast(model()), OnlineForecast(model())
    for i in range(300):
        x = [rng.gauss(0, 1) for _ in FEATURES]
        y = 3.0 * x[0] + rng.gauss(0, 1)
        a.learn(x, y, i * 100 * MS, 0.1)
        b.learn([-v for v in x], -y, i * 100 * MS, 0.1)
    assert a.coef == pytest.approx(b.coef)


def test_the_combiner_negates_alpha_and_edge_on_a_mirrored_market() -> None:
    trust = SignalTrust(models={"ETH": model()})
    combiner = AlphaCombiner(forecaster=trust)
    s = {"lead_ret_bps": 1.5, "ofi": 0.3, "microprice": 0.2}
    up = combiner.compute(s, NORMAL)
    up_edge = combiner.edge_of("ETH")
    down = combiner.compute(mirrored(s), NORMAL)
    down_edge = combiner.edge_of("ETH")
    assert up > 0
    assert down == pytest.approx(-up)
    assert up_edge is not None
    assert down_edge is not None
    assert down_edge.bps == pytest.approx(-up_edge.bps)
    assert trust.edge_of("ETH") == down_edge  # what the router reads


# ---------------------------------------------------------------- never NaN, bounded

_ANY = st.one_of(st.floats(), st.just("1.0"), st.none(), st.integers(-10**30, 10**30))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from((*FEATURES, "other")), _ANY),
       st.lists(st.tuples(st.floats(), st.floats()), max_size=20))
def test_the_forecast_is_never_nan(signals: dict[str, object],
                                   moves: list[tuple[float, float]]) -> None:
    est = OnlineForecast(model(), _forecast(max_forecast_bps=100.0))
    for i, (x, y) in enumerate(moves):
        est.learn([x, y, x], y, i * MS)
    bps, std, _ = est.forecast(signals)  # type: ignore[arg-type]
    assert math.isfinite(bps)
    assert math.isfinite(std)
    assert std >= 0
    assert abs(bps) <= 100.0
    assert all(math.isfinite(c) for c in est.coef)


def test_coefficients_stay_within_their_bounds() -> None:
    est = OnlineForecast(model(), _forecast(coef_bound_bps=5.0))
    for i in range(500):
        est.learn([1.0, 0.0, 0.0], 1e6, i * 100 * MS)  # absurd moves
    assert abs(est.coef[0]) <= 5.0 + 1e-9


def test_overlapping_horizons_count_as_fractions_of_a_sample() -> None:
    est = OnlineForecast(model(horizon_ms=1000), _forecast(sample_ms=100,
                                                                halflife_s=1e9))
    for step in range(200):  # a decision every 100 ms, mid rising steadily
        est.observe(step * 100 * MS, 2000.0 + step * 0.01, [1.0, 0.0, 0.0])
    assert est.samples > 150
    assert est.n_eff == pytest.approx(est.samples * 0.1, rel=1e-6)


# ---------------------------------------------------------------- trust both ways


def test_trust_raises_a_doubted_useful_signal_and_drops_a_useless_one() -> None:
    r = simulate(7, TrustSimSettings(duration_s=600.0))
    assert r.kept_useful
    assert r.dropped_useless
    assert r.useful_coef_bps == pytest.approx(r.true_coef_bps, rel=0.5)


def test_trust_weights_stay_in_the_unit_interval_and_changes_are_explained() -> None:
    trust = SignalTrust(TrustSettings(report_step=0.05), models={"ETH": model()},
                        mid_of=lambda coin: 2000.0)
    rng = random.Random(1)
    for i in range(3000):
        trust.forecast("ETH", i * 100 * MS, {"lead_ret_bps": rng.gauss(0, 1),
                                             "ofi": rng.gauss(0, 5)})
        for name in FEATURES:
            assert 0.0 <= trust.weight(name) <= 1.0
    changes = trust.drain_changes()
    assert changes
    assert all(isinstance(c["explain"], str) for c in changes)
    lead = [c for c in changes if c["signal"] == "lead_ret_bps"]
    assert lead[-1]["to"] < lead[0]["to"]  # the mid never moved: lead-lag earned nothing
    assert trust.drain_changes() == []


def test_seed_interface_update_ofi_fill_slippage() -> None:
    # A model with OFI among its inputs (the packaged ETH model has none: see below).
    trust = SignalTrust(models={"ETH": model()})
    fill = {"side": "B", "px": 2000.0, "sz": 0.1}
    for _ in range(50):
        assert trust.update(1.0, fill, 2.0)  # OFI said up, the market went up after a buy
    w = trust.weight("ofi")
    assert 0.0 <= w <= 1.0
    assert not trust.update(0.0, fill, 2.0)  # a zero signal carries nothing


def test_a_signal_outside_the_model_is_still_judged_both_ways() -> None:
    """The packaged ETH model forecasts from the lead-lag catch-up alone (OFI did not earn
    its place out of sample); the seed's update(ofi, fill, markout) still scores OFI, on
    its own estimator, without touching the forecast's coefficients."""
    trust = SignalTrust()
    forecast = trust.estimator("ETH")
    assert "ofi" not in forecast.features
    before = list(forecast.coef)
    buy = {"side": "B", "px": 2000.0, "sz": 0.1}
    rng = random.Random(3)
    for _ in range(400):  # OFI said up and the market went up after a buy, with noise
        assert trust.update(1.0, buy, 2.0 + rng.gauss(0.0, 1.0))
    useful = trust.weight("ofi")
    assert useful > 0.9
    assert forecast.coef == before
    for _ in range(4000):  # then the same OFI says nothing: the weight falls
        trust.update(1.0, buy, rng.gauss(0.0, 1.0))
    assert 0.0 <= trust.weight("ofi") < useful
    assert not trust.update(math.nan, buy, 2.0)


# ---------------------------------------------------------------- model files


def test_model_file_round_trip_and_bad_files(tmp_path: Path) -> None:
    m = model()
    path = tmp_path / "m.yaml"
    m.save(path)
    back = ForecastModel.load(path)
    assert (back.features, back.coef_bps, back.horizon_ms) == (m.features, m.coef_bps, 1000)
    assert math.isnan(back.fit.r2_oos)  # "not measured" survives the file
    (tmp_path / "bad.yaml").write_text("coin: ETH\nhorizon_ms: -1\n")
    with pytest.raises(ForecastModelError):
        ForecastModel.load(tmp_path / "bad.yaml")
    with pytest.raises(ForecastModelError, match="cannot read"):
        ForecastModel.load(tmp_path / "missing.yaml")


def test_the_packaged_model_says_it_is_synthetic() -> None:
    m = packaged_model("ETH")
    assert m is not None
    assert m.fit.synthetic
    assert packaged_model("DOGE") is None


def test_the_lead_share_of_a_forecast() -> None:
    est = OnlineForecast(model((2.0, 1.0, 0.0)))
    est.forecast({"lead_ret_bps": 3.0, "ofi": 2.0})
    assert est.last_lead_share == pytest.approx(6.0 / 8.0)
    est.forecast({})
    assert est.last_lead_share == 0.0


def test_a_gap_in_decisions_drops_samples_instead_of_learning_a_false_move() -> None:
    est = OnlineForecast(model(horizon_ms=1000), _forecast(sample_ms=100))
    for step in range(10):  # decisions for 1 s, flat mid
        est.observe(step * 100 * MS, 2000.0, [1.0, 0.0, 0.0])
    coef = list(est.coef)
    # Then nothing for a minute (a halt), and the mid is elsewhere: no sample may score it.
    assert est.observe(61_000 * MS, 2100.0, [0.0, 0.0, 0.0]) == 0
    assert est.stale == 10
    assert est.coef == coef
