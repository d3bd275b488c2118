"""`hlofi run`: the main job. The full live stack (WebSocket, signed orders over WS post,
reconciliation, risk, journal) against the built-in emulator by default, or against
Hyperliquid testnet / mainnet."""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import signal
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn
from urllib.parse import urlsplit

import orjson
import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape

from hyperliquid_ofi_trader.cli.endpoints import EndpointError, api_endpoints, ws_url_of
from hyperliquid_ofi_trader.cli.run_summary import build_summary, print_summary
from hyperliquid_ofi_trader.cli.sim_exchange import (
    SimExchangeError,
    SimExchangeOptions,
    build_relay_server,
    build_server,
)
from hyperliquid_ofi_trader.config import ConfigError, Network, load_config
from hyperliquid_ofi_trader.config.models import AppConfig
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.runtime.dashboard import Dashboard, DashboardError
from hyperliquid_ofi_trader.runtime.live import (
    LiveRunError,
    LiveRunner,
    RunOptions,
    VenueEndpoints,
)
from hyperliquid_ofi_trader.runtime.live_view import TerminalView
from hyperliquid_ofi_trader.runtime.paper import MarketRelay
from hyperliquid_ofi_trader.runtime.run_context import live_context, write_run_context
from hyperliquid_ofi_trader.sim.scenarios import DEFAULT_SCENARIO, SCENARIOS
from hyperliquid_ofi_trader.sim.server import EmulatorServer
from hyperliquid_ofi_trader.utils.logger import logs_above
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import (
    KeyLoadError,
    SecretKey,
    generate_throwaway_key,
    load_private_key,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import WsClientConfig

ENDPOINTS = {
    "testnet": ("https://api.hyperliquid-testnet.xyz", "wss://api.hyperliquid-testnet.xyz/ws"),
    "mainnet": ("https://api.hyperliquid.xyz", "wss://api.hyperliquid.xyz/ws"),
}


class Venue(enum.StrEnum):
    SIM = "sim"
    HYPERLIQUID = "hyperliquid"
    PAPER = "paper"  # the real feed relayed into the emulator: `hlofi paper`


# Exit codes: 0 the run ended normally, 1 it could not start (message on stderr),
# 3 it ran but ended HALTED (kill switch or operator kill): a script must not read it as
# success. 2 is click's own usage error.
EXIT_HALTED = 3


class RunAbortError(OurBugError):
    """A user-facing reason not to start."""


@dataclass(frozen=True, slots=True)
class PaperFeed:
    """Where paper trading reads the market, and how long it waits for it at start."""

    url: str
    connect_timeout_s: float


@dataclass(frozen=True, slots=True)
class Ports:
    """Loopback ports a run serves on (None: not served)."""

    metrics: int | None = None
    ui: int | None = None


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
    url: Annotated[str | None, typer.Option(
        help="With --venue hyperliquid: the API base URL to use instead of --network's "
        "(e.g. a separately started `hlofi sim-exchange` or a private node); the WebSocket "
        "is URL/ws. Signing still follows --network.")] = None,
    metrics_port: Annotated[int | None, typer.Option(
        help="Serve Prometheus metrics on this loopback port.", min=1, max=65535)] = None,
    ui_port: Annotated[int | None, typer.Option(
        help="Serve the live web dashboard on this loopback port (0: any free port); its "
        "URL and control token are printed at start.", min=0, max=65535)] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="No live view; print the summary as one JSON object.")] = False,
) -> None:
    """Run the full trading system. Ends after --duration (or Ctrl-C) by cancelling every
    order, flushing the journal and printing a summary."""
    def start() -> dict[str, Any]:
        cfg = load_config(config_dir)
        _check_network(cfg, venue, network, confirm_mainnet)
        custom = _custom_endpoints(venue, network, url)
        return asyncio.run(_main(cfg, venue, network, duration, run_dir or _run_dir(),
                                 account, keystore, seed, Ports(metrics_port, ui_port),
                                 as_json, scenario=scenario, custom=custom))

    _finish(_guarded(start), as_json)


def paper(
    feed: Annotated[Network, typer.Option(
        help="Whose public market feed to trade on paper. Only subscriptions are sent "
        "there; orders go to the local emulator.")] = Network.MAINNET,
    feed_url: Annotated[str | None, typer.Option(
        "--feed-url", "--url",
        help="URL of the feed (overrides --feed; e.g. another emulator or a private "
        "node): a WebSocket URL, or an http(s) API base whose WebSocket is URL/ws.")]
    = None,
    connect_timeout: Annotated[float, typer.Option(
        help="Seconds to wait for the feed's first market data before giving up "
        "(exit code 1).", min=0.1)] = 20.0,
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
    ui_port: Annotated[int | None, typer.Option(
        help="Serve the live web dashboard on this loopback port (0: any free port); its "
        "URL and control token are printed at start.", min=0, max=65535)] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="No live view; print the summary as one JSON object.")] = False,
) -> None:
    """Paper trading: the full live stack on the real market feed, with orders filled by
    the local emulator (queue position, fees) instead of the venue."""
    try:
        url = ws_url_of(feed_url) if feed_url else ENDPOINTS[feed.value][1]
    except EndpointError as exc:
        _guarded_fail(str(exc))

    def start() -> dict[str, Any]:
        cfg = load_config(config_dir)
        return asyncio.run(_main(cfg, Venue.PAPER, Network.TESTNET, duration,
                                 run_dir or _run_dir("paper"), None, None, 0,
                                 Ports(metrics_port, ui_port), as_json,
                                 PaperFeed(url, connect_timeout)))

    _finish(_guarded(start), as_json)


def _custom_endpoints(venue: Venue, network: Network, url: str | None
                      ) -> VenueEndpoints | None:
    if url is None:
        return None
    if venue is not Venue.HYPERLIQUID:
        raise RunAbortError("--url points the real-venue path elsewhere: use it with "
                            "--venue hyperliquid (--venue sim starts its own emulator)")
    try:
        rest, ws = api_endpoints(url)
    except EndpointError as exc:
        raise RunAbortError(str(exc)) from None
    return VenueEndpoints(rest_url=rest, ws_url=ws, mainnet=network is Network.MAINNET,
                          name=f"{network.value}@{urlsplit(rest).netloc}")


def _guarded_fail(message: str) -> NoReturn:
    Console(stderr=True).print(f"[red]{message}[/red]")
    raise typer.Exit(1)


def _guarded(start: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run `start`; a user-facing failure becomes one red line and exit code 1."""
    err = Console(stderr=True)
    try:
        return start()
    except ConfigError as exc:
        err.print(f"[red]invalid configuration:[/red]\n{exc}")
    except (RunAbortError, LiveRunError, KeyLoadError, DashboardError,
            SimExchangeError) as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
    raise typer.Exit(1)


def _finish(summary: dict[str, Any], as_json: bool) -> None:
    """Print the summary; a run that ended HALTED exits with EXIT_HALTED."""
    if as_json:
        typer.echo(orjson.dumps(summary, default=str,
                                option=orjson.OPT_NON_STR_KEYS).decode())
    else:
        print_summary(Console(), summary)
    if summary.get("engine", {}).get("trading_state") == "HALTED":
        Console(stderr=True).print("[red]the run ended HALTED (see state changes above); "
                                   f"exit code {EXIT_HALTED}[/red]")
        raise typer.Exit(EXIT_HALTED)


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
                ports: Ports, quiet: bool, feed: PaperFeed | None = None,
                scenario: str = DEFAULT_SCENARIO,
                custom: VenueEndpoints | None = None) -> dict[str, Any]:
    # Ports first: a busy port is one line, before any run folder exists.
    _check_port_free(ports.metrics, "--metrics-port")
    async with _dashboard(ports.ui) as dashboard, \
            _venue(venue, network, seed, cfg, feed, scenario, custom) as (endpoints, note, key):
        key = key or load_private_key(keystore_path=keystore, mainnet=endpoints.mainnet)
        mode = "paper" if venue is Venue.PAPER else "run"
        runner = LiveRunner(cfg, endpoints, key, account or key.address,
                            RunOptions(run_dir=run_dir, duration_s=duration,
                                       metrics_port=ports.metrics, mode=mode,
                                       venue_note=note,
                                       ui_url=dashboard.url if dashboard else ""))
        write_run_context(run_dir, live_context(venue.value, endpoints.name, note))
        if dashboard is not None:
            dashboard.attach(runner, note)
        if runner.durable_halt is not None:
            Console(stderr=True).print(
                f"[bold red]starting HALTED[/bold red]: a kill is recorded "
                f"({runner.durable_halt.describe()}); `hlofi resume` to trade")
        _install_stop(runner)
        if quiet:
            await runner.run()
        else:
            await _run_with_view(runner, note)
        return build_summary(runner, note)


def _check_port_free(port: int | None, option: str) -> None:
    if port is None:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As an HTTP server binds: a port in TIME_WAIT is free, a listening one is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise RunAbortError(f"{option} {port} is not available on 127.0.0.1: "
                                f"{exc.strerror or exc}") from exc


@asynccontextmanager
async def _dashboard(port: int | None) -> AsyncIterator[Dashboard | None]:
    """The web dashboard when --ui-port is given; its URL and token go to stderr."""
    if port is None:
        yield None
        return
    dashboard = Dashboard(port)
    await dashboard.start()
    Console(stderr=True).print(f"dashboard: {dashboard.url_with_token}  (read-only without "
                               "the #token part; the token allows kill/resume)",
                               highlight=False, soft_wrap=True)
    try:
        yield dashboard
    finally:
        await dashboard.stop()


async def _run_with_view(runner: LiveRunner, note: str) -> None:
    console = Console()
    view = TerminalView(runner, note)
    with logs_above(console), Live(view.render(), console=console, refresh_per_second=4,
                                   transient=False) as live:
        runner.status_listeners.append(lambda _: live.update(view.render()))
        await runner.run()
    if not console.is_terminal:
        # Into a file or a pipe the view is drawn once, at the end, with no line break
        # after it (rich ends the line only on a terminal): the summary starts below it.
        console.line()


def _install_stop(runner: LiveRunner) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, runner.request_stop)


@asynccontextmanager
async def _venue(venue: Venue, network: Network, seed: int, cfg: AppConfig,
                 feed: PaperFeed | None, scenario: str = DEFAULT_SCENARIO,
                 custom: VenueEndpoints | None = None
                 ) -> AsyncIterator[tuple[VenueEndpoints, str, SecretKey | None]]:
    """The endpoints to trade against; for the emulator, start it and make a throwaway key."""
    if custom is not None:
        yield (custom, f"Hyperliquid API at {custom.rest_url} (signing as "
               f"{'mainnet' if custom.mainnet else 'testnet'})", None)
        return
    if venue is Venue.HYPERLIQUID:
        rest, ws = ENDPOINTS[network.value]
        yield (VenueEndpoints(rest_url=rest, ws_url=ws, mainnet=network is Network.MAINNET,
                              name=network.value), f"Hyperliquid {network.value}", None)
        return
    key = generate_throwaway_key()
    # The throwaway account starts funded (SimSettings.initial_usdc), like a deposit.
    options = SimExchangeOptions(seed=seed, funded_accounts=(key.address,), scenario=scenario)
    if venue is Venue.PAPER:
        assert feed is not None
        async with _paper_emulator(options, cfg, feed) as (server, market):
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
                          feed: PaperFeed) -> AsyncIterator[tuple[EmulatorServer, str]]:
    """An emulator with no market of its own, fed by a relay of the real feed. A feed that
    sends no market data within its connect budget stops the command (no run starts)."""
    clock = LiveClock()
    server = build_relay_server(options, clock)
    await server.start("127.0.0.1", 0)
    relay = MarketRelay(feed.url, tuple(cfg.symbols.coins), server.publisher, clock,
                        config=WsClientConfig.from_config(cfg))
    task = asyncio.create_task(relay.run(), name="paper-relay")
    try:
        if not await relay.wait_for_market(feed.connect_timeout_s):
            cause = relay.last_error or "connected, but no market data arrived"
            raise RunAbortError(f"paper: no market data from {feed.url} within "
                                f"{feed.connect_timeout_s:g} s ({cause}); check the URL and "
                                "the network (--feed-url, --connect-timeout)")
        yield server, (f"PAPER: real market from {feed.url}, fills emulated locally "
                       "(no order reaches the venue)")
    finally:
        relay.stop()
        await asyncio.gather(task, return_exceptions=True)
        await server.stop()
