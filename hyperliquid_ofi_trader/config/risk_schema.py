"""risk.yaml: network, hard limits, kill switch, escalation, dead man's switch, execution
timeouts, journal."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Self

from pydantic import AfterValidator, Field, Strict, WrapSerializer, model_validator

from hyperliquid_ofi_trader.config.base import (
    SCHEDULE_CANCEL_MAX_TRIGGERS,
    SCHEDULE_CANCEL_MIN_AHEAD_S,
    VENUE_MIN_ORDER_USD,
    CoinName,
    FrozenModel,
    PositiveUsd,
    dump_mapping,
    freeze_mapping,
)
from hyperliquid_ofi_trader.config.rules import Violation, raise_if_any

UsdPerCoin = Annotated[
    Mapping[CoinName, PositiveUsd], AfterValidator(freeze_mapping), WrapSerializer(dump_mapping)
]

# ---------------------------------------------------------------- risk.yaml


class Network(enum.StrEnum):
    """Which Hyperliquid network to sign for and connect to. Never mainnet by default."""

    TESTNET = "testnet"
    MAINNET = "mainnet"


class RiskLimits(FrozenModel):
    """Hard exposure and activity limits checked before every order."""

    max_position_usd: UsdPerCoin = Field(
        description="Largest absolute position notional per coin (USD); every traded coin "
        "needs an entry."
    )
    max_total_notional_usd: float = Field(
        gt=0, description="Largest sum of absolute position notionals (USD)."
    )
    max_leverage: float = Field(
        gt=0, le=100, description="Largest account leverage; at most each traded coin's max."
    )
    max_order_usd: float = Field(
        ge=VENUE_MIN_ORDER_USD, description="Largest single order notional (USD); venue min $10."
    )
    max_orders_per_minute: int = Field(
        gt=0, le=1200, description="Order actions per minute (venue weight budget: 1200/min/IP)."
    )

    @model_validator(mode="after")
    def _limits_nested(self) -> Self:
        cap = (("max_total_notional_usd",), self.max_total_notional_usd)
        found = [
            Violation(
                ((("max_position_usd", coin), usd), cap), "must be <= max_total_notional_usd"
            )
            for coin, usd in self.max_position_usd.items()
            if usd > self.max_total_notional_usd
        ]
        if self.max_order_usd > self.max_total_notional_usd:
            found.append(
                Violation(
                    ((("max_order_usd",), self.max_order_usd), cap),
                    "must be <= max_total_notional_usd",
                )
            )
        raise_if_any(found)
        return self


class KillSwitchThresholds(FrozenModel):
    """Conditions that halt trading (cancel all, stop)."""

    max_feed_lag_ms: int = Field(gt=0, description="Exchange-to-local latency that halts (ms).")
    max_order_rtt_ms: int = Field(gt=0, description="Order round trip that halts (ms).")
    depth_vanish_fraction: float = Field(
        gt=0,
        lt=1,
        description="Halt when depth falls by this fraction of its recent average (0.8 = -80%).",
    )
    depth_avg_window_s: float = Field(gt=0, description="Window of that depth average (s).")
    consecutive_slippage_fills: int = Field(
        ge=1, description="Halt after this many fills in a row worse than slippage_bps."
    )
    slippage_bps: float = Field(gt=0, description="Fill slippage counted as bad (bps).")
    stale_feed_s: float = Field(gt=0, description="Halt when a needed feed is silent this long.")
    daily_loss_usd: float = Field(gt=0, description="Halt at this realised+unrealised loss (USD).")
    flatten_on_kill: bool = Field(
        description="Also close positions on halt (false: cancel orders, keep positions)."
    )
    feed_lag_sustain_events: int = Field(
        ge=1,
        description="Halt only after this many market events in a row lag above "
        "max_feed_lag_ms (one late frame is jitter).",
    )
    depth_vanish_sustain_ms: float = Field(
        ge=0,
        le=60_000,
        description="Halt on depth_vanish only when the book stays below the floor on every "
        "snapshot for this long (ms; a book swept for one snapshot that refills is not gone).",
    )


class StageErrorThresholds(FrozenModel):
    """Escalation when pipeline stages raise: ACTIVE -> REDUCING -> HALTED."""

    reducing_after: int = Field(ge=1, description="Errors in the window that force REDUCING.")
    halted_after: int = Field(ge=1, description="Errors in the window that force HALTED.")
    window_s: float = Field(gt=0, description="Sliding window of event time (s).")

    @model_validator(mode="after")
    def _reducing_first(self) -> Self:
        if self.reducing_after > self.halted_after:
            raise_if_any(
                [
                    Violation(
                        (
                            (("reducing_after",), self.reducing_after),
                            (("halted_after",), self.halted_after),
                        ),
                        "reducing_after (REDUCING) must be <= halted_after (HALTED)",
                    )
                ]
            )
        return self


class DeadMansSwitchConfig(FrozenModel):
    """Venue scheduleCancel while orders rest, plus a client-side fallback."""

    enabled: bool = Field(description="Arm scheduleCancel while orders rest.")
    arm_ahead_s: float = Field(
        ge=SCHEDULE_CANCEL_MIN_AHEAD_S, description="Cancel time set this far ahead (s, >= 5)."
    )
    max_triggers_per_day: int = Field(
        ge=1,
        le=SCHEDULE_CANCEL_MAX_TRIGGERS,
        description="Own budget of triggers per day (venue allows 10).",
    )
    client_fallback_s: float = Field(
        gt=0, description="Client cancels all itself after this long without a healthy feed (s)."
    )


class ExecutionTimeouts(FrozenModel):
    """Order life-cycle timeouts and the gateway's transport settings."""

    ack_timeout_ms: int = Field(
        gt=0, description="No answer to a place this long: ask the venue about it by cloid (ms)."
    )
    query_timeout_ms: int = Field(
        gt=0, description="Still unresolved this long after asking: cancel it by cloid (ms)."
    )
    cancel_timeout_ms: int = Field(
        gt=0, description="A cancel unconfirmed this long: ask again and re-send, backing off (ms)."
    )
    adopt_unknown_orders: bool = Field(
        description="Venue orders we have no record of: adopt and track them (true) or "
        "cancel them (false, the safe choice)."
    )
    post_timeout_s: float = Field(
        gt=0, description="A WebSocket post with no answer this long has an unknown outcome (s)."
    )
    rest_timeout_s: float = Field(gt=0, description="HTTP /exchange and /info timeout (s).")
    use_ws_post: bool = Field(
        description="Send orders as WebSocket posts (REST only as fallback); false: REST only."
    )


RECOVERY_TRIGGERS: tuple[str, ...] = (
    "feed_lost", "stale_feed", "depth_vanish", "order_rtt", "feed_lag",
    "consecutive_slippage", "daily_loss", "stage_errors", "operator_kill", "manual")
ALWAYS_LATCH: frozenset[str] = frozenset({"operator_kill", "manual"})
TriggerNames = Annotated[tuple[str, ...], Strict(False)]


class RecoveryPolicyConfig(FrozenModel):
    """After a short outage: which triggers recover by themselves, and which latch.

    A trigger in `auto_recover` leaves REDUCING / HALTED without an operator once every
    needed feed is healthy again for `healthy_for_s` and a fresh account reconciliation
    has arrived, at most `max_auto_recoveries_per_hour` times per rolling hour (then it
    latches). A trigger in `latch` waits for `hlofi resume`. Every trigger is in exactly
    one list; an operator's kill or reduce always latches."""

    auto_recover: TriggerNames = Field(
        description="Triggers that recover automatically once the feed is healthy and the "
        "account reconciled.")
    latch: TriggerNames = Field(
        description="Triggers that hold until `hlofi resume`.")
    healthy_for_s: float = Field(
        gt=0, le=3600,
        description="How long every needed feed must be healthy before recovering (s).")
    max_auto_recoveries_per_hour: int = Field(
        ge=0, le=60,
        description="Automatic recoveries allowed per rolling hour; beyond it, latch.")

    @model_validator(mode="after")
    def _partition(self) -> Self:
        auto, latch = self.auto_recover, self.latch
        found: list[Violation] = []
        for where, names in (("auto_recover", auto), ("latch", latch)):
            found += [Violation((((where,), name),), "unknown trigger; known: "
                                + ", ".join(RECOVERY_TRIGGERS))
                      for name in names if name not in RECOVERY_TRIGGERS]
        found += [Violation(((("auto_recover",), name),), "an operator's action never "
                            "recovers by itself: put it under latch")
                  for name in auto if name in ALWAYS_LATCH]
        found += [Violation(((("auto_recover",), name), (("latch",), name)),
                            "listed both to recover and to latch")
                  for name in set(auto) & set(latch)]
        missing = [n for n in RECOVERY_TRIGGERS if n not in auto and n not in latch]
        if missing:
            found.append(Violation(((("latch",), list(latch)),),
                                   "every trigger must be in auto_recover or latch; "
                                   f"missing: {', '.join(missing)}"))
        raise_if_any(found)
        return self


class JournalSettings(FrozenModel):
    """Where the decision journal (SQLite, WAL) lives."""

    path: str = Field(
        min_length=1,
        description="Journal database file of a run, relative to the run folder (--run-dir); "
        "an absolute path puts every run's journal in that one file.",
    )

    def in_run_dir(self, run_dir: Path) -> Path:
        """The journal file of a run whose folder is `run_dir`."""
        return run_dir / self.path  # an absolute `path` replaces run_dir


class RiskConfig(FrozenModel):
    """risk.yaml: network, limits, kill switch, escalation, dead man's switch, journal."""

    # The one default kept in the schema besides the YAML's: a safety net (mainnet is
    # never a default, even for a risk.yaml that lost its `network` key).
    network: Annotated[Network, Strict(False)] = Field(
        default=Network.TESTNET, description="testnet or mainnet; testnet unless set."
    )
    limits: RiskLimits = Field(description="Hard limits.")
    kill_switch: KillSwitchThresholds = Field(description="Halt conditions.")
    stage_errors: StageErrorThresholds = Field(description="Stage-error escalation.")
    dead_mans_switch: DeadMansSwitchConfig = Field(description="Dead man's switch.")
    execution: ExecutionTimeouts = Field(description="Order timeouts and transport.")
    journal: JournalSettings = Field(description="Decision journal.")
    recovery: RecoveryPolicyConfig = Field(
        description="Which degradations recover by themselves after a short outage.")
