"""The trade tape of one coin: de-duplicated prints and rolling taker volume on exchange time.

Hyperliquid's `trades` channel re-sends recent prints when (re)subscribing, and a batch is
not guaranteed to be in time order, so:
- identity is (coin, tid) (HYPERLIQUID.md); the tape is per coin, so it remembers the last
  `dedup_capacity` tids (a set for lookup plus a FIFO for bounded memory). A tid forgotten
  that long ago would only be double counted if it were also still inside the window;
  choose a capacity above the number of prints a window can hold;
- each batch is sorted by (exchange time, tid) before it is applied, and a print older than
  the newest already seen is inserted at its place in the window (found by scanning from the
  newest end, where late prints land);
- a print older than the whole window is accepted (de-duplicated, counted in `late`) but adds
  no volume: it would be evicted at once.

The window is (now - window_ns, now] where now is the newest exchange time seen (from trades,
or from `advance_to` so volume decays while no trade prints). Running sums make every read
O(1); they are recomputed from the window every `_RESUM_EVERY` evictions so float error from
add/subtract cannot accumulate, and reset to exactly 0 when the window empties.
"""

from __future__ import annotations

import math
from collections import deque
from operator import attrgetter
from typing import Final

from hyperliquid_ofi_trader.core.events import Trade, Trades

WRONG_COIN: Final = "wrong_coin"
BAD_TRADE: Final = "bad_trade"
_RESUM_EVERY: Final = 4096


# A print's order key, (exchange time, tid), built in C (`sorted` calls it per print).
_sort_key: Final = attrgetter("exchange_ns", "tid")


def _imbalance(buy: float, sell: float) -> float:
    total = buy + sell
    if total <= 0.0:
        return 0.0
    return min(max((buy - sell) / total, -1.0), 1.0)


class TradeTape:
    """Rolling taker buy/sell volume of one coin over an exchange-time window."""

    __slots__ = (
        "_buy",
        "_buy_ntl",
        "_evictions",
        "_last_key",
        "_order",
        "_seen",
        "_sell",
        "_sell_ntl",
        "_window",
        "accepted",
        "capacity",
        "coin",
        "duplicates",
        "last_price",
        "late",
        "now_ns",
        "rejections",
        "window_ns",
    )

    def __init__(self, coin: str, window_ns: int, dedup_capacity: int = 65_536) -> None:
        if window_ns <= 0:
            raise ValueError(f"trade window must be positive, got {window_ns} ns")
        if dedup_capacity <= 0:
            raise ValueError(f"dedup capacity must be positive, got {dedup_capacity}")
        self.coin = coin
        self.window_ns = window_ns
        self.capacity = dedup_capacity
        self.now_ns = 0
        self.last_price: float | None = None
        self.accepted = 0
        self.duplicates = 0
        self.late = 0
        self.rejections: dict[str, int] = {}
        self._seen: set[int] = set()
        self._order: deque[int] = deque()
        # (exchange_ns, is_buy, size, notional), oldest first.
        self._window: deque[tuple[int, bool, float, float]] = deque()
        self._buy = self._sell = self._buy_ntl = self._sell_ntl = 0.0
        self._evictions = 0
        self._last_key = (-1, -1)

    # ------------------------------------------------------------ updates

    def on_trades(self, ev: Trades) -> int:
        """Apply a `trades` push; returns how many prints were new (not duplicates/rejected)."""
        if ev.coin != self.coin:
            self._reject(WRONG_COIN, len(ev.trades))
            return 0
        new = 0
        # Timsort is linear on the usual already-ordered batch.
        for trade in sorted(ev.trades, key=_sort_key):
            new += self._add(trade)
        self.advance_to(self.now_ns)
        return new

    def advance_to(self, exchange_ns: int) -> None:
        """Move the window's end to `exchange_ns` (never backwards) and evict what fell out."""
        if exchange_ns > self.now_ns:
            self.now_ns = exchange_ns
        horizon = self.now_ns - self.window_ns
        window = self._window
        while window and window[0][0] <= horizon:
            _, is_buy, size, notional = window.popleft()
            self._subtract(is_buy, size, notional)
        if not window:
            self._buy = self._sell = self._buy_ntl = self._sell_ntl = 0.0

    # ------------------------------------------------------------ reads

    def buy_volume(self) -> float:
        """Taker-buy size (coin units) in the window."""
        return max(self._buy, 0.0)  # float residue after evictions

    def sell_volume(self) -> float:
        return max(self._sell, 0.0)

    def buy_notional(self) -> float:
        """Taker-buy value (USD) in the window."""
        return max(self._buy_ntl, 0.0)

    def sell_notional(self) -> float:
        return max(self._sell_ntl, 0.0)

    def imbalance(self) -> float:
        """(buy - sell) / (buy + sell) in coin units, in [-1, 1]; 0 with no volume."""
        return _imbalance(self.buy_volume(), self.sell_volume())

    def notional_imbalance(self) -> float:
        return _imbalance(self.buy_notional(), self.sell_notional())

    def trade_count(self) -> int:
        """Prints currently inside the window."""
        return len(self._window)

    # ------------------------------------------------------------ internals

    def _add(self, trade: Trade) -> int:
        if trade.coin != self.coin:
            self._reject(WRONG_COIN)
            return 0
        price, size = trade.price, trade.size
        if not (0.0 < price < math.inf and 0.0 < size < math.inf) or trade.exchange_ns <= 0:
            self._reject(BAD_TRADE)
            return 0
        tid = trade.tid
        # Remember the tid; a tid already seen is a duplicate. Bounded: the oldest is
        # forgotten. (Written out here, no helper call: this runs for every print.)
        seen = self._seen
        if tid in seen:
            self.duplicates += 1
            return 0
        order = self._order
        if len(order) >= self.capacity:
            seen.discard(order.popleft())
        seen.add(tid)
        order.append(tid)
        self.accepted += 1
        t = trade.exchange_ns
        key = (t, tid)  # `_sort_key(trade)`
        if key > self._last_key:
            self._last_key = key
            self.last_price = price
        if t > self.now_ns:
            self.now_ns = t
        if t <= self.now_ns - self.window_ns:
            self.late += 1
            return 1
        self._insert((t, trade.is_buy, size, price * size))
        return 1

    def _insert(self, entry: tuple[int, bool, float, float]) -> None:
        window = self._window
        t = entry[0]
        if not window or window[-1][0] <= t:
            window.append(entry)
        else:  # a late print: find its place from the newest end
            i = len(window) - 1
            while i > 0 and window[i - 1][0] > t:
                i -= 1
            window.insert(i, entry)
        if entry[1]:
            self._buy += entry[2]
            self._buy_ntl += entry[3]
        else:
            self._sell += entry[2]
            self._sell_ntl += entry[3]

    def _subtract(self, is_buy: bool, size: float, notional: float) -> None:
        if is_buy:
            self._buy -= size
            self._buy_ntl -= notional
        else:
            self._sell -= size
            self._sell_ntl -= notional
        self._evictions += 1
        if self._evictions >= _RESUM_EVERY:
            self._resum()

    def _resum(self) -> None:
        """Recompute the sums exactly from the window (bounds float drift)."""
        self._evictions = 0
        buy = sell = buy_ntl = sell_ntl = 0.0
        for _, is_buy, size, notional in self._window:
            if is_buy:
                buy += size
                buy_ntl += notional
            else:
                sell += size
                sell_ntl += notional
        self._buy, self._sell, self._buy_ntl, self._sell_ntl = buy, sell, buy_ntl, sell_ntl

    def _reject(self, reason: str, n: int = 1) -> None:
        self.rejections[reason] = self.rejections.get(reason, 0) + n
