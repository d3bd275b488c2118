"""Hyperliquid subscriptions and the health channel each one feeds.

A subscription `{"type": "l2Book", "coin": "BTC"}` produces events whose health channel
(the key the feed watchdog times and `FeedState.channel` names) is `"l2Book:BTC"`; account
channels have no coin (`"orderUpdates"`, `"userFills"`; `userEvents` arrive as `"user"`).
This module is the one place that knows both sides of that mapping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    AssetCtx,
    Bbo,
    BookSnapshot,
    Funding,
    Liquidation,
    NonUserCancel,
    OrderUpdate,
    Trades,
    UserFills,
)

MARKET_CHANNELS: Final = ("l2Book", "bbo", "trades", "activeAssetCtx")
"""The public channels subscribed per traded coin, in subscription order."""
ACCOUNT_CHANNELS: Final = ("orderUpdates", "userFills", "userEvents")
"""The private channels of our account (subscribed for the ACCOUNT address)."""

_MARKET_PREFIX: Final[Mapping[type, str]] = MappingProxyType({
    BookSnapshot: "l2Book", Bbo: "bbo", Trades: "trades", AssetCtx: "activeAssetCtx"})
_PRIVATE_KEY: Final[Mapping[type, str]] = MappingProxyType({
    OrderUpdate: "orderUpdates", UserFills: "userFills", Funding: "user",
    Liquidation: "user", NonUserCancel: "user"})


def market_subscriptions(coins: Iterable[str], *, fast: bool = False,
                         n_sig_figs: int | None = None) -> list[dict[str, Any]]:
    """Every market channel of every coin; `fast` / `n_sig_figs` shape the l2Book feed."""
    book: dict[str, Any] = {}
    if fast:
        book["fast"] = True
    if n_sig_figs is not None:
        book["nSigFigs"] = n_sig_figs
    subs: list[dict[str, Any]] = []
    for coin in coins:
        subs.append({"type": "l2Book", "coin": coin, **book})
        subs.extend({"type": kind, "coin": coin} for kind in MARKET_CHANNELS[1:])
    return subs


def account_subscriptions(account: str) -> list[dict[str, Any]]:
    """The private channels of `account`: the ACCOUNT address, never an API wallet's (the
    venue would silently send nothing)."""
    return [{"type": kind, "user": account} for kind in ACCOUNT_CHANNELS]


def channel_key_for_subscription(sub: Mapping[str, Any]) -> str:
    """The health channel of the events a subscription produces (see `ChannelKeys`)."""
    kind = str(sub["type"])
    if kind == "userEvents":
        return "user"
    coin = sub.get("coin")
    return f"{kind}:{coin}" if coin is not None else kind


def coin_of_channel(channel: str) -> str:
    """The coin a health channel carries; "" for the connection and account channels."""
    return channel.partition(":")[2]


class ChannelKeys:
    """Decoded event -> its health channel, with the per-coin keys built once each."""

    __slots__ = ("_market",)

    def __init__(self) -> None:
        self._market: dict[type, dict[str, str]] = {t: {} for t in _MARKET_PREFIX}

    def of(self, event: AnyEvent) -> str | None:
        """The channel `event` proves alive; None for acks, post answers, rejections."""
        cache = self._market.get(type(event))
        if cache is None:
            return _PRIVATE_KEY.get(type(event))
        coin: str = event.coin  # type: ignore[union-attr]  # market types all have a coin
        key = cache.get(coin)
        if key is None:  # once per coin and channel: no string building per event
            key = cache[coin] = f"{_MARKET_PREFIX[type(event)]}:{coin}"
        return key
