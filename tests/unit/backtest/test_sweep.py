"""run_sweep over real spawn worker processes: results per point, failures recorded,
deterministic table order, Parquet output; Ray when installed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import polars as pl
import pytest

from hyperliquid_ofi_trader.backtest.grid import Grid, grid_from_mapping
from hyperliquid_ofi_trader.backtest.sweep import (
    TABLE_NAME,
    SweepError,
    column,
    flat_metrics,
    import_ray,
    run_sweep,
)
from tests.unit import sweep_support as sup

GRID = {"params": {"thresholds.router.ofi_high": [1.5, 2.0, sup.FAIL_AT_OFI_HIGH],
                   "risk.limits.max_order_usd": [100.0, 150.0]}}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data.bin"
    path.write_bytes(b"x" * 123)
    return path


def grid() -> Grid:
    return grid_from_mapping(GRID)


def test_two_workers_record_failures_and_results(tmp_path: Path, data: Path) -> None:
    table = run_sweep(grid(), data, 2, sup.score_config, tmp_path / "out")
    assert table.height == 6
    assert table["point"].to_list() == list(range(6))
    assert table.columns[:6] == ["point", "thresholds.router.ofi_high",
                                 "risk.limits.max_order_usd", "status", "error", "run_dir"]
    failed = table.filter(pl.col("status") == "error")
    assert failed["thresholds.router.ofi_high"].to_list() == [2.5, 2.5]
    assert all(e.startswith("ValueError: refusing ofi_high=2.5") for e in failed["error"])
    ok = table.filter(pl.col("status") == "ok")
    assert ok.height == 4
    assert ok["error"].to_list() == [""] * 4
    assert ok["score"].to_list() == [150.0, 225.0, 200.0, 300.0]
    assert ok["data_bytes"].to_list() == [123] * 4
    assert ok["traded"].to_list() == ['["ETH"]'] * 4  # a list metric is kept as JSON text
    assert failed["score"].null_count() == 2
    for run_dir in ok["run_dir"]:
        assert (Path(run_dir) / "done.txt").is_file()
    on_disk = pl.read_parquet(tmp_path / "out" / TABLE_NAME)
    assert on_disk.equals(table)


def test_table_is_identical_across_runs_and_worker_counts(tmp_path: Path, data: Path) -> None:
    one = run_sweep(grid(), data, 1, sup.score_config, tmp_path / "a").drop("run_dir")
    two = run_sweep(grid(), data, 2, sup.score_config, tmp_path / "b").drop("run_dir")
    assert one.equals(two)


def test_dead_worker_fails_only_its_point(tmp_path: Path, data: Path) -> None:
    g = grid_from_mapping({"params": {"thresholds.router.ofi_high": [1.5, sup.CRASH_AT_OFI_HIGH,
                                                                     2.0]}})
    table = run_sweep(g, data, 2, sup.crash_on_value, tmp_path / "out")
    assert table["status"].to_list() == ["ok", "error", "ok"]
    assert "worker process died" in table["error"][1]
    assert table["ofi_high_seen"].to_list() == [1.5, None, 2.0]


def test_non_mapping_result_is_an_error_row(tmp_path: Path, data: Path) -> None:
    g = grid_from_mapping({"params": {"thresholds.router.ofi_high": [1.5]}})
    table = run_sweep(g, data, 1, sup.returns_garbage, tmp_path / "out")
    assert table["status"].to_list() == ["error"]
    assert "returned int, not a mapping" in table["error"][0]


def test_unpicklable_run_one_is_refused(tmp_path: Path, data: Path) -> None:
    with pytest.raises(SweepError, match="module-level function"):
        run_sweep(grid(), data, 1, lambda o, d, r: {}, tmp_path / "out")


def test_bad_worker_count(tmp_path: Path, data: Path) -> None:
    with pytest.raises(SweepError, match="at least 1"):
        run_sweep(grid(), data, 0, sup.score_config, tmp_path / "out")


def test_column_types() -> None:
    assert column("a", [1, None, 2]).dtype == pl.Int64
    assert column("a", [1, 2.5]).dtype == pl.Float64
    assert column("a", [True, None]).dtype == pl.Boolean
    assert column("a", ["x", None]).dtype == pl.Utf8
    mixed = column("a", [1, "x", [1, 2], 2**70])
    assert mixed.to_list() == ["1", '"x"', "[1,2]", repr(2**70)]
    assert column("a", [None, None]).dtype == pl.Boolean  # all-null: any type will do


def test_flat_metrics_from_a_summary() -> None:
    row = flat_metrics({"net_pnl_usd": 1.0, "coins": ["ETH"],
                        "slippage_bps": {"mean": 2.0, "p50": 1.0, "p95": 9.0},
                        "markouts": [{"horizon_s": 5.0, "mean_bps": -3.0}]})
    assert row == {"net_pnl_usd": 1.0, "slippage_bps_mean": 2.0, "slippage_bps_p50": 1.0,
                   "slippage_bps_p95": 9.0, "markout_5s_mean_bps": -3.0}


RAY_INSTALLED = importlib.util.find_spec("ray") is not None


@pytest.mark.skipif(RAY_INSTALLED, reason="Ray is installed: the missing-Ray error cannot "
                    "be observed")
def test_missing_ray_is_a_clear_error(tmp_path: Path, data: Path) -> None:
    with pytest.raises(SweepError, match="Ray, which is not installed"):
        import_ray()
    with pytest.raises(SweepError, match="pip install"):
        run_sweep(grid(), data, 1, sup.score_config, tmp_path / "out", ray_address="auto")


@pytest.mark.skipif(not RAY_INSTALLED, reason="Ray is an optional extra and is not "
                    "installed here (pip install 'ray[default]')")
def test_sweep_on_a_local_ray_instance(tmp_path: Path, data: Path) -> None:
    table = run_sweep(grid(), data, None, sup.score_config, tmp_path / "out",
                      ray_address="local")
    assert table["status"].to_list().count("error") == 2
    assert table.filter(pl.col("status") == "ok")["score"].to_list() == [150.0, 225.0,
                                                                         200.0, 300.0]
