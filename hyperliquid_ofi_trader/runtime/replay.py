"""Replay recorded frames through the same codec and engine as a live run.

The driver is the only loop: for each recorded frame it moves the `ReplayClock` to the
frame's receive time, fires the timers that became due, decodes the frame and hands every
event to `Engine.on_event`. Nothing here sleeps, and nothing reads the wall clock (the
caller may pass a stopwatch to measure throughput).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from hyperliquid_ofi_trader.config.models import AppConfig
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.core.engine import Engine
from hyperliquid_ofi_trader.core.journal import Journal
from hyperliquid_ofi_trader.core.timers import PeriodicTimers
from hyperliquid_ofi_trader.core.venue_feed import VenueFeed
from hyperliquid_ofi_trader.data.coin_scan import require_traded_coins
from hyperliquid_ofi_trader.data.replay_sources import (
    Frame,
    ReadStats,
    ReplaySource,
    iter_frames,
)
from hyperliquid_ofi_trader.runtime.assembly import build_engine
from hyperliquid_ofi_trader.venues.hyperliquid.feed import HyperliquidFeed

JOURNAL_FLUSH_PERIOD_NS = 1_000_000_000
STATUS_PERIOD_NS = 1_000_000_000


@dataclass(slots=True)
class ReplayResult:
    """What a replay did, for the summary printer and `--json`."""

    source: str
    journal: str
    frames: int = 0
    events: int = 0
    first_local_ns: int = 0
    last_local_ns: int = 0
    wall_s: float = 0.0
    read: dict[str, Any] = field(default_factory=dict)
    codec_rejections: dict[str, int] = field(default_factory=dict)
    engine: dict[str, Any] = field(default_factory=dict)

    @property
    def frames_per_s(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        span_s = (self.last_local_ns - self.first_local_ns) / 1e9 if self.frames else 0.0
        return {"source": self.source, "journal": self.journal, "frames": self.frames,
                "events": self.events, "recorded_span_s": span_s, "wall_s": self.wall_s,
                "frames_per_s": self.frames_per_s, "read": self.read,
                "codec_rejections": self.codec_rejections, "engine": self.engine}


class ReplayDriver:
    """Pumps frames into one engine with a replay clock and periodic timers."""

    __slots__ = ("clock", "engine", "events", "first_local_ns", "frames", "timers", "venue_feed")

    def __init__(self, engine: Engine, clock: ReplayClock, feed: VenueFeed) -> None:
        self.engine, self.clock, self.venue_feed = engine, clock, feed
        self.timers = PeriodicTimers({"journal_flush": JOURNAL_FLUSH_PERIOD_NS,
                                      "status": STATUS_PERIOD_NS})
        self.frames = 0
        self.events = 0
        self.first_local_ns = 0

    def feed(self, local_ns: int, raw: bytes | str) -> None:
        if not self.frames:
            self.first_local_ns = local_ns
        self.clock.advance_to(local_ns)
        on_event = self.engine.on_event
        for timer in self.timers.due(self.clock.now_ns()):
            on_event(timer)
        events = self.venue_feed.decode(raw, local_ns)
        for event in events:
            on_event(event)
        self.frames += 1
        self.events += len(events)

    def run(self, frames: Iterable[Frame], limit: int | None = None,
            on_progress: Callable[[int], None] | None = None) -> None:
        for local_ns, raw in frames:
            if limit is not None and self.frames >= limit:
                break
            self.feed(local_ns, raw)
            if on_progress is not None and self.frames % 1000 == 0:
                on_progress(self.frames)


def replay(cfg: AppConfig, source: ReplaySource, journal_path: Path, *, limit: int | None = None,
           on_progress: Callable[[int], None] | None = None,
           stopwatch: Callable[[], float] | None = None) -> ReplayResult:
    """Replay `source` (a recording file or folder) into a fresh journal at `journal_path`.

    `stopwatch` (e.g. `time.perf_counter`, passed in by the CLI or a benchmark) measures the
    wall time of the run for the throughput figure; the replay itself never reads a clock.
    """
    stats = ReadStats()
    frames = iter_frames(source, stats)  # raises early for a missing or unknown source
    frames = require_traded_coins(frames, cfg.symbols.traded)  # before the journal exists
    clock = ReplayClock()
    result = ReplayResult(source=str(source), journal=str(journal_path))
    with Journal(journal_path) as journal:
        engine, _ = build_engine(cfg, clock, journal)
        driver = ReplayDriver(engine, clock, HyperliquidFeed(cfg.symbols.coins))
        started = stopwatch() if stopwatch is not None else 0.0
        driver.run(frames, limit, on_progress)
        engine.flush()
        result.wall_s = stopwatch() - started if stopwatch is not None else 0.0
        result.frames, result.events = driver.frames, driver.events
        result.first_local_ns, result.last_local_ns = driver.first_local_ns, clock.now_ns()
        result.read = dataclasses.asdict(stats)
        result.codec_rejections = dict(driver.venue_feed.rejections)
        result.engine = _snapshot_dict(engine)
    return result


def _snapshot_dict(engine: Engine) -> dict[str, Any]:
    snapshot: dict[str, Any] = msgspec.to_builtins(engine.snapshot())
    return snapshot
