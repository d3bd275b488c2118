"""Issue 10 item 8: a live fill arrives on `userFills` AND on `userEvents`; the run's
slippage, fill-rate and markout figures must count it once (they counted it twice)."""

from __future__ import annotations

from pathlib import Path

from hyperliquid_ofi_trader.core.events import Fill, PrivateEvent, UserFills
from hyperliquid_ofi_trader.feedback.fill_once import OncePerFill
from tests.unit.test_execution_stack import _run

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


class _Count:
    def __init__(self) -> None:
        self.fills: list[int] = []
        self.events = 0

    def on_private(self, event: PrivateEvent) -> None:
        self.events += 1
        if isinstance(event, UserFills):
            self.fills.extend(f.tid for f in event.fills)


def test_only_new_fills_go_on_and_snapshots_pass_untouched() -> None:
    sink = _Count()
    once = OncePerFill([sink])
    a, b = _fill("0x1", 1, 10), _fill("0x2", 2, 11)
    once.on_private(UserFills(exchange_ns=10, local_ns=10, user="u", is_snapshot=False,
                              fills=(a,)))
    once.on_private(UserFills(exchange_ns=11, local_ns=11, user="u", is_snapshot=False,
                              fills=(a, b)))
    once.on_private(UserFills(exchange_ns=11, local_ns=12, user="u", is_snapshot=False,
                              fills=(b,)))
    assert sink.fills == [1, 2]
    assert once.duplicates == 2
    snapshot = UserFills(exchange_ns=0, local_ns=13, user="u", is_snapshot=True, fills=(a,))
    once.on_private(snapshot)
    assert sink.events == 3
