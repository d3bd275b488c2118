"""grid.yaml: expansion order, override sets, and validation errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperliquid_ofi_trader.backtest.grid import (
    Grid,
    GridError,
    grid_from_mapping,
    load_grid,
    point_overrides,
    validate_grid,
)
from hyperliquid_ofi_trader.config.loader import build_config


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_cartesian_product_in_written_order(tmp_path: Path) -> None:
    grid = load_grid(write(tmp_path / "grid.yaml", """
params:
  thresholds.router.ofi_high: [1.5, 2.0, 2.5]
  risk.limits.max_order_usd: [100, 150]
"""))
    points = list(grid.points())
    assert len(grid) == len(points) == 6
    assert [p.index for p in points] == list(range(6))
    assert [tuple(p.params.values()) for p in points] == [
        (1.5, 100), (1.5, 150), (2.0, 100), (2.0, 150), (2.5, 100), (2.5, 150)]
    cfg = build_config(points[3].overrides)
    assert cfg.thresholds.router.ofi_high == 2.0
    assert cfg.risk.limits.max_order_usd == 150
    assert cfg.thresholds.router.ofi_mid == 0.5  # siblings keep their defaults
    assert points[3].label() == "thresholds.router.ofi_high=2.0, risk.limits.max_order_usd=150"


def test_top_level_dotted_keys_and_base_folder(tmp_path: Path) -> None:
    base = tmp_path / "cfg"
    base.mkdir()
    write(base / "thresholds.yaml", "router:\n  ofi_mid: 0.8\n  requote_ticks: 5\n")
    grid = load_grid(write(tmp_path / "grid.yaml", """
base: cfg
thresholds.router.ofi_high: [1.0, 3.0]
"""))
    assert grid.base_dir == base
    cfg = build_config(next(grid.points()).overrides)
    assert (cfg.thresholds.router.ofi_high, cfg.thresholds.router.ofi_mid,
            cfg.thresholds.router.requote_ticks) == (1.0, 0.8, 5)


def test_point_overrides_merge_nested_keys() -> None:
    base = {"risk.yaml": {"limits": {"max_order_usd": 50.0, "max_leverage": 2.0}}}
    merged = point_overrides(base, {"risk.limits.max_order_usd": 80.0,
                                    "risk.kill_switch.daily_loss_usd": 10.0})
    assert merged == {"risk.yaml": {"limits": {"max_order_usd": 80.0, "max_leverage": 2.0},
                                    "kill_switch": {"daily_loss_usd": 10.0}}}
    assert base["risk.yaml"]["limits"]["max_order_usd"] == 50.0  # not mutated


@pytest.mark.parametrize(("params", "expected"), [
    ({"thresholds.router.ofi_hi": [1.0]}, "grid key thresholds.router.ofi_hi = 1.0: "
     "thresholds.yaml: router.ofi_hi = 1.0: unknown key"),
    ({"thresholds.router.ofi_high": [2.0, -1.0]}, "grid key thresholds.router.ofi_high = "
     "-1.0: thresholds.yaml: router.ofi_high = -1.0: must be > 0"),
    ({"risk.limits.max_order_usd": ["lots"]}, "grid key risk.limits.max_order_usd = lots"),
    # A combination the config rules forbid: only the point (0.4, 0.6) is bad.
    ({"thresholds.router.ofi_high": [0.4, 3.0], "thresholds.router.ofi_mid": [0.3, 0.6]},
     "grid key thresholds.router.ofi_high = 0.4: thresholds.yaml: router.ofi_high = 0.4"),
])
def test_bad_values_fail_before_work_naming_the_key(params: dict[str, list[object]],
                                                    expected: str) -> None:
    grid = grid_from_mapping({"params": params})
    with pytest.raises(GridError) as info:
        validate_grid(grid)
    assert expected in str(info.value)
    assert len(info.value.problems) == 1


@pytest.mark.parametrize(("doc", "expected"), [
    ({"params": {"router.ofi_high": [1.0]}}, "grid key router.ofi_high: must start with a "
     "config file name"),
    ({"params": {"thresholds.router.ofi_high": 2.0}}, "must be a non-empty list"),
    ({"params": {"thresholds.router.ofi_high": []}}, "must be a non-empty list"),
    ({"params": {"thresholds.router.ofi_high": [1.0, 1.0]}}, "same value twice"),
    ({"params": {"thresholds..x": [1]}}, "must name a key inside the file"),
    ({"params": {}}, "the grid has no parameters"),
    ({"seeds": [1, 2]}, "unknown grid key 'seeds'"),
    ({"params": [1]}, "params: must be a mapping"),
    ({"base": "no/such/dir", "params": {"risk.limits.max_order_usd": [1.0]}},
     "base: no/such/dir: is not a directory"),
    ({"params": {"thresholds.router.ofi_high": [1.0]},
      "thresholds.router.ofi_high": [2.0]}, "given twice"),
])
def test_structural_errors(doc: dict[str, object], expected: str) -> None:
    with pytest.raises(GridError) as info:
        grid_from_mapping(doc)
    assert expected in str(info.value)


def test_every_problem_is_listed(tmp_path: Path) -> None:
    with pytest.raises(GridError) as info:
        load_grid(write(tmp_path / "g.yaml", "params:\n  a.b: [1]\n  thresholds.x.y: 1\n"))
    assert len(info.value.problems) == 2
    assert str(info.value).startswith("grid errors:")


def test_yaml_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(GridError, match=r"g\.yaml"):
        load_grid(write(tmp_path / "g.yaml", "params: [unclosed\n"))


def test_size_cap() -> None:
    big = {"params": {"risk.limits.max_order_usd": list(range(1, 201)),
                      "thresholds.router.ofi_high": [float(i) for i in range(1, 101)]}}
    with pytest.raises(GridError, match="20000 points"):
        grid_from_mapping(big)


def test_empty_grid_object_has_no_points() -> None:
    assert len(Grid((), ())) == 0
