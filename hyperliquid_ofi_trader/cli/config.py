"""`hlofi config check|show`: validate and print the effective configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hyperliquid_ofi_trader.config.errors import ConfigError
from hyperliquid_ofi_trader.config.inert import inert_settings
from hyperliquid_ofi_trader.config.loader import dump_yaml, load_config
from hyperliquid_ofi_trader.config.models import AppConfig, SymbolsConfig

config_app = typer.Typer(
    name="config",
    help="Validate and show the configuration (packaged defaults + an optional user folder).",
    no_args_is_help=True,
)

DirOption = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        help="User config folder (symbols.yaml, thresholds.yaml, risk.yaml; each optional, "
        "each overriding only the keys it sets). Default: the packaged defaults only.",
        file_okay=False,
        dir_okay=True,
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(config_app)


def _load_or_exit(user_dir: Path | None) -> AppConfig:
    try:
        return load_config(user_dir)
    except ConfigError as exc:
        # The user's mistake, not ours: the message alone, no traceback.
        typer.echo(f"invalid configuration: {exc}", err=True)
        raise typer.Exit(code=1) from None


@config_app.command("check")
def check(user_dir: DirOption = None) -> None:
    """Validate the configuration; print a short summary, or every error and exit 1."""
    typer.echo(summary(_load_or_exit(user_dir)))


@config_app.command("show")
def show(user_dir: DirOption = None) -> None:
    """Print the effective merged configuration as YAML (one document per file)."""
    config = _load_or_exit(user_dir)
    typer.echo(f"# effective configuration (source: {config.source_dir})")
    typer.echo(dump_yaml(config), nl=False)


def summary(config: AppConfig) -> str:
    """A few lines a user can eyeball before starting: what, where, how much."""
    sym, risk = config.symbols, config.risk
    limits = risk.limits
    network = "MAINNET (real money)" if config.is_mainnet else risk.network.value
    caps = ", ".join(f"{c} ${usd:,.0f}" for c, usd in limits.max_position_usd.items())
    lines = [
        f"configuration OK (source: {config.source_dir})",
        f"  network:   {network}",
        f"  coins:     {', '.join(sym.coins)}",
        f"  traded:    {', '.join(sym.traded)}",
        f"  lead-lag:  {_pairs_line(sym)}",
        f"  limits:    positions {caps}; total ${limits.max_total_notional_usd:,.0f}; "
        f"order ${limits.max_order_usd:,.0f}; leverage {limits.max_leverage:g}x",
        f"  kill:      daily loss ${risk.kill_switch.daily_loss_usd:,.0f}; "
        f"feed lag {risk.kill_switch.max_feed_lag_ms} ms",
        f"  journal:   {risk.journal.path}",
    ]
    # Valid, but changed where they cannot act: the user must not believe they do.
    lines.extend(f"  not used:  {line}" for line in inert_settings(config))
    return "\n".join(lines)


def _pairs_line(sym: SymbolsConfig) -> str:
    pairs = [f"{p.lead} -> {p.lag} within {p.window_ms} ms" for p in sym.lead_lag]
    return "; ".join(pairs) or "none"
