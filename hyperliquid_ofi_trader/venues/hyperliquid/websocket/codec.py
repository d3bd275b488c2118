"""Sans-I/O Hyperliquid frame codec: one raw WebSocket frame in, domain events out.

No sockets, no clock: the caller passes the frame and its local receive time. `decode`
never raises for any input. Anything it refuses becomes a `Rejection` event with a stable
short `reason` (for metrics) and a specific `detail` (for a human), and is counted; the
next frame decodes as if nothing happened.

Hot path: one envelope decode that leaves `data` raw, a dict dispatch on the channel, one
typed decode of `data` (msgspec, `strict=False` so decimal strings become floats in C),
then plain comparisons for validation. The slow, descriptive work happens only when a
frame is actually bad.

Reason codes: malformed_json, bad_utf8, bad_envelope, missing_data, unknown_channel,
schema, unknown_coin, bad_time, bad_level, unsorted_levels, crossed_book, crossed_bbo,
bad_side, bad_value, unsupported, venue_error, too_deep, internal_error.

Sane ranges. Everything accepted here ends up in SQLite (journal, order store) and in
integer nanoseconds, so the codec refuses what those cannot hold: ids (`oid`, `tid`,
level counts) beyond a signed 64-bit integer are a `schema` rejection (bounded in the wire
types), and a time is `bad_time` unless it is epoch milliseconds whose nanoseconds fit in
64 bits and, when the receive time is itself an epoch time, within `max_ahead_ms` after it
(a host clock may be off; a venue time hours ahead is garbage) and, for market data,
within `max_behind_ms` before it. Private history (a fills snapshot, an order resting for
weeks) may be arbitrarily old. A receive time before 2020 means the caller's clock is not
the epoch (unit tests, synthetic clocks from 0): only the absolute range applies then.

Coin filtering (`known_coins`) applies to market data and to our own orders and fills: a
fill for a coin outside the configured set (`btc`, `BTC `, a Cyrillic look-alike) is not
an instrument this process can price, size or reconcile, so it is refused as
`unknown_coin` (counted, visible) rather than becoming a phantom position. Funding is per
account and still reaches risk whatever its coin (it moves our margin).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import msgspec

from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    AssetCtx,
    Bbo,
    BookSnapshot,
    Fill,
    Funding,
    Greeting,
    Level,
    Liquidation,
    NonUserCancel,
    OrderStatus,
    OrderUpdate,
    Pong,
    PostResponse,
    Rejection,
    SubscriptionAck,
    Trade,
    Trades,
    UserFills,
)
from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.venues.hyperliquid.common.messages import (
    WireActiveAssetCtx,
    WireAssetCtx,
    WireBbo,
    WireBook,
    WireEnvelope,
    WireFill,
    WireFunding,
    WireLevel,
    WireNonUserCancel,
    WireOrderUpdate,
    WirePost,
    WireSubscriptionAck,
    WireTrade,
    WireUserEvent,
    WireUserFills,
)

T = TypeVar("T")
Handler = Callable[[msgspec.Raw, int, list[AnyEvent]], None]

_INF: Final = float("inf")
_MS: Final = 1_000_000
# Exchange times are ms since the epoch and become int64 nanoseconds: beyond this (the
# year 2262) the nanoseconds overflow every integer column and counter downstream.
_MAX_MS: Final = (2**63 - 1) // 1_000_000
# Receive times before 2020 come from a clock that is not the epoch (tests, synthetic
# clocks starting at 0): the window relative to the receive time is skipped for them.
_EPOCH_FLOOR_MS: Final = 1_577_836_800_000
DEFAULT_MAX_AHEAD_MS: Final = 3_600_000  # venue time vs a badly set host clock: 1 h
DEFAULT_MAX_BEHIND_MS: Final = 3_600_000  # market data an hour old is not market data
_DETAIL_MAX: Final = 300
_GREETING: Final = "Websocket connection established."
_GREETINGS: Final = frozenset({_GREETING, _GREETING.encode()})
_IS_BUY: Final = {"B": True, "A": False}

# Every order status the venue documents (the official SDKs and @nktkas/hyperliquid's
# OrderProcessingStatus, plus `internalCancel` seen live). Each one but "open" and
# "triggered" is terminal: a cancelled order must never stay open in the order manager.
VENUE_CANCEL_STATUSES: Final = frozenset({
    "canceled", "marginCanceled", "vaultWithdrawalCanceled", "openInterestCapCanceled",
    "selfTradeCanceled", "reduceOnlyCanceled", "siblingFilledCanceled", "delistedCanceled",
    "liquidatedCanceled", "scheduledCancel", "internalCancel"})
VENUE_REJECT_STATUSES: Final = frozenset({
    "rejected", "tickRejected", "minTradeNtlRejected", "perpMarginRejected",
    "reduceOnlyRejected", "badAloPxRejected", "iocCancelRejected", "badTriggerPxRejected",
    "marketOrderNoLiquidityRejected", "positionIncreaseAtOpenInterestCapRejected",
    "positionFlipAtOpenInterestCapRejected", "tooAggressiveAtOpenInterestCapRejected",
    "openInterestIncreaseRejected", "insufficientSpotBalanceRejected", "oracleRejected",
    "perpMaxPositionRejected"})
_STATUS: Final = {s.value: s for s in OrderStatus if s is not OrderStatus.UNKNOWN}
_STATUS.update({text: OrderStatus.CANCELED for text in VENUE_CANCEL_STATUSES
                if text not in _STATUS})
_STATUS.update({text: OrderStatus.REJECTED for text in VENUE_REJECT_STATUSES
                if text not in _STATUS})


def order_status(raw: str) -> OrderStatus:
    """Map a venue status text (the table above). A text the table does not know yet but
    that names a cancel or a rejection ("fooCanceled", "barRejected", "someCancel") is
    terminal all the same; anything else is UNKNOWN (the order manager then asks)."""
    status = _STATUS.get(raw)
    if status is not None:
        return status
    if not isinstance(raw, str):
        return OrderStatus.UNKNOWN
    lowered = raw.lower()
    if "cancel" in lowered:
        return OrderStatus.CANCELED
    if "reject" in lowered:
        return OrderStatus.REJECTED
    return OrderStatus.UNKNOWN


def _short(value: object) -> str:
    """A bounded repr for details: garbage frames must not make huge log lines (and a
    multi-megabyte frame is sliced before repr, not after)."""
    text = repr(value[:80] if isinstance(value, bytes | str) else value)
    return text if len(text) <= 60 else text[:57] + "..."


def _clip(text: str) -> str:
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 3] + "..."


def _finite(x: float | None) -> bool:
    return x is not None and -_INF < x < _INF


def _positive(x: float | None) -> bool:
    return x is not None and 0.0 < x < _INF


def _non_negative(x: float | None) -> bool:
    return x is not None and 0.0 <= x < _INF


# ---------------------------------------------------------------- book levels


def _bid_side(levels: list[WireLevel]) -> tuple[Level, ...] | None:
    """Bids as tuples, or None if any level is bad. The tuples are built first by a
    comprehension (cheaper than append in a loop), then checked with one chained
    comparison per field: `0 < px < prev` is positive, strictly descending and not NaN."""
    out = [(lv.px, lv.sz, lv.n) for lv in levels]
    prev = _INF
    for px, sz, n in out:
        if not (0.0 < px < prev and 0.0 < sz < _INF and n > 0):
            return None
        prev = px
    return tuple(out)


def _ask_side(levels: list[WireLevel]) -> tuple[Level, ...] | None:
    """Asks as tuples, or None: `prev < px < inf` is ascending, positive and finite."""
    out = [(lv.px, lv.sz, lv.n) for lv in levels]
    prev = 0.0
    for px, sz, n in out:
        if not (prev < px < _INF and 0.0 < sz < _INF and n > 0):
            return None
        prev = px
    return tuple(out)


def _level_good(lv: WireLevel | None) -> bool:
    """An absent level is fine (that side is empty); a present one must be sane."""
    return lv is None or (0.0 < lv.px < _INF and 0.0 < lv.sz < _INF and lv.n > 0)


def _level_fault(lv: WireLevel, where: str) -> tuple[str, str] | None:
    if not _positive(lv.px):
        return "bad_level", f"{where}: price {lv.px!r} is not a positive finite number"
    if not _positive(lv.sz):
        return "bad_level", f"{where}: size {lv.sz!r} is not a positive finite number"
    if lv.n <= 0:
        return "bad_level", f"{where}: order count {lv.n} is not positive"
    return None


def _side_fault(levels: list[WireLevel], name: str, descending: bool) -> tuple[str, str]:
    """Explain why `_bid_side`/`_ask_side` refused a side (slow path only)."""
    for i, lv in enumerate(levels):
        fault = _level_fault(lv, f"{name}[{i}]")
        if fault is not None:
            return fault
        if i and (lv.px >= levels[i - 1].px if descending else lv.px <= levels[i - 1].px):
            order = "descending" if descending else "ascending"
            return ("unsorted_levels",
                    f"{name}[{i}] price {lv.px} after {levels[i - 1].px}: not strictly {order}")
    return "bad_level", f"{name}: refused without a located fault"


class HyperliquidCodec:
    """Decode Hyperliquid WebSocket frames into domain events; count what it refuses.

    Counters (read them for metrics, never reset behind the caller's back):
    `frames` frames seen, `rejections` reason -> count, `events_by_type` name -> count.
    """

    __slots__ = ("_dispatch", "_hi_ms", "_known", "_lo_ms", "_max_ahead_ms", "_max_behind_ms",
                 "events_by_type", "frames", "rejections")

    _envelope = msgspec.json.Decoder(WireEnvelope)
    _book = msgspec.json.Decoder(WireBook, strict=False)
    _bbo = msgspec.json.Decoder(WireBbo, strict=False)
    _trades = msgspec.json.Decoder(list[WireTrade], strict=False)
    _trade = msgspec.json.Decoder(WireTrade, strict=False)
    _ctx = msgspec.json.Decoder(WireActiveAssetCtx, strict=False)
    _orders = msgspec.json.Decoder(list[WireOrderUpdate], strict=False)
    _order = msgspec.json.Decoder(WireOrderUpdate, strict=False)
    _user_fills = msgspec.json.Decoder(WireUserFills, strict=False)
    _fills = msgspec.json.Decoder(list[WireFill], strict=False)
    _fill = msgspec.json.Decoder(WireFill, strict=False)
    _user_event = msgspec.json.Decoder(WireUserEvent)
    _funding = msgspec.json.Decoder(WireFunding, strict=False)
    _cancels = msgspec.json.Decoder(list[WireNonUserCancel], strict=False)
    _post = msgspec.json.Decoder(WirePost, strict=False)
    _ack = msgspec.json.Decoder(WireSubscriptionAck)
    _raw_list = msgspec.json.Decoder(list[msgspec.Raw])
    _any = msgspec.json.Decoder()

    def __init__(self, known_coins: frozenset[str] | None = None, *,
                 max_ahead_ms: int = DEFAULT_MAX_AHEAD_MS,
                 max_behind_ms: int = DEFAULT_MAX_BEHIND_MS) -> None:
        if max_ahead_ms < 0 or max_behind_ms < 0:
            raise ValueError("max_ahead_ms and max_behind_ms must be >= 0")
        self._known = known_coins
        self._max_ahead_ms = max_ahead_ms
        self._max_behind_ms = max_behind_ms
        # Window of acceptable times for the frame being decoded (set per frame).
        self._lo_ms = 0
        self._hi_ms = _MAX_MS
        self.frames = 0
        self.rejections: dict[str, int] = {}
        self.events_by_type: dict[str, int] = {}
        self._dispatch: dict[str, Handler] = {
            "l2Book": self._on_book,
            "bbo": self._on_bbo,
            "trades": self._on_trades,
            "activeAssetCtx": self._on_asset_ctx,
            "activeSpotAssetCtx": self._on_spot_ctx,
            "orderUpdates": self._on_order_updates,
            "userFills": self._on_user_fills,
            "user": self._on_user_event,
            "post": self._on_post,
            "subscriptionResponse": self._on_subscription_ack,
            "error": self._on_venue_error,
        }

    def settings(self) -> tuple[tuple[str, ...] | None, int, int]:
        """What besides a frame's bytes decides the output: the known coins (sorted; None
        for any), and the ms a market time may lie ahead of / behind the receive time."""
        known = None if self._known is None else tuple(sorted(self._known))
        return known, self._max_ahead_ms, self._max_behind_ms

    # ------------------------------------------------------------ entry point

    def decode(self, raw: bytes | str, local_ns: int) -> list[AnyEvent]:
        """One raw frame in, zero or more events out. Never raises."""
        self.frames += 1
        out: list[AnyEvent] = []
        self._set_time_window(local_ns)
        try:
            self._decode_into(raw, local_ns, out)
        except UnicodeError as exc:
            # Invalid UTF-8 inside a string (the envelope parsed, a field did not): the
            # venue sent bytes no JSON text may hold.
            self._reject(out, local_ns, "bad_utf8", f"invalid UTF-8 in frame: {exc}", "")
        except RecursionError:
            # msgspec refuses absurd nesting by raising this, at whatever stage met it;
            # events already emitted for this frame were fully validated and stay.
            self._reject(out, local_ns, "too_deep", "JSON nested too deeply to decode", "")
        except Exception as exc:  # the contract is "never raises"
            # Reaching here is our bug, not the venue's: report it loudly as its own reason
            # (tests assert it never happens) instead of killing the feed.
            self._reject(out, local_ns, "internal_error",
                         f"{type(exc).__name__}: {exc}", "")
        counts = self.events_by_type
        for event in out:
            name = type(event).__name__
            counts[name] = counts.get(name, 0) + 1
        return out

    def _set_time_window(self, local_ns: int) -> None:
        local_ms = local_ns // _MS
        if local_ms < _EPOCH_FLOOR_MS:
            self._lo_ms, self._hi_ms = 0, _MAX_MS
        else:
            self._lo_ms = max(0, local_ms - self._max_behind_ms)
            self._hi_ms = min(_MAX_MS, local_ms + self._max_ahead_ms)

    @property
    def rejected(self) -> int:
        """Total rejections over all reasons."""
        return sum(self.rejections.values())

    def _decode_into(self, raw: bytes | str, local_ns: int, out: list[AnyEvent]) -> None:
        try:
            env = self._envelope.decode(raw)
        except msgspec.ValidationError as exc:
            self._reject(out, local_ns, "bad_envelope", f"not a channel frame: {exc}", "")
            return
        except UnicodeError as exc:
            self._reject(out, local_ns, "bad_utf8", f"{exc} (frame {_short(raw)})", "")
            return
        except (msgspec.DecodeError, TypeError, ValueError) as exc:
            self._on_not_json(raw, local_ns, out, exc)
            return
        channel = env.channel
        if channel == "pong":
            out.append(Pong(exchange_ns=0, local_ns=local_ns))
            return
        handler = self._dispatch.get(channel)
        if handler is None:
            self._reject(out, local_ns, "unknown_channel",
                         f"channel {_short(channel)} is not handled", "")
        elif not env.data:
            self._reject(out, local_ns, "missing_data", "frame has no data", channel)
        else:
            handler(env.data, local_ns, out)

    def _on_not_json(self, raw: bytes | str, local_ns: int, out: list[AnyEvent],
                     exc: Exception) -> None:
        """Only non-JSON frame the venue sends is its greeting; checked here, off the
        hot path, so good frames never pay for the comparison."""
        if isinstance(raw, bytes | str) and raw.strip() in _GREETINGS:
            out.append(Greeting(exchange_ns=0, local_ns=local_ns))
            return
        self._reject(out, local_ns, "malformed_json", f"{exc} (frame {_short(raw)})", "")

    # ------------------------------------------------------------ helpers

    def _reject(self, out: list[AnyEvent], local_ns: int, reason: str, detail: str,
                channel: str) -> None:
        self.rejections[reason] = self.rejections.get(reason, 0) + 1
        out.append(Rejection(exchange_ns=0, local_ns=local_ns, reason=reason,
                             detail=_clip(detail), channel=channel))

    def _typed(self, decoder: msgspec.json.Decoder[T], data: msgspec.Raw, local_ns: int,
               out: list[AnyEvent], channel: str) -> T | None:
        try:
            return decoder.decode(data)
        except msgspec.DecodeError as exc:
            self._reject(out, local_ns, "schema", str(exc), channel)
            return None

    def _items(self, whole: msgspec.json.Decoder[list[T]], one: msgspec.json.Decoder[T],
               data: msgspec.Raw, local_ns: int, out: list[AnyEvent],
               channel: str) -> list[T]:
        """Decode a list in one go; if that fails, item by item so that one malformed
        entry is rejected alone and the others still reach the engine."""
        try:
            return whole.decode(data)
        except msgspec.DecodeError:
            pass
        raws = self._typed(self._raw_list, data, local_ns, out, channel)
        items: list[T] = []
        for i, item in enumerate(raws or ()):
            try:
                items.append(one.decode(item))
            except msgspec.DecodeError as exc:
                self._reject(out, local_ns, "schema", f"item {i}: {exc}", channel)
        return items

    def _coin_ok(self, coin: str, local_ns: int, out: list[AnyEvent], channel: str) -> bool:
        known = self._known
        if known is None or coin in known:
            return True
        self._reject(out, local_ns, "unknown_coin", f"coin {_short(coin)} is not configured",
                     channel)
        return False

    def _time_ok(self, ms: int, local_ns: int, out: list[AnyEvent], channel: str,
                 private: bool = False) -> bool:
        """Market times must lie in [lo, hi] of the frame's window; private ones (history
        may be old) in [0, hi]. Slow path only when it fails."""
        if (0 if private else self._lo_ms) <= ms <= self._hi_ms:
            return True
        self._reject(out, local_ns, "bad_time", self._time_fault(ms, local_ns), channel)
        return False

    def _time_fault(self, ms: int, local_ns: int) -> str:
        if not 0 <= ms <= _MAX_MS:
            return f"time {ms} is not epoch milliseconds (0 to {_MAX_MS})"
        offset_s = (ms - local_ns // _MS) / 1000
        if offset_s > 0:
            return (f"time {ms} is {offset_s:.0f} s ahead of the receive time (limit "
                    f"{self._max_ahead_ms / 1000:g} s)")
        return (f"time {ms} is {-offset_s:.0f} s behind the receive time (limit "
                f"{self._max_behind_ms / 1000:g} s for market data)")

    def _side_ok(self, side: str, where: str, local_ns: int, out: list[AnyEvent],
                 channel: str) -> bool:
        if side in _IS_BUY:
            return True
        self._reject(out, local_ns, "bad_side", f"{where}: side {_short(side)} is not B or A",
                     channel)
        return False

    # ------------------------------------------------------------ market data

    def _on_book(self, data: msgspec.Raw, local_ns: int, out: list[AnyEvent]) -> None:
        book = self._typed(self._book, data, local_ns, out, "l2Book")
        if book is None or not self._coin_ok(book.coin, local_ns, out, "l2Book"):
            return
        if not self._time_ok(book.time, local_ns, out, "l2Book"):
            return
        raw_bids, raw_asks = book.levels
        bids = _bid_side(raw_bids)
        asks = _ask_side(raw_asks)
        if bids is None or asks is None:
            reason, detail = (_side_fault(raw_bids, "bids", True) if bids is None
                              else _side_fault(raw_asks, "asks", False))
            self._reject(out, local_ns, reason, f"{book.coin}: {detail}", "l2Book")
        elif bids and asks and bids[0][0] >= asks[0][0]:
            self._reject(out, local_ns, "crossed_book",
                         f"{book.coin}: best bid {bids[0][0]} >= best ask {asks[0][0]}",
                         "l2Book")
        else:
            out.append(BookSnapshot(exchange_ns=book.time * _MS, local_ns=local_ns,
                                    coin=book.coin, bids=bids, asks=asks))

    def _on_bbo(self, data: msgspec.Raw, local_ns: int, out: list[AnyEvent]) -> None:
        msg = self._typed(self._bbo, data, local_ns, out, "bbo")
        if msg is None or not self._coin_ok(msg.coin, local_ns, out, "bbo"):
            return
        bid, ask = msg.bbo
        if (self._lo_ms <= msg.time <= self._hi_ms and _level_good(bid) and _level_good(ask)
                and (bid is None or ask is None or bid.px < ask.px)):
            out.append(Bbo(exchange_ns=msg.time * _MS, local_ns=local_ns, coin=msg.coin,
                           bid=None if bid is None else (bid.px, bid.sz, bid.n),
                           ask=None if ask is None else (ask.px, ask.sz, ask.n)))
        else:
            self._reject_bbo(msg, local_ns, out)

    def _reject_bbo(self, msg: WireBbo, local_ns: int, out: list[AnyEvent]) -> None:
        """Say which check `_on_bbo` failed (slow path only)."""
        if not self._time_ok(msg.time, local_ns, out, "bbo"):
            return
        bid, ask = msg.bbo
        for lv, name in ((bid, "bid"), (ask, "ask")):
            fault = None if lv is None else _level_fault(lv, f"{msg.coin} {name}")
            if fault is not None:
                self._reject(out, local_ns, fault[0], fault[1], "bbo")
                return
        px = (bid.px if bid else None, ask.px if ask else None)
        self._reject(out, local_ns, "crossed_bbo", f"{msg.coin}: bid {px[0]} >= ask {px[1]}",
                     "bbo")

    def _on_trades(self, data: msgspec.Raw, local_ns: int, out: list[AnyEvent]) -> None:
        by_coin: dict[str, list[Trade]] = {}
        for i, t in enumerate(self._items(self._trades, self._trade, data, local_ns, out,
                                          "trades")):
            trade = self._trade_event(t, i, local_ns, out)
            if trade is not None:
                by_coin.setdefault(t.coin, []).append(trade)
        for coin, trades in by_coin.items():
            latest = max(tr.exchange_ns for tr in trades)
            out.append(Trades(exchange_ns=latest, local_ns=local_ns, coin=coin,
                              trades=tuple(trades)))

    def _trade_event(self, t: WireTrade, i: int, local_ns: int,
                     out: list[AnyEvent]) -> Trade | None:
        # One cheap test for the good case; the descriptive checks run only on failure.
        if (t.side in _IS_BUY and self._lo_ms <= t.time <= self._hi_ms and 0.0 < t.px < _INF
                and 0.0 < t.sz < _INF and (self._known is None or t.coin in self._known)):
            return Trade(coin=t.coin, price=t.px, size=t.sz, is_buy=_IS_BUY[t.side],
                         exchange_ns=t.time * _MS, tid=t.tid, hash=t.hash)
        if (self._coin_ok(t.coin, local_ns, out, "trades")
                and self._side_ok(t.side, f"trade {i}", local_ns, out, "trades")
                and self._time_ok(t.time, local_ns, out, "trades")):
            self._reject(out, local_ns, "bad_value",
                         f"trade {i} ({t.coin}): px {t.px!r} / sz {t.sz!r} not positive finite",
                         "trades")
        return None

    def _on_asset_ctx(self, data: msgspec.Raw, local_ns: int, out: list[AnyEvent]) -> None:
        msg = self._typed(self._ctx, data, local_ns, out, "activeAssetCtx")
        if msg is None or not self._coin_ok(msg.coin, local_ns, out, "activeAssetCtx"):
            return
        ctx = msg.ctx
        if ctx.funding is None:
            self._reject(out, local_ns, "unsupported",
                         f"{msg.coin}: context has no funding (a spot asset?)",
                         "activeAssetCtx")
            return
        fault = _ctx_fault(ctx)
        if fault is not None:
            self._reject(out, local_ns, "bad_value", f"{msg.coin}: {fault}", "activeAssetCtx")
            return
        out.append(_asset_ctx_event(msg.coin, ctx, local_ns))

    def _on_spot_ctx(self, data: msgspec.Raw, local_ns: int, out: list[AnyEvent]) -> None:
        self._reject(out, local_ns, "unsupported", "spot asset contexts are not traded",
                     "activeSpotAssetCtx")

    # ------------------------------------------------------------ private

    def _on_order_updates(self, data: msgspec.Raw, local_ns: int,
                          out: list[AnyEvent]) -> None:
        for i, u in enumerate(self._items(self._orders, self._order, data, local_ns, out,
                                          "orderUpdates")):
            event = self._order_event(u, i, local_ns, out)
            if event is not None:
                out.append(event)

    def _order_event(self, u: WireOrderUpdate, i: int, local_ns: int,
                     out: list[AnyEvent]) -> OrderUpdate | None:
        o = u.order
        # Remaining size is 0 once an order is filled or cancelled: only it may be zero.
        hi = self._hi_ms
        if (o.side in _IS_BUY and 0 <= u.status_timestamp <= hi and 0 <= o.timestamp <= hi
                and 0.0 < o.limit_px < _INF and 0.0 <= o.sz < _INF and 0.0 < o.orig_sz < _INF
                and (self._known is None or o.coin in self._known)):
            return OrderUpdate(exchange_ns=u.status_timestamp * _MS, local_ns=local_ns,
                               coin=o.coin, is_buy=_IS_BUY[o.side], limit_px=o.limit_px,
                               size=o.sz, orig_size=o.orig_sz, oid=o.oid, cloid=o.cloid,
                               status=order_status(u.status), raw_status=u.status,
                               order_ns=o.timestamp * _MS)
        where = f"order update {i} (oid {o.oid})"
        if (self._coin_ok(o.coin, local_ns, out, "orderUpdates")
                and self._side_ok(o.side, where, local_ns, out, "orderUpdates")
                and self._time_ok(u.status_timestamp, local_ns, out, "orderUpdates", True)
                and self._time_ok(o.timestamp, local_ns, out, "orderUpdates", True)):
            self._reject(out, local_ns, "bad_value",
                         f"{where}: limitPx {o.limit_px!r}, sz {o.sz!r}, origSz "
                         f"{o.orig_sz!r} out of range", "orderUpdates")
        return None

    def _on_user_fills(self, data: msgspec.Raw, local_ns: int, out: list[AnyEvent]) -> None:
        msg = self._typed(self._user_fills, data, local_ns, out, "userFills")
        if msg is not None:
            self._emit_fills(msg.fills, msg.user, msg.is_snapshot, local_ns, out, "userFills")

    def _emit_fills(self, data: msgspec.Raw, user: str, is_snapshot: bool, local_ns: int,
                    out: list[AnyEvent], channel: str) -> None:
        fills: list[Fill] = []
        for i, f in enumerate(self._items(self._fills, self._fill, data, local_ns, out,
                                          channel)):
            fill = self._fill_event(f, i, local_ns, out, channel)
            if fill is not None:
                fills.append(fill)
        if fills or is_snapshot:
            # An empty snapshot is information (no recent fills); an empty update is not.
            latest = max((f.exchange_ns for f in fills), default=0)
            out.append(UserFills(exchange_ns=latest, local_ns=local_ns, user=user,
                                 is_snapshot=is_snapshot, fills=tuple(fills)))

    def _fill_event(self, f: WireFill, i: int, local_ns: int, out: list[AnyEvent],
                    channel: str) -> Fill | None:
        if (f.side in _IS_BUY and 0 <= f.time <= self._hi_ms and 0.0 < f.px < _INF
                and 0.0 < f.sz < _INF and -_INF < f.start_position < _INF
                and -_INF < f.closed_pnl < _INF and -_INF < f.fee < _INF
                and (self._known is None or f.coin in self._known)):
            return Fill(coin=f.coin, price=f.px, size=f.sz, is_buy=_IS_BUY[f.side],
                        exchange_ns=f.time * _MS, start_position=f.start_position,
                        direction=f.dir, closed_pnl=f.closed_pnl, hash=f.hash, oid=f.oid,
                        crossed=f.crossed, fee=f.fee, tid=f.tid, fee_token=f.fee_token,
                        cloid=f.cloid, liquidation=f.liquidation is not None)
        where = f"fill {i} (tid {f.tid})"
        if (self._coin_ok(f.coin, local_ns, out, channel)
                and self._side_ok(f.side, where, local_ns, out, channel)
                and self._time_ok(f.time, local_ns, out, channel, True)):
            self._reject(out, local_ns, "bad_value",
                         f"{where}: px {f.px!r}, sz {f.sz!r}, startPosition "
                         f"{f.start_position!r}, closedPnl {f.closed_pnl!r}, fee {f.fee!r}",
                         channel)
        return None

    def _on_user_event(self, data: msgspec.Raw, local_ns: int, out: list[AnyEvent]) -> None:
        msg = self._typed(self._user_event, data, local_ns, out, "user")
        if msg is None:
            return
        if msg.fills:
            self._emit_fills(msg.fills, "", False, local_ns, out, "user")
        elif msg.funding:
            self._on_funding(msg.funding, local_ns, out)
        elif msg.liquidation:
            self._on_liquidation(msg.liquidation, local_ns, out)
        elif msg.non_user_cancel:
            self._on_non_user_cancel(msg.non_user_cancel, local_ns, out)
        else:
            self._reject(out, local_ns, "unsupported",
                         "user event is none of fills, funding, liquidation, nonUserCancel",
                         "user")

    def _on_funding(self, data: msgspec.Raw, local_ns: int, out: list[AnyEvent]) -> None:
        f = self._typed(self._funding, data, local_ns, out, "user")
        if f is None or not self._time_ok(f.time, local_ns, out, "user", True):
            return
        if not (_finite(f.usdc) and _finite(f.szi) and _finite(f.funding_rate)):
            self._reject(out, local_ns, "bad_value",
                         f"funding {f.coin}: usdc {f.usdc!r}, szi {f.szi!r}, rate "
                         f"{f.funding_rate!r}", "user")
            return
        out.append(Funding(exchange_ns=f.time * _MS, local_ns=local_ns, coin=f.coin,
                           usdc=f.usdc, size=f.szi, funding_rate=f.funding_rate))

    def _on_liquidation(self, data: msgspec.Raw, local_ns: int, out: list[AnyEvent]) -> None:
        detail = self._typed(self._any, data, local_ns, out, "user")
        if not isinstance(detail, dict):
            self._reject(out, local_ns, "schema",
                         f"liquidation is {type(detail).__name__}, not an object", "user")
            return
        out.append(Liquidation(exchange_ns=0, local_ns=local_ns, detail=detail))

    def _on_non_user_cancel(self, data: msgspec.Raw, local_ns: int,
                            out: list[AnyEvent]) -> None:
        cancels = self._typed(self._cancels, data, local_ns, out, "user")
        if cancels:
            out.append(NonUserCancel(exchange_ns=0, local_ns=local_ns,
                                     cancels=tuple((c.coin, c.oid) for c in cancels)))

    # ------------------------------------------------------------ protocol

    def _on_post(self, data: msgspec.Raw, local_ns: int, out: list[AnyEvent]) -> None:
        msg = self._typed(self._post, data, local_ns, out, "post")
        if msg is not None:
            out.append(PostResponse(exchange_ns=0, local_ns=local_ns, request_id=msg.id,
                                    kind=msg.response.type, payload=msg.response.payload))

    def _on_subscription_ack(self, data: msgspec.Raw, local_ns: int,
                             out: list[AnyEvent]) -> None:
        msg = self._typed(self._ack, data, local_ns, out, "subscriptionResponse")
        if msg is not None:
            out.append(SubscriptionAck(exchange_ns=0, local_ns=local_ns, method=msg.method,
                                       subscription=msg.subscription))

    def _on_venue_error(self, data: msgspec.Raw, local_ns: int, out: list[AnyEvent]) -> None:
        text = self._any.decode(data)
        detail = text if isinstance(text, str) else _short(text)
        # An empty message is still a venue error; the log line must say so, not end blank.
        self._reject(out, local_ns, "venue_error",
                     detail if detail.strip() else f"empty error message {detail!r}", "error")


def _ctx_fault(ctx: WireAssetCtx) -> str | None:
    """Why a perp context is unusable, or None. Volume and open interest may be zero (a
    fresh listing), prices may not."""
    if not (_positive(ctx.mark_px) and _positive(ctx.oracle_px)):
        return f"markPx {ctx.mark_px!r} / oraclePx {ctx.oracle_px!r} not positive finite"
    if not (_finite(ctx.funding) and _non_negative(ctx.open_interest)
            and _non_negative(ctx.day_ntl_vlm) and _non_negative(ctx.prev_day_px)):
        return (f"funding {ctx.funding!r}, openInterest {ctx.open_interest!r}, dayNtlVlm "
                f"{ctx.day_ntl_vlm!r}, prevDayPx {ctx.prev_day_px!r} out of range")
    if not ((ctx.mid_px is None or _positive(ctx.mid_px))
            and (ctx.premium is None or _finite(ctx.premium))
            and (ctx.impact_pxs is None or all(_positive(p) for p in ctx.impact_pxs))):
        return (f"midPx {ctx.mid_px!r}, premium {ctx.premium!r}, impactPxs "
                f"{ctx.impact_pxs!r} out of range")
    return None


def _asset_ctx_event(coin: str, ctx: WireAssetCtx, local_ns: int) -> AssetCtx:
    """Build the event from a context `_ctx_fault` accepted (so the Nones are excluded)."""
    impact = ctx.impact_pxs
    return AssetCtx(exchange_ns=0, local_ns=local_ns, coin=coin, mark_px=ctx.mark_px,
                    mid_px=ctx.mid_px, oracle_px=ctx.oracle_px or 0.0,
                    funding=ctx.funding or 0.0, open_interest=ctx.open_interest or 0.0,
                    day_notional_volume=ctx.day_ntl_vlm or 0.0,
                    prev_day_px=ctx.prev_day_px or 0.0, premium=ctx.premium,
                    impact_bid=None if impact is None else impact[0],
                    impact_ask=None if impact is None else impact[1])


# ---------------------------------------------------------------- outgoing messages


class EncodeError(OurBugError, ValueError):
    """Our own code built a bad outgoing message: a bug on our side, so it raises."""


_encoder: Final = msgspec.json.Encoder()
_PING: Final = b'{"method":"ping"}'
_POST_KINDS: Final = frozenset({"info", "action"})


def _encode(message: dict[str, Any]) -> bytes:
    try:
        return _encoder.encode(message)
    except (TypeError, ValueError, OverflowError) as exc:
        raise EncodeError(f"message is not JSON-encodable: {exc}") from exc


def _check_subscription(subscription: Mapping[str, Any]) -> None:
    kind = subscription.get("type") if isinstance(subscription, Mapping) else None
    if not isinstance(kind, str) or not kind:
        raise EncodeError(f"subscription needs a non-empty string 'type': {subscription!r}")


def subscribe_message(subscription: Mapping[str, Any]) -> bytes:
    """`{"method":"subscribe","subscription":{...}}` as bytes."""
    _check_subscription(subscription)
    return _encode({"method": "subscribe", "subscription": dict(subscription)})


def unsubscribe_message(subscription: Mapping[str, Any]) -> bytes:
    """The same subscription object the subscribe used, with method `unsubscribe`."""
    _check_subscription(subscription)
    return _encode({"method": "unsubscribe", "subscription": dict(subscription)})


def ping_message() -> bytes:
    """Heartbeat: the venue answers on channel `pong` and closes after 60 s of silence."""
    return _PING


def post_message(request_id: int, kind: str, payload: Mapping[str, Any]) -> bytes:
    """A WebSocket `post`: kind "info" (an /info body) or "action" (a signed /exchange
    body). The payload's key order is kept, which a signed action depends on."""
    if isinstance(request_id, bool) or not isinstance(request_id, int) or request_id < 0:
        raise EncodeError(f"post request id must be a non-negative int, got {request_id!r}")
    if kind not in _POST_KINDS:
        raise EncodeError(f"post kind must be 'info' or 'action', got {kind!r}")
    if not isinstance(payload, Mapping):
        raise EncodeError(f"post payload must be a mapping, got {type(payload).__name__}")
    return _encode({"method": "post", "id": request_id,
                    "request": {"type": kind, "payload": dict(payload)}})
