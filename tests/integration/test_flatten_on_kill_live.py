"""`flatten_on_kill` on the live path against the emulator: a kill halts, and the position
the strategy held is closed by reduce-only IOCs that went through the risk gate under a
journaled decision (trigger "halt"), leaving the venue's account flat."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hyperliquid_ofi_trader.cli.sim_exchange import SimExchangeOptions, build_server
from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.core.journal import JournalReader
from hyperliquid_ofi_trader.risk.flatten import FLATTEN_TAG
from hyperliquid_ofi_trader.runtime.live import LiveRunner, RunOptions, VenueEndpoints
from hyperliquid_ofi_trader.sim.venue import SimVenue
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import generate_throwaway_key
from tests.plumbing import EAGER_COSTS

pytestmark = pytest.mark.timeout(150)

CONFIG = {
    "thresholds.yaml": {**EAGER_COSTS,
                        "regime": {"volatility": {"halflife_ms": 2000},
                                   "liquidity": {"min_dwell_ms": 1000}}},
    "risk.yaml": {"kill_switch": {"flatten_on_kill": True}},
}


async def _until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.2)
    return False


async def test_a_kill_flattens_through_the_gate_and_leaves_the_account_flat(
        tmp_path: Path) -> None:
    key = generate_throwaway_key()
    server, _ = build_server(SimExchangeOptions(seed=3, scenario="exploitable", fee_tier=6,
                                                funded_accounts=(key.address,)), LiveClock())
    venue = server.venue
    assert isinstance(venue, SimVenue)
    await server.start("127.0.0.1", 0)
    run_dir = tmp_path / "run"
    runner = LiveRunner(build_config(CONFIG), VenueEndpoints(
        rest_url=server.base_url, ws_url=server.ws_url, mainnet=False, name="emulator"),
        key, key.address, RunOptions(run_dir=run_dir, duration_s=100.0,
                                     state_dir=tmp_path / "state"))

    def held() -> float:
        account = venue.account(key.address)
        return 0.0 if account is None else account.szi("ETH")

    task = asyncio.create_task(runner.run())
    try:
        assert await _until(lambda: abs(held()) > 0, 70.0), "the strategy never held ETH"
        ack = runner.operator_command("kill", "test: flatten")
        assert ack.trading_state == "HALTED"
        assert await _until(lambda: held() == 0.0, 20.0), f"still holding {held()} ETH"
        runner.request_stop()
        await asyncio.wait_for(task, 60.0)
    finally:
        if not task.done():
            task.cancel()
        await server.stop()
    journal = run_dir / "journal.sqlite"
    with JournalReader(journal) as reader:
        halts = [d for d in reader.decisions() if d.trigger == "halt"]
    assert halts, "no flatten decision journaled"
    assert all(d.trading_state == "HALTED" for d in halts)
    submitted = {d.id for d in halts if d.outcome == "submit"}
    assert submitted
    conn = sqlite3.connect(journal)
    try:
        orders = conn.execute("SELECT decision_id, tif, reduce_only FROM orders WHERE tag = ?",
                              (FLATTEN_TAG,)).fetchall()
    finally:
        conn.close()
    assert orders
    # Every closing order cites a decision of the gate's, none the old decision 0.
    assert {d for d, _, _ in orders} <= submitted
    assert all(tif == "Ioc" and reduce_only for _, tif, reduce_only in orders)
