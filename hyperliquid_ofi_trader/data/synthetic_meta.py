"""The metadata file of a synthetic recording: what made it, so no output mistakes it for
market data.

`hlofi sim record` writes `recording.json` beside its frame files:
`{"synthetic": true, "scenario": NAME, "seed": N, "duration_s": S, ...}`. Readers of a
recording (backtest, research) call `synthetic_label(path)`: for a folder holding that file
(or a file inside such a folder) it returns "SYNTHETIC (scenario X, seed N)", else None.
The replay readers skip the file (`data/replay_sources.py`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import orjson

METADATA_NAME: Final = "recording.json"


def write_metadata(out_dir: Path, meta: dict[str, Any]) -> Path:
    path = Path(out_dir) / METADATA_NAME
    path.write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    return path


def read_metadata(path: Path) -> dict[str, Any] | None:
    """The metadata of the recording at `path` (a folder or a file in it); None when there
    is none or it is unreadable (then the data is treated as not known to be synthetic)."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    try:
        meta = orjson.loads((folder / METADATA_NAME).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return meta if isinstance(meta, dict) else None


def synthetic_label(path: Path) -> str | None:
    """"SYNTHETIC (scenario X, seed N)" for a synthetic recording, None otherwise."""
    meta = read_metadata(path)
    if meta is None or not meta.get("synthetic"):
        return None
    return f"SYNTHETIC (scenario {meta.get('scenario', '?')}, seed {meta.get('seed', '?')})"
