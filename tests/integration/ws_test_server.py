"""A small loopback WebSocket server speaking the subset of Hyperliquid's protocol tests need.

It binds 127.0.0.1 on an ephemeral port (or a given one, for restarts) and speaks:
the plain-text greeting, `subscribe` → `subscriptionResponse` acks (echoing `nSigFigs` /
`mantissa` as null for l2Book, as the venue does), `ping` → `pong`, `post` → a `post`
answer, and periodic pushes of `l2Book`, `bbo` and `trades` frames for each subscription.

It can be told to misbehave, the ways the real venue and networks do:
- `drop_all(abort=True)`: cut every connection (no close frame), or close it normally;
- `silent = True`: send nothing at all (no data, no acks, no pongs) while staying open;
- `paused`: channel keys (`"bbo:BTC"`) whose pushes are held back;
- `broadcast(...)`: push arbitrary frames, e.g. garbage;
- `refuse = True`: reject the handshake with HTTP 503;
- `stop()` / `start(port)` / `restart()`: go away entirely and come back on the same port.

Every pushed data frame carries a server-wide increasing `time` (ms), so a test can check
the client delivered frames in order and without gaps.

Also here: `simple_decode`, a minimal stand-in for the production codec so the client's
tests do not depend on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    Bbo,
    BookSnapshot,
    Greeting,
    Level,
    Pong,
    PostResponse,
    Rejection,
    SubscriptionAck,
    Trade,
    Trades,
)

GREETING = "Websocket connection established."
HOST = "127.0.0.1"
# Now, in epoch ms: the production codec refuses market data an hour away from its
# receive time (venues/hyperliquid/websocket/codec.py, bad_time), as a live feed that old
# is garbage.
_BASE_MS = time.time_ns() // 1_000_000


@dataclass
class ConnState:
    """What the server knows about one client connection."""

    conn_id: int
    conn: ServerConnection
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    received: list[Any] = field(default_factory=list)


class HlTestServer:
    """Loopback Hyperliquid-like WebSocket server with knobs for failure injection."""

    def __init__(self, *, push_interval_s: float = 0.01, greeting: bool = True) -> None:
        self.push_interval_s = push_interval_s
        self.greeting = greeting
        self.acks = True
        self.ack_extra: dict[str, Any] = {}  # fields added to every ack's subscription echo
        self.silent = False
        self.refuse = False
        self.paused: set[str] = set()
        self.port = 0
        self.handshakes = 0  # every attempt that reached the HTTP stage, refused or not
        self.connections = 0  # accepted WebSocket connections
        self.pings = 0
        self.frames_pushed = 0
        self.close_codes: list[int | None] = []
        self.live: dict[int, ConnState] = {}
        self.history: list[ConnState] = []
        self._server: Server | None = None
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)

    @property
    def url(self) -> str:
        return f"ws://{HOST}:{self.port}/ws"

    # ------------------------------------------------------------ lifecycle

    async def start(self, port: int | None = None) -> None:
        """Listen on `port` (default: the previous one, or an ephemeral one)."""
        self._server = await serve(self._handler, HOST, self.port if port is None else port,
                                   process_request=self._process_request,
                                   ping_interval=None, compression=None)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and cut every connection: afterwards connects are refused."""
        server, self._server = self._server, None
        if server is None:
            return
        await self.drop_all(abort=True)
        server.close()
        await server.wait_closed()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def __aenter__(self) -> HlTestServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------ failure injection

    async def drop_all(self, *, abort: bool = True) -> None:
        for state in list(self.live.values()):
            if abort:
                state.conn.transport.abort()
            else:
                await state.conn.close(1001, "going away")

    async def broadcast(self, frames: Sequence[str | bytes]) -> None:
        """Send raw frames (text for str, binary for bytes) to every live connection."""
        for state in list(self.live.values()):
            for frame in frames:
                await _send_quietly(state.conn, frame)

    # ------------------------------------------------------------ observation

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        await wait_until(predicate, timeout)

    def subscriptions_of(self, conn_index: int) -> list[dict[str, Any]]:
        return self.history[conn_index].subscriptions

    # ------------------------------------------------------------ protocol

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        self.handshakes += 1
        if self.refuse:
            return Response(503, "Service Unavailable", Headers(), b"refused by test\n")
        return None

    async def _handler(self, conn: ServerConnection) -> None:
        state = ConnState(next(self._ids), conn)
        self.connections += 1
        self.live[state.conn_id] = state
        self.history.append(state)
        pusher = asyncio.create_task(self._push_loop(state))
        try:
            if self.greeting and not self.silent:
                await conn.send(GREETING)
            async for message in conn:
                await self._on_message(state, message)
        except ConnectionClosed:
            pass
        finally:
            pusher.cancel()
            self.live.pop(state.conn_id, None)
            self.close_codes.append(conn.close_code)

    async def _on_message(self, state: ConnState, message: str | bytes) -> None:
        try:
            msg = orjson.loads(message)
        except orjson.JSONDecodeError:
            return
        state.received.append(msg)
        method = msg.get("method") if isinstance(msg, dict) else None
        if method == "ping":
            self.pings += 1
            await self._reply(state, {"channel": "pong"})
        elif method == "subscribe":
            sub = dict(msg["subscription"])
            state.subscriptions.append(sub)
            if self.acks:
                await self._reply(state, {"channel": "subscriptionResponse",
                                          "data": {"method": "subscribe",
                                                   "subscription": {
                                                       **_echo(sub), **self.ack_extra}}})
        elif method == "post":
            await self._reply(state, {"channel": "post", "data": {
                "id": msg["id"], "response": {"type": "info", "payload": {"echo": msg}}}})

    async def _reply(self, state: ConnState, obj: Mapping[str, Any]) -> None:
        if not self.silent:
            await _send_quietly(state.conn, orjson.dumps(obj).decode())

    async def _push_loop(self, state: ConnState) -> None:
        while True:
            await asyncio.sleep(self.push_interval_s)
            if self.silent:
                continue
            for sub in list(state.subscriptions):
                frame = self._frame_for(sub)
                if frame is not None:
                    self.frames_pushed += 1
                    await _send_quietly(state.conn, frame)

    def _frame_for(self, sub: Mapping[str, Any]) -> str | None:
        kind, coin = sub.get("type"), sub.get("coin")
        if f"{kind}:{coin}" in self.paused:
            return None
        t = _BASE_MS + next(self._seq)  # realistic epoch ms, increasing server-wide
        bid, ask = {"px": "100.0", "sz": "1.5", "n": 2}, {"px": "101.0", "sz": "2.5", "n": 3}
        data: Any
        if kind == "l2Book":
            data = {"coin": coin, "time": t, "levels": [[bid], [ask]]}
        elif kind == "bbo":
            data = {"coin": coin, "time": t, "bbo": [bid, ask]}
        elif kind == "trades":
            data = [{"coin": coin, "side": "B", "px": "100.5", "sz": "0.1", "hash": "0x0",
                     "time": t, "tid": t, "users": ["0x1", "0x2"]}]
        else:
            return None
        return orjson.dumps({"channel": kind, "data": data}).decode()


def _echo(sub: Mapping[str, Any]) -> dict[str, Any]:
    """An ack's echo differs from the request the ways clients must tolerate.

    Optional l2Book fields come back as null, and addresses may come back in another
    case than sent (here lowercased, whatever the client sent).
    """
    echo = dict(sub)
    if isinstance(echo.get("user"), str):
        echo["user"] = echo["user"].lower()
    if sub.get("type") == "l2Book":
        return {"nSigFigs": None, "mantissa": None, **echo}
    return echo


async def _send_quietly(conn: ServerConnection, frame: str | bytes) -> None:
    with contextlib.suppress(ConnectionClosed):
        await conn.send(frame)


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll `predicate` every 5 ms; fail the test (AssertionError) after `timeout` s."""
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.005)
    try:
        await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        raise AssertionError(f"condition not met within {timeout} s") from None


# ---------------------------------------------------------------- a minimal codec stand-in


def simple_decode(raw: str | bytes, local_ns: int) -> list[AnyEvent]:
    """Decode the frames this server sends; anything else becomes a `Rejection`."""
    if raw == GREETING:
        return [Greeting(exchange_ns=0, local_ns=local_ns)]
    try:
        msg = orjson.loads(raw)
        return [_decode_msg(msg, local_ns)]
    except orjson.JSONDecodeError:
        return [_reject(local_ns, "bad_json", "")]
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        channel = msg.get("channel", "") if isinstance(msg, dict) else ""
        return [_reject(local_ns, "bad_payload", str(channel))]


def _decode_msg(msg: Any, local_ns: int) -> AnyEvent:
    channel = msg["channel"]
    data = msg.get("data")
    if channel == "pong":
        return Pong(exchange_ns=0, local_ns=local_ns)
    if channel == "subscriptionResponse":
        return SubscriptionAck(exchange_ns=0, local_ns=local_ns, method=data["method"],
                               subscription=data["subscription"])
    if channel == "post":
        resp = data["response"]
        return PostResponse(exchange_ns=0, local_ns=local_ns, request_id=data["id"],
                            kind=resp["type"], payload=resp["payload"])
    if channel == "l2Book":
        bids, asks = data["levels"]
        return BookSnapshot(exchange_ns=data["time"] * 1_000_000, local_ns=local_ns,
                            coin=data["coin"], bids=tuple(map(_level, bids)),
                            asks=tuple(map(_level, asks)))
    if channel == "bbo":
        bid, ask = data["bbo"]
        return Bbo(exchange_ns=data["time"] * 1_000_000, local_ns=local_ns, coin=data["coin"],
                   bid=_level(bid) if bid else None, ask=_level(ask) if ask else None)
    if channel == "trades":
        trades = tuple(Trade(coin=t["coin"], price=float(t["px"]), size=float(t["sz"]),
                             is_buy=t["side"] == "B", exchange_ns=t["time"] * 1_000_000,
                             tid=t["tid"], hash=t["hash"]) for t in data)
        return Trades(exchange_ns=max(t.exchange_ns for t in trades), local_ns=local_ns,
                      coin=trades[0].coin, trades=trades)
    return _reject(local_ns, "unknown_channel", str(channel))


def _level(raw: Mapping[str, Any]) -> Level:
    return (float(raw["px"]), float(raw["sz"]), int(raw["n"]))


def _reject(local_ns: int, reason: str, channel: str) -> Rejection:
    return Rejection(exchange_ns=0, local_ns=local_ns, reason=reason, detail=reason,
                     channel=channel)
