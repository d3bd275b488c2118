"""The engine pipeline: routing, decisions journaled with inputs, failures caught and
escalated, feed health, trading-state effects. Stages are small test-only fakes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.config.loader import load_config
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.engine import Engine, EngineSettings, Outcome
from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    Bbo,
    FeedState,
    FeedStatus,
    MarketEvent,
    Rejection,
    Timer,
)
from hyperliquid_ofi_trader.core.journal import Journal, JournalReader
from hyperliquid_ofi_trader.core.stages import GateResult, OrderIntent, Tif
from hyperliquid_ofi_trader.core.state import IllegalTransition, TradingState
from hyperliquid_ofi_trader.runtime.assembly import build_markets
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.subscriptions import coin_of_channel

MS = 1_000_000


# ---------------------------------------------------------------- fakes (tests only)


class FakeRegime(msgspec.Struct, frozen=True):
    tradable: bool = True
    reasons: tuple[str, ...] = ()


class FakeSignals:
    def __init__(self, values: Mapping[str, float] | None = None) -> None:
        self.out = dict(values or {"ofi": 1.5, "leadlag": 1.0})
        self.calls: list[tuple[str, str, int]] = []  # (event's coin, its type, local_ns)
        self.fail_on: set[int] = set()  # on_event call numbers (1-based) that raise
        self.reads: list[str] = []  # coins whose values were read

    def on_event(self, event: MarketEvent) -> None:
        self.calls.append((event.coin, type(event).__name__, event.local_ns))
        if len(self.calls) in self.fail_on:
            raise ZeroDivisionError("boom in signals")

    def values(self, coin: str) -> Mapping[str, float]:
        self.reads.append(coin)
        return self.out


class FakeRegimeStage:
    def __init__(self, regime: FakeRegime | None = None) -> None:
        self.regime = regime or FakeRegime()

    def on_event(self, event: MarketEvent) -> None:
        pass

    def values(self, coin: str) -> FakeRegime:
        return self.regime


class FakeAlpha:
    def __init__(self, value: float = 0.6) -> None:
        self.value = value

    def compute(self, signals: Mapping[str, float], regime: FakeRegime) -> float:
        return self.value

    def explain(self) -> dict[str, float]:
        return {"raw": self.value}


class FakeRouter:
    def __init__(self, reduce_only: bool = False, none: bool = False) -> None:
        self.reduce_only = reduce_only
        self.none = none

    def route(self, coin: str, alpha: float, ofi: float | None,
              position: float) -> Sequence[OrderIntent]:
        if self.none:
            return ()
        return (OrderIntent(coin=coin, is_buy=alpha > 0, size=0.01, price=2500.0,
                            tif=Tif.IOC, reduce_only=self.reduce_only, tag="test"),)


class FakePositions:
    def __init__(self, size: float = 0.25) -> None:
        self.size = size

    def position(self, coin: str) -> float:
        return self.size


class FakeGate:
    def __init__(self, reject: str | None = None) -> None:
        self.reject = reject
        self.states: list[TradingState] = []

    def check(self, intents: Sequence[OrderIntent], state: TradingState,
              now_ns: int) -> GateResult:
        self.states.append(state)
        if self.reject:
            return GateResult(approved=(), rejected=tuple((i, self.reject) for i in intents))
        return GateResult(approved=tuple(intents), rejected=())


class FakeSink:
    def __init__(self) -> None:
        self.submitted: list[tuple[int, tuple[OrderIntent, ...]]] = []
        self.cancels: list[str] = []

    def submit(self, decision_id: int, intents: Sequence[OrderIntent]) -> None:
        self.submitted.append((decision_id, tuple(intents)))

    def cancel_all(self, reason: str) -> None:
        self.cancels.append(reason)


class FakeKill:
    def __init__(self) -> None:
        self.trip_at: int | None = None

    def check(self, event: AnyEvent, now_ns: int) -> str | None:
        return "feed lag 900 ms > 500 ms" if event.local_ns == self.trip_at else None


# ---------------------------------------------------------------- helpers

SETTINGS = EngineSettings.from_config(load_config(), coins=("BTC", "ETH", "SOL"), traded=("ETH",),
                                      lead="BTC", reducing_after=2, halted_after=3,
                                      error_window_ns=60_000 * MS)


def bbo(coin: str, t_ms: int, bid: float = 2500.0, ask: float = 2500.1) -> Bbo:
    return Bbo(exchange_ns=t_ms * MS, local_ns=t_ms * MS + 5 * MS, coin=coin,
               bid=(bid, 3.0, 2), ask=(ask, 4.0, 3))


def feed(status: FeedStatus, channel: str, t_ms: int) -> FeedState:
    """A feed state as the venue feed reports it: the coin of "bbo:ETH" is "ETH"."""
    return FeedState(exchange_ns=0, local_ns=t_ms * MS, status=status, channel=channel,
                     coin=coin_of_channel(channel), detail="test")


class Rig:
    """An engine on a replay clock with a journal in tmp_path and full fake stages."""

    def __init__(self, tmp_path: Path, *, settings: EngineSettings = SETTINGS,
                 full: bool = True, **stages: object) -> None:
        self.clock = ReplayClock()
        self.path = tmp_path / "journal.sqlite"
        self.journal = Journal(self.path, batch_size=1000)
        self.sink = FakeSink()
        defaults: dict[str, object] = {}
        if full:
            defaults = {"signals": FakeSignals(), "regime": FakeRegimeStage(),
                        "alpha": FakeAlpha(), "router": FakeRouter(),
                        "positions": FakePositions(), "risk_gate": FakeGate(),
                        "order_sink": self.sink}
        defaults.update(stages)
        defaults.setdefault("markets", build_markets(settings))
        self.engine = Engine(settings, self.clock, self.journal, **defaults)  # type: ignore[arg-type]

    def send(self, *events: AnyEvent) -> None:
        for ev in events:
            self.clock.advance_to(ev.local_ns)
            self.engine.on_event(ev)

    def state(self) -> TradingState:
        # A method, not the property: mypy would otherwise narrow it across events.
        return self.engine.state

    def reader(self) -> JournalReader:
        self.journal.flush()
        return JournalReader(self.path)


# ---------------------------------------------------------------- decisions


def test_no_strategy_is_said_plainly(tmp_path: Path) -> None:
    rig = Rig(tmp_path, full=False)
    rig.send(bbo("ETH", 1))
    with rig.reader() as r:
        (d,) = r.decisions()
    assert d.outcome == Outcome.NOT_CONFIGURED
    assert d.reason == "no strategy configured (absent: signals, regime, alpha)"
    assert d.inputs["book"]["bid"] == 2500.0
    assert d.inputs["book"]["ask_sz"] == 4.0


def test_full_pipeline_submits_with_decision_id_and_inputs(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.send(bbo("BTC", 1, 60000.0, 60001.0), bbo("ETH", 2))
    # The BTC (lead) event decides for ETH too: two decisions, two submissions.
    assert [d for d, _ in rig.sink.submitted] == [1, 2]
    (intent,) = rig.sink.submitted[1][1]
    assert (intent.coin, intent.is_buy) == ("ETH", True)
    with rig.reader() as r:
        first, second = r.decisions()
    assert (first.coin, first.trigger, first.outcome) == ("ETH", "Bbo", Outcome.SUBMIT)
    assert first.inputs["source_coin"] == "BTC"
    assert first.inputs["lead_book"]["mid"] == pytest.approx(60000.5)
    assert first.inputs["book"] is not None
    assert first.inputs["book"]["bid"] is None  # ETH book still empty when BTC moved
    assert second.inputs["signals"] == {"ofi": 1.5, "leadlag": 1.0}
    assert second.inputs["regime"] == {"tradable": True, "reasons": []}
    assert second.inputs["alpha"] == pytest.approx(0.6)
    assert second.inputs["alpha_explain"] == {"raw": 0.6}
    assert second.inputs["position"] == 0.25
    assert second.inputs["approved"][0]["tif"] == "Ioc"
    assert second.exchange_ns == 2 * MS
    assert second.local_ns == 7 * MS


def test_coins_outside_the_strategy_only_update_data(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.send(bbo("SOL", 1, 150.0, 150.01))
    assert rig.engine.decisions == 0
    assert rig.engine.markets["SOL"].book.mid() == pytest.approx(150.005)


def test_unknown_coin_is_counted_not_raised(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.send(bbo("DOGE", 1, 0.1, 0.11), bbo("ETH", 2))
    snap = rig.engine.snapshot()
    assert snap.rejections == {"engine_unknown_coin": 1}
    assert snap.decisions == 1


def _blocked() -> FakeRegimeStage:
    return FakeRegimeStage(FakeRegime(tradable=False, reasons=("thin book", "wide spread")))


def test_not_tradable_records_regime_reasons(tmp_path: Path) -> None:
    rig = Rig(tmp_path, regime=_blocked(), positions=FakePositions(0.0))
    rig.send(bbo("ETH", 1))
    with rig.reader() as r:
        (d,) = r.decisions()
    assert (d.outcome, d.reason) == (Outcome.NOT_TRADABLE, "thin book; wide spread")
    assert rig.sink.submitted == []


def test_not_tradable_still_exits_a_held_position(tmp_path: Path) -> None:
    # A regime that blocks trading blocks new risk, not the exit of the risk we hold.
    rig = Rig(tmp_path, regime=_blocked(), router=FakeRouter(reduce_only=True))
    rig.send(bbo("ETH", 1))
    assert len(rig.sink.submitted) == 1
    assert rig.sink.submitted[0][1][0].reduce_only
    with rig.reader() as r:
        (d,) = r.decisions()
    assert d.outcome == Outcome.SUBMIT


def test_not_tradable_with_a_position_drops_what_adds_risk(tmp_path: Path) -> None:
    rig = Rig(tmp_path, regime=_blocked(), router=FakeRouter(reduce_only=False))
    rig.send(bbo("ETH", 1))
    assert rig.sink.submitted == []
    with rig.reader() as r:
        (d,) = r.decisions()
    assert (d.outcome, d.reason) == (Outcome.NOT_TRADABLE,
                                     "thin book; wide spread (position held: exits only)")


def test_router_skip_and_gate_rejection(tmp_path: Path) -> None:
    rig = Rig(tmp_path, router=FakeRouter(none=True))
    rig.send(bbo("ETH", 1))
    rig2 = Rig(tmp_path / "b", risk_gate=FakeGate(reject="max position"))
    rig2.send(bbo("ETH", 1))
    with rig.reader() as r, rig2.reader() as r2:
        assert [(d.outcome, d.reason) for d in r.decisions()] == [
            (Outcome.SKIP, "router produced no intent")]
        (d2,) = r2.decisions()
    assert (d2.outcome, d2.reason) == (Outcome.REJECTED, "max position")
    assert d2.inputs["rejected"][0][1] == "max position"
    assert rig2.sink.submitted == []


@pytest.mark.parametrize(("missing", "reason"), [
    ("router", "no router configured"), ("positions", "no position source configured"),
    ("risk_gate", "no risk gate configured"), ("order_sink", "no order sink configured")])
def test_missing_execution_stages_never_fake(tmp_path: Path, missing: str, reason: str) -> None:
    absent: dict[str, Any] = {missing: None}
    rig = Rig(tmp_path, **absent)
    rig.send(bbo("ETH", 1))
    with rig.reader() as r:
        (d,) = r.decisions()
    assert d.outcome == Outcome.NOT_CONFIGURED
    assert d.reason.startswith(reason)
    assert rig.sink.submitted == []


# ---------------------------------------------------------------- failures


def test_stage_error_is_caught_and_next_event_still_processed(tmp_path: Path) -> None:
    signals = FakeSignals()
    signals.fail_on = {1}
    rig = Rig(tmp_path, signals=signals)
    rig.send(bbo("ETH", 1), bbo("ETH", 2))
    assert len(signals.calls) == 2
    assert len(rig.sink.submitted) == 1
    with rig.reader() as r:
        d1, d2 = r.decisions()
        (err,) = r.errors()
    assert d1.outcome == Outcome.ERROR
    assert d1.inputs["failed_stage"] == "signals"
    assert "boom in signals" in d1.reason
    assert d2.outcome == Outcome.SUBMIT
    assert (err.stage, err.event_type, err.coin, err.error_type) == (
        "signals", "Bbo", "ETH", "ZeroDivisionError")
    assert err.exchange_ns == 1 * MS
    assert rig.engine.snapshot().stage_errors == {"signals": 1}
    assert rig.state() is TradingState.ACTIVE  # one error: below reducing_after=2


def test_errors_escalate_to_reducing_then_halted(tmp_path: Path) -> None:
    signals = FakeSignals()
    signals.fail_on = {1, 2, 3}
    rig = Rig(tmp_path, signals=signals)
    rig.send(bbo("ETH", 1), bbo("ETH", 2))
    assert rig.state() is TradingState.REDUCING
    rig.send(bbo("ETH", 3))
    assert rig.state() is TradingState.HALTED
    assert len(rig.sink.cancels) == 1
    assert "3 errors in stage signals" in rig.sink.cancels[0]
    rig.send(bbo("ETH", 4))  # a "halted" decision; signals still fed, nothing decided
    assert len(signals.calls) == 4
    assert rig.sink.submitted == []
    with rig.reader() as r:
        outcomes = [d.outcome for d in r.decisions()]
        changes = [(c.from_state, c.to_state, c.trigger) for c in r.state_changes()]
        last = r.decision(4)
    assert outcomes == [Outcome.ERROR] * 3 + [Outcome.HALTED]
    assert changes == [("ACTIVE", "REDUCING", "stage_errors_reduce"),
                       ("REDUCING", "HALTED", "stage_errors_halt")]
    assert last is not None
    assert "stage_errors_halt" in last.reason


class CountingRegimeStage(FakeRegimeStage):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[int] = []

    def on_event(self, event: MarketEvent) -> None:
        self.seen.append(event.local_ns)


def test_halted_engine_keeps_signals_and_regime_current_and_decides_nothing(
        tmp_path: Path) -> None:
    signals, regime = FakeSignals(), CountingRegimeStage()
    rig = Rig(tmp_path, signals=signals, regime=regime)
    rig.send(bbo("ETH", 1))
    rig.engine.halt("maintenance")
    rig.send(bbo("BTC", 2, 60000.0, 60001.0), bbo("ETH", 3))
    assert [c[:2] for c in signals.calls] == [("ETH", "Bbo"), ("BTC", "Bbo"), ("ETH", "Bbo")]
    assert regime.seen == [bbo("ETH", 1).local_ns, bbo("BTC", 2).local_ns,
                           bbo("ETH", 3).local_ns]
    assert len(rig.sink.submitted) == 1  # only the decision before the halt
    rig.engine.resume("done")
    rig.send(bbo("ETH", 4))
    assert len(rig.sink.submitted) == 2
    with rig.reader() as r:
        assert [d.outcome for d in r.decisions()] == [Outcome.SUBMIT, Outcome.HALTED,
                                                      Outcome.HALTED, Outcome.SUBMIT]


def test_a_stage_failing_while_halted_is_counted_and_logged_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    signals = FakeSignals()
    rig = Rig(tmp_path, signals=signals)
    rig.engine.halt("maintenance")
    signals.fail_on = {1, 2, 3}
    rig.send(bbo("ETH", 1), bbo("ETH", 2), bbo("ETH", 3))
    assert rig.engine.snapshot().stage_errors == {"signals": 3}
    assert caplog.text.count("raised while halted") == 1
    assert rig.state() is TradingState.HALTED
    with rig.reader() as r:
        assert [d.outcome for d in r.decisions()] == [Outcome.HALTED] * 3


def test_errors_outside_the_window_do_not_escalate(tmp_path: Path) -> None:
    signals = FakeSignals()
    signals.fail_on = {1, 2}
    rig = Rig(tmp_path, signals=signals)
    rig.send(bbo("ETH", 1), bbo("ETH", 61_000))  # 61 s apart, window 60 s
    assert rig.state() is TradingState.ACTIVE


class ExplodingMarket:
    """A data stage that raises (the real one never should): the engine must survive it."""

    def __init__(self, inner: object) -> None:
        self.book = inner

    def on_bbo(self, bbo: Bbo) -> None:
        raise RuntimeError("corrupt book")


def test_data_stage_failure_is_caught(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    markets = dict(rig.engine.markets)
    markets["ETH"] = ExplodingMarket(markets["ETH"].book)  # type: ignore[assignment]
    rig.engine.markets = markets
    rig.send(bbo("ETH", 1), bbo("BTC", 2))
    snap = rig.engine.snapshot()
    assert snap.stage_errors == {"data": 1}
    assert snap.decisions == 1  # the BTC event still decided for ETH


def test_non_finite_alpha_is_a_stage_error(tmp_path: Path) -> None:
    rig = Rig(tmp_path, alpha=FakeAlpha(float("nan")))
    rig.send(bbo("ETH", 1))
    assert rig.engine.snapshot().stage_errors == {"alpha": 1}
    assert rig.sink.submitted == []


def test_failing_sink_is_counted_after_the_decision(tmp_path: Path) -> None:
    class BadSink(FakeSink):
        def submit(self, decision_id: int, intents: Sequence[OrderIntent]) -> None:
            raise ConnectionError("gateway gone")

    rig = Rig(tmp_path, order_sink=BadSink())
    rig.send(bbo("ETH", 1))
    assert rig.engine.snapshot().stage_errors == {"order_sink": 1}
    with rig.reader() as r:
        assert [d.outcome for d in r.decisions()] == [Outcome.SUBMIT]
        assert [e.stage for e in r.errors()] == ["order_sink"]


# ---------------------------------------------------------------- feed and state


def test_needed_feed_is_judged_by_the_coin_the_venue_names_not_the_channel_text(
        tmp_path: Path) -> None:
    """The engine never parses a venue's channel names: `FeedState.coin` decides."""
    rig = Rig(tmp_path)
    rig.send(FeedState(exchange_ns=0, local_ns=MS, status=FeedStatus.STALE,
                       channel="book feed #7", coin="SOL", detail="SOL is not needed"))
    assert rig.state() is TradingState.ACTIVE
    rig.send(FeedState(exchange_ns=0, local_ns=2 * MS, status=FeedStatus.STALE,
                       channel="l2Book:SOL", coin="", detail="an account-wide stream"))
    assert rig.state() is TradingState.REDUCING


def test_needed_feed_stale_reduces_and_filters_intents(tmp_path: Path) -> None:
    gate = FakeGate()
    rig = Rig(tmp_path, risk_gate=gate)
    rig.send(feed(FeedStatus.STALE, "l2Book:SOL", 1))  # SOL is not needed
    assert rig.state() is TradingState.ACTIVE
    rig.send(feed(FeedStatus.STALE, "bbo:ETH", 2))
    assert rig.state() is TradingState.REDUCING
    rig.send(bbo("ETH", 3))
    assert rig.sink.submitted == []  # the fake router's intent is not reduce-only
    assert gate.states == []
    with rig.reader() as r:
        (d,) = r.decisions()
        (sc,) = r.state_changes()
    assert d.outcome == Outcome.SKIP
    assert "REDUCING" in d.reason
    assert d.trading_state == "REDUCING"
    assert sc.reason == "feed stale on bbo:ETH: test"


def test_reduce_only_intents_pass_while_reducing(tmp_path: Path) -> None:
    gate = FakeGate()
    rig = Rig(tmp_path, router=FakeRouter(reduce_only=True), risk_gate=gate)
    rig.send(feed(FeedStatus.DOWN, "", 1), bbo("ETH", 2))
    assert len(rig.sink.submitted) == 1
    assert gate.states == [TradingState.REDUCING]


def test_recovery_does_not_resume_by_default(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.send(feed(FeedStatus.STALE, "bbo:ETH", 1), feed(FeedStatus.RECOVERED, "bbo:ETH", 2))
    assert rig.state() is TradingState.REDUCING
    assert rig.engine.snapshot().feeds_unhealthy == ()
    rig.engine.resume("checked by hand")
    assert rig.state() is TradingState.ACTIVE


def test_auto_resume_only_after_every_needed_feed_recovers(tmp_path: Path) -> None:
    settings = msgspec.structs.replace(SETTINGS, auto_resume_on_feed_recovery=True)
    rig = Rig(tmp_path, settings=settings)
    rig.send(feed(FeedStatus.STALE, "bbo:ETH", 1), feed(FeedStatus.STALE, "bbo:BTC", 2),
             feed(FeedStatus.RECOVERED, "bbo:ETH", 3))
    assert rig.state() is TradingState.REDUCING
    assert rig.engine.snapshot().feeds_unhealthy == ("bbo:BTC",)
    rig.send(feed(FeedStatus.RECOVERED, "bbo:BTC", 4))
    assert rig.state() is TradingState.ACTIVE
    # A connection drop, then UP after re-subscribing clears every channel at once.
    rig.send(feed(FeedStatus.DOWN, "", 5), feed(FeedStatus.STALE, "trades:ETH", 6),
             feed(FeedStatus.UP, "", 7))
    assert rig.state() is TradingState.ACTIVE


def test_auto_resume_never_overrides_stage_errors(tmp_path: Path) -> None:
    settings = msgspec.structs.replace(SETTINGS, auto_resume_on_feed_recovery=True)
    signals = FakeSignals()
    signals.fail_on = {1, 2}
    rig = Rig(tmp_path, settings=settings, signals=signals)
    rig.send(bbo("ETH", 1), bbo("ETH", 2))
    assert rig.state() is TradingState.REDUCING
    rig.send(feed(FeedStatus.STALE, "bbo:ETH", 3), feed(FeedStatus.RECOVERED, "bbo:ETH", 4))
    assert rig.state() is TradingState.REDUCING


def test_operator_actions(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    with pytest.raises(IllegalTransition):
        rig.engine.resume("nothing to resume")
    rig.clock.advance_to(9 * MS)
    tr = rig.engine.halt("maintenance")
    assert (tr.to_state, tr.reason, tr.local_ns) == (TradingState.HALTED, "operator: maintenance",
                                                     9 * MS)
    assert rig.sink.cancels == ["operator: maintenance"]
    rig.engine.resume("done")
    rig.engine.reduce("careful")
    assert rig.state() is TradingState.REDUCING
    with rig.reader() as r:
        assert [c.trigger for c in r.state_changes()] == ["manual_halt", "resume",
                                                           "manual_reduce"]


def test_kill_switch_halts_and_cancels(tmp_path: Path) -> None:
    kill = FakeKill()
    kill.trip_at = bbo("ETH", 2).local_ns
    rig = Rig(tmp_path, kill_switch=kill)
    rig.send(bbo("ETH", 1), bbo("ETH", 2), bbo("ETH", 3))
    assert rig.state() is TradingState.HALTED
    assert rig.sink.cancels == ["feed lag 900 ms > 500 ms"]
    with rig.reader() as r:
        assert [d.outcome for d in r.decisions()] == [Outcome.SUBMIT, Outcome.HALTED,
                                                      Outcome.HALTED]


# ---------------------------------------------------------------- counters, timers


def test_rejections_timers_and_snapshot(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rej = Rejection(exchange_ns=0, local_ns=1, reason="bad_level", detail="x", channel="l2Book")
    rig.send(rej, rej, bbo("ETH", 1))
    assert rig.journal.pending == 0  # a decision that sent orders is committed at once
    rig.journal.record_decision(exchange_ns=0, local_ns=1, coin="ETH", trigger="test",
                                outcome="skip", reason="batched", trading_state="ACTIVE",
                                inputs={})
    assert rig.journal.pending == 1
    rig.send(Timer(exchange_ns=0, local_ns=10 * MS, name="other"))
    assert rig.journal.pending == 1
    rig.send(Timer(exchange_ns=0, local_ns=11 * MS, name="journal_flush"))
    assert rig.journal.pending == 0
    snap = rig.engine.snapshot()
    assert snap.rejections == {"bad_level": 2}
    assert snap.events == 5
    assert snap.events_by_type == {"Rejection": 2, "Bbo": 1, "Timer": 2}
    assert snap.outcomes == {Outcome.SUBMIT: 1}
    assert snap.trading_state is TradingState.ACTIVE
    assert snap.latency_ms["ETH"]["p50"] == pytest.approx(5.0)
    assert snap.last_exchange_ns == 1 * MS


def test_on_ws_event_is_the_same_entry_point(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.engine.on_ws_event(bbo("ETH", 1))
    assert rig.engine.decisions == 1


# ---------------------------------------------------------------- real config, real data


def test_settings_from_the_packaged_config() -> None:
    from hyperliquid_ofi_trader.config.loader import load_config

    cfg = load_config()
    s = EngineSettings.from_config(cfg, auto_resume_on_feed_recovery=True)
    assert set(s.coins) == set(cfg.symbols.coins)
    assert s.traded == tuple(cfg.symbols.traded)
    assert s.lead == cfg.symbols.lead_lag[0].lead
    assert s.reducing_after == cfg.risk.stage_errors.reducing_after
    assert s.error_window_ns == int(cfg.risk.stage_errors.window_s * 1e9)
    assert s.trade_window_ns == cfg.thresholds.aggressive_volume.window_ms * MS
    assert s.auto_resume_on_feed_recovery
    # The lead coin's events decide for the traded coins; the traded coin for itself.
    assert s.decision_targets()[s.lead] == tuple(t for t in s.traded if t != s.lead)


def test_built_markets_feed_book_tape_and_state(tmp_path: Path) -> None:
    from hyperliquid_ofi_trader.core.events import AssetCtx, Trade, Trades
    from hyperliquid_ofi_trader.data.coin_data import CoinData

    rig = Rig(tmp_path, full=False)
    trade = Trade(coin="ETH", price=2500.05, size=2.0, is_buy=True, exchange_ns=2 * MS,
                  tid=7, hash="0x1")
    ctx = AssetCtx(exchange_ns=0, local_ns=3 * MS, coin="ETH", mark_px=2500.0, mid_px=None,
                   oracle_px=2499.0, funding=1e-5, open_interest=1e5,
                   day_notional_volume=1e9, prev_day_px=2400.0, premium=None,
                   impact_bid=None, impact_ask=None)
    rig.send(bbo("ETH", 1), Trades(exchange_ns=2 * MS, local_ns=2 * MS, coin="ETH",
                                   trades=(trade, trade)), ctx)
    eth = rig.engine.markets["ETH"]
    assert isinstance(eth, CoinData)
    assert eth.state.mid == pytest.approx(2500.05)
    assert eth.tape.buy_volume() == pytest.approx(2.0)  # the duplicate tid is dropped
    assert eth.state.mark_px == 2500.0
    assert rig.engine.decisions == 3  # book, trades and asset context each decide


class RealRegimeStateStage:
    """Test-only: returns a fixed `regime.state.RegimeState` (the real type) per coin."""

    def __init__(self) -> None:
        from hyperliquid_ofi_trader.regime.state import (
            LiquidityLevel,
            RegimeState,
            VolLevel,
        )

        self.regime = RegimeState(tradable=True, liquidity=LiquidityLevel.LIQUID,
                                  volatility=VolLevel.NORMAL, liquidation=False, coin="ETH")

    def on_event(self, event: MarketEvent) -> None:
        pass

    def values(self, coin: str) -> Any:
        return self.regime


def test_real_alpha_combiner_plugs_in_and_is_explained(tmp_path: Path) -> None:
    from hyperliquid_ofi_trader.alpha.build import build_combiner
    from hyperliquid_ofi_trader.config.loader import load_config

    combiner = build_combiner(load_config().thresholds.alpha)
    regime = RealRegimeStateStage()
    rig = Rig(tmp_path, alpha=combiner, regime=regime)
    rig.send(bbo("ETH", 1))
    with rig.reader() as r:
        (d,) = r.decisions()
    assert d.outcome == Outcome.SUBMIT
    assert -1.0 < d.inputs["alpha"] <= 1.0
    assert d.inputs["alpha"] > 0  # ofi and leadlag from FakeSignals are both positive
    assert d.inputs["regime"]["liquidity"] == regime.regime.liquidity.value
    names = {c["name"] for c in d.inputs["alpha_explain"]["signals"]}
    assert {"ofi", "leadlag"} <= names


# ---------------------------------------------------------------- never raises

_prices = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(2500.0))
_levels = st.one_of(st.none(), st.tuples(_prices, _prices, st.integers(-5, 50)))
_events = st.one_of(
    st.builds(lambda c, t, b, a: Bbo(exchange_ns=t, local_ns=t, coin=c, bid=b, ask=a),
              st.sampled_from(["BTC", "ETH", "SOL", "XYZ", ""]), st.integers(0, 10**12),
              _levels, _levels),
    st.builds(lambda s, ch, t: FeedState(exchange_ns=0, local_ns=t, status=s, channel=ch,
                                         coin=coin_of_channel(ch), detail=""),
              st.sampled_from(list(FeedStatus)),
              st.sampled_from(["", "bbo:ETH", "l2Book:BTC", "trades:SOL", "orderUpdates"]),
              st.integers(0, 10**12)),
    st.builds(lambda t: Timer(exchange_ns=0, local_ns=t, name="journal_flush"),
              st.integers(0, 10**12)),
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_events, max_size=25), st.sets(st.integers(1, 25), max_size=10))
def test_engine_never_raises_on_any_event_sequence(tmp_path: Path, events: list[AnyEvent],
                                                   failing: set[int]) -> None:
    signals = FakeSignals()
    signals.fail_on = failing
    rig = Rig(tmp_path / f"h{len(list(tmp_path.iterdir()))}", signals=signals)
    rig.send(*events)
    snap = rig.engine.snapshot()
    assert snap.events == len(events)
    with rig.reader() as r:
        assert r.counts()["decisions"] == snap.decisions


# ---------------------------------------------------------------- journal book tops, health


def _tops(rig: Rig) -> list[tuple[str, float | None, float | None]]:
    """Each decision row's coin, own best bid and lead's best bid."""
    with rig.reader() as r:
        return [(d.coin, d.inputs["book"]["bid"], d.inputs["lead_book"]["bid"])
                for d in r.decisions()]


def test_journal_book_tops_follow_every_book_change(tmp_path: Path) -> None:
    """A coin's book top is built once per change of its data and reused meanwhile: each
    row still shows both books as they were at its decision."""
    rig = Rig(tmp_path)
    rig.send(bbo("BTC", 1, 60000.0, 60001.0), bbo("ETH", 2, 2500.0, 2500.1),
             bbo("ETH", 3, 2501.0, 2501.1), bbo("BTC", 4, 60002.0, 60003.0),
             bbo("SOL", 5, 150.0, 150.1), bbo("BTC", 6, 60004.0, 60005.0),
             bbo("ETH", 7, 2502.0, 2502.1))
    assert _tops(rig) == [("ETH", None, 60000.0), ("ETH", 2500.0, 60000.0),
                          ("ETH", 2501.0, 60000.0), ("ETH", 2501.0, 60002.0),
                          ("ETH", 2501.0, 60004.0), ("ETH", 2502.0, 60004.0)]


def test_direct_decide_reads_market_data_its_caller_fed(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.send(bbo("BTC", 1, 60000.0, 60001.0), bbo("ETH", 2, 2500.0, 2500.1))
    later = bbo("ETH", 3, 2600.0, 2600.1)
    rig.engine.markets["ETH"].on_bbo(later)  # fed by the caller, not through on_event
    rig.engine.decide("ETH", later)
    assert _tops(rig)[-1] == ("ETH", 2600.0, 60000.0)


def test_a_replaced_market_is_read_afresh(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.send(bbo("BTC", 1, 60000.0, 60001.0), bbo("ETH", 2, 2500.0, 2500.1))
    markets = dict(rig.engine.markets)
    markets["ETH"] = build_markets(SETTINGS)["ETH"]
    markets["ETH"].on_bbo(bbo("ETH", 3, 2700.0, 2700.1))
    rig.engine.markets = markets
    rig.send(bbo("BTC", 4, 60002.0, 60003.0))  # decides for ETH without an ETH event
    assert _tops(rig)[-1] == ("ETH", 2700.0, 60002.0)


def test_health_agrees_with_the_snapshot(tmp_path: Path) -> None:
    from hyperliquid_ofi_trader.core.events import AccountSnapshot

    def snapshot_view(rig: Rig) -> tuple[str | None, bool, int]:
        snap = rig.engine.snapshot()
        return (snap.state_cause, bool(snap.feeds_unhealthy),
                snap.events_by_type.get("AccountSnapshot", 0))

    def account(t_ms: int) -> AccountSnapshot:
        return AccountSnapshot(exchange_ns=0, local_ns=t_ms * MS, user="0xabc",
                               open_orders=(), positions=(), recent_fills=(),
                               account_value=1000.0, withdrawable=1000.0)

    rig = Rig(tmp_path)
    assert tuple(rig.engine.health()) == snapshot_view(rig) == (None, False, 0)
    rig.send(feed(FeedStatus.STALE, "bbo:ETH", 1))
    assert tuple(rig.engine.health()) == snapshot_view(rig) == ("feed_lost", True, 0)
    rig.send(feed(FeedStatus.RECOVERED, "bbo:ETH", 2), account(3), account(4))
    assert tuple(rig.engine.health()) == snapshot_view(rig) == ("feed_lost", False, 2)
