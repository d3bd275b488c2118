"""The emulator's heartbeat: pull the market source, move the venue, publish frames.

`MarketPump.run()` is an asyncio task that takes batches from a `MarketSource` at their due
times (its `asyncio.sleep` is what schedules the venue's "blocks"; nothing else in the
emulator sleeps), feeds every event to `venue.on_market`, and has the `Publisher` turn the
result into wire frames for subscribed clients:
- `l2Book` at the source's book cadence (each BookSnapshot), built from the venue's MERGED
  book (market + emulated orders), 20 levels, 5 for `fast` subscribers (whose frames carry
  `"fast": true`, as the venue's);
- `allMids` whenever a mid of the merged books changed, `{"mids": {coin: mid}}`;
- `bbo` whenever Level 1 of the merged book changed (after market events and after actions);
- `trades` and `activeAssetCtx` from the source's events;
- the venue's private pushes (`take_pushes()`: orderUpdates, userFills, user, trades of
  emulated fills) right after the event or action that produced them.

The publisher never formats a frame nobody subscribed to (`FrameSink.wants`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hyperliquid_ofi_trader.core.clock import Clock
from hyperliquid_ofi_trader.core.events import AssetCtx, Bbo, BookSnapshot, Trades
from hyperliquid_ofi_trader.sim.accounts import num
from hyperliquid_ofi_trader.sim.rate_limits import UNMETERED_IP
from hyperliquid_ofi_trader.sim.wire_encode import asset_ctx_data, trades_data
from hyperliquid_ofi_trader.sim.ws_session import ALL_MIDS_ROUTE, RouteKey, Subscription

MarketEvent = BookSnapshot | Bbo | Trades | AssetCtx
WireLevels = list[dict[str, Any]]
_MS = 1_000_000


class VenuePort(Protocol):
    """What the server and pump need of `sim.venue.SimVenue` (sans-I/O)."""

    def handle_exchange(self, body: dict[str, Any], now_ns: int,
                        ip: str = ...) -> tuple[int, Any]: ...

    def handle_info(self, body: dict[str, Any], now_ns: int,
                    ip: str = ...) -> tuple[int, Any]: ...

    def on_market(self, event: MarketEvent) -> None: ...

    def book_levels(self, coin: str, n: int) -> tuple[WireLevels, WireLevels]: ...

    def bbo(self, coin: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]: ...

    def take_pushes(self) -> list[tuple[str, str, Any]]: ...

    def meta(self) -> dict[str, Any]: ...

    def fund(self, address: str, usdc: float | None = None) -> float:
        """Deposit USDC into `address` (the faucet): the amount; `FundingError` if bad."""
        ...


class MarketSource(Protocol):
    """`next_batch()` → (due offset from the start of the run, ns; events) or None at end."""

    def next_batch(self) -> tuple[int, Sequence[MarketEvent]] | None: ...


class FrameSink(Protocol):
    """Where frames go: the server's fan-out to subscribed connections."""

    def wants(self, route: RouteKey) -> bool: ...

    def publish(self, route: RouteKey, frame: dict[str, Any]) -> None: ...


@dataclass(frozen=True, slots=True)
class BookDepths:
    normal: int = 20
    fast: int = 5


class Publisher:
    """Turns venue state into frames for the sink. Synchronous: called by the pump and by
    the server right after each action."""

    def __init__(self, venue: VenuePort, sink: FrameSink, clock: Clock,
                 depths: BookDepths = BookDepths(),
                 book_filter: Callable[[WireLevels, WireLevels],
                                       tuple[WireLevels, WireLevels]] | None = None) -> None:
        self.venue = venue
        self.sink = sink
        self.clock = clock
        self.depths = depths
        self.book_filter = book_filter  # fault hook: the "vanishing book"
        self.coins = frozenset(u["name"] for u in venue.meta()["universe"])
        self._last_bbo: dict[str, tuple[Any, Any]] = {}
        self._last_ctx: dict[str, dict[str, Any]] = {}
        self._last_book_ms: dict[str, int] = {}
        self._last_mids: dict[str, str] | None = None

    # ---------------------------------------------------------------- market side

    def on_market(self, event: MarketEvent) -> None:
        self.venue.on_market(event)
        if isinstance(event, BookSnapshot):
            self._publish_books(event.coin, event.exchange_ns // _MS)
            self._publish_bbo(event.coin, event.exchange_ns // _MS)
        elif isinstance(event, Bbo):
            self._publish_bbo(event.coin, event.exchange_ns // _MS)
        elif isinstance(event, Trades):
            self._publish_trades(event)
            self._publish_bbo(event.coin, event.exchange_ns // _MS)
        else:
            self._publish_ctx(event)
        self.publish_pushes()
        if not isinstance(event, AssetCtx):
            self._publish_mids()

    def after_action(self) -> None:
        """An action may have rested, filled or cancelled orders: pushes, then any L1 change."""
        self.publish_pushes()
        now_ms = self.clock.now_ns() // _MS
        for coin in self.coins:
            self._publish_bbo(coin, now_ms)
        self._publish_mids()

    def all_mids(self) -> dict[str, str]:
        """Mid of each coin whose merged book has both sides, as `allMids` writes it."""
        mids = {}
        for coin in sorted(self.coins):
            bid, ask = self.venue.bbo(coin)
            if bid is not None and ask is not None:
                mids[coin] = num((float(bid["px"]) + float(ask["px"])) / 2)
        return mids

    def _publish_mids(self) -> None:
        if not self.sink.wants(ALL_MIDS_ROUTE):
            self._last_mids = None  # a future subscriber's first change is published
            return
        mids = self.all_mids()
        if mids != self._last_mids:
            self._last_mids = mids
            self.sink.publish(ALL_MIDS_ROUTE, {"channel": "allMids", "data": {"mids": mids}})

    def publish_pushes(self) -> None:
        sink = self.sink
        for channel, key, data in self.venue.take_pushes():
            route = (channel, key if channel == "trades" else key.lower(), 0)
            if sink.wants(route):
                sink.publish(route, {"channel": channel, "data": data})

    def _publish_books(self, coin: str, time_ms: int) -> None:
        self._last_book_ms[coin] = time_ms
        for variant in (0, 1):
            route = ("l2Book", coin, variant)
            if self.sink.wants(route):
                self.sink.publish(route, self.book_frame(coin, time_ms, fast=bool(variant)))

    def book_frame(self, coin: str, time_ms: int, *, fast: bool = False) -> dict[str, Any]:
        bids, asks = self.venue.book_levels(coin, self.depths.fast if fast
                                            else self.depths.normal)
        if self.book_filter is not None:
            bids, asks = self.book_filter(bids, asks)
        data: dict[str, Any] = {"coin": coin, "time": time_ms, "levels": [bids, asks]}
        if fast:
            data["fast"] = True
        return {"channel": "l2Book", "data": data}

    def _publish_bbo(self, coin: str, time_ms: int) -> None:
        route = ("bbo", coin, 0)
        if not self.sink.wants(route):
            # Nobody listens: skip the merged-book read (the costliest part of an action's
            # aftermath) and forget L1, so a future subscriber's first change is published.
            self._last_bbo.pop(coin, None)
            return
        bid, ask = self.venue.bbo(coin)
        last = self._last_bbo.get(coin)
        if last is not None and last[0] == bid and last[1] == ask:
            return
        self._last_bbo[coin] = (bid, ask)
        self.sink.publish(route, _bbo_frame(coin, time_ms, bid, ask))

    def _publish_trades(self, event: Trades) -> None:
        route = ("trades", event.coin, 0)
        if event.trades and self.sink.wants(route):
            self.sink.publish(route, trades_frame(event))

    def _publish_ctx(self, event: AssetCtx) -> None:
        frame = ctx_frame(event)
        self._last_ctx[event.coin] = frame
        route = ("activeAssetCtx", event.coin, 0)
        if self.sink.wants(route):
            self.sink.publish(route, frame)

    # ---------------------------------------------------------------- first frames

    def initial_frames(self, sub: Subscription, now_ns: int) -> list[dict[str, Any]]:
        """What a new subscriber gets right after its ack (venue behaviour): the current
        book, the mids, the asset context (the market's last one, else the venue's own view
        of it: the venue always has one, and clients such as ccxt's watchTicker wait for
        it), or the userFills snapshot (`isSnapshot: true`)."""
        channel, key, variant = sub.route
        if channel == "userFills":
            return [self._fills_snapshot(key, now_ns)]
        if channel == "allMids":
            self._last_mids = self.all_mids()
            return [{"channel": "allMids", "data": {"mids": self._last_mids}}]
        if key not in self.coins:
            return []  # unknown coin: acked, never any data (as the venue does)
        if channel == "l2Book":
            return [self.book_frame(key, now_ns // _MS, fast=bool(variant))]
        if channel == "activeAssetCtx":
            last = self._last_ctx.get(key) or self._ctx_snapshot(key, now_ns)
            return [last] if last is not None else []
        return []

    def _ctx_snapshot(self, coin: str, now_ns: int) -> dict[str, Any] | None:
        status, answer = self.venue.handle_info({"type": "metaAndAssetCtxs"}, now_ns,
                                                UNMETERED_IP)
        if status != 200 or not isinstance(answer, list) or len(answer) != 2:
            return None
        names = [u.get("name") for u in answer[0].get("universe", ())]
        if coin not in names or names.index(coin) >= len(answer[1]):
            return None
        return {"channel": "activeAssetCtx",
                "data": {"coin": coin, "ctx": answer[1][names.index(coin)]}}

    def _fills_snapshot(self, user: str, now_ns: int) -> dict[str, Any]:
        status, fills = self.venue.handle_info({"type": "userFills", "user": user}, now_ns,
                                               UNMETERED_IP)
        if status != 200 or not isinstance(fills, list):
            fills = []
        return {"channel": "userFills",
                "data": {"isSnapshot": True, "user": user, "fills": fills}}


def _bbo_frame(coin: str, time_ms: int, bid: Any, ask: Any) -> dict[str, Any]:
    return {"channel": "bbo", "data": {"coin": coin, "time": time_ms, "bbo": [bid, ask]}}


def trades_frame(event: Trades) -> dict[str, Any]:
    return {"channel": "trades", "data": trades_data(event)}


def ctx_frame(event: AssetCtx) -> dict[str, Any]:
    return {"channel": "activeAssetCtx", "data": asset_ctx_data(event)}


@dataclass(slots=True)
class PumpStats:
    batches: int = 0
    events: int = 0
    late_batches: int = 0  # due time already past when taken (the loop fell behind)
    errors: int = 0  # events the venue or publisher failed on (skipped, run continues)
    last_error: str = ""
    finished: bool = False


class MarketPump:
    """Drives `publisher.on_market` from `source` in real time (scaled by `speed`)."""

    def __init__(self, source: MarketSource, publisher: Publisher, *,
                 speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.source = source
        self.publisher = publisher
        self.speed = speed
        self.stats = PumpStats()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        while (batch := self.source.next_batch()) is not None:
            due_offset_ns, events = batch
            delay = start + due_offset_ns / 1e9 / self.speed - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                self.stats.late_batches += 1
                await asyncio.sleep(0)  # let clients' requests in between blocks
            self._feed(events)
        self.stats.finished = True

    def _feed(self, events: Sequence[MarketEvent]) -> None:
        self.stats.batches += 1
        for event in events:
            self.stats.events += 1
            try:
                self.publisher.on_market(event)
            except Exception as exc:  # one bad event must not stop the market
                self.stats.errors += 1
                self.stats.last_error = f"{type(event).__name__}: {exc!r}"[:300]
