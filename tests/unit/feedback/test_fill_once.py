"""Issue 10 item 8: a live fill arrives on `userFills` AND on `userEvents`; the run's
slippage, fill-rate and markout figures must count it once (they counted it twice).
Issue 15 item 5: one place (the order manager) decides whether a fill was seen."""

from __future__ import annotations

from pathlib import Path

from hyperliquid_ofi_trader.core.events import Fill, UserFills
from tests.unit.runtime.test_execution_stack import _run

_MS = 1_000_000


def _fill(cloid: str | None, tid: int, exchange_ns: int, px: float = 3500.0) -> Fill:
    return Fill(coin="ETH", price=px, size=0.05, is_buy=True, exchange_ns=exchange_ns,
                start_position=0.0, direction="Open Long", closed_pnl=0.0, hash="0x00",
                oid=1, crossed=True, fee=0.08, tid=tid, fee_token="USDC", cloid=cloid,
                liquidation=False)


def _both_channels(fill: Fill, local_ns: int) -> list[UserFills]:
    return [UserFills(exchange_ns=fill.exchange_ns, local_ns=local_ns + i, user="0x" + "1" * 40,
                      is_snapshot=False, fills=(fill,)) for i in range(2)]


def test_the_stack_counts_a_fill_delivered_twice_once(tmp_path: Path) -> None:
    port, stack, _ = _run(tmp_path, minutes=1)
    order = port.placed[0]
    t0 = stack.markouts._mid["ETH"][0] + 1
    fill = _fill(order.cloid, tid=424242, exchange_ns=t0)
    for ev in _both_channels(fill, t0):
        for listener in stack.execution.private_listeners:
            listener.on_private(ev)
    tif = order.tif.value
    assert stack.slippage.vs_mid[tif].count == 1
    stack.markouts.on_mid("ETH", 3501.0, t0 + 60_000 * _MS)
    assert stack.markouts.completed == len(stack.markouts.horizons_ms)
    assert stack.fill_rate.by_tif[tif].filled <= stack.fill_rate.by_tif[tif].placed


def test_one_place_decides_a_fill_was_seen(tmp_path: Path) -> None:
    # A fill first learnt of from a reconciliation snapshot, then pushed live on both
    # channels: it is history for positions and trackers alike, and nothing counts it.
    port, stack, _ = _run(tmp_path, minutes=1)
    order = port.placed[0]
    t0 = stack.markouts._mid["ETH"][0] + 1
    fill = _fill(order.cloid, tid=515151, exchange_ns=t0)
    before = stack.positions.estimate("ETH")
    stack.orders.on_private(UserFills(exchange_ns=t0, local_ns=t0, user="0x" + "1" * 40,
                                      is_snapshot=True, fills=(fill,)))
    for ev in _both_channels(fill, t0):
        for listener in stack.execution.private_listeners:
            listener.on_private(ev)
    assert stack.positions.estimate("ETH") == before
    assert order.tif.value not in stack.slippage.vs_mid
    assert stack.orders.counts["fill_redelivered"] == 2


def test_a_fill_with_unusable_numbers_reaches_no_one(tmp_path: Path) -> None:
    port, stack, _ = _run(tmp_path, minutes=1)
    order = port.placed[0]
    t0 = stack.markouts._mid["ETH"][0] + 1
    bad = _fill(order.cloid, tid=616161, exchange_ns=t0, px=float("nan"))
    for listener in stack.execution.private_listeners:
        listener.on_private(_both_channels(bad, t0)[0])
    assert stack.orders.counts["fill_malformed"] == 1
    assert order.tif.value not in stack.slippage.vs_mid
    assert stack.positions.rejected == 0  # never even offered to the book
