"""Sweeps on a real two-node Ray cluster (ray.cluster_utils.Cluster, loopback, one CPU
per node) reading their data from a loopback S3 server (moto): the data exists only in
S3 when the Ray sweep runs, workers get URIs, a worker SIGKILLed mid-point has its point
retried, and the results table equals a local-process sweep of the same grid."""

from __future__ import annotations

import importlib.util
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lz4.frame
import polars as pl
import pytest

from hyperliquid_ofi_trader.backtest.grid import Grid, grid_from_mapping, validate_grid
from hyperliquid_ofi_trader.backtest.ray_data import CACHE_ENV
from hyperliquid_ofi_trader.backtest.sweep import run_sweep
from tests.conftest import HL_ARCHIVE_BTC, REPO_ROOT, require
from tests.integration import ray_support as sup

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("ray") is None
                       or importlib.util.find_spec("moto") is None,
                       reason="needs the dev extras ray and moto[server]"),
    pytest.mark.timeout(420),
]
SNAPSHOTS = 300  # the first ~3 minutes of the archive hour: about a second per backtest


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """moto S3 + a two-node Ray cluster whose workers see only S3 and their own cache."""
    import boto3
    import ray.cloudpickle

    saved = {k: os.environ.get(k) for k in [*sup.FAKE_AWS, "AWS_ENDPOINT_URL"]}
    with sup.moto_server() as endpoint:
        os.environ.update(sup.FAKE_AWS, AWS_ENDPOINT_URL=endpoint)
        boto3.client("s3").create_bucket(Bucket=sup.BUCKET)
        cache = tmp_path_factory.mktemp("worker-cache")
        # Workers pickle tracked_backtest by value: they need not import the tests.
        ray.cloudpickle.register_pickle_by_value(sup)
        try:
            with sup.two_node_cluster({CACHE_ENV: str(cache), **sup.FAKE_AWS,
                                       "AWS_ENDPOINT_URL": endpoint}) as cluster:
                yield {"endpoint": endpoint, "cluster": cluster, "cache": cache}
        finally:
            ray.cloudpickle.unregister_pickle_by_value(sup)
            for key, value in saved.items():
                os.environ.pop(key, None) if value is None else os.environ.update({key: value})


def _grid() -> Grid:
    grid = grid_from_mapping({"base": str(REPO_ROOT / "configs" / "btc-ofi"), "params": {
        "thresholds.router.ofi_high": [1.5, 2.0, 2.5, 3.0],
        "risk.limits.max_order_usd": [100.0, 200.0]}})
    validate_grid(grid)
    return grid


def _short_recording(path: Path) -> Path:
    raw = lz4.frame.decompress(require(HL_ARCHIVE_BTC).read_bytes())
    path.write_bytes(lz4.frame.compress(b"".join(raw.splitlines(True)[:SNAPSHOTS])))
    return path


def _upload(path: Path, key: str) -> str:
    import boto3

    boto3.client("s3").upload_file(str(path), sup.BUCKET, key)
    return f"s3://{sup.BUCKET}/{key}"


def _comparable(table: pl.DataFrame, out_dir: Path) -> pl.DataFrame:
    """The table without where it was written (run_dir and paths under it)."""
    root = str(out_dir)
    return table.with_columns(pl.col(pl.Utf8).str.replace(root, "OUT", literal=True))


class _Killer(threading.Thread):
    """SIGKILL the worker running a point once another point has finished (mid-sweep)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.killed: str | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        import ray

        tracker = ray.get_actor(sup.TRACKER, namespace=sup.NAMESPACE)
        while not self.stop.wait(0.05):
            started, finished = ray.get(tracker.state.remote())
            running = [(k, pid) for k, pid in started if k not in finished]
            if finished and running:
                key, pid = running[0]
                os.kill(pid, signal.SIGKILL)
                self.killed = key
                return


@pytest.mark.realdata
def test_two_node_sweep_from_s3_survives_a_killed_worker(env: dict[str, Any],
                                                        tmp_path: Path) -> None:
    import ray

    grid = _grid()
    local_file = _short_recording(tmp_path / "BTC.lz4")
    local = run_sweep(grid, local_file, 2, sup.tracked_backtest, tmp_path / "local")
    assert local["status"].to_list() == ["ok"] * 8
    uri = _upload(local_file, "recordings/20240101/BTC.lz4")
    local_file.unlink()  # from here on the data exists only in S3

    tracker = ray.remote(sup.Tracker).options(name=sup.TRACKER,
                                              namespace=sup.NAMESPACE).remote()
    killer = _Killer()
    killer.start()
    try:
        remote = run_sweep(grid, uri, None, sup.tracked_backtest, tmp_path / "ray",
                           ray_address=env["cluster"].address, max_retries=2)
    finally:
        killer.stop.set()
        killer.join(10)
    started, _ = ray.get(tracker.state.remote())
    ray.kill(tracker)

    assert killer.killed is not None, "no worker was killed mid-sweep"
    assert [k for k, _ in started].count(killer.killed) == 2  # killed, then retried
    assert len({pid for _, pid in started}) >= 3  # two nodes' workers + the replacement
    assert remote["status"].to_list() == ["ok"] * 8, remote["error"].to_list()
    assert _comparable(remote, tmp_path / "ray").equals(_comparable(local, tmp_path / "local"))
    for row in remote.iter_rows(named=True):  # the driver collected every point's files
        assert Path(row["journal"]).is_file()
        assert Path(row["journal"]).is_relative_to(tmp_path / "ray")


def test_lost_worker_after_retries_is_a_clear_error_row(env: dict[str, Any],
                                                        tmp_path: Path) -> None:
    data = tmp_path / "tiny.txt"
    data.write_text("x", encoding="utf-8")
    uri = _upload(data, "tiny/one.txt")
    grid = grid_from_mapping({"params": {"thresholds.router.ofi_high": [2.0, 2.5]}})
    started = time.monotonic()
    table = run_sweep(grid, uri, None, sup.always_crash, tmp_path / "out",
                      ray_address=env["cluster"].address, max_retries=1)
    assert table["status"].to_list() == ["error", "error"]
    for error in table["error"].to_list():
        assert "lost on 2 attempts (retries exhausted)" in error
    assert time.monotonic() - started < 120
