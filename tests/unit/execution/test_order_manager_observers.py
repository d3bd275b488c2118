"""Observers subscribe to the order manager's "sent" news; nothing wraps the command port."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path

from hyperliquid_ofi_trader.core.commands import CancelOrder, PlaceOrder
from hyperliquid_ofi_trader.core.stages import Tif
from tests.order_fakes import T0, ack, intent, make_manager

PACKAGE = Path(__file__).resolve().parents[3] / "hyperliquid_ofi_trader"
PORT_METHODS = {"place", "cancel", "modify", "query_order", "schedule_cancel", "reconcile"}


class Heard:
    """A sent listener that records what it was told and what the port held by then."""

    def __init__(self, port_calls: list[tuple[str, object]]) -> None:
        self.port_calls = port_calls
        self.told: list[tuple[list[str], list[str | None], int, int]] = []

    def on_sent(self, orders: Sequence[PlaceOrder], cancels: Sequence[CancelOrder],
                sent_ns: int) -> None:
        self.told.append(([o.cloid for o in orders], [c.cloid for c in cancels], sent_ns,
                          len(self.port_calls)))


def test_places_modifies_and_cancels_are_told_after_the_hand_over() -> None:
    mgr, port, clock = make_manager()
    heard = Heard(port.calls)
    mgr.add_sent_listener(heard)
    mgr.submit(1, [intent()])
    cloid = port.placed[0].cloid
    assert heard.told == [([cloid], [], T0, 1)]  # told once the port holds the place
    mgr.on_gateway(ack(cloid, oid=5))
    clock.advance_to(T0 + 7)
    new = mgr.modify(cloid, 2501.0, 1.0)
    assert heard.told[-1] == ([new], [], T0 + 7, 2)  # the replacement, not the target
    mgr.cancel([new] if new is not None else [])
    assert heard.told[-1] == ([], [new], T0 + 7, 3)


def test_a_failing_listener_is_counted_and_the_others_still_hear() -> None:
    mgr, port, _ = make_manager()

    class Broken:
        def on_sent(self, orders: Sequence[PlaceOrder], cancels: Sequence[CancelOrder],
                    sent_ns: int) -> None:
            raise RuntimeError("observer bug")

    heard = Heard(port.calls)
    mgr.add_sent_listener(Broken())
    mgr.add_sent_listener(heard)
    mgr.submit(1, [intent()])
    assert len(port.placed) == 1
    assert len(heard.told) == 1
    assert mgr.counts["listener_error"] == 1


def test_the_resting_guard_arms_ahead_of_orders_that_may_rest_only() -> None:
    mgr, port, _ = make_manager()
    asked: list[int] = []

    def guard(now_ns: int) -> int | None:
        asked.append(now_ns)
        return 1234 if len(asked) == 1 else None  # armed once, then far enough ahead

    mgr.set_resting_guard(guard)
    mgr.submit(1, [intent(tif=Tif.IOC)])
    assert asked == []  # an IOC never rests
    mgr.submit(2, [intent(tif=Tif.ALO)])
    mgr.submit(3, [intent(tif=Tif.GTC, price=2499.0)])
    assert [name for name, _ in port.calls] == ["place", "schedule_cancel", "place", "place"]
    assert port.of("schedule_cancel") == [1234]
    assert asked == [T0, T0]


def _wrappers(tree: ast.Module) -> list[str]:
    """Classes implementing the CommandPort's methods that take a CommandPort to build."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        methods = {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}
        init = methods.get("__init__")
        if init is None or not set(methods) >= PORT_METHODS:
            continue
        annotations = [ast.unparse(a.annotation) for a in init.args.args if a.annotation]
        if any("CommandPort" in a for a in annotations):
            found.append(node.name)
    return found


def test_no_class_wraps_the_command_port() -> None:
    assert (PACKAGE / "execution" / "order_manager.py").is_file()  # the scan sees the package
    wrappers = {f"{path.relative_to(PACKAGE)}:{name}"
                for path in PACKAGE.rglob("*.py")
                for name in _wrappers(ast.parse(path.read_text()))}
    assert wrappers == set()
