"""The order path: router and tactics propose, the order manager runs each order's life
cycle and sends commands through the core's `CommandPort`.
"""

from hyperliquid_ofi_trader.execution.costs import CostModel
from hyperliquid_ofi_trader.execution.order_manager import OrderManager
from hyperliquid_ofi_trader.execution.order_records import OrderManagerSettings
from hyperliquid_ofi_trader.execution.order_store import OrderStore, OrderStoreError
from hyperliquid_ofi_trader.execution.requoting import RequotingRouter
from hyperliquid_ofi_trader.execution.router import ExecutionRouter, RouterSettings

__all__ = [
    "CostModel",
    "ExecutionRouter",
    "OrderManager",
    "OrderManagerSettings",
    "OrderStore",
    "OrderStoreError",
    "RequotingRouter",
    "RouterSettings",
]
