"""Module-level run_one functions for the sweep tests (picklable: spawn workers import
this module by name). Each computes something real from the config it is given."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hyperliquid_ofi_trader.backtest.grid import Overrides
from hyperliquid_ofi_trader.config.loader import build_config

FAIL_AT_OFI_HIGH = 2.5
CRASH_AT_OFI_HIGH = 3.0


def score_config(overrides: Overrides, data: Path, run_dir: Path) -> dict[str, Any]:
    """Rebuild the config, read the data file, leave a file in run_dir; fail on one value."""
    cfg = build_config(overrides)
    router = cfg.thresholds.router
    if router.ofi_high == FAIL_AT_OFI_HIGH:
        raise ValueError(f"refusing ofi_high={router.ofi_high}")
    (run_dir / "done.txt").write_text("ok", encoding="utf-8")
    return {"ofi_high_seen": router.ofi_high,
            "score": router.ofi_high * cfg.risk.limits.max_order_usd,
            "data_bytes": len(data.read_bytes()), "traded": list(cfg.symbols.traded)}


def crash_on_value(overrides: Overrides, data: Path, run_dir: Path) -> dict[str, Any]:
    """Kill the worker process outright at one value (as a segfault or OOM kill would)."""
    cfg = build_config(overrides)
    if cfg.thresholds.router.ofi_high == CRASH_AT_OFI_HIGH:
        os._exit(3)
    return {"ofi_high_seen": cfg.thresholds.router.ofi_high}


def returns_garbage(overrides: Overrides, data: Path, run_dir: Path) -> Any:
    return 42
