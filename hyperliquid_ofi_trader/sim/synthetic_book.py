"""SYNTHETIC order book of one coin, for the emulator's synthetic market (`sim/synthetic.py`).

Nothing here is market data: it is a small stochastic model whose only purpose is to give the
emulator and the strategy a book that behaves like a venue's (queues at the touch that fill
and empty, prices that tick when a queue empties, depth that grows away from the touch).

Representation: each side is a *ladder* of consecutive price ticks from the best price
outward, `lots[i]` being the resting size i ticks away from the touch, in integer lots
(1 lot = 10**-szDecimals coin). An entry of 0 is an empty tick (a gap, as real books have).
Integer ticks and lots make every price a valid venue tick and every size a valid size step
by construction, and make "never crossed" a property of two integers (best bid < best ask),
which every operation preserves:
- a market order only consumes the OPPOSITE side, moving its best price away;
- a cancel only removes from a side's own touch, moving it away when the queue empties;
- an improving limit order is placed one tick inside the spread only when the spread is at
  least two ticks.
The touch is never an empty tick (`lots[0] > 0`) and a side never runs dry: consumed ladders
are extended at the far end from the depth profile.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass
from typing import Final

from hyperliquid_ofi_trader.core.events import Level
from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import (
    PERP_MAX_DECIMALS,
    price_decimals,
)

# A ladder keeps at least this many ticks (at most every other one empty, so at least half
# are resting levels: more than the 20 an l2Book shows even after a 15-level sweep).
MIN_LADDER: Final = 48
MAX_LADDER: Final = 64
# The depth profile stops growing this many levels from the touch (sizes then plateau).
PROFILE_PLATEAU: Final = 8
MAX_ORDERS_PER_LEVEL: Final = 99
_MIN_NOTIONAL_USD: Final = 10.0  # the venue's minimum order value


class SyntheticConfigError(OurBugError, ValueError):
    """A synthetic-market setting is impossible (the caller's configuration is at fault)."""


def _require(ok: bool, what: str) -> None:
    if not ok:
        raise SyntheticConfigError(what)


def _positive(x: float) -> bool:
    return math.isfinite(x) and x > 0.0


@dataclass(frozen=True, slots=True)
class SyntheticCoinSpec:
    """One synthetic coin: its price, instrument rules, book shape and flow intensities.

    Sizes are in coin units, rates per second, volatility in basis points per sqrt(second)
    of the coin's own (calm-regime) fair price; a lagging coin's total volatility also
    includes the lead coin's moves times beta.
    """

    name: str
    start_px: float
    sz_decimals: int
    touch_size: float  # median resting size at the touch
    depth_growth: float  # expected size ratio from one level to the next one out (>= 1)
    order_size: float  # typical resting order (sets a level's order count n)
    limit_size: float  # median size of a limit add or cancel
    market_size: float  # median size of an uninformed market order
    vol_bps: float  # own fair-price volatility, bps per sqrt(s), calm regime
    noise_rate: float  # uninformed book events per second, calm regime
    informed_rate: float  # informed events per second per tick of mispricing
    aggressive_share: float = 0.3  # share of informed events that are market orders
    gap_prob: float = 0.2  # chance that a new far tick is left empty
    open_interest: float = 10_000.0  # coin units
    day_volume_usd: float = 1e9
    funding: float = 0.0000125  # hourly funding rate when the premium is zero

    def __post_init__(self) -> None:
        _require(bool(self.name), "coin name must not be empty")
        _require(_positive(self.start_px), f"{self.name}: start_px must be positive")
        _require(0 <= self.sz_decimals < PERP_MAX_DECIMALS,
                 f"{self.name}: sz_decimals must be in 0..{PERP_MAX_DECIMALS - 1}")
        for field in ("touch_size", "order_size", "limit_size", "market_size", "vol_bps",
                      "noise_rate", "informed_rate"):
            _require(_positive(getattr(self, field)), f"{self.name}: {field} must be positive")
        _require(math.isfinite(self.depth_growth) and self.depth_growth >= 1.0,
                 f"{self.name}: depth_growth must be >= 1")
        _require(0.0 <= self.aggressive_share <= 1.0, f"{self.name}: aggressive_share in [0, 1]")
        _require(0.0 <= self.gap_prob < 0.5, f"{self.name}: gap_prob must be in [0, 0.5)")
        _require(math.isfinite(self.open_interest) and self.open_interest >= 0.0,
                 f"{self.name}: open_interest must be >= 0")
        _require(math.isfinite(self.day_volume_usd) and self.day_volume_usd >= 0.0,
                 f"{self.name}: day_volume_usd must be >= 0")
        _require(math.isfinite(self.funding), f"{self.name}: funding must be finite")


def tick_band(start_px: float, sz_decimals: int) -> tuple[float, float]:
    """The price range around `start_px` where the venue's tick stays the same.

    The tick is fixed by the number of decimals a price may carry (5 significant figures,
    at most 6 - szDecimals decimals), so it changes at powers of ten, except that integer
    prices never get coarser (BTC keeps tick 1 above 100,000).
    """
    d = price_decimals(start_px, sz_decimals)
    lo = 10.0 ** (4 - d) if d < PERP_MAX_DECIMALS - sz_decimals else 0.0
    hi = 10.0 ** (5 - d) if d > 0 else math.inf
    return lo, hi


class LadderSide:
    """One side: `lots[i]` rests at `best + step * i` ticks (step -1 for bids, +1 for asks)."""

    __slots__ = ("best", "lots", "step")

    def __init__(self, best: int, step: int) -> None:
        self.best = best
        self.step = step
        self.lots: deque[int] = deque()

    def touch(self) -> int:
        return self.lots[0]

    def take(self, lots: int) -> int:
        """Remove up to `lots` from the touch; returns what was removed. An emptied touch
        goes away and the next resting tick becomes the best: the price ticks away."""
        queue = self.lots[0]
        if lots < queue:
            self.lots[0] = queue - lots
            return lots
        self._pop_touch()
        return queue

    def _pop_touch(self) -> None:
        ladder = self.lots
        ladder.popleft()
        self.best += self.step
        while ladder and ladder[0] == 0:
            ladder.popleft()
            self.best += self.step

    def improve(self, lots: int) -> None:
        """A new best one tick inside the spread (the caller checked there is room)."""
        self.lots.appendleft(lots)
        self.best -= self.step

    def levels(self, n: int) -> list[tuple[int, int]]:
        """The first `n` resting levels as (tick, lots), best first."""
        out: list[tuple[int, int]] = []
        tick, step = self.best, self.step
        for lots in self.lots:
            if lots:
                out.append((tick, lots))
                if len(out) == n:
                    break
            tick += step
        return out


class SyntheticCoinBook:
    """The synthetic book of one coin, in integer ticks and lots, with float views."""

    __slots__ = ("_px_scale", "_rng", "_sz_scale", "asks", "bids", "decimals", "min_lots",
                 "order_lots", "spec")

    def __init__(self, spec: SyntheticCoinSpec, rng: random.Random) -> None:
        self.spec = spec
        self._rng = rng
        self.decimals = price_decimals(spec.start_px, spec.sz_decimals)
        # int(...): mypy types int ** int as Any (a negative exponent would give a float).
        self._px_scale = int(10**self.decimals)
        self._sz_scale = int(10**spec.sz_decimals)
        self.order_lots = max(1, round(spec.order_size * self._sz_scale))
        # A resting order worth less than the venue's $10 minimum could not exist.
        self.min_lots = max(1, math.ceil(_MIN_NOTIONAL_USD / spec.start_px * self._sz_scale))
        bid = round(spec.start_px * self._px_scale)
        self.bids = LadderSide(bid, -1)
        self.asks = LadderSide(bid + 1, 1)
        self.refill(self.bids)
        self.refill(self.asks)

    # ------------------------------------------------------------ conversions

    def px(self, tick: int) -> float:
        # An integer divided by a power of ten is the float nearest the decimal price, so
        # its repr is exactly the venue's price text.
        return tick / self._px_scale

    def sz(self, lots: int) -> float:
        return lots / self._sz_scale

    def to_ticks(self, price: float) -> float:
        return price * self._px_scale

    def level(self, tick: int, lots: int) -> Level:
        return (tick / self._px_scale, lots / self._sz_scale, self.orders(lots))

    def orders(self, lots: int) -> int:
        """Order count n of a level: its size over a typical order, at least one."""
        return max(1, min(MAX_ORDERS_PER_LEVEL, (lots + self.order_lots // 2) // self.order_lots))

    # ------------------------------------------------------------ reads

    def mid_ticks(self) -> float:
        return (self.bids.best + self.asks.best) * 0.5

    def spread_ticks(self) -> int:
        return self.asks.best - self.bids.best

    def l1(self) -> tuple[Level, Level]:
        bids, asks = self.bids, self.asks
        return self.level(bids.best, bids.lots[0]), self.level(asks.best, asks.lots[0])

    def snapshot(self, n: int) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
        return (tuple(self.level(t, q) for t, q in self.bids.levels(n)),
                tuple(self.level(t, q) for t, q in self.asks.levels(n)))

    def impact_px(self, is_buy: bool, notional: float) -> float:
        """Average price of an order of `notional` USD walking the whole ladder, rounded
        to a tick against the taker (up for a buy, down for a sell)."""
        side = self.asks if is_buy else self.bids
        cost = filled = 0.0
        tick = side.best
        for tick, lots in side.levels(len(side.lots)):
            px, sz = self.px(tick), self.sz(lots)
            if cost + px * sz >= notional:
                filled += (notional - cost) / px
                cost = notional
                break
            cost += px * sz
            filled += sz
        avg_ticks = self.to_ticks(cost / filled)
        return self.px(math.ceil(avg_ticks - 1e-9) if is_buy else math.floor(avg_ticks + 1e-9))

    # ------------------------------------------------------------ sizes

    def draw_lots(self, median: float, sigma: float = 0.8) -> int:
        """A log-normal size around `median` coin units, never below the $10 minimum."""
        size = median * math.exp(sigma * self._rng.gauss(0.0, 1.0))
        return max(self.min_lots, int(size * self._sz_scale))

    def profile_lots(self, depth: int) -> int:
        """A resting size `depth` levels from the touch: larger away from it, then flat."""
        spec = self.spec
        median = spec.touch_size * spec.depth_growth ** min(depth, PROFILE_PLATEAU)
        return self.draw_lots(median, 0.7)

    # ------------------------------------------------------------ mutations

    def refill(self, side: LadderSide) -> None:
        """Extend a consumed ladder at its far end; trim one that grew too long."""
        ladder = side.lots
        gap = self.spec.gap_prob
        rng = self._rng
        while len(ladder) < MIN_LADDER:
            # Never two empty ticks in a row and never an empty touch: the ladder always
            # holds more resting levels than an l2Book shows.
            empty = bool(ladder) and ladder[-1] != 0 and rng.random() < gap
            ladder.append(0 if empty else self.profile_lots(len(ladder)))
        while len(ladder) > MAX_LADDER:
            ladder.pop()

    def market(self, is_buy: bool, lots: int, max_levels: int) -> list[tuple[int, int]]:
        """An aggressive order walking the opposite side: fills as (tick, lots) per level.

        It stops after `max_levels` levels (a limit price, as any sane IOC has); what is
        left is not executed.
        """
        side = self.asks if is_buy else self.bids
        fills: list[tuple[int, int]] = []
        while lots > 0 and len(fills) < max_levels:
            tick = side.best
            got = side.take(lots)
            fills.append((tick, got))
            lots -= got
            if len(side.lots) < MIN_LADDER:
                self.refill(side)
        return fills

    def cancel(self, side: LadderSide, lots: int) -> None:
        side.take(lots)
        if len(side.lots) < MIN_LADDER:
            self.refill(side)

    def add(self, side: LadderSide, lots: int) -> None:
        side.lots[0] += lots

    def improve(self, side: LadderSide, lots: int) -> bool:
        """Rest a new order one tick inside the spread; False when the spread is one tick."""
        if self.asks.best - self.bids.best < 2:
            return False
        side.improve(lots)
        if len(side.lots) > MAX_LADDER:
            self.refill(side)
        return True

    def relax(self, draws: int) -> None:
        """Deep-book churn: a few levels behind the touch move toward the depth profile, so
        the shape survives the price walking through it. Gaps stay gaps."""
        rng = self._rng
        for side in (self.bids, self.asks):
            ladder = side.lots
            for _ in range(draws):
                i = rng.randrange(1, len(ladder))
                if ladder[i]:
                    ladder[i] = (ladder[i] + self.profile_lots(i)) // 2
