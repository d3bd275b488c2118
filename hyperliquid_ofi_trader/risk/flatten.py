"""Optional flattening on halt (`kill_switch.flatten_on_kill` in risk.yaml).

Halting always cancels every order. With flattening on, the order sink also closes each
open position with one reduce-only IOC order priced through the touch by the router's
slippage tolerance: reduce-only so it can never open or flip a position, IOC so nothing is
left resting on a halted system. Off by default: a panic market close usually costs more
than keeping a small position under a human's eyes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.events import Side
from hyperliquid_ofi_trader.core.stages import (
    ExposurePuller,
    OrderIntent,
    OrderSink,
    PlanIntent,
    Tif,
)
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import Instrument

FLATTEN_DECISION_ID = 0  # orders not caused by a strategy decision: the halt itself


def flatten_intents(positions: Mapping[str, float], books: Mapping[str, BookView],
                    instruments: Mapping[str, Instrument],
                    slippage_bps: float) -> list[OrderIntent]:
    """One reduce-only IOC per non-zero position that has a touch to trade against."""
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
        intents.append(OrderIntent(coin=coin, is_buy=is_buy, size=qty, price=price,
                                   tif=Tif.IOC, reduce_only=True, tag="flatten_on_halt"))
    return intents


class FlatteningSink:
    """An `OrderSink` whose `cancel_all` also flattens when enabled."""

    __slots__ = ("_books", "_enabled", "_instruments", "_positions", "_slippage_bps",
                 "flattened", "inner")

    def __init__(self, inner: OrderSink, enabled: bool,
                 positions: Callable[[], Mapping[str, float]],
                 books: Mapping[str, BookView], instruments: Mapping[str, Instrument],
                 slippage_bps: float) -> None:
        self.inner = inner
        self._enabled = enabled
        self._positions = positions
        self._books = books
        self._instruments = instruments
        self._slippage_bps = slippage_bps
        self.flattened = 0

    def submit(self, decision_id: int, intents: Sequence[PlanIntent]) -> None:
        self.inner.submit(decision_id, intents)

    def cancel_exposing(self, reason: str) -> int:
        """Passed on when the inner sink can (see `core.stages.ExposurePuller`)."""
        inner = self.inner
        return inner.cancel_exposing(reason) if isinstance(inner, ExposurePuller) else 0

    def cancel_all(self, reason: str) -> None:
        self.inner.cancel_all(reason)
        if not self._enabled:
            return
        intents = flatten_intents(self._positions(), self._books, self._instruments,
                                  self._slippage_bps)
        if intents:
            self.flattened += len(intents)
            self.inner.submit(FLATTEN_DECISION_ID, intents)
