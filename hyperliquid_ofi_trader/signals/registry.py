"""The signals of each traded coin, by published name: one line per signal.

The names are thresholds.yaml's signal sections (`config.models.SIGNAL_NAMES`, the one
list: alpha weights and staleness limits are keyed and validated by it); a test checks
this registry names exactly those, in the same order. Adding a signal touches its own
module (a `CoinSignal` subclass with a `build(book, tick, section, model)` factory, reading
its parameters from its own section), its config section (a `SignalSection` model
in config/thresholds_schema.py with its thresholds.yaml keys, its alpha weight and its
staleness limit), and one line here; the stage, the alpha combiner and the journal pick
it up by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from hyperliquid_ofi_trader.signals.aggressive_volume import AggressiveVolumeSignal
from hyperliquid_ofi_trader.signals.coin_signal import CoinSignalFactory
from hyperliquid_ofi_trader.signals.microprice import MicropriceCoinSignal
from hyperliquid_ofi_trader.signals.ofi import OfiSignal

COIN_SIGNALS: Final[Mapping[str, CoinSignalFactory | None]] = MappingProxyType({
    "ofi": OfiSignal.build,
    "leadlag": None,  # published by the lead-lag pairs (signals/stage.py), not per coin
    "aggressive_volume": AggressiveVolumeSignal.build,
    "microprice": MicropriceCoinSignal.build,
})
"""Factory of each per-coin signal, in publication order (None: published elsewhere)."""
