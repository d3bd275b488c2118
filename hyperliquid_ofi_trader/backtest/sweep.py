"""Parameter sweeps: run one backtest per grid point, in parallel, into one Parquet table.

`run_sweep` calls `run_one(overrides, data, run_dir) -> metrics` for every point of a
validated `Grid`, either in local worker processes (`ProcessPoolExecutor`, spawn context:
each worker starts clean, no forked locks or sockets) or on an existing Ray cluster
(`ray_address`; Ray is an optional extra, imported only then). `overrides` is the
point's full config override set keyed by file name (`build_config(overrides)` rebuilds
the exact config), `run_dir` a folder of its own for the run's journal and files.

Results: ONE table, one row per point, in point order whatever the completion order:
`point`, the swept keys (one column each, named by the dotted key), `status` ("ok" or
"error"), `error` (the exception type and message, "" when ok), `run_dir`, then the
metrics. A point that raises, returns garbage or kills its worker process is recorded as
an error row; no point is ever dropped. The table is written to `<out_dir>/sweep.parquet`.

`run_one` must be picklable (a module-level function) because it travels to the workers.
`data` is a local path or an `s3://` URI (staged to local disk first, see ray_data.py).
With Ray (ray_sweep.py) the tasks receive the data as a URI, never a driver path, and
return their metrics and files as values: only the driver writes into `out_dir`.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import pickle
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson
import polars as pl

from hyperliquid_ofi_trader.backtest.grid import Grid, GridPoint, Overrides
from hyperliquid_ofi_trader.catalog.query import CatalogQuery
from hyperliquid_ofi_trader.data.replay_sources import ReplaySource
from hyperliquid_ofi_trader.errors import OurBugError

# The data argument is a recording Path or a catalog.CatalogQuery; Any keeps functions
# written for paths only (the test helpers, user --run-one functions) acceptable.
RunOne = Callable[[Overrides, Any, Path], Mapping[str, Any]]
TABLE_NAME: Final = "sweep.parquet"
OK: Final = "ok"
ERROR: Final = "error"
_MAX_ERROR_CHARS: Final = 2_000


class SweepError(OurBugError):
    """The sweep cannot start (bad arguments, Ray missing): the caller's input is at fault."""


@dataclass(frozen=True, slots=True)
class PointResult:
    index: int
    status: str
    error: str
    metrics: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Task:
    index: int
    overrides: Overrides
    run_dir: Path


def run_sweep(grid: Grid, data: ReplaySource | str, workers: int | None, run_one: RunOne | None,
              out_dir: Path, ray_address: str | None = None, *,
              max_retries: int = 3, progress: bool = False) -> pl.DataFrame:
    """Run every grid point; return (and write to out_dir/sweep.parquet) the results.

    `data`: a recording path, a catalog selection (CatalogQuery) or an s3:// URI of a
    recording object or prefix (ray_data.py).
    `max_retries`: Ray only, how often a point whose worker died is re-run elsewhere.
    `progress`: Ray only, a progress bar on stderr."""
    if run_one is None:
        import_runner()  # fail before any work when the default cannot run at all
    fn = run_one if run_one is not None else default_run_one
    _check_picklable(fn)
    points = list(grid.points())
    tasks = [_Task(p.index, p.overrides, out_dir / f"point_{p.index:04d}") for p in points]
    out_dir.mkdir(parents=True, exist_ok=True)
    if ray_address is not None:
        from hyperliquid_ofi_trader.backtest.ray_sweep import run_on_ray

        results = run_on_ray(fn, _remote_data(data), tasks, ray_address, max_retries=max_retries,
                             progress=progress)
    else:
        results = _run_local(fn, _local_data(data), tasks, _workers(workers, len(tasks)))
    table = results_table(grid, points, results, tasks)
    write_table(table, out_dir / TABLE_NAME)
    return table


def _remote_data(data: ReplaySource | str) -> CatalogQuery | str:
    """What a Ray task receives: a catalog selection (each worker opens its URI) or a URI
    string (staged by the worker); never a path that only the driver's disk has."""
    if isinstance(data, CatalogQuery):
        return data
    from hyperliquid_ofi_trader.backtest import ray_data

    try:
        return ray_data.data_uri(str(data))
    except ray_data.DataUriError as exc:
        raise SweepError(str(exc)) from None


def _local_data(data: ReplaySource | str) -> ReplaySource:
    """Local workers share the driver's disk: an s3:// URI is staged once, here."""
    if not isinstance(data, str):
        return data
    from hyperliquid_ofi_trader.backtest import ray_data

    try:
        return ray_data.stage(data) if ray_data.is_remote_uri(data) else Path(data)
    except ray_data.DataUriError as exc:
        raise SweepError(str(exc)) from None


def _workers(workers: int | None, n_tasks: int) -> int:
    if workers is not None and workers < 1:
        raise SweepError(f"workers must be at least 1, got {workers}")
    wanted = workers if workers is not None else (os.cpu_count() or 1)
    return max(1, min(wanted, n_tasks))


def _check_picklable(fn: RunOne) -> None:
    try:
        pickle.dumps(fn)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise SweepError(f"run_one {fn!r} cannot be sent to worker processes (it must be a "
                         f"module-level function): {exc}") from None


# ---------------------------------------------------------------- one point (in a worker)


def run_point(fn: RunOne, data: ReplaySource, index: int, overrides: Overrides,
              run_dir: Path) -> PointResult:
    """Run one point; every failure becomes an error result (never an exception)."""
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        metrics = fn(overrides, data, run_dir)
        if not isinstance(metrics, Mapping):
            raise TypeError(f"run_one returned {type(metrics).__name__}, not a mapping")
        return PointResult(index, OK, "", {str(k): plain(v) for k, v in metrics.items()})
    except Exception as exc:
        return PointResult(index, ERROR, error_text(exc), {})


def plain(value: Any) -> Any:
    """A metric as a Parquet-friendly scalar: numbers, text and flags as they are,
    anything else (lists, dicts, structs) as JSON text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return json_text(value)


def json_text(value: Any) -> str:
    """JSON of `value`; its repr when JSON cannot hold it (an int beyond 64 bits)."""
    try:
        return orjson.dumps(value, default=repr, option=orjson.OPT_SERIALIZE_NUMPY
                            | orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return repr(value)


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:_MAX_ERROR_CHARS]


# ---------------------------------------------------------------- local processes


def _run_local(fn: RunOne, data: ReplaySource, tasks: Sequence[_Task],
               workers: int) -> list[PointResult]:
    results, broken = _pool_pass(fn, data, tasks, workers)
    # A worker that died took its pool down with it: every unfinished point failed with
    # BrokenProcessPool. Rerun those one per fresh pool, so only the culprit fails.
    for task in broken:
        again, still = _pool_pass(fn, data, [task], 1)
        results += again
        results += [PointResult(t.index, ERROR, "worker process died while running this "
                                "point (crash, os._exit or out of memory)", {})
                    for t in still]
    return sorted(results, key=lambda r: r.index)


def _pool_pass(fn: RunOne, data: ReplaySource, tasks: Sequence[_Task],
               workers: int) -> tuple[list[PointResult], list[_Task]]:
    done: list[PointResult] = []
    broken: list[_Task] = []
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = [(t, pool.submit(run_point, fn, data, t.index, t.overrides, t.run_dir))
                   for t in tasks]
        for task, future in futures:
            outcome = _collect(task, future)
            if outcome is None:
                broken.append(task)
            else:
                done.append(outcome)
    return done, broken


def _collect(task: _Task, future: Future[PointResult]) -> PointResult | None:
    """The point's result; None when its worker process died."""
    try:
        return future.result()
    except BrokenProcessPool:
        return None
    except Exception as exc:  # the result could not be sent back (unpicklable metrics)
        return PointResult(task.index, ERROR, error_text(exc), {})


# ---------------------------------------------------------------- Ray


def import_ray() -> Any:
    """The `ray` module, or a SweepError saying how to get it (an optional extra)."""
    try:
        return importlib.import_module("ray")
    except ImportError:
        raise SweepError("--ray needs Ray, which is not installed here: install ray with "
                         "`pip install 'ray[default]==2.60.0'` (the cluster's version), or "
                         "run without --ray to use local processes") from None


# ---------------------------------------------------------------- the table


def results_table(grid: Grid, points: Sequence[GridPoint], results: Sequence[PointResult],
                  tasks: Sequence[_Task]) -> pl.DataFrame:
    by_index = {r.index: r for r in results}
    ordered = [by_index.get(p.index, PointResult(p.index, ERROR, "no result", {}))
               for p in points]
    columns: dict[str, pl.Series] = {
        "point": pl.Series("point", [p.index for p in points], pl.Int64)}
    for key in grid.keys:
        columns[key] = column(key, [p.params[key] for p in points])
    columns["status"] = pl.Series("status", [r.status for r in ordered], pl.Utf8)
    columns["error"] = pl.Series("error", [r.error for r in ordered], pl.Utf8)
    columns["run_dir"] = pl.Series("run_dir", [str(t.run_dir) for t in tasks], pl.Utf8)
    for name in metric_names(ordered):
        col = name if name not in columns else f"metric.{name}"
        columns[col] = column(col, [r.metrics.get(name) for r in ordered])
    return pl.DataFrame(list(columns.values()))


def metric_names(results: Sequence[PointResult]) -> list[str]:
    seen: dict[str, None] = {}
    for r in results:
        seen.update(dict.fromkeys(r.metrics))
    return list(seen)


def column(name: str, values: list[Any]) -> pl.Series:
    """One typed column: bool, int, float (ints and floats mixed) or text; anything mixed
    beyond that becomes JSON text, so one odd value never breaks the table."""
    present = [v for v in values if v is not None]
    kinds = {_kind(v) for v in present}
    if kinds <= {"bool"}:
        return pl.Series(name, values, pl.Boolean)
    if kinds <= {"int"}:
        return pl.Series(name, values, pl.Int64)
    if kinds <= {"int", "float"}:
        return pl.Series(name, [None if v is None else float(v) for v in values], pl.Float64)
    if kinds <= {"str"}:
        return pl.Series(name, values, pl.Utf8)
    return pl.Series(name, [None if v is None else json_text(v) for v in values], pl.Utf8)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if -(2**63) <= value < 2**63 else "big"
    if isinstance(value, float):
        return "float"
    return "str" if isinstance(value, str) else "other"


def write_table(table: pl.DataFrame, path: Path) -> None:
    """Write atomically: a reader never sees half a Parquet file."""
    tmp = path.with_name(f".{path.name}.tmp")
    table.write_parquet(tmp)
    tmp.replace(path)


# ---------------------------------------------------------------- the default run_one

RUNNER_MODULE: Final = "hyperliquid_ofi_trader.backtest.runner"
# Summary fields that are not one number per run; the sweep table keeps the scalars.
_NESTED: Final = ("coins", "decisions_by_outcome", "orders_by_state", "slippage_bps",
                  "markouts", "fill_rates", "state_changes", "errors_by_stage", "per_coin")


def default_run_one(overrides: Overrides, data: ReplaySource,
                    run_dir: Path) -> dict[str, Any]:
    """One backtest (backtest/runner.py) of `data` with this config, into `run_dir`; the
    metrics are the run report's summary, so sweeps and single runs read the same."""
    from hyperliquid_ofi_trader.backtest.report import summarize
    from hyperliquid_ofi_trader.config.loader import build_config

    runner = import_runner()
    result = runner.run_backtest(build_config(overrides), data, run_dir)
    metrics = flat_metrics(summarize(run_dir).as_dict())
    # What the venue's own ledger says, next to ours: a gap between them is a bug signal.
    metrics["venue_account_value"] = _float_or_none(result.venue.get("account_value"))
    metrics["engine_events"] = result.engine_events
    metrics["late_market_events"] = result.late_market_events
    return metrics


def _float_or_none(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def import_runner() -> Any:
    try:
        return importlib.import_module(RUNNER_MODULE)
    except ImportError as exc:
        raise SweepError(f"the backtest runner ({RUNNER_MODULE}) is not available: {exc}; "
                         "pass run_one explicitly") from None


def flat_metrics(summary: Mapping[str, Any]) -> dict[str, Any]:
    """A report summary as one row: its scalars, plus slippage and markout figures."""
    out = {k: v for k, v in summary.items() if k not in _NESTED}
    slip = summary.get("slippage_bps") or {}
    out |= {f"slippage_bps_{k}": slip.get(k) for k in ("mean", "p50", "p95")}
    for m in summary.get("markouts") or ():
        out[f"markout_{m['horizon_s']:g}s_mean_bps"] = m.get("mean_bps")
    return out
