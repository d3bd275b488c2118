"""Hyperliquid WebSocket wire structs: the JSON shapes, and nothing past the codec.

These are decode targets for `msgspec.json.Decoder`, not domain types. Rules:
- Unknown fields are ignored (the venue adds fields over time; that must not break us).
- Prices, sizes and other decimal strings are typed `float`: the codec's decoders run with
  `strict=False`, so msgspec parses `"105055.0"` in C while decoding, once, with no
  intermediate `str` object. It accepts "nan"/"inf" texts, so the codec still validates
  every value with plain comparisons.
- `gc=False`: these objects are transient and never form cycles.
- Field names are snake_case here and camelCase on the wire (`rename="camel"`).
- Integers are `Int64`: JSON integers are unbounded and msgspec keeps them exact, but
  SQLite, numpy and nanosecond arithmetic hold 64 bits; a `tid` of 2**63 would only fail
  later, inside a journal transaction. Refused here, as a `schema` rejection of its item.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class WireEnvelope(msgspec.Struct, gc=False):
    """Every frame: `{"channel": ..., "data": ...}`. `data` stays raw until dispatch."""

    channel: str
    data: msgspec.Raw = msgspec.Raw()


class WireLevel(msgspec.Struct, gc=False):
    """One book level `{"px": "105055.0", "sz": "3.03622", "n": 5}`."""

    px: float
    sz: float
    n: Int64


class WireBook(msgspec.Struct, gc=False):
    """`l2Book` data: levels are [bids best-first, asks best-first]."""

    coin: str
    time: Int64
    levels: tuple[list[WireLevel], list[WireLevel]]


class WireBbo(msgspec.Struct, gc=False):
    """`bbo` data: `[bid or null, ask or null]`."""

    coin: str
    time: Int64
    bbo: tuple[WireLevel | None, WireLevel | None]


class WireTrade(msgspec.Struct, gc=False):
    """One entry of a `trades` push. `users` is ignored: we do not need counterparties."""

    coin: str
    side: str
    px: float
    sz: float
    time: Int64
    tid: Int64
    hash: str = ""


class WireAssetCtx(msgspec.Struct, gc=False, rename="camel"):
    """`ctx` of `activeAssetCtx`. Fields perps always send are optional here only so that
    a spot context (no funding, no oracle) is told apart from a broken frame."""

    mark_px: float
    mid_px: float | None = None
    oracle_px: float | None = None
    funding: float | None = None
    open_interest: float | None = None
    day_ntl_vlm: float | None = None
    prev_day_px: float | None = None
    premium: float | None = None
    impact_pxs: tuple[float, float] | None = None


class WireActiveAssetCtx(msgspec.Struct, gc=False):
    coin: str
    ctx: WireAssetCtx


class WireOrder(msgspec.Struct, gc=False, rename="camel"):
    coin: str
    side: str
    limit_px: float
    sz: float
    oid: Int64
    timestamp: Int64
    orig_sz: float
    cloid: str | None = None


class WireOrderUpdate(msgspec.Struct, gc=False, rename="camel"):
    """One entry of an `orderUpdates` push."""

    order: WireOrder
    status: str
    status_timestamp: Int64


class WireFill(msgspec.Struct, gc=False, rename="camel"):
    """One fill of `userFills` or of the `fills` variant of `user` events."""

    coin: str
    px: float
    sz: float
    side: str
    time: Int64
    start_position: float
    dir: str
    closed_pnl: float
    hash: str
    oid: Int64
    crossed: bool
    fee: float
    tid: Int64
    fee_token: str = ""
    cloid: str | None = None
    liquidation: Any = None


class WireUserFills(msgspec.Struct, gc=False, rename="camel"):
    """`userFills` data. `fills` stays raw so one bad fill cannot sink the others."""

    user: str
    fills: msgspec.Raw
    is_snapshot: bool = False


class WireUserEvent(msgspec.Struct, gc=False, rename="camel"):
    """`user` data: exactly one of these keys is present (an empty Raw means absent)."""

    fills: msgspec.Raw = msgspec.Raw()
    funding: msgspec.Raw = msgspec.Raw()
    liquidation: msgspec.Raw = msgspec.Raw()
    non_user_cancel: msgspec.Raw = msgspec.Raw()


class WireFunding(msgspec.Struct, gc=False, rename="camel"):
    time: Int64
    coin: str
    usdc: float
    szi: float
    funding_rate: float


class WireNonUserCancel(msgspec.Struct, gc=False):
    coin: str
    oid: Int64


class WirePostBody(msgspec.Struct, gc=False):
    type: str
    payload: Any = None


class WirePost(msgspec.Struct, gc=False):
    """`post` data: `{"id": N, "response": {"type": ..., "payload": ...}}`."""

    id: Int64
    response: WirePostBody


class WireSubscriptionAck(msgspec.Struct, gc=False):
    method: str
    subscription: dict[str, Any]
