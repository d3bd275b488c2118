"""What the signal stage takes besides the validated config sections: the lead-lag pair
spec it runs one detector per, and the trend time constants (a fixed part of the forecast's
feature set, not a config key).

The stage's parameters are the config's own sections (thresholds.yaml: each signal's
section and `signals`; symbols.yaml: traded coins and `lead_lag`), read where they are
used: there is no settings type of its own, so no second set of defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, NamedTuple

if TYPE_CHECKING:
    from hyperliquid_ofi_trader.config.symbols_schema import SymbolsConfig

_MS: Final = 1_000_000
DEFAULT_TREND_TAUS_MS: Final = (1_000, 3_000)


class LeadLagPairSpec(NamedTuple):
    """One lead-lag pair: the lag coin follows the lead within `window_ns`."""

    lead: str
    lag: str
    window_ns: int


def lead_lag_specs(symbols: SymbolsConfig) -> tuple[LeadLagPairSpec, ...]:
    """symbols.yaml's `lead_lag` pairs, windows in ns."""
    return tuple(LeadLagPairSpec(p.lead, p.lag, p.window_ms * _MS) for p in symbols.lead_lag)
