"""Shared building blocks of the config models: the frozen base, read-only mappings, limits.

Config loads once at start-up, off the hot path, so pydantic is used here (and only in
`config/`). Every model is frozen (assignment raises), forbids unknown keys, is strict
about types (no "5" for 5, no true for 1, no 2.5 for an int, no NaN/inf) and bounds every
number. Mappings are exposed read-only (`MappingProxyType`), so nothing downstream can
mutate the config it was built from.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Final, Self

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, StringConstraints

# The lead-lag effect between two venues' coins is a sub-second phenomenon; a window of
# 300 ms or more measures ordinary co-movement, not lead-lag.
LEAD_LAG_MAX_WINDOW_MS: Final = 300
# l2Book carries 20 levels per side, 5 with `fast: true`.
BOOK_LEVELS: Final = 20
FAST_BOOK_LEVELS: Final = 5
# The venue refuses orders below $10 notional.
VENUE_MIN_ORDER_USD: Final = 10.0
# The venue closes a connection silent for 60 s: pings must come before that, with room
# for a late timer and the network (the SDKs ping every 50 s; the bound of
# venues/hyperliquid/websocket/client.py).
VENUE_IDLE_TIMEOUT_S: Final = 60.0
MAX_PING_INTERVAL_S: Final = 50.0
# scheduleCancel must be at least 5 s ahead and triggers at most 10 times a day.
SCHEDULE_CANCEL_MIN_AHEAD_S: Final = 5.0
SCHEDULE_CANCEL_MAX_TRIGGERS: Final = 10
# Tolerance on the alpha-weight sum so that 0.5 + 0.3 + 0.1 + 0.1 is accepted as 1.
WEIGHT_SUM_EPS: Final = 1e-9
# ns views of ms settings, for components that run on event-time nanoseconds.
NS_PER_MS: Final = 1_000_000


class FrozenModel(BaseModel):
    """Base of every config model: immutable, closed to unknown keys, strictly typed."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        strict=True,
        allow_inf_nan=False,
        validate_by_name=True,
        validate_by_alias=True,
    )

    def replaced(self, **changes: Any) -> Self:
        """A validated copy with `changes` (by field name): for tests and tools that vary
        a knob of a loaded section; a value the YAML could not hold raises here too."""
        return self.model_validate({**self.model_dump(), **changes})


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` over `base`: mappings merge key by key; anything else replaces."""
    merged = dict(base)
    for key, value in override.items():
        old = merged.get(key)
        both_maps = isinstance(old, Mapping) and isinstance(value, Mapping)
        merged[key] = deep_merge(old, value) if both_maps else value  # type: ignore[arg-type]
    return merged


def freeze_mapping(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    """A read-only copy: frozen models alone would still let `cfg.coins["X"] = ...` through."""
    return MappingProxyType(dict(value))


def dump_mapping(value: Mapping[Any, Any], handler: SerializerFunctionWrapHandler) -> Any:
    # The default Mapping serializer does not know mappingproxy: hand it a plain dict.
    return handler(dict(value))


CoinName = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9:_-]{0,31}$")
]
PositiveUsd = Annotated[float, Field(gt=0)]
