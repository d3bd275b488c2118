"""Backtests: the replay runner over the simulated venue, its gateway and event queue,
reports and parameter sweeps.
"""

from hyperliquid_ofi_trader.backtest.event_queue import EventQueue
from hyperliquid_ofi_trader.backtest.gateway_simulated import SimulatedGateway
from hyperliquid_ofi_trader.backtest.report import ReportSummary, run_figures
from hyperliquid_ofi_trader.backtest.runner import (
    BacktestError,
    BacktestResult,
    BacktestSettings,
    run_backtest,
)
from hyperliquid_ofi_trader.backtest.sweep import SweepError, run_sweep

__all__ = [
    "BacktestError",
    "BacktestResult",
    "BacktestSettings",
    "EventQueue",
    "ReportSummary",
    "SimulatedGateway",
    "SweepError",
    "run_backtest",
    "run_figures",
    "run_sweep",
]
