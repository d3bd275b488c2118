"""Reconciliation: what the venue says we have, as one `AccountSnapshot` event.

Run after every (re)connect and at start-up, before trading resumes: the venue does not
replay private events missed while disconnected (HYPERLIQUID.md section 7), so open
orders, positions and recent fills are read back from `/info` with the ACCOUNT address.

The three queries run concurrently; if any fails the whole reconciliation fails (the
`InfoError` propagates): a snapshot missing its open orders would read as "no orders".
"""

from __future__ import annotations

import asyncio
from typing import TypeVar

from hyperliquid_ofi_trader.core.events import AccountSnapshot
from hyperliquid_ofi_trader.venues.hyperliquid.http.info import InfoClient, check_address

T = TypeVar("T")


def _ok(result: T | BaseException) -> T:
    if isinstance(result, BaseException):
        raise result
    return result


async def reconcile(info: InfoClient, account: str) -> AccountSnapshot:
    """Open orders (with original sizes), positions, recent fills and account value."""
    user = check_address(account)
    # return_exceptions: every query finishes (no orphaned task, no "exception never
    # retrieved"), then the first failure is raised.
    orders, state, fills = await asyncio.gather(
        info.frontend_open_orders(user), info.clearinghouse_state(user), info.user_fills(user),
        return_exceptions=True)
    ch = _ok(state)
    return AccountSnapshot(exchange_ns=ch.time_ms * 1_000_000, local_ns=info.clock.now_ns(),
                           user=user, open_orders=_ok(orders), positions=ch.positions,
                           recent_fills=_ok(fills), account_value=ch.account_value,
                           withdrawable=ch.withdrawable)
