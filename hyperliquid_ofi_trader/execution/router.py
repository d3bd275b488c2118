"""Execution router: alpha + normalised OFI + position -> order intents (or a reasoned skip).

Decision table (thresholds from thresholds.yaml `router`):
- |alpha| < min_abs_alpha                          -> skip "alpha_below_min"
- OFI missing (no fresh value)                     -> skip "no_ofi"
- |OFI| >= ofi_high and OFI agrees with alpha      -> IOC: the flow is strong and on our side
- |OFI| >= ofi_high and OFI opposes alpha          -> skip "ofi_opposes_alpha": resting a
  passive order against a strong one-sided flow is how a maker collects toxic fills
- ofi_mid <= |OFI| < ofi_high                      -> post-only (ALO) at our touch
- |OFI| < ofi_mid                                  -> skip "ofi_below_mid"
Direction always comes from alpha.

Size (coin units), smallest of:
- |alpha| x max_order_usd / reference price (the risk budget per order);
- the headroom to max_position_usd for the coin, counting our resting orders on the same
  side as if they filled (never size beyond the limit);
- when the order reduces the position: the position itself. Such an order is reduce-only,
  so it can never flip the position (a flip, if alpha still wants it, is the next
  decision's job, sized against a fresh position);
- for an IOC: `ioc_depth_fraction` of the opposite depth at prices inside the IOC limit;
then rounded DOWN to szDecimals. An order under the venue's $10 minimum is a skip.

Edge mode (an `edge_of` source and a `CostModel` are given: how the system is assembled).
The decision is economic; OFI no longer sets the direction, it sets the URGENCY:
- the forecast of the coin (alpha/forecast.py: signed bps over its horizon, the uncertainty of
  its mean, already conditioned by the regime) gives the direction and the edge; the cost
  model (execution/costs.py) prices both order types as round trips (entry + the IOC exit):
      HIGH = taker cost (2 x taker fee + spread + slippage)
      MID  = maker cost (maker fee - half-spread + adverse selection + the IOC exit)
- edge at fill (lower confidence bound, latency-decayed) above HIGH  -> IOC, when it earns at
  least what a post-only order would in expectation (its margin x fill probability), or when
  OFI is strongly WITH us (|OFI| >= ofi_high: a resting order would be run over);
- else above MID -> post-only; strong OFI AGAINST our side makes a post-only fill adverse
  (one more half-spread of adverse selection is charged);
- else skip "edge_below_cost". A missing or stale OFI is no veto: it only removes urgency.
- Exit, on the fresh forecast signed by the position (what holding on still earns) and the
  same costs. The exit leg is paid whether we close now or later, so it never argues for
  closing: the position is held while that remaining edge's lower bound beats the minimum
  margin ("still pays"; past the horizon this renews it). It closes when the horizon is
  reached and the remaining edge no longer pays ("horizon"), or earlier when the forecast
  turns against it beyond its uncertainty ("faded"). The close is a reduce-only post-only
  order at our touch (it earns the half-spread), kept there by `requotes()`, and an IOC
  `exit_patience_ms` after the exit began; at once by IOC when the move expected against
  us exceeds what resting saves over an IOC (taker leg - maker leg - adverse selection,
  `CostModel.resting_exit_saving_bps`): "reversed". Exit IOCs are sized against those
  still in flight (a fill resolves the oldest; one unresolved after `exit_cooldown_ms`
  has expired), so a position of several order sizes leaves in one burst, not one order
  per round trip while the catch-up it was bought for turns against it.
The decision's economics (edge, costs, margins) are in `explain()` for the journal.

Every skip sets `last_reason` ("code: detail") and counts the code in `skips`; the engine
journals it. The router holds no order state: it reads our resting orders through the
optional `open_orders` callable (the order manager's view), so one post-only order per
side rests at a time and re-pricing is `requotes()`' job.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol, overload

import msgspec

from hyperliquid_ofi_trader.alpha.forecast import EdgeEstimate
from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.events import Side
from hyperliquid_ofi_trader.core.stages import OrderIntent, Tif
from hyperliquid_ofi_trader.errors import RiskRejectedError
from hyperliquid_ofi_trader.execution.costs import CostModel, CostQuote
from hyperliquid_ofi_trader.execution.tactics import (
    OpenOrderView,
    RequoteIntent,
    RequoteKind,
    Tactics,
    TacticsSettings,
)
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import (
    MAX_SZ_DECIMALS,
    MIN_ORDER_VALUE_USD,
    Instrument,
    RoundMode,
)

if TYPE_CHECKING:
    from hyperliquid_ofi_trader.config.models import AppConfig

_NO_INTENTS: tuple[OrderIntent, ...] = ()


class _SeedCall:
    """Sentinel: `route` was called the seed's way (three arguments)."""


_SEED_CALL: Any = _SeedCall()
_IOC_SCAN_LEVELS = 20  # the l2Book window: nothing beyond it is visible anyway
# (is IOC, reduces) -> the intent's tag.
_TAGS = {(True, False): "ofi_high_ioc", (True, True): "ofi_high_ioc_reduce",
         (False, False): "ofi_mid_alo", (False, True): "ofi_mid_alo_reduce"}
_EDGE_TAGS = {(True, False): "edge_ioc", (True, True): "edge_ioc_reduce",
              (False, False): "edge_alo", (False, True): "edge_alo_reduce"}
_NS_PER_MS = 1_000_000
LEAD_TAG_SUFFIX = "_lead"
"""Tag suffix of an entry whose forecast comes mostly from the lead coin (risk/exposure.py
keeps part of the order budget for these)."""
EdgeSource = Callable[[str], EdgeEstimate | None]


OpenOrders = Callable[[str], Sequence[OpenOrderView]]


def _no_open_orders(coin: str) -> Sequence[OpenOrderView]:
    return ()


@dataclass(frozen=True, slots=True)
class RouterSettings:
    ofi_high: float
    ofi_mid: float
    min_abs_alpha: float
    ioc_slippage_bps: float
    ioc_depth_fraction: float
    max_position_usd: Mapping[str, float]
    max_order_usd: float
    instruments: Mapping[str, Instrument]
    requote_ticks: int = 3
    # Measured on synthetic exploitable tuning seeds 201-210 (net summed over 10 15-min
    # backtests, exits still one per cooldown: +54.1 as set): a 250 ms cooldown gave
    # +50.4, a 1 s patience +45.4. Sizing exits against those in flight: +56.0. Then
    # closing as soon as the remaining edge stops paying, not from the horizon on, took
    # an 8 bps IOC limit's +65.6 down to +32.1: the horizon stays.
    # How long an exit IOC counts as in flight when no fill has resolved it (an IOC
    # is done within one round trip, ~250-300 ms, filled or expired): exits are sized
    # against those still in flight, so a large position leaves in one burst of order-
    # sized IOCs instead of one per cooldown.
    exit_cooldown_ms: int = 500
    exit_patience_ms: int = 3_000  # a post-only exit rests this long past the horizon
    min_forecast_evidence: float = 0.0  # effective samples of market data before entries

    def __post_init__(self) -> None:
        if not 0 < self.ofi_mid < self.ofi_high:
            raise ValueError(f"need 0 < ofi_mid < ofi_high, got {self.ofi_mid}, {self.ofi_high}")
        if not 0 < self.ioc_depth_fraction <= 1:
            raise ValueError(f"ioc_depth_fraction must be in (0, 1], got "
                             f"{self.ioc_depth_fraction}")
        if not self.max_order_usd > 0:
            raise ValueError(f"max_order_usd must be > 0, got {self.max_order_usd}")

    @classmethod
    def from_config(cls, cfg: AppConfig) -> RouterSettings:
        r = cfg.thresholds.router
        insts = {name: Instrument(name=name, asset=i, sz_decimals=spec.sz_decimals,
                                  max_leverage=spec.max_leverage)
                 for i, (name, spec) in enumerate(cfg.symbols.coins.items())}
        return cls(ofi_high=r.ofi_high, ofi_mid=r.ofi_mid, min_abs_alpha=r.min_abs_alpha,
                   ioc_slippage_bps=r.ioc_slippage_bps, ioc_depth_fraction=r.ioc_depth_fraction,
                   max_position_usd=dict(cfg.risk.limits.max_position_usd),
                   max_order_usd=cfg.risk.limits.max_order_usd, instruments=insts,
                   requote_ticks=r.requote_ticks,
                   min_forecast_evidence=cfg.thresholds.forecast.min_evidence)

    def tactics_settings(self) -> TacticsSettings:
        return TacticsSettings(ioc_slippage_bps=self.ioc_slippage_bps,
                               min_abs_alpha=self.min_abs_alpha,
                               requote_ticks=self.requote_ticks)


_Skip = tuple[str, str]
"""A reasoned skip returned rather than raised: (code, detail), as in `_SkipError`."""


class _SkipError(RiskRejectedError):
    """Internal: a reasoned skip; never escapes `route`."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


class ExecutionRouter:
    """Implements `core.stages.Router`. See the module docstring for the rules."""

    __slots__ = (
        "_books",
        "_clock_ns",
        "_costs",
        "_edge_of",
        "_exit_abs_pos",
        "_exit_inflight",
        "_exit_started_ns",
        "_exiting",
        "_open_orders",
        "_opened_ns",
        "_tactics",
        "last_edge",
        "last_quote",
        "last_reason",
        "last_tag",
        "routed",
        "settings",
        "skips",
    )

    def __init__(self, settings: RouterSettings | None = None,
                 books: Mapping[str, BookView] | None = None,
                 tactics: Tactics | None = None, open_orders: OpenOrders | None = None,
                 *, edge_of: EdgeSource | None = None, costs: CostModel | None = None,
                 clock_ns: Callable[[], int] | None = None) -> None:
        """Without `settings` / `books` (the seed's `ExecutionRouter()`): the packaged
        config's settings, and an empty book per configured coin (see `books`). With
        `edge_of` (and `costs`) it decides on edge - cost (see the module doc)."""
        if settings is None:
            settings = RouterSettings.from_config(_packaged_config())
        self.settings = settings
        self._books = books if books is not None else _empty_books(settings)
        self._edge_of = edge_of
        self._costs = costs if costs is not None or edge_of is None else CostModel()
        self._clock_ns = clock_ns
        self._opened_ns: dict[str, int] = {}
        # coin -> exit IOCs still in flight, oldest first [sent ns, size]; and the
        # |position| they were last reconciled against (a fill resolves the oldest).
        self._exit_inflight: dict[str, deque[list[float]]] = {}
        self._exit_abs_pos: dict[str, float] = {}
        self._exit_started_ns: dict[str, int] = {}  # coin -> when its current exit began
        self._exiting: dict[str, float] = {}  # coin -> direction of the position it closes
        self.last_edge: EdgeEstimate | None = None
        self.last_quote: CostQuote | None = None
        self._tactics = tactics if tactics is not None else Tactics(settings.tactics_settings())
        self._open_orders = open_orders if open_orders is not None else _no_open_orders
        self.last_reason = ""
        self.last_tag = ""
        self.skips: dict[str, int] = {}
        self.routed: dict[str, int] = {}

    # ------------------------------------------------------------ Router

    @property
    def books(self) -> Mapping[str, BookView]:
        """The books the router prices from (its own empty ones when built without)."""
        return self._books

    @overload
    def route(self, coin: str, alpha: float, ofi: float | None,
              position: float) -> Sequence[OrderIntent]: ...

    @overload
    def route(self, alpha: float, ofi: float | None,
              position_state: PositionState, /) -> Sequence[OrderIntent]: ...

    def route(self, coin: Any, alpha: Any, ofi: Any = None,
              position: Any = _SEED_CALL) -> Sequence[OrderIntent]:
        """`route(coin, alpha, ofi, position)`, or the seed's `route(alpha, ofi,
        position_state)` for the packaged config's traded coin, where `position_state`
        is a signed position in coin units, a position source (`position(coin)`), or a
        mapping of coin -> position."""
        if position is _SEED_CALL:
            return self._route_seed(coin, alpha, ofi)
        self.last_edge = self.last_quote = None
        intent: OrderIntent | _Skip
        try:
            if self._edge_of is not None and self._costs is not None:
                intent = self._route_on_edge(coin, alpha, ofi, position, self._costs)
            else:
                intent = self._route(coin, alpha, ofi, position)
        except _SkipError as skip:
            return self._skipped(skip.code, skip.detail)
        if isinstance(intent, tuple):  # the usual skips, returned (see _route_on_edge)
            return self._skipped(*intent)
        self.routed[intent.tag] = self.routed.get(intent.tag, 0) + 1
        self.last_reason = intent.tag
        self.last_tag = intent.tag
        return (intent,)

    def _skipped(self, code: str, detail: str) -> Sequence[OrderIntent]:
        self.skips[code] = self.skips.get(code, 0) + 1
        self.last_reason = f"{code}: {detail}"
        self.last_tag = code
        return _NO_INTENTS

    def _route_seed(self, alpha: float, ofi: float | None,
                    position_state: PositionState) -> Sequence[OrderIntent]:
        coin = _default_coin()
        position = _position_of(position_state, coin)
        if position is None:
            self.skips["bad_position"] = self.skips.get("bad_position", 0) + 1
            self.last_tag = "bad_position"
            self.last_reason = (f"bad_position: no position for {coin} in a "
                                f"{type(position_state).__name__}")
            return _NO_INTENTS
        return self.route(coin, alpha, ofi, position)

    def explain(self) -> dict[str, object]:
        """The last routing outcome and, in edge mode, its economics, for the journal."""
        out: dict[str, object] = {"router": self.last_reason}
        edge, q = self.last_edge, self.last_quote
        if edge is not None:
            out["forecast"] = {"bps": edge.bps, "std_bps": edge.std_bps,
                               "horizon_ms": edge.horizon_ms}
        if q is not None:
            # The cost and margin of the order type the tag names (an IOC: taker).
            ioc = "ioc" in self.last_tag
            out["economics"] = {
                "expected_edge_bps": q.edge_lcb_bps,
                "expected_cost_bps": q.taker_cost_bps if ioc else q.maker_cost_bps,
                "margin_bps": q.margin_ioc_bps if ioc else q.margin_alo_bps,
                **msgspec.to_builtins(q)}
        return out

    def requotes(self, coin: str, alpha: float,
                 position: float | None = None) -> list[RequoteIntent]:
        """Cancel/replace decisions for our resting orders on `coin` (for the order manager).
        With the signed `position`, a move of an order that adds risk is sized within the
        position and order limits, as the gate will judge it (see `_within_limits`)."""
        inst = self.settings.instruments.get(coin)
        book = self._books.get(coin)
        if inst is None or book is None:
            return []
        own = self._open_orders(coin)
        if not own:  # nothing of ours rests (most decisions): nothing to re-quote
            return []
        bid, ask = _px(book.best_bid()), _px(book.best_ask())
        exiting = self._exiting.get(coin)
        if exiting is None:
            out = self._tactics.requote(inst, alpha, bid, ask, own)
        else:
            # A position past its horizon: orders on the closing side are its post-only
            # exit. A small alpha must not cancel them ("alpha_decayed"): they are
            # re-priced as if alpha wanted the exit fully, while orders on the other side
            # meet the real alpha.
            closing = [o for o in own if (o.is_buy if exiting < 0 else not o.is_buy)]
            others = [o for o in own if (o.is_buy if exiting > 0 else not o.is_buy)]
            out = (self._tactics.requote(inst, -exiting, bid, ask, closing)
                   + self._tactics.requote(inst, alpha, bid, ask, others))
        if position is None or bid is None or ask is None or not out:
            return out
        return [self._within_limits(inst, rq, own, position, 0.5 * (bid + ask))
                for rq in out]

    def _within_limits(self, inst: Instrument, rq: RequoteIntent,
                       own: Sequence[OpenOrderView], position: float,
                       mid: float) -> RequoteIntent:
        """A move is a new order to the risk gate, which values the position it would make
        at the current mid and the order at its new price: an order sized when the price
        was lower can no longer fit under max_position_usd or max_order_usd (the gate
        refused such moves on every decision, leaving the order behind the touch). It
        moves with the size that fits, counting our other resting orders on its side as
        filled (as `_size` does), or is cancelled ("no_room") when what fits is under the
        venue minimum. Moves that reduce the position and cancels pass unchanged (a
        reduce-only move is sized to the position by `RequotingRouter`)."""
        cap = self.settings.max_position_usd.get(inst.name)
        direction = 1.0 if rq.is_buy else -1.0
        if rq.kind is not RequoteKind.MODIFY or cap is None or position * direction < 0:
            return rq
        pending, _ = _same_side(own, inst.name, rq.is_buy)
        others = pending - rq.size  # the moved order rests with its open size (tactics)
        # Also within the per-order budget at the new price (a buy moved up costs more).
        room = inst.round_size(max(min(cap / mid - abs(position) - others,
                                       self.settings.max_order_usd / rq.new_price), 0.0))
        size = _lots(inst, rq.size)  # open size = original - fills: a float hair off the lot
        if size <= room:
            if size == rq.size:
                return rq
            room = size
        if not inst.meets_min_value(rq.new_price, room):
            return RequoteIntent(kind=RequoteKind.CANCEL, coin=rq.coin, cloid=rq.cloid,
                                 is_buy=rq.is_buy, size=rq.size, new_price=rq.new_price,
                                 reason="no_room")
        return RequoteIntent(kind=rq.kind, coin=rq.coin, cloid=rq.cloid, is_buy=rq.is_buy,
                             size=room, new_price=rq.new_price, reason=rq.reason)

    def reduce_only_move_size(self, coin: str, size: float, is_buy: bool, position: float,
                              new_price: float) -> float:
        """What a move of a reduce-only order may carry, as the gate will judge it: it must
        reduce the signed `position` and by no more than it (an exit resting while most of
        the position left by other fills was refused on every decision, 77 times in one
        15-min backtest), on the lot (a position is a float sum of fills: 0.0553000000000016
        was refused as off-lot) and within max_order_usd at the new price (a buy moved up a
        tick was refused at $200.01). 0 when what is left is under the venue minimum, or
        nothing is (the order then goes). `requotes()` cannot size these: an order view
        does not say it is reduce-only; `RequotingRouter` asks here with the order record."""
        inst = self.settings.instruments.get(coin)
        closes = position < 0 if is_buy else position > 0
        if inst is None or not closes:
            return 0.0
        fits = min(_lots(inst, size), _lots(inst, abs(position)),
                   inst.round_size(self.settings.max_order_usd / new_price))
        return fits if inst.meets_min_value(new_price, fits) else 0.0

    # ------------------------------------------------------------ internals

    def _route(self, coin: str, alpha: float, ofi: float | None,
               position: float) -> OrderIntent:
        s = self.settings
        inst = s.instruments.get(coin)
        if inst is None or coin not in s.max_position_usd:
            raise _SkipError("unknown_coin", f"no instrument or position limit for {coin!r}")
        _check_inputs(alpha, ofi, position, s)
        assert ofi is not None  # _check_inputs refused None
        tif = _choose_tif(alpha, ofi, s)
        is_buy = alpha > 0
        book = self._books.get(coin)
        if book is None:
            raise _SkipError("no_book", f"no order book for {coin}")
        bid, ask = _px(book.best_bid()), _px(book.best_ask())
        own = self._open_orders(coin)
        # One pass over our resting orders (usually none) for both uses below.
        pending, same_side = _same_side(own, coin, is_buy)
        if tif is Tif.ALO and same_side:
            raise _SkipError("already_resting", f"a post-only {'buy' if is_buy else 'sell'} "
                        "already rests (re-pricing is requotes()' job)")
        price = self._price(inst, tif, is_buy, bid, ask, own)
        size, reduce_only = self._size(inst, book, tif, is_buy, price, alpha, position,
                                       pending, bid, ask)
        return OrderIntent(coin=coin, is_buy=is_buy, size=size, price=price, tif=tif,
                           reduce_only=reduce_only, tag=_TAGS[tif is Tif.IOC, reduce_only])

    def _route_on_edge(self, coin: str, alpha: float, ofi: float | None, position: float,
                       costs: CostModel) -> OrderIntent | _Skip:
        """The decision on edge - cost. A skip is raised, except the usual two (alpha below
        the minimum, edge below cost: nearly every decision), which are returned as (code,
        detail): a raise costs ~1 us, the exception object ~0.3 us."""
        s = self.settings
        inst = s.instruments.get(coin)
        if inst is None or coin not in s.max_position_usd:
            raise _SkipError("unknown_coin", f"no instrument or position limit for {coin!r}")
        if not math.isfinite(alpha) or not math.isfinite(position):
            raise _SkipError("invalid_input", f"alpha={alpha!r} position={position!r}")
        book = self._books.get(coin)
        if book is None:
            raise _SkipError("no_book", f"no order book for {coin}")
        bid, ask = _px(book.best_bid()), _px(book.best_ask())
        if bid is None or ask is None or not 0 < bid < ask:
            raise _SkipError("no_price", f"no two-sided book (bid={bid}, ask={ask})")
        half_spread_bps = (ask - bid) / (ask + bid) * 1e4
        edge = self._edge_of(coin) if self._edge_of is not None else None
        self.last_edge = edge
        if edge is None or not (math.isfinite(edge.bps) and math.isfinite(edge.std_bps)):
            raise _SkipError("no_forecast", f"no finite forecast for {coin}")
        exit_intent = self._maybe_exit(inst, book, coin, edge, position, bid, ask)
        if exit_intent is not None:
            return exit_intent
        is_buy = edge.bps > 0
        flow = 0.0 if ofi is None or not math.isfinite(ofi) else (ofi if is_buy else -ofi)
        # Priced first: every routed decision journals its edge, cost and margin.
        quote = costs.quote(edge.bps, edge.std_bps, half_spread_bps, edge.latency_ms,
                            toxic_flow=flow <= -s.ofi_high,
                            decision_ms=self._decision_ms(edge))
        self.last_quote = quote
        if edge.n_eff < s.min_forecast_evidence:
            raise _SkipError("forecast_warming_up", f"forecast backed by {edge.n_eff:.1f} "
                             f"effective samples < {s.min_forecast_evidence:g}: the market "
                             "has not been seen long enough to trust a prior")
        if edge.bps == 0.0 or abs(alpha) < s.min_abs_alpha:
            return ("alpha_below_min", f"|alpha| {abs(alpha):.4f} < "
                    f"{s.min_abs_alpha:g} (forecast {edge.bps:+.3f} bps)")
        tif = _choose_tif_on_edge(quote, flow >= s.ofi_high, costs.settings.min_margin_bps,
                                  costs.settings.fill_probability)
        if tif is None:
            return _below_cost(quote)
        own = self._open_orders(coin)
        pending, same_side = _same_side(own, coin, is_buy)
        if tif is Tif.ALO and same_side:
            raise _SkipError("already_resting", f"a post-only {'buy' if is_buy else 'sell'} "
                             "already rests (re-pricing is requotes()' job)")
        price = self._price(inst, tif, is_buy, bid, ask, own)
        size, reduce_only = self._size(inst, book, tif, is_buy, price, alpha, position,
                                       pending, bid, ask)
        tag = _EDGE_TAGS[tif is Tif.IOC, reduce_only]
        if edge.lead_share >= 0.5:  # a lead-lag trade: it draws on the lead-lag budget
            tag += LEAD_TAG_SUFFIX
        return OrderIntent(coin=coin, is_buy=is_buy, size=size, price=price, tif=tif,
                           reduce_only=reduce_only, tag=tag)

    def _maybe_exit(self, inst: Instrument, book: BookView, coin: str, edge: EdgeEstimate,
                    position: float, bid: float, ask: float) -> OrderIntent | None:
        """The explicit exit of an open position (see the module doc), or None."""
        mid = 0.5 * (bid + ask)
        # Flat (most decisions) needs no rounding and pricing of a zero size; what that check
        # raises on (an overflowed mid, szDecimals out of range) is still left to it.
        flat = position == 0.0 and mid < math.inf and 0 <= inst.sz_decimals <= MAX_SZ_DECIMALS
        if flat or not inst.meets_min_value(mid, inst.round_size(abs(position))):
            # Flat, or dust no order can close (under the venue minimum): nothing to exit.
            self._opened_ns.pop(coin, None)
            self._exiting.pop(coin, None)
            self._exit_started_ns.pop(coin, None)
            self._exit_inflight.pop(coin, None)
            self._exit_abs_pos.pop(coin, None)
            return None
        now = self._clock_ns() if self._clock_ns is not None else edge.exchange_ns
        opened = self._opened_ns.setdefault(coin, now)
        direction = 1.0 if position > 0 else -1.0
        hs_bps = (ask - bid) / (ask + bid) * 1e4
        verdict = self._exit_verdict(direction * edge.bps, edge.std_bps, hs_bps,
                                     due=now - opened >= edge.horizon_ms * _NS_PER_MS)
        if verdict is None:
            if now - opened >= edge.horizon_ms * _NS_PER_MS:
                self._opened_ns[coin] = now  # the remaining edge still pays: hold on
            self._exiting.pop(coin, None)
            self._exit_started_ns.pop(coin, None)
            return None
        why = verdict
        started = self._exit_started_ns.setdefault(coin, now)
        urgent = why == "reversed" or now - started >= self.settings.exit_patience_ms * _NS_PER_MS
        if self._costs is not None:  # journaled: what the exit saves and costs
            self.last_quote = self._costs.exit_quote(-direction * edge.bps, edge.std_bps,
                                                     hs_bps, edge.latency_ms)
        self._exiting[coin] = direction
        is_buy = position < 0
        own = self._open_orders(coin)
        if not urgent:
            return self._post_only_exit(inst, coin, is_buy, position, bid, ask, own, why)
        left = abs(position) - self._exits_in_flight(coin, position, now)
        if not inst.meets_min_value(mid, inst.round_size(max(left, 0.0))):
            raise _SkipError("exit_in_flight", f"exits in flight cover the {coin} position "
                             f"({abs(position) - left:g} of {abs(position):g})")
        price = self._price(inst, Tif.IOC, is_buy, bid, ask, own)
        size = self._exit_size(inst, coin, left, price, bid, ask)
        self._exit_inflight.setdefault(coin, deque()).append([float(now), size])
        return OrderIntent(coin=coin, is_buy=is_buy, size=size, price=price, tif=Tif.IOC,
                           reduce_only=True, tag=f"exit_{why}_ioc")

    def _exits_in_flight(self, coin: str, position: float, now: int) -> float:
        """Size of our exit IOCs of `coin` not yet resolved: the position shrank by what
        filled (the oldest exits first), and an exit older than `exit_cooldown_ms` has
        either filled (seen in the position) or expired."""
        size = abs(position)
        filled = self._exit_abs_pos.get(coin, size) - size
        self._exit_abs_pos[coin] = size
        queue = self._exit_inflight.get(coin)
        if not queue:
            return 0.0
        while queue and filled > 0.0:
            head = queue[0]
            if head[1] <= filled + 1e-12:
                filled -= head[1]
                queue.popleft()
            else:
                head[1] -= filled
                filled = 0.0
        oldest = now - self.settings.exit_cooldown_ms * _NS_PER_MS
        while queue and queue[0][0] <= oldest:
            queue.popleft()
        return sum(entry[1] for entry in queue)

    def _exit_verdict(self, hold_bps: float, std_bps: float, hs_bps: float, *,
                      due: bool) -> str | None:
        """Why to close a position now, or None to hold it. `hold_bps`: the fresh forecast
        signed by the position (what holding on is expected to earn from here).

        The exit cost is paid whether we close now or later, so it does not argue for
        closing: the position is held while the remaining edge's lower bound is above the
        minimum margin ("still pays"). Before the horizon the entry's own forecast stands
        unless the fresh one turns against us beyond its uncertainty ("faded": a post-only
        exit at once); past it, a remaining edge that no longer pays closes it ("horizon").
        Either waits for a post-only fill (`exit_patience_ms`) unless the move expected
        against us exceeds what resting saves over an IOC (taker leg - maker leg - adverse
        selection): then an IOC goes at once ("reversed")."""
        costs = self._costs
        if costs is None:
            return None if not due else "horizon"
        k, margin = costs.settings.uncertainty_k, costs.settings.min_margin_bps
        against_lcb = -hold_bps - k * std_bps
        # Only a forecast AGAINST the position can reverse it. When our markouts say resting
        # fills are adverse beyond the taker leg, the saving is negative: then a faded
        # position leaves by IOC at once, but a position the forecast still favours is
        # never closed for it (that churned round trips on every wiggle of the lead).
        if against_lcb > max(0.0, costs.resting_exit_saving_bps(hs_bps)):
            return "reversed"
        if against_lcb > 0.0:
            return "faded"
        if not due or hold_bps - k * std_bps > margin:
            return None
        return "horizon"

    def _post_only_exit(self, inst: Instrument, coin: str, is_buy: bool, position: float,
                        bid: float, ask: float, own: Sequence[OpenOrderView],
                        why: str) -> OrderIntent:
        """Horizon reached, nothing urgent: rest a reduce-only post-only order at our touch
        (it earns the half-spread instead of paying it); `requotes()` keeps it at the touch
        and an IOC takes over after `exit_patience_ms`."""
        _, resting = _same_side(own, coin, is_buy)
        if resting:
            raise _SkipError("exit_resting", f"a post-only exit of {coin} rests; an IOC takes "
                             f"over {self.settings.exit_patience_ms} ms after it was placed")
        price = self._price(inst, Tif.ALO, is_buy, bid, ask, own)
        size = self._exit_size(inst, coin, position, price, bid, ask)
        return OrderIntent(coin=coin, is_buy=is_buy, size=size, price=price, tif=Tif.ALO,
                           reduce_only=True, tag=f"exit_{why}_alo")

    def _exit_size(self, inst: Instrument, coin: str, position: float, price: float,
                   bid: float, ask: float) -> float:
        # Within the per-order budget the gate enforces: a larger position leaves in
        # several exits.
        mid = 0.5 * (bid + ask)
        # The position is a float sum of fills: to the nearest lot, or rounding it down
        # would leave one lot of dust (0.0001 ETH) no order can ever close.
        whole = _lots(inst, abs(position))
        size = min(whole, inst.round_size(self.settings.max_order_usd / (mid + abs(price - mid))))
        left = whole - size
        if left > 0.0 and not inst.meets_min_value(price, left):
            # What this exit would leave is under the venue minimum: nothing could close it
            # (0.1148 ETH in exits of 0.0572 left 0.0004 for good). Leave the least that can
            # still leave on its own instead; this exit is then smaller, never larger.
            least = inst.round_size(_LAST_EXIT_USD / price, RoundMode.UP)
            size = _lots(inst, max(whole - least, 0.0))
        if not inst.meets_min_value(price, size):
            raise _SkipError("below_min_notional", f"exit of {size:g} {coin} is under the "
                             "$10 venue minimum")
        return size

    def _decision_ms(self, edge: EdgeEstimate) -> float | None:
        """How old the decision's information is: now (local) - its exchange time."""
        if self._clock_ns is None:
            return None
        return (self._clock_ns() - edge.exchange_ns) / _NS_PER_MS

    def _price(self, inst: Instrument, tif: Tif, is_buy: bool, bid: float | None,
               ask: float | None, own: Sequence[OpenOrderView]) -> float:
        if tif is Tif.IOC:
            price = self._tactics.ioc_price(inst, is_buy, bid, ask, own)
        else:
            price = self._tactics.post_only_price(inst, is_buy, bid, ask, own)
        if price is None:
            raise _SkipError("no_price", f"no safe {tif.value} price (bid={bid}, ask={ask}, "
                        "or our own resting orders block it)")
        return price

    def _size(self, inst: Instrument, book: BookView, tif: Tif, is_buy: bool, price: float,
              alpha: float, position: float, pending: float,
              bid: float | None, ask: float | None) -> tuple[float, bool]:
        """`pending`: the open size of our resting orders on this side (see `_same_side`)."""
        s = self.settings
        ref = (bid + ask) * 0.5 if bid is not None and ask is not None else price
        direction = 1.0 if is_buy else -1.0
        reducing = position * direction < 0
        if reducing:
            room = _lots(inst, max(abs(position) - pending, 0.0))  # sums of fills: _exit_size
        else:
            room = s.max_position_usd[inst.name] / ref - abs(position) - pending
        # Budget at mid + |limit - mid|: never above the limit's notional (which the gate
        # checks against max_order_usd), and the same for a buy and its mirrored sell.
        size = min(abs(alpha) * s.max_order_usd / (ref + abs(price - ref)), room)
        if tif is Tif.IOC:
            size = min(size, s.ioc_depth_fraction * _depth_inside(book, is_buy, price))
        size = inst.round_size(max(size, 0.0))
        if size <= 0:
            raise _SkipError("no_room", f"size rounds to 0 (room {room:.8g}, position {position:g},"
                        f" resting same side {pending:g})")
        if not inst.meets_min_value(price, size):
            raise _SkipError("below_min_notional", f"{size:g} x {price:g} = "
                        f"${size * price:.2f} < $10 venue minimum")
        return size, reducing


# The last exit of a position split by max_order_usd: the venue minimum plus 10 %, as the
# price may move against it before it goes.
_LAST_EXIT_USD: Final = 1.1 * float(MIN_ORDER_VALUE_USD)


def _lots(inst: Instrument, size: float) -> float:
    """A size that is a sum or difference of on-lot sizes (a position, an order's open size)
    put back on the lot: to the NEAREST lot, since only float error separates it from one
    (0.0573 - 0.002 is 0.055299999999999995, which rounding down makes 0.0552)."""
    return inst.round_size(size, RoundMode.NEAREST)


class _PositionSource(Protocol):
    def position(self, coin: str) -> float: ...


# The seed's `position_state`: a signed size, a position source, or coin -> size.
PositionState = float | _PositionSource | Mapping[str, float]


def _position_of(state: PositionState, coin: str) -> float | None:
    """The signed position in `coin` a seed-style `position_state` describes; None when
    it describes none (a missing coin is flat, a mapping of coin -> size)."""
    if isinstance(state, bool):  # an int to Python, never a position
        return None
    try:
        if isinstance(state, Mapping):
            value = state.get(coin, 0.0)
        elif isinstance(state, (int, float)):
            value = state
        else:
            value = state.position(coin)
        return float(value)
    except (AttributeError, TypeError, ValueError):
        return None


def _packaged_config() -> AppConfig:
    from hyperliquid_ofi_trader.config.packaged import packaged_config

    return packaged_config()


def _default_coin() -> str:
    from hyperliquid_ofi_trader.config.packaged import default_coin

    return default_coin()


def _empty_books(settings: RouterSettings) -> dict[str, BookView]:
    from hyperliquid_ofi_trader.data.orderbook import OrderBook

    return {coin: OrderBook(coin) for coin in settings.instruments}


def _px(level: tuple[float, float] | None) -> float | None:
    return None if level is None else level[0]


def _check_inputs(alpha: float, ofi: float | None, position: float,
                  s: RouterSettings) -> None:
    if not math.isfinite(alpha) or not math.isfinite(position):
        raise _SkipError("invalid_input", f"alpha={alpha!r} position={position!r}")
    if abs(alpha) < s.min_abs_alpha:
        raise _SkipError("alpha_below_min", f"|alpha| {abs(alpha):.4f} < {s.min_abs_alpha:g}")
    if ofi is None or not math.isfinite(ofi):
        raise _SkipError("no_ofi", f"no fresh finite OFI ({ofi!r})")


def _choose_tif(alpha: float, ofi: float, s: RouterSettings) -> Tif:
    strength = abs(ofi)
    if strength >= s.ofi_high:
        if ofi * alpha > 0:
            return Tif.IOC
        raise _SkipError("ofi_opposes_alpha", f"|OFI| {strength:.3f} >= {s.ofi_high:g} against "
                    f"alpha {alpha:+.3f}")
    if strength >= s.ofi_mid:
        return Tif.ALO
    raise _SkipError("ofi_below_mid", f"|OFI| {strength:.3f} < {s.ofi_mid:g}")


def _choose_tif_on_edge(q: CostQuote, urgent: bool, min_margin: float,
                        fill_probability: float) -> Tif | None:
    """IOC above HIGH (taker cost) when it earns at least the post-only order's expected
    margin or the flow is urgent; post-only above MID (maker cost); else None (skip)."""
    if q.margin_ioc_bps > min_margin and (
            urgent or q.margin_ioc_bps >= fill_probability * q.margin_alo_bps):
        return Tif.IOC
    if q.margin_alo_bps > min_margin:
        return Tif.ALO
    return None


def _below_cost(q: CostQuote) -> _Skip:
    return ("edge_below_cost", f"edge {q.edge_lcb_bps:.2f} bps (lower bound) < "
            f"maker cost {q.maker_cost_bps:.2f} bps (taker {q.taker_cost_bps:.2f})")


def _same_side(own: Sequence[OpenOrderView], coin: str, is_buy: bool) -> tuple[float, bool]:
    """(open size of our orders on this coin and side, whether there is any), summed in
    the order `own` lists them (as the generator sum it replaces did)."""
    pending = 0.0
    found = False
    for o in own:
        if o.is_buy == is_buy and o.coin == coin:
            pending += o.size
            found = True
    return pending, found


def _depth_inside(book: BookView, is_buy: bool, limit: float) -> float:
    """Opposite-side size at prices an IOC with this limit may take, best level first."""
    total = 0.0
    for price, size in book.levels(Side.ASK if is_buy else Side.BID, _IOC_SCAN_LEVELS):
        if (price > limit) if is_buy else (price < limit):
            break
        total += size
    return total
