"""The pipeline's stage contracts, as Protocols: the engine depends on these, never on
the concrete signals / regime / alpha / execution / risk classes (other issues build
those; a composition root wires them in).

Wiring rule: a stage the configuration does not provide is passed as `None`, never as a
stand-in that "does nothing". The engine then records plainly why it could not trade
("no strategy configured", "no router configured", ...). Fakes live in tests only.

Data flow for one market event on coin C (see ARCHITECTURE.md "The event path"):
    CoinMarket(C) updated  →  SignalStage.on_event(event), RegimeStage.on_event(event),
    once  →  for each traded coin T the event concerns (`Engine.decide`):
    SignalStage.values(T)                    -> {name: value}
    RegimeStage.values(T)                    -> RegimeView (tradable? why not?)
    AlphaStage.compute(signals, regime)      -> alpha in [-1, +1]
    Router.route(T, alpha, ofi, position)    -> a plan: place / modify / cancel intents
    TradingGate.admit(plan)                  -> HALTED: cancels only; REDUCING: cancels and
                                                reduce-only places/modifies only
    RiskGate.check(plan, state, now_ns)      -> approved + rejected-with-reason
    OrderSink.submit(decision_id, approved)  -> commands to the gateway
A router proposes and never acts (ARCHITECTURE.md rule 6): every action on an order,
including moving or pulling one that already rests, is an intent of the plan, so it passes
the same trading state and risk gate as a new order and is journaled under the decision
that caused it.
Stages hold references to the market data they need (e.g. an OFI calculator built on the
engine's OrderBook for the coin), so their `on_event` calls carry only the trigger. Alpha
takes no event: it is a function of one coin's signals and regime.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

import msgspec

from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    AssetCtx,
    Bbo,
    BookSnapshot,
    GatewayEvent,
    MarketEvent,
    PrivateEvent,
    Trades,
)

if TYPE_CHECKING:  # state.py's gate filters plans of the intents below
    from hyperliquid_ofi_trader.core.state import TradingState

# ---------------------------------------------------------------- market data


class CoinMarket(Protocol):
    """Per-coin market data (book, trade tape, market state) as one unit the engine feeds.

    Every method must refuse bad input by counting it, not by raising; the engine still
    guards each call and reports a raise as a "data" stage error.
    """

    @property
    def book(self) -> BookView: ...

    def on_book(self, snap: BookSnapshot) -> int: ...

    def on_bbo(self, bbo: Bbo) -> None: ...

    def on_trades(self, trades: Trades) -> int:
        """Prints feed the trade tape only: the book is unchanged (the engine keeps the
        journal's book tops across them)."""
        ...

    def on_asset_ctx(self, ctx: AssetCtx) -> None: ...


# ---------------------------------------------------------------- strategy stages


class RegimeView(Protocol):
    """What the engine needs from a regime state (e.g. `regime.state.RegimeState`)."""

    @property
    def tradable(self) -> bool: ...

    @property
    def reasons(self) -> tuple[str, ...]: ...


R_co = TypeVar("R_co", bound=RegimeView, covariant=True)
R_contra = TypeVar("R_contra", bound=RegimeView, contravariant=True)


class SignalStage(Protocol):
    """Takes every market event once (`on_event`, after the engine updated the market
    data); `values(coin)` are traded `coin`'s fresh, finite signals by name ("ofi",
    "leadlag", "aggressive_volume", "microprice", ...), read once per decision."""

    def on_event(self, event: MarketEvent) -> None: ...

    def values(self, coin: str) -> Mapping[str, float]: ...


class RegimeStage(Protocol[R_co]):
    """Takes every market event once (`on_event`); `values(coin)` is traded `coin`'s
    regime (tradable? why not?)."""

    def on_event(self, event: MarketEvent) -> None: ...

    def values(self, coin: str) -> R_co: ...


class AlphaStage(Protocol[R_contra]):
    """Fuses signals into one number in [-1, +1]. Never touches orders."""

    def compute(self, signals: Mapping[str, float], regime: R_contra) -> float: ...


@runtime_checkable
class Explainer(Protocol):
    """Optional on any stage: a breakdown of its last output, stored with the decision
    (a mapping or a msgspec struct such as `alpha.combiner.AlphaBreakdown`).

    The engine asks for it only when it writes the journal row, i.e. after the decision's
    orders were submitted: it must describe the stage's last call and stay valid until its
    next one, whatever the order sink does meanwhile. If it raises, the error is counted
    against the stage and stored in its place; the decision stands."""

    def explain(self) -> object: ...


# ---------------------------------------------------------------- execution and risk


class Tif(enum.StrEnum):
    ALO = "Alo"  # post-only
    IOC = "Ioc"
    GTC = "Gtc"


class OrderIntent(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """What the router wants done, before risk and before the order manager gives it a
    cloid. `price` is the limit (already rounded to the venue's tick by the router)."""

    coin: str
    is_buy: bool
    size: float
    price: float
    tif: Tif
    reduce_only: bool = False
    tag: str = ""  # the router's reason, e.g. "ofi_high_ioc"


class ModifyIntent(msgspec.Struct, frozen=True, gc=False, kw_only=True, tag="modify",
                   tag_field="action"):
    """Move our resting order `cloid` to `price` / `size` (the order manager sends a
    cancel-and-replace; the replacement gets a new cloid and cites the moving decision).

    It carries the whole order as it will stand (side, TIF, reduce-only), so the gate
    judges exactly what would rest after the move, like a new order. The order manager
    refuses it when these do not match the live order (a move never changes what the
    order is, only where it rests)."""

    coin: str
    cloid: str
    is_buy: bool
    size: float
    price: float
    tif: Tif
    reduce_only: bool = False
    tag: str = ""  # why, e.g. "requote:behind_touch"


class CancelIntent(msgspec.Struct, frozen=True, gc=False, kw_only=True, tag="cancel",
                   tag_field="action"):
    """Pull our live order `cloid`. Always allowed (it can only reduce risk), always
    journaled with the decision that wanted it."""

    coin: str
    cloid: str
    tag: str = ""  # why, e.g. "requote:alpha_flipped"


# One step of a router's plan. A plain `OrderIntent` is a new order; its journal form
# has no "action" key (rows of plans without re-quotes stay what they always were).
PlanIntent = OrderIntent | ModifyIntent | CancelIntent


def may_add_exposure(intent: PlanIntent) -> bool:
    """True when executing `intent` could increase |position| on some fill: a place or a
    modify that is not reduce-only. Cancels never can."""
    return not isinstance(intent, CancelIntent) and not intent.reduce_only


class GateResult(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    approved: tuple[PlanIntent, ...]
    rejected: tuple[tuple[PlanIntent, str], ...]  # (intent, reason)


class PositionSource(Protocol):
    """Signed position in coin units (risk/position.py)."""

    def position(self, coin: str) -> float: ...


class Router(Protocol):
    """Turns alpha into a plan (possibly empty): new orders, and moves or cancels of our
    resting ones. `ofi` is the normalised OFI signal, None when no fresh OFI exists (the
    router decides what that means). It never acts on orders itself."""

    def route(self, coin: str, alpha: float, ofi: float | None,
              position: float) -> Sequence[PlanIntent]: ...


class RiskGate(Protocol):
    """Exposure, position, price/size validity, rate budget, for every place and modify of
    a plan; cancels are approved. The engine has already applied the trading state
    (nothing runs when HALTED; only cancels and reduce-only intents reach the gate when
    REDUCING), but the gate must hold on its own."""

    def check(self, intents: Sequence[PlanIntent], state: TradingState,
              now_ns: int) -> GateResult: ...


class OrderSink(Protocol):
    """The order manager: executes an approved plan (cancels, then modifies, then places),
    every action citing the decision that caused it, and the cancel-all command when the
    engine halts."""

    def submit(self, decision_id: int, intents: Sequence[PlanIntent]) -> None: ...

    def cancel_all(self, reason: str) -> None: ...


@runtime_checkable
class ExposurePuller(Protocol):
    """Optional on the order sink: cancel every live order that could add exposure (those
    not reduce-only). The engine calls it when trading becomes REDUCING: quotes placed while
    ACTIVE must not fill into more exposure, and when a feed is what went away they rest
    on a book we no longer see. Returns how many cancels were sent."""

    def cancel_exposing(self, reason: str) -> int: ...


class Reconciler(Protocol):
    """The order path's way to ask the venue for the account (open orders, positions,
    fills): the answer comes back as an `AccountSnapshot`. The engine asks whenever its
    trading gate starts awaiting reconciliation (a reconnect, a stream silent on a live
    socket); `CommandPort.reconcile` is one."""

    def reconcile(self) -> None: ...


class PrivateListener(Protocol):
    """Receives our own order updates, fills, funding, liquidations (order manager, positions)."""

    def on_private(self, event: PrivateEvent) -> None: ...


class GatewayListener(Protocol):
    """Receives the gateway's answers to our requests (acks, failures, order status,
    reconciliation snapshots): the order manager, positions."""

    def on_gateway(self, event: GatewayEvent) -> None: ...


class TimerListener(Protocol):
    """Called on every timer event with the injected clock's time (ack timeouts, the dead
    man's switch cadence, markouts)."""

    def on_timer(self, now_ns: int) -> None: ...


class KillSwitchStage(Protocol):
    """risk/kill_switch.py: sees every event first and returns a reason to halt, or None.
    It holds its own references (books, fills, latency) like the other stages."""

    def check(self, event: AnyEvent, now_ns: int) -> str | None: ...
