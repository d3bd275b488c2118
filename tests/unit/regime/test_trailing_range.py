"""TrailingRange: the window's max and min, by hand."""

from __future__ import annotations

from hyperliquid_ofi_trader.regime.trailing_range import TrailingRange


def test_extremes_follow_pushes_and_evictions() -> None:
    r = TrailingRange()
    assert r.empty()
    assert r.high() is None
    assert r.low() is None
    for t, v in enumerate((5.0, 3.0, 4.0, 7.0, 6.0)):
        r.push(t, v)
    assert (r.high(), r.low()) == (7.0, 3.0)
    r.evict(2)  # 5 and 3 leave
    assert (r.high(), r.low()) == (7.0, 4.0)
    r.evict(4)  # only 6 is left
    assert (r.high(), r.low()) == (6.0, 6.0)
    r.evict(5)
    assert r.empty()


def test_since_reads_a_shorter_window_without_evicting() -> None:
    r = TrailingRange()
    for t, v in enumerate((1.0, 9.0, 2.0, 3.0)):
        r.push(t, v)
    assert (r.high(2), r.low(2)) == (3.0, 2.0)
    assert (r.high(), r.low()) == (9.0, 1.0)
    assert r.high(10) is None
