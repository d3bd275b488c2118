"""Liquidation-cascade detector: one-sided taker bursts with a price jump, and OI drops.

A cascade looks like this on the public feed: forced orders hit the book on ONE side, a lot of
notional in a short time, and the price runs in the direction of the aggression; afterwards
open interest is visibly lower. Two independent triggers, either of which flags the coin for
`cooldown_ns` of exchange time (a new trigger extends the flag):

1. Burst: within the trailing `window_ns` of taker trades, total notional >= burst_notional_usd,
   the dominant side's share >= one_sided_ratio, and the price moved in the aggressor's
   direction by >= jump_bps (sell burst: from the window's highest trade price down to the
   last; buy burst: from the lowest up to the last). Evaluated after each `Trades` batch.
2. Open-interest drop: an `AssetCtx` whose open interest is below the highest OI seen in the
   trailing `oi_window_ns` (or, with oi_window_ns = 0, the previous context's) by >=
   oi_drop_pct percent. After a trigger the reference restarts from the new level, so a
   further drop must be a new one.

A burst may be EXCUSED: the owner sets `excuse`, a callable told the burst's side (True:
buy) that answers whether something else explains it. The detector of a lag coin is given
one that asks whether its lead ran the same way first (regime/detector.py): a lag coin
catching up with its lead trades one-sided with a jump, as a cascade does, but its move
is the lead's news arriving, not forced orders. An excused burst raises no flag and is
counted in `catchups`.

Time: trade exchange times; `observe(ns)` lets the detector see book times so a cool-down
expires without trades. `AssetCtx` carries no venue time (exchange_ns 0): it is stamped with
the latest exchange time seen (see core/events.py).

Bad input never raises: trades with a non-finite or non-positive price/size are counted in
`rejected`; trades older than the window at arrival are counted in `stale` and ignored (a
re-subscription replays recent trades); a trade id already in the window is counted in
`duplicates` and ignored. Times within a batch that go backwards are clamped to the latest
seen, which keeps the window deques ordered.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from hyperliquid_ofi_trader.core.events import AssetCtx, Trade, Trades
from hyperliquid_ofi_trader.regime.state import (
    Reason,
    RegimeConfigError,
    require_non_negative,
    require_positive,
)
from hyperliquid_ofi_trader.regime.trailing_range import TrailingRange

if TYPE_CHECKING:  # the section's type only: config sits below the components
    from hyperliquid_ofi_trader.config.thresholds_schema import LiquidationRegimeThresholds

_BPS = 1e4
_NS_PER_MS = 1_000_000


def validate_liquidation(window_ns: int, burst_notional_usd: float, one_sided_ratio: float,
                         jump_bps: float, oi_drop_pct: float, cooldown_ns: int,
                         oi_window_ns: int) -> None:
    if window_ns <= 0:
        raise RegimeConfigError(f"window_ns must be > 0, got {window_ns}")
    require_positive("burst_notional_usd", burst_notional_usd)
    require_positive("jump_bps", jump_bps)
    require_positive("oi_drop_pct", oi_drop_pct)
    require_non_negative("one_sided_ratio", one_sided_ratio)
    if not 0.5 < one_sided_ratio <= 1.0:
        raise RegimeConfigError(
            f"one_sided_ratio is the dominant side's share, in (0.5, 1], got {one_sided_ratio}"
        )
    if oi_drop_pct >= 100.0:
        raise RegimeConfigError(f"oi_drop_pct must be below 100, got {oi_drop_pct}")
    if cooldown_ns < 0 or oi_window_ns < 0:
        raise RegimeConfigError("cooldown_ns and oi_window_ns must be >= 0")


class LiquidationDetector:
    """Flags liquidation cascades for one coin."""

    __slots__ = (
        "_burst_notional",
        "_buy",
        "_cooldown_ns",
        "_jump_bps",
        "_oi",
        "_oi_drop_pct",
        "_oi_window_ns",
        "_one_sided",
        "_range",
        "_sell",
        "_tids",
        "_trades",
        "_window_ns",
        "catchups",
        "duplicates",
        "excuse",
        "last_price",
        "now_ns",
        "reason",
        "rejected",
        "stale",
        "triggers",
        "until_ns",
    )

    def __init__(self, *, window_ns: int, burst_notional_usd: float, one_sided_ratio: float,
                 jump_bps: float, oi_drop_pct: float, cooldown_ns: int,
                 oi_window_ns: int = 0) -> None:
        """Trigger thresholds, validated here; `from_config` builds from a config section."""
        validate_liquidation(window_ns, burst_notional_usd, one_sided_ratio, jump_bps,
                             oi_drop_pct, cooldown_ns, oi_window_ns)
        self._window_ns = window_ns
        self._burst_notional = burst_notional_usd
        self._one_sided = one_sided_ratio
        self._jump_bps = jump_bps
        self._oi_drop_pct = oi_drop_pct
        self._cooldown_ns = cooldown_ns
        self._oi_window_ns = oi_window_ns
        self._trades: deque[tuple[int, float, bool, int]] = deque()  # (t, notional, buy, tid)
        self._tids: set[int] = set()
        self._range = TrailingRange()  # the window's highest and lowest trade price
        self._oi: deque[tuple[int, float]] = deque()  # (t, open interest), OI decreasing
        self._buy = 0.0
        self._sell = 0.0
        self.last_price = math.nan
        self.now_ns = 0
        self.until_ns = -1
        self.reason: Reason | None = None
        self.triggers = 0
        self.catchups = 0  # bursts that `excuse` explained (no flag raised)
        # Set by the owner: burst side (True: buy) -> explained by something else?
        self.excuse: Callable[[bool], bool] | None = None
        self.rejected = 0
        self.stale = 0
        self.duplicates = 0

    @classmethod
    def from_config(cls, section: LiquidationRegimeThresholds, *,
                    oi_window_ns: int = 0) -> LiquidationDetector:
        """The detector of a validated thresholds.yaml `regime.liquidation` section
        (ms -> ns); `oi_window_ns` 0 (the previous context is the OI reference) unless given."""
        return cls(
            window_ns=section.burst_window_ms * _NS_PER_MS,
            burst_notional_usd=section.burst_notional_usd,
            one_sided_ratio=section.one_sided_ratio,
            jump_bps=section.jump_bps,
            oi_drop_pct=section.oi_drop_pct,
            cooldown_ns=section.cooldown_ms * _NS_PER_MS,
            oi_window_ns=oi_window_ns,
        )

    @property
    def window_ns(self) -> int:
        return self._window_ns

    @property
    def cooldown_ns(self) -> int:
        return self._cooldown_ns

    def active(self) -> bool:
        """True while a trigger's cool-down lasts, at the latest exchange time seen."""
        return self.now_ns < self.until_ns

    def observe(self, exchange_ns: int) -> None:
        """Advance time from any venue-stamped event (book updates), so cool-downs expire."""
        if exchange_ns > self.now_ns:
            self.now_ns = exchange_ns

    # ------------------------------------------------------------ trades

    def on_trades(self, ev: Trades) -> bool:
        """Add a batch of taker trades; returns True when it triggered a burst flag."""
        accepted = 0
        for trade in ev.trades:
            accepted += self._add_trade(trade)
        if accepted == 0:
            return False
        self._evict(self.now_ns - self._window_ns)
        return self._check_burst()

    def _add_trade(self, tr: Trade) -> int:
        price, size = tr.price, tr.size
        if not (price > 0.0 and size > 0.0 and math.isfinite(price) and math.isfinite(size)):
            self.rejected += 1
            return 0
        if tr.exchange_ns < self.now_ns - self._window_ns:
            self.stale += 1
            return 0
        tid = tr.tid
        if tid in self._tids:
            self.duplicates += 1
            return 0
        # `observe(tr.exchange_ns)` and the push into the window, written out: this runs
        # for every print.
        t = tr.exchange_ns
        if t > self.now_ns:
            self.now_ns = t
        else:
            t = self.now_ns  # clamped: the window deques stay ordered
        notional = price * size
        is_buy = tr.is_buy
        self._trades.append((t, notional, is_buy, tid))
        self._tids.add(tid)
        if is_buy:
            self._buy += notional
        else:
            self._sell += notional
        self._range.push(t, price)
        self.last_price = price
        return 1

    def _evict(self, horizon: int) -> None:
        trades = self._trades
        while trades and trades[0][0] < horizon:
            _, notional, is_buy, tid = trades.popleft()
            self._tids.discard(tid)
            if is_buy:
                self._buy -= notional
            else:
                self._sell -= notional
        if not trades:
            self._buy = self._sell = 0.0  # no float drift survives an empty window
        self._range.evict(horizon)

    def _check_burst(self) -> bool:
        total = self._buy + self._sell
        if total < self._burst_notional:
            return False
        last = self.last_price
        if self._sell >= self._one_sided * total:
            high = self._range.high()
            if high is not None and (high - last) / high * _BPS >= self._jump_bps:
                return self._burst(False, Reason.LIQN_BURST_SELL)
        elif self._buy >= self._one_sided * total:
            low = self._range.low()
            if low is not None and (last - low) / low * _BPS >= self._jump_bps:
                return self._burst(True, Reason.LIQN_BURST_BUY)
        return False

    def _burst(self, is_buy: bool, reason: Reason) -> bool:
        excuse = self.excuse
        if excuse is not None and excuse(is_buy):
            self.catchups += 1
            return False
        self._flag(reason)
        return True

    # ------------------------------------------------------------ open interest

    def on_asset_ctx(self, ctx: AssetCtx) -> bool:
        """Compare open interest with the trailing reference; returns True on a drop trigger."""
        oi = ctx.open_interest
        if not (oi >= 0.0 and math.isfinite(oi)):
            self.rejected += 1
            return False
        self.observe(ctx.exchange_ns)
        ref = self._oi_reference()
        self._push_oi(self.now_ns, oi)
        if ref > 0.0 and (ref - oi) / ref * 100.0 >= self._oi_drop_pct:
            self._flag(Reason.LIQN_OI_DROP)
            self._oi.clear()
            self._oi.append((self.now_ns, oi))  # a further drop must be measured from here
            return True
        return False

    def _oi_reference(self) -> float:
        q = self._oi
        horizon = self.now_ns - self._oi_window_ns
        while len(q) > 1 and q[0][0] < horizon:
            q.popleft()
        return q[0][1] if q else math.nan

    def _push_oi(self, t: int, oi: float) -> None:
        q = self._oi
        if self._oi_window_ns == 0:
            q.clear()  # reference is the previous context only
        while q and q[-1][1] <= oi:
            q.pop()
        q.append((t, oi))

    # ------------------------------------------------------------ flag

    def _flag(self, reason: Reason) -> None:
        self.reason = reason
        self.triggers += 1
        until = self.now_ns + self._cooldown_ns
        if until > self.until_ns:
            self.until_ns = until
