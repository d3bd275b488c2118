"""The exit fill mix and IOC slippage measured on our fills (feedback/fill_costs.py), and
the cost model pricing with them."""

from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.core.events import Fill
from hyperliquid_ofi_trader.core.records import FillReport
from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.execution.costs import CostModel
from hyperliquid_ofi_trader.feedback.fill_costs import ExitFillMix, IocSlippage, PriorMean
from hyperliquid_ofi_trader.feedback.slippage import OrderContext

MS = 1_000_000


def report(*, is_buy: bool, start: float, crossed: bool, price: float = 2000.0,
           cloid: str | None = "c1", tif: Tif | None = Tif.IOC,
           snapshot: bool = False) -> FillReport:
    fill = Fill(coin="ETH", price=price, size=0.1, is_buy=is_buy, exchange_ns=MS,
                start_position=start, direction="", closed_pnl=0.0, hash="0x", oid=1,
                crossed=crossed, fee=0.0, tid=1, fee_token="USDC", cloid=cloid,
                liquidation=False)
    return FillReport(fill=fill, local_ns=MS, is_snapshot=snapshot, cloid=cloid,
                      decision_id=1, tif=tif, limit_px=None, intent_ns=0, order_state=None)


def test_prior_mean_moves_by_one_over_its_weight_then_forgets() -> None:
    m = PriorMean(0.5, 2.0, 4.0)
    m.add(1.0)  # weight 3: 0.5 + 0.5 / 3
    assert m.value == pytest.approx(0.5 + 0.5 / 3)
    m.add(1.0)
    m.add(1.0)  # weight capped at 4: each sample then moves it a quarter of the way
    v = m.value
    m.add(0.0)
    assert m.value == pytest.approx(v * 0.75)
    with pytest.raises(ValueError, match="max >= weight"):
        PriorMean(0.5, 2.0, 1.0)


def test_exit_mix_counts_only_fills_that_reduce_a_position() -> None:
    mix = ExitFillMix(prior_share=0.5, prior_fills=1.0)
    mix.on_fill_report(report(is_buy=True, start=0.0, crossed=True))  # an entry
    mix.on_fill_report(report(is_buy=True, start=0.2, crossed=True))  # adding to a long
    mix.on_fill_report(report(is_buy=False, start=0.2, crossed=False, snapshot=True))
    mix.on_fill_report(report(is_buy=False, start=0.2, crossed=False, cloid=None))
    assert (mix.samples, mix.maker_share()) == (0, 0.5)
    mix.on_fill_report(report(is_buy=False, start=0.2, crossed=True))  # long closed by IOC
    assert mix.maker_share() == pytest.approx(0.25)  # (0.5 x 1 + 0) / 2
    mix.on_fill_report(report(is_buy=True, start=-0.2, crossed=False))  # short, resting
    assert mix.maker_share() == pytest.approx(0.5)  # (0.25 x 2 + 1) / 3
    assert mix.samples == 2


def test_ioc_slippage_is_measured_per_order_beyond_the_touch_at_send() -> None:
    def ctx(is_buy: bool) -> OrderContext:
        return OrderContext(coin="ETH", is_buy=is_buy, tif="Ioc", decision_mid=2000.0,
                            arrival_px=2000.0, sent_ns=0)

    orders = {"b1": ctx(True), "s1": ctx(False), "b2": ctx(True), "b3": ctx(True)}
    slip = IocSlippage(lambda cloid: None if cloid is None else orders.get(cloid),
                       prior_bps=0.5, prior_fills=1.0)
    slip.on_fill_report(report(is_buy=True, start=0.0, crossed=True, cloid="nope"))
    slip.on_fill_report(report(is_buy=True, start=0.0, crossed=False, cloid="b1",
                               tif=Tif.ALO))
    # b1 sweeps: 0.1 at the touch, 0.1 at 2000.4 (2 bps): one order, 1 bps size-weighted.
    slip.on_fill_report(report(is_buy=True, start=0.0, crossed=True, price=2000.0,
                               cloid="b1"))
    slip.on_fill_report(report(is_buy=True, start=0.0, crossed=True, price=2000.4,
                               cloid="b1"))
    assert (slip.samples, slip.slippage_bps()) == (0, 0.5)  # b1 is complete when s1 fills
    # A sell 0.6 below the touch of 2000: 3 bps worse.
    slip.on_fill_report(report(is_buy=False, start=0.0, crossed=True, price=1999.4,
                               cloid="s1"))
    assert slip.slippage_bps() == pytest.approx((0.5 + 1.0) / 2)
    slip.on_fill_report(report(is_buy=True, start=0.0, crossed=True, price=1999.0,
                               cloid="b2"))
    assert slip.slippage_bps() == pytest.approx((0.5 + 1.0 + 3.0) / 3)
    # Better than the touch is not planned on: the expected slippage never goes below 0.
    for cloid in ("b3", "b2", "b3", "b2", "b3", "b2"):
        slip.on_fill_report(report(is_buy=True, start=0.0, crossed=True, price=1999.0,
                                   cloid=cloid))
    assert slip.samples == 8
    assert slip.slippage_bps() == 0.0


def test_the_cost_model_prices_the_measured_exit_mix_and_slippage() -> None:
    costs = build_config({"thresholds.yaml": {"costs": {
        "fee_tier": 0, "adverse_prior_bps": 1.0, "exit_post_only_share": 0.5,
        "expected_slippage_bps": 0.5}}}).thresholds.costs
    share, slippage = [0.5], [0.5]
    c = CostModel(costs, exit_maker_share=lambda: share[0], slippage_bps=lambda: slippage[0])
    q = c.quote(12.0, 0.0, half_spread_bps=0.5, model_latency_ms=200)
    assert q.taker_cost_bps == pytest.approx(8.75)  # as with the configured half
    share[0], slippage[0] = 0.0, 1.5  # every exit crossed, 1.5 bps beyond the touch
    q = c.quote(12.0, 0.0, half_spread_bps=0.5, model_latency_ms=200)
    # IOC leg 4.5 + 0.5 + 1.5 = 6.5, twice; maker: 1.5 - 0.5 + 1.0 + 6.5
    assert q.taker_cost_bps == pytest.approx(13.0)
    assert q.maker_cost_bps == pytest.approx(8.5)
    assert c.exit_quote(0.0, 0.0, 0.5, 200).taker_cost_bps == pytest.approx(6.5)
    assert c.explain()["exit_maker_share"] == 0.0
