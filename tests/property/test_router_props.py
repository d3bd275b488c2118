"""Router and tactics properties: symmetry, never crossing, never beyond the limits; and
whatever a router wants, a REDUCING or HALTED system sends nothing that can add exposure."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.config.risk_schema import RiskLimits
from hyperliquid_ofi_trader.core.commands import CancelOrder
from hyperliquid_ofi_trader.core.events import BookSnapshot
from hyperliquid_ofi_trader.core.stages import (
    CancelIntent,
    ModifyIntent,
    OrderIntent,
    PlanIntent,
    Tif,
    may_add_exposure,
)
from hyperliquid_ofi_trader.core.state import TradingState
from hyperliquid_ofi_trader.data.orderbook import OrderBook
from hyperliquid_ofi_trader.execution.router import ExecutionRouter, RouterSettings
from hyperliquid_ofi_trader.execution.tactics import Tactics, TacticsSettings
from hyperliquid_ofi_trader.risk.exposure import ExposureGate
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import Instrument
from tests.unit.core.test_engine import Rig, bbo
from tests.unit.requote_rig import build_rig, journal_at

ETH = Instrument(name="ETH", asset=1, sz_decimals=4, max_leverage=25)
TICK = 0.1
SETTINGS = RouterSettings(ofi_high=2.0, ofi_mid=0.5, min_abs_alpha=0.1, ioc_slippage_bps=5.0,
                          ioc_depth_fraction=0.5, max_position_usd={"ETH": 1000.0},
                          max_order_usd=200.0, instruments={"ETH": ETH})


@dataclass(frozen=True)
class Order:
    coin: str
    is_buy: bool
    price: float
    size: float
    cloid: str


def sym_book(mid_ticks: int, spread_ticks: int, sizes: list[float]) -> OrderBook:
    """Bids and asks mirror each other around the mid."""
    b = OrderBook("ETH")
    half = spread_ticks  # bid = m - k ticks, ask = m + k ticks: the mid stays on the grid
    bids = tuple((round((mid_ticks - half - i) * TICK, 1), s, 1) for i, s in enumerate(sizes))
    asks = tuple((round((mid_ticks + half + i) * TICK, 1), s, 1) for i, s in enumerate(sizes))
    b.apply_snapshot(BookSnapshot(exchange_ns=1, local_ns=1, coin="ETH", bids=bids, asks=asks))
    return b


books = st.builds(sym_book, st.integers(15_000, 35_000), st.integers(1, 5),
                  st.lists(st.floats(0.001, 100.0), min_size=1, max_size=10))
alphas = st.floats(-1.0, 1.0, allow_nan=False)
ofis = st.one_of(st.none(), st.floats(-5.0, 5.0, allow_nan=False))
positions = st.floats(-0.6, 0.6, allow_nan=False).map(lambda x: round(x, 4))


@settings(max_examples=200, deadline=None)
@given(books, alphas, ofis, positions)
def test_mirror_alpha_gives_the_mirrored_intent(book: OrderBook, alpha: float,
                                                ofi: float | None, pos: float) -> None:
    r = ExecutionRouter(SETTINGS, {"ETH": book})
    a = r.route("ETH", alpha, ofi, pos)
    b = r.route("ETH", -alpha, None if ofi is None else -ofi, -pos)
    assert len(a) == len(b)
    if not a:
        return
    (x,), (y,) = a, b
    bid, ask = book.best_bid(), book.best_ask()
    assert bid is not None
    assert ask is not None
    mid = (bid[0] + ask[0]) / 2
    assert x.is_buy != y.is_buy
    assert x.tif is y.tif
    assert x.reduce_only == y.reduce_only
    assert x.size == y.size
    # post-only: exactly symmetric; IOC: the tolerance is relative to different touches,
    # so tick rounding may differ by one tick
    slack = 1e-9 if x.tif is Tif.ALO else TICK * 1.01
    assert abs((x.price - mid) + (y.price - mid)) <= slack


@settings(max_examples=200, deadline=None)
@given(books, alphas, ofis, positions)
def test_intents_respect_book_and_limits(book: OrderBook, alpha: float, ofi: float | None,
                                         pos: float) -> None:
    r = ExecutionRouter(SETTINGS, {"ETH": book})
    intents = r.route("ETH", alpha, ofi, pos)
    if not intents:
        assert r.last_reason
        return
    (i,) = intents
    bid, ask = book.best_bid(), book.best_ask()
    assert bid is not None
    assert ask is not None
    if i.tif is Tif.ALO:
        assert (i.price < ask[0]) if i.is_buy else (i.price > bid[0])
    else:
        assert (ask[0] <= i.price <= ask[0] * 1.0005) if i.is_buy else (
            bid[0] * 0.9995 <= i.price <= bid[0])
    new_pos = pos + (i.size if i.is_buy else -i.size)
    mid = (bid[0] + ask[0]) / 2
    assert abs(new_pos) * mid <= 1000.0 + 1e-6 or abs(new_pos) < abs(pos)
    if i.reduce_only:
        assert abs(new_pos) < abs(pos)
        assert new_pos * pos >= 0
    assert i.size * i.price >= 10.0
    assert round(i.size, 4) == i.size


prices = st.integers(15_000, 35_000).map(lambda t: round(t * TICK, 1))


@settings(max_examples=300, deadline=None)
@given(prices, st.integers(0, 5), st.booleans(),
       st.lists(st.tuples(st.booleans(), st.integers(-10, 10)), max_size=4))
def test_post_only_never_crosses_book_or_own_orders(bid: float, spread: int, is_buy: bool,
                                                    own_spec: list[tuple[bool, int]]) -> None:
    ask = round(bid + spread * TICK, 1)
    own = [Order("ETH", b, round(bid + k * TICK, 1), 1.0, f"c{n}")
           for n, (b, k) in enumerate(own_spec) if bid + k * TICK > 0]
    t = Tactics(TacticsSettings(ioc_slippage_bps=5.0, min_abs_alpha=0.1))
    p = t.post_only_price(ETH, is_buy, bid, ask, own)
    assert p is not None
    if is_buy:
        assert p < ask
        assert all(p < o.price for o in own if not o.is_buy)
    else:
        assert p > bid
        assert all(p > o.price for o in own if o.is_buy)
    io = t.ioc_price(ETH, is_buy, bid, ask, own)
    if io is not None:
        if is_buy:
            assert all(io < o.price for o in own if not o.is_buy)
            assert io >= ask
        else:
            assert all(io > o.price for o in own if o.is_buy)
            assert io <= bid


# ---------------------------------------------------------------- one gate for every plan

_TIFS = st.sampled_from([Tif.ALO, Tif.IOC, Tif.GTC])
_SIZES = st.floats(0.001, 0.2).map(lambda x: round(x, 4))
_PRICES = st.integers(20_000, 30_000).map(lambda t: round(t * TICK, 1))
_CLOIDS = st.sampled_from([f"0x{n:032x}" for n in range(4)])
_places = st.builds(OrderIntent, coin=st.just("ETH"), is_buy=st.booleans(), size=_SIZES,
                    price=_PRICES, tif=_TIFS, reduce_only=st.booleans(), tag=st.just("any"))
_modifies = st.builds(ModifyIntent, coin=st.just("ETH"), cloid=_CLOIDS, is_buy=st.booleans(),
                      size=_SIZES, price=_PRICES, tif=_TIFS, reduce_only=st.booleans(),
                      tag=st.just("requote:any"))
_cancels = st.builds(CancelIntent, coin=st.just("ETH"), cloid=_CLOIDS, tag=st.just("any"))
_plans = st.lists(st.one_of(_places, _modifies, _cancels), max_size=6).map(tuple)
# A step: a market event on which the router wants `plan`, or an operator command.
_steps = st.lists(st.one_of(
    st.tuples(st.just("bbo"), st.integers(24_990, 25_010), _plans),
    st.tuples(st.sampled_from(["reduce", "halt", "resume"]), st.just(0), st.just(()))),
    min_size=1, max_size=25)


class _WantsAnything:
    """The router of the property: wants whatever hypothesis drew, on every decision."""

    def __init__(self) -> None:
        self.plan: tuple[PlanIntent, ...] = ()

    def route(self, coin: str, alpha: float, ofi: float | None,
              position: float) -> tuple[PlanIntent, ...]:
        return self.plan


class _Positions:
    def __init__(self, pos: float) -> None:
        self.pos = pos
        self.account_value: float | None = 100_000.0

    def position(self, coin: str) -> float:
        return self.pos if coin == "ETH" else 0.0

    def coins(self) -> tuple[str, ...]:
        return ("ETH",)


class _StateSink:
    """Records each submitted action with the engine's state at that moment."""

    def __init__(self) -> None:
        self.state: Callable[[], TradingState] = lambda: TradingState.ACTIVE
        self.sent: list[tuple[TradingState, PlanIntent]] = []

    def submit(self, decision_id: int, intents: Sequence[PlanIntent]) -> None:
        now = self.state()
        self.sent.extend((now, i) for i in intents)

    def cancel_all(self, reason: str) -> None:
        pass


@settings(max_examples=150, deadline=None)
@given(_steps, st.floats(-0.3, 0.3).map(lambda x: round(x, 4)))
def test_no_state_but_active_sends_an_action_that_can_add_exposure(
        steps: list[tuple[str, int, tuple[PlanIntent, ...]]], pos: float) -> None:
    router, sink = _WantsAnything(), _StateSink()
    limits = RiskLimits(max_position_usd={"ETH": 1e6}, max_total_notional_usd=1e6,
                              max_leverage=100.0, max_order_usd=1e6,
                              max_orders_per_minute=1000)
    positions = _Positions(pos)
    gate = ExposureGate(limits, positions, lambda coin: 2500.0, {"ETH": ETH})
    with tempfile.TemporaryDirectory() as tmp:
        rig = Rig(Path(tmp), router=router, positions=positions, risk_gate=gate,
                  order_sink=sink)
        sink.state = lambda: rig.engine.state
        for t, (kind, ticks, plan) in enumerate(steps, start=1):
            _step(rig, router, kind, ticks, plan, t)
        rig.journal.close()
    for state, intent in sink.sent:
        if state is TradingState.HALTED:
            assert isinstance(intent, CancelIntent)
        elif state is TradingState.REDUCING:
            assert not may_add_exposure(intent), intent


def _step(rig: Rig, router: _WantsAnything, kind: str, ticks: int,
          plan: tuple[PlanIntent, ...], t: int) -> None:
    engine = rig.engine
    if kind == "bbo":
        router.plan = plan
        px = round(ticks * TICK, 1)
        rig.send(bbo("ETH", t, px, round(px + TICK, 1)))
    elif kind == "reduce":
        engine.reduce("property")
    elif kind == "halt":
        engine.halt("property")
    elif engine.state is not TradingState.ACTIVE:
        engine.resume("property")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(0, 60), st.sampled_from(["reduce", "halt"]))
def test_the_real_system_with_requotes_never_adds_exposure_unless_active(
        seed: int, extra_blocks: int, switch: str) -> None:
    """The seeded synthetic market against the simulated venue, re-quoting on: the state
    switches when a quote rests (plus a few blocks); nothing sent afterwards may add
    exposure, whatever the router wanted."""
    with tempfile.TemporaryDirectory() as tmp, journal_at(Path(tmp)) as journal:
        rig = build_rig(journal, seed)
        for _ in range(1500):
            rig.run_blocks(1)
            if rig.stack.orders.live_count():
                break
        rig.run_blocks(extra_blocks)
        (rig.engine.reduce if switch == "reduce" else rig.engine.halt)("property")
        rig.run_blocks(300)
        rig.finish()
    for sent in rig.port.sent:
        if sent.state is TradingState.HALTED:
            assert isinstance(sent.action, CancelOrder)
        elif sent.state is TradingState.REDUCING:
            assert not sent.may_add_exposure(), sent.action
