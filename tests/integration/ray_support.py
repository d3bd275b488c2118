"""A loopback S3 server (moto), a two-node local Ray cluster and a run_one that reports
to a tracker actor, for the Ray sweep tests.

`tracked_backtest` runs the real backtest (sweep.default_run_one). On a Ray worker it
first proves it was handed a catalog selection on S3 (never a path on the driver's disk)
and tells the tracker which process runs which point, so the test can SIGKILL a worker
mid-point and check the point ran again.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import orjson

from hyperliquid_ofi_trader.backtest.grid import Overrides
from hyperliquid_ofi_trader.backtest.ray_data import CACHE_ENV
from hyperliquid_ofi_trader.backtest.sweep import default_run_one
from hyperliquid_ofi_trader.catalog.query import CatalogQuery

TRACKER: Final = "hlofi-test-tracker"
NAMESPACE: Final = "hlofi-test"
VICTIM_WAIT_S: Final = 60.0
LOOPBACK: Final = "127.0.0.2"
BUCKET: Final = "hlofi-test-data"
FAKE_AWS: Final = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


class Tracker:
    """Ray actor: which worker process started / finished which point, in order, and the
    victim: the first point to start after another finished (mid-sweep). The victim's
    worker waits to be killed, so the test's SIGKILL always lands inside that point."""

    def __init__(self) -> None:
        self.started: list[tuple[str, int]] = []
        self.finished: list[str] = []
        self.victim: tuple[str, int] | None = None

    def start(self, key: str, pid: int) -> bool:
        self.started.append((key, pid))
        if self.victim is None and self.finished:
            self.victim = (key, pid)
            return True
        return False

    def finish(self, key: str) -> None:
        self.finished.append(key)

    def state(self) -> tuple[list[tuple[str, int]], list[str]]:
        return self.started, self.finished

    def chosen(self) -> tuple[str, int] | None:
        return self.victim


def point_key(overrides: Overrides) -> str:
    return orjson.dumps(overrides, option=orjson.OPT_SORT_KEYS).decode()


def tracked_backtest(overrides: Overrides, data: Any, run_dir: Path) -> dict[str, Any]:
    import ray

    if not ray.is_initialized():  # a local-process sweep: nothing to prove or report
        return default_run_one(overrides, data, run_dir)
    if not isinstance(data, CatalogQuery) or not data.uri.startswith("s3://"):
        raise RuntimeError(f"worker was handed {data!r}, not a catalog selection on S3")
    tracker = ray.get_actor(TRACKER, namespace=NAMESPACE)
    key = point_key(overrides)
    if ray.get(tracker.start.remote(key, os.getpid())):
        time.sleep(VICTIM_WAIT_S)  # the test kills this process meanwhile
        raise RuntimeError("the victim worker was not killed")
    metrics = default_run_one(overrides, data, run_dir)
    ray.get(tracker.finish.remote(key))
    return metrics


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 (ephemeral port); yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@contextmanager
def two_node_cluster(worker_env: dict[str, str]) -> Iterator[Any]:
    """A head and a second node, one CPU each, loopback only, no dashboard; the driver
    is connected (namespace NAMESPACE, `worker_env` set in every worker). Everything
    is shut down on exit."""
    import ray
    from ray.cluster_utils import Cluster

    # 127.0.0.2, not .1: ray.init rewrites 127.0.0.1/localhost to the machine's outward IP,
    # where nothing listens. Any 127/8 address is loopback on Linux. A private temp dir
    # (short: it holds Unix sockets) keeps other Ray users' sessions out of sight.
    temp_dir = tempfile.mkdtemp(prefix="hlray", dir="/tmp")
    node: dict[str, Any] = {"num_cpus": 1, "node_ip_address": LOOPBACK, "include_dashboard": False,
            "object_store_memory": 80 * 1024 * 1024}
    cluster = Cluster(initialize_head=True, head_node_args={**node, "temp_dir": temp_dir})
    try:
        cluster.add_node(**node)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, namespace=NAMESPACE, log_to_driver=False,
                 runtime_env={"env_vars": worker_env})
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()  # type: ignore[no-untyped-call]
        shutil.rmtree(temp_dir, ignore_errors=True)


def always_crash(overrides: Overrides, data: Path, run_dir: Path) -> dict[str, Any]:
    """Kill the worker process on every attempt (a segfault, an OOM kill)."""
    os._exit(3)


def staged_size(overrides: Overrides, data: Path, run_dir: Path) -> dict[str, Any]:
    """How much data the worker was handed, and whether it sits in the worker's cache."""
    cache = Path(os.environ[CACHE_ENV]).resolve()
    return {"data_bytes": data.stat().st_size,
            "under_worker_cache": data.resolve().is_relative_to(cache)}
