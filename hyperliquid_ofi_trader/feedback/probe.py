"""Where feedback learns what was decided: a listener of the order manager's "sent" news.

The order manager hands each PlaceOrder to the gateway's port synchronously, inside the
decision that caused it, and tells its sent listeners right after, with the time read
before the hand-over. At that moment the book still shows the decision's mid and touch
and the signal stage's last values for the coin are the decision's signals. The probe
records them (slippage context, fill-rate start, trust's signal signs) keyed by the
order's cloid.

Recording after the hand-over keeps its ~15 µs off the event-to-wire latency, and
nothing is lost by it:
- the hand-over is a synchronous call on the engine's thread (every port queues the
  command and returns), so the book and the signal values cannot change in between;
- the venue's answers and fills come back as later events through the engine, so no fill
  can be processed before its order's context is recorded;
- a failure while recording is counted (`record_errors`) and cannot unsend or lose the
  order, which has already been handed to the port.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.commands import (
    CancelOrder,
    PlaceOrder,
)
from hyperliquid_ofi_trader.feedback.fill_rate import FillRateTracker
from hyperliquid_ofi_trader.feedback.slippage import OrderContext, SlippageTracker
from hyperliquid_ofi_trader.feedback.trust_score import SignalTrust

SignalsOf = Callable[[str], Mapping[str, float] | None]
_log = logging.getLogger(__name__)


class FeedbackProbe:
    """Records order context for the feedback trackers (`OrderManager.add_sent_listener`)."""

    def __init__(self, books: Mapping[str, BookView], slippage: SlippageTracker,
                 fill_rate: FillRateTracker, trust: SignalTrust | None = None,
                 signals_of: SignalsOf | None = None) -> None:
        self._books = books
        self._slippage = slippage
        self._fill_rate = fill_rate
        self._trust = trust
        self._signals_of = signals_of
        self.record_errors = 0

    def on_sent(self, orders: Sequence[PlaceOrder], cancels: Sequence[CancelOrder],
                sent_ns: int) -> None:
        for o in orders:
            self._record_safely(o, sent_ns)

    def _record_safely(self, o: PlaceOrder, now: int) -> None:
        try:
            self._record(o, now)
        except Exception as exc:  # feedback is advisory: never let it touch the order path
            self.record_errors += 1
            _log.error("feedback probe could not record order %s: %r", o.cloid, exc)

    def _record(self, o: PlaceOrder, now: int) -> None:
        book = self._books.get(o.coin)
        bid = ask = None
        if book is not None:
            b, a = book.best_bid(), book.best_ask()
            bid = None if b is None else b[0]
            ask = None if a is None else a[0]
        mid = (bid + ask) * 0.5 if bid is not None and ask is not None else None
        self._slippage.record_order(o.cloid, OrderContext(
            coin=o.coin, is_buy=o.is_buy, tif=o.tif.value, decision_mid=mid,
            arrival_px=ask if o.is_buy else bid, sent_ns=now))
        self._fill_rate.on_place(o.cloid, o.tif.value, now)
        if self._trust is not None and self._signals_of is not None:
            signals = self._signals_of(o.coin)
            if signals:
                self._trust.record_signals(o.cloid, signals)
