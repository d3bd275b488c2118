"""The dead man's switch is armed before an order that may rest is sent (issue 11.7): the
`scheduleCancel` reaches the port ahead of the place or modify, never after its ack."""

from __future__ import annotations

from hyperliquid_ofi_trader.config import load_config
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.events import ScheduleCancelAck
from hyperliquid_ofi_trader.core.stages import OrderIntent, Tif
from hyperliquid_ofi_trader.feedback.trust_score import SignalTrust
from hyperliquid_ofi_trader.risk.dead_mans_switch import DmsKind
from hyperliquid_ofi_trader.runtime.execution_stack import ExecutionStack, build_execution
from tests.order_fakes import T0, RecordingPort, ack, cancel_ack

S = 1_000_000_000


def _stack() -> tuple[ExecutionStack, RecordingPort, ReplayClock]:
    cfg = load_config()
    clock = ReplayClock(T0)
    port = RecordingPort()
    stack = build_execution(cfg, clock, {}, port, None, SignalTrust(), lambda coin: None)
    return stack, port, clock


def _intent(tif: Tif, price: float = 2500.0) -> OrderIntent:
    return OrderIntent(coin="ETH", is_buy=True, size=1.0, price=price, tif=tif,
                       reduce_only=False, tag="t")


def _names(port: RecordingPort) -> list[str]:
    return [name for name, _ in port.calls]


def test_an_order_that_may_rest_is_preceded_by_an_arm() -> None:
    stack, port, _ = _stack()
    stack.orders.submit(1, [_intent(Tif.ALO)])
    assert _names(port) == ["schedule_cancel", "place"]
    armed_for = port.of("schedule_cancel")[0]
    assert armed_for is not None
    assert armed_for >= T0 // 1_000_000 + 5_000  # the venue's 5 s minimum


def test_an_ioc_needs_no_arm_and_one_arm_covers_a_burst() -> None:
    stack, port, clock = _stack()
    stack.orders.submit(1, [_intent(Tif.IOC)])
    assert _names(port) == ["place"]
    stack.orders.submit(2, [_intent(Tif.GTC)])
    stack.orders.submit(3, [_intent(Tif.ALO, 2499.0)])
    assert _names(port) == ["place", "schedule_cancel", "place", "place"]
    time_ms = port.of("schedule_cancel")[0]
    stack.dms.on_ack(ScheduleCancelAck(exchange_ns=0, local_ns=T0, time_ms=time_ms, ok=True,
                                       error=""))
    assert stack.dms.armed_until_ms == time_ms
    clock.advance_to(T0 + S)
    stack.orders.submit(4, [_intent(Tif.ALO, 2498.0)])
    assert _names(port)[-1] == "place"
    assert len(port.of("schedule_cancel")) == 1  # still armed far enough ahead


def test_after_a_clear_the_next_resting_order_is_armed_before_it_is_sent() -> None:
    # The gap the issue reproduced: cleared when nothing rested, then an order rested
    # 0.1-0.25 s before the next timer re-armed. Now the arm goes out first.
    stack, port, clock = _stack()
    stack.orders.submit(1, [_intent(Tif.ALO)])
    cloid = port.placed[0].cloid
    armed = port.of("schedule_cancel")[0]
    stack.dms.on_ack(ScheduleCancelAck(exchange_ns=0, local_ns=T0, time_ms=armed, ok=True,
                                       error=""))
    stack.orders.on_gateway(ack(cloid, "resting", oid=5))
    stack.orders.on_gateway(cancel_ack(cloid, ok=True, oid=5))
    assert stack.orders.live_count() == 0
    clock.advance_to(T0 + S)
    assert stack.dms.on_timer(clock.now_ns(), False).kind is DmsKind.CLEAR
    stack.dms.on_ack(ScheduleCancelAck(exchange_ns=0, local_ns=T0, time_ms=None, ok=True,
                                       error=""))
    assert stack.dms.armed_until_ms is None
    port.calls.clear()
    stack.orders.submit(2, [_intent(Tif.ALO)])
    assert _names(port) == ["schedule_cancel", "place"]
    resting = port.placed[0].cloid
    stack.orders.on_gateway(ack(resting, "resting", oid=6))
    new = stack.orders.modify(resting, 2499.0, 1.0)  # the arm is still on its way: enough
    assert new is not None
    assert _names(port) == ["schedule_cancel", "place", "modify"]
