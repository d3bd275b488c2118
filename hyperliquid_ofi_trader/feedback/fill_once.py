"""Each fill reaches the feedback trackers once, however many channels deliver it.

A live run subscribes to `userFills` and to `userEvents`, and the venue pushes every fill
on both; the order manager and the position book de-duplicate on (coin, tid) themselves,
but slippage, fill-rate and markout statistics counted each fill twice (the run summary
showed 276 markouts for 138 fills while `hlofi report` on the same journal said 138).
`OncePerFill` sits in front of those trackers: a `UserFills` update goes on with only the
fills not seen before (none: not at all); every other private event passes unchanged.
Snapshots are history, which the trackers ignore; they are forwarded as they are and do
not mark fills as seen.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Final

import msgspec

from hyperliquid_ofi_trader.core.events import PrivateEvent, UserFills
from hyperliquid_ofi_trader.core.stages import PrivateListener

_REMEMBERED: Final = 100_000  # fills; far more than any run's in-flight duplicates


class OncePerFill:
    """A `PrivateListener` forwarding to `listeners` with duplicate fills removed."""

    __slots__ = ("_listeners", "_order", "_seen", "duplicates")

    def __init__(self, listeners: Sequence[PrivateListener]) -> None:
        self._listeners = tuple(listeners)
        self._seen: set[tuple[str, int]] = set()
        self._order: deque[tuple[str, int]] = deque()
        self.duplicates = 0

    def on_private(self, event: PrivateEvent) -> None:
        if isinstance(event, UserFills) and not event.is_snapshot:
            fresh = tuple(f for f in event.fills if self._first_time(f.coin, f.tid))
            self.duplicates += len(event.fills) - len(fresh)
            if not fresh:
                return
            if len(fresh) != len(event.fills):
                event = msgspec.structs.replace(event, fills=fresh)
        for listener in self._listeners:
            listener.on_private(event)

    def _first_time(self, coin: str, tid: int) -> bool:
        key = (coin, tid)
        if key in self._seen:
            return False
        self._seen.add(key)
        self._order.append(key)
        if len(self._order) > _REMEMBERED:
            self._seen.discard(self._order.popleft())
        return True
