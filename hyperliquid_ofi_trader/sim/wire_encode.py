"""Domain market events -> Hyperliquid WebSocket frames, as the venue writes them.

The inverse of the market half of `venues/hyperliquid/websocket/codec.py`, for the emulator's
server: a `BookSnapshot`, `Bbo`, `Trades` or `AssetCtx` becomes the exact JSON shape of the venue's
`l2Book`, `bbo`, `trades` or `activeAssetCtx` push (HYPERLIQUID.md section 2), serialised
compactly with orjson in the venue's key order.

Numbers follow the venue's style: prices, sizes and context figures are decimal STRINGS
written as the shortest text that reads back as the same float, with ".0" on integral
values ("95000.0", "0.00219", "0.0000125"), never an exponent ("1e-05" becomes "0.00001"),
never "-0.0". Times are integer milliseconds (`exchange_ns // 1_000_000`): an event whose
times are whole milliseconds (everything the codec or the synthetic market produces)
survives encode -> `HyperliquidCodec.decode` unchanged.

What the domain events do not carry is filled in plausibly: a trade's `users`
(buyer, seller) are pseudo-addresses derived from its tid; an empty hash becomes the
all-zero hash the venue itself sends for some prints; `dayBaseVlm` is the day notional
divided by the mark price.

Encoding a value that is not a finite number is OUR bug (the emulator built a bad event):
it raises `WireEncodeError`.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Final

import orjson

from hyperliquid_ofi_trader.core.events import (
    AssetCtx,
    Bbo,
    BookSnapshot,
    Level,
    MarketEvent,
    Trade,
    Trades,
)
from hyperliquid_ofi_trader.errors import OurBugError

_MS: Final = 1_000_000
_ZERO_HASH: Final = "0x" + "0" * 64
_ADDRESS_SPACE: Final = 1 << 160
_MIX: Final = 0x9E3779B97F4A7C15  # Fibonacci hashing constant: spreads tids over addresses

WireData = dict[str, Any] | list[dict[str, Any]]


class WireEncodeError(OurBugError, ValueError):
    """An event holds a value the venue could never send (NaN, infinity): our bug."""


def wire_number(x: float) -> str:
    """The venue's decimal text for a float: shortest round-trip digits, no exponent."""
    if not math.isfinite(x):
        raise WireEncodeError(f"cannot put {x!r} on the wire")
    if x == 0.0:
        return "0.0"  # also turns -0.0 into "0.0"
    text = repr(x)
    if "e" not in text:
        return text
    # Exponent form (|x| < 1e-4 or >= 1e16): the same digits, written out positionally.
    text = format(Decimal(text), "f")
    return text if "." in text else text + ".0"


def wire_level(level: Level) -> dict[str, Any]:
    px, sz, n = level
    return {"px": wire_number(px), "sz": wire_number(sz), "n": n}


def _ms(ns: int) -> int:
    return ns // _MS


def book_data(ev: BookSnapshot) -> dict[str, Any]:
    """`l2Book` data: `{coin, time, levels: [bids best-first, asks best-first]}`."""
    return {"coin": ev.coin, "time": _ms(ev.exchange_ns),
            "levels": [[wire_level(lv) for lv in ev.bids], [wire_level(lv) for lv in ev.asks]]}


def bbo_data(ev: Bbo) -> dict[str, Any]:
    """`bbo` data: `{coin, time, bbo: [bid or null, ask or null]}`."""
    return {"coin": ev.coin, "time": _ms(ev.exchange_ns),
            "bbo": [None if ev.bid is None else wire_level(ev.bid),
                    None if ev.ask is None else wire_level(ev.ask)]}


def pseudo_users(tid: int) -> list[str]:
    """A deterministic (buyer, seller) pair of lowercase addresses for a synthetic print."""
    buyer = (tid * _MIX) % _ADDRESS_SPACE
    seller = ((tid ^ 0x5A5A5A5A) * _MIX + 1) % _ADDRESS_SPACE
    return [f"0x{buyer:040x}", f"0x{seller:040x}"]


def trade_data(t: Trade) -> dict[str, Any]:
    """One print: `{coin, side, px, sz, hash, time, tid, users}`; side is the aggressor."""
    return {"coin": t.coin, "side": "B" if t.is_buy else "A", "px": wire_number(t.price),
            "sz": wire_number(t.size), "hash": t.hash or _ZERO_HASH,
            "time": _ms(t.exchange_ns), "tid": t.tid, "users": pseudo_users(t.tid)}


def trades_data(ev: Trades) -> list[dict[str, Any]]:
    return [trade_data(t) for t in ev.trades]


def _optional(x: float | None) -> str | None:
    return None if x is None else wire_number(x)


def asset_ctx_data(ev: AssetCtx) -> dict[str, Any]:
    """`activeAssetCtx` data for a perp, context keys in the venue's order.

    `impactPxs` is null unless both impact prices are known (the wire has no way to say
    only one of them).
    """
    impact = (None if ev.impact_bid is None or ev.impact_ask is None
              else [wire_number(ev.impact_bid), wire_number(ev.impact_ask)])
    base_volume = ev.day_notional_volume / ev.mark_px if ev.mark_px > 0.0 else 0.0
    ctx = {
        "funding": wire_number(ev.funding),
        "openInterest": wire_number(ev.open_interest),
        "prevDayPx": wire_number(ev.prev_day_px),
        "dayNtlVlm": wire_number(ev.day_notional_volume),
        "premium": _optional(ev.premium),
        "oraclePx": wire_number(ev.oracle_px),
        "markPx": wire_number(ev.mark_px),
        "midPx": _optional(ev.mid_px),
        "impactPxs": impact,
        "dayBaseVlm": wire_number(round(base_volume, 5)),
    }
    return {"coin": ev.coin, "ctx": ctx}


_CHANNELS: Final = {BookSnapshot: "l2Book", Bbo: "bbo", Trades: "trades",
                    AssetCtx: "activeAssetCtx"}


def channel_of(ev: MarketEvent) -> str:
    """The channel a market event is pushed on (its subscription `type`)."""
    return _CHANNELS[type(ev)]


def market_data(ev: MarketEvent) -> WireData:
    """The `data` payload of the event's push."""
    if isinstance(ev, Bbo):
        return bbo_data(ev)
    if isinstance(ev, BookSnapshot):
        return book_data(ev)
    if isinstance(ev, Trades):
        return trades_data(ev)
    return asset_ctx_data(ev)


def wire_push(ev: MarketEvent) -> tuple[str, str, WireData]:
    """(channel, coin, data): the routing triple a server needs (subscribers are keyed by
    channel and coin), in the same shape as the simulated venue's private pushes."""
    return channel_of(ev), ev.coin, market_data(ev)


def encode_frame(channel: str, data: Any) -> bytes:
    """`{"channel": ..., "data": ...}` as compact JSON bytes."""
    return orjson.dumps({"channel": channel, "data": data})


def encode_market_event(ev: MarketEvent) -> bytes:
    """One market event as the venue's frame bytes."""
    return encode_frame(channel_of(ev), market_data(ev))
