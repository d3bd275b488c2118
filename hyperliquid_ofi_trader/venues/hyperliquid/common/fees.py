"""Hyperliquid's perps fee schedule: a venue fact, written down once (HYPERLIQUID.md §5).

Volume tiers by 14-day weighted volume (taker / maker, bps): 0: 4.5 / 1.5, >5M: 4.0 / 1.2,
>25M: 3.5 / 0.8, >100M: 3.0 / 0.4, >500M: 2.8 / 0, >2B: 2.6 / 0, >7B: 2.4 / 0. Maker-rebate
tiers by 14-day maker volume share (>0.5%, >1.5%, >3.0%): -0.1 / -0.2 / -0.3 bps, which
replace the maker fee when better. HYPE staking discounts (5-40%) are not modelled: a live
account's own rates come from `userFees`.

Every default fee in the package (the cost model, the emulator, the backtest, the oracle,
their CLIs) is tier 0 of this table, so a change of the venue's schedule is one edit here.
Fractions (what the emulator charges: 0.00045 = 4.5 bps) are bps / 1e4.
"""

from __future__ import annotations

from typing import Final

from hyperliquid_ofi_trader.errors import OurBugError

# (taker, maker) in bps by perps volume tier 0..6, and maker rebates by tier 1..3.
FEE_TIERS: Final[tuple[tuple[float, float], ...]] = (
    (4.5, 1.5), (4.0, 1.2), (3.5, 0.8), (3.0, 0.4), (2.8, 0.0), (2.6, 0.0), (2.4, 0.0))
MAKER_REBATE_TIERS: Final[tuple[float, ...]] = (-0.1, -0.2, -0.3)
BASE_TIER: Final = 0  # an account with no volume history: the default everywhere
_BPS_PER_UNIT: Final = 1e4


class FeeTierError(OurBugError, ValueError):
    """A fee tier the venue's schedule does not have."""


def fees_bps(fee_tier: int, maker_rebate_tier: int | None = None) -> tuple[float, float]:
    """(taker, maker) bps of a perps volume tier, the maker-rebate tier's when better."""
    if not 0 <= fee_tier < len(FEE_TIERS):
        raise FeeTierError(f"fee_tier must be 0..{len(FEE_TIERS) - 1}, got {fee_tier}")
    if maker_rebate_tier is not None and not 1 <= maker_rebate_tier <= len(MAKER_REBATE_TIERS):
        raise FeeTierError(f"maker_rebate_tier must be 1..{len(MAKER_REBATE_TIERS)} "
                           f"or null, got {maker_rebate_tier}")
    taker, maker = FEE_TIERS[fee_tier]
    if maker_rebate_tier is not None:
        maker = min(maker, MAKER_REBATE_TIERS[maker_rebate_tier - 1])
    return taker, maker


def fee_fractions(fee_tier: int, maker_rebate_tier: int | None = None) -> tuple[float, float]:
    """(taker, maker) of a tier as fractions of notional (0.00045 = 4.5 bps)."""
    taker, maker = fees_bps(fee_tier, maker_rebate_tier)
    return taker / _BPS_PER_UNIT, maker / _BPS_PER_UNIT


BASE_TAKER_BPS, BASE_MAKER_BPS = fees_bps(BASE_TIER)
BASE_TAKER_FEE, BASE_MAKER_FEE = fee_fractions(BASE_TIER)
