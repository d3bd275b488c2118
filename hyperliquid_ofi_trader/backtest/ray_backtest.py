"""Date-range backtests on a Ray cluster: a catalog selection split by UTC day, one Ray
task per day, results collected on the driver.

Each day is an independent backtest of that day's hours (it starts flat, as a fresh
process would): days run in parallel, and a day's figures do not depend on which worker
ran it or on the other days. The tasks receive the day's `CatalogQuery` (the worker reads
the catalog URI itself, e.g. s3://) and return the metrics and the run's files as values
(ray_sweep.py); the driver writes `<out>/date=YYYY-MM-DD/` per day (journal, report,
summary.json: the full summary `hlofi backtest --json` prints) and `days.parquet`,
one row per day: `day`, `status`, `error`, `run_dir`, then the metrics.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final

import orjson
import polars as pl

from hyperliquid_ofi_trader.backtest.grid import Overrides
from hyperliquid_ofi_trader.backtest.ray_sweep import DEFAULT_MAX_RETRIES, run_jobs_on_ray
from hyperliquid_ofi_trader.backtest.runner import BacktestSettings
from hyperliquid_ofi_trader.backtest.sweep import (
    ERROR,
    PointResult,
    SweepError,
    column,
    flat_metrics,
    metric_names,
    write_table,
)
from hyperliquid_ofi_trader.catalog import CatalogQuery, open_location
from hyperliquid_ofi_trader.catalog.listing import list_catalog
from hyperliquid_ofi_trader.sim.latency import LatencyConfig

TABLE_NAME: Final = "days.parquet"
SUMMARY_NAME: Final = "summary.json"
LAST_HOUR: Final = timedelta(hours=23)


@dataclass(frozen=True, slots=True)
class DayRun:
    """Everything a day's backtest needs besides the config and the data (picklable)."""

    seed: int
    latency: LatencyConfig | None
    settings: BacktestSettings | None
    limit: int | None
    report: bool


@dataclass(frozen=True, slots=True)
class DayTask:
    index: int
    overrides: Overrides
    run_dir: Path
    day: date
    query: CatalogQuery


def split_by_day(query: CatalogQuery, days_present: Sequence[date]) -> list[CatalogQuery]:
    """One query per UTC day of the selection that holds data, clipped to its hours."""
    out = []
    for day in sorted(set(days_present)):
        first = datetime.combine(day, time(0), UTC)
        start = max(first, query.start) if query.start else first
        end = min(first + LAST_HOUR, query.end) if query.end else first + LAST_HOUR
        if start <= end:
            out.append(replace(query, start=start, end=end))
    return out


def catalog_days(query: CatalogQuery) -> list[date]:
    """The days the catalog holds data for the query's coins (read from its manifest)."""
    listing = list_catalog(open_location(query.uri))
    return sorted({date.fromisoformat(row.date) for row in listing.days
                   if query.coins is None or row.coin in query.coins})


def day_tasks(query: CatalogQuery, overrides: Overrides, out_dir: Path) -> list[DayTask]:
    days = split_by_day(query, catalog_days(query))
    if not days:
        raise SweepError(f"no data in {query}: `hlofi data ls --catalog {query.uri}` "
                         "lists what the catalog holds")
    return [DayTask(i, overrides, out_dir / f"date={q.start:%Y-%m-%d}",
                    q.start.date(), q)  # type: ignore[union-attr]  # set by split_by_day
            for i, q in enumerate(days)]


def run_days_on_ray(query: CatalogQuery, overrides: Overrides, run: DayRun, out_dir: Path,
                    address: str, *, max_retries: int = DEFAULT_MAX_RETRIES,
                    progress: bool = False) -> pl.DataFrame:
    """Backtest every day of `query` on the cluster; write and return the days table."""
    tasks = day_tasks(query, overrides, out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fn = functools.partial(day_backtest, run)
    results = run_jobs_on_ray(fn, [(t, t.query) for t in tasks], address,
                              max_retries=max_retries, progress=progress, label="days")
    table = days_table(tasks, results)
    write_table(table, out_dir / TABLE_NAME)
    return table


def day_backtest(run: DayRun, overrides: Overrides, data: CatalogQuery,
                 run_dir: Path) -> dict[str, Any]:
    """One day's backtest into run_dir (on the worker); its summary as one row."""
    from hyperliquid_ofi_trader.backtest.report import run_figures, summarize
    from hyperliquid_ofi_trader.backtest.runner import run_backtest, write_html_report
    from hyperliquid_ofi_trader.config.loader import build_config

    result = run_backtest(build_config(overrides), data, run_dir, run.seed,
                          latency=run.latency, settings=run.settings, limit=run.limit)
    if run.report:
        write_html_report(result)
    write_summary(result.as_dict() | run_figures(result.journal), run_dir)
    metrics = flat_metrics(summarize(run_dir).as_dict())
    metrics |= {"frames": result.frames, "engine_events": result.engine_events,
                "late_market_events": result.late_market_events,
                "venue_account_value": _number(result.venue.get("account_value"))}
    return metrics


def write_summary(doc: dict[str, Any], run_dir: Path) -> None:
    """The day's full summary (what `hlofi backtest --json` prints) as summary.json, with
    paths inside the run folder made relative: the folder travels to the driver."""
    prefix = str(run_dir)
    doc = {k: v.replace(prefix, ".", 1) if isinstance(v, str) and v.startswith(prefix)
           else v for k, v in doc.items()}
    (run_dir / SUMMARY_NAME).write_bytes(orjson.dumps(
        doc, default=str, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_INDENT_2))


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def days_table(tasks: Sequence[DayTask], results: Sequence[PointResult]) -> pl.DataFrame:
    by_index = {r.index: r for r in results}
    ordered = [by_index.get(t.index, PointResult(t.index, ERROR, "no result", {}))
               for t in tasks]
    columns = [pl.Series("day", [t.day for t in tasks], pl.Date),
               pl.Series("status", [r.status for r in ordered], pl.Utf8),
               pl.Series("error", [r.error for r in ordered], pl.Utf8),
               pl.Series("run_dir", [str(t.run_dir) for t in tasks], pl.Utf8)]
    taken = {c.name for c in columns}
    for name in metric_names(ordered):
        col = name if name not in taken else f"metric.{name}"
        columns.append(column(col, [r.metrics.get(name) for r in ordered]))
    return pl.DataFrame(columns)
