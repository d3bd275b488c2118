"""`HyperliquidFeed`: the Hyperliquid side of the inbound seam (`core.venue_feed.VenueFeed`).

The codec turns a frame into events; the subscriptions module knows which channels to ask
for and which health channel each event proves. Run modes build one feed per run and never
touch the codec or a channel name themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hyperliquid_ofi_trader.core.events import AnyEvent
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.subscriptions import (
    ChannelKeys,
    account_subscriptions,
    market_subscriptions,
)


class HyperliquidFeed:
    """Frames of the configured coins -> domain events, plus the subscriptions behind them."""

    __slots__ = ("_keys", "codec", "coins")

    def __init__(self, coins: Iterable[str], codec: HyperliquidCodec | None = None) -> None:
        self.coins = tuple(dict.fromkeys(coins))
        self.codec = codec if codec is not None else HyperliquidCodec(frozenset(self.coins))
        self._keys = ChannelKeys()

    @property
    def rejections(self) -> Mapping[str, int]:
        return self.codec.rejections

    def decode(self, frame: bytes | str, local_ns: int) -> list[AnyEvent]:
        return self.codec.decode(frame, local_ns)

    def channel_of(self, event: AnyEvent) -> str | None:
        return self._keys.of(event)

    def subscriptions(self, account: str | None = None, *, fast_book: bool = False,
                      book_sig_figs: int | None = None) -> list[dict[str, Any]]:
        """Market channels of every coin, then `account`'s private channels when given."""
        subs = market_subscriptions(self.coins, fast=fast_book, n_sig_figs=book_sig_figs)
        if account is not None:
            subs.extend(account_subscriptions(account))
        return subs
