"""The Hyperliquid emulator: the venue (matching, accounts, limits), its WS/HTTP server,
synthetic and replayed markets, the latency model.
"""

from hyperliquid_ofi_trader.sim.faults import FaultInjector
from hyperliquid_ofi_trader.sim.latency import LatencyConfig, LatencyModel
from hyperliquid_ofi_trader.sim.market_source import ReplayMarketSource
from hyperliquid_ofi_trader.sim.server import EmulatorServer, ServerSettings
from hyperliquid_ofi_trader.sim.settings import (
    SimInstrument,
    SimSettings,
    SimSettingsError,
)
from hyperliquid_ofi_trader.sim.synthetic import SyntheticMarket
from hyperliquid_ofi_trader.sim.venue import SimVenue

__all__ = [
    "EmulatorServer",
    "FaultInjector",
    "LatencyConfig",
    "LatencyModel",
    "ReplayMarketSource",
    "ServerSettings",
    "SimInstrument",
    "SimSettings",
    "SimSettingsError",
    "SimVenue",
    "SyntheticMarket",
]
