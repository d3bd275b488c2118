"""The fast lead-lag path: a lead-coin (BTC) event in -> the lagging coin's (ETH) signed order.

Same harness as bench_event_to_wire.py (the live pipeline, the real gateway and post
channel, a socket stub that answers at once), on the SYNTHETIC `exploitable` scenario, where
ETH follows BTC. Only events of the LEAD coin that make the engine place an ETH order are
timed: from `Engine.on_event(btc_event)` to the signed `post` frame of the ETH order. On that
path nothing waits for an ETH event, a stale ETH OFI is no veto (the router decides on the
forecast; OFI only adds urgency), and the order draws on the lead-lag share of the order
budget (tag "_lead", risk/exposure.py).

To have decisions to time, the economics are relaxed (cheapest fee tier, no margins) and
the order rate widened: this measures latency, not profit (bench_edge_scenarios.py does).

Run: .venv/bin/python bench/bench_leadlag_path.py [--minutes 10]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_event_to_wire import (
    META,
    AnsweringSocket,
    TimedPostChannel,
    _jitter_reference,
    _line,
    _settle,
)

from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.config.packaged import packaged_config
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.events import AccountSnapshot, AnyEvent, Timer
from hyperliquid_ofi_trader.core.journal import Journal
from hyperliquid_ofi_trader.data.coin_data import CoinData
from hyperliquid_ofi_trader.runtime.assembly import (
    Execution,
    Strategy,
    build_engine,
    build_trust,
)
from hyperliquid_ofi_trader.runtime.execution_stack import build_execution
from hyperliquid_ofi_trader.sim.scenarios import settings_for
from hyperliquid_ofi_trader.sim.synthetic import SyntheticMarket
from hyperliquid_ofi_trader.venues.hyperliquid.asset_meta import AssetRegistry
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import (
    RateLimiter,
)
from hyperliquid_ofi_trader.venues.hyperliquid.execution.gateway import HyperliquidGateway
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import generate_throwaway_key
from hyperliquid_ofi_trader.venues.hyperliquid.signing.nonce import NonceCounter
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer

_EAGER: dict[str, dict[str, Any]] = {
    "thresholds.yaml": {
        "costs": {"fee_tier": 6, "maker_rebate_tier": 3, "adverse_prior_bps": 0.0,
                  "expected_slippage_bps": 0.0, "min_margin_bps": 0.0, "uncertainty_k": 0.0},
        "forecast": {"min_evidence": 0.0}},
    "risk.yaml": {"kill_switch": {"max_order_rtt_ms": 3_600_000, "depth_vanish_fraction": 0.99},
                  "limits": {"max_orders_per_minute": 600}}}

# risk.yaml `rate_limits` as packaged; varied with .replaced(...).
BUDGETS = packaged_config().risk.rate_limits


async def run(minutes: float) -> tuple[list[int], int, int]:
    cfg = build_config(_EAGER)
    clock = ReplayClock()
    sock = AnsweringSocket()
    post = TimedPostChannel(sock.send, clock)
    pending: list[AnyEvent] = []
    trust = build_trust(cfg)
    lead_to_frame: list[int] = []
    lead_orders = own_orders = 0
    key = generate_throwaway_key()
    async with aiohttp.ClientSession() as session:
        gateway = HyperliquidGateway(
            L1Signer(key, mainnet=False), key.address, NonceCounter(clock),
            AssetRegistry.from_meta(META), post, "http://127.0.0.1:9", session,
            pending.append, clock,
            RateLimiter(BUDGETS.replaced(address_initial_requests=1_000_000)))
        sock.gateway = gateway
        await gateway.start()
        with tempfile.TemporaryDirectory() as tmp, Journal(Path(tmp) / "j.sqlite") as journal:

            def execution(markets: Mapping[str, CoinData], strategy: Strategy) -> Execution:
                return build_execution(cfg, clock, markets, gateway, None, trust,
                                       strategy.signals.fresh).execution

            engine, _ = build_engine(cfg, clock, journal, execution=execution, trust=trust)
            market = SyntheticMarket(settings_for("exploitable"), seed=11)
            engine.on_event(AccountSnapshot(
                exchange_ns=0, local_ns=market.now_ns, user=key.address, open_orders=(),
                positions=(), recent_fills=(), account_value=1e5, withdrawable=1e5))
            lead = cfg.symbols.lead_lag[0].lead
            for _ in range(int(minutes * 600)):
                for ev in [*market.next_block(),
                           Timer(exchange_ns=0, local_ns=market.now_ns, name="journal_flush")]:
                    clock.advance_to(ev.local_ns)
                    before = len(post.prepared)
                    t0 = time.perf_counter_ns()
                    engine.on_event(ev)
                    await _settle(engine.on_event, pending)
                    if len(post.prepared) == before:
                        continue
                    if getattr(ev, "coin", "") == lead:
                        lead_orders += 1
                        lead_to_frame.append(post.prepared[before][0] - t0)
                    else:
                        own_orders += 1
        await gateway.stop()
    return lead_to_frame, lead_orders, own_orders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0,
                        help="simulated minutes of market (600 blocks each)")
    args = parser.parse_args()
    samples, lead_orders, own_orders = asyncio.run(run(args.minutes))
    print(f"SYNTHETIC exploitable market, {args.minutes:g} simulated minutes: orders placed on "
          f"a lead-coin event {lead_orders}, on the traded coin's own events {own_orders}")
    if not samples:
        print("no order followed a lead-coin event: nothing to measure")
        return
    print(_line("lead (BTC) event in -> lagging coin (ETH) signed post frame", samples,
                "  (target p99 <= 200 µs)"))
    reference = _jitter_reference(float(np.median(samples)))
    print(_line("this host, identical fixed work of that median", reference,
                "  (host jitter, not our code)"))


if __name__ == "__main__":
    main()
