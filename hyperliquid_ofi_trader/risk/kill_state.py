"""The seed's `KillSwitch().check(state) -> bool`: the kill switch's triggers judged on a
state instead of the event stream.

`state` is either the engine's `EngineSnapshot`, or a plain mapping of trigger inputs (all
optional; an absent input cannot fire its trigger):

    feed_lag_ms     float   how late market data arrives (local - exchange time), now
    order_rtt_ms    float   the latest order/cancel round trip, or how long one has waited
    depth           float   a traded coin's book depth now (coin units, best levels)
    avg_depth       float   its recent average (depth_vanish compares the two)
    slippage_bps    list    our recent fills' slippage in bps against our side, oldest first
    feed_age_ms     float   time since the last market event
    daily_pnl_usd   float   today's PnL (a loss is negative)
    operator_kill   bool    an operator asked for a halt

or, named as risk.yaml names the limits they are compared with:

    consecutive_slippage_fills  int    fills in a row worse than slippage_bps, counted
    depth_vanish_fraction       float  how much of its average the depth has lost (0.9)
    daily_loss_usd              float  today's loss as a positive number

Each input is compared with the same threshold (risk.yaml `kill_switch`) and gives the same
trigger code as on the event path. An input that is not a finite number fires its trigger
(a safety check that cannot read its input must not say "all clear"); an unknown key is a
`ValueError` naming the known ones (a misspelled trigger would otherwise never fire).

From an `EngineSnapshot`: a HALTED engine is killed already; unhealthy feeds are
`stale_feed`; a traded coin whose median feed latency exceeds the limit is `feed_lag`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

from hyperliquid_ofi_trader.core.state import EngineSnapshot, TradingState

if TYPE_CHECKING:  # the limits it carries, converted from risk.yaml `kill_switch`
    from hyperliquid_ofi_trader.risk.kill_switch import KillSwitch

_NS_PER_MS: Final = 1_000_000
HALTED_ALREADY: Final = "halted"  # not a trigger: the snapshot's engine is halted already
INPUT_KEYS: Final = ("feed_lag_ms", "order_rtt_ms", "depth", "avg_depth", "slippage_bps",
                     "feed_age_ms", "daily_pnl_usd", "operator_kill",
                     "consecutive_slippage_fills", "depth_vanish_fraction", "daily_loss_usd")

# (code, detail) of the first trigger that fires; None when none does.
Verdict = tuple[str, str] | None
KillState = EngineSnapshot | Mapping[str, object]


def judge(state: KillState, s: KillSwitch) -> Verdict:
    """The trigger `state` fires under the limits `s`, if any (see the module docstring)."""
    if isinstance(state, EngineSnapshot):
        return _judge_snapshot(state, s)
    if not isinstance(state, Mapping):
        raise TypeError(f"kill switch state must be an EngineSnapshot or a mapping of "
                        f"{', '.join(INPUT_KEYS)}; got {type(state).__name__}")
    unknown = sorted(str(k) for k in state if k not in INPUT_KEYS)
    if unknown:
        raise ValueError(f"unknown kill switch input(s) {unknown}; known: "
                         f"{', '.join(INPUT_KEYS)}")
    return (_operator(state) or _feed_lag(state, s) or _rtt(state, s) or _depth(state, s)
            or _slippage(state, s) or _stale(state, s) or _daily_loss(state, s)
            or _as_configured(state, s))


def _at_least(state: Mapping[str, object], key: str, limit: float, code: str) -> Verdict:
    value = _number(state, key)
    if value is None:
        return None
    if math.isnan(value):
        return code, _unreadable(key, state)
    return (code, f"{key} {value:g} >= {limit:g}") if value >= limit else None


def _as_configured(state: Mapping[str, object], s: KillSwitch) -> Verdict:
    """The inputs named after their risk.yaml limit: a value at or over it fires."""
    return (_at_least(state, "consecutive_slippage_fills", s.consecutive_slippage_fills,
                      "consecutive_slippage")
            or _at_least(state, "depth_vanish_fraction", s.depth_vanish_fraction,
                         "depth_vanish")
            or _at_least(state, "daily_loss_usd", s.daily_loss_usd, "daily_loss"))


def _number(state: Mapping[str, object], key: str) -> float | None:
    """The input as a float; None when absent; NaN when it is not a finite number."""
    if key not in state:
        return None
    value = state[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    return float(value) if math.isfinite(value) else math.nan


def _unreadable(key: str, state: Mapping[str, object]) -> str:
    return f"{key} is not a finite number ({state[key]!r})"


def _over(state: Mapping[str, object], key: str, limit: float, code: str,
          what: str) -> Verdict:
    value = _number(state, key)
    if value is None:
        return None
    if math.isnan(value):
        return code, _unreadable(key, state)
    if value > limit:
        return code, f"{what} {value:g} ms > {limit:g} ms"
    return None


def _operator(state: Mapping[str, object]) -> Verdict:
    return ("operator_kill", "operator requested a halt") if state.get("operator_kill") else None


def _feed_lag(state: Mapping[str, object], s: KillSwitch) -> Verdict:
    return _over(state, "feed_lag_ms", s.max_feed_lag_ns / _NS_PER_MS, "feed_lag", "feed lag")


def _rtt(state: Mapping[str, object], s: KillSwitch) -> Verdict:
    return _over(state, "order_rtt_ms", s.max_order_rtt_ns / _NS_PER_MS, "order_rtt",
                 "order round trip")


def _stale(state: Mapping[str, object], s: KillSwitch) -> Verdict:
    return _over(state, "feed_age_ms", s.stale_feed_ns / _NS_PER_MS, "stale_feed",
                 "no market event for")


def _depth(state: Mapping[str, object], s: KillSwitch) -> Verdict:
    depth, avg = _number(state, "depth"), _number(state, "avg_depth")
    if depth is None or avg is None:
        return None
    if math.isnan(depth) or math.isnan(avg):
        key = "depth" if math.isnan(depth) else "avg_depth"
        return "depth_vanish", _unreadable(key, state)
    floor = (1.0 - s.depth_vanish_fraction) * avg
    if depth < floor:
        return "depth_vanish", (f"depth {depth:.4g} < {floor:.4g} "
                                f"({1 - s.depth_vanish_fraction:.0%} of avg {avg:.4g})")
    return None


def _slippage(state: Mapping[str, object], s: KillSwitch) -> Verdict:
    if "slippage_bps" not in state:
        return None
    values = state["slippage_bps"]
    if not isinstance(values, Sequence) or isinstance(values, (str, bytes)):
        return "consecutive_slippage", _unreadable("slippage_bps", state)
    run = 0
    for bps in reversed(values):
        if isinstance(bps, bool) or not isinstance(bps, (int, float)) or math.isnan(bps):
            return "consecutive_slippage", _unreadable("slippage_bps", state)
        if bps <= s.slippage_bps:
            break
        run += 1
    if run >= s.consecutive_slippage_fills:
        return "consecutive_slippage", (f"{run} fills in a row worse than "
                                        f"{s.slippage_bps:g} bps")
    return None


def _daily_loss(state: Mapping[str, object], s: KillSwitch) -> Verdict:
    pnl = _number(state, "daily_pnl_usd")
    if pnl is None:
        return None
    if math.isnan(pnl):
        return "daily_loss", _unreadable("daily_pnl_usd", state)
    if -pnl >= s.daily_loss_usd:
        return "daily_loss", f"down ${-pnl:.2f} today >= ${s.daily_loss_usd:g}"
    return None


def _judge_snapshot(snap: EngineSnapshot, s: KillSwitch) -> Verdict:
    if snap.trading_state is TradingState.HALTED:
        return HALTED_ALREADY, f"the engine is halted ({snap.state_cause or 'no cause recorded'})"
    if snap.feeds_unhealthy:
        return "stale_feed", f"unhealthy feeds: {', '.join(snap.feeds_unhealthy)}"
    limit_ms = s.max_feed_lag_ns / _NS_PER_MS
    for coin in s.coins:
        p50 = snap.latency_ms.get(coin, {}).get("p50", math.nan)
        if p50 > limit_ms:  # NaN (no samples yet) never fires: nothing was late
            return "feed_lag", f"{coin} median feed lag {p50:g} ms > {limit_ms:g} ms"
    return None
