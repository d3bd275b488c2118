"""Where feedback learns what was decided: a `CommandPort` decorator on the order path.

The order manager hands each PlaceOrder to the gateway's port synchronously, inside the
decision that caused it, so at that moment the book still shows the decision's mid and
touch and the signal stage's last values for the coin are the decision's signals. The
probe records them (slippage context, fill-rate start, trust's signal signs) keyed by the
order's cloid. Everything else passes straight on.

Order of work: forward first, record second. Recording costs ~15 µs and nothing in it is
needed to send the order, so it stays off the event-to-wire latency. Nothing is lost by
the swap:
- the forward is a synchronous call on the engine's thread (every port queues the command
  and returns), so the book and the signal values cannot change between the forward and
  the recording, and the send time is read from the clock BEFORE forwarding, as before;
- the venue's answers and fills come back as later events through the engine, so no fill
  can be processed before its order's context is recorded;
- a failure while recording is counted (`record_errors`) and cannot unsend or lose the
  order, which has already been handed to the port.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.clock import Clock
from hyperliquid_ofi_trader.core.commands import (
    CancelOrder,
    CommandPort,
    ModifyOrder,
    PlaceOrder,
)
from hyperliquid_ofi_trader.feedback.fill_rate import FillRateTracker
from hyperliquid_ofi_trader.feedback.slippage import OrderContext, SlippageTracker
from hyperliquid_ofi_trader.feedback.trust_score import SignalTrust

SignalsOf = Callable[[str], Mapping[str, float] | None]
_log = logging.getLogger(__name__)


class FeedbackProbe:
    """Records order context for the feedback trackers; forwards every command."""

    def __init__(self, inner: CommandPort, clock: Clock, books: Mapping[str, BookView],
                 slippage: SlippageTracker, fill_rate: FillRateTracker,
                 trust: SignalTrust | None = None, signals_of: SignalsOf | None = None
                 ) -> None:
        self._inner = inner
        self._clock = clock
        self._books = books
        self._slippage = slippage
        self._fill_rate = fill_rate
        self._trust = trust
        self._signals_of = signals_of
        self.record_errors = 0

    def place(self, orders: Sequence[PlaceOrder]) -> None:
        now = self._clock.now_ns()
        try:
            self._inner.place(orders)
        finally:  # recorded even if the port raised: the order may have left
            for o in orders:
                self._record_safely(o, now)

    def modify(self, modifies: Sequence[ModifyOrder]) -> None:
        now = self._clock.now_ns()
        try:
            self._inner.modify(modifies)
        finally:
            for m in modifies:
                self._record_safely(m.replacement, now)

    def cancel(self, cancels: Sequence[CancelOrder]) -> None:
        self._inner.cancel(cancels)

    def query_order(self, coin: str, cloid: str | None, oid: int | None) -> None:
        self._inner.query_order(coin, cloid, oid)

    def schedule_cancel(self, time_ms: int | None) -> None:
        self._inner.schedule_cancel(time_ms)

    def reconcile(self) -> None:
        self._inner.reconcile()

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
