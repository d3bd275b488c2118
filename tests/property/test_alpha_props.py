"""Properties of the alpha pipeline under arbitrary inputs (hypothesis)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.alpha import AlphaCombiner, compress
from hyperliquid_ofi_trader.regime.state import LiquidityLevel, RegimeState, VolLevel

NAMES = ("ofi", "leadlag", "aggressive_volume", "microprice")

any_float = st.floats(allow_nan=True, allow_infinity=True)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
weights_st = st.dictionaries(st.sampled_from(NAMES), st.floats(-1e3, 1e3), min_size=1)
trust_st = st.dictionaries(st.sampled_from(NAMES), any_float)
regimes = st.builds(
    RegimeState,
    tradable=st.booleans(),
    liquidity=st.sampled_from(LiquidityLevel),
    volatility=st.sampled_from(VolLevel),
    liquidation=st.booleans(),
)
fast = settings(max_examples=300, deadline=None)


class MapTrust:
    def __init__(self, trust: dict[str, float]) -> None:
        self.trust = trust

    def weight(self, name: str) -> float:
        return self.trust.get(name, 1.0)


@fast
@given(
    weights=weights_st,
    signals=st.dictionaries(st.sampled_from(NAMES), any_float),
    trust=trust_st,
    scale=st.floats(min_value=1e-12, max_value=1e12),
    damping=st.floats(min_value=0.0, max_value=1.0),
    regime=regimes,
)
def test_alpha_always_in_unit_interval(
    weights: dict[str, float], signals: dict[str, float], trust: dict[str, float],
    scale: float, damping: float, regime: RegimeState,
) -> None:
    comb = AlphaCombiner(weights, compression_scale=scale, high_vol_damping=damping,
                         trust=MapTrust(trust))
    alpha = comb.compute(signals, regime)
    assert not math.isnan(alpha)
    assert -1.0 <= alpha <= 1.0
    br = comb.explain()
    assert br.conditioned == alpha


@fast
@given(
    weights=weights_st,
    signals=st.dictionaries(st.sampled_from(NAMES), any_float),
    trust=trust_st,
    scale=st.floats(min_value=1e-6, max_value=1e6),
    regime=regimes,
)
def test_mirrored_signals_negate_alpha(
    weights: dict[str, float], signals: dict[str, float], trust: dict[str, float],
    scale: float, regime: RegimeState,
) -> None:
    comb = AlphaCombiner(weights, compression_scale=scale, trust=MapTrust(trust))
    alpha = comb.compute(signals, regime)
    mirrored = comb.compute({k: -v for k, v in signals.items()}, regime)
    assert mirrored == -alpha


@fast
@given(
    signals=st.fixed_dictionaries(dict.fromkeys(NAMES, finite)),
    bump=st.floats(min_value=0.0, max_value=1e6),
    regime=regimes,
)
def test_alpha_is_monotone_in_a_positively_weighted_signal(
    signals: dict[str, float], bump: float, regime: RegimeState,
) -> None:
    comb = AlphaCombiner(dict.fromkeys(NAMES, 0.25))
    before = comb.compute(signals, regime)
    after = comb.compute({**signals, "ofi": signals["ofi"] + bump}, regime)
    assert after >= before


@fast
@given(
    signals=st.fixed_dictionaries(dict.fromkeys(NAMES, finite)),
    bad=st.sampled_from([math.nan, math.inf, -math.inf]),
    victim=st.sampled_from(NAMES),
)
def test_non_finite_signal_equals_missing_signal(
    signals: dict[str, float], bad: float, victim: str,
) -> None:
    state = RegimeState(tradable=True, liquidity=LiquidityLevel.LIQUID,
                        volatility=VolLevel.NORMAL, liquidation=False)
    comb = AlphaCombiner(dict.fromkeys(NAMES, 0.25))
    with_bad = comb.compute({**signals, victim: bad}, state)
    without = comb.compute({k: v for k, v in signals.items() if k != victim}, state)
    assert with_bad == without
    assert comb.rejected[victim] == 1


@fast
@given(x=st.floats(allow_nan=False, allow_infinity=False),
       scale=st.floats(min_value=1e-300, max_value=1e300))
def test_compress_bounded_and_odd(x: float, scale: float) -> None:
    y = compress(x, scale)
    assert -1.0 <= y <= 1.0
    assert compress(-x, scale) == -y
