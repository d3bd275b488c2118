"""The signal registry: one list of names, and a new signal is one registry line away.

`SIGNAL_NAMES` is derived from thresholds.yaml's signal sections (config), the registry
(signals/registry.py) names exactly those; the stage, the staleness limits and the alpha
weights are keyed by them, so a new per-coin signal needs no change to the stage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

import pytest

from hyperliquid_ofi_trader.config import load_config
from hyperliquid_ofi_trader.config.loader import build_config
from hyperliquid_ofi_trader.config.models import (
    SIGNAL_NAMES,
    AlphaWeights,
    SignalSection,
    SignalStaleAfterMs,
    ThresholdsConfig,
)
from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.events import Bbo
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.runtime.assembly import build_signals
from hyperliquid_ofi_trader.signals import registry, stage
from hyperliquid_ofi_trader.signals.aggressive_volume import AggressiveVolumeSignal
from hyperliquid_ofi_trader.signals.coin_signal import CoinSignal
from hyperliquid_ofi_trader.signals.microprice import MicropriceModel
from hyperliquid_ofi_trader.signals.ofi import IntegratedOFI, OfiSignal
from hyperliquid_ofi_trader.signals.signal_state import SignalState

MS = 1_000_000


def test_one_list_of_names_everywhere() -> None:
    assert SIGNAL_NAMES == ("ofi", "leadlag", "aggressive_volume", "microprice")
    assert tuple(registry.COIN_SIGNALS) == SIGNAL_NAMES
    assert tuple(AlphaWeights.model_fields) == SIGNAL_NAMES
    assert tuple(SignalStaleAfterMs.model_fields) == SIGNAL_NAMES
    sections = {name for name, info in ThresholdsConfig.model_fields.items()
                if isinstance(info.annotation, type)
                and issubclass(info.annotation, SignalSection)}
    assert sections == set(SIGNAL_NAMES)  # each signal has its own thresholds.yaml section


def test_each_signal_is_built_from_its_own_section() -> None:
    cfg = build_config({"thresholds.yaml": {"ofi": {"window_ms": 700, "depth_levels": 3},
                                            "aggressive_volume": {"window_ms": 4_000}}})
    suite = build_signals(cfg, {"BTC": OrderBook("BTC"), "ETH": OrderBook("ETH")}, None)
    signals = suite._coins["ETH"].signals
    ofi, taker = signals["ofi"], signals["aggressive_volume"]
    assert isinstance(ofi, OfiSignal)
    assert isinstance(taker, AggressiveVolumeSignal)
    assert (ofi.rolling.window_ns, ofi.depth_levels) == (700 * MS, 3)
    assert isinstance(ofi.ofi, IntegratedOFI)  # the packaged five equal-weight levels
    assert taker.flow._buy.window_ns == 4_000 * MS
    books = {"BTC": OrderBook("BTC"), "ETH": OrderBook("ETH")}
    packaged = build_signals(load_config(), books, None)._coins["ETH"].signals["ofi"]
    assert isinstance(packaged, OfiSignal)
    assert packaged.rolling.window_ns == 1_000 * MS


class SpreadSignal(CoinSignal):
    """A new signal as its own module would write it: the spread in bps over `scale`."""

    __slots__ = ("book", "scale")

    def __init__(self, book: BookView, scale: float) -> None:
        self.book, self.scale = book, scale

    @classmethod
    def build(cls, book: BookView, tick: float, section: SpreadSection,
              model: MicropriceModel | None) -> SpreadSignal:
        return cls(book, section.scale)

    def on_book(self, state: SignalState, ns: int, volatility_ticks: float) -> None:
        bid, ask = self.book.best_bid(), self.book.best_ask()
        if bid is not None and ask is not None:
            mid = 0.5 * (bid[0] + ask[0])
            state.set("spread", (ask[0] - bid[0]) / mid * 1e4 / self.scale, ns)


@dataclass(frozen=True)
class SpreadSection:
    """The new signal's thresholds.yaml section (a SignalSection in the schema)."""

    scale: float


class _WithSpread:
    """The config half of adding a signal, over the packaged thresholds: its own section
    and its staleness limit (in the schema: a SignalSection subclass and its YAML keys)."""

    def __init__(self, base: ThresholdsConfig) -> None:
        self._base = base
        self.spread = SpreadSection(scale=2.0)
        stale = {**base.signals.stale_after_ms.as_ns_mapping(), "spread": 1_000 * MS}
        self.signals = SimpleNamespace(stale_after_ms=SimpleNamespace(
            as_ns_mapping=lambda: stale))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)


def test_a_new_signal_is_one_registry_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # The one registry line (here patched in); the stage itself is not touched.
    monkeypatch.setattr(stage, "COIN_SIGNALS", {**registry.COIN_SIGNALS,
                                                "spread": SpreadSignal.build})
    cfg = build_config({"symbols.yaml": {"lead_lag": []}})
    books = {"ETH": OrderBook("ETH")}
    suite = stage.SignalSuite(books, cast(ThresholdsConfig, _WithSpread(cfg.thresholds)),
                              cfg.symbols, {"ETH": 0.1})
    ev = Bbo(exchange_ns=MS, local_ns=MS, coin="ETH", bid=(2000.0, 1.0, 1),
             ask=(2000.4, 1.0, 1))
    books["ETH"].apply_bbo(ev)
    fresh = suite.update("ETH", ev, ev.local_ns)
    assert math.isclose(fresh["spread"], 0.4 / 2000.2 * 1e4 / 2.0)
    assert "microprice" in fresh  # the registered signals still run beside it
    later = Bbo(exchange_ns=1_500 * MS, local_ns=1_500 * MS, coin="BTC", bid=(1.0, 1.0, 1),
                ask=(1.1, 1.0, 1))
    assert "spread" not in suite.update("ETH", later, later.local_ns)  # its own staleness


def test_weights_and_staleness_name_the_registered_signals_only() -> None:
    from hyperliquid_ofi_trader.config.errors import ConfigError
    from hyperliquid_ofi_trader.config.loader import build_config

    with pytest.raises(ConfigError, match=r"alpha.weights.spread = 0.1: unknown key"):
        build_config({"thresholds.yaml": {"alpha": {"weights": {"spread": 0.1}}}})
