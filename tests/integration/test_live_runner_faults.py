"""The live runner under injected faults, over real loopback sockets.

For each fault the emulator can inject (sockets cut, silence, lost or late
acknowledgements, rate-limit refusals, duplicated or reordered frames, a vanishing book)
the whole live stack runs against the emulator, the fault is armed mid-run, and the run
must end with: no stage error, no order placed twice, no fill lost (our fills and positions
equal the venue's ledger) and nothing left open at the venue. Faults with a designed
degradation also assert it (silence → REDUCING or HALTED, lost acks → halted by the
round-trip rule).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hyperliquid_ofi_trader.cli.sim_exchange import SimExchangeOptions, build_server
from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.runtime.live import LiveRunner, RunOptions, VenueEndpoints
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import generate_throwaway_key
from tests.plumbing import EAGER_COSTS

FAST = {"thresholds.yaml": {"regime": {"volatility": {"halflife_ms": 2000},
                                       "liquidity": {"min_dwell_ms": 1000}},
                            **EAGER_COSTS}}
RUN_S = 28.0
FAULT_AT_S = 10.0


def _venue_info(server: Any, body: dict[str, Any]) -> Any:
    status, answer = server.venue.handle_info(body, LiveClock().now_ns())
    assert status == 200, answer
    return answer


async def _run_with_fault(tmp_path: Path, inject: Callable[[Any], None]) -> tuple[Any, Any, str]:
    key = generate_throwaway_key()
    server, _ = build_server(SimExchangeOptions(seed=5, funded_accounts=(key.address,)),
                             LiveClock())
    await server.start("127.0.0.1", 0)
    reconnect = {"websocket": {"reconnect": {"base_s": 0.05, "max_s": 0.3}}}
    runner = LiveRunner(build_config({**FAST, "risk.yaml": reconnect}),
                        VenueEndpoints(rest_url=server.base_url, ws_url=server.ws_url,
                                       mainnet=False, name="emulator"),
                        key, key.address,
                        RunOptions(run_dir=tmp_path / "run", duration_s=RUN_S))
    task = asyncio.create_task(runner.run())
    try:
        await asyncio.sleep(FAULT_AT_S)
        inject(server)
        await task
    finally:
        await server.stop()
    return runner, server, key.address.lower()


def _assert_nothing_lost_or_duplicated(runner: Any, server: Any, account: str) -> None:
    assert runner.engine is not None
    assert runner.stack is not None
    assert runner.engine.snapshot().stage_errors == {}
    conn = sqlite3.connect(runner.journal_path)
    try:
        our_fills = conn.execute("SELECT COUNT(*) FROM fills").fetchone()[0]
        placed = conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
        acked = dict(conn.execute("SELECT cloid, oid FROM orders WHERE oid IS NOT NULL"))
    finally:
        conn.close()
    assert placed > 0, runner.stack.summary()["router_skips"]
    venue_fills = _venue_info(server, {"type": "userFills", "user": account})
    assert our_fills == len(venue_fills)  # no fill lost
    state = _venue_info(server, {"type": "clearinghouseState", "user": account})
    venue_pos = {p["position"]["coin"]: float(p["position"]["szi"])
                 for p in state["assetPositions"]}
    for coin in set(venue_pos) | set(runner.stack.positions.coins()):
        assert runner.stack.positions.position(coin) == pytest.approx(
            venue_pos.get(coin, 0.0), abs=1e-9)
    # No order placed twice: the venue's one order per cloid is the one we recorded
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


def _drop_twice(server: Any) -> None:
    assert server.drop_connections() >= 1
    loop = asyncio.get_running_loop()
    loop.call_later(6.0, server.drop_connections)


FAULTS: dict[str, Callable[[Any], None]] = {
    "drop_connections": _drop_twice,
    "silence": lambda s: s.faults.apply({"fault": "silence", "seconds": 12}),
    "drop_acks": lambda s: s.faults.apply({"fault": "drop_acks", "count": 3}),
    "delay_acks": lambda s: s.faults.apply({"fault": "delay_acks", "delay_s": 1.5,
                                            "count": 5}),
    "rate_limit": lambda s: s.faults.apply({"fault": "rate_limit", "count": 5}),
    "duplicate_frames": lambda s: s.faults.apply({"fault": "duplicate_frames",
                                                  "probability": 0.3, "seconds": 8}),
    "reorder_frames": lambda s: s.faults.apply({"fault": "reorder_frames",
                                                "probability": 0.3, "seconds": 8}),
    "vanish_book": lambda s: s.faults.apply({"fault": "vanish_book", "seconds": 5}),
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_no_duplicate_order_and_no_lost_fill_under_fault(tmp_path: Path,
                                                               fault: str) -> None:
    runner, server, account = await _run_with_fault(tmp_path, FAULTS[fault])
    _assert_nothing_lost_or_duplicated(runner, server, account)
    snap = runner.engine.snapshot()
    if fault == "drop_connections":
        assert runner.connects >= 3  # first connect + one per drop, each reconciled
        assert snap.events_by_type.get("AccountSnapshot", 0) >= 3
    elif fault == "silence":
        states = [c.to_state for c in _state_changes(runner)]
        # The stale feed stops new risk: reduce-only, or halted by the stale-feed rule.
        assert {"REDUCING", "HALTED"} & set(states)
    elif fault == "drop_acks":
        halts = [c for c in _state_changes(runner) if c.to_state == "HALTED"]
        assert any("order_rtt" in c.reason for c in halts)  # unanswered orders halt


def _state_changes(runner: Any) -> list[Any]:
    from hyperliquid_ofi_trader.core.journal import JournalReader

    reader = JournalReader(runner.journal_path)
    try:
        return reader.state_changes()
    finally:
        reader.close()
