"""The emulator's `/info` answers in the venue's shapes, as the TypeScript SDK
`@nktkas/hyperliquid` types them (tested by its maintainers against the live venue) and as
ccxt's Hyperliquid client reads them."""

from __future__ import annotations

from typing import Any

from hyperliquid_ofi_trader.sim.settings import SimSettings
from tests.unit.sim_support import MS, T0_MS, Trader, btc_book, limit, make_venue, trade

DAY_MS = 86_400_000


def _info(trader: Trader, body: dict[str, Any]) -> Any:
    status, answer = trader.venue.handle_info(body, trader.now_ms * MS)
    assert status == 200, answer
    return answer


def test_meta_has_margin_tables_and_collateral() -> None:
    alice = Trader(make_venue())
    meta = _info(alice, {"type": "meta"})
    assert meta["collateralToken"] == 0
    tables = dict(meta["marginTables"])
    for asset in meta["universe"]:
        table = tables[asset["marginTableId"]]
        assert table["marginTiers"][0] == {"lowerBound": "0.0",
                                           "maxLeverage": asset["maxLeverage"]}
    meta2, ctxs = _info(alice, {"type": "metaAndAssetCtxs"})
    assert meta2 == meta
    assert len(ctxs) == len(meta["universe"])


def test_fills_carry_twap_id_and_fee_token_after_cloid() -> None:
    alice = Trader(make_venue())
    btc_book(alice.venue)
    alice.order(limit(0, True, "100001", "0.01", "Ioc", cloid="0x" + "1" * 32))
    [fill] = alice.info("userFills")
    assert fill["twapId"] is None
    assert list(fill)[-3:] == ["cloid", "feeToken", "twapId"]


def test_open_orders_send_reduce_only_only_when_true() -> None:
    alice = Trader(make_venue())
    btc_book(alice.venue)
    alice.order(limit(0, True, "100001", "0.02", "Ioc"))  # long 0.02: room to reduce
    alice.order(limit(0, True, "99000", "0.01"))
    alice.order(limit(0, False, "101000", "0.01", reduce_only=True))
    plain, reducing = sorted(alice.info("openOrders"), key=lambda o: o["side"] == "A")
    assert "reduceOnly" not in plain
    assert reducing["reduceOnly"] is True
    frontend = alice.info("frontendOpenOrders")
    assert sorted(o["reduceOnly"] for o in frontend) == [False, True]  # always there
    pushed = [u["order"] for channel, _, updates in alice.venue.take_pushes()
              if channel == "orderUpdates" for u in updates if u["status"] == "open"]
    assert [o.get("reduceOnly") for o in pushed] == [None, True]  # as openOrders


def test_isolated_positions_have_raw_usd_cross_do_not() -> None:
    alice = Trader(make_venue())
    btc_book(alice.venue)
    assert alice.send({"type": "updateLeverage", "asset": 0, "isCross": False,
                       "leverage": 10})[1]["status"] == "ok"
    alice.order(limit(0, True, "100001", "0.01", "Ioc"))
    [pos] = alice.info("clearinghouseState")["assetPositions"]
    lev = pos["position"]["leverage"]
    assert lev["type"] == "isolated"
    assert lev["value"] == 10
    # margin 100.0001 put up for a 1000.01 long: the USD side is margin - cost
    assert float(lev["rawUsd"]) == -900.009
    assert alice.send({"type": "updateLeverage", "asset": 0, "isCross": True,
                       "leverage": 10})[1]["status"] == "ok"
    [pos] = alice.info("clearinghouseState")["assetPositions"]
    assert pos["position"]["leverage"] == {"type": "cross", "value": 10}


def test_unknown_coin_book_is_null_not_an_error() -> None:
    alice = Trader(make_venue())
    assert _info(alice, {"type": "l2Book", "coin": "DOGE"}) is None
    assert alice.venue.rejected == {}


def test_spot_side_and_perp_dexs_as_ccxt_loads_them() -> None:
    alice = Trader(make_venue())
    spot, ctxs = _info(alice, {"type": "spotMetaAndAssetCtxs"})
    assert spot["universe"] == []
    assert ctxs == []
    assert [t["name"] for t in spot["tokens"]] == ["USDC"]
    assert _info(alice, {"type": "spotMeta"}) == spot
    assert _info(alice, {"type": "perpDexs"}) == [None]
    assert _info(alice, {"type": "spotClearinghouseState",
                         "user": alice.address}) == {"balances": []}


def test_user_fees_are_the_emulator_rates_in_the_venue_shape() -> None:
    venue = make_venue(SimSettings(taker_fee=0.0004, maker_fee=-0.00001))
    alice, bob = Trader(venue, 1), Trader(venue, 2)
    btc_book(venue)
    bob.order(limit(0, False, "100001", "0.01", "Alo"))  # bob queues behind the 0.5 ask
    alice.order(limit(0, True, "100001", "0.51", "Ioc"))  # alice takes the level and bob
    fees = alice.info("userFees")
    assert (fees["userCrossRate"], fees["userAddRate"]) == ("0.0004", "-0.00001")
    assert fees["feeSchedule"]["cross"] == "0.0004"
    assert fees["feeSchedule"]["tiers"]["vip"][0]["ntlCutoff"] == "5000000.0"
    today = fees["dailyUserVlm"][-1]
    assert len(fees["dailyUserVlm"]) == 15
    assert (today["userCross"], today["userAdd"]) == ("51000.51", "0")
    assert today["exchange"] == "51000.51"
    assert bob.info("userFees")["dailyUserVlm"][-1]["userAdd"] == "1000.01"
    for key in ("userSpotCrossRate", "userSpotAddRate", "activeReferralDiscount", "trial",
                "feeTrialEscrow", "nextTrialAvailableTimestamp", "stakingLink",
                "activeStakingDiscount"):
        assert key in fees


def test_historical_orders_newest_first_with_final_status() -> None:
    alice = Trader(make_venue())
    btc_book(alice.venue)
    [rest] = alice.order(limit(0, True, "99000", "0.01"))
    alice.order(limit(0, True, "100001", "0.01", "Ioc"))
    oid = rest["resting"]["oid"]
    alice.send({"type": "cancel", "cancels": [{"a": 0, "o": oid}]})
    history = alice.info("historicalOrders")
    assert [h["status"] for h in history] == ["filled", "canceled"]
    assert history[1]["order"]["oid"] == oid
    assert history[1]["order"]["orderType"] == "Limit"
    assert Trader(alice.venue, 3).info("historicalOrders") == []


def test_candle_snapshot_buckets_prints() -> None:
    venue = make_venue()
    alice = Trader(venue)
    minute = T0_MS - T0_MS % 60_000
    for i, (offset_ms, px, sz) in enumerate(((1_000, 100.0, 1.0), (20_000, 105.0, 2.0),
                                             (59_000, 99.0, 0.5), (61_000, 101.0, 1.0))):
        trade(venue, "BTC", px, sz, True, t_ms=minute + offset_ms, tid=i + 1)
    req: dict[str, Any] = {"coin": "BTC", "interval": "1m", "startTime": minute,
                           "endTime": minute + 120_000}
    body = {"type": "candleSnapshot", "req": req}
    first, second = _info(alice, body)
    assert first == {"t": minute, "T": minute + 59_999, "s": "BTC", "i": "1m", "o": "100",
                     "c": "99", "h": "105", "l": "99", "v": "3.5", "n": 3}
    assert (second["t"], second["o"], second["n"]) == (minute + 60_000, "101", 1)
    req["interval"] = "1d"
    [day] = _info(alice, body)
    assert day["t"] == T0_MS - T0_MS % DAY_MS
    assert day["n"] == 4
    req["interval"] = "1M"
    assert _info(alice, body)[0]["n"] == 4
    req["coin"] = "ETH"
    assert _info(alice, body) == []
