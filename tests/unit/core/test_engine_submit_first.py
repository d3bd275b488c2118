"""Submit first, journal after: a decision's orders leave before its journal row is built,
encoded or committed, and the row is the same as when it was written first.

The golden rows below were written by the engine as it was before this change (journal
row built while the pipeline ran, recorded, then submitted); the scripted scenario crosses
every outcome, so any change of a key, a value or the key order shows up here."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

import orjson

from hyperliquid_ofi_trader.core.engine import Outcome
from hyperliquid_ofi_trader.core.events import FeedStatus
from hyperliquid_ofi_trader.core.journal import Journal
from hyperliquid_ofi_trader.core.stages import GateResult, OrderIntent
from hyperliquid_ofi_trader.core.state import TradingState
from tests.unit.core.test_engine import (
    FakeAlpha,
    FakeGate,
    FakePositions,
    FakeRegime,
    FakeRegimeStage,
    FakeRouter,
    FakeSignals,
    FakeSink,
    Rig,
    bbo,
    feed,
)

# ---------------------------------------------------------------- scripted scenario


class ExplainingRouter(FakeRouter):
    fail = False

    def route(self, coin: str, alpha: float, ofi: float | None,
              position: float) -> Sequence[OrderIntent]:
        if self.fail:
            raise KeyError("no instrument")
        return super().route(coin, alpha, ofi, position)

    def explain(self) -> dict[str, str]:
        return {"router": "none" if self.none else "test"}


class FailingGate(FakeGate):
    def check(self, intents: Sequence[OrderIntent], state: TradingState,
              now_ns: int) -> GateResult:
        raise RuntimeError("gate bug")


def run_scenario(tmp_path: Path) -> list[tuple[object, ...]]:
    """Every outcome the engine journals, on four rigs; returns the raw rows of
    decisions, errors and state changes."""
    signals, regime, router, gate = (FakeSignals(), FakeRegimeStage(), ExplainingRouter(),
                                     FakeGate())
    positions = FakePositions()
    rig = Rig(tmp_path / "a", signals=signals, regime=regime, router=router, risk_gate=gate,
              positions=positions)
    rig.send(bbo("BTC", 1, 60000.0, 60001.0))  # lead: ETH submit, ETH book still empty
    rig.send(bbo("ETH", 2, 2500.0, 2500.2))  # submit
    signals.fail_on = {3}
    rig.send(bbo("ETH", 3, 2500.1, 2500.3))  # error in signals
    signals.out["ofi"] = -0.5
    rig.send(bbo("ETH", 4, 2499.9, 2500.0))  # submit, other signals
    router.none = True
    rig.send(bbo("ETH", 5))  # skip: no intent
    router.none = False
    gate.reject = "max position"
    rig.send(bbo("ETH", 6))  # rejected
    gate.reject = None
    router.fail = True
    rig.send(bbo("ETH", 7))  # error in router
    router.fail = False
    regime.regime = FakeRegime(tradable=False, reasons=("thin book", "wide spread"))
    positions.size = 0.0  # flat: nothing to exit (a held position is still routed)
    rig.send(bbo("ETH", 8))  # not tradable
    positions.size = 0.25
    regime.regime = FakeRegime()
    rig.send(feed(FeedStatus.STALE, "bbo:ETH", 9), bbo("ETH", 10))  # reducing: skip
    router.reduce_only = True
    rig.send(bbo("ETH", 11))  # reducing: reduce-only submit
    rig.engine.halt("test")
    rig.send(bbo("ETH", 12))  # halted

    nan = Rig(tmp_path / "b", alpha=FakeAlpha(float("nan")))
    nan.send(bbo("BTC", 1, 60000.0, 60001.0))  # error: alpha not finite

    class BadSink(FakeSink):
        def submit(self, decision_id: int, intents: Sequence[OrderIntent]) -> None:
            raise ConnectionError("gateway gone")

    bad = Rig(tmp_path / "c", order_sink=BadSink())
    bad.send(bbo("ETH", 1, 2500.0, 2500.5))  # submit whose sink raised
    gate_bug = Rig(tmp_path / "d", risk_gate=FailingGate())
    gate_bug.send(bbo("ETH", 1))  # error in the risk gate, intents already journaled
    rows: list[tuple[object, ...]] = []
    for r in (rig, nan, bad, gate_bug):
        r.journal.flush()
        with sqlite3.connect(r.path) as conn:
            rows += conn.execute("SELECT id, exchange_ns, local_ns, coin, trigger, outcome, "
                                 "reason, trading_state, inputs FROM decisions ORDER BY id")
            rows += conn.execute("SELECT 'error', * FROM errors ORDER BY id")
            rows += conn.execute("SELECT 'state', * FROM state_changes ORDER BY id")
    return rows


GOLDEN = Path(__file__).parent / "golden" / "engine_submit_first_rows.json"


def _as_json_rows(rows: list[tuple[object, ...]]) -> list[list[object]]:
    return [list(r) for r in rows]


def test_journal_rows_are_those_written_before_submit_first(tmp_path: Path) -> None:
    rows = run_scenario(tmp_path)
    decisions = [r for r in rows if isinstance(r[0], int)]
    assert [r[5] for r in decisions] == [
        Outcome.SUBMIT, Outcome.SUBMIT, Outcome.ERROR, Outcome.SUBMIT, Outcome.SKIP,
        Outcome.REJECTED, Outcome.ERROR, Outcome.NOT_TRADABLE, Outcome.SKIP, Outcome.SUBMIT,
        Outcome.HALTED, Outcome.ERROR, Outcome.SUBMIT, Outcome.ERROR]
    assert [r[0] for r in decisions] == [*range(1, 12), 1, 1, 1]
    want = orjson.loads(GOLDEN.read_bytes())
    got = _as_json_rows(rows)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g == w  # the inputs column compares as TEXT: key order included


if __name__ == "__main__":
    # Regenerate the golden rows (only from an engine known to be right):
    #   python -m tests.unit.core.test_engine_submit_first OUT_DIR
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(sys.argv[1]) / GOLDEN.name
        out.write_bytes(orjson.dumps(_as_json_rows(run_scenario(Path(tmp))),
                                     option=orjson.OPT_INDENT_2))
        print(out)


# ---------------------------------------------------------------- submit before the row


class WatchingSink(FakeSink):
    """Records what the journal held while the orders were being submitted."""

    def __init__(self, journal: Journal) -> None:
        super().__init__()
        self.journal = journal
        self.seen: list[tuple[int, int, int]] = []  # (decision id, pending rows, flushes)

    def submit(self, decision_id: int, intents: Sequence[OrderIntent]) -> None:
        super().submit(decision_id, intents)
        self.seen.append((decision_id, self.journal.pending, self.journal.flushes))


def test_orders_leave_before_the_row_is_queued_or_flushed(tmp_path: Path) -> None:
    sink = WatchingSink(Journal(tmp_path / "unused.sqlite"))
    rig = Rig(tmp_path / "r", order_sink=sink)
    # A batch of one: under the old order the decision's own row committed before submit.
    rig.journal.batch_size = 1
    sink.journal = rig.journal
    rig.send(bbo("ETH", 1), bbo("ETH", 2))
    assert sink.seen == [(1, 0, 0), (2, 0, 1)]  # nothing queued for the decision yet
    assert rig.journal.flushes == 2  # each row committed, after its submit
    with rig.reader() as r:
        assert [(d.id, d.outcome) for d in r.decisions()] == [(1, Outcome.SUBMIT),
                                                              (2, Outcome.SUBMIT)]
    assert [d for d, _ in sink.submitted] == [1, 2]


def test_a_raising_sink_still_leaves_the_row_under_the_submitted_id(tmp_path: Path) -> None:
    class BadSink(FakeSink):
        def submit(self, decision_id: int, intents: Sequence[OrderIntent]) -> None:
            super().submit(decision_id, intents)
            raise ConnectionError("gateway gone")

    sink = BadSink()
    rig = Rig(tmp_path, order_sink=sink, router=ExplainingRouter())
    rig.send(bbo("ETH", 1), bbo("ETH", 2))
    assert [d for d, _ in sink.submitted] == [1, 2]
    assert rig.engine.last_decision_id == 2
    assert rig.engine.snapshot().stage_errors == {"order_sink": 2}
    assert rig.state() is TradingState.REDUCING  # reducing_after=2: escalation unchanged
    with rig.reader() as r:
        ds = r.decisions()
        errs = r.errors()
        states = r.state_changes()
    assert [(d.id, d.outcome, d.trading_state) for d in ds] == [
        (1, Outcome.SUBMIT, "ACTIVE"), (2, Outcome.SUBMIT, "ACTIVE")]
    assert ds[1].inputs["approved"][0]["coin"] == "ETH"
    assert [(e.stage, e.error_type, e.message) for e in errs] == [
        ("order_sink", "ConnectionError", "gateway gone")] * 2
    assert [(s.from_state, s.to_state) for s in states] == [("ACTIVE", "REDUCING")]


def test_a_raising_explainer_no_longer_blocks_the_orders(tmp_path: Path) -> None:
    # The one deliberate change: an explanation is taken after submit, so a buggy
    # explainer is counted against its stage and stored as its error, the orders stand.
    class BadExplainAlpha(FakeAlpha):
        def explain(self) -> dict[str, float]:
            raise ValueError("cannot explain")

    rig = Rig(tmp_path, alpha=BadExplainAlpha())
    rig.send(bbo("ETH", 1))
    assert [d for d, _ in rig.sink.submitted] == [1]
    assert rig.engine.snapshot().stage_errors == {"alpha": 1}
    with rig.reader() as r:
        (d,) = r.decisions()
        (err,) = r.errors()
    assert d.outcome == Outcome.SUBMIT
    assert d.inputs["alpha_explain"] == {"explain_error": "ValueError('cannot explain')"}
    assert list(d.inputs)[7:9] == ["alpha_explain", "position"]
    assert (err.stage, err.message) == ("alpha", "cannot explain")


def test_ids_stay_sequential_across_every_outcome(tmp_path: Path) -> None:
    signals, gate = FakeSignals(), FakeGate()
    rig = Rig(tmp_path, signals=signals, risk_gate=gate)
    signals.fail_on = {2, 5}
    for t in range(1, 9):
        gate.reject = "limit" if t % 3 == 0 else None
        rig.send(bbo("BTC" if t % 2 else "ETH", t, 2500.0 + t, 2500.5 + t))
    with rig.reader() as r:
        ds = r.decisions()
    assert [d.id for d in ds] == list(range(1, len(ds) + 1))
    submitted = [d.id for d in ds if d.outcome == Outcome.SUBMIT]
    assert [d for d, _ in rig.sink.submitted] == submitted
    # Two signal errors make the state REDUCING: the later buys are skipped.
    assert {d.outcome for d in ds} == {Outcome.SUBMIT, Outcome.ERROR, Outcome.REJECTED,
                                       Outcome.SKIP}
