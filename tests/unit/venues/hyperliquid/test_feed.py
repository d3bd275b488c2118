"""The inbound seam: `HyperliquidFeed` decodes frames, names each event's health channel,
builds the subscriptions behind them, and the watchdog's FeedState names the coin."""

from __future__ import annotations

import json
from typing import Any

from hyperliquid_ofi_trader.core.events import (
    Bbo,
    BookSnapshot,
    FeedStatus,
    Funding,
    OrderUpdate,
    Rejection,
    SubscriptionAck,
    Trades,
    UserFills,
)
from hyperliquid_ofi_trader.core.venue_feed import VenueFeed
from hyperliquid_ofi_trader.venues.hyperliquid.feed import HyperliquidFeed
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.subscriptions import (
    channel_key_for_subscription,
    coin_of_channel,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.watchdog import FeedWatchdog

T_MS = 1_737_918_843_000
LOCAL = T_MS * 1_000_000 + 900_000_000
ACCOUNT = "0x" + "ab" * 20


def frame(channel: str, data: Any) -> bytes:
    return json.dumps({"channel": channel, "data": data}).encode()


def book_frame(coin: str) -> bytes:
    return frame("l2Book", {"coin": coin, "time": T_MS, "levels": [
        [{"px": "100.0", "sz": "1.0", "n": 1}], [{"px": "100.5", "sz": "2.0", "n": 2}]]})


def bbo_frame(coin: str) -> bytes:
    return frame("bbo", {"coin": coin, "time": T_MS, "bbo": [
        {"px": "100.0", "sz": "1.0", "n": 1}, {"px": "100.5", "sz": "2.0", "n": 2}]})


def trades_frame(coin: str) -> bytes:
    return frame("trades", [{"coin": coin, "side": "B", "px": "100.1", "sz": "0.5",
                             "time": T_MS, "hash": "0x00", "tid": 7,
                             "users": ["0x1", "0x2"]}])


def test_feed_is_a_venue_feed_and_decodes_market_frames() -> None:
    feed: VenueFeed = HyperliquidFeed(["BTC", "ETH"])
    (book,) = feed.decode(book_frame("BTC"), LOCAL)
    (bbo,) = feed.decode(bbo_frame("ETH"), LOCAL)
    (trades,) = feed.decode(trades_frame("BTC"), LOCAL)
    assert [type(e) for e in (book, bbo, trades)] == [BookSnapshot, Bbo, Trades]
    assert feed.channel_of(book) == "l2Book:BTC"
    assert feed.channel_of(bbo) == "bbo:ETH"
    assert feed.channel_of(trades) == "trades:BTC"


def test_bad_frames_are_rejections_counted_by_the_feed() -> None:
    feed = HyperliquidFeed(["BTC"])
    (rej,) = feed.decode(b"{not json", LOCAL)
    (unknown,) = feed.decode(book_frame("DOGE"), LOCAL)
    assert [type(e) for e in (rej, unknown)] == [Rejection, Rejection]
    assert sum(feed.rejections.values()) == 2
    assert feed.channel_of(rej) is None


def test_account_events_have_coinless_channels_and_acks_none() -> None:
    feed = HyperliquidFeed(["BTC"])
    order = {"order": {"coin": "BTC", "side": "B", "limitPx": "105000.0", "sz": "0.01",
                       "oid": 77, "timestamp": T_MS, "origSz": "0.01"},
             "status": "open", "statusTimestamp": T_MS}
    fill = {"coin": "BTC", "px": "105056.0", "sz": "0.01", "side": "A", "time": T_MS,
            "startPosition": "0.05", "dir": "Close Long", "closedPnl": "1.25", "hash": "0xab",
            "oid": 77, "crossed": False, "fee": "-0.0105", "tid": 1, "feeToken": "USDC"}
    funding = {"funding": {"time": T_MS, "coin": "BTC", "usdc": "-0.51", "szi": "0.05",
                           "fundingRate": "0.0000125"}}
    (upd,) = feed.decode(frame("orderUpdates", [order]), LOCAL)
    (fills,) = feed.decode(frame("userFills", {"user": ACCOUNT, "fills": [fill]}), LOCAL)
    (pay,) = feed.decode(frame("user", funding), LOCAL)
    assert [type(e) for e in (upd, fills, pay)] == [OrderUpdate, UserFills, Funding]
    assert [feed.channel_of(e) for e in (upd, fills, pay)] == ["orderUpdates", "userFills",
                                                              "user"]
    ack = SubscriptionAck(exchange_ns=0, local_ns=LOCAL, method="subscribe",
                          subscription={"type": "bbo", "coin": "BTC"})
    assert feed.channel_of(ack) is None


def test_subscriptions_cover_every_coin_then_the_account_and_match_the_channels() -> None:
    feed = HyperliquidFeed(["BTC", "ETH", "BTC"])
    subs = feed.subscriptions(ACCOUNT, fast_book=True, book_sig_figs=5)
    assert subs[:4] == [{"type": "l2Book", "coin": "BTC", "fast": True, "nSigFigs": 5},
                        {"type": "bbo", "coin": "BTC"}, {"type": "trades", "coin": "BTC"},
                        {"type": "activeAssetCtx", "coin": "BTC"}]
    assert [s["coin"] for s in subs[4:8]] == ["ETH"] * 4
    assert subs[8:] == [{"type": k, "user": ACCOUNT}
                        for k in ("orderUpdates", "userFills", "userEvents")]
    keys = [channel_key_for_subscription(s) for s in subs]
    assert keys[:2] == ["l2Book:BTC", "bbo:BTC"]
    assert keys[-1] == "user"
    assert feed.subscriptions(fast_book=True, book_sig_figs=5) == subs[:8]  # market only
    assert HyperliquidFeed(["SOL"]).subscriptions()[0] == {"type": "l2Book", "coin": "SOL"}


def test_watchdog_states_carry_the_coin_so_nobody_parses_channel_names() -> None:
    dog = FeedWatchdog({"bbo": 1_000, "orderUpdates": 1_000}, 1.0)
    dog.arm("bbo:ETH", 0)
    dog.arm("orderUpdates", 0)
    stale = {s.channel: s for s in dog.check(5_000)}
    assert stale["bbo:ETH"].coin == "ETH"
    assert stale["bbo:ETH"].status is FeedStatus.STALE
    assert stale["orderUpdates"].coin == ""
    recovered = dog.on_message("bbo:ETH", 6_000)
    assert recovered is not None
    assert recovered.coin == "ETH"
    assert coin_of_channel("") == ""
