"""Model guarantees: frozen, read-only mappings, documented fields, units in names."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel, ValidationError

from hyperliquid_ofi_trader.config.loader import load_config
from hyperliquid_ofi_trader.config.models import AppConfig, LeadLagPair, Network, RiskConfig


def _models(root: type[BaseModel]) -> set[type[BaseModel]]:
    """Every model class reachable from `root` through field annotations."""
    found = {root}
    for field in root.model_fields.values():
        for arg in _flatten(field.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel) and arg not in found:
                found |= _models(arg)
    return found


def _flatten(annotation: object) -> list[object]:
    out = [annotation]
    for arg in typing.get_args(annotation):
        out += _flatten(arg)
    return out


def test_config_is_frozen() -> None:
    config = load_config()
    with pytest.raises(ValidationError, match="frozen"):
        config.risk.limits.max_order_usd = 1e9  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        config.symbols.lead_lag[0].window_ms = 10  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        config.risk = config.risk  # type: ignore[misc]


def test_mappings_are_read_only() -> None:
    config = load_config()
    with pytest.raises(TypeError):
        config.symbols.coins["SOL"] = config.symbols.coins["ETH"]  # type: ignore[index]
    with pytest.raises(TypeError):
        config.risk.limits.max_position_usd["ETH"] = 1e12  # type: ignore[index]
    with pytest.raises(TypeError):
        config.thresholds.alpha.weights.as_mapping()["ofi"] = 1.0  # type: ignore[index]
    assert isinstance(config.symbols.traded, tuple)


def test_every_field_is_documented() -> None:
    undocumented = [
        f"{model.__name__}.{name}"
        for model in _models(AppConfig)
        for name, field in model.model_fields.items()
        if not field.description
    ]
    assert undocumented == []


def test_every_model_is_strict_frozen_and_closed() -> None:
    for model in _models(AppConfig):
        assert model.model_config.get("frozen") is True, model.__name__
        assert model.model_config.get("extra") == "forbid", model.__name__
        assert model.model_config.get("strict") is True, model.__name__


def test_network_defaults_to_testnet_in_the_model() -> None:
    assert RiskConfig.model_fields["network"].default is Network.TESTNET


def test_models_validate_when_built_in_code() -> None:
    with pytest.raises(ValidationError, match="lead and lag must be two different coins"):
        LeadLagPair(lead="BTC", lag="BTC", window_ms=100)
    with pytest.raises(ValidationError, match="must be > 0 and < 300 ms"):
        LeadLagPair(lead="BTC", lag="ETH", window_ms=300)
    assert LeadLagPair(lead="BTC", lag="ETH", window_ms=1).window_ms == 1


def test_ns_views_scale_milliseconds() -> None:
    thresholds = load_config().thresholds
    assert thresholds.feed.cadence_ms.as_ns_mapping()["l2Book"] == 5_000 * 1_000_000
    assert thresholds.signals.stale_after_ms.as_ns_mapping()["leadlag"] == 500 * 1_000_000
    assert set(thresholds.signals.stale_after_ms.as_mapping()) == {
        "ofi",
        "leadlag",
        "aggressive_volume",
        "microprice",
    }


def test_replaced_is_a_validated_copy_of_a_section() -> None:
    """Tests and benches vary one knob of a loaded section; a value the YAML could not
    hold raises, and the original is untouched."""
    ws = load_config().risk.websocket
    fast = ws.replaced(tick_s=0.01, reconnect=ws.reconnect.replaced(base_s=0.01))
    assert (fast.tick_s, fast.reconnect.base_s) == (0.01, 0.01)
    assert fast.reconnect.max_s == ws.reconnect.max_s
    assert ws.tick_s == 0.1
    with pytest.raises(ValidationError, match="silence_timeout_s must exceed tick_s"):
        ws.replaced(tick_s=ws.silence_timeout_s)
    with pytest.raises(ValidationError):
        ws.replaced(tick_s="0.1")  # strict, as the YAML is
    feed = load_config().thresholds.feed
    assert feed.replaced(stale_factor=2.0).cadence_ms == feed.cadence_ms  # aliased keys
