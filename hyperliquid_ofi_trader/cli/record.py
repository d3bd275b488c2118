"""`hlofi record`: record the raw Hyperliquid market-data feed to hourly zstd files.

Hyperliquid's public archive has no `bbo` or trade tape, so block-resolution research and
backtests need our own recordings. This subscribes to l2Book, bbo, trades and
activeAssetCtx for each coin and hands every frame, as received, to `FrameRecorder`
through the WebSocket client's `on_raw` hook (reconnects and resubscriptions are the
client's job). SIGINT / SIGTERM / `--duration` stop it cleanly: the current file gets its
zstd epilogue and is fsynced.
"""

from __future__ import annotations

import asyncio
import re
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from hyperliquid_ofi_trader.cli.endpoints import EndpointError, ws_url_of
from hyperliquid_ofi_trader.config import ConfigError, load_config
from hyperliquid_ofi_trader.config.packaged import packaged_config
from hyperliquid_ofi_trader.core.clock import Clock, LiveClock
from hyperliquid_ofi_trader.core.events import AnyEvent, FeedState, Rejection
from hyperliquid_ofi_trader.data.recording import FrameRecorder, RecordingDiskError
from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (
    HyperliquidWsClient,
    WsCallbackError,
    WsClientConfig,
    WsConfigError,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

TESTNET_WS_URL = "wss://api.hyperliquid-testnet.xyz/ws"
CHANNELS: tuple[str, ...] = ("l2Book", "bbo", "trades", "activeAssetCtx")
_COIN = re.compile(r"[A-Za-z0-9@:/_-]{1,32}")  # perps, kPEPE-style, and @index spot names
_FLUSH_TIMER_S = 1.0


class RecordError(OurBugError):
    """Recording stopped on a problem the user must fix (disk full, bad arguments)."""


def parse_coins(text: str) -> tuple[str, ...]:
    """`"BTC, ETH"` → ("BTC", "ETH"). Case is kept: Hyperliquid names are case-sensitive."""
    coins = tuple(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))
    if not coins:
        raise RecordError("no coins given (example: --coins BTC,ETH)")
    bad = [c for c in coins if not _COIN.fullmatch(c)]
    if bad:
        raise RecordError(f"not a coin name: {bad[0]!r}")
    return coins


def subscriptions_for(coins: Sequence[str]) -> list[dict[str, str]]:
    return [{"type": channel, "coin": coin} for coin in coins for channel in CHANNELS]


@dataclass(slots=True)
class RecordSummary:
    frames: int = 0
    bytes: int = 0
    compressed_bytes: int = 0
    files: int = 0
    connects: int = 0
    rejections: int = 0
    last_error: str = ""


class _Session:
    """Callbacks of one recording run: raw frames to disk, feed changes to the terminal."""

    def __init__(self, recorder: FrameRecorder, quiet: bool) -> None:
        self.recorder = recorder
        self.quiet = quiet
        self.rejections = 0

    def on_event(self, event: AnyEvent) -> None:
        if isinstance(event, Rejection):
            self.rejections += 1
        elif isinstance(event, FeedState) and not self.quiet:
            where = f" {event.channel}" if event.channel else ""
            detail = f": {event.detail}" if event.detail else ""
            typer.echo(f"feed{where} {event.status.value}{detail}", err=True)


def _install_stop(loop: asyncio.AbstractEventLoop, client: HyperliquidWsClient,
                  duration_s: float | None) -> list[signal.Signals]:
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, client.stop)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread (tests) or no signal support: --duration still works
    if duration_s is not None:
        loop.call_later(duration_s, client.stop)
    return installed


def _periodic_flush(loop: asyncio.AbstractEventLoop, recorder: FrameRecorder) -> None:
    """With flush_every > 1, bound how long a quiet feed can leave frames unflushed."""
    def tick() -> None:
        try:
            recorder.flush()
        except RecordingDiskError:
            return  # the next write raises it where the client reports it
        loop.call_later(_FLUSH_TIMER_S, tick)

    loop.call_later(_FLUSH_TIMER_S, tick)


async def _stop_on(event: asyncio.Event, client: HyperliquidWsClient) -> None:
    await event.wait()
    client.stop()


async def run_recording(url: str, coins: Sequence[str], out_dir: Path, *,
                        duration_s: float | None = None, flush_every: int = 1,
                        quiet: bool = False, clock: Clock | None = None,
                        config: WsClientConfig | None = None,
                        stop: asyncio.Event | None = None) -> RecordSummary:
    """Record until stopped: SIGINT/SIGTERM, `duration_s`, or `stop` being set (embedders).

    `config` None: the client watches the packaged thresholds.yaml `feed` cadences, the
    same ones a run watches. Raises RecordingDiskError on disk failure.
    """
    if config is None:
        config = WsClientConfig.from_config(packaged_config())
    loop = asyncio.get_running_loop()
    recorder = FrameRecorder(out_dir, flush_every=flush_every)
    session = _Session(recorder, quiet)
    client = HyperliquidWsClient(url, subscriptions_for(coins), HyperliquidCodec().decode,
                                 session.on_event, on_raw=recorder.write,
                                 clock=clock if clock is not None else LiveClock(),
                                 config=config)
    installed = _install_stop(loop, client, duration_s)
    watcher = asyncio.ensure_future(_stop_on(stop, client)) if stop is not None else None
    if flush_every > 1:
        _periodic_flush(loop, recorder)
    try:
        await client.run()
    except WsCallbackError as exc:
        if isinstance(exc.__cause__, RecordingDiskError):
            raise exc.__cause__ from None
        raise
    finally:
        if watcher is not None:
            watcher.cancel()
        for sig in installed:
            loop.remove_signal_handler(sig)
        recorder.close()
    return RecordSummary(recorder.frames, recorder.bytes, recorder.compressed_bytes,
                         recorder.files, client.stats.connects, session.rejections,
                         client.stats.last_error)


def _print_summary(s: RecordSummary, out_dir: Path) -> None:
    ratio = s.bytes / s.compressed_bytes if s.compressed_bytes else 0.0
    typer.echo(f"recorded {s.frames:,} frames into {s.files} file(s) under {out_dir}: "
               f"{s.bytes / 1e6:.2f} MB raw, {s.compressed_bytes / 1e6:.2f} MB on disk "
               f"({ratio:.1f}x); {s.connects} connection(s), {s.rejections} rejected frame(s)")
    if s.last_error:
        typer.echo(f"last feed error: {s.last_error}", err=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=code)


def record(
    coins: Annotated[str, typer.Option(help="Comma-separated coins, e.g. BTC,ETH.")],
    out: Annotated[Path, typer.Option(help="Directory for the hourly .ndjson.zst files.",
                                      file_okay=False)],
    url: Annotated[str, typer.Option(help="WebSocket URL, or an http(s) API base whose "
                                          "WebSocket is URL/ws (default: Hyperliquid "
                                          "testnet; mainnet is wss://api.hyperliquid.xyz/ws)."
                                     )]
    = TESTNET_WS_URL,
    duration: Annotated[float | None, typer.Option(
        help="Stop after this many seconds (default: until Ctrl-C / SIGTERM).", min=0.001)]
    = None,
    flush_every: Annotated[int, typer.Option(
        help="Frames per flush to the OS. 1 (default) loses at most the frame being "
             "written on a crash; N > 1 is cheaper but a crash can lose N-1 frames "
             "(a 1 s timer flushes a quiet feed).", min=1)] = 1,
    quiet: Annotated[bool, typer.Option(help="Do not print feed up/down/stale changes.")]
    = False,
    config_dir: Annotated[Path | None, typer.Option(
        "--config", help="User config folder overriding the packaged defaults (its "
        "thresholds.yaml `feed` section sets the stale cadences and the ping interval, its "
        "risk.yaml `websocket` section the transport).",
        file_okay=False)] = None,
) -> None:
    """Record raw l2Book, bbo, trades and activeAssetCtx frames for each coin."""
    try:
        coin_list = parse_coins(coins)
        ws_url = ws_url_of(url)
        feed = WsClientConfig.from_config(load_config(config_dir))
        summary = asyncio.run(run_recording(ws_url, coin_list, out, duration_s=duration,
                                            flush_every=flush_every, quiet=quiet,
                                            config=feed))
    except (RecordError, WsConfigError, EndpointError, ConfigError) as exc:
        raise _fail(str(exc), code=2) from None
    except RecordingDiskError as exc:
        raise _fail(str(exc)) from None
    _print_summary(summary, out)


def register(app: typer.Typer) -> None:
    app.command("record")(record)
