"""What a run saw, written beside its journal as `run.json`, so a report made later can say
which market and scenario it was (and SYNTHETIC when it was), not just which file.

Written by `hlofi run` / `hlofi paper` at start and by a backtest before its report;
read by the report. A missing or unreadable file means "not known", never an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import orjson

RUN_CONTEXT: Final = "run.json"
# `hlofi sim record` writes this beside a synthetic recording's frames (scenario, seed).
RECORDING_META: Final = "recording.json"


def write_run_context(run_dir: Path, context: dict[str, Any]) -> Path:
    path = Path(run_dir) / RUN_CONTEXT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(context, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    return path


def read_run_context(journal_or_dir: Path) -> dict[str, Any] | None:
    """The context of the run whose journal (or folder) this is; None when unknown."""
    path = Path(journal_or_dir)
    folder = path if path.is_dir() else path.parent
    return _read_json(folder / RUN_CONTEXT)


def live_context(kind: str, venue: str, market: str) -> dict[str, Any]:
    """A live, paper or emulator run: the venue and the market note shown on screen."""
    return {"kind": kind, "venue": venue, "market": market,
            "synthetic": "synthetic" in market.lower()}


def recording_context(source: Path) -> dict[str, Any]:
    """A backtest or replay of a recording; synthetic when its recording.json says so."""
    path = Path(source)
    meta = _read_json((path if path.is_dir() else path.parent) / RECORDING_META) or {}
    synthetic = bool(meta.get("synthetic"))
    market = f"recording {path}"
    if synthetic:
        market = (f"SYNTHETIC (scenario {meta.get('scenario', '?')}, seed "
                  f"{meta.get('seed', '?')}): {market}")
    return {"kind": "backtest", "market": market, "synthetic": synthetic,
            "scenario": meta.get("scenario"), "seed": meta.get("seed"), "source": str(path)}


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None
