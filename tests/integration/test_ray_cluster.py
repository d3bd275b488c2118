"""Sweeps on a real two-node Ray cluster (ray.cluster_utils.Cluster, loopback, one CPU
per node) reading a catalog that `hlofi data fetch` filled from a loopback S3 server
(moto): the catalog exists only in S3, tasks receive catalog selections (never driver
paths), a worker SIGKILLed mid-point has its point retried, and the results table equals
a local-process sweep of the same grid."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.backtest.grid import Grid, grid_from_mapping, validate_grid
from hyperliquid_ofi_trader.backtest.ray_data import CACHE_ENV
from hyperliquid_ofi_trader.backtest.sweep import run_sweep
from hyperliquid_ofi_trader.catalog import CatalogQuery
from hyperliquid_ofi_trader.cli import data as data_cli
from tests.conftest import HL_ARCHIVE_BTC, REPO_ROOT, require
from tests.integration import ray_support as sup

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("ray") is None
                       or importlib.util.find_spec("moto") is None,
                       reason="needs the dev extras ray and moto[server]"),
    pytest.mark.timeout(420),
    pytest.mark.realdata,
]
SNAPSHOTS = 300  # the first ~3 minutes of each archive hour: about a second per backtest
DAYS = (datetime(2024, 1, 1, 12, tzinfo=UTC), datetime(2024, 1, 2, 12, tzinfo=UTC))
CATALOG = f"s3://{sup.BUCKET}/catalog"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """moto S3 holding a fetched catalog + a two-node Ray cluster whose workers see it."""
    import boto3
    import ray.cloudpickle

    from tests.s3_support import LocalS3, seed_archive

    keys = [*sup.FAKE_AWS, "AWS_ENDPOINT_URL", "XDG_CACHE_HOME"]
    saved = {k: os.environ.get(k) for k in keys}
    with sup.moto_server() as endpoint:
        os.environ.update(sup.FAKE_AWS, AWS_ENDPOINT_URL=endpoint,
                          XDG_CACHE_HOME=str(tmp_path_factory.mktemp("xdg")))
        s3 = LocalS3(endpoint, boto3.client("s3"))
        s3.make_bucket(sup.BUCKET)
        seed_archive(s3, require(HL_ARCHIVE_BTC), ["BTC"], list(DAYS), limit=SNAPSHOTS)
        _fetch_into_catalog()
        cache = tmp_path_factory.mktemp("worker-cache")
        # Workers pickle the test's run_one by value: they need not import the tests.
        ray.cloudpickle.register_pickle_by_value(sup)  # type: ignore[no-untyped-call]
        try:
            with sup.two_node_cluster({CACHE_ENV: str(cache), **sup.FAKE_AWS,
                                       "AWS_ENDPOINT_URL": endpoint}) as cluster:
                yield {"endpoint": endpoint, "cluster": cluster, "s3": s3}
        finally:
            ray.cloudpickle.unregister_pickle_by_value(sup)  # type: ignore[no-untyped-call]
            for key, value in saved.items():
                os.environ.pop(key, None) if value is None else os.environ.update({key: value})


def _fetch_into_catalog() -> None:
    app = typer.Typer()
    data_cli.register(app)
    app.command("noop")(lambda: None)  # keep typer in multi-command mode
    for day in DAYS:
        hour = f"{day:%Y-%m-%dT%H}"
        res = CliRunner().invoke(app, ["data", "fetch", "--coins", "BTC", "--from", hour,
                                       "--to", hour, "--catalog", CATALOG,
                                       "--no-asset-ctxs", "--quiet"])
        assert res.exit_code == 0, res.output


def _grid() -> Grid:
    grid = grid_from_mapping({"base": str(REPO_ROOT / "configs" / "btc-ofi"), "params": {
        "thresholds.router.ofi_high": [1.5, 2.0, 2.5, 3.0],
        "risk.limits.max_order_usd": [100.0, 200.0]}})
    validate_grid(grid)
    return grid


def _comparable(table: pl.DataFrame, out_dir: Path) -> pl.DataFrame:
    """The table without where it was written (run_dir and paths under it)."""
    return table.with_columns(pl.col(pl.Utf8).str.replace(str(out_dir), "OUT", literal=True))


class _Killer(threading.Thread):
    """SIGKILL the worker of the tracker's victim point (it waits for us, mid-sweep)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.killed: str | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        import ray

        tracker: Any = ray.get_actor(sup.TRACKER, namespace=sup.NAMESPACE)
        while not self.stop.wait(0.05):
            victim = ray.get(tracker.chosen.remote())
            if victim is not None:
                key, pid = victim
                os.kill(pid, signal.SIGKILL)
                self.killed = key
                return


def test_two_node_sweep_of_an_s3_catalog_survives_a_killed_worker(
        env: dict[str, Any], tmp_path: Path) -> None:
    import ray

    grid = _grid()
    query = CatalogQuery(CATALOG, ("BTC",), DAYS[0], DAYS[0])
    local = run_sweep(grid, query, 2, sup.tracked_backtest, tmp_path / "local")
    assert local["status"].to_list() == ["ok"] * 8, local["error"].to_list()

    tracker: Any = ray.remote(sup.Tracker).options(name=sup.TRACKER,
                                              namespace=sup.NAMESPACE).remote()
    killer = _Killer()
    killer.start()
    try:
        remote = run_sweep(grid, query, None, sup.tracked_backtest, tmp_path / "ray",
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


def test_a_recording_uri_is_staged_on_the_workers(env: dict[str, Any],
                                                  tmp_path: Path) -> None:
    key = "recordings/BTC.lz4"
    env["s3"].client.put_object(Bucket=sup.BUCKET, Key=key, Body=b"0123456789")
    grid = grid_from_mapping({"params": {"thresholds.router.ofi_high": [2.0, 2.5]}})
    table = run_sweep(grid, f"s3://{sup.BUCKET}/{key}", None, sup.staged_size,
                      tmp_path / "out", ray_address=env["cluster"].address)
    assert table["status"].to_list() == ["ok", "ok"], table["error"].to_list()
    assert table["data_bytes"].to_list() == [10, 10]
    assert table["under_worker_cache"].to_list() == [True, True]
    missing = run_sweep(grid, f"s3://{sup.BUCKET}/nothing/here", None, sup.staged_size,
                        tmp_path / "missing", ray_address=env["cluster"].address)
    assert missing["error"].to_list() == [
        f"DataUriError: no objects at s3://{sup.BUCKET}/nothing/here"] * 2


def test_lost_worker_after_retries_is_a_clear_error_row(env: dict[str, Any],
                                                        tmp_path: Path) -> None:
    grid = grid_from_mapping({"params": {"thresholds.router.ofi_high": [2.0, 2.5]}})
    started = time.monotonic()
    table = run_sweep(grid, CatalogQuery(CATALOG), None, sup.always_crash, tmp_path / "out",
                      ray_address=env["cluster"].address, max_retries=1)
    assert table["status"].to_list() == ["error", "error"]
    for error in table["error"].to_list():
        assert "lost on 2 attempts (retries exhausted)" in error
    assert time.monotonic() - started < 120


def _cli(*args: str) -> tuple[int, str]:
    from hyperliquid_ofi_trader.cli import backtest as backtest_cli
    from hyperliquid_ofi_trader.cli import sweep as sweep_cli

    app = typer.Typer()
    backtest_cli.register(app)
    sweep_cli.register(app)
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.output


def test_backtest_by_day_on_the_cluster_matches_single_day_runs(
        env: dict[str, Any], tmp_path: Path) -> None:
    config = str(REPO_ROOT / "configs" / "btc-ofi")
    code, out = _cli("backtest", "--catalog", CATALOG, "--coins", "BTC", "--from",
                     "2024-01-01", "--to", "2024-01-02", "--config", config,
                     "--ray", env["cluster"].address, "--out", str(tmp_path / "days"))
    assert code == 0, out
    assert "2 day(s) ok, 0 failed" in out
    table = pl.read_parquet(tmp_path / "days" / "days.parquet")
    assert [str(d) for d in table["day"].to_list()] == ["2024-01-01", "2024-01-02"]
    assert table["frames"].to_list() == [SNAPSHOTS, SNAPSHOTS]
    for row in table.iter_rows(named=True):
        day = tmp_path / "days" / f"date={row['day']}"
        assert row["run_dir"] == str(day)
        assert (day / "journal.sqlite").is_file()
        assert (day / "report.html").is_file()
        summary = orjson.loads((day / "summary.json").read_bytes())
        assert summary["frames"] == SNAPSHOTS
        assert summary["journal"] == "./journal.sqlite"
        assert summary["journal_sha256"] == row["journal_sha256"]
    # Each day equals a plain single-process backtest of that day's hours.
    for hour, sha in zip(DAYS, table["journal_sha256"].to_list(), strict=True):
        code, out = _cli("backtest", "--catalog", CATALOG, "--coins", "BTC", "--from",
                         f"{hour:%Y-%m-%dT%H}", "--to", f"{hour:%Y-%m-%dT%H}", "--config",
                         config, "--no-report", "--json", "--out",
                         str(tmp_path / f"single-{hour:%d}"))
        assert code == 0, out
        assert f'"journal_sha256":"{sha}"' in out


def test_sweep_cli_on_the_cluster(env: dict[str, Any], tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base: {REPO_ROOT / 'configs' / 'btc-ofi'}\n"
                    "params:\n  thresholds.router.ofi_high: [2.0, 3.0]\n", encoding="utf-8")
    code, out = _cli("sweep", "--grid", str(grid), "--catalog", CATALOG, "--coins", "BTC",
                     "--ray", env["cluster"].address, "--out", str(tmp_path / "sweep"))
    assert code == 0, out
    assert "2 ok, 0 failed" in out
    table = pl.read_parquet(tmp_path / "sweep" / "sweep.parquet")
    assert all(Path(j).is_file() for j in table["journal"].to_list())


def test_backtest_ray_needs_a_catalog(env: dict[str, Any], tmp_path: Path) -> None:
    data = tmp_path / "x.lz4"
    data.write_bytes(b"")
    code, out = _cli("backtest", "--data", str(data), "--ray", env["cluster"].address)
    assert code == 1
    assert "--ray splits a catalog selection by day" in out


def test_a_separate_driver_process_connects_to_the_cluster(env: dict[str, Any],
                                                           tmp_path: Path) -> None:
    """What a user does: `hlofi sweep --ray HOST:PORT` from a fresh process."""
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"base: {REPO_ROOT / 'configs' / 'btc-ofi'}\n"
                    "params:\n  thresholds.router.ofi_high: [2.0, 3.0]\n", encoding="utf-8")
    hlofi = Path(sys.executable).with_name("hlofi")
    proc = subprocess.run([str(hlofi), "sweep", "--grid", str(grid), "--catalog", CATALOG,
                           "--ray", env["cluster"].address, "--out", str(tmp_path / "s")],
                          capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 ok, 0 failed" in proc.stdout
    assert "sweep points" in proc.stderr  # the driver's progress bar
    assert pl.read_parquet(tmp_path / "s" / "sweep.parquet")["status"].to_list() == ["ok"] * 2
