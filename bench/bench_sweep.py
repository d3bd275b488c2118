"""Sweep speed-up: the same grid with N local worker processes vs 1, on a CPU-bound run_one.

Each grid point rebuilds its config (as the real runner does) and then spins a pure-Python
loop sized by `--work` (iterations), so the run is CPU-bound and the ideal speed-up is
min(N, cores). The figures include the spawn start-up of each worker (a fresh interpreter
importing polars and pydantic): that fixed cost is what makes tiny sweeps not worth
parallelising. Machine load from other processes shows up directly in the numbers.

    .venv/bin/python bench/bench_sweep.py [--points 8] [--work 3000000] [--workers N]
        [--ray local|ADDRESS]

`--ray` adds the same sweep as Ray tasks (`local`: a throwaway instance with --workers
CPUs): its overhead per point (task dispatch, results and files returned as values) shows
against the local processes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from hyperliquid_ofi_trader.backtest.grid import Overrides, grid_from_mapping
from hyperliquid_ofi_trader.backtest.sweep import run_sweep
from hyperliquid_ofi_trader.config.loader import build_config

WORK_ENV = "BENCH_SWEEP_WORK"


def burn(overrides: Overrides, data: Path, run_dir: Path) -> dict[str, Any]:
    """CPU-bound stand-in for a backtest; its size travels in the environment (spawned
    workers inherit it) so the grid stays a real config grid."""
    cfg = build_config(overrides)
    n = int(os.environ.get(WORK_ENV, "1000000"))
    acc = int(cfg.risk.limits.max_order_usd)
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        acc = (acc * 31 + i) % 1_000_003
    return {"acc": acc, "point_s": time.perf_counter() - started,
            "cpu_s": time.process_time() - cpu}


def one_sweep(points: int, workers: int, data: Path, root: Path,
              ray: str | None = None) -> tuple[float, list[float], float]:
    grid = grid_from_mapping({"params": {"risk.limits.max_order_usd":
                                         [float(100 + i) for i in range(points)]}})
    started = time.perf_counter()
    out = root / (f"w{workers}" if ray is None else "ray")
    table = run_sweep(grid, data, workers, burn, out, ray_address=ray)
    wall = time.perf_counter() - started
    if set(table["status"].to_list()) != {"ok"}:
        raise SystemExit(f"sweep failed: {table['error'].to_list()}")
    return wall, table["point_s"].to_list(), float(table["cpu_s"].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=8)
    parser.add_argument("--work", type=int, default=3_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--ray", default=None, help="also run on Ray: local or an address")
    args = parser.parse_args()
    os.environ[WORK_ENV] = str(args.work)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "data.bin"
        data.write_bytes(b"")
        print(f"grid: {args.points} points, {args.work:,} loop iterations each, "
              f"cores: {os.cpu_count()}")
        base_wall, base_points, base_cpu = one_sweep(args.points, 1, data, root)
        _line(1, base_wall, base_points, base_cpu, base_wall)
        if args.workers > 1:
            wall, per_point, cpu = one_sweep(args.points, args.workers, data, root)
            _line(args.workers, wall, per_point, cpu, base_wall)
        if args.ray is not None:
            _connect_ray(args.ray, args.workers, args.work)
            wall, per_point, cpu = one_sweep(args.points, args.workers, data, root, args.ray)
            _line(args.workers, wall, per_point, cpu, base_wall, label="ray tasks")
    print("cpu/wall: CPU seconds the workers got per second of sweep (ideal = workers); "
          "below that, other processes hold the cores")


def _connect_ray(address: str, cpus: int, work: int) -> None:
    """Connect here, so the workers get the work size (run_sweep reuses the connection)."""
    import ray

    env = {"env_vars": {WORK_ENV: str(work)}}
    if address == "local":
        ray.init(num_cpus=cpus, include_dashboard=False, runtime_env=env,
                 log_to_driver=False)
    else:
        ray.init(address=address, runtime_env=env, log_to_driver=False)


def _line(workers: int, wall: float, per_point: list[float], cpu: float,
          base_wall: float, label: str = "workers") -> None:
    points = len(per_point)
    ordered = sorted(per_point)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    print(f"{label}={workers}: wall {wall:6.2f} s, {points / wall:6.2f} points/s, "
          f"per point p50 {statistics.median(per_point) * 1e3:7.1f} ms "
          f"p99 {p99 * 1e3:7.1f} ms, cpu/wall {cpu / wall:4.2f}, "
          f"speed-up x{base_wall / wall:4.2f}")


if __name__ == "__main__":
    main()
