"""PostChannel: id correlation, in-flight cap, timeouts, disconnects, send failures."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.events import PostResponse
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (
    WsNotConnectedError,
    WsSendRateLimitedError,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.post import (
    PostChannel,
    PostDisconnected,
    PostNotSentError,
    PostOutcomeUnknownError,
    PostRejectedError,
    PostTimeout,
)


class FakeSocket:
    """Records sent frames; can be told to fail the next send."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.fail_with: BaseException | None = None
        self.sent_event = asyncio.Event()

    async def send(self, frame: bytes) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.frames.append(orjson.loads(frame))
        self.sent_event.set()

    async def wait_frames(self, n: int) -> None:
        while len(self.frames) < n:
            self.sent_event.clear()
            await self.sent_event.wait()


def answer(request_id: int, payload: Any, kind: str = "action") -> PostResponse:
    return PostResponse(exchange_ns=0, local_ns=0, request_id=request_id, kind=kind,
                        payload=payload)


def channel(sock: FakeSocket, max_in_flight: int = 100) -> PostChannel:
    return PostChannel(sock.send, ReplayClock(1), max_in_flight=max_in_flight)


async def test_answers_are_matched_by_id_whatever_their_order() -> None:
    sock = FakeSocket()
    ch = channel(sock)
    tasks = [asyncio.create_task(ch.request("info", {"type": "meta", "n": i}, 5.0))
             for i in range(3)]
    await sock.wait_frames(3)
    ids = [f["id"] for f in sock.frames]
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    assert sock.frames[0] == {"method": "post", "id": ids[0],
                              "request": {"type": "info", "payload": {"type": "meta", "n": 0}}}
    for rid in reversed(ids):
        ch.on_response(answer(rid, {"echo": rid}, "info"))
    assert [await t for t in tasks] == [{"echo": rid} for rid in ids]
    assert ch.in_flight == 0
    assert ch.stats.sent == ch.stats.answered == 3


async def test_unknown_and_late_ids_are_counted_not_raised() -> None:
    sock = FakeSocket()
    ch = channel(sock)
    ch.on_response(answer(999, {}))
    with pytest.raises(PostTimeout):
        await ch.request("action", {"x": 1}, 0.01)
    late_id = sock.frames[0]["id"]
    ch.on_response(answer(late_id, {"status": "ok"}))
    assert ch.stats.unknown_ids == 2
    assert ch.stats.timeouts == 1
    assert ch.in_flight == 0


async def test_error_answers_raise_a_typed_rejection() -> None:
    sock = FakeSocket()
    ch = channel(sock)
    task = asyncio.create_task(ch.request("action", {"x": 1}, 5.0))
    await sock.wait_frames(1)
    ch.on_response(answer(sock.frames[0]["id"], "Invalid request", kind="error"))
    with pytest.raises(PostRejectedError) as info:
        await task
    assert info.value.payload == "Invalid request"


async def test_disconnect_fails_every_in_flight_request_as_outcome_unknown() -> None:
    sock = FakeSocket()
    ch = channel(sock)
    tasks = [asyncio.create_task(ch.request("action", {"n": i}, 5.0)) for i in range(4)]
    await sock.wait_frames(4)
    ch.on_disconnect("server closed")
    for t in tasks:
        with pytest.raises(PostDisconnected, match="server closed"):
            await t
    assert ch.stats.disconnected == 4
    assert ch.in_flight == 0
    assert issubclass(PostDisconnected, PostOutcomeUnknownError)
    assert issubclass(PostTimeout, PostOutcomeUnknownError)


@pytest.mark.parametrize("exc", [WsNotConnectedError("no open connection"),
                                 WsSendRateLimitedError(5_000_000)])
async def test_send_refusals_mean_not_sent(exc: Exception) -> None:
    sock = FakeSocket()
    sock.fail_with = exc
    ch = channel(sock)
    with pytest.raises(PostNotSentError):
        await ch.request("action", {"x": 1}, 1.0)
    assert ch.stats.not_sent == 1
    assert ch.stats.sent == 0
    assert ch.in_flight == 0


async def test_os_error_while_sending_is_outcome_unknown() -> None:
    sock = FakeSocket()
    sock.fail_with = ConnectionResetError("reset")
    ch = channel(sock)
    with pytest.raises(PostDisconnected):
        await ch.request("action", {"x": 1}, 1.0)


async def test_in_flight_is_capped_and_saturation_is_visible() -> None:
    sock = FakeSocket()
    ch = channel(sock, max_in_flight=2)
    tasks = [asyncio.create_task(ch.request("info", {"n": i}, 5.0)) for i in range(3)]
    await sock.wait_frames(2)
    await asyncio.sleep(0)
    assert len(sock.frames) == 2
    assert ch.in_flight == 2
    assert ch.saturated
    ch.on_response(answer(sock.frames[0]["id"], 0, "info"))
    await sock.wait_frames(3)
    for f in sock.frames[1:]:
        ch.on_response(answer(f["id"], 1, "info"))
    assert [await t for t in tasks] == [0, 1, 1]
    assert not ch.saturated


async def test_ids_keep_increasing_across_failures() -> None:
    sock = FakeSocket()
    ch = channel(sock)
    for _ in range(3):
        with pytest.raises(PostTimeout):
            await ch.request("info", {}, 0.001)
    ids = [f["id"] for f in sock.frames]
    assert ids == [1, 2, 3]


def test_in_flight_limit_must_respect_the_venue() -> None:
    with pytest.raises(ValueError, match="max_in_flight"):
        PostChannel(FakeSocket().send, ReplayClock(), max_in_flight=101)


async def test_prepared_post_has_its_frame_before_any_await() -> None:
    sock = FakeSocket()
    ch = channel(sock)
    prepared = ch.try_prepare("action", {"x": 1})
    assert prepared is not None
    assert orjson.loads(prepared.frame) == {"method": "post", "id": prepared.request_id,
                                            "request": {"type": "action",
                                                        "payload": {"x": 1}}}
    assert ch.in_flight == 1
    assert sock.frames == []  # nothing left yet: sending is `complete`'s job
    task = asyncio.create_task(ch.complete(prepared, 5.0))
    await sock.wait_frames(1)
    ch.on_response(answer(prepared.request_id, {"status": "ok"}))
    assert await task == {"status": "ok"}
    assert ch.in_flight == 0
    assert not ch.saturated


async def test_try_prepare_refuses_when_saturated_and_abandon_frees_the_slot() -> None:
    ch = channel(FakeSocket(), max_in_flight=2)
    first, second = ch.try_prepare("info", {}), ch.try_prepare("info", {})
    assert first is not None
    assert second is not None
    assert ch.saturated
    assert ch.try_prepare("info", {}) is None
    ch.abandon(first)
    ch.abandon(first)  # idempotent: a second call must not free a slot it does not hold
    assert not ch.saturated
    third = ch.try_prepare("info", {})
    assert third is not None
    assert ch.saturated
    assert first.future.cancelled()


async def test_a_freed_slot_goes_to_the_waiting_request_first() -> None:
    sock = FakeSocket()
    ch = channel(sock, max_in_flight=1)
    held = ch.try_prepare("info", {"n": 0})
    assert held is not None
    waiting = asyncio.create_task(ch.request("info", {"n": 1}, 5.0))
    await asyncio.sleep(0)
    assert ch.try_prepare("info", {"n": 2}) is None  # no jumping the queue
    ch.abandon(held)
    await sock.wait_frames(1)
    assert sock.frames[0]["request"]["payload"] == {"n": 1}
    ch.on_response(answer(sock.frames[0]["id"], "done", "info"))
    assert await waiting == "done"
    assert not ch.saturated
    assert ch.in_flight == 0


async def test_a_cancelled_waiter_does_not_leak_a_slot() -> None:
    ch = channel(FakeSocket(), max_in_flight=1)
    held = ch.try_prepare("info", {})
    assert held is not None
    waiting = asyncio.create_task(ch.request("info", {}, 5.0))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    ch.abandon(held)
    assert not ch.saturated
    assert ch.try_prepare("info", {}) is not None


async def test_an_unencodable_payload_burns_neither_slot_nor_id() -> None:
    ch = channel(FakeSocket(), max_in_flight=1)
    with pytest.raises(Exception, match="payload"):
        ch.try_prepare("action", ["not", "a", "mapping"])  # type: ignore[arg-type]
    ok = ch.try_prepare("action", {})
    assert ok is not None
    assert ok.request_id == 1
