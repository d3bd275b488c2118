"""Liquidity regime: is the book deep and tight enough to trade, without flapping?

A switch with two thresholds per measure (hysteresis) and a minimum dwell time:
- THIN -> LIQUID only when depth >= enter_depth AND spread <= enter_spread_bps;
- LIQUID -> THIN only when depth < exit_depth OR spread > exit_spread_bps;
- and no switch within `min_dwell_ns` of the previous switch (exchange time).
A measure oscillating around any single threshold therefore cannot toggle the state: it must
cross the whole band, and even then at most once per dwell period.

Hard faults bypass the dwell (a deliberate exception to the rule above): a book with an empty
side, a non-finite mid/depth, or a crossed/locked top goes THIN at once, because trading into
a book that is not there, or that our local copy has visibly got wrong, is never right. The
way BACK to LIQUID still waits for the dwell, so even a glitching book cannot flap faster than
once per dwell period.

Time is the book's `exchange_ns` (never the wall clock). Depth is in coin units summed over
the best `depth_levels` levels of both sides, as `OrderBook.depth` reports it; thresholds are
therefore per coin (BTC and ETH depths differ by an order of magnitude).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final, TypeVar, cast

from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.regime.state import (
    LiquidityLevel,
    Reason,
    RegimeConfigError,
    require_non_negative,
    require_positive,
)

if TYPE_CHECKING:  # the section's type only: config sits below the components
    from hyperliquid_ofi_trader.config.thresholds_schema import LiquidityRegimeThresholds

_BPS = 1e4
_NS_PER_MS: Final = 1_000_000

# Enum members as module constants: Python 3.11 takes ~100 ns to read a member off its
# class, a module global ~20 ns; `update` runs after every book event.
_LIQUID: Final = LiquidityLevel.LIQUID
_THIN: Final = LiquidityLevel.THIN
_NO_BOOK: Final = Reason.LIQ_NO_BOOK
_CROSSED: Final = Reason.LIQ_CROSSED
_THIN_DEPTH: Final = Reason.LIQ_THIN_DEPTH
_WIDE_SPREAD: Final = Reason.LIQ_WIDE_SPREAD
_DWELL: Final = Reason.LIQ_DWELL


def validate_liquidity(enter_depth: float, exit_depth: float, enter_spread_bps: float,
                       exit_spread_bps: float, min_dwell_ns: int, depth_levels: int) -> None:
    """Ordering rules: a real hysteresis band on both measures, non-negative dwell."""
    require_non_negative("exit_depth", exit_depth)
    require_positive("enter_depth", enter_depth)
    require_positive("enter_spread_bps", enter_spread_bps)
    require_positive("exit_spread_bps", exit_spread_bps)
    if enter_depth <= exit_depth:
        raise RegimeConfigError(
            f"enter_depth ({enter_depth}) must be greater than exit_depth ({exit_depth}): "
            "the gap between them is what stops the regime from flapping"
        )
    if enter_spread_bps >= exit_spread_bps:
        raise RegimeConfigError(
            f"enter_spread_bps ({enter_spread_bps}) must be less than exit_spread_bps "
            f"({exit_spread_bps}): the gap between them is what stops the regime from flapping"
        )
    if min_dwell_ns < 0:
        raise RegimeConfigError(f"min_dwell_ns must be >= 0, got {min_dwell_ns}")
    if depth_levels < 1:
        raise RegimeConfigError(f"depth_levels must be >= 1, got {depth_levels}")


T = TypeVar("T", int, float)


def _given(value: T | None, name: str) -> T:
    """`value`, or the packaged config's `regime.liquidity` value of `name` (in ns)."""
    if value is not None:
        return value
    return cast("T", _packaged_values()[name])


def _packaged_values() -> dict[str, float | int]:
    # Imported here: the hot-path module stays free of the config (pydantic) machinery.
    from hyperliquid_ofi_trader.config.packaged import packaged_config

    d = packaged_config().thresholds.regime.liquidity
    return {"enter_depth": d.enter_depth, "exit_depth": d.exit_depth,
            "enter_spread_bps": d.enter_spread_bps, "exit_spread_bps": d.exit_spread_bps,
            "min_dwell_ns": d.min_dwell_ms * _NS_PER_MS, "depth_levels": d.depth_levels}


class LiquidityRegime:
    """Hysteresis switch between THIN and LIQUID for one coin. Starts THIN (no data)."""

    __slots__ = (
        "_enter_depth",
        "_enter_spread",
        "_exit_depth",
        "_exit_spread",
        "_last_switch_ns",
        "_levels",
        "_min_dwell",
        "depth",
        "level",
        "now_ns",
        "reason",
        "spread_bps",
        "switches",
        "updates",
    )

    def __init__(
        self,
        enter_depth: float | None = None,
        exit_depth: float | None = None,
        enter_spread_bps: float | None = None,
        exit_spread_bps: float | None = None,
        min_dwell_ns: int | None = None,
        depth_levels: int | None = None,
    ) -> None:
        """Every threshold left out (the seed's `LiquidityRegime()`) is the packaged
        config's `regime.liquidity` value; `from_config` builds from a config section."""
        enter_depth = _given(enter_depth, "enter_depth")
        exit_depth = _given(exit_depth, "exit_depth")
        enter_spread_bps = _given(enter_spread_bps, "enter_spread_bps")
        exit_spread_bps = _given(exit_spread_bps, "exit_spread_bps")
        min_dwell_ns = _given(min_dwell_ns, "min_dwell_ns")
        depth_levels = _given(depth_levels, "depth_levels")
        validate_liquidity(enter_depth, exit_depth, enter_spread_bps, exit_spread_bps,
                           min_dwell_ns, depth_levels)
        self._enter_depth = enter_depth
        self._exit_depth = exit_depth
        self._enter_spread = enter_spread_bps
        self._exit_spread = exit_spread_bps
        self._min_dwell = min_dwell_ns
        self._levels = depth_levels
        self._last_switch_ns: int | None = None  # the first switch is never held
        self.level = LiquidityLevel.THIN
        self.reason: str | None = Reason.LIQ_NO_DATA  # why THIN; None when LIQUID
        self.depth = math.nan
        self.spread_bps = math.nan
        self.now_ns = 0
        self.switches = 0
        self.updates = 0

    @classmethod
    def from_config(cls, section: LiquidityRegimeThresholds) -> LiquidityRegime:
        """The switch of a validated thresholds.yaml `regime.liquidity` section (ms -> ns)."""
        return cls(
            enter_depth=section.enter_depth,
            exit_depth=section.exit_depth,
            enter_spread_bps=section.enter_spread_bps,
            exit_spread_bps=section.exit_spread_bps,
            min_dwell_ns=section.min_dwell_ms * _NS_PER_MS,
            depth_levels=section.depth_levels,
        )

    @property
    def min_dwell_ns(self) -> int:
        return self._min_dwell

    def tradable(self) -> bool:
        return self.level is _LIQUID

    def update(self, book: BookView) -> LiquidityLevel:
        """Re-evaluate from the book's current state at the book's exchange time."""
        self.updates += 1
        now = book.exchange_ns
        if now > self.now_ns:
            self.now_ns = now
        fault = self._measure(book)
        if fault is not None:
            self._force_thin(fault)
        elif self.level is _LIQUID:
            self._maybe_exit()
        else:
            self._maybe_enter()
        return self.level

    # ------------------------------------------------------------ internals

    def _measure(self, book: BookView) -> Reason | None:
        """Read depth and spread into `self`; return a hard-fault reason, if any."""
        bid = book.best_bid()
        ask = book.best_ask()
        if bid is None or ask is None:
            self.depth = math.nan
            self.spread_bps = math.nan
            return _NO_BOOK
        mid = (bid[0] + ask[0]) * 0.5
        spread = ask[0] - bid[0]
        depth = book.depth(self._levels)
        self.depth = depth
        self.spread_bps = spread / mid * _BPS if mid > 0.0 else math.nan
        if not (mid > 0.0 and math.isfinite(depth) and math.isfinite(self.spread_bps)):
            return _NO_BOOK
        if spread <= 0.0:
            return _CROSSED
        return None

    def _force_thin(self, reason: Reason) -> None:
        if self.level is _LIQUID:
            self._switch(_THIN)
        self.reason = reason

    def _maybe_exit(self) -> None:
        if self.depth < self._exit_depth:
            reason = _THIN_DEPTH
        elif self.spread_bps > self._exit_spread:
            reason = _WIDE_SPREAD
        else:
            return
        if self._dwell_over():
            self._switch(_THIN)
            self.reason = reason

    def _maybe_enter(self) -> None:
        if self.depth < self._enter_depth:
            self.reason = _THIN_DEPTH
        elif self.spread_bps > self._enter_spread:
            self.reason = _WIDE_SPREAD
        elif self._dwell_over():
            self._switch(_LIQUID)
            self.reason = None
        else:
            self.reason = _DWELL

    def _dwell_over(self) -> bool:
        last = self._last_switch_ns
        return last is None or self.now_ns - last >= self._min_dwell

    def _switch(self, level: LiquidityLevel) -> None:
        self.level = level
        self._last_switch_ns = self.now_ns
        self.switches += 1
