"""Entry point: the `hlofi` console command.

Each command group lives in its own module under `cli/` and exposes
`register(app)`; this file only assembles them, so adding a command never
touches another command's code.
"""

from __future__ import annotations

import enum
import shutil
import sys
from typing import Annotated

import typer

from hyperliquid_ofi_trader.utils.logger import setup_logging

app = typer.Typer(
    name="hlofi",
    help="Order-flow-imbalance trading system for Hyperliquid perpetuals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold keys: never print them
)


class LogLevel(enum.StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class LogFormatChoice(enum.StrEnum):
    CONSOLE = "console"
    JSON = "json"


@app.callback()
def _logging(
    log_level: Annotated[LogLevel, typer.Option(
        envvar="HLOFI_LOG_LEVEL", case_sensitive=False,
        help="Log records at or above this level go to stderr.")] = LogLevel.INFO,
    log_format: Annotated[LogFormatChoice, typer.Option(
        envvar="HLOFI_LOG_FORMAT",
        help="console (for people) or json (one object per line, for machines).",
    )] = LogFormatChoice.CONSOLE,
) -> None:
    """Order-flow-imbalance trading system for Hyperliquid perpetuals."""
    # Without a handler, Python only prints WARNING and above (its last-resort handler):
    # a run's INFO records (state changes, carried-over PnL, reconciliations) were lost.
    setup_logging(log_level.value, log_format.value)


# Operator commands used in a hurry (`hlofi kill` while a run misbehaves) load only their
# own module: importing every command (plots, polars, the emulator) costs over a second.
_LIGHT_COMMANDS = {"kill": "control", "resume": "control", "status": "status"}


def _register_commands(argv: list[str] | None = None) -> None:
    # Imported here so that `import hyperliquid_ofi_trader.main` stays cheap for tests.
    from hyperliquid_ofi_trader.cli import registry

    args = sys.argv[1:] if argv is None else argv
    light = _LIGHT_COMMANDS.get(args[0]) if args else None
    if light is not None:
        # The group callback (logging) is registered above, so a lone command stays a
        # sub-command (`hlofi status`, not `hlofi`).
        registry.register_one(app, light)
    else:
        registry.register_all(app)
    _short_helps(app)


def _short_helps(app: typer.Typer) -> None:
    """The command list shows each command's first sentence on its own: docstrings are
    wrapped for the source, and typer would keep their line breaks in an 80-column list."""
    for info in app.registered_commands:
        doc = info.help or (info.callback.__doc__ if info.callback is not None else None)
        if info.short_help is None and doc:
            first = " ".join(doc.split("\n\n", 1)[0].split())
            info.short_help = first.split(". ", 1)[0].rstrip(".") + "."


# Below this many columns, help is plain two-column text: rich's option tables give the
# help text a third of an 80-column terminal.
_RICH_HELP_COLUMNS = 100


def main() -> None:
    _register_commands()
    if shutil.get_terminal_size().columns < _RICH_HELP_COLUMNS:
        app.rich_markup_mode = None
    app()


if __name__ == "__main__":
    main()
