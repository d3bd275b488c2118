"""The engine: one synchronous, deterministic pipeline from a domain event to a decision.

`Engine.on_event(event)` is the only entry point on the hot path. It never reads the wall
clock (time comes from the injected `Clock` and the events' own timestamps), never sleeps
and never lets an exception escape: a stage that raises is caught, counted, logged with
its context, journaled, and escalates the trading state per `risk.stage_errors`; the next
event is processed normally.

Per event type:
- BookSnapshot / Bbo / Trades / AssetCtx: feed the coin's market data (book, tape, market
  state) and latency monitor, then run one decision per traded coin the event concerns
  (the coin itself when traded; every traded coin when it is the lead-lag lead coin).
- OrderUpdate / UserFills / Funding / Liquidation / NonUserCancel: forwarded to the private
  listeners (order manager, positions).
- FeedState: DOWN or STALE on a needed channel moves ACTIVE to REDUCING (Trigger.FEED_LOST).
  UP / RECOVERED mark it healthy again, but the state does NOT go back by itself: a
  reconnect must first be reconciled (open orders, positions, fills), so leaving REDUCING
  is the operator's `resume()`, or, when `EngineSettings.auto_resume_on_feed_recovery` is
  on, automatic once every needed channel is healthy, the account is reconciled, AND the
  REDUCING state was caused by a feed alone. These rules live in one place, the trading
  gate (`core.state.TradingGate`); when it starts awaiting reconciliation the engine asks
  the order path for it (`Reconciler`, the gateway's `reconcile`).
  A channel is "needed" unless it carries a coin (`FeedState.coin`, set by the venue feed)
  that is neither traded nor the lead coin; connection and private channels always are.
- Rejection: counted per reason (the codec already logged its detail).
- Timer: the flush timer (`EngineSettings.flush_timer`) flushes the journal; all timers go
  to the kill switch.

Entering REDUCING also cancels every live order that is not reduce-only (when the order
sink can: `ExposurePuller`), as entering HALTED cancels all of them.

`Engine.decide(coin, event)` is the seed's loop on one screen (signals, regime ->
tradable?, alpha, route, trading gate, risk gate, submit); each of its exits is a `Verdict`
value with an `Outcome`, and a stage that raises is the only exception it handles.
A decision's router returns a plan (new orders, moves and pulls of resting ones). Every
intent of it passes the trading gate first (`allowed_in`: HALTED keeps cancels only;
REDUCING keeps cancels and reduce-only actions and turns a move of an order that is not
reduce-only into its cancel), then the risk gate, and the order sink executes what was
approved citing the decision's id, which the journal row lists (ARCHITECTURE.md rule 6).
A regime that is not tradable stops the pipeline before alpha, unless the coin holds a
position: then it is routed and only what REDUCING would keep passes (it blocks new risk,
not the exit of the risk we hold).

Every decision point writes one journal row, including "halted", "not configured",
"not tradable" and "skip", with the inputs that produced it. A decision that sends orders
reserves its id, submits, and only then builds and writes its row (also when submit
raises): the journal's cost (inputs, encoding, a batch commit) is never between a market
event and the orders it causes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeVar

import msgspec

from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.clock import Clock, LatencyMonitor
from hyperliquid_ofi_trader.core.events import (
    AccountSnapshot,
    ActionFailed,
    AnyEvent,
    AssetCtx,
    Bbo,
    BookSnapshot,
    CancelAck,
    ControlCommand,
    FeedState,
    FeedStatus,
    Funding,
    GatewayEvent,
    Liquidation,
    MarketEvent,
    NonUserCancel,
    OrderAck,
    OrderStatusReport,
    OrderUpdate,
    PrivateEvent,
    Rejection,
    ScheduleCancelAck,
    Timer,
    Trades,
    UserFills,
)
from hyperliquid_ofi_trader.core.journal import Journal, JournalError
from hyperliquid_ofi_trader.core.stages import (
    AlphaStage,
    CoinMarket,
    Explainer,
    ExposurePuller,
    GateResult,
    GatewayListener,
    KillSwitchStage,
    OrderIntent,
    OrderSink,
    PlanIntent,
    PositionSource,
    PrivateListener,
    Reconciler,
    RegimeStage,
    RegimeView,
    RiskGate,
    Router,
    SignalStage,
    TimerListener,
)
from hyperliquid_ofi_trader.core.state import (
    AWAITING_RECONCILIATION,
    STATE_SKIP,
    EngineSnapshot,
    Escalation,
    StageErrorTracker,
    TradingGate,
    TradingState,
    Transition,
    Trigger,
    allowed_in,
)

if TYPE_CHECKING:
    from hyperliquid_ofi_trader.config.models import AppConfig

_log = logging.getLogger(__name__)

R = TypeVar("R", bound=RegimeView)
_NS_PER_S: Final = 1_000_000_000
_NS_PER_MS: Final = 1_000_000
# Flattening rounds per halt: each closes what is left once nothing of ours is live; an
# IOC that finds no liquidity within its slippage is tried again, but not forever.
_MAX_FLATTEN_ROUNDS: Final = 5
_FLATTEN_SETTLE_NS: Final = 1_000_000_000  # venue quiet this long: positions are final


class Outcome:
    """Decision outcomes: stable strings stored in the journal and counted in snapshots."""

    SUBMIT: Final = "submit"
    SKIP: Final = "skip"
    REJECTED: Final = "rejected"
    NOT_TRADABLE: Final = "not_tradable"
    NOT_CONFIGURED: Final = "not_configured"
    HALTED: Final = "halted"
    ERROR: Final = "error"


class Verdict(msgspec.Struct, frozen=True, gc=False):
    """What one `Engine.decide` came to: an `Outcome`, why, and its journal row's id."""

    outcome: str
    reason: str
    decision_id: int


# ---------------------------------------------------------------- settings


class EngineSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the engine itself needs, frozen. Build it with `from_config`.

    Every config-derived field is required: its one default is the packaged YAML, reached
    through `from_config` (a test or bench that wants other coins or counts overrides them
    there). Only the engine's own knobs, which no config file holds, have defaults."""

    coins: tuple[str, ...]
    traded: tuple[str, ...]
    lead: str | None  # the first lead-lag pair's lead (its book is journaled)
    leads: tuple[str, ...]  # every pair's lead (symbols.yaml lead_lag)
    lead_of: dict[str, str]  # lag coin -> its lead
    reducing_after: int
    halted_after: int
    error_window_ns: int
    trade_window_ns: int
    vol_halflife_ns: int
    auto_resume_on_feed_recovery: bool = False
    flush_timer: str = "journal_flush"

    @classmethod
    def from_config(cls, cfg: AppConfig, **overrides: Any) -> EngineSettings:
        """Settings from the validated config; `overrides` set the engine-only knobs
        (`auto_resume_on_feed_recovery`, `flush_timer`) or replace config-derived values
        (a test's coins, say)."""
        se = cfg.risk.stage_errors
        th = cfg.thresholds
        values: dict[str, Any] = {
            "coins": tuple(cfg.symbols.coins), "traded": tuple(cfg.symbols.traded),
            "lead": next(iter(cfg.symbols.lead_coins), None),
            "leads": cfg.symbols.lead_coins, "reducing_after": se.reducing_after,
            "lead_of": {pair.lag: pair.lead for pair in cfg.symbols.lead_lag},
            "halted_after": se.halted_after, "error_window_ns": int(se.window_s * _NS_PER_S),
            "trade_window_ns": th.aggressive_volume.window_ms * _NS_PER_MS,
            "vol_halflife_ns": th.leadlag.vol_halflife_ms * _NS_PER_MS}
        values.update(overrides)
        return cls(**values)

    def decision_targets(self) -> dict[str, tuple[str, ...]]:
        """Coin of a market event -> traded coins whose decision it triggers."""
        targets: dict[str, tuple[str, ...]] = {}
        for coin in self.coins:
            own = (coin,) if coin in self.traded else ()
            is_lead = coin == self.lead or coin in self.leads
            led = tuple(t for t in self.traded if t != coin) if is_lead else ()
            if own or led:
                targets[coin] = own + led
        return targets

    def needed_coins(self) -> frozenset[str]:
        return (frozenset(self.traded) | frozenset(self.leads)
                | ({self.lead} if self.lead else frozenset()))


# ---------------------------------------------------------------- the engine


class _StageError(Exception):
    """Internal: carries the failing stage's name out of the pipeline."""

    def __init__(self, stage: str, cause: BaseException) -> None:
        super().__init__(stage)
        self.stage = stage
        self.cause = cause


class Engine:
    """The pipeline. See the module docstring for what each event does."""

    def __init__(self, config: EngineSettings | AppConfig, clock: Clock, journal: Journal,
                 *, markets: Mapping[str, CoinMarket],
                 signals: SignalStage | None = None, regime: RegimeStage[R] | None = None,
                 alpha: AlphaStage[R] | None = None, router: Router | None = None,
                 positions: PositionSource | None = None, risk_gate: RiskGate | None = None,
                 order_sink: OrderSink | None = None, kill_switch: KillSwitchStage | None = None,
                 reconciler: Reconciler | None = None,
                 private_listeners: Sequence[PrivateListener] = (),
                 gateway_listeners: Sequence[GatewayListener] = (),
                 timer_listeners: Sequence[TimerListener] = (),
                 flatten: Callable[[], Sequence[OrderIntent]] | None = None) -> None:
        self.settings = (config if isinstance(config, EngineSettings)
                         else EngineSettings.from_config(config))
        self._clock = clock
        self._journal = journal
        self.markets: Mapping[str, CoinMarket] = markets
        self.latency = {coin: LatencyMonitor() for coin in self.markets}
        self._signals = signals
        self._regime: RegimeStage[RegimeView] | None = regime
        self._alpha: AlphaStage[Any] | None = alpha
        self._router = router
        self._positions = positions
        self._risk = risk_gate
        self._sink = order_sink
        self._kill = kill_switch
        self._flatten = flatten  # risk.yaml flatten_on_kill: what closes positions on a halt
        self._flatten_rounds = 0  # in this halt (a round: the orders of one ask)
        self._last_answer_ns = 0  # local time of the last private or gateway event
        self._private = tuple(private_listeners)
        self._gateway = tuple(gateway_listeners)
        self._timer_listeners = tuple(timer_listeners)
        self._alpha_explain = alpha.explain if isinstance(alpha, Explainer) else None
        self._router_explain = router.explain if isinstance(router, Explainer) else None
        self._targets = self.settings.decision_targets()
        # Per traded coin, the lead whose book its journal row also shows (None: none).
        self._journal_lead = {coin: _journal_lead(self.settings, coin)
                              for coin in self.settings.coins}
        # Journal book tops per coin (with the market they were read from), valid until the
        # engine next applies a book-moving event of that coin (only `_feed_market` writes
        # market data, and trades feed the tape only): a lead's top serves every decision
        # until the lead's next book event, and the decisions of one event share them. A
        # direct `decide` call starts from fresh reads.
        self._tops: dict[str, tuple[CoinMarket | None, dict[str, Any] | None]] = {}
        self._needed = self.settings.needed_coins()
        # With an order path, a recovered feed is not enough to resume by itself: the
        # venue does not replay private events, so open orders, positions and fills must
        # first be reconciled (an AccountSnapshot after the reconnect).
        self._trading = TradingGate(
            reconciles=bool(self._gateway),
            auto_resume_on_feed_recovery=self.settings.auto_resume_on_feed_recovery,
            request_reconciliation=None if reconciler is None else reconciler.reconcile)
        self._errors = StageErrorTracker(self.settings.reducing_after,
                                         self.settings.halted_after,
                                         self.settings.error_window_ns)
        self._by_type: dict[type, int] = {}
        self._outcomes: dict[str, int] = {}
        self._rejections: dict[str, int] = {}
        self._stage_errors: dict[str, int] = {}
        self._halted_failures: set[str] = set()  # stages that already logged during a halt
        self.events = 0
        self.decisions = 0
        self.last_decision_id = 0
        self._last_exchange_ns = 0
        self._last_local_ns = 0
        self._dispatch: dict[type, Callable[[Any], None]] = {
            BookSnapshot: self._on_market, Bbo: self._on_market, Trades: self._on_market,
            AssetCtx: self._on_market, FeedState: self._on_feed, Rejection: self._on_rejection,
            Timer: self._on_timer, OrderUpdate: self._on_private, UserFills: self._on_private,
            Funding: self._on_private, Liquidation: self._on_private,
            NonUserCancel: self._on_private, OrderAck: self._on_gateway,
            CancelAck: self._on_gateway, ActionFailed: self._on_gateway,
            OrderStatusReport: self._on_gateway, AccountSnapshot: self._on_gateway,
            ScheduleCancelAck: self._on_gateway, ControlCommand: self._on_control}

    # ------------------------------------------------------------ public API

    @property
    def state(self) -> TradingState:
        return self._trading.state

    @property
    def gate(self) -> TradingGate:
        """The trading gate: state, cause, unhealthy feeds, awaiting reconciliation."""
        return self._trading

    def on_event(self, event: AnyEvent) -> None:
        """Process one event. Never raises for bad input or a failing stage."""
        self.events += 1
        etype = type(event)
        by_type = self._by_type
        by_type[etype] = by_type.get(etype, 0) + 1
        self._last_local_ns = event.local_ns
        if event.exchange_ns > 0:
            self._last_exchange_ns = event.exchange_ns
        kill = self._kill
        if kill is not None:
            # The kill switch sees every event first; its call inlined (runs per event).
            try:
                why = kill.check(event, self._clock.now_ns())
            except Exception as exc:
                self._stage_failed("kill_switch", event, getattr(event, "coin", ""), exc)
            else:
                if why is not None:
                    self._kill_fired(why, event)
        handler = self._dispatch.get(etype)
        if handler is not None:
            handler(event)

    on_ws_event = on_event  # the seed's name

    def halt(self, reason: str) -> Transition:
        """Operator halt: cancel everything and stop trading until `resume`."""
        return self._transition(Trigger.MANUAL_HALT, f"operator: {reason}", *self._now())

    def reduce(self, reason: str) -> Transition:
        """Operator switch to reduce-only."""
        return self._transition(Trigger.MANUAL_REDUCE, f"operator: {reason}", *self._now())

    def resume(self, reason: str) -> Transition:
        """Operator resume from REDUCING or HALTED. Raises `IllegalTransition` when ACTIVE."""
        return self._transition(Trigger.RESUME, f"operator: {reason}", *self._now())

    def recover(self, reason: str) -> Transition:
        """Recovery policy (risk/recovery.py): leave REDUCING or HALTED once what caused it
        has cleared. Raises `IllegalTransition` when ACTIVE."""
        return self._transition(Trigger.AUTO_RECOVER, f"recovery policy: {reason}",
                                *self._now())

    def flush(self) -> None:
        """Commit the journal batch (shutdown, tests). Raises `JournalError` on failure."""
        self._journal.flush()

    def snapshot(self) -> EngineSnapshot:
        """Counters and state in one immutable value (off the hot path: copies dicts)."""
        cause = self._trading.cause
        return EngineSnapshot(
            trading_state=self._trading.state, state_cause=None if cause is None else cause.value,
            events=self.events,
            events_by_type={t.__name__: n for t, n in self._by_type.items()},
            decisions=self.decisions, outcomes=dict(self._outcomes),
            rejections=dict(self._rejections), stage_errors=dict(self._stage_errors),
            feeds_unhealthy=self._trading.unhealthy,
            last_exchange_ns=self._last_exchange_ns, last_local_ns=self._last_local_ns,
            latency_ms={c: m.summary_ms() for c, m in self.latency.items() if m.count})

    def health(self) -> EngineHealth:
        """What the recovery policy reads each status tick, without `snapshot`'s copies."""
        cause = self._trading.cause
        return EngineHealth(None if cause is None else cause.value,
                            bool(self._trading.unhealthy),
                            self._by_type.get(AccountSnapshot, 0))

    # ------------------------------------------------------------ market data

    def _on_market(self, ev: MarketEvent) -> None:
        """Market data first, then the signal and regime stages once, then one decision
        per traded coin the event concerns (a lead-coin event decides for every traded
        coin). An event that concerns no traded coin feeds the market data only."""
        if not self._feed_market(ev):
            return
        targets = self._targets.get(ev.coin, ())
        if not targets:
            return
        failure = self._update_stages(ev)
        decide = self._decide
        for coin in targets:
            decide(coin, ev, failure)

    def _feed_market(self, ev: MarketEvent) -> bool:
        """Update the coin's data; False when the event cannot be used."""
        market = self.markets.get(ev.coin)
        if market is None:
            self._count_rejection("engine_unknown_coin")
            return False
        self.latency[ev.coin].record(ev.exchange_ns, ev.local_ns)
        etype = type(ev)
        if etype is not Trades:  # prints feed the tape, never the book (`CoinMarket`)
            self._tops.pop(ev.coin, None)  # also when `_apply` fails half-way
        try:
            # The usual types by identity first (`_apply`'s isinstance chain keeps
            # subclasses working).
            if etype is Bbo:
                market.on_bbo(ev)  # type: ignore[arg-type]
            elif etype is Trades:
                market.on_trades(ev)  # type: ignore[arg-type]
            elif etype is BookSnapshot:  # an l2Book archive's every frame
                market.on_book(ev)  # type: ignore[arg-type]
            else:
                _apply(market, ev)
        except Exception as exc:
            self._stage_failed("data", ev, ev.coin, exc)
            return False
        return True

    # ------------------------------------------------------------ decisions

    def decide(self, coin: str, ev: MarketEvent, failure: _StageError | None = None
               ) -> Verdict:
        """The seed's `on_ws_event` for traded `coin`, once `ev` has updated the market
        data and the stages (`failure`: a stage that could not take it): signals and
        regime, tradable?, alpha, route, the trading gate, the risk gate, submit. Each exit
        is a `Verdict` and one journal row; a stage that raises is the one exception,
        caught here (counted, escalated) and journaled as an error."""
        self._tops.clear()  # the caller may have fed the market data itself
        return self._decide(coin, ev, failure)

    def _decide(self, coin: str, ev: MarketEvent, failure: _StageError | None
                ) -> Verdict:
        cap, gate = _Capture(ev, coin), self._trading
        state = gate.state
        if failure is not None:  # already counted and escalated, once for the event
            return self._record_error(cap, ev, failure)
        if state is TradingState.HALTED:
            return self._record(cap, ev, Outcome.HALTED, self._halt_reason())
        signal_stage, regime_stage, alpha_stage = self._signals, self._regime, self._alpha
        if signal_stage is None or regime_stage is None or alpha_stage is None:
            return self._record(cap, ev, Outcome.NOT_CONFIGURED, "no strategy configured "
                                f"(absent: {self._missing_strategy()})")
        # Each stage call is its own try (free in 3.11 until something raises), not a
        # wrapper call per stage: this runs for every decision.
        try:
            cap.signals = signals = signal_stage.values(coin)
        except Exception as exc:
            return self._failed(cap, ev, "signals", exc)
        try:
            cap.regime = regime = regime_stage.values(coin)
        except Exception as exc:
            return self._failed(cap, ev, "regime", exc)
        exits_only = not regime.tradable  # blocks new risk, not the exit of ours
        if exits_only and not self._holds(coin):
            return self._record(cap, ev, Outcome.NOT_TRADABLE, _not_tradable(regime))
        try:
            cap.alpha = alpha = float(alpha_stage.compute(signals, regime))
        except Exception as exc:
            return self._failed(cap, ev, "alpha", exc)
        if not math.isfinite(alpha):
            return self._failed(cap, ev, "alpha", ValueError(f"alpha is not finite: {alpha}"))
        router, positions = self._router, self._positions
        if router is None or positions is None:
            absent = "router" if router is None else "position source"
            return self._record(cap, ev, Outcome.NOT_CONFIGURED, f"no {absent} "
                                "configured: alpha computed, nothing executed")
        if gate.awaiting_reconciliation:
            return self._record(cap, ev, Outcome.SKIP, AWAITING_RECONCILIATION)
        try:
            cap.position = position = float(positions.position(coin))
        except Exception as exc:
            return self._failed(cap, ev, "positions", exc)
        try:
            cap.intents = intents = tuple(router.route(coin, alpha, signals.get("ofi"),
                                                       position))
        except Exception as exc:
            return self._failed(cap, ev, "router", exc)
        plan = gate.admit(intents, exits_only=exits_only)
        if not plan:  # routine: the router skipped, or the state/regime kept nothing
            return self._record(cap, ev, *self._why_empty(state, intents, regime))
        risk, sink = self._risk, self._sink
        if risk is None:
            return self._record(cap, ev, Outcome.NOT_CONFIGURED, "no risk gate "
                                "configured: orders are never sent unchecked")
        now_ns = self._clock.now_ns()
        try:
            result = risk.check(plan, state, now_ns)
        except Exception as exc:
            return self._failed(cap, ev, "risk_gate", exc)
        cap.rejected = result.rejected
        if not result.approved:
            return self._record(cap, ev, Outcome.REJECTED, _why_rejected(result))
        if sink is None:
            return self._record(cap, ev, Outcome.NOT_CONFIGURED, "no order sink "
                                "configured: approved intents not sent")
        cap.approved = result.approved
        return self._submit(cap, ev, sink, result.approved)

    def _submit(self, cap: _Capture, ev: MarketEvent, sink: OrderSink,
                approved: tuple[PlanIntent, ...]) -> Verdict:
        # Submit first, journal after: the orders cite the reserved id, and nothing that
        # only serves the journal (building and encoding the inputs, a batch commit) sits
        # between the event and the orders. `cap` holds values, not serialised text; they
        # are still those of decision time when the row is built because submitting
        # touches neither the market data (books), nor the stage outputs captured (the
        # signals mapping and regime are only replaced by the next stage update, the
        # explainers only by the next compute/route), nor the trading state.
        trading_state = self._trading.state.value
        did = self._journal.reserve_decision_id()
        failure: Exception | None = None
        try:
            sink.submit(did, approved)
        except Exception as exc:
            failure = exc
        finally:
            # Written even when submit raised: the orders may have left all the same.
            verdict = self._record(cap, ev, Outcome.SUBMIT,
                                   f"{len(approved)} intent(s) approved",
                                   decision_id=did, trading_state=trading_state)
        if failure is not None:
            self._stage_failed("order_sink", ev, cap.coin, failure)
        return verdict

    def _why_empty(self, state: TradingState, intents: tuple[PlanIntent, ...],
                   regime: RegimeView) -> tuple[str, str]:
        """Outcome and reason of a plan that left nothing for the risk gate."""
        if not regime.tradable and not allowed_in(TradingState.REDUCING, intents):
            return Outcome.NOT_TRADABLE, _not_tradable(regime) + " (position held: exits only)"
        if not intents:
            return Outcome.SKIP, (getattr(self._router, "last_reason", "")
                                  or "router produced no intent")
        return Outcome.SKIP, STATE_SKIP[state]

    def _record_error(self, cap: _Capture, ev: MarketEvent, err: _StageError) -> Verdict:
        cap.failed_stage = err.stage
        return self._record(cap, ev, Outcome.ERROR, f"stage {err.stage} raised {err.cause!r}")

    def _failed(self, cap: _Capture, ev: MarketEvent, stage: str, exc: Exception) -> Verdict:
        """Stage `stage` of a decision raised: counted, escalated, journaled as an error."""
        self._stage_failed(stage, ev, cap.coin, exc)
        return self._record_error(cap, ev, _StageError(stage, exc))

    def _update_stages(self, ev: MarketEvent) -> _StageError | None:
        """Give `ev` to the signal and regime stages, once (their `values(coin)` are read
        per decision). Also while halted: they carry state from event to event (OFI's
        previous touch, volatility, the liquidation detector), and starved, the first
        decision after a resume would compare against a stale past and could fire an IOC
        on a jump that is only the halt's length. A failure is counted and escalated, and
        returned so the event's decisions are journaled as errors; while halted it is only
        counted, and each stage logs its first one per halt (it may be why we halted)."""
        # Both stages spelled out (no loop over a tuple built per event).
        failure: _StageError | None = None
        signals, regime = self._signals, self._regime
        if signals is not None:
            try:
                signals.on_event(ev)
            except Exception as exc:
                failure = self._update_failed("signals", ev, exc, failure)
        if regime is not None:
            try:
                regime.on_event(ev)
            except Exception as exc:
                failure = self._update_failed("regime", ev, exc, failure)
        return failure

    def _update_failed(self, name: str, ev: MarketEvent, exc: Exception,
                       failure: _StageError | None) -> _StageError | None:
        """Stage `name` could not take `ev`; returns the event's first failure (None while
        halted: only counted then)."""
        if self._trading.state is TradingState.HALTED:
            self._halted_stage_failed(name, exc)
            return failure
        self._stage_failed(name, ev, ev.coin, exc)
        return failure or _StageError(name, exc)

    def _halted_stage_failed(self, name: str, exc: Exception) -> None:
        self._stage_errors[name] = self._stage_errors.get(name, 0) + 1
        if name not in self._halted_failures:
            self._halted_failures.add(name)
            _log.error("stage %s raised while halted (counted; logged once per halt): %r",
                       name, exc, exc_info=exc)

    def _missing_strategy(self) -> str:
        absent = [name for name, stage in (("signals", self._signals), ("regime", self._regime),
                                           ("alpha", self._alpha)) if stage is None]
        return ", ".join(absent)

    def _holds(self, coin: str) -> bool:
        """A position is open in `coin`. A regime that is not tradable blocks new risk,
        not the exit of risk we hold: the position is still routed (the regime conditions
        its forecast to 0, so the router's horizon exit applies), reduce-only intents only.
        Left alone it would sit unmanaged through the regime's whole span."""
        positions = self._positions
        if positions is None or self._router is None:
            return False
        try:
            return float(positions.position(coin)) != 0.0
        except Exception:  # the position stage's failure is reported where it is routed
            return True

    def _record(self, cap: _Capture, ev: MarketEvent, outcome: str, reason: str, *,
                decision_id: int | None = None, trading_state: str | None = None) -> Verdict:
        self.decisions += 1
        self._outcomes[outcome] = self._outcomes.get(outcome, 0) + 1
        inputs, explain_failures = self._inputs(cap)
        did = self._journal.record_decision(
            exchange_ns=ev.exchange_ns, local_ns=ev.local_ns, coin=cap.coin,
            trigger=type(ev).__name__, outcome=outcome, reason=reason,
            trading_state=_STATE_TEXT[self._trading.state] if trading_state is None
            else trading_state, inputs=inputs, decision_id=decision_id)
        self.last_decision_id = did
        for stage, exc in explain_failures:
            self._stage_failed(stage, ev, cap.coin, exc)
        return Verdict(outcome, reason, did)

    def _inputs(self, cap: _Capture) -> tuple[dict[str, Any], list[tuple[str, Exception]]]:
        """The journal's inputs for a decision, in the order the pipeline reached them
        (the key order is part of the row's text, hence of the journal's hash)."""
        failures: list[tuple[str, Exception]] = []
        coin = cap.coin
        top = self._book_top
        inputs: dict[str, Any] = {"event": cap.event, "source_coin": cap.source_coin,
                                  "book": top(coin)}
        lead = self._journal_lead.get(coin, _UNKNOWN)
        if lead is _UNKNOWN:  # a coin outside the settings' list (decide() called directly)
            lead = _journal_lead(self.settings, coin)
        if lead is not None:
            inputs["lead_book"] = top(lead)
        signals = cap.signals
        if signals is not None:
            # A fresh dict per read (SignalSuite.fresh) is written as is; the journal
            # encodes it now, before the next stage update could replace it.
            inputs["signals"] = signals if type(signals) is dict else dict(signals)
        if cap.regime is not None:
            inputs["regime"] = _regime_inputs(cap.regime)
        if cap.alpha is not None:
            inputs["alpha"] = cap.alpha
            explain = self._alpha_explain
            if explain is not None:
                try:  # `_explain` inlined (per decision)
                    inputs["alpha_explain"] = explain()
                except Exception as exc:
                    inputs["alpha_explain"] = _explain_failed("alpha", exc, failures)
        if cap.position is not None:
            inputs["position"] = cap.position
        intents = cap.intents
        if intents is not None:
            # A tuple of structs -> a list; most decisions route to no intent at all.
            inputs["intents"] = _to_builtins(intents) if intents else []
            explain = self._router_explain
            if explain is not None:
                try:
                    inputs["router"] = explain()
                except Exception as exc:
                    inputs["router"] = _explain_failed("router", exc, failures)
        if cap.rejected is not None:
            inputs["rejected"] = [[_to_builtins(i), why] for i, why in cap.rejected]
        if cap.approved is not None:
            inputs["approved"] = _to_builtins(cap.approved)
        if cap.failed_stage is not None:
            inputs["failed_stage"] = cap.failed_stage
        return inputs, failures

    def _book_top(self, coin: str) -> dict[str, Any] | None:
        """`coin`'s journal book top, built once per change of its market data. The same
        dict may serve several rows: the journal only encodes it, nobody mutates it."""
        market = self.markets.get(coin)
        cached = self._tops.get(coin)
        if cached is not None and cached[0] is market:
            return cached[1]
        top = _book_top(market)
        self._tops[coin] = (market, top)
        return top

    def _halt_reason(self) -> str:
        last = self._trading.last
        return "trading halted" + ("" if last is None else f" ({last.trigger}: {last.reason})")

    # ------------------------------------------------------------ failures and state

    def _stage_failed(self, stage: str, ev: AnyEvent, coin: str, exc: BaseException) -> None:
        self._stage_errors[stage] = self._stage_errors.get(stage, 0) + 1
        etype = type(ev).__name__
        _log.error("stage %s raised on %s coin=%s exchange_ns=%s local_ns=%s: %r", stage,
                   etype, coin, ev.exchange_ns, ev.local_ns, exc, exc_info=exc)
        self._journal.record_error(exchange_ns=ev.exchange_ns, local_ns=ev.local_ns,
                                   stage=stage, event_type=etype, coin=coin,
                                   error_type=type(exc).__name__, message=str(exc))
        level = self._errors.record(stage, ev.local_ns)
        if level is Escalation.NONE:
            return
        n = self._errors.count(stage, ev.local_ns)
        window_s = self.settings.error_window_ns / _NS_PER_S
        reason = f"{n} errors in stage {stage} within {window_s:g} s (last: {exc!r})"
        trigger = (Trigger.STAGE_ERRORS_HALT if level is Escalation.HALT
                   else Trigger.STAGE_ERRORS_REDUCE)
        self._transition(trigger, reason, ev.exchange_ns, ev.local_ns)

    def _transition(self, trigger: Trigger, reason: str, exchange_ns: int,
                    local_ns: int) -> Transition:
        tr = self._trading.apply(trigger, reason, exchange_ns, local_ns)
        if tr.changed:
            self._journal.record_state_change(tr)
            _log.warning("trading state %s -> %s (%s: %s)", tr.from_state, tr.to_state,
                         trigger, reason)
            if tr.to_state is TradingState.HALTED:
                self._cancel_all(reason)
                self._flatten_rounds = 0
                self._flatten_on_halt(tr)
            elif tr.from_state is TradingState.HALTED:
                self._halted_failures.clear()
            if tr.to_state is TradingState.REDUCING:
                self._pull_exposing(reason)
        return tr

    def _cancel_all(self, reason: str) -> None:
        if self._sink is None:
            return
        try:
            self._sink.cancel_all(reason)
        except Exception as exc:
            # Already halted: count and report, no further escalation is possible.
            self._stage_errors["order_sink"] = self._stage_errors.get("order_sink", 0) + 1
            _log.error("cancel_all failed while halting: %r", exc, exc_info=exc)

    def _flatten_on_halt(self, tr: Transition | None) -> None:
        """risk.yaml `flatten_on_kill`: close the open positions (risk/flatten.py) through
        the one gate every order action passes: what REDUCING lets through (reduce-only),
        the risk gate under REDUCING's rules, then the sink under a decision of its own,
        one journaled decision per coin (trigger "halt"). Asked at the halt and again on
        timers while halted: a coin is closed once none of our orders in it is live (what
        is in flight may still fill) and the account is reconciled with the venue, in at
        most `_MAX_FLATTEN_ROUNDS`."""
        flatten, sink = self._flatten, self._sink
        if flatten is None or sink is None or tr is None:
            return
        if self._flatten_rounds >= _MAX_FLATTEN_ROUNDS or self._trading.awaiting_reconciliation:
            return  # positions not yet confirmed by the venue: a later timer asks again
        try:
            intents = tuple(flatten())
        except Exception as exc:  # already halted: counted and reported, nothing sent
            self._halted_stage_failed("flatten", exc)
            return
        if not intents:
            return
        self._flatten_rounds += 1
        if self._flatten_rounds == _MAX_FLATTEN_ROUNDS:
            _log.warning("flatten on halt: round %d of %d; what it leaves stays for the "
                         "operator", self._flatten_rounds, _MAX_FLATTEN_ROUNDS)
        for coin in dict.fromkeys(i.coin for i in intents):
            plan = allowed_in(TradingState.REDUCING,
                              tuple(i for i in intents if i.coin == coin))
            self._flatten_coin(coin, plan, sink, tr)

    def _flatten_while_halted(self, now_ns: int) -> None:
        # On a timer while halted, once the venue has been quiet for a while: an order's
        # final status can come before its fills reach the positions, so a coin with nothing
        # live is only settled when no answer about our orders or fills arrived for
        # `_FLATTEN_SETTLE_NS` (periodic account snapshots, funding and dead man's switch
        # acknowledgements do not count: they would keep a live account never quiet).
        if (self._flatten is not None and self._trading.state is TradingState.HALTED
                and now_ns - self._last_answer_ns >= _FLATTEN_SETTLE_NS):
            self._flatten_on_halt(self._trading.last)

    def _flatten_coin(self, coin: str, plan: tuple[PlanIntent, ...], sink: OrderSink,
                      tr: Transition) -> None:
        inputs: dict[str, Any] = {"halt": f"{tr.trigger}: {tr.reason}",
                                  "intents": _to_builtins(plan)}
        risk = self._risk
        approved: tuple[PlanIntent, ...] = ()
        if risk is None:
            outcome, reason = Outcome.NOT_CONFIGURED, ("no risk gate configured: flattening "
                                                       "orders are never sent unchecked")
        else:
            try:
                result = risk.check(plan, TradingState.REDUCING, self._clock.now_ns())
            except Exception as exc:
                self._halted_stage_failed("risk_gate", exc)
                outcome, reason = Outcome.ERROR, f"stage risk_gate raised {exc!r}"
            else:
                approved = result.approved
                inputs["rejected"] = [[_to_builtins(i), why] for i, why in result.rejected]
                outcome = Outcome.SUBMIT if approved else Outcome.REJECTED
                refused = "; ".join(dict.fromkeys(why for _, why in result.rejected))
                reason = (f"flatten on halt (round {self._flatten_rounds}): {len(approved)} "
                          f"of {len(plan)} order(s) approved"
                          + (f" ({refused})" if refused else ""))
        did = None
        if approved:
            inputs["approved"] = _to_builtins(approved)
            did = self._journal.reserve_decision_id()
            try:
                sink.submit(did, approved)
            except Exception as exc:  # already halted: counted and reported
                self._halted_stage_failed("order_sink", exc)
        self.decisions += 1
        self._outcomes[outcome] = self._outcomes.get(outcome, 0) + 1
        # The halt's own round carries its stamps; a later one, the time it was asked.
        exchange_ns, local_ns = ((tr.exchange_ns, tr.local_ns) if self._flatten_rounds <= 1
                                 else (self._last_exchange_ns, self._clock.now_ns()))
        self.last_decision_id = self._journal.record_decision(
            exchange_ns=exchange_ns, local_ns=local_ns, coin=coin, trigger="halt",
            outcome=outcome, reason=reason, trading_state=TradingState.HALTED.value,
            inputs=inputs, decision_id=did)

    def _pull_exposing(self, reason: str) -> None:
        sink = self._sink
        if not isinstance(sink, ExposurePuller):
            return
        try:
            sink.cancel_exposing(reason)
        except Exception as exc:
            # Counted and reported; the state is REDUCING already and the gate holds.
            self._stage_errors["order_sink"] = self._stage_errors.get("order_sink", 0) + 1
            _log.error("cancelling exposing orders failed while reducing: %r", exc,
                       exc_info=exc)

    def _now(self) -> tuple[int, int]:
        # Operator actions have no event: stamp them with the injected clock on both axes.
        now = self._clock.now_ns()
        return now, now

    def _kill_fired(self, why: str, ev: AnyEvent) -> None:
        """The kill switch named a reason (it repeats it on every event until reset)."""
        if self._trading.state is not TradingState.HALTED:
            self._transition(Trigger.KILL_SWITCH, why, ev.exchange_ns, ev.local_ns)

    # ------------------------------------------------------------ feed, rejections, timers

    def _on_feed(self, ev: FeedState) -> None:
        if ev.status is FeedStatus.DOWN or ev.status is FeedStatus.STALE:
            if not self._is_needed(ev):
                return
            self._trading.feed_lost(ev.channel)
            where = ev.channel or "connection"
            self._transition(Trigger.FEED_LOST, f"feed {ev.status.value} on {where}: "
                             f"{ev.detail}", ev.exchange_ns, ev.local_ns)
            return
        self._trading.feed_back(ev.channel, ev.status)  # may (re)start awaiting reconciliation
        self._maybe_auto_resume(ev)

    def _is_needed(self, ev: FeedState) -> bool:
        return not ev.coin or ev.coin in self._needed

    def _maybe_auto_resume(self, ev: AnyEvent) -> None:
        why = self._trading.resume_reason()
        if why is not None:
            self._transition(Trigger.FEED_RESTORED, why, ev.exchange_ns, ev.local_ns)

    def _on_rejection(self, ev: Rejection) -> None:
        self._count_rejection(ev.reason)

    def _count_rejection(self, reason: str) -> None:
        self._rejections[reason] = self._rejections.get(reason, 0) + 1

    def _on_timer(self, ev: Timer) -> None:
        if self._timer_listeners:
            now = self._clock.now_ns()
            for listener in self._timer_listeners:
                try:
                    listener.on_timer(now)
                except Exception as exc:
                    self._stage_failed("timer", ev, "", exc)
        self._flatten_while_halted(self._clock.now_ns())
        if ev.name != self.settings.flush_timer:
            return
        try:
            self._journal.flush()
        except JournalError as exc:
            self._stage_failed("journal", ev, "", exc)

    def _on_gateway(self, ev: GatewayEvent) -> None:
        for listener in self._gateway:
            try:
                listener.on_gateway(ev)
            except Exception as exc:
                self._stage_failed("execution", ev, getattr(ev, "coin", ""), exc)
        if isinstance(ev, AccountSnapshot):
            self._trading.reconciled()
            self._maybe_auto_resume(ev)
        elif type(ev) is not ScheduleCancelAck:  # an answer about our orders
            self._last_answer_ns = ev.local_ns

    def _on_control(self, ev: ControlCommand) -> None:
        """Operator commands (`hlofi kill` / `hlofi resume` from another terminal)."""
        reason = f"operator {ev.command}: {ev.reason or 'no reason given'}"
        if ev.command == "kill":
            self._transition(Trigger.MANUAL_HALT, reason, ev.exchange_ns, ev.local_ns)
        elif ev.command == "reduce":
            self._transition(Trigger.MANUAL_REDUCE, reason, ev.exchange_ns, ev.local_ns)
        elif ev.command == "resume" and self._trading.state is not TradingState.ACTIVE:
            # The kill switch saw this command first (it checks every event) and cleared
            # its trigger; otherwise it would re-halt on the next event.
            self._transition(Trigger.RESUME, reason, ev.exchange_ns, ev.local_ns)
        else:
            self._count_rejection(f"control_{ev.command}_ignored")

    def _on_private(self, ev: PrivateEvent) -> None:
        for listener in self._private:
            try:
                listener.on_private(ev)
            except Exception as exc:
                self._stage_failed("private", ev, getattr(ev, "coin", ""), exc)
        if type(ev) is not Funding:  # orders, fills, liquidations: the position may move
            self._last_answer_ns = ev.local_ns


# ---------------------------------------------------------------- helpers

class _Capture:
    """What one decision's journal row needs, captured as the pipeline reaches it: values
    and references, never their serialised form (`Engine._inputs` builds that, after any
    orders are submitted). None means the pipeline stopped before that point.

    The book tops are not captured: `_inputs` reads them when the row is built, which gives
    the decision-time books because only the engine's `_apply` writes market data, and it
    runs for the next market event, never inside a decision."""

    __slots__ = ("alpha", "approved", "coin", "event", "failed_stage", "intents", "position",
                 "regime", "rejected", "signals", "source_coin")

    def __init__(self, ev: MarketEvent, coin: str) -> None:
        self.event = type(ev).__name__
        self.source_coin = ev.coin
        self.coin = coin
        self.signals: Mapping[str, float] | None = None
        self.regime: RegimeView | None = None
        self.alpha: float | None = None
        self.position: float | None = None
        self.intents: tuple[PlanIntent, ...] | None = None
        self.rejected: tuple[tuple[PlanIntent, str], ...] | None = None
        self.approved: tuple[PlanIntent, ...] | None = None
        self.failed_stage: str | None = None


def _not_tradable(regime: RegimeView) -> str:
    return "; ".join(regime.reasons) or "regime says not tradable"


def _why_rejected(result: GateResult) -> str:
    return "; ".join(r for _, r in result.rejected) or "risk gate approved nothing"


def _explain_failed(stage: str, exc: Exception,
                    failures: list[tuple[str, Exception]]) -> dict[str, str]:
    # An explanation only serves the journal and is taken after the orders left: one that
    # raises is counted against its stage (the caller reports it) and stored as its error,
    # it does not undo the decision.
    failures.append((stage, exc))
    return {"explain_error": repr(exc)}


def _apply(market: CoinMarket, ev: MarketEvent) -> None:
    if isinstance(ev, BookSnapshot):
        market.on_book(ev)
    elif isinstance(ev, Bbo):
        market.on_bbo(ev)
    elif isinstance(ev, Trades):
        market.on_trades(ev)
    else:
        market.on_asset_ctx(ev)


class EngineHealth(NamedTuple):
    """The engine's answers to the recovery policy (`Engine.health`)."""

    state_cause: str | None  # the trigger that left ACTIVE, None when ACTIVE
    feeds_unhealthy: bool  # a needed feed channel is down or stale
    reconciliations: int  # AccountSnapshot events seen (each one a reconciliation)


# A state's journal text; `.value` is a descriptor call on an Enum member (per decision).
_STATE_TEXT: Final = {state: state.value for state in TradingState}
_UNKNOWN: Final[Any] = object()  # "not cached / not listed", distinct from a cached None
_to_builtins: Final = msgspec.to_builtins


def _journal_lead(settings: EngineSettings, coin: str) -> str | None:
    """The lead whose book `coin`'s journal row shows: its own pair's lead, else the
    first pair's; None when that is the coin itself or there is none."""
    lead = settings.lead_of.get(coin, settings.lead)
    return lead if lead and lead != coin else None


def _book_top(market: CoinMarket | None) -> dict[str, Any] | None:
    """Best levels, mid and 5-level depth of a coin's book, for the journal."""
    if market is None:
        return None
    book: BookView = market.book
    bid, ask = book.best_bid(), book.best_ask()
    return {"bid": None if bid is None else bid[0], "bid_sz": None if bid is None else bid[1],
            "ask": None if ask is None else ask[0], "ask_sz": None if ask is None else ask[1],
            "mid": book.mid(), "depth5": book.depth(5), "exchange_ns": book.exchange_ns}


def _regime_inputs(regime: RegimeView) -> Any:
    # A msgspec struct (regime.state.RegimeState) keeps every field; anything else gives
    # at least what the engine itself relied on.
    if isinstance(regime, msgspec.Struct):
        return msgspec.to_builtins(regime)
    return {"tradable": regime.tradable, "reasons": list(regime.reasons)}

