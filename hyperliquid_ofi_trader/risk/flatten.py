"""Optional flattening on halt (`kill_switch.flatten_on_kill` in risk.yaml).

Halting always cancels every order. With flattening on, the engine then closes each open
position with reduce-only IOC orders priced through the touch by the router's slippage
tolerance: reduce-only so they can never open or flip a position, IOC so nothing is left
resting on a halted system. Off by default: a panic market close usually costs more than
keeping a small position under a human's eyes.

This module only proposes the orders (`Flattener`). They go out the way every order action
does (core/engine.py, `_flatten_on_halt`): held to what REDUCING lets through, then the
risk gate (tick, lot, the $10 minimum, `max_order_usd`, the order budget), then the sink
under a journaled decision of their own. So a position worth more than `max_order_usd`
is closed in several orders, each within it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.events import Side
from hyperliquid_ofi_trader.core.stages import OrderIntent, Tif
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import Instrument, RoundMode

FLATTEN_TAG = "flatten_on_halt"
_MAX_CHUNKS = 1_000  # a position that needs more orders than this is left to a human


def flatten_intents(positions: Mapping[str, float], books: Mapping[str, BookView],
                    instruments: Mapping[str, Instrument], slippage_bps: float,
                    max_order_usd: float = math.inf) -> list[OrderIntent]:
    """Reduce-only IOCs closing every non-zero position that has a touch to trade
    against: one per coin, or as few equal ones as keep each within `max_order_usd`."""
    intents: list[OrderIntent] = []
    for coin, size in positions.items():
        inst, book = instruments.get(coin), books.get(coin)
        if inst is None or book is None:
            continue
        qty = inst.round_size(abs(size))
        if qty <= 0:
            continue
        is_buy = size < 0
        touch = book.best_ask() if is_buy else book.best_bid()
        if touch is None:
            continue
        factor = 1 + slippage_bps / 1e4 if is_buy else 1 - slippage_bps / 1e4
        # Round away from the touch's far side so the limit stays within the tolerance.
        price = inst.round_price(touch[0] * factor, Side.BID if is_buy else Side.ASK)
        intents.extend(OrderIntent(coin=coin, is_buy=is_buy, size=part, price=price,
                                   tif=Tif.IOC, reduce_only=True, tag=FLATTEN_TAG)
                       for part in _chunks(inst, qty, price, max_order_usd))
    return intents


def _chunks(inst: Instrument, qty: float, price: float, max_order_usd: float) -> list[float]:
    """`qty` in n near-equal lots-rounded parts, n the fewest that keep each part's value
    within `max_order_usd` (equal parts: no dust remainder under the venue's $10)."""
    n = max(1, math.ceil(qty * price / max_order_usd)) if max_order_usd < math.inf else 1
    while n <= _MAX_CHUNKS:
        part = inst.round_size(qty / n)
        # qty and part are on the lot grid: their difference is too, up to float error.
        last = inst.round_size(qty - part * (n - 1), RoundMode.NEAREST)
        if part > 0 and last * price <= max_order_usd:
            return [part] * (n - 1) + [last]
        n += 1
    return [qty]  # beyond any sane split: one order, which the gate judges and refuses


class Flattener:
    """What the engine asks for while halted: the intents closing every open position of a
    coin with nothing of ours live (`busy`). An order still live may yet fill (an IOC in
    flight at the halt, a cancel not yet acknowledged, our own closing IOC), so the position
    is closed once it can no longer change: the engine asks again as answers arrive."""

    __slots__ = ("_books", "_busy", "_instruments", "_max_order_usd", "_positions",
                 "_slippage_bps", "proposed")

    def __init__(self, positions: Callable[[], Mapping[str, float]],
                 books: Mapping[str, BookView], instruments: Mapping[str, Instrument],
                 slippage_bps: float, max_order_usd: float = math.inf,
                 busy: Callable[[str], bool] | None = None) -> None:
        self._positions = positions
        self._books = books
        self._instruments = instruments
        self._slippage_bps = slippage_bps
        self._max_order_usd = max_order_usd
        self._busy = busy
        self.proposed = 0

    def __call__(self) -> list[OrderIntent]:
        held = self._positions()
        busy = self._busy
        if busy is not None:
            held = {coin: size for coin, size in held.items() if size and not busy(coin)}
        intents = flatten_intents(held, self._books, self._instruments,
                                  self._slippage_bps, self._max_order_usd)
        self.proposed += len(intents)
        return intents
