"""Sans-I/O half of the Hyperliquid gateway: commands → wire actions, answers → events.

Nothing here sends, sleeps or reads a clock: `local_ns` comes in as an argument. The async
gateway (`gateway_hyperliquid.py`) only signs, sends and pumps.

Building refuses, per order, what must never reach the venue:
- an unknown coin (the registry has no asset id for it);
- a price not already on the venue's tick, or a size not on its lot: the router and tactics
  round; a value that still needs rounding here is a bug upstream, and rounding it silently
  would change what was decided. The refusal is `ActionFailed(transient=False)`.

Interpreting an answer (HYPERLIQUID.md section 3):
- `{"status":"ok","response":{"type":"order","data":{"statuses":[...]}}}`: one status per
  order (resting / filled / error); `ok` can still carry per-order errors;
- `cancel` / `cancelByCloid`: statuses "success" or `{"error": text}`;
- `scheduleCancel`: `{"status":"ok","response":{"type":"default"}}`;
- `{"status":"err","response":"<text>"}`: the whole request was refused, nothing in it
  was acted on (`ActionFailed(not_acted=True)`); whether retrying may help comes from
  `venue_errors.classify`.
Orders whose status is missing or unreadable are reported as a transient `ActionFailed`
carrying their cloids: the order manager asks the venue about them by cloid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import msgspec

from hyperliquid_ofi_trader.core.commands import CancelOrder, ModifyOrder, PlaceOrder
from hyperliquid_ofi_trader.core.events import (
    ActionFailed,
    CancelAck,
    GatewayEvent,
    OrderAck,
    ScheduleCancelAck,
)
from hyperliquid_ofi_trader.venues.hyperliquid.asset_meta import AssetRegistry, UnknownAssetError
from hyperliquid_ofi_trader.venues.hyperliquid.common import errors as venue_errors
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import (
    InstrumentError,
    is_valid_price,
    is_valid_size,
)
from hyperliquid_ofi_trader.venues.hyperliquid.common.rate_limits import (
    RequestKind,
    exchange_weight,
)
from hyperliquid_ofi_trader.venues.hyperliquid.execution import action_wire as wire

_TEXT_MAX: Final = 300


class ActionJob(msgspec.Struct, frozen=True):
    """One exchange action ready to sign, with what is needed to read its answer.

    A msgspec Struct rather than a frozen dataclass: one is built per placed order on the
    hot path, and a frozen dataclass's `__init__` (one `object.__setattr__` per field)
    costs ~1 µs more.

    `order_cloids` (order, batchModify) and `cancels` (cancel, cancelByCloid) are aligned
    with the statuses the venue returns, one per entry.
    """

    kind: str
    action: dict[str, Any]
    order_cloids: tuple[str, ...] = ()
    cancels: tuple[CancelOrder, ...] = ()
    schedule_time_ms: int | None = None
    queued_ns: int = 0  # when the port took the command (0: sent at once, never waited)

    @property
    def entries(self) -> int:
        return max(len(self.order_cloids), len(self.cancels), 1)

    @property
    def request_kind(self) -> RequestKind:
        urgent = self.kind in ("cancel", "cancelByCloid", "scheduleCancel")
        return RequestKind.CANCEL if urgent else RequestKind.ORDER

    @property
    def weight(self) -> int:
        return exchange_weight(self.entries)

    def cloids(self) -> tuple[str, ...]:
        if self.order_cloids:
            return self.order_cloids
        return tuple(c.cloid for c in self.cancels if c.cloid is not None)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A command refused before signing (our bug upstream)."""

    kind: str
    cloids: tuple[str, ...]
    reason: str


class Built(msgspec.Struct):
    jobs: list[ActionJob] = msgspec.field(default_factory=list)
    refusals: list[Refusal] = msgspec.field(default_factory=list)


# ------------------------------------------------------------------ building


def _on_lot(size: float, sz_decimals: int) -> bool:
    try:
        return is_valid_size(size, sz_decimals)
    except InstrumentError:  # szDecimals out of range: the registry's bug, refuse the order
        return False


def order_to_wire(order: PlaceOrder, assets: AssetRegistry) -> dict[str, Any]:
    """The order's wire dict, or `ValueError` (UnknownAssetError, WireError) saying why not."""
    meta = assets.by_name(order.coin)
    if not is_valid_price(order.price, meta.sz_decimals):
        raise wire.WireError(f"{order.coin} price {order.price!r} is not on the venue's tick "
                             f"(5 significant figures, {6 - meta.sz_decimals} decimals)")
    if not _on_lot(order.size, meta.sz_decimals):
        raise wire.WireError(f"{order.coin} size {order.size!r} is not a multiple of the lot "
                             f"({meta.sz_decimals} decimals)")
    return wire.order_wire(meta.asset_id, order.is_buy, order.price, order.size,
                           order.reduce_only, order.tif, order.cloid)


def build_place(orders: Sequence[PlaceOrder], assets: AssetRegistry) -> Built:
    out = Built()
    wires: list[dict[str, Any]] = []
    cloids: list[str] = []
    for o in orders:
        try:
            wires.append(order_to_wire(o, assets))
        except (wire.WireError, UnknownAssetError) as exc:
            out.refusals.append(Refusal("order", (o.cloid,), f"not sent: {exc}"))
            continue
        cloids.append(o.cloid)
    if wires:
        out.jobs.append(ActionJob("order", wire.order_action(wires), order_cloids=tuple(cloids)))
    return out


def build_modify(modifies: Sequence[ModifyOrder], assets: AssetRegistry) -> Built:
    out = Built()
    entries: list[tuple[int | str, dict[str, Any]]] = []
    cloids: list[str] = []
    for m in modifies:
        new = m.replacement
        # The venue oid is the sure target; our cloid works too when the ack was lost.
        target = m.target_oid if m.target_oid is not None else m.target_cloid
        try:
            if target is None:
                raise wire.WireError("modify names neither a target oid nor a target cloid")
            order = order_to_wire(new, assets)
            wire.batch_modify_action([(target, order)])  # validates the target
        except (wire.WireError, UnknownAssetError) as exc:
            out.refusals.append(Refusal("batchModify", (new.cloid,), f"not sent: {exc}"))
            continue
        entries.append((target, order))
        cloids.append(new.cloid)
    if entries:
        out.jobs.append(ActionJob("batchModify", wire.batch_modify_action(entries),
                                  order_cloids=tuple(cloids)))
    return out


def _cancel_entry(c: CancelOrder, assets: AssetRegistry) -> tuple[str, tuple[int, Any]]:
    asset = assets.asset_id(c.coin)
    if c.cloid is not None:  # by cloid first: it works even when the place ack was lost
        if not wire.is_cloid(c.cloid):
            raise wire.WireError(f"malformed cloid {c.cloid!r}")
        return "cancelByCloid", (asset, c.cloid)
    if type(c.oid) is int and c.oid >= 0:
        return "cancel", (asset, c.oid)
    raise wire.WireError(f"cancel names neither a cloid nor a valid oid (oid {c.oid!r})")


def build_cancel(cancels: Sequence[CancelOrder], assets: AssetRegistry) -> Built:
    """Up to two actions: by cloid and by oid (the venue has one action type for each)."""
    out = Built()
    groups: dict[str, tuple[list[tuple[int, Any]], list[CancelOrder]]] = {
        "cancelByCloid": ([], []), "cancel": ([], [])}
    for c in cancels:
        try:
            kind, entry = _cancel_entry(c, assets)
        except (wire.WireError, UnknownAssetError) as exc:
            cloids = (c.cloid,) if c.cloid is not None else ()
            out.refusals.append(Refusal("cancel", cloids, f"not sent: {exc}"))
            continue
        entries, cmds = groups[kind]
        entries.append(entry)
        cmds.append(c)
    by_cloid, by_cloid_cmds = groups["cancelByCloid"]
    if by_cloid:
        out.jobs.append(ActionJob("cancelByCloid", wire.cancel_by_cloid_action(by_cloid),
                                  cancels=tuple(by_cloid_cmds)))
    by_oid, by_oid_cmds = groups["cancel"]
    if by_oid:
        out.jobs.append(ActionJob("cancel", wire.cancel_action(by_oid),
                                  cancels=tuple(by_oid_cmds)))
    return out


def build_schedule_cancel(time_ms: int | None) -> Built:
    out = Built()
    try:
        action = wire.schedule_cancel_action(time_ms)
    except wire.WireError as exc:
        out.refusals.append(Refusal("scheduleCancel", (), f"not sent: {exc}"))
        return out
    out.jobs.append(ActionJob("scheduleCancel", action, schedule_time_ms=time_ms))
    return out


# ------------------------------------------------------------------ interpreting


def _clip(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _TEXT_MAX else text[:_TEXT_MAX] + "..."


def is_transient(text: str) -> bool:
    """Whether retrying a whole-request failure with this venue text may succeed."""
    return venue_errors.classify(text).transient


def failure_events(job: ActionJob, error: str, transient: bool, local_ns: int, *,
                   not_acted: bool = False) -> list[GatewayEvent]:
    """The whole action failed (transport, timeout, `status: err`, unreadable answer).
    `not_acted`: the venue provably did not act on it (see `ActionFailed`)."""
    if job.kind == "scheduleCancel":  # the dead man's switch waits for exactly this answer
        return [ScheduleCancelAck(exchange_ns=0, local_ns=local_ns,
                                  time_ms=job.schedule_time_ms, ok=False, error=error)]
    return [ActionFailed(exchange_ns=0, local_ns=local_ns, kind=job.kind, cloids=job.cloids(),
                         error=error, transient=transient, not_acted=not_acted)]


def response_events(job: ActionJob, payload: Any, local_ns: int) -> list[GatewayEvent]:
    """Events for the venue's answer `payload` to `job` (never raises)."""
    status = payload.get("status") if isinstance(payload, dict) else None
    if status == "err":
        # The whole request was refused before anything in it was processed.
        text = _clip(payload.get("response"))
        return failure_events(job, text, is_transient(text), local_ns, not_acted=True)
    if status != "ok":
        return failure_events(job, f"unreadable answer: {_clip(payload)}", True, local_ns)
    response = payload.get("response")
    if job.kind == "scheduleCancel":
        return [ScheduleCancelAck(exchange_ns=0, local_ns=local_ns,
                                  time_ms=job.schedule_time_ms, ok=True, error="")]
    statuses = _statuses(response)
    if statuses is None:
        return failure_events(job, f"answer without statuses: {_clip(payload)}", True,
                              local_ns)
    if job.cancels:
        return _cancel_events(job, statuses, local_ns)
    return _order_events(job, statuses, local_ns)


def _statuses(response: Any) -> list[Any] | None:
    data = response.get("data") if isinstance(response, dict) else None
    statuses = data.get("statuses") if isinstance(data, dict) else None
    return statuses if isinstance(statuses, list) else None


def _missing(job: ActionJob, cloids: Sequence[str], n_statuses: int,
             local_ns: int) -> list[GatewayEvent]:
    if not cloids:
        return []
    return [ActionFailed(exchange_ns=0, local_ns=local_ns, kind=job.kind, cloids=tuple(cloids),
                         error=f"the venue answered {n_statuses} statuses for "
                               f"{job.entries} entries", transient=True)]


def _order_events(job: ActionJob, statuses: list[Any], local_ns: int) -> list[GatewayEvent]:
    events: list[GatewayEvent] = []
    unreadable: list[str] = []
    for cloid, st in zip(job.order_cloids, statuses, strict=False):
        ack = order_ack(cloid, st, local_ns)
        if ack is None:
            unreadable.append(cloid)
        else:
            events.append(ack)
    unreadable.extend(job.order_cloids[len(statuses):])
    events.extend(_missing(job, unreadable, len(statuses), local_ns))
    return events


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def order_ack(cloid: str, st: Any, local_ns: int) -> OrderAck | None:
    """One order status as an `OrderAck`, or None when it cannot be read."""
    if isinstance(st, dict):
        if "resting" in st:
            oid = st["resting"].get("oid") if isinstance(st["resting"], dict) else None
            if type(oid) is int:
                return OrderAck(exchange_ns=0, local_ns=local_ns, cloid=cloid, oid=oid,
                                outcome="resting", filled_size=0.0, avg_px=0.0, error="")
            return None
        if "filled" in st:
            return _filled_ack(cloid, st["filled"], local_ns)
        if "error" in st:
            return OrderAck(exchange_ns=0, local_ns=local_ns, cloid=cloid, oid=None,
                            outcome="error", filled_size=0.0, avg_px=0.0,
                            error=_clip(st["error"]))
    return None


def _filled_ack(cloid: str, filled: Any, local_ns: int) -> OrderAck | None:
    if not isinstance(filled, dict):
        return None
    oid, size, px = filled.get("oid"), _float(filled.get("totalSz")), _float(filled.get("avgPx"))
    if type(oid) is not int or size is None or px is None:
        return None
    return OrderAck(exchange_ns=0, local_ns=local_ns, cloid=cloid, oid=oid, outcome="filled",
                    filled_size=size, avg_px=px, error="")


def _cancel_events(job: ActionJob, statuses: list[Any], local_ns: int) -> list[GatewayEvent]:
    events: list[GatewayEvent] = []
    for i, c in enumerate(job.cancels):
        st = statuses[i] if i < len(statuses) else None
        ok = st == "success"
        if ok:
            error = ""
        elif isinstance(st, dict) and "error" in st:
            error = _clip(st["error"])
        elif st is None:
            error = f"no status in the venue's answer ({len(statuses)} for {job.entries})"
        else:
            error = f"unreadable cancel status: {_clip(st)}"
        events.append(CancelAck(exchange_ns=0, local_ns=local_ns, coin=c.coin, cloid=c.cloid,
                                oid=c.oid, ok=ok, error=error))
    return events
