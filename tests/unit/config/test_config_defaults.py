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

from hyperliquid_ofi_trader.config.loader import load_config
from hyperliquid_ofi_trader.config.models import AppConfig
from hyperliquid_ofi_trader.core.engine import EngineSettings
from hyperliquid_ofi_trader.execution.router import RouterSettings
from hyperliquid_ofi_trader.risk.kill_switch import KillSwitch

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
        # Known drift, left to the router's owner (issue 12): a RouterSettings built by
        # hand enters without evidence; the packaged forecast.min_evidence is 5.
        (RouterSettings.from_config(cfg), {"min_forecast_evidence"}),
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
