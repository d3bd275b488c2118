"""A fitted forecast model file: the expected mid move in bps as a linear function of signals.

    forecast_bps = sum_i coef_bps[i] * signal[features[i]]

measured over `horizon_ms`, starting `latency_ms` after the decision (when an order can
actually reach the venue): `hlofi research fit` writes it, the strategy loads it as the prior
of its online estimator (alpha/forecast.py). There is deliberately no intercept: every
feature is odd under a mirrored market (buy <-> sell, up <-> down), so the forecast is too,
and a constant drift fitted on a trending hour is not an edge.

The YAML holds the fit's own evidence (`fit`: out-of-sample R2, IC, sample sizes, the data it
came from and whether that data was synthetic) so a model file always says what it is worth.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Final

import msgspec
import yaml

from hyperliquid_ofi_trader.errors import OurBugError

PACKAGED_DIR: Final = Path(__file__).resolve().parent / "models"


class ForecastModelError(OurBugError):
    """A model file that cannot be read or does not describe a usable model."""


class FitSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What the fit measured (reported, never used to trade)."""

    source: str = ""
    synthetic: bool = False
    n_train: int = 0
    n_test: int = 0
    n_eff_train: float = 0.0
    r2_train: float = math.nan
    r2_oos: float = math.nan
    ic_oos: float = math.nan


class ForecastModel(msgspec.Struct, frozen=True, kw_only=True):
    """One coin's fitted linear forecast (see the module doc)."""

    coin: str
    horizon_ms: int
    latency_ms: int
    features: tuple[str, ...]
    coef_bps: tuple[float, ...]
    coef_std_bps: tuple[float, ...]
    feature_std: tuple[float, ...]  # spread of each feature in the fit (scales the prior)
    residual_std_bps: float
    sample_ms: int
    fit: FitSummary = msgspec.field(default_factory=FitSummary)

    def __post_init__(self) -> None:
        k = len(self.features)
        if k == 0 or len(set(self.features)) != k:
            raise ForecastModelError("a forecast model needs distinct, non-empty feature names")
        for name in ("coef_bps", "coef_std_bps", "feature_std"):
            values = getattr(self, name)
            if len(values) != k or not all(math.isfinite(v) for v in values):
                raise ForecastModelError(f"{name} must hold {k} finite numbers, got {values}")
        if self.horizon_ms <= 0 or self.latency_ms < 0 or self.sample_ms <= 0:
            raise ForecastModelError("horizon_ms and sample_ms must be > 0, latency_ms >= 0")
        if not (math.isfinite(self.residual_std_bps) and self.residual_std_bps > 0):
            raise ForecastModelError(f"residual_std_bps must be > 0, got "
                                     f"{self.residual_std_bps}")

    @classmethod
    def zero(cls, coin: str, features: tuple[str, ...], horizon_ms: int, latency_ms: int,
             residual_std_bps: float = 5.0) -> ForecastModel:
        """No knowledge: every coefficient 0 (the online estimator must find any edge)."""
        k = len(features)
        return cls(coin=coin, horizon_ms=horizon_ms, latency_ms=latency_ms, features=features,
                   coef_bps=(0.0,) * k, coef_std_bps=(0.0,) * k, feature_std=(1.0,) * k,
                   residual_std_bps=residual_std_bps, sample_ms=100)

    def predict(self, signals: dict[str, float]) -> float:
        return sum(c * signals.get(f, 0.0) for f, c in zip(self.features, self.coef_bps,
                                                            strict=True))

    def save(self, path: Path) -> None:
        text = yaml.safe_dump(msgspec.to_builtins(self), sort_keys=False)
        head = ("# Forecast model written by `hlofi research fit` (expected mid move in bps "
                "over horizon_ms,\n# from latency_ms after the decision). "
                + ("Fitted on SYNTHETIC data.\n" if self.fit.synthetic else "\n"))
        path.write_text(head + text, encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ForecastModel:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ForecastModelError(f"cannot read forecast model {path}: {exc}") from None
        try:
            return msgspec.convert(raw, cls)
        except msgspec.ValidationError as exc:
            raise ForecastModelError(f"forecast model {path} is invalid: {exc}") from None


def packaged_model(coin: str) -> ForecastModel | None:
    """The model shipped with the package for `coin` (fitted on synthetic recordings), if any."""
    path = PACKAGED_DIR / f"{coin}.yaml"
    return ForecastModel.load(path) if path.is_file() else None
