"""Market data: the local book, the trade tape, market state, and the recordings we replay
(files or catalog selections).
"""

from hyperliquid_ofi_trader.data.coin_data import CoinData
from hyperliquid_ofi_trader.data.market_state import MarketState
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.data.recording import FrameRecorder, RecordingError
from hyperliquid_ofi_trader.data.replay_sources import (
    ReplaySource,
    ReplaySourceError,
    iter_frames,
)
from hyperliquid_ofi_trader.data.trades import TradeTape

__all__ = [
    "CoinData",
    "FrameRecorder",
    "MarketState",
    "OrderBook",
    "RecordingError",
    "ReplaySource",
    "ReplaySourceError",
    "TradeTape",
    "iter_frames",
]
