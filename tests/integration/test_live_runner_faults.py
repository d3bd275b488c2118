"""The live runner under injected faults, over real loopback sockets: the emulator cuts
every WebSocket mid-run (twice). The system must reconnect, reconcile with the venue before
trading again, never place an order twice and never lose a fill: at the end our own
positions and fills equal the venue's ledger."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from hyperliquid_ofi_trader.cli.sim_exchange import SimExchangeOptions, build_server
from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.data.backoff import BackoffConfig
from hyperliquid_ofi_trader.data.ws_client import WsClientConfig
from hyperliquid_ofi_trader.execution.keys import generate_throwaway_key
from hyperliquid_ofi_trader.runtime.live import LiveRunner, RunOptions, VenueEndpoints

FAST = {"thresholds.yaml": {"regime": {"volatility": {"halflife_ms": 2000},
                                       "liquidity": {"min_dwell_ms": 1000}}}}


def _venue_info(server: Any, body: dict[str, Any]) -> Any:
    status, answer = server.venue.handle_info(body, LiveClock().now_ns())
    assert status == 200, answer
    return answer


@pytest.mark.timeout(120)
async def test_reconnects_reconciles_and_loses_nothing(tmp_path: Path) -> None:
    key = generate_throwaway_key()
    server, _ = build_server(SimExchangeOptions(seed=5, funded_accounts=(key.address,)),
                             LiveClock())
    await server.start("127.0.0.1", 0)
    ws = WsClientConfig(backoff=BackoffConfig(base_s=0.05, max_s=0.3))
    runner = LiveRunner(build_config(FAST),
                        VenueEndpoints(rest_url=server.base_url, ws_url=server.ws_url,
                                       mainnet=False, name="emulator"),
                        key, key.address,
                        RunOptions(run_dir=tmp_path / "run", duration_s=32.0, ws=ws))
    task = asyncio.create_task(runner.run())
    try:
        await asyncio.sleep(12)
        assert server.drop_connections() >= 1
        await asyncio.sleep(8)
        assert server.drop_connections() >= 1
        await task
    finally:
        await server.stop()

    assert runner.connects >= 3  # the first connect and one per drop, each reconciled
    assert runner.engine is not None
    assert runner.stack is not None
    snap = runner.engine.snapshot()
    assert snap.stage_errors == {}
    assert snap.events_by_type.get("AccountSnapshot", 0) >= 3

    account = key.address.lower()
    venue_fills = _venue_info(server, {"type": "userFills", "user": account})
    conn = sqlite3.connect(runner.journal_path)
    try:
        our_fills = conn.execute("SELECT COUNT(*) FROM fills").fetchone()[0]
        placed = conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
        acked = dict(conn.execute("SELECT cloid, oid FROM orders WHERE oid IS NOT NULL"))
    finally:
        conn.close()
    assert placed > 0, runner.stack.summary()["router_skips"]
    assert our_fills == len(venue_fills)  # no fill lost across the drops
    venue_cloids = [f.get("cloid") for f in venue_fills]
    assert all(c is not None for c in venue_cloids)
    state = _venue_info(server, {"type": "clearinghouseState", "user": account})
    venue_pos = {p["position"]["coin"]: float(p["position"]["szi"])
                 for p in state["assetPositions"]}
    for coin in set(venue_pos) | set(runner.stack.positions.coins()):
        assert runner.stack.positions.position(coin) == pytest.approx(
            venue_pos.get(coin, 0.0), abs=1e-9)
    # No order was placed twice: the venue's one order per cloid is the one we recorded
    # (a second placement of a cloid would have given it another oid).
    venue: Any = server.venue
    venue_oids = {cloid: oid for (user, cloid), oid in venue.cloid_records.items()
                  if user == account}
    assert venue_oids
    for cloid, oid in venue_oids.items():
        if cloid in acked:
            assert acked[cloid] == oid, cloid
    assert len(set(acked.values())) == len(acked)
    assert _venue_info(server, {"type": "openOrders", "user": account}) == []
