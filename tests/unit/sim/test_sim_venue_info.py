"""SimVenue /info answers, and the official SDK driven against it through a fake transport
(requests.Session.post patched to call the venue in-process: no sockets)."""

from __future__ import annotations

import json
from typing import Any

import eth_account
import pytest
import requests
from hyperliquid import exchange as hl_exchange
from hyperliquid.exchange import Exchange
from hyperliquid.info import Info
from hyperliquid.utils.error import ClientError
from hyperliquid.utils.signing import Cloid

from hyperliquid_ofi_trader.core.events import AssetCtx
from hyperliquid_ofi_trader.sim.venue import SimVenue
from tests.unit.sim_support import MS, T0_MS, Trader, btc_book, cloid, limit, make_venue

BASE = "http://sim.invalid"


class _FakeResponse:
    def __init__(self, status: int, payload: Any) -> None:
        self.status_code = status
        self.text = payload if isinstance(payload, str) else json.dumps(payload)
        self.headers: dict[str, str] = {}

    def json(self) -> Any:
        return json.loads(self.text)


@pytest.fixture
def venue(monkeypatch: pytest.MonkeyPatch) -> SimVenue:
    v = make_venue()
    btc_book(v)

    def post(session: requests.Session, url: str, json: Any = None,
             timeout: float | None = None) -> _FakeResponse:
        path = url.removeprefix(BASE)
        # round-trip through JSON text, as the server would
        body = _roundtrip(json)
        handler = v.handle_exchange if path == "/exchange" else v.handle_info
        return _FakeResponse(*handler(body, T0_MS * MS))

    monkeypatch.setattr(requests.Session, "post", post)
    # the SDK's nonces are wall-clock ms; the venue lives at T0: count from there instead
    nonces = iter(range(T0_MS, T0_MS + 1_000_000))
    monkeypatch.setattr(hl_exchange, "get_timestamp_ms", lambda: next(nonces))
    return v


def _roundtrip(payload: Any) -> Any:
    return json.loads(json.dumps(payload))


def test_sdk_info_reads_meta_books_and_mids(venue: SimVenue) -> None:
    info = Info(BASE, skip_ws=True)
    assert info.name_to_asset("ETH") == 1
    assert info.asset_to_sz_decimals[0] == 5
    snap = info.l2_snapshot("BTC")
    assert snap["levels"][0][0] == {"px": "100000", "sz": "1", "n": 3}
    assert float(info.all_mids()["BTC"]) == 100_000.5
    meta, ctxs = info.meta_and_asset_ctxs()
    assert [u["name"] for u in meta["universe"]] == ["BTC", "ETH"]
    assert ctxs[0]["markPx"] == "100000.5"
    assert ctxs[1]["midPx"] is None


def test_sdk_exchange_round_trip(venue: SimVenue) -> None:
    wallet = eth_account.Account.from_key("0x" + "07" * 32)
    venue.fund(wallet.address)
    ex = Exchange(wallet, BASE)
    resting = ex.order("BTC", True, 0.01, 99_000, {"limit": {"tif": "Gtc"}},
                       cloid=Cloid.from_int(5))
    oid = resting["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert ex.info.query_order_by_cloid(wallet.address, Cloid.from_int(5))["order"][
        "order"]["oid"] == oid
    assert ex.info.query_order_by_oid(wallet.address, oid)["order"]["status"] == "open"
    assert ex.info.open_orders(wallet.address)[0]["oid"] == oid
    assert ex.info.frontend_open_orders(wallet.address)[0]["cloid"] == cloid(5)
    modified = ex.modify_order(oid, "BTC", True, 0.02, 98_000, {"limit": {"tif": "Gtc"}})
    new_oid = modified["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert new_oid != oid
    assert ex.cancel("BTC", new_oid)["response"]["data"]["statuses"] == ["success"]
    filled = ex.market_open("BTC", True, 0.01)  # IOC at mid + 5%
    assert filled["response"]["data"]["statuses"][0]["filled"]["totalSz"] == "0.01"
    state = ex.info.user_state(wallet.address)
    [pos] = state["assetPositions"]
    assert pos["type"] == "oneWay"
    assert pos["position"]["szi"] == "0.01"
    assert pos["position"]["leverage"] == {"type": "cross", "value": 20}
    for key in ("accountValue", "totalMarginUsed", "totalNtlPos", "totalRawUsd"):
        float(state["marginSummary"][key])
        float(state["crossMarginSummary"][key])
    float(state["withdrawable"])
    closed = ex.market_close("BTC")
    assert closed["response"]["data"]["statuses"][0]["filled"]["totalSz"] == "0.01"
    assert ex.info.user_state(wallet.address)["assetPositions"] == []
    fills = ex.info.user_fills(wallet.address)
    assert [f["dir"] for f in fills] == ["Close Long", "Open Long"]
    assert ex.update_leverage(10, "BTC")["status"] == "ok"
    assert ex.schedule_cancel(None)["status"] == "ok"
    assert ex.info.user_rate_limit(wallet.address)["nRequestsUsed"] > 0


def test_sdk_sees_a_client_error_for_unknown_info(venue: SimVenue) -> None:
    info = Info(BASE, skip_ws=True)
    with pytest.raises(ClientError) as exc:
        info.post("/info", {"type": "noSuchThing"})
    assert exc.value.status_code == 422


def test_order_status_unknown_and_other_users() -> None:
    venue = make_venue()
    alice, bob = Trader(venue, 1), Trader(venue, 2)
    [st] = alice.order(limit(0, True, "90000", "0.01", cloid=cloid(9)))
    assert bob.info("orderStatus", oid=st["resting"]["oid"]) == {"status": "unknownOid"}
    assert bob.info("orderStatus", oid=cloid(9)) == {"status": "unknownOid"}
    assert alice.info("orderStatus", oid=12345) == {"status": "unknownOid"}
    assert alice.info("orderStatus", oid=cloid(9))["order"]["order"]["cloid"] == cloid(9)


def test_unknown_user_gets_empty_answers() -> None:
    venue = make_venue()
    stranger = "0x" + "ab" * 20
    for kind in ("openOrders", "frontendOpenOrders", "userFills"):
        assert venue.handle_info({"type": kind, "user": stranger}, T0_MS * MS) == (200, [])
    _, state = venue.handle_info({"type": "clearinghouseState", "user": stranger}, T0_MS * MS)
    assert state["assetPositions"] == []
    assert state["marginSummary"]["accountValue"] == "0"


def test_user_fills_by_time_window_and_order() -> None:
    venue = make_venue()
    btc_book(venue)
    alice = Trader(venue)
    for i in range(3):
        alice.now_ms = T0_MS + 1000 * i
        alice.order(limit(0, True, "100001", "0.01", "Ioc"))
    got = alice.info("userFillsByTime", startTime=T0_MS + 500, endTime=T0_MS + 2500)
    assert [f["time"] for f in got] == [T0_MS + 1000, T0_MS + 2000]
    newest_first = alice.info("userFills")
    assert [f["time"] for f in newest_first] == [T0_MS + 2000, T0_MS + 1000, T0_MS]
    status, _ = venue.handle_info({"type": "userFillsByTime", "user": alice.address},
                                  T0_MS * MS)
    assert status == 422


def test_asset_ctx_sets_the_mark_for_pnl() -> None:
    venue = make_venue()
    btc_book(venue)
    alice = Trader(venue)
    alice.order(limit(0, True, "100001", "0.1", "Ioc"))
    venue.on_market(AssetCtx(exchange_ns=0, local_ns=T0_MS * MS, coin="BTC", mark_px=101_001.0,
                             mid_px=None, oracle_px=101_000.0, funding=0.0001,
                             open_interest=10.0, day_notional_volume=1e9, prev_day_px=99_000.0,
                             premium=None, impact_bid=None, impact_ask=None))
    [pos] = alice.info("clearinghouseState")["assetPositions"]
    assert float(pos["position"]["unrealizedPnl"]) == pytest.approx(100.0)
    _, (_, ctxs) = venue.handle_info({"type": "metaAndAssetCtxs"}, T0_MS * MS)
    assert (ctxs[0]["markPx"], ctxs[0]["oraclePx"], ctxs[0]["funding"]) == (
        "101001", "101000", "0.0001")


def test_bad_info_bodies_are_counted_422() -> None:
    venue = make_venue()
    for body in ({"type": "l2Book", "coin": 7}, {"type": "openOrders"}, "x",
                 {"type": "orderStatus", "user": "0x" + "00" * 20, "oid": True},
                 {"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "7m",
                                                    "startTime": 0}}):
        status, text = venue.handle_info(body, T0_MS * MS)
        assert status == 422
        assert isinstance(text, str)
    assert venue.rejected["bad_info_body"] == 5
