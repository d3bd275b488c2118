"""A backtest applies the live recovery policy (risk.yaml `recovery`): a halt that live
trading leaves by itself (a book that vanished for a moment) must not latch for the rest
of the backtest; a trigger the policy latches stays latched."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperliquid_ofi_trader.backtest.report import summarize
from hyperliquid_ofi_trader.backtest.runner import run_backtest
from hyperliquid_ofi_trader.config import load_config
from hyperliquid_ofi_trader.sim.synthetic_recording import record_scenario

pytestmark = pytest.mark.timeout(180)

# Seed 101 of `exploitable`: the ETH book thins below the kill switch's depth floor for
# one snapshot 179 s in (measured; the market is deterministic per seed). The packaged
# kill switch wants a thin book to persist (`depth_vanish_sustain_ms`), so these tests
# judge every thin snapshot as a vanish (0 ms) to exercise the recovery policy.
_SEED, _SPAN_S = 101, 200.0
_ONE_SNAPSHOT = "kill_switch:\n  depth_vanish_sustain_ms: 0\n"


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record_scenario("exploitable", _SEED, _SPAN_S,
                           tmp_path_factory.mktemp("rec") / "r").out_dir


def _transitions(out: Path) -> list[tuple[str, str, str]]:
    s = summarize(out)
    return [(c.to_state, c.trigger, c.reason) for c in s.state_changes]


def _config(tmp_path: Path, risk_yaml: str) -> Path:
    config = tmp_path / "config"
    config.mkdir()
    (config / "risk.yaml").write_text(risk_yaml)
    return config


def test_a_one_snapshot_sweep_does_not_halt_by_default(recording: Path,
                                                       tmp_path: Path) -> None:
    result = run_backtest(load_config(), recording, tmp_path / "bt")
    assert not [c for c in _transitions(tmp_path / "bt") if "depth_vanish" in c[2]]
    assert result.engine["trading_state"] == "ACTIVE"


def test_a_vanished_book_halts_then_recovers(recording: Path, tmp_path: Path) -> None:
    config = _config(tmp_path, _ONE_SNAPSHOT)
    result = run_backtest(load_config(config), recording, tmp_path / "bt")
    changes = _transitions(tmp_path / "bt")
    assert changes[0][0] == "HALTED"
    assert "depth_vanish" in changes[0][2]
    assert changes[1][:2] == ("ACTIVE", "auto_recover")
    assert result.engine["trading_state"] == "ACTIVE"


def test_a_latching_policy_keeps_it_halted(recording: Path, tmp_path: Path) -> None:
    config = _config(tmp_path, _ONE_SNAPSHOT +
        "recovery:\n  auto_recover: [feed_lost, stale_feed, order_rtt, feed_lag]\n"
        "  latch: [consecutive_slippage, daily_loss, stage_errors, operator_kill, manual, "
        "depth_vanish]\n")
    result = run_backtest(load_config(config), recording, tmp_path / "bt")
    changes = _transitions(tmp_path / "bt")
    assert [c[0] for c in changes] == ["HALTED"]
    assert result.engine["trading_state"] == "HALTED"
