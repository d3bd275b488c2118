"""Market regimes: liquidity, volatility and liquidation cascades. Every regime rule lives here.

`RegimeDetector` (regime/detector.py) combines the three per coin into a `RegimeState`.
"""

from hyperliquid_ofi_trader.regime.detector import CoinRegime, RegimeDetector
from hyperliquid_ofi_trader.regime.liquidation import LiquidationDetector
from hyperliquid_ofi_trader.regime.liquidity import LiquidityRegime
from hyperliquid_ofi_trader.regime.stage import RegimeStageAdapter
from hyperliquid_ofi_trader.regime.state import (
    LiquidityLevel,
    Reason,
    RegimeConfigError,
    RegimeState,
    VolLevel,
)
from hyperliquid_ofi_trader.regime.volatility import VolatilityRegime

__all__ = [
    "CoinRegime",
    "LiquidationDetector",
    "LiquidityLevel",
    "LiquidityRegime",
    "Reason",
    "RegimeConfigError",
    "RegimeDetector",
    "RegimeStageAdapter",
    "RegimeState",
    "VolLevel",
    "VolatilityRegime",
]
