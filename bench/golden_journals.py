"""Journal digests of fixed golden runs: a restructuring must leave every one unchanged.

Issue 15 ("behaviour is unchanged") is checked by running this before and after a change
and comparing the printed digests (`--json` for a machine diff). Runs:
- replay of the real BTC archive hour and of the real WS capture (configs/btc-ofi);
- backtest of the real BTC archive hour (configs/btc-ofi, seed 1);
- backtest of a 10-minute SYNTHETIC `exploitable` recording (seed 7) with the packaged
  defaults, and with the eager cost config of tests/plumbing.py so that orders, fills,
  modifies and cancels flow through the whole order path.

The digest covers every journal table's rows (sorted by rowid), except columns that hold
wall-clock readings (`wall_*`, `*_wall_ns`, `latency_*`), which differ run to run.

Run: .venv/bin/python bench/golden_journals.py [--json] [--cache DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared_data import HYPERLIQUID_DATA  # noqa: E402

from hyperliquid_ofi_trader.backtest.runner import run_backtest  # noqa: E402
from hyperliquid_ofi_trader.config import load_config  # noqa: E402
from hyperliquid_ofi_trader.runtime.replay import replay  # noqa: E402
from hyperliquid_ofi_trader.sim.scenarios import settings_for  # noqa: E402
from hyperliquid_ofi_trader.sim.synthetic_recording import record_scenario  # noqa: E402

DATA = HYPERLIQUID_DATA
ARCHIVE = DATA / "archive_l2Book_BTC_20240101_12.lz4"
CAPTURE = DATA / "ws_capture_BTC_20250126.gz"
BTC_OFI = ROOT / "configs" / "btc-ofi"
_VOLATILE = ("wall", "latency", "elapsed", "perf")


def journal_digest(path: Path) -> str:
    """sha256 over every table's rows in rowid order, wall-clock columns left out."""
    digest = hashlib.sha256()
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        for table in tables:
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info('{table}')")]
            keep = [c for c in cols if not any(v in c.lower() for v in _VOLATILE)]
            if not keep:
                continue
            names = ", ".join(f'"{c}"' for c in keep)
            digest.update(f"{table}({names})".encode())
            for row in conn.execute(f'SELECT {names} FROM "{table}" ORDER BY rowid'):
                digest.update(repr(row).encode())
    finally:
        conn.close()
    return digest.hexdigest()


def _journal_file(out: Path) -> Path:
    found = sorted(out.rglob("*.sqlite"))
    if not found:
        raise SystemExit(f"no journal under {out}")
    return found[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "hlofi-golden")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    # Keyed by the scenario's settings: a changed scenario is recorded afresh, never reused.
    scenario_key = hashlib.sha256(repr(settings_for("exploitable")).encode()).hexdigest()[:10]
    rec = args.cache / f"exploitable-s7-600s-{scenario_key}"
    if not rec.exists():
        record_scenario("exploitable", 7, 600.0, rec)
    eager_dir = args.cache / "eager-config"
    eager_dir.mkdir(exist_ok=True)
    sys.path.insert(0, str(ROOT / "tests"))
    from plumbing import EAGER_COSTS_YAML  # type: ignore[import-not-found]
    (eager_dir / "thresholds.yaml").write_text(EAGER_COSTS_YAML)
    digests: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        for name, source in (("replay_archive", ARCHIVE), ("replay_capture", CAPTURE)):
            replay(load_config(BTC_OFI), source, t / f"{name}.sqlite")
            digests[name] = journal_digest(t / f"{name}.sqlite")
        runs = (("backtest_archive", BTC_OFI, ARCHIVE),
                ("backtest_exploitable_default", None, rec),
                ("backtest_exploitable_eager", eager_dir, rec))
        for name, config, data in runs:
            out = t / name
            result = run_backtest(load_config(config), data, out, 1)
            digests[name] = journal_digest(_journal_file(out))
            digests[name + "_runner_sha"] = result.journal_sha256
    if args.json:
        print(json.dumps(digests, indent=1, sort_keys=True))
    else:
        for name, value in digests.items():
            print(f"{name:36s} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
