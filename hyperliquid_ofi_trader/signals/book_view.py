"""The read-only slice of an order book that the signals need.

`signals/` depends on this Protocol, not on `data.orderbook.OrderBook`, so the signals can be
driven by the real book, by a replay of recorded tops, or by a test double, and so a change
inside the book never ripples into signal code. `data.orderbook.OrderBook` satisfies it
structurally.
"""

from __future__ import annotations

from typing import Protocol

from hyperliquid_ofi_trader.core.events import Side


class BookView(Protocol):
    """Best levels of one coin's book, best-first, sizes in coin units."""

    def best_bid(self) -> tuple[float, float] | None: ...

    def best_ask(self) -> tuple[float, float] | None: ...

    def levels(self, side: Side, n: int) -> list[tuple[float, float]]: ...
