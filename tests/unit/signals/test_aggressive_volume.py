"""Aggressive (taker) volume imbalance: value, bounds, eviction on exchange time, rejections."""

from __future__ import annotations

import math

import pytest

from hyperliquid_ofi_trader.core.events import Trade, Trades
from hyperliquid_ofi_trader.signals.aggressive_volume import AggressiveVolume, aggressive_imbalance


def trade(size: float, is_buy: bool, ns: int, tid: int) -> Trade:
    return Trade(coin="BTC", price=100.0, size=size, is_buy=is_buy, exchange_ns=ns, tid=tid,
                 hash="0x0")


def test_imbalance_function() -> None:
    assert aggressive_imbalance(3.0, 1.0) == pytest.approx(0.5)
    assert aggressive_imbalance(0.0, 2.0) == -1.0
    assert aggressive_imbalance(0.0, 0.0) == 0.0
    assert aggressive_imbalance(-1e-17, 0.0) == 0.0  # eviction residue is no volume
    assert aggressive_imbalance(math.nan, 1.0) == 0.0  # unknown, not one-sided
    assert aggressive_imbalance(math.inf, 1.0) == 0.0


def test_window_value_and_eviction() -> None:
    av = AggressiveVolume(window_ns=1_000)
    assert av.value() == 0.0
    av.on_trade(3.0, True, 100)
    av.on_trade(1.0, False, 600)
    assert av.value() == pytest.approx(0.5)
    assert av.buy_volume() == 3.0
    assert av.sell_volume() == 1.0
    assert av.advance(1_100) == pytest.approx(-1.0)  # the buy at 100 left (100, 1100]
    assert av.advance(1_600) == 0.0


def test_a_sell_advances_the_buy_window_too() -> None:
    av = AggressiveVolume(window_ns=1_000)
    av.on_trade(5.0, True, 0)
    av.on_trade(1.0, False, 2_000)
    assert av.buy_volume() == 0.0
    assert av.value() == -1.0


def test_on_trades_event_and_rejections() -> None:
    av = AggressiveVolume(window_ns=10_000)
    ev = Trades(exchange_ns=30, local_ns=31, coin="BTC", trades=(
        trade(2.0, True, 10, 1), trade(-1.0, False, 20, 2), trade(math.nan, True, 20, 3),
        trade(1.0, False, 30, 4)))
    assert av.on_trades(ev) == 2
    assert av.rejected == 2
    assert av.value() == pytest.approx(1.0 / 3.0)
