"""InfoClient: parsing into domain types, error mapping, post-first with REST fallback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import RateLimiter
from hyperliquid_ofi_trader.venues.hyperliquid.http.info import (
    InfoClient,
    InfoParseError,
    InfoRateLimitedError,
    InfoRequestError,
    InfoTransportError,
    check_address,
    parse_clearinghouse,
    parse_fills,
    parse_open_orders,
    parse_order_status,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.post import PostNotSentError

USER = "0x" + "ab" * 20
CLOID = "0x" + "00" * 15 + "07"

FILL = {"coin": "ETH", "px": "2500.1", "sz": "0.5", "side": "B", "time": 1_700_000_000_000,
        "startPosition": "0.0", "dir": "Open Long", "closedPnl": "0.0", "hash": "0xabc",
        "oid": 11, "crossed": True, "fee": "0.56", "tid": 99, "feeToken": "USDC",
        "cloid": CLOID}
ORDER = {"coin": "BTC", "side": "A", "limitPx": "101000.0", "sz": "0.002", "oid": 5,
         "timestamp": 1_700_000_000_123, "origSz": "0.003", "cloid": CLOID}
STATE = {"assetPositions": [
    {"type": "oneWay", "position": {"coin": "ETH", "szi": "-0.5", "entryPx": "2500.0",
                                    "unrealizedPnl": "-1.5", "marginUsed": "62.5"}},
    {"type": "oneWay", "position": {"coin": "BTC", "szi": "0.0", "entryPx": None}}],
    "marginSummary": {"accountValue": "1000.25"}, "withdrawable": "900.5", "time": 17}


def test_parse_fills_orders_and_positions() -> None:
    fill = parse_fills([FILL])[0]
    assert (fill.coin, fill.price, fill.size, fill.is_buy) == ("ETH", 2500.1, 0.5, True)
    assert fill.exchange_ns == 1_700_000_000_000 * 1_000_000
    assert (fill.tid, fill.oid, fill.cloid, fill.crossed, fill.fee) == (99, 11, CLOID, True,
                                                                          0.56)
    assert not fill.liquidation
    order = parse_open_orders([ORDER])[0]
    assert (order.is_buy, order.limit_px, order.size, order.orig_size) == (False, 101000.0,
                                                                           0.002, 0.003)
    no_orig = dict(ORDER)
    del no_orig["origSz"]
    assert parse_open_orders([no_orig])[0].orig_size == 0.002
    state = parse_clearinghouse(STATE)
    assert [(p.coin, p.size, p.entry_px) for p in state.positions] == [("ETH", -0.5, 2500.0)]
    assert (state.account_value, state.withdrawable, state.time_ms) == (1000.25, 900.5, 17)


@pytest.mark.parametrize("bad", [
    [{**FILL, "side": "X"}], [{**FILL, "px": "nan"}], [{**FILL, "px": "abc"}],
    [{k: v for k, v in FILL.items() if k != "tid"}], {"not": "a list"}, None,
])
def test_garbage_fills_are_refused_whole(bad: Any) -> None:
    with pytest.raises(InfoParseError):
        parse_fills(bad)


def test_one_bad_order_refuses_the_whole_answer() -> None:
    # A reconciliation that dropped an order would make the manager forget a live order.
    with pytest.raises(InfoParseError, match="openOrders"):
        parse_open_orders([ORDER, {**ORDER, "limitPx": "inf"}])


def test_order_status_known_and_unknown() -> None:
    known = {"status": "order", "order": {"order": ORDER, "status": "filled",
                                          "statusTimestamp": 1_700_000_000_500}}
    report = parse_order_status(known, CLOID, local_ns=42)
    assert (report.status, report.oid, report.cloid, report.coin) == ("filled", 5, CLOID, "BTC")
    assert report.exchange_ns == 1_700_000_000_500 * 1_000_000
    assert report.local_ns == 42
    unknown = parse_order_status({"status": "unknownOid"}, 12345, local_ns=1)
    assert (unknown.status, unknown.oid, unknown.cloid, unknown.coin) == ("unknownOid", 12345,
                                                                          None, "")


def test_addresses_are_checked_and_lowercased() -> None:
    assert check_address(USER.upper().replace("0X", "0x")) == USER
    for bad in ("0x123", "ab" * 21, "0x" + "zz" * 20, 42):
        with pytest.raises(ValueError, match="account address"):
            check_address(bad)  # type: ignore[arg-type]


class Stub:
    """A tiny /info server: answers from a table, records the bodies it got."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.reply: tuple[int, Any] = (200, [])

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.bodies.append(await request.json())
        status, body = self.reply
        if isinstance(body, str):
            return web.Response(status=status, text=body)
        return web.json_response(body, status=status)


@pytest.fixture
async def stub() -> AsyncIterator[tuple[Stub, str]]:
    s = Stub()
    app = web.Application()
    app.router.add_post("/info", s.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield s, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_rest_queries_use_the_account_address(stub: tuple[Stub, str]) -> None:
    server, url = stub
    server.reply = (200, [ORDER])
    limiter = RateLimiter()
    async with aiohttp.ClientSession() as session:
        info = InfoClient(url, session, clock=ReplayClock(5), limiter=limiter, timeout_s=5.0)
        orders = await info.frontend_open_orders(USER.upper().replace("0X", "0x"))
    assert orders[0].oid == 5
    assert server.bodies == [{"type": "frontendOpenOrders", "user": USER}]
    assert limiter.ip_used(5) == 20


@pytest.mark.parametrize(("reply", "error"), [
    ((429, "slow down"), InfoRateLimitedError), ((502, "bad gateway"), InfoTransportError),
    ((422, "Failed to deserialize"), InfoRequestError), ((200, "not json {"), InfoParseError),
])
async def test_http_failures_map_to_typed_errors(stub: tuple[Stub, str],
                                                 reply: tuple[int, str],
                                                 error: type[Exception]) -> None:
    server, url = stub
    server.reply = reply
    async with aiohttp.ClientSession() as session:
        info = InfoClient(url, session, clock=ReplayClock(), timeout_s=5.0)
        with pytest.raises(error):
            await info.user_fills(USER)
    assert info.stats.failed == 1


async def test_connection_refused_is_a_transport_error() -> None:
    async with aiohttp.ClientSession() as session:
        info = InfoClient("http://127.0.0.1:9", session, clock=ReplayClock(), timeout_s=2.0)
        with pytest.raises(InfoTransportError):
            await info.meta()


class FakePost:
    """Stands in for PostChannel: answers like the venue or refuses to send."""

    saturated = False

    def __init__(self, answer: Any = None, fail: Exception | None = None) -> None:
        self.answer = answer
        self.fail = fail
        self.calls: list[tuple[str, Any]] = []

    async def request(self, kind: str, payload: Any, timeout_s: float) -> Any:
        self.calls.append((kind, payload))
        if self.fail is not None:
            raise self.fail
        return self.answer


async def test_post_answers_are_unwrapped(stub: tuple[Stub, str]) -> None:
    server, url = stub
    post = FakePost(answer={"type": "userFills", "data": [FILL]})
    async with aiohttp.ClientSession() as session:
        info = InfoClient(url, session, clock=ReplayClock(), timeout_s=5.0,
                          post=post)  # type: ignore[arg-type]
        fills = await info.user_fills(USER)
    assert fills[0].tid == 99
    assert post.calls == [("info", {"type": "userFills", "user": USER})]
    assert server.bodies == []
    assert info.stats.post == 1


async def test_post_failure_falls_back_to_rest(stub: tuple[Stub, str]) -> None:
    server, url = stub
    server.reply = (200, {"status": "unknownOid"})
    post = FakePost(fail=PostNotSentError("no open connection"))
    async with aiohttp.ClientSession() as session:
        info = InfoClient(url, session, clock=ReplayClock(), timeout_s=5.0,
                          post=post)  # type: ignore[arg-type]
        report = await info.order_status(USER, CLOID)
    assert report.status == "unknownOid"
    assert server.bodies == [{"type": "orderStatus", "user": USER, "oid": CLOID}]
    assert info.stats.post_fallbacks == 1
