"""`/info` answers of the emulated venue, shaped as the venue's (the fields the official
SDK and our gateway read). Addresses are matched lowercase; an address the venue has never
seen gets the empty answers the venue gives (no positions, no orders, no fills).

Lists: `userFills` is newest first, at most 2000; `userFillsByTime` is oldest first in
[startTime, endTime], at most 2000 (paginate by startTime); `historicalOrders` newest first,
at most 2000. Numbers are decimal strings.

Shapes follow the venue as the TypeScript SDK `@nktkas/hyperliquid` types it (its types are
tested against the live venue) and as ccxt reads it: `l2Book` of a coin that does not
exist is `null` (not an error); `openOrders` carries `reduceOnly: true` only on reduce-only
orders; an isolated position's leverage has `rawUsd`; the spot side is a USDC-only spot
universe with no pairs, and `perpDexs` lists only the main dex (`null`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hyperliquid_ofi_trader.sim import requests as rq
from hyperliquid_ofi_trader.sim.accounts import Account, Position, num
from hyperliquid_ofi_trader.sim.candles import is_interval
from hyperliquid_ofi_trader.sim.fee_view import DAY_MS, DAYS_SHOWN, user_fees
from hyperliquid_ofi_trader.sim.pushes import frontend_order_wire, order_wire
from hyperliquid_ofi_trader.sim.venue_state import VenueState

MAX_FILLS_ANSWER = 2000
MAX_ORDERS_ANSWER = 2000
# the spot token every account's perp collateral is (index 0 on the venue)
USDC_TOKEN: dict[str, Any] = {
    "name": "USDC", "szDecimals": 8, "weiDecimals": 8, "index": 0,
    "tokenId": "0x6d1e7cde53ba9467b783cb7c530ce054", "isCanonical": True,
    "evmContract": None, "fullName": None, "deployerTradingFeeShare": "0.0",
}


def spot_meta() -> dict[str, Any]:
    return {"universe": [], "tokens": [dict(USDC_TOKEN)]}


def _user(body: dict[str, Any]) -> str:
    user = body.get("user")
    if not isinstance(user, str) or not user.startswith("0x"):
        raise rq.BadRequestError("user must be an address")
    return user.lower()


class InfoViews:
    """Read-only views over a `SimVenue`'s state, one method per info type."""

    __slots__ = ("_handlers", "_v")

    def __init__(self, venue: VenueState) -> None:
        self._v = venue
        self._handlers: dict[str, Callable[[dict[str, Any], int], Any]] = {
            "meta": lambda b, t: venue.meta(),
            "spotMeta": lambda b, t: spot_meta(),
            "spotMetaAndAssetCtxs": lambda b, t: [spot_meta(), []],
            "perpDexs": lambda b, t: [None],
            "metaAndAssetCtxs": lambda b, t: [venue.meta(), self._ctxs()],
            "spotClearinghouseState": self._spot_clearinghouse,
            "userFees": self._user_fees, "historicalOrders": self._historical_orders,
            "candleSnapshot": self._candle_snapshot,
            "l2Book": self._l2_book, "allMids": self._all_mids,
            "openOrders": self._open_orders, "frontendOpenOrders": self._frontend_orders,
            "clearinghouseState": self._clearinghouse, "userFills": self._user_fills,
            "userFillsByTime": self._user_fills_by_time, "orderStatus": self._order_status,
            "userRateLimit": self._user_rate_limit,
        }

    def knows(self, kind: str) -> bool:
        return kind in self._handlers

    def answer(self, kind: str, body: dict[str, Any], now_ms: int) -> Any:
        return self._handlers[kind](body, now_ms)

    # ------------------------------------------------------------ market

    def _ctxs(self) -> list[dict[str, Any]]:
        return [self._ctx(inst.name) for inst in self._v.instruments]

    def _ctx(self, coin: str) -> dict[str, Any]:
        v = self._v
        ctx = v.ctx.get(coin)
        mark = v.mark(coin) or 0.0
        mid = v.mid(coin)
        out: dict[str, Any] = {
            "funding": num(ctx.funding if ctx else 0.0),
            "openInterest": num(ctx.open_interest if ctx else 0.0),
            "prevDayPx": num(ctx.prev_day_px if ctx else mark),
            "dayNtlVlm": num(ctx.day_notional_volume if ctx else 0.0),
            "premium": num(ctx.premium) if ctx and ctx.premium is not None else None,
            "oraclePx": num(ctx.oracle_px if ctx else mark), "markPx": num(mark),
            "midPx": num(mid) if mid is not None else None,
            "impactPxs": None, "dayBaseVlm": "0",
        }
        if ctx and ctx.impact_bid is not None and ctx.impact_ask is not None:
            out["impactPxs"] = [num(ctx.impact_bid), num(ctx.impact_ask)]
        return out

    def _l2_book(self, body: dict[str, Any], now_ms: int) -> Any:
        coin = body.get("coin")
        if not isinstance(coin, str):
            raise rq.BadRequestError("coin must be a string")
        if coin not in self._v.books:
            return None  # the venue's answer for a market that does not exist
        bids, asks = self._v.book_levels(coin, 20)
        return {"coin": coin, "time": now_ms, "levels": [bids, asks]}

    def _all_mids(self, body: dict[str, Any], now_ms: int) -> Any:
        out = {}
        for coin in self._v.books:
            mid = self._v.mid(coin)
            if mid is not None:
                out[coin] = num(mid)
        return out

    # ------------------------------------------------------------ account

    def _orders_of(self, user: str) -> list[Any]:
        return self._v.user_orders(user)[::-1]  # newest first

    def _open_orders(self, body: dict[str, Any], now_ms: int) -> Any:
        return [order_wire(o) for o in self._orders_of(_user(body))]

    def _frontend_orders(self, body: dict[str, Any], now_ms: int) -> Any:
        return [frontend_order_wire(o) for o in self._orders_of(_user(body))]

    def _clearinghouse(self, body: dict[str, Any], now_ms: int) -> Any:
        acc = self._v.account(_user(body))
        if acc is None:
            acc = Account(_user(body), 0.0, 1)
        marks = self._v.marks()
        summary = self._margin_summary(acc, marks)
        free = self._v.entry.free_margin(acc) if acc.address in self._v.accounts \
            else 0.0
        return {
            "marginSummary": summary, "crossMarginSummary": summary,
            "crossMaintenanceMarginUsed": num(float(summary["totalMarginUsed"]) / 2),
            "withdrawable": num(max(0.0, free)),
            "assetPositions": self._positions(acc, marks), "time": now_ms,
        }

    def _margin_summary(self, acc: Account, marks: dict[str, float]) -> dict[str, str]:
        value = acc.account_value(marks)
        raw = value - sum(p.szi * marks.get(c, p.entry_px) for c, p in acc.positions.items())
        return {"accountValue": num(value, 6), "totalNtlPos": num(acc.notional(marks), 6),
                "totalRawUsd": num(raw, 6),
                "totalMarginUsed": num(self._v.entry.position_margin(acc, marks), 6)}

    def _positions(self, acc: Account, marks: dict[str, float]) -> list[dict[str, Any]]:
        out = []
        for coin, pos in acc.positions.items():
            if pos.szi == 0.0:
                continue
            mark = marks.get(coin, pos.entry_px)
            lev = self._v.leverage_of(acc, coin)
            margin = abs(pos.szi) * mark / lev
            upnl = pos.unrealized(mark)
            out.append({"type": "oneWay", "position": {
                "coin": coin, "szi": num(pos.szi), "entryPx": num(pos.entry_px),
                "positionValue": num(abs(pos.szi) * mark, 6), "unrealizedPnl": num(upnl, 6),
                "returnOnEquity": num(upnl / margin if margin else 0.0, 6),
                "liquidationPx": None, "marginUsed": num(margin, 6),
                "leverage": _leverage(acc.is_cross.get(coin, True), lev, pos),
                "maxLeverage": self._v.instruments[self._v.asset_of[coin]].max_leverage,
                "cumFunding": {"allTime": num(pos.cum_funding), "sinceOpen": "0",
                               "sinceChange": "0"},
            }})
        return out

    def _spot_clearinghouse(self, body: dict[str, Any], now_ms: int) -> Any:
        _user(body)
        return {"balances": []}  # perp collateral is not a spot balance; no spot emulated

    def _user_fees(self, body: dict[str, Any], now_ms: int) -> Any:
        v = self._v
        since = (now_ms // DAY_MS - DAYS_SHOWN + 1) * DAY_MS
        return user_fees(v.account(_user(body)), v.candles.daily_notional(since, DAY_MS),
                         v.settings.taker_fee, v.settings.maker_fee, now_ms)

    def _historical_orders(self, body: dict[str, Any], now_ms: int) -> Any:
        user, out = _user(body), []
        for rec in reversed(self._v.records.values()):
            if rec.order.user == user:
                out.append({"order": frontend_order_wire(rec.order), "status": rec.status,
                            "statusTimestamp": rec.status_ms})
                if len(out) == MAX_ORDERS_ANSWER:
                    break
        return out

    def _candle_snapshot(self, body: dict[str, Any], now_ms: int) -> Any:
        coin, interval, start, end = _candle_request(body.get("req"))
        return self._v.candles.snapshot(coin, interval, start,
                                        end if end is not None else now_ms)

    def _user_fills(self, body: dict[str, Any], now_ms: int) -> Any:
        acc = self._v.account(_user(body))
        if acc is None:
            return []
        fills = list(acc.fills)[-MAX_FILLS_ANSWER:]
        fills.reverse()
        return fills

    def _user_fills_by_time(self, body: dict[str, Any], now_ms: int) -> Any:
        acc = self._v.account(_user(body))
        start, end = body.get("startTime"), body.get("endTime")
        if not isinstance(start, int) or (end is not None and not isinstance(end, int)):
            raise rq.BadRequestError("startTime/endTime must be integers")
        if acc is None:
            return []
        stop = end if end is not None else now_ms
        return [f for f in acc.fills if start <= f["time"] <= stop][:MAX_FILLS_ANSWER]

    def _order_status(self, body: dict[str, Any], now_ms: int) -> Any:
        user, ident = _user(body), body.get("oid")
        v = self._v
        if isinstance(ident, str):
            oid = v.cloid_records.get((user, rq.cloid(ident)))
        elif isinstance(ident, int) and not isinstance(ident, bool):
            oid = ident
        else:
            raise rq.BadRequestError("oid must be an integer or a cloid")
        rec = v.records.get(oid) if oid is not None else None
        if rec is None or rec.order.user != user:
            return {"status": "unknownOid"}
        return {"status": "order", "order": {"order": frontend_order_wire(rec.order),
                                             "status": rec.status,
                                             "statusTimestamp": rec.status_ms}}

    def _user_rate_limit(self, body: dict[str, Any], now_ms: int) -> Any:
        user = _user(body)
        acc = self._v.account(user)
        volume = acc.cum_volume if acc else 0.0
        return {"cumVlm": num(volume, 2), "nRequestsUsed": self._v.addr_limits.used(user),
                "nRequestsCap": self._v.addr_limits.cap(volume), "nRequestsSurplus": 0}


def _ms(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _candle_request(req: Any) -> tuple[str, str, int, int | None]:
    """(coin, interval, startTime, endTime or None) of a candleSnapshot `req`."""
    if not isinstance(req, dict):
        raise rq.BadRequestError("req must be an object")
    coin, interval = req.get("coin"), req.get("interval")
    start, end = req.get("startTime"), req.get("endTime")
    if not isinstance(coin, str) or not isinstance(interval, str) or not is_interval(
            interval) or not isinstance(start, int) or not _ms(start):
        raise rq.BadRequestError("candleSnapshot needs coin, interval, startTime")
    if end is not None and not (isinstance(end, int) and _ms(end)):
        raise rq.BadRequestError("endTime must be a time in ms")
    return coin, interval, start, end


def _leverage(is_cross: bool, lev: int, pos: Position) -> dict[str, Any]:
    if is_cross:
        return {"type": "cross", "value": lev}
    # rawUsd: the isolated margin's USD balance net of the position's cost (negative for a
    # long), so rawUsd + szi * mark is the isolated account's value, as on the venue
    margin = abs(pos.szi) * pos.entry_px / lev
    return {"type": "isolated", "value": lev, "rawUsd": num(margin - pos.szi * pos.entry_px, 6)}
