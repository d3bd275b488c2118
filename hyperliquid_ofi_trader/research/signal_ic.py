"""Information coefficient of each signal against future mid moves, per horizon.

The signals are computed by the production classes, replayed on exchange time; each book row
is one sample:
- `ofi`: Level-1 OFI summed over the last `ofi_window` (`RollingSum` of `OFICalculator`
  events);
- `ofi_norm`: that sum divided by the average L1 depth over the same window
  (`OFINormalizer` with volatility 1: the implied move in ticks up to a constant);
- `aggressive_volume`: taker buy/sell imbalance over `aggr_window` (`AggressiveVolume`), only
  when the recording has trades;
- `microprice`: micro-price minus mid in ticks (`MicropriceSignal`: the fitted G* table when a
  model is given, the imbalance-weighted mid otherwise).
The target is the mid change in ticks from the row to `horizon` later (the last mid at or
before t + h; rows whose horizon runs past the data are dropped).

IC = Spearman rank correlation. Samples overlap (a row every few ms, horizons up to seconds),
so the count of pairs overstates the evidence: `n_independent` = min(pairs, span / horizon)
and the band ±2/√n_independent is what an IC must clear to mean anything.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from hyperliquid_ofi_trader.research.series import FloatArray, MarketSeries, asof
from hyperliquid_ofi_trader.research.stats import spearman, white_noise_band
from hyperliquid_ofi_trader.signals.aggressive_volume import AggressiveVolume
from hyperliquid_ofi_trader.signals.microprice import MicropriceModel, MicropriceSignal
from hyperliquid_ofi_trader.signals.ofi import OFINormalizer, RollingSum


@dataclass(frozen=True, slots=True)
class IcRow:
    signal: str
    horizon_ms: float
    ic: float
    n: int
    n_independent: int
    band: float

    @property
    def significant(self) -> bool:
        return math.isfinite(self.ic) and abs(self.ic) > self.band

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "significant": self.significant}


@dataclass(frozen=True, slots=True)
class IcReport:
    coin: str
    source: str
    tick: float
    rows: int
    trades: int
    span_s: float
    ofi_window_ms: float
    aggr_window_ms: float
    microprice_model: bool
    ic: list[IcRow]

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("coin", "source", "tick", "rows", "trades",
                                             "span_s", "ofi_window_ms", "aggr_window_ms",
                                             "microprice_model")}
        return {**out, "ic": [r.as_dict() for r in self.ic]}


class _Replay:
    """The production signal objects, fed book rows and trades in exchange-time order."""

    def __init__(self, tick: float, ofi_window_ns: int, aggr_window_ns: int,
                 model: MicropriceModel | None) -> None:
        self.ofi = RollingSum(ofi_window_ns)
        self.depth_sum = RollingSum(ofi_window_ns)
        self.depth_n = RollingSum(ofi_window_ns)
        self.norm = OFINormalizer()
        self.aggr = AggressiveVolume(aggr_window_ns)
        self.micro = MicropriceSignal(model, tick)

    def row(self, ns: int, ofi: float, depth: float, top: tuple[float, float, float, float],
            ) -> tuple[float, float, float, float]:
        self.ofi.add(ofi, ns)
        self.depth_sum.add(depth, ns)
        self.depth_n.add(1.0, ns)
        total = self.ofi.total()
        avg_depth = self.depth_sum.total() / max(self.depth_n.total(), 1.0)
        return (total, self.norm.scale(total, avg_depth), self.aggr.advance(ns),
                self.micro.update(*top))


def signal_values(market: MarketSeries, tick: float, *, ofi_window_ns: int,
                  aggr_window_ns: int, model: MicropriceModel | None = None,
                  ) -> dict[str, FloatArray]:
    """Each signal's value at each book row (trades at or before the row are applied first)."""
    b, tr = market.book, market.trades
    rp = _Replay(tick, ofi_window_ns, aggr_window_ns, model)
    out = np.empty((len(b), 4), dtype=np.float64)
    depth = b.l1_depth
    j, n_tr = 0, len(tr)
    for i in range(len(b)):
        ns = int(b.ns[i])
        while j < n_tr and tr.ns[j] <= ns:
            rp.aggr.on_trade(float(tr.size[j]), bool(tr.is_buy[j]), int(tr.ns[j]))
            j += 1
        top = (float(b.bid_px[i]), float(b.bid_sz[i]), float(b.ask_px[i]), float(b.ask_sz[i]))
        out[i] = rp.row(ns, float(b.ofi[i]), float(depth[i]), top)
    values = {"ofi": out[:, 0], "ofi_norm": out[:, 1], "microprice": out[:, 3]}
    if n_tr:
        values["aggressive_volume"] = out[:, 2]
    return values


def future_move_ticks(market: MarketSeries, horizon_ns: int, tick: float) -> FloatArray:
    """Mid change in ticks from each row to `horizon_ns` later; NaN past the end of data."""
    b = market.book
    mid = b.mid
    target = b.ns + horizon_ns
    fut = asof(b.ns, mid, target)
    return np.asarray(np.where(target <= b.ns[-1], (fut - mid) / tick, np.nan),
                      dtype=np.float64)


def analyse(market: MarketSeries, tick: float, horizons_ns: list[int], *,
            ofi_window_ns: int = 1_000_000_000, aggr_window_ns: int = 5_000_000_000,
            model: MicropriceModel | None = None) -> IcReport:
    b = market.book
    span_ns = int(b.ns[-1] - b.ns[0])
    values = signal_values(market, tick, ofi_window_ns=ofi_window_ns,
                           aggr_window_ns=aggr_window_ns, model=model)
    rows: list[IcRow] = []
    for h in horizons_ns:
        fut = future_move_ticks(market, h, tick)
        for name, x in values.items():
            ic, n = spearman(x, fut)
            n_ind = min(n, span_ns // h) if h > 0 else n
            rows.append(IcRow(name, h / 1e6, ic, n, int(n_ind), white_noise_band(int(n_ind))))
    return IcReport(
        coin=market.coin, source=market.source, tick=tick, rows=len(b), trades=len(market.trades),
        span_s=span_ns / 1e9, ofi_window_ms=ofi_window_ns / 1e6,
        aggr_window_ms=aggr_window_ns / 1e6, microprice_model=model is not None, ic=rows,
    )
