"""Build the regime detector from the validated configuration (thresholds.yaml `regime:`).

The detector and its components take the config sections themselves (and convert ms to ns
in their constructors); this module only picks the sections: the global `regime` and each
`per_coin.<COIN>.regime` (the global sections with the coin's keys over them). Only the
TRADED coins get a liquidity switch; any other coin (e.g. the lead coin BTC) reports
`regime_unknown_coin` and is never tradable, which is what we want for a coin we do not trade.
"""

from __future__ import annotations

from collections.abc import Iterable

from hyperliquid_ofi_trader.config.models import ThresholdsConfig
from hyperliquid_ofi_trader.config.symbols_schema import LeadLagPair
from hyperliquid_ofi_trader.regime.detector import RegimeDetector


def build_coin_detector(t: ThresholdsConfig, traded: Iterable[str],
                        lead_lag: Iterable[LeadLagPair] = ()) -> RegimeDetector:
    """The detector of thresholds.yaml: global `regime`, each `per_coin` entry's own;
    symbols.yaml `lead_lag` pairs give each lag coin's lead (its catch-up test)."""
    return RegimeDetector(t.regime, traded,
                          {coin: own.regime for coin, own in t.per_coin.items()},
                          lead_of={pair.lag: pair.lead for pair in lead_lag})
