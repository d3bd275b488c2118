"""Account and market queries on Hyperliquid's `/info` endpoint, parsed into domain types.

Transport: REST (`POST {base_url}/info`) by default; when a `PostChannel` is given, queries
go over the WebSocket `post` first and fall back to REST when the socket is down, saturated
or loses the answer (an info query is idempotent, so asking again is always safe).

Every account query takes the ACCOUNT address (`user`). When an API wallet signs for an
account, the signer's address is NOT the account: asking with it returns empty results
that look like "no orders, no positions" (HYPERLIQUID.md section 2). The gateway passes its
separate `account_address` setting, never the signer's address.

Errors are split by what the caller can do:
- `InfoTransportError`  network failure, timeout, HTTP 5xx: ask again later;
- `InfoRateLimitedError` HTTP 429: the IP budget is spent; ask again later;
- `InfoRequestError`    HTTP 4xx with a text: the query itself is wrong (our bug);
- `InfoParseError`      the answer has the wrong shape: never half-trust it, resync later.
A partially readable answer is refused whole: a reconciliation that silently dropped an
open order would make the order manager forget a live order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import aiohttp
import msgspec

from hyperliquid_ofi_trader.core.clock import Clock
from hyperliquid_ofi_trader.core.events import (
    BookSnapshot,
    Fill,
    Level,
    OpenOrder,
    OrderStatusReport,
    PositionSnapshot,
)
from hyperliquid_ofi_trader.errors import (
    OurBugError,
    TraderError,
    TransientError,
    VenueGarbageError,
)
from hyperliquid_ofi_trader.venues.hyperliquid.common.errors import (
    IpRateLimited,
    classify_post_error,
)
from hyperliquid_ofi_trader.venues.hyperliquid.common.messages import WireFill
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import (
    RateLimiter,
    RequestKind,
    info_weight,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.post import (
    PostChannel,
    PostError,
    PostRejectedError,
)

T = TypeVar("T")

_MS: Final = 1_000_000
_INF: Final = float("inf")
_IS_BUY: Final = {"B": True, "A": False}
_HEX: Final = frozenset("0123456789abcdef")
_ERROR_TEXT_MAX: Final = 300
_HTTP_OK: Final = 200
_HTTP_TOO_MANY: Final = 429
_HTTP_SERVER_ERROR: Final = 500


class InfoError(TraderError):
    """Base of every `InfoClient` failure."""


class InfoTransportError(InfoError, TransientError):
    """Network failure, timeout or server error: transient."""


class InfoRateLimitedError(InfoTransportError):
    """HTTP 429 (IP weight spent)."""


class InfoRequestError(InfoError, OurBugError):
    """The venue refused the query as malformed (4xx): our bug."""


class InfoParseError(InfoError, VenueGarbageError):
    """The answer is not the shape we know: resync later, never half-trust it."""


# ------------------------------------------------------------------ wire shapes
# Decoded with strict=False, so the venue's decimal strings become floats in C.


class _WOpenOrder(msgspec.Struct, gc=False, rename="camel"):
    coin: str
    side: str
    limit_px: float
    sz: float
    oid: int
    timestamp: int
    orig_sz: float | None = None
    cloid: str | None = None


class _WPosition(msgspec.Struct, gc=False, rename="camel"):
    coin: str
    szi: float
    entry_px: float | None = None
    unrealized_pnl: float = 0.0
    margin_used: float = 0.0


class _WAssetPosition(msgspec.Struct, gc=False):
    position: _WPosition


class _WMarginSummary(msgspec.Struct, gc=False, rename="camel"):
    account_value: float


class _WClearinghouse(msgspec.Struct, gc=False, rename="camel"):
    asset_positions: list[_WAssetPosition]
    margin_summary: _WMarginSummary
    withdrawable: float = 0.0
    time: int = 0


class _WStatusOrder(msgspec.Struct, gc=False, rename="camel"):
    order: _WOpenOrder
    status: str
    status_timestamp: int = 0


class _WOrderStatus(msgspec.Struct, gc=False):
    status: str
    order: _WStatusOrder | None = None


class _WRateLimit(msgspec.Struct, gc=False, rename="camel"):
    cum_vlm: float
    n_requests_used: int
    n_requests_cap: int


class _WLevel(msgspec.Struct, gc=False):
    px: float
    sz: float
    n: int


class _WBook(msgspec.Struct, gc=False):
    coin: str
    time: int
    levels: tuple[list[_WLevel], list[_WLevel]]


# ------------------------------------------------------------------ domain results


@dataclass(frozen=True, slots=True)
class ClearinghouseState:
    positions: tuple[PositionSnapshot, ...]
    account_value: float
    withdrawable: float
    time_ms: int


@dataclass(frozen=True, slots=True)
class UserRateLimit:
    cum_volume: float
    requests_used: int
    requests_cap: int


def check_address(address: str) -> str:
    """`address` lowercased, or `ValueError` unless it is 0x + 40 hex digits."""
    text = address.lower() if isinstance(address, str) else ""
    if len(text) != 42 or not text.startswith("0x") or not _HEX.issuperset(text[2:]):
        raise ValueError(f"not an account address (0x + 40 hex digits): {address!r}")
    return text


def _convert(data: Any, kind: type[T], what: str) -> T:
    try:
        return msgspec.convert(data, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise InfoParseError(f"{what}: unexpected answer ({exc}): {_clip(data)}") from None


def _clip(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _ERROR_TEXT_MAX else text[:_ERROR_TEXT_MAX] + "..."


def _side(side: str, what: str) -> bool:
    is_buy = _IS_BUY.get(side)
    if is_buy is None:
        raise InfoParseError(f"{what}: side {side!r} is neither 'B' nor 'A'")
    return is_buy


def _finite(what: str, *values: float) -> None:
    # strict=False decoding accepts "nan"/"inf" texts: garbage must not pass as a number.
    for v in values:
        if not -_INF < v < _INF:
            raise InfoParseError(f"{what}: non-finite number in answer")


def _open_order(w: _WOpenOrder, what: str) -> OpenOrder:
    _finite(what, w.limit_px, w.sz, w.sz if w.orig_sz is None else w.orig_sz)
    return OpenOrder(coin=w.coin, is_buy=_side(w.side, what), limit_px=w.limit_px,
                     size=w.sz, orig_size=w.sz if w.orig_sz is None else w.orig_sz,
                     oid=w.oid, cloid=w.cloid, timestamp_ns=w.timestamp * _MS)


def _fill(w: WireFill) -> Fill:
    _finite("fill", w.px, w.sz, w.start_position, w.closed_pnl, w.fee)
    return Fill(coin=w.coin, price=w.px, size=w.sz, is_buy=_side(w.side, "fill"),
                exchange_ns=w.time * _MS, start_position=w.start_position,
                direction=w.dir, closed_pnl=w.closed_pnl, hash=w.hash, oid=w.oid,
                crossed=w.crossed, fee=w.fee, tid=w.tid, fee_token=w.fee_token,
                cloid=w.cloid, liquidation=w.liquidation is not None)


def _position(w: _WPosition) -> PositionSnapshot:
    _finite("position", w.szi, w.unrealized_pnl, w.margin_used)
    return PositionSnapshot(coin=w.coin, size=w.szi,
                            entry_px=0.0 if w.entry_px is None else w.entry_px,
                            unrealized_pnl=w.unrealized_pnl, margin_used=w.margin_used)


def _levels(levels: list[_WLevel]) -> tuple[Level, ...]:
    return tuple((lv.px, lv.sz, lv.n) for lv in levels)


def parse_open_orders(data: Any) -> tuple[OpenOrder, ...]:
    rows = _convert(data, list[_WOpenOrder], "openOrders")
    return tuple(_open_order(w, "openOrders") for w in rows)


def parse_fills(data: Any) -> tuple[Fill, ...]:
    return tuple(_fill(w) for w in _convert(data, list[WireFill], "userFills"))


def parse_clearinghouse(data: Any) -> ClearinghouseState:
    w = _convert(data, _WClearinghouse, "clearinghouseState")
    # The venue lists flat positions as size 0 on occasion: they are not positions.
    positions = tuple(_position(a.position) for a in w.asset_positions if a.position.szi)
    _finite("clearinghouseState", w.margin_summary.account_value, w.withdrawable)
    return ClearinghouseState(positions=positions, account_value=w.margin_summary.account_value,
                              withdrawable=w.withdrawable, time_ms=w.time)


def parse_order_status(data: Any, query: int | str, local_ns: int) -> OrderStatusReport:
    w = _convert(data, _WOrderStatus, "orderStatus")
    cloid = query if isinstance(query, str) else None
    oid = query if isinstance(query, int) else None
    if w.order is None:  # "unknownOid": the venue has never seen it
        return OrderStatusReport(exchange_ns=0, local_ns=local_ns, cloid=cloid, oid=oid,
                                 status=w.status, coin="", is_buy=False, limit_px=0.0,
                                 size=0.0, orig_size=0.0)
    o = _open_order(w.order.order, "orderStatus")
    return OrderStatusReport(exchange_ns=w.order.status_timestamp * _MS, local_ns=local_ns,
                             cloid=o.cloid or cloid, oid=o.oid, status=w.order.status,
                             coin=o.coin, is_buy=o.is_buy, limit_px=o.limit_px, size=o.size,
                             orig_size=o.orig_size)


def parse_book(data: Any, local_ns: int) -> BookSnapshot:
    w = _convert(data, _WBook, "l2Book")
    return BookSnapshot(exchange_ns=w.time * _MS, local_ns=local_ns, coin=w.coin,
                        bids=_levels(w.levels[0]), asks=_levels(w.levels[1]))


@dataclass(slots=True)
class InfoClientStats:
    rest: int = 0
    post: int = 0
    post_fallbacks: int = 0  # post failed, REST answered instead
    failed: int = 0


class InfoClient:
    """Typed `/info` queries. Not thread-safe; one per event loop."""

    __slots__ = ("_clock", "_limiter", "_post", "_session", "_timeout", "_timeout_s",
                 "_url", "stats")

    def __init__(self, base_url: str, session: aiohttp.ClientSession, *, clock: Clock,
                 timeout_s: float, post: PostChannel | None = None,
                 limiter: RateLimiter | None = None) -> None:
        """`timeout_s`: risk.yaml `execution.rest_timeout_s` (the gateway's HTTP timeout)."""
        self._url = base_url.rstrip("/") + "/info"
        self._session = session
        self._clock = clock
        self._post = post
        self._limiter = limiter
        self._timeout_s = timeout_s
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.stats = InfoClientStats()

    @property
    def clock(self) -> Clock:
        return self._clock

    # ------------------------------------------------------------ typed queries

    async def meta(self) -> Any:
        """The perp universe (feed it to `AssetRegistry.from_meta`)."""
        return await self.query({"type": "meta"})

    async def clearinghouse_state(self, user: str) -> ClearinghouseState:
        data = await self.query({"type": "clearinghouseState", "user": check_address(user)})
        return parse_clearinghouse(data)

    async def open_orders(self, user: str) -> tuple[OpenOrder, ...]:
        return parse_open_orders(await self.query({"type": "openOrders",
                                                   "user": check_address(user)}))

    async def frontend_open_orders(self, user: str) -> tuple[OpenOrder, ...]:
        """Like `open_orders`, with `origSz` (so partial fills are visible)."""
        return parse_open_orders(await self.query({"type": "frontendOpenOrders",
                                                   "user": check_address(user)}))

    async def user_fills(self, user: str) -> tuple[Fill, ...]:
        """The venue's most recent fills (up to 2000), newest first."""
        return parse_fills(await self.query({"type": "userFills", "user": check_address(user)}))

    async def order_status(self, user: str, oid_or_cloid: int | str) -> OrderStatusReport:
        data = await self.query({"type": "orderStatus", "user": check_address(user),
                                 "oid": oid_or_cloid})
        return parse_order_status(data, oid_or_cloid, self._clock.now_ns())

    async def user_rate_limit(self, user: str) -> UserRateLimit:
        w = _convert(await self.query({"type": "userRateLimit", "user": check_address(user)}),
                     _WRateLimit, "userRateLimit")
        return UserRateLimit(cum_volume=w.cum_vlm, requests_used=w.n_requests_used,
                             requests_cap=w.n_requests_cap)

    async def l2_book(self, coin: str) -> BookSnapshot:
        return parse_book(await self.query({"type": "l2Book", "coin": coin}),
                          self._clock.now_ns())

    # ------------------------------------------------------------ transport

    async def query(self, body: Mapping[str, Any]) -> Any:
        """One `/info` request, within the IP budget; the venue's JSON answer."""
        await self._acquire(info_weight(str(body.get("type", ""))))
        post = self._post
        if post is not None and not post.saturated:
            try:
                result = await post.request("info", body, self._timeout_s)
            except PostRejectedError as exc:
                if classify_post_error(exc.payload)[1] is IpRateLimited:
                    # "429 Too Many Requests": asking again over REST now would only be
                    # refused too; back the shared budget off and report it.
                    if self._limiter is not None:
                        self._limiter.note_refusal(ip=True, now_ns=self._clock.now_ns())
                    raise InfoRateLimitedError(f"info {body.get('type')}: {exc}") from exc
                self.stats.post_fallbacks += 1  # idempotent: asking again over REST is safe
            except PostError:
                self.stats.post_fallbacks += 1  # idempotent: asking again over REST is safe
            else:
                self.stats.post += 1
                return _post_data(result, body)
        return await self._rest(body)

    async def _acquire(self, weight: int) -> None:
        limiter = self._limiter
        if limiter is None:
            return
        while wait := limiter.try_acquire(RequestKind.INFO, weight, self._clock.now_ns()):
            await asyncio.sleep(wait / 1e9)

    async def _rest(self, body: Mapping[str, Any]) -> Any:
        self.stats.rest += 1
        try:
            async with self._session.post(self._url, json=body, timeout=self._timeout) as resp:
                text = await resp.text()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            self.stats.failed += 1
            raise InfoTransportError(f"/info {body.get('type')}: {exc!r}") from exc
        return self._answer(status, text, body)

    def _answer(self, status: int, text: str, body: Mapping[str, Any]) -> Any:
        what = f"/info {body.get('type')}"
        if status != _HTTP_OK:
            self.stats.failed += 1
            raise _http_error(status, f"{what}: HTTP {status}: {text[:_ERROR_TEXT_MAX]}")
        try:
            return msgspec.json.decode(text)
        except msgspec.DecodeError:
            self.stats.failed += 1
            raise InfoParseError(f"{what}: answer is not JSON: {text[:_ERROR_TEXT_MAX]}") \
                from None


def _post_data(result: Any, body: Mapping[str, Any]) -> Any:
    # A post answer wraps the /info answer: {"type": <info type>, "data": <answer>}.
    if isinstance(result, dict) and "data" in result:
        return result["data"]
    raise InfoParseError(f"post /info {body.get('type')}: answer without data: "
                         f"{_clip(result)}")


def _http_error(status: int, message: str) -> InfoError:
    if status == _HTTP_TOO_MANY:
        return InfoRateLimitedError(message)
    if status >= _HTTP_SERVER_ERROR:
        return InfoTransportError(message)
    return InfoRequestError(message)
