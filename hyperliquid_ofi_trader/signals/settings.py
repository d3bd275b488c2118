"""Parameters of the signal stage, as plain values (the config layer maps thresholds.yaml
onto them in runtime/assembly.py), and the lead-lag pair they name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, NamedTuple

if TYPE_CHECKING:
    from hyperliquid_ofi_trader.signals.microprice import MicropriceModel

_MS = 1_000_000
DEFAULT_TREND_TAUS_MS: Final = (1_000, 3_000)


class LeadLagPairSpec(NamedTuple):
    """One lead-lag pair: the lag coin follows the lead within `window_ns`."""

    lead: str
    lag: str
    window_ns: int


@dataclass(frozen=True, slots=True)
class SignalSettings:
    """Parameters of the signal stage (the config layer maps thresholds.yaml onto these)."""

    traded: tuple[str, ...]
    ticks: Mapping[str, float]  # tick size per traded coin (micro-price units)
    lead: str = "BTC"
    lag: str = "ETH"
    ofi_window_ns: int = 1_000 * _MS
    ofi_weights: tuple[float, ...] | None = None  # None = Level-1 OFI; else integrated OFI
    depth_levels: int = 5
    depth_halflife_ns: int = 60_000 * _MS
    leadlag_window_ns: int = 250 * _MS
    leadlag_threshold_sigma: float = 2.0
    leadlag_vol_halflife_ns: int = 30_000 * _MS
    aggressive_window_ns: int = 5_000 * _MS
    microprice_model: MicropriceModel | None = None
    trend_taus_ms: tuple[int, ...] = DEFAULT_TREND_TAUS_MS
    stale_after_ns: Mapping[str, int] = field(default_factory=lambda: {
        "ofi": 2_000 * _MS, "leadlag": 500 * _MS, "aggressive_volume": 10_000 * _MS,
        "microprice": 2_000 * _MS})
    # Every lead-lag pair; None = the one pair (lead, lag, leadlag_window_ns) above.
    leadlag_pairs: tuple[LeadLagPairSpec, ...] | None = None
    # Each signal's own thresholds.yaml section as plain values, by signal name: how a
    # signal added later gets its parameters without a field here.
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def pairs(self) -> tuple[LeadLagPairSpec, ...]:
        """The lead-lag pairs the stage runs."""
        if self.leadlag_pairs is not None:
            return self.leadlag_pairs
        return (LeadLagPairSpec(self.lead, self.lag, self.leadlag_window_ns),)
