"""`hlofi report RUN_DIR|JOURNAL [--out DIR] [--json]`: rebuild a run's report.

Works on any journal (live, paper, emulator, backtest), so live and backtest runs are
compared in the same form: an HTML page with embedded figures, the PNGs and
summary.json in the output folder, and a short table (or the full summary as JSON).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import orjson
import typer
from rich.console import Console
from rich.table import Table

from hyperliquid_ofi_trader.backtest.report import ReportParams, ReportSummary
from hyperliquid_ofi_trader.backtest.report_data import ReportDataError, resolve_journal
from hyperliquid_ofi_trader.backtest.report_html import fmt, render_report


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    source: Annotated[Path, typer.Argument(
        help="A run folder (holding journal.sqlite) or a journal database file.")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="Output folder. Default: 'report' next to the journal.",
        file_okay=False)] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the full summary as JSON instead of a table.")] = False,
    interval_s: Annotated[float, typer.Option(
        "--interval-s", help="Interval of the Sharpe-like ratio (PnL change per interval "
        "/ its standard deviation).", min=1e-6)] = 60.0,
    horizons: Annotated[str, typer.Option(
        "--horizons", help="Markout horizons in seconds, comma-separated.")] = "1,5,30,60",
    hit_horizon_s: Annotated[float, typer.Option(
        "--hit-horizon-s", help="A fill is a hit when its markout at this horizon is "
        "positive.", min=1e-6)] = 5.0,
) -> None:
    """Build the run report (PnL, fills, slippage, markouts, fill rates, state timeline)
    from a journal: HTML + PNGs + summary.json in --out."""
    params = ReportParams(interval_s=interval_s, markout_horizons_s=_horizons(horizons),
                          hit_horizon_s=hit_horizon_s)
    try:
        journal = resolve_journal(source)
        out_dir = out if out is not None else journal.parent / "report"
        summary, files = render_report(journal, out_dir, params)
    except ReportDataError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write the report: {exc}")
    if as_json:
        typer.echo(orjson.dumps(summary.as_dict(), option=orjson.OPT_INDENT_2).decode())
        return
    console = Console(width=None if Console().is_terminal else 100)
    console.print(summary_table(summary))
    console.print(f"report: {files.html}")


def _horizons(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        values = ()
    if not values or not all(v > 0 for v in values):
        raise typer.BadParameter(f"expected positive seconds separated by commas, got "
                                 f"{text!r}", param_hint="--horizons")
    return values


def summary_table(s: ReportSummary) -> Table:
    table = Table(title=f"run report: {Path(s.journal).name}", show_header=False)
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    rows: list[tuple[str, object]] = [
        ("duration (s)", s.duration_s), ("decisions / orders / fills",
                                          f"{s.decisions} / {s.orders} / {s.fills}"),
        ("net PnL (USD)", s.net_pnl_usd), ("gross PnL (USD)", s.gross_pnl_usd),
        ("fees net (USD)", s.fees_net_usd), ("turnover (USD)", s.turnover_usd),
        ("max drawdown (USD)", s.max_drawdown_usd),
        (f"Sharpe-like per {s.sharpe_interval_s:g} s", s.sharpe),
        (f"hit rate at {s.hit_rate_horizon_s:g} s", s.hit_rate),
        ("slippage mean bps (+ = cost)", s.slippage_bps.mean), ("halts", s.halts),
        ("content sha256", s.journal_sha256[:16] + "…")]
    for o in s.by_order_type:
        rows.append((f"{o.tif}: fills / gross / fees / net (USD)",
                     f"{o.fills} / {fmt(o.gross_pnl_usd)} / {fmt(o.fees_usd)} / "
                     f"{fmt(o.net_pnl_usd)}"))
        if o.expected_edge_bps_mean is not None:
            rows.append((f"{o.tif}: expected edge / cost / margin (bps)",
                         f"{fmt(o.expected_edge_bps_mean)} / {fmt(o.expected_cost_bps_mean)}"
                         f" / {fmt(o.margin_bps_mean)}"))
    for key, value in rows:
        table.add_row(key, fmt(value))
    return table


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)
