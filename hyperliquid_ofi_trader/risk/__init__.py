"""Risk: positions, the exposure gate, the kill switch, the dead man's switch, flattening,
the recovery policy and the operator's control file.
"""

from hyperliquid_ofi_trader.risk.control import ControlError
from hyperliquid_ofi_trader.risk.dead_mans_switch import DeadMansSwitch
from hyperliquid_ofi_trader.risk.exposure import ExposureGate
from hyperliquid_ofi_trader.risk.flatten import Flattener
from hyperliquid_ofi_trader.risk.halt_store import HaltStoreError
from hyperliquid_ofi_trader.risk.kill_switch import KillSwitch
from hyperliquid_ofi_trader.risk.position import PositionBook
from hyperliquid_ofi_trader.risk.recovery import RecoveryPolicy

__all__ = [
    "ControlError",
    "DeadMansSwitch",
    "ExposureGate",
    "Flattener",
    "HaltStoreError",
    "KillSwitch",
    "PositionBook",
    "RecoveryPolicy",
]
