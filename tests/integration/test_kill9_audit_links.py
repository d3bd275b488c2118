"""Audit links exact across SIGKILLs: every venue order and fill maps to exactly one
decision of the process that placed it.

Reproduced before the fix (real processes against the emulator): decision ids were taken
from the highest id in the file, so ids reserved by a killed process (its orders already
citing them, its decision rows still in memory) were handed out again by the next one
(10 of 376 orders cited another process's decision, `hlofi explain` said "not tradable"
for a filled IOC buy); and order rows were batched, so an order sent 12 ms before a
SIGKILL never reached the journal (its fill was kept with no order and no decision).

The trader is the real CLI in its own process (`hlofi run --venue hyperliquid --url` against
an emulator in this process, the regime tuned to trade within seconds), SIGKILLed at
random moments several times, then run once more to the end so the venue's fills are
reconciled. Then, from the
venue's own records: every order the venue saw has one order row citing one decision row,
and that decision is the one that placed it (a `submit` taken just before the order, or
the `lost` row written for a decision its process died before journaling).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

from hyperliquid_ofi_trader.cli.sim_exchange import SimExchangeOptions, build_server
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.core.engine import Outcome
from hyperliquid_ofi_trader.core.journal import LOST_OUTCOME
from hyperliquid_ofi_trader.sim.server import EmulatorServer
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import (
    PRIVATE_KEY_ENV,
    generate_throwaway_key,
)
from tests.plumbing import EAGER_COSTS_YAML

pytestmark = pytest.mark.timeout(240)

KILLS = 6
FAST_THRESHOLDS = """
regime:
  volatility: {halflife_ms: 2000}
  liquidity: {min_dwell_ms: 1000}
""" + EAGER_COSTS_YAML
S = 1_000_000_000


async def _run_child(server: EmulatorServer, env: dict[str, str], run_dir: Path,
                     seconds: float, kill_after_s: float | None) -> int:
    config = run_dir.parent / "config"
    config.mkdir(exist_ok=True)
    (config / "thresholds.yaml").write_text(FAST_THRESHOLDS)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hyperliquid_ofi_trader.main", "run", "--venue", "hyperliquid",
        "--url", server.base_url, "--config", str(config), "--run-dir", str(run_dir),
        "--duration", str(seconds), "--json", env=env, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)
    if kill_after_s is None:
        return await asyncio.wait_for(proc.wait(), timeout=seconds + 60)
    await asyncio.sleep(kill_after_s)
    proc.send_signal(signal.SIGKILL)
    return await proc.wait()


def _venue_info(server: EmulatorServer, body: dict[str, Any]) -> Any:
    status, answer = server.venue.handle_info(body, LiveClock().now_ns())
    assert status == 200, answer
    return answer


async def test_every_venue_order_and_fill_maps_to_exactly_one_decision(
        tmp_path: Path) -> None:
    key = generate_throwaway_key()
    account = key.address.lower()
    server, _ = build_server(SimExchangeOptions(seed=11, funded_accounts=(key.address,)),
                             LiveClock())
    await server.start("127.0.0.1", 0)
    env = {**os.environ, PRIVATE_KEY_ENV: key.reveal().hex()}
    run_dir = tmp_path / "run"
    rng = random.Random(7)
    try:
        for _ in range(KILLS):
            code = await _run_child(server, env, run_dir, 600.0, rng.uniform(4.0, 9.0))
            assert code == -signal.SIGKILL
        assert await _run_child(server, env, run_dir, 8.0, None) == 0
        venue: Any = server.venue
        venue_orders = {cloid: oid for (user, cloid), oid in venue.cloid_records.items()
                        if user == account}
        venue_fills = _venue_info(server, {"type": "userFills", "user": account})
    finally:
        await server.stop()
    assert len(venue_orders) >= 20, "too few orders to say anything"

    conn = sqlite3.connect(run_dir / "journal.sqlite")
    try:
        orders = {c: (d, created) for c, d, created in conn.execute(
            "SELECT cloid, decision_id, created_ns FROM orders")}
        decisions = {i: (outcome, local_ns) for i, outcome, local_ns in conn.execute(
            "SELECT id, outcome, local_ns FROM decisions")}
        fills = {(coin, tid): cloid for coin, tid, cloid in conn.execute(
            "SELECT coin, tid, cloid FROM fills")}
    finally:
        conn.close()

    cited: dict[int, list[str]] = {}
    for cloid in venue_orders:
        assert cloid in orders, f"venue order {cloid} has no order row"
        decision_id, created_ns = orders[cloid]
        assert decision_id in decisions, f"order {cloid} cites missing decision {decision_id}"
        outcome, decided_ns = decisions[decision_id]
        assert outcome in (Outcome.SUBMIT, LOST_OUTCOME), (cloid, decision_id, outcome)
        # The decision that placed it, in the same process: taken just before the order.
        assert 0 <= created_ns - decided_ns < 5 * S, (cloid, decision_id)
        cited.setdefault(decision_id, []).append(cloid)

    lost = sum(1 for outcome, _ in decisions.values() if outcome == LOST_OUTCOME)
    print(f"{KILLS} SIGKILLs: {len(venue_orders)} venue orders citing {len(cited)} "
          f"decisions ({lost} recovered as lost), {len(venue_fills)} venue fills")
    oid_to_cloid = {oid: cloid for cloid, oid in venue_orders.items()}
    for fill in venue_fills:
        cloid = fill.get("cloid") or oid_to_cloid.get(fill["oid"])
        assert cloid in orders, f"venue fill {fill['tid']} maps to no order row"
        assert fills.get((fill["coin"], fill["tid"])) == cloid, fill["tid"]
