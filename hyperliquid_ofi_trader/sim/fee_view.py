"""The `userFees` answer of the emulated venue, in the venue's shape.

The account's own rates (`userCrossRate` = taker, `userAddRate` = maker, negative = rebate)
are the emulator's fee settings, the rates it actually charges; the published schedule
(`feeSchedule`: VIP volume tiers, maker-rebate tiers, staking discounts) is the venue's
base schedule (HYPERLIQUID.md section 5) with the emulator's rates as tier 0.
`dailyUserVlm` is the account's taker (`userCross`) and maker (`userAdd`) notional per UTC
day from its fill history, with the whole emulated exchange's notional that day, oldest
day first, at most the last 15 days.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final

from hyperliquid_ofi_trader.sim.accounts import Account, num

# (14-day volume cutoff, perp taker, perp maker, spot taker, spot maker)
_VIP_TIERS: Final = (
    ("5000000.0", "0.0004", "0.00012", "0.0006", "0.0003"),
    ("25000000.0", "0.00035", "0.00008", "0.0005", "0.0002"),
    ("100000000.0", "0.0003", "0.00004", "0.0004", "0.0001"),
    ("500000000.0", "0.00028", "0.0", "0.00035", "0.0"),
    ("2000000000.0", "0.00026", "0.0", "0.0003", "0.0"),
    ("7000000000.0", "0.00024", "0.0", "0.00025", "0.0"),
)
_MM_TIERS: Final = (("0.005", "-0.00001"), ("0.015", "-0.00002"), ("0.03", "-0.00003"))
_STAKING_TIERS: Final = (("0.0", "0.0"), ("0.0001", "0.05"), ("0.001", "0.1"),
                         ("0.01", "0.15"), ("0.1", "0.2"), ("1.0", "0.3"), ("5.0", "0.4"))
SPOT_TAKER: Final = "0.0007"
SPOT_MAKER: Final = "0.0004"
DAYS_SHOWN: Final = 15
DAY_MS: Final = 86_400_000


def _date(day: int) -> str:
    return datetime.fromtimestamp(day * DAY_MS / 1000, tz=UTC).strftime("%Y-%m-%d")


def _volumes(fills: Iterable[dict[str, Any]]) -> dict[int, list[float]]:
    """UTC day -> [taker notional, maker notional]."""
    days: dict[int, list[float]] = {}
    for fill in fills:
        notional = float(fill["px"]) * float(fill["sz"])
        day = days.setdefault(fill["time"] // DAY_MS, [0.0, 0.0])
        day[0 if fill["crossed"] else 1] += notional
    return days


def daily_volumes(acc: Account | None, exchange: dict[int, float],
                  now_ms: int) -> list[dict[str, str]]:
    """The last 15 UTC days, oldest first; `exchange`: day -> every print's notional."""
    mine = _volumes(acc.fills) if acc is not None else {}
    today = now_ms // DAY_MS
    out = []
    for day in range(today - DAYS_SHOWN + 1, today + 1):
        taker, maker = mine.get(day, (0.0, 0.0))
        out.append({"date": _date(day), "userCross": num(taker, 2), "userAdd": num(maker, 2),
                    "exchange": num(exchange.get(day, 0.0), 2)})
    return out


def fee_schedule(taker: float, maker: float) -> dict[str, Any]:
    return {
        "cross": num(taker), "add": num(maker), "spotCross": SPOT_TAKER,
        "spotAdd": SPOT_MAKER,
        "tiers": {
            "vip": [{"ntlCutoff": cut, "cross": cross, "add": add, "spotCross": s_cross,
                     "spotAdd": s_add} for cut, cross, add, s_cross, s_add in _VIP_TIERS],
            "mm": [{"makerFractionCutoff": cut, "add": add} for cut, add in _MM_TIERS],
        },
        "referralDiscount": "0.04",
        "stakingDiscountTiers": [{"bpsOfMaxSupply": bps, "discount": d}
                                 for bps, d in _STAKING_TIERS],
    }


def user_fees(acc: Account | None, exchange: dict[int, float], taker: float, maker: float,
              now_ms: int) -> dict[str, Any]:
    """The whole `userFees` answer for one account (None: an address never seen)."""
    return {
        "dailyUserVlm": daily_volumes(acc, exchange, now_ms),
        "feeSchedule": fee_schedule(taker, maker),
        "userCrossRate": num(taker), "userAddRate": num(maker),
        "userSpotCrossRate": SPOT_TAKER, "userSpotAddRate": SPOT_MAKER,
        "activeReferralDiscount": "0.0", "trial": None, "feeTrialEscrow": "0.0",
        "nextTrialAvailableTimestamp": None, "stakingLink": None,
        "activeStakingDiscount": {"bpsOfMaxSupply": "0.0", "discount": "0.0"},
    }
