"""Does the online trust keep a useful signal and drop a useless one? A seeded simulation.

A SYNTHETIC market (not market data) in steps of `step_ms`: two persistent signals
(AR(1) with coefficient `rho` per step, unit variance), `useful` and `useless`. The mid's
log-return per step is `drift_bps` x useful + N(0, `noise_bps`): only `useful` predicts.
The trust (feedback.trust_score.SignalTrust) starts from a deliberately WRONG prior: 0 for
the useful signal (it must earn its weight: raise) and the useful signal's true forward
coefficient for the useless one (it must lose it: lower). Every step is a decision scored on
its realised forward move, exactly as in the strategy. The verdict after `duration_s`: kept
(trust >= 0.5) or dropped (< 0.5), per signal.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from hyperliquid_ofi_trader.alpha.forecast_model import ForecastModel
from hyperliquid_ofi_trader.config.loader import build_config
from hyperliquid_ofi_trader.feedback.trust_score import SignalTrust, TrustSettings

_MS = 1_000_000


@dataclass(frozen=True, slots=True)
class TrustSimSettings:
    duration_s: float = 900.0
    step_ms: int = 100
    horizon_ms: int = 1_000
    rho: float = 0.9
    drift_bps: float = 0.1
    noise_bps: float = 1.0
    prior_n_eff: float = 10.0


@dataclass(frozen=True, slots=True)
class TrustSimResult:
    seed: int
    useful_weight: float
    useless_weight: float
    useful_coef_bps: float
    useless_coef_bps: float
    true_coef_bps: float

    @property
    def kept_useful(self) -> bool:
        return self.useful_weight >= 0.5

    @property
    def dropped_useless(self) -> bool:
        return self.useless_weight < 0.5


def true_forward_coef(s: TrustSimSettings) -> float:
    """E[forward move over the horizon | useful = 1] in bps (sum of the decaying drift,
    starting after one step: the decision sees the signal before the next return)."""
    k = s.horizon_ms // s.step_ms
    return s.drift_bps * sum(s.rho**j for j in range(k))


def simulate(seed: int, s: TrustSimSettings | None = None) -> TrustSimResult:
    s = s if s is not None else TrustSimSettings()
    rng = random.Random(seed)
    true = true_forward_coef(s)
    model = ForecastModel(coin="SIM", horizon_ms=s.horizon_ms, latency_ms=0,
                          features=("useful", "useless"), coef_bps=(0.0, true),
                          coef_std_bps=(0.0, 0.0), feature_std=(1.0, 1.0),
                          residual_std_bps=s.noise_bps * math.sqrt(s.horizon_ms / s.step_ms),
                          sample_ms=s.step_ms)
    mid = [100.0]
    forecast = build_config({"thresholds.yaml": {"forecast": {
        "prior_n_eff": s.prior_n_eff, "sample_ms": s.step_ms}}}).thresholds.forecast
    trust = SignalTrust(TrustSettings(online=forecast),
                        models={"SIM": model}, mid_of=lambda coin: mid[0])
    innovation = math.sqrt(1.0 - s.rho * s.rho)
    u = v = 0.0
    for step in range(int(s.duration_s * 1000 / s.step_ms)):
        trust.forecast("SIM", step * s.step_ms * _MS, {"useful": u, "useless": v})
        mid[0] *= math.exp((s.drift_bps * u + rng.gauss(0.0, s.noise_bps)) * 1e-4)
        u = s.rho * u + innovation * rng.gauss(0.0, 1.0)
        v = s.rho * v + innovation * rng.gauss(0.0, 1.0)
    est = trust.estimator("SIM")
    return TrustSimResult(seed=seed, useful_weight=trust.weight("useful", "SIM"),
                          useless_weight=trust.weight("useless", "SIM"),
                          useful_coef_bps=est.coef[0], useless_coef_bps=est.coef[1],
                          true_coef_bps=true)
