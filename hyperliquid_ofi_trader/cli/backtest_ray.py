"""`hlofi backtest --catalog URI [--coins] [--from] [--to] --ray ADDRESS`: the selection
split by UTC day, one backtest per day on a Ray cluster (backtest/ray_backtest.py); the
driver writes every day's files and `days.parquet`, and prints one row per day.
Exit codes: 0 every day ran; 3 some days failed (their rows hold the error); 1 the
backtests could not start."""

from __future__ import annotations

from pathlib import Path
from typing import Final, NoReturn

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from hyperliquid_ofi_trader.backtest.ray_backtest import TABLE_NAME, DayRun, run_days_on_ray
from hyperliquid_ofi_trader.backtest.sweep import ERROR, SweepError
from hyperliquid_ofi_trader.catalog import CatalogError, CatalogLocationError, CatalogQuery
from hyperliquid_ofi_trader.catalog.manifest import ManifestError
from hyperliquid_ofi_trader.config.loader import read_user_dir
from hyperliquid_ofi_trader.data.replay_sources import ReplaySource

EXIT_SOME_FAILED: Final = 3
_SHOWN: Final = ("frames", "fills", "net_pnl_usd", "fees_net_usd", "max_drawdown_usd",
                 "journal_sha256")
_TOTALS: Final = ("frames", "fills", "net_pnl_usd", "fees_net_usd", "turnover_usd")


def backtest_by_day(source: ReplaySource, config_dir: Path | None, run: DayRun,
                    out_dir: Path, address: str, max_retries: int) -> None:
    """Run, print the days table, exit 3 when a day failed."""
    if not isinstance(source, CatalogQuery):
        _fail("--ray splits a catalog selection by day: give --catalog DIR|s3://... "
              "(with --coins/--from/--to) instead of --data")
    overrides = read_user_dir(config_dir) if config_dir is not None else {}
    try:
        table = run_days_on_ray(source, overrides, run, out_dir, address,
                                max_retries=max_retries, progress=True)
    except (SweepError, CatalogError, CatalogLocationError, ManifestError) as exc:
        _fail(str(exc))
    Console(width=None if Console().is_terminal else 140).print(days_table(table))
    failed = int((table["status"] == ERROR).sum())
    typer.echo(f"{table.height - failed} day(s) ok, {failed} failed; "
               f"table: {out_dir / TABLE_NAME}")
    if failed:
        raise typer.Exit(EXIT_SOME_FAILED)


def days_table(table: pl.DataFrame) -> Table:
    shown = [c for c in _SHOWN if c in table.columns]
    out = Table(title=f"backtest by day ({table.height} day(s), each starting flat)")
    for col in ["day", "status", *shown]:
        out.add_column(col, justify="left" if col in ("day", "status") else "right")
    for row in table.iter_rows(named=True):
        status = row["status"] if row["status"] != ERROR else f"error: {row['error'][:80]}"
        out.add_row(str(row["day"]), status, *(_cell(row[c]) for c in shown))
    ok = table.filter(pl.col("status") != ERROR)
    totals = [_cell(ok[c].sum()) if c in _TOTALS and c in ok.columns else "" for c in shown]
    out.add_row("total", f"{ok.height} ok", *totals, style="bold")
    return out


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, str) and len(value) == 64:  # a SHA-256: its head identifies it
        return value[:12]
    return f"{value:,.4g}" if isinstance(value, float) else str(value)


def _fail(message: str) -> NoReturn:
    Console(stderr=True).print(f"[red]{message}[/red]")
    raise typer.Exit(1)
