"""Load any supported recording as research series: a Binance USDⓈ-M capture (through
`research.binance_reader`) or Hyperliquid frames (through `research.series`).

It sits above both readers so that neither imports the other.
"""

from __future__ import annotations

from pathlib import Path

from hyperliquid_ofi_trader.data.replay_sources import ReplaySource
from hyperliquid_ofi_trader.research import binance_reader
from hyperliquid_ofi_trader.research.series import (
    MarketSeries,
    ResearchError,
    load_hyperliquid,
    other_coins_note,
)


def binance_symbol(coin: str) -> str:
    """The USDⓈ-M perpetual of a coin: ETH -> ETHUSDT (a full symbol is kept)."""
    upper = coin.strip().upper()
    return upper if upper.endswith(("USDT", "USDC")) else f"{upper}USDT"


def _binance_holds(path: Path, symbol: str | None) -> str:
    try:
        held = binance_reader.load_binance(path).coin if symbol is not None else ""
    except ResearchError:
        return ""
    return f" (it holds: {held}; pick it with --coin {held.removesuffix('USDT')})" if held else ""


def load_market(path: ReplaySource, coin: str | None = None, levels: int = 1) -> MarketSeries:
    """Any supported recording: Binance USDⓈ-M capture or Hyperliquid frames (a catalog
    selection holds Hyperliquid frames)."""
    if isinstance(path, Path) and binance_reader.is_binance_capture(path):
        # --coin ETH means the ETHUSDT stream; a capture without it says what it holds.
        symbol = None if coin is None else binance_symbol(coin)
        try:
            return binance_reader.load_binance(path, symbol)
        except ResearchError as exc:
            raise ResearchError(f"{exc}{_binance_holds(path, symbol)}") from exc
    market = load_hyperliquid(path, coin, levels)
    if coin is None and market.stats.other_coins:
        raise ResearchError(f"{path}: several coins in this recording, using {market.coin} "
                            "is a guess" + other_coins_note(market.stats))
    return market
