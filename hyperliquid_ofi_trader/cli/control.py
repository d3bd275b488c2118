"""`hlofi kill` and `hlofi resume`: operator commands to a running system.

They write the next command to `<run-dir>/control.json` atomically (see risk/control.py);
the running system polls that file every 200 ms, so a kill halts it (orders cancelled)
within a second. `resume` clears the kill switch and leaves the halted state.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from hyperliquid_ofi_trader.risk.control import (
    CONTROL_FILE,
    POLL_INTERVAL_MS,
    ControlError,
    write_command,
)

_DEFAULT_RUN_DIR = Path("runs")

RunDirOption = Annotated[Path, typer.Option(
    "--run-dir", help="Run directory of the running system (where its control.json lives).",
    file_okay=False)]
ReasonOption = Annotated[str, typer.Option(
    "--reason", help="Why: stored with the command and in the journal's state change.")]


def register(app: typer.Typer) -> None:
    app.command("kill")(kill)
    app.command("resume")(resume)


def kill(run_dir: RunDirOption = _DEFAULT_RUN_DIR,
         reason: ReasonOption = "operator kill") -> None:
    """Halt a running system now: cancel all its orders and stop trading until resume."""
    _send("kill", run_dir, reason)


def resume(run_dir: RunDirOption = _DEFAULT_RUN_DIR,
           reason: ReasonOption = "operator resume") -> None:
    """Let a halted system trade again (clears the kill switch; positions are kept)."""
    _send("resume", run_dir, reason)


def _send(command: str, run_dir: Path, reason: str) -> None:
    try:
        record = write_command(run_dir, command, reason, time.time_ns())
    except ControlError as exc:
        _fail(str(exc))
    typer.echo(f"{command} #{record.seq} written to {run_dir / CONTROL_FILE}; the running "
               f"system acts on it within {POLL_INTERVAL_MS} ms of its next poll.")


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)
