"""Fit the forecast model on forward returns: `hlofi research fit`.

Samples. The recording is replayed through the production codec, per-coin market data and
the strategy's own signal stage (`signals.stage.SignalSuite`, built from the same config), so
the fitted features are exactly what the strategy sees live. At every event that would make a
decision for `coin` (its own book and trades, and the lead coin's), spaced at least
`sample_ms` apart, the fresh signals are kept as one sample at exchange time t.

Target. The mid move from t + latency to t + latency + horizon, in bps of the mid at
t + latency: the part of the future an order sent at t can still earn.

Fit. Ridge least squares WITHOUT intercept on time-ordered data: the first
`train_fraction` trains, the rest tests, with an embargo of latency + horizon in between so
no training target overlaps a test one. Samples overlap when sample_ms < horizon: the
standard errors are inflated by horizon / sample_ms and the effective sample size divided by
it. Reported out of sample: R2 (against the test mean), IC (Spearman rank correlation of
forecast and realised move) and calibration (mean forecast vs mean realised move per
forecast decile).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hyperliquid_ofi_trader.alpha.forecast_model import FitSummary, ForecastModel
from hyperliquid_ofi_trader.config.models import AppConfig
from hyperliquid_ofi_trader.core.engine import EngineSettings
from hyperliquid_ofi_trader.core.events import Bbo, BookSnapshot, Trades
from hyperliquid_ofi_trader.data.replay_sources import ReadStats, iter_frames
from hyperliquid_ofi_trader.research.series import ResearchError, asof
from hyperliquid_ofi_trader.runtime.assembly import (
    build_markets,
    build_signals,
    load_microprice_model,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

FloatArray = npt.NDArray[np.float64]
DEFAULT_FEATURES: tuple[str, ...] = (
    "lead_ret_bps", "lead_trend_1000ms_bps", "lag_trend_1000ms_bps",
    "lead_trend_3000ms_bps", "lag_trend_3000ms_bps", "ofi", "aggressive_volume",
    "microprice")
_MS = 1_000_000
_RIDGE = 1e-3  # on standardised columns: only keeps a near-constant column from exploding


@dataclass(frozen=True, slots=True)
class Samples:
    """Feature rows at decision times, and the coin's mid path to score them on."""

    coin: str
    ns: npt.NDArray[np.int64]
    x: FloatArray  # rows x features (a missing signal is 0: it contributes nothing)
    mid_ns: npt.NDArray[np.int64]
    mid: FloatArray
    features: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DecileRow:
    predicted_bps: float
    realised_bps: float
    count: int


@dataclass(frozen=True, slots=True)
class FitReport:
    model: ForecastModel
    calibration: tuple[DecileRow, ...]
    dropped_features: tuple[str, ...]  # never seen with a non-zero value

    def as_dict(self) -> dict[str, object]:
        m = self.model
        return {"coin": m.coin, "horizon_ms": m.horizon_ms, "latency_ms": m.latency_ms,
                "synthetic": m.fit.synthetic, "source": m.fit.source,
                "n_train": m.fit.n_train, "n_test": m.fit.n_test,
                "n_eff_train": m.fit.n_eff_train, "r2_train": m.fit.r2_train,
                "r2_oos": m.fit.r2_oos, "ic_oos": m.fit.ic_oos,
                "coefficients": {f: {"coef_bps": c, "std_bps": s} for f, c, s in
                                 zip(m.features, m.coef_bps, m.coef_std_bps, strict=True)},
                "dropped_features": list(self.dropped_features),
                "residual_std_bps": m.residual_std_bps,
                "calibration": [{"predicted_bps": r.predicted_bps,
                                 "realised_bps": r.realised_bps, "count": r.count}
                                for r in self.calibration]}


# ---------------------------------------------------------------- sampling


def collect_samples(path: Path, cfg: AppConfig, coin: str,
                    features: Sequence[str] = DEFAULT_FEATURES,
                    sample_ms: int = 100) -> Samples:
    """Replay `path` through the strategy's signal stage and sample `coin`'s features."""
    if coin not in cfg.symbols.traded:
        raise ResearchError(f"{coin} is not traded in this config (traded: "
                            f"{', '.join(cfg.symbols.traded)}): pass a --config that trades it")
    settings = EngineSettings.from_config(cfg)
    targets = settings.decision_targets()
    markets = build_markets(settings)
    books = {c: m.book for c, m in markets.items()}
    suite = build_signals(cfg, books, load_microprice_model(cfg))
    codec = HyperliquidCodec()
    rows: list[list[float]] = []
    times: list[int] = []
    mid_ns: list[int] = []
    mids: list[float] = []
    names = tuple(features)
    next_ns = -1
    for local_ns, raw in iter_frames(path, ReadStats()):
        for ev in codec.decode(raw, local_ns):
            if not isinstance(ev, BookSnapshot | Bbo | Trades) or ev.coin not in markets:
                continue
            market = markets[ev.coin]
            if isinstance(ev, BookSnapshot):
                market.on_book(ev)
            elif isinstance(ev, Bbo):
                market.on_bbo(ev)
            else:
                market.on_trades(ev)
            if coin not in targets.get(ev.coin, ()):
                continue
            signals = suite.update(coin, ev, ev.exchange_ns)
            mid = market.book.mid() if ev.coin == coin else None
            if mid is not None and math.isfinite(mid):
                mid_ns.append(ev.exchange_ns)
                mids.append(mid)
            if ev.exchange_ns >= next_ns:
                next_ns = ev.exchange_ns + sample_ms * _MS
                times.append(ev.exchange_ns)
                rows.append([signals.get(f, 0.0) for f in names])
    if len(mids) < 2 or not rows:
        raise ResearchError(f"{path}: no usable book data for {coin}")
    order = np.argsort(np.asarray(mid_ns, dtype=np.int64), kind="stable")
    return Samples(coin=coin, ns=np.asarray(times, dtype=np.int64),
                   x=np.asarray(rows, dtype=np.float64),
                   mid_ns=np.asarray(mid_ns, dtype=np.int64)[order],
                   mid=np.asarray(mids, dtype=np.float64)[order], features=names)


def forward_moves(s: Samples, latency_ms: int, horizon_ms: int) -> FloatArray:
    """Mid move (bps) from t + latency to t + latency + horizon; NaN past the data."""
    entry_t = s.ns + latency_ms * _MS
    exit_t = entry_t + horizon_ms * _MS
    entry = asof(s.mid_ns, s.mid, entry_t)
    exit_ = asof(s.mid_ns, s.mid, exit_t)
    moves = (exit_ - entry) / entry * 1e4
    moves[exit_t > s.mid_ns[-1]] = np.nan
    return np.asarray(moves, dtype=np.float64)


# ---------------------------------------------------------------- fitting


def fit(s: Samples | Sequence[Samples], *, latency_ms: int, horizon_ms: int,
        sample_ms: int, train_fraction: float = 0.7, source: str = "",
        synthetic: bool = False) -> FitReport:
    """Fit on one recording's samples, or pool several (each split in time on its own:
    its head trains, its tail tests)."""
    if not 0.1 <= train_fraction <= 0.95:
        raise ResearchError(f"train fraction must be in [0.1, 0.95], got {train_fraction}")
    parts = [s] if isinstance(s, Samples) else list(s)
    if not parts or len({p.features for p in parts}) != 1 or len({p.coin for p in parts}) != 1:
        raise ResearchError("pooled samples must share one coin and one feature list")
    splits = [_split(p, latency_ms, horizon_ms, train_fraction) for p in parts]
    xtr = np.concatenate([sp[0] for sp in splits])
    ytr = np.concatenate([sp[1] for sp in splits])
    xte = np.concatenate([sp[2] for sp in splits])
    yte = np.concatenate([sp[3] for sp in splits])
    s = parts[0]
    used = np.std(xtr, axis=0) > 0
    coef = np.zeros(len(s.features))
    cov_diag = np.zeros(len(s.features))
    overlap = max(1.0, horizon_ms / sample_ms)
    if used.any():
        coef[used], cov_diag[used] = _ridge(xtr[:, used], ytr, overlap)
    resid = ytr - xtr @ coef
    pred = xte @ coef
    model = ForecastModel(
        coin=s.coin, horizon_ms=horizon_ms, latency_ms=latency_ms, features=s.features,
        coef_bps=tuple(float(c) for c in coef),
        coef_std_bps=tuple(float(math.sqrt(v)) for v in cov_diag),
        feature_std=tuple(float(v) if v > 0 else 1.0 for v in np.std(xtr, axis=0)),
        residual_std_bps=max(float(np.std(resid)), 1e-6), sample_ms=sample_ms,
        fit=FitSummary(source=source, synthetic=synthetic, n_train=int(ytr.size),
                       n_test=int(yte.size), n_eff_train=float(ytr.size / overlap),
                       r2_train=_r2(ytr, xtr @ coef), r2_oos=_r2(yte, pred),
                       ic_oos=_spearman(pred, yte)))
    dropped = tuple(f for f, u in zip(s.features, used, strict=True) if not u)
    return FitReport(model=model, calibration=_deciles(pred, yte), dropped_features=dropped)


def _split(s: Samples, latency_ms: int, horizon_ms: int,
           train_fraction: float) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(x train, y train, x test, y test): time-ordered, with an embargo of latency +
    horizon so no training target overlaps a test one."""
    y = forward_moves(s, latency_ms, horizon_ms)
    ok = np.isfinite(y) & np.all(np.isfinite(s.x), axis=1)
    x, y, ns = s.x[ok], y[ok], s.ns[ok]
    cut = int(len(y) * train_fraction)
    if cut < 30 or len(y) - cut < 30:
        raise ResearchError(f"only {len(y)} scored samples: too few to fit and test "
                            "(record longer, or lower --sample-ms)")
    embargo_end = ns[cut - 1] + (latency_ms + horizon_ms) * _MS
    test = np.nonzero(ns > embargo_end)[0]
    if test.size < 30:
        raise ResearchError("too few test samples after the embargo: record longer")
    return x[:cut], y[:cut], x[test], y[test]


def _ridge(x: FloatArray, y: FloatArray, overlap: float) -> tuple[FloatArray, FloatArray]:
    """Coefficients and their variances (inflated for overlapping targets), raw units."""
    scale = np.std(x, axis=0)
    z = x / scale
    n, k = z.shape
    gram = z.T @ z + _RIDGE * n * np.eye(k)
    beta = np.linalg.solve(gram, z.T @ y)
    resid = y - z @ beta
    sigma2 = float(resid @ resid) / max(n - k, 1)
    cov = sigma2 * np.linalg.inv(gram) * overlap
    return beta / scale, np.diag(cov) / scale**2


def _r2(y: FloatArray, pred: FloatArray) -> float:
    sst = float(np.sum((y - y.mean()) ** 2))
    return math.nan if sst <= 0 else 1.0 - float(np.sum((y - pred) ** 2)) / sst


def _spearman(a: FloatArray, b: FloatArray) -> float:
    if np.std(a) == 0 or np.std(b) == 0:
        return math.nan
    ra = np.argsort(np.argsort(a)).astype(np.float64)
    rb = np.argsort(np.argsort(b)).astype(np.float64)
    return float(np.corrcoef(ra, rb)[0, 1])


def _deciles(pred: FloatArray, realised: FloatArray) -> tuple[DecileRow, ...]:
    order = np.argsort(pred, kind="stable")
    return tuple(DecileRow(predicted_bps=float(pred[idx].mean()),
                           realised_bps=float(realised[idx].mean()), count=int(idx.size))
                 for idx in np.array_split(order, 10) if idx.size)
