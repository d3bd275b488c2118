"""The run report as files: one self-contained HTML page, the PNGs, and summary.json.

The HTML embeds every figure as a base64 data URI and carries its CSS and its one
interactive chart (PnL gross / fees / net and position, drawn by the uPlot library shipped
in the package) inline, so the one file can be mailed or archived on its own and needs no
network; the PNGs are also written next to it for slides and diffs. It opens with the market
and scenario the run saw (SYNTHETIC said loudly when it was), from the run's `run.json`,
and ends with the fills and orders, each with the decision that caused it. Every text taken
from the journal (reasons, tags, coin names) is HTML-escaped: a journal is data, not markup.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson
from matplotlib.figure import Figure

from hyperliquid_ofi_trader.backtest.report import (
    Report,
    ReportParams,
    ReportSummary,
    build_report,
)
from hyperliquid_ofi_trader.backtest.report_data import load_frames
from hyperliquid_ofi_trader.backtest.report_interactive import interactive_chart
from hyperliquid_ofi_trader.backtest.report_plots import FIGURES
from hyperliquid_ofi_trader.backtest.report_tables import fills_table, orders_table
from hyperliquid_ofi_trader.runtime.run_context import read_run_context

HTML_NAME: Final = "report.html"
JSON_NAME: Final = "summary.json"
_DPI: Final = 100
_CSS: Final = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td.l, th.l { text-align: left; }
.note { color: #666; font-size: 0.85em; } .warn { color: #a40; font-weight: bold; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
.synthetic { background: #f5c542; color: #000; font-weight: bold; padding: 6px 10px; }
.market { font-size: 1.05em; } nav a { margin-right: 1em; }
"""
# Section titles of the figures (the PNG file names stay for slides and diffs).
FIGURE_TITLES: Final = {
    "pnl_position.png": "PnL and position",
    "alpha_ofi_regimes.png": "Alpha, OFI and regimes",
    "fills_price.png": "Fills on the price",
    "slippage_markouts.png": "Slippage and markouts",
    "fill_rates.png": "Fill rates",
    "trading_state.png": "Trading state",
}


@dataclass(frozen=True, slots=True)
class ReportFiles:
    html: Path
    summary_json: Path
    pngs: tuple[Path, ...]


def render_report(journal: Path, out_dir: Path,
                  params: ReportParams | None = None) -> tuple[ReportSummary, ReportFiles]:
    """Build the report of `journal` (a file or run folder) and write it to `out_dir`."""
    report = build_report(load_frames(journal), params)
    return report.summary, write_report(report, out_dir)


def write_report(report: Report, out_dir: Path) -> ReportFiles:
    out_dir.mkdir(parents=True, exist_ok=True)
    images: list[tuple[str, bytes]] = []
    for name, make in FIGURES:
        data = png_bytes(make(report))
        (out_dir / name).write_bytes(data)
        images.append((name, data))
    summary_json = out_dir / JSON_NAME
    summary_json.write_bytes(orjson.dumps(report.summary.as_dict(),
                                          option=orjson.OPT_INDENT_2))
    page = out_dir / HTML_NAME
    page.write_text(render_html(report.summary, images, report=report,
                                context=read_run_context(Path(report.summary.journal))),
                    encoding="utf-8")
    return ReportFiles(page, summary_json, tuple(out_dir / n for n, _ in images))


def png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI)
    return buf.getvalue()


# ---------------------------------------------------------------- HTML


def render_html(s: ReportSummary, images: list[tuple[str, bytes]], *,
                report: Report | None = None,
                context: dict[str, Any] | None = None) -> str:
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Run report: "
             f"{_e(_title(context, s))}</title><style>{_CSS}</style></head><body>",
             f"<h1>Run report: {_e(_title(context, s))}</h1>", _market(context),
             f"<p class='note'>journal {_e(s.journal)}<br>content "
             f"SHA-256 {_e(s.journal_sha256)}<br>time axis: {_e(s.time_axis)} (our receive "
             f"clock; the replay clock in a backtest)</p>", _nav(report is not None)]
    if s.fills == 0:
        parts.append("<p class='warn'>No fills in this run: PnL, slippage and markouts "
                     "are empty.</p>")
    parts += [_h2("Summary", "summary"), _kv_table(_headline(s))]
    if report is not None:
        parts += [_h2("PnL over time (interactive: drag to zoom, double-click to reset)",
                      "pnl"), interactive_chart(report)]
    parts += [_h2("By order type (gross before fees, fees, net; expected edge and cost of "
                  "the trades taken)"), _order_types(s), _h2("Per coin"), _per_coin(s),
              _h2("Markouts"), _markouts(s), _h2("Fill rate by tactic"), _fill_rates(s),
              _h2("Decisions and orders"), _outcomes(s), _h2("Trading state changes"),
              _timeline(s)]
    parts += [f"<h2>{_e(FIGURE_TITLES.get(name, name))}</h2><img alt='{_e(name)}' "
              f"src='data:image/png;base64,{base64.b64encode(data).decode()}'>"
              for name, data in images]
    if report is not None:
        parts += [_h2("Fills (with the decision that caused each)", "fills"),
                  fills_table(report.frames.fills, report.frames.orders),
                  _h2("Orders (with the decision that placed each)", "orders"),
                  orders_table(report.frames.orders)]
    parts.append("</body></html>")
    return "\n".join(parts)


def _title(context: dict[str, Any] | None, s: ReportSummary) -> str:
    kind = (context or {}).get("kind")
    name = Path(s.journal).parent.name or Path(s.journal).name
    return f"{kind} {name}" if kind else name


def _market(context: dict[str, Any] | None) -> str:
    if context is None:
        return ("<p class='note'>market: not recorded with this run (no run.json beside "
                "the journal)</p>")
    banner = ("<p class='synthetic'>SYNTHETIC market: generated by a model, not market "
              "data. Nothing measured here says anything about a real market.</p>"
              if context.get("synthetic") else "")
    venue = f" (venue {_e(context['venue'])})" if context.get("venue") else ""
    return f"{banner}<p class='market'>market: {_e(context.get('market', '?'))}{venue}</p>"


def _nav(full: bool) -> str:
    links = [("summary", "Summary")] + ([("pnl", "PnL chart"), ("fills", "Fills"),
                                         ("orders", "Orders")] if full else [])
    return "<nav>" + "".join(f"<a href='#{a}'>{_e(t)}</a>" for a, t in links) + "</nav>"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _h2(text: str, anchor: str | None = None) -> str:
    ident = f" id='{_e(anchor)}'" if anchor else ""
    return f"<h2{ident}>{_e(text)}</h2>"


def fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.2f}"
    return str(value)


def _headline(s: ReportSummary) -> list[tuple[str, object]]:
    sl = s.slippage_bps
    return [
        ("duration (s)", s.duration_s), ("coins", ", ".join(s.coins) or "–"),
        ("net PnL (USD)", s.net_pnl_usd), ("gross PnL (USD)", s.gross_pnl_usd),
        ("realised PnL (USD)", s.realised_pnl_usd),
        ("unrealised PnL (USD)", s.unrealised_pnl_usd),
        ("fees net (USD, rebates negative)", s.fees_net_usd),
        ("fees paid / rebates (USD)", f"{fmt(s.fees_paid_usd)} / {fmt(s.rebates_usd)}"),
        ("turnover (USD)", s.turnover_usd), ("max drawdown (USD)", s.max_drawdown_usd),
        (f"Sharpe-like (per {s.sharpe_interval_s:g} s interval, n={s.sharpe_intervals})",
         s.sharpe),
        (f"hit rate (markout > 0 at {s.hit_rate_horizon_s:g} s, n={s.hit_rate_n})",
         s.hit_rate),
        ("fills (maker / taker)", f"{s.fills} ({s.maker_fills} / {s.taker_fills})"),
        ("slippage bps (mean / p50 / p95, + = cost)",
         f"{fmt(sl.mean)} / {fmt(sl.p50)} / {fmt(sl.p95)} (n={sl.n})"),
        ("decisions", s.decisions), ("orders", s.orders), ("halts", s.halts),
        ("decisions with unreadable inputs", s.bad_inputs)]


def _kv_table(rows: list[tuple[str, object]]) -> str:
    body = "".join(f"<tr><th class='l'>{_e(k)}</th><td>{_e(fmt(v))}</td></tr>"
                   for k, v in rows)
    return f"<table>{body}</table>"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return "<p class='note'>none</p>"
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(fmt(v))}</td>" for v in r) + "</tr>"
                   for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _per_coin(s: ReportSummary) -> str:
    return _table(["coin", "fills", "volume", "turnover USD", "fees USD", "realised USD",
                   "unrealised USD", "final position", "last mark"],
                  [[c.coin, c.fills, c.volume, c.turnover_usd, c.fees_usd, c.realised_pnl_usd,
                    c.unrealised_pnl_usd, c.final_position, c.last_mark] for c in s.per_coin])


def _order_types(s: ReportSummary) -> str:
    return _table(["order type", "fills", "maker / taker", "turnover USD", "gross USD",
                   "fees USD", "net USD", "slippage bps", "expected edge bps",
                   "expected cost bps", "margin bps"],
                  [[o.tif, o.fills, f"{o.maker_fills} / {o.taker_fills}", o.turnover_usd,
                    o.gross_pnl_usd, o.fees_usd, o.net_pnl_usd, o.slippage_bps_mean,
                    o.expected_edge_bps_mean, o.expected_cost_bps_mean, o.margin_bps_mean]
                   for o in s.by_order_type])


def _markouts(s: ReportSummary) -> str:
    return _table(["horizon s", "fills", "mean bps", "median bps", "share > 0"],
                  [[m.horizon_s, m.n, m.mean_bps, m.p50_bps, m.positive_fraction]
                   for m in s.markouts])


def _fill_rates(s: ReportSummary) -> str:
    return _table(["by", "key", "placed", "any fill", "fully filled", "rate"],
                  [[r.by, r.key, r.placed, r.filled, r.fully_filled, r.rate]
                   for r in s.fill_rates])


def _outcomes(s: ReportSummary) -> str:
    rows = ([["decision", k, n] for k, n in s.decisions_by_outcome.items()]
            + [["order", k, n] for k, n in s.orders_by_state.items()]
            + [["stage error", k, n] for k, n in s.errors_by_stage.items()])
    return _table(["kind", "outcome / state / stage", "count"], rows)


def _timeline(s: ReportSummary) -> str:
    start = s.start_ns or 0
    return _table(["t (s)", "from", "to", "trigger", "reason"],
                  [[(c.local_ns - start) / 1e9, c.from_state, c.to_state, c.trigger, c.reason]
                   for c in s.state_changes])
