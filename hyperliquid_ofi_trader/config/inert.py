"""Keys that validate but do not act on the strategy every run mode assembles.

The seed's alpha was a weighted sum of signals and its router a table of OFI thresholds.
The assembled strategy (runtime/assembly.py) derives its alpha from the forecast in bps
and routes on edge against cost, so three keys only serve the seed-style interfaces
(`AlphaCombiner()`, `build_combiner` without a forecaster, the router without an edge
source): `alpha.weights`, `alpha.compression_scale` and `router.ofi_mid`. They stay valid
(those interfaces read them, and a copy of the packaged file must still load), but a user
file that changes one believes it acts. `inert_settings` names each one a configuration
changes, with what decides in its place; `hlofi config check` lists them and the strategy's
assembly logs them (`consumer_audit` finds keys nothing reads; these are read, by code
the assembled system does not run).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final

from hyperliquid_ofi_trader.config.models import AppConfig
from hyperliquid_ofi_trader.config.packaged import packaged_config

_ALPHA_WHY: Final = ("the alpha is tanh(forecast bps / forecast.alpha_scale_bps): the fitted "
                     "model's features and coefficients decide it (`hlofi research fit`)")
_SCALE_WHY: Final = "forecast.alpha_scale_bps sets the alpha's scale"
_OFI_MID_WHY: Final = ("the router rests or takes on edge against cost; OFI only adds "
                       "urgency at router.ofi_high")


# The seed-only keys as dotted paths (a sweep grid's spelling), each with its `why`.
SEED_ONLY_KEYS: Final = (("thresholds.alpha.weights", _ALPHA_WHY),
                         ("thresholds.alpha.compression_scale", _SCALE_WHY),
                         ("thresholds.router.ofi_mid", _OFI_MID_WHY))


def inert_grid_keys(keys: Iterable[str]) -> list[str]:
    """One line per sweep grid key that is (or lies under) a seed-only key: its points
    would run the same decisions."""
    return [f"{key} has no effect on the strategy ({why}): the points that differ only in "
            "it run the same decisions"
            for key in keys for path, why in SEED_ONLY_KEYS
            if key == path or key.startswith(path + ".")]


def inert_settings(config: AppConfig) -> list[str]:
    """One line per seed-only key whose value differs from the packaged default:
    'thresholds.yaml <key> = <value> (default <d>) has no effect on the strategy: <why>'."""
    return [f"thresholds.yaml {key} = {value:g} (default {default:g}) has no effect on the "
            f"strategy: {why}"
            for key, value, default, why in _changed(config, packaged_config())]


def _changed(config: AppConfig, packaged: AppConfig
             ) -> Iterator[tuple[str, float, float, str]]:
    ours, base = config.thresholds, packaged.thresholds
    default_weights = base.alpha.weights.as_mapping()
    for name, weight in ours.alpha.weights.as_mapping().items():
        if weight != default_weights.get(name):
            yield f"alpha.weights.{name}", weight, default_weights.get(name, 0.0), _ALPHA_WHY
    if ours.alpha.compression_scale != base.alpha.compression_scale:
        yield ("alpha.compression_scale", ours.alpha.compression_scale,
               base.alpha.compression_scale, _SCALE_WHY)
    if ours.router.ofi_mid != base.router.ofi_mid:
        yield "router.ofi_mid", ours.router.ofi_mid, base.router.ofi_mid, _OFI_MID_WHY
