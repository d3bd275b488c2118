"""The backtest runner on a short synthetic recording: timing of venue vs engine,
determinism, modelled feed, refusals; and the `hlofi backtest` command."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.backtest import runner
from hyperliquid_ofi_trader.backtest.report_data import journal_sha256
from hyperliquid_ofi_trader.backtest.runner import (
    BacktestError,
    record_synthetic,
    run_backtest,
)
from hyperliquid_ofi_trader.cli.backtest import register
from hyperliquid_ofi_trader.config import load_config
from hyperliquid_ofi_trader.config.loader import build_config
from hyperliquid_ofi_trader.core.engine import Engine
from hyperliquid_ofi_trader.core.events import AssetCtx, Bbo, BookSnapshot, Trades
from hyperliquid_ofi_trader.core.journal import Journal, JournalReader
from hyperliquid_ofi_trader.data.replay_sources import iter_frames
from hyperliquid_ofi_trader.sim.latency import Constant, LatencyConfig
from hyperliquid_ofi_trader.sim.synthetic_recording import record_scenario
from hyperliquid_ofi_trader.sim.venue import SimVenue

MS = 1_000_000
T = TypeVar("T")
MARKET = (BookSnapshot, Bbo, Trades, AssetCtx)


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test root: keeps `backtest` a sub-command."""

    register(app)
    return app


app = _app()


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synthetic") / "data"
    assert record_synthetic(path, 90.0, seed=5) > 1000
    return path


def test_venue_moves_at_exchange_time_engine_sees_receive_time(
        recording: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    venue_seen: list[tuple[int, int]] = []
    engine_seen: list[tuple[int, int, int]] = []
    on_market, on_event = SimVenue.on_market, Engine.on_event

    def spy_market(self: SimVenue, ev: Any) -> None:
        venue_seen.append((self.clock.now_ns(), ev.exchange_ns))
        on_market(self, ev)

    def spy_event(self: Engine, ev: Any) -> None:
        if isinstance(ev, MARKET):
            engine_seen.append((self._clock.now_ns(), ev.local_ns, ev.exchange_ns))
        on_event(self, ev)

    monkeypatch.setattr(SimVenue, "on_market", spy_market)
    monkeypatch.setattr(Engine, "on_event", spy_event)
    result = run_backtest(load_config(), recording, tmp_path / "run", seed=1)
    assert result.market_events == len(venue_seen) == len(engine_seen)
    assert all(now == ex for now, ex in venue_seen if ex)
    assert result.late_market_events == 0
    assert all(now == local for now, local, _ in engine_seen)
    recorded = sorted(local for local, _ in iter_frames(recording))
    assert sorted({local for _, local, _ in engine_seen}) == sorted(set(recorded))
    assert all(local > ex for _, local, ex in engine_seen if ex)  # recorder delay > 0


@pytest.fixture(scope="module")
def exploitable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exploitable") / "data"
    record_scenario("exploitable", 5, 120.0, path)
    return path


# The order path is under test here, not the economics (bench/bench_edge_scenarios.py):
# the cheapest fee tier and no safety margins, so that decisions do become orders.
_EAGER = {"thresholds.yaml": {
    "costs": {"fee_tier": 6, "maker_rebate_tier": 3, "adverse_prior_bps": 0.0,
              "expected_slippage_bps": 0.0, "min_margin_bps": 0.0, "uncertainty_k": 0.0},
    "forecast": {"min_evidence": 0.0}}}


def test_same_seed_same_journal_and_it_trades(exploitable: Path, tmp_path: Path) -> None:
    cfg = build_config(_EAGER)
    a = run_backtest(cfg, exploitable, tmp_path / "a", seed=3)
    b = run_backtest(cfg, exploitable, tmp_path / "b", seed=3)
    assert a.journal_sha256 == b.journal_sha256 == journal_sha256(tmp_path / "a")
    assert a.gateway["sent"] > 0
    assert a.gateway["answered"] == a.gateway["sent"]
    # Every action the venue checked was one our signer made: recovery known at once.
    assert a.venue["signatures_known"] == a.gateway["sent"]
    assert "bad_signature" not in a.venue["rejected"]
    assert a.execution["orders"]["counts"].get("fills", 0) > 0
    assert a.engine["stage_errors"] == {}
    # What our order manager believes equals the venue's own ledger.
    ours = {c: p["size"] for c, p in a.execution["positions"].items() if p["size"]}
    venue = {c: float(s) for c, s in a.venue["positions"].items()}
    assert ours == pytest.approx(venue)
    _alpha_explained_by_the_forecast(tmp_path / "a" / runner.JOURNAL_NAME)


def _alpha_explained_by_the_forecast(journal: Path) -> None:
    """Each journaled alpha is broken down into what made it: the forecast model's
    features (coefficient x value, summing to the forecast before the regime scales it),
    and no configured weights of signals that took no part in it."""
    with JournalReader(journal) as reader:
        rows = [d.inputs for d in reader.decisions() if "alpha_explain" in d.inputs]
    assert len(rows) > 100
    for inputs in rows:
        br = inputs["alpha_explain"]
        assert br["signals"] == []
        assert br["features"], "a forecast alpha without its features"
        total = sum(f["contribution_bps"] for f in br["features"])
        if br["compressed"] and abs(total) < 100.0:  # conditioned, under the bound
            scaled = total * br["conditioned"] / br["compressed"]
            assert br["forecast"]["bps"] == pytest.approx(scaled, rel=1e-9, abs=1e-9)


def test_modelled_feed_puts_market_data_at_exchange_time_plus_delay(
        recording: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int]] = []
    on_event = Engine.on_event

    def spy(self: Engine, ev: Any) -> None:
        if isinstance(ev, MARKET) and ev.exchange_ns:
            seen.append((ev.local_ns, ev.exchange_ns))
        on_event(self, ev)

    monkeypatch.setattr(Engine, "on_event", spy)
    latency = LatencyConfig(feed_mode="modelled", feed=Constant(7), entry=Constant(1),
                            ack=Constant(1))
    run_backtest(load_config(), recording, tmp_path / "m", latency=latency, limit=2000)
    assert seen
    assert all(local - ex == 7 * MS for local, ex in seen)


def test_refuses_existing_journal_and_empty_sources(recording: Path, tmp_path: Path) -> None:
    out = tmp_path / "x"
    run_backtest(load_config(), recording, out, limit=10)
    with pytest.raises(BacktestError, match="already exists"):
        run_backtest(load_config(), recording, out, limit=10)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(Exception, match=r"(?i)no (frames|recording|files)|empty"):
        run_backtest(load_config(), empty, tmp_path / "y")


def test_cli_json_summary_and_journal_hash(recording: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    res = CliRunner().invoke(app, ["backtest", "--data", str(recording), "--out", str(out),
                                   "--seed", "2", "--limit", "1500", "--no-report",
                                   "--entry-latency", "const:50", "--json"])
    assert res.exit_code == 0, res.output
    summary = orjson.loads(res.stdout)
    assert summary["journal_sha256"] == journal_sha256(out)
    assert summary["frames"] == 1500
    assert summary["seed"] == 2
    assert summary["latency"]["entry"] == "const 50 ms"


@pytest.mark.parametrize(("args", "message"), [
    (["--entry-latency", "fast"], "unknown latency spec"),
    (["--feed-mode", "sometimes"], "feed-mode"),
    (["--maker-fee-bps", "500"], "fees"),
])
def test_cli_refuses_bad_settings_without_traceback(recording: Path, tmp_path: Path,
                                                    args: list[str], message: str) -> None:
    res = CliRunner().invoke(app, ["backtest", "--data", str(recording), "--out",
                                   str(tmp_path / "o"), *args])
    assert res.exit_code == 1
    assert message in res.output
    assert "Traceback" not in res.output


def test_cli_missing_data_and_help(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["backtest", "--data", str(tmp_path / "nope"), "--out",
                                   str(tmp_path / "o")])
    assert res.exit_code == 1
    assert "cannot backtest" in res.output
    help_text = CliRunner().invoke(app, ["backtest", "--help"]).output
    assert "--seed" in help_text
    assert "--entry-latency" in help_text


def test_batched_backtest_writes_leave_the_journal_durable_writes_would(
        exploitable: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = build_config(_EAGER)  # orders must flow for the batching to be exercised
    fast = run_backtest(cfg, exploitable, tmp_path / "fast", seed=3, limit=3000)
    # As live: every cited decision and every new order committed at once, small batches.
    monkeypatch.setattr(runner, "BACKTEST_WRITE_BATCH", 1)
    monkeypatch.setattr(runner, "Journal", lambda path, **_: Journal(path))
    durable = run_backtest(cfg, exploitable, tmp_path / "durable", seed=3, limit=3000)
    assert fast.gateway["sent"] > 0
    assert fast.journal_sha256 == durable.journal_sha256


def _seen_at_replay(monkeypatch: pytest.MonkeyPatch, probe: Callable[[], T]) -> list[T]:
    """What `probe` reads as each backtest's replay starts (appended per run)."""
    seen: list[T] = []
    real = runner.BacktestDriver.run_decoded

    def run_decoded(self: runner.BacktestDriver, *args: Any) -> None:
        seen.append(probe())
        real(self, *args)

    monkeypatch.setattr(runner.BacktestDriver, "run_decoded", run_decoded)
    return seen


def test_the_replay_runs_with_the_setup_frozen_and_hands_it_back(
        recording: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _seen_at_replay(monkeypatch, gc.get_freeze_count)
    # An in-process live run earlier in the session freezes for good (runtime/live.py):
    # start from a process with nothing frozen, and put that back afterwards.
    frozen_before = gc.get_freeze_count()
    gc.unfreeze()
    try:
        run_backtest(load_config(), recording, tmp_path / "run", seed=1, limit=50)
        assert len(seen) == 1
        assert seen[0] > 0  # the engine, venue, config... set aside
        assert gc.get_freeze_count() == 0  # and handed back
        gc.freeze()  # a process that froze objects of its own keeps them frozen
        run_backtest(load_config(), recording, tmp_path / "again", seed=1, limit=50)
        assert seen[1] > 0
        assert gc.get_freeze_count() > 0  # not unfrozen by the run
    finally:
        gc.unfreeze()
        if frozen_before:
            gc.freeze()


def test_the_replay_collects_young_garbage_less_often_and_restores_the_thresholds(
        recording: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _seen_at_replay(monkeypatch, gc.get_threshold)
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        run_backtest(load_config(), recording, tmp_path / "run", seed=1, limit=50)
        assert seen[0] == (runner._REPLAY_GC_YOUNG, 10, 10)
        assert gc.get_threshold() == (700, 10, 10)
        gc.set_threshold(0, 10, 10)  # automatic collection off: left off
        run_backtest(load_config(), recording, tmp_path / "off", seed=1, limit=50)
        assert seen[1] == (0, 10, 10)
        assert gc.get_threshold() == (0, 10, 10)
    finally:
        gc.set_threshold(*before)
