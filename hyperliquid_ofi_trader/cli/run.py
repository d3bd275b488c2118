"""`hlofi run`: the main job. The full live stack (WebSocket, signed orders over WS post,
reconciliation, risk, journal) against the built-in emulator by default, or against
Hyperliquid testnet / mainnet."""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.live import Live

from hyperliquid_ofi_trader.cli.sim_exchange import (
    SimExchangeError,
    SimExchangeOptions,
    build_relay_server,
    build_server,
)
from hyperliquid_ofi_trader.config import ConfigError, load_config
from hyperliquid_ofi_trader.config.models import AppConfig
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.execution.keys import (
    KeyLoadError,
    SecretKey,
    generate_throwaway_key,
    load_private_key,
)
from hyperliquid_ofi_trader.runtime.live import (
    LiveRunError,
    LiveRunner,
    RunOptions,
    VenueEndpoints,
)
from hyperliquid_ofi_trader.runtime.live_view import render
from hyperliquid_ofi_trader.runtime.paper import MarketRelay
from hyperliquid_ofi_trader.runtime.run_summary import build_summary, print_summary
from hyperliquid_ofi_trader.sim.scenarios import DEFAULT_SCENARIO, SCENARIOS
from hyperliquid_ofi_trader.sim.server import EmulatorServer

ENDPOINTS = {
    "testnet": ("https://api.hyperliquid-testnet.xyz", "wss://api.hyperliquid-testnet.xyz/ws"),
    "mainnet": ("https://api.hyperliquid.xyz", "wss://api.hyperliquid.xyz/ws"),
}


class Venue(enum.StrEnum):
    SIM = "sim"
    HYPERLIQUID = "hyperliquid"
    PAPER = "paper"  # the real feed relayed into the emulator: `hlofi paper`


class Network(enum.StrEnum):
    TESTNET = "testnet"
    MAINNET = "mainnet"


class RunAbortError(Exception):
    """A user-facing reason not to start."""


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("paper")(paper)


def run(
    venue: Annotated[Venue, typer.Option(
        help="sim: the built-in Hyperliquid emulator on loopback with a synthetic market "
        "(default, works offline); hyperliquid: the real venue.")] = Venue.SIM,
    network: Annotated[Network, typer.Option(
        help="Real-venue network. Mainnet also needs --confirm-mainnet.")] = Network.TESTNET,
    confirm_mainnet: Annotated[bool, typer.Option(
        "--confirm-mainnet", help="Required with --network mainnet: real money.")] = False,
    duration: Annotated[float, typer.Option(
        help="Seconds to run before cancelling everything and stopping.", min=1.0)] = 180.0,
    config_dir: Annotated[Path | None, typer.Option(
        "--config", help="User config folder overriding the packaged defaults.",
        file_okay=False)] = None,
    run_dir: Annotated[Path | None, typer.Option(
        help="Run folder (journal, control file). Default: runs/run-<time>.",
        file_okay=False)] = None,
    account: Annotated[str | None, typer.Option(
        help="Trading account address when an API wallet signs (queries and "
        "subscriptions use it). Default: the signing key's address.")] = None,
    keystore: Annotated[Path | None, typer.Option(
        help="Encrypted keystore file for the real venue (password in "
        "HLOFI_KEYSTORE_PASSWORD). Default: the key in HLOFI_PRIVATE_KEY.",
        dir_okay=False)] = None,
    seed: Annotated[int, typer.Option(help="Seed of the emulator's synthetic market.")] = 1,
    scenario: Annotated[str, typer.Option(
        help=f"The emulator's SYNTHETIC market scenario: {', '.join(SCENARIOS)} "
        "(sim/scenarios.py).")] = DEFAULT_SCENARIO,
    metrics_port: Annotated[int | None, typer.Option(
        help="Serve Prometheus metrics on this loopback port.", min=1, max=65535)] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="No live view; print the summary as one JSON object.")] = False,
) -> None:
    """Run the full trading system. Ends after --duration (or Ctrl-C) by cancelling every
    order, flushing the journal and printing a summary."""
    def start() -> dict[str, Any]:
        cfg = load_config(config_dir)
        _check_network(cfg, venue, network, confirm_mainnet)
        return asyncio.run(_main(cfg, venue, network, duration, run_dir or _run_dir(),
                                 account, keystore, seed, metrics_port, as_json,
                                 scenario=scenario))

    _print(_guarded(start), as_json)


def paper(
    feed: Annotated[Network, typer.Option(
        help="Whose public market feed to trade on paper. Only subscriptions are sent "
        "there; orders go to the local emulator.")] = Network.MAINNET,
    feed_url: Annotated[str | None, typer.Option(
        help="WebSocket URL of the feed (overrides --feed; e.g. another emulator).")] = None,
    duration: Annotated[float, typer.Option(
        help="Seconds to run before cancelling everything and stopping.", min=1.0)] = 180.0,
    config_dir: Annotated[Path | None, typer.Option(
        "--config", help="User config folder overriding the packaged defaults.",
        file_okay=False)] = None,
    run_dir: Annotated[Path | None, typer.Option(
        help="Run folder (journal, control file). Default: runs/paper-<time>.",
        file_okay=False)] = None,
    metrics_port: Annotated[int | None, typer.Option(
        help="Serve Prometheus metrics on this loopback port.", min=1, max=65535)] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="No live view; print the summary as one JSON object.")] = False,
) -> None:
    """Paper trading: the full live stack on the real market feed, with orders filled by
    the local emulator (queue position, fees) instead of the venue."""
    url = feed_url or ENDPOINTS[feed.value][1]

    def start() -> dict[str, Any]:
        cfg = load_config(config_dir)
        return asyncio.run(_main(cfg, Venue.PAPER, Network.TESTNET, duration,
                                 run_dir or _run_dir("paper"), None, None, 0,
                                 metrics_port, as_json, feed_url=url))

    _print(_guarded(start), as_json)


def _guarded(start: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run `start`; a user-facing failure becomes one red line and exit code 1."""
    err = Console(stderr=True)
    try:
        return start()
    except ConfigError as exc:
        err.print(f"[red]invalid configuration:[/red]\n{exc}")
    except (RunAbortError, LiveRunError, KeyLoadError, SimExchangeError) as exc:
        err.print(f"[red]{exc}[/red]")
    raise typer.Exit(1)


def _print(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(orjson.dumps(summary, default=str,
                                option=orjson.OPT_NON_STR_KEYS).decode())
    else:
        print_summary(Console(), summary)


def _check_network(cfg: AppConfig, venue: Venue, network: Network, confirmed: bool) -> None:
    if venue is Venue.PAPER:
        raise RunAbortError("paper trading has its own command: hlofi paper")
    if venue is Venue.SIM:
        return
    if network is Network.MAINNET and not confirmed:
        raise RunAbortError("mainnet trades real money: add --confirm-mainnet to proceed")
    if network is Network.MAINNET and not cfg.is_mainnet:
        raise RunAbortError("--network mainnet but risk.yaml says network: testnet; set "
                            "both explicitly to trade on mainnet")


def _run_dir(kind: str = "run") -> Path:
    return Path("runs") / f"{kind}-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%S')}"


async def _main(cfg: AppConfig, venue: Venue, network: Network, duration: float,
                run_dir: Path, account: str | None, keystore: Path | None, seed: int,
                metrics_port: int | None, quiet: bool,
                feed_url: str | None = None,
                scenario: str = DEFAULT_SCENARIO) -> dict[str, Any]:
    async with _venue(venue, network, seed, cfg, feed_url, scenario) as (endpoints, note,
                                                                         key):
        key = key or load_private_key(keystore_path=keystore)
        runner = LiveRunner(cfg, endpoints, key, account or key.address,
                            RunOptions(run_dir=run_dir, duration_s=duration,
                                       metrics_port=metrics_port))
        _install_stop(runner)
        if quiet:
            await runner.run()
        else:
            await _run_with_view(runner, note)
        return build_summary(runner, note)


async def _run_with_view(runner: LiveRunner, note: str) -> None:
    console = Console()
    with Live(render(runner, note), console=console, refresh_per_second=4,
              transient=False) as live:
        runner.status_listeners.append(lambda r: live.update(render(r, note)))
        await runner.run()


def _install_stop(runner: LiveRunner) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, runner.request_stop)


@asynccontextmanager
async def _venue(venue: Venue, network: Network, seed: int, cfg: AppConfig,
                 feed_url: str | None, scenario: str = DEFAULT_SCENARIO
                 ) -> AsyncIterator[tuple[VenueEndpoints, str, SecretKey | None]]:
    """The endpoints to trade against; for the emulator, start it and make a throwaway key."""
    if venue is Venue.HYPERLIQUID:
        rest, ws = ENDPOINTS[network.value]
        yield (VenueEndpoints(rest_url=rest, ws_url=ws, mainnet=network is Network.MAINNET,
                              name=network.value), f"Hyperliquid {network.value}", None)
        return
    key = generate_throwaway_key()
    # The throwaway account starts funded (SimSettings.initial_usdc), like a deposit.
    options = SimExchangeOptions(seed=seed, funded_accounts=(key.address,), scenario=scenario)
    if venue is Venue.PAPER:
        assert feed_url is not None
        async with _paper_emulator(options, cfg, feed_url) as (server, market):
            yield (VenueEndpoints(rest_url=server.base_url, ws_url=server.ws_url,
                                  mainnet=False, name="paper"), market, key)
        return
    server, market = build_server(options, LiveClock())
    await server.start("127.0.0.1", 0)
    try:
        yield (VenueEndpoints(rest_url=server.base_url, ws_url=server.ws_url, mainnet=False,
                              name="emulator"), f"local emulator, {market}", key)
    finally:
        await server.stop()


@asynccontextmanager
async def _paper_emulator(options: SimExchangeOptions, cfg: AppConfig,
                          feed_url: str) -> AsyncIterator[tuple[EmulatorServer, str]]:
    """An emulator with no market of its own, fed by a relay of the real feed."""
    clock = LiveClock()
    server = build_relay_server(options, clock)
    await server.start("127.0.0.1", 0)
    relay = MarketRelay(feed_url, tuple(cfg.symbols.coins), server.publisher, clock)
    task = asyncio.create_task(relay.run(), name="paper-relay")
    try:
        yield server, (f"PAPER: real market from {feed_url}, fills emulated locally "
                       "(no order reaches the venue)")
    finally:
        relay.stop()
        await asyncio.gather(task, return_exceptions=True)
        await server.stop()
