"""Fuzz the codec: no input may make `decode` raise, and whatever it does emit obeys the
domain invariants (positive finite prices and sizes, sorted uncrossed books), with the
counters matching the events returned."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    Bbo,
    BookSnapshot,
    Event,
    Level,
    OrderUpdate,
    Rejection,
    Trades,
    UserFills,
)
from hyperliquid_ofi_trader.venues.hyperliquid.websocket.codec import HyperliquidCodec

FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CHANNELS = ["l2Book", "bbo", "trades", "activeAssetCtx", "activeSpotAssetCtx",
            "orderUpdates", "userFills", "user", "post", "pong", "subscriptionResponse",
            "error", "candle", ""]

numeric_text = st.sampled_from(["1", "0", "-0", "1.5", "-2", "nan", "NaN", "inf", "-inf",
                                "Infinity", "1e308", "1e400", "5e-324", "", " 1", "0x1"])
scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=False, allow_infinity=False) | numeric_text
           | st.text(max_size=8))
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["coin", "px", "sz", "n", "time", "side", "levels",
                                       "bbo", "fills", "order", "x"]), inner, max_size=4),
    max_leaves=20)

T_MS = 1_700_000_000_000


def lvl(px: str, sz: str = "1", n: int = 1) -> dict[str, Any]:
    return {"px": px, "sz": sz, "n": n}


def samples() -> list[dict[str, Any]]:
    """One valid frame per channel: the base that mutations start from."""
    fill = {"coin": "BTC", "px": "100", "sz": "1", "side": "B", "time": T_MS,
            "startPosition": "0", "dir": "Open Long", "closedPnl": "0", "hash": "0x",
            "oid": 1, "crossed": True, "fee": "0.1", "tid": 1, "feeToken": "USDC"}
    order = {"coin": "BTC", "side": "A", "limitPx": "101", "sz": "1", "oid": 2,
             "timestamp": T_MS, "origSz": "1"}
    return [
        {"channel": "l2Book", "data": {"coin": "BTC", "time": T_MS, "levels": [
            [lvl("100"), lvl("99")], [lvl("101"), lvl("102")]]}},
        {"channel": "bbo", "data": {"coin": "BTC", "time": T_MS,
                                    "bbo": [lvl("100"), lvl("101")]}},
        {"channel": "trades", "data": [{"coin": "BTC", "side": "B", "px": "100", "sz": "1",
                                        "time": T_MS, "tid": 1, "hash": "0x"}]},
        {"channel": "activeAssetCtx", "data": {"coin": "BTC", "ctx": {
            "markPx": "100", "midPx": "100", "oraclePx": "100", "funding": "0",
            "openInterest": "1", "dayNtlVlm": "1", "prevDayPx": "1", "premium": "0",
            "impactPxs": ["99", "101"]}}},
        {"channel": "orderUpdates", "data": [{"order": order, "status": "open",
                                              "statusTimestamp": T_MS}]},
        {"channel": "userFills", "data": {"user": "0x1", "fills": [fill]}},
        {"channel": "user", "data": {"fills": [fill]}},
        {"channel": "user", "data": {"funding": {"time": T_MS, "coin": "BTC", "usdc": "1",
                                                 "szi": "1", "fundingRate": "0"}}},
        {"channel": "user", "data": {"nonUserCancel": [{"coin": "BTC", "oid": 1}]}},
        {"channel": "post", "data": {"id": 1, "response": {"type": "info", "payload": {}}}},
        {"channel": "subscriptionResponse", "data": {"method": "subscribe",
                                                     "subscription": {"type": "bbo"}}},
    ]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node of a JSON tree (the root excluded)."""
    found: list[tuple[Any, ...]] = []
    items = (value.items() if isinstance(value, dict)
             else enumerate(value) if isinstance(value, list) else ())
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


def replaced(tree: Any, path: tuple[Any, ...], new: Any) -> Any:
    copy = json.loads(json.dumps(tree))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return copy


def positive(x: float) -> bool:
    return 0.0 < x < math.inf


def check_side(levels: tuple[Level, ...], descending: bool) -> None:
    for px, sz, n in levels:
        assert positive(px)
        assert positive(sz)
        assert n > 0
    prices = [lv[0] for lv in levels]
    assert prices == sorted(set(prices), reverse=descending)


def check_event(ev: AnyEvent) -> None:
    assert isinstance(ev, Event)
    if isinstance(ev, Rejection):
        assert ev.reason != "internal_error", ev.detail
        assert ev.reason
        assert ev.detail
        assert len(ev.detail) <= 300
    elif isinstance(ev, BookSnapshot):
        check_side(ev.bids, True)
        check_side(ev.asks, False)
        assert not (ev.bids and ev.asks) or ev.bids[0][0] < ev.asks[0][0]
    elif isinstance(ev, Bbo):
        for side in (ev.bid, ev.ask):
            assert side is None or (positive(side[0]) and positive(side[1]))
        assert ev.bid is None or ev.ask is None or ev.bid[0] < ev.ask[0]
    elif isinstance(ev, Trades):
        assert ev.trades
        assert all(positive(t.price) and positive(t.size) for t in ev.trades)
    elif isinstance(ev, UserFills):
        assert all(positive(f.price) and positive(f.size) and math.isfinite(f.fee)
                   for f in ev.fills)
    elif isinstance(ev, OrderUpdate):
        assert positive(ev.limit_px)
        assert 0.0 <= ev.size < math.inf


def run(codec: HyperliquidCodec, raw: Any) -> list[AnyEvent]:
    before = codec.rejected
    events = codec.decode(raw, 7)
    assert isinstance(events, list)
    for ev in events:
        check_event(ev)
    assert codec.rejected - before == sum(isinstance(e, Rejection) for e in events)
    return events


@FUZZ
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    run(HyperliquidCodec(), raw)


@FUZZ
@given(st.text(max_size=200))
def test_arbitrary_text_never_raises(raw: str) -> None:
    run(HyperliquidCodec(), raw)


@FUZZ
@given(json_values)
def test_arbitrary_json_never_raises(value: Any) -> None:
    run(HyperliquidCodec(), json.dumps(value))


@FUZZ
@given(st.sampled_from(CHANNELS), json_values)
@example("error", "")  # an empty venue error message still gets a detail
@example("error", " ")
def test_any_data_on_any_channel_never_raises(channel: str, data: Any) -> None:
    codec = HyperliquidCodec(frozenset({"BTC"}))
    run(codec, json.dumps({"channel": channel, "data": data}))
    assert codec.frames == 1


@FUZZ
@given(st.data())
def test_mutated_valid_frames(data: st.DataObject) -> None:
    """Replace one node of a valid frame with anything: the codec either still decodes it
    (the invariants hold) or rejects it; then the untouched frame decodes as before."""
    base = data.draw(st.sampled_from(samples()))
    path = data.draw(st.sampled_from(paths(base)))
    mutant = replaced(base, path, data.draw(json_values))
    codec = HyperliquidCodec(frozenset({"BTC"}))
    run(codec, json.dumps(mutant, allow_nan=True))
    clean = run(codec, json.dumps(base))
    assert clean
    assert not any(isinstance(e, Rejection) for e in clean)


@FUZZ
@given(st.data())
def test_truncated_valid_frames(data: st.DataObject) -> None:
    raw = json.dumps(data.draw(st.sampled_from(samples()))).encode()
    cut = data.draw(st.integers(0, len(raw) - 1))
    events = run(HyperliquidCodec(), raw[:cut])
    assert [type(e) for e in events] == [Rejection]


def test_every_sample_decodes_cleanly() -> None:
    codec = HyperliquidCodec(frozenset({"BTC"}))
    for sample in samples():
        events = run(codec, json.dumps(sample))
        assert events, sample
        assert not any(isinstance(e, Rejection) for e in events), events


decimal_text = st.builds(
    lambda whole, frac: f"{whole}.{frac}" if frac else str(whole),
    st.integers(1, 10**12), st.text(alphabet="0123456789", max_size=17))


@FUZZ
@given(decimal_text, decimal_text)
def test_decimal_strings_parse_like_float(px: str, sz: str) -> None:
    """msgspec parses the venue's decimal strings in C (lax mode); it must give exactly
    the correctly rounded double that `float()` gives, digit for digit."""
    raw = json.dumps({"channel": "bbo", "data": {"coin": "BTC", "time": T_MS,
                                                 "bbo": [lvl(px, sz), None]}})
    (ev,) = run(HyperliquidCodec(), raw)
    assert isinstance(ev, Bbo)
    assert ev.bid == (float(px), float(sz), 1)


# Mostly plausible values with the edge cases mixed in often enough that a single bad
# field in an otherwise valid book is common (that is the case a fast path gets wrong).
px_text = st.sampled_from(["98", "99", "100", "100.5", "101"]) | numeric_text | decimal_text
sz_text = st.sampled_from(["1", "0.5", "2.25"]) | numeric_text
wire_levels = st.lists(st.fixed_dictionaries({"px": px_text, "sz": sz_text,
                                              "n": st.integers(-1, 3)}), max_size=3)


def reference_side(levels: list[dict[str, Any]], descending: bool) -> list[Level] | None:
    """The obvious rules, spelled out with float(): the oracle for the codec's fast path."""
    out: list[Level] = []
    for lv in levels:
        if lv["px"].strip() != lv["px"] or lv["sz"].strip() != lv["sz"]:
            return None
        try:
            px, sz = float(lv["px"]), float(lv["sz"])
        except ValueError:
            return None
        if not (positive(px) and positive(sz) and lv["n"] > 0):
            return None
        if out and (px >= out[-1][0] if descending else px <= out[-1][0]):
            return None
        out.append((px, sz, lv["n"]))
    return out


@settings(FUZZ, max_examples=600)
@given(wire_levels, st.just([]) | wire_levels)
def test_book_validation_matches_reference(bids: list[dict[str, Any]],
                                           asks: list[dict[str, Any]]) -> None:
    raw = json.dumps({"channel": "l2Book",
                      "data": {"coin": "BTC", "time": T_MS, "levels": [bids, asks]}})
    (ev,) = run(HyperliquidCodec(), raw)
    ref_bids, ref_asks = reference_side(bids, True), reference_side(asks, False)
    ok = (ref_bids is not None and ref_asks is not None
          and not (ref_bids and ref_asks and ref_bids[0][0] >= ref_asks[0][0]))
    if not ok:
        assert isinstance(ev, Rejection), ev
        return
    assert isinstance(ev, BookSnapshot), ev
    assert list(ev.bids) == ref_bids
    assert list(ev.asks) == ref_asks
