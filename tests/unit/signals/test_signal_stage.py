"""SignalSuite: the concrete SignalStage wiring the four signals onto the engine's books."""

from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.config.loader import build_config
from hyperliquid_ofi_trader.config.models import AppConfig
from hyperliquid_ofi_trader.core.events import Bbo, Trade, Trades
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.signals.aggressive_volume import (
    AggressiveVolume,
    AggressiveVolumeSignal,
)
from hyperliquid_ofi_trader.signals.stage import SignalSuite

MS = 1_000_000


def bbo(coin: str, ns: int, bid: tuple[float, float], ask: tuple[float, float]) -> Bbo:
    return Bbo(exchange_ns=ns, local_ns=ns + 50 * MS, coin=coin, bid=(*bid, 1), ask=(*ask, 1))


def config(traded: tuple[str, ...] = ("ETH",)) -> AppConfig:
    """The packaged config trading `traded`, with Level-1 OFI over a one-level depth, and a
    short BTC -> ETH lead-lag pair (100 ms window, 2 s volatility half-life) the tests can
    warm up."""
    return build_config({
        "thresholds.yaml": {"ofi": {"levels": 1, "depth_levels": 1},
                            "leadlag": {"vol_halflife_ms": 2_000}},
        "symbols.yaml": {"lead_lag": [{"lead": "BTC", "lag": "ETH", "window_ms": 100}],
                         "traded": list(traded)},
        "risk.yaml": {"limits": {"max_position_usd": dict.fromkeys(traded, 1_000.0)}}})


def suite() -> tuple[SignalSuite, dict[str, OrderBook]]:
    books = {"BTC": OrderBook("BTC"), "ETH": OrderBook("ETH")}
    cfg = config()
    return SignalSuite(books, cfg.thresholds, cfg.symbols, {"ETH": 0.1}), books


def feed(s: SignalSuite, books: dict[str, OrderBook], ev: Bbo) -> dict[str, float]:
    books[ev.coin].apply_bbo(ev)  # the engine updates the book before the stages run
    return dict(s.update("ETH", ev, ev.local_ns))


def test_ofi_and_microprice_from_book_events() -> None:
    s, books = suite()
    out = feed(s, books, bbo("ETH", 1 * MS, (2000.0, 3.0), (2000.1, 1.0)))
    assert out["ofi"] == 0.0  # first update only initialises
    assert out["microprice"] == pytest.approx(0.5)  # I = 0.75 → (I − ½)·2
    out = feed(s, books, bbo("ETH", 2 * MS, (2000.0, 5.0), (2000.1, 1.0)))
    # OFI +2 (bid size 3 → 5) over a depth per level still ≈ (3 + 1) / 2 = 2 (60 s half-life)
    assert out["ofi"] == pytest.approx(1.0, rel=1e-3)
    assert "leadlag" not in out
    assert "aggressive_volume" not in out


def test_aggressive_volume_and_staleness_on_exchange_time() -> None:
    s, books = suite()
    trades = Trades(exchange_ns=10 * MS, local_ns=900 * MS, coin="ETH", trades=(
        Trade(coin="ETH", price=2000.0, size=3.0, is_buy=True, exchange_ns=10 * MS, tid=1,
              hash="0x"),
        Trade(coin="ETH", price=2000.0, size=1.0, is_buy=False, exchange_ns=10 * MS, tid=2,
              hash="0x")))
    out = s.update("ETH", trades, trades.local_ns)
    assert out["aggressive_volume"] == pytest.approx(0.5)  # fresh: latency does not age it
    later = bbo("BTC", 10 * MS + 10_001 * MS, (42_000.0, 1.0), (42_001.0, 1.0))
    out = feed(s, books, later)
    assert "aggressive_volume" not in out  # 10 s of exchange time later: stale


def test_leadlag_published_for_lag_coin() -> None:
    s, books = suite()
    t = 0
    for i in range(60):
        up = 0.5 if i % 2 else 0.0
        feed(s, books, bbo("BTC", t, (42_000.0 + up, 1.0), (42_001.0 + up, 1.0)))
        feed(s, books, bbo("ETH", t + 1, (2000.0, 1.0), (2000.1, 1.0)))
        t += 10 * MS
    out = feed(s, books, bbo("BTC", t, (42_400.0, 1.0), (42_401.0, 1.0)))
    assert out["leadlag"] == 1.0


def test_an_event_asked_about_for_several_coins_is_applied_once() -> None:
    # BTC traded and leading ETH: every BTC event is asked about for BTC and for ETH.
    books = {"BTC": OrderBook("BTC"), "ETH": OrderBook("ETH")}
    cfg = config(("BTC", "ETH"))
    ticks = {"BTC": 1.0, "ETH": 0.1}
    once = SignalSuite(books, cfg.thresholds, cfg.symbols, ticks)
    twice = SignalSuite(books, cfg.thresholds, cfg.symbols, ticks)
    for i, (size, is_buy) in enumerate(((3.0, True), (1.0, False), (2.0, True))):
        ev = Trades(exchange_ns=(i + 1) * MS, local_ns=(i + 2) * MS, coin="BTC", trades=(
            Trade(coin="BTC", price=42_000.0, size=size, is_buy=is_buy,
                  exchange_ns=(i + 1) * MS, tid=i, hash="0x"),))
        assert dict(twice.update("BTC", ev, ev.local_ns)) == dict(
            once.update("BTC", ev, ev.local_ns))
        twice.update("ETH", ev, ev.local_ns)
    # Each print counted once (the taker flow behind the aggressive-volume signal).
    flow_once, flow_twice = _flow(once), _flow(twice)
    assert (flow_twice.buy_volume(), flow_twice.sell_volume()) == (5.0, 1.0)
    assert (flow_once.buy_volume(), flow_once.sell_volume()) == (5.0, 1.0)


def _flow(suite: SignalSuite) -> AggressiveVolume:
    signal = suite._coins["BTC"].signals["aggressive_volume"]
    assert isinstance(signal, AggressiveVolumeSignal)
    return signal.flow


def test_constructor_errors() -> None:
    cfg = config()
    with pytest.raises(ValueError, match="book for"):
        SignalSuite({"ETH": OrderBook("ETH")}, cfg.thresholds, cfg.symbols, {"ETH": 0.1})
    with pytest.raises(ValueError, match="tick size"):
        SignalSuite({"ETH": OrderBook("ETH"), "BTC": OrderBook("BTC")}, cfg.thresholds,
                    cfg.symbols, {})
    assert s_state_is_exposed()


def s_state_is_exposed() -> bool:
    s, _ = suite()
    return s.state("ETH") is not None and s.state("BTC") is None
