"""The emulator server: Hyperliquid's HTTP and WebSocket protocol on one aiohttp port.

Endpoints (HYPERLIQUID.md sections 1-3):
- `POST /info`, `POST /exchange`: JSON bodies handed to the sans-I/O `SimVenue`; its
  (status, JSON) answer goes back as is. A body that is not JSON gets the venue's
  framework-style plain-text 4xx (400 unparsable, 415 wrong content type, 422 not an
  object), never a traceback.
- `GET /ws`: the WebSocket (greeting, subscriptions, posts, ping; see ws_session.py).
- `POST /_control`: fault injection (faults.py), loopback clients only.
- `POST /_faucet` `{"user": "0x...", "usdc": N}` (`usdc` optional: the venue's
  `initial_usdc`): EMULATOR-ONLY deposit, loopback clients only. The venue's testnet faucet
  is a button in its web app, not an API; accounts exist only once funded, so this is how
  a test or a bot funds a fresh key while the emulator runs. Answers
  `{"status": "ok", "user": .., "usdc": ..}` or a 400 with the reason.

Threading model: one asyncio loop. The venue is synchronous, so an action is executed,
its pushes are published and its L1 change is checked before the next request runs:
a client sees an order's `orderUpdates` push before (or with) the post answer, never a
later book that contradicts the answer. Each connection has a bounded outbound queue
drained by its own writer task, so a slow client never stalls the market for the others;
one that falls `send_queue_frames` behind is cut off (the venue drops slow consumers).

Idle connections (no client message for `idle_timeout_s`) are closed; WebSocket-level
ping control frames do not count as messages (the venue asks for `{"method":"ping"}`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from aiohttp import WSMsgType, web

from hyperliquid_ofi_trader.core.clock import Clock
from hyperliquid_ofi_trader.sim import texts
from hyperliquid_ofi_trader.sim.accounts import num
from hyperliquid_ofi_trader.sim.faults import (
    POISONABLE_CHANNELS,
    AckFate,
    FaultError,
    FaultInjector,
    FrameFate,
    poisoned_fill_frame,
    poisoned_time_frame,
)
from hyperliquid_ofi_trader.sim.pump import (
    BookDepths,
    MarketPump,
    MarketSource,
    Publisher,
    VenuePort,
    WireLevels,
)
from hyperliquid_ofi_trader.sim.venue import FundingError
from hyperliquid_ofi_trader.sim.ws_session import (
    GREETING,
    IpLedger,
    Reply,
    ReplyKind,
    RouteKey,
    WsLimits,
    WsSession,
    post_error_payload,
    post_frame,
)

_LOOPBACK: Final = frozenset({"127.0.0.1", "::1", "localhost"})
_JSON: Final = "application/json"


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Protocol-level settings of the emulator server (the venue has its own)."""

    idle_timeout_s: float = 60.0
    greeting: bool = True
    limits: WsLimits = field(default_factory=WsLimits)
    send_queue_frames: int = 20_000
    max_message_bytes: int = 1 << 20
    fault_seed: int = 0
    speed: float = 1.0  # market source time scale (2.0 = twice as fast)

    def __post_init__(self) -> None:
        if not self.idle_timeout_s > 0 or not self.speed > 0:
            raise ValueError("idle_timeout_s and speed must be positive")
        if self.send_queue_frames < 1 or self.max_message_bytes < 1024:
            raise ValueError("send_queue_frames >= 1 and max_message_bytes >= 1024 required")


@dataclass(slots=True)
class ServerStats:
    connections: int = 0
    refused: int = 0
    frames_sent: int = 0
    slow_consumers: int = 0
    idle_closed: int = 0
    dropped_connections: int = 0
    http_requests: int = 0
    posts: int = 0
    acks_dropped: int = 0
    acks_delayed: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    internal_errors: int = 0


class _Conn:
    """One WebSocket connection: its session, socket and outbound queue."""

    __slots__ = ("held", "queue", "request", "session", "writer", "ws")

    def __init__(self, session: WsSession, ws: web.WebSocketResponse, request: web.Request,
                 queue_size: int) -> None:
        self.session = session
        self.ws = ws
        self.request = request
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(queue_size)
        self.held: str | None = None  # a frame held back by the reorder fault
        self.writer: asyncio.Task[None] | None = None

    def put(self, text: str) -> bool:
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            return False
        return True

    def put_end(self) -> bool:
        """Tell the writer to finish after what is queued (False: queue full)."""
        try:
            self.queue.put_nowait(None)
        except asyncio.QueueFull:
            return False
        return True

    def abort(self) -> None:
        """Cut the TCP connection without a close frame (an unannounced disconnect)."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()


class EmulatorServer:
    """HTTP + WebSocket front of the emulated venue, with fault injection."""

    def __init__(self, venue: VenuePort, source: MarketSource | None,
                 settings: ServerSettings, clock: Clock) -> None:
        self.venue = venue
        self.source = source
        self.settings = settings
        self.clock = clock
        self.faults = FaultInjector(settings.fault_seed, clock)
        self.stats = ServerStats()
        self._ledger = IpLedger(settings.limits)
        self._routes: dict[RouteKey, set[_Conn]] = {}
        self._conns: set[_Conn] = set()
        depths = BookDepths(settings.limits.l2_levels, settings.limits.fast_levels)
        self.publisher = Publisher(venue, self, clock, depths, self._book_filter)
        self.pump: MarketPump | None = None
        self._pump_task: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._address: tuple[str, int] | None = None

    # ---------------------------------------------------------------- life cycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        app = web.Application(client_max_size=self.settings.max_message_bytes)
        app.router.add_post("/info", self._on_info)
        app.router.add_post("/exchange", self._on_exchange)
        app.router.add_post("/_control", self._on_control)
        app.router.add_post("/_faucet", self._on_faucet)
        app.router.add_get("/ws", self._on_ws)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        sock = _bind(host, port)
        await web.SockSite(self._runner, sock).start()
        bound = sock.getsockname()
        self._address = (host, int(bound[1]))
        if self.source is not None:
            self.pump = MarketPump(self.source, self.publisher, speed=self.settings.speed)
            self._pump_task = asyncio.create_task(self.pump.run(), name="sim-market-pump")
        return self._address

    async def stop(self) -> None:
        if self._pump_task is not None:
            self._pump_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump_task
            self._pump_task = None
        for conn in list(self._conns):
            await conn.ws.close(code=1001, message=b"server shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        host, port = self._bound()
        return f"http://{_url_host(host)}:{port}"

    @property
    def ws_url(self) -> str:
        host, port = self._bound()
        return f"ws://{_url_host(host)}:{port}/ws"

    def _bound(self) -> tuple[str, int]:
        if self._address is None:
            raise RuntimeError("EmulatorServer is not started")
        return self._address

    @property
    def connection_count(self) -> int:
        return len(self._conns)

    # ---------------------------------------------------------------- FrameSink

    def wants(self, route: RouteKey) -> bool:
        return route in self._routes

    def publish(self, route: RouteKey, frame: dict[str, Any]) -> None:
        conns = self._routes.get(route)
        if not conns or self.faults.silent(self.clock.now_ns()):
            return
        if route[0] in POISONABLE_CHANNELS and self.faults.poison_armed():
            frame = self._poison(frame)
        text = orjson.dumps(frame).decode()
        for conn in tuple(conns):
            self._send_data(conn, text)

    def _poison(self, frame: dict[str, Any]) -> dict[str, Any]:
        """The poison faults: a market-data frame with a poisoned time, and/or a fill
        with a poisoned tid pushed to every `userFills` subscriber alongside it."""
        now_ns = self.clock.now_ns()
        if self.faults.poisons_tid(now_ns):
            coin = str(frame["data"].get("coin", ""))
            fills = [(route, conn) for route, conns in self._routes.items()
                     if route[0] == "userFills" for conn in conns]
            for route, conn in fills:
                poisoned = poisoned_fill_frame(str(route[1]), coin, now_ns // 1_000_000)
                self._send_data(conn, orjson.dumps(poisoned).decode())
        return poisoned_time_frame(frame) if self.faults.poisons_time(now_ns) else frame

    def _send_data(self, conn: _Conn, text: str) -> None:
        fate = self.faults.frame_fate(self.clock.now_ns())
        if fate is FrameFate.HOLD and conn.held is None:
            conn.held = text
            return
        self._send(conn, text)
        if fate is FrameFate.DUPLICATE:
            self._send(conn, text)
        if conn.held is not None:
            held, conn.held = conn.held, None
            self._send(conn, held)

    def _send(self, conn: _Conn, text: str) -> None:
        if not conn.put(text):
            self.stats.slow_consumers += 1
            self._forget(conn)
            conn.abort()

    def _send_frame(self, conn: _Conn, frame: Mapping[str, Any]) -> None:
        self._send(conn, orjson.dumps(frame).decode())

    def _book_filter(self, bids: WireLevels, asks: WireLevels) -> tuple[WireLevels, WireLevels]:
        if self.faults.book_vanished(self.clock.now_ns()):
            keep = self.faults.book_levels
            return bids[:keep], asks[:keep]
        return bids, asks

    # ---------------------------------------------------------------- HTTP

    async def _on_info(self, request: web.Request) -> web.StreamResponse:
        self.stats.http_requests += 1
        body = await _json_body(request)
        if isinstance(body, web.Response):
            return body
        status, answer = self.venue.handle_info(body, self.clock.now_ns(), _ip(request))
        return _venue_response(status, answer)

    async def _on_exchange(self, request: web.Request) -> web.StreamResponse:
        self.stats.http_requests += 1
        body = await _json_body(request)
        if isinstance(body, web.Response):
            return body
        status, answer = self._execute(body, _ip(request))
        fate = self.faults.ack_fate(self.clock.now_ns())
        if fate is AckFate.DROP:
            self.stats.acks_dropped += 1
            if request.transport is not None:
                request.transport.abort()  # the action took effect; its answer is lost
            return web.Response(status=status)
        if fate is AckFate.DELAY:
            self.stats.acks_delayed += 1
            await asyncio.sleep(self.faults.ack_delay_s)
        return _venue_response(status, answer)

    def _execute(self, body: dict[str, Any], ip: str) -> tuple[int, Any]:
        """Run one signed action (HTTP or post), publish what it caused."""
        if self.faults.rate_limited(self.clock.now_ns()):
            self.stats.rate_limited += 1
            if self.faults.rate_limit_kind == "ip":
                return 429, texts.IP_RATE_LIMIT
            return 200, {"status": "err",
                         "response": texts.address_rate_limit(10_001, 10_000, 0.0)}
        server_error = self.faults.server_error_fate(self.clock.now_ns())
        if server_error is not None:
            self.stats.server_errors += 1
            if server_error.applied:  # it happened; the client cannot know
                self.venue.handle_exchange(body, self.clock.now_ns(), ip)
                self.publisher.after_action()
            garbled = {"unexpected": "upstream failure"}
            return server_error.status, garbled if server_error.garbled else "Server Error"
        result = self.venue.handle_exchange(body, self.clock.now_ns(), ip)
        self.publisher.after_action()
        return result

    async def _on_control(self, request: web.Request) -> web.StreamResponse:
        if request.remote not in _LOOPBACK:
            return web.Response(status=403, text="control endpoint is loopback only")
        body = await _json_body(request)
        if isinstance(body, web.Response):
            return body
        try:
            status = self.faults.apply(body)
        except FaultError as exc:
            return web.Response(status=400, text=str(exc))
        if body.get("fault") == "drop_connections":
            status["dropped"] = self.drop_connections()
        return web.json_response(status)

    async def _on_faucet(self, request: web.Request) -> web.StreamResponse:
        if request.remote not in _LOOPBACK:
            return web.Response(status=403, text="faucet endpoint is loopback only")
        body = await _json_body(request)
        if isinstance(body, web.Response):
            return body
        user, usdc = body.get("user"), body.get("usdc")
        if usdc is not None and (isinstance(usdc, bool) or not isinstance(usdc, int | float)):
            return web.Response(status=400, text=f"usdc must be a number, got {usdc!r}")
        if not isinstance(user, str):
            return web.Response(status=400, text="user must be an address string")
        try:
            deposited = self.venue.fund(user, usdc)
        except FundingError as exc:
            return web.Response(status=400, text=str(exc))
        return web.json_response({"status": "ok", "user": user.lower(),
                                  "usdc": num(deposited)})

    def drop_connections(self) -> int:
        """Cut every WebSocket without a close frame; returns how many."""
        conns = list(self._conns)
        for conn in conns:
            self._forget(conn)
            conn.abort()
        self.stats.dropped_connections += len(conns)
        return len(conns)

    # ---------------------------------------------------------------- WebSocket

    async def _on_ws(self, request: web.Request) -> web.StreamResponse:
        now = self.clock.now_ns()
        ip = _ip(request)
        if self.faults.refusing(now):
            self.stats.refused += 1
            return web.Response(status=503, text="Service Unavailable")
        budget = self._ledger.budget(ip)
        refused = budget.admit(now)
        if refused is not None:
            self.stats.refused += 1
            return web.Response(status=429, text=refused)
        ws = web.WebSocketResponse(max_msg_size=self.settings.max_message_bytes,
                                   autoping=True)
        conn = _Conn(WsSession(ip, budget, now), ws, request, self.settings.send_queue_frames)
        try:
            await ws.prepare(request)
            await self._serve(conn)
        finally:
            self._forget(conn)
            conn.session.close()
        return ws

    async def _serve(self, conn: _Conn) -> None:
        self.stats.connections += 1
        self._conns.add(conn)
        conn.writer = asyncio.create_task(self._write_loop(conn))
        if self.settings.greeting:
            conn.put(GREETING)
        try:
            await self._read_loop(conn)
        finally:
            if not conn.put_end():
                conn.writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await conn.writer

    async def _read_loop(self, conn: _Conn) -> None:
        ws, idle = conn.ws, self.settings.idle_timeout_s
        while not ws.closed:
            try:
                msg = await ws.receive(timeout=idle)
            except TimeoutError:
                self.stats.idle_closed += 1
                await ws.close(code=1000, message=b"idle timeout")
                return
            if msg.type is WSMsgType.TEXT:
                self._on_text(conn, msg.data)
            elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED,
                              WSMsgType.ERROR):
                return
            # BINARY frames are ignored, as the venue speaks text only

    async def _write_loop(self, conn: _Conn) -> None:
        ws, queue = conn.ws, conn.queue
        while (text := await queue.get()) is not None:
            if ws.closed:
                return
            try:
                await ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return
            self.stats.frames_sent += 1

    def _on_text(self, conn: _Conn, text: str) -> None:
        now = self.clock.now_ns()
        reply = conn.session.receive(text, now)
        if reply.kind is ReplyKind.SEND and reply.frame is not None:
            self._send_frame(conn, reply.frame)
        elif reply.kind is ReplyKind.SUBSCRIBED:
            self._subscribed(conn, reply, now)
        elif reply.kind is ReplyKind.UNSUBSCRIBED:
            assert reply.subscription is not None
            assert reply.frame is not None
            self._leave(reply.subscription.route, conn)
            self._send_frame(conn, reply.frame)
        elif reply.kind is ReplyKind.POST:
            self._post(conn, reply, now)

    def _subscribed(self, conn: _Conn, reply: Reply, now_ns: int) -> None:
        sub = reply.subscription
        assert sub is not None
        assert reply.frame is not None
        self._routes.setdefault(sub.route, set()).add(conn)
        self._send_frame(conn, reply.frame)
        if not self.faults.silent(now_ns):
            for frame in self.publisher.initial_frames(sub, now_ns):
                self._send_frame(conn, frame)

    def _leave(self, route: RouteKey, conn: _Conn) -> None:
        members = self._routes.get(route)
        if members is not None:
            members.discard(conn)
            if not members:
                del self._routes[route]

    def _forget(self, conn: _Conn) -> None:
        if conn not in self._conns:
            return
        self._conns.discard(conn)
        for route in list(conn.session.subscriptions):
            self._leave(route, conn)

    # ---------------------------------------------------------------- posts

    def _post(self, conn: _Conn, reply: Reply, now_ns: int) -> None:
        self.stats.posts += 1
        try:
            kind, payload = self._answer_post(reply.post_kind, reply.payload, now_ns,
                                              conn.session.ip)
        except Exception as exc:  # an emulator bug: answer it, keep the connection
            self.stats.internal_errors += 1
            kind, payload = "error", f"internal emulator error: {exc!r}"[:500]
        frame = post_frame(reply.post_id, kind, payload)
        fate = self.faults.ack_fate(now_ns)
        if fate is AckFate.DROP:
            self.stats.acks_dropped += 1
            conn.session.post_done()
        elif fate is AckFate.DELAY:
            self.stats.acks_delayed += 1
            loop = asyncio.get_running_loop()
            loop.call_later(self.faults.ack_delay_s, self._deliver_post, conn, frame)
        else:
            self._deliver_post(conn, frame)

    def _deliver_post(self, conn: _Conn, frame: dict[str, Any]) -> None:
        conn.session.post_done()
        if conn in self._conns:
            self._send_frame(conn, frame)

    def _answer_post(self, kind: str, payload: Any, now_ns: int,
                     ip: str) -> tuple[str, Any]:
        if not isinstance(payload, dict):
            return "error", f"{texts.DESERIALIZE}: payload must be a JSON object"
        if kind == "info":
            status, answer = self.venue.handle_info(payload, now_ns, ip)
            if status != 200:
                return "error", post_error_payload(status, answer)
            return "info", {"type": payload.get("type"), "data": answer}
        status, answer = self._execute(payload, ip)
        if status != 200:
            return "error", post_error_payload(status, answer)
        return "action", answer


def _venue_response(status: int, answer: Any) -> web.Response:
    if isinstance(answer, str) and status != 200:
        return web.Response(status=status, text=answer)
    return web.Response(status=status, body=orjson.dumps(answer), content_type=_JSON)


async def _json_body(request: web.Request) -> dict[str, Any] | web.Response:
    """The request's JSON object, or the framework-style 4xx the venue answers with."""
    if request.content_type != _JSON:
        return web.Response(status=415, text="Expected request with `Content-Type: "
                                             "application/json`")
    raw = await request.read()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return web.Response(status=400, text=f"Failed to parse the request body as JSON: "
                                             f"{exc}")
    if not isinstance(body, dict):
        return web.Response(status=422, text=f"{texts.DESERIALIZE}: expected a JSON object")
    return body


def _ip(request: web.Request) -> str:
    return request.remote or "?"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.setblocking(False)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
