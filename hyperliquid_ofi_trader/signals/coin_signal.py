"""The shape of one signal of one traded coin, as the signal stage drives it.

A signal overrides the hooks it needs (the stage calls only those, so a hook left out costs
nothing per event) and publishes its value under its registered name into the coin's
`SignalState`. It is built by a factory `(book, tick, section, model) -> CoinSignal` listed
in `signals/registry.py`: `section` is the signal's own thresholds.yaml section (the
`SignalSection` of its name), `model` the fitted micro-price model or None (a fitted
artefact, not config; only the micro-price signal reads it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hyperliquid_ofi_trader.core.book_view import BookView
    from hyperliquid_ofi_trader.core.events import Trades
    from hyperliquid_ofi_trader.signals.microprice import MicropriceModel
    from hyperliquid_ofi_trader.signals.signal_state import SignalState


class CoinSignal:
    """Base of a per-coin signal: every hook is a no-op until a signal overrides it."""

    __slots__ = ()

    def on_book(self, state: SignalState, ns: int, volatility_ticks: float) -> None:
        """After the coin's book changed (snapshot or bbo) at exchange time `ns`."""

    def on_trades(self, state: SignalState, event: Trades) -> None:
        """After a batch of the coin's trades."""

    def advance(self, ns: int) -> None:
        """Exchange time moved to `ns` (later than any earlier call) with no own data."""


# The section is typed Any: each factory takes its own SignalSection subclass.
CoinSignalFactory = Callable[["BookView", float, Any, "MicropriceModel | None"], CoinSignal]


def overrides(signal: CoinSignal, hook: str) -> bool:
    """Whether `signal` does something on `hook` (so the stage calls it at all)."""
    return getattr(type(signal), hook) is not getattr(CoinSignal, hook)
