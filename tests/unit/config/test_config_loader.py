"""Loading: packaged defaults, per-key user overrides, file-level errors, YAML round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hyperliquid_ofi_trader.config.errors import ConfigError
from hyperliquid_ofi_trader.config.loader import (
    CONFIG_FILES,
    DEFAULTS_DIR,
    build_config,
    deep_merge,
    dump_yaml,
    load_config,
)
from hyperliquid_ofi_trader.config.models import AppConfig, Network


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(user_dir: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(user_dir)
    return str(info.value)


def test_defaults_load_with_the_documented_values() -> None:
    config = load_config()
    assert config.source_dir == DEFAULTS_DIR
    assert config.symbols.coins["BTC"].sz_decimals == 5
    assert config.symbols.coins["ETH"].max_leverage == 25
    assert (config.symbols.lead_lag[0].lead, config.symbols.lead_lag[0].lag) == ("BTC", "ETH")
    assert config.symbols.lead_lag[0].window_ms == 250
    assert config.symbols.traded == ("ETH",)
    assert config.thresholds.feed.cadence_ms.for_channel("activeAssetCtx") == 10_000
    assert config.thresholds.feed.stale_after_ms("bbo") == pytest.approx(6_000.0)
    assert dict(config.thresholds.alpha.weights.as_mapping()) == pytest.approx(
        {"ofi": 0.5, "leadlag": 0.3, "aggressive_volume": 0.1, "microprice": 0.1}
    )
    assert config.risk.stage_errors.reducing_after == 3
    assert config.risk.journal.path == "journal.sqlite"


def test_mainnet_is_never_the_default(tmp_path: Path) -> None:
    assert load_config().risk.network is Network.TESTNET
    packaged = yaml.safe_load((DEFAULTS_DIR / "risk.yaml").read_text(encoding="utf-8"))
    assert packaged["network"] == "testnet"
    # A user risk.yaml that does not mention the network stays on testnet.
    _write(tmp_path, "risk.yaml", "limits:\n  max_order_usd: 50.0\n")
    assert load_config(tmp_path).risk.network is Network.TESTNET
    assert not load_config(tmp_path).is_mainnet


def test_mainnet_must_be_set_explicitly(tmp_path: Path) -> None:
    _write(tmp_path, "risk.yaml", "network: mainnet\n")
    config = load_config(tmp_path)
    assert config.risk.network is Network.MAINNET
    assert config.is_mainnet


def test_user_file_overrides_only_the_keys_it_sets(tmp_path: Path) -> None:
    _write(tmp_path, "thresholds.yaml", "ofi:\n  window_ms: 500\n")
    config = load_config(tmp_path)
    defaults = load_config()
    assert config.source_dir == tmp_path
    assert config.thresholds.ofi.window_ms == 500
    assert config.thresholds.ofi.levels == defaults.thresholds.ofi.levels
    assert config.thresholds.router == defaults.thresholds.router
    assert config.symbols == defaults.symbols
    assert config.risk == defaults.risk


def test_user_can_add_a_coin_and_trade_it(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "symbols.yaml",
        "coins:\n  SOL: {sz_decimals: 2, max_leverage: 20}\ntraded: [SOL]\n",
    )
    _write(tmp_path, "risk.yaml", "limits:\n  max_position_usd:\n    SOL: 500.0\n")
    config = load_config(tmp_path)
    # Mappings merge key by key, lists replace.
    assert set(config.symbols.coins) == {"BTC", "ETH", "SOL"}
    assert config.symbols.traded == ("SOL",)
    assert dict(config.risk.limits.max_position_usd) == {"ETH": 1000.0, "SOL": 500.0}


def test_empty_user_file_changes_nothing(tmp_path: Path) -> None:
    _write(tmp_path, "symbols.yaml", "# nothing to change\n")
    assert load_config(tmp_path).symbols == load_config().symbols


def test_unknown_file_in_user_folder_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path, "risk.yml", "network: testnet\n")
    message = _error(tmp_path)
    assert "risk.yml: unknown config file" in message
    assert "allowed: symbols.yaml, thresholds.yaml, risk.yaml" in message


def test_hidden_files_in_user_folder_are_ignored(tmp_path: Path) -> None:
    _write(tmp_path, ".risk.yaml.swp", "garbage: [")
    assert load_config(tmp_path).risk == load_config().risk


def test_missing_user_folder_is_an_error(tmp_path: Path) -> None:
    assert "is not a directory" in _error(tmp_path / "nope")


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    _write(tmp_path, "symbols.yaml", "lead_lag:\n  lead: BTC\n  lag: [ETH\n")
    message = _error(tmp_path)
    assert "symbols.yaml" in message
    assert "line 4" in message
    assert "invalid YAML" in message


def test_duplicate_key_is_a_yaml_error_with_its_line(tmp_path: Path) -> None:
    _write(tmp_path, "risk.yaml", "network: testnet\nlimits: {}\nnetwork: mainnet\n")
    message = _error(tmp_path)
    assert "risk.yaml" in message
    assert "line 3" in message
    assert "duplicate key 'network'" in message


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    _write(tmp_path, "risk.yaml", "- testnet\n")
    assert "must be a mapping of keys at the top level, not list" in _error(tmp_path)


def test_every_broken_file_is_reported_at_once(tmp_path: Path) -> None:
    _write(tmp_path, "risk.yaml", "a: [\n")
    _write(tmp_path, "symbols.yaml", "b: {\n")
    message = _error(tmp_path)
    assert message.startswith("2 configuration errors:")
    assert "risk.yaml" in message
    assert "symbols.yaml" in message


def test_errors_across_files_are_all_listed(tmp_path: Path) -> None:
    _write(tmp_path, "risk.yaml", "kill_switch:\n  max_feed_lag_ms: -5\n")
    _write(tmp_path, "symbols.yaml", "lead_lag:\n  window_ms: 300\n")
    message = _error(tmp_path)
    assert message.startswith("2 configuration errors:")
    assert "risk.yaml: kill_switch.max_feed_lag_ms = -5: must be > 0" in message
    assert "symbols.yaml: lead_lag[0].window_ms = 300: must be > 0 and < 300 ms" in message


def test_build_config_rejects_unknown_file_names() -> None:
    with pytest.raises(ConfigError, match=r"foo\.yaml: unknown config file"):
        build_config({"foo.yaml": {}})


def test_deep_merge_merges_mappings_and_replaces_the_rest() -> None:
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 2}
    merged = deep_merge(base, {"a": {"y": [3]}, "c": 4})
    assert merged == {"a": {"x": 1, "y": [3]}, "b": 2, "c": 4}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 2}  # inputs untouched


def test_dump_yaml_round_trips_as_a_user_folder(tmp_path: Path) -> None:
    original = build_config(
        {
            "symbols.yaml": {"book": {"n_sig_figs": 5}},
            "thresholds.yaml": {"microprice": {"model_path": "models/mp.npz"}},
            "risk.yaml": {"network": "mainnet"},
        }
    )
    documents = dump_yaml(original).split("---\n")
    assert len(documents) == len(CONFIG_FILES)
    for name, text in zip(CONFIG_FILES, documents, strict=True):
        assert text.startswith(f"# {name}\n")
        _write(tmp_path, name, text)
    reloaded = load_config(tmp_path)
    assert isinstance(reloaded, AppConfig)
    for section in ("symbols", "thresholds", "risk"):
        assert getattr(reloaded, section) == getattr(original, section)


def test_non_string_keys_are_named_with_a_hint(tmp_path: Path) -> None:
    # YAML 1.1 reads a bare `on` as true and `1.5` as a number.
    _write(tmp_path, "risk.yaml", "on: 1\nlimits:\n  1.5: 2\n")
    message = _error(tmp_path)
    assert "risk.yaml: key true is not a string (quote it" in message
    assert "risk.yaml: limits: key 1.5 is not a string" in message


@pytest.mark.parametrize(("text", "value"), [("2e6", 2e6), ("1.0e12", 1e12), ("-3E-2", -0.03),
                                             ("1_000.5", 1000.5), (".5", 0.5)])
def test_exponent_floats_read_as_numbers(tmp_path: Path, text: str, value: float) -> None:
    """YAML 1.1 (PyYAML's default) reads `2e6` as a string; a config reads it as a number."""
    _write(tmp_path, "thresholds.yaml",
           f"regime:\n  liquidation:\n    burst_notional_usd: {text}\n")
    if value > 0:
        cfg = load_config(tmp_path)
        assert cfg.thresholds.regime.liquidation.burst_notional_usd == value
    else:
        with pytest.raises(ConfigError, match=r"burst_notional_usd = -0\.03: "):
            load_config(tmp_path)


def test_plain_ints_and_words_keep_their_types(tmp_path: Path) -> None:
    _write(tmp_path, "risk.yaml", "limits:\n  max_orders_per_minute: 30\n")
    assert load_config(tmp_path).risk.limits.max_orders_per_minute == 30
    _write(tmp_path, "risk.yaml", "limits:\n  max_orders_per_minute: 3e1x\n")
    with pytest.raises(ConfigError, match=r'max_orders_per_minute = "?3e1x"?: '):
        load_config(tmp_path)


def test_config_error_survives_a_process_boundary(tmp_path: Path) -> None:
    """A sweep worker's ConfigError reaches the driver as the same problems."""
    import pickle

    _write(tmp_path, "risk.yaml", "limits:\n  max_order_usd: -1\n  max_orders_per_minute: 0\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    again = pickle.loads(pickle.dumps(caught.value))
    assert isinstance(again, ConfigError)
    assert again.issues == caught.value.issues
    assert str(again) == str(caught.value)
    assert len(again.issues) == 2
