"""`hlofi sim record`: write a SYNTHETIC recording of a named scenario, offline, in seconds.

The output folder reads like any recording (`hlofi backtest --data DIR`, `replay`,
`research`); its `recording.json` says it is synthetic, with the scenario and seed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hyperliquid_ofi_trader.data.recording import RecordingError
from hyperliquid_ofi_trader.sim.scenarios import DEFAULT_SCENARIO, SCENARIOS
from hyperliquid_ofi_trader.sim.synthetic import SyntheticConfigError
from hyperliquid_ofi_trader.sim.synthetic_recording import (
    SyntheticRecordingError,
    record_scenario,
)

sim_app = typer.Typer(help="The synthetic market: write recordings of named scenarios.",
                      no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(sim_app, name="sim")


@sim_app.command("record")
def record(
    out: Annotated[Path, typer.Option("--out", help="Output folder (new or empty).",
                                      file_okay=False)],
    scenario: Annotated[str, typer.Option(
        help=f"Scenario: {', '.join(f'{n} ({s.summary})' for n, s in SCENARIOS.items())}.")]
    = DEFAULT_SCENARIO,
    seed: Annotated[int, typer.Option(help="Seed of the market (same seed, same data).",
                                      min=0)] = 1,
    duration: Annotated[float, typer.Option(help="Seconds of market to write.", min=0.001)]
    = 900.0,
) -> None:
    """Write a SYNTHETIC recording (not market data) of a scenario, as fast as it computes."""
    try:
        info = record_scenario(scenario, seed, duration, out)
    except (SyntheticConfigError, SyntheticRecordingError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    except (RecordingError, OSError) as exc:
        typer.echo(f"error: cannot write {out}: {exc}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"{info.label}: {info.duration_s:g} s, {info.blocks:,} blocks, "
               f"{info.frames:,} frames -> {info.out_dir}")
