"""Fill counters: the ordinary life of an IOC is not an anomaly; real anomalies still are.

The venue (and the emulator) tells us about an IOC in this order: the `orderUpdates` push
("filled", or "canceled" for the unmatched rest), the fill on `userFills`, the same fill
again on `userEvents`, then the post answer ("filled" with the matched total).
"""

from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.core.order_state import OrderState
from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.execution.order_manager import OrderManager
from hyperliquid_ofi_trader.venues.hyperliquid.common import errors as ve
from tests.order_fakes import (
    ack,
    cancel_ack,
    fill,
    fills,
    intent,
    make_manager,
    update,
    watch_positions,
)

S = OrderState
ANOMALIES = ("fill_after_terminal", "fill_duplicate", "fill_conflict", "fill_foreign")


def _ioc(mgr: OrderManager, size: float = 1.0) -> str:
    mgr.submit(1, [intent(size=size, tif=Tif.IOC)])
    return next(iter(mgr.open_order_views("ETH"))).cloid


def _anomalies(mgr: OrderManager) -> dict[str, int]:
    return {k: v for k, v in mgr.counts.items() if k in ANOMALIES}


def test_fully_filled_ioc_update_first_is_an_ordinary_fill() -> None:
    mgr, _, _ = make_manager()
    book = watch_positions(mgr)
    c = _ioc(mgr)
    mgr.on_private(update(41, "filled", cloid=c, size=0.0))
    f = fill(41, tid=1, size=1.0, cloid=c, crossed=True)
    mgr.on_private(fills(f))  # userFills
    mgr.on_private(fills(f))  # the same fill on userEvents
    mgr.on_gateway(ack(c, "filled", oid=41, filled=1.0, avg_px=2500.0))
    o = mgr.order(c)
    assert o is not None
    assert o.state is S.FILLED
    assert o.filled == pytest.approx(1.0)
    assert mgr.counts["fills"] == 1
    assert mgr.counts["fill_redelivered"] == 1
    assert _anomalies(mgr) == {}
    assert book.delta_from_fills("ETH") == pytest.approx(1.0)


def test_ioc_acked_filled_before_its_fills_is_an_ordinary_fill() -> None:
    mgr, _, _ = make_manager()
    c = _ioc(mgr)
    mgr.on_gateway(ack(c, "filled", oid=42, filled=1.0, avg_px=2500.0))
    mgr.on_private(fills(fill(42, tid=1, size=0.4, cloid=c)))
    mgr.on_private(fills(fill(42, tid=2, size=0.6, cloid=c)))
    assert mgr.counts["fills"] == 2
    assert _anomalies(mgr) == {}
    assert mgr.outcomes == {"Ioc:filled": 1}


def test_partially_filled_ioc_is_ordinary_whichever_news_comes_first() -> None:
    mgr, _, _ = make_manager()
    c = _ioc(mgr)
    mgr.on_private(update(43, "canceled", cloid=c, size=0.7))  # 0.3 matched, rest cancelled
    mgr.on_private(fills(fill(43, tid=1, size=0.3, cloid=c)))
    mgr.on_gateway(ack(c, "filled", oid=43, filled=0.3, avg_px=2500.0))
    d = _ioc(mgr)
    mgr.on_gateway(ack(d, "filled", oid=44, filled=0.3, avg_px=2500.0))  # answer first
    mgr.on_private(fills(fill(44, tid=2, size=0.3, cloid=d)))
    assert mgr.counts["fills"] == 2
    assert _anomalies(mgr) == {}
    assert mgr.order(c).state is S.EXPIRED  # type: ignore[union-attr]
    assert mgr.order(d).filled == pytest.approx(0.3)  # type: ignore[union-attr]


def test_fill_beyond_what_the_venue_announced_is_still_an_anomaly() -> None:
    mgr, _, _ = make_manager()
    c = _ioc(mgr)
    mgr.on_gateway(ack(c, "filled", oid=45, filled=0.3, avg_px=2500.0))
    mgr.on_private(fills(fill(45, tid=1, size=0.3, cloid=c)))
    assert _anomalies(mgr) == {}
    mgr.on_private(fills(fill(45, tid=2, size=0.2, cloid=c)))  # more than the 0.3 matched
    assert mgr.counts["fill_after_terminal"] == 1


def test_ioc_that_could_not_match_then_fills_is_an_anomaly() -> None:
    mgr, _, _ = make_manager()
    c = _ioc(mgr)
    mgr.on_gateway(ack(c, "error", oid=None, error=ve.IOC_NO_MATCH))
    mgr.on_private(fills(fill(46, tid=1, size=0.5, cloid=c)))
    assert mgr.counts["fill_after_terminal"] == 1
    assert mgr.order(c).filled == pytest.approx(0.5)  # type: ignore[union-attr]  # size counts


def test_fill_racing_a_confirmed_cancel_is_counted() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent(size=1.0)])
    c = port.placed[0].cloid
    mgr.on_gateway(ack(c, "resting", oid=47))
    mgr.cancel([c])
    mgr.on_gateway(cancel_ack(c, ok=True))
    mgr.on_private(fills(fill(47, tid=1, size=0.4, cloid=c)))
    assert mgr.order(c).state is S.CANCELLED  # type: ignore[union-attr]
    assert mgr.counts["fill_after_terminal"] == 1


def test_cancel_update_that_accounts_for_the_fill_makes_it_ordinary() -> None:
    mgr, port, _ = make_manager()
    mgr.submit(1, [intent(size=1.0)])
    c = port.placed[0].cloid
    mgr.on_gateway(ack(c, "resting", oid=48))
    mgr.on_private(update(48, "canceled", cloid=c, size=0.6))  # 0.4 matched before it
    mgr.on_private(fills(fill(48, tid=1, size=0.4, cloid=c)))
    assert "fill_after_terminal" not in mgr.counts
    assert mgr.order(c).filled == pytest.approx(0.4)  # type: ignore[union-attr]
