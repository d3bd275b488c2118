"""Regime conditioning of an alpha: pure functions of (alpha, RegimeState).

The regime layer decides WHAT the regime is; this module only maps a verdict onto the number.
Rules, first match wins (the order is the severity order, so the reason names the worst cause):
1. alpha not finite              -> 0, "invalid_alpha"
2. liquidation cascade flagged   -> 0, "liquidation"
3. EXTREME volatility            -> 0, "extreme_volatility"
4. not tradable (any other cause)-> 0, "not_tradable"
5. HIGH volatility               -> alpha * high_vol_damping, "high_volatility_damped"
6. otherwise                     -> alpha, "ok"
Every rule is odd in alpha (f(-a) = -f(a)), so mirrored signals give mirrored outputs.
"""

from __future__ import annotations

import enum
import math
from typing import Final

from hyperliquid_ofi_trader.alpha.compression import AlphaConfigError
from hyperliquid_ofi_trader.regime.state import RegimeState, VolLevel


class Conditioning(enum.StrEnum):
    """Why the conditioned alpha is what it is (journal-ready strings)."""

    OK = "ok"
    INVALID_ALPHA = "invalid_alpha"
    LIQUIDATION = "liquidation"
    EXTREME_VOLATILITY = "extreme_volatility"
    NOT_TRADABLE = "not_tradable"
    HIGH_VOL_DAMPED = "high_volatility_damped"


# Members as module constants: Python 3.11 takes ~100 ns to read an enum member off its
# class, a module global ~20 ns, and `condition` runs on every decision.
_OK: Final = Conditioning.OK
_INVALID_ALPHA: Final = Conditioning.INVALID_ALPHA
_LIQUIDATION: Final = Conditioning.LIQUIDATION
_EXTREME_VOLATILITY: Final = Conditioning.EXTREME_VOLATILITY
_NOT_TRADABLE: Final = Conditioning.NOT_TRADABLE
_HIGH_VOL_DAMPED: Final = Conditioning.HIGH_VOL_DAMPED
_EXTREME: Final = VolLevel.EXTREME
_HIGH: Final = VolLevel.HIGH


def validate_damping(damping: float) -> float:
    """Return `damping` if it is a factor in [0, 1] (1 = no damping, 0 = stand aside)."""
    if not (math.isfinite(damping) and 0.0 <= damping <= 1.0):
        raise AlphaConfigError(f"high_vol_damping must be in [0, 1], got {damping!r}")
    return damping


def blocking_reason(regime: RegimeState) -> Conditioning | None:
    """The reason the regime zeroes any alpha, or None when it lets alpha through."""
    if regime.liquidation:
        return _LIQUIDATION
    if regime.volatility is _EXTREME:
        return _EXTREME_VOLATILITY
    if not regime.tradable:
        return _NOT_TRADABLE
    return None


def condition(
    alpha: float, regime: RegimeState, high_vol_damping: float
) -> tuple[float, Conditioning]:
    """Apply the regime to `alpha`; returns (conditioned alpha, reason)."""
    if not math.isfinite(alpha):
        return 0.0, _INVALID_ALPHA
    blocked = blocking_reason(regime)
    if blocked is not None:
        return 0.0, blocked
    if regime.volatility is _HIGH:
        return alpha * high_vol_damping, _HIGH_VOL_DAMPED
    return alpha, _OK
