"""Per-decision cost of the SQLite decision journal, with batching, and of a whole engine
decision (Bbo event -> book update -> stages -> journal row).

1. `record_decision` with realistic inputs (book top, lead book, signals, regime, alpha
   breakdown, one intent), timed per call; a call that fills the batch pays the commit,
   so p99 shows the commit spike and the mean shows the amortised cost.
2. `flush` per batch (one transaction), per batch size.
3. `Engine.on_event(Bbo)` end to end with trivial in-bench stages (the engine's own
   overhead plus the journal; real signal/regime/alpha costs are in their own benches).
Files go to a temporary folder (WAL, synchronous=NORMAL, as in production).

Run: .venv/bin/python bench/bench_journal.py [--n N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout that is not pip-installed

from hyperliquid_ofi_trader.config.loader import load_config  # noqa: E402
from hyperliquid_ofi_trader.core.clock import ReplayClock  # noqa: E402
from hyperliquid_ofi_trader.core.engine import Engine, EngineSettings  # noqa: E402
from hyperliquid_ofi_trader.core.events import Bbo, MarketEvent  # noqa: E402
from hyperliquid_ofi_trader.core.journal import Journal  # noqa: E402
from hyperliquid_ofi_trader.core.stages import (  # noqa: E402
    GateResult,
    OrderIntent,
    PlanIntent,
    Tif,
)
from hyperliquid_ofi_trader.core.state import TradingState  # noqa: E402
from hyperliquid_ofi_trader.runtime.assembly import build_markets  # noqa: E402

MS = 1_000_000


def sample_inputs(i: int) -> dict[str, Any]:
    top = {"bid": 3300.1 + i % 7, "bid_sz": 2.5, "ask": 3300.2 + i % 7, "ask_sz": 7.1,
           "mid": 3300.15, "depth5": 55.2, "exchange_ns": 1_700_000_000_000_000_000 + i}
    return {"event": "Bbo", "source_coin": "ETH", "book": top, "lead_book": dict(top),
            "signals": {"ofi": 0.81, "leadlag": 1.0, "aggressive_volume": -0.2,
                        "microprice": 0.05},
            "regime": {"tradable": True, "liquidity": "LIQUID", "volatility": "NORMAL",
                       "liquidation": False, "reasons": []},
            "alpha": 0.43, "alpha_explain": {"raw": 0.6, "compressed": 0.53,
                                             "conditioned": 0.43, "reason": "ok"},
            "position": 0.1,
            "intents": [{"coin": "ETH", "is_buy": True, "size": 0.01, "price": 3300.2,
                         "tif": "Ioc", "reduce_only": False, "tag": "ofi_high"}]}


def pct(samples_ns: Sequence[int] | np.ndarray[Any, Any]) -> str:
    arr = np.asarray(samples_ns, dtype=np.float64) / 1e3
    p50, p99 = np.percentile(arr, [50, 99])
    return f"p50 {p50:7.2f} µs  p99 {p99:8.2f} µs  mean {arr.mean():7.2f} µs"


def bench_record(folder: Path, n: int, batch: int) -> None:
    inputs = [sample_inputs(i) for i in range(n)]
    journal = Journal(folder / f"record_{batch}.sqlite", batch_size=batch)
    samples = np.empty(n, dtype=np.int64)
    clock = time.perf_counter_ns
    start = clock()
    for i in range(n):
        t0 = clock()
        journal.record_decision(exchange_ns=i, local_ns=i, coin="ETH", trigger="Bbo",
                                outcome="submit", reason="1 intent(s) approved",
                                trading_state="ACTIVE", inputs=inputs[i])
        samples[i] = clock() - t0
    journal.close()
    total_s = (clock() - start) / 1e9
    print(f"  record_decision batch={batch:4d}: {pct(samples)}  "
          f"{n / total_s:9.0f} decisions/s")


def bench_flush(folder: Path, n: int, batch: int) -> None:
    journal = Journal(folder / f"flush_{batch}.sqlite", batch_size=10**9)
    samples: list[int] = []
    inputs = sample_inputs(0)
    for i in range(n):
        journal.record_decision(exchange_ns=i, local_ns=i, coin="ETH", trigger="Bbo",
                                outcome="skip", reason="r", trading_state="ACTIVE",
                                inputs=inputs)
        if (i + 1) % batch == 0:
            t0 = time.perf_counter_ns()
            journal.flush()
            samples.append(time.perf_counter_ns() - t0)
    journal.close()
    print(f"  flush of {batch:4d} rows:           {pct(samples)}  "
          f"({np.median(samples) / batch / 1e3:.2f} µs per row)")


class Regime(msgspec.Struct, frozen=True):
    tradable: bool = True
    reasons: tuple[str, ...] = ()


class Stages:
    """Trivial stand-ins for the strategy, so the figure is the engine's own cost."""

    regime = Regime()

    def on_event(self, event: MarketEvent) -> None:
        pass

    def values(self, coin: str) -> Mapping[str, float]:
        return {"ofi": 0.7, "leadlag": 1.0}

    def compute(self, signals: Mapping[str, float], regime: Regime) -> float:
        return 0.5

    def position(self, coin: str) -> float:
        return 0.0

    def route(self, coin: str, alpha: float, ofi: float | None,
              position: float) -> Sequence[OrderIntent]:
        return (OrderIntent(coin=coin, is_buy=True, size=0.01, price=3300.0, tif=Tif.IOC),)

    def check(self, intents: Sequence[PlanIntent], state: TradingState,
              now_ns: int) -> GateResult:
        return GateResult(approved=tuple(intents), rejected=())

    def submit(self, decision_id: int, intents: Sequence[PlanIntent]) -> None:
        pass

    def cancel_all(self, reason: str) -> None:
        pass


class RegimeStage:
    def on_event(self, event: MarketEvent) -> None:
        pass

    def values(self, coin: str) -> Regime:
        return Stages.regime


def bench_engine(folder: Path, n: int) -> None:
    s = Stages()
    clock = ReplayClock()
    journal = Journal(folder / "engine.sqlite", batch_size=64)
    settings = EngineSettings.from_config(load_config(), coins=("BTC", "ETH"), traded=("ETH",),
                                          lead="BTC")
    engine = Engine(settings, clock, journal, markets=build_markets(settings), signals=s,
                    regime=RegimeStage(), alpha=s, router=s, positions=s, risk_gate=s,
                    order_sink=s)
    events = [Bbo(exchange_ns=i * MS, local_ns=i * MS + 3 * MS, coin="ETH",
                  bid=(3300.0 + i % 5 * 0.1, 1.0 + i % 3, 2),
                  ask=(3300.6 + i % 5 * 0.1, 2.0, 3)) for i in range(n)]
    samples = np.empty(n, dtype=np.int64)
    for i, ev in enumerate(events):
        clock.advance_to(ev.local_ns)
        t0 = time.perf_counter_ns()
        engine.on_event(ev)
        samples[i] = time.perf_counter_ns() - t0
    journal.close()
    print(f"  Engine.on_event(Bbo) full pipeline, journal batch=64: {pct(samples)}  "
          f"({engine.decisions} decisions)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="decisions per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"journal: {args.n} decisions per run, WAL + synchronous=NORMAL, tmp={tmp}")
        for batch in (1, 16, 64, 256):
            bench_record(folder, args.n if batch > 1 else min(args.n, 2000), batch)
        for batch in (16, 64, 256):
            bench_flush(folder, args.n, batch)
        bench_engine(folder, args.n)


if __name__ == "__main__":
    main()
