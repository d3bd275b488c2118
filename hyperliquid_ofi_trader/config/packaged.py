"""The packaged configuration (config/defaults/*.yaml), loaded once per process.

For the seed's default constructors (`OrderBook()`, `LiquidityRegime()`, `LeadLagSignal()`,
`ExecutionRouter()`, `KillSwitch()`, and `OrderManager`, `RateLimiter`, the gateway and the
WebSocket client without settings): a class built without arguments takes its settings
from here. The application itself never uses this: it builds every component from the
`AppConfig` it loaded (user overrides included) and passes the values in."""

from __future__ import annotations

from functools import cache

from hyperliquid_ofi_trader.config.loader import load_config
from hyperliquid_ofi_trader.config.models import AppConfig


@cache
def packaged_config() -> AppConfig:
    """The validated packaged defaults (read and validated on the first call only)."""
    return load_config()


def default_coin() -> str:
    """The packaged config's first traded coin: the coin a seed-style call means."""
    return packaged_config().symbols.traded[0]
