"""Fit Stoikov's (2018) micro-price G* table on a recording (`signals.microprice`).

The (imbalance, spread, mid) series is taken at every book row of the replay, i.e. on book
changes, which the fitter accepts (the paper samples on a clock or on changes). Everything
about the estimator (symmetrisation, half-tick grid, dropping moves over `max_move_ticks`)
lives in `fit_microprice`; this module only extracts the inputs and lays out the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from hyperliquid_ofi_trader.research.series import BookSeries
from hyperliquid_ofi_trader.signals.microprice import MicropriceModel, fit_microprice


@dataclass(frozen=True, slots=True)
class MicropriceFit:
    coin: str
    rows: int
    spread_share: dict[int, float]  # fraction of rows at each spread (ticks), for context
    model: MicropriceModel

    def table(self) -> list[dict[str, Any]]:
        """One entry per (spread, imbalance bucket): bucket range, adjustment, count."""
        m = self.model
        width = 1.0 / m.n_imbalance
        out = []
        for s, (row, counts) in enumerate(zip(m.adjustment_ticks, m.state_counts,
                                              strict=True), start=1):
            for b, (g, c) in enumerate(zip(row, counts, strict=True)):
                out.append({"spread_ticks": s, "imbalance_lo": round(b * width, 6),
                            "imbalance_hi": round((b + 1) * width, 6),
                            "adjustment_ticks": g, "count": c})
        return out

    def as_dict(self) -> dict[str, Any]:
        m = self.model
        return {"coin": self.coin, "rows": self.rows, "tick": m.tick,
                "n_imbalance": m.n_imbalance, "n_spread": m.n_spread,
                "n_transitions": m.n_transitions, "iterations": m.iterations,
                "converged": m.converged,
                "spread_share": {str(k): v for k, v in self.spread_share.items()},
                "table": self.table()}


def spread_share(book: BookSeries, tick: float, top: int = 5) -> dict[int, float]:
    """Share of rows at spreads of 1..top ticks (what the fitted rows can cover)."""
    ticks = np.rint(book.spread / tick).astype(np.int64)
    return {s: float((ticks == s).mean()) for s in range(1, top + 1)}


def fit(book: BookSeries, tick: float, *, n_imbalance: int = 10, n_spread: int = 2,
        max_move_ticks: float = 1.0) -> MicropriceFit:
    """Fit the model on one book series; ValueError (from the fitter) when nothing is usable."""
    if not (math.isfinite(tick) and tick > 0.0):
        raise ValueError(f"tick must be positive, got {tick}")
    model = fit_microprice(book.imbalance, book.spread, book.mid, tick,
                           n_imbalance=n_imbalance, n_spread=n_spread,
                           max_move_ticks=max_move_ticks)
    return MicropriceFit(book.coin, len(book), spread_share(book, tick), model)



def agrees_with_weighted_mid(model: MicropriceModel) -> list[bool | None]:
    """Per spread: is G* positive on average (count-weighted) over the bid-heavy half of the
    buckets, as the weighted mid is? False flags data where a heavier bid predicted a lower
    mid (worth a look before using the model); None when no bid-heavy bucket was seen.
    Bucket-to-bucket wiggles with few counts are not judged: they are noise."""
    out: list[bool | None] = []
    half = model.n_imbalance // 2
    for row, counts in zip(model.adjustment_ticks, model.state_counts, strict=True):
        pairs = [(g, c) for g, c in zip(row[half:], counts[half:], strict=True)
                 if g is not None and c > 0]
        weight = sum(c for _, c in pairs)
        out.append(sum(g * c for g, c in pairs) / weight > 0.0 if weight else None)
    return out
