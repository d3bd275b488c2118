"""risk.yaml: network, hard limits, kill switch, escalation, dead man's switch, execution
timeouts, WebSocket transport, rate-limit budgets, journal."""

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
    """The order path's settings: the order manager's life-cycle timeouts, retries, cloids
    and memory bounds, and the gateway's transport (execution/order_records.py's
    OrderManagerSettings and the venue gateway's GatewaySettings are built from it)."""

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
    retry_base_ms: int = Field(
        gt=0, description="A refused cancel or an unanswered status query is tried again "
        "after this, doubling per attempt (ms).")
    max_backoff_exp: int = Field(
        ge=0, le=20, description="At most this many doublings of retry_base_ms.")
    max_query_failures: int = Field(
        ge=1, description="Failed status queries in a row before the order is cancelled by "
        "cloid instead (a cancel answers the question too).")
    cloid_prefix: str = Field(
        pattern=r"^[\x21-\x7e]{1,8}$",
        description="First 8 bytes of every cloid (1-8 ASCII characters, zero-padded); two "
        "processes trading one account need different prefixes.")
    cloid_block: int = Field(
        gt=0, description="Cloids reserved in the order store ahead of use, per write.")
    max_terminal_orders: int = Field(
        gt=0, description="Finished orders kept in memory; the oldest are forgotten first.")
    max_fill_keys: int = Field(
        gt=0, description="Fill ids kept (in memory and reloaded on restart) to drop a "
        "re-delivered fill.")
    drain_timeout_s: float = Field(
        ge=0, description="On stop: how long queued and in-flight sends may finish (s).")
    max_order_wait_ms: int = Field(
        gt=0, description="A place or modify held back this long by the rate budget is not "
        "sent (its decision is stale); capped at half of ack_timeout_ms and of the kill "
        "switch's max_order_rtt_ms (ms).")

    @property
    def cloid_prefix_bits(self) -> int:
        """The prefix as the cloid's high 64 bits: its ASCII bytes, zero-padded on the right."""
        return int.from_bytes(self.cloid_prefix.encode("ascii").ljust(8, b"\0"), "big")


class ReconnectBackoff(FrozenModel):
    """Reconnect pacing: full-jitter exponential backoff under a hard cap on new
    connections (data/backoff.py)."""

    base_s: float = Field(
        gt=0, description="Ceiling of the first retry delay (s); doubles per failed attempt.")
    max_s: float = Field(gt=0, description="Cap on the delay ceiling (s).")
    healthy_after_s: float = Field(
        ge=0, description="A connection that stayed up this long resets the backoff (s).")
    max_connects: int = Field(
        gt=0, description="New connections per window_s, whatever the backoff (venue: 30 "
        "per minute per IP).")
    window_s: float = Field(gt=0, description="Rolling window of max_connects (s).")

    @model_validator(mode="after")
    def _base_below_max(self) -> Self:
        if self.base_s > self.max_s:
            raise_if_any([Violation(((("base_s",), self.base_s), (("max_s",), self.max_s)),
                                    "base_s must be <= max_s")])
        return self


class WebSocketTransport(FrozenModel):
    """The WebSocket client's transport (venues/hyperliquid/websocket/client.py): dead
    socket detection, timeouts, the outgoing message budget and reconnect pacing."""

    silence_timeout_s: float = Field(
        gt=0, description="Nothing received (not even a pong) this long: the socket is dead "
        "although it looks open; reconnect (s).")
    tick_s: float = Field(
        gt=0, description="Period of the watchdog / heartbeat / ack-timeout timer (s).")
    ack_timeout_s: float = Field(
        gt=0, description="Report the session UP anyway (naming the unacked subscriptions) "
        "after this (s).")
    open_timeout_s: float = Field(
        gt=0, description="TCP + TLS + WebSocket handshake timeout (s).")
    close_timeout_s: float = Field(
        gt=0, description="Wait for the close handshake on stop (s).")
    max_messages: int = Field(
        gt=0, description="Messages sent on the socket per message_window_s, pings, "
        "subscriptions and posts (orders and info) included; the one budget of the socket "
        "(venue: 2000 per minute).")
    message_window_s: float = Field(gt=0, description="Rolling window of max_messages (s).")
    control_reserve: int = Field(
        ge=0, description="Of max_messages, kept for pings and subscriptions: posts stop "
        "this many messages short.")
    max_frame_bytes: int = Field(gt=0, description="Largest frame accepted (bytes).")
    reconnect: ReconnectBackoff = Field(description="Reconnect pacing.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        found: list[Violation] = []
        if self.silence_timeout_s <= self.tick_s:
            found.append(Violation(
                ((("silence_timeout_s",), self.silence_timeout_s), (("tick_s",), self.tick_s)),
                "silence_timeout_s must exceed tick_s"))
        if self.control_reserve >= self.max_messages:
            found.append(Violation(
                ((("control_reserve",), self.control_reserve),
                 (("max_messages",), self.max_messages)),
                "control_reserve must be below max_messages"))
        raise_if_any(found)
        return self


class RateLimitBudgets(FrozenModel):
    """The budgets the order path allows itself against the venue's rate limits
    (HYPERLIQUID.md section 6), with reserves carved out for cancels
    (venues/hyperliquid/common/rate_limits.py). The socket's message budget is the
    `websocket` section's (`max_messages`, `control_reserve`): the client counts every
    frame it sends there, posts and pings alike."""

    ip_weight_per_minute: int = Field(
        gt=0, description="Request weight per rolling window and IP (venue: 1200/min).")
    ip_cancel_reserve: int = Field(
        ge=0, description="Of that weight, kept for cancels: orders and queries stop short.")
    address_initial_requests: int = Field(
        gt=0, description="Requests an address starts with (venue: 10,000).")
    address_requests_per_usdc: float = Field(
        ge=0, description="Requests the address gains per USDC traded (venue: 1).")
    address_exhausted_interval_s: float = Field(
        gt=0, description="Once the address budget is spent: one request per this (s).")
    address_cancel_reserve: int = Field(
        ge=0, description="Orders stop this many requests short of the address cap.")
    max_in_flight_posts: int = Field(
        ge=1, le=100, description="WebSocket posts awaiting an answer at once (venue: 100).")
    window_s: float = Field(
        gt=0, description="The rolling window of the per-minute budgets (s; the venue's is "
        "60, shorter only in tests).")

    @model_validator(mode="after")
    def _reserves_below_their_budgets(self) -> Self:
        pairs = (("ip_cancel_reserve", "ip_weight_per_minute"),)
        raise_if_any([
            Violation((((reserve,), getattr(self, reserve)), ((budget,), getattr(self, budget))),
                      f"{reserve} must be below {budget}")
            for reserve, budget in pairs if getattr(self, reserve) >= getattr(self, budget)])
        return self


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
    websocket: WebSocketTransport = Field(description="The WebSocket transport.")
    rate_limits: RateLimitBudgets = Field(
        description="Client-side budgets against the venue's rate limits.")
    journal: JournalSettings = Field(description="Decision journal.")
    recovery: RecoveryPolicyConfig = Field(
        description="Which degradations recover by themselves after a short outage.")
