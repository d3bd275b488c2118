"""The recovery policy: which triggers recover, after what, how often; and its config."""

from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.config.errors import ConfigError
from hyperliquid_ofi_trader.config.risk_schema import RECOVERY_TRIGGERS
from hyperliquid_ofi_trader.config.risk_schema import RecoveryPolicyConfig as RecoverySection
from hyperliquid_ofi_trader.risk.recovery import Action, RecoveryPolicy, trigger_name

S = 1_000_000_000
HOUR = 3600 * S


def _section(auto: tuple[str, ...], healthy_for_s: float, max_per_hour: int,
             ) -> RecoverySection:
    """risk.yaml `recovery` with `auto` recovering and every other known trigger latching."""
    return RecoverySection(auto_recover=auto,
                           latch=tuple(t for t in RECOVERY_TRIGGERS if t not in auto),
                           healthy_for_s=healthy_for_s,
                           max_auto_recoveries_per_hour=max_per_hour)


def _policy(max_per_hour: int = 2) -> RecoveryPolicy:
    return RecoveryPolicy(_section(("stale_feed", "feed_lost"), 5.0, max_per_hour))


def _recover(p: RecoveryPolicy, start: int, trigger: str = "stale_feed") -> list[Action]:
    """Healthy from `start`: what the policy answers over the next 7 s, one
    reconciliation arriving right after it is asked for."""
    actions, recs = [], 0
    for t in range(start, start + 7 * S, S // 2):
        action = p.observe(t, trigger=trigger, healthy=True, reconciliations=recs)
        recs += action is Action.RECONCILE
        actions.append(action)
    return actions


def test_names_of_what_holds_the_system() -> None:
    assert trigger_name(None, None) is None
    assert trigger_name("kill_switch", "stale_feed") == "stale_feed"
    assert trigger_name("kill_switch", None) == "operator_kill"
    assert trigger_name("feed_lost", None) == "feed_lost"
    assert trigger_name("stage_errors_halt", None) == "stage_errors"
    assert trigger_name("manual_halt", None) == "manual"


def test_recovers_only_after_the_healthy_period_and_a_fresh_reconciliation() -> None:
    p = _policy()
    actions = _recover(p, 0)
    first_reconcile = actions.index(Action.RECONCILE)
    assert first_reconcile == 10  # 5 s of health at 0.5 s steps
    assert actions[first_reconcile + 1] is Action.RECOVER
    assert actions.count(Action.RECOVER) == 1


def test_no_recovery_without_the_reconciliation_which_is_asked_again() -> None:
    p = _policy()
    asked = []
    for t in range(0, 30 * S, S // 2):
        action = p.observe(t, trigger="stale_feed", healthy=True, reconciliations=0)
        assert action is not Action.RECOVER
        if action is Action.RECONCILE:
            asked.append(t // S)
    assert asked == [5, 15, 25]  # after 5 s of health, then every 10 s without an answer
    assert p.waiting_for == "the account reconciliation"


def test_an_unhealthy_moment_restarts_the_clock() -> None:
    p = _policy()
    for t in range(0, 4 * S, S // 2):
        p.observe(t, trigger="stale_feed", healthy=True, reconciliations=0)
    p.observe(4 * S, trigger="stale_feed", healthy=False, reconciliations=0)
    assert p.observe(9 * S, trigger="stale_feed", healthy=True, reconciliations=0) \
        is Action.NONE
    assert p.observe(14 * S, trigger="stale_feed", healthy=True, reconciliations=0) \
        is Action.RECONCILE


def test_latched_triggers_never_recover() -> None:
    p = _policy()
    for trigger in ("operator_kill", "daily_loss", "manual", "stage_errors"):
        assert Action.RECOVER not in _recover(p, 0, trigger)
        assert "latches" in p.waiting_for


def test_hourly_cap() -> None:
    p = _policy(max_per_hour=2)
    assert Action.RECOVER in _recover(p, 0)
    assert Action.RECOVER in _recover(p, 100 * S)
    assert Action.RECOVER not in _recover(p, 200 * S)
    assert "latched" in p.waiting_for
    assert Action.RECOVER in _recover(p, HOUR + S)  # the first one left the window
    assert p.explain(HOUR + 10 * S)["recoveries_last_hour"] == 2


def test_a_trigger_listed_to_latch_latches() -> None:
    p = RecoveryPolicy(_section(("feed_lost",), 1.0, 9))
    assert Action.RECOVER not in _recover(p, 0)
    assert Action.RECOVER in _recover(p, HOUR, trigger="feed_lost")


def test_a_trigger_the_config_does_not_name_latches() -> None:
    p = RecoveryPolicy(_section(("stale_feed",), 1.0, 9))
    assert not p.recovers("a_trigger_learnt_later")
    assert Action.RECOVER not in _recover(p, 0, trigger="a_trigger_learnt_later")


def test_the_section_converts_to_ns_in_the_policy() -> None:
    p = RecoveryPolicy(_section(("stale_feed",), 2.5, 3))
    assert (p.healthy_for_ns, p.max_per_hour) == (2_500_000_000, 3)


def test_packaged_defaults() -> None:
    r = build_config({}).risk.recovery
    assert set(r.auto_recover) == {"feed_lost", "stale_feed", "depth_vanish", "order_rtt",
                                   "feed_lag"}
    assert {"operator_kill", "manual", "daily_loss"} <= set(r.latch)
    assert r.max_auto_recoveries_per_hour > 0


@pytest.mark.parametrize(("recovery", "message"), [
    ({"auto_recover": ["feed_lost", "stale_feed", "depth_vanish", "order_rtt", "feed_lag",
                       "operator_kill"]}, "never recovers by itself"),
    ({"auto_recover": ["feed_lost", "bogus"]}, "unknown trigger"),
    ({"latch": ["daily_loss"]}, "missing"),
    ({"latch": ["feed_lost", "consecutive_slippage", "daily_loss", "stage_errors",
                "operator_kill", "manual"]}, "both"),
    ({"max_auto_recoveries_per_hour": -1}, "max_auto_recoveries_per_hour"),
])
def test_bad_policies_are_refused(recovery: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_config({"risk.yaml": {"recovery": recovery}})
