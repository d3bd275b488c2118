"""Poison frames and a failing database against the whole live stack (loopback emulator).

Reproduced before the fix: one bbo with `"time": 9300000000000` crashed the run (SQLite
OverflowError, then "cannot start a transaction within a transaction"); one fill with
`"tid": 2**63` left the order store inside an open transaction and every later write
failed ("database is locked" x26), the trader halted and never exited.

Here the emulator's server publishes the poisoned frames to the runner's own
subscriptions mid-run (the venue's frame path: socket, codec, engine, persistence). The run
must keep trading, count the frames as rejections, keep every write healthy and end on
time. A database locked by another process must degrade the run (REDUCING, then HALTED)
without ever blocking the event loop for long, and the run must still end cleanly.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from hyperliquid_ofi_trader.cli.sim_exchange import SimExchangeOptions, build_server
from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.core.journal import JournalReader
from hyperliquid_ofi_trader.core.state import TradingState
from hyperliquid_ofi_trader.execution.keys import SecretKey, generate_throwaway_key
from hyperliquid_ofi_trader.runtime.live import LiveRunner, RunOptions, VenueEndpoints
from hyperliquid_ofi_trader.sim.server import EmulatorServer

pytestmark = pytest.mark.timeout(120)

FAST = {"thresholds.yaml": {"regime": {"volatility": {"halflife_ms": 2000},
                                       "liquidity": {"min_dwell_ms": 1000}}}}


def _poison_bbo(coin: str) -> dict[str, Any]:
    return {"channel": "bbo", "data": {"coin": coin, "time": 9_300_000_000_000,
                                       "bbo": [{"px": "2000.0", "sz": "1.0", "n": 1},
                                               {"px": "2000.1", "sz": "1.0", "n": 1}]}}


def _poison_fill(user: str, **over: Any) -> dict[str, Any]:
    fill: dict[str, Any] = {"coin": "ETH", "px": "2000.0", "sz": "0.01", "side": "B",
                            "time": LiveClock().now_ns() // 1_000_000,
                            "startPosition": "0.0", "dir": "Open Long", "closedPnl": "0.0",
                            "hash": "0x" + "ab" * 32, "oid": 1, "crossed": True,
                            "fee": "0.01", "tid": 2**63, "feeToken": "USDC"}
    fill.update(over)
    return {"channel": "userFills", "data": {"user": user, "fills": [fill]}}


async def _start(key: SecretKey) -> EmulatorServer:
    server, _ = build_server(SimExchangeOptions(seed=5, funded_accounts=(key.address,)),
                             LiveClock())
    await server.start("127.0.0.1", 0)
    return server


def _runner(server: EmulatorServer, key: SecretKey, run_dir: Path,
            seconds: float) -> LiveRunner:
    return LiveRunner(build_config(FAST),
                      VenueEndpoints(rest_url=server.base_url, ws_url=server.ws_url,
                                     mainnet=False, name="emulator"),
                      key, key.address, RunOptions(run_dir=run_dir, duration_s=seconds))


def _poison(server: EmulatorServer, account: str) -> None:
    for coin in ("ETH", "BTC"):
        server.publish(("bbo", coin, 0), _poison_bbo(coin))
    server.publish(("userFills", account, 0), _poison_fill(account))
    server.publish(("userFills", account, 0), _poison_fill(account, tid=5, coin="eth"))
    server.publish(("userFills", account, 0), _poison_fill(account, tid=6,
                                                           coin="\u0415TH"))  # Cyrillic E


async def test_poisoned_time_and_tid_leave_the_run_trading(tmp_path: Path) -> None:
    key = generate_throwaway_key()
    account = key.address.lower()
    server = await _start(key)
    runner = _runner(server, key, tmp_path / "run", 14.0)
    try:
        task = asyncio.create_task(runner.run())
        await asyncio.sleep(5.0)
        poisoned_ns = LiveClock().now_ns()
        _poison(server, account)
        started = time.monotonic()
        await task
        assert time.monotonic() - started < 20.0  # ended on time, cleanly
    finally:
        await server.stop()
    assert runner.engine is not None
    assert runner.stack is not None
    snap = runner.engine.snapshot()
    assert snap.rejections.get("bad_time", 0) >= 2, snap.rejections
    assert snap.rejections.get("schema", 0) >= 1, snap.rejections
    assert snap.rejections.get("unknown_coin", 0) >= 2, snap.rejections
    assert "timer" not in snap.stage_errors  # the persistence watch never complained
    assert snap.trading_state is not TradingState.HALTED
    with JournalReader(runner.journal_path) as reader:
        later = [d for d in reader.decisions() if d.local_ns > poisoned_ns]
        assert later, "no decision after the poison: the run stopped deciding"
        assert reader.errors() == []
    conn = sqlite3.connect(runner.journal_path)
    try:
        tids = [t for (t,) in conn.execute("SELECT tid FROM fills")]
        orders = conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    finally:
        conn.close()
    assert 2**63 not in tids
    assert orders > 0


async def test_a_locked_database_degrades_the_run_and_it_still_ends(tmp_path: Path) -> None:
    key = generate_throwaway_key()
    server = await _start(key)
    runner = _runner(server, key, tmp_path / "run", 24.0)
    blocker: sqlite3.Connection | None = None
    try:
        task = asyncio.create_task(runner.run())
        await asyncio.sleep(5.0)
        # Another process holds the write lock for 14 s, then lets go.
        blocker = sqlite3.connect(runner.journal_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        await asyncio.sleep(14.0)
        blocker.execute("ROLLBACK")
        await asyncio.wait_for(task, timeout=60.0)
        assert time.monotonic() - started < 40.0
    finally:
        if blocker is not None:
            blocker.close()
        await server.stop()
    assert runner.engine is not None
    snap = runner.engine.snapshot()
    assert snap.trading_state is TradingState.HALTED
    assert snap.stage_errors.get("timer", 0) >= 10  # the persistence watch, once a second
    # A failed write waits 50 ms at most: no event ever held the loop for long.
    assert runner.pipeline.percentiles_us()["max"] < 1_000_000
    with JournalReader(runner.journal_path) as reader:  # the rows kept were written later
        states = [c.to_state for c in reader.state_changes()]
        errors = {e.error_type for e in reader.errors()}
        decisions = reader.counts()["decisions"]
    assert "REDUCING" in states
    assert "HALTED" in states
    assert "PersistenceError" in errors
    assert decisions == runner.engine.decisions  # nothing lost: kept, written after
