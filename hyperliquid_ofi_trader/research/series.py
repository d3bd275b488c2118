"""Time series for research, extracted from recordings by the production data path.

A Hyperliquid recording (ours, the shared `<ns> <json>` capture, or the archive LZ4) is
replayed frame by frame through `HyperliquidCodec` → `OrderBook` → `OFICalculator` (and
`MultiLevelOFI` when asked), exactly as the engine sees it; after every accepted book change
one row is kept: exchange time, best bid/ask, the Level-1 OFI event, and the depth. Trades
are kept de-duplicated on their trade id. A Binance USDⓈ-M capture is read by
`research.binance_reader` into the same shapes (research only); `research.recordings`
loads either kind.

Everything downstream (OFI impact, lead-lag, IC, micro-price fitting) works on these arrays,
so the analyses are written once and do not care where the data came from.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from hyperliquid_ofi_trader.core.events import Bbo, BookSnapshot, Trades
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.data.replay_sources import ReadStats, ReplaySource, iter_frames
from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.signals.ofi import MultiLevelOFI, OFICalculator
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class ResearchError(OurBugError):
    """The user's input cannot answer the question (no data for the coin, several coins)."""


@dataclass(frozen=True, slots=True)
class BookSeries:
    """One row per accepted book change, in exchange-time order.

    `ofi` is the Level-1 OFI event of that change (coin units); `multi_ofi` the per-level
    events (rows × M) when M > 1 levels were asked for; `depth_m` the average size per level
    over the best M levels of both sides (M = 1: the L1 depth (qb + qa) / 2).
    """

    coin: str
    ns: IntArray
    bid_px: FloatArray
    bid_sz: FloatArray
    ask_px: FloatArray
    ask_sz: FloatArray
    ofi: FloatArray
    depth_m: FloatArray
    multi_ofi: FloatArray | None = None

    def __len__(self) -> int:
        return int(self.ns.size)

    @property
    def mid(self) -> FloatArray:
        return np.asarray(0.5 * (self.bid_px + self.ask_px), dtype=np.float64)

    @property
    def spread(self) -> FloatArray:
        return np.asarray(self.ask_px - self.bid_px, dtype=np.float64)

    @property
    def imbalance(self) -> FloatArray:
        """qb / (qb + qa) at the top of book (Stoikov's I)."""
        total = self.bid_sz + self.ask_sz
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(np.where(total > 0, self.bid_sz / total, np.nan), dtype=np.float64)

    @property
    def l1_depth(self) -> FloatArray:
        return np.asarray(0.5 * (self.bid_sz + self.ask_sz), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class TradeSeries:
    """Prints in exchange-time order; `is_buy` is the aggressor's side."""

    ns: IntArray
    price: FloatArray
    size: FloatArray
    is_buy: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.ns.size)


@dataclass(slots=True)
class ExtractStats:
    """What the extraction saw and refused (reported by the commands, never hidden)."""

    frames: int = 0
    book_events: int = 0
    book_rejections: dict[str, int] = field(default_factory=dict)
    codec_rejections: dict[str, int] = field(default_factory=dict)
    other_coins: Counter[str] = field(default_factory=Counter)
    duplicate_trades: int = 0
    read: ReadStats = field(default_factory=ReadStats)


@dataclass(frozen=True, slots=True)
class MarketSeries:
    """Book and trades of one coin from one recording, plus how they were obtained."""

    source: str  # "hyperliquid" or "binance"
    book: BookSeries
    trades: TradeSeries
    stats: ExtractStats

    @property
    def coin(self) -> str:
        return self.book.coin


# ---------------------------------------------------------------- builders


class BookRows:
    """Accumulates book rows in plain lists (cheap appends), then freezes them to arrays."""

    __slots__ = ("ask_px", "ask_sz", "bid_px", "bid_sz", "depth", "multi", "ns", "ofi")

    def __init__(self) -> None:
        self.ns: list[int] = []
        self.bid_px: list[float] = []
        self.bid_sz: list[float] = []
        self.ask_px: list[float] = []
        self.ask_sz: list[float] = []
        self.ofi: list[float] = []
        self.depth: list[float] = []
        self.multi: list[tuple[float, ...]] = []

    def add(self, ns: int, bid: tuple[float, float], ask: tuple[float, float], ofi: float,
            depth: float) -> None:
        self.ns.append(ns)
        self.bid_px.append(bid[0])
        self.bid_sz.append(bid[1])
        self.ask_px.append(ask[0])
        self.ask_sz.append(ask[1])
        self.ofi.append(ofi)
        self.depth.append(depth)

    def freeze(self, coin: str) -> BookSeries:
        f = np.asarray
        multi = np.asarray(self.multi, dtype=np.float64) if self.multi else None
        return BookSeries(
            coin=coin, ns=f(self.ns, dtype=np.int64), bid_px=f(self.bid_px, dtype=np.float64),
            bid_sz=f(self.bid_sz, dtype=np.float64), ask_px=f(self.ask_px, dtype=np.float64),
            ask_sz=f(self.ask_sz, dtype=np.float64), ofi=f(self.ofi, dtype=np.float64),
            depth_m=f(self.depth, dtype=np.float64), multi_ofi=multi,
        )


class TradeRows:
    """De-duplicating trade accumulator (the venue may resend prints after a reconnect)."""

    __slots__ = ("duplicates", "is_buy", "ns", "price", "seen", "size")

    def __init__(self) -> None:
        self.ns: list[int] = []
        self.price: list[float] = []
        self.size: list[float] = []
        self.is_buy: list[bool] = []
        self.seen: set[int] = set()
        self.duplicates = 0

    def add(self, tid: int, ns: int, price: float, size: float, is_buy: bool) -> None:
        if tid in self.seen:
            self.duplicates += 1
            return
        self.seen.add(tid)
        self.ns.append(ns)
        self.price.append(price)
        self.size.append(size)
        self.is_buy.append(is_buy)

    def freeze(self) -> TradeSeries:
        ns = np.asarray(self.ns, dtype=np.int64)
        order = np.argsort(ns, kind="stable")  # batches can arrive out of exchange order
        return TradeSeries(ns=ns[order], price=np.asarray(self.price, dtype=np.float64)[order],
                           size=np.asarray(self.size, dtype=np.float64)[order],
                           is_buy=np.asarray(self.is_buy, dtype=np.bool_)[order])


# ---------------------------------------------------------------- Hyperliquid replay


class _HyperliquidReplay:
    """Drives one coin's OrderBook and OFI calculators from decoded events."""

    def __init__(self, coin: str, levels: int) -> None:
        self.book = OrderBook(coin)
        self.l1 = OFICalculator(self.book)
        self.multi = MultiLevelOFI(self.book, levels) if levels > 1 else None
        self.levels = levels
        self.rows = BookRows()
        self.trades = TradeRows()

    def on_book(self, ev: BookSnapshot | Bbo) -> None:
        before = self.book.updates, self.book.snapshots, self.book.bbos
        if isinstance(ev, BookSnapshot):
            self.book.apply_snapshot(ev)
        else:
            self.book.apply_bbo(ev)
        if (self.book.updates, self.book.snapshots, self.book.bbos) == before:
            return  # rejected (stale, crossed, bad level): the book did not move
        self._record()

    def _record(self) -> None:
        bid, ask = self.book.best_bid(), self.book.best_ask()
        e = self.l1.update()
        m = self.multi.update() if self.multi is not None else None
        if bid is None or ask is None or bid[0] >= ask[0]:
            return  # no usable top of book: no row (the OFI calculators re-initialise)
        depth = self.book.depth(self.levels) / (2 * self.levels)
        self.rows.add(self.book.exchange_ns, bid, ask, e, depth)
        if m is not None:
            self.rows.multi.append(m)

    def on_trades(self, ev: Trades) -> None:
        for t in ev.trades:
            self.trades.add(t.tid, t.exchange_ns, t.price, t.size, t.is_buy)


def load_hyperliquid(path: ReplaySource, coin: str | None = None, levels: int = 1) -> MarketSeries:
    """Replay a Hyperliquid recording for one coin (the only coin in it when `coin` is None)."""
    if levels < 1:
        raise ResearchError(f"--levels must be at least 1, got {levels}")
    stats = ExtractStats()
    codec = HyperliquidCodec()
    replay: _HyperliquidReplay | None = None
    for local_ns, raw in iter_frames(path, stats.read):
        stats.frames += 1
        for ev in codec.decode(raw, local_ns):
            if not isinstance(ev, BookSnapshot | Bbo | Trades):
                continue
            if coin is None:
                coin = ev.coin
            if ev.coin != coin:
                stats.other_coins[ev.coin] += 1
                continue
            if replay is None:
                replay = _HyperliquidReplay(ev.coin, levels)
            if isinstance(ev, Trades):
                replay.on_trades(ev)
            else:
                stats.book_events += 1
                replay.on_book(ev)
    stats.codec_rejections = dict(codec.rejections)
    return _finish_hyperliquid(path, coin, replay, stats)


def _finish_hyperliquid(path: ReplaySource, coin: str | None, replay: _HyperliquidReplay | None,
                        stats: ExtractStats) -> MarketSeries:
    if replay is None or not replay.rows.ns:
        raise ResearchError(f"{path}: no usable book updates for coin {coin or '(any)'}"
                            + other_coins_note(stats))
    stats.book_rejections = dict(replay.book.rejections)
    stats.duplicate_trades = replay.trades.duplicates
    return MarketSeries("hyperliquid", replay.rows.freeze(replay.book.coin),
                        replay.trades.freeze(), stats)


def other_coins_note(stats: ExtractStats) -> str:
    if not stats.other_coins:
        return ""
    return " (it holds: " + ", ".join(sorted(stats.other_coins)) + "; pick one with --coin)"


# ---------------------------------------------------------------- grid helpers


def asof(ns: IntArray, values: FloatArray, query_ns: npt.ArrayLike) -> FloatArray:
    """The value of the last row at or before each query time; NaN before the first row."""
    q = np.asarray(query_ns, dtype=np.int64)
    idx = np.searchsorted(ns, q, side="right") - 1
    out = np.where(idx >= 0, values[np.clip(idx, 0, None)], np.nan)
    return np.asarray(out, dtype=np.float64)


def infer_tick(prices: npt.ArrayLike) -> float:
    """The price grid step seen in the data: the smallest gap between distinct prices.

    Rounded to 10 significant decimals to drop float noise (61800.3 − 61800.2 is not 0.1).
    NaN when fewer than two distinct prices were seen.
    """
    p = np.unique(np.round(np.asarray(prices, dtype=np.float64), 10))
    p = p[np.isfinite(p)]
    if p.size < 2:
        return math.nan
    gap = float(np.diff(p).min())
    return float(f"{gap:.6g}")


def book_tick(book: BookSeries) -> float:
    return infer_tick(np.concatenate([book.bid_px, book.ask_px]))

