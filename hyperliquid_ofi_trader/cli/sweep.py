"""`hlofi sweep --grid grid.yaml --data PATH|--catalog URI [--workers N] [--ray ADDRESS]
[--out DIR]`.

Validates the whole grid first (a bad key or value stops here, before any run), then runs
one backtest per grid point in parallel and writes one Parquet table, one row per point.
Exit codes: 0 every point ran; 3 the table was written but some points failed (their
rows hold the error); 1 the sweep could not run (bad grid, data or arguments).
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from hyperliquid_ofi_trader.backtest.grid import Grid, GridError, load_grid
from hyperliquid_ofi_trader.backtest.sweep import ERROR, TABLE_NAME, RunOne, SweepError, run_sweep
from hyperliquid_ofi_trader.cli.catalog_options import (
    CatalogOption,
    CoinsOption,
    FromOption,
    SourceChoiceError,
    ToOption,
    resolve_source,
)
from hyperliquid_ofi_trader.config.inert import inert_grid_keys
from hyperliquid_ofi_trader.data.synthetic_meta import synthetic_label

EXIT_SOME_FAILED = 3
_SHOWN_METRICS = ("net_pnl_usd", "sharpe", "max_drawdown_usd", "fills", "hit_rate")
_MAX_ROWS = 50


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep)


def sweep(
    grid_path: Annotated[Path, typer.Option(
        "--grid", help="grid.yaml: optional `base:` config folder and `params:` mapping "
        "dotted config keys (thresholds.router.ofi_high) to lists of values.",
        dir_okay=False)],
    data: Annotated[Path | None, typer.Option("--data", help="Recorded data for the "
                                              "backtests (a file or a folder).")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Local worker processes. Default: the number of CPUs.",
        min=1)] = None,
    ray: Annotated[str | None, typer.Option(
        "--ray", help="Address of an existing Ray cluster ('auto' on a cluster node, "
        "'ray://host:10001' from outside, 'local' for a throwaway one); needs Ray "
        "installed on every node. Workers read the data themselves (give --catalog "
        "s3://...; a --data path works only when every node mounts it) and send their "
        "results back: only this machine writes --out.")] = None,
    max_retries: Annotated[int, typer.Option(
        "--max-retries", help="With --ray: re-run a point whose worker or node died this "
        "many times before recording it as failed.", min=0)] = 3,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Output folder (one sub-folder per point + sweep.parquet). "
        "Default: runs/sweep_<grid name>.", file_okay=False)] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Overwrite a sweep.parquet already in --out.")] = False,
    run_one: Annotated[str | None, typer.Option(
        "--run-one", help="Advanced: MODULE:FUNCTION called as f(overrides, data, run_dir) "
        "-> dict of metrics, instead of the backtest runner.")] = None,
    catalog: CatalogOption = None,
    coins: CoinsOption = None,
    start: FromOption = None,
    end: ToOption = None,
) -> None:
    """Run a parameter sweep: one backtest per grid point, results in one Parquet table
    (exit 0 all ok, 3 some points failed, 1 could not run)."""
    grid = _load(grid_path)
    for line in inert_grid_keys(grid.keys):
        typer.echo(f"warning: {line}", err=True)
    try:
        source = resolve_source(data, catalog, coins, start, end)
    except SourceChoiceError as exc:
        _fail(str(exc))
    if isinstance(source, Path) and not source.exists():
        _fail(f"no such data: {source}")
    out_dir = out if out is not None else Path("runs") / f"sweep_{grid_path.stem}"
    if (out_dir / TABLE_NAME).exists() and not force:
        _fail(f"{out_dir / TABLE_NAME} exists: choose another --out or pass --force")
    fn = _resolve(run_one) if run_one else None
    label = synthetic_label(source)
    on = f" on {label}" if label is not None else ""
    typer.echo(f"sweep: {len(grid)} points{on} -> {out_dir}", err=True)
    started = time.monotonic()
    try:
        table = run_sweep(grid, source, workers, fn, out_dir, ray_address=ray,
                          max_retries=max_retries, progress=ray is not None)
    except SweepError as exc:
        _fail(str(exc))
    elapsed = time.monotonic() - started
    Console(width=None if Console().is_terminal else 140).print(results_table(grid, table))
    failed = int((table["status"] == ERROR).sum())
    typer.echo(f"{table.height - failed} ok, {failed} failed in {elapsed:.1f} s{on}; "
               f"table: {out_dir / TABLE_NAME}")
    if failed:
        raise typer.Exit(code=EXIT_SOME_FAILED)


def _load(path: Path) -> Grid:
    if not path.is_file():
        _fail(f"no such grid file: {path}")
    try:
        return load_grid(path)
    except GridError as exc:
        _fail(f"{path}: {exc}")


def _resolve(spec: str) -> RunOne:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        _fail(f"--run-one must be MODULE:FUNCTION, got {spec!r}")
    try:
        fn: Any = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        _fail(f"--run-one {spec}: {exc}")
    if not callable(fn):
        _fail(f"--run-one {spec} is not a function")
    return fn  # type: ignore[no-any-return]


def results_table(grid: Grid, table: pl.DataFrame) -> Table:
    shown = [c for c in _SHOWN_METRICS if c in table.columns]
    out = Table(title=f"sweep results ({table.height} points)")
    for col in ["point", *grid.keys, "status", *shown]:
        out.add_column(col, justify="left" if col == "status" else "right")
    for row in table.head(_MAX_ROWS).iter_rows(named=True):
        status = row["status"] if row["status"] != ERROR else f"error: {row['error'][:60]}"
        out.add_row(*(_cell(row[c]) for c in ["point", *grid.keys]), status,
                    *(_cell(row[c]) for c in shown))
    if table.height > _MAX_ROWS:
        out.caption = f"first {_MAX_ROWS} of {table.height} rows; all are in the table file"
    return out


def _cell(value: object) -> str:
    if value is None:
        return "–"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)
