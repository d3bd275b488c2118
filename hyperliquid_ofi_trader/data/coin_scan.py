"""Does a recording hold the coins a configuration trades? Asked before a backtest or a
replay starts, so a run over the wrong data stops at once with a useful message instead of
halting silently on a stale feed after an hour of nothing.

Only the head of the recording is read (the first `HEAD_SPAN_NS` of receive time or
`HEAD_FRAMES` frames, whichever ends first) and given back in front of the rest, so
nothing is read twice and nothing is lost. Coins are found with a byte search for the
`"coin"` field: no JSON decoding of frames the engine will decode anyway.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml

from hyperliquid_ofi_trader.data.replay_sources import Frame, ReplaySourceError

# The repository's example configurations (an editable install or a checkout), looked at
# when the working directory has no configs/ of its own.
_REPO_CONFIGS = Path(__file__).resolve().parents[2] / "configs"
HEAD_SPAN_NS = 60 * 1_000_000_000
HEAD_FRAMES = 5_000
_COIN = re.compile(rb'"coin"\s*:\s*"([^"\\]{1,40})"')


class MissingCoinError(ReplaySourceError):
    """The recording lacks a coin the configuration trades (the user's data or config)."""


def scan_head(frames: Iterator[Frame]) -> tuple[frozenset[str], int, Iterator[Frame]]:
    """Coins seen in the head, frames scanned, and every frame (head put back in front)."""
    head: list[Frame] = []
    coins: set[str] = set()
    first_ns: int | None = None
    for frame in frames:
        head.append(frame)
        first_ns = frame[0] if first_ns is None else first_ns
        coins.update(m.decode("utf-8", "replace") for m in _COIN.findall(frame[1]))
        if len(head) >= HEAD_FRAMES or frame[0] - first_ns >= HEAD_SPAN_NS:
            break
    return frozenset(coins), len(head), itertools.chain(head, frames)


def require_traded_coins(frames: Iterator[Frame], traded: Iterable[str],
                         configs_dir: Path = Path("configs")) -> Iterator[Frame]:
    """The frames, unchanged, when the head holds every traded coin; else MissingCoinError
    naming the coins found and a configuration that trades them."""
    found, scanned, frames = scan_head(frames)
    check_traded_coins(found, scanned, traded, configs_dir)
    return frames


def check_traded_coins(found: frozenset[str], scanned: int, traded: Iterable[str],
                       configs_dir: Path = Path("configs")) -> None:
    """MissingCoinError when a traded coin is not among those `scan_head` found in the
    first `scanned` frames."""
    missing = sorted(set(traded) - found)
    if not missing:
        return
    held = ", ".join(sorted(found)) or "no coin at all"
    raise MissingCoinError(
        f"the recording holds {held} (first {scanned:,} frames read) but the configuration "
        f"trades {', '.join(sorted(traded))}: no data for {', '.join(missing)}. "
        + _suggestion(found, configs_dir))


def _suggestion(found: frozenset[str], configs_dir: Path) -> str:
    folders = _config_folders(configs_dir) or _config_folders(_REPO_CONFIGS)
    fitting = [d for d, coins in folders if coins and coins <= found]
    if fitting:
        return ("Use a configuration for these coins: "
                + " or ".join(f"--config {d}" for d in fitting) + ".")
    if not found:
        return "Is this a market-data recording (l2Book / bbo / trades frames)?"
    return ("Use a config folder whose symbols.yaml lists under `traded` only coins the "
            f"recording holds (e.g. {sorted(found)[0]}).")


def _config_folders(configs_dir: Path) -> list[tuple[Path, frozenset[str]]]:
    out: list[tuple[Path, frozenset[str]]] = []
    for symbols in sorted(configs_dir.glob("*/symbols.yaml")):
        try:
            traded = (yaml.safe_load(symbols.read_text()) or {}).get("traded")
        except (OSError, yaml.YAMLError, AttributeError):
            continue  # an unreadable example is no suggestion; never a failure here
        if isinstance(traded, list) and all(isinstance(c, str) for c in traded):
            out.append((symbols.parent, frozenset(traded)))
    return out
