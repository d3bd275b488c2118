"""The Hyperliquid feed session, sans-I/O: what to send and what happened, for one connection.

Everything the WebSocket client decides lives here, as a plain object with no socket, no
clock and no asyncio (as `websockets` keeps its protocol apart from its asyncio pump): the
pump (`client.py`) reads frames and the time, calls in, sends the frames it is given and
hands the events to its consumer, in the order returned.

    on_open(now)          a connection opened   -> the subscribe frames to send
    on_subscribed(now)    they were all sent    -> UP when every ack is already in
    on_frame(raw, now)    a frame arrived       -> its events (+ RECOVERED, + UP); never
                                                   frames: the venue wants no answer
    on_tick(now)          the timer fired       -> STALE / UP-without-acks, a ping, or dead
    on_sent(now)          the pump sent a frame (pings, subscribes, posts: all count)
    on_close(now, why)    the connection ended  -> DOWN

Rules (the client's docstring states them for its users):
- UP (channel "") once every subscription is acked after they were all sent, or at the
  ack timeout naming the unacked ones. The watchdog arms every subscribed channel at UP.
- STALE / RECOVERED per channel from the `FeedWatchdog`, from the events' health channels
  (`subscriptions.ChannelKeys`); a RECOVERED comes just before the event that ended the
  silence. No STALE before UP (DOWN already said every channel is unusable).
- A ping after `ping_interval_ns` without sending, and as a probe after half of
  `silence_timeout_ns` without receiving; nothing received for `silence_timeout_ns` means
  the socket is dead although it looks open (`Step.dead` says why).
- An exception from `decode` is a counted `Rejection`, never raised: one odd frame must
  not take the feed down.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

import orjson

from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    FeedState,
    FeedStatus,
    Rejection,
    SubscriptionAck,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.subscriptions import (
    ChannelKeys,
    channel_key_for_subscription,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.watchdog import FeedWatchdog

RawFrame = bytes | str
DecodeFn = Callable[[RawFrame, int], Sequence[AnyEvent]]

PING: Final = orjson.dumps({"method": "ping"})
_NO_FRAMES: Final[tuple[bytes, ...]] = ()
_NS_PER_MS: Final = 1_000_000


class Step(NamedTuple):
    """What one call into the session produced, for the pump to act on in this order:
    send `frames` (control frames: they wait for message budget, never fail for it), hand
    `events` to the consumer, then, when `dead` is not empty, abort the connection."""

    frames: Sequence[bytes]
    events: Sequence[AnyEvent]
    dead: str = ""


@dataclass(frozen=True, slots=True)
class SessionTimings:
    """The session's deadlines, in ns of the pump's clock."""

    ping_interval_ns: int  # ping after this much send-silence
    silence_timeout_ns: int  # receive-silence that means a dead socket
    ack_timeout_ns: int  # UP anyway (naming the unacked) after this


@dataclass(slots=True)
class WsClientStats:
    """Counters for status views and metrics, mutated in place by the session (what it
    decides) and by the pump (connections, sends)."""

    connect_attempts: int = 0
    connects: int = 0
    connect_failures: int = 0
    disconnects: int = 0
    dead_connections: int = 0
    connect_rate_waits: int = 0
    frames_received: int = 0
    rejections: int = 0
    decode_errors: int = 0
    messages_sent: int = 0
    pings_sent: int = 0
    send_rate_limited: int = 0
    stale_reports: int = 0
    unacked_subscriptions: int = 0
    last_error: str = ""
    recent_delays_ns: deque[int] = field(default_factory=lambda: deque(maxlen=64))


def canonical(sub: Mapping[str, Any]) -> frozenset[tuple[str, str]]:
    """Comparable form of a subscription: None fields dropped, addresses lowercased."""
    return frozenset((k, str(v).lower() if k == "user" else str(v))
                     for k, v in sub.items() if v is not None)


class FeedSession:
    """One subscribed Hyperliquid feed over successive connections; see the module doc."""

    __slots__ = ("_channel_keys", "_decode", "_keys", "_last_ping_ns", "_last_rx_ns",
                 "_last_tx_ns", "_pending", "_sub_keys", "_sub_msgs", "_subs_sent_ns",
                 "_timings", "_up", "stats", "watchdog")

    def __init__(self, subscriptions: Sequence[Mapping[str, Any]], decode: DecodeFn,
                 watchdog: FeedWatchdog, timings: SessionTimings,
                 stats: WsClientStats | None = None) -> None:
        self._sub_msgs = tuple(orjson.dumps({"method": "subscribe", "subscription": dict(s)})
                               for s in subscriptions)
        self._sub_keys = tuple(canonical(s) for s in subscriptions)
        self._channel_keys = tuple(dict.fromkeys(channel_key_for_subscription(s)
                                                 for s in subscriptions))
        self._decode = decode
        self._keys = ChannelKeys()
        self._timings = timings
        self.watchdog = watchdog
        self.stats = stats if stats is not None else WsClientStats()
        self._up = False
        self._pending: list[frozenset[tuple[str, str]]] = []
        self._subs_sent_ns = 0
        self._last_rx_ns = self._last_tx_ns = self._last_ping_ns = 0

    @property
    def is_up(self) -> bool:
        """True between UP and DOWN: connected and (acked or ack timeout passed)."""
        return self._up

    # ------------------------------------------------------------ connection life

    def on_open(self, now_ns: int) -> Step:
        """A fresh connection: every subscription is sent again, every ack awaited again."""
        self._up = False
        self._pending = list(self._sub_keys)
        self._subs_sent_ns = 0
        self._last_rx_ns = self._last_tx_ns = self._last_ping_ns = now_ns
        self.watchdog.reset()
        return Step(self._sub_msgs, ())

    def on_subscribed(self, now_ns: int) -> Step:
        """Every subscribe frame went out: the ack timeout starts now."""
        self._subs_sent_ns = now_ns
        if not self._pending and not self._up:  # acks all came back, or nothing to ack
            return Step(_NO_FRAMES, (self._go_up(now_ns, self._acked_detail()),))
        return Step(_NO_FRAMES, ())

    def on_close(self, now_ns: int, why: str) -> Step:
        self._up = False
        return Step(_NO_FRAMES, (FeedState(exchange_ns=0, local_ns=now_ns,
                                           status=FeedStatus.DOWN, channel="", detail=why),))

    def on_sent(self, now_ns: int) -> None:
        self._last_tx_ns = now_ns
        self.stats.messages_sent += 1

    # ------------------------------------------------------------ receive path (hot)

    def on_frame(self, raw: RawFrame, now_ns: int) -> Sequence[AnyEvent]:
        """The events of one received frame, in the order the consumer must see them."""
        self._last_rx_ns = now_ns
        self.stats.frames_received += 1
        try:
            decoded = self._decode(raw, now_ns)
        except Exception as exc:  # a codec bug must not take the feed down
            self.stats.decode_errors += 1
            decoded = (Rejection(exchange_ns=0, local_ns=now_ns, reason="decode_error",
                                 detail=f"decode raised {exc!r}"[:300], channel=""),)
        # The decoded sequence is returned as it is unless an event must be inserted (a
        # RECOVERED, an UP): no copy per frame on the hot path.
        out: list[AnyEvent] | None = None
        for i, event in enumerate(decoded):
            key = self._keys.of(event)
            if key is not None:
                recovered = self.watchdog.on_message(key, now_ns)
                if recovered is not None:
                    out = list(decoded[:i]) if out is None else out
                    out.append(recovered)
            elif isinstance(event, SubscriptionAck):
                up = self._on_ack(event, now_ns)
                if up is not None:
                    out = list(decoded[:i]) if out is None else out
                    out += (event, up)
                    continue
            elif isinstance(event, Rejection):
                self.stats.rejections += 1
            if out is not None:
                out.append(event)
        return decoded if out is None else out

    def _on_ack(self, ack: SubscriptionAck, now_ns: int) -> FeedState | None:
        """UP when this ack was the last one awaited (after every subscribe went out)."""
        if ack.method != "subscribe" or self._up:
            return None
        got = canonical(ack.subscription)
        # The venue may echo defaults (e.g. nSigFigs: null): ours must be a subset.
        for i, wanted in enumerate(self._pending):
            if wanted <= got:
                del self._pending[i]
                break
        if not self._pending and self._subs_sent_ns:
            return self._go_up(now_ns, self._acked_detail())
        return None

    # ------------------------------------------------------------ timer path

    def on_tick(self, now_ns: int) -> Step:
        events: list[AnyEvent] = []
        for state in self.watchdog.check(now_ns):
            self.stats.stale_reports += 1
            events.append(state)
        t = self._timings
        if not self._up and now_ns - self._subs_sent_ns >= t.ack_timeout_ns:
            events.append(self._up_without_acks(now_ns))
        silent_ns = now_ns - self._last_rx_ns
        if silent_ns >= t.silence_timeout_ns:
            self.stats.dead_connections += 1
            return Step(_NO_FRAMES, events, f"nothing received for {silent_ns // _NS_PER_MS} ms")
        probe_ns = t.silence_timeout_ns // 2
        if (now_ns - self._last_tx_ns >= t.ping_interval_ns
                or (silent_ns >= probe_ns and now_ns - self._last_ping_ns >= probe_ns)):
            self._last_ping_ns = now_ns
            self.stats.pings_sent += 1
            return Step((PING,), events)
        return Step(_NO_FRAMES, events)

    # ------------------------------------------------------------ UP

    def _go_up(self, now_ns: int, detail: str) -> FeedState:
        self._up = True
        for key in self._channel_keys:
            self.watchdog.arm(key, now_ns)
        return FeedState(exchange_ns=0, local_ns=now_ns, status=FeedStatus.UP, channel="",
                         detail=detail)

    def _acked_detail(self) -> str:
        return f"{len(self._sub_keys)} subscriptions acked"

    def _up_without_acks(self, now_ns: int) -> FeedState:
        missing = len(self._pending)
        self.stats.unacked_subscriptions += missing
        names = ", ".join(sorted(str(dict(p)) for p in self._pending))[:500]
        return self._go_up(now_ns, f"{missing} subscriptions unacked after ack timeout: "
                                   f"{names}")
