"""The official hyperliquid-python-sdk, unmodified, against the emulator on loopback.

`Info(base_url, skip_ws=True)` and `Exchange(wallet, base_url)` with a throwaway
`eth_account` wallet: meta, every order type with cloids, order status by oid and cloid,
open orders, user state, fills, cancel, cancel by cloid, modify (a NEW oid), schedule
cancel; the venue's error texts for a tampered signature, an unfunded key (then funded
through the emulator's faucet), a reused nonce, a bad tick and a $5 order; the SDK's own
WebsocketManager thread on l2Book and userFills.

The SDK is synchronous (requests, websocket-client threads): its calls run in worker
threads while the server serves on the test's event loop. The emulator signs as testnet
(the SDK signs as testnet for any URL but mainnet's), so `SimSettings(mainnet=False)`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import aiohttp
import pytest
from eth_account import Account
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.signing import OrderType
from hyperliquid.utils.types import Cloid

from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.core.events import BookSnapshot
from hyperliquid_ofi_trader.sim.server import EmulatorServer, ServerSettings
from hyperliquid_ofi_trader.sim.settings import SimSettings
from hyperliquid_ofi_trader.sim.venue import SimVenue

pytestmark = pytest.mark.timeout(15)
T = TypeVar("T")
ALO: OrderType = {"limit": {"tif": "Alo"}}
GTC: OrderType = {"limit": {"tif": "Gtc"}}
IOC: OrderType = {"limit": {"tif": "Ioc"}}


def _btc_book() -> BookSnapshot:
    now = time.time_ns()
    bids = tuple((100_000.0 - i, 0.5, 2) for i in range(20))
    asks = tuple((100_001.0 + i, 0.5, 2) for i in range(20))
    return BookSnapshot(exchange_ns=now, local_ns=now, coin="BTC", bids=bids, asks=asks)


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    clock = LiveClock()
    # The DEFAULT settings: accounts exist only when funded, as on the venue, so a
    # signature that recovers to any other address is refused, not welcomed as a new account.
    venue = SimVenue(SimSettings(mainnet=False), clock)
    venue.on_market(_btc_book())
    server = EmulatorServer(venue, None, ServerSettings(), clock)
    await server.start()
    yield server
    await server.stop()


async def _call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(fn, *args, **kwargs)


async def _clients(server: EmulatorServer) -> tuple[Info, Exchange, str]:
    wallet = Account.create()
    assert isinstance(server.venue, SimVenue)
    server.venue.fund(wallet.address)
    info = await _call(Info, server.base_url, skip_ws=True)
    exchange = await _call(Exchange, wallet, server.base_url)
    return info, exchange, wallet.address


def _status(response: dict[str, Any]) -> Any:
    assert response["status"] == "ok", response
    statuses: list[Any] = response["response"]["data"]["statuses"]
    assert len(statuses) == 1
    return statuses[0]


async def test_meta_and_user_state(emulator: EmulatorServer) -> None:
    info, _, address = await _clients(emulator)
    meta = await _call(info.meta)
    assert [u["name"] for u in meta["universe"]] == ["BTC", "ETH"]
    state = await _call(info.user_state, address)
    float(state["marginSummary"]["accountValue"])  # a decimal string, as the venue sends
    assert state["assetPositions"] == []


async def test_orders_queries_cancels_modify_schedule(emulator: EmulatorServer) -> None:
    info, exchange, address = await _clients(emulator)
    c_alo, c_gtc, c_ioc = Cloid.from_int(1), Cloid.from_int(2), Cloid.from_int(3)

    alo = _status(await _call(exchange.order, "BTC", True, 0.001, 99_990.0, ALO,
                              cloid=c_alo))
    gtc = _status(await _call(exchange.order, "BTC", False, 0.001, 100_050.0, GTC,
                              cloid=c_gtc))
    ioc = _status(await _call(exchange.order, "BTC", True, 0.001, 100_010.0, IOC,
                              cloid=c_ioc))
    alo_oid, gtc_oid = alo["resting"]["oid"], gtc["resting"]["oid"]
    assert float(ioc["filled"]["totalSz"]) == pytest.approx(0.001)
    assert float(ioc["filled"]["avgPx"]) == pytest.approx(100_001.0)

    opens = await _call(info.open_orders, address)
    assert {o["oid"] for o in opens} == {alo_oid, gtc_oid}
    by_oid = await _call(info.query_order_by_oid, address, alo_oid)
    by_cloid = await _call(info.query_order_by_cloid, address, c_gtc)
    assert by_oid["order"]["status"] == "open"
    assert by_oid["order"]["order"]["cloid"] == c_alo.to_raw()
    assert by_cloid["order"]["order"]["oid"] == gtc_oid
    unknown = await _call(info.query_order_by_cloid, address, Cloid.from_int(99))
    assert unknown == {"status": "unknownOid"}

    fills = await _call(info.user_fills, address)
    assert [(f["oid"], f["crossed"]) for f in fills] == [(ioc["filled"]["oid"], True)]
    state = await _call(info.user_state, address)
    assert float(state["assetPositions"][0]["position"]["szi"]) == pytest.approx(0.001)
    assert float(state["marginSummary"]["accountValue"]) > 0

    modified = await _call(exchange.modify_order, gtc_oid, "BTC", False, 0.001, 100_060.0,
                           GTC, cloid=Cloid.from_int(4))
    assert modified["status"] == "ok"
    opens = await _call(info.open_orders, address)
    new = [o for o in opens if o["cloid"] == Cloid.from_int(4).to_raw()]
    assert len(new) == 1
    assert new[0]["oid"] != gtc_oid  # cancel-and-replace: a NEW oid
    assert float(new[0]["limitPx"]) == 100_060.0

    assert _status(await _call(exchange.cancel, "BTC", alo_oid)) == "success"
    assert _status(await _call(exchange.cancel_by_cloid, "BTC", Cloid.from_int(4))) == "success"
    again = _status(await _call(exchange.cancel, "BTC", alo_oid))
    assert again["error"].startswith("Order was never placed, already canceled, or filled.")
    assert await _call(info.open_orders, address) == []

    scheduled = await _call(exchange.schedule_cancel, int(time.time() * 1000) + 60_000)
    assert scheduled["status"] == "ok", scheduled
    cleared = await _call(exchange.schedule_cancel, None)
    assert cleared["status"] == "ok", cleared


async def test_venue_error_texts(emulator: EmulatorServer) -> None:
    _, exchange, _ = await _clients(emulator)
    bad_tick = _status(await _call(exchange.order, "BTC", True, 0.001, 99_990.5, GTC))
    assert bad_tick["error"].startswith("Price must be divisible by tick size.")
    small = _status(await _call(exchange.order, "BTC", True, 0.00005, 99_990.0, GTC))
    assert small["error"].startswith("Order must have minimum value of $10.")

    # A reused nonce: the SDK takes its nonce from the millisecond clock; pin it.
    fixed = int(time.time() * 1000)
    original = exchange._post_action
    nonces: list[int] = []

    def post_with_nonce(action: Any, signature: Any, nonce: int) -> Any:
        nonces.append(nonce)
        return original(action, signature, nonce)

    exchange._post_action = post_with_nonce
    with _frozen_ms(fixed):
        first = await _call(exchange.cancel, "BTC", 12345)
        second = await _call(exchange.cancel, "BTC", 12345)
    assert nonces == [fixed, fixed]
    assert first["status"] == "ok"
    assert second == {"status": "err", "response": f"Invalid nonce: duplicate nonce {fixed}"}


async def test_tampered_signature_names_another_user(emulator: EmulatorServer) -> None:
    _, exchange, address = await _clients(emulator)
    original = exchange._post_action

    def tamper(action: Any, signature: dict[str, Any], nonce: int) -> Any:
        s = int(signature["s"], 16)
        return original(action, {**signature, "s": hex(s ^ 0xFF)}, nonce)

    exchange._post_action = tamper
    answer = await _call(exchange.order, "BTC", True, 0.001, 99_990.0, GTC)
    assert answer["status"] == "err"
    text = answer["response"]
    assert text.startswith("User or API Wallet 0x")
    assert text.endswith(" does not exist.")
    assert address.lower() not in text.lower()
    venue = emulator.venue
    assert isinstance(venue, SimVenue)
    assert list(venue.accounts) == [address.lower()]  # no stranger's account was opened
    assert venue.live == {}  # and nothing rests anywhere


async def test_unfunded_key_is_refused_until_the_faucet_funds_it(
        emulator: EmulatorServer) -> None:
    wallet = Account.create()
    exchange = await _call(Exchange, wallet, emulator.base_url)
    refused = await _call(exchange.order, "BTC", True, 0.001, 99_990.0, GTC)
    assert refused == {"status": "err",
                       "response": f"User or API Wallet {wallet.address.lower()} "
                                   "does not exist."}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{emulator.base_url}/_faucet",
                             json={"user": wallet.address, "usdc": 1_000}) as r:
            assert r.status == 200
            assert await r.json() == {"status": "ok", "user": wallet.address.lower(),
                                      "usdc": "1000"}
        async with http.post(f"{emulator.base_url}/_faucet", json={"user": "0x12"}) as r:
            assert r.status == 400
            assert "not an address" in await r.text()
    resting = _status(await _call(exchange.order, "BTC", True, 0.001, 99_990.0, GTC))
    assert "resting" in resting
    info = await _call(Info, emulator.base_url, skip_ws=True)
    state = await _call(info.user_state, wallet.address)
    assert float(state["marginSummary"]["accountValue"]) == 1_000.0


class _frozen_ms:  # noqa: N801 - reads as a context manager name
    """Make the SDK's `get_timestamp_ms` return one fixed value (its nonce source)."""

    def __init__(self, ms: int) -> None:
        self.ms = ms
        self.saved: Any = None

    def __enter__(self) -> None:
        import hyperliquid.exchange as ex
        self.saved = ex.get_timestamp_ms
        ex.get_timestamp_ms = lambda: self.ms

    def __exit__(self, *exc: object) -> None:
        import hyperliquid.exchange as ex
        ex.get_timestamp_ms = self.saved


async def test_sdk_websocket_manager_l2book_and_user_fills(emulator: EmulatorServer) -> None:
    _, exchange, address = await _clients(emulator)
    books: list[Any] = []
    fills: list[Any] = []
    got_book, got_fill = threading.Event(), threading.Event()
    info = await _call(Info, emulator.base_url, skip_ws=False)
    try:
        await _call(_wait_ready, info)
        info.subscribe({"type": "l2Book", "coin": "BTC"}, _collector(books, got_book))
        info.subscribe({"type": "userFills", "user": address}, _collector(fills, got_fill))
        assert await _call(got_book.wait, 5)
        assert await _call(got_fill.wait, 5)
        got_fill.clear()
        _status(await _call(exchange.order, "BTC", False, 0.001, 99_000.0, IOC))
        assert await _call(got_fill.wait, 5)
    finally:
        await _call(info.disconnect_websocket)
        if info.ws_manager is not None:
            await _call(info.ws_manager.join, 5)
    assert len(books[0]["data"]["levels"][0]) == 20
    assert fills[0]["data"]["isSnapshot"] is True
    live = fills[-1]["data"]
    assert not live.get("isSnapshot")
    assert live["fills"][0]["side"] == "A"
    assert live["fills"][0]["crossed"] is True


def _collector(into: list[Any], arrived: threading.Event) -> Callable[[Any], None]:
    def on_message(message: Any) -> None:
        into.append(message)
        arrived.set()
    return on_message


def _wait_ready(info: Info) -> None:
    assert info.ws_manager is not None
    deadline = time.monotonic() + 5
    while not info.ws_manager.ws_ready and time.monotonic() < deadline:
        time.sleep(0.01)
    assert info.ws_manager.ws_ready


async def test_sdk_reads_fees_history_candles_and_spot(emulator: EmulatorServer) -> None:
    info, exchange, address = await _clients(emulator)
    ioc = _status(await _call(exchange.order, "BTC", True, 0.001, 100_010.0, IOC))
    fees = await _call(info.user_fees, address)
    assert (fees["userCrossRate"], fees["userAddRate"]) == ("0.00045", "0.00015")
    assert fees["dailyUserVlm"][-1]["userCross"] == "100"  # 0.001 at 100,001, 2 decimals
    [order] = await _call(info.historical_orders, address)
    assert (order["order"]["oid"], order["status"]) == (ioc["filled"]["oid"], "filled")
    now_ms = int(time.time() * 1000)
    [candle] = await _call(info.candles_snapshot, "BTC", "1m", now_ms - 60_000, now_ms)
    assert (candle["o"], candle["v"], candle["n"]) == ("100001", "0.001", 1)
    spot, ctxs = await _call(info.spot_meta_and_asset_ctxs)
    assert spot["tokens"][0]["name"] == "USDC"
    assert ctxs == []
    assert await _call(info.post, "/info", {"type": "l2Book", "coin": "NOPE"}) is None


async def test_sdk_websocket_manager_all_mids(emulator: EmulatorServer) -> None:
    mids: list[Any] = []
    arrived = threading.Event()
    info = await _call(Info, emulator.base_url, skip_ws=False)
    try:
        await _call(_wait_ready, info)
        info.subscribe({"type": "allMids"}, _collector(mids, arrived))
        assert await _call(arrived.wait, 5)
    finally:
        await _call(info.disconnect_websocket)
        if info.ws_manager is not None:
            await _call(info.ws_manager.join, 5)
    assert mids[0] == {"channel": "allMids", "data": {"mids": {"BTC": "100000.5"}}}
