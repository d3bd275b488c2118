"""Small helpers with no domain knowledge: atomic files, time-decayed averages, logging.
"""

from hyperliquid_ofi_trader.utils.atomic_file import atomic_write, read_small
from hyperliquid_ofi_trader.utils.ewma import (
    TimeDecayedRatio,
    TimeEwma,
    TimeEwmaVar,
)
from hyperliquid_ofi_trader.utils.logger import setup_logging

__all__ = [
    "TimeDecayedRatio",
    "TimeEwma",
    "TimeEwmaVar",
    "atomic_write",
    "read_small",
    "setup_logging",
]
