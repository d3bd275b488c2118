"""The engine and what every layer shares: events, clocks, the trading state, the stage
contract, the order commands and their port, the book view, the journal.
"""

from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.clock import (
    Clock,
    LiveClock,
    ReplayClock,
)
from hyperliquid_ofi_trader.core.commands import (
    CancelOrder,
    CommandPort,
    ModifyOrder,
    PlaceOrder,
)
from hyperliquid_ofi_trader.core.engine import (
    Engine,
    EngineSettings,
    Outcome,
)
from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    AssetCtx,
    Bbo,
    BookSnapshot,
    Fill,
    GatewayEvent,
    Level,
    MarketEvent,
    OrderUpdate,
    PrivateEvent,
    Side,
    Trade,
    Trades,
    UserFills,
)
from hyperliquid_ofi_trader.core.journal import (
    Journal,
    JournalError,
    JournalReader,
)
from hyperliquid_ofi_trader.core.stages import (
    AlphaStage,
    CoinMarket,
    GateResult,
    KillSwitchStage,
    OrderIntent,
    OrderSink,
    PlanIntent,
    RegimeStage,
    RiskGate,
    Router,
    SignalStage,
    Tif,
)
from hyperliquid_ofi_trader.core.state import IllegalTransition, TradingState

__all__ = [
    "AlphaStage",
    "AnyEvent",
    "AssetCtx",
    "Bbo",
    "BookSnapshot",
    "BookView",
    "CancelOrder",
    "Clock",
    "CoinMarket",
    "CommandPort",
    "Engine",
    "EngineSettings",
    "Fill",
    "GateResult",
    "GatewayEvent",
    "IllegalTransition",
    "Journal",
    "JournalError",
    "JournalReader",
    "KillSwitchStage",
    "Level",
    "LiveClock",
    "MarketEvent",
    "ModifyOrder",
    "OrderIntent",
    "OrderSink",
    "OrderUpdate",
    "Outcome",
    "PlaceOrder",
    "PlanIntent",
    "PrivateEvent",
    "RegimeStage",
    "ReplayClock",
    "RiskGate",
    "Router",
    "Side",
    "SignalStage",
    "Tif",
    "Trade",
    "Trades",
    "TradingState",
    "UserFills",
]
