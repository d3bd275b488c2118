"""`hlofi sweep` through typer's CliRunner, with an injected run_one (--run-one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.cli import sweep as sweep_cli

RUN_ONE = "tests.unit.sweep_support:score_config"


@pytest.fixture
def app() -> typer.Typer:
    a = typer.Typer()
    sweep_cli.register(a)
    a.command("noop")(lambda: None)  # two commands: typer keeps the command name
    return a


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    grid = tmp_path / "grid.yaml"
    grid.write_text("params:\n  thresholds.router.ofi_high: [1.5, 2.5]\n", encoding="utf-8")
    data = tmp_path / "data.bin"
    data.write_bytes(b"abc")
    return grid, data


def run(app: typer.Typer, *args: str) -> Any:
    return CliRunner().invoke(app, ["sweep", *args])


def test_sweep_writes_table_and_reports_failures(app: typer.Typer, tmp_path: Path,
                                                 files: tuple[Path, Path]) -> None:
    grid, data = files
    out = tmp_path / "out"
    result = run(app, "--grid", str(grid), "--data", str(data), "--workers", "2",
                 "--out", str(out), "--run-one", RUN_ONE)
    assert result.exit_code == sweep_cli.EXIT_SOME_FAILED, result.output
    assert "1 ok, 1 failed" in result.output
    assert "refusing ofi_high=2.5" in result.output
    table = pl.read_parquet(out / "sweep.parquet")
    assert table["status"].to_list() == ["ok", "error"]
    # A second sweep into the same folder must not overwrite it silently.
    again = run(app, "--grid", str(grid), "--data", str(data), "--out", str(out),
                "--run-one", RUN_ONE)
    assert again.exit_code == 1
    assert "--force" in again.output


def test_all_ok_exits_zero(app: typer.Typer, tmp_path: Path,
                           files: tuple[Path, Path]) -> None:
    grid, data = files
    grid.write_text("thresholds.router.ofi_high: [1.5, 3.0]\n", encoding="utf-8")
    result = run(app, "--grid", str(grid), "--data", str(data), "--workers", "1",
                 "--out", str(tmp_path / "o"), "--run-one", RUN_ONE)
    assert result.exit_code == 0, result.output
    assert "2 ok, 0 failed" in result.output


@pytest.mark.parametrize(("grid_text", "extra", "message"), [
    ("params:\n  thresholds.router.ofi_hgh: [1.0]\n", (), "grid key "
     "thresholds.router.ofi_hgh = 1.0"),
    ("params:\n  thresholds.router.ofi_high: [1.0]\n", ("--run-one", "nomodule_xyz:f"),
     "--run-one nomodule_xyz:f"),
    ("params:\n  thresholds.router.ofi_high: [1.0]\n", ("--run-one", "justaname"),
     "MODULE:FUNCTION"),
])
def test_user_errors(app: typer.Typer, tmp_path: Path, files: tuple[Path, Path],
                     grid_text: str, extra: tuple[str, ...], message: str) -> None:
    grid, data = files
    grid.write_text(grid_text, encoding="utf-8")
    result = run(app, "--grid", str(grid), "--data", str(data), "--out",
                 str(tmp_path / "o"), *extra)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()  # nothing ran


def test_missing_inputs(app: typer.Typer, tmp_path: Path, files: tuple[Path, Path]) -> None:
    grid, data = files
    result = run(app, "--grid", str(tmp_path / "nope.yaml"), "--data", str(data))
    assert result.exit_code == 1
    assert "no such grid file" in result.output
    result = run(app, "--grid", str(grid), "--data", str(tmp_path / "nodata"))
    assert result.exit_code == 1
    assert "no such data" in result.output


def test_a_grid_over_a_seed_only_key_is_warned_about(app: typer.Typer, tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("params:\n  thresholds.router.ofi_mid: [0.5, 1.0]\n"
                    "  thresholds.router.ofi_high: [2.0, 3.0]\n")
    result = run(app, "--grid", str(grid), "--data", str(tmp_path / "nodata"))
    assert result.exit_code == 1  # no data: stops before any run, after the warning
    (line,) = [x for x in result.output.splitlines() if x.startswith("warning:")]
    assert line.startswith("warning: thresholds.router.ofi_mid has no effect on the strategy")
