"""Queue position of our resting orders inside the EXTERNAL market's price levels.

The emulator knows the external market only through its public feed: level sizes per
price (l2Book / bbo) and prints (trades). It cannot see individual orders, so where one
of our resting orders stands in its level's FIFO queue has to be estimated. The model:

1. Joining. A new resting order joins the back of its level: `ahead` = the market's
   visible size at that price when it was placed (0 if the price is not in the book).
2. Trades at our price consume the queue from the front: they reduce `ahead` first; only
   the part of a print beyond `ahead` can fill us (`on_trade_at_price`).
3. Level shrinks not explained by trades are cancels. `CancelAttribution.PROPORTIONAL`
   (the default) assumes cancels are spread evenly through the queue, so `ahead` shrinks
   by the same fraction as the level. With no information about where the cancelled
   orders sat this is the unbiased guess, and it keeps the estimate strictly between the
   two extremes (all ahead = optimistic, all behind = pessimistic). `BEHIND` is the
   pessimistic bound: `ahead` only shrinks when the level becomes smaller than it (the
   cancels must then have included orders ahead of us). Growth of a level always joins
   behind us and never changes `ahead`.
4. Through-prints. A trade at a price strictly worse for the aggressor than ours (a sell
   printing below our bid, a buy above our ask) proves the whole level was swept: `ahead`
   becomes 0 and the order fills in full (the matching engine does this; see matching.py).
   The same holds when the market's opposite touch crosses our price.

`level_seen` is the market size at our price as last observed, with prints already
subtracted, so a print and the next snapshot that reflects it are not counted twice.
"""

from __future__ import annotations

from hyperliquid_ofi_trader.sim.settings import CancelAttribution


class QueuePosition:
    """Estimated market size ahead of one resting order, and the level as last seen."""

    __slots__ = ("ahead", "level_seen")

    def __init__(self, visible_at_price: float) -> None:
        self.ahead = max(0.0, visible_at_price)
        self.level_seen = self.ahead

    def on_trade_at_price(self, size: float) -> float:
        """A print of `size` at our price: consume the queue ahead; return what reaches us."""
        consumed = min(self.ahead, size)
        self.ahead -= consumed
        self.level_seen = max(0.0, self.level_seen - size)
        return size - consumed

    def on_level(self, new_size: float, attribution: CancelAttribution) -> None:
        """The market's visible size at our price is now `new_size` (0 = level gone)."""
        new_size = max(0.0, new_size)
        if new_size < self.level_seen:
            self.ahead = self._after_cancels(new_size, attribution)
        self.level_seen = new_size

    def _after_cancels(self, new_size: float, attribution: CancelAttribution) -> float:
        if attribution is CancelAttribution.BEHIND:
            return min(self.ahead, new_size)
        if self.level_seen <= 0.0:
            return 0.0
        return min(self.ahead * (new_size / self.level_seen), new_size)

    def swept(self) -> None:
        """The whole level traded through: nothing is ahead of us any more."""
        self.ahead = 0.0
        self.level_seen = 0.0
