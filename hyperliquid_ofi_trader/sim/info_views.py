"""`/info` answers of the emulated venue, shaped as the venue's (the fields the official
SDK and our gateway read). Addresses are matched lowercase; an address the venue has never
seen gets the empty answers the venue gives (no positions, no orders, no fills).

Lists: `userFills` is newest first, at most 2000; `userFillsByTime` is oldest first in
[startTime, endTime], at most 2000 (paginate by startTime). Numbers are decimal strings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hyperliquid_ofi_trader.sim import requests as rq
from hyperliquid_ofi_trader.sim.accounts import Account, num
from hyperliquid_ofi_trader.sim.pushes import frontend_order_wire, order_wire

if TYPE_CHECKING:
    from hyperliquid_ofi_trader.sim.venue import SimVenue

MAX_FILLS_ANSWER = 2000


def _user(body: dict[str, Any]) -> str:
    user = body.get("user")
    if not isinstance(user, str) or not user.startswith("0x"):
        raise rq.BadRequestError("user must be an address")
    return user.lower()


def _coin(body: dict[str, Any], venue: SimVenue) -> str:
    coin = body.get("coin")
    if not isinstance(coin, str) or coin not in venue.books:
        raise rq.BadRequestError("unknown coin")
    return coin


class InfoViews:
    """Read-only views over a `SimVenue`'s state, one method per info type."""

    __slots__ = ("_handlers", "_v")

    def __init__(self, venue: SimVenue) -> None:
        self._v = venue
        self._handlers: dict[str, Callable[[dict[str, Any], int], Any]] = {
            "meta": lambda b, t: venue.meta(),
            "spotMeta": lambda b, t: {"universe": [], "tokens": []},
            "metaAndAssetCtxs": lambda b, t: [venue.meta(), self._ctxs()],
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
        coin = _coin(body, self._v)
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
        out = []
        for o in self._orders_of(_user(body)):
            wire = order_wire(o)
            wire["reduceOnly"] = o.reduce_only
            out.append(wire)
        return out

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
                "leverage": {"type": "cross" if acc.is_cross.get(coin, True) else "isolated",
                             "value": lev},
                "maxLeverage": self._v.instruments[self._v.asset_of[coin]].max_leverage,
                "cumFunding": {"allTime": num(pos.cum_funding), "sinceOpen": "0",
                               "sinceChange": "0"},
            }})
        return out

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
