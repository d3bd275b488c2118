"""Build the engine and its strategy stages from a validated `AppConfig`.

One function per concern, so every run mode (replay, backtest, emulator, paper, live)
assembles the SAME engine and differs only in the clock, the frame source and the order
sink it plugs in (ARCHITECTURE.md: "There is no second, backtest-only decision path").
Pydantic config objects stop here: stages receive plain values in their own units.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hyperliquid_ofi_trader.alpha.build import build_combiner, forecast_models
from hyperliquid_ofi_trader.alpha.combiner import AlphaCombiner, TrustProvider
from hyperliquid_ofi_trader.config.inert import inert_settings
from hyperliquid_ofi_trader.config.models import AppConfig
from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.clock import Clock
from hyperliquid_ofi_trader.core.engine import Engine, EngineSettings
from hyperliquid_ofi_trader.core.journal import Journal
from hyperliquid_ofi_trader.core.stages import (
    GatewayListener,
    KillSwitchStage,
    OrderIntent,
    OrderSink,
    PositionSource,
    PrivateListener,
    Reconciler,
    RiskGate,
    Router,
    TimerListener,
)
from hyperliquid_ofi_trader.data.coin_data import CoinData
from hyperliquid_ofi_trader.feedback.trust_score import SignalTrust, TrustSettings
from hyperliquid_ofi_trader.regime.build import build_coin_detector
from hyperliquid_ofi_trader.regime.stage import RegimeStageAdapter
from hyperliquid_ofi_trader.runtime.persistence_watch import PersistenceWatch
from hyperliquid_ofi_trader.signals.microprice import MicropriceModel
from hyperliquid_ofi_trader.signals.stage import SignalSuite

_log = logging.getLogger(__name__)
_WARNED_INERT: set[str] = set()


@dataclass(frozen=True, slots=True)
class Strategy:
    """The three strategy stages, built on the engine's per-coin market data."""

    signals: SignalSuite
    regime: RegimeStageAdapter
    alpha: AlphaCombiner


@dataclass(frozen=True, slots=True)
class Execution:
    """What turns alpha into orders. Absent pieces stay None: the engine then journals
    exactly which piece is missing instead of pretending to trade."""

    router: Router | None = None
    positions: PositionSource | None = None
    risk_gate: RiskGate | None = None
    order_sink: OrderSink | None = None
    kill_switch: KillSwitchStage | None = None
    private_listeners: Sequence[PrivateListener] = ()
    gateway_listeners: Sequence[GatewayListener] = ()
    timer_listeners: Sequence[TimerListener] = ()
    reconciler: Reconciler | None = None  # asked for the account when the gate waits on it
    flatten: Callable[[], Sequence[OrderIntent]] | None = None  # closes positions on a halt


# Builds the order path once the market data and strategy exist (it needs their books and
# the signal stage's latest values); see runtime/execution_stack.py.
ExecutionFactory = Callable[[Mapping[str, CoinData], Strategy], Execution]


def build_markets(settings: EngineSettings) -> dict[str, CoinData]:
    return {coin: CoinData(coin, trade_window_ns=settings.trade_window_ns,
                           vol_halflife_ns=settings.vol_halflife_ns)
            for coin in settings.coins}


def min_price_increment(sz_decimals: int) -> float:
    """The finest price step the venue allows for a coin (6 − szDecimals decimals).

    The effective tick is coarser at high prices (5 significant figures); the signal stage
    only uses this as the micro-price unit when no fitted model (which carries its own
    tick) is configured, and the weighted mid it then publishes is unit-free.
    """
    return 10.0 ** -(6 - sz_decimals)


def load_microprice_model(cfg: AppConfig) -> MicropriceModel | None:
    path = cfg.thresholds.microprice.model_path
    if path is None:
        return None
    resolved = Path(path)
    if not resolved.is_absolute() and cfg.source_dir is not None:
        resolved = Path(cfg.source_dir) / resolved
    return MicropriceModel.load(resolved)


def signal_ticks(cfg: AppConfig, model: MicropriceModel | None) -> dict[str, float]:
    """Each traded coin's tick in micro-price units: the fitted model's, else the finest
    price step its size decimals allow."""
    sym = cfg.symbols
    return {coin: model.tick if model is not None
            else min_price_increment(sym.coins[coin].sz_decimals)
            for coin in sym.traded}


def build_signals(cfg: AppConfig, books: Mapping[str, BookView],
                  model: MicropriceModel | None) -> SignalSuite:
    """The signal stage on `books`, from the config's sections and the fitted model."""
    return SignalSuite(books, cfg.thresholds, cfg.symbols, signal_ticks(cfg, model), model)


def build_trust(cfg: AppConfig) -> SignalTrust:
    """The online forecast / signal trust from config (its market accessors are attached
    by `build_strategy`, once the books exist)."""
    return SignalTrust(TrustSettings(online=cfg.thresholds.forecast,
                                     default_coin=cfg.symbols.traded[0]),
                       models=forecast_models(cfg))


def build_strategy(cfg: AppConfig, markets: Mapping[str, CoinData],
                   trust: TrustProvider | None = None) -> Strategy:
    """The strategy stages. Alpha is derived from the forecast in bps: `trust` is the
    online forecast when it is a `SignalTrust` (else one is built from config)."""
    _warn_inert(cfg)
    books = {coin: data.book for coin, data in markets.items()}
    signals = build_signals(cfg, books, load_microprice_model(cfg))
    detector = build_coin_detector(cfg.thresholds, cfg.symbols.traded, cfg.symbols.lead_lag)
    regime = RegimeStageAdapter(detector, books.get)
    forecaster = trust if isinstance(trust, SignalTrust) else build_trust(cfg)
    forecaster.attach(lambda coin: _mid(markets, coin), lambda: signals.now_ns)
    return Strategy(signals=signals, regime=regime,
                    alpha=build_combiner(cfg.thresholds.alpha, trust, forecaster,
                                         cfg.thresholds.forecast))


def _warn_inert(cfg: AppConfig) -> None:
    """Each seed-only key the configuration changes, logged once per process (a sweep
    assembles a strategy per point)."""
    for line in inert_settings(cfg):
        if line not in _WARNED_INERT:
            _WARNED_INERT.add(line)
            _log.warning("config: %s", line)


def _mid(markets: Mapping[str, CoinData], coin: str) -> float | None:
    market = markets.get(coin)
    return None if market is None else market.book.mid()


def build_engine(cfg: AppConfig, clock: Clock, journal: Journal,
                 execution: ExecutionFactory | None = None,
                 trust: TrustProvider | None = None,
                 **engine_overrides: Any) -> tuple[Engine, Strategy]:
    """The engine with its market data and strategy; `execution` adds the order path.

    `engine_overrides` set engine-only knobs (`auto_resume_on_feed_recovery`, ...).
    """
    settings = EngineSettings.from_config(cfg, **engine_overrides)
    markets = build_markets(settings)
    strategy = build_strategy(cfg, markets, trust)
    ex = execution(markets, strategy) if execution is not None else Execution()
    engine = Engine(settings, clock, journal, markets=markets, signals=strategy.signals,
                    regime=strategy.regime, alpha=strategy.alpha, router=ex.router,
                    positions=ex.positions, risk_gate=ex.risk_gate, order_sink=ex.order_sink,
                    kill_switch=ex.kill_switch, reconciler=ex.reconciler,
                    private_listeners=ex.private_listeners,
                    gateway_listeners=ex.gateway_listeners,
                    timer_listeners=(*ex.timer_listeners,
                                     PersistenceWatch({"journal": journal.health})),
                    flatten=ex.flatten)
    return engine, strategy
