"""Build the alpha combiner from the validated configuration (thresholds.yaml `alpha:`).

Kept apart from the combiner so the hot-path module never imports pydantic.
"""

from __future__ import annotations

from pathlib import Path

from hyperliquid_ofi_trader.alpha.combiner import AlphaCombiner, Forecaster, TrustProvider
from hyperliquid_ofi_trader.alpha.forecast_model import ForecastModel
from hyperliquid_ofi_trader.config.models import AlphaThresholds, AppConfig, ForecastThresholds


def build_combiner(t: AlphaThresholds, trust: TrustProvider | None = None,
                   forecaster: Forecaster | None = None,
                   forecast: ForecastThresholds | None = None) -> AlphaCombiner:
    """The combiner; with a `forecaster` its alpha is derived from the forecast in bps
    (`forecast.alpha_scale_bps`, and compression scale 1: the bps scale is the scale)."""
    if forecaster is None:
        return AlphaCombiner(weights=dict(t.weights.as_mapping()),
                             compression_scale=t.compression_scale,
                             high_vol_damping=t.high_vol_damping, trust=trust)
    scale = forecast.alpha_scale_bps if forecast is not None else 5.0
    return AlphaCombiner(weights=dict(t.weights.as_mapping()), compression_scale=1.0,
                         high_vol_damping=t.high_vol_damping, trust=trust,
                         forecaster=forecaster, alpha_scale_bps=scale)


def forecast_models(cfg: AppConfig) -> dict[str, ForecastModel]:
    """The configured model file (for the coin it was fitted on); coins without one use
    their packaged model or a zero prior (feedback.trust_score)."""
    path = cfg.thresholds.forecast.model_path
    if path is None:
        return {}
    resolved = Path(path)
    if not resolved.is_absolute() and cfg.source_dir is not None:
        resolved = Path(cfg.source_dir) / resolved
    model = ForecastModel.load(resolved)
    return {model.coin: model}
