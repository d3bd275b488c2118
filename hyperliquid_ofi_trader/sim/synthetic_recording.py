"""Write a SYNTHETIC recording offline: a scenario's seeded market, block by block, as the
raw frames our recorder would have written had it listened to the emulator.

Nothing waits on a clock: a 15-minute recording takes about a second. The frames are the
venue's exact wire shapes (`sim/wire_encode.py`), written by the production
`FrameRecorder`, so `hlofi backtest`, `replay` and `research` read them like any recording.

Receive times. A recording's receive time is what the backtest's default ("recorded") feed
mode hands the engine, so it must carry a feed delay, or the backtest would see the venue
with zero latency. Each block's frames arrive together, `feed` later (default: the
backtest's own modelled feed delay, `sim/latency.py` DEFAULT_FEED), drawn from a
stream seeded by the recording's seed; receive times never go backwards (a slow block holds
the next one up, as one TCP stream does).

`recording.json` beside the frames says what made them (scenario, seed, settings), so that
every output on the data can say it is synthetic (`data/synthetic_meta.py`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from hyperliquid_ofi_trader.data.recording import FrameRecorder
from hyperliquid_ofi_trader.data.synthetic_meta import write_metadata
from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.sim.latency import DEFAULT_FEED, Distribution
from hyperliquid_ofi_trader.sim.scenarios import describe, settings_for
from hyperliquid_ofi_trader.sim.synthetic import SyntheticMarket
from hyperliquid_ofi_trader.sim.wire_encode import encode_market_event

_NS: Final = 1_000_000_000
_DRAW_BLOCK: Final = 4096
_FLUSH_EVERY: Final = 4096  # nobody reads the file while it is written: batch compression
_FEED_STREAM: Final = 0x5EED  # feed delays get their own stream, apart from the market's


class SyntheticRecordingError(OurBugError):
    """The recording cannot be written as asked (bad duration, output not empty)."""


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    out_dir: Path
    scenario: str
    seed: int
    duration_s: float
    frames: int
    blocks: int
    label: str


def record_scenario(scenario: str, seed: int, duration_s: float, out_dir: Path, *,
                    feed: Distribution = DEFAULT_FEED) -> RecordingInfo:
    """Write `duration_s` of scenario `scenario` (seed `seed`) into `out_dir`.

    Raises `SyntheticRecordingError` for a non-positive duration or an `out_dir` that
    already holds files, `SyntheticConfigError` for an unknown scenario.
    """
    if not duration_s > 0.0:
        raise SyntheticRecordingError(f"duration must be positive, got {duration_s!r} s")
    settings = settings_for(scenario)
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise SyntheticRecordingError(f"{out_dir} is not empty: choose a new folder")
    market = SyntheticMarket(settings, seed)
    end_ns = settings.start_ns + round(duration_s * _NS)
    delays = _Delays(feed, seed)
    frames = 0
    last_local = 0
    with FrameRecorder(out_dir, flush_every=_FLUSH_EVERY) as recorder:
        while True:
            events = market.next_block()
            if market.now_ns > end_ns:
                break
            local = max(last_local, market.now_ns + delays.next())
            last_local = local
            for ev in events:
                recorder.write(encode_market_event(ev), local)
                frames += 1
    write_metadata(out_dir, _metadata(scenario, seed, duration_s, feed, settings))
    return RecordingInfo(out_dir, scenario, seed, duration_s, frames, market.blocks - 1,
                         describe(scenario, seed))


class _Delays:
    """Seeded feed delays in ns, drawn in blocks."""

    def __init__(self, feed: Distribution, seed: int) -> None:
        self._feed = feed
        self._rng = np.random.default_rng([_FEED_STREAM, seed])
        self._buf: list[int] = []

    def next(self) -> int:
        if not self._buf:
            self._buf = self._feed.draw(self._rng, _DRAW_BLOCK).tolist()[::-1]
        return int(self._buf.pop())


def _metadata(scenario: str, seed: int, duration_s: float, feed: Distribution,
              settings: Any) -> dict[str, Any]:
    return {
        "synthetic": True,
        "note": "SYNTHETIC market data from a seeded model, NOT market data: nothing "
                "measured on it says anything about a real market",
        "generator": "hlofi sim record",
        "scenario": scenario,
        "seed": seed,
        "duration_s": duration_s,
        "start_ns": settings.start_ns,
        "feed_latency": feed.describe(),
        "settings": dataclasses.asdict(settings),
    }
