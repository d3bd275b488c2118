"""Seed-only keys (config/inert.py): valid, listed when changed, and truly without effect
on the strategy every run mode assembles."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hyperliquid_ofi_trader.backtest.runner import record_synthetic, run_backtest
from hyperliquid_ofi_trader.config.inert import inert_grid_keys, inert_settings
from hyperliquid_ofi_trader.config.loader import DEFAULTS_DIR, build_config, load_config
from hyperliquid_ofi_trader.core.engine import EngineSettings
from hyperliquid_ofi_trader.runtime import assembly
from hyperliquid_ofi_trader.runtime.assembly import build_markets, build_strategy

SEED_ONLY = {"thresholds.yaml": {"alpha": {"weights": {"ofi": 0.2, "leadlag": 0.6},
                                           "compression_scale": 3.0},
                                 "router": {"ofi_mid": 1.5}}}


def test_the_packaged_config_and_a_copy_of_it_change_none() -> None:
    assert inert_settings(load_config()) == []
    assert inert_settings(load_config(DEFAULTS_DIR)) == []  # the packaged files as a user's


def test_each_changed_seed_only_key_is_named_with_what_decides_instead() -> None:
    lines = inert_settings(build_config(SEED_ONLY))
    assert [line.split(" = ")[0] for line in lines] == [
        "thresholds.yaml alpha.weights.ofi", "thresholds.yaml alpha.weights.leadlag",
        "thresholds.yaml alpha.compression_scale", "thresholds.yaml router.ofi_mid"]
    assert "forecast.alpha_scale_bps" in lines[0]
    assert "(default 0.5)" in lines[0]
    assert "router.ofi_high" in lines[3]


def test_a_sweep_grid_key_under_a_seed_only_key_is_named() -> None:
    lines = inert_grid_keys(["thresholds.alpha.weights.ofi", "thresholds.router.ofi_high",
                             "thresholds.router.ofi_mid", "thresholds.alpha.weightsx",
                             "thresholds.alpha.compression_scale"])
    assert [line.split(" ")[0] for line in lines] == [
        "thresholds.alpha.weights.ofi", "thresholds.router.ofi_mid",
        "thresholds.alpha.compression_scale"]
    assert all("run the same decisions" in line for line in lines)


def test_the_assembly_warns_once_per_key(caplog: pytest.LogCaptureFixture,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assembly, "_WARNED_INERT", set())
    cfg = build_config(SEED_ONLY)
    markets = build_markets(EngineSettings.from_config(cfg))
    with caplog.at_level(logging.WARNING, logger=assembly.__name__):
        build_strategy(cfg, markets)
        build_strategy(cfg, markets)  # a sweep's next point in the same process
    warned = [r.getMessage() for r in caplog.records if "has no effect" in r.getMessage()]
    assert len(warned) == 4
    assert all(m.startswith("config: thresholds.yaml ") for m in warned)


def test_they_do_not_change_a_single_journal_byte(tmp_path: Path) -> None:
    """The claim itself: if the assembled strategy ever reads one of them, this fails and
    the key must leave config/inert.py."""
    data = tmp_path / "data"
    assert record_synthetic(data, 60.0, seed=11) > 500
    default = run_backtest(load_config(), data, tmp_path / "default", seed=2)
    changed = run_backtest(build_config(SEED_ONLY), data, tmp_path / "changed", seed=2)
    assert default.engine["decisions"] > 500
    assert changed.journal_sha256 == default.journal_sha256
