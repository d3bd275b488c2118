"""Issue 12 item 7: the lead-lag verdict does not flip with the grid step, the move is
measured after a reaction delay, and small samples are flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperliquid_ofi_trader.research import leadlag_xcorr
from hyperliquid_ofi_trader.research.recordings import load_market
from hyperliquid_ofi_trader.signals.leadlag import LeadLagSignal
from hyperliquid_ofi_trader.sim.synthetic_recording import record_scenario
from tests.unit.research.test_research_analyses import MS, S, lead_lag_pair

pytestmark = pytest.mark.timeout(120)


def _signal() -> LeadLagSignal:
    return LeadLagSignal(50 * MS, 2.0, 5 * S, lead_coin="L", lag_coin="F")


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("leadlag")
    return {name: record_scenario(name, 21, 300.0, root / name).out_dir
            for name in ("exploitable", "no-edge")}


@pytest.mark.parametrize(("scenario", "forecasts"), [("exploitable", True),
                                                     ("no-edge", False)])
def test_the_verdict_is_the_same_on_every_grid_step(recordings: dict[str, Path],
                                                    scenario: str, forecasts: bool) -> None:
    lead = load_market(recordings[scenario], "BTC").book
    lag = load_market(recordings[scenario], "ETH").book
    verdicts = set()
    for step in (5.0, 20.0, 100.0):
        report = leadlag_xcorr.analyse(lead, lag, max_lag_ms=500.0, step_ms=step,
                                       shifts=0, latency_ms=180.0)
        assert report.regression is not None
        assert report.regression.forecasts is forecasts
        verdicts.add(report.verdict)
    assert len(verdicts) == 1
    assert ("forecasts" in verdicts.pop()) is forecasts


def test_the_move_is_measured_after_the_reaction_delay() -> None:
    """The follower copies the lead 40 ms later: reacting at once catches the move, reacting
    after 300 ms finds it gone."""
    lead, lag = lead_lag_pair(40, n=120_000)
    fast = leadlag_xcorr.hit_rate(lead, lag, _signal(),
                                  200 * MS, 0)
    slow = leadlag_xcorr.hit_rate(lead, lag, _signal(),
                                  200 * MS, 300 * MS)
    assert fast.mean_move_bps > 0.0
    assert fast.move_t > 3.0
    assert abs(slow.move_t) < 3.0
    assert slow.latency_ms == 300.0
    reg_fast = leadlag_xcorr.block_regression(lead, lag, window_ms=50.0, latency_ms=0.0,
                                              horizon_ms=200.0)
    reg_slow = leadlag_xcorr.block_regression(lead, lag, window_ms=50.0, latency_ms=300.0,
                                              horizon_ms=200.0)
    assert reg_fast.forecasts
    assert not reg_slow.forecasts
    assert "no forecast power" in reg_slow.verdict


def test_small_samples_are_flagged_and_claim_nothing() -> None:
    lead, lag = lead_lag_pair(40, n=20_000)  # 20 s: 26 blocks of 750 ms
    reg = leadlag_xcorr.block_regression(lead, lag, window_ms=50.0, latency_ms=0.0,
                                         horizon_ms=700.0)
    assert reg.small_sample
    assert not reg.forecasts
    assert reg.verdict.startswith("too few samples")
    hr = leadlag_xcorr.hit_rate(lead, lag, _signal(),
                                200 * MS)
    assert hr.small_sample == (hr.hits + hr.misses < leadlag_xcorr.MIN_DECIDED)
