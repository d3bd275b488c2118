"""One position book on the order path: what the risk side reads is what the store keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperliquid_ofi_trader.config import load_config
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.events import PositionSnapshot
from hyperliquid_ofi_trader.core.stages import OrderIntent, Tif
from hyperliquid_ofi_trader.execution.order_store import OrderStore
from hyperliquid_ofi_trader.feedback.trust_score import SignalTrust
from hyperliquid_ofi_trader.runtime.execution_stack import ExecutionStack, build_execution
from tests.order_fakes import T0, RecordingPort, ack, fill, fills, snapshot


def _stack(store: OrderStore) -> tuple[ExecutionStack, RecordingPort]:
    port = RecordingPort()
    stack = build_execution(load_config(), ReplayClock(T0), {}, port, store, SignalTrust(),
                            lambda coin: None)
    return stack, port


def _rested(stack: ExecutionStack, port: RecordingPort, size: float = 2.0) -> str:
    stack.orders.submit(1, [OrderIntent(coin="ETH", is_buy=True, size=size, price=2500.0,
                                        tif=Tif.GTC, reduce_only=False, tag="t")])
    cloid = port.placed[-1].cloid
    stack.orders.on_gateway(ack(cloid, oid=3))
    return cloid


def _stored(store: OrderStore) -> tuple[float, float]:
    store.flush()
    row = store.load_positions().get("ETH")
    return (0.0, 0.0) if row is None else (row.size, row.entry_px)


def test_the_store_keeps_the_positions_the_risk_side_reads(tmp_path: Path) -> None:
    store = OrderStore(tmp_path / "run.sqlite")
    stack, port = _stack(store)
    cloid = _rested(stack, port)
    live = fill(3, tid=1, size=0.5, cloid=cloid, price=2500.0)
    for _ in range(2):  # both private channels carry it
        stack.orders.on_private(fills(live))
        for listener in stack.execution.private_listeners:
            if listener is not stack.orders:
                listener.on_private(fills(live))
    assert stack.positions.estimate("ETH") == (0.5, 2500.0)
    assert _stored(store) == stack.positions.estimate("ETH")
    # History in a resubscription's snapshot is in the venue's position already: neither
    # view moves (the manager used to add it to the stored position alone).
    history = fill(3, tid=2, size=0.5, cloid=cloid, price=2400.0)
    stack.orders.on_private(fills(history, snapshot=True))
    assert stack.positions.estimate("ETH") == (0.5, 2500.0)
    assert _stored(store) == (0.5, 2500.0)
    assert stack.positions.delta_from_fills("ETH") == pytest.approx(1.0)
    store.close()


def test_a_reconciliation_is_stored_as_the_book_adopts_it(tmp_path: Path) -> None:
    store = OrderStore(tmp_path / "run.sqlite")
    stack, _ = _stack(store)
    snap = snapshot(positions=[PositionSnapshot(coin="ETH", size=-1.0, entry_px=2400.0,
                                                unrealized_pnl=0.0, margin_used=1.0)])
    for listener in stack.execution.gateway_listeners:
        listener.on_gateway(snap)
    assert stack.positions.estimate("ETH") == (-1.0, 2400.0)
    assert _stored(store) == (-1.0, 2400.0)
    store.close()
