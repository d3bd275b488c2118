"""Determinism: the same events through a fresh engine give byte-identical journals.

Runs on a synthetic event sequence (always) and on the real Hyperliquid WebSocket
capture decoded by the real codec (skipped when ../shared/data is absent).
"""

from __future__ import annotations

import gzip
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import msgspec

from hyperliquid_ofi_trader.config.loader import load_config
from hyperliquid_ofi_trader.core.book_view import BookView
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.engine import Engine, EngineSettings, Outcome
from hyperliquid_ofi_trader.core.events import AnyEvent, Bbo, MarketEvent, Trade, Trades
from hyperliquid_ofi_trader.core.journal import Journal, JournalReader
from hyperliquid_ofi_trader.core.stages import (
    GateResult,
    OrderIntent,
    PlanIntent,
    Tif,
)
from hyperliquid_ofi_trader.core.state import TradingState
from hyperliquid_ofi_trader.runtime.assembly import build_markets
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

MS = 1_000_000


class Regime(msgspec.Struct, frozen=True):
    tradable: bool
    reasons: tuple[str, ...]


class BookSignals:
    """Test-only: L1 size imbalance of the engine's own book, so outputs depend on data."""

    def __init__(self, books: Mapping[str, BookView]) -> None:
        self.books = books

    def on_event(self, event: MarketEvent) -> None:
        pass  # reads the books the engine keeps

    def values(self, coin: str) -> Mapping[str, float]:
        bid, ask = self.books[coin].best_bid(), self.books[coin].best_ask()
        if bid is None or ask is None:
            return {}
        return {"ofi": (bid[1] - ask[1]) / (bid[1] + ask[1])}


class SpreadRegime:
    def __init__(self, books: Mapping[str, BookView]) -> None:
        self.books = books

    def on_event(self, event: MarketEvent) -> None:
        pass

    def values(self, coin: str) -> Regime:
        ok = self.books[coin].mid() is not None
        return Regime(tradable=ok, reasons=() if ok else ("empty book",))


class Alpha:
    def compute(self, signals: Mapping[str, float], regime: Regime) -> float:
        return max(-1.0, min(1.0, signals.get("ofi", 0.0)))


class Router:
    def route(self, coin: str, alpha: float, ofi: float | None,
              position: float) -> Sequence[OrderIntent]:
        if abs(alpha) < 0.5:
            return ()
        return (OrderIntent(coin=coin, is_buy=alpha > 0, size=0.001, price=1.0, tif=Tif.ALO),)


class Gate:
    def check(self, intents: Sequence[PlanIntent], state: TradingState,
              now_ns: int) -> GateResult:
        return GateResult(approved=tuple(intents), rejected=())


class Positions:
    def position(self, coin: str) -> float:
        return 0.0


class Sink:
    def submit(self, decision_id: int, intents: Sequence[PlanIntent]) -> None:
        pass

    def cancel_all(self, reason: str) -> None:
        pass


def run(events: Iterable[AnyEvent], path: Path, settings: EngineSettings) -> Engine:
    clock = ReplayClock()
    journal = Journal(path, batch_size=7)  # odd size: batches split at arbitrary points
    # The wiring a composition root does: market data first, stages built on its books.
    markets = build_markets(settings)
    books = {c: m.book for c, m in markets.items()}
    engine = Engine(settings, clock, journal, markets=markets, signals=BookSignals(books),
                    regime=SpreadRegime(books), alpha=Alpha(), positions=Positions(),
                    router=Router(), risk_gate=Gate(), order_sink=Sink())
    for ev in events:
        clock.advance_to(ev.local_ns)
        engine.on_event(ev)
    journal.close()
    return engine


def dump(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    rows: list[tuple[object, ...]] = []
    for table in ("decisions", "state_changes", "errors"):
        rows += conn.execute(f"SELECT '{table}', * FROM {table} ORDER BY id").fetchall()
    conn.close()
    return rows


def synthetic() -> list[AnyEvent]:
    out: list[AnyEvent] = []
    for i in range(200):
        t = (1000 + i * 37) * MS
        coin = "BTC" if i % 3 == 0 else "ETH"
        px = 2500.0 + (i % 7) * 0.1
        out.append(Bbo(exchange_ns=t, local_ns=t + (i % 5) * MS, coin=coin,
                       bid=(px, 1.0 + i % 4, 1), ask=(px + 0.1, 1.0 + i % 3, 1)))
        if i % 10 == 0:
            trade = Trade(coin=coin, price=px, size=0.5, is_buy=i % 20 == 0, exchange_ns=t,
                          tid=i, hash="0x0")
            out.append(Trades(exchange_ns=t, local_ns=t + MS, coin=coin, trades=(trade,)))
    return out


def test_synthetic_replay_twice_is_identical(tmp_path: Path) -> None:
    settings = EngineSettings.from_config(load_config(), coins=("BTC", "ETH"), traded=("ETH",),
                                          lead="BTC")
    events = synthetic()
    e1 = run(events, tmp_path / "a.sqlite", settings)
    e2 = run(events, tmp_path / "b.sqlite", settings)
    a, b = dump(tmp_path / "a.sqlite"), dump(tmp_path / "b.sqlite")
    assert len(a) == e1.decisions == len(events)  # every event here decides for ETH once
    assert a == b
    assert e1.snapshot() == e2.snapshot()
    outcomes = e1.snapshot().outcomes
    assert outcomes.get(Outcome.SUBMIT, 0) > 0
    assert outcomes.get(Outcome.SKIP, 0) > 0


def _capture_events(path: Path) -> list[AnyEvent]:
    codec = HyperliquidCodec()
    events: list[AnyEvent] = []
    with gzip.open(path, "rt") as fh:
        for line in fh:
            stamp, _, frame = line.rstrip("\n").partition(" ")
            events += codec.decode(frame, int(stamp))
    return events


def test_real_capture_replay_twice_is_identical(tmp_path: Path,
                                                hl_ws_capture_btc: Path) -> None:
    events = _capture_events(hl_ws_capture_btc)
    assert len(events) > 40
    settings = EngineSettings.from_config(load_config(), coins=("BTC",), traded=("BTC",),
                                          lead=None, leads=(), lead_of={})
    e1 = run(events, tmp_path / "a.sqlite", settings)
    run(events, tmp_path / "b.sqlite", settings)
    a, b = dump(tmp_path / "a.sqlite"), dump(tmp_path / "b.sqlite")
    assert a == b
    assert e1.snapshot().stage_errors == {}
    with JournalReader(tmp_path / "a.sqlite") as r:
        decisions = r.decisions()
    assert len(decisions) == e1.decisions > 40
    booked = [d for d in decisions if d.trigger == "BookSnapshot"]
    assert booked
    assert all(d.inputs["book"]["bid"] < d.inputs["book"]["ask"] for d in booked)
