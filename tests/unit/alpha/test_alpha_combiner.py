"""AlphaCombiner: hand-computed fusion, trust, missing and rejected signals, explain()."""

from __future__ import annotations

import math

import orjson
import pytest

from hyperliquid_ofi_trader.alpha import AlphaCombiner, AlphaConfigError, Conditioning
from hyperliquid_ofi_trader.regime.state import LiquidityLevel, RegimeState, VolLevel

WEIGHTS = {"ofi": 0.5, "leadlag": 0.3, "aggressive_volume": 0.1, "microprice": 0.1}
SIGNALS = {"ofi": 1.2, "leadlag": 1.0, "aggressive_volume": -0.5, "microprice": 0.2}
# 0.5*1.2 + 0.3*1 + 0.1*(-0.5) + 0.1*0.2 = 0.6 + 0.3 - 0.05 + 0.02
RAW = 0.87


def regime(tradable: bool = True, vol: VolLevel = VolLevel.NORMAL,
           liquidation: bool = False) -> RegimeState:
    return RegimeState(tradable=tradable, liquidity=LiquidityLevel.LIQUID, volatility=vol,
                       liquidation=liquidation)


class FixedTrust:
    def __init__(self, trust: dict[str, float]) -> None:
        self.trust = trust

    def weight(self, name: str) -> float:
        return self.trust.get(name, 1.0)


def test_hand_computed_alpha() -> None:
    comb = AlphaCombiner(WEIGHTS, compression_scale=1.0)
    alpha = comb.compute(SIGNALS, regime())
    assert comb.last_raw == pytest.approx(RAW)
    assert alpha == pytest.approx(math.tanh(0.87))
    assert alpha == pytest.approx(0.70137, abs=1e-5)


def test_compression_scale() -> None:
    comb = AlphaCombiner(WEIGHTS, compression_scale=2.0)
    assert comb.compute(SIGNALS, regime()) == pytest.approx(math.tanh(0.435))


def test_trust_multiplies_config_weight() -> None:
    comb = AlphaCombiner(WEIGHTS, trust=FixedTrust({"ofi": 0.5, "leadlag": 0.0}))
    # 0.5*0.5*1.2 + 0 - 0.05 + 0.02 = 0.27
    assert comb.compute(SIGNALS, regime()) == pytest.approx(math.tanh(0.27))


def test_bad_trust_is_clamped_and_counted() -> None:
    comb = AlphaCombiner(WEIGHTS, trust=FixedTrust({"ofi": math.nan, "leadlag": 7.0,
                                                     "microprice": -1.0}))
    # ofi off (NaN -> 0), leadlag capped at 1, microprice off: 0.3 - 0.05 = 0.25
    assert comb.compute(SIGNALS, regime()) == pytest.approx(math.tanh(0.25))
    assert comb.trust_clamped == 3


def test_missing_signal_contributes_nothing() -> None:
    comb = AlphaCombiner(WEIGHTS)
    signals = {k: v for k, v in SIGNALS.items() if k != "ofi"}
    assert comb.compute(signals, regime()) == pytest.approx(math.tanh(0.27))
    assert comb.compute({}, regime()) == 0.0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "1.0", None, object()])
def test_non_finite_or_non_number_is_rejected_and_counted(bad: object) -> None:
    comb = AlphaCombiner(WEIGHTS)
    signals: dict[str, object] = {**SIGNALS, "ofi": bad}
    alpha = comb.compute(signals, regime())  # type: ignore[arg-type]
    assert alpha == pytest.approx(math.tanh(0.27))
    if bad is not None:  # None is the same as missing
        assert comb.rejected["ofi"] == 1


def test_unknown_signals_are_ignored() -> None:
    comb = AlphaCombiner({"ofi": 1.0})
    assert comb.compute({"ofi": 0.5, "other": 100.0}, regime()) == pytest.approx(math.tanh(0.5))


def test_numpy_and_int_values_are_accepted() -> None:
    import numpy as np

    comb = AlphaCombiner({"ofi": 1.0, "leadlag": 1.0})
    alpha = comb.compute({"ofi": np.float32(0.25), "leadlag": 1}, regime())  # type: ignore[dict-item]
    assert alpha == pytest.approx(math.tanh(1.25))


def test_two_sided_overflow_gives_zero_not_nan() -> None:
    comb = AlphaCombiner({"a": 10.0, "b": 10.0})
    alpha = comb.compute({"a": 1e308, "b": -1e308}, regime())
    assert alpha == 0.0
    assert comb.overflows == 1
    assert comb.last_reason is Conditioning.INVALID_ALPHA


def test_one_sided_overflow_saturates() -> None:
    comb = AlphaCombiner({"a": 10.0})
    assert comb.compute({"a": 1e308}, regime()) == 1.0
    assert comb.compute({"a": -1e308}, regime()) == -1.0


@pytest.mark.parametrize(
    ("state", "factor", "reason"),
    [
        (regime(vol=VolLevel.HIGH), 0.25, Conditioning.HIGH_VOL_DAMPED),
        (regime(tradable=False), 0.0, Conditioning.NOT_TRADABLE),
        (regime(liquidation=True), 0.0, Conditioning.LIQUIDATION),
        (regime(vol=VolLevel.EXTREME), 0.0, Conditioning.EXTREME_VOLATILITY),
    ],
)
def test_regime_conditioning_applied(
    state: RegimeState, factor: float, reason: Conditioning
) -> None:
    comb = AlphaCombiner(WEIGHTS, high_vol_damping=0.25)
    assert comb.compute(SIGNALS, state) == pytest.approx(factor * math.tanh(RAW))
    assert comb.last_reason is reason
    assert comb.last_compressed == pytest.approx(math.tanh(RAW))


def test_explain_breaks_down_last_compute() -> None:
    comb = AlphaCombiner(WEIGHTS, trust=FixedTrust({"ofi": 0.5}))
    signals = {**SIGNALS, "microprice": math.nan}
    del signals["aggressive_volume"]
    state = RegimeState(tradable=True, liquidity=LiquidityLevel.LIQUID,
                        volatility=VolLevel.HIGH, liquidation=False,
                        reasons=("volatility_high",))
    alpha = comb.compute(signals, state)
    br = comb.explain()
    by_name = {c.name: c for c in br.signals}
    assert by_name["ofi"].status == "used"
    assert by_name["ofi"].trust == 0.5
    assert by_name["ofi"].contribution == pytest.approx(0.3)
    assert by_name["leadlag"].contribution == pytest.approx(0.3)
    assert by_name["aggressive_volume"].status == "missing"
    assert by_name["microprice"].status == "rejected"
    assert by_name["microprice"].contribution == 0.0
    assert br.raw == pytest.approx(sum(c.contribution for c in br.signals))
    assert br.compressed == pytest.approx(math.tanh(0.6))
    assert br.conditioned == alpha == pytest.approx(0.5 * math.tanh(0.6))
    assert br.reason == "high_volatility_damped"
    assert br.regime_reasons == ("volatility_high",)
    orjson.dumps(br.as_dict())  # journal-ready


@pytest.mark.parametrize(
    "kwargs",
    [
        {"weights": {}},
        {"weights": {"ofi": math.nan}},
        {"weights": {"": 1.0}},
        {"compression_scale": 0.0},
        {"compression_scale": math.inf},
        {"high_vol_damping": 1.5},
        {"high_vol_damping": -0.1},
    ],
)
def test_config_errors(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"weights": WEIGHTS, **kwargs}
    with pytest.raises(AlphaConfigError):
        AlphaCombiner(**args)  # type: ignore[arg-type]


def test_satisfies_the_engine_protocols() -> None:
    from hyperliquid_ofi_trader.core.stages import AlphaStage, Explainer

    comb = AlphaCombiner(WEIGHTS)
    typed: AlphaStage[RegimeState] = comb  # mypy checks the structural match
    assert isinstance(typed, AlphaCombiner)
    assert isinstance(comb, Explainer)
