"""The regime verdict for one coin, and the vocabulary every regime rule speaks.

`RegimeState` is what the regime layer hands to alpha conditioning, the router and the
journal: an immutable, slotted struct that says whether opening risk is allowed, the
liquidity and volatility levels, whether a liquidation cascade is flagged, and the REASONS
(stable string codes, never formatted text, so building one costs no string formatting on
the hot path and metrics can count them). The measurements behind the verdict (depth,
spread, volatility) travel with it so a journal record explains itself.

Every regime rule of the system lives in `regime/`; this module holds only types.
"""

from __future__ import annotations

import enum
import math
from typing import Any, Final

import msgspec

from hyperliquid_ofi_trader.errors import OurBugError


class RegimeConfigError(OurBugError, ValueError):
    """Regime thresholds are inconsistent: the operator's configuration is at fault.

    Raised at construction (startup), never on the hot path.
    """


class LiquidityLevel(enum.StrEnum):
    """Whether the book is deep and tight enough to trade."""

    LIQUID = "liquid"
    THIN = "thin"


class VolLevel(enum.StrEnum):
    """Realised-volatility bucket. Ordered by `VOL_ORDER`, low to extreme."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    EXTREME = "extreme"


# StrEnum members do not compare by severity; this tuple gives the order (index = rank).
VOL_ORDER: Final[tuple[VolLevel, ...]] = (
    VolLevel.LOW, VolLevel.NORMAL, VolLevel.HIGH, VolLevel.EXTREME,
)


class Reason(enum.StrEnum):
    """Stable reason codes carried in `RegimeState.reasons` (a StrEnum: JSON-ready strings)."""

    UNKNOWN_COIN = "regime_unknown_coin"  # no liquidity thresholds configured for the coin
    LIQ_NO_DATA = "liquidity_no_data"  # no book update seen yet
    LIQ_NO_BOOK = "liquidity_no_book"  # a side is empty, or mid/depth is not a number
    LIQ_CROSSED = "liquidity_crossed_book"  # best bid >= best ask: the local book is suspect
    LIQ_THIN_DEPTH = "liquidity_thin_depth"
    LIQ_WIDE_SPREAD = "liquidity_wide_spread"
    LIQ_DWELL = "liquidity_dwell_hold"  # good enough to enter, but switched too recently
    VOL_WARMUP = "volatility_warmup"  # estimate not yet based on enough history
    VOL_HIGH = "volatility_high"
    VOL_EXTREME = "volatility_extreme"
    LIQN_BURST_SELL = "liquidation_burst_sell"  # one-sided taker selling with a price drop
    LIQN_BURST_BUY = "liquidation_burst_buy"  # one-sided taker buying with a price jump
    LIQN_OI_DROP = "liquidation_oi_drop"  # open interest fell sharply between contexts


class RegimeState(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """One coin's regime at one instant.

    `tradable` is False whenever ANY regime forbids opening risk: thin or unknown liquidity,
    volatility warm-up or EXTREME, or a flagged liquidation cascade. HIGH volatility keeps the
    coin tradable but damped (see `alpha.conditioning`). `reasons` lists every code that
    blocks or damps, in a fixed order (liquidity, volatility, liquidation).
    """

    tradable: bool
    liquidity: LiquidityLevel
    volatility: VolLevel
    liquidation: bool
    reasons: tuple[str, ...] = ()
    coin: str = ""
    exchange_ns: int = 0
    depth: float = math.nan
    spread_bps: float = math.nan
    vol_bps_per_s: float = math.nan

    def as_dict(self) -> dict[str, Any]:
        """Plain builtins for the journal (enums become their string values)."""
        out: dict[str, Any] = msgspec.to_builtins(self)
        return out




def require_finite(name: str, value: float) -> None:
    """Reject NaN/inf thresholds at construction (shared by every regime module)."""
    if not math.isfinite(value):
        raise RegimeConfigError(f"{name} must be a finite number, got {value!r}")


def require_positive(name: str, value: float) -> None:
    require_finite(name, value)
    if value <= 0:
        raise RegimeConfigError(f"{name} must be > 0, got {value!r}")


def require_non_negative(name: str, value: float) -> None:
    require_finite(name, value)
    if value < 0:
        raise RegimeConfigError(f"{name} must be >= 0, got {value!r}")
