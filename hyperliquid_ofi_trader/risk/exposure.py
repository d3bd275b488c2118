"""Pre-trade risk gate: hard limits every order action must pass before the order manager
sees it.

A plan holds places (`OrderIntent`), modifies (`ModifyIntent`: a resting order moved, i.e.
a new order at the new price and size as far as risk is concerned) and cancels
(`CancelIntent`). Cancels are always approved (they can only reduce risk) and never spend
the rate budget; places and modifies pass every check below, the same way.

Checks, in order (the first failure is the intent's reason, "code: detail"):
1. `invalid_intent`  non-finite or non-positive price/size;
2. `trading_state`   HALTED refuses everything, REDUCING everything not reduce-only (the
                     engine already filters, but the gate must hold on its own);
3. venue rules, when the gate knows the coin's instrument: `unknown_instrument`,
   `off_tick` (price not on the tick / significant-figure grid), `off_lot` (size not a
   multiple of the lot), `below_min_notional` (under the venue's $10);
4. `reduce_only`     a reduce-only intent must actually reduce the (projected) position
                     and not by more than its size (the venue would refuse it anyway);
5. `max_order_usd`   the intent's notional;
6. `max_position_usd` per-coin |projected position| x mark, unless the intent reduces;
7. `max_total_notional_usd` sum over coins, unless the intent reduces;
8. `max_leverage`    total notional / account value; `account_value_unknown` when no
                     account snapshot has told us the value yet (no leverage without it);
9. `rate_limit`      `max_orders_per_minute` over a sliding 60 s window of event time
                     (counts approved places and modifies; reduce-only ones too: the
                     venue's budget does not care why we send). Two parts of it are kept:
                     `exit_reserved_per_minute` for reduce-only orders (every order that
                     adds risk, lead-lag ones too, stops at the limit minus it, so entries
                     and their re-quotes can never leave a position without the budget to
                     close it), and `lead_reserved_per_minute` for lead-lag entries (tag
                     ending "_lead": other orders that add risk stop at the limit minus
                     both reserves, so a burst of them can never starve the one signal
                     whose edge lives for a few hundred ms). Reduce-only orders may use
                     the whole budget.
Intents of one batch are checked in sequence against the position projected by the
earlier approved ones, so a batch cannot pass by splitting.

Marks are the book mids (`marks(coin)`); the intent's own price stands in when the book
has none.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from hyperliquid_ofi_trader.core.stages import (
    CancelIntent,
    GateResult,
    ModifyIntent,
    OrderIntent,
    PlanIntent,
)
from hyperliquid_ofi_trader.core.state import TradingState
from hyperliquid_ofi_trader.errors import RiskRejectedError
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import (
    Instrument,
    is_valid_price,
    is_valid_size,
)

if TYPE_CHECKING:  # the section's type only: config sits below the components
    from hyperliquid_ofi_trader.config.risk_schema import RiskLimits

_NS_PER_MINUTE = 60_000_000_000
_MIN_VALUE_CLEARLY_MET = 10.01  # USD: above it the venue's $10 minimum holds beyond doubt
# What the gate judges: a place, or a modify (the order as it would rest after the move).
_Exposing = OrderIntent | ModifyIntent


class ExposureSource(Protocol):
    """What the gate reads from `risk.position.PositionBook`."""

    @property
    def account_value(self) -> float | None: ...

    def position(self, coin: str) -> float: ...

    def coins(self) -> tuple[str, ...]: ...


class _RejectError(RiskRejectedError):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code)
        self.reason = f"{code}: {detail}"
        self.code = code


class ExposureGate:
    """Implements `core.stages.RiskGate`. Rejections are counted per code in `rejections`."""

    def __init__(self, limits: RiskLimits, positions: ExposureSource,
                 marks: Callable[[str], float | None],
                 instruments: Mapping[str, Instrument] | None = None, *,
                 lead_reserved_per_minute: int = 0, exit_reserved_per_minute: int = 0) -> None:
        """`limits`: risk.yaml `limits` (validated there). `instruments`: the venue's rules
        per coin (tick, lot, $10 minimum). Without them (unit tests of the limits alone)
        those checks are skipped; with them, a coin they do not list is refused.
        `lead_reserved_per_minute` and `exit_reserved_per_minute` (thresholds.yaml
        `router.lead_reserved_orders_per_minute`, `router.exit_reserved_orders_per_minute`)
        of the order budget are kept for lead-signal entries and for reduce-only orders;
        together at most the whole budget (the exits' reserve first)."""
        # Plain attributes read per order: the config model stays out of the hot path.
        self.max_position_usd: Mapping[str, float] = limits.max_position_usd
        self.max_total_notional_usd = limits.max_total_notional_usd
        self.max_leverage = limits.max_leverage
        self.max_order_usd = limits.max_order_usd
        self.max_orders_per_minute = limits.max_orders_per_minute
        self.exit_reserved_per_minute = min(exit_reserved_per_minute,
                                            limits.max_orders_per_minute)
        self.lead_reserved_per_minute = min(
            lead_reserved_per_minute,
            limits.max_orders_per_minute - self.exit_reserved_per_minute)
        self._positions = positions
        self._marks = marks
        self._instruments = instruments
        self._sent: deque[int] = deque()
        self.rejections: dict[str, int] = {}
        self.approved = 0  # places and modifies: what spent the rate budget
        self.cancels = 0  # cancels passed through (always approved)

    def check(self, intents: Sequence[PlanIntent], state: TradingState,
              now_ns: int) -> GateResult:
        approved: list[PlanIntent] = []
        rejected: list[tuple[PlanIntent, str]] = []
        projected: dict[str, float] = {}
        self._expire(now_ns)
        for intent in intents:
            if isinstance(intent, CancelIntent):
                self.cancels += 1
                approved.append(intent)
                continue
            try:
                delta = self._check_one(intent, state, projected)
            except _RejectError as rej:
                self.rejections[rej.code] = self.rejections.get(rej.code, 0) + 1
                rejected.append((intent, rej.reason))
                continue
            projected[intent.coin] = self._pos(intent.coin, projected) + delta
            self._sent.append(now_ns)
            self.approved += 1
            approved.append(intent)
        return GateResult(approved=tuple(approved), rejected=tuple(rejected))

    # ------------------------------------------------------------ checks

    def _check_one(self, intent: _Exposing, state: TradingState,
                   projected: dict[str, float]) -> float:
        _valid(intent)
        _state_allows(intent, state)
        if self._instruments is not None:
            _venue_rules(intent, self._instruments.get(intent.coin))
        pos = self._pos(intent.coin, projected)
        delta = intent.size if intent.is_buy else -intent.size
        reduces = pos * delta < 0 and intent.size <= abs(pos) + 1e-12
        if intent.reduce_only and not reduces:
            raise _RejectError("reduce_only", f"{intent.coin} position {pos:g} would not be "
                          f"reduced by {delta:+g}")
        notional = intent.size * intent.price
        if notional > self.max_order_usd:
            raise _RejectError("max_order_usd", f"${notional:.2f} > ${self.max_order_usd:.2f}")
        if not reduces:  # only the exposure limits need a mark
            self._exposure_limits(intent, pos + delta, self._mark(intent), projected)
        self._rate_limit(intent)
        return delta

    def _exposure_limits(self, intent: _Exposing, new_pos: float, mark: float,
                         projected: dict[str, float]) -> None:
        cap = self.max_position_usd.get(intent.coin)
        coin_usd = abs(new_pos) * mark
        if cap is None:
            raise _RejectError("max_position_usd", f"no limit configured for {intent.coin}")
        if coin_usd > cap:
            raise _RejectError("max_position_usd", f"{intent.coin} ${coin_usd:.2f} > ${cap:.2f}")
        total = coin_usd + self._others_usd(intent.coin, projected)
        if total > self.max_total_notional_usd:
            raise _RejectError("max_total_notional_usd",
                          f"${total:.2f} > ${self.max_total_notional_usd:.2f}")
        value = self._positions.account_value
        if value is None or not math.isfinite(value):
            raise _RejectError("account_value_unknown", "no account snapshot yet: leverage unknown")
        if value <= 0 or total / value > self.max_leverage:
            lev = math.inf if value <= 0 else total / value
            raise _RejectError("max_leverage", f"{lev:.2f}x > {self.max_leverage:g}x "
                          f"(account ${value:.2f})")

    def _rate_limit(self, intent: _Exposing) -> None:
        limit = self.max_orders_per_minute
        if not intent.reduce_only:  # exits may use the whole budget, entries leave them some
            limit -= self.exit_reserved_per_minute
            if not intent.tag.endswith("_lead"):
                limit -= self.lead_reserved_per_minute
        if len(self._sent) >= limit:
            raise _RejectError("rate_limit", f"{limit} orders in the last 60 s")

    # ------------------------------------------------------------ helpers

    def _expire(self, now_ns: int) -> None:
        horizon = now_ns - _NS_PER_MINUTE
        sent = self._sent
        while sent and sent[0] <= horizon:
            sent.popleft()

    def _pos(self, coin: str, projected: dict[str, float]) -> float:
        got = projected.get(coin)
        return self._positions.position(coin) if got is None else got

    def _mark(self, intent: _Exposing) -> float:
        mark = self._marks(intent.coin)
        return mark if mark is not None and math.isfinite(mark) and mark > 0 else intent.price

    def _others_usd(self, coin: str, projected: dict[str, float]) -> float:
        """|position| x mark summed over every other coin we hold or this batch touches.

        Coins in the position book's order, then coins only the batch touches: a fixed
        order (a set's order would depend on string hashing), built without the two sets
        and their union the old form made on every check."""
        total = 0.0
        held = self._positions.coins()
        for other in held:
            if other != coin:
                total += self._usd(other, projected)
        for other in projected:
            if other != coin and other not in held:
                total += self._usd(other, projected)
        return total

    def _usd(self, coin: str, projected: dict[str, float]) -> float:
        mark = self._marks(coin)
        if mark is not None and math.isfinite(mark):
            return abs(self._pos(coin, projected)) * mark
        return 0.0


def _valid(intent: _Exposing) -> None:
    if not (math.isfinite(intent.price) and intent.price > 0 and math.isfinite(intent.size)
            and intent.size > 0):
        raise _RejectError("invalid_intent", f"price={intent.price!r} size={intent.size!r}")


def _venue_rules(intent: _Exposing, inst: Instrument | None) -> None:
    """What the venue would refuse anyway, refused before it costs a nonce and a round
    trip (and before an off-grid price can be rounded into one nobody decided)."""
    if inst is None:
        raise _RejectError("unknown_instrument", f"no instrument rules for {intent.coin!r}")
    if not is_valid_price(intent.price, inst.sz_decimals, inst.max_decimals):
        raise _RejectError("off_tick", f"{intent.coin} price {intent.price!r} is not on the "
                           f"venue's grid (tick {inst.tick_size(intent.price):g})")
    if not is_valid_size(intent.size, inst.sz_decimals):
        raise _RejectError("off_lot", f"{intent.coin} size {intent.size!r} is not a multiple "
                           f"of {inst.size_step:g}")
    # On the lot, size x price is the order's value to ~1e-16: only a value near $10 needs
    # the venue's exact rule (the common case costs one multiplication).
    if (intent.size * intent.price < _MIN_VALUE_CLEARLY_MET
            and not inst.meets_min_value(intent.price, intent.size)):
        raise _RejectError("below_min_notional", f"{intent.size:g} x {intent.price:g} = "
                           f"${intent.size * intent.price:.2f} < $10 venue minimum")


def _state_allows(intent: _Exposing, state: TradingState) -> None:
    if state is TradingState.HALTED:
        raise _RejectError("trading_state", "HALTED")
    if state is TradingState.REDUCING and not intent.reduce_only:
        raise _RejectError("trading_state", "REDUCING: only reduce-only intents pass")
