"""Order entry of the emulated venue: per-order checks, execution, cancels, settlement.

Per-order checks in the venue's order (each failure is that order's `{"error": text}`
status; the other orders of the action still run): asset, price > 0, tick (5 significant
figures and 6 - szDecimals decimals), lot (szDecimals), $10 minimum value, duplicate live
cloid, reduce-only direction (size clamped to the position), post-only would match
(text carries the bbo), open-order cap, initial margin (notional / leverage of the part
that increases the position, against account value minus margin already in use).

Settlement turns a `Match` into fills for each emulated side (taker fee if it crossed,
maker fee otherwise; negative maker fee = rebate), order status changes, and one public
print unless the external feed already printed that volume.
"""

from __future__ import annotations

from typing import Any

from hyperliquid_ofi_trader.sim import texts
from hyperliquid_ofi_trader.sim.accounts import Account, num
from hyperliquid_ofi_trader.sim.matching import ASK, BID, Match, SimOrder
from hyperliquid_ofi_trader.sim.pushes import side_text
from hyperliquid_ofi_trader.sim.requests import OrderReq
from hyperliquid_ofi_trader.sim.venue_state import VenueState
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import is_valid_price

_EPS = 1e-9


class OrderEntry:
    """Places, cancels, modifies and settles orders on behalf of `SimVenue`."""

    __slots__ = ("_v",)

    def __init__(self, venue: VenueState) -> None:
        self._v = venue

    # ------------------------------------------------------------ place

    def place(self, acc: Account, req: OrderReq, now_ms: int, hash_: str,
              replacing: SimOrder | None = None) -> Any:
        checked = self._check(acc, req, replacing)
        if isinstance(checked, str):
            return {"error": checked}
        return self._execute(acc, req, checked, now_ms, hash_)

    def _check(self, acc: Account, req: OrderReq, replacing: SimOrder | None) -> float | str:
        v = self._v
        if not 0 <= req.asset < len(v.instruments):
            return texts.unknown_asset(req.asset)
        if req.tif == "trigger":
            return texts.trigger_unsupported(req.asset)
        inst = v.instruments[req.asset]
        static = _static_error(req, inst.sz_decimals, v.settings.min_order_value)
        if static is not None:
            return static
        if req.cloid is not None:
            live = v.by_cloid.get((acc.address, req.cloid))
            if live is not None and live is not replacing:
                return texts.duplicate_cloid(req.asset)
        return self._check_state(acc, req, inst.name, replacing)

    def _check_state(self, acc: Account, req: OrderReq, coin: str,
                     replacing: SimOrder | None) -> float | str:
        px, sz = float(req.px), float(req.sz)
        pos = acc.szi(coin)
        if req.reduce_only:
            if pos == 0.0 or (pos > 0) == req.is_buy:
                return texts.reduce_only(req.asset)
            sz = min(sz, abs(pos))
        book = self._v.books[coin]
        if req.tif == "Alo" and book.would_cross(req.is_buy, px):
            return texts.post_only(_px_text(book.best_px(BID)), _px_text(book.best_px(ASK)),
                                   req.asset)
        if req.tif != "Ioc" and self._open_count(acc, replacing) >= \
                self._v.settings.max_open_orders:
            return texts.too_many_open_orders(req.asset)
        if not req.reduce_only and not self._margin_ok(acc, coin, req.is_buy, px, sz, replacing):
            return texts.margin(req.asset)
        return sz

    def _open_count(self, acc: Account, replacing: SimOrder | None) -> int:
        return self._v.user_order_count(acc.address) - (replacing is not None)

    def _margin_ok(self, acc: Account, coin: str, is_buy: bool, px: float, sz: float,
                   replacing: SimOrder | None) -> bool:
        pos = acc.szi(coin)
        increasing = sz if pos == 0.0 or (pos > 0) == is_buy else max(0.0, sz - abs(pos))
        needed = increasing * px / self._v.leverage_of(acc, coin)
        return needed <= self.free_margin(acc, replacing) + _EPS

    def free_margin(self, acc: Account, replacing: SimOrder | None = None) -> float:
        """Account value minus the initial margin of positions and open orders."""
        marks = self._v.marks()
        used = self.position_margin(acc, marks)
        for coin, notional in acc.open_notional.items():
            used += notional / self._v.leverage_of(acc, coin)
        if replacing is not None and not replacing.reduce_only:
            used -= replacing.px * replacing.sz / self._v.leverage_of(acc, replacing.coin)
        return acc.account_value(marks) - used

    def position_margin(self, acc: Account, marks: dict[str, float]) -> float:
        return sum(acc.position_margin(c, marks.get(c, p.entry_px), self._v.leverage_of(acc, c))
                   for c, p in acc.positions.items())

    def _execute(self, acc: Account, req: OrderReq, sz: float, now_ms: int, hash_: str) -> Any:
        v = self._v
        inst = v.instruments[req.asset]
        order = SimOrder(oid=v.new_oid(), cloid=req.cloid, user=acc.address, coin=inst.name,
                         asset=req.asset, is_buy=req.is_buy, px=float(req.px), sz=sz,
                         timestamp_ms=now_ms, reduce_only=req.reduce_only, tif=req.tif)
        book = v.books[inst.name]
        notional = 0.0
        if req.tif != "Alo":
            matches, self_cancels = book.take(order)
            for victim in self_cancels:
                self.remove(victim, "selfTradeCanceled", now_ms)
            for match in matches:
                notional += match.px * match.sz
                self.settle(match, now_ms, hash_)
        filled = round(order.orig_sz - order.sz, inst.sz_decimals)
        return self._outcome(order, filled, notional, now_ms)

    def _outcome(self, order: SimOrder, filled: float, notional: float, now_ms: int) -> Any:
        v = self._v
        if order.sz <= 0.0:
            v.record(order, "filled", now_ms)
            v.out.order_update(order, "filled", now_ms)
            return {"filled": _with_cloid({"totalSz": num(filled),
                                           "avgPx": num(notional / filled), "oid": order.oid},
                                          order)}
        if order.tif == "Ioc":
            if filled <= 0.0:
                return {"error": texts.ioc_no_match(order.asset)}
            v.record(order, "canceled", now_ms)
            v.out.order_update(order, "canceled", now_ms)
            return {"filled": _with_cloid({"totalSz": num(filled),
                                           "avgPx": num(notional / filled), "oid": order.oid},
                                          order)}
        v.books[order.coin].rest(order)
        v.track(order)
        v.record(order, "open", now_ms)
        v.out.order_update(order, "open", now_ms)
        return {"resting": _with_cloid({"oid": order.oid}, order)}

    # ------------------------------------------------------------ cancel / modify

    def remove(self, order: SimOrder, status: str, when_ms: int) -> None:
        """Take a live order off the book with a final status, and tell its owner."""
        v = self._v
        v.books[order.coin].remove(order)
        v.untrack(order)
        v.record(order, status, when_ms)
        v.out.order_update(order, status, when_ms)

    def cancel(self, acc: Account, asset: int, order: SimOrder | None, now_ms: int) -> Any:
        if order is None or order.user != acc.address or order.asset != asset:
            return {"error": texts.cancel_missing(asset)}
        self.remove(order, "canceled", now_ms)
        return "success"

    def modify(self, acc: Account, order: SimOrder | None, req: OrderReq, now_ms: int,
               hash_: str) -> Any:
        """Cancel-and-replace: the replacement gets a NEW oid; a bad replacement leaves the
        original untouched."""
        if order is None or order.user != acc.address:
            return {"error": texts.MODIFY_MISSING}
        checked = self._check(acc, req, order)
        if isinstance(checked, str):
            return {"error": checked}
        self.remove(order, "canceled", now_ms)
        return self._execute(acc, req, checked, now_ms, hash_)

    # ------------------------------------------------------------ settlement

    def settle(self, match: Match, when_ms: int, hash_: str) -> None:
        v = self._v
        side = match.taker or match.maker
        assert side is not None  # a Match always has at least one emulated side
        coin = side.coin
        tid = v.new_tid()
        for order, crossed in ((match.taker, True), (match.maker, False)):
            if order is not None:
                self._fill_side(order, crossed, match, when_ms, hash_, tid)
        v.last_trade_px[coin] = match.px
        if not match.external_print:  # an external print was recorded as the market's
            v.candles.record(coin, when_ms, match.px, match.sz)
            v.out.trade(coin, {"coin": coin, "side": side_text(match.taker_is_buy),
                               "px": num(match.px), "sz": num(match.sz), "hash": hash_,
                               "time": when_ms, "tid": tid, "users": v.trade_users(match)})

    def _fill_side(self, order: SimOrder, crossed: bool, match: Match, when_ms: int,
                   hash_: str, tid: int) -> None:
        v = self._v
        acc = v.accounts[order.user]
        inst = v.instruments[order.asset]
        rate = v.settings.taker_fee if crossed else v.settings.maker_fee
        fee = round(match.px * match.sz * rate, 6)
        outcome = acc.apply_fill(order.coin, order.is_buy, match.px, match.sz, fee,
                                 inst.sz_decimals)
        fill: dict[str, Any] = {
            "coin": order.coin, "px": num(match.px), "sz": num(match.sz),
            "side": side_text(order.is_buy), "time": when_ms,
            "startPosition": num(outcome.start_position), "dir": outcome.direction,
            "closedPnl": num(outcome.closed_pnl, 6), "hash": hash_, "oid": order.oid,
            "crossed": crossed, "fee": num(fee, 6), "tid": tid,
        }
        if order.cloid is not None:
            fill["cloid"] = order.cloid
        fill["feeToken"] = "USDC"
        fill["twapId"] = None  # no TWAP orders in the emulator; the venue always sends it
        acc.fills.append(fill)
        v.out.fill(order.user, fill)
        if not crossed:
            if not order.reduce_only:  # the filled part no longer needs order margin
                acc.add_open_notional(order.coin, -match.px * match.sz)
            self._maker_done(order, when_ms)
        self._reduce_only_cleanup(acc, order.coin, when_ms)

    def _maker_done(self, order: SimOrder, when_ms: int) -> None:
        if order.sz > 0.0:
            return
        v = self._v
        v.untrack(order)
        v.record(order, "filled", when_ms)
        v.out.order_update(order, "filled", when_ms)

    def _reduce_only_cleanup(self, acc: Account, coin: str, when_ms: int) -> None:
        """Reduce-only orders that would now increase the position are cancelled."""
        pos = acc.szi(coin)
        stale = [o for o in self._v.user_orders(acc.address)
                 if o.coin == coin and o.reduce_only and (pos == 0.0 or (pos > 0) == o.is_buy)]
        for order in stale:
            self.remove(order, "reduceOnlyCanceled", when_ms)


def _static_error(req: OrderReq, sz_decimals: int, min_value: float) -> str | None:
    if req.px <= 0 or not is_valid_price(float(req.px), sz_decimals):
        return texts.invalid_price(req.asset) if req.px <= 0 else texts.tick(req.asset)
    if req.sz == 0:
        return texts.zero_size(req.asset)
    exponent = req.sz.normalize().as_tuple().exponent
    if req.sz < 0 or (isinstance(exponent, int) and -exponent > sz_decimals):
        return texts.invalid_size(req.asset)
    if req.px * req.sz < min_value:
        return texts.min_value(min_value, req.asset)
    return None


def _px_text(px: float | None) -> str:
    return num(px) if px is not None else "0"


def _with_cloid(status: dict[str, Any], order: SimOrder) -> dict[str, Any]:
    if order.cloid is not None:
        status["cloid"] = order.cloid
    return status
