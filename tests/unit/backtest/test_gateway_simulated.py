"""SimulatedGateway: the live gateway's action builders and answer readers over SimVenue,
with modelled latency on the event queue."""

from __future__ import annotations

from typing import Any

import pytest

from hyperliquid_ofi_trader.backtest.event_queue import EventQueue
from hyperliquid_ofi_trader.backtest.gateway_simulated import SimulatedGateway
from hyperliquid_ofi_trader.config.packaged import packaged_config
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.commands import CancelOrder, ModifyOrder, PlaceOrder
from hyperliquid_ofi_trader.core.events import (
    AccountSnapshot,
    ActionFailed,
    AnyEvent,
    BookSnapshot,
    CancelAck,
    OrderAck,
    OrderStatus,
    OrderStatusReport,
    OrderUpdate,
    ScheduleCancelAck,
    Trade,
    Trades,
    UserFills,
)
from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.sim.latency import Constant, LatencyConfig, LatencyModel
from hyperliquid_ofi_trader.sim.settings import SimSettings
from hyperliquid_ofi_trader.sim.venue import SimVenue
from hyperliquid_ofi_trader.venues.hyperliquid.asset_meta import AssetRegistry
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import (
    RateLimiter,
)
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import SecretKey
from hyperliquid_ofi_trader.venues.hyperliquid.signing.nonce import NonceCounter
from hyperliquid_ofi_trader.venues.hyperliquid.signing.signer import L1Signer

MS = 1_000_000
T0 = 1_700_000_000_000 * MS
ENTRY, ACK, FEED = 10 * MS, 20 * MS, 5 * MS

# risk.yaml `rate_limits` as packaged; tests vary it with .replaced(...).
BUDGETS = packaged_config().risk.rate_limits


class Rig:
    def __init__(self, limits: RateLimiter | None = None) -> None:
        self.queue = EventQueue(T0)
        self.clock = ReplayClock(T0)
        self.venue = SimVenue(SimSettings(), self.queue)
        key = SecretKey.from_hex("0x" + "42" * 32)
        self.venue.open_account(key.address)
        self.got: list[tuple[int, AnyEvent]] = []
        latency = LatencyModel(LatencyConfig(entry=Constant(10), ack=Constant(20),
                                             feed=Constant(5)))
        self.gw = SimulatedGateway(self.venue, L1Signer(key, mainnet=False),
                                   NonceCounter(self.clock), AssetRegistry.from_meta(
                                       self.venue.meta()), latency, self.queue, self.emit,
                                   limits=limits)
        self.market(BookSnapshot(exchange_ns=T0, local_ns=T0, coin="BTC",
                                 bids=((100_000.0, 1.0, 3), (99_999.0, 2.0, 1)),
                                 asks=((100_001.0, 0.5, 2), (100_002.0, 1.0, 1))))

    def emit(self, event: AnyEvent) -> None:
        self.clock.advance_to(self.queue.now_ns())
        self.got.append((self.queue.now_ns(), event))

    def market(self, event: Any) -> None:
        def at_venue(ev: Any) -> None:
            self.venue.on_market(ev)
            self.gw.drain_pushes(self.queue.now_ns())
        self.queue.push(event.exchange_ns, at_venue, event)

    def call(self, at_ns: int, fn: Any, *args: Any) -> None:
        self.queue.push(at_ns, lambda _: fn(*args))

    def run(self) -> list[tuple[int, AnyEvent]]:
        self.queue.run_all()
        return self.got

    def of(self, kind: type) -> list[tuple[int, Any]]:
        return [(t, e) for t, e in self.got if isinstance(e, kind)]


def place(cloid_n: int, is_buy: bool, px: float, sz: float, tif: Tif) -> PlaceOrder:
    return PlaceOrder(cloid="0x" + format(cloid_n, "032x"), coin="BTC", is_buy=is_buy,
                      price=px, size=sz, tif=tif, reduce_only=False, decision_id=cloid_n)


def test_resting_order_acked_after_entry_plus_ack_latency() -> None:
    rig = Rig()
    rig.call(T0, rig.gw.place, [place(1, True, 99_990.0, 0.001, Tif.ALO)])
    rig.run()
    (t, ack), = rig.of(OrderAck)
    assert ack.outcome == "resting"
    assert ack.oid is not None
    assert ack.cloid.endswith("1")
    assert t == T0 + ENTRY + ACK
    assert ack.local_ns == t
    (tu, upd), = rig.of(OrderUpdate)  # the venue's push, decoded by the real codec
    assert tu == T0 + ENTRY + FEED
    assert upd.status is OrderStatus.OPEN
    assert upd.oid == ack.oid


def test_ioc_through_the_book_fills_with_fees_from_the_venue() -> None:
    rig = Rig()
    rig.call(T0, rig.gw.place, [place(2, True, 100_002.0, 0.6, Tif.IOC)])
    rig.run()
    (_, ack), = rig.of(OrderAck)
    assert ack.outcome == "filled"
    assert ack.filled_size == pytest.approx(0.6)
    fills = [f for _, uf in rig.of(UserFills) for f in uf.fills]
    assert sum(f.size for f in fills) == pytest.approx(0.6)
    assert all(f.crossed for f in fills)
    assert {f.price for f in fills} == {100_001.0, 100_002.0}
    fee = sum(f.fee for f in fills)
    assert fee == pytest.approx(sum(f.price * f.size for f in fills) * 0.00045, rel=1e-6)


def test_resting_order_fills_when_the_market_trades_through_it() -> None:
    rig = Rig()
    rig.call(T0, rig.gw.place, [place(3, False, 100_001.0, 0.01, Tif.ALO)])
    t1 = T0 + 500 * MS
    rig.market(Trades(exchange_ns=t1, local_ns=t1, coin="BTC", trades=(
        Trade(coin="BTC", price=100_003.0, size=5.0, is_buy=True, exchange_ns=t1, tid=9,
              hash="0xab"),)))
    rig.run()
    (t, uf), = rig.of(UserFills)
    assert t == t1 + FEED
    assert uf.fills[0].crossed is False
    assert uf.fills[0].price == 100_001.0


def test_refused_command_is_delivered_later_not_reentrantly() -> None:
    rig = Rig()
    rig.call(T0, rig.gw.place, [place(4, True, 99_990.5, 0.001, Tif.ALO)])  # off tick
    rig.run()
    (t, failed), = rig.of(ActionFailed)
    assert t == T0
    assert failed.transient is False
    assert "tick" in failed.error
    assert rig.gw.stats.refused == 1
    assert rig.gw.stats.sent == 0


def test_cancel_by_cloid_modify_and_status_queries() -> None:
    rig = Rig()
    a, b = place(5, True, 99_990.0, 0.001, Tif.ALO), place(6, True, 99_980.0, 0.001, Tif.ALO)
    rig.call(T0, rig.gw.place, [a, b])
    rig.call(T0 + 100 * MS, rig.gw.cancel, [CancelOrder(coin="BTC", cloid=a.cloid, oid=None)])
    new = place(7, True, 99_970.0, 0.002, Tif.ALO)
    rig.call(T0 + 100 * MS, rig.gw.modify,
             [ModifyOrder(target_cloid=b.cloid, target_oid=None, replacement=new)])
    rig.call(T0 + 200 * MS, rig.gw.query_order, "BTC", a.cloid, None)
    rig.call(T0 + 200 * MS, rig.gw.query_order, "BTC", None, 12345)
    rig.run()
    (_, cancel), = rig.of(CancelAck)
    assert cancel.ok
    assert cancel.cloid == a.cloid
    acks = [e for _, e in rig.of(OrderAck)]
    assert [x.cloid for x in acks] == [a.cloid, b.cloid, new.cloid]
    assert acks[2].outcome == "resting"
    assert acks[2].oid != acks[1].oid
    reports = [e for _, e in rig.of(OrderStatusReport)]
    assert reports[0].status == "canceled"
    assert reports[0].cloid == a.cloid
    assert reports[1].status == "unknownOid"


def test_reconcile_reads_the_venues_views() -> None:
    rig = Rig()
    rig.call(T0, rig.gw.place, [place(8, True, 99_990.0, 0.001, Tif.ALO),
                                place(9, True, 100_001.0, 0.001, Tif.IOC)])
    rig.call(T0 + 100 * MS, rig.gw.reconcile)
    rig.run()
    (t, snap), = rig.of(AccountSnapshot)
    assert t == T0 + 100 * MS + ENTRY + ACK
    assert [o.cloid for o in snap.open_orders] == ["0x" + format(8, "032x")]
    assert snap.positions[0].size == pytest.approx(0.001)
    assert len(snap.recent_fills) == 1
    assert snap.account_value > 0


def test_schedule_cancel_answers_and_answers_keep_fifo_order() -> None:
    rig = Rig()
    rig.call(T0, rig.gw.schedule_cancel, (T0 // MS) + 60_000)
    rig.call(T0, rig.gw.schedule_cancel, 1)  # too early: refused by the venue
    rig.run()
    acks = [e for _, e in rig.of(ScheduleCancelAck)]
    assert [a.ok for a in acks] == [True, False]
    times = [t for t, _ in rig.got]
    assert times == sorted(times)


def test_nonces_strictly_increase_within_one_millisecond() -> None:
    rig = Rig()
    for i in range(5):
        rig.call(T0, rig.gw.place, [place(20 + i, True, 99_990.0, 0.001, Tif.ALO)])
    rig.run()
    assert [e.outcome for _, e in rig.of(OrderAck)] == ["resting"] * 5
    assert rig.venue.rejected == {}


def test_rate_budget_delays_places_but_not_cancels() -> None:
    rig = Rig(RateLimiter(BUDGETS.replaced(ip_weight_per_minute=3, ip_cancel_reserve=1,
                                            window_s=1.0)))
    orders = [place(30 + i, True, 99_990.0 - i, 0.001, Tif.ALO) for i in range(3)]
    for o in orders:
        rig.call(T0, rig.gw.place, [o])
    rig.call(T0, rig.gw.cancel, [CancelOrder(coin="BTC", cloid=orders[0].cloid, oid=None)])
    rig.run()
    acks = {e.cloid: t for t, e in rig.of(OrderAck)}
    assert acks[orders[0].cloid] == T0 + ENTRY + ACK
    assert acks[orders[1].cloid] == T0 + ENTRY + ACK
    assert acks[orders[2].cloid] >= T0 + 1_000 * MS + ENTRY + ACK  # waited for the window
    (t, cancel), = rig.of(CancelAck)
    assert cancel.ok
    assert t < acks[orders[2].cloid]  # the cancel used the reserve, ahead of the place
    assert rig.gw.stats.rate_waits >= 1
    assert rig.venue.rejected == {}
