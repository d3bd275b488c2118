"""`--fee-tier N [--taker-fee-bps X] [--maker-fee-bps Y]`: the venue fees a simulating
command charges, and their resolution into fractions of notional.

The defaults are the venue's schedule (venues/hyperliquid/common/fees.py), tier 0 unless
`--fee-tier` says otherwise; an explicit bps figure overrides its side of the tier (a
negative maker fee is a rebate).
"""

from __future__ import annotations

from typing import Annotated

import typer

from hyperliquid_ofi_trader.venues.hyperliquid.common.fees import (
    BASE_TIER,
    FEE_TIERS,
    fees_bps,
)

_TIERS_HELP = ", ".join(f"{i}: {t:g} / {m:g}" for i, (t, m) in enumerate(FEE_TIERS))

FeeTierOption = Annotated[int, typer.Option(
    "--fee-tier", help=f"Hyperliquid perps volume tier whose fees the venue charges "
    f"(taker / maker bps: {_TIERS_HELP}).", min=0, max=len(FEE_TIERS) - 1)]
TakerFeeOption = Annotated[float | None, typer.Option(
    "--taker-fee-bps", help="Venue taker fee in basis points (default: the --fee-tier's).")]
MakerFeeOption = Annotated[float | None, typer.Option(
    "--maker-fee-bps", help="Venue maker fee in basis points, negative = rebate (default: "
    "the --fee-tier's).")]

DEFAULT_FEE_TIER = BASE_TIER


def resolve_fees(fee_tier: int, taker_bps: float | None,
                 maker_bps: float | None) -> tuple[float, float]:
    """(taker, maker) fractions of notional: the tier's, each overridden when given."""
    tier_taker, tier_maker = fees_bps(fee_tier)
    taker = tier_taker if taker_bps is None else taker_bps
    maker = tier_maker if maker_bps is None else maker_bps
    return taker / 1e4, maker / 1e4
