"""The asyncio WebSocket pump for Hyperliquid: connect, send, receive, time, reconnect.

One of the few places allowed to read the wall clock (through the injected `Clock`). It
decides nothing about the feed itself: `session.FeedSession` (sans-I/O, unit-tested with a
fake clock) says which frames to send and which events happened on open, on each frame
and on each tick; `ExponentialBackoff` and `SlidingWindowLimiter` pace reconnects and
sends. This module only pumps: it performs what they return, in order.

Behaviour
- One connection at a time. After it opens: the greeting and every frame are handed to
  `on_raw` (the recorder) and then `decode`d; every decoded event goes to `on_event`,
  synchronously, in receive order, before the next frame is read. Nothing received is
  dropped, including data that arrives before the subscription acks.
- All subscriptions are sent on every (re)connect. `FeedState(UP, channel="")` is emitted
  once every subscription is acked, or when `ack_timeout_s` passes (its detail then names
  the unacked ones, and the watchdog will report them STALE). UP means "fresh session":
  consumers must resync (book snapshots, reconcile orders) after it.
- `FeedState(DOWN, channel="")` when a connected session ends, for whatever reason
  (including `stop()`). Failed connection attempts do not repeat DOWN.
- STALE / RECOVERED per channel from `FeedWatchdog`, checked every `tick_s`. A RECOVERED is
  emitted just before the data event that ended the silence. Channel keys come from the
  decoded events: `"l2Book:BTC"`, `"bbo:ETH"`, `"trades:BTC"`, `"activeAssetCtx:BTC"`,
  `"orderUpdates"`, `"userFills"`, `"user"`. Between DOWN and UP no STALE is reported
  (DOWN already says every channel is unusable); a channel that was STALE at the drop
  still gets its RECOVERED once its data flows again.
- Heartbeat: `{"method":"ping"}` whenever nothing was sent for `ping_interval_s` (<= 50 s;
  the venue closes connections silent for 60 s), and as a liveness probe when nothing was
  received for half of `silence_timeout_s`. Nothing at all received (not even a pong) for
  `silence_timeout_s` means the socket is dead although it looks open: abort, reconnect.
  websockets' own protocol-level keepalive is disabled so there is one mechanism, ours.
- Reconnect on close, error or death, after a full-jitter backoff delay, and never more
  than `backoff.max_connects` new connections per rolling `backoff.window_s` (venue: 30/min
  per IP). Every attempt counts, failed or not. Pass one shared `connect_limiter` to all
  clients of a process (market data, order entry) so together they respect the IP limit.
- Outgoing messages per rolling window are capped at `max_messages` (venue: 2000/min per
  IP, pings and posts included): the socket's one message budget (risk.yaml `websocket`),
  counted here where every frame is sent. `control_reserve` slots are kept for pings and
  subscriptions, which wait for room; `send()` for posts never waits: it raises
  `WsSendRateLimitedError` with the time to wait, because silently delaying an order would
  send it on stale information. The caller decides.

Exceptions from `websockets` and the OS are mapped once, here, to `WsError` subclasses.
An exception from `on_event` / `on_raw` is our bug: the connection is closed and `run()`
re-raises it as `WsCallbackError` (fail fast; the supervisor halts trading). An exception
from `decode` is turned into a counted `Rejection` instead, so a codec bug on one odd frame
cannot take the feed down (the raw frame is already recorded by `on_raw`).
`stop()` must be called from the event loop's thread (e.g. from a callback or a task).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidURI, WebSocketException
from websockets.uri import parse_uri

from hyperliquid_ofi_trader.core.clock import Clock, LiveClock
from hyperliquid_ofi_trader.core.events import AnyEvent
from hyperliquid_ofi_trader.data.backoff import (
    ExponentialBackoff,
    SlidingWindowLimiter,
    connect_limiter_of,
)
from hyperliquid_ofi_trader.errors import OurBugError, TraderError, TransientError
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.session import (
    DecodeFn,
    FeedSession,
    RawFrame,
    SessionTimings,
    Step,
    WsClientStats,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.watchdog import FeedWatchdog

if TYPE_CHECKING:  # the sections' types only: config sits below the venue
    from hyperliquid_ofi_trader.config.models import AppConfig, ReconnectBackoff

EventSink = Callable[[AnyEvent], None]
RawSink = Callable[[RawFrame, int], None]

_NS_PER_S: Final = 1_000_000_000
_MAX_PING_INTERVAL_S: Final = 50.0
_MAX_SUBSCRIPTIONS: Final = 1000  # venue limit per IP

# Private channels are event-driven: silence is normal (0 = never stale), and so is it on
# a channel type no cadence names. The market channels' cadences are thresholds.yaml
# `feed.cadence_ms`, their one place.
_PRIVATE_CADENCE_S: Final[Mapping[str, float]] = MappingProxyType({
    "orderUpdates": 0.0, "userFills": 0.0, "user": 0.0,
})
_NEVER_STALE: Final = 0.0


# ---------------------------------------------------------------- errors


class WsError(TraderError):
    """Base of every error this client raises."""


class WsConfigError(WsError, OurBugError, ValueError):
    """Invalid settings or subscriptions: the caller's fault, fix the configuration."""


class WsTransientError(WsError, TransientError):
    """Network or venue trouble. `run()` handles these itself by reconnecting."""


class WsConnectError(WsTransientError):
    """Could not open a connection (refused, handshake rejected, timed out)."""


class WsConnectionLostError(WsTransientError):
    """An open connection was closed by the peer or failed."""


class WsConnectionDeadError(WsTransientError):
    """The socket looked open but nothing arrived for `silence_timeout_s`."""


class WsNotConnectedError(WsError, TransientError):
    """`send()` while no connection is open: retry after the next UP."""


class WsSendRateLimitedError(WsError, TransientError):
    """`send()` would exceed the outgoing-message budget: retry after `retry_after_ns`."""

    def __init__(self, retry_after_ns: int) -> None:
        super().__init__(f"outgoing message budget exhausted; retry in "
                         f"{retry_after_ns / 1e6:.1f} ms")
        self.retry_after_ns = retry_after_ns


class WsCallbackError(WsError, OurBugError):
    """`on_event` or `on_raw` raised: our bug. `run()` stops and re-raises this."""


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True, slots=True)
class WsClientConfig:
    """Settings of the client, in seconds: thresholds.yaml `feed` (liveness: per-channel
    cadences, stale factor, ping) and risk.yaml `websocket` (the transport), built by
    `from_config` with no defaults of its own. A type of its own because it joins two
    sections and names every channel's cadence (tests shrink them to ms).

    - `cadence_s`: per wire channel, 0 = never stale; `default_cadence_s` for channel
      types not in it. A channel is STALE after cadence × `stale_factor` of silence.
    - `ping_interval_s`: ping after this much send-silence (<= 50 s).
    - `silence_timeout_s`: receive-silence that means a dead socket; `tick_s`: period of
      the watchdog / heartbeat / ack-timeout timer; `ack_timeout_s`: UP anyway (naming
      the unacked) after this; `open_timeout_s`: TCP + TLS + WebSocket handshake;
      `close_timeout_s`: wait for the close handshake on stop().
    - `max_messages` per `message_window_s` sent, `control_reserve` of them kept for pings
      and subscribes; `max_frame_bytes`: largest frame read; `backoff`: reconnect pacing.
    """

    ping_interval_s: float
    silence_timeout_s: float
    tick_s: float
    ack_timeout_s: float
    open_timeout_s: float
    close_timeout_s: float
    stale_factor: float
    cadence_s: Mapping[str, float]
    default_cadence_s: float
    backoff: ReconnectBackoff
    max_messages: int
    message_window_s: float
    control_reserve: int
    max_frame_bytes: int

    @classmethod
    def from_config(cls, cfg: AppConfig) -> WsClientConfig:
        """A run's feed liveness and transport; the private channels never go stale."""
        feed, ws = cfg.thresholds.feed, cfg.risk.websocket
        cadences = {channel: ms / 1000 for channel, ms in feed.cadence_ms.as_mapping().items()}
        return cls(ping_interval_s=feed.ping_interval_s, silence_timeout_s=ws.silence_timeout_s,
                   tick_s=ws.tick_s, ack_timeout_s=ws.ack_timeout_s,
                   open_timeout_s=ws.open_timeout_s, close_timeout_s=ws.close_timeout_s,
                   stale_factor=feed.stale_factor,
                   cadence_s={**_PRIVATE_CADENCE_S, **cadences},
                   default_cadence_s=_NEVER_STALE, backoff=ws.reconnect,
                   max_messages=ws.max_messages, message_window_s=ws.message_window_s,
                   control_reserve=ws.control_reserve, max_frame_bytes=ws.max_frame_bytes)

    def __post_init__(self) -> None:
        if not 0 < self.ping_interval_s <= _MAX_PING_INTERVAL_S:
            raise WsConfigError(f"ping_interval_s must be in (0, 50], got "
                                f"{self.ping_interval_s}")
        for name in ("silence_timeout_s", "tick_s", "ack_timeout_s", "open_timeout_s",
                     "close_timeout_s", "message_window_s"):
            if not getattr(self, name) > 0:
                raise WsConfigError(f"{name} must be positive, got {getattr(self, name)}")
        if self.silence_timeout_s <= self.tick_s:
            raise WsConfigError("silence_timeout_s must exceed tick_s")
        if not 0 <= self.control_reserve < self.max_messages:
            raise WsConfigError("need 0 <= control_reserve < max_messages")
        if any(v < 0 for v in self.cadence_s.values()) or self.default_cadence_s < 0:
            raise WsConfigError("cadences must be >= 0 (0 = never stale)")
        # Frozen means frozen: a caller's dict must not change the config afterwards.
        object.__setattr__(self, "cadence_s", MappingProxyType(dict(self.cadence_s)))


# ---------------------------------------------------------------- subscriptions


def _validated(subs: Sequence[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    """Checked, private copies: a caller mutating its dicts later cannot change ours."""
    if len(subs) > _MAX_SUBSCRIPTIONS:
        raise WsConfigError(f"{len(subs)} subscriptions exceed the venue's limit of "
                            f"{_MAX_SUBSCRIPTIONS} per IP")
    out = []
    for sub in subs:
        if not isinstance(sub, Mapping) or not isinstance(sub.get("type"), str):
            raise WsConfigError(f"a subscription needs a string 'type': {sub!r}")
        try:
            orjson.dumps(sub)
        except TypeError as exc:
            raise WsConfigError(f"subscription is not JSON-serialisable: {sub!r}") from exc
        out.append(MappingProxyType(dict(sub)))
    return tuple(out)



# ---------------------------------------------------------------- the client


class HyperliquidWsClient:
    """Keeps one subscribed Hyperliquid WebSocket alive and pumps its frames to callbacks."""

    def __init__(self, url: str, subscriptions: Sequence[Mapping[str, Any]],
                 decode: DecodeFn, on_event: EventSink, *, on_raw: RawSink | None = None,
                 clock: Clock | None = None, config: WsClientConfig | None = None,
                 rng: random.Random | None = None,
                 connect_limiter: SlidingWindowLimiter | None = None) -> None:
        try:
            parse_uri(url)
        except InvalidURI as exc:
            raise WsConfigError(f"not a WebSocket URL: {url!r}") from exc
        cfg = config if config is not None else _packaged_config()
        self._url = url
        self._cfg = cfg
        self.stats = WsClientStats()
        self._session = FeedSession(
            _validated(subscriptions), decode,
            FeedWatchdog({k: round(v * _NS_PER_S) for k, v in cfg.cadence_s.items()},
                         cfg.stale_factor, round(cfg.default_cadence_s * _NS_PER_S)),
            SessionTimings(ping_interval_ns=round(cfg.ping_interval_s * _NS_PER_S),
                           silence_timeout_ns=round(cfg.silence_timeout_s * _NS_PER_S),
                           ack_timeout_ns=round(cfg.ack_timeout_s * _NS_PER_S)),
            self.stats)
        self._on_event = on_event
        self._on_raw = on_raw
        self._clock: Clock = clock if clock is not None else LiveClock()
        self._backoff = ExponentialBackoff.from_config(
            cfg.backoff, rng if rng is not None else random.Random())
        # The venue's limit is per IP: clients of one process should share one limiter.
        self.connect_limiter = connect_limiter if connect_limiter is not None else \
            connect_limiter_of(cfg.backoff)
        self.message_limiter = SlidingWindowLimiter(
            cfg.max_messages, round(cfg.message_window_s * _NS_PER_S))
        self._stop = asyncio.Event()
        self._running = False
        self._ws: ClientConnection | None = None

    # ------------------------------------------------------------ public API

    @property
    def connected(self) -> bool:
        return self._ws is not None

    @property
    def is_up(self) -> bool:
        """True between UP and DOWN: connected and (acked or ack timeout passed)."""
        return self._session.is_up

    @property
    def config(self) -> WsClientConfig:
        """The settings this client runs with."""
        return self._cfg

    @property
    def watchdog(self) -> FeedWatchdog:
        return self._session.watchdog

    @property
    def session(self) -> FeedSession:
        """The sans-I/O feed session this client pumps."""
        return self._session

    @property
    def backoff(self) -> ExponentialBackoff:
        return self._backoff

    def stop(self) -> None:
        """Ask `run()` to close the connection and return. Idempotent; never blocks."""
        self._stop.set()

    async def run(self) -> None:
        """Connect and keep reconnecting until `stop()`. Raises only `WsCallbackError`."""
        if self._running:
            raise WsError("run() is already running")
        self._running = True
        try:
            await self._run_loop()
        finally:
            self._running = False
            self._stop.clear()

    async def send(self, message: Mapping[str, Any] | bytes | str) -> None:
        """Send one message (a post request) on the current connection, as a text frame.

        Raises `WsNotConnectedError` when there is no open connection and `WsSendRateLimitedError`
        when the outgoing budget (minus the control reserve) is used up. Never waits.
        """
        ws = self._ws
        if ws is None:
            raise WsNotConnectedError("no open connection")
        now = self._clock.now_ns()
        wait = self.message_limiter.try_acquire(now, reserve=self._cfg.control_reserve)
        if wait:
            self.stats.send_rate_limited += 1
            raise WsSendRateLimitedError(wait)
        data = message if isinstance(message, bytes | str) else orjson.dumps(message)
        try:
            await ws.send(data, text=True)
        except ConnectionClosed as exc:
            raise WsNotConnectedError(f"connection closed while sending: {exc}") from exc
        self._session.on_sent(now)

    # ------------------------------------------------------------ reconnect loop

    async def _run_loop(self) -> None:
        delay_ns = 0
        while not self._stop.is_set():
            if delay_ns and await self._sleep_or_stop(delay_ns):
                return
            if await self._await_connect_slot():
                return
            self.stats.connect_attempts += 1
            try:
                await self._connection()
                return  # a session returns normally only when stopped
            except WsConnectError as exc:
                self.stats.connect_failures += 1
                self.stats.last_error = str(exc)
            except WsTransientError as exc:
                self.stats.disconnects += 1
                self.stats.last_error = str(exc)
            delay_ns = self._backoff.next_delay_ns()
            self.stats.recent_delays_ns.append(delay_ns)

    async def _await_connect_slot(self) -> bool:
        """Wait until the connection-rate window allows one more attempt; True if stopped."""
        while True:
            wait = self.connect_limiter.try_acquire(self._clock.now_ns())
            if wait == 0:
                return False
            self.stats.connect_rate_waits += 1
            if await self._sleep_or_stop(wait):
                return True

    async def _sleep_or_stop(self, delay_ns: int) -> bool:
        """Sleep `delay_ns` unless stopped first; True if stopped."""
        try:
            await asyncio.wait_for(self._stop.wait(), delay_ns / _NS_PER_S)
        except TimeoutError:
            return False
        return True

    # ------------------------------------------------------------ one connection

    async def _connection(self) -> None:
        ws = await self._open()
        if ws is None:
            return
        subscribe = self._on_open(ws)
        down: str | None = None
        try:
            await self._pump(ws, subscribe)
            down = "stopped"
        except WsTransientError as exc:
            down = str(exc)
            raise
        finally:
            await self._teardown(ws, graceful=down == "stopped")
            if down is not None:
                self._perform_events(self._session.on_close(self._clock.now_ns(), down))

    async def _open(self) -> ClientConnection | None:
        """Open a connection; None if stop() came first (a handshake can take seconds)."""
        opening = asyncio.ensure_future(self._connect())
        stopped = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait((opening, stopped), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            if not opening.done():
                opening.cancel()
                await asyncio.gather(opening, return_exceptions=True)
        if opening.cancelled():
            return None
        ws = opening.result()  # raises WsConnectError
        if self._stop.is_set():
            await self._teardown(ws, graceful=True)
            return None
        return ws

    async def _connect(self) -> ClientConnection:
        cfg = self._cfg
        try:
            return await connect(self._url, open_timeout=cfg.open_timeout_s,
                                 close_timeout=cfg.close_timeout_s, ping_interval=None,
                                 ping_timeout=None, max_size=cfg.max_frame_bytes)
        except (OSError, WebSocketException) as exc:  # TimeoutError is an OSError
            raise WsConnectError(f"connect to {self._url} failed: "
                                 f"{type(exc).__name__}: {exc}") from exc

    def _on_open(self, ws: ClientConnection) -> Step:
        now = self._clock.now_ns()
        self._ws = ws
        self._backoff.on_connected(now)
        self.stats.connects += 1
        return self._session.on_open(now)

    async def _teardown(self, ws: ClientConnection, *, graceful: bool) -> None:
        self._ws = None
        self._backoff.on_disconnected(self._clock.now_ns())
        if not graceful:
            # A dead or failed peer will not answer a close handshake: do not wait for it.
            ws.transport.abort()
            return
        try:
            await ws.close()
        except (OSError, WebSocketException):
            ws.transport.abort()

    async def _pump(self, ws: ClientConnection, subscribe: Step) -> None:
        """Run the receiver and the control loop until one ends or stop() is called."""
        tasks = (asyncio.ensure_future(self._receive(ws)),
                 asyncio.ensure_future(self._control(ws, subscribe)),
                 asyncio.ensure_future(self._stop.wait()))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in tasks[:2]:  # the receiver's error wins: it saw the cause first
            exc = task.exception() if task in done and not task.cancelled() else None
            if exc is not None:
                raise exc

    # ------------------------------------------------------------ receive path (hot)

    async def _receive(self, ws: ClientConnection) -> None:
        clock = self._clock
        stop = self._stop
        try:
            async for raw in ws:
                self._on_frame(raw, clock.now_ns())
                if stop.is_set():
                    return
        except ConnectionClosed as exc:
            raise WsConnectionLostError(f"connection lost: {exc}") from exc
        raise WsConnectionLostError(f"closed by server: code {ws.close_code} "
                               f"{ws.close_reason or ''}".rstrip())

    def _on_frame(self, raw: RawFrame, now_ns: int) -> None:
        if self._on_raw is not None:  # the recorder sees every frame before any decoding
            try:
                self._on_raw(raw, now_ns)
            except Exception as exc:
                raise WsCallbackError(f"on_raw raised {exc!r}") from exc
        for event in self._session.on_frame(raw, now_ns):
            self._emit(event)

    def _perform_events(self, step: Step) -> None:
        for event in step.events:
            self._emit(event)

    def _emit(self, event: AnyEvent) -> None:
        try:
            self._on_event(event)
        except Exception as exc:
            raise WsCallbackError(f"on_event raised {exc!r} on {type(event).__name__}") \
                from exc

    # ------------------------------------------------------------ control loop (timer)

    async def _control(self, ws: ClientConnection, subscribe: Step) -> None:
        for frame in subscribe.frames:
            await self._send_control(ws, frame)
        self._perform_events(self._session.on_subscribed(self._clock.now_ns()))
        tick_s = self._cfg.tick_s
        while True:
            await asyncio.sleep(tick_s)
            await self._on_tick(ws, self._clock.now_ns())

    async def _on_tick(self, ws: ClientConnection, now_ns: int) -> None:
        step = self._session.on_tick(now_ns)
        self._perform_events(step)
        if step.dead:
            raise WsConnectionDeadError(step.dead)
        for frame in step.frames:
            await self._send_control(ws, frame)

    async def _send_control(self, ws: ClientConnection, data: bytes) -> None:
        """Send a ping or subscribe, waiting (never failing) for room in the message budget."""
        while wait := self.message_limiter.try_acquire(self._clock.now_ns()):
            await asyncio.sleep(wait / _NS_PER_S)
        try:
            await ws.send(data, text=True)
        except ConnectionClosed as exc:
            raise WsConnectionLostError(f"connection lost while sending: {exc}") from exc
        self._session.on_sent(self._clock.now_ns())


def _packaged_config() -> WsClientConfig:
    from hyperliquid_ofi_trader.config.packaged import packaged_config

    return WsClientConfig.from_config(packaged_config())
