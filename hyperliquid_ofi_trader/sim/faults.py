"""Fault injection for the emulator server: the ways the real venue and networks misbehave.

Each fault is state in one place (`FaultInjector`), switched on by the control endpoint
(`POST /_control`) or by `hlofi sim-exchange --fault ...`, and consulted by the server at
the points where the fault bites. Every random choice comes from a `random.Random` seeded
from the injector's seed (one generator per fault kind, so enabling one fault never shifts
another's draws): a failing run can be replayed exactly.

Faults (names as the control endpoint spells them):
- `drop_connections`: cut every WebSocket now (an action, not a state; the server does it).
- `silence` {seconds}: publish nothing (market data and private pushes) while sockets stay
  open and pings, acks and post answers keep flowing: the "stale but connected" stream.
- `vanish_book` {seconds, levels=1}: publish books cut to `levels` per side.
- `refuse_connections` {seconds}: WebSocket handshakes get HTTP 503.
- `delay_acks` {delay_s, probability=1, count?, seconds?}: hold post answers and HTTP
  /exchange answers back (the action itself takes effect at once).
- `drop_acks` {probability=1, count?, seconds?}: never answer (post: no frame; HTTP: the
  connection is cut after the action took effect): the lost-acknowledgement case.
- `rate_limit` {probability=1, count?, seconds?, kind="address"|"ip"}: refuse actions with
  the venue's rate-limit answer instead of executing them (address: `status: err` with
  the cumulative-requests text; ip: HTTP 429, and on a WebSocket post an error payload
  mirroring it, "429 Too Many Requests").
- `server_error` {probability=1, count?, seconds?, status=500, applied="yes"|"no",
  shape="status"|"garbled"}: answer actions with a server error, after executing them
  (`applied=yes`, the default: the dangerous case) or not. HTTP gets the status; a post
  gets an error payload mirroring it ("502 Bad Gateway"), or with `shape=garbled` one no
  client can read (a JSON object instead of a text). The outcome is unknown to the client.
- `duplicate_frames` / `reorder_frames` {probability, count?, seconds?}: a data frame is
  sent twice, or held back and sent after the next one.
- `poison_time` {probability, count?, seconds?}: a published market-data frame (bbo,
  l2Book) carries `"time": 9300000000000` (a time ~300 years away; it once crashed SQLite).
- `poison_tid` {probability, count?, seconds?}: with a published market-data frame, every
  `userFills` subscriber also gets a fill whose `"tid"` is 2**63 (above SQLite's INTEGER),
  for an oid it never placed.
- `clear`: every fault off. `status`: report only.

`count` bounds how many times a fault fires ("for the next N"), `seconds` how long it stays
armed; with neither it stays armed until cleared.

`HLOFI_SIM_FAULTS` (see `faults_from_env`) arms faults in an emulator a command starts for
itself (`hlofi run --venue sim`), so a whole CLI run can be tested under faults.
"""

from __future__ import annotations

import enum
import math
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from hyperliquid_ofi_trader.core.clock import Clock
from hyperliquid_ofi_trader.errors import OurBugError

_NS: Final = 1_000_000_000


class FaultError(OurBugError, ValueError):
    """A fault command the operator (or test) got wrong: unknown fault, bad parameter."""


class AckFate(enum.Enum):
    DELIVER = "deliver"
    DELAY = "delay"
    DROP = "drop"


class FrameFate(enum.Enum):
    NORMAL = "normal"
    DUPLICATE = "duplicate"
    HOLD = "hold"  # reorder: send after the next frame


@dataclass(slots=True)
class FaultTrigger:
    """A fault that fires with `probability`, at most `remaining` times, until `until_ns`."""

    probability: float
    remaining: int | None
    until_ns: int | None

    def armed(self, now_ns: int) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        return self.until_ns is None or now_ns < self.until_ns

    def fires(self, rng: random.Random, now_ns: int) -> bool:
        if not self.armed(now_ns):
            return False
        # Draw even at probability 1 so the sequence of draws does not depend on p.
        if rng.random() >= self.probability:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True

    def describe(self) -> dict[str, Any]:
        return {"probability": self.probability, "remaining": self.remaining,
                "until_ns": self.until_ns}


_TRIGGERED: Final = ("delay_acks", "drop_acks", "rate_limit", "server_error",
                     "duplicate_frames", "reorder_frames", "poison_time", "poison_tid")
_WINDOWED: Final = ("silence", "vanish_book", "refuse_connections")
_ACTIONS: Final = ("drop_connections", "clear", "status")
FAULT_NAMES: Final = _TRIGGERED + _WINDOWED + _ACTIONS
_TRIGGER_KEYS: Final = frozenset({"probability", "count", "seconds"})
_EXTRA_KEYS: Final[Mapping[str, frozenset[str]]] = {
    "delay_acks": frozenset({"delay_s"}), "rate_limit": frozenset({"kind"}),
    "vanish_book": frozenset({"levels"}),
    "server_error": frozenset({"status", "applied", "shape"}),
}
ENV_FAULTS: Final = "HLOFI_SIM_FAULTS"
POISON_TIME_MS: Final = 9_300_000_000_000  # year ~2264: far from any receive time
POISON_TID: Final = 2**63  # one above SQLite's largest INTEGER
POISONABLE_CHANNELS: Final = frozenset({"bbo", "l2Book"})


@dataclass(frozen=True, slots=True)
class ServerErrorFate:
    """What an armed `server_error` does to the action it fires on."""

    status: int  # 500..599
    applied: bool  # the action takes effect before the error answer
    garbled: bool  # the post error payload is unreadable (not a status text)


class FaultInjector:
    """All armed faults of one emulator server; deterministic for a given seed."""

    def __init__(self, seed: int, clock: Clock) -> None:
        self.seed = seed
        self._clock = clock
        self._rngs = {name: random.Random(f"{seed}:{name}") for name in _TRIGGERED}
        self._triggers: dict[str, FaultTrigger] = {}
        self._windows: dict[str, int] = {}  # name -> until_ns
        self.ack_delay_s = 0.0
        self.rate_limit_kind = "address"
        self.server_error = ServerErrorFate(500, applied=True, garbled=False)
        self.book_levels = 1
        self.fired: dict[str, int] = dict.fromkeys(_TRIGGERED, 0)

    # ------------------------------------------------------------ queries (hot-ish path)

    def silent(self, now_ns: int) -> bool:
        return self._window_open("silence", now_ns)

    def book_vanished(self, now_ns: int) -> bool:
        return self._window_open("vanish_book", now_ns)

    def refusing(self, now_ns: int) -> bool:
        return self._window_open("refuse_connections", now_ns)

    def ack_fate(self, now_ns: int) -> AckFate:
        """What happens to the next acknowledgement. Drop wins over delay."""
        if self._fires("drop_acks", now_ns):
            return AckFate.DROP
        if self._fires("delay_acks", now_ns):
            return AckFate.DELAY
        return AckFate.DELIVER

    def rate_limited(self, now_ns: int) -> bool:
        return self._fires("rate_limit", now_ns)

    def server_error_fate(self, now_ns: int) -> ServerErrorFate | None:
        """The server error to answer this action with, or None (answer normally)."""
        return self.server_error if self._fires("server_error", now_ns) else None

    def frame_fate(self, now_ns: int) -> FrameFate:
        if not self._triggers:  # the common case: no fault armed, no draws
            return FrameFate.NORMAL
        if self._fires("duplicate_frames", now_ns):
            return FrameFate.DUPLICATE
        if self._fires("reorder_frames", now_ns):
            return FrameFate.HOLD
        return FrameFate.NORMAL

    def poison_armed(self) -> bool:
        """Cheap gate for the publish path: is any poison fault armed at all?"""
        triggers = self._triggers
        return bool(triggers) and ("poison_time" in triggers or "poison_tid" in triggers)

    def poisons_time(self, now_ns: int) -> bool:
        return self._fires("poison_time", now_ns)

    def poisons_tid(self, now_ns: int) -> bool:
        return self._fires("poison_tid", now_ns)

    def _fires(self, name: str, now_ns: int) -> bool:
        trigger = self._triggers.get(name)
        if trigger is None or not trigger.fires(self._rngs[name], now_ns):
            return False
        self.fired[name] += 1
        return True

    def _window_open(self, name: str, now_ns: int) -> bool:
        until = self._windows.get(name)
        return until is not None and now_ns < until

    # ------------------------------------------------------------ control

    def apply(self, command: Mapping[str, Any]) -> dict[str, Any]:
        """Arm, clear or report faults from a control command; returns the status.

        `drop_connections` is validated here but carried out by the server.
        Raises FaultError on a command the caller got wrong.
        """
        if not isinstance(command, Mapping):
            raise FaultError("a fault command is a JSON object such as {\"fault\": \"silence\"}")
        name = command.get("fault")
        if name not in FAULT_NAMES:
            raise FaultError(f"unknown fault {name!r}; known: {', '.join(FAULT_NAMES)}")
        params = {k: v for k, v in command.items() if k != "fault"}
        if name in _TRIGGERED:
            self._arm_trigger(name, params)
        elif name in _WINDOWED:
            self._arm_window(name, params)
        else:
            _check_keys(name, params, frozenset())
            if name == "clear":
                self.clear()
        return self.status()

    def clear(self) -> None:
        self._triggers.clear()
        self._windows.clear()

    def status(self) -> dict[str, Any]:
        now = self._clock.now_ns()
        armed: dict[str, Any] = {n: t.describe() for n, t in self._triggers.items()
                                 if t.armed(now)}
        armed.update({n: {"until_ns": u} for n, u in self._windows.items() if now < u})
        return {"seed": self.seed, "armed": armed, "fired": dict(self.fired)}

    def _arm_trigger(self, name: str, params: Mapping[str, Any]) -> None:
        _check_keys(name, params, _TRIGGER_KEYS | _EXTRA_KEYS.get(name, frozenset()))
        probability = _number(params, "probability", 1.0, 0.0, 1.0)
        count = params.get("count")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool)
                                  or count < 1):
            raise FaultError(f"{name}: count must be a positive integer, got {count!r}")
        seconds = params.get("seconds")
        until = None if seconds is None else self._until(name, params)
        if name == "delay_acks":
            self.ack_delay_s = _number(params, "delay_s", math.nan, 0.0, 3600.0)
        if name == "rate_limit":
            self.rate_limit_kind = _choice(params, "kind", ("address", "ip"))
        if name == "server_error":
            self.server_error = ServerErrorFate(
                int(_number(params, "status", 500.0, 500.0, 599.0)),
                applied=_choice(params, "applied", ("yes", "no")) == "yes",
                garbled=_choice(params, "shape", ("status", "garbled")) == "garbled")
        self._triggers[name] = FaultTrigger(probability, count, until)

    def _arm_window(self, name: str, params: Mapping[str, Any]) -> None:
        extra = _EXTRA_KEYS.get(name, frozenset())
        _check_keys(name, params, frozenset({"seconds"}) | extra)
        if "seconds" not in params:
            raise FaultError(f"{name}: 'seconds' is required")
        if name == "vanish_book":
            self.book_levels = int(_number(params, "levels", 1.0, 0.0, 20.0))
        self._windows[name] = self._until(name, params)

    def _until(self, name: str, params: Mapping[str, Any]) -> int:
        seconds = _number(params, "seconds", math.nan, 0.0, 86_400.0)
        return self._clock.now_ns() + int(seconds * _NS)


def poisoned_time_frame(frame: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a market-data frame whose `data.time` is the poisoned time."""
    data = dict(frame["data"])
    data["time"] = POISON_TIME_MS
    return {**frame, "data": data}


def poisoned_fill_frame(user: str, coin: str, now_ms: int) -> dict[str, Any]:
    """A `userFills` push for `user` with one well-formed fill whose tid SQLite cannot
    hold (the oid is one no client placed)."""
    fill = {"coin": coin, "px": "1.0", "sz": "0.01", "side": "B", "time": now_ms,
            "startPosition": "0.0", "dir": "Open Long", "closedPnl": "0.0",
            "hash": "0x" + "ab" * 32, "oid": 1, "crossed": True, "fee": "0.0",
            "tid": POISON_TID, "feeToken": "USDC"}
    return {"channel": "userFills", "data": {"user": user, "fills": [fill]}}


def _check_keys(name: str, params: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise FaultError(f"{name}: unknown parameter(s) {unknown}; allowed: {sorted(allowed)}")


def _number(params: Mapping[str, Any], key: str, default: float, lo: float,
            hi: float) -> float:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultError(f"{key} must be a number, got {value!r}")
    if math.isnan(value):
        raise FaultError(f"{key} is required")
    if not lo <= value <= hi:
        raise FaultError(f"{key} must be in [{lo:g}, {hi:g}], got {value!r}")
    return float(value)


def _choice(params: Mapping[str, Any], key: str, options: tuple[str, ...]) -> str:
    value = params.get(key, options[0])
    if value not in options:
        raise FaultError(f"{key} must be one of {list(options)}, got {value!r}")
    return str(value)


def parse_fault_flag(spec: str) -> dict[str, Any]:
    """`"drop_acks:probability=0.1,count=5"` → a control command (for CLI flags).

    Values parse as int, then float, else stay text. Raises FaultError on bad syntax.
    """
    name, _, rest = spec.partition(":")
    command: dict[str, Any] = {"fault": name.strip()}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise FaultError(f"bad fault parameter {item!r} in {spec!r} (want key=value)")
        command[key.strip()] = _parse_scalar(raw.strip())
    return command


def _parse_scalar(raw: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    return raw


def faults_from_env(environ: Mapping[str, str] | None = None) -> tuple[dict[str, Any], ...]:
    """Fault commands from `HLOFI_SIM_FAULTS`: flags as `--fault` spells them, separated by
    ";" (e.g. "rate_limit:kind=ip,probability=0.5;delay_acks:delay_s=0.2"). Raises
    FaultError on bad syntax; unknown faults are refused when armed."""
    spec = (os.environ if environ is None else environ).get(ENV_FAULTS, "")
    return tuple(parse_fault_flag(part) for part in spec.split(";") if part.strip())
