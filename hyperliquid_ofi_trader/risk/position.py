"""The one position book: signed size, VWAP entry, realised PnL, fees, funding.

`PositionBook` is the engine's `PositionSource` and the only keeper of positions:
- it hears each NEW fill from the order manager (`on_fill_report`, subscribed with
  `OrderManager.add_fill_listener`), which alone decides whether a fill was seen before
  (on (coin, tid), the venue's identity for a fill, across both private channels,
  snapshots and reconciliations);
- snapshot fills (history the venue sends on subscribing, recent fills of a
  reconciliation) only count in `delta_from_fills`: the positions they produced are
  already in the venue's position snapshot, which `reconcile` applies; applying them
  again would double count;
- `reconcile(AccountSnapshot)`: the venue is the truth. Every difference is counted,
  logged and returned, then our book takes the venue's size and entry;
- given a store, every position it moves is saved (the `positions` table of the run
  database), from the same moments and figures the book holds.
`Funding` arrives as a private event (`on_private`).

Accounting: adding to a position moves the VWAP entry; reducing realises
(exit - entry) x closed size x sign; crossing through zero closes at the old entry and
opens the remainder at the fill price. Fees are a cost (negative fee = rebate, income).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Protocol

import msgspec

from hyperliquid_ofi_trader.core.events import (
    AccountSnapshot,
    Fill,
    Funding,
    PositionSnapshot,
    PrivateEvent,
)
from hyperliquid_ofi_trader.core.records import FillReport, PositionRow

_log = logging.getLogger(__name__)
# Sizes carry at most 8 decimals: anything below this is float residue of a close.
_FLAT_EPS = 1e-9


class PositionRecorder(Protocol):
    """Where positions are saved (the order store)."""

    def save_position(self, row: PositionRow) -> None: ...


class PositionDiscrepancy(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """What reconcile found: our size vs the venue's (the venue's is applied)."""

    coin: str
    ours: float
    venue: float
    venue_entry_px: float


class CoinPosition:
    """Mutable per-coin accounting (owned by PositionBook; read its fields freely)."""

    __slots__ = ("coin", "delta", "entry_px", "fees", "fills", "funding", "realised", "size")

    def __init__(self, coin: str) -> None:
        self.coin = coin
        self.delta = 0.0  # signed size of this process's fills, snapshot ones included
        self.size = 0.0
        self.entry_px = 0.0
        self.realised = 0.0
        self.fees = 0.0
        self.funding = 0.0
        self.fills = 0

    def apply(self, is_buy: bool, price: float, size: float, fee: float) -> None:
        qty = size if is_buy else -size
        self.fees += fee
        self.fills += 1
        if self.size == 0.0 or (self.size > 0) == (qty > 0):
            self._add(qty, price)
        else:
            self._reduce(qty, price)

    def _add(self, qty: float, price: float) -> None:
        new = self.size + qty
        self.entry_px = (abs(self.size) * self.entry_px + abs(qty) * price) / abs(new)
        self.size = new

    def _reduce(self, qty: float, price: float) -> None:
        closed = min(abs(qty), abs(self.size))
        sign = 1.0 if self.size > 0 else -1.0
        self.realised += closed * (price - self.entry_px) * sign
        rest = abs(qty) - closed
        if rest > _FLAT_EPS:  # crossed through zero: the remainder opens at the fill price
            self.size, self.entry_px = -sign * rest, price
            return
        self.size += qty
        if abs(self.size) <= _FLAT_EPS:
            self.size, self.entry_px = 0.0, 0.0

    def unrealised(self, mark: float | None) -> float:
        if mark is None or self.size == 0.0 or not math.isfinite(mark):
            return 0.0
        return self.size * (mark - self.entry_px)

    def pnl(self, mark: float | None) -> float:
        """Realised + unrealised + funding - fees (USD)."""
        return self.realised + self.unrealised(mark) + self.funding - self.fees


class PositionBook:
    """Per-coin positions and PnL. Implements PositionSource and PrivateListener."""

    def __init__(self, store: PositionRecorder | None = None) -> None:
        self._by_coin: dict[str, CoinPosition] = {}
        self._store = store
        self.account_value: float | None = None
        self.rejected = 0
        self.reconciliations = 0
        self.discrepancies = 0
        self._fill_listeners: list[Callable[[Fill], None]] = []

    # ------------------------------------------------------------ reads

    def position(self, coin: str) -> float:
        pos = self._by_coin.get(coin)
        return 0.0 if pos is None else pos.size

    def estimate(self, coin: str) -> tuple[float, float]:
        """(signed size, entry px): the last account snapshot plus fills since."""
        pos = self._by_coin.get(coin)
        return (0.0, 0.0) if pos is None else (pos.size, pos.entry_px)

    def delta_from_fills(self, coin: str) -> float:
        """Signed size the fills this process learnt of added (coin units), those the
        venue reported in snapshots included: what our fills did, whatever the venue's
        position snapshots say."""
        pos = self._by_coin.get(coin)
        return 0.0 if pos is None else pos.delta

    def get(self, coin: str) -> CoinPosition:
        pos = self._by_coin.get(coin)
        if pos is None:
            pos = self._by_coin[coin] = CoinPosition(coin)
        return pos

    def coins(self) -> tuple[str, ...]:
        return tuple(self._by_coin)

    def total_pnl(self, marks: Mapping[str, float | None] | Callable[[str], float | None]
                  ) -> float:
        """Sum of every coin's PnL; `marks` gives a mark (mid) per coin, None if unknown."""
        get = marks if callable(marks) else marks.get
        return sum(p.pnl(get(c)) for c, p in self._by_coin.items())

    def notional(self, coin: str, mark: float) -> float:
        return abs(self.position(coin)) * mark

    def add_fill_listener(self, listener: Callable[[Fill], None]) -> None:
        """Called after each NEW (non-snapshot) fill is applied."""
        self._fill_listeners.append(listener)

    # ------------------------------------------------------------ inputs

    def on_private(self, event: PrivateEvent) -> None:
        """Funding; fills come from the order manager (`on_fill_report`)."""
        if isinstance(event, Funding):
            if math.isfinite(event.usdc):
                self.get(event.coin).funding += event.usdc
            else:
                self.rejected += 1

    def on_fill_report(self, report: FillReport) -> None:
        """The order manager's news of a NEW fill (its only source of fills)."""
        fill = report.fill
        if report.is_snapshot:
            if _fill_ok(fill):
                pos = self.get(fill.coin)
                pos.delta += fill.size if fill.is_buy else -fill.size
            return
        if self.on_fill(fill):
            self._save(fill.coin, report.local_ns)

    def on_fill(self, fill: Fill) -> bool:
        """Apply one new fill; False when it is malformed (counted in `rejected`)."""
        if not _fill_ok(fill):
            self.rejected += 1
            return False
        pos = self.get(fill.coin)
        pos.delta += fill.size if fill.is_buy else -fill.size
        pos.apply(fill.is_buy, fill.price, fill.size, fill.fee)
        for listener in self._fill_listeners:
            listener(fill)
        return True

    def _save(self, coin: str, now_ns: int) -> None:
        pos = self._by_coin.get(coin)
        if self._store is not None and pos is not None:
            self._store.save_position(PositionRow(coin=coin, size=pos.size,
                                                  entry_px=pos.entry_px, updated_ns=now_ns))

    # ------------------------------------------------------------ reconciliation

    def reconcile(self, snap: AccountSnapshot) -> list[PositionDiscrepancy]:
        """Adopt the venue's positions; returns (and counts, logs) every difference."""
        self.reconciliations += 1
        if math.isfinite(snap.account_value):
            self.account_value = snap.account_value
        venue = {p.coin: p for p in snap.positions}
        found: list[PositionDiscrepancy] = []
        for coin in sorted(set(venue) | set(self._by_coin)):
            d = self._adopt(coin, venue.get(coin))
            self._save(coin, snap.local_ns)
            if d is not None:
                found.append(d)
        return found
    def _adopt(self, coin: str, vp: PositionSnapshot | None) -> PositionDiscrepancy | None:
        size = 0.0 if vp is None else vp.size
        entry = 0.0 if vp is None else vp.entry_px
        if not (math.isfinite(size) and math.isfinite(entry)):
            self.rejected += 1
            return None
        pos = self.get(coin)
        ours = pos.size
        pos.size, pos.entry_px = size, (entry if size != 0.0 else 0.0)
        if abs(ours - size) <= _FLAT_EPS:
            return None
        self.discrepancies += 1
        _log.warning("position %s: ours %s, venue %s (venue wins)", coin, ours, size)
        return PositionDiscrepancy(coin=coin, ours=ours, venue=size, venue_entry_px=entry)

    def summary(self) -> dict[str, dict[str, float]]:
        """Per-coin figures for status views and the journal (off the hot path)."""
        return {c: {"size": p.size, "entry_px": p.entry_px, "realised": p.realised,
                    "fees": p.fees, "funding": p.funding, "fills": float(p.fills)}
                for c, p in self._by_coin.items()}


def _fill_ok(fill: Fill) -> bool:
    return (math.isfinite(fill.price) and fill.price > 0 and math.isfinite(fill.size)
            and fill.size > 0 and math.isfinite(fill.fee))
