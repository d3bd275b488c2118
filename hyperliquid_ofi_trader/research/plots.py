"""PNG figures for the research commands (matplotlib, Agg canvas, no pyplot global state).

Figures are built on `matplotlib.figure.Figure` with an explicit Agg canvas, so nothing
depends on (or changes) the process-wide backend, and nothing opens a window.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from hyperliquid_ofi_trader.research.leadlag_xcorr import XcorrResult
from hyperliquid_ofi_trader.research.ofi_impact import CONTEMPORANEOUS, OfiImpactReport, find


def _save(fig: Figure, path: Path) -> Path:
    FigureCanvasAgg(fig)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def ofi_scatter(report: OfiImpactReport, path: Path) -> Path:
    """One panel per interval: Δmid (ticks) against summed L1 OFI, with the fitted line."""
    items = sorted(report.intervals.items())
    fig = Figure(figsize=(4.2 * max(len(items), 1), 4.0))
    for i, (sec, s) in enumerate(items, start=1):
        ax = fig.add_subplot(1, len(items), i)
        ax.scatter(s.ofi, s.dmid_ticks, s=4, alpha=0.4)
        fit = find(report, sec, "ofi", CONTEMPORANEOUS)
        if math.isfinite(fit.slope) and s.ofi.size:
            xs = np.linspace(float(np.nanmin(s.ofi)), float(np.nanmax(s.ofi)), 50)
            ax.plot(xs, fit.intercept + fit.slope * xs, color="C3")
        ax.set_title(f"{report.coin} {sec:g} s: R²={fit.r2:.2f}, n={fit.n}")
        ax.set_xlabel("L1 OFI (coin units)")
        ax.set_ylabel("Δ mid (ticks)")
    fig.tight_layout()
    return _save(fig, path)


def slope_vs_depth(report: OfiImpactReport, path: Path) -> Path:
    """β per depth bucket on log-log axes, with the β ∝ 1/depth reference line."""
    fig = Figure(figsize=(5.0, 4.0))
    ax = fig.add_subplot(1, 1, 1)
    good = [b for b in report.depth_buckets if b.fit.slope > 0.0]
    if good:
        d = np.array([b.mean_depth for b in good])
        beta = np.array([b.fit.slope for b in good])
        ax.loglog(d, beta, "o-", label="fitted β per depth bucket")
        ref = beta[len(beta) // 2] * d[len(d) // 2] / d
        ax.loglog(d, ref, "--", label="β ∝ 1/depth (Cont et al.)")
        ax.legend()
    ax.set_title(f"{report.coin} {report.depth_interval_s:g} s: exponent "
                 f"{report.depth_exponent.slope:.2f}")
    ax.set_xlabel("average L1 depth (coin units)")
    ax.set_ylabel("β (ticks per unit OFI)")
    fig.tight_layout()
    return _save(fig, path)


def xcorr_plot(result: XcorrResult, lead: str, lag: str, path: Path) -> Path:
    """ρ(lag) with the white-noise band and the circular-shift null."""
    fig = Figure(figsize=(6.0, 4.0))
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(result.lags_ms, result.corr, marker=".", lw=1)
    ax.axhspan(-result.band, result.band, color="grey", alpha=0.3, label="±2/√n")
    if math.isfinite(result.shift_null_95):
        ax.axhline(result.shift_null_95, color="C3", ls="--", label="shift null 95%")
    ax.axvline(0.0, color="black", lw=0.5)
    ax.set_xlabel(f"lag (ms; > 0: {lead} moves first)")
    ax.set_ylabel(f"corr({lead} return, later {lag} return)")
    ax.legend()
    fig.tight_layout()
    return _save(fig, path)
