"""Periodic timers as events: the engine never sleeps, time passing is itself an event.

`PeriodicTimers` is sans-I/O: the driver (replay loop or live runner) calls `due(now_ns)`
with the injected clock's time and feeds the returned `Timer` events to the engine. In a
replay the clock is the recorded receive time, so timers fire at the same points of the
data every run.
"""

from __future__ import annotations

from collections.abc import Mapping

from hyperliquid_ofi_trader.core.events import Timer


class PeriodicTimers:
    """Named timers with fixed periods; each fires at most once per `due` call."""

    __slots__ = ("_next_ns", "_period_ns")

    def __init__(self, periods_ns: Mapping[str, int]) -> None:
        bad = {name: p for name, p in periods_ns.items() if p <= 0}
        if bad:
            raise ValueError(f"timer periods must be positive, got {bad}")
        self._period_ns = dict(periods_ns)
        self._next_ns: dict[str, int] = {}

    def due(self, now_ns: int) -> list[Timer]:
        """Timers whose time has come; a long gap fires a timer once, not once per period."""
        fired: list[Timer] = []
        for name, period in self._period_ns.items():
            next_ns = self._next_ns.get(name)
            if next_ns is None:
                self._next_ns[name] = now_ns + period
            elif now_ns >= next_ns:
                fired.append(Timer(exchange_ns=0, local_ns=now_ns, name=name))
                self._next_ns[name] = now_ns + period
        return fired

    def next_ns(self) -> int:
        """The earliest time `due` can fire a timer (0 while one has not started): a caller
        on a hot path skips `due` before then."""
        if len(self._next_ns) < len(self._period_ns):
            return 0
        return min(self._next_ns.values())
