"""Per-coin matching: the external market's levels plus the emulator's own resting orders.

Two kinds of liquidity live in a `CoinBook`:
- the EXTERNAL market (levels from the feed the emulator replays or synthesises): a
  `BookSnapshot` replaces them, a `Bbo` rewrites Level 1 (dropping levels it crossed), a
  `Trades` print depletes them; our aggressive orders deplete them too until the next
  snapshot says otherwise;
- OUR resting orders (every emulated account's), with price-time priority among
  themselves, each carrying a `QueuePosition` inside the market's level at its price.

An aggressive order walks the best of both, price first; at one price the market's
visible size goes first (our resting order joined behind it), then our orders in time
order. It fills at the resting side's price. Meeting a resting order of the same account
cancels that resting order (self-trade prevention, status `selfTradeCanceled`).
Our resting orders fill passively (see queue_model.py) when an external print reaches
them through the queue, when a print goes through their price, or at their own price when
the market's opposite touch crosses them.

This module only moves size; accounts, fees and wire messages are the venue's job.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator, Sequence

from hyperliquid_ofi_trader.core.events import Level, Trade
from hyperliquid_ofi_trader.sim.queue_model import QueuePosition
from hyperliquid_ofi_trader.sim.settings import CancelAttribution

BID, ASK = 0, 1


class SimOrder:
    """A live order of an emulated account. `sz` is what remains; prices are floats
    parsed once from the order's wire text."""

    __slots__ = (
        "asset",
        "cloid",
        "coin",
        "is_buy",
        "oid",
        "orig_sz",
        "px",
        "queue",
        "reduce_only",
        "sz",
        "tif",
        "timestamp_ms",
        "user",
    )

    def __init__(self, *, oid: int, cloid: str | None, user: str, coin: str, asset: int,
                 is_buy: bool, px: float, sz: float, timestamp_ms: int, reduce_only: bool,
                 tif: str) -> None:
        self.oid = oid
        self.cloid = cloid
        self.user = user
        self.coin = coin
        self.asset = asset
        self.is_buy = is_buy
        self.px = px
        self.sz = sz
        self.orig_sz = sz
        self.timestamp_ms = timestamp_ms
        self.reduce_only = reduce_only
        self.tif = tif
        self.queue = QueuePosition(0.0)


class Match:
    """One execution. `maker`/`taker` is None for the external market's side.

    `external_print` is True when the external feed already printed this volume (a
    market trade at our resting price), so the venue must not print it a second time.
    """

    __slots__ = ("external_print", "maker", "px", "sz", "taker", "taker_is_buy")

    def __init__(self, maker: SimOrder | None, taker: SimOrder | None, px: float, sz: float,
                 taker_is_buy: bool, external_print: bool = False) -> None:
        self.maker = maker
        self.taker = taker
        self.px = px
        self.sz = sz
        self.taker_is_buy = taker_is_buy
        self.external_print = external_print


def _crosses(is_buy: bool, limit: float, px: float) -> bool:
    return px <= limit if is_buy else px >= limit


class CoinBook:
    """The matching state of one coin.

    The market's levels are kept as the feed's own `(px, size, count)` tuples, best first
    (a `BookSnapshot` is sorted that way, and every change here keeps the order): a
    snapshot is adopted without building an object per level, a level that loses size is
    replaced by a new tuple, and the levels a print or a new touch removes are a prefix.
    """

    __slots__ = ("_keys", "_mkt", "_own", "attribution", "coin", "sz_decimals")

    def __init__(self, coin: str, sz_decimals: int, attribution: CancelAttribution) -> None:
        self.coin = coin
        self.sz_decimals = sz_decimals
        self.attribution = attribution
        self._mkt: list[list[Level]] = [[], []]  # [bids, asks], best first
        # sorted price keys, best first: bids keyed -px, asks +px
        self._keys: tuple[list[float], list[float]] = ([], [])
        self._own: tuple[dict[float, deque[SimOrder]], dict[float, deque[SimOrder]]] = ({}, {})

    # ------------------------------------------------------------ queries

    def market_best(self, side: int) -> Level | None:
        levels = self._mkt[side]
        return levels[0] if levels else None

    def own_best_px(self, side: int) -> float | None:
        keys = self._keys[side]
        if not keys:
            return None
        return -keys[0] if side == BID else keys[0]

    def best_px(self, side: int) -> float | None:
        """Best price of the merged book (market and ours) on one side."""
        mkt = self.market_best(side)
        own = self.own_best_px(side)
        if mkt is None:
            return own
        if own is None:
            return mkt[0]
        return max(mkt[0], own) if side == BID else min(mkt[0], own)

    def market_size_at(self, side: int, px: float) -> float:
        for level_px, sz, _ in self._mkt[side]:
            if level_px == px:
                return sz
        return 0.0

    def would_cross(self, is_buy: bool, px: float) -> bool:
        best = self.best_px(ASK if is_buy else BID)
        return best is not None and _crosses(is_buy, px, best)

    def orders(self) -> Iterator[SimOrder]:
        for side in (BID, ASK):
            for key in self._keys[side]:
                yield from self._own[side][key]

    def levels(self, side: int, n: int) -> list[tuple[float, float, int]]:
        """Merged (px, size, order count) levels, best first, at most `n`."""
        merged: dict[float, list[float]] = {}
        for px_, sz_, n_ in self._mkt[side]:
            merged[px_] = [sz_, float(n_)]
        for key in self._keys[side]:
            queue = self._own[side][key]
            px = -key if side == BID else key
            slot = merged.setdefault(px, [0.0, 0.0])
            slot[0] += sum(o.sz for o in queue)
            slot[1] += len(queue)
        prices = sorted(merged, reverse=side == BID)[:n]
        return [(p, round(merged[p][0], self.sz_decimals), int(merged[p][1])) for p in prices]

    # ------------------------------------------------------------ our orders

    def rest(self, order: SimOrder) -> None:
        side = BID if order.is_buy else ASK
        key = -order.px if side == BID else order.px
        queue = self._own[side].get(key)
        if queue is None:
            queue = self._own[side][key] = deque()
            insort(self._keys[side], key)
        order.queue = QueuePosition(self.market_size_at(side, order.px))
        queue.append(order)

    def remove(self, order: SimOrder) -> None:
        side = BID if order.is_buy else ASK
        key = -order.px if side == BID else order.px
        queue = self._own[side].get(key)
        if queue is None:
            return
        try:
            queue.remove(order)
        except ValueError:
            return
        if not queue:
            self._drop_key(side, key)

    def _drop_key(self, side: int, key: float) -> None:
        del self._own[side][key]
        keys = self._keys[side]
        del keys[bisect_left(keys, key)]

    def take(self, order: SimOrder) -> tuple[list[Match], list[SimOrder]]:
        """Match an aggressive order; returns its matches and self-trade-cancelled orders."""
        matches: list[Match] = []
        self_cancels: list[SimOrder] = []
        opp = ASK if order.is_buy else BID
        while order.sz > 0.0:
            mkt = self.market_best(opp)
            own = self.own_best_px(opp)
            mkt_ok = mkt is not None and _crosses(order.is_buy, order.px, mkt[0])
            own_ok = own is not None and _crosses(order.is_buy, order.px, own)
            if mkt_ok and mkt is not None and (not own_ok or own is None
                                              or _crosses(order.is_buy, own, mkt[0])):
                matches.append(self._take_market(order, opp, mkt))
            elif own_ok and own is not None:
                self._take_own(order, opp, own, matches, self_cancels)
            else:
                break
        return matches, self_cancels

    def _take_market(self, order: SimOrder, side: int, level: Level) -> Match:
        px, level_sz, n = level  # the best market level of `side`
        size = min(order.sz, level_sz)
        order.sz = round(order.sz - size, self.sz_decimals)
        left = round(level_sz - size, self.sz_decimals)
        if left <= 0.0:
            self._mkt[side].pop(0)
        else:
            self._mkt[side][0] = (px, left, n)
        self._consume_queues(side, px, size)
        return Match(None, order, px, size, order.is_buy)

    def _consume_queues(self, side: int, px: float, size: float) -> None:
        # Market size at `px` traded away: our orders resting there move up the queue.
        queue = self._own[side].get(-px if side == BID else px)
        if queue is not None:
            for resting in queue:
                resting.queue.on_trade_at_price(size)

    def _take_own(self, order: SimOrder, side: int, px: float, matches: list[Match],
                  self_cancels: list[SimOrder]) -> None:
        key = -px if side == BID else px
        queue = self._own[side][key]
        maker = queue[0]
        if maker.user == order.user:
            queue.popleft()
            self_cancels.append(maker)
        else:
            size = min(order.sz, maker.sz)
            order.sz = round(order.sz - size, self.sz_decimals)
            maker.sz = round(maker.sz - size, self.sz_decimals)
            matches.append(Match(maker, order, maker.px, size, order.is_buy))
            if maker.sz <= 0.0:
                queue.popleft()
        if not queue:
            self._drop_key(side, key)

    # ------------------------------------------------------------ the external market

    def on_snapshot(self, bids: Sequence[Level], asks: Sequence[Level]) -> list[Match]:
        self._mkt = [[lv for lv in bids if lv[1] > 0], [lv for lv in asks if lv[1] > 0]]
        return self._after_market_change()

    def on_bbo(self, bid: Level | None, ask: Level | None) -> list[Match]:
        self._set_touch(BID, bid)
        self._set_touch(ASK, ask)
        return self._after_market_change()

    def _set_touch(self, side: int, level: Level | None) -> None:
        if level is None:
            self._mkt[side].clear()
            return
        px, sz, n = level
        # keep only levels strictly worse than the new touch (a suffix: best first), then
        # put the touch in front
        levels = self._mkt[side]
        i, end = 0, len(levels)
        if side == BID:
            while i < end and levels[i][0] >= px:
                i += 1
        else:
            while i < end and levels[i][0] <= px:
                i += 1
        # In place, as `_deplete_market` does (no copy of the side per Bbo): the side's
        # list is this book's own, nothing else holds it.
        if sz > 0:
            levels[:i] = ((px, sz, n),)
        elif i:
            del levels[:i]

    def _after_market_change(self) -> list[Match]:
        if not (self._keys[BID] or self._keys[ASK]):
            return []  # no resting order of ours: nothing to re-queue or fill
        for order in self.orders():
            side = BID if order.is_buy else ASK
            order.queue.on_level(self.market_size_at(side, order.px), self.attribution)
        matches = self._fill_crossed(BID)
        matches.extend(self._fill_crossed(ASK))
        return matches

    def _fill_crossed(self, side: int) -> list[Match]:
        """Our resting orders the market's opposite touch now crosses fill at their price."""
        out: list[Match] = []
        touch = self.market_best(ASK if side == BID else BID)
        while touch is not None and self._keys[side]:
            key = self._keys[side][0]
            px = -key if side == BID else key
            if not _crosses(side == BID, px, touch[0]):
                break
            for order in self._own[side][key]:
                order.queue.swept()
                out.append(self._passive_fill(order, order.sz, False))
            self._drop_key(side, key)
        return out

    def _passive_fill(self, order: SimOrder, size: float, external_print: bool) -> Match:
        order.sz = round(order.sz - size, self.sz_decimals)
        return Match(order, None, order.px, size, not order.is_buy, external_print)

    def on_trades(self, trades: Sequence[Trade]) -> list[Match]:
        out: list[Match] = []
        keys = self._keys
        for trade in trades:
            if trade.size > 0.0:
                side = ASK if trade.is_buy else BID  # the side the aggressor hit
                self._deplete_market(side, trade.price, trade.size)
                if keys[side]:  # an order of ours rests on that side (else: nothing to fill)
                    out.extend(self._sweep_through(side, trade.price))
                    out.extend(self._fill_at_price(side, trade.price, trade.size))
        return out

    def _deplete_market(self, side: int, px: float, size: float) -> None:
        levels = self._mkt[side]
        i, end = 0, len(levels)
        # levels the print went through are gone (a prefix: best first) ...
        if side == BID:
            while i < end and levels[i][0] > px:
                i += 1
        else:
            while i < end and levels[i][0] < px:
                i += 1
        # ... and the one at its price loses the printed size
        if i < end and levels[i][0] == px:
            level_px, level_sz, n = levels[i]
            left = round(level_sz - size, self.sz_decimals)
            if left <= 0.0:
                i += 1
            else:
                levels[i] = (level_px, left, n)
        if i:
            del levels[:i]

    def _sweep_through(self, side: int, px: float) -> list[Match]:
        """A print beyond our price means our whole level traded: fill in full."""
        out: list[Match] = []
        while self._keys[side]:
            key = self._keys[side][0]
            own_px = -key if side == BID else key
            if not ((own_px > px) if side == BID else (own_px < px)):
                break
            for order in self._own[side][key]:
                order.queue.swept()
                out.append(self._passive_fill(order, order.sz, False))
            self._drop_key(side, key)
        return out

    def _fill_at_price(self, side: int, px: float, size: float) -> list[Match]:
        key = -px if side == BID else px
        queue = self._own[side].get(key)
        if queue is None:
            return []
        out: list[Match] = []
        left = size
        for order in list(queue):
            reach = order.queue.on_trade_at_price(size)
            fill = round(min(reach, order.sz, left), self.sz_decimals)
            if fill <= 0.0:
                continue
            left -= fill
            out.append(self._passive_fill(order, fill, True))
            if order.sz <= 0.0:
                queue.remove(order)
        if not queue:
            self._drop_key(side, key)
        return out
