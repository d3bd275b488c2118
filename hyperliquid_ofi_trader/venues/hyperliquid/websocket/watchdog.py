"""Per-channel staleness detection: sans-I/O, no clock reads, `now_ns` always passed in.

The failure this guards against is the one users of other Hyperliquid tools complain
about most: a socket that looks connected while one stream has silently stopped. Each
channel key (`"l2Book:BTC"`, `"bbo:ETH"`, `"trades:BTC"`, `"orderUpdates"`, ...) has an
expected cadence; a channel silent for longer than `cadence × factor` turns STALE once,
and RECOVERED as soon as its next message arrives.

Invariant (tested): per channel, STALE and RECOVERED strictly alternate, starting with
STALE. `reset()` on reconnect forgets timings but keeps the stale flags, so a channel
that was stale before a reconnect still gets its RECOVERED when data flows again and
consumers never hold a dangling STALE.

Cadence lookup: exact key first (`"trades:BTC"`), then the channel type (`"trades"`),
then `default_cadence_ns`. `NEVER_STALE` (0) disables the check: event-driven private
channels (our fills, order updates) are legitimately silent for hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from hyperliquid_ofi_trader.core.events import FeedState, FeedStatus
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.subscriptions import coin_of_channel

NEVER_STALE: Final[int] = 0
"""Cadence meaning "never report this channel stale"."""

_NS_PER_MS = 1_000_000


class _Channel:
    """Mutable per-channel state; one per key, allocated once, updated in place."""

    __slots__ = ("armed", "coin", "last_ns", "limit_ns", "stale")

    def __init__(self, limit_ns: int, coin: str) -> None:
        self.limit_ns = limit_ns  # 0 = never stale
        self.coin = coin  # "" for account channels: consumers never parse the key
        self.last_ns = 0
        self.armed = False  # False until the first message or arm() after a reset
        self.stale = False


class FeedWatchdog:
    """Tracks when each channel last spoke and reports STALE / RECOVERED transitions."""

    __slots__ = ("_cadence", "_channels", "_default_ns", "_factor")

    def __init__(self, expected_cadence_ns: Mapping[str, int], factor: float,
                 default_cadence_ns: int = NEVER_STALE) -> None:
        if not factor >= 1.0:
            raise ValueError(f"staleness factor must be >= 1, got {factor}")
        for key, cadence in expected_cadence_ns.items():
            if cadence < 0:
                raise ValueError(f"cadence of {key!r} must be >= 0 ns, got {cadence}")
        if default_cadence_ns < 0:
            raise ValueError(f"default cadence must be >= 0 ns, got {default_cadence_ns}")
        self._cadence = dict(expected_cadence_ns)
        self._factor = factor
        self._default_ns = default_cadence_ns
        self._channels: dict[str, _Channel] = {}

    # ------------------------------------------------------------ hot path

    def on_message(self, channel_key: str, now_ns: int) -> FeedState | None:
        """Note that `channel_key` spoke; returns RECOVERED if it had been stale."""
        ch = self._channels.get(channel_key)
        if ch is None:
            ch = self._new_channel(channel_key)
        ch.last_ns = now_ns
        ch.armed = True
        if ch.stale:
            ch.stale = False
            return FeedState(exchange_ns=0, local_ns=now_ns, status=FeedStatus.RECOVERED,
                             channel=channel_key, coin=ch.coin, detail="data resumed")
        return None

    # ------------------------------------------------------------ timer path

    def check(self, now_ns: int) -> list[FeedState]:
        """STALE for every armed channel that has just exceeded its silence limit."""
        out: list[FeedState] = []
        for key, ch in self._channels.items():
            if not ch.armed or ch.stale or ch.limit_ns == 0:
                continue
            silent = now_ns - ch.last_ns
            if silent > ch.limit_ns:
                ch.stale = True
                out.append(FeedState(
                    exchange_ns=0, local_ns=now_ns, status=FeedStatus.STALE, channel=key,
                    coin=ch.coin, detail=f"silent {silent // _NS_PER_MS} ms > limit "
                           f"{ch.limit_ns // _NS_PER_MS} ms"))
        return out

    def arm(self, channel_key: str, now_ns: int) -> None:
        """Start the silence clock for a channel we subscribed to but have not heard yet.

        A subscription that never delivers a single message must still turn STALE.
        Already-armed channels keep their last message time.
        """
        ch = self._channels.get(channel_key)
        if ch is None:
            ch = self._new_channel(channel_key)
        if not ch.armed:
            ch.last_ns = now_ns
            ch.armed = True

    def reset(self) -> None:
        """Forget timings (on reconnect); stale flags survive so RECOVERED still comes."""
        for ch in self._channels.values():
            ch.armed = False

    # ------------------------------------------------------------ introspection

    def is_stale(self, channel_key: str) -> bool:
        ch = self._channels.get(channel_key)
        return ch is not None and ch.stale

    def stale_channels(self) -> list[str]:
        return [key for key, ch in self._channels.items() if ch.stale]

    def limit_ns(self, channel_key: str) -> int:
        """The silence limit that applies to `channel_key` (0 = never stale)."""
        return int(self.cadence_ns(channel_key) * self._factor)

    def cadence_ns(self, channel_key: str) -> int:
        cadence = self._cadence.get(channel_key)
        if cadence is None:
            kind = channel_key.partition(":")[0]
            cadence = self._cadence.get(kind, self._default_ns)
        return cadence

    def _new_channel(self, channel_key: str) -> _Channel:
        ch = _Channel(self.limit_ns(channel_key), coin_of_channel(channel_key))
        self._channels[channel_key] = ch
        return ch
