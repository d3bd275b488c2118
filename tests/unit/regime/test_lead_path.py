"""LeadPath: the run of a coin's mid up or down within a trailing span."""

from __future__ import annotations

import math

import pytest

from hyperliquid_ofi_trader.regime.lead_path import LeadPath

MS = 1_000_000


def test_run_up_and_down_from_the_span_extremes() -> None:
    p = LeadPath(1000 * MS)
    for i, mid in enumerate((100.0, 99.0, 101.0, 100.5)):
        p.update(mid, i * 100 * MS)
    now = 300 * MS
    assert p.run_bps(True, now) == pytest.approx((100.5 - 99.0) / 99.0 * 1e4)
    assert p.run_bps(False, now) == pytest.approx((101.0 - 100.5) / 101.0 * 1e4)


def test_old_extremes_leave_the_span() -> None:
    p = LeadPath(1000 * MS)
    p.update(90.0, 0)
    p.update(100.0, 1500 * MS)
    p.update(100.0, 1600 * MS)
    assert p.run_bps(True, 1600 * MS) == 0.0  # the 90 is 1.6 s old
    assert p.run_bps(True, 1600 * MS, span_ns=100 * MS) == 0.0


def test_a_shorter_query_span_ignores_older_mids() -> None:
    p = LeadPath(4000 * MS)
    p.update(99.0, 0)
    p.update(100.0, 3000 * MS)
    assert p.run_bps(True, 3000 * MS) == pytest.approx(1e4 / 99.0)
    assert p.run_bps(True, 3000 * MS, span_ns=1000 * MS) == 0.0


def test_stale_path_explains_nothing() -> None:
    p = LeadPath(1000 * MS)
    p.update(99.0, 0)
    p.update(100.0, 500 * MS)
    assert p.run_bps(True, 2000 * MS) == 0.0
    assert LeadPath(1000 * MS).run_bps(True, 0) == 0.0


def test_bad_mids_are_counted_and_ignored() -> None:
    p = LeadPath(1000 * MS)
    for bad in (math.nan, -1.0, 0.0, math.inf):
        p.update(bad, 0)
    assert p.rejected == 4
    assert math.isnan(p.last)


def test_time_going_backwards_is_clamped() -> None:
    p = LeadPath(1000 * MS)
    p.update(100.0, 500 * MS)
    p.update(101.0, 400 * MS)
    assert p.now_ns == 500 * MS
    assert p.run_bps(True, 500 * MS) == pytest.approx(100.0)


def test_span_must_be_positive() -> None:
    with pytest.raises(ValueError, match="span_ns must be > 0"):
        LeadPath(0)
