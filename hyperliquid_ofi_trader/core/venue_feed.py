"""The inbound venue seam: a venue's raw frames in, domain events out.

The outbound seam is `core.commands.CommandPort` (the order manager's commands to a
gateway). This is its inbound twin: every run mode (replay, backtest, paper, live) hands
the frames it reads or receives to a `VenueFeed` and gets back the venue-neutral events of
`core.events`, so nothing above the venue adapter reads a venue's JSON or its channel
names. The Hyperliquid implementation is `venues.hyperliquid.feed.HyperliquidFeed`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from hyperliquid_ofi_trader.core.events import AnyEvent


class VenueFeed(Protocol):
    """Decodes one venue's frames. Never raises on bad input: a refused frame becomes a
    `Rejection` event and a count in `rejections`."""

    @property
    def rejections(self) -> Mapping[str, int]:
        """Refused frames by stable reason code, since construction."""
        ...

    def decode(self, frame: bytes | str, local_ns: int) -> Sequence[AnyEvent]:
        """One raw frame received at `local_ns` -> zero or more domain events."""
        ...

    def channel_of(self, event: AnyEvent) -> str | None:
        """The health channel whose liveness `event` proves ("" never; None when the event
        belongs to no watched stream: acks, post answers, rejections)."""
        ...
