"""SimVenue /exchange: each action's happy path and each refusal, with the venue's texts."""

from __future__ import annotations

import eth_account
import pytest
from hyperliquid.utils.signing import sign_l1_action

from hyperliquid_ofi_trader.sim.settings import SimSettings
from hyperliquid_ofi_trader.sim.venue import FundingError
from hyperliquid_ofi_trader.venues.hyperliquid.common import errors as ve
from tests.unit.sim_support import (
    MS,
    T0_MS,
    Trader,
    book,
    btc_book,
    cloid,
    limit,
    make_venue,
    trade,
)


@pytest.fixture
def venue_and_trader() -> tuple[Trader, Trader]:
    venue = make_venue()
    btc_book(venue)
    return Trader(venue, 1), Trader(venue, 2)


def test_sdk_signed_order_is_accepted_and_attributed_to_its_signer() -> None:
    venue = make_venue()
    btc_book(venue)
    wallet = eth_account.Account.from_key("0x" + "42" * 32)
    venue.fund(wallet.address)
    action = {"type": "order", "orders": [limit(0, True, "99000", "0.001")], "grouping": "na"}
    sig = sign_l1_action(wallet, action, None, T0_MS, None, False)
    status, resp = venue.handle_exchange(
        {"action": action, "nonce": T0_MS, "signature": sig, "vaultAddress": None,
         "expiresAfter": None}, T0_MS * MS)
    assert status == 200
    assert "resting" in resp["response"]["data"]["statuses"][0]
    assert venue.user_order_count(wallet.address.lower()) == 1


def test_ioc_walks_levels_fills_at_their_prices_and_cancels_the_rest(
        venue_and_trader: tuple[Trader, Trader]) -> None:
    alice, _ = venue_and_trader
    [st] = alice.order(limit(0, True, "100002", "2", "Ioc"))
    assert st["filled"]["totalSz"] == "1.5"
    assert float(st["filled"]["avgPx"]) == pytest.approx((0.5 * 100_001 + 1 * 100_002) / 1.5)
    assert alice.position("BTC") == 1.5
    fills = alice.info("userFills")
    assert {f["px"] for f in fills} == {"100001", "100002"}
    assert all(f["crossed"] and f["feeToken"] == "USDC" for f in fills)
    assert float(fills[0]["fee"]) == pytest.approx(100_002 * 1 * 0.00045, abs=1e-6)
    updates = [p for p in alice.venue.take_pushes() if p[0] == "orderUpdates"]
    assert updates[-1][2][-1]["status"] == "canceled"
    assert alice.info("openOrders") == []


def test_ioc_that_cannot_match_is_refused_with_the_venue_text(
        venue_and_trader: tuple[Trader, Trader]) -> None:
    alice, _ = venue_and_trader
    [st] = alice.order(limit(0, True, "99000", "0.01", "Ioc"))
    assert st == {"error": ve.with_asset(ve.IOC_NO_MATCH, 0)}
    assert ve.classify(st["error"]) is ve.IocCouldNotMatch


def test_gtc_rests_then_cancel_by_oid_and_by_cloid(
        venue_and_trader: tuple[Trader, Trader]) -> None:
    alice, _ = venue_and_trader
    [a, b] = alice.order(limit(0, True, "99000", "0.01"),
                         limit(0, True, "98000", "0.01", cloid=cloid(7)))
    oid_a, oid_b = a["resting"]["oid"], b["resting"]["oid"]
    assert b["resting"]["cloid"] == cloid(7)
    assert {o["oid"] for o in alice.info("openOrders")} == {oid_a, oid_b}
    _, resp = alice.send({"type": "cancel", "cancels": [{"a": 0, "o": oid_a}]})
    assert resp["response"] == {"type": "cancel", "data": {"statuses": ["success"]}}
    _, resp = alice.send({"type": "cancelByCloid",
                               "cancels": [{"asset": 0, "cloid": cloid(7)}]})
    assert resp["response"]["data"]["statuses"] == ["success"]
    assert alice.info("openOrders") == []
    _, resp = alice.send({"type": "cancel", "cancels": [{"a": 0, "o": oid_a}]})
    assert resp["response"]["data"]["statuses"] == [
        {"error": ve.with_asset(ve.ORDER_NOT_FOUND, 0)}]


def test_cannot_cancel_someone_elses_order(venue_and_trader: tuple[Trader, Trader]) -> None:
    alice, bob = venue_and_trader
    [a] = alice.order(limit(0, True, "99000", "0.01"))
    _, resp = bob.send({"type": "cancel", "cancels": [{"a": 0, "o": a["resting"]["oid"]}]})
    assert "error" in resp["response"]["data"]["statuses"][0]
    assert len(alice.info("openOrders")) == 1


def test_alo_rests_or_is_refused_with_the_bbo(venue_and_trader: tuple[Trader, Trader]) -> None:
    alice, _ = venue_and_trader
    [ok_st] = alice.order(limit(0, True, "100000", "0.01", "Alo"))
    assert "resting" in ok_st
    [bad] = alice.order(limit(0, True, "100001", "0.01", "Alo"))
    assert bad["error"] == ve.post_only_would_match("100000", "100001", 0)
    assert ve.classify(bad["error"]) is ve.PostOnlyWouldMatch


@pytest.mark.parametrize(("px", "sz", "expected"), [
    ("99999.5", "0.01", ve.with_asset(ve.TICK_SIZE, 0)),
    ("99999", "0.000001", ve.with_asset(ve.INVALID_SIZE, 0)),
    ("99999", "0", ve.with_asset(ve.ZERO_SIZE, 0)),
    ("0", "0.01", ve.with_asset(ve.INVALID_PRICE, 0)),
    ("99999", "0.0001", ve.minimum_value(10, 0)),
])
def test_tick_lot_and_minimum_value(venue_and_trader: tuple[Trader, Trader], px: str, sz: str,
                                    expected: str) -> None:
    alice, _ = venue_and_trader
    assert alice.order(limit(0, True, px, sz)) == [{"error": expected}]


def test_eth_tick_depends_on_magnitude() -> None:
    venue = make_venue()
    alice = Trader(venue)
    [ok_st, bad] = alice.order(limit(1, True, "2500.1", "0.01"), limit(1, True, "2500.15", "0.01"))
    assert "resting" in ok_st
    assert bad == {"error": ve.with_asset(ve.TICK_SIZE, 1)}


def test_margin_is_notional_over_leverage_against_account_value() -> None:
    venue = make_venue(SimSettings(initial_usdc=1_000.0))
    btc_book(venue)
    alice = Trader(venue)
    # 20x default leverage: 0.19 BTC at 100,000 needs 950 <= 1000
    assert "resting" in alice.order(limit(0, True, "99000", "0.19"))[0]
    [refused] = alice.order(limit(0, True, "99000", "0.02"))
    assert refused == {"error": ve.with_asset(ve.INSUFFICIENT_MARGIN, 0)}
    _, resp = alice.send({"type": "updateLeverage", "asset": 0, "isCross": True, "leverage": 40})
    assert resp == {"status": "ok", "response": {"type": "default"}}
    assert "resting" in alice.order(limit(0, True, "99000", "0.02"))[0]


def test_update_leverage_refuses_beyond_max() -> None:
    alice = Trader(make_venue())
    _, resp = alice.send({"type": "updateLeverage", "asset": 1, "isCross": True, "leverage": 26})
    assert resp == {"status": "err", "response": ve.INVALID_LEVERAGE}


def test_reduce_only(venue_and_trader: tuple[Trader, Trader]) -> None:
    alice, _ = venue_and_trader
    [refused] = alice.order(limit(0, False, "100000", "0.01", "Ioc", reduce_only=True))
    assert refused == {"error": ve.with_asset(ve.REDUCE_ONLY_INCREASE, 0)}
    alice.order(limit(0, True, "100001", "0.3", "Ioc"))
    # a reduce-only sell larger than the position is clamped to it: never flips
    [st] = alice.order(limit(0, False, "99999", "1", "Ioc", reduce_only=True))
    assert st["filled"]["totalSz"] == "0.3"
    assert alice.position("BTC") == 0.0


def test_resting_reduce_only_is_cancelled_when_the_position_closes(
        venue_and_trader: tuple[Trader, Trader]) -> None:
    alice, _ = venue_and_trader
    alice.order(limit(0, True, "100001", "0.2", "Ioc"))
    [ro] = alice.order(limit(0, False, "100500", "0.2", reduce_only=True))
    alice.order(limit(0, False, "100000", "0.2", "Ioc"))
    status = alice.info("orderStatus", oid=ro["resting"]["oid"])
    assert status["order"]["status"] == "reduceOnlyCanceled"


def test_batch_modify_replaces_with_a_new_oid(venue_and_trader: tuple[Trader, Trader]) -> None:
    alice, _ = venue_and_trader
    [a] = alice.order(limit(0, True, "99000", "0.01", cloid=cloid(1)))
    old = a["resting"]["oid"]
    _, resp = alice.send({"type": "batchModify", "modifies": [
        {"oid": old, "order": limit(0, True, "99100", "0.02", cloid=cloid(2))}]})
    assert resp["response"]["type"] == "order"
    new = resp["response"]["data"]["statuses"][0]["resting"]["oid"]
    assert new != old
    assert alice.info("orderStatus", oid=old)["order"]["status"] == "canceled"
    [open_order] = alice.info("openOrders")
    assert (open_order["oid"], open_order["limitPx"], open_order["sz"]) == (new, "99100", "0.02")
    # by cloid, and a missing target
    _, resp = alice.send({"type": "batchModify", "modifies": [
        {"oid": cloid(2), "order": limit(0, True, "99200", "0.02", cloid=cloid(3))},
        {"oid": old, "order": limit(0, True, "99200", "0.02")}]})
    first, second = resp["response"]["data"]["statuses"]
    assert "resting" in first
    assert second == {"error": ve.CANNOT_MODIFY}


def test_batch_modify_with_bad_replacement_keeps_the_original(
        venue_and_trader: tuple[Trader, Trader]) -> None:
    alice, _ = venue_and_trader
    [a] = alice.order(limit(0, True, "99000", "0.01"))
    _, resp = alice.send({"type": "batchModify", "modifies": [
        {"oid": a["resting"]["oid"], "order": limit(0, True, "99000.5", "0.01")}]})
    assert resp["response"]["data"]["statuses"] == [{"error": ve.with_asset(ve.TICK_SIZE, 0)}]
    assert [o["oid"] for o in alice.info("openOrders")] == [a["resting"]["oid"]]


def test_schedule_cancel_fires_at_its_time_and_cancels_everything(
        venue_and_trader: tuple[Trader, Trader]) -> None:
    alice, _ = venue_and_trader
    alice.order(limit(0, True, "99000", "0.01"), limit(1, False, "3000", "0.01"))
    _, early = alice.send({"type": "scheduleCancel", "time": T0_MS + 4_000})
    assert early["status"] == "err"
    _, resp = alice.send({"type": "scheduleCancel", "time": T0_MS + 5_000})
    assert resp == {"status": "ok", "response": {"type": "default"}}
    alice.venue.take_pushes()
    alice.venue.handle_info({"type": "allMids"}, (T0_MS + 4_999) * 1_000_000)
    assert len(alice.info("openOrders")) == 2
    alice.venue.handle_info({"type": "allMids"}, (T0_MS + 5_000) * 1_000_000)
    assert alice.info("openOrders") == []
    statuses = [u["status"] for ch, _, data in alice.venue.take_pushes()
                if ch == "orderUpdates" for u in data]
    assert statuses == ["scheduledCancel", "scheduledCancel"]


def test_schedule_cancel_clear_and_daily_trigger_cap() -> None:
    venue = make_venue(SimSettings(schedule_cancel_max_triggers=1))
    alice = Trader(venue)
    _, resp = alice.send({"type": "scheduleCancel", "time": T0_MS + 5_000})
    _, resp = alice.send({"type": "scheduleCancel"})  # cleared: never fires
    venue.advance((T0_MS + 6_000) * MS)
    assert venue.account(alice.address).triggers_by_day == {}  # type: ignore[union-attr]
    alice.send({"type": "scheduleCancel", "time": T0_MS + 5_000})
    venue.advance((T0_MS + 6_000) * MS)
    _, resp = alice.send({"type": "scheduleCancel", "time": T0_MS + 20_000}, now_ms=T0_MS + 7_000)
    assert resp == {"status": "err", "response": "Too many scheduled cancel triggers today."}


def test_schedule_cancel_refused_until_volume_when_configured() -> None:
    venue = make_venue(SimSettings(schedule_cancel_min_volume=1_000_000))
    _, resp = Trader(venue).send({"type": "scheduleCancel", "time": T0_MS + 10_000})
    assert resp["status"] == "err"
    assert ve.classify(resp["response"]) is ve.ScheduleCancelRefused


def test_noop_burns_the_nonce() -> None:
    alice = Trader(make_venue())
    _, resp = alice.send({"type": "noop"}, nonce=T0_MS + 5)
    assert resp == {"status": "ok", "response": {"type": "default"}}
    _, again = alice.send({"type": "order", "orders": [limit(0, True, "99000", "0.01")],
                           "grouping": "na"}, nonce=T0_MS + 5)
    assert again == {"status": "err", "response": ve.duplicate_nonce(T0_MS + 5)}


def test_an_unfunded_signer_is_refused_by_default() -> None:
    venue = make_venue()  # the default settings: accounts exist only once funded
    alice = Trader(venue, funded=False)
    _, resp = alice.send({"type": "order", "orders": [limit(0, True, "99000", "0.01")],
                          "grouping": "na"})
    assert resp == {"status": "err", "response": ve.user_does_not_exist(alice.address)}
    assert venue.account(alice.address) is None  # no account was opened by the attempt
    assert venue.rejected["unknown_user"] == 1
    venue.fund(alice.address, 2_500.0)
    assert alice.send({"type": "noop"})[1]["status"] == "ok"
    acc = venue.account(alice.address)
    assert acc is not None
    assert acc.balance == 2_500.0


def test_a_tampered_action_is_refused_not_traded_as_a_stranger() -> None:
    venue = make_venue()
    alice = Trader(venue)
    btc_book(venue)
    body = alice.body({"type": "order", "orders": [limit(0, True, "100001", "0.01", "Ioc")],
                       "grouping": "na"})
    body["action"]["orders"][0]["s"] = "0.02"  # changed after signing
    _, resp = venue.handle_exchange(body, T0_MS * MS)
    assert resp["status"] == "err"
    assert resp["response"].startswith("User or API Wallet 0x")
    assert resp["response"].endswith(" does not exist.")
    assert alice.address.lower() not in resp["response"]
    assert list(venue.accounts) == [alice.address.lower()]  # nobody new trades
    assert alice.position("BTC") == 0.0


def test_auto_create_is_an_explicit_opt_in() -> None:
    venue = make_venue(SimSettings(auto_create_accounts=True, initial_usdc=7_000.0))
    stranger = Trader(venue, 9, funded=False)
    assert stranger.send({"type": "noop"})[1]["status"] == "ok"
    acc = venue.account(stranger.address)
    assert acc is not None
    assert acc.balance == 7_000.0


def test_funding_adds_to_a_balance_and_refuses_bad_input() -> None:
    venue = make_venue(SimSettings(initial_usdc=1_000.0))
    address = "0x" + "Ab" * 20
    assert venue.fund(address) == 1_000.0
    assert venue.fund(address, 250.5) == 250.5
    acc = venue.account(address)
    assert acc is not None
    assert acc.balance == 1_250.5
    for bad_address, usdc in (("0x12", 1.0), ("0x" + "zz" * 20, 1.0), (address, 0.0),
                              (address, -5.0), (address, float("nan")),
                              (address, float("inf"))):
        with pytest.raises(FundingError):
            venue.fund(bad_address, usdc)
    assert acc.balance == 1_250.5


def test_an_approved_agent_trades_for_its_account() -> None:
    venue = make_venue()
    owner, agent = Trader(venue, 1), Trader(venue, 2, funded=False)
    venue.approve_agent(owner.address, agent.address)
    btc_book(venue)
    agent.order(limit(0, True, "100001", "0.01", "Ioc"))
    assert owner.position("BTC") == 0.01
    assert venue.account(agent.address) is None


def test_agents_in_settings_trade_for_their_accounts_from_the_start() -> None:
    owner_address = Trader(make_venue(), 1).address
    agent_address = Trader(make_venue(), 2).address
    venue = make_venue(SimSettings(agents=((agent_address, owner_address),)))
    owner, agent = Trader(venue, 1, funded=False), Trader(venue, 2, funded=False)
    btc_book(venue)
    agent.order(limit(0, True, "100001", "0.01", "Ioc"))
    assert owner.position("BTC") == 0.01
    assert venue.account(agent.address) is None


def test_mainnet_signature_on_a_testnet_venue_recovers_to_a_stranger() -> None:
    venue = make_venue()
    alice = Trader(venue, 1, mainnet=True)
    _, resp = alice.send({"type": "noop"})
    assert resp["status"] == "err"
    assert ve.classify(resp["response"]) is ve.SignerMismatch
    assert alice.address not in resp["response"]


def test_malformed_signature_and_body() -> None:
    alice = Trader(make_venue())
    body = alice.body({"type": "noop"})
    body["signature"] = {"r": "0x1", "s": "nothex", "v": 27}
    assert alice.venue.handle_exchange(body, T0_MS * MS) == (
        200, {"status": "err", "response": ve.UNABLE_TO_RECOVER_SIGNER})
    for bad in ({}, {"action": {"type": "fly"}, "nonce": 1}, [1, 2], {"action": "x"},
                {"action": {"type": "order", "orders": [{"a": 0}]}, "nonce": T0_MS,
                 "signature": body["signature"]}):
        status, _ = alice.venue.handle_exchange(bad, T0_MS * MS)
        assert status == 422
    assert alice.venue.rejected["bad_exchange_body"] == 5


def test_expired_action_is_refused() -> None:
    alice = Trader(make_venue())
    body = alice.body({"type": "noop"})
    body["expiresAfter"] = T0_MS - 1
    body["signature"] = alice.signer.sign_action({"type": "noop"}, body["nonce"],
                                                 expires_after=T0_MS - 1)
    _, resp = alice.venue.handle_exchange(body, T0_MS * MS)
    assert resp["status"] == "err"
    assert "expired" in resp["response"]


def test_self_trade_cancels_the_resting_order(venue_and_trader: tuple[Trader, Trader]) -> None:
    alice, _ = venue_and_trader
    [ask] = alice.order(limit(1, False, "3000", "0.01"))  # ETH: no market liquidity
    [bid] = alice.order(limit(1, True, "3000", "0.01", "Ioc"))
    assert bid == {"error": ve.with_asset(ve.IOC_NO_MATCH, 1)}
    status = alice.info("orderStatus", oid=ask["resting"]["oid"])
    assert status["order"]["status"] == "selfTradeCanceled"
    assert alice.position("ETH") == 0.0


def test_two_accounts_trade_with_each_other(venue_and_trader: tuple[Trader, Trader]) -> None:
    alice, bob = venue_and_trader
    book(alice.venue, "ETH", (), ())
    [a] = alice.order(limit(1, False, "3000", "0.1"))
    alice.venue.take_pushes()
    assert not alice.venue.has_pushes()
    [b] = bob.order(limit(1, True, "3000", "0.1", "Ioc"))
    assert alice.venue.has_pushes()
    assert b["filled"]["totalSz"] == "0.1"
    assert alice.position("ETH") == -0.1
    assert bob.position("ETH") == 0.1
    [maker_fill] = alice.info("userFills")
    assert (maker_fill["crossed"], maker_fill["oid"], maker_fill["dir"]) == (
        False, a["resting"]["oid"], "Open Short")
    assert float(maker_fill["fee"]) == pytest.approx(300 * 0.00015, abs=1e-6)
    trades = [d for ch, key, d in alice.venue.take_pushes() if ch == "trades"]
    assert not alice.venue.has_pushes()
    assert trades[0][0]["users"] == [bob.address, alice.address]
    assert trades[0][0]["side"] == "B"


def test_open_order_cap() -> None:
    venue = make_venue(SimSettings(max_open_orders=2))
    alice = Trader(venue)
    alice.order(limit(0, True, "90000", "0.001"), limit(0, True, "90001", "0.001"))
    [third] = alice.order(limit(0, True, "90002", "0.001"))
    assert "error" in third


def test_closing_a_position_realises_pnl_minus_fees() -> None:
    venue = make_venue()
    alice = Trader(venue)
    book(venue, "BTC", ((99_000.0, 5.0, 1),), ((100_000.0, 5.0, 1),))
    alice.order(limit(0, True, "100000", "1", "Ioc"))
    book(venue, "BTC", ((101_000.0, 5.0, 1),), ((101_001.0, 5.0, 1),), T0_MS + 1)
    alice.order(limit(0, False, "101000", "1.5", "Ioc"))
    fills = alice.info("userFills")
    assert fills[0]["dir"] == "Long > Short"
    assert float(fills[0]["closedPnl"]) == pytest.approx(1_000.0)
    acc = venue.account(alice.address)
    assert acc is not None
    fees = 100_000 * 0.00045 + 101_000 * 1.5 * 0.00045
    assert acc.balance == pytest.approx(100_000 + 1_000 - fees)
    assert acc.szi("BTC") == -0.5
    assert acc.positions["BTC"].entry_px == 101_000.0


def test_passive_fill_only_after_queue_ahead_is_consumed() -> None:
    venue = make_venue()
    btc_book(venue)
    alice = Trader(venue)
    [st] = alice.order(limit(0, True, "99999", "0.5"))  # joins behind 2.0 at 99999
    trade(venue, "BTC", 99_999.0, 1.5, False)
    assert alice.position("BTC") == 0.0
    trade(venue, "BTC", 99_999.0, 0.7, False, tid=2)  # 0.5 ahead left: 0.2 reaches us
    assert alice.position("BTC") == pytest.approx(0.2)
    trade(venue, "BTC", 99_998.0, 0.1, False, tid=3)  # printed through our price: all of it
    assert alice.position("BTC") == pytest.approx(0.5)
    fills = alice.info("userFills")
    assert all(not f["crossed"] and f["oid"] == st["resting"]["oid"] for f in fills)
    assert alice.info("orderStatus", oid=st["resting"]["oid"])["order"]["status"] == "filled"


def test_resting_order_fills_at_its_price_when_the_touch_crosses_it() -> None:
    venue = make_venue()
    btc_book(venue)
    alice = Trader(venue)
    alice.order(limit(0, True, "99999", "0.5"))
    book(venue, "BTC", ((99_990.0, 1.0, 1),), ((99_995.0, 1.0, 1),), T0_MS + 1)
    [fill] = alice.info("userFills")
    assert (fill["px"], fill["sz"], fill["crossed"]) == ("99999", "0.5", False)
    pushes = venue.take_pushes()
    assert any(ch == "trades" and d[0]["px"] == "99999" for ch, _, d in pushes)
