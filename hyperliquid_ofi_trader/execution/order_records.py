"""Order records, public snapshots, fill reports and settings of the order manager.

Kept apart from `order_manager.py` so the manager module is only the event handling.
`_Order`-style mutable state lives in `OrderRecord` (slotted, owned by the manager, never
handed out); callers get the immutable `Order` snapshot.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, ValuesView
from typing import TYPE_CHECKING, Final

import msgspec

from hyperliquid_ofi_trader.core.order_state import OrderState
from hyperliquid_ofi_trader.core.stages import Tif
from hyperliquid_ofi_trader.execution.order_store import OrderRow

if TYPE_CHECKING:
    from hyperliquid_ofi_trader.config.models import AppConfig

_NS_PER_MS: Final = 1_000_000
_FILL_TOLERANCE: Final = 1e-9  # relative: sums of decimal sizes in binary floats


class OrderManagerSettings(msgspec.Struct, frozen=True, kw_only=True,
                           forbid_unknown_fields=True):
    """risk.yaml `execution` in the manager's units (ns of the injected clock), read on
    every event; built by `from_config`, with no defaults of its own (they are the
    packaged YAML's, whose keys document them).

    - `ack_timeout_ns`: no answer to a place after this → query the order by cloid.
    - `query_timeout_ns`: still unresolved this long after the query → cancel by cloid.
    - `cancel_timeout_ns`: a cancel unconfirmed this long → query (and re-send the cancel);
      repeated with exponential backoff up to `max_backoff_exp` doublings.
    - `adopt_unknown_orders`: venue open orders we have no record of (seen when reconciling)
      are adopted and tracked (True) or cancelled (False, the safe choice).
    - `retry_base_ns`: a cancel the venue refused before acting (rate limit) or a status
      query that got no answer is tried again after this, doubling per attempt up to
      `max_backoff_exp` doublings; after `max_query_failures` failed queries in a row the
      order is cancelled by cloid instead (a cancel answers the question too).
    - `cloid_prefix`: the high 64 bits of every cloid (two processes trading one account
      must differ); `cloid_block` cloids are reserved in the store at a time.
    - `max_terminal_orders`, `max_fill_keys`: memory bounds of finished orders and of the
      fill ids kept to drop re-delivered fills.
    - `sz_decimals` per coin (symbols.yaml): every place and modify is snapped onto the
      venue's lot and tick grid once, here (execution/intent_rounding.py); coins not
      listed pass unchanged.
    """

    ack_timeout_ns: int
    query_timeout_ns: int
    cancel_timeout_ns: int
    max_backoff_exp: int
    retry_base_ns: int
    max_query_failures: int
    adopt_unknown_orders: bool
    cloid_prefix: int
    cloid_block: int
    max_terminal_orders: int
    max_fill_keys: int
    sz_decimals: dict[str, int]

    @classmethod
    def from_config(cls, cfg: AppConfig) -> OrderManagerSettings:
        """risk.yaml `execution` (ms -> ns) and the traded coins' szDecimals."""
        e = cfg.risk.execution
        return cls(ack_timeout_ns=e.ack_timeout_ms * _NS_PER_MS,
                   query_timeout_ns=e.query_timeout_ms * _NS_PER_MS,
                   cancel_timeout_ns=e.cancel_timeout_ms * _NS_PER_MS,
                   max_backoff_exp=e.max_backoff_exp,
                   retry_base_ns=e.retry_base_ms * _NS_PER_MS,
                   max_query_failures=e.max_query_failures,
                   adopt_unknown_orders=e.adopt_unknown_orders,
                   cloid_prefix=e.cloid_prefix_bits, cloid_block=e.cloid_block,
                   max_terminal_orders=e.max_terminal_orders, max_fill_keys=e.max_fill_keys,
                   sz_decimals={coin: spec.sz_decimals
                                for coin, spec in cfg.symbols.coins.items()})

    def __post_init__(self) -> None:
        for name in ("ack_timeout_ns", "query_timeout_ns", "cancel_timeout_ns", "cloid_block",
                     "max_terminal_orders", "max_fill_keys", "retry_base_ns",
                     "max_query_failures"):
            if getattr(self, name) <= 0:
                raise ValueError(f"order manager {name} must be positive")
        if not 0 <= self.max_backoff_exp <= 20:
            raise ValueError("order manager max_backoff_exp must be in [0, 20]")
        if not 0 <= self.cloid_prefix < 2**64:
            raise ValueError("order manager cloid_prefix must fit in 64 bits")


class Order(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    """Immutable view of one order. `size` is what remains open (as the venue reports it),
    `orig_size` what was asked; `avg_px` is 0.0 before the first fill."""

    cloid: str
    oid: int | None
    decision_id: int
    coin: str
    is_buy: bool
    price: float
    size: float
    orig_size: float
    filled: float
    avg_px: float
    fee: float
    tif: Tif
    reduce_only: bool
    tag: str
    state: OrderState
    created_ns: int
    updated_ns: int
    last_error: str
    replaces: str | None
    replaced_by: str | None


class OrderRecord:
    """The manager's mutable state for one order."""

    __slots__ = ("before_cancel", "cancel_wanted", "cloid", "coin", "created_ns",
                 "deadline_ns", "decision_id",
                 "fee", "filled", "inferred", "is_buy", "last_error", "notional", "oid",
                 "orig_size", "price", "queried", "query_failures", "reduce_only",
                 "replaced_by", "replaces", "retries", "state", "tag", "tif", "updated_ns",
                 "venue_filled")

    def __init__(self, *, cloid: str, decision_id: int, coin: str, is_buy: bool,
                 price: float, size: float, tif: Tif, reduce_only: bool, tag: str,
                 state: OrderState, now_ns: int) -> None:
        self.cloid = cloid
        self.oid: int | None = None
        self.decision_id = decision_id
        self.coin = coin
        self.is_buy = is_buy
        self.price = price
        self.orig_size = size
        self.tif = tif
        self.reduce_only = reduce_only
        self.tag = tag
        self.state = state
        self.filled = 0.0
        self.notional = 0.0
        self.fee = 0.0
        self.created_ns = now_ns
        self.updated_ns = now_ns
        self.deadline_ns: int | None = None  # when the timer must act on this order next
        self.queried = False  # a status query was sent in the current UNKNOWN episode
        self.query_failures = 0  # status queries in a row that got no answer (spacing)
        self.retries = 0  # backoff exponent for unconfirmed cancels
        self.cancel_wanted = False  # we asked for a cancel: re-send if it turns out live
        # The state a cancel (or modify) replaced, restored if the venue never acted on it.
        self.before_cancel: OrderState | None = None
        self.inferred = False  # terminal state concluded without the venue confirming it
        self.last_error = ""
        self.replaces: str | None = None
        self.replaced_by: str | None = None
        # The largest matched size the venue's status news has announced (an ack's
        # "filled" total, an update's orig - remaining). Fill details that arrive after
        # the order ended are ordinary as long as they stay within it. In memory only:
        # after a restart it starts at 0 again.
        self.venue_filled = 0.0

    @property
    def remaining(self) -> float:
        return max(self.orig_size - self.filled, 0.0)

    @property
    def avg_px(self) -> float:
        return self.notional / self.filled if self.filled > 0.0 else 0.0

    def complete(self) -> bool:
        return self.filled >= self.orig_size * (1.0 - _FILL_TOLERANCE)

    def snapshot(self) -> Order:
        return Order(cloid=self.cloid, oid=self.oid, decision_id=self.decision_id,
                     coin=self.coin, is_buy=self.is_buy, price=self.price,
                     size=self.remaining, orig_size=self.orig_size, filled=self.filled,
                     avg_px=self.avg_px, fee=self.fee, tif=self.tif,
                     reduce_only=self.reduce_only, tag=self.tag, state=self.state,
                     created_ns=self.created_ns, updated_ns=self.updated_ns,
                     last_error=self.last_error, replaces=self.replaces,
                     replaced_by=self.replaced_by)

    def row(self) -> OrderRow:
        return OrderRow(cloid=self.cloid, oid=self.oid, decision_id=self.decision_id,
                        coin=self.coin, is_buy=self.is_buy, px=self.price, sz=self.orig_size,
                        tif=self.tif.value, reduce_only=self.reduce_only, tag=self.tag,
                        state=self.state.value, filled=self.filled, avg_px=self.avg_px,
                        fee=self.fee, created_ns=self.created_ns, updated_ns=self.updated_ns,
                        last_error=self.last_error, replaces=self.replaces,
                        replaced_by=self.replaced_by)

    @classmethod
    def from_row(cls, r: OrderRow) -> OrderRecord:
        rec = cls(cloid=r.cloid, decision_id=r.decision_id, coin=r.coin, is_buy=r.is_buy,
                  price=r.px, size=r.sz, tif=_tif(r.tif), reduce_only=r.reduce_only,
                  tag=r.tag, state=OrderState(r.state), now_ns=r.created_ns)
        rec.oid = r.oid
        rec.filled = r.filled
        rec.notional = r.avg_px * r.filled
        rec.fee = r.fee
        rec.updated_ns = r.updated_ns
        rec.last_error = r.last_error
        rec.replaces = r.replaces
        rec.replaced_by = r.replaced_by
        return rec


class OpenOrderRef:
    """A read-only view of one live order for the router and tactics (`OpenOrderView`).

    Made once per order and kept while the order is live, so reading our open orders on
    every decision copies nothing. `size` (what remains open) is read from the record at
    each access, so the view is never stale; the other fields never change for an order
    (a modify makes a new order with a new cloid)."""

    __slots__ = ("_rec", "cloid", "coin", "is_buy", "price")

    def __init__(self, rec: OrderRecord) -> None:
        self._rec = rec
        self.cloid = rec.cloid
        self.coin = rec.coin
        self.is_buy = rec.is_buy
        self.price = rec.price

    @property
    def size(self) -> float:
        return self._rec.remaining

    def __repr__(self) -> str:
        side = "buy" if self.is_buy else "sell"
        return f"OpenOrderRef({self.cloid} {self.coin} {side} {self.size:g}@{self.price:g})"


class LiveOrders:
    """The manager's live orders: by cloid in registration order, plus a per-coin index.

    The router reads one coin's open orders once or twice per decision; scanning every
    live order and copying each into a snapshot cost microseconds on the order path. Here
    membership changes (an order registered, an order finished) update the coin's index
    and drop its cached tuple of views; reads between changes return that tuple as is.
    The views read `size` through to the record, so only membership is cached, and
    membership only changes through `add` and `pop`.
    """

    __slots__ = ("_all", "_by_coin", "_views")

    def __init__(self) -> None:
        self._all: dict[str, OrderRecord] = {}
        self._by_coin: dict[str, dict[str, OrderRecord]] = {}
        self._views: dict[str, tuple[OpenOrderRef, ...]] = {}

    def add(self, rec: OrderRecord) -> None:
        self._all[rec.cloid] = rec
        self._by_coin.setdefault(rec.coin, {})[rec.cloid] = rec
        self._views.pop(rec.coin, None)

    def pop(self, cloid: str) -> OrderRecord | None:
        rec = self._all.pop(cloid, None)
        if rec is not None:
            del self._by_coin[rec.coin][cloid]
            self._views.pop(rec.coin, None)
        return rec

    def get(self, cloid: str) -> OrderRecord | None:
        return self._all.get(cloid)

    def values(self) -> ValuesView[OrderRecord]:
        return self._all.values()

    def of_coin(self, coin: str) -> ValuesView[OrderRecord]:
        """This coin's live orders, in registration order (the order `values()` has)."""
        got = self._by_coin.get(coin)
        return got.values() if got is not None else _NO_RECORDS

    def views(self, coin: str) -> tuple[OpenOrderRef, ...]:
        got = self._views.get(coin)
        if got is None:
            got = tuple(OpenOrderRef(r) for r in self.of_coin(coin))
            self._views[coin] = got
        return got

    def __len__(self) -> int:
        return len(self._all)

    def __iter__(self) -> Iterator[str]:
        return iter(self._all)


_NONE_LIVE: Final[dict[str, OrderRecord]] = {}
_NO_RECORDS: Final = _NONE_LIVE.values()


def _tif(text: str) -> Tif:
    try:
        return Tif(text)
    except ValueError:
        return Tif.GTC  # adopted orders from an older schema; GTC is the venue default


def valid_order_numbers(price: float, size: float) -> bool:
    """Finite, positive price and size: anything else is refused before it reaches a port."""
    return (math.isfinite(price) and math.isfinite(size) and price > 0.0 and size > 0.0)
