"""ccxt's Hyperliquid client, unmodified, against the emulator on loopback.

ccxt is a second, independent reader of the venue's shapes (the official SDK is the first):
its default market load (spotMeta, perpDexs, metaAndAssetCtxs, spotMetaAndAssetCtxs), the
book, balance, limit / post-only / IOC orders, open orders, order status, edit (a new oid),
cancel, fills, positions, leverage (cross and isolated), cancel-all-after, closed and
canceled orders, trading fees and candles; and its WebSocket side (ccxt.pro): book,
ticker, mids, order entry over WS `post`, order / fill / trade streams. Every request and
connection is checked to stay on loopback (the client's `fetch` and `client` refuse any
other host), so a URL the test forgot to override fails the test instead of reaching the
internet.

ccxt signs as testnet only in sandbox mode: the emulator's test URLs are set, then sandbox
mode is switched on (which copies them over the production URLs).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import ccxt.async_support as ccxt
import ccxt.pro as ccxtpro
import pytest
from eth_account import Account

from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.core.events import BookSnapshot
from hyperliquid_ofi_trader.sim.server import EmulatorServer, ServerSettings
from hyperliquid_ofi_trader.sim.settings import SimSettings
from hyperliquid_ofi_trader.sim.venue import SimVenue

pytestmark = pytest.mark.timeout(30)
BTC = "BTC/USDC:USDC"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class LoopbackHyperliquid(ccxt.hyperliquid):  # type: ignore[misc]
    """ccxt's client with one change: a request for a non-loopback host is refused."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.requested: list[str] = []

    async def fetch(self, url: str, method: str = "GET", headers: Any = None,
                    body: Any = None) -> Any:
        host = urlsplit(url).hostname
        if host not in LOOPBACK:
            raise AssertionError(f"ccxt tried to leave loopback: {method} {url}")
        self.requested.append(url)
        return await super().fetch(url, method, headers, body)


def _require_loopback(url: str) -> None:
    if urlsplit(url).hostname not in LOOPBACK:
        raise AssertionError(f"ccxt tried to leave loopback: {url}")


class LoopbackHyperliquidPro(ccxtpro.hyperliquid):  # type: ignore[misc]
    """ccxt.pro's client (REST + WebSocket), refusing any non-loopback host."""

    async def fetch(self, url: str, method: str = "GET", headers: Any = None,
                    body: Any = None) -> Any:
        _require_loopback(url)
        return await super().fetch(url, method, headers, body)

    def client(self, url: str) -> Any:
        _require_loopback(url)
        return super().client(url)


def _btc_book() -> BookSnapshot:
    now = time.time_ns()
    return BookSnapshot(exchange_ns=now, local_ns=now, coin="BTC",
                        bids=tuple((100_000.0 - i, 0.5, 2) for i in range(20)),
                        asks=tuple((100_001.0 + i, 0.5, 2) for i in range(20)))


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    clock = LiveClock()
    venue = SimVenue(SimSettings(mainnet=False), clock)  # strict: funded accounts only
    venue.on_market(_btc_book())
    server = EmulatorServer(venue, None, ServerSettings(), clock)
    await server.start()
    yield server
    await server.stop()


def _venue(server: EmulatorServer) -> SimVenue:
    assert isinstance(server.venue, SimVenue)
    return server.venue


@pytest.fixture
async def client(emulator: EmulatorServer) -> AsyncIterator[LoopbackHyperliquid]:
    wallet = Account.create()
    _venue(emulator).fund(wallet.address, 50_000.0)
    exchange = _client(emulator, wallet.address, wallet.key.hex())
    try:
        yield exchange
    finally:
        await exchange.close()
    assert exchange.requested
    assert all(u.startswith(emulator.base_url)
                                      for u in exchange.requested)


def _client(server: EmulatorServer, address: str, key: str, *,
            sandbox: bool = True) -> LoopbackHyperliquid:
    # ccxt's client-side throttle paces info calls ~0.5 s apart for the real venue's
    # limits; the emulator enforces those limits itself
    exchange = LoopbackHyperliquid({"walletAddress": address, "privateKey": key,
                                    "enableRateLimit": False})
    urls = {"public": server.base_url, "private": server.base_url}
    if sandbox:
        exchange.urls["test"] = urls
        exchange.set_sandbox_mode(True)
    else:
        exchange.urls["api"] = urls
    return exchange


async def test_markets_book_balance_fees_candles(client: LoopbackHyperliquid) -> None:
    markets = await client.load_markets()
    assert {"BTC/USDC:USDC", "ETH/USDC:USDC"} <= set(markets)
    btc = markets[BTC]
    assert btc["swap"]
    assert btc["baseId"] == "0"
    assert btc["precision"]["amount"] == 0.00001
    assert btc["limits"]["leverage"]["max"] == 40
    book = await client.fetch_order_book(BTC)
    assert book["bids"][0] == [100_000.0, 0.5]
    assert book["asks"][0] == [100_001.0, 0.5]
    assert len(book["bids"]) == 20
    balance = await client.fetch_balance()
    assert balance["USDC"]["total"] == 50_000.0
    fee = await client.fetch_trading_fee(BTC)
    assert (fee["taker"], fee["maker"]) == (0.00045, 0.00015)
    assert (await client.fetch_ticker(BTC))["last"] == 100_000.5
    await client.create_order(BTC, "limit", "buy", 0.001, 100_010,
                              params={"timeInForce": "IOC"})
    [candle] = await client.fetch_ohlcv(BTC, "1m", limit=5)
    assert candle[1:] == [100_001.0, 100_001.0, 100_001.0, 100_001.0, 0.001]


async def test_order_life_cycle(client: LoopbackHyperliquid) -> None:
    await client.load_markets()
    resting = await client.create_order(BTC, "limit", "sell", 0.001, 100_100,
                                        params={"clientOrderId": "0x" + "ab" * 16})
    status = await client.fetch_order(resting["id"], BTC)
    assert (status["status"], status["side"], status["price"]) == ("open", "sell", 100_100.0)
    assert status["clientOrderId"] == "0x" + "ab" * 16
    assert (status["timeInForce"], status["reduceOnly"]) == ("GTC", False)

    post_only = await client.create_order(BTC, "limit", "buy", 0.001, 99_990,
                                          params={"postOnly": True})
    with pytest.raises(ccxt.InvalidOrder, match="Post only order would have immediately"):
        await client.create_order(BTC, "limit", "buy", 0.001, 100_002,
                                  params={"postOnly": True})
    ioc = await client.create_order(BTC, "limit", "buy", 0.001, 100_010,
                                    params={"timeInForce": "IOC"})
    filled = await client.fetch_order(ioc["id"], BTC)
    assert (filled["status"], filled["filled"]) == ("closed", 0.001)

    edited = await client.edit_order(resting["id"], BTC, "limit", "sell", 0.002, 100_200)
    assert edited["id"] != resting["id"]  # cancel-and-replace: a new oid
    opens = {o["id"]: o for o in await client.fetch_open_orders(BTC)}
    assert set(opens) == {edited["id"], post_only["id"]}
    assert (opens[edited["id"]]["price"], opens[edited["id"]]["amount"]) == (100_200.0, 0.002)

    cancelled = await client.cancel_order(edited["id"], BTC)
    assert cancelled["status"] == "success"
    assert [o["id"] for o in await client.fetch_open_orders(BTC)] == [post_only["id"]]
    canceled = {o["id"] for o in await client.fetch_canceled_orders(BTC)}
    assert {resting["id"], edited["id"]} <= canceled
    assert [o["id"] for o in await client.fetch_closed_orders(BTC)] == [ioc["id"]]

    [fill] = await client.fetch_my_trades(BTC)
    assert (fill["order"], fill["side"], fill["price"], fill["amount"]) == (
        ioc["id"], "buy", 100_001.0, 0.001)
    assert fill["takerOrMaker"] == "taker"
    assert fill["fee"] == {"currency": "USDC", "cost": pytest.approx(0.045)}


async def test_positions_leverage_and_cancel_all_after(emulator: EmulatorServer,
                                                       client: LoopbackHyperliquid) -> None:
    await client.load_markets()
    await client.create_order(BTC, "limit", "buy", 0.002, 100_010,
                              params={"timeInForce": "IOC"})
    [position] = await client.fetch_positions([BTC])
    assert (position["side"], position["contracts"], position["entryPrice"]) == (
        "long", 0.002, 100_001.0)
    assert (position["marginMode"], position["leverage"]) == ("cross", 20.0)

    answer = await client.set_leverage(5, BTC, params={"marginMode": "isolated"})
    assert answer["status"] == "ok"
    [position] = await client.fetch_positions([BTC])
    assert (position["marginMode"], position["leverage"]) == ("isolated", 5.0)
    state = position["info"]["position"]["leverage"]
    assert float(state["rawUsd"]) < 0  # a long's isolated USD side: margin minus cost
    with pytest.raises(ccxt.ExchangeError, match="Invalid leverage value"):
        await client.set_leverage(41, BTC)

    await client.create_order(BTC, "limit", "buy", 0.001, 99_000)
    before_ms = int(time.time() * 1000)
    assert (await client.cancel_all_orders_after(60_000))["status"] == "ok"
    account = _venue(emulator).account(client.walletAddress)
    assert account is not None
    assert account.schedule_cancel_ms is not None
    assert 0 <= account.schedule_cancel_ms - before_ms - 60_000 < 5_000


async def test_unfunded_and_wrong_network_keys_are_refused(emulator: EmulatorServer) -> None:
    wallet = Account.create()
    stranger = _client(emulator, wallet.address, wallet.key.hex())
    try:
        await stranger.load_markets()
        with pytest.raises(ccxt.ExchangeError) as refused:
            await stranger.create_order(BTC, "limit", "buy", 0.001, 99_990)
        assert (f"User or API Wallet {wallet.address.lower()} does not exist."
                in str(refused.value))
    finally:
        await stranger.close()

    # A funded key signing for the wrong network (mainnet source "a" on a testnet venue)
    # recovers to another address: refused, and that address does not trade.
    _venue(emulator).fund(wallet.address)
    mainnet = _client(emulator, wallet.address, wallet.key.hex(), sandbox=False)
    try:
        await mainnet.load_markets()
        with pytest.raises(ccxt.ExchangeError) as wrong:
            await mainnet.create_order(BTC, "limit", "buy", 0.001, 99_990)
        text = str(wrong.value)
        assert "User or API Wallet 0x" in text
        assert wallet.address.lower() not in text
    finally:
        await mainnet.close()
    assert list(_venue(emulator).accounts) == [wallet.address.lower()]
    assert _venue(emulator).live == {}


async def test_ccxt_pro_streams_and_ws_order_entry(emulator: EmulatorServer) -> None:
    wallet = Account.create()
    _venue(emulator).fund(wallet.address)
    pro = LoopbackHyperliquidPro({"walletAddress": wallet.address,
                                  "privateKey": wallet.key.hex(), "enableRateLimit": False})
    pro.urls["test"] = {"public": emulator.base_url, "private": emulator.base_url,
                        "ws": {"public": emulator.ws_url, "private": emulator.ws_url}}
    pro.set_sandbox_mode(True)
    try:
        await pro.load_markets()
        book = await asyncio.wait_for(pro.watch_order_book(BTC), 5)
        assert book["bids"][0] == [100_000.0, 0.5]
        ticker = await asyncio.wait_for(pro.watch_ticker(BTC), 5)
        assert ticker["last"] == 100_000.5
        mids = await asyncio.wait_for(pro.watch_tickers([BTC]), 5)
        assert mids[BTC]["last"] == 100_000.5

        resting = await asyncio.wait_for(
            pro.create_order_ws(BTC, "limit", "buy", 0.001, 99_990), 5)  # a WS post
        orders = asyncio.ensure_future(pro.watch_orders(BTC))
        fills = asyncio.ensure_future(pro.watch_my_trades(BTC))
        prints = asyncio.ensure_future(pro.watch_trades(BTC))
        await asyncio.sleep(0.3)  # let the three subscriptions be acknowledged
        taken = await pro.create_order(BTC, "limit", "buy", 0.001, 100_010,
                                       params={"timeInForce": "IOC"})
        [update] = await asyncio.wait_for(orders, 5)
        assert (update["id"], update["status"]) == (taken["id"], "closed")
        [fill] = await asyncio.wait_for(fills, 5)
        assert (fill["order"], fill["price"], fill["info"]["crossed"]) == (
            taken["id"], 100_001.0, True)
        [trade] = await asyncio.wait_for(prints, 5)
        assert (trade["price"], trade["amount"], trade["side"]) == (100_001.0, 0.001, "buy")
        [cancelled] = await asyncio.wait_for(pro.cancel_orders_ws([resting["id"]], BTC), 5)
        assert cancelled["status"] == "success"
        assert _venue(emulator).live == {}
    finally:
        await pro.close()
