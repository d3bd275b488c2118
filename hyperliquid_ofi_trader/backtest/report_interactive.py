"""The report's interactive chart: PnL (gross, fees, net) and position over time, drawn in
the browser by uPlot, which the package ships (runtime/dashboard/static, MIT licence): the
library and the data are inlined into the page, so the report stays one file and never
reaches for the network. Long runs are thinned to at most `MAX_POINTS` instants (the last
state of each bucket), which keeps the page light without hiding the end of the run.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Any, Final

import polars as pl

from hyperliquid_ofi_trader.backtest.report import Report

MAX_POINTS: Final = 4_000
_STATIC = resources.files("hyperliquid_ofi_trader.runtime.dashboard") / "static"
_COLORS: Final = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf")


def interactive_chart(report: Report) -> str:
    """A <div> with its script, or a note when the run has no PnL path."""
    pnl = report.pnl
    if pnl.is_empty():
        return "<p class='note'>no PnL path (no fills)</p>"
    series = _series(pnl, report.positions)
    payload = json.dumps(series, allow_nan=False, default=_no_nan).replace("</", "<\\/")
    library = (_STATIC / "uPlot.iife.min.js").read_text(encoding="utf-8")
    css = (_STATIC / "uPlot.min.css").read_text(encoding="utf-8")
    return (f"<style>{css}</style><div id='pnl-chart'></div>"
            f"<script>{library}</script><script>const PNL = {payload};\n{_DRAW}</script>"
            f"<p class='note'>{html.escape(_legend_note(series))}</p>")


def _series(pnl: pl.DataFrame, positions: pl.DataFrame) -> dict[str, Any]:
    thin = _thin(pnl)
    t = (thin["local_ns"] / 1e9).to_list()
    out: dict[str, Any] = {"t": t, "lines": {k: _clean(thin[k].to_list())
                                             for k in ("gross", "fees", "net")}}
    position: dict[str, list[float | None]] = {}
    for coin in sorted(set(positions["coin"].to_list())) if not positions.is_empty() else []:
        path = positions.filter(pl.col("coin") == coin).select("local_ns", "position")
        joined = thin.select("local_ns").join_asof(path.sort("local_ns"), on="local_ns")
        position[f"position {coin}"] = _clean(joined["position"].to_list())
    out["position"] = position
    out["colors"] = list(_COLORS)
    return out


def _thin(pnl: pl.DataFrame) -> pl.DataFrame:
    if pnl.height <= MAX_POINTS:
        return pnl
    step = -(-pnl.height // MAX_POINTS)
    return (pnl.with_row_index("_i").with_columns((pl.col("_i") // step).alias("_b"))
            .group_by("_b", maintain_order=True).last().drop("_i", "_b"))


def _clean(values: list[Any]) -> list[float | None]:
    return [None if v is None or v != v or v in (float("inf"), float("-inf")) else float(v)
            for v in values]


def _no_nan(value: Any) -> None:
    return None


def _legend_note(series: dict[str, Any]) -> str:
    return (f"{len(series['t']):,} instants; gross = realised + unrealised, net = gross − "
            "fees (USD, all coins); position in coin units on the right axis")


_DRAW: Final = """
(function () {
  const colors = PNL.colors;
  const names = [...Object.keys(PNL.lines), ...Object.keys(PNL.position)];
  const data = [PNL.t, ...Object.values(PNL.lines), ...Object.values(PNL.position)];
  const series = [{}, ...names.map((n, i) => ({
    label: n, stroke: colors[i % colors.length], width: 1.5, spanGaps: true,
    scale: n.startsWith("position") ? "pos" : "usd",
    value: (u, v) => v == null ? "-" : v.toFixed(n.startsWith("position") ? 4 : 2),
  }))];
  const el = document.getElementById("pnl-chart");
  new uPlot({
    width: Math.min(1080, el.clientWidth || 1080), height: 320, series,
    scales: { x: { time: true } },
    axes: [{}, { scale: "usd", label: "USD", size: 70 },
           { scale: "pos", side: 1, label: "position", size: 70, grid: { show: false } }],
  }, data, el);
})();
"""
