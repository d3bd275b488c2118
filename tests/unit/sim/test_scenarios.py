"""Synthetic scenarios: names, the offline recorder, and the bound that defines them."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperliquid_ofi_trader.data.replay_sources import ReadStats, iter_frames
from hyperliquid_ofi_trader.data.synthetic_meta import read_metadata, synthetic_label
from hyperliquid_ofi_trader.research.oracle import OracleSettings, oracle
from hyperliquid_ofi_trader.sim.scenarios import SCENARIOS, settings_for
from hyperliquid_ofi_trader.sim.synthetic import (
    LeadLagSpec,
    SyntheticConfigError,
    SyntheticMarket,
    SyntheticSettings,
)
from hyperliquid_ofi_trader.sim.synthetic_recording import (
    SyntheticRecordingError,
    record_scenario,
)

_MS = 1_000_000


def test_the_three_scenarios_exist_and_an_unknown_name_is_a_clear_error() -> None:
    assert set(SCENARIOS) == {"realistic", "no-edge", "exploitable"}
    with pytest.raises(SyntheticConfigError, match=r"unknown scenario 'nope'.*exploitable"):
        settings_for("nope")


def test_realistic_is_todays_calibration_bit_for_bit() -> None:
    today = SyntheticMarket(SyntheticSettings(), seed=5).run_for(3_000 * _MS)
    assert SyntheticMarket(settings_for("realistic"), seed=5).run_for(3_000 * _MS) == today


def test_exploitable_differs_from_realistic_only_in_the_lag_response() -> None:
    realistic, exploitable = settings_for("realistic"), settings_for("exploitable")
    assert exploitable.lead_lag is not None
    assert realistic.lead_lag is not None
    assert exploitable.lead_lag.delay_ms == realistic.lead_lag.delay_ms <= 300
    assert exploitable.lead_lag.beta > realistic.lead_lag.beta
    assert exploitable.lead_lag.catchup_ms > 0.0
    for name in SyntheticSettings.__dataclass_fields__:
        if name != "lead_lag":
            assert getattr(exploitable, name) == getattr(realistic, name), name


def test_no_edge_has_no_lead_lag() -> None:
    assert settings_for("no-edge").lead_lag is None


def test_catchup_spreads_the_lag_response_over_time() -> None:
    """After a lead jump, an immediate follower has moved fully one block after the delay;
    a catching-up one only part of the way."""
    def lag_move(catchup_ms: float) -> float:
        settings = SyntheticSettings(lead_lag=LeadLagSpec(beta=2.0, catchup_ms=catchup_ms),
                                     block_jitter_ms=0)
        market = SyntheticMarket(settings, seed=3)
        market.next_block()
        before = market._fair.x["ETH"] - market._fair._idio
        market._fair.jump("BTC", 10e-4)
        for _ in range(3):  # 300 ms: past the 150 ms delay
            market.next_block()
        return (market._fair.x["ETH"] - market._fair._idio) - before

    immediate, spread = lag_move(0.0), lag_move(1_000.0)
    assert immediate > 15e-4  # ~ beta x 10 bps, plus BTC's own walk
    assert 0.0 < spread < 0.5 * immediate


def test_bad_catchup_is_refused() -> None:
    with pytest.raises(SyntheticConfigError, match="catchup_ms"):
        LeadLagSpec(catchup_ms=-1.0)


def test_sim_record_writes_a_readable_labelled_recording(tmp_path: Path) -> None:
    info = record_scenario("no-edge", 7, 20.0, tmp_path / "rec")
    stats = ReadStats()
    frames = list(iter_frames(tmp_path / "rec", stats))
    assert len(frames) == info.frames > 100
    assert stats.skipped_files == 0  # recording.json is metadata, not a damaged recording
    times = [ns for ns, _ in frames]
    assert times == sorted(times)
    meta = read_metadata(tmp_path / "rec")
    assert meta is not None
    assert meta["synthetic"]
    assert meta["scenario"] == "no-edge"
    assert meta["seed"] == 7
    assert synthetic_label(tmp_path / "rec") == "SYNTHETIC (scenario no-edge, seed 7)"
    assert synthetic_label(tmp_path) is None


def test_receive_times_carry_a_feed_delay(tmp_path: Path) -> None:
    """Receive time = exchange time + a delay, or the backtest's recorded feed mode would
    see the venue with zero latency."""
    import orjson

    record_scenario("realistic", 1, 10.0, tmp_path / "rec")
    lags = []
    for local_ns, raw in iter_frames(tmp_path / "rec"):
        data = orjson.loads(raw)["data"]
        if isinstance(data, dict) and "time" in data:
            lags.append(local_ns - data["time"] * _MS)
    lags.sort()
    assert lags[0] > 0
    assert 40 * _MS < lags[len(lags) // 2] < 200 * _MS


def test_same_seed_same_recording(tmp_path: Path) -> None:
    record_scenario("exploitable", 3, 5.0, tmp_path / "a")
    record_scenario("exploitable", 3, 5.0, tmp_path / "b")
    assert list(iter_frames(tmp_path / "a")) == list(iter_frames(tmp_path / "b"))


def test_refuses_a_non_empty_folder_and_a_bad_duration(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("keep me")
    with pytest.raises(SyntheticRecordingError, match="not empty"):
        record_scenario("realistic", 1, 1.0, tmp_path)
    with pytest.raises(SyntheticRecordingError, match="positive"):
        record_scenario("realistic", 1, 0.0, tmp_path / "new")


def test_exploitable_meets_its_definition_over_an_hour(tmp_path: Path) -> None:
    """Issue 12: a clairvoyant taker with the backtest's latency nets >= 3 bps per round
    trip on >= 50 opportunities per hour. Judged over an hour: a 15-minute window can be
    calm (regimes switch every few minutes)."""
    record_scenario("exploitable", 44, 3600.0, tmp_path / "ex")
    result = oracle(tmp_path / "ex", OracleSettings())
    assert result["opportunities"]["taker_per_hour"] >= 50.0, result
    assert result["taker"]["net_bps"] >= 3.0, result


@pytest.mark.parametrize("seed", [5, 27])
def test_exploitable_meets_its_definition_in_every_15_minute_window(tmp_path: Path,
                                                                     seed: int) -> None:
    """Not only on average: on every seed, with margin. Seeds 5 and 27 fell short at beta 6
    (36 and 48 per hour; bench/bench_scenario_bound.py over seeds 1-30)."""
    record_scenario("exploitable", seed, 900.0, tmp_path / "ex")
    result = oracle(tmp_path / "ex", OracleSettings())
    assert result["opportunities"]["taker_per_hour"] >= 100.0, result


def test_realistic_and_no_edge_offer_next_to_nothing(tmp_path: Path) -> None:
    for name in ("realistic", "no-edge"):
        record_scenario(name, 44, 900.0, tmp_path / name)
        result = oracle(tmp_path / name, OracleSettings())
        assert result["opportunities"]["taker_per_hour"] < 25.0, (name, result)


def test_no_edge_ofi_impact_is_only_contemporaneous(tmp_path: Path) -> None:
    """no-edge: OFI explains the move of its own second and forecasts nothing after it."""
    from hyperliquid_ofi_trader.research import ofi_impact
    from hyperliquid_ofi_trader.research.recordings import load_market

    record_scenario("no-edge", 9, 600.0, tmp_path / "rec")
    book = load_market(tmp_path / "rec", "ETH").book
    report = ofi_impact.analyse(book, [1_000_000_000], 0.1)
    now = ofi_impact.find(report, 1.0, "ofi", ofi_impact.CONTEMPORANEOUS)
    later = ofi_impact.find(report, 1.0, "ofi", ofi_impact.PREDICTIVE)
    assert now.r2 > 0.3
    assert later.r2 < 0.02
