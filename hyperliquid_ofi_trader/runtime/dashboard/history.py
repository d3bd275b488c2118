"""The dashboard's chart history: one compact point per published snapshot, in a ring.

A page opened mid-run draws the last minutes at once (`points`), then appends the points
the stream brings. Each point holds only what a chart plots, so the ring stays small
(600 points × a few dozen floats, ten minutes at 1 Hz).
"""

from __future__ import annotations

from collections import deque
from typing import Any

HISTORY_POINTS = 600


def chart_point(snap: dict[str, Any]) -> dict[str, Any]:
    """The plotted figures of one live snapshot (+ the newest decision's economics)."""
    markets = snap.get("markets", {})
    pnl = snap.get("pnl", {})
    point: dict[str, Any] = {
        "t": snap["t_ms"] / 1e3,
        "mid": {c: m.get("mid") for c, m in markets.items()},
        "spread_bps": {c: m.get("spread_bps") for c, m in markets.items()},
        "alpha": snap.get("alpha", {}).get("alpha"),
        "signals": _signals(markets),
        "gross": pnl.get("gross"), "fees": pnl.get("fees"), "net": pnl.get("net"),
        "exposure_usd": pnl.get("exposure_usd"),
        "position": {p["coin"]: p["size"] for p in snap.get("positions", [])},
        "latency_p50_ms": {c: v.get("p50") for c, v in
                           snap.get("feed", {}).get("latency_ms", {}).items()},
    }
    decisions = snap.get("decisions") or []
    point["economics"] = decisions[0]["economics"] if decisions else {}
    return point


def _signals(markets: dict[str, Any]) -> dict[str, float | None]:
    """Each traded coin's signals, named by signal (prefixed by coin when several trade)."""
    traded = {c: m["signals"] for c, m in markets.items() if "signals" in m}
    several = len(traded) > 1
    return {(f"{coin} {name}" if several else name): value
            for coin, signals in traded.items() for name, value in signals.items()}


class ChartHistory:
    """A bounded ring of chart points."""

    __slots__ = ("_points",)

    def __init__(self, maxlen: int = HISTORY_POINTS) -> None:
        self._points: deque[dict[str, Any]] = deque(maxlen=maxlen)

    def add(self, point: dict[str, Any]) -> None:
        self._points.append(point)

    def points(self) -> list[dict[str, Any]]:
        return list(self._points)
