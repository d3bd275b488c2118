"""Poison frames and a failing database against the whole live stack (loopback emulator).

Reproduced before the fix: one bbo with `"time": 9300000000000` crashed the run (SQLite
OverflowError, then "cannot start a transaction within a transaction"); one fill with
`"tid": 2**63` left the order store inside an open transaction and every later write
failed ("database is locked" x26), the trader halted and never exited.

Here the real CLI (`hlofi run --venue hyperliquid --url`) trades against an emulator in
this process, whose server publishes the poisoned frames to the trader's own
subscriptions mid-run (the venue's frame path: socket, codec, engine, persistence). The run
must keep trading, count the frames as rejections, keep every write healthy and end on
time with exit code 0. A database locked by another process must degrade the run
(REDUCING, then HALTED) without ever blocking the event loop for long, and the run must
still end cleanly.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hyperliquid_ofi_trader.cli.run import EXIT_HALTED
from hyperliquid_ofi_trader.cli.sim_exchange import SimExchangeOptions, build_server
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.core.journal import JournalReader
from hyperliquid_ofi_trader.sim.server import EmulatorServer
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import (
    PRIVATE_KEY_ENV,
    SecretKey,
    generate_throwaway_key,
)
from tests.plumbing import EAGER_COSTS_YAML

pytestmark = pytest.mark.timeout(150)

FAST_THRESHOLDS = """
regime:
  volatility: {halflife_ms: 2000}
  liquidity: {min_dwell_ms: 1000}
""" + EAGER_COSTS_YAML


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


async def _start_cli(server: EmulatorServer, key: SecretKey, tmp_path: Path,
                     seconds: float) -> asyncio.subprocess.Process:
    config = tmp_path / "config"
    config.mkdir()
    (config / "thresholds.yaml").write_text(FAST_THRESHOLDS)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hyperliquid_ofi_trader.main", "run", "--venue", "hyperliquid",
        "--url", server.base_url, "--config", str(config), "--run-dir",
        str(tmp_path / "run"), "--duration", str(seconds), "--json",
        env={**os.environ, PRIVATE_KEY_ENV: key.reveal().hex()},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)


async def _summary(proc: asyncio.subprocess.Process, code: int = 0) -> dict[str, Any]:
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=90)
    assert proc.returncode == code
    summary: dict[str, Any] = json.loads(out)
    return summary


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
    try:
        proc = await _start_cli(server, key, tmp_path, 16.0)
        await asyncio.sleep(8.0)  # started, reconciled, trading
        poisoned_ns = LiveClock().now_ns()
        _poison(server, account)
        started = time.monotonic()
        summary = await _summary(proc)
        assert time.monotonic() - started < 25.0  # ended on time, cleanly
    finally:
        await server.stop()
    engine = summary["engine"]
    rejections = engine["rejections"]
    assert rejections.get("bad_time", 0) >= 2, rejections
    assert rejections.get("schema", 0) >= 1, rejections
    assert rejections.get("unknown_coin", 0) >= 2, rejections
    assert "timer" not in engine["stage_errors"]  # the persistence watch never complained
    assert engine["trading_state"] != "HALTED"
    journal = tmp_path / "run" / "journal.sqlite"
    with JournalReader(journal) as reader:
        later = [d for d in reader.decisions() if d.local_ns > poisoned_ns]
        assert later, "no decision after the poison: the run stopped deciding"
        assert reader.errors() == []
    conn = sqlite3.connect(journal)
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
    journal = tmp_path / "run" / "journal.sqlite"
    blocker: sqlite3.Connection | None = None
    try:
        proc = await _start_cli(server, key, tmp_path, 28.0)
        await asyncio.sleep(8.0)
        # Another process holds the write lock for 14 s, then lets go.
        blocker = sqlite3.connect(journal, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        await asyncio.sleep(14.0)
        blocker.execute("ROLLBACK")
        summary = await _summary(proc, EXIT_HALTED)  # ended HALTED: said by the exit code
        assert time.monotonic() - started < 45.0
    finally:
        if blocker is not None:
            blocker.close()
        await server.stop()
    engine = summary["engine"]
    assert engine["trading_state"] == "HALTED"
    assert engine["stage_errors"].get("timer", 0) >= 10  # the persistence watch, 1/s
    # A failed write waits 50 ms at most: no event ever held the loop for long.
    assert summary["pipeline_latency_us"]["max"] < 1_000_000
    with JournalReader(journal) as reader:  # the rows kept were written later
        states = [c.to_state for c in reader.state_changes()]
        errors = {e.error_type for e in reader.errors()}
        decisions = reader.counts()["decisions"]
    assert "REDUCING" in states
    assert "HALTED" in states
    assert "PersistenceError" in errors
    assert decisions == engine["decisions"]  # nothing lost: kept, written after
