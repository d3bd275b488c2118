"""Edge - cost: the cost model on hand-computed cases, the router's edge rule, exits."""

from __future__ import annotations

import math

import pytest

from hyperliquid_ofi_trader.alpha.forecast import EdgeEstimate
from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.config.thresholds_schema import CostThresholds
from hyperliquid_ofi_trader.core.events import BookSnapshot, Fill, UserFills
from hyperliquid_ofi_trader.core.stages import OrderIntent, Tif
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.execution.costs import CostModel
from hyperliquid_ofi_trader.execution.router import ExecutionRouter, RouterSettings
from hyperliquid_ofi_trader.feedback.markouts import MarkoutResult
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import Instrument

ETH = Instrument(name="ETH", asset=1, sz_decimals=4, max_leverage=25)
MS = 1_000_000


def _costs(**overrides: object) -> CostThresholds:
    """The packaged `costs` section with `overrides`, validated as a user file would be."""
    return build_config({"thresholds.yaml": {"costs": overrides}}).thresholds.costs


def book(bid: float = 2000.0, ask: float = 2000.2) -> OrderBook:
    b = OrderBook("ETH")
    b.apply_snapshot(BookSnapshot(exchange_ns=1, local_ns=1, coin="ETH",
                                  bids=((bid, 50.0, 1), (bid - 0.1, 50.0, 1)),
                                  asks=((ask, 50.0, 1), (ask + 0.1, 50.0, 1))))
    return b


def edge(bps: float, std: float = 0.0, n_eff: float = 100.0, ns: int = 0) -> EdgeEstimate:
    return EdgeEstimate(coin="ETH", bps=bps, std_bps=std, horizon_ms=5000, latency_ms=200,
                        exchange_ns=ns, n_eff=n_eff)


class Clock:
    def __init__(self) -> None:
        self.t = 0

    def __call__(self) -> int:
        return self.t


class EdgeBox:
    def __init__(self, value: EdgeEstimate | None) -> None:
        self.value = value


def router(e: EdgeEstimate | EdgeBox | None, b: OrderBook | None = None, clock: Clock | None = None,
           costs: CostModel | None = None, **kw: object) -> ExecutionRouter:
    base: dict[str, object] = {"ofi_high": 2.0, "ofi_mid": 0.5, "min_abs_alpha": 0.01,
                               "ioc_slippage_bps": 5.0, "ioc_depth_fraction": 0.5,
                               "max_position_usd": {"ETH": 1000.0}, "max_order_usd": 200.0,
                               "instruments": {"ETH": ETH}}
    base.update(kw)
    box = e if isinstance(e, EdgeBox) else EdgeBox(e)
    return ExecutionRouter(RouterSettings(**base), {"ETH": b or book()},  # type: ignore[arg-type]
                           edge_of=lambda coin: box.value,
                           costs=costs or CostModel(_costs(min_margin_bps=0.5,
                                                                 uncertainty_k=1.0)),
                           clock_ns=clock)


# ---------------------------------------------------------------- the cost model


def test_base_tier_round_trips_by_hand() -> None:
    c = CostModel(_costs(fee_tier=0, adverse_prior_bps=1.0, expected_slippage_bps=0.5,
                               uncertainty_k=1.0, exit_post_only_share=0.0))
    q = c.quote(12.0, 1.0, half_spread_bps=0.5, model_latency_ms=200)
    # IOC exit 4.5 + 0.5 + 0.5 = 5.5; taker: 4.5 + 0.5 + 0.5 + 5.5 = 11.0;
    # maker: 1.5 - 0.5 + 1.0 + 5.5 = 7.5
    assert q.taker_cost_bps == pytest.approx(11.0)
    assert q.maker_cost_bps == pytest.approx(7.5)
    assert q.edge_lcb_bps == pytest.approx(11.0)
    assert q.margin_ioc_bps == pytest.approx(0.0)
    assert q.margin_alo_bps == pytest.approx(3.5)


def test_half_the_exits_resting_at_the_touch_by_hand() -> None:
    c = CostModel(_costs(adverse_prior_bps=1.0, expected_slippage_bps=0.5,
                               exit_post_only_share=0.5))
    q = c.quote(12.0, 0.0, half_spread_bps=0.5, model_latency_ms=200)
    # exit 0.5 x (1.5 - 0.5) + 0.5 x 5.5 = 3.25; taker 5.5 + 3.25; maker 2.0 + 3.25
    assert q.taker_cost_bps == pytest.approx(8.75)
    assert q.maker_cost_bps == pytest.approx(5.25)


def test_fee_tiers_and_maker_rebate() -> None:
    # The configured tier of the venue's schedule (venues/hyperliquid/common/fees.py).
    q = CostModel(_costs(fee_tier=3)).quote(0.0, 0.0, 0.0, 200)
    assert (q.taker_fee_bps, q.maker_fee_bps) == (3.0, 0.4)
    q = CostModel(_costs(fee_tier=6, maker_rebate_tier=3)).quote(0.0, 0.0, 0.0, 200)
    assert (q.taker_fee_bps, q.maker_fee_bps) == (2.4, -0.3)
    c = CostModel()
    c.set_venue_fees(0.00035, 0.0001)  # userFees: userCrossRate / userAddRate
    assert c.quote(0.0, 0.0, 0.0, 200).taker_fee_bps == pytest.approx(3.5)


def test_edge_decays_with_measured_latency_beyond_the_models() -> None:
    # Decision 150 ms old + 150 ms measured entry = 300 ms, 100 ms more than the model's
    # 200: one half-life (100 ms) lost.
    entry: list[float | None] = [150.0]
    c = CostModel(_costs(edge_halflife_ms=100.0), latency_ms=lambda: entry[0])
    q = c.quote(10.0, 2.0, 0.0, 200, decision_ms=150.0)
    assert q.latency_ms == pytest.approx(300.0)
    assert q.edge_bps == pytest.approx(5.0)
    assert q.edge_lcb_bps == pytest.approx(5.0 - 0.5 * 2.0 * 0.5)  # k 0.5 x std, decayed
    # Faster than the model assumed: no bonus.
    assert c.quote(10.0, 0.0, 0.0, 200, decision_ms=10.0).edge_bps == pytest.approx(10.0)
    # Either part unknown: the model's configured latency stands (no decay).
    assert c.quote(10.0, 0.0, 0.0, 200).edge_bps == pytest.approx(10.0)
    entry[0] = None
    assert c.quote(10.0, 0.0, 0.0, 200, decision_ms=500.0).edge_bps == pytest.approx(10.0)
    assert c.quote(10.0, 0.0, 0.0, 200, decision_ms=500.0).latency_ms == 200


def test_router_charges_the_decisions_own_latency() -> None:
    # The forecast was made on data of exchange time 0; it is now 400 ms later (local):
    # 400 + 100 ms entry = 500 ms, 300 ms (one half-life) past the model's 200.
    clock = Clock()
    clock.t = 400 * MS
    costs = CostModel(_costs(edge_halflife_ms=300.0, min_margin_bps=0.5,
                                   uncertainty_k=1.0), latency_ms=lambda: 100.0)
    r = router(edge(30.0), clock=clock, costs=costs)
    r.route("ETH", 0.9, None, 0.0)
    assert r.last_quote is not None
    assert r.last_quote.latency_ms == pytest.approx(500.0)
    assert r.last_quote.edge_bps == pytest.approx(15.0)


def test_adverse_selection_learns_from_maker_markouts_only() -> None:
    c = CostModel(_costs(adverse_prior_bps=1.0, adverse_prior_fills=1.0))

    def fill(tid: int, crossed: bool) -> Fill:
        return Fill(coin="ETH", price=2000.0, size=0.1, is_buy=True, exchange_ns=1,
                    start_position=0, direction="", closed_pnl=0.0, hash="", oid=1,
                    crossed=crossed, fee=0.0, tid=tid, fee_token="USDC", cloid="0xa",
                    liquidation=False)

    def markout(tid: int, move: float) -> MarkoutResult:
        return MarkoutResult(coin="ETH", tid=tid, cloid="0xa", is_buy=True, fill_ns=1,
                             fill_px=2000.0, horizon_ms=1000, mid_at_fill=2000.0,
                             mid_at_horizon=2000.0, move_bps=move, pnl_bps=move)

    c.on_private(UserFills(exchange_ns=1, local_ns=1, user="u", is_snapshot=False,
                           fills=(fill(1, crossed=False), fill(2, crossed=True))))
    c.on_markout(markout(2, -9.0))  # a taker fill: says nothing about resting orders
    assert c.explain()["adverse_bps"] == pytest.approx(1.0)
    c.on_markout(markout(1, -5.0))  # maker fill run over by 5 bps
    assert c.explain()["adverse_bps"] == pytest.approx(3.0)  # (1 x 1 + 5) / 2


# ---------------------------------------------------------------- the router's rule


def test_edge_above_taker_cost_goes_ioc() -> None:
    r = router(edge(15.0))
    (intent,) = r.route("ETH", 0.9, None, 0.0)
    assert intent.tif is Tif.IOC
    assert intent.is_buy
    assert intent.tag == "edge_ioc"
    econ = r.explain()["economics"]
    assert isinstance(econ, dict)
    assert econ["margin_bps"] == pytest.approx(econ["expected_edge_bps"]
                                               - econ["expected_cost_bps"])


def test_edge_between_maker_and_taker_cost_rests_post_only() -> None:
    r = router(edge(-7.0))  # maker round trip ~5.6 bps, taker ~8.9 bps on a 1-bp spread
    (intent,) = r.route("ETH", -0.8, 0.0, 0.0)
    assert intent.tif is Tif.ALO
    assert not intent.is_buy


def test_edge_below_cost_skips_and_says_why() -> None:
    r = router(edge(3.0))
    assert r.route("ETH", 0.5, 5.0, 0.0) == ()
    assert r.last_reason.startswith("edge_below_cost")
    assert "economics" in r.explain()


def test_uncertainty_is_charged() -> None:
    r = router(edge(15.0, std=8.0))  # lower bound 7 bps: only the maker side pays
    (intent,) = r.route("ETH", 0.9, None, 0.0)
    assert intent.tif is Tif.ALO


def test_ofi_sets_urgency_not_direction() -> None:
    # Both order types pay; the post-only one pays more in expectation unless flow is urgent.
    r = router(edge(9.5))
    (calm,) = r.route("ETH", 0.9, 0.0, 0.0)
    (urgent,) = r.route("ETH", 0.9, 3.0, 0.0)  # strong buy flow: a resting bid is run over
    (against,) = r.route("ETH", 0.9, -3.0, 0.0)  # strong sell flow: never flips our side
    assert calm.tif is Tif.ALO
    assert urgent.tif is Tif.IOC
    assert calm.is_buy
    assert urgent.is_buy
    assert against.is_buy


def test_stale_ofi_is_no_veto() -> None:
    (intent,) = router(edge(15.0)).route("ETH", 0.9, None, 0.0)
    assert intent.is_buy


def test_no_entry_on_a_prior_alone() -> None:
    r = router(edge(30.0, n_eff=0.5), min_forecast_evidence=5.0)
    assert r.route("ETH", 1.0, None, 0.0) == ()
    assert r.last_reason.startswith("forecast_warming_up")


class Resting:
    def __init__(self, is_buy: bool, price: float, size: float, cloid: str) -> None:
        self.coin, self.is_buy, self.price, self.size, self.cloid = (
            "ETH", is_buy, price, size, cloid)


def test_position_exits_at_its_horizon_post_only_then_by_ioc() -> None:
    clock = Clock()
    resting: list[Resting] = []
    r = ExecutionRouter(RouterSettings(
        ofi_high=2.0, ofi_mid=0.5, min_abs_alpha=0.01, ioc_slippage_bps=5.0,
        ioc_depth_fraction=0.5, max_position_usd={"ETH": 1000.0}, max_order_usd=200.0,
        instruments={"ETH": ETH}, exit_patience_ms=3000), {"ETH": book()},
        open_orders=lambda coin: resting, edge_of=lambda coin: edge(0.3),
        costs=CostModel(_costs(min_margin_bps=0.5)), clock_ns=clock)
    assert r.route("ETH", 0.2, None, 0.05) == ()  # opened now, small edge: hold
    clock.t = 5_000 * MS
    (alo,) = r.route("ETH", 0.2, None, 0.05)
    assert alo.tag == "exit_horizon_alo"
    assert alo.tif is Tif.ALO
    assert alo.reduce_only
    assert not alo.is_buy
    assert alo.price == 2000.2
    assert alo.size == pytest.approx(0.05)
    resting.append(Resting(False, 2000.2, 0.05, "0x" + "e" * 32))
    assert r.route("ETH", 0.2, None, 0.05) == ()
    assert r.last_reason.startswith("exit_resting")
    # A small alpha does not cancel the resting exit (it would cancel an entry).
    assert r.requotes("ETH", 0.0) == []
    clock.t = 8_000 * MS  # patience spent: an IOC closes the rest
    (ioc,) = r.route("ETH", 0.2, None, 0.05)
    assert ioc.tag == "exit_horizon_ioc"
    assert ioc.tif is Tif.IOC
    assert not ioc.is_buy


def test_horizon_renews_while_the_forecast_still_pays() -> None:
    clock = Clock()
    r = router(edge(20.0), clock=clock)
    r.route("ETH", 0.9, None, 0.05)
    clock.t = 6_000 * MS
    out = r.route("ETH", 0.9, None, 0.05)
    assert all(not i.tag.startswith("exit") for i in out)


def test_horizon_holds_while_the_remaining_edge_pays_not_a_fresh_round_trip() -> None:
    # +3 bps left: far from a fresh IOC round trip (~11 bps), but the exit leg is paid
    # whether we close now or later, so holding on earns the 3 bps.
    clock = Clock()
    r = router(edge(3.0), clock=clock)
    assert r.route("ETH", 0.1, None, 0.05) == ()
    clock.t = 6_000 * MS
    assert all(not i.tag.startswith("exit") for i in r.route("ETH", 0.1, None, 0.05))


def test_position_exits_when_the_edge_reverses() -> None:
    # 8 - 1 x 1 = 7 bps expected against us > what resting saves over an IOC:
    # (4.5 + 0.5 + 0.5) - (1.5 - 0.5 + 1.0 adverse) = 3.5 bps. An IOC goes at once.
    r = router(edge(-8.0, std=1.0), clock=Clock())
    (intent,) = r.route("ETH", -0.6, None, 0.05)
    assert intent.tag == "exit_reversed_ioc"
    assert not intent.is_buy


def test_adverse_resting_fills_never_close_a_position_the_forecast_still_favours() -> None:
    # Markouts of 12 bps against our post-only fills: resting saves 5.5 - (1.5 - 0.5 + 12)
    # = -7.5 bps over an IOC. A +3 bps forecast (lower bound +2) still favours the long:
    # it is held, not "reversed" by IOC; a -3 bps one (against, lower bound 2 bps) leaves by
    # IOC at once (resting would cost more than crossing).
    costs = CostModel(_costs(adverse_prior_bps=12.0, min_margin_bps=0.5,
                                   uncertainty_k=1.0))
    assert costs.resting_exit_saving_bps(0.5) == pytest.approx(-7.5)
    box = EdgeBox(edge(3.0, std=1.0))
    r = router(box, clock=Clock(), costs=costs)
    assert all(not i.tag.startswith("exit") for i in r.route("ETH", 0.5, None, 0.05))
    box.value = edge(-3.0, std=1.0)
    (intent,) = r.route("ETH", -0.5, None, 0.05)
    assert intent.tag == "exit_reversed_ioc"


def test_a_faded_edge_exits_post_only_before_the_horizon_then_by_ioc() -> None:
    # 2 bps against us: less than the 3.5 bps a resting exit saves, so rest first.
    clock = Clock()
    resting: list[Resting] = []
    r = ExecutionRouter(RouterSettings(
        ofi_high=2.0, ofi_mid=0.5, min_abs_alpha=0.01, ioc_slippage_bps=5.0,
        ioc_depth_fraction=0.5, max_position_usd={"ETH": 1000.0}, max_order_usd=200.0,
        instruments={"ETH": ETH}, exit_patience_ms=3000), {"ETH": book()},
        open_orders=lambda coin: resting, edge_of=lambda coin: edge(-2.0),
        costs=CostModel(), clock_ns=clock)
    (alo,) = r.route("ETH", -0.3, None, 0.05)
    assert alo.tag == "exit_faded_alo"
    assert alo.tif is Tif.ALO
    assert alo.reduce_only
    resting.append(Resting(False, alo.price, 0.05, "0x" + "f" * 32))
    clock.t = 2_000 * MS
    assert r.route("ETH", -0.3, None, 0.05) == ()
    assert r.last_reason.startswith("exit_resting")
    clock.t = 3_000 * MS  # patience (3 s) spent since the exit began
    (ioc,) = r.route("ETH", -0.3, None, 0.05)
    assert ioc.tag == "exit_faded_ioc"
    assert ioc.tif is Tif.IOC


def test_resting_exit_saving_by_hand() -> None:
    c = CostModel(_costs(fee_tier=0, adverse_prior_bps=1.0, expected_slippage_bps=0.5))
    # IOC leg 4.5 + 1 + 0.5 = 6; resting leg 1.5 - 1 + 1 = 1.5: resting saves 4.5 bps.
    assert c.resting_exit_saving_bps(1.0) == pytest.approx(4.5)


def test_a_short_position_leaves_in_the_mirrored_burst() -> None:
    r = router(edge(8.0, std=1.0), clock=Clock())
    exits = [i for _ in range(6) for i in r.route("ETH", 0.6, None, -0.45)]
    assert all(i.is_buy and i.reduce_only and i.tag == "exit_reversed_ioc" for i in exits)
    assert sum(i.size for i in exits) == pytest.approx(0.45)
    assert len(exits) == 5


def test_large_position_leaves_in_one_burst_of_order_sized_exits() -> None:
    clock = Clock()
    r = router(edge(-8.0, std=1.0), clock=clock)
    position = 0.45  # ~$900 long, $200 orders
    exits: list[OrderIntent] = []
    for _ in range(6):
        exits.extend(r.route("ETH", -0.6, None, position))
    # Sized against the exits still in flight: they cover the position, no more.
    assert len(exits) == 5
    assert all(not i.is_buy for i in exits)
    assert all(i.tag == "exit_reversed_ioc" and i.reduce_only for i in exits)
    assert all(i.size * 2000.1 <= 200.0 + 1e-6 for i in exits)
    assert sum(i.size for i in exits) == pytest.approx(position)
    assert r.last_reason.startswith("exit_in_flight")
    # The first exit filled: the position shrank by it, the others are still in flight.
    position -= exits[0].size
    clock.t = 100 * MS
    assert r.route("ETH", -0.6, None, position) == ()
    assert r.last_reason.startswith("exit_in_flight")
    # The rest expired unfilled: once they lapse, the remainder leaves again.
    clock.t = 600 * MS
    again = r.route("ETH", -0.6, None, position)
    assert len(again) == 1
    assert again[0].size == pytest.approx(exits[1].size)


def test_dust_under_the_venue_minimum_counts_as_flat() -> None:
    r = router(edge(-4.0, std=1.0), clock=Clock())
    out = r.route("ETH", -0.6, None, 0.001)  # $2: no order can close it
    assert all(not i.tag.startswith("exit") for i in out)


def test_missing_forecast_skips() -> None:
    box = EdgeBox(None)
    r = router(box)
    assert r.route("ETH", 0.9, 1.0, 0.0) == ()
    assert r.last_reason.startswith("no_forecast")
    box.value = edge(math.nan)
    assert r.route("ETH", 0.9, 1.0, 0.0) == ()
    assert r.last_reason.startswith("no_forecast")


def test_a_lead_driven_entry_is_tagged_for_the_lead_lag_budget() -> None:
    lead = EdgeEstimate(coin="ETH", bps=15.0, std_bps=0.0, horizon_ms=5000, latency_ms=200,
                        exchange_ns=0, n_eff=100.0, lead_share=0.8)
    (intent,) = router(lead).route("ETH", 0.9, None, 0.0)
    assert intent.tag == "edge_ioc_lead"
    (own,) = router(edge(15.0)).route("ETH", 0.9, None, 0.0)
    assert own.tag == "edge_ioc"


def test_every_routed_decision_journals_edge_cost_and_margin() -> None:
    for e, alpha in ((edge(0.2), 0.001), (edge(20.0, n_eff=0.0), 1.0), (edge(3.0), 0.5)):
        r = router(e, min_forecast_evidence=5.0)
        assert r.route("ETH", alpha, None, 0.0) == ()
        econ = r.explain()["economics"]
        assert isinstance(econ, dict)
        assert {"expected_edge_bps", "expected_cost_bps", "margin_bps"} <= set(econ)


def test_an_exit_journals_what_it_saves_and_costs() -> None:
    r = router(edge(-8.0, std=1.0), clock=Clock())
    (intent,) = r.route("ETH", -0.6, None, 0.05)
    assert intent.tag == "exit_reversed_ioc"
    econ = r.explain()["economics"]
    assert isinstance(econ, dict)
    # Holding a long against a -8 bps forecast: closing saves 8 bps (7 at the lower
    # bound); one IOC leg costs 4.5 + 0.5 (half-spread) + 0.5 (slippage) bps.
    assert econ["edge_bps"] == pytest.approx(8.0)
    assert econ["expected_cost_bps"] == pytest.approx(4.5 + 0.49998 + 0.5, rel=1e-3)


@pytest.mark.parametrize("position", [0.0573 - 0.002, 0.0553 + 1.6e-17, -(0.0573 - 0.002)])
def test_an_exit_closes_a_float_summed_position_whole(position: float) -> None:
    """0.0573 - 0.002 is 0.055299999999999995: rounded down, the exit would be 0.0552 and
    leave 0.0001 ETH (~$0.30) that no order can close (under the venue's $10)."""
    r = router(edge(-8.0 if position > 0 else 8.0, std=1.0), clock=Clock())
    (intent,) = r.route("ETH", -0.6 if position > 0 else 0.6, None, position)
    assert intent.tag == "exit_reversed_ioc"
    assert intent.reduce_only
    assert intent.size == 0.0553


def test_a_split_exit_never_leaves_less_than_the_venue_minimum() -> None:
    """0.1030 ETH at ~2000 in exits of at most $200 (~0.0999): a full-size exit would
    leave 0.0031 ETH ($6), which no order could close. The exit leaves the least that can
    still go on its own, $11 (0.0056 ETH at its price), so it is 0.1030 - 0.0056."""
    r = router(edge(-8.0, std=1.0), clock=Clock())
    (intent,) = r.route("ETH", -0.6, None, 0.1030)
    assert intent.tag == "exit_reversed_ioc"
    least = math.ceil(11.0 / intent.price * 1e4) / 1e4
    assert least == 0.0056
    assert intent.size == pytest.approx(0.1030 - least, abs=1e-12)
    assert intent.size * intent.price <= 200.0
    # Room for two full exits and more: the first is full size (the rest is not dust).
    (intent,) = router(edge(-8.0, std=1.0), clock=Clock()).route("ETH", -0.6, None, 0.2500)
    assert 199.0 <= intent.size * intent.price <= 200.0
