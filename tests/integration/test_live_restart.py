"""A restarted live runner never reuses a nonce, whatever its clock does, and keeps the
day's PnL for the daily loss limit.

Two LiveRunner processes' worth of runs against one emulator, same signer, same run
directory: the second run's nonces must all lie above everything the first one sent by the
restart margin, which is what keeps the venue from answering "nonce too low" when the host
clock stepped back between runs (venues/hyperliquid/signing/nonce.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hyperliquid_ofi_trader.cli.sim_exchange import SimExchangeOptions, build_server
from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.execution.order_store import OrderStore
from hyperliquid_ofi_trader.runtime.live import LiveRunner, RunOptions, VenueEndpoints
from hyperliquid_ofi_trader.sim.server import EmulatorServer
from hyperliquid_ofi_trader.sim.venue import SimVenue
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import SecretKey, generate_throwaway_key
from tests.plumbing import EAGER_COSTS

pytestmark = pytest.mark.timeout(90)

FAST = {"thresholds.yaml": {"regime": {"volatility": {"halflife_ms": 2000},
                                       "liquidity": {"min_dwell_ms": 1000}},
                            **EAGER_COSTS}}


async def _run(server: EmulatorServer, key: SecretKey, run_dir: Path,
               seconds: float) -> LiveRunner:
    runner = LiveRunner(build_config(FAST),
                        VenueEndpoints(rest_url=server.base_url, ws_url=server.ws_url,
                                       mainnet=False, name="emulator"),
                        key, key.address, RunOptions(run_dir=run_dir, duration_s=seconds))
    await runner.run()
    return runner


async def test_second_run_starts_above_everything_the_first_sent(tmp_path: Path) -> None:
    key = generate_throwaway_key()
    server, _ = build_server(SimExchangeOptions(seed=5, funded_accounts=(key.address,)),
                             LiveClock())
    await server.start("127.0.0.1", 0)
    venue = server.venue
    assert isinstance(venue, SimVenue)
    signer = key.address.lower()
    try:
        runner = await _run(server, key, tmp_path / "run", 8.0)
        first = venue.nonces.kept(signer)
        assert first, "the first run sent no signed action"
        assert runner.stack is not None
        today = runner.stack.kill.today_pnl(LiveClock().now_ns())
        assert today is not None
        store = OrderStore(tmp_path / "run" / "journal.sqlite")
        saved, saved_pnl = store.load_nonce_floor(signer), store.load_daily_pnl(today[0])
        store.close()
        assert saved >= max(first)
        assert saved_pnl == pytest.approx(today[1], abs=1e-6)  # saved at shutdown
        await asyncio.sleep(0.1)
        await _run(server, key, tmp_path / "run", 6.0)
        second = sorted(set(venue.nonces.kept(signer)) - set(first))
        assert second, "the second run sent no signed action"
        assert min(second) > max(first)
        # ...and no further ahead of the clock than a burst: restarts do not drift.
        assert min(second) <= LiveClock().now_ns() // 1_000_000 + 1_000
        assert venue.rejected.get("nonce", 0) == 0
    finally:
        await server.stop()
