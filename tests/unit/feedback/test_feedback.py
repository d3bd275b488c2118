"""Feedback: slippage, fill rates, markouts on exchange time, signal trust."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.config.packaged import packaged_config
from hyperliquid_ofi_trader.core.commands import PlaceOrder
from hyperliquid_ofi_trader.core.events import Bbo, Fill, OrderStatus, OrderUpdate
from hyperliquid_ofi_trader.core.records import FillReport
from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.feedback.fill_rate import FillRateTracker
from hyperliquid_ofi_trader.feedback.markouts import MarkoutResult, Markouts
from hyperliquid_ofi_trader.feedback.probe import FeedbackProbe
from hyperliquid_ofi_trader.feedback.slippage import SlippageTracker
from hyperliquid_ofi_trader.feedback.trust_score import SignalTrust, TrustSettings

MS = 1_000_000
T0 = 1_700_000_000_000 * MS


def fill(is_buy: bool, px: float, t: int = T0, cloid: str | None = "0xa", tid: int = 1) -> Fill:
    return Fill(coin="ETH", price=px, size=0.1, is_buy=is_buy, exchange_ns=t, start_position=0,
                direction="", closed_pnl=0.0, hash="", oid=1, crossed=False, fee=0.0, tid=tid,
                fee_token="USDC", cloid=cloid, liquidation=False)


def bbo(t: int, bid: float, ask: float) -> Bbo:
    return Bbo(exchange_ns=t, local_ns=t, coin="ETH", bid=(bid, 1.0, 1), ask=(ask, 1.0, 1))


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def now_ns(self) -> int:
        return self.t


def setup() -> tuple[FeedbackProbe, SlippageTracker, FillRateTracker, SignalTrust, Clock]:
    book = OrderBook("ETH")
    book.apply_bbo(bbo(T0, 2000.0, 2001.0))
    slip, rate, trust, clock = SlippageTracker(), FillRateTracker(), SignalTrust(), Clock()
    probe = FeedbackProbe({"ETH": book}, slip, rate, trust,
                          signals_of=lambda c: {"ofi": 1.5, "leadlag": -0.2})
    return probe, slip, rate, trust, clock


def place(probe: FeedbackProbe, cloid: str, tif: Tif, is_buy: bool = True) -> None:
    # What the order manager tells its sent listeners once the order was handed over.
    probe.on_sent([PlaceOrder(cloid=cloid, coin="ETH", is_buy=is_buy, price=2001.0,
                              size=0.1, tif=tif, reduce_only=False, decision_id=1)], (), T0)


def test_slippage_vs_decision_mid_and_arrival() -> None:
    probe, slip, _, _, _ = setup()
    place(probe, "0xa", Tif.IOC)
    s = slip.on_fill(fill(True, 2001.5))
    assert s is not None
    assert s.tif == "Ioc"
    assert s.vs_mid_bps == pytest.approx((2001.5 - 2000.5) / 2000.5 * 1e4)
    assert s.vs_arrival_bps == pytest.approx((2001.5 - 2001.0) / 2001.0 * 1e4)
    sell = slip.on_fill(fill(False, 2001.5))  # a sell above the mid is a gain
    assert sell is not None
    assert sell.vs_mid_bps is not None
    assert sell.vs_mid_bps < 0
    assert slip.on_fill(fill(True, 1.0, cloid="0xunknown")) is None
    assert slip.unmatched == 1
    assert slip.summary()["vs_mid"]["Ioc"]["count"] == 2


def test_fill_rate_post_only() -> None:
    probe, _, rate, _, clock = setup()
    place(probe, "0xa", Tif.ALO)
    place(probe, "0xb", Tif.ALO)
    place(probe, "0xc", Tif.ALO)
    rate.on_fill_report(FillReport(fill=fill(True, 2000.0), local_ns=T0 + 250 * MS,
                                   is_snapshot=False, cloid="0xa", decision_id=1,
                                   tif=Tif.ALO, limit_px=2000.0, intent_ns=T0,
                                   order_state=None))

    def upd(cloid: str, status: OrderStatus, size: float) -> OrderUpdate:
        return OrderUpdate(exchange_ns=T0, local_ns=T0, coin="ETH", is_buy=True, limit_px=2000.0,
                           size=size, orig_size=0.1, oid=1, cloid=cloid, status=status,
                           raw_status=status.value, order_ns=T0)

    rate.on_private(upd("0xa", OrderStatus.FILLED, 0.0))
    rate.on_private(upd("0xb", OrderStatus.CANCELED, 0.1))
    rate.on_private(upd("0xb", OrderStatus.CANCELED, 0.1))  # repeated: counted once
    summary = rate.summary()["Alo"]
    assert summary["placed"] == 3
    assert summary["closed"] == 2
    assert rate.post_only_fill_ratio() == 0.5
    assert summary["cancel_ratio"] == 0.5
    assert summary["time_to_fill_ms_p50"] == pytest.approx(250.0)
    del clock


def test_markouts_complete_lazily_on_exchange_time() -> None:
    m = Markouts(horizons_ms=(100, 1000))
    got: list[MarkoutResult] = []
    m.add_listener(got.append)
    m.on_market(bbo(T0 - 10 * MS, 2000.0, 2001.0))  # mid 2000.5 in force at the fill
    m.on_fill(fill(True, 2001.0))
    m.on_market(bbo(T0 + 50 * MS, 2001.0, 2002.0))  # mid 2001.5
    assert got == []
    m.on_market(bbo(T0 + 150 * MS, 2003.0, 2004.0))  # completes h=100 with the mid in force
    assert [r.horizon_ms for r in got] == [100]
    assert got[0].mid_at_horizon == 2001.5
    assert got[0].move_bps == pytest.approx(1.0 / 2000.5 * 1e4)
    assert got[0].pnl_bps == pytest.approx(0.5 / 2001.0 * 1e4)
    m.on_market(bbo(T0 + 1000 * MS, 1999.0, 2000.0))  # exactly at the horizon: new mid
    assert got[1].horizon_ms == 1000
    assert got[1].mid_at_horizon == 1999.5
    assert got[1].move_bps is not None
    assert got[1].move_bps < 0


def test_markouts_signed_by_side() -> None:
    m = Markouts(horizons_ms=(100,))
    got: list[MarkoutResult] = []
    m.add_listener(got.append)
    m.on_market(bbo(T0, 2000.0, 2001.0))
    m.on_fill(fill(False, 2000.0))
    m.on_market(bbo(T0 + 50 * MS, 1990.0, 1991.0))  # price fell: good for a sell
    assert got == []
    m.on_market(bbo(T0 + 200 * MS, 1990.0, 1991.0))
    assert got[0].move_bps is not None
    assert got[0].move_bps > 0


def test_trust_fed_from_markouts_via_the_probe() -> None:
    probe, _, _, trust, _ = setup()
    place(probe, "0xa", Tif.ALO)
    m = Markouts(horizons_ms=(1000,))
    m.add_listener(trust.on_markout)
    m.on_market(bbo(T0, 2000.0, 2001.0))
    for i in range(40):
        t = T0 + i * 2000 * MS
        m.on_fill(fill(True, 2000.0, t=t, tid=i))
        m.on_market(bbo(t + 500 * MS, 1990.0 - i, 1991.0 - i))  # always down after buys
        m.on_market(bbo(t + 1500 * MS, 1990.0 - i, 1991.0 - i))
    # Fills are decisions the forecast already scores on their forward move: counted here,
    # not learned twice (tests/unit/alpha/test_forecast_trust.py covers the learning).
    assert trust.fill_observations == 40
    assert 0.0 <= trust.weight("ofi") <= 1.0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([-1.0, 0.0, 1.0]), st.booleans(),
                          st.floats(-50, 50, allow_nan=False)), max_size=200),
       st.floats(0.5, 10.0))
def test_trust_weight_always_in_unit_interval(obs: list[tuple[float, bool, float]],
                                              z_full: float) -> None:
    section = packaged_config().thresholds.forecast.model_copy(update={"trust_z_full": z_full})
    t = SignalTrust(TrustSettings(online=section))
    for sign, is_buy, mk in obs:
        t.update("ofi", sign, fill(is_buy, 100.0), mk)
        w = t.weight("ofi")
        assert 0.0 <= w <= 1.0
        assert 0.5 <= t.p_hat("ofi") <= 1.0
