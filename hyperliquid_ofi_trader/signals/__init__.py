"""Signals from the book and the tape: OFI (level 1, multi-level, integrated), lead-lag,
aggressive volume, micro-price; `SignalSuite` runs them per coin.
"""

from hyperliquid_ofi_trader.signals.aggressive_volume import AggressiveVolume
from hyperliquid_ofi_trader.signals.leadlag import LeadLagSignal
from hyperliquid_ofi_trader.signals.microprice import (
    MicropriceModel,
    MicropriceModelError,
    MicropriceSignal,
)
from hyperliquid_ofi_trader.signals.ofi import MultiLevelOFI, OFICalculator
from hyperliquid_ofi_trader.signals.stage import SignalSuite

__all__ = [
    "AggressiveVolume",
    "LeadLagSignal",
    "MicropriceModel",
    "MicropriceModelError",
    "MicropriceSignal",
    "MultiLevelOFI",
    "OFICalculator",
    "SignalSuite",
]
