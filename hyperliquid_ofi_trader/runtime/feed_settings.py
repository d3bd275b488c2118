"""thresholds.yaml `feed` -> the WebSocket client's liveness settings.

The keys (stale factor, per-channel cadences, ping interval) used to be validated and then
ignored: live runs watched with the client's built-in defaults (bbo stale after 15 s
instead of the configured 6 s, trades never). Every client of a run's market channels
(live, paper relay, `hlofi record`) takes its settings through `ws_client_config`.
"""

from __future__ import annotations

import dataclasses

from hyperliquid_ofi_trader.config.models import FeedThresholds
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (
    WsClientConfig,
    market_cadences_s,
)


def ws_client_config(feed: FeedThresholds, base: WsClientConfig | None = None) -> WsClientConfig:
    """`base` (transport knobs: backoff, timeouts, tick) with the feed keys of the config.

    Private channels keep the client's cadences (event-driven: silence is normal); the
    configured market channels replace theirs."""
    cadences = market_cadences_s(feed.cadence_ms.as_mapping())
    return dataclasses.replace(base if base is not None else WsClientConfig(),
                               stale_factor=feed.stale_factor, cadence_s=cadences,
                               ping_interval_s=feed.ping_interval_s)
