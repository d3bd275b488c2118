"""`hlofi research oracle`: the clairvoyant bound of a recording (`research/oracle.py`).

Kept apart from `cli/research.py` (one command per concern); it registers on the same
`research` command group.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from hyperliquid_ofi_trader.cli.fee_options import (
    DEFAULT_FEE_TIER,
    FeeTierOption,
    MakerFeeOption,
    TakerFeeOption,
    resolve_fees,
)
from hyperliquid_ofi_trader.cli.research import research_app
from hyperliquid_ofi_trader.config import ConfigError, load_config
from hyperliquid_ofi_trader.data.replay_sources import ReplaySourceError
from hyperliquid_ofi_trader.data.synthetic_meta import synthetic_label
from hyperliquid_ofi_trader.research.oracle import OracleSettings, oracle
from hyperliquid_ofi_trader.research.series import ResearchError
from hyperliquid_ofi_trader.sim.latency import DEFAULT_ENTRY, Constant, Distribution

_HELP = ("The clairvoyant bound: what a trader reacting to the lead coin, with our latency "
         "and knowing the traded coin's future touch path, could net per round trip after "
         "fees (taker and maker variants). See research/oracle.py for the exact definition.")


def register(app: typer.Typer) -> None:
    """Registered through `research_app` (imported above); nothing to add to `app`."""


@research_app.command("oracle", help=_HELP)
def oracle_cmd(
    data: Annotated[Path, typer.Option("--data", help="A recording file or directory.")],
    coin: Annotated[str, typer.Option(help="The traded (lagging) coin.")] = "ETH",
    lead: Annotated[str | None, typer.Option(
        help="The lead coin (default: the lead of coin's symbols.yaml lead_lag pair).")] = None,
    latency_ms: Annotated[float | None, typer.Option(
        "--latency-ms", help="Constant entry latency (our order -> venue) in ms. Default: "
        f"the backtest's ({DEFAULT_ENTRY.describe()}); the feed delay is the recording's "
        "own receive time, as in the backtest.", min=0.0)] = None,
    horizon_ms: Annotated[float, typer.Option(
        "--horizon-ms", help="Longest holding time of a round trip (ms).", min=1.0)] = 5000.0,
    fee_tier: FeeTierOption = DEFAULT_FEE_TIER,
    taker_fee_bps: TakerFeeOption = None,
    maker_fee_bps: MakerFeeOption = None,
    seed: Annotated[int, typer.Option(help="Seed of the latency draws.", min=0)] = 0,
    config_dir: Annotated[Path | None, typer.Option(
        "--config", help="User config folder (order notional = risk max_order_usd, lead "
        "window = the window_ms of coin's lead_lag pair).", file_okay=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    try:
        cfg = load_config(config_dir)
        entry: Distribution = DEFAULT_ENTRY if latency_ms is None else Constant(latency_ms)
        pair = cfg.symbols.pair_of(coin)
        if pair is None:
            raise ValueError("symbols.yaml lead_lag lists no pair: the oracle needs one")
        taker_fee, maker_fee = resolve_fees(fee_tier, taker_fee_bps, maker_fee_bps)
        settings = OracleSettings(
            coin=coin, lead=lead or pair.lead, horizon_ms=horizon_ms,
            window_ms=float(pair.window_ms), notional_usd=cfg.risk.limits.max_order_usd,
            taker_fee=taker_fee, maker_fee=maker_fee, entry=entry, seed=seed)
        result = oracle(data, settings)
    except ConfigError as exc:
        typer.echo(f"error: invalid configuration:\n{exc}", err=True)
        raise typer.Exit(code=1) from None
    except (ReplaySourceError, ResearchError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None
    label = synthetic_label(data)
    result["data"] = label or "recorded market data"
    if as_json:
        typer.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    else:
        _print(result, data)


def _print(result: dict[str, Any], data: Path) -> None:
    s = result["settings"]
    table = Table(title=f"clairvoyant bound, {s['coin']} led by {s['lead']}: {data}",
                  title_justify="left")
    for col in ("", "trades", "per hour", "gross USD", "fees USD", "net USD", "net bps/trip",
                "trips >= 3 bps"):
        table.add_column(col, justify="left" if not col else "right")
    for name in ("taker", "maker"):
        b = result[name]
        table.add_row(name, str(b["trades"]), _f(b["trades_per_hour"], 1),
                      _f(b["gross_usd"], 2), _f(b["fees_usd"], 2), _f(b["net_usd"], 2),
                      _f(b["net_bps"], 2), str(b["trades_net_ge_3bps"]))
    console = Console()
    console.print(f"[bold]{result['data']}[/bold]")
    console.print(table)
    o = result["opportunities"]
    console.print(f"round trips netting >= {o['min_net_bps']:g} bps: "
                  f"{o['taker_per_hour']:,.1f}/h taker, {o['maker_per_hour']:,.1f}/h maker")
    console.print(f"{result['decisions']:,} lead decisions over {result['hours']:.3f} h; "
                  f"order {s['notional_usd']:g} USD, horizon {s['horizon_ms']:g} ms, entry "
                  f"latency {s['entry_latency']}, fees {s['taker_fee_bps']:g}/"
                  f"{s['maker_fee_bps']:g} bps taker/maker")


def _f(x: float, digits: int) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:,.{digits}f}"
