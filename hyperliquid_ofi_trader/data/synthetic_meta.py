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
from typing import TYPE_CHECKING, Any, Final

import orjson

if TYPE_CHECKING:
    from hyperliquid_ofi_trader.catalog.query import CatalogQuery

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


def synthetic_label(path: Path | CatalogQuery) -> str | None:
    """"SYNTHETIC (scenario X, seed N)" for a synthetic recording, None otherwise. A catalog
    selection says so from its manifest (every label, when synthetic and real data mix)."""
    if not isinstance(path, str | Path):
        return _catalog_label(path)
    meta = read_metadata(path)
    if meta is None or not meta.get("synthetic"):
        return None
    return f"SYNTHETIC (scenario {meta.get('scenario', '?')}, seed {meta.get('seed', '?')})"


def _catalog_label(query: CatalogQuery) -> str | None:
    # Lazy: reading a catalog loads pyarrow, which plain recordings never need.
    from hyperliquid_ofi_trader.catalog.reader import selection_labels
    from hyperliquid_ofi_trader.data.replay_sources import ReplaySourceError

    try:
        labels = selection_labels(query)
    except ReplaySourceError:
        return None
    return "; ".join(labels) if any(lb.startswith("SYNTHETIC") for lb in labels) else None
