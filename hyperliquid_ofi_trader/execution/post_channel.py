"""Request/response correlation for Hyperliquid's WebSocket `post` requests.

`{"method":"post","id":N,"request":{"type":"info"|"action","payload":...}}` goes out on the
market-data socket; the answer comes back on channel `post` with the same id, decoded by the
codec into a `PostResponse` event, which the composition root hands to `on_response`.

What can happen to a request, and what the caller must do about it:
- answered: `request` returns the venue's payload (or raises `PostRejectedError` when the
  venue answered with type "error");
- `PostNotSentError`: the frame never left (no connection, or the socket's send budget is spent).
  The venue never saw it, so sending it another way (REST) is safe;
- `PostTimeout` / `PostDisconnected`: the frame left but no answer came. The venue may or may
  not have acted on it. An order must NOT be re-sent blindly: the order manager queries the
  cloids and decides.

Answers with unknown ids (late answers after a timeout, a restarted server) are counted and
dropped, never raised: the socket pump must keep running.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from hyperliquid_ofi_trader.core.clock import Clock
from hyperliquid_ofi_trader.core.events import PostResponse
from hyperliquid_ofi_trader.data.codec import post_message
from hyperliquid_ofi_trader.data.ws_client import WsNotConnectedError, WsSendRateLimitedError

Send = Callable[[bytes], Awaitable[None]]

_VENUE_MAX_IN_FLIGHT: Final = 100
_LATENCY_WINDOW: Final = 4096


class PostError(Exception):
    """Base of everything `PostChannel.request` raises."""


class PostNotSentError(PostError):
    """The request never left this process: safe to send it another way."""


class PostOutcomeUnknownError(PostError):
    """The request was sent but its answer is lost: the venue may have acted on it."""


class PostTimeout(PostOutcomeUnknownError):  # noqa: N818 (name fixed by the contract)
    """No answer within the timeout."""


class PostDisconnected(PostOutcomeUnknownError):  # noqa: N818 (name fixed by the contract)
    """The connection dropped while the request was in flight."""


class PostRejectedError(PostError):
    """The venue answered with `{"type": "error", "payload": <text>}`."""

    def __init__(self, payload: Any) -> None:
        super().__init__(str(payload))
        self.payload = payload


@dataclass(slots=True)
class PostChannelStats:
    sent: int = 0
    answered: int = 0
    error_answers: int = 0
    not_sent: int = 0
    timeouts: int = 0
    disconnected: int = 0
    unknown_ids: int = 0  # answers to nothing we wait for: late (after timeout) or foreign


class PostChannel:
    """Sends `post` requests with unique increasing ids and matches their answers.

    At most `max_in_flight` requests wait for an answer at once (the venue allows 100);
    a caller beyond that waits for a slot, unless it checks `saturated` first and takes
    another path (the gateway falls back to REST).
    """

    __slots__ = ("_clock", "_in_flight", "_latencies_ns", "_max_in_flight", "_next_id",
                 "_send", "_slots", "stats")

    def __init__(self, send: Send, clock: Clock, *, max_in_flight: int = 100,
                 first_id: int = 1) -> None:
        if not 1 <= max_in_flight <= _VENUE_MAX_IN_FLIGHT:
            raise ValueError(f"max_in_flight must be in 1..100, got {max_in_flight}")
        self._send = send
        self._clock = clock
        self._max_in_flight = max_in_flight
        self._slots = asyncio.Semaphore(max_in_flight)
        self._next_id = first_id
        self._in_flight: dict[int, asyncio.Future[Any]] = {}
        self._latencies_ns: list[int] = []
        self.stats = PostChannelStats()

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    @property
    def saturated(self) -> bool:
        """True when a new request would have to wait for an in-flight slot."""
        return self._slots.locked()

    def latencies_ns(self) -> list[int]:
        """Recent request→answer latencies (bounded window), for stats and benches."""
        return list(self._latencies_ns)

    async def request(self, kind: str, payload: Mapping[str, Any], timeout_s: float) -> Any:
        """Post `payload` ("info" or "action") and return the venue's answer payload."""
        async with self._slots:
            request_id = self._take_id()
            frame = post_message(request_id, kind, payload)  # EncodeError: caller's bug
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._in_flight[request_id] = future
            try:
                return await self._send_and_wait(request_id, frame, future, timeout_s)
            finally:
                self._in_flight.pop(request_id, None)

    def on_response(self, response: PostResponse) -> None:
        """Resolve the request `response` answers. Unknown or late ids are counted only."""
        future = self._in_flight.get(response.request_id)
        if future is None or future.done():
            self.stats.unknown_ids += 1
            return
        if response.kind == "error":
            self.stats.error_answers += 1
            future.set_exception(PostRejectedError(response.payload))
        else:
            future.set_result(response.payload)

    def on_disconnect(self, reason: str) -> None:
        """Fail every in-flight request: their answers can no longer arrive."""
        for request_id, future in list(self._in_flight.items()):
            if not future.done():
                future.set_exception(PostDisconnected(
                    f"connection lost with post {request_id} in flight: {reason}"))

    def _take_id(self) -> int:
        request_id = self._next_id
        self._next_id = request_id + 1
        return request_id

    async def _send_and_wait(self, request_id: int, frame: bytes,
                             future: asyncio.Future[Any], timeout_s: float) -> Any:
        sent_ns = self._clock.now_ns()
        await self._send_frame(request_id, frame)
        try:
            result = await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            self.stats.timeouts += 1
            raise PostTimeout(f"post {request_id}: no answer within {timeout_s:g} s") from None
        except PostDisconnected:
            self.stats.disconnected += 1
            raise
        except PostRejectedError:
            self._note_latency(sent_ns)
            raise
        self._note_latency(sent_ns)
        return result

    async def _send_frame(self, request_id: int, frame: bytes) -> None:
        try:
            await self._send(frame)
        except (WsNotConnectedError, WsSendRateLimitedError) as exc:
            # Both are raised before any byte is written (the client checks its state and
            # budget first; websockets raises ConnectionClosed before writing), so the
            # venue never saw this request.
            self.stats.not_sent += 1
            raise PostNotSentError(f"post {request_id} not sent: {exc}") from exc
        except OSError as exc:
            # Part of the frame may have gone out: the outcome is unknown.
            self.stats.disconnected += 1
            raise PostDisconnected(f"post {request_id}: send failed: {exc!r}") from exc
        self.stats.sent += 1

    def _note_latency(self, sent_ns: int) -> None:
        self.stats.answered += 1
        lat = self._latencies_ns
        lat.append(self._clock.now_ns() - sent_ns)
        if len(lat) > _LATENCY_WINDOW:
            del lat[: len(lat) - _LATENCY_WINDOW // 2]
