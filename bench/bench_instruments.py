"""Cost of price/size rounding and the gateway's wire checks: Decimal reference vs fast path.

For each operation, "before" is the exact Decimal reference (what every call did before the
float fast path) and "after" is the function the order path calls now; both give the same
answers (tests/property/test_instruments_props.py). Inputs cycle through realistic prices
and sizes for BTC, ETH, SOL and a small coin, so no single value is cached by the CPU.

Calls are timed in blocks of --block calls (a clock read costs about as much as the fast
path itself), so p50 / p99 are of the per-call mean within each block, in ns; before and
after blocks alternate, so load from other processes skews both alike.
order_to_wire / build_place "before" run the same code with the gateway's checks and
`float_to_wire` switched back to their reference paths for each "before" block.

Run: .venv/bin/python bench/bench_instruments.py [--blocks N] [--block B]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout that is not pip-installed

from hyperliquid_ofi_trader.core.commands import PlaceOrder  # noqa: E402
from hyperliquid_ofi_trader.core.events import Side  # noqa: E402
from hyperliquid_ofi_trader.core.stages import Tif  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.asset_meta import AssetRegistry  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.common import instruments as ins  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.execution import action_wire as wire  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.execution import gateway_actions  # noqa: E402

Samples = np.ndarray[Any, np.dtype[np.float64]]
COINS = [("BTC", 5, 97_000.0), ("ETH", 4, 2_500.0), ("SOL", 2, 150.0), ("KAS", 0, 0.0123)]
META = {"universe": [{"name": c, "szDecimals": sz, "maxLeverage": 10} for c, sz, _ in COINS]}
SIDES = [Side.BID, Side.ASK]


def measure(fn: Callable[[int], object], blocks: int, block: int) -> Samples:
    """Per-call ns: the mean over each block of `block` calls, one sample per block."""
    return measure_pair(fn, fn, blocks, block)[0]


def measure_pair(before: Callable[[int], object], after: Callable[[int], object], blocks: int,
                 block: int, before_in: Callable[[], AbstractContextManager[None]] = nullcontext,
                 ) -> tuple[Samples, Samples]:
    """Like `measure` for two functions, alternating blocks so that a load change on a
    shared machine hits both alike. `before` blocks run inside `before_in()`."""
    contexts = (before_in, nullcontext)
    for fn, ctx in zip((before, after), contexts, strict=True):
        with ctx():
            for i in range(block * 10):  # warm-up
                fn(i)
    out = (np.empty(blocks, dtype=np.float64), np.empty(blocks, dtype=np.float64))
    clock = time.perf_counter_ns
    for b in range(blocks):
        base = b * block
        for fn, ctx, samples in zip((before, after), contexts, out, strict=True):
            with ctx():
                t0 = clock()
                for i in range(base, base + block):
                    fn(i)
                samples[b] = (clock() - t0) / block
    return out


def report(name: str, before: Samples, after: Samples) -> None:
    b50, b99 = np.percentile(before, [50, 99])
    a50, a99 = np.percentile(after, [50, 99])
    print(f"{name:<20} before p50 {b50:8.0f} p99 {b99:8.0f} ns   after p50 {a50:7.0f} "
          f"p99 {a99:7.0f} ns   x{b50 / a50:5.1f}")


@contextmanager
def reference_paths() -> Iterator[None]:
    """The gateway's checks and float_to_wire as they were: Decimal and the checked path."""
    swaps: list[tuple[object, str, object]] = [
        (gateway_actions, "is_valid_price", ins.is_valid_price_decimal),
        (gateway_actions, "is_valid_size", ins.is_valid_size_decimal),
        (wire, "float_to_wire", wire._float_to_wire_checked)]
    saved = [(module, name, getattr(module, name)) for module, name, _ in swaps]
    for module, name, reference in swaps:
        setattr(module, name, reference)
    try:
        yield
    finally:
        for module, name, fast in saved:
            setattr(module, name, fast)


def reference_tick_size(price: float, sz_decimals: int) -> float:
    """`tick_size` as it was: the decimals from the Decimal's exponent."""
    ins._check_sz_decimals(sz_decimals, ins.PERP_MAX_DECIMALS)
    k = ins._decimals_at(ins._price_dec(price), sz_decimals, ins.PERP_MAX_DECIMALS)
    return float(Decimal(1).scaleb(-k))


def inputs(n: int, seed: int = 7) -> tuple[list[tuple[float, int]], list[tuple[float, int]]]:
    """Raw (price, szDecimals) and (size, szDecimals) pairs near each coin's level."""
    rng = random.Random(seed)
    prices, sizes = [], []
    for i in range(n):
        _, sz, level = COINS[i % len(COINS)]
        prices.append((level * (1 + rng.uniform(-0.01, 0.01)), sz))
        sizes.append((12.0 / level * rng.uniform(0.5, 3.0), sz))
    return prices, sizes


def orders(prices: list[tuple[float, int]],
           sizes: list[tuple[float, int]]) -> list[PlaceOrder]:
    out = []
    for i, ((px, sz), (size, _)) in enumerate(zip(prices, sizes, strict=True)):
        coin = COINS[i % len(COINS)][0]
        out.append(PlaceOrder(
            cloid=wire.make_cloid(i), coin=coin, is_buy=i % 2 == 0,
            price=ins.round_price(px, sz, SIDES[i % 2]), size=ins.round_size(size, sz),
            tif=Tif.ALO, reduce_only=False, decision_id=i))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--blocks", type=int, default=400, help="timed blocks per figure")
    parser.add_argument("--block", type=int, default=50, help="calls per timed block")
    args = parser.parse_args()
    blocks, block = args.blocks, args.block
    n = 1024
    prices, sizes = inputs(n)
    rounded = [(ins.round_price(p, sz, Side.ASK), sz) for p, sz in prices]
    placed = orders(prices, sizes)
    assets = AssetRegistry.from_meta(META)
    m = n - 1

    def both(name: str, before: Callable[[int], object], after: Callable[[int], object]) -> None:
        report(name, *measure_pair(before, after, blocks, block))

    print(f"per call, ns; {blocks} blocks of {block} calls; inputs cycle over {n} values")
    both("round_price",
         lambda i: float(ins.round_price_decimal(*prices[i & m], SIDES[i & 1])),
         lambda i: ins.round_price(*prices[i & m], SIDES[i & 1]))
    both("round_size",
         lambda i: float(ins.round_size_decimal(*sizes[i & m])),
         lambda i: ins.round_size(*sizes[i & m]))
    both("tick_size",
         lambda i: reference_tick_size(*prices[i & m]),
         lambda i: ins.tick_size(*prices[i & m]))
    both("is_valid_price",
         lambda i: ins.is_valid_price_decimal(*rounded[i & m]),
         lambda i: ins.is_valid_price(*rounded[i & m]))
    both("meets_min_value",
         lambda i: ins.meets_min_value_decimal(prices[i & m][0], *sizes[i & m]),
         lambda i: ins.meets_min_value(prices[i & m][0], *sizes[i & m]))
    both("float_to_wire",
         lambda i: wire._float_to_wire_checked(rounded[i & m][0]),
         lambda i: wire.float_to_wire(rounded[i & m][0]))
    report("order_to_wire", *measure_pair(
        lambda i: gateway_actions.order_to_wire(placed[i & m], assets),
        lambda i: gateway_actions.order_to_wire(placed[i & m], assets),
        blocks, block, before_in=reference_paths))
    report("build_place (1)", *measure_pair(
        lambda i: gateway_actions.build_place([placed[i & m]], assets),
        lambda i: gateway_actions.build_place([placed[i & m]], assets),
        blocks, block, before_in=reference_paths))

if __name__ == "__main__":
    main()
