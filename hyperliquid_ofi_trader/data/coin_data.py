"""Per-coin market data as one unit the engine feeds: book, trade tape, market state.

This is the engine's concrete data stage (`core.stages.CoinMarket`). It only forwards each
event to the data/ classes in the right order: the book first, then the market state that
reads it, so stages built on `coin_data.book` / `.tape` / `.state` see the update before
the strategy runs. Book events also advance the trade tape's window to their exchange
time, so taker volume decays during a quiet tape instead of staying at its last value.
"""

from __future__ import annotations

from hyperliquid_ofi_trader.core.events import AssetCtx, Bbo, BookSnapshot, Trades
from hyperliquid_ofi_trader.data.market_state import MarketState
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.data.trades import TradeTape


class CoinData:
    """OrderBook + TradeTape + MarketState of one coin."""

    __slots__ = ("book", "coin", "state", "tape")

    def __init__(self, coin: str, *, trade_window_ns: int, vol_halflife_ns: int) -> None:
        self.coin = coin
        self.book = OrderBook(coin)
        self.tape = TradeTape(coin, trade_window_ns)
        self.state = MarketState(coin, vol_halflife_ns)

    # After a book update: the market state reads the book, then the tape's window moves
    # to the book's time (written out in both, no helper call: it runs per book event).

    def on_book(self, snap: BookSnapshot) -> int:
        book = self.book
        changed = book.apply_snapshot(snap)
        exchange_ns = snap.exchange_ns
        self.state.on_book(book, exchange_ns)
        self.tape.advance_to(exchange_ns)
        return changed

    def on_bbo(self, bbo: Bbo) -> None:
        book = self.book
        book.apply_bbo(bbo)
        exchange_ns = bbo.exchange_ns
        self.state.on_book(book, exchange_ns)
        self.tape.advance_to(exchange_ns)

    def on_trades(self, trades: Trades) -> int:
        return self.tape.on_trades(trades)

    def on_asset_ctx(self, ctx: AssetCtx) -> None:
        self.state.on_asset_ctx(ctx)
