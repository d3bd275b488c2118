"""The Hyperliquid gateway: the async edge that signs and sends our commands and turns the
venue's answers into events.

    order manager ──CommandPort (sync, never blocks)──▶ sign now when nothing is queued
        and the budget allows (fast path) ──or──▶ queues ──worker task──▶ sign ──▶
        WS post (PostChannel) ──or, when the socket is down / saturated──▶ REST /exchange
    answers ──gateway_actions (sans-I/O)──▶ OrderAck / CancelAck / ActionFailed /
        ScheduleCancelAck / OrderStatusReport / AccountSnapshot ──emit──▶ engine

Rules this module keeps:
- Cancels before places. Three queues, the lanes of the `SendScheduler` the simulated
  gateway uses too: urgent (cancels, scheduleCancel), queries (order status, reconcile:
  they cost IP weight only), normal (places, modifies). The worker always takes from the
  most urgent non-empty queue, and a place waiting for rate budget is
  re-examined whenever anything new arrives, so a cancel never waits behind it.
- Rate budgets are spent BEFORE sending (`RateLimiter`): non-urgent work waits instead of
  being refused by the venue; cancels may use the budget's reserve.
- One nonce per action, taken at signing time from the signer's `NonceCounter`. Signing
  happens on the event loop's thread only (in the port call or in the worker), so nonces
  strictly increase in signing order, and sends start in that same order (tasks run FIFO).
- The fast path: a command that finds every queue empty is built, budgeted, signed and
  encoded as a WS post frame inside the port call, so the signed bytes exist before the
  engine returns from the event that decided them; only the socket write waits for the
  next loop step. Anything queued, a spent budget or a stopped worker sends it the slow way.
- Never re-send an order. When the answer is lost (timeout, disconnect with the request in
  flight, HTTP failure after sending, a post error mirroring a 5xx, an unreadable error),
  the gateway emits `ActionFailed(transient=True)` with the cloids and the order manager
  asks the venue about them by cloid. The only fallback is for a post that provably never
  left (`PostNotSentError`): that one goes over REST.
- A refusal the venue gave before acting (rate limits: HTTP 429 or a post error "429 ...",
  the address budget text; any whole-request `status: err`) is `ActionFailed(not_acted=
  True)`: nothing to ask about. A rate-limit refusal also tells the shared `RateLimiter`,
  so every later request waits on one backed-off budget instead of retrying on its own.
- A refused nonce is reported and recovered from, never retried blindly: "too low" moves
  the counter above the venue's floor, "outside the window" rebases it on the clock.
- `stop()` ends: it drains for at most `drain_timeout_s`, then fails what is left as
  not sent; whatever arrives after that is refused on a later loop step, never queued.
- Network exceptions (aiohttp, OS, timeouts) are mapped here, once, to events.
- The private key never reaches a log: only the signer holds it, and its repr is redacted.

The composition root wires the socket side: `on_ws_event(event)` takes `PostResponse`
(answers), `FeedState` (connection lost → in-flight posts fail) and `UserFills` (traded
volume grows the address budget).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import aiohttp
import msgspec
import numpy as np
import orjson

from hyperliquid_ofi_trader.core.clock import Clock
from hyperliquid_ofi_trader.core.commands import CancelOrder, ModifyOrder, PlaceOrder
from hyperliquid_ofi_trader.core.events import (
    ActionFailed,
    AnyEvent,
    FeedState,
    FeedStatus,
    GatewayEvent,
    PostResponse,
    UserFills,
)
from hyperliquid_ofi_trader.venues.hyperliquid.asset_meta import AssetRegistry
from hyperliquid_ofi_trader.venues.hyperliquid.common.errors import (
    IpRateLimited,
    NonceRejected,
    PostFate,
    RateLimited,
    UnknownVenueError,
    classify,
    classify_post_error,
    is_duplicate_nonce,
    nonce_floor_in,
)
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import RateLimiter
from hyperliquid_ofi_trader.venues.hyperliquid.execution import gateway_actions as ga
from hyperliquid_ofi_trader.venues.hyperliquid.execution.reconcile import reconcile
from hyperliquid_ofi_trader.venues.hyperliquid.execution.send_scheduler import (
    Expired,
    Send,
    SendScheduler,
    Wait,
)
from hyperliquid_ofi_trader.venues.hyperliquid.http.info import (
    InfoClient,
    InfoError,
    InfoRequestError,
    check_address,
)
from hyperliquid_ofi_trader.venues.hyperliquid.signing.nonce import NonceCounter
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import (
    L1Signer,
    SignatureError,
    exchange_body,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.post import (
    PostChannel,
    PostNotSentError,
    PostOutcomeUnknownError,
    PostRejectedError,
    PreparedPost,
)

if TYPE_CHECKING:  # the section's type only: config sits below the venue
    from hyperliquid_ofi_trader.config.models import AppConfig

log = logging.getLogger(__name__)

Emit = Callable[[AnyEvent], None]

_NS_PER_S: Final = 1_000_000_000
_LATENCY_WINDOW: Final = 4096
_TEXT_MAX: Final = 300
_HTTP_OK: Final = 200
_HTTP_TOO_MANY: Final = 429
_HTTP_SERVER_ERROR: Final = 500
_JSON_HEADERS: Final = {"Content-Type": "application/json"}


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """risk.yaml `execution` as the gateway uses it (seconds); built by `from_config`, with
    no defaults of its own (they are the packaged YAML's).

    - `post_timeout_s`: a WS post with no answer by then has an unknown outcome.
    - `use_post`: False sends over REST only (e.g. no socket in this mode).
    - `vault_address`: trading for a vault / sub-account (None: the signer's own). Not a
      config key: reconciliation reads the signer's account, so a run never sets it.
    - `drain_timeout_s`: stop(): how long queued and in-flight work may finish.
    - `max_order_wait_s`: a place or modify that waited this long for the rate budget is
      not sent at all (reported not sent): the decision behind it is stale, and the venue
      is telling us to slow down. Below the order manager's ack timeout, so it never has
      to ask about it.
    """

    post_timeout_s: float
    rest_timeout_s: float
    use_post: bool
    vault_address: str | None
    drain_timeout_s: float
    max_order_wait_s: float

    @classmethod
    def from_config(cls, cfg: AppConfig) -> GatewaySettings:
        """risk.yaml `execution`; the order wait is also capped at half the ack timeout and
        of the kill switch's max_order_rtt_ms, so a place held back by the rate budget is
        dropped (reported not sent) well before the order manager would ask about it and
        before the kill switch counts it as unanswered."""
        e = cfg.risk.execution
        max_wait_ms = min(e.max_order_wait_ms, e.ack_timeout_ms // 2,
                          cfg.risk.kill_switch.max_order_rtt_ms // 2)
        return cls(post_timeout_s=e.post_timeout_s, rest_timeout_s=e.rest_timeout_s,
                   use_post=e.use_ws_post, vault_address=None,
                   drain_timeout_s=e.drain_timeout_s,
                   max_order_wait_s=max(max_wait_ms, 1) / 1e3)

    def __post_init__(self) -> None:
        if (self.post_timeout_s <= 0 or self.rest_timeout_s <= 0 or self.drain_timeout_s < 0
                or self.max_order_wait_s <= 0):
            raise ValueError("gateway timeouts must be positive")


@dataclass(slots=True)
class GatewayStats:
    commands: int = 0  # port calls accepted
    refused: int = 0  # commands refused before signing (our bug upstream)
    sent: int = 0  # signed actions handed to a transport
    sent_ws: int = 0
    sent_rest: int = 0
    ws_fallbacks: int = 0  # post provably not sent → REST
    answered: int = 0  # the venue answered (ok or err)
    venue_errors: int = 0  # whole-request `status: err`
    failed: int = 0  # ActionFailed / failed ScheduleCancelAck emitted
    outcome_unknown: int = 0  # sent, answer lost
    rate_waits: int = 0  # times the worker waited for budget
    fast_path: int = 0  # actions signed inside the port call (nothing queued ahead)
    expired_in_queue: int = 0  # places/modifies that waited too long for budget: not sent
    withdrawn: int = 0  # queued places cancelled before they were sent: never sent
    queries: int = 0
    query_failures: int = 0
    emit_errors: int = 0  # the emit callback raised (the engine's bug; counted, logged)
    rate_refusals: int = 0  # the venue refused for a rate limit (not acted; budget backs off)
    nonce_refusals: int = 0  # the venue refused our nonce (counter recovered, not retried)
    after_stop: int = 0  # commands that arrived after stop() finished: dropped, counted


class _SendFailedError(Exception):
    """`outcome_unknown` False: the venue provably did not act on the request.
    `rate_limit` names the budget a rate-limit refusal was for ("ip", "address") or "" ."""

    def __init__(self, error: str, *, transient: bool, outcome_unknown: bool,
                 rate_limit: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.transient = transient
        self.outcome_unknown = outcome_unknown
        self.rate_limit = rate_limit


@dataclass(frozen=True, slots=True)
class _Raw:
    """A command as the port received it; built into jobs by the worker (off the caller)."""

    kind: str
    items: tuple[Any, ...]
    queued_ns: int = 0


@dataclass(frozen=True, slots=True)
class _Query:
    kind: str  # "orderStatus" | "reconcile"
    coin: str = ""
    cloid: str | None = None
    oid: int | None = None


_Item = _Raw | ga.ActionJob | _Query


class HyperliquidGateway:
    """`CommandPort` over Hyperliquid: WS post first, REST `/exchange` as fallback."""

    def __init__(self, signer: L1Signer, account_address: str, nonce: NonceCounter,
                 assets: AssetRegistry, post: PostChannel | None, rest_base_url: str,
                 session: aiohttp.ClientSession, emit: Emit, clock: Clock,
                 limits: RateLimiter, settings: GatewaySettings | None = None,
                 info: InfoClient | None = None) -> None:
        self._s = settings if settings is not None else _packaged_settings()
        self._signer = signer
        self._account = check_address(account_address)
        self._nonce = nonce
        self._assets = assets
        self._post = post if self._s.use_post else None
        self._exchange_url = rest_base_url.rstrip("/") + "/exchange"
        self._session = session
        self._emit_cb = emit
        self._clock = clock
        self._limits = limits
        self._info = info or InfoClient(rest_base_url, session, clock=clock, post=self._post,
                                        limiter=limits, timeout_s=self._s.rest_timeout_s)
        self._rest_timeout = aiohttp.ClientTimeout(total=self._s.rest_timeout_s)
        self._max_order_wait_ns = round(self._s.max_order_wait_s * _NS_PER_S)
        # One scheduler with the simulated gateway; its lanes in priority order.
        self._sched: SendScheduler[_Raw | _Query] = SendScheduler(
            limits, 3, max_order_wait_ns=self._max_order_wait_ns, expand=self._expand)
        self._urgent, self._queries, self._normal = self._sched.lanes
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._worker: asyncio.Task[None] | None = None
        self._accepting = True
        self._stopped = False  # stop() has finished: nothing is queued any more
        self._latencies_ns: deque[int] = deque(maxlen=_LATENCY_WINDOW)
        self.stats = GatewayStats()

    def __repr__(self) -> str:
        return (f"HyperliquidGateway(signer={self._signer.address}, account={self._account}, "
                f"post={'on' if self._post else 'off'})")

    @property
    def account_address(self) -> str:
        return self._account

    @property
    def info(self) -> InfoClient:
        return self._info

    # ------------------------------------------------------------ CommandPort (sync)

    def place(self, orders: Sequence[PlaceOrder]) -> None:
        self._submit(self._normal, _Raw("order", tuple(orders), self._clock.now_ns()),
                     urgent=False)

    def cancel(self, cancels: Sequence[CancelOrder]) -> None:
        self._withdraw_queued_places(cancels)
        self._submit(self._urgent, _Raw("cancel", tuple(cancels)), urgent=True)

    def modify(self, modifies: Sequence[ModifyOrder]) -> None:
        self._submit(self._normal, _Raw("batchModify", tuple(modifies), self._clock.now_ns()),
                     urgent=False)

    def _withdraw_queued_places(self, cancels: Sequence[CancelOrder]) -> None:
        """A cancel for an order whose place still waits in the queue: the place is never
        sent (reported not sent). Otherwise the cancel, sent first, would find nothing and
        the place would land afterwards and rest. The cancel still goes (harmless)."""
        targets = {c.cloid for c in cancels if c.cloid is not None}
        if not targets or not self._normal:
            return
        kept: deque[_Item] = deque()
        for item in self._normal:
            if isinstance(item, _Raw) and item.kind == "order":
                gone = tuple(o for o in item.items if o.cloid in targets)
                if gone:
                    self.stats.withdrawn += len(gone)
                    self._refuse_later(_Raw("order", gone), "not sent: cancelled while queued")
                    rest = tuple(o for o in item.items if o.cloid not in targets)
                    if rest:
                        kept.append(_Raw("order", rest, item.queued_ns))
                    continue
            elif (isinstance(item, ga.ActionJob) and item.kind == "order"
                  and set(item.order_cloids) <= targets):
                self.stats.withdrawn += len(item.order_cloids)
                self._refuse_later(item, "not sent: cancelled while queued")
                continue
            kept.append(item)
        self._normal.clear()  # in place: the deque is the scheduler's lane
        self._normal.extend(kept)

    def query_order(self, coin: str, cloid: str | None, oid: int | None) -> None:
        self._enqueue(self._queries, _Query("orderStatus", coin, cloid, oid), urgent=True)

    def schedule_cancel(self, time_ms: int | None) -> None:
        self._enqueue(self._urgent, _Raw("scheduleCancel", (time_ms,)), urgent=True)

    def reconcile(self) -> None:
        self._enqueue(self._queries, _Query("reconcile"), urgent=True)

    def _submit(self, queue: deque[_Item], raw: _Raw, *, urgent: bool) -> None:
        """Sign and hand over now when nothing waits ahead (the fast path), else queue.

        Signing inside the caller's event puts the signed bytes within microseconds of the
        event that decided them, instead of after the rest of the event's work and a hop
        through the worker task. Order is kept: the fast path is taken only when every
        queue is empty, so nothing queued earlier (a cancel above all) is overtaken.
        """
        if not self._fast_path_open() or not raw.items:
            self._enqueue(queue, raw, urgent=urgent)
            return
        self.stats.commands += 1
        jobs = self._build(raw, deferred=True)
        for i, job in enumerate(jobs):
            if self._sched.admit(job, self._clock.now_ns()):
                # Out of budget: the worker waits for it, this job first.
                queue.extendleft(reversed(_stamped(jobs[i:], raw.queued_ns)))
                self._wake.set()
                return
            self.stats.fast_path += 1
            self._dispatch(job)

    def _fast_path_open(self) -> bool:
        return (self._worker is not None and self._accepting
                and not (self._urgent or self._queries or self._normal))

    def _enqueue(self, queue: deque[_Item], item: _Item, *, urgent: bool) -> None:
        if self._stopped:
            # Stopped: nothing will ever take it, and it is never queued: a failure
            # answered by a query queued into the queue being emptied was a synchronous
            # loop that kept shutdowns from ever ending. Actions are refused on a later
            # loop step (their owner must learn they were not sent); a query is only
            # dropped, so a listener that answers failures with queries cannot spin.
            self.stats.after_stop += 1
            if not isinstance(item, _Query):
                self._refuse_later(item, "not sent: the gateway stopped")
            return
        # While stopping, only safety work (cancels, queries) is still taken.
        if not self._accepting and not urgent:
            self._refuse_later(item, "not sent: the gateway is stopping")
            return
        if isinstance(item, _Raw) and not item.items:
            return
        self.stats.commands += 1
        queue.append(item)
        self._wake.set()

    # ------------------------------------------------------------ socket side

    def on_ws_event(self, event: AnyEvent) -> None:
        """Feed the socket's events: post answers, connection loss, our fills."""
        post = self._post
        if isinstance(event, PostResponse):
            if post is not None:
                post.on_response(event)
        elif isinstance(event, FeedState):
            if (post is not None and event.channel == ""
                    and event.status is FeedStatus.DOWN):
                post.on_disconnect(event.detail)
        elif isinstance(event, UserFills) and not event.is_snapshot:
            # Each USDC traded adds one request to the address budget.
            self._limits.address.note_traded(sum(f.price * f.size for f in event.fills))

    # ------------------------------------------------------------ life cycle

    async def start(self) -> None:
        if self._worker is None:
            self._accepting = True
            self._stopped = False
            self._worker = asyncio.create_task(self._run(), name="hl-gateway-worker")

    @property
    def drain_timeout_s(self) -> float:
        return self._s.drain_timeout_s

    def stop_accepting_orders(self) -> None:
        """Shutdown's first step: refuse new places and modifies (reported as not sent),
        keep taking cancels and queries."""
        self._accepting = False

    async def stop(self, drain_timeout_s: float | None = None) -> None:
        """Stop taking new orders, let queued and in-flight work finish (bounded by
        `drain_timeout_s`, default from the settings), then fail whatever is left as not
        sent. Bounded in time and work: anything submitted while the leftovers are failed
        (an order manager answering a failure with a query) is dropped and counted."""
        self._accepting = False
        timeout = self._s.drain_timeout_s if drain_timeout_s is None else drain_timeout_s
        if self._worker is not None:
            try:
                await asyncio.wait_for(self._drained(), timeout)
            except TimeoutError:
                log.warning("gateway stop: drain timed out; cancelling pending work")
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        self._stopped = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        leftovers = [*self._urgent, *self._queries, *self._normal]
        for queue in (self._urgent, self._queries, self._normal):
            queue.clear()
        for item in leftovers:
            self._fail_unsent(item, "not sent: the gateway stopped")

    async def _drained(self) -> None:
        while self._urgent or self._queries or self._normal or self._tasks:
            self._progress.clear()
            await self._progress.wait()

    # ------------------------------------------------------------ worker

    async def _run(self) -> None:
        while True:
            now = self._clock.now_ns()
            step = self._sched.next(now)
            if step is None:
                self._wake.clear()
                self._progress.set()
                await self._wake.wait()
            elif isinstance(step, Send):
                self._dispatch(step.job)
            elif isinstance(step, Wait):
                self.stats.rate_waits += 1
                await self._sleep_or_wake(min(step.ns, self._max_order_wait_ns))
            elif isinstance(step, Expired):
                self.stats.expired_in_queue += 1
                self._fail_unsent(step.job, f"not sent: waited "
                                  f"{(now - step.job.queued_ns) / 1e6:.0f} ms for the rate "
                                  "budget (the venue is limiting us)")
            else:
                query = step.item
                assert isinstance(query, _Query)  # every _Raw is expanded into actions
                self._spawn(self._run_query(query))

    def _expand(self, item: _Raw | _Query) -> list[ga.ActionJob] | None:
        """A queued command's actions, built when it reaches the head; None for a query."""
        return self._build(item) if isinstance(item, _Raw) else None

    def _build(self, raw: _Raw, *, deferred: bool = False) -> list[ga.ActionJob]:
        built = self._builder(raw)
        if raw.queued_ns and not deferred:  # (fast path: stamped only if it must wait)
            built.jobs = _stamped(built.jobs, raw.queued_ns)
        for refusal in built.refusals:
            self.stats.refused += 1
            self.stats.failed += 1
            log.error("gateway refused a %s command: %s", refusal.kind, refusal.reason)
            failure = ActionFailed(exchange_ns=0, local_ns=self._clock.now_ns(),
                                   kind=refusal.kind, cloids=refusal.cloids,
                                   error=refusal.reason, transient=False)
            if deferred:  # inside a port call: emitting now would re-enter the engine
                asyncio.get_running_loop().call_soon(self._emit, failure)
            else:
                self._emit(failure)
        return built.jobs

    def _builder(self, raw: _Raw) -> ga.Built:
        if raw.kind == "order":
            return ga.build_place(raw.items, self._assets)
        if raw.kind == "cancel":
            return ga.build_cancel(raw.items, self._assets)
        if raw.kind == "batchModify":
            return ga.build_modify(raw.items, self._assets)
        return ga.build_schedule_cancel(raw.items[0])

    async def _sleep_or_wake(self, wait_ns: int) -> None:
        # Woken early by any new command: it may be a cancel that must not wait.
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), wait_ns / _NS_PER_S)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._progress.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("gateway task failed: %r", task.exception())

    # ------------------------------------------------------------ actions

    def _dispatch(self, job: ga.ActionJob) -> None:
        vault = self._s.vault_address
        nonce = self._nonce.next()
        try:
            signature = self._signer.sign_action(job.action, nonce, vault)
        except SignatureError as exc:  # an unsignable action is our bug
            self._emit_all(ga.failure_events(job, f"not sent: cannot sign: {exc}", False,
                                             self._clock.now_ns()))
            self.stats.failed += 1
            return
        body = exchange_body(job.action, nonce, signature, vault, None)
        self.stats.sent += 1
        prepared = self._prepare_post(body)
        task = self._spawn(self._send(job, body, prepared, nonce))
        if prepared is not None and self._post is not None:
            # A task cancelled before its first step never runs its own cleanup.
            task.add_done_callback(functools.partial(_abandon, self._post, prepared))

    def _prepare_post(self, body: dict[str, Any]) -> PreparedPost | None:
        """The signed WS post frame, built now; None means REST (no socket, or every
        in-flight slot taken). The socket's message budget is the WebSocket client's: a
        post beyond it is refused before sending (`PostNotSentError`) and goes over REST."""
        post = self._post
        if post is None or post.saturated:
            return None
        return post.try_prepare("action", body)

    async def _send(self, job: ga.ActionJob, body: dict[str, Any],
                    prepared: PreparedPost | None, nonce: int) -> None:
        sent_ns = self._clock.now_ns()
        try:
            payload = await self._transport(body, prepared)
        except _SendFailedError as exc:
            self._on_send_failed(job, exc)
            return
        except asyncio.CancelledError:
            self._on_send_failed(job, _SendFailedError(
                "outcome unknown: the gateway stopped with the request in flight",
                transient=True, outcome_unknown=True))
            raise
        now = self._clock.now_ns()
        self._latencies_ns.append(now - sent_ns)
        self.stats.answered += 1
        if isinstance(payload, dict) and payload.get("status") == "err":
            self.stats.venue_errors += 1
            self._on_whole_request_refusal(payload.get("response"), nonce, now)
        else:
            self._nonce.confirm(nonce)
        self._emit_all(ga.response_events(job, payload, now))

    def _on_whole_request_refusal(self, text: Any, nonce: int, now_ns: int) -> None:
        """Learn from a `status: err` answer: back the budget off, recover the nonce."""
        cls = classify(text) if isinstance(text, str) else UnknownVenueError
        if issubclass(cls, RateLimited):
            self._note_rate_refusal("address", now_ns)
        elif issubclass(cls, NonceRejected):
            self._recover_nonce(str(text), nonce)

    def _note_rate_refusal(self, budget: str, now_ns: int) -> None:
        self.stats.rate_refusals += 1
        self._limits.note_refusal(ip=budget == "ip", now_ns=now_ns)
        self._wake.set()  # the worker re-reads its wait against the backed-off budget

    def _recover_nonce(self, text: str, nonce: int) -> None:
        self.stats.nonce_refusals += 1
        least = nonce_floor_in(text)
        if least is not None:
            self._nonce.observe(least)
            log.error("venue refused nonce %d as too low (least %d): counter moved above "
                      "it; the action was not executed", nonce, least)
        elif is_duplicate_nonce(text):
            self._nonce.observe(nonce)
            log.error("venue refused nonce %d as a duplicate: another process signs with "
                      "this key? the action was not executed", nonce)
        else:
            ahead_ms = self._nonce.rebase_to_clock()
            log.error("venue refused nonce %d (%s): the counter was %d ms ahead of the "
                      "clock; rebased on the clock; the action was not executed",
                      nonce, _clip(text), ahead_ms)

    def _on_send_failed(self, job: ga.ActionJob, exc: _SendFailedError) -> None:
        self.stats.failed += 1
        if exc.outcome_unknown:
            self.stats.outcome_unknown += 1
        if exc.rate_limit:
            self._note_rate_refusal(exc.rate_limit, self._clock.now_ns())
        self._emit_all(ga.failure_events(job, exc.error, exc.transient, self._clock.now_ns(),
                                         not_acted=not exc.outcome_unknown))

    async def _transport(self, body: dict[str, Any], prepared: PreparedPost | None) -> Any:
        post = self._post
        if post is not None and prepared is not None:
            try:
                result = await post.complete(prepared, self._s.post_timeout_s)
            except PostNotSentError:
                self.stats.ws_fallbacks += 1  # provably never sent: REST is safe
            except PostOutcomeUnknownError as exc:
                raise _SendFailedError(f"outcome unknown: {exc}", transient=True,
                                       outcome_unknown=True) from exc
            except PostRejectedError as exc:
                raise _post_error(exc.payload) from exc
            else:
                self.stats.sent_ws += 1
                return result
        self.stats.sent_rest += 1
        return await self._rest_exchange(body)

    async def _rest_exchange(self, body: dict[str, Any]) -> Any:
        data = orjson.dumps(body)  # keeps the action's key order, which was signed
        try:
            async with self._session.post(self._exchange_url, data=data,
                                          headers=_JSON_HEADERS,
                                          timeout=self._rest_timeout) as resp:
                status, text = resp.status, await resp.text()
        except aiohttp.ClientConnectorError as exc:  # no connection: nothing was sent
            raise _SendFailedError(f"not sent: cannot connect: {exc}", transient=True,
                                   outcome_unknown=False) from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise _SendFailedError(f"outcome unknown: {exc!r}", transient=True,
                                   outcome_unknown=True) from exc
        return _rest_answer(status, text)

    # ------------------------------------------------------------ queries

    async def _run_query(self, query: _Query) -> None:
        self.stats.queries += 1
        try:
            event = await self._query_event(query)
        except (InfoError, ValueError) as exc:
            self.stats.query_failures += 1
            # A malformed query (our bug) will fail again; transport/parse trouble may not.
            transient = not isinstance(exc, InfoRequestError | ValueError)
            cloids = (query.cloid,) if query.cloid is not None else ()
            self._emit(ActionFailed(exchange_ns=0, local_ns=self._clock.now_ns(),
                                    kind=query.kind, cloids=cloids,
                                    error=_clip(str(exc)), transient=transient))
            return
        self._emit(event)

    async def _query_event(self, query: _Query) -> GatewayEvent:
        if query.kind == "reconcile":
            snapshot = await reconcile(self._info, self._account)
            await self._sync_address_budget()
            return snapshot
        target: int | str | None = query.cloid if query.cloid is not None else query.oid
        if target is None:
            raise ValueError("orderStatus query names neither a cloid nor an oid")
        return await self._info.order_status(self._account, target)

    async def _sync_address_budget(self) -> None:
        # Best effort: our count drifts after restarts; the venue's own figures win.
        try:
            limit = await self._info.user_rate_limit(self._account)
        except InfoError as exc:
            log.warning("userRateLimit failed, keeping the local address budget: %s", exc)
            return
        self._limits.address.sync(limit.requests_used, limit.requests_cap)

    # ------------------------------------------------------------ emitting

    def _emit_all(self, events: list[GatewayEvent]) -> None:
        for event in events:
            self._emit(event)

    def _emit(self, event: AnyEvent) -> None:
        try:
            self._emit_cb(event)
        except Exception:
            self.stats.emit_errors += 1
            log.exception("gateway emit callback raised on %s", type(event).__name__)

    def _refuse_later(self, item: _Item, reason: str) -> None:
        # Called from inside a port method: emitting now would re-enter the engine.
        asyncio.get_running_loop().call_soon(self._fail_unsent, item, reason)

    def _fail_unsent(self, item: _Item, reason: str) -> None:
        self.stats.failed += 1
        now = self._clock.now_ns()
        if isinstance(item, ga.ActionJob):
            self._emit_all(ga.failure_events(item, reason, True, now, not_acted=True))
            return
        if isinstance(item, _Query):
            cloids = (item.cloid,) if item.cloid is not None else ()
            self._emit(ActionFailed(exchange_ns=0, local_ns=now, kind=item.kind,
                                    cloids=cloids, error=reason, transient=True,
                                    not_acted=True))
            return
        self._emit(ActionFailed(exchange_ns=0, local_ns=now, kind=item.kind,
                                cloids=_raw_cloids(item), error=reason, transient=True,
                                not_acted=True))

    # ------------------------------------------------------------ figures

    def ack_latency_us(self) -> dict[str, float]:
        """p50/p99 of request → answer latency over the recent window (µs)."""
        if not self._latencies_ns:
            return {"count": 0.0, "p50": float("nan"), "p99": float("nan")}
        arr = np.fromiter(self._latencies_ns, dtype=np.int64) / 1e3
        p50, p99 = np.percentile(arr, [50, 99])
        return {"count": float(arr.size), "p50": float(p50), "p99": float(p99)}


def _stamped(jobs: list[ga.ActionJob], queued_ns: int) -> list[ga.ActionJob]:
    """`jobs` marked with when their command arrived (bounds their wait for budget)."""
    return [msgspec.structs.replace(j, queued_ns=queued_ns) for j in jobs] if queued_ns \
        else jobs


def _abandon(post: PostChannel, prepared: PreparedPost, _task: asyncio.Task[None]) -> None:
    post.abandon(prepared)


def _raw_cloids(raw: _Raw) -> tuple[str, ...]:
    out: list[str] = []
    for item in raw.items:
        if isinstance(item, PlaceOrder | CancelOrder) and item.cloid is not None:
            out.append(item.cloid)
        elif isinstance(item, ModifyOrder):
            out.append(item.replacement.cloid)
    return tuple(out)


def _clip(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _TEXT_MAX else text[:_TEXT_MAX] + "..."


def _post_error(payload: Any) -> _SendFailedError:
    """What a post `error` answer means (HYPERLIQUID.md §5: it mirrors the HTTP status)."""
    text = _clip(payload)
    fate, cls = classify_post_error(payload)
    if fate is PostFate.UNKNOWN:
        return _SendFailedError(f"outcome unknown: post error {text}", transient=True,
                                outcome_unknown=True)
    rate_limit = ""
    if issubclass(cls, IpRateLimited):
        rate_limit = "ip"
    elif issubclass(cls, RateLimited):
        rate_limit = "address"
    return _SendFailedError(text, transient=cls.transient, outcome_unknown=False,
                            rate_limit=rate_limit)


def _rest_answer(status: int, text: str) -> Any:
    if status == _HTTP_TOO_MANY:  # refused before processing: nothing happened
        raise _SendFailedError(f"429 Too Many Requests: {_clip(text)}", transient=True,
                               outcome_unknown=False, rate_limit="ip")
    if status >= _HTTP_SERVER_ERROR:
        raise _SendFailedError(f"outcome unknown: HTTP {status}: {_clip(text)}",
                               transient=True, outcome_unknown=True)
    if status != _HTTP_OK:  # the venue refused the request as malformed: our bug
        raise _SendFailedError(f"HTTP {status}: {_clip(text)}", transient=False,
                               outcome_unknown=False)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        raise _SendFailedError(f"outcome unknown: answer is not JSON: {_clip(text)}",
                               transient=True, outcome_unknown=True) from None


def _packaged_settings() -> GatewaySettings:
    from hyperliquid_ofi_trader.config.packaged import packaged_config

    return GatewaySettings.from_config(packaged_config())
