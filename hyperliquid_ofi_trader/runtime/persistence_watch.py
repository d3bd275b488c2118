"""Degrade trading when the run database cannot be written.

A system that cannot journal its decisions or persist its orders cannot explain them, and
after a crash could not tell its own orders from strangers': it must stop adding risk.
`PersistenceWatch` is a timer listener; once per `period_ns` it looks at each writer's
`WriteHealth` (core/persistence.py) and raises `PersistenceError` when one is failing,
lost rows, or set a poisoned row aside since the last look. The engine turns a raising
listener into a journaled, logged stage error and escalates on repeats (risk.yaml
`stage_errors`): with the defaults, writes still failing after 3 s make the system
REDUCING, after 10 s HALTED (cancel all). A single quarantined row is reported once (an
alert, one error row) without escalating by itself. Recovery is the operator's resume or
the engine's own policy once writes succeed again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from hyperliquid_ofi_trader.core.persistence import WriteHealth
from hyperliquid_ofi_trader.errors import TransientError

DEFAULT_PERIOD_NS: Final = 1_000_000_000


class PersistenceError(TransientError):
    """The journal or the order store is failing to write (environment, not our bug)."""


class PersistenceWatch:
    """Timer listener raising `PersistenceError` while any writer is unhealthy."""

    __slots__ = ("_healths", "_next_ns", "_period_ns", "_seen")

    def __init__(self, healths: Mapping[str, WriteHealth],
                 period_ns: int = DEFAULT_PERIOD_NS) -> None:
        self._healths = dict(healths)
        self._period_ns = period_ns
        self._next_ns = 0
        self._seen = {name: (h.quarantined, h.dropped) for name, h in self._healths.items()}

    def on_timer(self, now_ns: int) -> None:
        if now_ns < self._next_ns:
            return
        self._next_ns = now_ns + self._period_ns
        problems = [p for name, h in self._healths.items() if (p := self._problem(name, h))]
        if problems:
            raise PersistenceError("; ".join(problems))

    def _problem(self, name: str, health: WriteHealth) -> str:
        quarantined, dropped = self._seen[name]
        self._seen[name] = (health.quarantined, health.dropped)
        parts = []
        if health.failing:
            parts.append(f"writes failing ({health.last_error})")
        if health.dropped > dropped:
            parts.append(f"{health.dropped - dropped} queued rows dropped")
        if health.quarantined > quarantined:
            parts.append(f"{health.quarantined - quarantined} row(s) refused and set aside "
                         f"({health.last_error})")
        return f"{name}: {', '.join(parts)}" if parts else ""
