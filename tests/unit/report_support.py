"""Hand-built journals for the report tests: decisions through `core.journal.Journal`,
orders and fills inserted directly with the migration-2 schema.

The scenario (`write_scenario`, coin ETH, t in seconds from T0, local == exchange time):

    mids:  t=0 100 | t=1 101 | t=2 102 | t=3 100 | t=4 99 | t=6 101 | t=10 100
    f1  t=0.5  buy  2 @ 100.5  IOC  crossed  fee +0.10  decision 1 (mid 100)
    f2  t=2.5  sell 1 @ 102.0  ALO  maker    fee -0.02  decision 3 (mid 102)
    f3  t=3.5  sell 2 @  99.9  IOC  crossed  fee +0.09  decision 4 (mid 100)
    orders: the three above (filled) + one ALO cancelled + one IOC expired (no fills)
    state changes: ACTIVE -> REDUCING at t=5 (feed_lost), REDUCING -> HALTED at t=7

Hand-computed (see the test module for the arithmetic): realised 0.9, unrealised -0.1,
gross 0.8, fees 0.17 (paid 0.19, rebates 0.02), net 0.63, turnover 502.8.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Final

from hyperliquid_ofi_trader.core.journal import Journal
from hyperliquid_ofi_trader.core.state import TradingState, Transition, Trigger

T0: Final = 1_700_000_000_000_000_000
S: Final = 1_000_000_000
MIDS: Final = ((0.0, 100.0), (1.0, 101.0), (2.0, 102.0), (3.0, 100.0), (4.0, 99.0),
               (6.0, 101.0), (10.0, 100.0))

ORDER_COLS: Final = ("cloid", "oid", "decision_id", "coin", "is_buy", "px", "sz", "tif",
                     "reduce_only", "tag", "state", "filled", "avg_px", "fee", "created_ns",
                     "updated_ns", "last_error", "replaces", "replaced_by")
FILL_COLS: Final = ("coin", "tid", "cloid", "oid", "px", "sz", "is_buy", "fee", "crossed",
                    "exchange_ns", "local_ns", "decision_id")


def ts(seconds: float) -> int:
    return T0 + round(seconds * S)


def decision_inputs(mid: float, alpha: float = 0.2, ofi: float = 1.0,
                    tradable: bool = True) -> dict[str, Any]:
    return {"event": "Bbo", "source_coin": "ETH",
            "book": {"bid": mid - 0.05, "ask": mid + 0.05, "mid": mid, "bid_sz": 1.0,
                     "ask_sz": 1.0, "depth5": 50.0, "exchange_ns": 0},
            "signals": {"ofi": ofi}, "alpha": alpha,
            "regime": {"tradable": tradable, "liquidity": "NORMAL", "volatility": "NORMAL",
                       "liquidation": False, "reasons": []},
            "position": 0.0}


def write_decisions(path: Path, mids: tuple[tuple[float, float], ...] = MIDS) -> None:
    with Journal(path) as j:
        for i, (t, mid) in enumerate(mids):
            j.record_decision(exchange_ns=ts(t), local_ns=ts(t), coin="ETH", trigger="Bbo",
                              outcome="submit" if i % 2 == 0 else "skip", reason="test",
                              trading_state="ACTIVE",
                              inputs=decision_inputs(mid, tradable=i != 5))


def write_states(path: Path) -> None:
    with Journal(path) as j:
        j.record_state_change(Transition(
            from_state=TradingState.ACTIVE, to_state=TradingState.REDUCING,
            trigger=Trigger.FEED_LOST, reason="feed stale", exchange_ns=ts(5), local_ns=ts(5)))
        j.record_state_change(Transition(
            from_state=TradingState.REDUCING, to_state=TradingState.HALTED,
            trigger=Trigger.KILL_SWITCH, reason="daily loss", exchange_ns=ts(7),
            local_ns=ts(7)))


def order(cloid: str, decision_id: int, is_buy: bool, px: float, sz: float, tif: str,
          state: str, filled: float, fee: float, t: float) -> tuple[Any, ...]:
    return (cloid, int(cloid, 16), decision_id, "ETH", int(is_buy), px, sz, tif, 0,
            f"tag_{tif.lower()}", state, filled, px if filled else 0.0, fee, ts(t), ts(t),
            "", None, None)


def fill(tid: int, cloid: str, is_buy: bool, px: float, sz: float, fee: float, crossed: bool,
         t: float, decision_id: int | None) -> tuple[Any, ...]:
    return ("ETH", tid, cloid, int(cloid, 16), px, sz, int(is_buy), fee, int(crossed), ts(t),
            ts(t), decision_id)


ORDERS: Final = (
    order("0x01", 1, True, 100.55, 2.0, "Ioc", "filled", 2.0, 0.10, 0.4),
    order("0x02", 3, False, 102.0, 1.0, "Alo", "filled", 1.0, -0.02, 2.0),
    order("0x03", 4, False, 99.85, 2.0, "Ioc", "filled", 2.0, 0.09, 3.4),
    order("0x04", 5, True, 98.9, 1.0, "Alo", "cancelled", 0.0, 0.0, 4.0),
    order("0x05", 6, True, 101.2, 1.0, "Ioc", "expired", 0.0, 0.0, 6.0),
)
FILLS: Final = (
    fill(11, "0x01", True, 100.5, 2.0, 0.10, True, 0.5, 1),
    # No decision_id on the fill: the report must find it through the order's cloid.
    fill(12, "0x02", False, 102.0, 1.0, -0.02, False, 2.5, None),
    fill(13, "0x03", False, 99.9, 2.0, 0.09, True, 3.5, 4),
)


def insert_rows(path: Path, orders: tuple[tuple[Any, ...], ...] = ORDERS,
                fills: tuple[tuple[Any, ...], ...] = FILLS) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(f"INSERT INTO orders ({', '.join(ORDER_COLS)}) VALUES "
                         f"({', '.join('?' * len(ORDER_COLS))})", orders)
        conn.executemany(f"INSERT INTO fills ({', '.join(FILL_COLS)}) VALUES "
                         f"({', '.join('?' * len(FILL_COLS))})", fills)
    conn.close()


def write_scenario(path: Path) -> Path:
    write_decisions(path)
    write_states(path)
    insert_rows(path)
    return path


def write_empty(path: Path) -> Path:
    """A journal with the schema and nothing in it (a run that never decided)."""
    Journal(path).close()
    return path
