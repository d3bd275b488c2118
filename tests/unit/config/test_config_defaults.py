"""Defaults live in one place: the packaged YAML (config/defaults/*.yaml).

The schema carries no defaults of its own (every key is required and the packaged files
give each one), but for the safety net `network: testnet` and the strategy sections
(forecast, costs, router) whose defaults are kept this session; those must equal the
YAML. Components whose settings have defaults for seed-style construction (`KillSwitch()`)
must default to what the packaged config gives them, so the components' defaults are the
YAML's, checked here. The signal stage has no settings type: it reads its sections.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec
import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from hyperliquid_ofi_trader.alpha.forecast import OnlineForecast
from hyperliquid_ofi_trader.alpha.forecast_model import ForecastModel
from hyperliquid_ofi_trader.config.loader import load_config
from hyperliquid_ofi_trader.config.models import AppConfig
from hyperliquid_ofi_trader.core.engine import EngineSettings
from hyperliquid_ofi_trader.execution.costs import CostModel, cost_settings
from hyperliquid_ofi_trader.execution.order_records import OrderManagerSettings
from hyperliquid_ofi_trader.execution.router import RouterSettings
from hyperliquid_ofi_trader.feedback.trust_score import TrustSettings
from hyperliquid_ofi_trader.risk.kill_switch import KillSwitch
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import RateLimiter
from hyperliquid_ofi_trader.venues.hyperliquid.execution.gateway import GatewaySettings
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.client import (
    HyperliquidWsClient,
    WsClientConfig,
)

# (section path, field): schema defaults allowed this session. `network` is a safety net;
# the strategy sections belong to the strategy engineer (issue 12), whose defaults are
# pinned to the YAML below until they move out too.
_KEPT = ("risk.network", "thresholds.forecast", "thresholds.costs", "thresholds.router.")


def _fields(model: type[BaseModel], prefix: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            out += _fields(sub, f"{key}.")
        out.append((key, info))
    return out


def _value(cfg: AppConfig, key: str) -> Any:
    value: Any = cfg
    for part in key.split("."):
        value = getattr(value, part)
    return value


def test_the_schema_has_no_defaults_of_its_own() -> None:
    cfg = load_config()
    own = []
    for key, info in _fields(AppConfig, ""):
        if info.default is PydanticUndefined and info.default_factory is None:
            continue
        if key == "source_dir" or not key.startswith(_KEPT):
            own.append(key)
            continue
        default = info.default_factory() if info.default_factory else info.default
        if not isinstance(default, BaseModel):
            assert default == _value(cfg, key), f"{key}: schema default != packaged YAML"
    assert own == [], "defaults belong in config/defaults/*.yaml"


def _defaults(settings_type: type) -> dict[str, Any]:
    if dataclasses.is_dataclass(settings_type):
        return {f.name: f.default_factory() if f.default_factory is not dataclasses.MISSING
                else f.default for f in dataclasses.fields(settings_type)
                if f.default is not dataclasses.MISSING
                or f.default_factory is not dataclasses.MISSING}
    assert issubclass(settings_type, msgspec.Struct)
    info = msgspec.structs.fields(settings_type)
    return {f.name: f.default for f in info if f.default is not msgspec.NODEFAULT}


def _packaged_settings() -> list[tuple[object, set[str]]]:
    """Each component's settings from the packaged config, and the defaults that are not
    config keys (wiring, or values the config gives per run)."""
    cfg = load_config()
    return [
        (RouterSettings.from_config(cfg), set()),
        (EngineSettings.from_config(cfg), set()),
        # TacticsSettings is the router section's tactics part, built only by the router.
        (RouterSettings.from_config(cfg).tactics_settings(), set()),
    ]


def test_the_kill_switch_keyword_defaults_are_the_packaged_values() -> None:
    """A switch built from its section alone sums the packaged regime's depth levels."""
    cfg = load_config()
    plain, packaged = KillSwitch(cfg.risk.kill_switch), KillSwitch.from_config(cfg)
    assert plain.depth_levels == packaged.depth_levels
    assert plain.depth_min_samples == packaged.depth_min_samples


@pytest.mark.parametrize(("settings", "not_config"), _packaged_settings(),
                         ids=lambda x: type(x).__name__ if not isinstance(x, set) else "")
def test_component_defaults_are_the_packaged_values(settings: object,
                                                    not_config: set[str]) -> None:
    defaults = _defaults(type(settings))
    differ = {name: (default, getattr(settings, name)) for name, default in defaults.items()
              if name not in not_config and default != getattr(settings, name)}
    assert differ == {}


def test_engine_settings_default_only_the_engine_own_knobs() -> None:
    """Config-derived engine settings have no default of their own: a hand-built
    EngineSettings cannot silently drift from the packaged YAML (from_config is the way)."""
    assert set(_defaults(EngineSettings)) == {"auto_resume_on_feed_recovery", "flush_timer"}


def test_the_cost_model_takes_the_costs_section_with_no_defaults_of_its_own() -> None:
    """CostModel reads thresholds.yaml `costs` itself: a seed-style CostModel() prices with
    the packaged section (its old mirror type priced the adverse prior as 20 fills, not the
    YAML's 5), and a run's model with the run's section."""
    cfg = load_config()
    assert CostModel().settings == cfg.thresholds.costs
    assert CostModel().explain()["adverse_bps"] == cfg.thresholds.costs.adverse_prior_bps
    assert cost_settings(cfg) is cfg.thresholds.costs


def test_the_online_forecast_and_trust_take_the_forecast_section() -> None:
    """OnlineForecast reads thresholds.yaml `forecast` itself (its mirror type is gone): the
    seed-style defaults are the packaged section, and the trust's z_full is the section's
    trust_z_full (no copy with a default of its own)."""
    f = load_config().thresholds.forecast
    trust = TrustSettings()
    assert trust.online == f
    assert trust.z_full == f.trust_z_full
    assert trust.default_coin == load_config().symbols.traded[0]
    assert "z_full" not in _defaults(TrustSettings)
    assert OnlineForecast(ForecastModel.zero("BTC", ("ofi",), 1_000, 100)).settings == f


def test_a_ws_client_built_without_settings_watches_the_packaged_feed() -> None:
    """The client's market cadences are thresholds.yaml `feed` (they were bbo 5 s and
    trades never, against the YAML's 2 s and 30 s), its transport risk.yaml `websocket`."""
    cfg = load_config()
    feed = cfg.thresholds.feed
    plain = HyperliquidWsClient("ws://127.0.0.1:1/ws", [], lambda raw, ns: [],
                                lambda e: None)
    assert plain.config == WsClientConfig.from_config(cfg)
    for channel, ms in feed.cadence_ms.as_mapping().items():
        assert plain.config.cadence_s[channel] == ms / 1000, channel
    assert plain.config.backoff == cfg.risk.websocket.reconnect


# Runtime types kept in the components' own units (ns, s) for the hot path or because they
# combine sections: each is built by its from_config and has no default of its own.
_FROM_CONFIG_ONLY: tuple[type, ...] = (OrderManagerSettings, GatewaySettings, WsClientConfig)


@pytest.mark.parametrize("settings_type", _FROM_CONFIG_ONLY, ids=lambda t: t.__name__)
def test_runtime_settings_types_have_no_defaults_of_their_own(settings_type: type) -> None:
    assert _defaults(settings_type) == {}


def test_the_rate_limiter_takes_the_rate_limits_section() -> None:
    """The client-side budgets are risk.yaml `rate_limits` (their mirror type is gone): a
    RateLimiter built without settings budgets with the packaged section."""
    assert RateLimiter().settings == load_config().risk.rate_limits
