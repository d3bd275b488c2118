"""The order manager: intents in, commands out, venue news folded into order state.

Synchronous, on the engine's event path, never reading the wall clock (the injected `Clock`
and the events' timestamps only). It never waits: commands go to a `CommandPort`, answers
come back later as events (`on_gateway`, `on_private`), and `on_timer(now_ns)` acts on
orders whose answers are late.

Rules that keep real money safe:
- Every order gets OUR cloid before it is sent ("0x" + 64-bit prefix + 64-bit counter; the
  counter starts at max(reserved high-water in the store, clock ns) and blocks are reserved
  durably before use), so an order whose answer was lost is still findable and cancellable,
  and a restart never reuses a cloid.
- An order whose fate is unknown is QUERIED, never re-placed: ack timeout → query by
  cloid; still unresolved after `query_timeout_ns` → cancel by cloid. No path re-sends a
  place. A query that gets no answer is tried again spaced out (`retry_base_ns`, doubling),
  at most `max_query_failures` times in a row, never at once: under a rate limit a query
  answered by a failure answered by a query is a storm.
- A request the venue provably did not act on (`ActionFailed.not_acted`: refused for a
  rate limit, never sent) is not a mystery: its orders were never placed (rejected, no
  query, no cancel) and its cancels never took effect (the order rests; the cancel is
  re-sent later, spaced out).
- Fills are facts: de-duplicated on (coin, tid) here and nowhere else (a fill with
  unusable numbers is counted and dropped), applied whatever the order's state (a fill
  before the ack, a fill racing a cancel or a cancel-and-replace), and each new fill
  reaches the fill listeners (positions, feedback) exactly once.
- Status news is idempotent: duplicates and out-of-order updates (a late "open" after
  "filled") are counted and dropped by the transition table (`order_state.py`), never
  allowed to regress an order.
- A terminal state we only inferred ("the venue never saw it") is revisited if the venue
  later shows the order alive: that order is cancelled at once ("zombie").
- Nothing here raises on venue input or a failing port/listener: those are counted.

Observers do not wrap the port: they subscribe. `add_sent_listener` tells each command
handed to the port (the kill switch's round-trip watch, feedback's order context),
`add_fill_listener` each NEW fill (positions, feedback trackers); `set_resting_guard`
lets the dead man's switch put a `scheduleCancel` ahead of an order that may rest.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol

from hyperliquid_ofi_trader.core.clock import Clock
from hyperliquid_ofi_trader.core.commands import (
    CancelOrder,
    CommandPort,
    ModifyOrder,
    PlaceOrder,
)
from hyperliquid_ofi_trader.core.events import (
    AccountSnapshot,
    ActionFailed,
    CancelAck,
    Fill,
    GatewayEvent,
    NonUserCancel,
    OpenOrder,
    OrderAck,
    OrderStatus,
    OrderStatusReport,
    OrderUpdate,
    PrivateEvent,
    ScheduleCancelAck,
    UserFills,
)
from hyperliquid_ofi_trader.core.order_state import (
    OrderEvent,
    OrderState,
    is_live,
    is_repeat,
    is_stale,
    transition,
)
from hyperliquid_ofi_trader.core.records import FillReport
from hyperliquid_ofi_trader.core.stages import (
    CancelIntent,
    ModifyIntent,
    OrderIntent,
    PlanIntent,
    Tif,
)
from hyperliquid_ofi_trader.execution.intent_rounding import IntentGrid
from hyperliquid_ofi_trader.execution.order_records import (
    LiveOrders,
    OpenOrderRef,
    Order,
    OrderManagerSettings,
    OrderRecord,
    valid_order_numbers,
)
from hyperliquid_ofi_trader.execution.order_store import (
    FillRow,
    OrderStore,
    OrderStoreError,
)
from hyperliquid_ofi_trader.venues.hyperliquid.common.errors import (
    IocCouldNotMatch,
    VenueError,
    classify,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import order_status

__all__ = ["FillListener", "FillReport", "Order", "OrderManager", "OrderManagerSettings",
           "RestingGuard", "SentListener"]

FillListener = Callable[[FillReport], None]
# Called with the send time before an order that may rest (ALO, GTC) leaves; returns a
# `scheduleCancel` time (ms) to hand to the port first, or None when none is needed.
RestingGuard = Callable[[int], int | None]


class SentListener(Protocol):
    """Told of every order and cancel right after it was handed to the port, with the
    time read before the hand-over ("sent"). `orders`: new orders and the replacements of
    modifies; `cancels`: cancel commands. Must not raise (a failure is counted)."""

    def on_sent(self, orders: Sequence[PlaceOrder], cancels: Sequence[CancelOrder],
                sent_ns: int) -> None: ...

_log = logging.getLogger(__name__)
_MAX_ORPHAN_OIDS: Final = 1024
S = OrderState
E = OrderEvent
_UNKNOWN_OID: Final = "unknownOid"
_STATUS_EVENT: Final = {OrderStatus.OPEN: E.ACCEPTED, OrderStatus.TRIGGERED: E.ACCEPTED,
                        OrderStatus.FILLED: E.FILLED, OrderStatus.CANCELED: E.CANCELLED,
                        OrderStatus.MARGIN_CANCELED: E.CANCELLED,
                        OrderStatus.REJECTED: E.REJECTED}
_QUERY_KINDS: Final = frozenset({"orderStatus", "reconcile"})
_PLACING_KINDS: Final = frozenset({"order", "batchModify"})
NOT_SENT_PREFIX: Final = "not sent: "  # the gateway's words for a command it never sent
_SUBMITTED_KEY: Final = {tif: f"submitted:{tif.value}" for tif in Tif}
_FILL_TOLERANCE: Final = 1e-9  # relative: sums of decimal sizes in binary floats


class OrderManager:
    """Implements `OrderSink` and `PrivateListener`; see the module docstring."""

    def __init__(self, port: CommandPort, clock: Clock, store: OrderStore | None,
                 settings: OrderManagerSettings | None = None) -> None:
        # Seed-style construction (no settings): the packaged risk.yaml `execution`.
        self.settings = settings if settings is not None else _packaged_settings()
        self._port = port
        self._clock = clock
        self._store = store
        self._orders: dict[str, OrderRecord] = {}
        self._live = LiveOrders()
        self._by_oid: dict[int, str] = {}
        self._terminal: deque[str] = deque()
        # (coin, tid) -> fingerprint of the fill's content (None: known only by key, e.g.
        # recovered from the store), to tell a plain re-delivery from a conflicting one.
        self._seen: dict[tuple[str, int], int | None] = {}
        self._seen_order: deque[tuple[str, int]] = deque()
        self._listeners: list[FillListener] = []
        self._sent_listeners: list[SentListener] = []
        self._resting_guard: RestingGuard | None = None
        self._orphans: dict[int, list[Fill]] = {}
        self.counts: dict[str, int] = {}
        self.outcomes: dict[str, int] = {}  # "<tif>:<terminal state>"
        self.rejects: dict[str, int] = {}  # reason code -> count
        self.last_schedule_cancel: ScheduleCancelAck | None = None
        self._counter = clock.now_ns()
        self._reserved = 0
        self._cloid_head = f"0x{self.settings.cloid_prefix:016x}"
        self._grid = IntentGrid(self.settings.sz_decimals)
        if store is not None:
            self._recover(store)

    # ------------------------------------------------------------ OrderSink

    def submit(self, decision_id: int, intents: Sequence[PlanIntent]) -> None:
        """Execute an approved plan, every action citing `decision_id`: cancels first (one
        `cancel` command), then modifies (cancel-and-replace, the replacement recorded
        under this decision), then new orders (each given a cloid, recorded PENDING, one
        `place` for all). The order is the one the plan was decided in: moves and pulls
        of resting orders before the new order that was priced around them."""
        now = self._clock.now_ns()
        cmds: list[PlaceOrder] = []
        moves: list[PlanIntent] | None = None
        for it in intents:
            if type(it) is not OrderIntent:  # rare: only re-quotes make them
                if moves is None:
                    moves = []
                moves.append(it)
                continue
            snapped = self._on_grid(it.coin, it.is_buy, it.price, it.size)
            if snapped is None:
                self._count("invalid_intent")
                continue
            rec = self._new_order(decision_id, it.coin, it.is_buy, *snapped, it.tif,
                                  it.reduce_only, it.tag, now)
            cmds.append(_place(rec))
        if moves is not None:
            self._apply_moves(decision_id, moves)
        if cmds:
            self._write_ahead()
            self._send_places(cmds)

    def _apply_moves(self, decision_id: int, moves: Sequence[PlanIntent]) -> None:
        cancels = [m.cloid for m in moves if isinstance(m, CancelIntent)]
        if cancels:
            self._count("plan_cancel", len(cancels))
            self.cancel(cancels, decision_id)
        for m in moves:
            if isinstance(m, ModifyIntent):
                self._modify_as_planned(decision_id, m)

    def _modify_as_planned(self, decision_id: int, m: ModifyIntent) -> None:
        # What the gate approved is what would rest after the move: refuse a modify whose
        # order is not the one it describes (side, TIF, reduce-only), never send it
        # with the live order's flags instead.
        old = self._live.get(m.cloid)
        if old is not None and (old.coin != m.coin or old.is_buy != m.is_buy
                                or old.tif is not m.tif or old.reduce_only != m.reduce_only):
            self._count("modify_mismatch")
            return
        self.modify(m.cloid, m.price, m.size, decision_id)

    def cancel_all(self, reason: str) -> None:
        """Cancel every live order by cloid (pending and unknown ones included)."""
        self._count("cancel_all")
        _log.warning("cancel_all (%s): %d live orders", reason, len(self._live))
        self._send_cancels(list(self._live.values()), self._clock.now_ns())

    def cancel_exposing(self, reason: str) -> int:
        """Cancel every live order that is not reduce-only (the engine entering REDUCING);
        returns how many."""
        recs = [r for r in self._live.values() if not r.reduce_only]
        self._count("cancel_exposing")
        _log.warning("cancel_exposing (%s): %d live orders are not reduce-only", reason,
                     len(recs))
        self._send_cancels(recs, self._clock.now_ns())
        return len(recs)

    def cancel(self, cloids: Sequence[str], decision_id: int | None = None) -> int:
        """Cancel these orders (unknown or finished ones are skipped); returns how many.
        `decision_id`: the decision that wants them pulled, cited by the commands."""
        recs = [r for c in cloids if (r := self._live.get(c)) is not None]
        # An order whose fate is being asked after a cancel was already sent for it gets
        # no second cancel here: the venue answered "not found" (or nothing), and only the
        # query's answer or its timeout (which cancels again, spaced) settles it. A cancel
        # per decision made cancel -> not found -> query -> unknown -> cancel storms.
        asked = [r for r in recs if r.state is S.UNKNOWN and r.queried and r.cancel_wanted]
        if asked:
            self._count("cancel_while_asked", len(asked))
            recs = [r for r in recs if r not in asked]
        self._send_cancels(recs, self._clock.now_ns(), decision_id)
        return len(recs)

    def modify(self, cloid: str, new_price: float, new_size: float,
               decision_id: int | None = None) -> str | None:
        """Cancel-and-replace a resting order with a NEW cloid; returns it, or None when the
        order cannot be modified now (unknown, not resting, or bad numbers: counted)."""
        old = self._live.get(cloid)
        snapped = None if old is None else self._on_grid(old.coin, old.is_buy, new_price,
                                                          new_size)
        if old is None or old.state not in (S.RESTING, S.PARTIALLY_FILLED) or snapped is None:
            self._count("modify_refused")
            return None
        now = self._clock.now_ns()
        new = self._new_order(old.decision_id if decision_id is None else decision_id,
                              old.coin, old.is_buy, *snapped, old.tif,
                              old.reduce_only, old.tag, now)
        new.replaces = cloid
        old.replaced_by = new.cloid
        self._cancel_sent(old, now)
        old.deadline_ns = now + self.settings.cancel_timeout_ns
        self._persist(new)
        self._count("modify")
        self._write_ahead()
        self._send_modifies([ModifyOrder(target_cloid=cloid, target_oid=old.oid,
                                         replacement=_place(new))])
        return new.cloid

    # ------------------------------------------------------------ PrivateListener

    def on_private(self, event: PrivateEvent) -> None:
        if isinstance(event, OrderUpdate):
            self._on_order_update(event)
        elif isinstance(event, UserFills):
            for fill in event.fills:
                self._on_fill(fill, event.local_ns, event.is_snapshot)
        elif isinstance(event, NonUserCancel):
            self._on_non_user_cancel(event)
        else:
            self._count("private_ignored")

    def _on_order_update(self, ev: OrderUpdate) -> None:
        rec = self._find(ev.cloid, ev.oid)
        if rec is None:
            self._count("update_unknown_order")
            return
        self._learn_oid(rec, ev.oid)
        event = _STATUS_EVENT.get(ev.status)
        if event is None:
            # A status text no table knows: the order may be gone. Ask, never assume.
            self._count("update_unknown_status")
            _log.warning("order %s: unknown venue status %r, asking the venue", rec.cloid,
                         ev.raw_status)
            if is_live(rec.state) and not rec.queried:
                self._query(rec)
            return
        if event is not E.ACCEPTED:
            rec.last_error = ev.raw_status
        _announce(rec, rec.orig_size if event is E.FILLED else ev.orig_size - ev.size)
        self._venue(rec, self._ioc_cancel_is_expiry(rec, event), ev.local_ns)

    def _on_non_user_cancel(self, ev: NonUserCancel) -> None:
        for coin, oid in ev.cancels:
            rec = self._find(None, oid)
            if rec is None or rec.coin != coin:
                self._count("update_unknown_order")
                continue
            rec.last_error = "non_user_cancel"
            self._venue(rec, E.CANCELLED, ev.local_ns)

    # ------------------------------------------------------------ fills

    def _on_fill(self, fill: Fill, local_ns: int, snapshot: bool) -> None:
        # The one place that decides a fill is new: every listener (positions, feedback)
        # hears it from here, once, whichever channel brought it how often.
        if not _fill_ok(fill):
            self._count("fill_malformed")
            _log.error("fill %s tid %d with unusable numbers ignored: %r", fill.coin,
                       fill.tid, fill)
            return
        key = (fill.coin, fill.tid)
        print_ = _fingerprint(fill)
        if key in self._seen:
            self._on_repeated_fill(fill, print_, self._seen[key])
            return
        self._remember_fill(key, print_)
        rec = self._find(fill.cloid, fill.oid)
        if rec is None and snapshot:
            # History from before this process knew the account: positions come from the
            # account snapshot, so counting these again would double the position.
            self._count("fill_historical")
            self._save_fill(fill, local_ns, None)
            return
        self._count("fills" if rec is not None else "fill_foreign")
        if rec is not None:
            self._apply_fill_to_order(rec, fill, local_ns)
        else:
            self._keep_orphan(fill)
        # Listeners first: the position book's row then precedes the fill's in the store
        # batch, as when the manager kept positions itself.
        self._notify(fill, local_ns, snapshot, rec)
        self._save_fill(fill, local_ns, rec)

    def _on_repeated_fill(self, fill: Fill, print_: int, first: int | None) -> None:
        # Every fill normally arrives more than once: the userFills and userEvents streams
        # both carry it, and snapshots and reconciliations repeat recent ones. Only a fill
        # whose content differs from the first copy under the same trade id is news.
        if first is None or first == print_:
            self._count("fill_redelivered")
            return
        self._count("fill_conflict")
        _log.error("fill %s tid %d re-delivered with different content (ignored): %r",
                   fill.coin, fill.tid, fill)

    def _apply_fill_to_order(self, rec: OrderRecord, fill: Fill, now: int) -> None:
        self._learn_oid(rec, fill.oid)
        rec.filled += fill.size
        rec.notional += fill.size * fill.price
        rec.fee += fill.fee
        event = E.FILLED if rec.complete() else E.PARTIAL_FILL
        if is_stale(rec.state, event):
            # A fill that lands after the order ended: the size counts, the state stays.
            if not _announced(rec):
                # The venue's news did not account for it (it happened before a cancel
                # took effect, or contradicts what we were told): worth a count.
                self._count("fill_after_terminal")
            rec.updated_ns = now
            self._persist(rec)
            return
        self._venue(rec, event, now)

    def _keep_orphan(self, fill: Fill) -> None:
        # A fill without a cloid for an oid we do not know yet may be ours with its ack
        # still in flight: the position counts it now, the order gets it when the ack
        # tells us the oid (`_learn_oid`). Bounded: the oldest orphans are dropped.
        self._orphans.setdefault(fill.oid, []).append(fill)
        while len(self._orphans) > _MAX_ORPHAN_OIDS:
            del self._orphans[next(iter(self._orphans))]

    def _adopt_orphans(self, rec: OrderRecord, oid: int) -> None:
        for fill in self._orphans.pop(oid, ()):
            self._count("orphan_fill_linked")
            self._apply_fill_to_order(rec, fill, rec.updated_ns)

    def _remember_fill(self, key: tuple[str, int], print_: int | None) -> None:
        self._seen[key] = print_
        self._seen_order.append(key)
        if len(self._seen_order) > self.settings.max_fill_keys:
            self._seen.pop(self._seen_order.popleft(), None)

    def _notify(self, fill: Fill, local_ns: int, snapshot: bool,
                rec: OrderRecord | None) -> None:
        if not self._listeners:
            return
        report = FillReport(
            fill=fill, local_ns=local_ns, is_snapshot=snapshot,
            cloid=rec.cloid if rec is not None else fill.cloid,
            decision_id=rec.decision_id if rec is not None else None,
            tif=rec.tif if rec is not None else None,
            limit_px=rec.price if rec is not None else None,
            intent_ns=rec.created_ns if rec is not None else None,
            order_state=rec.state if rec is not None else None)
        for cb in self._listeners:
            try:
                cb(report)
            except Exception as exc:  # a broken listener must not corrupt order state
                self._count("listener_error")
                _log.error("fill listener %r failed: %r", cb, exc, exc_info=exc)

    def is_new_fill(self, fill: Fill) -> bool:
        """Whether this fill would be news if delivered now (a read: nothing is marked).
        For those that see events before the manager does (the kill switch)."""
        return (fill.coin, fill.tid) not in self._seen and _fill_ok(fill)

    def add_fill_listener(self, cb: FillListener) -> None:
        """`cb` sees each NEW fill exactly once, with the order that caused it."""
        self._listeners.append(cb)

    # ------------------------------------------------------------ gateway results

    def on_gateway(self, event: GatewayEvent) -> None:
        """OrderAck | CancelAck | ActionFailed | OrderStatusReport | AccountSnapshot |
        ScheduleCancelAck; anything else is counted and ignored."""
        if isinstance(event, OrderAck):
            self._on_ack(event)
        elif isinstance(event, CancelAck):
            self._on_cancel_ack(event)
        elif isinstance(event, ActionFailed):
            self._on_action_failed(event)
        elif isinstance(event, OrderStatusReport):
            self._on_status_report(event)
        elif isinstance(event, AccountSnapshot):
            self._reconcile(event)
        elif isinstance(event, ScheduleCancelAck):
            self.last_schedule_cancel = event
            self._count("schedule_cancel_ok" if event.ok else "schedule_cancel_refused")
        else:
            self._count("gateway_ignored")

    def _on_ack(self, ev: OrderAck) -> None:
        rec = self._orders.get(ev.cloid)
        if rec is None:
            self._count("ack_unknown_order")
            return
        self._learn_oid(rec, ev.oid)
        now = ev.local_ns
        if ev.outcome == "error":
            self._on_ack_error(rec, ev.error, now)
            return
        if ev.outcome == "filled":
            # An IOC reports "filled" with the matched total; the rest was cancelled.
            done = ev.filled_size >= rec.orig_size * (1.0 - 1e-9)
            _announce(rec, rec.orig_size if done else ev.filled_size)
            self._venue(rec, E.FILLED if done else E.EXPIRED, now)
        else:  # "resting", or "waitingForFill"/"waitingForTrigger": the venue holds it
            self._venue(rec, E.ACCEPTED, now)
        self._replacement_landed(rec, now)

    def _on_ack_error(self, rec: OrderRecord, text: str, now: int) -> None:
        self._reject(rec, text, now)
        self._replacement_failed(rec, now)

    def _reject(self, rec: OrderRecord, text: str, now: int) -> None:
        reason = reject_reason(text)
        rec.last_error = text
        self.rejects[reason] = self.rejects.get(reason, 0) + 1
        # An IOC that found nothing to match is an expiry of the normal kind, not a reject.
        no_match = issubclass(classify(text), IocCouldNotMatch)
        self._venue(rec, E.EXPIRED if no_match else E.REJECTED, now)

    def _replacement_landed(self, rec: OrderRecord, now: int) -> None:
        # batchModify is atomic on the venue: the new order standing means the old is gone.
        # Even if we had lost track of it meanwhile (a query said "open" before the modify
        # was processed), it is gone now.
        old = self._orders.get(rec.replaces) if rec.replaces else None
        if old is not None and is_live(old.state):
            self._venue(old, E.CANCELLED, now)

    def _replacement_failed(self, rec: OrderRecord, now: int) -> None:
        # The old order may have been filled, cancelled, or still rest: ask, never assume.
        old = self._orders.get(rec.replaces) if rec.replaces else None
        if old is not None and is_live(old.state):
            self._lose(old, now)

    def _on_cancel_ack(self, ev: CancelAck) -> None:
        rec = self._find(ev.cloid, ev.oid)
        if rec is None:
            self._count("cancel_ack_unknown_order")
            return
        if ev.ok:
            self._venue(rec, E.CANCELLED, ev.local_ns)
            return
        # "never placed, already canceled, or filled" or worse: only a query tells which.
        reason = reject_reason(ev.error)
        self._count(f"cancel_refused:{reason}")
        rec.last_error = ev.error
        if is_live(rec.state):
            self._lose(rec, ev.local_ns)

    def _on_action_failed(self, ev: ActionFailed) -> None:
        self._count("action_failed_transient" if ev.transient else "action_failed")
        if ev.kind in _QUERY_KINDS:
            self._on_query_failed(ev)
            return
        if ev.not_acted:
            self._count("action_not_acted")
        for cloid in ev.cloids:
            rec = self._live.get(cloid)
            if rec is None:
                continue
            rec.last_error = ev.error
            if ev.not_acted:
                self._not_acted(rec, ev.kind, ev.error, ev.local_ns)
            elif not ev.transient and rec.state is S.PENDING:
                self._on_ack_error(rec, ev.error, ev.local_ns)  # never reached the book
            else:
                self._lose(rec, ev.local_ns)

    def _not_acted(self, rec: OrderRecord, kind: str, error: str, now: int) -> None:
        """The venue never acted on the request (`kind`) that carried this order, its
        replacement or its cancel."""
        if kind in _PLACING_KINDS:
            # Never placed, whatever we did meanwhile (a cancel sent, a query asked):
            # nothing to ask about and nothing to cancel.
            if rec.filled == 0.0:  # (a fill would prove it was placed after all)
                self._reject(rec, error, now)
            old = self._orders.get(rec.replaces) if rec.replaces else None
            if old is not None and old.state is S.CANCEL_PENDING and old.replaced_by == rec.cloid:
                self._cancel_not_sent(old, now)  # the modify never happened: old still rests
        elif rec.state is S.CANCEL_PENDING:
            self._cancel_not_sent(rec, now)
        # Anything else: later news already moved the order on; nothing to undo.

    def _cancel_sent(self, rec: OrderRecord, now: int) -> None:
        if rec.state is not S.CANCEL_PENDING:
            rec.before_cancel = rec.state  # what the order is again if the cancel never ran
        self._step(rec, E.CANCEL_SENT, now)

    def _cancel_not_sent(self, rec: OrderRecord, now: int) -> None:
        """Our cancel (or modify) never took effect: the order is as it was before it. A
        wanted cancel is sent again after a spaced-out pause, not at once."""
        self._count("cancel_not_acted")
        before = rec.before_cancel if rec.before_cancel is not None else S.UNKNOWN
        rec.before_cancel = None
        # Not a venue transition: the cancel is undone, so the state it replaced returns.
        rec.state = before
        rec.updated_ns = now
        rec.replaced_by = None
        self._persist(rec)
        exp = min(rec.retries + 1, self.settings.max_backoff_exp)
        spaced = now + (self.settings.retry_base_ns << exp)
        if before is S.PENDING:
            # Its place is still unanswered: the usual ack deadline applies; once it
            # rests, the wanted cancel goes again (`_resend_cancel`).
            rec.deadline_ns = max(rec.created_ns + self.settings.ack_timeout_ns, spaced)
        elif before is S.UNKNOWN:
            rec.queried = False  # the timer asks about it again, spaced out
            rec.deadline_ns = spaced
        elif rec.cancel_wanted:  # resting: the timer re-sends the cancel, spaced out
            rec.retries = exp
            rec.deadline_ns = spaced
        else:
            rec.deadline_ns = None

    def _on_query_failed(self, ev: ActionFailed) -> None:
        """A status query got no answer: ask again later, spaced out and bounded; then
        cancel by cloid (its answer settles the order too)."""
        self._count("query_failed")
        for cloid in ev.cloids:
            rec = self._live.get(cloid)
            if rec is None or rec.state is not S.UNKNOWN:
                continue
            rec.query_failures += 1
            rec.queried = rec.query_failures >= self.settings.max_query_failures
            exp = min(rec.query_failures, self.settings.max_backoff_exp)
            rec.deadline_ns = ev.local_ns + (self.settings.retry_base_ns << exp)

    def _on_status_report(self, ev: OrderStatusReport) -> None:
        rec = self._find(ev.cloid, ev.oid)
        if rec is None:
            self._count("status_unknown_order")
            return
        now = ev.local_ns
        if ev.status == _UNKNOWN_OID:
            self._on_unknown_oid(rec, now)
            return
        self._learn_oid(rec, ev.oid)
        event = _STATUS_EVENT.get(order_status(ev.status))
        if event is None:
            self._count("status_unknown_text")
            return
        if event is E.FILLED and not rec.complete() and ev.size > 0.0:
            event = E.ACCEPTED  # defensive: "filled" with size left is not final
        _announce(rec, rec.orig_size if event is E.FILLED else ev.orig_size - ev.size)
        if event is E.ACCEPTED and rec.state is S.CANCEL_PENDING:
            # Asked after the cancel timeout, the venue still shows it open: our cancel (or
            # modify) did not take. Track it as resting again; a wanted cancel is re-sent.
            self._count("cancel_did_not_take")
            self._step(rec, E.LOST, now)
        if event is not E.ACCEPTED:
            rec.last_error = rec.last_error or ev.status
        self._venue(rec, self._ioc_cancel_is_expiry(rec, event), now)

    def _on_unknown_oid(self, rec: OrderRecord, now: int) -> None:
        never_acked = rec.oid is None and rec.state in (S.PENDING, S.UNKNOWN, S.CANCEL_PENDING)
        old_enough = now - rec.created_ns >= self.settings.ack_timeout_ns
        if not (never_acked and old_enough):
            # Too early (may still be in flight) or an order the venue acked: keep asking.
            self._count("unknown_oid_inconclusive")
            return
        self._count("never_placed")
        rec.last_error = "never placed (venue: unknownOid)"
        rec.inferred = True
        self._venue(rec, E.EXPIRED, now)

    # ------------------------------------------------------------ reconciliation

    def _reconcile(self, snap: AccountSnapshot) -> None:
        """The venue's view after a (re)connect or restart wins; each gap is handled once."""
        self._count("reconcile")
        now = snap.local_ns
        for fill in snap.recent_fills:  # first: a missed fill may already close an order
            self._on_fill(fill, now, True)
        venue_cloids: set[str] = set()
        unknown: list[OpenOrder] = []
        for oo in snap.open_orders:
            rec = self._find(oo.cloid, oo.oid)
            if rec is None:
                unknown.append(oo)
                continue
            venue_cloids.add(rec.cloid)
            self._learn_oid(rec, oo.oid)
            self._venue(rec, E.ACCEPTED, now)
        venue_cloids.update(self._handle_unknown_open(unknown, now))
        for rec in list(self._live.values()):
            if rec.cloid not in venue_cloids and rec.state is not S.PENDING:
                self._lose(rec, now)  # not open on the venue: filled or cancelled? ask.

    def _handle_unknown_open(self, orders: list[OpenOrder], now: int) -> list[str]:
        """Adopt (returning their keys) or cancel venue orders we have no record of."""
        if self.settings.adopt_unknown_orders:
            return [self._adopt(oo, now) for oo in orders]
        if orders:
            self._count("cancel_unknown_open", len(orders))
            self._send_cancel_cmds([CancelOrder(coin=o.coin, cloid=o.cloid,
                                                            oid=o.oid) for o in orders])
        return []

    def _adopt(self, oo: OpenOrder, now: int) -> str:
        self._count("adopted")
        cloid = oo.cloid if oo.cloid else f"oid:{oo.oid}"
        rec = OrderRecord(cloid=cloid, decision_id=0, coin=oo.coin, is_buy=oo.is_buy,
                          price=oo.limit_px, size=oo.orig_size, tif=Tif.GTC,
                          reduce_only=False, tag="adopted", state=S.RESTING, now_ns=now)
        rec.filled = max(oo.orig_size - oo.size, 0.0)
        rec.notional = rec.filled * oo.limit_px  # best estimate: fills before adoption
        self._register(rec)
        self._learn_oid(rec, oo.oid)
        self._persist(rec)
        return cloid

    def request_reconcile(self) -> None:
        """Ask the gateway for an `AccountSnapshot` (after a reconnect or on start)."""
        self._call_port(self._port.reconcile)

    # ------------------------------------------------------------ timers

    def on_timer(self, now_ns: int) -> None:
        """Act on every live order whose deadline has passed (see module docstring)."""
        due = [r for r in self._live.values()
               if r.deadline_ns is not None and r.deadline_ns <= now_ns]
        cancels: list[OrderRecord] = []
        for rec in due:
            if rec.state is S.PENDING or (rec.state is S.UNKNOWN and not rec.queried):
                self._count("ack_timeout" if rec.state is S.PENDING else "query_retry")
                self._lose(rec, now_ns)
            elif rec.state is S.UNKNOWN:
                self._count("query_timeout")
                cancels.append(rec)
            elif rec.state is S.CANCEL_PENDING:
                self._count("cancel_timeout")
                self._cancel_unconfirmed(rec, now_ns)
            elif rec.cancel_wanted:  # resting again after a lost cancel: backed-off re-send
                self._count("cancel_resend")
                cancels.append(rec)
            else:
                rec.deadline_ns = None
        self._send_cancels(cancels, now_ns)

    def _cancel_unconfirmed(self, rec: OrderRecord, now: int) -> None:
        self._query(rec)
        if rec.cancel_wanted:
            self._send_cancel_cmds([_cancel_cmd(rec)])
        rec.retries = min(rec.retries + 1, self.settings.max_backoff_exp)
        rec.deadline_ns = now + (self.settings.cancel_timeout_ns << rec.retries)

    # ------------------------------------------------------------ queries

    def order(self, cloid: str) -> Order | None:
        rec = self._orders.get(cloid)
        return rec.snapshot() if rec is not None else None

    def open_orders(self, coin: str | None = None) -> list[Order]:
        """Live orders (pending, resting, partially filled, cancel pending, unknown)."""
        recs = self._live.values() if coin is None else self._live.of_coin(coin)
        return [r.snapshot() for r in recs]

    def open_order_views(self, coin: str) -> tuple[OpenOrderRef, ...]:
        """The same orders as `open_orders(coin)`, in the same order, as read-only views
        (cloid, coin, side, price, open size) that copy nothing: the router's read, made
        on every decision."""
        return self._live.views(coin)

    def live_count(self) -> int:
        """How many orders are live (what `len(open_orders())` is, without the copies)."""
        return len(self._live)

    def resting_size(self, coin: str, is_buy: bool) -> float:
        """Open size on one side: every live order counts (an unknown one may rest)."""
        return sum(r.remaining for r in self._live.of_coin(coin) if r.is_buy == is_buy)

    def summary(self) -> dict[str, Any]:
        return {"live": len(self._live), "known": len(self._orders), "counts": dict(self.counts),
                "outcomes": dict(self.outcomes), "rejects": dict(self.rejects)}

    def flush(self) -> None:
        """Commit queued store rows (the composition root's flush timer and shutdown)."""
        if self._store is not None:
            try:
                self._store.flush()
            except OrderStoreError as exc:
                self._count("store_error")
                _log.error("order store flush failed: %s", exc)

    # ------------------------------------------------------------ state moves

    def _venue(self, rec: OrderRecord, event: OrderEvent, now: int) -> None:
        """Apply venue news: stale news is counted and dropped; live news may move state."""
        if is_stale(rec.state, event):
            self._count("news_repeated" if is_repeat(rec.state, event) else "stale_update")
            if event is E.ACCEPTED and rec.inferred and not is_live(rec.state):
                self._zombie(rec)
            return
        self._step(rec, event, now)
        if rec.cancel_wanted and rec.state in (S.RESTING, S.PARTIALLY_FILLED):
            self._resend_cancel(rec, now)

    def _resend_cancel(self, rec: OrderRecord, now: int) -> None:
        """Our cancel was lost or refused and the order still rests: send it again, at
        once the first time, then with exponential backoff (a venue that keeps refusing
        must not turn this into a request storm)."""
        if rec.retries == 0:
            rec.retries = 1
            self._send_cancels([rec], now)
            return
        rec.retries = min(rec.retries + 1, self.settings.max_backoff_exp)
        rec.deadline_ns = now + (self.settings.cancel_timeout_ns << rec.retries)

    def _step(self, rec: OrderRecord, event: OrderEvent, now: int) -> None:
        before = rec.state
        rec.state = transition(before, event)
        rec.updated_ns = now
        if rec.state is not before:
            self._entered(rec, before)
        self._persist(rec)

    def _entered(self, rec: OrderRecord, before: OrderState) -> None:
        if rec.state in (S.RESTING, S.PARTIALLY_FILLED):
            rec.deadline_ns = None  # (retries are kept: they pace repeated cancels)
        if not is_live(rec.state):
            self._finish(rec)
        elif before is S.UNKNOWN:
            rec.queried = False
            rec.query_failures = 0

    def _finish(self, rec: OrderRecord) -> None:
        rec.deadline_ns = None
        if self._live.pop(rec.cloid) is None:
            self._count("terminal_revised")  # e.g. CANCELLED -> FILLED by a late fill
            return
        key = f"{rec.tif.value}:{rec.state.value}"
        self.outcomes[key] = self.outcomes.get(key, 0) + 1
        self._terminal.append(rec.cloid)
        while len(self._terminal) > self.settings.max_terminal_orders:
            self._forget(self._terminal.popleft())

    def _forget(self, cloid: str) -> None:
        rec = self._orders.pop(cloid, None)
        if rec is not None and rec.oid is not None:
            self._by_oid.pop(rec.oid, None)

    def _lose(self, rec: OrderRecord, now: int) -> None:
        """The order's fate is unknown: mark it so and ask the venue (never re-place)."""
        self._step(rec, E.LOST, now)
        self._query(rec)
        rec.deadline_ns = now + self.settings.query_timeout_ns

    def _query(self, rec: OrderRecord) -> None:
        rec.queried = True
        self._count("query")
        self._call_port(self._port.query_order, rec.coin, _real_cloid(rec), rec.oid)

    def _send_cancels(self, recs: Sequence[OrderRecord], now: int,
                      decision_id: int | None = None) -> None:
        if not recs:
            return
        for rec in recs:
            rec.cancel_wanted = True
            self._cancel_sent(rec, now)
            rec.deadline_ns = now + self.settings.cancel_timeout_ns
        self._count("cancel", len(recs))
        self._send_cancel_cmds([_cancel_cmd(r, decision_id) for r in recs])

    def _zombie(self, rec: OrderRecord) -> None:
        # We concluded the venue never saw this order, and now it rests: take it down.
        self._count("zombie_cancel")
        _log.error("order %s concluded %s but the venue shows it open: cancelling",
                   rec.cloid, rec.state.value)
        self._send_cancel_cmds([_cancel_cmd(rec)])

    def _ioc_cancel_is_expiry(self, rec: OrderRecord, event: OrderEvent) -> OrderEvent:
        # The venue reports an IOC remainder as "canceled": for us that is expiry.
        return E.EXPIRED if event is E.CANCELLED and rec.tif is Tif.IOC else event

    # ------------------------------------------------------------ bookkeeping

    def _new_order(self, decision_id: int, coin: str, is_buy: bool, price: float, size: float,
                   tif: Tif, reduce_only: bool, tag: str, now: int) -> OrderRecord:
        rec = OrderRecord(cloid=self._next_cloid(), decision_id=decision_id, coin=coin,
                          is_buy=is_buy, price=price, size=size, tif=tif,
                          reduce_only=reduce_only, tag=tag, state=S.PENDING, now_ns=now)
        rec.deadline_ns = now + self.settings.ack_timeout_ns
        self._register(rec)
        self._persist(rec)
        self._count(_SUBMITTED_KEY[tif])
        return rec

    def _register(self, rec: OrderRecord) -> None:
        self._orders[rec.cloid] = rec
        if is_live(rec.state):
            self._live.add(rec)

    def _next_cloid(self) -> str:
        n = self._counter
        if n >= self._reserved:
            self._reserve(n + self.settings.cloid_block)
        self._counter = n + 1
        return f"{self._cloid_head}{n & 0xFFFF_FFFF_FFFF_FFFF:016x}"

    def _reserve(self, high: int) -> None:
        self._reserved = high
        if self._store is None:
            return
        try:
            self._store.reserve_cloids(high)
        except OrderStoreError as exc:
            # The clock floor of the counter still keeps restarts apart; say it loudly.
            self._count("store_error")
            _log.error("cannot reserve cloids in the store: %s", exc)

    def _find(self, cloid: str | None, oid: int | None) -> OrderRecord | None:
        if cloid is not None:
            rec = self._orders.get(cloid)
            if rec is not None:
                return rec
        if oid is not None:
            key = self._by_oid.get(oid)
            if key is not None:
                return self._orders.get(key)
        return None

    def _learn_oid(self, rec: OrderRecord, oid: int | None) -> None:
        if oid is None or oid <= 0 or rec.oid == oid:
            return
        if rec.oid is not None:
            self._count("oid_changed")  # should not happen: modify gives a NEW cloid
            self._by_oid.pop(rec.oid, None)
        rec.oid = oid
        self._by_oid[oid] = rec.cloid
        if self._orphans:
            self._adopt_orphans(rec, oid)

    # ------------------------------------------------------------ sending

    def add_sent_listener(self, listener: SentListener) -> None:
        """`listener` is told of every order and cancel handed to the port."""
        self._sent_listeners.append(listener)

    def set_resting_guard(self, guard: RestingGuard | None) -> None:
        """`guard` runs before an order that may rest leaves (see `RestingGuard`)."""
        self._resting_guard = guard

    def _send_places(self, cmds: Sequence[PlaceOrder]) -> None:
        now = self._clock.now_ns()
        self._guard_resting(cmds, now)
        self._call_port(self._port.place, cmds)
        self._tell_sent(cmds, (), now)

    def _send_modifies(self, cmds: Sequence[ModifyOrder]) -> None:
        now = self._clock.now_ns()
        replacements = [m.replacement for m in cmds]
        self._guard_resting(replacements, now)
        self._call_port(self._port.modify, cmds)
        self._tell_sent(replacements, (), now)

    def _send_cancel_cmds(self, cmds: Sequence[CancelOrder]) -> None:
        now = self._clock.now_ns()
        self._call_port(self._port.cancel, cmds)
        self._tell_sent((), cmds, now)

    def _guard_resting(self, orders: Sequence[PlaceOrder], now: int) -> None:
        # An IOC never rests: only an order that may rest needs the switch armed first.
        guard = self._resting_guard
        if guard is None or all(o.tif is Tif.IOC for o in orders):
            return
        try:
            time_ms = guard(now)
        except Exception as exc:  # the guard must not raise; the timer re-arms
            self._count("listener_error")
            _log.error("resting guard %r failed: %r", guard, exc, exc_info=exc)
            return
        if time_ms is not None:
            self._call_port(self._port.schedule_cancel, time_ms)

    def _tell_sent(self, orders: Sequence[PlaceOrder], cancels: Sequence[CancelOrder],
                   now: int) -> None:
        for listener in self._sent_listeners:
            try:
                listener.on_sent(orders, cancels, now)
            except Exception as exc:  # an observer must not corrupt order state
                self._count("listener_error")
                _log.error("sent listener %r failed: %r", listener, exc, exc_info=exc)

    def _count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def _call_port(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception as exc:  # the port must not raise; if it does, timers recover
            self._count("port_error")
            _log.error("command port %s failed: %r", getattr(fn, "__name__", fn), exc,
                       exc_info=exc)

    # ------------------------------------------------------------ persistence

    def _persist(self, rec: OrderRecord) -> None:
        if self._store is not None:
            self._store.save_order(rec.row())

    def _on_grid(self, coin: str, is_buy: bool, price: float,
                 size: float) -> tuple[float, float] | None:
        """The intent's (price, size) on the venue's grid, snapped once, here; None when
        the numbers are unusable (non-finite, non-positive, a size below one lot)."""
        if not valid_order_numbers(price, size):
            return None
        return self._grid.snap(coin, is_buy, price, size)

    def _write_ahead(self) -> None:
        """Make the new orders' rows durable before they are sent (the store's ahead log:
        a few µs): whatever kills the process next, every order the venue sees has a row
        citing its decision."""
        if self._store is None:
            return
        try:
            self._store.write_ahead()
        except OrderStoreError as exc:  # the persistence watch degrades the system
            self._count("store_error")
            _log.error("order rows not made durable before sending: %s", exc)

    def _save_fill(self, fill: Fill, local_ns: int, rec: OrderRecord | None) -> None:
        if self._store is None:
            return
        self._store.save_fill(FillRow(
            coin=fill.coin, tid=fill.tid, cloid=rec.cloid if rec is not None else fill.cloid,
            oid=fill.oid, px=fill.price, sz=fill.size, is_buy=fill.is_buy, fee=fill.fee,
            crossed=fill.crossed, exchange_ns=fill.exchange_ns, local_ns=local_ns,
            decision_id=rec.decision_id if rec is not None else None))

    def _recover(self, store: OrderStore) -> None:
        """Restart: cloid counter, live orders and fill keys from the store.
        Orders whose fate was unknown are queried on the first timer, never re-placed."""
        try:
            self._counter = max(self._counter, store.load_cloid_counter())
            rows = store.load_open_orders()
            keys = store.load_fill_keys(self.settings.max_fill_keys)
        except OrderStoreError as exc:
            self._count("store_error")
            _log.error("order store recovery failed: %s", exc)
            return
        now = self._clock.now_ns()
        for row in rows:
            self._restore(OrderRecord.from_row(row), now)
        for key in reversed(keys):
            self._remember_fill(key, None)

    def _restore(self, rec: OrderRecord, now: int) -> None:
        if rec.state is S.PENDING:
            rec.state = transition(rec.state, E.LOST)  # its answer died with the process
        if rec.state in (S.UNKNOWN, S.CANCEL_PENDING):
            rec.deadline_ns = now  # ask on the first timer
        rec.cancel_wanted = rec.state is S.CANCEL_PENDING and rec.replaced_by is None
        self._register(rec)
        if rec.oid is not None:
            self._by_oid[rec.oid] = rec.cloid
        self._count("recovered")


_REASONS: dict[type[VenueError], str] = {}


def reject_reason(text: str) -> str:
    """A stable snake_case code for a venue error text, via `venue_errors.classify` (the
    one table of the venue's texts): "post_only_would_match", "unknown_venue_error", ...;
    "not_sent" for an order the gateway never sent (see `gateway_hyperliquid`)."""
    if text.startswith(NOT_SENT_PREFIX):
        return "not_sent"
    cls = classify(text)
    code = _REASONS.get(cls)
    if code is None:
        name = cls.__name__
        code = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
        _REASONS[cls] = code
    return code


def _fill_ok(fill: Fill) -> bool:
    return (valid_order_numbers(fill.price, fill.size) and math.isfinite(fill.fee))


def _fingerprint(fill: Fill) -> int:
    # What identifies a fill's content beyond its trade id. Hashes of ints, floats and
    # bools do not depend on PYTHONHASHSEED, so runs stay reproducible.
    return hash((fill.oid, fill.price, fill.size, fill.is_buy))


def _announce(rec: OrderRecord, matched: float) -> None:
    if matched > rec.venue_filled:
        rec.venue_filled = matched


def _announced(rec: OrderRecord) -> bool:
    """The order's filled size (this late fill included) is within what the venue already
    announced as matched: the fill detail is only catching up with the status news (an
    IOC acknowledged "filled", then its fills; an update "filled" before the fills)."""
    return rec.filled <= rec.venue_filled * (1.0 + _FILL_TOLERANCE) + 1e-12


def _real_cloid(rec: OrderRecord) -> str | None:
    # Adopted orders without a venue cloid are keyed "oid:<n>" internally.
    return rec.cloid if rec.cloid.startswith("0x") else None


def _cancel_cmd(rec: OrderRecord, decision_id: int | None = None) -> CancelOrder:
    return CancelOrder(coin=rec.coin, cloid=_real_cloid(rec), oid=rec.oid,
                       decision_id=decision_id)


def _place(rec: OrderRecord) -> PlaceOrder:
    return PlaceOrder(cloid=rec.cloid, coin=rec.coin, is_buy=rec.is_buy, price=rec.price,
                      size=rec.orig_size, tif=rec.tif, reduce_only=rec.reduce_only,
                      decision_id=rec.decision_id)


def _packaged_settings() -> OrderManagerSettings:
    from hyperliquid_ofi_trader.config.packaged import packaged_config

    return OrderManagerSettings.from_config(packaged_config())
