"""Shapes of earlier config files, read into today's before they are merged.

A user file sets only the keys it changes over the packaged defaults. When a section
changes shape, an old file's partial section no longer merges key by key with the new
default, so it is brought into the new shape here first:

- symbols.yaml `lead_lag` was one pair (a mapping); it is now a list of pairs. An old
  mapping, even a partial one such as `lead_lag: {window_ms: 200}`, is merged over the
  default's single pair and becomes a list of one. (A complete mapping also validates on
  its own: `SymbolsConfig` reads a mapping as a one-pair list.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hyperliquid_ofi_trader.config.base import deep_merge

SYMBOLS_FILE = "symbols.yaml"


def upgrade_overrides(defaults: Mapping[str, Mapping[str, Any]],
                      overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """`overrides` (keyed by file name) with every earlier shape turned into today's."""
    upgraded: dict[str, Any] = dict(overrides)
    symbols = overrides.get(SYMBOLS_FILE)
    if isinstance(symbols, Mapping):
        upgraded[SYMBOLS_FILE] = _upgrade_lead_lag(defaults.get(SYMBOLS_FILE, {}), symbols)
    return upgraded


def _upgrade_lead_lag(default: Mapping[str, Any], user: Mapping[str, Any]) -> Mapping[str, Any]:
    old = user.get("lead_lag")
    pairs = default.get("lead_lag")
    if not isinstance(old, Mapping) or not isinstance(pairs, list) or len(pairs) != 1:
        return user  # today's shape, or nothing to merge into: validation judges it
    base = pairs[0] if isinstance(pairs[0], Mapping) else {}
    return {**user, "lead_lag": [deep_merge(base, old)]}
