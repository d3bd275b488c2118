"""`hlofi record` against a loopback Hyperliquid-like server (127.0.0.1 only).

In-process: `run_recording` subscribes to the four channels per coin, survives a dropped
connection, and every frame the client received is on disk. As a real process: SIGINT and
SIGTERM stop it cleanly (exit 0, zstd epilogue written, summary printed).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from hyperliquid_ofi_trader.cli.record import CHANNELS, run_recording
from hyperliquid_ofi_trader.config.packaged import packaged_config
from hyperliquid_ofi_trader.data.replay_sources import ReadStats, iter_frames
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import WsClientConfig
from tests.integration.ws_test_server import GREETING, HlTestServer, wait_until

pytestmark = pytest.mark.timeout(30)

REPO = Path(__file__).resolve().parents[2]
FAST = replace(
    WsClientConfig.from_config(packaged_config()),
    ping_interval_s=0.5, silence_timeout_s=1.0, tick_s=0.01, ack_timeout_s=0.5,
    open_timeout_s=1.0, close_timeout_s=0.2,
    backoff=packaged_config().risk.websocket.reconnect.replaced(
        base_s=0.01, max_s=0.05, healthy_after_s=0.2, max_connects=30, window_s=60.0))


def _channels(path: Path) -> list[str]:
    out = []
    for _, raw in iter_frames(path):
        if raw == GREETING.encode():
            out.append("greeting")
        else:
            out.append(orjson.loads(raw)["channel"])
    return out


async def test_records_every_received_frame_across_a_reconnect(tmp_path: Path) -> None:
    stop = asyncio.Event()
    async with HlTestServer(push_interval_s=0.005) as server:
        task = asyncio.ensure_future(run_recording(
            server.url, ["BTC", "ETH"], tmp_path, quiet=True, config=FAST, stop=stop))
        await wait_until(lambda: server.frames_pushed >= 30)
        await server.drop_all(abort=True)
        await wait_until(lambda: server.connections >= 2 and server.frames_pushed >= 80)
        stop.set()
        summary = await asyncio.wait_for(task, 5.0)
        subs = server.subscriptions_of(0)
    assert sorted((s["type"], s["coin"]) for s in subs) == sorted(
        (ch, coin) for coin in ("BTC", "ETH") for ch in CHANNELS)
    stats = ReadStats()
    frames = list(iter_frames(tmp_path, stats))
    assert len(frames) == summary.frames
    assert summary.connects >= 2
    assert stats.malformed == stats.truncated_files == 0
    kinds = _channels(tmp_path)
    assert kinds.count("greeting") == summary.connects  # one per connection
    assert kinds.count("subscriptionResponse") >= 16  # 8 subscriptions, at least twice
    assert {"l2Book", "bbo", "trades"} <= set(kinds)
    times = [ns for ns, _ in frames]
    assert times == sorted(times)


async def test_duration_stop_closes_the_file_cleanly(tmp_path: Path) -> None:
    async with HlTestServer(push_interval_s=0.005) as server:
        summary = await run_recording(server.url, ["BTC"], tmp_path, duration_s=0.5,
                                      quiet=True, config=FAST)
        pushed = server.frames_pushed
    stats = ReadStats()
    frames = list(iter_frames(tmp_path, stats))
    assert summary.frames == len(frames) > 0
    assert summary.connects == 1
    assert stats.truncated_files == 0  # closed with its zstd epilogue
    kinds = _channels(tmp_path)
    assert kinds[0] == "greeting"
    # Everything pushed before the stop arrived, except at most what was in flight.
    assert kinds.count("l2Book") + kinds.count("bbo") + kinds.count("trades") <= pushed


async def test_flush_every_still_records_everything_on_clean_stop(tmp_path: Path) -> None:
    async with HlTestServer(push_interval_s=0.005) as server:
        summary = await run_recording(server.url, ["BTC"], tmp_path, duration_s=0.3,
                                      flush_every=64, quiet=True, config=FAST)
    assert len(list(iter_frames(tmp_path))) == summary.frames > 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_cli_process_stops_cleanly_on_signal(tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "rec"
    async with HlTestServer(push_interval_s=0.005) as server:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hyperliquid_ofi_trader.main", "record", "--coins", "BTC",
            "--out", str(out), "--url", server.url,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO)
        try:
            await wait_until(lambda: server.frames_pushed >= 40, timeout=15.0)
            child.send_signal(sig)
            stdout, stderr = await asyncio.wait_for(child.communicate(), 15.0)
        finally:
            if child.returncode is None:
                child.kill()
                await child.wait()
    assert child.returncode == 0, stderr.decode()
    assert b"recorded" in stdout
    assert b"Traceback" not in stderr
    stats = ReadStats()
    frames = list(iter_frames(out, stats))
    assert len(frames) > 0
    assert stats.truncated_files == 0
    assert f"recorded {len(frames):,} frames".encode() in stdout
