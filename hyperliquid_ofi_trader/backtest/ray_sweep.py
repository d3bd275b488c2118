"""The Ray backend of sweeps: grid points as Ray tasks on any cluster, results as values.

Nothing a task does depends on the driver's disk:
- a task receives the data as a catalog selection (`CatalogQuery`: the worker reads its
  URI, e.g. s3://) or a recording URI (`ray_data.stage` downloads it to the worker's own
  cache), and the point's overrides; never a path on the driver's disk;
- it runs the point in a scratch folder of its own and returns its metrics AND every file
  the run wrote (journal, report) as bytes; the driver writes them into `run_dir`, so the
  sweep folder is complete however many nodes ran it, and the driver writes the table.

A task whose worker process or node dies is retried by Ray (`max_retries`); a point
that still has no result then is an error row saying so, never a dropped point. Failures
inside the point (an exception from run_one) are not retried: they are deterministic and
come back as the point's error row. Progress shows on the driver as points complete.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hyperliquid_ofi_trader.backtest import ray_data
from hyperliquid_ofi_trader.backtest.grid import Overrides
from hyperliquid_ofi_trader.backtest.sweep import (
    ERROR,
    PointResult,
    RunOne,
    SweepError,
    error_text,
    import_ray,
    run_point,
)
from hyperliquid_ofi_trader.catalog.query import CatalogQuery

DEFAULT_MAX_RETRIES: Final = 3
CONNECT_PROBE_S: Final = 5.0
RemoteData = CatalogQuery | str  # a catalog selection, or the URI of recordings
RUN_SUBDIR: Final = "run"


class PointTask(Protocol):
    """What the driver knows of a point (sweep._Task): its number, config and folder."""

    @property
    def index(self) -> int: ...
    @property
    def overrides(self) -> Overrides: ...
    @property
    def run_dir(self) -> Path: ...


@dataclass(frozen=True, slots=True)
class RemoteOutcome:
    """A point's result and the files its run wrote (path relative to run_dir -> bytes)."""

    result: PointResult
    artefacts: dict[str, bytes]
    worker_run_dir: str  # where the files were on the worker (metrics may name it)


# ---------------------------------------------------------------- on the worker


def remote_point(fn: RunOne, source: RemoteData, index: int,
                 overrides: Overrides) -> RemoteOutcome:
    """Stage the data, run the point in a private scratch folder, return everything."""
    scratch = Path(tempfile.mkdtemp(prefix=f"hlofi-point-{index:04d}-"))
    try:
        try:
            # A catalog selection is read straight from its URI by the backtest itself.
            data = source if isinstance(source, CatalogQuery) else ray_data.stage(source)
        except ray_data.DataUriError as exc:
            return RemoteOutcome(PointResult(index, ERROR, error_text(exc), {}), {}, "")
        run_dir = scratch / RUN_SUBDIR
        result = run_point(fn, data, index, overrides, run_dir)
        return RemoteOutcome(result, read_artefacts(run_dir), str(run_dir))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def read_artefacts(run_dir: Path) -> dict[str, bytes]:
    if not run_dir.is_dir():
        return {}
    return {p.relative_to(run_dir).as_posix(): p.read_bytes()
            for p in sorted(run_dir.rglob("*")) if p.is_file()}


def write_artefacts(artefacts: dict[str, bytes], run_dir: Path) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    root = run_dir.resolve()
    for rel, body in artefacts.items():
        path = (run_dir / rel).resolve()
        if not path.is_relative_to(root):  # a hostile or broken name never escapes
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


# ---------------------------------------------------------------- on the driver


def run_on_ray(fn: RunOne, source: RemoteData, tasks: Sequence[PointTask], address: str, *,
               max_retries: int = DEFAULT_MAX_RETRIES,
               progress: bool = False) -> list[PointResult]:
    """Run every task on the cluster at `address` on the same data; one PointResult each."""
    return run_jobs_on_ray(fn, [(t, source) for t in tasks], address,
                           max_retries=max_retries, progress=progress, label="sweep points")


def run_jobs_on_ray(fn: RunOne, jobs: Sequence[tuple[PointTask, RemoteData]], address: str,
                    *, max_retries: int = DEFAULT_MAX_RETRIES, progress: bool = False,
                    label: str = "tasks") -> list[PointResult]:
    """Run every (task, its data) on the cluster; one PointResult per job, any order."""
    if max_retries < 0:
        raise SweepError(f"max_retries must be 0 or more, got {max_retries}")
    ray = import_ray()
    with connected(ray, address):
        remote = ray.remote(num_cpus=1, max_retries=max_retries,
                            retry_exceptions=False)(remote_point)
        pending = {remote.remote(fn, data, t.index, t.overrides): t for t, data in jobs}
        results: list[PointResult] = []
        try:
            with progress_bar(len(jobs), label, progress) as advance:
                while pending:
                    done, _ = ray.wait(list(pending), num_returns=1)
                    for ref in done:
                        results.append(receive(ray, ref, pending.pop(ref), max_retries))
                        advance()
        except BaseException:  # Ctrl-C, a driver crash: free the cluster, then go
            cancel_all(ray, pending)
            raise
    return results


def cancel_all(ray: Any, refs: Iterable[Any]) -> None:
    """Cancel unfinished tasks (on a shared cluster they would run on for nobody)."""
    for ref in refs:
        try:
            ray.cancel(ref, force=True)
        except Exception:  # already finished or its node is gone: nothing to free
            continue


def receive(ray: Any, ref: Any, task: PointTask, max_retries: int) -> PointResult:
    """The task's result, its files written into its run_dir; a lost task is an error."""
    try:
        outcome: RemoteOutcome = ray.get(ref)
    except Exception as exc:  # WorkerCrashedError, NodeDiedError, ObjectLostError, ...
        return PointResult(task.index, ERROR, lost_message(exc, max_retries), {})
    write_artefacts(outcome.artefacts, task.run_dir)
    return relocated(outcome.result, outcome.worker_run_dir, task.run_dir)


def relocated(result: PointResult, worker_dir: str, run_dir: Path) -> PointResult:
    """Text metrics naming the worker's scratch folder (the journal path) name the
    driver's copy instead: the table must point at files that exist."""
    if not worker_dir:
        return result
    metrics = {k: str(run_dir) + v[len(worker_dir):]
               if isinstance(v, str) and v.startswith(worker_dir) else v
               for k, v in result.metrics.items()}
    return PointResult(result.index, result.status, result.error, metrics)


def lost_message(exc: BaseException, max_retries: int) -> str:
    return (f"the Ray worker running this point was lost on {max_retries + 1} attempts "
            f"(retries exhausted): {error_text(exc)}")


@contextmanager
def connected(ray: Any, address: str) -> Iterator[None]:
    """Connect to the cluster (or reuse this process's connection); disconnect after
    only when we connected here."""
    if ray.is_initialized():
        yield
        return
    check_reachable(address)
    # A fresh local instance gets no dashboard; an existing cluster keeps its own.
    extra: dict[str, Any] = {"include_dashboard": False} if address == "local" else {}
    try:
        ray.init(address=address, log_to_driver=False, **extra)
    except Exception as exc:
        raise SweepError(f"cannot connect to the Ray cluster at {address!r}: "
                         f"{error_text(exc)}") from None
    try:
        yield
    finally:
        ray.shutdown()


def check_reachable(address: str, timeout_s: float = CONNECT_PROBE_S) -> None:
    """A HOST:PORT nobody listens on is refused here, at once: ray.init would retry the
    cluster's control service for minutes. `auto`, `local` and `ray://` are left to Ray."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "://" in address:
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise SweepError(f"no Ray cluster answers at {address}: {exc} (start one with "
                         "`ray start --head`, or check the address)") from None


@contextmanager
def progress_bar(total: int, label: str, enabled: bool) -> Iterator[Callable[[], None]]:
    """A rich bar on stderr counting completed items; a no-op when disabled."""
    if not enabled:
        yield lambda: None
        return
    columns = (TextColumn(label), BarColumn(bar_width=None), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)
