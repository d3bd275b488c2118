"""A book seen through a mirror, for the symmetry tests of the signals (unit and property):
bid <-> ask with prices negated, the same book seen by someone who swaps buy and sell. A
mirrored market must negate every directional signal."""

from __future__ import annotations

from hyperliquid_ofi_trader.core.events import Side
from hyperliquid_ofi_trader.data.orderbook import OrderBook


class MirrorView:
    """bid ↔ ask with prices negated: the same book seen by someone who swaps buy and sell."""

    def __init__(self, book: OrderBook) -> None:
        self.book = book

    def best_bid(self) -> tuple[float, float] | None:
        a = self.book.best_ask()
        return None if a is None else (-a[0], a[1])

    def best_ask(self) -> tuple[float, float] | None:
        b = self.book.best_bid()
        return None if b is None else (-b[0], b[1])

    def levels(self, side: Side, n: int) -> list[tuple[float, float]]:
        other = Side.ASK if side == Side.BID else Side.BID
        return [(-p, q) for p, q in self.book.levels(other, n)]

    @property
    def coin(self) -> str:
        return self.book.coin

    @property
    def exchange_ns(self) -> int:
        return self.book.exchange_ns

    def mid(self) -> float | None:
        m = self.book.mid()
        return None if m is None else -m

    def depth(self, levels: int = 5) -> float:
        return self.book.depth(levels)
