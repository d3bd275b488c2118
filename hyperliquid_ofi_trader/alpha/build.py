"""Build the alpha combiner from the validated configuration (thresholds.yaml `alpha:`).

Kept apart from the combiner so the hot-path module never imports pydantic.
"""

from __future__ import annotations

from hyperliquid_ofi_trader.alpha.combiner import AlphaCombiner, TrustProvider
from hyperliquid_ofi_trader.config.models import AlphaThresholds


def build_combiner(t: AlphaThresholds, trust: TrustProvider | None = None) -> AlphaCombiner:
    return AlphaCombiner(
        weights=dict(t.weights.as_mapping()),
        compression_scale=t.compression_scale,
        high_vol_damping=t.high_vol_damping,
        trust=trust,
    )
