"""Dead man's switch, sans-I/O: when to arm, re-arm or clear the venue's `scheduleCancel`,
and when to cancel everything ourselves.

Two layers, because either can fail alone:
- Venue side: while orders rest, `scheduleCancel(now + arm_ahead_s)` is kept armed; it is
  re-armed when less than half of arm_ahead_s remains (so the time sent is always at least
  arm_ahead_s >= 5 s ahead, as the venue requires) and cleared (`time=None`) once nothing
  rests. If our process dies, the venue cancels our orders at most arm_ahead_s later.
  It is armed BEFORE an order that may rest is sent, not after its ack: the order
  manager's resting guard (`arm_before_resting`) puts the `scheduleCancel` ahead of the
  place or modify (the gateway sends urgent work first, on the same socket), so there is
  no moment when an order rests and the switch is not armed (a process that died
  between a resting ack and the next timer left orders open).
  The venue allows 10 triggers (executed cancels) per UTC day; we count triggers that
  happen (armed time passed without a re-arm) per UTC day of event time and stop arming
  once `max_triggers_per_day` is used up. A refusal (e.g. "Cannot set scheduled cancel
  time until enough volume traded") switches the venue layer off for the session.
- Client side (always on): if no message from the venue (market, private, protocol or a
  gateway answer; see `observe`) arrives for client_fallback_s while orders rest, the
  switch asks for a cancel-all once per silence. This covers a live process whose
  connection went quiet, which the venue's switch does not.

The runner calls `observe(event)` for every event, `on_timer(now_ns, orders_resting)` on
its timer (cadence well below arm_ahead_s / 2), executes the returned `DmsAction` through
`CommandPort.schedule_cancel` / `OrderSink.cancel_all`, and feeds `ScheduleCancelAck` to
`on_ack` (observe does that too).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Final

import msgspec

from hyperliquid_ofi_trader.core.events import (
    AnyEvent,
    ControlCommand,
    FeedState,
    Rejection,
    ScheduleCancelAck,
    Timer,
)

if TYPE_CHECKING:  # the section's type only: config sits below the components
    from hyperliquid_ofi_trader.config.risk_schema import (
        DeadMansSwitchConfig,
    )

_NS_PER_MS: Final = 1_000_000
_NS_PER_S: Final = 1_000_000_000
_NS_PER_DAY: Final = 86_400 * _NS_PER_S
# Events that do not come from the venue, so they prove nothing about the connection.
_NOT_FROM_VENUE: Final = (Timer, FeedState, Rejection, ControlCommand)


class DmsKind(enum.StrEnum):
    NONE = "none"
    ARM = "arm"  # schedule_cancel(time_ms)
    CLEAR = "clear"  # schedule_cancel(None)
    CANCEL_ALL = "cancel_all"  # client-side fallback: OrderSink.cancel_all(reason)


class DmsAction(msgspec.Struct, frozen=True, gc=False, kw_only=True):
    kind: DmsKind
    time_ms: int | None = None
    reason: str = ""


NOTHING: Final = DmsAction(kind=DmsKind.NONE)


class DeadMansSwitch:
    """See the module docstring. All times are event/clock ns passed in by the caller."""

    def __init__(self, section: DeadMansSwitchConfig, *,
                 ack_timeout_ns: int = 5 * _NS_PER_S) -> None:
        """From risk.yaml `dead_mans_switch` (validated there: arm_ahead_s >= 5 s, the
        venue's rule; a trigger budget >= 1; a positive fallback); seconds become ns here.
        `ack_timeout_ns`: how long an arm or clear may go unanswered before we decide
        afresh (not a config key)."""
        self.enabled = section.enabled
        self.arm_ahead_ns = int(section.arm_ahead_s * _NS_PER_S)
        self.max_triggers_per_day = section.max_triggers_per_day
        self.client_fallback_ns = int(section.client_fallback_s * _NS_PER_S)
        self.ack_timeout_ns = ack_timeout_ns
        self.armed_until_ms: int | None = None
        self.refused: str | None = None
        self._pending_since: int | None = None
        self._pending_time_ms: int | None = None  # what the request in flight asked for
        self._last_venue_ns: int | None = None
        self._fallback_fired = False
        self._triggers: dict[int, int] = {}
        self.arms = 0
        self.clears = 0
        self.fallback_cancels = 0
        self.stale_acks = 0

    # ------------------------------------------------------------ inputs

    def observe(self, event: AnyEvent) -> None:
        """Any event: venue messages reset the silence timer; acks go to `on_ack`."""
        if isinstance(event, _NOT_FROM_VENUE):
            return
        self.on_venue_message(event.local_ns)
        if isinstance(event, ScheduleCancelAck):
            self.on_ack(event)

    def on_venue_message(self, local_ns: int) -> None:
        if self._last_venue_ns is None or local_ns > self._last_venue_ns:
            self._last_venue_ns = local_ns
        self._fallback_fired = False

    def on_ack(self, ack: ScheduleCancelAck) -> None:
        if self._pending_since is None or (ack.ok and ack.time_ms != self._pending_time_ms):
            # No request in flight, or the answer to an earlier one (a clear overtaken by
            # an arm before a new order): the venue's state is what it last processed.
            self.stale_acks += 1
            if ack.ok and self._pending_since is None:
                self.armed_until_ms = ack.time_ms
            return
        self._pending_since = None
        if not ack.ok:
            self.refused = ack.error or "scheduleCancel refused"
            return
        self.armed_until_ms = ack.time_ms

    def arm_before_resting(self, now_ns: int) -> int | None:
        """The order manager's resting guard (`OrderManager.set_resting_guard`): the
        `scheduleCancel` time (ms) to send ahead of an order that may rest, or None."""
        action = self.before_resting(now_ns)
        return action.time_ms if action.kind is DmsKind.ARM else None

    def before_resting(self, now_ns: int) -> DmsAction:
        """Called before an order that may rest is sent: ARM when the switch is not
        armed (or not armed far enough ahead) and no arm is already on its way."""
        if not self.enabled or self.refused is not None:
            return NOTHING
        if self._pending_since is not None and self._pending_time_ms is not None:
            return NOTHING  # an arm is already ahead of this order
        return self._arm(now_ns)

    # ------------------------------------------------------------ timer

    def on_timer(self, now_ns: int, orders_resting: bool) -> DmsAction:
        if self._last_venue_ns is None:
            self._last_venue_ns = now_ns  # silence is measured from when we started
        self._count_trigger(now_ns)
        if orders_resting and self._silent(now_ns):
            return self._fallback(now_ns)
        if not self.enabled or self.refused is not None:
            return NOTHING
        if self._pending_since is not None:
            if now_ns - self._pending_since < self.ack_timeout_ns:
                return NOTHING  # an answer is on its way
            self._pending_since = None  # lost: decide afresh
        return self._arm_or_clear(now_ns, orders_resting)

    def _arm_or_clear(self, now_ns: int, orders_resting: bool) -> DmsAction:
        if not orders_resting:
            if self.armed_until_ms is None:
                return NOTHING
            self._pending_since = now_ns
            self._pending_time_ms = None
            self.clears += 1
            return DmsAction(kind=DmsKind.CLEAR, reason="no order rests")
        return self._arm(now_ns)

    def _arm(self, now_ns: int) -> DmsAction:
        now_ms = now_ns // _NS_PER_MS
        ahead_ms = self.arm_ahead_ns // _NS_PER_MS
        if self.armed_until_ms is not None and self.armed_until_ms - now_ms > ahead_ms // 2:
            return NOTHING
        if self.triggers_today(now_ns) >= self.max_triggers_per_day:
            return NOTHING  # budget spent: the client fallback is all that is left today
        self._pending_since = now_ns
        self._pending_time_ms = now_ms + ahead_ms
        self.arms += 1
        return DmsAction(kind=DmsKind.ARM, time_ms=now_ms + ahead_ms,
                         reason="re-arm" if self.armed_until_ms is not None else "arm")

    def _count_trigger(self, now_ns: int) -> None:
        armed = self.armed_until_ms
        if armed is None or now_ns // _NS_PER_MS < armed:
            return
        day = armed * _NS_PER_MS // _NS_PER_DAY
        self._triggers[day] = self._triggers.get(day, 0) + 1
        self.armed_until_ms = None  # the venue cancelled everything at `armed`

    def _silent(self, now_ns: int) -> bool:
        last = self._last_venue_ns if self._last_venue_ns is not None else now_ns
        return now_ns - last > self.client_fallback_ns and not self._fallback_fired

    def _fallback(self, now_ns: int) -> DmsAction:
        self._fallback_fired = True
        self.fallback_cancels += 1
        last = self._last_venue_ns if self._last_venue_ns is not None else now_ns
        return DmsAction(kind=DmsKind.CANCEL_ALL,
                         reason=f"dead man's switch: no venue message for "
                         f"{(now_ns - last) / _NS_PER_S:.1f} s while orders rest")

    # ------------------------------------------------------------ reads

    def triggers_today(self, now_ns: int) -> int:
        return self._triggers.get(now_ns // _NS_PER_DAY, 0)

    def explain(self) -> dict[str, object]:
        return {"armed_until_ms": self.armed_until_ms, "refused": self.refused,
                "pending": self._pending_since is not None, "arms": self.arms,
                "clears": self.clears, "fallback_cancels": self.fallback_cancels,
                "triggers_by_day": dict(self._triggers)}
