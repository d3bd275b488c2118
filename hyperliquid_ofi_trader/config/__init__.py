"""Typed, validated configuration: `load_config(user_dir) -> AppConfig`, or a `ConfigError`.

The packaged defaults live in `config/defaults/*.yaml`; a user folder overrides them per key.
"""

from hyperliquid_ofi_trader.config.errors import ConfigError, ConfigIssue
from hyperliquid_ofi_trader.config.loader import build_config, load_config
from hyperliquid_ofi_trader.config.models import AppConfig, Network

__all__ = ["AppConfig", "ConfigError", "ConfigIssue", "Network", "build_config", "load_config"]
