"""Aggressive (taker) volume imbalance over an exchange-time window.

    imbalance = (V_buy − V_sell) / (V_buy + V_sell)   in [−1, 1], 0 when there is no volume

where V_buy / V_sell are the sizes of trades whose aggressor bought / sold. Signed taker flow
is the classic trade-based order-flow measure (trade-sign imbalance; see e.g. J. Hasbrouck
(1991), "Measuring the information content of stock trades", Journal of Finance 46(1), and
T. Chordia, A. Subrahmanyam (2004), "Order imbalance and individual stock returns", Journal of
Financial Economics 72(3)). Hyperliquid labels each print with its aggressor side.

Duplicates: the venue can resend trades after a reconnect. Feed this class from a
de-duplicated source (data.trades.TradeTape does that), or use `aggressive_imbalance` on the
tape's own `buy_volume()` / `sell_volume()`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from hyperliquid_ofi_trader.core.events import Trades
from hyperliquid_ofi_trader.signals.coin_signal import CoinSignal
from hyperliquid_ofi_trader.signals.ofi import RollingSum

if TYPE_CHECKING:
    from hyperliquid_ofi_trader.config.thresholds_schema import AggressiveVolumeThresholds
    from hyperliquid_ofi_trader.core.book_view import BookView
    from hyperliquid_ofi_trader.signals.microprice import MicropriceModel
    from hyperliquid_ofi_trader.signals.signal_state import SignalState


def aggressive_imbalance(buy_volume: float, sell_volume: float) -> float:
    """(buy − sell) / (buy + sell), clipped to [−1, 1]; 0 when there is no usable volume.

    A non-finite input makes the whole reading unknown (0), not a one-sided ±1.
    """
    if not math.isfinite(buy_volume + sell_volume):
        return 0.0
    # Rolling sums can leave a −1e-17 residue after eviction: treat negatives as zero.
    b = buy_volume if buy_volume > 0.0 else 0.0
    s = sell_volume if sell_volume > 0.0 else 0.0
    total = b + s
    if not total > 0.0:
        return 0.0
    x = (b - s) / total
    return 1.0 if x > 1.0 else (-1.0 if x < -1.0 else x)


class AggressiveVolume:
    """Taker buy/sell volume over the last `window_ns` of exchange time, as an imbalance.

    Bad trades (non-finite or non-positive size) are counted in `rejected` and skipped.
    """

    __slots__ = ("_buy", "_sell", "rejected")

    def __init__(self, window_ns: int) -> None:
        self._buy = RollingSum(window_ns)
        self._sell = RollingSum(window_ns)
        self.rejected = 0

    def on_trade(self, size: float, is_buy: bool, exchange_ns: int) -> bool:
        """Add one print; False when it was rejected."""
        if not (size > 0.0 and math.isfinite(size)):
            self.rejected += 1
            return False
        # Both sides advance so the window end is shared and evictions stay in step.
        if is_buy:
            self._sell.advance(exchange_ns)
            return self._buy.add(size, exchange_ns)
        self._buy.advance(exchange_ns)
        return self._sell.add(size, exchange_ns)

    def on_trades(self, event: Trades) -> int:
        """Add every print of a `trades` push; returns how many were accepted."""
        accepted = 0
        for t in event.trades:  # a loop, not sum() over a generator: this runs per event
            accepted += self.on_trade(t.size, t.is_buy, t.exchange_ns)
        return accepted

    def advance(self, now_ns: int) -> float:
        """Let exchange time pass without trades (evicts old volume); returns the value."""
        self.expire(now_ns)
        return self.value()

    def expire(self, now_ns: int) -> None:
        """`advance` without computing the value, for callers that do not read it."""
        self._buy.advance(now_ns)
        self._sell.advance(now_ns)

    def buy_volume(self) -> float:
        return max(self._buy.total(), 0.0)

    def sell_volume(self) -> float:
        return max(self._sell.total(), 0.0)

    def value(self) -> float:
        """The imbalance in [−1, 1] over the window ending at the latest time seen."""
        return aggressive_imbalance(self._buy.total(), self._sell.total())


class AggressiveVolumeSignal(CoinSignal):
    """The published "aggressive_volume" of one coin: taker imbalance over its window."""

    __slots__ = ("_advanced_ns", "flow")

    def __init__(self, window_ns: int) -> None:
        self.flow = AggressiveVolume(window_ns)
        self._advanced_ns = -(1 << 62)  # latest time the flow window was advanced to

    @classmethod
    def build(cls, book: BookView, tick: float, section: AggressiveVolumeThresholds,
              model: MicropriceModel | None) -> AggressiveVolumeSignal:
        return cls(section.window_ms * 1_000_000)

    def on_trades(self, state: SignalState, event: Trades) -> None:
        self.flow.on_trades(event)
        state.set("aggressive_volume", self.flow.value(), event.exchange_ns)

    def advance(self, ns: int) -> None:
        # Time passes for the window even when this coin's own data is quiet. Skipping a
        # time not beyond the last one is exact: the window never moves backwards, so
        # advancing it to an earlier or equal time is a no-op.
        if ns > self._advanced_ns:
            self._advanced_ns = ns
            self.flow.expire(ns)
