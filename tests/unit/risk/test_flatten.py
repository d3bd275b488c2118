"""Flatten on halt: the reduce-only IOC orders proposed (the engine sends them through the
gate: tests/unit/core/test_engine_flatten.py)."""

from __future__ import annotations

from hyperliquid_ofi_trader.core.events import Side
from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.risk.flatten import FLATTEN_TAG, Flattener, flatten_intents
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


def test_a_position_over_max_order_usd_closes_in_equal_parts_within_it() -> None:
    # 0.25 ETH at ~2997 is ~$749: four parts of 0.0625 (~$187) at most $200 each.
    parts = flatten_intents({"ETH": 0.25}, BOOKS, INSTRUMENTS, 10.0, max_order_usd=200.0)
    assert [p.size for p in parts] == [0.0625] * 4
    assert all(p.size * p.price <= 200.0 for p in parts)
    assert {(p.is_buy, p.reduce_only, p.tif, p.tag) for p in parts} == {
        (False, True, Tif.IOC, FLATTEN_TAG)}
    # An odd size: equal parts on the lot, the last takes the lots left, none dust.
    odd = flatten_intents({"ETH": -0.2501}, BOOKS, INSTRUMENTS, 10.0, max_order_usd=200.0)
    assert sum(round(p.size * 1e4) for p in odd) == 2501
    assert len(odd) == 4
    assert all(p.size * p.price <= 200.0 and p.size * p.price > 150.0 for p in odd)


def test_the_flattener_reads_positions_when_asked() -> None:
    held = {"ETH": -0.5}
    flattener = Flattener(lambda: held, BOOKS, INSTRUMENTS, 5.0)
    (intent,) = flattener()
    assert (intent.coin, intent.is_buy, intent.size) == ("ETH", True, 0.5)
    held["ETH"] = 0.0
    assert flattener() == []
    assert flattener.proposed == 1
