"""The stage contract: `on_event(event)` once per market event, `values(coin)` once per
decision; the real signal and regime stages keep their per-coin `update` as well."""

from __future__ import annotations

from pathlib import Path

from hyperliquid_ofi_trader.config.loader import load_config
from hyperliquid_ofi_trader.core.engine import EngineSettings, Outcome, Verdict
from hyperliquid_ofi_trader.core.stages import RegimeStage, SignalStage
from hyperliquid_ofi_trader.core.state import TradingState
from hyperliquid_ofi_trader.regime.stage import RegimeStageAdapter
from hyperliquid_ofi_trader.regime.state import RegimeState
from hyperliquid_ofi_trader.signals.stage import SignalSuite
from tests.unit.core.test_engine import MS, FakeSignals, Rig, bbo

TWO_TRADED = EngineSettings.from_config(load_config(), coins=("BTC", "ETH", "SOL"),
                                        traded=("BTC", "ETH"), lead="BTC", reducing_after=2,
                                        halted_after=3, error_window_ns=60_000 * MS)


def test_a_lead_coin_event_reaches_the_stages_once_and_each_traded_coin_reads_its_values(
        tmp_path: Path) -> None:
    signals = FakeSignals()
    rig = Rig(tmp_path, settings=TWO_TRADED, signals=signals)
    rig.send(bbo("BTC", 1, 60000.0, 60001.0))
    assert [c[:2] for c in signals.calls] == [("BTC", "Bbo")]
    assert signals.reads == ["BTC", "ETH"]
    assert len(rig.sink.submitted) == 2


def test_an_event_of_a_coin_no_decision_needs_feeds_no_stage(tmp_path: Path) -> None:
    signals = FakeSignals()
    rig = Rig(tmp_path, signals=signals)
    rig.send(bbo("SOL", 1, 150.0, 150.1))
    assert signals.calls == []
    assert rig.engine.decisions == 0


def test_a_stage_failing_on_an_event_is_counted_once_and_each_decision_says_so(
        tmp_path: Path) -> None:
    signals = FakeSignals()
    signals.fail_on = {1}
    rig = Rig(tmp_path, settings=TWO_TRADED, signals=signals)
    rig.send(bbo("BTC", 1, 60000.0, 60001.0))
    assert rig.engine.snapshot().stage_errors == {"signals": 1}
    assert rig.state() is TradingState.ACTIVE  # one error, not one per traded coin
    with rig.reader() as r:
        rows = r.decisions()
    assert [(d.coin, d.outcome) for d in rows] == [("BTC", Outcome.ERROR),
                                                    ("ETH", Outcome.ERROR)]
    assert all(d.reason.startswith("stage signals raised ZeroDivisionError") for d in rows)
    assert rig.sink.submitted == []


def test_decide_returns_its_outcome_as_a_value(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    ev = bbo("ETH", 1)
    rig.send(ev)
    verdict = rig.engine.decide("ETH", ev)
    assert isinstance(verdict, Verdict)
    assert (verdict.outcome, verdict.reason) == (Outcome.SUBMIT, "1 intent(s) approved")
    assert verdict.decision_id == rig.engine.last_decision_id == 2
    rig.engine.halt("maintenance")
    halted = rig.engine.decide("ETH", ev)
    assert halted.outcome == Outcome.HALTED
    assert halted.reason.startswith("trading halted (manual_halt")


def test_the_real_stages_meet_the_contract_and_keep_update() -> None:
    from hyperliquid_ofi_trader.config.packaged import packaged_config
    from hyperliquid_ofi_trader.runtime.assembly import build_markets, build_strategy

    cfg = packaged_config()
    markets = build_markets(EngineSettings.from_config(cfg))
    strategy = build_strategy(cfg, markets)
    signal_stage: SignalStage = strategy.signals
    regime_stage: RegimeStage[RegimeState] = strategy.regime
    assert isinstance(strategy.signals, SignalSuite)
    assert isinstance(strategy.regime, RegimeStageAdapter)
    coin = cfg.symbols.traded[0]
    ev = bbo(coin, 1, 3000.0, 3000.1)
    markets[coin].on_bbo(ev)
    signal_stage.on_event(ev)
    regime_stage.on_event(ev)
    assert strategy.signals.update(coin, ev, 0) == signal_stage.values(coin)
    assert strategy.regime.update(coin, ev, 0) == regime_stage.values(coin)
