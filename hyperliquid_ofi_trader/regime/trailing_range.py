"""The highest and lowest value over a trailing window of time, O(1) amortised per point.

Two monotone deques of (time, value): one keeps values decreasing (its head is the
window's maximum), the other increasing (its head is the minimum). A new point pops
the values it dominates from each tail; `evict` drops what left the window from the
heads. Used by the liquidation detector (trade prices) and a lead coin's path (mids).
"""

from __future__ import annotations

from collections import deque


class TrailingRange:
    """Max and min of the points pushed since the last `evict` horizon."""

    __slots__ = ("_max", "_min")

    def __init__(self) -> None:
        self._max: deque[tuple[int, float]] = deque()  # values decreasing
        self._min: deque[tuple[int, float]] = deque()  # values increasing

    def push(self, t: int, value: float) -> None:
        """Add a point; `t` must not go backwards (callers clamp)."""
        hi, lo = self._max, self._min
        point = (t, value)  # one (immutable) tuple for both deques
        while hi and hi[-1][1] <= value:
            hi.pop()
        hi.append(point)
        while lo and lo[-1][1] >= value:
            lo.pop()
        lo.append(point)

    def evict(self, horizon: int) -> None:
        """Drop the points older than `horizon`."""
        for q in (self._max, self._min):
            while q and q[0][0] < horizon:
                q.popleft()

    def empty(self) -> bool:
        return not self._max

    def high(self, since: int | None = None) -> float | None:
        """The highest value (of the points at or after `since`); None when there is none."""
        return _head(self._max, since)

    def low(self, since: int | None = None) -> float | None:
        """The lowest value (of the points at or after `since`); None when there is none."""
        return _head(self._min, since)


def _head(q: deque[tuple[int, float]], since: int | None) -> float | None:
    # Times increase along a monotone deque, so the first point at or after `since` is the
    # extreme of the points from `since` on.
    if since is None:
        return q[0][1] if q else None
    return next((v for t, v in q if t >= since), None)
