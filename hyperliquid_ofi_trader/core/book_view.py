"""`BookView`: the one read-only view of an order book that everything above `data/` uses.

Signals, regimes, the router, the journal, flattening and the feedback probe all read a book
through this Protocol, never through `data.orderbook.OrderBook` (which satisfies it
structurally): they can be driven by the real book, a replay of recorded tops or a test
double, and a change inside the book never ripples into them.
"""

from __future__ import annotations

from typing import Protocol

from hyperliquid_ofi_trader.core.events import Side


class BookView(Protocol):
    """One coin's book: best levels best-first, prices in USD, sizes in coin units."""

    @property
    def coin(self) -> str: ...

    @property
    def exchange_ns(self) -> int: ...

    def best_bid(self) -> tuple[float, float] | None: ...

    def best_ask(self) -> tuple[float, float] | None: ...

    def mid(self) -> float | None: ...

    def depth(self, levels: int = 5) -> float: ...

    def levels(self, side: Side, n: int) -> list[tuple[float, float]]: ...
