"""Order tactics: limit prices for post-only and IOC orders, and re-quote decisions.

Pure functions of (instrument, touch, our own resting orders): no clock, no I/O, no state.

Price rules, and why:
- Post-only (ALO) joins the touch on its own side (best bid for a buy). If the touch has
  moved so that price would cross (a buy at or above the best ask, e.g. a locked or
  one-tick book), it steps back one tick behind the opposite touch: the venue rejects an
  ALO that would match, and a rejected order costs a nonce, a rate-limit unit and a
  round trip for nothing.
- IOC pays at most `ioc_slippage_bps` over the mid (a buy; under it, a sell), rounded to
  the tick TOWARDS the touch (a buy rounds down): rounding never widens the loss we
  accepted, and a wide spread does not either. It always reaches the opposite touch (a
  spread wider than twice the tolerance: the touch alone). With one side of the book
  only, the tolerance runs from that touch.
- Self-trade prevention: we never price an order so that it could match one of our own
  resting orders on the other side. A buy stays strictly below our lowest resting sell,
  a sell strictly above our highest resting buy. When that leaves an IOC unable to reach
  the market at all, there is no price (the caller skips with a reason).
- Re-quotes: a resting order is cancelled when alpha flips against it or decays below the
  routing threshold, and replaced (cancel-and-replace with a new cloid, done by the order
  manager) when it sits `requote_ticks` or more behind its ideal post-only price, or is
  cancelled instead when what remains of it is worth less than the venue's $10 there.

`OpenOrderView` is a Protocol so this module does not depend on the order manager's types.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import msgspec

from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import Instrument, RoundMode

_BPS = 1e-4


class OpenOrderView(Protocol):
    """What tactics need to know about one of our resting orders."""

    @property
    def coin(self) -> str: ...

    @property
    def is_buy(self) -> bool: ...

    @property
    def price(self) -> float: ...

    @property
    def size(self) -> float: ...

    @property
    def cloid(self) -> str: ...


class RequoteKind(enum.StrEnum):
    CANCEL = "cancel"
    MODIFY = "modify"


class RequoteIntent(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """Cancel `cloid`, or replace it by an order at `new_price` (same side; same size, or
    less when the position limit no longer fits it: `ExecutionRouter.requotes`).

    `reason` is a stable code: "alpha_flipped", "alpha_decayed", "behind_touch",
    "would_cross", "no_touch", "below_min_value", "no_room".
    """

    kind: RequoteKind
    coin: str
    cloid: str
    is_buy: bool
    size: float
    new_price: float
    reason: str


@dataclass(frozen=True, slots=True)
class TacticsSettings:
    ioc_slippage_bps: float
    min_abs_alpha: float
    requote_ticks: int = 3

    def __post_init__(self) -> None:
        if not (math.isfinite(self.ioc_slippage_bps) and self.ioc_slippage_bps > 0):
            raise ValueError(f"ioc_slippage_bps must be > 0, got {self.ioc_slippage_bps}")
        if not 0 <= self.min_abs_alpha < 1:
            raise ValueError(f"min_abs_alpha must be in [0, 1), got {self.min_abs_alpha}")
        if self.requote_ticks < 1:
            raise ValueError(f"requote_ticks must be >= 1, got {self.requote_ticks}")


def _own_extremes(own: Iterable[OpenOrderView], coin: str) -> tuple[float, float]:
    """(highest resting buy, lowest resting sell) of ours on `coin`; -inf / +inf when none."""
    hi_buy, lo_sell = -math.inf, math.inf
    for o in own:
        if o.coin != coin:
            continue
        if o.is_buy:
            hi_buy = max(hi_buy, o.price)
        else:
            lo_sell = min(lo_sell, o.price)
    return hi_buy, lo_sell


def _tick_below(inst: Instrument, price: float) -> float | None:
    """A valid price one tick (at this magnitude) below `price`; None when not positive."""
    step = inst.tick_size(price)
    if price - step <= 0:
        return None
    below = inst.round_price(price - step, RoundMode.DOWN)
    return below if below < price else None


def _tick_above(inst: Instrument, price: float) -> float:
    above = inst.round_price(price + inst.tick_size(price), RoundMode.UP)
    return above if above > price else inst.round_price(price * (1 + 1e-9), RoundMode.UP)


class Tactics:
    """Prices and re-quote decisions. Stateless apart from its settings."""

    __slots__ = ("settings",)

    def __init__(self, settings: TacticsSettings) -> None:
        self.settings = settings

    # ------------------------------------------------------------ post-only

    def post_only_price(self, inst: Instrument, is_buy: bool, bid: float | None,
                        ask: float | None, own: Sequence[OpenOrderView] = ()) -> float | None:
        """Join our touch; never cross the book or our own resting orders."""
        hi_buy, lo_sell = _own_extremes(own, inst.name)
        if is_buy:
            return self._post_buy(inst, bid, ask, lo_sell)
        return self._post_sell(inst, bid, ask, hi_buy)

    def _post_buy(self, inst: Instrument, bid: float | None, ask: float | None,
                  lo_sell: float) -> float | None:
        if bid is None and ask is None:
            return None
        price = inst.round_price(bid, RoundMode.DOWN) if bid is not None else None
        ceiling = min(ask if ask is not None else math.inf, lo_sell)
        if price is None or price >= ceiling:
            price = _tick_below(inst, ceiling)
        return price

    def _post_sell(self, inst: Instrument, bid: float | None, ask: float | None,
                   hi_buy: float) -> float | None:
        if bid is None and ask is None:
            return None
        price = inst.round_price(ask, RoundMode.UP) if ask is not None else None
        floor = max(bid if bid is not None else -math.inf, hi_buy)
        if price is None or price <= floor:
            price = _tick_above(inst, floor)
        return price

    # ------------------------------------------------------------ IOC

    def ioc_price(self, inst: Instrument, is_buy: bool, bid: float | None, ask: float | None,
                  own: Sequence[OpenOrderView] = ()) -> float | None:
        """The mid ± slippage tolerance (the opposite touch ± it when there is no mid), at
        least the opposite touch; None when nothing can be taken safely."""
        tol = self.settings.ioc_slippage_bps * _BPS
        hi_buy, lo_sell = _own_extremes(own, inst.name)
        # From the mid: what a fill may cost against the decision's mid stays within the
        # tolerance however wide the spread (the kill switch counts slippage vs that mid).
        ref_buy = ask if bid is None or ask is None else 0.5 * (bid + ask)
        ref_sell = bid if bid is None or ask is None else 0.5 * (bid + ask)
        if is_buy:
            if ask is None or ref_buy is None:
                return None
            limit = max(inst.round_price(ref_buy * (1 + tol), RoundMode.DOWN), ask)
            if limit >= lo_sell:
                limit = _tick_below(inst, lo_sell) or 0.0
            return limit if limit >= ask else None
        if bid is None or ref_sell is None:
            return None
        limit = min(inst.round_price(ref_sell * (1 - tol), RoundMode.UP), bid)
        if limit <= hi_buy:
            limit = _tick_above(inst, hi_buy)
        return limit if limit <= bid else None

    # ------------------------------------------------------------ re-quotes

    def requote(self, inst: Instrument, alpha: float, bid: float | None, ask: float | None,
                own: Sequence[OpenOrderView]) -> list[RequoteIntent]:
        """Cancel or replace our resting orders on `inst` given the current alpha and touch."""
        out: list[RequoteIntent] = []
        for o in own:
            if o.coin != inst.name:
                continue
            intent = self._requote_one(inst, alpha, bid, ask, o, own)
            if intent is not None:
                out.append(intent)
        return out

    def _requote_one(self, inst: Instrument, alpha: float, bid: float | None,
                     ask: float | None, o: OpenOrderView,
                     own: Sequence[OpenOrderView]) -> RequoteIntent | None:
        side = 1.0 if o.is_buy else -1.0
        if alpha * side < 0 and abs(alpha) >= self.settings.min_abs_alpha:
            return self._cancel(o, "alpha_flipped")
        if abs(alpha) < self.settings.min_abs_alpha:
            return self._cancel(o, "alpha_decayed")
        others = [x for x in own if x.cloid != o.cloid]
        ideal = self.post_only_price(inst, o.is_buy, bid, ask, others)
        if ideal is None:
            return self._cancel(o, "no_touch")
        return self._maybe_move(inst, o, ideal, bid, ask)

    def _maybe_move(self, inst: Instrument, o: OpenOrderView, ideal: float,
                    bid: float | None, ask: float | None) -> RequoteIntent | None:
        crosses = (o.is_buy and ask is not None and o.price >= ask) or (
            not o.is_buy and bid is not None and o.price <= bid)
        if crosses:  # our view of the book is behind the venue's: move back to safety
            return self._move_or_pull(inst, o, ideal, "would_cross")
        behind = (ideal - o.price) if o.is_buy else (o.price - ideal)
        if behind >= self.settings.requote_ticks * inst.tick_size(ideal) * (1 - 1e-9):
            return self._move_or_pull(inst, o, ideal, "behind_touch")
        return None

    def _move_or_pull(self, inst: Instrument, o: OpenOrderView, ideal: float,
                      reason: str) -> RequoteIntent:
        # A partly filled remainder can be worth less than the venue's $10 minimum at the
        # new price: the venue (and our risk gate) would refuse the move on every
        # decision, leaving it stuck where it should not be. Pull it instead.
        if not inst.meets_min_value(ideal, o.size):
            return self._cancel(o, "below_min_value")
        return self._modify(o, ideal, reason)

    @staticmethod
    def _cancel(o: OpenOrderView, reason: str) -> RequoteIntent:
        return RequoteIntent(kind=RequoteKind.CANCEL, coin=o.coin, cloid=o.cloid,
                             is_buy=o.is_buy, size=o.size, new_price=o.price, reason=reason)

    @staticmethod
    def _modify(o: OpenOrderView, price: float, reason: str) -> RequoteIntent:
        return RequoteIntent(kind=RequoteKind.MODIFY, coin=o.coin, cloid=o.cloid,
                             is_buy=o.is_buy, size=o.size, new_price=price, reason=reason)
