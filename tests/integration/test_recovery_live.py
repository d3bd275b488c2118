"""The recovery policy of risk.yaml, live against the emulator: a stale feed (the venue's
stream goes silent on an open socket) halts the run; once the feed is healthy again and
the account reconciled, the run trades again by itself, unless the policy latches that
trigger, and never more often than its hourly cap allows."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from hyperliquid_ofi_trader.cli.sim_exchange import SimExchangeOptions, build_server
from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.core.journal import JournalReader
from hyperliquid_ofi_trader.runtime.live import LiveRunner, RunOptions, VenueEndpoints
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import generate_throwaway_key
from tests.plumbing import EAGER_COSTS

pytestmark = pytest.mark.timeout(120)

SILENCE_AT_S = 8.0
SILENCE_S = 5.0
RUN_S = 24.0


def _config(recovery: dict[str, Any]) -> Any:
    return build_config({
        "thresholds.yaml": {"regime": {"volatility": {"halflife_ms": 2000},
                                       "liquidity": {"min_dwell_ms": 1000}},
                            **EAGER_COSTS},
        "risk.yaml": {"kill_switch": {"stale_feed_s": 3.0}, "recovery": recovery}})


async def _until_halted(runner: LiveRunner, timeout_s: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while runner.engine is None or runner.engine.state.value != "HALTED":
        assert asyncio.get_running_loop().time() < deadline, "the stale feed never halted"
        await asyncio.sleep(0.05)


async def _run_with_silence(tmp_path: Path, recovery: dict[str, Any], *,
                            kill_on_halt: bool = False) -> list[tuple[str, str, str]]:
    key = generate_throwaway_key()
    server, _ = build_server(SimExchangeOptions(seed=6, funded_accounts=(key.address,)),
                             LiveClock())
    await server.start("127.0.0.1", 0)
    runner = LiveRunner(_config(recovery),
                        VenueEndpoints(rest_url=server.base_url, ws_url=server.ws_url,
                                       mainnet=False, name="emulator"),
                        key, key.address,
                        RunOptions(run_dir=tmp_path / "run", duration_s=RUN_S))
    task = asyncio.create_task(runner.run())
    try:
        await asyncio.sleep(SILENCE_AT_S)
        server.faults.apply({"fault": "silence", "seconds": SILENCE_S})
        if kill_on_halt:
            await _until_halted(runner, timeout_s=SILENCE_S)  # by the stale feed
            runner.operator_command("kill", "operator on top of the stale feed")
        await task
    finally:
        await server.stop()
    with JournalReader(runner.journal_path) as reader:
        return [(c.to_state, c.trigger, c.reason) for c in reader.state_changes()]


async def test_a_stale_feed_halt_recovers_once_healthy_and_reconciled(tmp_path: Path) -> None:
    changes = await _run_with_silence(tmp_path, {"healthy_for_s": 1.0})
    halts = [i for i, c in enumerate(changes) if c[0] == "HALTED"]
    assert halts, changes
    assert "stale_feed" in changes[halts[0]][2]
    after = changes[halts[0] + 1:]
    assert after, changes
    assert after[0][:2] == ("ACTIVE", "auto_recover"), changes
    assert "account reconciled" in after[0][2]


async def test_a_latched_trigger_waits_for_the_operator(tmp_path: Path) -> None:
    latch = ["stale_feed", "consecutive_slippage", "daily_loss", "stage_errors",
             "operator_kill", "manual"]
    changes = await _run_with_silence(tmp_path, {
        "healthy_for_s": 1.0, "auto_recover": ["feed_lost", "depth_vanish", "order_rtt",
                                               "feed_lag"], "latch": latch})
    assert changes
    assert changes[-1][0] == "HALTED", changes
    assert not [c for c in changes if c[1] == "auto_recover"]


async def test_the_hourly_cap_latches(tmp_path: Path) -> None:
    changes = await _run_with_silence(tmp_path, {"healthy_for_s": 1.0,
                                                 "max_auto_recoveries_per_hour": 0})
    assert changes[-1][0] == "HALTED", changes
    assert not [c for c in changes if c[1] == "auto_recover"]


async def test_an_operator_kill_on_top_of_a_stale_feed_halt_never_auto_recovers(
        tmp_path: Path) -> None:
    changes = await _run_with_silence(tmp_path, {"healthy_for_s": 1.0}, kill_on_halt=True)
    assert changes[-1][0] == "HALTED", changes
    assert not [c for c in changes if c[1] == "auto_recover"], changes
