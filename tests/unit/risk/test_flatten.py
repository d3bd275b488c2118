"""Flatten on halt: reduce-only IOC orders through the touch, only when enabled."""

from __future__ import annotations

from collections.abc import Sequence

from hyperliquid_ofi_trader.core.events import Side
from hyperliquid_ofi_trader.core.stages import OrderIntent, PlanIntent, Tif
from hyperliquid_ofi_trader.risk.flatten import FLATTEN_DECISION_ID, FlatteningSink, flatten_intents
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import Instrument

ETH = Instrument(name="ETH", asset=1, sz_decimals=4, max_leverage=25)
BTC = Instrument(name="BTC", asset=0, sz_decimals=5, max_leverage=40)


class Book:
    """A one-level book of size 1 on each side."""

    coin = "ETH"
    exchange_ns = 0

    def __init__(self, bid: float, ask: float) -> None:
        self.bid, self.ask = bid, ask

    def best_bid(self) -> tuple[float, float] | None:
        return (self.bid, 1.0)

    def best_ask(self) -> tuple[float, float] | None:
        return (self.ask, 1.0)

    def mid(self) -> float | None:
        return (self.bid + self.ask) / 2

    def depth(self, levels: int = 5) -> float:
        return 2.0

    def levels(self, side: Side, n: int) -> list[tuple[float, float]]:
        return [(self.bid, 1.0) if side == Side.BID else (self.ask, 1.0)][:n]


class Sink:
    def __init__(self) -> None:
        self.submitted: list[tuple[int, tuple[PlanIntent, ...]]] = []
        self.cancels: list[str] = []

    def submit(self, decision_id: int, intents: Sequence[PlanIntent]) -> None:
        self.submitted.append((decision_id, tuple(intents)))

    def cancel_all(self, reason: str) -> None:
        self.cancels.append(reason)


BOOKS = {"ETH": Book(3000.0, 3000.1), "BTC": Book(95000.0, 95001.0)}
INSTRUMENTS = {"ETH": ETH, "BTC": BTC}


def test_long_sells_below_bid_short_buys_above_ask_all_reduce_only() -> None:
    intents = {i.coin: i for i in flatten_intents({"ETH": 0.25, "BTC": -0.01234567}, BOOKS,
                                                  INSTRUMENTS, slippage_bps=10.0)}
    eth, btc = intents["ETH"], intents["BTC"]
    assert (eth.is_buy, eth.size, eth.tif, eth.reduce_only) == (False, 0.25, Tif.IOC, True)
    assert 3000.0 * (1 - 10e-4) <= eth.price < 3000.0
    assert (btc.is_buy, btc.size, btc.reduce_only) == (True, 0.01234, True)
    assert 95001.0 < btc.price <= 95001.0 * (1 + 10e-4)


def test_flat_dust_and_unknown_coins_produce_nothing() -> None:
    assert flatten_intents({"ETH": 0.0, "BTC": 1e-9, "SOL": 5.0}, BOOKS, INSTRUMENTS, 5.0) == []


def test_sink_flattens_only_when_enabled() -> None:
    for enabled, expected in ((False, 0), (True, 1)):
        inner = Sink()
        sink = FlatteningSink(inner, enabled, lambda: {"ETH": -0.5}, BOOKS, INSTRUMENTS, 5.0)
        sink.cancel_all("kill switch")
        assert inner.cancels == ["kill switch"]
        assert len(inner.submitted) == expected
        if expected:
            decision_id, intents = inner.submitted[0]
            assert decision_id == FLATTEN_DECISION_ID
            (flat,) = intents
            assert isinstance(flat, OrderIntent)
            assert flat.is_buy
            assert flat.reduce_only
