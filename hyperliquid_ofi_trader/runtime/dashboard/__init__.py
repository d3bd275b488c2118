"""The live web dashboard of a running system (see server.py)."""

from hyperliquid_ofi_trader.runtime.dashboard.server import Dashboard, DashboardError

__all__ = ["Dashboard", "DashboardError"]
