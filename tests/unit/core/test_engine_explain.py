"""`hlofi explain`: a journaled decision is shown with its inputs, outcome and context."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import msgspec
import orjson
import typer
from typer.testing import CliRunner

from hyperliquid_ofi_trader.cli import explain
from hyperliquid_ofi_trader.config.loader import load_config
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.engine import Engine, EngineSettings
from hyperliquid_ofi_trader.core.events import AnyEvent, Bbo, FeedState, FeedStatus, MarketEvent
from hyperliquid_ofi_trader.core.journal import Journal
from hyperliquid_ofi_trader.runtime.assembly import build_markets

MS = 1_000_000
T0 = 1_737_918_843_000 * MS  # 2025-01-26 19:14:03 UTC


class Regime(msgspec.Struct, frozen=True):
    tradable: bool = True
    reasons: tuple[str, ...] = ()
    volatility: str = "NORMAL"


class Signals:
    def __init__(self) -> None:
        self.n = 0

    def on_event(self, event: MarketEvent) -> None:
        self.n += 1
        if self.n == 1:
            raise KeyError("microprice model missing")

    def values(self, coin: str) -> Mapping[str, float]:
        return {"ofi": 0.8125, "leadlag": -1.0}


class RegimeStage:
    def on_event(self, event: MarketEvent) -> None:
        pass

    def values(self, coin: str) -> Regime:
        return Regime()


class Alpha:
    def compute(self, signals: Mapping[str, float], regime: Regime) -> float:
        return 0.4375


def _journal(tmp_path: Path) -> Path:
    path = tmp_path / "j.sqlite"
    clock = ReplayClock()
    settings = EngineSettings.from_config(load_config(), coins=("BTC", "ETH"), traded=("ETH",),
                                          lead="BTC")
    with Journal(path) as journal:
        engine = Engine(settings, clock, journal, markets=build_markets(settings),
                        signals=Signals(), regime=RegimeStage(), alpha=Alpha())
        events: list[AnyEvent] = [
            Bbo(exchange_ns=T0, local_ns=T0 + 3 * MS, coin="ETH", bid=(3301.5, 2.5, 4),
                ask=(3301.6, 7.25, 5)),
            FeedState(exchange_ns=0, local_ns=T0 + 4 * MS, status=FeedStatus.STALE,
                      channel="bbo:BTC", coin="BTC", detail="silent 6.0 s"),
            Bbo(exchange_ns=T0 + 100 * MS, local_ns=T0 + 104 * MS, coin="ETH",
                bid=(3301.7, 1.5, 2), ask=(3301.8, 9.0, 6)),
        ]
        for i, ev in enumerate(events):
            clock.advance_to(ev.local_ns + i)
            engine.on_event(ev)
    return path


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test root, so `explain` stays a subcommand."""

    explain.register(app)
    return app


def test_explain_shows_inputs_outcome_and_context(tmp_path: Path) -> None:
    db = _journal(tmp_path)
    result = CliRunner().invoke(_app(), ["explain", "2", "--db", str(db)])
    assert result.exit_code == 0, result.output
    out = result.output
    for needle in ("decision 2", "not_configured", "no router configured", "ETH",
                   "REDUCING", "3301.7", "3301.8", "9", "0.8125", "leadlag", "0.4375",
                   "NORMAL", "2025-01-26 19:14:03.100000000 UTC",
                   "2025-01-26 19:14:03.104000000 UTC", "4.000 ms",
                   "ACTIVE -> REDUCING", "feed stale on bbo:BTC", "KeyError",
                   "microprice model missing"):
        assert needle in out, f"{needle!r} missing from:\n{out}"


def test_explain_error_decision_and_json(tmp_path: Path) -> None:
    db = _journal(tmp_path)
    result = CliRunner().invoke(_app(), ["explain", "1", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    row = orjson.loads(result.output)
    assert row["outcome"] == "error"
    assert row["inputs"]["failed_stage"] == "signals"
    assert row["inputs"]["book"]["bid_sz"] == 2.5


def test_explain_user_errors_are_clear(tmp_path: Path) -> None:
    db = _journal(tmp_path)
    runner = CliRunner()
    missing = runner.invoke(_app(), ["explain", "99", "--db", str(db)])
    assert missing.exit_code == 1
    assert "no decision 99" in missing.output
    assert "ids 1..2" in missing.output
    absent = runner.invoke(_app(), ["explain", "1", "--db", str(tmp_path / "nope.sqlite")])
    assert absent.exit_code == 1
    assert "journal not found" in absent.output
    assert "Traceback" not in absent.output
    bad_id = runner.invoke(_app(), ["explain", "0", "--db", str(db)])
    assert bad_id.exit_code != 0
