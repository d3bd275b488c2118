"""Per-stage cost of the strategy half of the pipeline, on the default (ETH-traded) setup.

For every synthetic market event: the kill switch's `check`, the market-data update (book,
market state, trade tape), then for each traded coin the event concerns: the signal stage,
the regime stage, and when the regime allows it the alpha combiner and its `explain` (what
the engine journals). Each stage is timed on its own with perf_counter_ns; the figures are
per call, p50 / p99 / mean in µs, plus the events per second of the whole loop.

No execution, journal or engine glue: bench_event_to_wire.py measures the full pipeline.
Run: .venv/bin/python bench/bench_strategy_stages.py [blocks]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.core.engine import EngineSettings
from hyperliquid_ofi_trader.core.events import AssetCtx, Bbo, BookSnapshot, MarketEvent, Trades
from hyperliquid_ofi_trader.data.coin_data import CoinData
from hyperliquid_ofi_trader.risk.kill_switch import KillSwitch
from hyperliquid_ofi_trader.runtime.assembly import build_markets, build_strategy
from hyperliquid_ofi_trader.sim.synthetic import SyntheticMarket

STAGES = ("kill_check", "feed_market", "signals", "regime", "alpha", "alpha_explain")


def _feed(market: CoinData, ev: MarketEvent) -> None:
    if type(ev) is Bbo:
        market.on_bbo(ev)
    elif type(ev) is BookSnapshot:
        market.on_book(ev)
    elif type(ev) is Trades:
        market.on_trades(ev)
    elif type(ev) is AssetCtx:
        market.on_asset_ctx(ev)


def run(blocks: int) -> tuple[dict[str, list[int]], int, float]:
    cfg = build_config({})
    settings = EngineSettings.from_config(cfg)
    markets = build_markets(settings)
    strategy = build_strategy(cfg, markets)
    kill = KillSwitch.from_config(cfg)
    targets = settings.decision_targets()
    signals, regime, alpha = strategy.signals, strategy.regime, strategy.alpha
    market = SyntheticMarket(seed=11)
    events = [ev for _ in range(blocks) for ev in market.next_block()]
    times: dict[str, list[int]] = {name: [] for name in STAGES}
    clock = time.perf_counter_ns
    now = 0
    start = clock()
    for ev in events:
        now = max(now, ev.local_ns)
        t0 = clock()
        kill.check(ev, now)
        t1 = clock()
        _feed(markets[ev.coin], ev)
        t2 = clock()
        times["kill_check"].append(t1 - t0)
        times["feed_market"].append(t2 - t1)
        for coin in targets.get(ev.coin, ()):
            t3 = clock()
            values = signals.update(coin, ev, now)
            t4 = clock()
            verdict = regime.update(coin, ev, now)
            t5 = clock()
            times["signals"].append(t4 - t3)
            times["regime"].append(t5 - t4)
            if verdict.tradable:
                alpha.compute(values, verdict)
                t6 = clock()
                alpha.explain()
                t7 = clock()
                times["alpha"].append(t6 - t5)
                times["alpha_explain"].append(t7 - t6)
    return times, len(events), (clock() - start) / 1e9


def main() -> None:
    blocks = int(sys.argv[1]) if len(sys.argv) > 1 else 6000
    times, n_events, elapsed = run(blocks)
    print(f"{n_events} events in {elapsed:.2f} s: {n_events / elapsed:,.0f} events/s "
          "(including the timers' own overhead)")
    total_p50 = 0.0
    for name in STAGES:
        arr = np.asarray(times[name], dtype=np.float64) / 1e3
        if not arr.size:
            continue
        p50, p99 = np.percentile(arr, [50, 99])
        total_p50 += p50
        print(f"  {name:14s} n={arr.size:6d}  p50 {p50:6.2f} µs  p99 {p99:6.2f} µs  "
              f"mean {arr.mean():6.2f} µs")
    print(f"  sum of p50s    {total_p50:6.2f} µs")


if __name__ == "__main__":
    main()
