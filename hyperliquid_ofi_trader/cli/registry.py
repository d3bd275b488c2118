"""The list of command modules. One line per module; each exposes `register(app)`."""

from __future__ import annotations

import importlib

import typer

COMMAND_MODULES: tuple[str, ...] = (
    "run",
    "explain",
    "config",
    "record",
    "data",
    "replay",
    "research",
    "control",
    "status",
    "sim_exchange",
    "sim_record",
    "research_oracle",
    "report",
    "backtest",
    "sweep",
)


def register_all(app: typer.Typer) -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"hyperliquid_ofi_trader.cli.{name}").register(app)


def register_one(app: typer.Typer, name: str) -> None:
    importlib.import_module(f"hyperliquid_ofi_trader.cli.{name}").register(app)
