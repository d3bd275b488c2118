"""Parameter grids for sweeps: `grid.yaml` -> validated config override sets.

Format::

    base: ../configs/eth_tuned        # optional: a user config folder (relative to this file)
    params:                           # dotted config key -> list of values to try
      thresholds.router.ofi_high: [1.5, 2.0, 2.5]
      risk.limits.max_order_usd: [100, 200]

The first part of a key names the config file (`symbols`, `thresholds`, `risk`); the
rest is the key inside it. Dotted keys may also sit at the top level next to `base`.
The grid is the cartesian product, in the order the keys are written (the last key
varies fastest), so point numbers are stable for a given file.

Every point is validated with the real config loader before any work starts: a typo'd
key, a value of the wrong type or a combination the config rules forbid (ofi_mid above
ofi_high) fails the whole grid at once, naming the grid key and the value.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from hyperliquid_ofi_trader.config.errors import (
    SECTION_FILES,
    ConfigError,
    ConfigIssue,
    render_value,
)
from hyperliquid_ofi_trader.config.loader import (
    build_config,
    deep_merge,
    read_user_dir,
    read_yaml_mapping,
)
from hyperliquid_ofi_trader.errors import OurBugError

MAX_POINTS: Final = 10_000  # a typo like 1000 values per key must not start a week of runs
MAX_PROBLEMS: Final = 20  # lines of a grid error: the first ones are enough to fix the file
_RESERVED: Final = ("base", "params")

Overrides = dict[str, dict[str, Any]]  # config file name -> nested mapping (build_config)


class GridError(OurBugError):
    """The grid file is wrong (the user's input is at fault); the message lists why."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        lines = problems[:MAX_PROBLEMS]
        more = len(problems) - len(lines)
        text = lines[0] if len(lines) == 1 else "\n".join(["grid errors:", *lines])
        super().__init__(text + (f"\n  ... and {more} more" if more > 0 else ""))


@dataclass(frozen=True, slots=True)
class GridPoint:
    """One configuration of the grid: the swept values and the full override set."""

    index: int
    params: Mapping[str, Any]  # dotted key -> value, in grid key order
    overrides: Overrides  # base folder's files deep-merged with this point's values

    def label(self) -> str:
        return ", ".join(f"{k}={render_value(v)}" for k, v in self.params.items())


@dataclass(frozen=True, slots=True)
class Grid:
    keys: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    base_dir: Path | None = None
    base_overrides: Overrides = field(default_factory=dict)

    def __len__(self) -> int:
        return math.prod(len(v) for v in self.values) if self.keys else 0

    def points(self) -> Iterator[GridPoint]:
        for index, combo in enumerate(itertools.product(*self.values)):
            params = dict(zip(self.keys, combo, strict=True))
            yield GridPoint(index, params, point_overrides(self.base_overrides, params))


def point_overrides(base: Overrides, params: Mapping[str, Any]) -> Overrides:
    """`base` with each dotted `params` key set (deep-merged, so siblings are kept)."""
    merged: Overrides = {name: dict(body) for name, body in base.items()}
    for key, value in params.items():
        section, *path = key.split(".")
        nested: Any = value
        for part in reversed(path):
            nested = {part: nested}
        file = SECTION_FILES[section]
        merged[file] = deep_merge(merged.get(file, {}), nested)
    return merged


# ---------------------------------------------------------------- loading


def load_grid(path: Path) -> Grid:
    """Read and fully validate a grid file."""
    try:
        doc = read_yaml_mapping(path)
    except ConfigError as exc:
        raise GridError([str(i) for i in exc.issues]) from None
    grid = grid_from_mapping(doc, origin=path.parent)
    validate_grid(grid)
    return grid


def grid_from_mapping(doc: Mapping[str, Any], origin: Path | None = None) -> Grid:
    """Structure only (keys, lists, base folder); `validate_grid` checks the values."""
    problems: list[str] = []
    params = _params(doc, problems)
    base_dir, base = _base(doc.get("base"), origin, problems)
    keys: list[str] = []
    values: list[tuple[Any, ...]] = []
    for key, vals in params.items():
        problem = _key_problem(key) or _values_problem(vals)
        if problem:
            problems.append(f"grid key {key}: {problem}")
            continue
        keys.append(key)
        values.append(tuple(vals))
    if not params and not problems:
        problems.append("the grid has no parameters (add `params:` with dotted config keys)")
    if problems:
        raise GridError(problems)
    grid = Grid(tuple(keys), tuple(values), base_dir, base)
    if len(grid) > MAX_POINTS:
        raise GridError([f"the grid has {len(grid)} points, more than {MAX_POINTS}: "
                         "sweep fewer values or split the grid"])
    return grid


def _params(doc: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    nested = doc.get("params", {})
    if not isinstance(nested, Mapping):
        problems.append("params: must be a mapping of dotted config keys to lists of values")
        nested = {}
    for key, value in [*nested.items(), *((k, v) for k, v in doc.items()
                                          if k not in _RESERVED)]:
        if not isinstance(key, str) or "." not in key:
            problems.append(f"unknown grid key {key!r} (allowed: base, params, or dotted "
                            "config keys such as thresholds.router.ofi_high)")
        elif key in params:
            problems.append(f"grid key {key}: given twice")
        else:
            params[key] = value
    return params


def _base(value: object, origin: Path | None,
          problems: list[str]) -> tuple[Path | None, Overrides]:
    if value is None:
        return None, {}
    if not isinstance(value, str) or not value:
        problems.append("base: must be the path of a config folder")
        return None, {}
    base = Path(value).expanduser()
    if not base.is_absolute() and origin is not None:
        base = origin / base
    try:
        return base, read_user_dir(base)
    except ConfigError as exc:
        problems += [f"base: {issue}" for issue in exc.issues]
        return None, {}


def _key_problem(key: str) -> str | None:
    section, _, rest = key.partition(".")
    if section not in SECTION_FILES:
        return f"must start with a config file name ({', '.join(SECTION_FILES)})"
    if not rest or any(not part for part in rest.split(".")):
        return "must name a key inside the file, e.g. thresholds.router.ofi_high"
    return None


def _values_problem(values: object) -> str | None:
    if not isinstance(values, list) or not values:
        return "must be a non-empty list of values, e.g. [1.5, 2.0]"
    if len({render_value(v) for v in values}) != len(values):
        return "lists the same value twice"
    return None


# ---------------------------------------------------------------- validation


def validate_grid(grid: Grid) -> None:
    """Validate every point with the config loader; one GridError listing every problem
    (a problem shared by many points is listed once, with the first point and a count)."""
    first: dict[str, str] = {}
    count: dict[str, int] = {}
    for point in grid.points():
        try:
            build_config(point.overrides, source_dir=grid.base_dir)
        except ConfigError as exc:
            for issue in exc.issues:
                text, named = _describe(issue, point, len(grid))
                # A bad grid value is one problem; a problem outside the swept keys (the
                # base folder) recurs in every point and is one problem too.
                key = text if named else str(issue)
                first.setdefault(key, text)
                count[key] = count.get(key, 0) + 1
        if len(first) >= MAX_PROBLEMS:
            break
    if first:
        raise GridError([text + (f" (and {count[k] - 1} more points)" if count[k] > 1 else "")
                         for k, text in first.items()])


def _describe(issue: ConfigIssue, point: GridPoint, total: int) -> tuple[str, bool]:
    """Name the grid key behind a config issue (True), or the whole point when none
    matches (False)."""
    section = issue.file.removesuffix(".yaml")
    where = f"{section}.{issue.key}" if issue.key else section
    for key, value in point.params.items():
        if where == key or where.startswith(key + ".") or key.startswith(where + "."):
            return f"grid key {key} = {render_value(value)}: {issue}", True
    return f"grid point {point.index + 1} of {total} ({point.label()}): {issue}", False
