"""One status tick of the recovery policy (risk/recovery.py) for a run without a socket.

The live runner drives `RecoveryPolicy` from its status timer (runtime/live.py). A backtest
must do the same, or a halt that live trading leaves by itself within seconds (a book that
vanished for one snapshot, a stale feed) would latch for the rest of the backtest and its
figures would describe a different system. `recovery_tick` is that step with its inputs
passed in: what holds the engine, whether the books the strategy needs are fresh, and how
to ask the venue for an account reconciliation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Final

from hyperliquid_ofi_trader.config.models import AppConfig
from hyperliquid_ofi_trader.core.engine import Engine
from hyperliquid_ofi_trader.core.stages import CoinMarket
from hyperliquid_ofi_trader.risk.kill_switch import KillSwitch
from hyperliquid_ofi_trader.risk.recovery import Action, RecoveryPolicy, trigger_name

_NS_PER_MS: Final = 1_000_000


def needed_coins(cfg: AppConfig) -> frozenset[str]:
    """The coins a decision needs: the traded ones and the leads."""
    return frozenset(cfg.symbols.traded) | frozenset(cfg.symbols.lead_coins)


def fresh_book_ns(cfg: AppConfig) -> int:
    """How old a book may be and still count as healthy (as the live runner reads it)."""
    return (cfg.risk.kill_switch.max_feed_lag_ms + 1000) * _NS_PER_MS


def books_fresh(markets: Mapping[str, CoinMarket], coins: Iterable[str], now_ns: int,
                max_age_ns: int) -> bool:
    """Every needed coin has a two-sided book no older than `max_age_ns`."""
    for coin in coins:
        market = markets.get(coin)
        if market is None:
            return False
        book = market.book
        if (book.best_bid() is None or book.best_ask() is None
                or now_ns - book.exchange_ns > max_age_ns):
            return False
    return True


def recovery_tick(policy: RecoveryPolicy, engine: Engine, kill: KillSwitch,
                  reconcile: Callable[[], None], now_ns: int, *, books_ok: bool) -> Action:
    """Observe the engine and act as the policy says: ask for a reconciliation, or reset
    the kill switch (keeping the day's loss baseline) and leave REDUCING / HALTED."""
    health = engine.health()  # every tick: not `snapshot`, which copies and sorts dicts
    trigger = trigger_name(health.state_cause, kill.fired_code)
    action = policy.observe(now_ns, trigger=trigger,
                            healthy=books_ok and not health.feeds_unhealthy,
                            reconciliations=health.reconciliations)
    if action is Action.RECONCILE:
        reconcile()
    elif action is Action.RECOVER:
        kill.reset(now_ns, keep_day=True)
        engine.recover(f"{trigger} cleared: feed healthy for "
                       f"{policy.healthy_for_ns / 1e9:g} s and the account "
                       "reconciled")
    return action
