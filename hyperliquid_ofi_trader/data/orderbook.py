"""Incremental Level-2 order book for one Hyperliquid perpetual.

Hyperliquid's `l2Book` channel pushes full snapshots (20 levels a side, no sequence number)
and its `bbo` channel pushes Level 1 on every block where the top changed. The book is never
rebuilt from scratch: a snapshot is diffed against the current levels and only the changed
levels are written; a bbo is applied as a Level-1 diff that also removes the levels it proves
stale. Downstream (OFI, liquidity regime) therefore sees one book whose changes are minimal.

Layout, per side:
- `levels`: dict price -> (size, orders). Size changes at an existing price (the common case in
  a snapshot diff) are one dict store: O(1).
- `keys`: the prices sorted ascending by `sign * price` (sign +1 for bids, -1 for asks), so the
  BEST price of either side is always `keys[-1]`. Reading the best level is O(1). Inserting or
  deleting a price is a binary search (O(log n)) plus a list memmove (O(n) in theory; with the
  20-40 levels a Hyperliquid book holds, that memmove moves at most a few hundred bytes and
  costs tens of nanoseconds). Removing the best level is a pop from the end: O(1).
A heap would make insertion O(log n) but lose ordered reads (`levels`, `depth`); a sorted
container library would be slower than a plain list at this size.
A snapshot costs O(levels in it): each of its 40 levels is compared once with the book
(one dict lookup), and only the ~6 that differ on a typical BTC push (measured on the
archive hour) are written. Validation uses C-level builtins. Diffing item views as sets
was tried and measured slower (it hashes every level tuple). Figures:
`bench/bench_orderbook.py`.

Decisions a user of this class must know:
- Bad input (non-finite or non-positive price, negative or non-finite size, a snapshot or bbo
  for another coin, duplicate prices in a snapshot, a bbo whose bid is at or above its ask) is
  rejected and counted in `rejections[reason]`; nothing raises and the book is left unchanged.
- A snapshot older than the last applied snapshot (exchange time) is rejected as `stale_snapshot`;
  a bbo older than the last applied bbo or snapshot is rejected as `stale_bbo`.
- After a snapshot the book equals the snapshot exactly, EXCEPT when a bbo newer than the
  snapshot has already been applied: the snapshot is applied exactly, then that newer Level 1 is
  re-applied on top. Otherwise a slow 20-level snapshot (pushed 0.5-5 s apart) would roll the top
  of book back to an older block, and since bbo is only pushed when L1 changes, the stale top
  could persist indefinitely.
- A null side in a bbo means the venue's side is EMPTY (that is what the venue sends it for), so
  that whole side is cleared. Keeping levels the venue says do not exist would show phantom
  liquidity; an empty side makes `mid()` None and downstream stages stand aside, which is the
  fail-safe direction. Counted in `bbo_null_sides`.
- The seed's calls work as written: `OrderBook(depth=5)` (the coin defaults to the packaged
  config's traded coin; `depth` is the level count `depth()` sums when not told), and
  `apply_diff('bid' | 'ask', price, size)` besides `Side.BID` / `Side.ASK`. A side that is
  neither, or a price/size that is not a number, is a counted rejection (`bad_side`,
  `bad_level`) like any other bad input.
- `apply_diff` is raw: it never removes other levels. A diff that crosses the book is applied and
  reported (`is_crossed()`, `crossed_events` counts transitions into a crossed state, checked
  after each public update; a snapshot's internal writes are checked once, at its end).
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from operator import neg
from typing import Final

from hyperliquid_ofi_trader.core.events import Bbo, BookSnapshot, Level, Side

_INF: Final = math.inf

# Rejection reasons (stable codes, for metrics).
BAD_LEVEL: Final = "bad_level"
WRONG_COIN: Final = "wrong_coin"
DUPLICATE_PRICE: Final = "duplicate_price"
STALE_SNAPSHOT: Final = "stale_snapshot"
STALE_BBO: Final = "stale_bbo"
CROSSED_BBO: Final = "crossed_bbo"
BAD_SIDE: Final = "bad_side"

# The seed's side names (and the venue's "B"/"A"), case-insensitive.
_SIDE_NAMES: Final = {"bid": Side.BID, "bids": Side.BID, "b": Side.BID,
                      "ask": Side.ASK, "asks": Side.ASK, "a": Side.ASK}


def side_of(side: object) -> Side | None:
    """`Side` for a `Side`, 0/1, or a name ("bid"/"ask", "bids"/"asks", "b"/"a", any case);
    None for anything else."""
    if isinstance(side, Side):
        return side
    if isinstance(side, str):
        return _SIDE_NAMES.get(side.lower())
    if type(side) is int and 0 <= side <= 1:  # not bool: True is no side
        return Side(side)
    return None


class _BookSide:
    """One side, keyed by `sign * price` so that the best level is always `keys[-1]`.

    `levels` maps key -> (size, orders); `keys` holds the same keys in ascending order.
    Keying the dict by the signed price (not the price) lets reads walk `keys[-n:]` with no
    per-level sign arithmetic; prices are positive, so a key is never -0.0.

    `best_memo` holds the last `OrderBook.best_bid` / `best_ask` answer for this side, as a
    1-tuple (None: not read since the last write), and `depth_memo` the last `depth(n)` as
    (n, depth). The top of book is read several times per book state (market state,
    signals, regimes, journal, router), the depth twice (regime, journal); each is computed
    once. Only this class writes `levels` and `keys`, and each of its writing methods
    (`write`, `sync`, `remove_better_than`, `clear`; `_unindex` is only called by the first
    two) clears both memos first (`_forget`), so none outlives the state it was read from.
    """

    __slots__ = ("best_memo", "depth_memo", "keys", "levels", "sign")

    def __init__(self, sign: float) -> None:
        self.sign = sign
        self.levels: dict[float, tuple[float, int]] = {}
        self.keys: list[float] = []
        self.best_memo: tuple[tuple[float, float] | None] | None = None
        self.depth_memo: tuple[int, float] | None = None

    def write(self, price: float, size: float, orders: int) -> bool:
        """Write one level (size 0 removes it). True when the book changed."""
        self.best_memo = self.depth_memo = None  # `_forget()`, inlined (every bbo)
        key = self.sign * price
        levels = self.levels
        old = levels.get(key)
        if size == 0.0:
            if old is None:
                return False
            del levels[key]
            self._unindex(key)
            return True
        if old is None:
            insort(self.keys, key)
        elif old[0] == size and old[1] == orders:
            return False
        levels[key] = (size, orders)
        return True

    def _unindex(self, key: float) -> None:
        keys = self.keys
        if keys[-1] == key:  # the best level: the usual removal, O(1)
            keys.pop()
        else:
            del keys[bisect_left(keys, key)]

    def sync(self, wanted: tuple[Level, ...], wanted_keys: set[float]) -> int:
        """Make this side equal `wanted` (whose keys, `sign * price`, are `wanted_keys`),
        writing only the levels that differ."""
        self._forget()
        sign = self.sign
        levels = self.levels
        keys = self.keys
        # A C-level set difference; the deletion order does not matter (each `_unindex`
        # removes one key from a sorted list, the result is the same in any order).
        stale = levels.keys() - wanted_keys
        for key in stale:
            del levels[key]
            self._unindex(key)
        changed = len(stale)
        for price, size, orders in wanted:
            key = sign * price
            old = levels.get(key)
            if old is None:
                insort(keys, key)
            elif old[0] == size and old[1] == orders:
                continue  # the common case: an unchanged level costs one lookup
            levels[key] = (size, orders)
            changed += 1
        return changed

    def best(self) -> tuple[float, float] | None:
        keys = self.keys
        if not keys:
            return None
        key = keys[-1]
        return (self.sign * key, self.levels[key][0])

    def best_price(self) -> float | None:
        return self.sign * self.keys[-1] if self.keys else None

    def top(self, n: int) -> list[tuple[float, float]]:
        """Up to n best levels as (price, size), best first."""
        if n <= 0:
            return []
        sign = self.sign
        levels = self.levels
        return [(sign * key, levels[key][0]) for key in reversed(self.keys[-n:])]

    def _forget(self) -> None:
        """Drop the memos: called first by every method that writes the side."""
        self.best_memo = self.depth_memo = None

    def depth(self, n: int) -> float:
        if n <= 0:
            return 0.0
        memo = self.depth_memo
        # An int only: a float `n` must still fail in the slice below, as it always did.
        if memo is not None and memo[0] == n and type(n) is int:
            return memo[1]
        levels = self.levels
        total = 0.0
        for key in reversed(self.keys[-n:]):  # best first, as a reader would sum
            total += levels[key][0]
        self.depth_memo = (n, total)
        return total

    def notional(self, n: int) -> float:
        if n <= 0:
            return 0.0
        levels = self.levels
        total = 0.0
        for key in reversed(self.keys[-n:]):  # best first, as a reader would sum
            total += key * levels[key][0]
        return total * self.sign

    def get(self, price: float) -> tuple[float, int] | None:
        return self.levels.get(self.sign * price)

    def remove_better_than(self, price: float) -> int:
        """Remove levels strictly better than `price` (for bids: higher). Returns the count."""
        self.best_memo = self.depth_memo = None  # `_forget()`, inlined (every bbo)
        key = self.sign * price
        keys = self.keys
        levels = self.levels
        removed = 0
        while keys and keys[-1] > key:
            del levels[keys.pop()]
            removed += 1
        return removed

    def clear(self) -> int:
        self._forget()
        removed = len(self.keys)
        self.levels.clear()
        self.keys.clear()
        return removed


class OrderBook:
    """The local L2 book of one coin, updated incrementally. Never raises on bad input."""

    __slots__ = (
        "_asks",
        "_bbo_ns",
        "_bids",
        "_crossed",
        "_last_bbo",
        "_locked",
        "_sides",
        "_snapshot_ns",
        "bbo_null_sides",
        "bbos",
        "coin",
        "crossed_events",
        "depth_levels",
        "exchange_ns",
        "locked_events",
        "rejections",
        "snapshots",
        "updates",
    )

    def __init__(self, coin: str | None = None, depth: int = 5) -> None:
        """`coin`: None means the packaged config's traded coin (the seed's `OrderBook()`).
        `depth`: how many levels per side `depth()` sums when called without `levels`."""
        if type(depth) is not int or depth < 1:
            raise ValueError(f"depth must be a positive number of levels, got {depth!r}")
        if coin is None:
            from hyperliquid_ofi_trader.config.packaged import default_coin

            coin = default_coin()
        self.coin = coin
        self.depth_levels = depth
        self.exchange_ns = 0
        self.updates = 0
        self.snapshots = 0
        self.bbos = 0
        self.bbo_null_sides = 0
        self.crossed_events = 0
        self.locked_events = 0
        self.rejections: dict[str, int] = {}
        self._sides = (_BookSide(1.0), _BookSide(-1.0))
        self._bids, self._asks = self._sides  # direct references for the hot reads
        self._crossed = False
        self._locked = False
        self._snapshot_ns = -1
        self._bbo_ns = -1
        self._last_bbo: Bbo | None = None

    # ------------------------------------------------------------ updates

    def apply_diff(self, side: Side | str, price: float, size: float, orders: int = 0) -> None:
        """Set one level to `size` (0 removes it). O(1) for an existing price; see module doc.
        `side`: `Side.BID` / `Side.ASK`, or the seed's 'bid' / 'ask'."""
        if type(side) is not Side:
            named = side_of(side)
            if named is None:
                self._reject(BAD_SIDE)
                return
            side = named
        try:
            ok = 0.0 < price < _INF and 0.0 <= size < _INF  # also False for NaN
        except TypeError:  # not a number at all (None, a string): bad input, not our bug
            ok = False
        if not ok:
            self._reject(BAD_LEVEL)
            return
        if self._sides[side].write(price, size, orders):
            self.updates += 1
            self._check_cross()

    def apply_snapshot(self, snap: BookSnapshot) -> int:
        """Diff a full snapshot into the book; returns the number of levels changed."""
        prices = self._snapshot_prices(snap)
        if isinstance(prices, str):
            self._reject(prices)
            return 0
        bid_keys, ask_keys = prices
        bids, asks = self._sides
        changed = bids.sync(snap.bids, bid_keys) + asks.sync(snap.asks, ask_keys)
        self._snapshot_ns = snap.exchange_ns
        self.snapshots += 1
        self.updates += changed
        self._advance_time(snap.exchange_ns)
        last = self._last_bbo
        if last is not None and last.exchange_ns > snap.exchange_ns:
            changed += self._apply_l1(last)  # a newer top of book is already known
        self._check_cross()
        return changed

    def apply_bbo(self, bbo: Bbo) -> None:
        """Apply Level 1 as a diff, removing the levels the new best prices prove stale."""
        reason = self._bbo_problem(bbo)
        if reason is not None:
            self._reject(reason)
            return
        self._bbo_ns = bbo.exchange_ns
        self._last_bbo = bbo
        self.bbos += 1
        self.bbo_null_sides += (bbo.bid is None) + (bbo.ask is None)
        self._apply_l1(bbo)
        if bbo.exchange_ns > self.exchange_ns:  # `_advance_time`, inlined (every bbo)
            self.exchange_ns = bbo.exchange_ns
        self._check_cross()

    # ------------------------------------------------------------ reads

    # The top-of-book reads run several times per event (signals, regimes, market state,
    # journal, router), so they read the side's arrays directly instead of calling
    # `_BookSide.best` / `best_price`: same arithmetic, one Python call fewer each; and a
    # side's answer is kept until its next write (`_BookSide.best_memo`). The tuple
    # returned is immutable, so every reader of one book state may share it.

    def best_bid(self) -> tuple[float, float] | None:
        side = self._bids
        memo = side.best_memo
        if memo is not None:
            return memo[0]
        keys = side.keys
        best = (side.sign * keys[-1], side.levels[keys[-1]][0]) if keys else None
        side.best_memo = (best,)
        return best

    def best_ask(self) -> tuple[float, float] | None:
        side = self._asks
        memo = side.best_memo
        if memo is not None:
            return memo[0]
        keys = side.keys
        best = (side.sign * keys[-1], side.levels[keys[-1]][0]) if keys else None
        side.best_memo = (best,)
        return best

    def mid(self) -> float | None:
        bids = self._bids
        asks = self._asks
        if not (bids.keys and asks.keys):
            return None
        return (bids.sign * bids.keys[-1] + asks.sign * asks.keys[-1]) * 0.5

    def spread(self) -> float | None:
        """Best ask minus best bid (negative when crossed), None when a side is empty."""
        bid = self._sides[0].best_price()
        ask = self._sides[1].best_price()
        if bid is None or ask is None:
            return None
        return ask - bid

    def depth(self, levels: int | None = None) -> float:
        """Total size (coin units) on the best `levels` levels of both sides (default: the
        book's `depth_levels`, 5 unless built with another `depth`)."""
        n = self.depth_levels if levels is None else levels
        return self._bids.depth(n) + self._asks.depth(n)

    def side_depth(self, side: Side, levels: int = 5) -> float:
        return self._sides[side].depth(levels)

    def notional_depth(self, levels: int = 5) -> float:
        """Total price * size (USD) on the best `levels` levels of both sides."""
        return self._sides[0].notional(levels) + self._sides[1].notional(levels)

    def levels(self, side: Side, n: int) -> list[tuple[float, float]]:
        """Up to n levels of one side, best first, as (price, size)."""
        return self._sides[side].top(n)

    def level_count(self, side: Side) -> int:
        return len(self._sides[side].keys)

    def orders_at(self, side: Side, price: float) -> int:
        """Number of orders the venue reported at `price` (0 when the level is absent)."""
        level = self._sides[side].get(price)
        return 0 if level is None else level[1]

    def is_crossed(self) -> bool:
        """Best bid strictly above best ask."""
        bid = self._sides[0].best_price()
        ask = self._sides[1].best_price()
        return bid is not None and ask is not None and bid > ask

    def is_locked(self) -> bool:
        """Best bid equal to best ask."""
        bid = self._sides[0].best_price()
        ask = self._sides[1].best_price()
        return bid is not None and bid == ask

    # ------------------------------------------------------------ internals

    def _apply_l1(self, bbo: Bbo) -> int:
        """Write the bbo's levels and remove what they cross; returns levels changed.

        Each side drops the levels better than its new best. That also removes every opposite
        level the new best crosses: an accepted bbo has bid < ask, so an ask at or below the
        new bid lies below the new ask and is dropped by the ask side's own removal (or by
        clearing, when the ask side is null).
        """
        bids, asks = self._sides
        changed = 0
        if bbo.bid is None:
            changed += bids.clear()
        else:
            price, size, orders = bbo.bid
            changed += bids.remove_better_than(price) + bids.write(price, size, orders)
        if bbo.ask is None:
            changed += asks.clear()
        else:
            price, size, orders = bbo.ask
            changed += asks.remove_better_than(price) + asks.write(price, size, orders)
        self.updates += changed
        return changed

    def _snapshot_prices(self, snap: BookSnapshot) -> tuple[set[float], set[float]] | str:
        """The key sets of both sides (bid prices, negated ask prices: what the diff needs),
        or why the snapshot is refused.

        Validation uses C-level builtins over one transposition of both sides (a Python loop
        over 40 levels cost as much as rebuilding the book). `min > 0` rejects zero, negative
        and -inf values; a NaN can hide from min but not from sum, which is then NaN and
        fails `< inf`, as does any +inf.
        """
        if snap.coin != self.coin:
            return WRONG_COIN
        if snap.exchange_ns < self._snapshot_ns:
            return STALE_SNAPSHOT
        bids, asks = snap.bids, snap.asks
        if not (bids or asks):
            return set(), set()
        prices, sizes, _ = zip(*bids, *asks, strict=True)
        if not (min(prices) > 0.0 and sum(prices) < _INF and min(sizes) > 0.0
                and sum(sizes) < _INF):
            return BAD_LEVEL
        n_bids = len(bids)
        # Negation is exact and one-to-one, so the ask keys also reveal duplicate prices.
        bid_keys, ask_keys = set(prices[:n_bids]), set(map(neg, prices[n_bids:]))
        if len(bid_keys) != n_bids or len(ask_keys) != len(asks):
            return DUPLICATE_PRICE
        return bid_keys, ask_keys

    def _bbo_problem(self, bbo: Bbo) -> str | None:
        if bbo.coin != self.coin:
            return WRONG_COIN
        if bbo.exchange_ns < self._bbo_ns or bbo.exchange_ns < self._snapshot_ns:
            return STALE_BBO
        bid, ask = bbo.bid, bbo.ask
        # A level needs a finite positive price and size; chained comparisons refuse NaN.
        if bid is not None and not (0.0 < bid[0] < _INF and 0.0 < bid[1] < _INF):
            return BAD_LEVEL
        if ask is not None and not (0.0 < ask[0] < _INF and 0.0 < ask[1] < _INF):
            return BAD_LEVEL
        if bid is not None and ask is not None and bid[0] >= ask[0]:
            return CROSSED_BBO
        return None

    def _advance_time(self, exchange_ns: int) -> None:
        if exchange_ns > self.exchange_ns:
            self.exchange_ns = exchange_ns

    def _check_cross(self) -> None:
        bids = self._sides[0].keys
        asks = self._sides[1].keys
        if not (bids and asks):
            self._crossed = self._locked = False
            return
        # Keys: bid = price, ask = -price, so bid + ask_key is (bid - ask).
        gap = bids[-1] + asks[-1]
        crossed = gap > 0.0
        locked = gap == 0.0
        if crossed and not self._crossed:
            self.crossed_events += 1
        if locked and not self._locked:
            self.locked_events += 1
        self._crossed = crossed
        self._locked = locked

    def _reject(self, reason: str) -> None:
        self.rejections[reason] = self.rejections.get(reason, 0) + 1

    def __repr__(self) -> str:
        return (
            f"OrderBook({self.coin!r}, bid={self.best_bid()}, ask={self.best_ask()}, "
            f"levels={self.level_count(Side.BID)}/{self.level_count(Side.ASK)}, "
            f"exchange_ns={self.exchange_ns})"
        )
