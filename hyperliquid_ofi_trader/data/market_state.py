"""Per-coin market state: the top of book, the venue's asset context and realised volatility.

Fed after each book event (`on_book`) and each `activeAssetCtx` push (`on_asset_ctx`). It
keeps the inputs other stages need without re-walking the book: mid, best bid/ask prices and
sizes (the micro-price inputs), mark / oracle / funding / open interest, and an EWMA of
realised volatility of log mid returns on EXCHANGE time.

Volatility: each book update contributes r = ln(mid / previous mid) and the exchange time
elapsed dt (seconds); the estimate is sqrt(decayed sum of r^2 / decayed sum of dt), i.e. the
realised variance RATE, in units of 1/sqrt(second) (multiply by 1e4 for bps per sqrt(s)).
A ratio of sums handles irregular updates: quiet intervals count as time without movement,
and several updates in one block (dt = 0) add their moves without dividing by zero. A
crossed or locked book, or one with a side missing, contributes no sample (its mid is not a
price anyone could trade at); the next valid mid is compared with the last valid one.

Asset contexts carry no venue time (exchange_ns is 0), so their freshness is their local
receive time, `ctx_local_ns`.
"""

from __future__ import annotations

import math
from typing import Final

from hyperliquid_ofi_trader.core.events import AssetCtx
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.utils.ewma import TimeDecayedRatio

_NS_PER_S: Final = 1e9

WRONG_COIN: Final = "wrong_coin"
BAD_CTX: Final = "bad_ctx"


class MarketState:
    """Latest market facts for one coin, plus EWMA realised volatility of the mid."""

    __slots__ = (
        "_last_mid",
        "_last_mid_ns",
        "_var_rate",
        "ask_px",
        "ask_sz",
        "bid_px",
        "bid_sz",
        "book_ns",
        "book_updates",
        "coin",
        "ctx_local_ns",
        "ctx_updates",
        "funding",
        "mark_px",
        "mid",
        "open_interest",
        "oracle_px",
        "premium",
        "rejections",
        "skipped_samples",
    )

    def __init__(self, coin: str, vol_halflife_ns: int) -> None:
        self.coin = coin
        self._var_rate = TimeDecayedRatio(vol_halflife_ns)
        self._last_mid: float | None = None
        self._last_mid_ns = 0
        self.mid: float | None = None
        self.bid_px: float | None = None
        self.bid_sz: float | None = None
        self.ask_px: float | None = None
        self.ask_sz: float | None = None
        self.mark_px: float | None = None
        self.oracle_px: float | None = None
        self.funding: float | None = None
        self.open_interest: float | None = None
        self.premium: float | None = None
        self.book_ns = 0
        self.ctx_local_ns = 0
        self.book_updates = 0
        self.ctx_updates = 0
        self.skipped_samples = 0
        self.rejections: dict[str, int] = {}

    # ------------------------------------------------------------ updates

    def on_book(self, book: OrderBook, exchange_ns: int) -> None:
        """Refresh the top of book after a book event at venue time `exchange_ns`."""
        if book.coin != self.coin:
            self._reject(WRONG_COIN)
            return
        bid, ask = book.best_bid(), book.best_ask()
        self.bid_px, self.bid_sz = bid if bid is not None else (None, None)
        self.ask_px, self.ask_sz = ask if ask is not None else (None, None)
        self.book_updates += 1
        if exchange_ns > self.book_ns:
            self.book_ns = exchange_ns
        if bid is None or ask is None or bid[0] >= ask[0]:
            self.mid = None
            self.skipped_samples += 1
            return
        self.mid = mid = (bid[0] + ask[0]) * 0.5
        # The volatility sample (log return since the last valid mid, over the exchange
        # time elapsed), written out here: this runs on every book event.
        t_ns = self.book_ns
        last = self._last_mid
        if last is not None:
            dt_s = max(t_ns - self._last_mid_ns, 0) / _NS_PER_S
            r = math.log(mid / last)
            self._var_rate.update(r * r, dt_s, t_ns)
        self._last_mid = mid
        self._last_mid_ns = t_ns

    def on_asset_ctx(self, ctx: AssetCtx) -> None:
        """Take mark, oracle, funding, open interest and premium from an asset context."""
        if ctx.coin != self.coin:
            self._reject(WRONG_COIN)
            return
        if not (_positive(ctx.mark_px) and _positive(ctx.oracle_px)
                and math.isfinite(ctx.funding) and math.isfinite(ctx.open_interest)):
            self._reject(BAD_CTX)
            return
        self.mark_px = ctx.mark_px
        self.oracle_px = ctx.oracle_px
        self.funding = ctx.funding
        self.open_interest = ctx.open_interest
        self.premium = ctx.premium
        self.ctx_local_ns = max(self.ctx_local_ns, ctx.local_ns)
        self.ctx_updates += 1

    # ------------------------------------------------------------ reads

    def volatility(self) -> float | None:
        """EWMA realised volatility of log mid returns per sqrt(second); None while unknown."""
        rate = self._var_rate.value
        return None if rate is None else math.sqrt(max(rate, 0.0))

    def volatility_bps(self) -> float | None:
        """The same in basis points per sqrt(second)."""
        vol = self.volatility()
        return None if vol is None else vol * 1e4

    def spread(self) -> float | None:
        if self.bid_px is None or self.ask_px is None:
            return None
        return self.ask_px - self.bid_px

    def as_dict(self) -> dict[str, float | int | None]:
        """A flat copy of the state for decision records (off the hot path)."""
        return {
            "mid": self.mid, "bid_px": self.bid_px, "bid_sz": self.bid_sz,
            "ask_px": self.ask_px, "ask_sz": self.ask_sz, "mark_px": self.mark_px,
            "oracle_px": self.oracle_px, "funding": self.funding,
            "open_interest": self.open_interest, "premium": self.premium,
            "volatility": self.volatility(), "book_ns": self.book_ns,
            "ctx_local_ns": self.ctx_local_ns,
        }

    # ------------------------------------------------------------ internals

    def _reject(self, reason: str) -> None:
        self.rejections[reason] = self.rejections.get(reason, 0) + 1


def _positive(x: float) -> bool:
    return 0.0 < x < math.inf
