"""An info request answered on the socket with a post error mirroring HTTP 429 is a rate
limit: reported as such and the shared budget backs off, without asking again over REST
(which the same limit would refuse)."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson
import pytest

from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.events import PostResponse
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import RateLimiter, RequestKind
from hyperliquid_ofi_trader.venues.hyperliquid.http.info import InfoClient, InfoRateLimitedError
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.post import PostChannel

T0 = 1_700_000_000_000_000_000


async def test_a_429_post_error_on_an_info_request_backs_off_without_rest() -> None:
    clock = ReplayClock(T0)
    channel_box: list[PostChannel] = []

    async def answer_429(frame: bytes) -> None:
        request_id = orjson.loads(frame)["id"]
        asyncio.get_running_loop().call_soon(channel_box[0].on_response, PostResponse(
            exchange_ns=0, local_ns=T0, request_id=request_id, kind="error",
            payload="429 Too Many Requests"))

    channel = PostChannel(answer_429, clock)
    channel_box.append(channel)
    limiter = RateLimiter()
    async with aiohttp.ClientSession() as session:
        # An unroutable REST address: reaching it would fail the test with another error.
        info = InfoClient("http://127.0.0.1:9", session, clock=clock, post=channel,
                          limiter=limiter, timeout_s=1.0)
        with pytest.raises(InfoRateLimitedError, match="429"):
            await info.query({"type": "openOrders", "user": "0x" + "1" * 40})
    assert info.stats.post_fallbacks == 0
    assert limiter.wait_ns(RequestKind.INFO, 2, T0) > 0
    assert limiter.wait_ns(RequestKind.CANCEL, 1, T0, requests=1) == 0
