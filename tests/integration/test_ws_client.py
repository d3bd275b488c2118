"""HyperliquidWsClient over real loopback sockets against `ws_test_server.HlTestServer`.

Intervals are milliseconds; every wait is bounded by `wait_until` (5 s) and each test by
the 10 s timeout marker. Nothing here asserts on elapsed time.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from hyperliquid_ofi_trader.config.packaged import packaged_config
from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    Bbo,
    BookSnapshot,
    FeedState,
    FeedStatus,
    Greeting,
    Pong,
    PostResponse,
    Rejection,
    SubscriptionAck,
)
from hyperliquid_ofi_trader.data.backoff import SlidingWindowLimiter
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (
    HyperliquidWsClient,
    WsCallbackError,
    WsClientConfig,
    WsConfigError,
    WsNotConnectedError,
    WsSendRateLimitedError,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.session import RawFrame
from tests.integration.ws_test_server import HlTestServer, simple_decode, wait_until

pytestmark = pytest.mark.timeout(10)

SUBS: list[dict[str, Any]] = [
    {"type": "l2Book", "coin": "BTC"},
    {"type": "bbo", "coin": "BTC"},
    {"type": "trades", "coin": "ETH"},
]

# The packaged settings (thresholds.yaml `feed`, risk.yaml `websocket`), shrunk to ms.
PACKAGED = WsClientConfig.from_config(packaged_config())
RECONNECT = packaged_config().risk.websocket.reconnect
FAST = replace(
    PACKAGED, ping_interval_s=0.5, silence_timeout_s=0.6, tick_s=0.005, ack_timeout_s=0.3,
    open_timeout_s=1.0, close_timeout_s=0.2, stale_factor=2.0,
    cadence_s={"l2Book": 0.1, "bbo": 0.1, "trades": 0.0},
    backoff=RECONNECT.replaced(base_s=0.01, max_s=0.05, healthy_after_s=0.2,
                               max_connects=30, window_s=60.0))


@dataclass
class Harness:
    """A client plus everything it reported, in order."""

    client: HyperliquidWsClient
    events: list[AnyEvent] = field(default_factory=list)
    raw: list[tuple[RawFrame, int]] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    def states(self, status: FeedStatus | None = None, channel: str | None = None
               ) -> list[FeedState]:
        return [e for e in self.events if isinstance(e, FeedState)
                and (status is None or e.status is status)
                and (channel is None or e.channel == channel)]

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def start(self) -> None:
        self.task = asyncio.create_task(self.client.run())

    async def stop(self) -> None:
        self.client.stop()
        assert self.task is not None
        await asyncio.wait_for(self.task, 3.0)


def make(url: str, config: WsClientConfig = FAST, subs: Sequence[dict[str, Any]] = SUBS,
         decode: Callable[[RawFrame, int], Sequence[AnyEvent]] = simple_decode,
         limiter: SlidingWindowLimiter | None = None) -> Harness:
    holder: list[Harness] = []

    def on_event(ev: AnyEvent) -> None:
        holder[0].events.append(ev)
        holder[0].order.append("event")

    def on_raw(raw: RawFrame, ns: int) -> None:
        holder[0].raw.append((raw, ns))
        holder[0].order.append("raw")

    client = HyperliquidWsClient(url, subs, decode, on_event, on_raw=on_raw, config=config,
                                 rng=random.Random(42), connect_limiter=limiter)
    holder.append(Harness(client))
    return holder[0]


@pytest.fixture
async def server() -> AsyncIterator[HlTestServer]:
    async with HlTestServer(push_interval_s=0.005) as srv:
        yield srv


@pytest.fixture
async def harness(server: HlTestServer) -> AsyncIterator[Harness]:
    h = make(server.url)
    h.start()
    yield h
    if h.task is not None and not h.task.done():
        await h.stop()


def ups(h: Harness) -> int:
    return len(h.states(FeedStatus.UP, ""))


def market_times(h: Harness) -> list[int]:
    return [e.exchange_ns for e in h.events if isinstance(e, BookSnapshot | Bbo)]


# ---------------------------------------------------------------- happy path


async def test_subscribes_goes_up_and_streams_in_order(
        server: HlTestServer, harness: Harness) -> None:
    await wait_until(lambda: ups(harness) == 1 and len(harness.of(BookSnapshot)) >= 5)
    assert [s["type"] for s in server.subscriptions_of(0)] == ["l2Book", "bbo", "trades"]
    assert isinstance(harness.events[0], Greeting)
    assert harness.raw[0][0] == "Websocket connection established."
    assert len(harness.of(SubscriptionAck)) == 3  # l2Book ack carried extra null fields
    up = harness.states(FeedStatus.UP)[0]
    assert up.detail == "3 subscriptions acked"  # matched although echoes differ
    assert harness.events.index(up) > harness.events.index(harness.of(SubscriptionAck)[-1])
    # on_raw sees each frame before its events; frames are delivered in server order.
    assert harness.order[0] == "raw"
    times = market_times(harness)
    assert times == sorted(times)
    assert len(set(times)) == len(times)
    receive_ns = [ns for _, ns in harness.raw]
    assert receive_ns == sorted(receive_ns)
    assert harness.client.stats.frames_received == len(harness.raw)


async def test_stop_is_clean_and_reports_down(server: HlTestServer, harness: Harness) -> None:
    await wait_until(lambda: ups(harness) == 1)
    await harness.stop()
    assert harness.task is not None
    assert harness.task.done()
    assert harness.task.exception() is None
    downs = harness.states(FeedStatus.DOWN)
    assert len(downs) == 1
    assert downs[0].detail == "stopped"
    assert not harness.client.connected
    assert not harness.client.is_up
    await wait_until(lambda: not server.live)
    assert server.close_codes == [1000]  # a proper close handshake, not a cut
    assert server.connections == 1


async def test_stop_while_backing_off_returns_promptly(server: HlTestServer) -> None:
    server.refuse = True
    slow = replace(FAST, backoff=RECONNECT.replaced(base_s=30.0, max_s=30.0))
    h = make(server.url, slow)
    h.start()
    await wait_until(lambda: h.client.stats.connect_failures == 1)
    await h.stop()  # bounded by wait_for(3 s) although the backoff is up to 30 s
    assert h.states() == []  # never connected: no DOWN either


# ---------------------------------------------------------------- reconnects


@pytest.mark.parametrize("abort", [True, False], ids=["cut", "close-frame"])
async def test_reconnects_and_resubscribes_after_drop(
        server: HlTestServer, harness: Harness, abort: bool) -> None:
    await wait_until(lambda: ups(harness) == 1)
    await server.drop_all(abort=abort)
    await wait_until(lambda: ups(harness) == 2 and len(harness.of(BookSnapshot)) > 3)
    assert server.connections == 2
    assert server.subscriptions_of(1) == server.subscriptions_of(0) == SUBS
    kinds = [s.status for s in harness.states(channel="")]
    assert kinds == [FeedStatus.UP, FeedStatus.DOWN, FeedStatus.UP]
    assert harness.client.stats.disconnects == 1
    times = market_times(harness)
    assert times == sorted(times)


async def test_server_restart_on_same_port(server: HlTestServer, harness: Harness) -> None:
    await wait_until(lambda: ups(harness) == 1)
    port = server.port
    await server.stop()
    await wait_until(lambda: harness.client.stats.connect_failures >= 2)
    assert not harness.client.connected
    await asyncio.sleep(0.3)  # stay down longer than the channels' stale limit (0.2 s)
    await server.start()
    assert server.port == port
    await wait_until(lambda: ups(harness) == 2 and len(harness.of(Bbo)) > 5)
    assert server.subscriptions_of(1) == SUBS
    # Silence while disconnected is DOWN's business: the watchdog restarts from scratch.
    assert harness.states(FeedStatus.STALE) == []
    assert "ConnectionRefusedError" in harness.client.stats.last_error or \
        "connect to" in harness.client.stats.last_error


async def test_backoff_grows_while_refused_and_resets_after_healthy(
        server: HlTestServer) -> None:
    server.refuse = True
    cfg = replace(FAST, backoff=RECONNECT.replaced(base_s=0.002, max_s=0.2,
                                                   healthy_after_s=0.05))
    h = make(server.url, cfg)
    h.start()
    await wait_until(lambda: h.client.stats.connect_failures >= 6)
    delays = list(h.client.stats.recent_delays_ns)
    backoff = h.client.backoff
    assert backoff.attempt == len(delays) >= 6
    for i, delay in enumerate(delays):
        assert 0 <= delay <= backoff.ceiling_ns(i)
    assert backoff.ceiling_ns(len(delays) - 1) > backoff.ceiling_ns(0)  # the cap grew
    # One attempt may be under way: counted by the client, not yet seen by the server.
    assert h.client.stats.connect_failures <= server.handshakes
    assert server.handshakes <= h.client.stats.connect_attempts
    server.refuse = False
    await wait_until(lambda: ups(h) == 1)
    await asyncio.sleep(0.08)  # stay connected longer than healthy_after_s
    await server.drop_all()
    await wait_until(lambda: ups(h) == 2)
    assert backoff.attempt == 1  # reset by the healthy connection, then one retry
    await h.stop()


class RecordingLimiter(SlidingWindowLimiter):
    """Remembers every admitted event, to check the window on the whole run."""

    def __init__(self, limit: int, window_ns: int) -> None:
        super().__init__(limit, window_ns)
        self.admitted: list[int] = []

    def try_acquire(self, now_ns: int, reserve: int = 0) -> int:
        wait = super().try_acquire(now_ns, reserve)
        if wait == 0:
            self.admitted.append(now_ns)
        return wait


async def test_connection_rate_limiter_holds(server: HlTestServer) -> None:
    server.refuse = True
    window_ns = 200_000_000
    limiter = RecordingLimiter(3, window_ns)
    # Backoff alone would allow ~1000 attempts per second: the limiter must hold it to 3.
    cfg = replace(FAST, backoff=RECONNECT.replaced(base_s=0.001, max_s=0.001))
    h = make(server.url, cfg, limiter=limiter)
    h.start()
    await wait_until(lambda: h.client.stats.connect_attempts >= 8)
    await h.stop()
    stamps = limiter.admitted
    assert len(stamps) == h.client.stats.connect_attempts >= 8
    for i in range(len(stamps) - 3):
        assert stamps[i + 3] - stamps[i] >= window_ns
    assert h.client.stats.connect_rate_waits > 0
    # stop() may cancel one attempt before its handshake reached the server.
    assert h.client.stats.connect_attempts - 1 <= server.handshakes <= len(stamps)


# ---------------------------------------------------------------- liveness


async def test_silent_channel_goes_stale_then_recovers(
        server: HlTestServer, harness: Harness) -> None:
    await wait_until(lambda: ups(harness) == 1)
    server.paused.add("bbo:BTC")
    await wait_until(lambda: len(harness.states(FeedStatus.STALE, "bbo:BTC")) == 1)
    assert harness.states(FeedStatus.STALE, "l2Book:BTC") == []  # the book kept flowing
    server.paused.clear()
    await wait_until(lambda: len(harness.states(FeedStatus.RECOVERED, "bbo:BTC")) == 1)
    rec = harness.states(FeedStatus.RECOVERED, "bbo:BTC")[0]
    nxt = harness.events[harness.events.index(rec) + 1]
    assert isinstance(nxt, Bbo)  # RECOVERED comes right before the data that ended it
    assert harness.client.stats.connects == 1  # a stale channel is not a dead socket


async def test_subscribed_channel_that_never_speaks_turns_stale(
        server: HlTestServer) -> None:
    server.paused.add("bbo:BTC")
    h = make(server.url)
    h.start()
    await wait_until(lambda: h.states(FeedStatus.STALE, "bbo:BTC") != [])
    await h.stop()


async def test_silent_socket_is_declared_dead_and_replaced(
        server: HlTestServer, harness: Harness) -> None:
    await wait_until(lambda: ups(harness) == 1)
    pings_before = server.pings
    server.silent = True  # no data, no pongs, socket stays open
    await wait_until(lambda: len(harness.states(FeedStatus.DOWN)) == 1)
    assert "nothing received" in harness.states(FeedStatus.DOWN)[0].detail
    assert server.pings > pings_before  # a liveness probe went out before giving up
    assert harness.client.stats.dead_connections == 1
    server.silent = False
    await wait_until(lambda: ups(harness) == 2)


async def test_pings_sent_on_short_interval(server: HlTestServer) -> None:
    h = make(server.url, replace(FAST, ping_interval_s=0.02))
    h.start()
    await wait_until(lambda: len(h.of(Pong)) >= 4)
    # Data flowed all along, so these were heartbeat pings (send-silence), not probes.
    assert server.pings >= 4
    assert h.client.stats.pings_sent >= 4
    assert h.client.stats.connects == 1
    await h.stop()


async def test_ack_timeout_still_goes_up_and_names_unacked(server: HlTestServer) -> None:
    server.acks = False
    h = make(server.url)
    h.start()
    await wait_until(lambda: ups(h) == 1)
    assert "3 subscriptions unacked" in h.states(FeedStatus.UP)[0].detail
    assert h.client.stats.unacked_subscriptions == 3
    await h.stop()


async def test_acks_match_despite_extra_fields_and_address_case(
        server: HlTestServer) -> None:
    user = "0x6802B4267F7f2bF7003dcF993c51542245B38329"
    subs = [{"type": "l2Book", "coin": "BTC"}, {"type": "orderUpdates", "user": user}]
    server.ack_extra = {"fast": False}
    h = make(server.url, replace(FAST, ack_timeout_s=5.0), subs=subs)
    h.start()
    await wait_until(lambda: ups(h) == 1)
    assert h.states(FeedStatus.UP)[0].detail == "2 subscriptions acked"
    assert server.subscriptions_of(0)[1]["user"] == user  # sent exactly as configured
    await h.stop()


# ---------------------------------------------------------------- bad input


async def test_garbage_frames_do_not_kill_the_client(
        server: HlTestServer, harness: Harness) -> None:
    await wait_until(lambda: ups(harness) == 1)
    garbage: list[str | bytes] = ["{not json", b"\x00\xff\xfe", '{"channel":"weird"}', "[]",
                                  '{"channel":"l2Book","data":{"coin":"BTC"}}']
    await server.broadcast(garbage)
    await wait_until(lambda: len(harness.of(Rejection)) == len(garbage))
    books = len(harness.of(BookSnapshot))
    await wait_until(lambda: len(harness.of(BookSnapshot)) > books + 3)
    assert harness.client.stats.rejections == len(garbage)
    assert harness.client.stats.connects == 1
    assert {r.reason for r in harness.of(Rejection)} == {"bad_json", "bad_payload",
                                                        "unknown_channel"}


async def test_decoder_exception_becomes_a_rejection(server: HlTestServer) -> None:
    def flaky(raw: RawFrame, ns: int) -> Sequence[AnyEvent]:
        if raw == "boom":
            raise RuntimeError("codec bug")
        return simple_decode(raw, ns)

    h = make(server.url, decode=flaky)
    h.start()
    await wait_until(lambda: ups(h) == 1)
    await server.broadcast(["boom"])
    await wait_until(lambda: h.client.stats.decode_errors == 1)
    rej = h.of(Rejection)
    assert [r.reason for r in rej] == ["decode_error"]
    assert ("boom", rej[0].local_ns) in h.raw  # the recorder still got the frame
    books = len(h.of(BookSnapshot))
    await wait_until(lambda: len(h.of(BookSnapshot)) > books)
    await h.stop()


async def test_callback_exception_stops_run_and_is_reraised(server: HlTestServer) -> None:
    def on_event(ev: AnyEvent) -> None:
        if isinstance(ev, BookSnapshot):
            raise ZeroDivisionError("engine bug")

    client = HyperliquidWsClient(server.url, SUBS, simple_decode, on_event, config=FAST)
    with pytest.raises(WsCallbackError, match="ZeroDivisionError") as info:
        await asyncio.wait_for(client.run(), 5.0)
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert not client.connected
    await wait_until(lambda: not server.live)


# ---------------------------------------------------------------- posts


async def test_send_post_round_trip_and_budget(server: HlTestServer) -> None:
    cfg = replace(FAST, max_messages=6, control_reserve=2, ping_interval_s=50.0,
                  silence_timeout_s=5.0)
    h = make(server.url, cfg)
    with pytest.raises(WsNotConnectedError):
        await h.client.send({"method": "post", "id": 1})
    h.start()
    await wait_until(lambda: ups(h) == 1)
    # 3 subscribes are in the window; posts may use 6 - 2 reserved - 3 = 1 slot.
    await h.client.send({"method": "post", "id": 7, "request": {"type": "info",
                                                                "payload": {}}})
    with pytest.raises(WsSendRateLimitedError) as info:
        await h.client.send(b'{"method":"post","id":8}')
    assert 0 < info.value.retry_after_ns <= 60 * 10**9
    await wait_until(lambda: len(h.of(PostResponse)) == 1)
    assert h.of(PostResponse)[0].request_id == 7
    assert h.client.stats.send_rate_limited == 1
    await h.stop()


def test_configuration_errors_are_typed() -> None:
    with pytest.raises(WsConfigError, match="ping_interval_s"):
        replace(PACKAGED, ping_interval_s=51.0)
    with pytest.raises(WsConfigError, match="URL"):
        HyperliquidWsClient("http//nope", SUBS, simple_decode, lambda e: None)
    with pytest.raises(WsConfigError, match="type"):
        HyperliquidWsClient("ws://127.0.0.1:1/ws", [{"coin": "BTC"}], simple_decode,
                            lambda e: None)
    with pytest.raises(WsConfigError, match="limit"):
        HyperliquidWsClient("ws://127.0.0.1:1/ws", [{"type": "bbo", "coin": str(i)}
                                                    for i in range(1001)],
                            simple_decode, lambda e: None)
    with pytest.raises(WsConfigError, match="JSON"):
        HyperliquidWsClient("ws://127.0.0.1:1/ws", [{"type": "bbo", "coin": object()}],
                            simple_decode, lambda e: None)
