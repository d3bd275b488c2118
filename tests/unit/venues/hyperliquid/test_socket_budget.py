"""risk.yaml `websocket.max_messages` / `control_reserve` is the socket's one message
budget: changing the key changes how many posts go out on the socket before the rest are
refused (and so go over REST)."""

from __future__ import annotations

import asyncio

import pytest

from hyperliquid_ofi_trader.config import ConfigError, build_config
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (
    HyperliquidWsClient,
    WsClientConfig,
    WsSendRateLimitedError,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.post import (
    PostChannel,
    PostNotSentError,
)

T0 = 1_704_110_400_000_000_000


class _Socket:
    """The open connection as the client sees it: records what is sent."""

    def __init__(self) -> None:
        self.frames: list[bytes | str] = []

    async def send(self, data: bytes | str, text: bool = False) -> None:
        self.frames.append(data)


def _connected_client(websocket: dict[str, int]) -> tuple[HyperliquidWsClient, _Socket]:
    cfg = WsClientConfig.from_config(build_config({"risk.yaml": {"websocket": websocket}}))
    client = HyperliquidWsClient("ws://127.0.0.1:1/ws", [], lambda raw, ns: [],
                                 lambda e: None, clock=ReplayClock(T0), config=cfg)
    socket = _Socket()
    client._ws = socket  # type: ignore[assignment]  # as after a successful connect
    return client, socket


async def _posts_sent(client: HyperliquidWsClient, attempts: int) -> int:
    sent = 0
    for i in range(attempts):
        try:
            await client.send({"method": "post", "id": i})
        except WsSendRateLimitedError:
            break
        sent += 1
    return sent


@pytest.mark.parametrize(("max_messages", "control_reserve", "posts"),
                         [(1900, 100, 1800), (40, 5, 35), (40, 0, 40)])
def test_the_websocket_keys_set_how_many_posts_go_out(max_messages: int,
                                                      control_reserve: int,
                                                      posts: int) -> None:
    client, socket = _connected_client({"max_messages": max_messages,
                                        "control_reserve": control_reserve})
    assert asyncio.run(_posts_sent(client, 3000)) == posts
    assert len(socket.frames) == posts
    assert client.stats.send_rate_limited == 1


def test_a_post_beyond_the_budget_is_provably_not_sent() -> None:
    # What the gateway and the /info client fall back to REST on.
    client, socket = _connected_client({"max_messages": 3, "control_reserve": 1})

    async def go() -> None:
        channel = PostChannel(client.send, ReplayClock(T0))
        for _ in range(2):
            prepared = channel.try_prepare("info", {"type": "meta"})
            assert prepared is not None
            task = asyncio.ensure_future(channel.complete(prepared, 5.0))
            await asyncio.sleep(0)
            task.cancel()
        prepared = channel.try_prepare("info", {"type": "meta"})
        assert prepared is not None
        with pytest.raises(PostNotSentError):
            await channel.complete(prepared, 5.0)

    asyncio.run(go())
    assert len(socket.frames) == 2


@pytest.mark.parametrize(("key", "now"), [("ws_messages_per_minute", "websocket.max_messages"),
                                          ("ws_control_reserve", "websocket.control_reserve")])
def test_rate_limits_has_no_second_socket_budget(key: str, now: str) -> None:
    # An old file's key is refused with the key that now sets it, not silently dropped.
    with pytest.raises(ConfigError, match=rf"rate_limits\.{key} = 100: removed: .* {now}$"):
        build_config({"risk.yaml": {"rate_limits": {key: 100}}})
