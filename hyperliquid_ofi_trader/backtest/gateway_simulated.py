"""The simulated gateway: `CommandPort` over an in-process `SimVenue`, with modelled latency.

The backtest's counterpart of `gateway_hyperliquid.HyperliquidGateway`. Everything that
decides WHAT is sent and how an answer is READ is shared with the live gateway:

    command ──gateway_actions.build_*──▶ the exact wire action ──L1Signer──▶ signed body
        ──(arrives at now + entry latency)──▶ SimVenue.handle_exchange / handle_info
    answer ──gateway_actions.response_events / info_client.parse_*──▶ OrderAck, CancelAck,
        ActionFailed, ScheduleCancelAck, OrderStatusReport, AccountSnapshot
        ──(delivered at venue time + ack latency)──▶ engine
    venue pushes (orderUpdates, userFills) ──encoded as the venue's frames──▶
        HyperliquidCodec.decode ──(delivered at venue time + feed latency)──▶ engine

Time is the `EventQueue`'s: nothing here reads a clock or sleeps. Port methods never call
back into the engine directly (they run inside `Engine.on_event`): every outcome, even a
refusal known at once, is scheduled on the queue and delivered after the current event.

Ordering: a WebSocket is a FIFO, so answers never overtake earlier answers and pushes never
overtake earlier pushes (each stream's delivery time is max(sampled, previous)); commands
reach the venue in the order sent (the uplink is a FIFO too).

Rate budgets as live: with a `RateLimiter` (the live gateway's), an action waits for budget
before it is signed and sent instead of being refused by the venue, and cancels go before
places: the live gateway's own `SendScheduler` decides, so the policy cannot drift.

Signatures are real: each action is signed with our `L1Signer` and the venue recovers the
signer, exactly as over the network (the venue has no unsigned entry point, and checking
signatures in every backtest keeps the signing path honest; `bench/bench_backtest.py`
prints what it costs). The backtest hands signer and venue one `RecoveryMemo`: the venue
still rebuilds each action's digest from the wire body, but the public-key recovery of a
signature our signer just made over that exact digest is known without curve work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from hyperliquid_ofi_trader.backtest.event_queue import EventQueue
from hyperliquid_ofi_trader.core.commands import CancelOrder, ModifyOrder, PlaceOrder
from hyperliquid_ofi_trader.core.events import (
    AccountSnapshot,
    ActionFailed,
    AnyEvent,
    GatewayEvent,
    UserFills,
)
from hyperliquid_ofi_trader.sim.latency import LatencyModel
from hyperliquid_ofi_trader.sim.venue import SimVenue
from hyperliquid_ofi_trader.sim.wire_encode import encode_frame
from hyperliquid_ofi_trader.venues.hyperliquid.asset_meta import AssetRegistry
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import RateLimiter, RequestKind
from hyperliquid_ofi_trader.venues.hyperliquid.execution import gateway_actions as ga
from hyperliquid_ofi_trader.venues.hyperliquid.execution.send_scheduler import (
    Send,
    SendScheduler,
    Wait,
)
from hyperliquid_ofi_trader.venues.hyperliquid.http.info import (
    InfoError,
    parse_clearinghouse,
    parse_fills,
    parse_open_orders,
    parse_order_status,
)
from hyperliquid_ofi_trader.venues.hyperliquid.signing.nonce import NonceCounter
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import (
    L1Signer,
    SignatureError,
    exchange_body,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

log = logging.getLogger(__name__)

Emit = Callable[[AnyEvent], None]

_HTTP_OK: Final = 200
_HTTP_TOO_MANY: Final = 429
# The private channels a live run subscribes to for its own account. The venue also
# pushes `user` (the same fills again) and public `trades` including our own prints:
# the live runtime does not subscribe to the first, and in a backtest the recorded tape
# is the market, so our prints are not re-injected into it.
PRIVATE_CHANNELS: Final = frozenset({"orderUpdates", "userFills"})
_URGENT, _NORMAL = 0, 1  # the scheduler's lanes


@dataclass(slots=True)
class SimGatewayStats:
    commands: int = 0  # port calls with at least one item
    refused: int = 0  # commands refused before signing (our bug upstream)
    sent: int = 0  # signed actions put on the uplink
    answered: int = 0  # actions the venue answered (ok or err)
    venue_errors: int = 0  # whole-request failures (`status: err`, 4xx)
    queries: int = 0
    query_failures: int = 0
    pushes: int = 0  # private push frames delivered
    push_events: int = 0
    late_pushes: int = 0  # pushes held back to keep the stream's order
    rate_waits: int = 0  # times an action waited for rate budget


class SimulatedGateway:
    """`CommandPort` implementation over a `SimVenue` driven by an `EventQueue`."""

    def __init__(self, venue: SimVenue, signer: L1Signer, nonce: NonceCounter,
                 assets: AssetRegistry, latency: LatencyModel, queue: EventQueue,
                 emit: Emit, *, account: str | None = None,
                 codec: HyperliquidCodec | None = None,
                 limits: RateLimiter | None = None) -> None:
        self._venue = venue
        self._signer = signer
        self._nonce = nonce
        self._assets = assets
        self._latency = latency
        self._queue = queue
        self._emit = emit
        self.account = (account or signer.address).lower()
        self._codec = codec or HyperliquidCodec(frozenset(assets.names()))
        self._uplink_ns = 0  # last arrival time at the venue (FIFO)
        self._answers_ns = 0  # last delivery time of an answer (FIFO)
        self._pushes_ns = 0  # last delivery time of a push (FIFO)
        self._limits = limits
        # The live gateway's scheduler: cancels first, each action when its budget allows.
        self._sched: SendScheduler[ga.ActionJob] | None = (
            None if limits is None else SendScheduler(limits, 2))
        self._retry_at = 0  # time of the scheduled budget re-check, 0 when none
        self.stats = SimGatewayStats()

    def __repr__(self) -> str:
        return f"SimulatedGateway(account={self.account})"

    @property
    def codec(self) -> HyperliquidCodec:
        return self._codec

    # ------------------------------------------------------------ CommandPort

    def place(self, orders: Sequence[PlaceOrder]) -> None:
        if orders:
            self._send_built(ga.build_place(orders, self._assets))

    def cancel(self, cancels: Sequence[CancelOrder]) -> None:
        if cancels:
            self._send_built(ga.build_cancel(cancels, self._assets))

    def modify(self, modifies: Sequence[ModifyOrder]) -> None:
        if modifies:
            self._send_built(ga.build_modify(modifies, self._assets))

    def schedule_cancel(self, time_ms: int | None) -> None:
        self._send_built(ga.build_schedule_cancel(time_ms))

    def query_order(self, coin: str, cloid: str | None, oid: int | None) -> None:
        self.stats.commands += 1
        self._queue.push(self._uplink(), self._arrive_status_query, (coin, cloid, oid))

    def reconcile(self) -> None:
        self.stats.commands += 1
        self._queue.push(self._uplink(), self._arrive_reconcile)

    # ------------------------------------------------------------ sending

    def _send_built(self, built: ga.Built) -> None:
        self.stats.commands += 1
        now = self._queue.now_ns()
        for refusal in built.refusals:
            self.stats.refused += 1
            log.error("simulated gateway refused a %s command: %s", refusal.kind,
                      refusal.reason)
            self._deliver_at(now, ActionFailed(exchange_ns=0, local_ns=now, kind=refusal.kind,
                                               cloids=refusal.cloids, error=refusal.reason,
                                               transient=False))
        sched = self._sched
        for job in built.jobs:
            if sched is None:
                self._sign_and_send(job, now)
            else:
                sched.push(_URGENT if job.request_kind is RequestKind.CANCEL else _NORMAL, job)
        if sched is not None:
            self._pump(now)

    def _pump(self, now: int) -> None:
        """Send queued actions while the budget allows, cancels first; else re-check when
        the budget frees (one pending re-check at a time)."""
        sched = self._sched
        assert sched is not None  # only called with a limiter
        while (step := sched.next(now)) is not None:
            if isinstance(step, Wait):
                self.stats.rate_waits += 1
                if not self._retry_at or now + step.ns < self._retry_at:
                    self._retry_at = now + step.ns
                    self._queue.push(now + step.ns, self._retry, now + step.ns)
                return
            assert isinstance(step, Send)  # no expiry, no items but actions
            self._sign_and_send(step.job, now)

    def _retry(self, at: int) -> None:
        if at != self._retry_at:  # superseded by an earlier re-check
            return
        self._retry_at = 0
        self._pump(self._queue.now_ns())

    def _sign_and_send(self, job: ga.ActionJob, now: int) -> None:
        nonce = self._nonce.next()
        try:
            signature = self._signer.sign_action(job.action, nonce)
        except SignatureError as exc:  # an unsignable action is our bug
            self._deliver_all(now, ga.failure_events(job, f"not sent: cannot sign: {exc}",
                                                     False, now))
            return
        body = exchange_body(job.action, nonce, signature, None, None)
        self.stats.sent += 1
        self._queue.push(self._uplink(), self._arrive_action, (job, body))

    def _uplink(self) -> int:
        arrival = max(self._queue.now_ns() + self._latency.entry_ns(), self._uplink_ns)
        self._uplink_ns = arrival
        return arrival

    # ------------------------------------------------------------ at the venue

    def _arrive_action(self, item: tuple[ga.ActionJob, dict[str, Any]]) -> None:
        job, body = item
        now = self._queue.now_ns()
        status, payload = self._venue.handle_exchange(body, now)
        at = self._answer_time(now)
        self.stats.answered += 1
        if status != _HTTP_OK:
            self.stats.venue_errors += 1
            text = f"HTTP {status}: {payload}"
            self._deliver_all(at, ga.failure_events(job, text, status == _HTTP_TOO_MANY, at))
        else:
            if isinstance(payload, dict) and payload.get("status") == "err":
                self.stats.venue_errors += 1
            self._deliver_all(at, ga.response_events(job, payload, at))
        self.drain_pushes(now)

    def _arrive_status_query(self, item: tuple[str, str | None, int | None]) -> None:
        _coin, cloid, oid = item
        now = self._queue.now_ns()
        target: int | str | None = cloid if cloid is not None else oid
        at = self._answer_time(now)
        self.stats.queries += 1
        try:
            if target is None:
                raise ValueError("orderStatus query names neither a cloid nor an oid")
            data = self._info({"type": "orderStatus", "user": self.account, "oid": target},
                              now)
            event: GatewayEvent = parse_order_status(data, target, at)
        except (InfoError, ValueError) as exc:
            event = self._query_failed("orderStatus", cloid, exc, at)
        self._deliver_at(at, event)

    def _arrive_reconcile(self, _: object) -> None:
        now = self._queue.now_ns()
        at = self._answer_time(now)
        self.stats.queries += 1
        try:
            event: GatewayEvent = self._snapshot(now, at)
        except (InfoError, ValueError) as exc:
            event = self._query_failed("reconcile", None, exc, at)
        self._deliver_at(at, event)

    def _snapshot(self, now: int, at: int) -> AccountSnapshot:
        user = self.account
        orders = parse_open_orders(self._info({"type": "frontendOpenOrders", "user": user},
                                              now))
        state = parse_clearinghouse(self._info({"type": "clearinghouseState", "user": user},
                                               now))
        fills = parse_fills(self._info({"type": "userFills", "user": user}, now))
        return AccountSnapshot(exchange_ns=state.time_ms * 1_000_000, local_ns=at, user=user,
                               open_orders=orders, positions=state.positions,
                               recent_fills=fills, account_value=state.account_value,
                               withdrawable=state.withdrawable)

    def _info(self, body: dict[str, Any], now: int) -> Any:
        status, payload = self._venue.handle_info(body, now)
        if status != _HTTP_OK:
            raise InfoError(f"info {body.get('type')}: HTTP {status}: {payload}")
        return payload

    def _query_failed(self, kind: str, cloid: str | None, exc: Exception,
                      at: int) -> ActionFailed:
        self.stats.query_failures += 1
        # A malformed query (our bug) fails again; anything else may not.
        transient = not isinstance(exc, ValueError)
        return ActionFailed(exchange_ns=0, local_ns=at, kind=kind,
                            cloids=(cloid,) if cloid is not None else (), error=str(exc)[:300],
                            transient=transient)

    # ------------------------------------------------------------ back to the engine

    def drain_pushes(self, venue_ns: int) -> None:
        """Deliver the venue's pushes for our account produced so far (call after anything
        the venue did: an action, a query, a market event)."""
        pushes = self._venue.take_pushes()
        if not pushes:
            return
        at = 0
        for channel, key, data in pushes:
            if channel not in PRIVATE_CHANNELS or key != self.account:
                continue
            if not at:  # one venue step: one delivery time for all its frames
                at = self._push_time(venue_ns)
            events = self._codec.decode(encode_frame(channel, data), at)
            if self._limits is not None:
                self._note_traded(events)
            self.stats.pushes += 1
            self.stats.push_events += len(events)
            self._deliver_all(at, events)

    def _note_traded(self, events: Sequence[AnyEvent]) -> None:
        # Each USDC traded adds one request to the address budget (as the live gateway).
        assert self._limits is not None
        for ev in events:
            if isinstance(ev, UserFills) and not ev.is_snapshot:
                self._limits.address.note_traded(sum(f.price * f.size for f in ev.fills))

    def _answer_time(self, venue_ns: int) -> int:
        at = max(venue_ns + self._latency.ack_ns(), self._answers_ns)
        self._answers_ns = at
        return at

    def _push_time(self, venue_ns: int) -> int:
        sampled = venue_ns + self._latency.feed_ns()
        if sampled < self._pushes_ns:
            self.stats.late_pushes += 1
        at = max(sampled, self._pushes_ns)
        self._pushes_ns = at
        return at

    def _deliver_at(self, at: int, event: AnyEvent) -> None:
        self._queue.push(at, self._emit, event)

    def _deliver_all(self, at: int, events: Sequence[AnyEvent]) -> None:
        push, emit = self._queue.push, self._emit
        for event in events:
            push(at, emit, event)
