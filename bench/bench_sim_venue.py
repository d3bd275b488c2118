"""Emulator core costs: signed order + cancel round trips, and market-event handling.

Run: .venv/bin/python bench/bench_sim_venue.py   (prints per-op µs p50/p99 and throughput)
"""

from __future__ import annotations

import statistics
import time

from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.events import BookSnapshot, Trade, Trades
from hyperliquid_ofi_trader.sim.settings import SimSettings
from hyperliquid_ofi_trader.sim.venue import SimVenue
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import SecretKey
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer

T0_MS = 1_700_000_000_000
MS = 1_000_000
N = 3_000


def _pcts(samples_ns: list[int]) -> str:
    qs = statistics.quantiles(samples_ns, n=100)
    return f"p50 {qs[49] / 1e3:8.1f} µs  p99 {qs[98] / 1e3:8.1f} µs"


def _venue() -> SimVenue:
    venue = SimVenue(SimSettings(address_initial_requests=10_000_000,
                                 ip_weight_per_minute=10_000_000,
                                 max_open_orders=N), ReplayClock(T0_MS * MS))
    bids = tuple((100_000.0 - i, 1.0, 2) for i in range(20))
    asks = tuple((100_001.0 + i, 1.0, 2) for i in range(20))
    venue.on_market(BookSnapshot(exchange_ns=T0_MS * MS, local_ns=T0_MS * MS, coin="BTC",
                                 bids=bids, asks=asks))
    return venue


def bench_orders() -> None:
    venue = _venue()
    signer = L1Signer(SecretKey.from_hex("0x" + "11" * 32), mainnet=False)
    venue.fund(signer.address)
    bodies = []
    for i in range(N):  # pre-sign: measure the venue, not the client
        px = str(99_000 + (i % 500))
        action = {"type": "order", "grouping": "na", "orders": [
            {"a": 0, "b": True, "p": px, "s": "0.001", "r": False,
             "t": {"limit": {"tif": "Gtc"}}}]}
        nonce = T0_MS + i
        bodies.append({"action": action, "nonce": nonce,
                       "signature": signer.sign_action(action, nonce),
                       "vaultAddress": None, "expiresAfter": None})
    samples = []
    start = time.perf_counter_ns()
    for body in bodies:
        t = time.perf_counter_ns()
        status, resp = venue.handle_exchange(body, T0_MS * MS)
        samples.append(time.perf_counter_ns() - t)
        assert status == 200, resp
        assert "resting" in resp["response"]["data"]["statuses"][0], resp
    total = time.perf_counter_ns() - start
    venue.take_pushes()
    print(f"place GTC (verify + rest), {N} open : {_pcts(samples)}  "
          f"{N / (total / 1e9):8.0f} orders/s")


def bench_market() -> None:
    venue = _venue()
    signer = L1Signer(SecretKey.from_hex("0x" + "22" * 32), mainnet=False)
    for i in range(200):  # 200 resting orders below the touch
        action = {"type": "order", "grouping": "na", "orders": [
            {"a": 0, "b": True, "p": str(99_800 + i), "s": "0.001", "r": False,
             "t": {"limit": {"tif": "Gtc"}}}]}
        venue.handle_exchange({"action": action, "nonce": T0_MS + i,
                               "signature": signer.sign_action(action, T0_MS + i),
                               "vaultAddress": None, "expiresAfter": None}, T0_MS * MS)
    snaps, prints = [], []
    for i in range(N):
        bids = tuple((100_000.0 - j, 1.0 + (i % 3), 2) for j in range(20))
        asks = tuple((100_001.0 + j, 1.0, 2) for j in range(20))
        t = time.perf_counter_ns()
        venue.on_market(BookSnapshot(exchange_ns=(T0_MS + i) * MS, local_ns=(T0_MS + i) * MS,
                                     coin="BTC", bids=bids, asks=asks))
        snaps.append(time.perf_counter_ns() - t)
        trade = Trade(coin="BTC", price=100_000.0, size=0.1, is_buy=False,
                      exchange_ns=(T0_MS + i) * MS, tid=i, hash="0x0")
        t = time.perf_counter_ns()
        venue.on_market(Trades(exchange_ns=(T0_MS + i) * MS, local_ns=(T0_MS + i) * MS,
                               coin="BTC", trades=(trade,)))
        prints.append(time.perf_counter_ns() - t)
    print(f"on_market BookSnapshot, 200 ours  : {_pcts(snaps)}")
    print(f"on_market Trades (1 print)         : {_pcts(prints)}")


if __name__ == "__main__":
    bench_orders()
    bench_market()
