"""ExposureGate: each limit rejects with its reason; batches are projected in sequence; a
modify is judged like a new order (limits, venue rules, the rate budget); cancels pass."""

from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.config.risk_schema import RiskLimits
from hyperliquid_ofi_trader.core.stages import (
    CancelIntent,
    ModifyIntent,
    OrderIntent,
    PlanIntent,
    Tif,
)
from hyperliquid_ofi_trader.core.state import TradingState
from hyperliquid_ofi_trader.risk.exposure import ExposureGate
from hyperliquid_ofi_trader.venues.hyperliquid.common.instruments import Instrument


class Positions:
    def __init__(self, pos: dict[str, float], value: float | None = 1000.0) -> None:
        self.pos = pos
        self.account_value = value

    def position(self, coin: str) -> float:
        return self.pos.get(coin, 0.0)

    def coins(self) -> tuple[str, ...]:
        return tuple(self.pos)


MARKS = {"ETH": 2000.0, "BTC": 50000.0}
S = RiskLimits(max_position_usd={"ETH": 1000.0, "BTC": 1000.0},
                     max_total_notional_usd=1500.0, max_leverage=3.0, max_order_usd=200.0,
                     max_orders_per_minute=3)


def gate(pos: dict[str, float] | None = None, value: float | None = 1000.0,
         s: RiskLimits = S) -> ExposureGate:
    return ExposureGate(s, Positions(pos or {}, value), MARKS.get)


def intent(size: float, is_buy: bool = True, coin: str = "ETH", reduce_only: bool = False,
           price: float = 2000.0) -> OrderIntent:
    return OrderIntent(coin=coin, is_buy=is_buy, size=size, price=price, tif=Tif.ALO,
                       reduce_only=reduce_only)


def reasons(g: ExposureGate, *intents: OrderIntent,
            state: TradingState = TradingState.ACTIVE, now: int = 0) -> list[str]:
    res = g.check(intents, state, now)
    return ["ok"] * len(res.approved) + [r.split(":")[0] for _, r in res.rejected]


def test_a_small_order_passes() -> None:
    assert reasons(gate(), intent(0.05)) == ["ok"]


def test_max_order_usd() -> None:
    assert reasons(gate(), intent(0.2)) == ["max_order_usd"]


def test_max_position_per_coin() -> None:
    assert reasons(gate({"ETH": 0.45}), intent(0.05)) == ["ok"]
    assert reasons(gate({"ETH": 0.46}), intent(0.05)) == ["max_position_usd"]


def test_max_total_notional() -> None:
    g = gate({"ETH": 0.45, "BTC": 0.012})  # $900 + $600
    assert reasons(g, intent(0.01)) == ["max_total_notional_usd"]


def test_leverage_against_account_value() -> None:
    assert reasons(gate({"ETH": 0.4}, value=250.0), intent(0.05)) == ["max_leverage"]
    assert reasons(gate({}, value=None), intent(0.05)) == ["account_value_unknown"]


def test_reducing_orders_pass_exposure_limits() -> None:
    g = gate({"ETH": 0.6}, value=None)  # over the cap, value unknown: reducing still passes
    assert reasons(g, intent(0.05, is_buy=False, reduce_only=True)) == ["ok"]


def test_reduce_only_must_reduce() -> None:
    assert reasons(gate({"ETH": 0.1}), intent(0.05, reduce_only=True)) == ["reduce_only"]
    assert reasons(gate({}), intent(0.05, reduce_only=True)) == ["reduce_only"]
    assert reasons(gate({"ETH": 0.01}), intent(0.05, False, reduce_only=True)) == [
        "reduce_only"]


def test_trading_state() -> None:
    assert reasons(gate(), intent(0.05), state=TradingState.HALTED) == ["trading_state"]
    assert reasons(gate(), intent(0.05), state=TradingState.REDUCING) == ["trading_state"]
    g = gate({"ETH": 0.1})
    assert reasons(g, intent(0.05, False, reduce_only=True),
                   state=TradingState.REDUCING) == ["ok"]


def test_invalid_intent() -> None:
    assert reasons(gate(), intent(float("nan"))) == ["invalid_intent"]
    assert reasons(gate(), intent(0.0)) == ["invalid_intent"]


def test_a_batch_cannot_pass_by_splitting() -> None:
    g = gate({"ETH": 0.4})
    assert reasons(g, intent(0.05), intent(0.05), intent(0.05)) == [
        "ok", "ok", "max_position_usd"]


def test_rate_limit_over_a_sliding_minute_of_event_time() -> None:
    g = gate()
    minute = 60_000_000_000
    assert reasons(g, intent(0.01), now=0) == ["ok"]
    assert reasons(g, intent(0.01), intent(0.01), now=10) == ["ok", "ok"]
    assert reasons(g, intent(0.01), now=minute - 1) == ["rate_limit"]
    assert reasons(g, intent(0.01), now=minute) == ["ok"]
    assert g.rejections == {"rate_limit": 1}


def test_reasons_are_specific() -> None:
    res = gate({"ETH": 0.46}).check([intent(0.05)], TradingState.ACTIVE, 0)
    assert res.rejected[0][1] == "max_position_usd: ETH $1020.00 > $1000.00"


# ---------------------------------------------------------------- plans: modifies, cancels

ETH = Instrument(name="ETH", asset=1, sz_decimals=4, max_leverage=25)


def venue_gate(pos: dict[str, float] | None = None,
               s: RiskLimits = S) -> ExposureGate:
    return ExposureGate(s, Positions(pos or {}), MARKS.get, {"ETH": ETH})


def modify(size: float, price: float = 2000.0, is_buy: bool = True,
           reduce_only: bool = False) -> ModifyIntent:
    return ModifyIntent(coin="ETH", cloid="0x" + "a" * 32, is_buy=is_buy, size=size,
                        price=price, tif=Tif.ALO, reduce_only=reduce_only,
                        tag="requote:behind_touch")


CANCEL = CancelIntent(coin="ETH", cloid="0x" + "b" * 32, tag="requote:alpha_flipped")


def outcomes(g: ExposureGate, *plan: PlanIntent, state: TradingState = TradingState.ACTIVE,
             now: int = 0) -> list[str]:
    """Per intent, in plan order: "ok" or the rejection code."""
    res = g.check(plan, state, now)
    why = {id(i): r.split(":")[0] for i, r in res.rejected}
    return [why.get(id(i), "ok") for i in plan]


def test_a_modify_spends_the_orders_per_minute_budget() -> None:
    g = gate()  # 3 per minute
    assert outcomes(g, intent(0.01), modify(0.01), modify(0.01), now=0) == ["ok"] * 3
    assert outcomes(g, modify(0.01), now=1) == ["rate_limit"]
    assert outcomes(g, intent(0.01), now=2) == ["rate_limit"]


def test_cancels_are_always_approved_and_never_spend_the_budget() -> None:
    g = gate()
    for state in TradingState:
        assert outcomes(g, CANCEL, CANCEL, state=state) == ["ok", "ok"]
    assert outcomes(g, intent(0.01), intent(0.01), intent(0.01)) == ["ok"] * 3
    assert outcomes(g, CANCEL, intent(0.01)) == ["ok", "rate_limit"]
    assert (g.cancels, g.approved) == (7, 3)


def test_a_modify_is_refused_like_a_new_order_when_it_breaks_a_limit() -> None:
    assert outcomes(gate(), modify(0.2)) == ["max_order_usd"]
    assert outcomes(gate({"ETH": 0.46}), modify(0.05)) == ["max_position_usd"]
    assert outcomes(gate({"ETH": 0.1}), modify(0.05, reduce_only=True)) == ["reduce_only"]
    # sequenced with the plan's places: a batch cannot pass by splitting into a modify
    assert outcomes(gate({"ETH": 0.4}), intent(0.05), intent(0.05), modify(0.05)) == [
        "ok", "ok", "max_position_usd"]


def test_the_trading_state_holds_for_modifies_in_the_gate_too() -> None:
    assert outcomes(gate(), modify(0.05), state=TradingState.HALTED) == ["trading_state"]
    assert outcomes(gate(), modify(0.05), state=TradingState.REDUCING) == ["trading_state"]
    assert outcomes(gate({"ETH": 0.1}), modify(0.05, is_buy=False, reduce_only=True),
                    state=TradingState.REDUCING) == ["ok"]
    assert outcomes(gate({"ETH": 0.1}), modify(0.05, is_buy=False, reduce_only=True),
                    state=TradingState.HALTED) == ["trading_state"]


@pytest.mark.parametrize(("plan_intent", "code"), [
    (modify(0.05, price=2000.05), "off_tick"),  # ETH at 2000: tick 0.1
    (intent(0.05, price=2000.05), "off_tick"),
    (modify(0.00005), "off_lot"),  # szDecimals 4
    (modify(0.004), "below_min_notional"),  # $8
    (intent(0.004), "below_min_notional"),
    (ModifyIntent(coin="DOGE", cloid="0x1", is_buy=True, size=100.0, price=0.1, tif=Tif.ALO),
     "unknown_instrument"),
    (modify(0.05, price=2000.1), "ok"),
    (modify(0.005), "ok"),  # exactly $10
])
def test_venue_rules_for_places_and_modifies(plan_intent: PlanIntent, code: str) -> None:
    g = venue_gate()
    assert outcomes(g, plan_intent) == [code]
    assert g.approved == (1 if code == "ok" else 0)  # a refused action spends no budget


def test_venue_rule_reasons_are_specific() -> None:
    res = venue_gate().check([modify(0.05, price=2000.05)], TradingState.ACTIVE, 0)
    assert res.rejected[0][1] == ("off_tick: ETH price 2000.05 is not on the venue's grid "
                                  "(tick 0.1)")


def test_lead_lag_entries_keep_a_reserved_share_of_the_order_budget() -> None:
    s = RiskLimits(max_position_usd={"ETH": 1000.0}, max_total_notional_usd=1500.0,
                   max_leverage=3.0, max_order_usd=200.0, max_orders_per_minute=4)
    g = ExposureGate(s, Positions({}, 1000.0), MARKS.get, lead_reserved_per_minute=2)
    plain = OrderIntent(coin="ETH", is_buy=True, size=0.01, price=2000.0, tif=Tif.IOC,
                        tag="edge_ioc")
    lead = OrderIntent(coin="ETH", is_buy=True, size=0.01, price=2000.0, tif=Tif.IOC,
                       tag="edge_ioc_lead")
    assert reasons(g, plain, plain, plain) == ["ok", "ok", "rate_limit"]  # 4 - 2 reserved
    assert reasons(g, lead, lead, lead) == ["ok", "ok", "rate_limit"]  # the whole budget
    closing = OrderIntent(coin="ETH", is_buy=False, size=0.01, price=2000.0, tif=Tif.IOC,
                          reduce_only=True, tag="exit_horizon_ioc")
    g2 = ExposureGate(s, Positions({"ETH": 0.05}), MARKS.get, lead_reserved_per_minute=2)
    assert reasons(g2, plain, plain, closing, closing) == ["ok", "ok", "ok", "ok"]


def test_a_reserve_above_the_budget_is_the_whole_budget() -> None:
    g = ExposureGate(S, Positions({}, 1000.0), MARKS.get, lead_reserved_per_minute=10)
    assert g.lead_reserved_per_minute == S.max_orders_per_minute
    lead = OrderIntent(coin="ETH", is_buy=True, size=0.01, price=2000.0, tif=Tif.IOC,
                       tag="edge_ioc_lead")
    plain = OrderIntent(coin="ETH", is_buy=True, size=0.01, price=2000.0, tif=Tif.IOC,
                        tag="edge_ioc")
    assert reasons(g, plain) == ["rate_limit"]
    assert reasons(g, lead, lead, lead, lead) == ["ok", "ok", "ok", "rate_limit"]


def test_exits_keep_a_reserved_share_that_no_entry_can_spend() -> None:
    """6 orders a minute, 2 kept for exits and 2 for lead-lag entries: plain entries stop
    at 2, lead-lag entries at 4 (lead-lag ones too leave the exits theirs), exits may use
    all 6. Entries and their re-quotes used to spend the whole budget and strand exits."""
    s = RiskLimits(max_position_usd={"ETH": 1000.0}, max_total_notional_usd=1500.0,
                   max_leverage=3.0, max_order_usd=200.0, max_orders_per_minute=6)
    g = ExposureGate(s, Positions({"ETH": 0.05}, 1000.0), MARKS.get,
                     lead_reserved_per_minute=2, exit_reserved_per_minute=2)
    plain = OrderIntent(coin="ETH", is_buy=True, size=0.01, price=2000.0, tif=Tif.ALO,
                        tag="edge_alo")
    lead = OrderIntent(coin="ETH", is_buy=True, size=0.01, price=2000.0, tif=Tif.IOC,
                       tag="edge_ioc_lead")
    closing = OrderIntent(coin="ETH", is_buy=False, size=0.01, price=2000.0, tif=Tif.IOC,
                          reduce_only=True, tag="exit_reversed_ioc")
    assert reasons(g, plain, plain, plain) == ["ok", "ok", "rate_limit"]
    assert reasons(g, lead, lead, lead) == ["ok", "ok", "rate_limit"]
    assert reasons(g, closing, closing, closing) == ["ok", "ok", "rate_limit"]


def test_reserves_above_the_budget_keep_the_exits_first() -> None:
    g = ExposureGate(S, Positions({}, 1000.0), MARKS.get, lead_reserved_per_minute=2,
                     exit_reserved_per_minute=10)
    assert g.exit_reserved_per_minute == S.max_orders_per_minute
    assert g.lead_reserved_per_minute == 0
