"""Where the benches and the tests find the shared recorded data (../shared/data, see its
README).

The data sit beside the main checkout; a git worktree nested deeper (e.g. wt/<branch>) finds
them further up, and HLOFI_SHARED_DATA names the folder outright. Read in place, never copied.
"""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def _shared_data() -> Path:
    named = os.environ.get("HLOFI_SHARED_DATA")
    if named:
        return Path(named)
    found = (up / "shared" / "data" for up in _ROOT.parents if (up / "shared" / "data").is_dir())
    return next(found, _ROOT.parent / "shared" / "data")


SHARED_DATA = _shared_data()
HYPERLIQUID_DATA = SHARED_DATA / "hyperliquid"
ARCHIVE_HOUR = HYPERLIQUID_DATA / "archive_l2Book_BTC_20240101_12.lz4"
"""The real BTC archive hour (2024-01-01 12 UTC) most benches replay."""
