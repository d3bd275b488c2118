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
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from hyperliquid_ofi_trader.core.clock import Clock
from hyperliquid_ofi_trader.core.events import PostResponse
from hyperliquid_ofi_trader.errors import TraderError, TransientError, VenueGarbageError
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (
    WsNotConnectedError,
    WsSendRateLimitedError,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import post_message

Send = Callable[[bytes], Awaitable[None]]

_VENUE_MAX_IN_FLIGHT: Final = 100
_LATENCY_WINDOW: Final = 4096


class PostError(TraderError):
    """Base of everything `PostChannel.request` raises."""


class PostNotSentError(PostError, TransientError):
    """The request never left this process: safe to send it another way."""


class PostOutcomeUnknownError(PostError, TransientError):
    """The request was sent but its answer is lost: the venue may have acted on it."""


class PostTimeout(PostOutcomeUnknownError):  # noqa: N818 (name fixed by the contract)
    """No answer within the timeout."""


class PostDisconnected(PostOutcomeUnknownError):  # noqa: N818 (name fixed by the contract)
    """The connection dropped while the request was in flight."""


class PostRejectedError(PostError, VenueGarbageError):
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


@dataclass(frozen=True, slots=True)
class PreparedPost:
    """A request that owns an in-flight slot and an id, its frame already encoded.

    Made synchronously by `try_prepare`, so the signed bytes exist inside the event that
    decided the order; `complete` (in a task) sends them and waits for the answer. Every
    prepared post must end in `complete` or `abandon`, or its slot stays taken.
    """

    request_id: int
    frame: bytes
    future: asyncio.Future[Any]


class PostChannel:
    """Sends `post` requests with unique increasing ids and matches their answers.

    At most `max_in_flight` requests wait for an answer at once (the venue allows 100);
    a caller beyond that waits for a slot, unless it checks `saturated` first and takes
    another path (the gateway falls back to REST). Slots are counted by hand rather than
    with an `asyncio.Semaphore` because `try_prepare` must take one without awaiting.
    """

    __slots__ = ("_clock", "_in_flight", "_latencies_ns", "_max_in_flight", "_next_id",
                 "_send", "_slot_waiters", "_slots_used", "stats")

    def __init__(self, send: Send, clock: Clock, *, max_in_flight: int = 100,
                 first_id: int = 1) -> None:
        if not 1 <= max_in_flight <= _VENUE_MAX_IN_FLIGHT:
            raise ValueError(f"max_in_flight must be in 1..100, got {max_in_flight}")
        self._send = send
        self._clock = clock
        self._max_in_flight = max_in_flight
        self._slots_used = 0
        self._slot_waiters: deque[asyncio.Future[None]] = deque()
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
        return self._slots_used >= self._max_in_flight or bool(self._slot_waiters)

    async def request(self, kind: str, payload: Mapping[str, Any], timeout_s: float) -> Any:
        """Post `payload` ("info" or "action") and return the venue's answer payload."""
        await self._acquire_slot()
        try:
            prepared = self._prepare(kind, payload)  # EncodeError: caller's bug
        except BaseException:
            self._release_slot()
            raise
        return await self.complete(prepared, timeout_s)

    def try_prepare(self, kind: str, payload: Mapping[str, Any]) -> PreparedPost | None:
        """Take a slot and an id and encode the frame now, without awaiting; None when
        every slot is taken (the caller waits with `request` or goes another way)."""
        if self.saturated:
            return None
        self._slots_used += 1
        try:
            return self._prepare(kind, payload)
        except BaseException:
            self._release_slot()
            raise

    async def complete(self, prepared: PreparedPost, timeout_s: float) -> Any:
        """Send a prepared request and wait for its answer (see `request` for outcomes)."""
        try:
            return await self._send_and_wait(prepared.request_id, prepared.frame,
                                             prepared.future, timeout_s)
        finally:
            self.abandon(prepared)

    def abandon(self, prepared: PreparedPost) -> None:
        """Free a prepared request's slot and id. Idempotent: `complete` calls it, and an
        owner whose sending task was cancelled before it ever ran must call it too."""
        future = self._in_flight.pop(prepared.request_id, None)
        if future is None:
            return
        if not future.done():
            future.cancel()
        self._release_slot()

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

    def _prepare(self, kind: str, payload: Mapping[str, Any]) -> PreparedPost:
        # The id is taken only once encoding succeeded: a refused payload burns nothing.
        frame = post_message(self._next_id, kind, payload)
        request_id = self._next_id
        self._next_id = request_id + 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._in_flight[request_id] = future
        return PreparedPost(request_id, frame, future)

    async def _acquire_slot(self) -> None:
        if not self.saturated:
            self._slots_used += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._slot_waiters.append(waiter)
        try:
            await waiter  # `_release_slot` hands its slot over: already counted as used
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release_slot()  # handed a slot, then cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._slot_waiters.remove(waiter)
            raise

    def _release_slot(self) -> None:
        while self._slot_waiters:
            waiter = self._slot_waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot changes hands; the count stays
                return
        self._slots_used -= 1

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
