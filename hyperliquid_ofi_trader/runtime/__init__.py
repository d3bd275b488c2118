"""Composition root: builds the engine and its stages from the config for each run mode,
and runs them (replay, live, paper).
"""

from hyperliquid_ofi_trader.runtime.assembly import build_engine
from hyperliquid_ofi_trader.runtime.execution_stack import build_execution
from hyperliquid_ofi_trader.runtime.live import (
    LiveRunError,
    LiveRunner,
    RunOptions,
)
from hyperliquid_ofi_trader.runtime.registry import RunRegistry
from hyperliquid_ofi_trader.runtime.replay import ReplayResult
from hyperliquid_ofi_trader.runtime.status import StatusError, read_status

__all__ = [
    "LiveRunError",
    "LiveRunner",
    "ReplayResult",
    "RunOptions",
    "RunRegistry",
    "StatusError",
    "build_engine",
    "build_execution",
    "read_status",
]
