"""The recovery policy: when a degraded system may trade again without an operator.

Sans-I/O. The runner calls `RecoveryPolicy.observe` on its tick timer with what it sees
(which trigger holds the system, whether every needed feed is healthy, how many account
reconciliations have arrived) and acts on the answer:
- `RECONCILE`: the feed has been healthy for `healthy_for_s`; ask the venue for a fresh
  account snapshot (open orders, positions, fills) before anything trades again;
- `RECOVER`: that snapshot has arrived: reset the kill switch (keeping the day's loss
  baseline) and leave REDUCING / HALTED (`Engine.recover`);
- `NONE`: keep waiting (or latched: the trigger needs `hlofi resume`, or this hour's
  allowance of automatic recoveries is spent).
Which trigger names recover is the `recovery` section of risk.yaml (config/risk_schema.py).
"""

from __future__ import annotations

import enum
from collections import deque
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:  # the section's type only: config sits below the components
    from hyperliquid_ofi_trader.config.risk_schema import (
        RecoveryPolicyConfig,
    )

_NS_PER_S: Final = 1_000_000_000
_HOUR_NS: Final = 3600 * _NS_PER_S
# A reconciliation request whose answer never came (the request failed, REST is down):
# ask again after this long rather than wait forever.
REASK_AFTER_NS: Final = 10 * _NS_PER_S

# Engine causes (core/state.py Trigger values) -> policy names; a kill switch halt is
# named by the kill switch's own code (risk/kill_switch.py).
_CAUSE_NAMES: Final = {"feed_lost": "feed_lost", "stage_errors_reduce": "stage_errors",
                       "stage_errors_halt": "stage_errors", "manual_reduce": "manual",
                       "manual_halt": "manual"}


def trigger_name(cause: str | None, kill_code: str | None) -> str | None:
    """The policy's name for what holds the system now; None while ACTIVE."""
    if cause is None:
        return None
    if cause == "kill_switch":
        return kill_code or "operator_kill"  # unknown: the safe reading latches
    return _CAUSE_NAMES.get(cause, "manual")


class Action(enum.Enum):
    NONE = "none"
    RECONCILE = "reconcile"
    RECOVER = "recover"


class RecoveryPolicy:
    """See the module docstring. One instance per run."""

    __slots__ = ("_asked_at", "_asked_ns", "_healthy_since", "_recoveries", "auto_recover",
                 "healthy_for_ns", "latch", "max_per_hour", "waiting_for")

    def __init__(self, section: RecoveryPolicyConfig) -> None:
        """risk.yaml `recovery` (validated there: every known trigger in exactly one list);
        seconds become ns here."""
        self.auto_recover = frozenset(section.auto_recover)
        self.latch = frozenset(section.latch)
        self.healthy_for_ns = int(section.healthy_for_s * _NS_PER_S)
        self.max_per_hour = section.max_auto_recoveries_per_hour
        self._healthy_since: int | None = None
        self._asked_at: int | None = None  # reconciliations seen when we asked for one
        self._asked_ns = 0
        self._recoveries: deque[int] = deque()
        self.waiting_for = ""  # for status views: what the policy waits for, if anything

    def observe(self, now_ns: int, *, trigger: str | None, healthy: bool,
                reconciliations: int) -> Action:
        if trigger is None:
            self._reset("")
            return Action.NONE
        if not self.recovers(trigger):
            self._reset(f"{trigger} latches: `hlofi resume` to trade")
            return Action.NONE
        if not healthy:
            self._reset("a healthy feed")
            return Action.NONE
        if self._healthy_since is None:
            self._healthy_since = now_ns
        if now_ns - self._healthy_since < self.healthy_for_ns:
            self.waiting_for = "the feed to stay healthy"
            return Action.NONE
        if self.recent(now_ns) >= self.max_per_hour:
            self.waiting_for = (f"nothing: {self.max_per_hour} automatic "
                                "recoveries this hour, latched until `hlofi resume`")
            return Action.NONE
        return self._reconcile_then_recover(now_ns, reconciliations)

    def _reconcile_then_recover(self, now_ns: int, reconciliations: int) -> Action:
        if self._asked_at is None or (reconciliations <= self._asked_at
                                      and now_ns - self._asked_ns >= REASK_AFTER_NS):
            self._asked_at, self._asked_ns = reconciliations, now_ns
            self.waiting_for = "the account reconciliation"
            return Action.RECONCILE
        if reconciliations <= self._asked_at:
            return Action.NONE
        self._recoveries.append(now_ns)
        self._reset("")
        return Action.RECOVER

    def recovers(self, trigger: str) -> bool:
        """Listed to recover (the config keeps the lists disjoint); anything else latches."""
        return trigger in self.auto_recover

    def recent(self, now_ns: int) -> int:
        """Automatic recoveries in the rolling hour ending at `now_ns`."""
        while self._recoveries and self._recoveries[0] <= now_ns - _HOUR_NS:
            self._recoveries.popleft()
        return len(self._recoveries)

    def explain(self, now_ns: int) -> dict[str, Any]:
        return {"auto_recover": sorted(self.auto_recover),
                "latch": sorted(self.latch),
                "recoveries_last_hour": self.recent(now_ns),
                "max_per_hour": self.max_per_hour,
                "waiting_for": self.waiting_for}

    def _reset(self, waiting_for: str) -> None:
        self._healthy_since = None
        self._asked_at = None
        self.waiting_for = waiting_for
