"""The engine-facing regime stage: `core.stages.RegimeStage` over a `RegimeDetector`.

The engine updates its per-coin market data first, then calls `on_event(event)` once, and
`values(traded_coin)` for every traded coin the event concerns (a BTC book event concerns
ETH through lead-lag). `update(traded_coin, event, now_ns)` does both for callers that
decide per coin: an event already fed is not fed again for the next traded coin, so nothing
is counted twice.

Regimes run on exchange time carried by the events and books; `now_ns` (the engine's clock)
is deliberately unused, so a replay and a live run see the same regimes.
"""

from __future__ import annotations

from collections.abc import Callable

from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.events import AssetCtx, Bbo, BookSnapshot, MarketEvent, Trades
from hyperliquid_ofi_trader.regime.detector import RegimeDetector
from hyperliquid_ofi_trader.regime.state import RegimeState


class RegimeStageAdapter:
    """`on_event(event)` + `values(coin) -> RegimeState`, reading books through
    `book_of(coin)`."""

    __slots__ = ("_book_of", "_last", "detector", "missing_books")

    def __init__(self, detector: RegimeDetector,
                 book_of: Callable[[str], BookView | None]) -> None:
        self.detector = detector
        self._book_of = book_of
        self._last: MarketEvent | None = None
        self.missing_books = 0  # book events for a coin whose book could not be found

    def update(self, coin: str, event: MarketEvent, now_ns: int) -> RegimeState:
        self.on_event(event)
        return self.detector.state(coin)

    def on_event(self, event: MarketEvent) -> None:
        if event is not self._last:
            self._last = event
            self._feed(event)

    def values(self, coin: str) -> RegimeState:
        return self.detector.state(coin)

    def _feed(self, event: MarketEvent) -> None:
        etype = type(event)
        # Exact types first (an identity test each, per event); isinstance for subclasses.
        if etype is Bbo or etype is BookSnapshot or (
                etype is not Trades and etype is not AssetCtx
                and isinstance(event, BookSnapshot | Bbo)):
            # The coin's book to the detector (here, not in a helper: every book event)
            book = self._book_of(event.coin)
            if book is None:
                self.missing_books += 1
            else:
                self.detector.on_book_for(event.coin, book)
        elif etype is Trades or isinstance(event, Trades):
            self.detector.on_trades(event)  # type: ignore[arg-type]
        elif isinstance(event, AssetCtx):
            self.detector.on_asset_ctx(event)
