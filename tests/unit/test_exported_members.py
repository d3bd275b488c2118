"""The public surface of each package, pinned (as httpx's tests/test_exported_members.py does).

A package exports exactly what its `__all__` lists; changing that list is a decision, so this
test changes with it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import hyperliquid_ofi_trader

ROOT = "hyperliquid_ofi_trader"

EXPORTS: dict[str, list[str]] = {
    "": ["OurBugError", "RiskRejectedError", "TraderError", "TransientError", "VenueGarbageError"],
    "alpha": [
        "AlphaBreakdown", "AlphaCombiner", "AlphaConfigError", "Conditioning", "InvalidSignal",
        "SignalContribution", "TrustProvider", "clip_unit", "compress", "condition",
    ],
    "backtest": [
        "BacktestError", "BacktestResult", "BacktestSettings", "EventQueue", "ReportSummary",
        "SimulatedGateway", "SweepError", "run_backtest", "run_figures", "run_sweep",
    ],
    "catalog": [
        "CatalogError", "CatalogLocation", "CatalogLocationError", "CatalogQuery",
        "EmptySelectionError", "HourFormatError", "hours_between", "iter_catalog_frames",
        "open_location", "parse_hour", "selection_labels",
    ],
    "cli": [],
    "config": ["AppConfig", "ConfigError", "ConfigIssue", "Network", "build_config", "load_config"],
    "core": [
        "AlphaStage", "AnyEvent", "AssetCtx", "Bbo", "BookSnapshot", "BookView", "CancelOrder",
        "Clock", "CoinMarket", "CommandPort", "Engine", "EngineSettings", "Fill", "GateResult",
        "GatewayEvent", "IllegalTransition", "Journal", "JournalError", "JournalReader",
        "KillSwitchStage", "Level", "LiveClock", "MarketEvent", "ModifyOrder", "OrderIntent",
        "OrderSink", "OrderUpdate", "Outcome", "PlaceOrder", "PlanIntent", "PrivateEvent",
        "RegimeStage", "ReplayClock", "RiskGate", "Router", "Side", "SignalStage", "Tif", "Trade",
        "Trades", "TradingState", "UserFills",
    ],
    "data": [
        "CoinData", "FrameRecorder", "MarketState", "OrderBook", "RecordingError", "ReplaySource",
        "ReplaySourceError", "TradeTape", "iter_frames",
    ],
    "execution": [
        "CostModel", "ExecutionRouter", "OrderManager", "OrderManagerSettings", "OrderStore",
        "OrderStoreError", "RequotingRouter", "RouterSettings",
    ],
    "feedback": [
        "FeedbackProbe", "FillRateTracker", "MarkoutResult", "Markouts", "SignalTrust",
        "SlippageTracker", "TrustSettings",
    ],
    "regime": [
        "CoinRegime", "LiquidationDetector", "LiquidityLevel", "LiquidityRegime", "Reason",
        "RegimeConfigError", "RegimeDetector", "RegimeStageAdapter", "RegimeState", "VolLevel",
        "VolatilityRegime",
    ],
    "research": ["MarketSeries", "ResearchError", "load_hyperliquid", "load_market"],
    "risk": [
        "ControlError", "DeadMansSwitch", "ExposureGate", "Flattener", "HaltStoreError",
        "KillSwitch", "PositionBook", "RecoveryPolicy",
    ],
    "runtime": [
        "LiveRunError", "LiveRunner", "ReplayResult", "RunOptions", "RunRegistry", "StatusError",
        "build_engine", "build_execution", "read_status",
    ],
    "runtime.dashboard": ["Dashboard", "DashboardError"],
    "signals": [
        "AggressiveVolume", "LeadLagSignal", "MicropriceModel", "MicropriceModelError",
        "MicropriceSignal", "MultiLevelOFI", "OFICalculator", "SignalSuite",
    ],
    "sim": [
        "EmulatorServer", "FaultInjector", "LatencyConfig", "LatencyModel", "ReplayMarketSource",
        "ServerSettings", "SimInstrument", "SimSettings", "SimSettingsError", "SimVenue",
        "SyntheticMarket",
    ],
    "utils": [
        "TimeDecayedRatio", "TimeEwma", "TimeEwmaVar", "atomic_write", "read_small",
        "setup_logging",
    ],
    "venues": [],
    "venues.hyperliquid": [
        "AssetRegistry", "GatewaySettings", "HyperliquidCodec", "HyperliquidGateway",
        "HyperliquidWsClient", "InfoClient", "Instrument", "L1Signer", "NonceCounter",
        "PostChannel", "RateLimiter", "SecretKey", "VenueError",
        "WsClientConfig",
    ],
    "venues.hyperliquid.common": [
        "Fault", "Instrument", "InstrumentError", "RateLimiter", "Remedy",
        "RequestKind", "RoundMode", "VenueError",
    ],
    "venues.hyperliquid.execution": ["GatewaySettings", "HyperliquidGateway", "make_cloid"],
    "venues.hyperliquid.http": ["InfoClient", "InfoError"],
    "venues.hyperliquid.signing": [
        "KeyLoadError", "L1Signer", "NonceCounter", "SecretKey", "SignatureError",
        "generate_throwaway_key", "load_private_key",
    ],
    "venues.hyperliquid.websocket": [
        "FeedWatchdog", "HyperliquidCodec", "HyperliquidWsClient", "PostChannel", "PostError",
        "WsClientConfig", "WsError",
    ],
}


def _package(short: str) -> ModuleType:
    return importlib.import_module(f"{ROOT}.{short}" if short else ROOT)


def test_every_package_is_pinned() -> None:
    found = {ROOT} | {m.name for m in pkgutil.walk_packages(hyperliquid_ofi_trader.__path__,
                                                           f"{ROOT}.") if m.ispkg}
    assert sorted(found) == sorted(f"{ROOT}.{s}" if s else ROOT for s in EXPORTS)


@pytest.mark.parametrize("short", sorted(EXPORTS))
def test_exported_names_are_pinned(short: str) -> None:
    package = _package(short)
    assert sorted(package.__all__) == EXPORTS[short]
    assert package.__all__ == sorted(package.__all__)  # kept sorted, one place to read


@pytest.mark.parametrize("short", sorted(EXPORTS))
def test_exports_resolve_and_nothing_public_is_left_out(short: str) -> None:
    package = _package(short)
    for name in package.__all__:
        assert not isinstance(getattr(package, name), ModuleType), name
    public = {name for name, value in vars(package).items()
              if not name.startswith("_") and not isinstance(value, ModuleType)
              and name != "annotations"}
    assert public == set(package.__all__)


@pytest.mark.parametrize("short", sorted(EXPORTS))
def test_exported_objects_come_from_the_package(short: str) -> None:
    # A package exports its own names, never a re-export of another package's.
    package = _package(short)
    for name in package.__all__:
        obj = getattr(package, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):  # not a type alias like AnyEvent
            assert obj.__module__.startswith(package.__name__), f"{name}: {obj.__module__}"
