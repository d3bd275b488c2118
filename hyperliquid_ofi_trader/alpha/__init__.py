"""Alpha: fuse signals into one number in [-1, +1]. Returns a number; never places orders."""

from hyperliquid_ofi_trader.alpha.combiner import (
    AlphaBreakdown,
    AlphaCombiner,
    SignalContribution,
    TrustProvider,
)
from hyperliquid_ofi_trader.alpha.compression import (
    AlphaConfigError,
    InvalidSignal,
    clip_unit,
    compress,
)
from hyperliquid_ofi_trader.alpha.conditioning import Conditioning, condition

__all__ = [
    "AlphaBreakdown",
    "AlphaCombiner",
    "AlphaConfigError",
    "Conditioning",
    "InvalidSignal",
    "SignalContribution",
    "TrustProvider",
    "clip_unit",
    "compress",
    "condition",
]
