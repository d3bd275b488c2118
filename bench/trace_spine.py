"""The spine of one l2Book frame that becomes an order: which files and calls it crosses.

Runs the `bench/bench_event_to_wire.py` harness (the whole live pipeline: engine, strategy,
router, risk gate, order manager, the real Hyperliquid gateway and post channel; only the
codec and the socket are left out) with a call tracer (`sys.setprofile`) armed while the
engine handles a `BookSnapshot`. The first snapshot whose handling encodes a signed order
frame (an `order` or `batchModify` action) is the one reported:

- the spine: the call stack, from `Engine.on_event` down to the post channel encoding the
  signed frame, package code only (bench code and libraries left out);
- the files on the spine, with how many of its calls each holds;
- the breadth: every package function called while that event was handled up to the frame
  (files and packages touched, not only the ones on the spine).

Issue 15's target is a spine of at most 6 files.

The harness runs the packaged defaults, which rightly stand aside on a short synthetic
market (their expected edge does not beat the full cost). The trace is about the plumbing,
not the economics, so it prices orders as `tests/plumbing.py` does (cheapest fee tier, no
safety margins): the code path an order takes is the same.

Run: .venv/bin/python bench/trace_spine.py [--minutes 2] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from types import CodeType, FrameType, ModuleType
from typing import Any

import msgspec
import orjson

import hyperliquid_ofi_trader
from hyperliquid_ofi_trader.config.loader import deep_merge
from hyperliquid_ofi_trader.config.models import AppConfig
from hyperliquid_ofi_trader.core.engine import Engine
from hyperliquid_ofi_trader.core.events import AnyEvent, BookSnapshot

_PACKAGE_DIR = Path(hyperliquid_ofi_trader.__file__).resolve().parent
_HARNESS = Path(__file__).resolve().parent / "bench_event_to_wire.py"
# As tests/plumbing.py EAGER_COSTS (bench/ cannot import tests/): orders flow.
_EAGER_THRESHOLDS: dict[str, Any] = {
    "costs": {"fee_tier": 6, "maker_rebate_tier": 3, "adverse_prior_bps": 0.0,
              "expected_slippage_bps": 0.0, "min_margin_bps": 0.0, "uncertainty_k": 0.0},
    "forecast": {"min_evidence": 0.0},
}


class Call(msgspec.Struct, frozen=True):
    file: str  # relative to the package directory
    function: str
    line: int


class SpineReport(msgspec.Struct, frozen=True, kw_only=True):
    spine: tuple[Call, ...]
    spine_files: dict[str, int]  # file -> calls of the spine in it, in spine order
    touched_functions: int
    touched_files: tuple[str, ...]
    touched_packages: tuple[str, ...]


def _load_harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_event_to_wire", _HARNESS)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the harness {_HARNESS}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its msgspec/dataclass types resolve their module
    spec.loader.exec_module(module)
    setattr(module, "build_config", _eager(module.build_config))  # noqa: B010
    return module


def _eager(build: Callable[..., AppConfig]) -> Callable[..., AppConfig]:
    def build_eager(overrides: Mapping[str, Mapping[str, Any]], *args: Any) -> AppConfig:
        merged = {**overrides, "thresholds.yaml": deep_merge(
            dict(overrides.get("thresholds.yaml", {})), _EAGER_THRESHOLDS)}
        return build(merged, *args)
    return build_eager


def _package_file(code: CodeType) -> str | None:
    path = Path(code.co_filename)
    if not path.is_absolute():
        return None
    try:
        return str(path.resolve().relative_to(_PACKAGE_DIR))
    except ValueError:
        return None


class SpineTracer:
    """Arms `sys.setprofile` around the engine's handling of book snapshots and keeps the
    first one that encodes a signed order frame."""

    def __init__(self, frame_encoder: CodeType, placing: frozenset[str]) -> None:
        self._encoder = frame_encoder  # PostChannel.try_prepare: the signed frame exists
        self._placing = placing
        self._touched: set[tuple[str, str]] = set()
        self.report: SpineReport | None = None

    def wrap(self, on_event: Callable[[Engine, AnyEvent], None]
             ) -> Callable[[Engine, AnyEvent], None]:
        def traced(engine: Engine, event: AnyEvent) -> None:
            if self.report is not None or type(event) is not BookSnapshot:
                on_event(engine, event)
                return
            self._touched = set()
            sys.setprofile(self._profile)
            try:
                on_event(engine, event)
            finally:
                sys.setprofile(None)
        return traced

    def _profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            rel = _package_file(frame.f_code)
            if rel is not None:
                self._touched.add((rel, frame.f_code.co_qualname))
        elif (event == "return" and frame.f_code is self._encoder and arg is not None
              and self.report is None and self._is_order(frame)):
            self.report = self._build(frame)
            sys.setprofile(None)

    def _is_order(self, frame: FrameType) -> bool:
        payload = frame.f_locals.get("payload")
        try:
            return bool(payload["action"]["type"] in self._placing)  # type: ignore[index]
        except (KeyError, TypeError):
            return False

    def _build(self, frame: FrameType) -> SpineReport:
        spine: list[Call] = []
        cursor: FrameType | None = frame
        while cursor is not None:
            rel = _package_file(cursor.f_code)
            if rel is not None:
                spine.append(Call(rel, cursor.f_code.co_qualname, cursor.f_lineno))
            if rel is not None and cursor.f_code is Engine.on_event.__code__:
                break
            cursor = cursor.f_back
        spine.reverse()
        files = Counter(c.file for c in spine)
        ordered = {c.file: files[c.file] for c in spine}
        touched_files = sorted({f for f, _ in self._touched})
        packages = sorted({f.split("/")[0] if "/" in f else "(top)" for f in touched_files})
        return SpineReport(spine=tuple(spine), spine_files=ordered,
                           touched_functions=len(self._touched),
                           touched_files=tuple(touched_files),
                           touched_packages=tuple(packages))


def trace(minutes: float) -> SpineReport | None:
    harness = _load_harness()
    tracer = SpineTracer(harness.PostChannel.try_prepare.__code__, harness._PLACING)
    original = Engine.on_event
    setattr(Engine, "on_event", tracer.wrap(original))  # noqa: B010 (a typed patch)
    try:
        asyncio.run(harness.run(minutes))
    finally:
        setattr(Engine, "on_event", original)  # noqa: B010
    return tracer.report


def _print(report: SpineReport) -> None:
    print(f"spine: {len(report.spine)} calls through {len(report.spine_files)} files "
          "(Engine.on_event -> signed order frame, package code only)")
    for depth, call in enumerate(report.spine):
        print(f"  {depth:2d} {call.file}:{call.line} {call.function}")
    print("files on the spine (calls):")
    for file, n in report.spine_files.items():
        print(f"  {n:2d} {file}")
    print(f"touched while handling the event: {report.touched_functions} functions in "
          f"{len(report.touched_files)} files, {len(report.touched_packages)} packages "
          f"({', '.join(report.touched_packages)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=2.0,
                    help="simulated market minutes to search for an ordering snapshot")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    args = ap.parse_args()
    report = trace(args.minutes)
    if report is None:
        raise SystemExit(f"no l2Book snapshot led to a signed order in {args.minutes:g} "
                         "simulated minutes; try more --minutes")
    if args.json:
        print(orjson.dumps(msgspec.to_builtins(report), option=orjson.OPT_INDENT_2).decode())
    else:
        _print(report)


if __name__ == "__main__":
    main()
