"""Binance USDⓈ-M futures captures → research time series. RESEARCH REPLAY ONLY.

The system trades Hyperliquid; this reader exists so the research commands can study
cross-asset lead-lag and signal behaviour on the denser Binance captures in
`../shared/data/binance/` (hftbacktest example data). Nothing in the engine imports it.

Input: `<local receive ns> <frame JSON>` lines (gzip or plain, read by
`replay_sources.iter_frames`), combined-stream frames `{"stream": "<sym>@<kind>", "data": …}`:
- `@bookTicker` (best bid/ask with sizes): the Level-1 series. `T` (matching-engine
  transaction time, ms) is the row time, `E` (push time) when `T` is absent; rows are put in
  (time, update id `u`) order before OFI is computed, because push order can differ slightly.
- `@trade`: prints; `m` is "buyer is the maker", so the aggressor bought when `m` is false.
  Only `X == "MARKET"` prints are kept (insurance-fund and ADL prints are not taker flow).
- `@depth@0ms` diffs and the REST depth snapshot line are skipped without parsing: the
  research series need Level 1 only, and skipping them keeps a 94k-line file fast.
The collector's clock is irrelevant here: every time used is the exchange's.

Bad rows (unparseable, non-positive or non-finite numbers, bid >= ask) are counted by reason
in `ExtractStats.book_rejections`, never raised.
"""

from __future__ import annotations

import math
from pathlib import Path

import msgspec

from hyperliquid_ofi_trader.data.replay_sources import ReplaySourceError, iter_frames
from hyperliquid_ofi_trader.research.series import (
    BookRows,
    ExtractStats,
    MarketSeries,
    ResearchError,
    TradeRows,
)
from hyperliquid_ofi_trader.signals.ofi import OFICalculator

_MS = 1_000_000
_PREFIX = 80  # the stream name sits in the first bytes of a combined-stream frame


class _Envelope(msgspec.Struct, gc=False):
    stream: str
    data: msgspec.Raw


class _BookTicker(msgspec.Struct, gc=False):
    b: str
    B: str
    a: str
    A: str
    u: int = 0
    T: int = 0
    E: int = 0


class _Trade(msgspec.Struct, gc=False):
    p: str
    q: str
    m: bool
    t: int
    T: int = 0
    E: int = 0
    X: str = "MARKET"


_envelope = msgspec.json.Decoder(_Envelope)
_ticker = msgspec.json.Decoder(_BookTicker)
_trade = msgspec.json.Decoder(_Trade)

TopRow = tuple[int, int, float, float, float, float]  # (ns, update id, bid, qb, ask, qa)


class TopOfBook:
    """A one-level BookView over the latest bookTicker, so OFICalculator can run on it."""

    __slots__ = ("ask", "bid", "coin", "exchange_ns")

    def __init__(self, coin: str = "") -> None:
        self.coin = coin
        self.exchange_ns = 0
        self.bid: tuple[float, float] | None = None
        self.ask: tuple[float, float] | None = None

    def best_bid(self) -> tuple[float, float] | None:
        return self.bid

    def best_ask(self) -> tuple[float, float] | None:
        return self.ask

    def mid(self) -> float | None:
        if self.bid is None or self.ask is None:
            return None
        return (self.bid[0] + self.ask[0]) / 2

    def depth(self, levels: int = 5) -> float:
        return (self.bid[1] if self.bid else 0.0) + (self.ask[1] if self.ask else 0.0)

    def levels(self, side: int, n: int) -> list[tuple[float, float]]:
        top = self.bid if side == 0 else self.ask
        return [top] if top is not None and n > 0 else []


def is_binance_capture(path: Path) -> bool:
    """True when the first frame of `path` is a Binance combined-stream or REST depth frame."""
    try:
        frames = iter_frames(Path(path))
    except ReplaySourceError:
        return False
    try:
        first = next(iter(frames), None)
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()
    if first is None:
        return False
    head = first[1][:_PREFIX]
    return head.startswith((b'{"stream":', b'{"lastUpdateId":'))


def _stream_kind(frame: bytes) -> tuple[str, str]:
    """(symbol, kind) from the frame prefix, e.g. ("BTCUSDT", "bookTicker"); ("", "") if none."""
    head = frame[:_PREFIX]
    if not head.startswith(b'{"stream":"'):
        return "", ""
    end = head.find(b'"', 11)
    if end < 0:
        return "", ""
    name = head[11:end].decode(errors="replace")
    sym, _, kind = name.partition("@")
    return sym.upper(), kind


def _num(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        return math.nan
    return v


class _Reader:
    """Collects bookTicker rows and trades of one symbol."""

    def __init__(self, symbol: str | None) -> None:
        self.symbol = symbol
        self.tops: list[TopRow] = []
        self.trades = TradeRows()
        self.stats = ExtractStats()
        self.rejects: dict[str, int] = {}

    def reject(self, reason: str) -> None:
        self.rejects[reason] = self.rejects.get(reason, 0) + 1

    def on_frame(self, frame: bytes) -> None:
        self.stats.frames += 1
        sym, kind = _stream_kind(frame)
        if kind not in ("bookTicker", "trade"):
            return  # depth diffs, the REST snapshot, anything else: not needed
        if self.symbol is None:
            self.symbol = sym
        if sym != self.symbol:
            self.stats.other_coins[sym] += 1
            return
        try:
            data = _envelope.decode(frame).data
            if kind == "bookTicker":
                self._on_ticker(_ticker.decode(data))
            else:
                self._on_trade(_trade.decode(data))
        except msgspec.DecodeError:  # also covers ValidationError
            self.reject(f"bad_{kind}")

    def _on_ticker(self, m: _BookTicker) -> None:
        bid, qb, ask, qa = _num(m.b), _num(m.B), _num(m.a), _num(m.A)
        ms = m.T or m.E
        if not (0.0 < bid < ask < math.inf and 0.0 < qb < math.inf and 0.0 < qa < math.inf):
            self.reject("bad_top")
            return
        if ms <= 0:
            self.reject("no_time")
            return
        self.stats.book_events += 1
        self.tops.append((ms * _MS, m.u, bid, qb, ask, qa))

    def _on_trade(self, m: _Trade) -> None:
        if m.X != "MARKET":
            self.reject("non_market_trade")
            return
        px, sz, ms = _num(m.p), _num(m.q), m.T or m.E
        if not (0.0 < px < math.inf and 0.0 < sz < math.inf and ms > 0):
            self.reject("bad_trade")
            return
        self.trades.add(m.t, ms * _MS, px, sz, not m.m)

    def finish(self, path: Path) -> MarketSeries:
        if not self.tops:
            raise ResearchError(f"{path}: no bookTicker rows"
                                + (f" for {self.symbol}" if self.symbol else ""))
        self.tops.sort(key=lambda r: (r[0], r[1]))
        rows = _ofi_rows(self.tops)
        self.stats.book_rejections = self.rejects
        self.stats.duplicate_trades = self.trades.duplicates
        return MarketSeries("binance", rows.freeze(self.symbol or ""), self.trades.freeze(),
                            self.stats)


def _ofi_rows(tops: list[TopRow]) -> BookRows:
    """Level-1 OFI (Cont, Kukanov & Stoikov) over bookTicker rows, via OFICalculator."""
    view = TopOfBook()
    ofi = OFICalculator(view)
    rows = BookRows()
    for ns, _, bid, qb, ask, qa in tops:
        view.bid, view.ask = (bid, qb), (ask, qa)
        rows.add(ns, view.bid, view.ask, ofi.update(), 0.5 * (qb + qa))
    return rows


def load_binance(path: Path, symbol: str | None = None) -> MarketSeries:
    """Read one Binance USDⓈ-M capture into book (bookTicker) and trade series.

    `symbol` (e.g. "BTCUSDT") picks one stream when a capture holds several; by default the
    first symbol seen. Raises ReplaySourceError for unreadable paths, ResearchError when no
    bookTicker row survives.
    """
    reader = _Reader(symbol.upper() if symbol else None)
    for _, frame in iter_frames(Path(path), reader.stats.read):
        reader.on_frame(frame)
    return reader.finish(Path(path))
