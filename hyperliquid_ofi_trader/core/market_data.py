"""Per-coin market data as one unit the engine feeds: book, trade tape, market state.

This is the engine's concrete data stage (`core.stages.CoinMarket`): it only forwards each
event to the data/ classes in the right order (the book first, then the market state that
reads it), so stages built on `coin_data.book` see the update before the strategy runs.
"""

from __future__ import annotations

from hyperliquid_ofi_trader.core.events import AssetCtx, Bbo, BookSnapshot, Trades
from hyperliquid_ofi_trader.data.orderbook import OrderBook

DEFAULT_TRADE_WINDOW_NS = 5_000_000_000  # thresholds.aggressive_volume.window_ms default
DEFAULT_VOL_HALFLIFE_NS = 30_000_000_000  # thresholds.leadlag.vol_halflife_ms default


class CoinData:
    """OrderBook + TradeTape + MarketState of one coin."""

    __slots__ = ("book", "coin")

    def __init__(self, coin: str, *, trade_window_ns: int = DEFAULT_TRADE_WINDOW_NS,
                 vol_halflife_ns: int = DEFAULT_VOL_HALFLIFE_NS) -> None:
        self.coin = coin
        self.book = OrderBook(coin)

    def on_book(self, snap: BookSnapshot) -> int:
        return self.book.apply_snapshot(snap)

    def on_bbo(self, bbo: Bbo) -> None:
        self.book.apply_bbo(bbo)

    def on_trades(self, trades: Trades) -> int:
        return 0

    def on_asset_ctx(self, ctx: AssetCtx) -> None:
        return None
