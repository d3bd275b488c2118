"""`hlofi sim-exchange`: run the local Hyperliquid emulator until Ctrl-C.

It serves Hyperliquid's REST (`/info`, `/exchange`) and WebSocket (`/ws`) protocol on one
port, so the official SDK, our gateway and our feed client all run against it unchanged
(point them at the printed URLs; it signs as TESTNET). Its market is either SYNTHETIC (a
seeded model, not market data) or a replayed recording, re-timed to now. Faults can be
armed at start (`--fault`) or at any time through `POST /_control` (loopback only).

Accounts exist only once funded, as on the venue (an unfunded signer gets "User or API
Wallet 0x... does not exist."): `--fund ADDRESS[:USDC]` at start, `POST /_faucet` while it
runs (loopback only), or `--auto-fund` to open an account for every new signer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from hyperliquid_ofi_trader.core.clock import Clock, LiveClock
from hyperliquid_ofi_trader.data.replay_sources import ReplaySourceError
from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.sim.faults import (
    ENV_FAULTS,
    FaultError,
    FaultInjector,
    faults_from_env,
    parse_fault_flag,
)
from hyperliquid_ofi_trader.sim.market_source import ReplayMarketSource
from hyperliquid_ofi_trader.sim.pump import MarketSource
from hyperliquid_ofi_trader.sim.scenarios import SCENARIOS, describe, settings_for
from hyperliquid_ofi_trader.sim.server import EmulatorServer, ServerSettings
from hyperliquid_ofi_trader.sim.settings import SimSettings, SimSettingsError
from hyperliquid_ofi_trader.sim.synthetic import SyntheticConfigError, SyntheticMarket
from hyperliquid_ofi_trader.sim.venue import FundingError, SimVenue, check_funding
from hyperliquid_ofi_trader.venues.hyperliquid.common.fees import (
    BASE_MAKER_BPS,
    BASE_TAKER_BPS,
    BASE_TIER,
    FEE_TIERS,
    FeeTierError,
    fee_fractions,
)

_MS = 1_000_000
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


class SimExchangeError(OurBugError):
    """The user asked for something the emulator cannot start with."""


@dataclass(frozen=True, slots=True)
class SimExchangeOptions:
    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 0
    source: str = "synthetic"
    initial_usdc: float = 100_000.0
    speed: float = 1.0
    loop: bool = False
    faults: tuple[dict[str, Any], ...] = ()
    duration_s: float | None = None
    # "ADDRESS" (initial_usdc) or "ADDRESS:USDC", each deposited at start
    funded_accounts: tuple[str, ...] = ()
    auto_fund: bool = False  # every new signer gets an account with initial_usdc
    scenario: str = "realistic"  # sim/scenarios.py, for the synthetic source
    # Hyperliquid perps fee tier 0..6 the venue charges (and answers in userFees); None:
    # HLOFI_SIM_FEE_TIER if set (also for emulators a run starts), else tier 0.
    fee_tier: int | None = None


ENV_FEE_TIER = "HLOFI_SIM_FEE_TIER"


def fee_settings(opts: SimExchangeOptions) -> tuple[float, float] | None:
    """(taker, maker) fee fractions for the options' tier (None: the settings' default)."""
    tier = opts.fee_tier
    text = os.environ.get(ENV_FEE_TIER, "").strip()
    if tier is None and text:
        try:
            tier = int(text)
        except ValueError:
            raise SimExchangeError(f"{ENV_FEE_TIER}={text!r} is not a tier number") from None
    if tier is None:
        return None
    try:
        return fee_fractions(tier)
    except FeeTierError as exc:
        raise SimExchangeError(str(exc)) from None


def parse_fund_spec(spec: str, default_usdc: float) -> tuple[str, float]:
    """`ADDRESS[:USDC]` -> (address, usdc); `SimExchangeError` with the reason otherwise."""
    address, sep, amount_text = spec.strip().partition(":")
    usdc = default_usdc
    if sep:
        try:
            usdc = float(amount_text.replace("_", ""))
        except ValueError:
            raise SimExchangeError(f"--fund {spec!r}: USDC amount {amount_text!r} is not a "
                                   "number") from None
    try:
        check_funding(address, usdc)
    except FundingError as exc:
        raise SimExchangeError(f"--fund {spec!r}: {exc}") from None
    return address.lower(), usdc


def build_venue(opts: SimExchangeOptions, clock: Clock) -> SimVenue:
    """The venue with the options' accounts funded (`SimExchangeError` on a bad one)."""
    try:
        settings = SimSettings(initial_usdc=opts.initial_usdc,
                               auto_create_accounts=opts.auto_fund)
        fees = fee_settings(opts)
        if fees is not None:
            settings = dataclasses.replace(settings, taker_fee=fees[0], maker_fee=fees[1])
    except SimSettingsError as exc:
        raise SimExchangeError(str(exc)) from None
    fundings = [parse_fund_spec(spec, opts.initial_usdc) for spec in opts.funded_accounts]
    venue = SimVenue(settings, clock)
    for address, usdc in fundings:
        venue.fund(address, usdc)
    return venue


def build_source(opts: SimExchangeOptions, clock: Clock) -> tuple[MarketSource, str]:
    """The market source and the sentence that tells the user what market this is."""
    now_ns = clock.now_ns() // _MS * _MS
    if opts.source == "synthetic":
        market = SyntheticMarket(settings_for(opts.scenario, now_ns), seed=opts.seed)
        return market, (f"market: {describe(opts.scenario, opts.seed)}: a seeded model, NOT "
                        "market data; nothing measured on it says anything about a real "
                        "market")
    path = Path(opts.source)
    try:
        replay = ReplayMarketSource(path, opts.speed, opts.loop, rebase_ns=now_ns)
    except (ReplaySourceError, ValueError) as exc:
        raise SimExchangeError(f"cannot replay {path}: {exc}") from None
    speed = f", {opts.speed:g}x" if opts.speed != 1.0 else ""
    looping = ", looping" if opts.loop else ""
    return replay, f"market: REPLAYED from {path}{speed}{looping}, re-timed to now"


def build_server(opts: SimExchangeOptions, clock: Clock) -> tuple[EmulatorServer, str]:
    venue = build_venue(opts, clock)
    try:
        source, market = build_source(opts, clock)
    except (SimSettingsError, SyntheticConfigError) as exc:
        raise SimExchangeError(str(exc)) from None
    server = EmulatorServer(venue, source, ServerSettings(fault_seed=opts.seed), clock)
    try:
        from_env = faults_from_env()  # HLOFI_SIM_FAULTS: also for emulators a run starts
    except FaultError as exc:
        raise SimExchangeError(f"{ENV_FAULTS}: {exc}") from None
    _arm(server.faults, (*opts.faults, *from_env))
    return server, market


def build_relay_server(opts: SimExchangeOptions, clock: Clock) -> EmulatorServer:
    """An emulator without a market source: someone else feeds `server.publisher` (paper
    trading relays the real feed into it)."""
    venue = build_venue(opts, clock)
    return EmulatorServer(venue, None, ServerSettings(fault_seed=opts.seed), clock)


def _arm(faults: FaultInjector, commands: Sequence[dict[str, Any]]) -> None:
    for command in commands:
        if command.get("fault") == "drop_connections":
            raise SimExchangeError("drop_connections is an action: send it to /_control")
        try:
            faults.apply(command)
        except FaultError as exc:
            raise SimExchangeError(f"--fault: {exc}") from None


async def run_emulator(opts: SimExchangeOptions, *, clock: Clock | None = None,
                       stop: asyncio.Event | None = None) -> EmulatorServer:
    """Start, print where it listens, serve until SIGINT/SIGTERM, `duration_s` or `stop`."""
    server, market = build_server(opts, clock if clock is not None else LiveClock())
    try:
        await server.start(opts.host, opts.port)
    except OSError as exc:
        raise SimExchangeError(f"cannot listen on {opts.host}:{opts.port}: "
                               f"{exc.strerror or exc}") from None
    stop = stop if stop is not None else asyncio.Event()
    installed = _install_stop(stop, opts.duration_s)
    try:
        _announce(server, market, opts)
        await stop.wait()
    finally:
        loop = asyncio.get_running_loop()
        for sig in installed:
            loop.remove_signal_handler(sig)
        await server.stop()
    return server


def _install_stop(stop: asyncio.Event, duration_s: float | None) -> list[signal.Signals]:
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    if duration_s is not None:
        loop.call_later(duration_s, stop.set)
    return installed


def _announce(server: EmulatorServer, market: str, opts: SimExchangeOptions) -> None:
    typer.echo(f"Hyperliquid emulator (signs as TESTNET) on {server.base_url}")
    typer.echo(f"  REST      {server.base_url}/info  {server.base_url}/exchange")
    typer.echo(f"  WebSocket {server.ws_url}")
    typer.echo(f"  control   POST {server.base_url}/_control (loopback only)")
    typer.echo(f"  faucet    POST {server.base_url}/_faucet "
               '{"user": "0x...", "usdc": N} (loopback only)')
    typer.echo(f"  {market}")
    typer.echo(f"  accounts: {_accounts_sentence(opts)}")
    if opts.host not in _LOOPBACK:
        typer.echo(f"warning: listening on {opts.host}, reachable from other hosts", err=True)
    typer.echo("Ctrl-C to stop.")


def _accounts_sentence(opts: SimExchangeOptions) -> str:
    if opts.auto_fund:
        return (f"--auto-fund: every new signer starts with {opts.initial_usdc:,.2f} USDC "
                "(the venue refuses unknown signers; this emulator does not)")
    funded = len(opts.funded_accounts)
    return (f"{funded} funded at start; any other signer is refused as on the venue "
            "(\"User or API Wallet 0x... does not exist.\"): fund it with --fund or the faucet")


def _summary(server: EmulatorServer) -> None:
    s = server.stats
    pump = server.pump.stats if server.pump is not None else None
    blocks = f"{pump.batches:,} market batches, " if pump is not None else ""
    typer.echo(f"stopped: {blocks}{s.connections} WebSocket connection(s), "
               f"{s.http_requests} HTTP request(s), {s.posts} post(s), "
               f"{s.frames_sent:,} frames sent")
    if pump is not None and pump.errors:
        typer.echo(f"{pump.errors} market event(s) failed; last: {pump.last_error}", err=True)


def sim_exchange(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 = any free port).", min=0, max=65535)]
    = 0,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic market and of the "
                                           "fault injector.")] = 0,
    source: Annotated[str, typer.Option(help="'synthetic', or the path of a recording "
                                             "(file or directory) to replay.")]
    = "synthetic",
    initial_usdc: Annotated[float, typer.Option(
        help="USDC of a funding that names no amount (--fund ADDRESS, faucet, --auto-fund).",
        min=0.0)] = 100_000.0,
    fund: Annotated[list[str] | None, typer.Option(
        help="Deposit USDC into an address at start: ADDRESS or ADDRESS:USDC "
             "(repeatable). Unfunded signers are refused, as on the venue.")] = None,
    auto_fund: Annotated[bool, typer.Option(
        "--auto-fund", help="Open an account with --initial-usdc for ANY signer (unlike the "
                            "venue: a mis-signed action then trades as a stranger).")]
    = False,
    speed: Annotated[float, typer.Option(help="Replay speed (2 = twice as fast).",
                                         min=0.001)] = 1.0,
    loop: Annotated[bool, typer.Option(help="Replay the recording in a loop.")] = False,
    fault: Annotated[list[str] | None, typer.Option(
        help="Arm a fault at start, e.g. 'drop_acks:probability=0.05' or "
             "'delay_acks:delay_s=0.5,count=3' (repeatable; see sim/faults.py).")] = None,
    duration: Annotated[float | None, typer.Option(
        help="Stop after this many seconds (default: until Ctrl-C).", min=0.001)] = None,
    scenario: Annotated[str, typer.Option(
        help=f"Synthetic market scenario: {', '.join(SCENARIOS)} (sim/scenarios.py).")]
    = "realistic",
    fee_tier: Annotated[int | None, typer.Option(
        help=f"Hyperliquid perps fee tier (0-{len(FEE_TIERS) - 1}) the emulator charges and "
        f"reports in userFees (default: HLOFI_SIM_FEE_TIER, else tier {BASE_TIER}: "
        f"{BASE_TAKER_BPS:g} bps taker, {BASE_MAKER_BPS:g} bps maker).",
        min=0, max=len(FEE_TIERS) - 1)] = None,
) -> None:
    """Run the local Hyperliquid emulator (REST + WebSocket) until Ctrl-C."""
    try:
        faults = tuple(parse_fault_flag(spec) for spec in fault or ())
        opts = SimExchangeOptions(host, port, seed, source, initial_usdc, speed, loop, faults,
                                  duration, tuple(fund or ()), auto_fund,
                                  scenario=scenario, fee_tier=fee_tier)
        server = asyncio.run(run_emulator(opts))
    except (SimExchangeError, FaultError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    _summary(server)


def register(app: typer.Typer) -> None:
    app.command("sim-exchange")(sim_exchange)
