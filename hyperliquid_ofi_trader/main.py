"""Entry point: the `hlofi` console command.

Each command group lives in its own module under `cli/` and exposes
`register(app)`; this file only assembles them, so adding a command never
touches another command's code.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="hlofi",
    help="Order-flow-imbalance trading system for Hyperliquid perpetuals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold keys: never print them
)


def _register_commands() -> None:
    # Imported here so that `import hyperliquid_ofi_trader.main` stays cheap for tests.
    from hyperliquid_ofi_trader.cli import registry

    registry.register_all(app)


def main() -> None:
    _register_commands()
    app()


if __name__ == "__main__":
    main()
