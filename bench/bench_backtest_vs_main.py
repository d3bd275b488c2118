"""Backtest throughput of this checkout against baseline revisions, side by side, in one run.

Each baseline (default `52d2d2c`, main when the throughput issue was filed, and `5316ca9`,
main when the last round of speed work started) is checked out into a temporary `git
worktree`; every backtest runs in a fresh Python subprocess that imports the package from
ONE of the trees (never the editable install's), and the sides take turns in a rotating
order (A B C, B C A, ...) so that load on a shared machine hits all of them alike.

Inputs (the same files for both sides):
- a one-hour synthetic recording (`hlofi sim record --scenario realistic --seed 1
  --duration 3600`, recorded once with this checkout), default config;
- the real BTC archive hour (../shared/data) with `configs/btc-ofi` (each side its own copy).

The candidate decodes each recording once (data/decoded_cache.py) into a cache private to
this run: its first round builds the entry (marked "build"), later rounds read it.

Per input and side: frames/s over the run's wall time (what `hlofi backtest` reports) and
over its CPU time (steadier on a loaded machine), medians over the rounds, the candidate's
ratio to each baseline, and whether the journal hashes agree.

`--no-halt` adds the synthetic hour once more with every side's packaged config except the
kill switch's depth-vanish, loss and slippage triggers out of reach. Why: with its packaged
config `52d2d2c` halts about six minutes into this recording (depth_vanish) and never
resumes, so 120,728 of its 139,155 decisions are `halted` rows (no signals read, no alpha,
no route, 485-byte rows), while today's main stays ACTIVE and runs the whole pipeline for
every decision (2,426-byte rows). Kept active, the baseline does a decision's full work too,
which is what a speed comparison is about. Against `--baseline main`
they must (a speed change never changes a decision); against an older revision they
differ when the strategy or the order path changed since, and the ratio then also reflects
that the two runs did different work (e.g. more orders, each signed, sent, matched and
journaled).

Run: .venv/bin/python bench/bench_backtest_vs_main.py [--baseline REV ...] [--rounds N]
     [--duration S] [--skip-archive] [--skip-synthetic] [--no-halt]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from shared_data import ARCHIVE_HOUR

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ARCHIVE_HOUR
DEFAULT_BASELINES = ("52d2d2c", "5316ca9")

# Runs in the child: import the package from the tree given, never from the editable
# install of whichever venv runs us, then one backtest, then one JSON line.
_CHILD = r"""
import json, sys, time
from pathlib import Path
tree, config, data, out = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
sys.path.insert(0, tree)
import hyperliquid_ofi_trader
if not hyperliquid_ofi_trader.__file__.startswith(tree):
    raise SystemExit(f"imported {hyperliquid_ofi_trader.__file__}, not from {tree}")
from hyperliquid_ofi_trader.backtest.runner import run_backtest
from hyperliquid_ofi_trader.config import load_config
cfg = load_config(Path(config) if config else None)
cpu0 = time.process_time()
result = run_backtest(cfg, data, out, seed=1, stopwatch=time.perf_counter)
cpu = time.process_time() - cpu0
print(json.dumps({"frames": result.frames, "wall_s": result.wall_s, "cpu_s": cpu,
                  "sha": result.journal_sha256}))
"""


@dataclass(slots=True)
class Side:
    name: str
    tree: Path
    wall_fps: list[float] = field(default_factory=list)
    cpu_fps: list[float] = field(default_factory=list)
    hashes: set[str] = field(default_factory=set)
    decision_hashes: set[str] = field(default_factory=set)
    frames: int = 0


@dataclass(frozen=True, slots=True)
class Input:
    name: str
    data: Path
    config: str  # a folder relative to each tree, or "" for the packaged defaults
    no_halt: bool = False  # each side's packaged config, kill-switch halts out of reach


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def add_worktree(rev: str, where: Path) -> str:
    commit = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    git("worktree", "add", "--detach", str(where), commit)
    return commit


def record_synthetic(out: Path, duration: float) -> None:
    cmd = [sys.executable, "-m", "hyperliquid_ofi_trader.main", "sim", "record",
           "--scenario", "realistic", "--seed", "1", "--duration", str(duration),
           "--out", str(out)]
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


# risk.yaml kill-switch keys (the same in every revision compared) and the values that keep
# a side ACTIVE through the synthetic hour.
_NO_HALT = {"depth_vanish_fraction": "0.999", "daily_loss_usd": "100000.0",
            "consecutive_slippage_fills": "1000"}


def no_halt_config(tree: Path, out: Path) -> Path:
    """`tree`'s packaged config in `out`, its kill switch unable to halt (see `--no-halt`)."""
    if out.exists():
        return out
    defaults = tree / "hyperliquid_ofi_trader" / "config" / "defaults"
    out.mkdir(parents=True)
    for name in ("symbols.yaml", "thresholds.yaml"):
        shutil.copy(defaults / name, out / name)
    text = (defaults / "risk.yaml").read_text()
    for key, value in _NO_HALT.items():
        text, n = re.subn(rf"^(\s+{key}:\s*)[^\s#]+", rf"\g<1>{value}", text, flags=re.M)
        if n != 1:
            raise SystemExit(f"{defaults / 'risk.yaml'}: expected one `{key}:` line, found {n}")
    (out / "risk.yaml").write_text(text)
    return out


def run_once(side: Side, inp: Input, out: Path) -> None:
    config = str(side.tree / inp.config) if inp.config else ""
    if inp.no_halt:
        config = str(no_halt_config(side.tree, out.parent / f"no-halt-{side.tree.name}"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    cache = out.parent / "decoded-cache"
    env["HLOFI_DECODED_CACHE"] = str(cache)  # baselines ignore it
    entries = len(list(cache.glob("*"))) if cache.exists() else 0
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(side.tree), config,
                           str(inp.data), str(out)], cwd=side.tree, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{side.name} backtest of {inp.name} failed:\n{proc.stderr[-2000:]}")
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    side.frames = got["frames"]
    side.wall_fps.append(got["frames"] / got["wall_s"])
    side.cpu_fps.append(got["frames"] / got["cpu_s"])
    side.hashes.add(got["sha"])
    side.decision_hashes.add(decisions_sha256(out / "journal.sqlite"))
    print(f"  {inp.name:16s} {side.name:16s} {got['frames'] / got['wall_s']:9,.0f} frames/s wall"
          f"  {got['frames'] / got['cpu_s']:9,.0f} frames/s cpu"
          f"{'  (build)' if cache.exists() and len(list(cache.glob('*'))) > entries else ''}",
          flush=True)
    shutil.rmtree(out, ignore_errors=True)


def decisions_sha256(journal: Path) -> str:
    """What was decided, without how it was explained: each decision's time, coin,
    trigger, outcome and reason (columns every revision's journal has), in id order. Equal
    digests with different journal bytes mean the same work, explained differently."""
    h = hashlib.sha256()
    con = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
    try:
        for row in con.execute("SELECT id, local_ns, coin, trigger, outcome, reason "
                               "FROM decisions ORDER BY id"):
            h.update(repr(row).encode())
    finally:
        con.close()
    return h.hexdigest()


def compare(inp: Input, bases: list[Side], cand: Side, rounds: int, work: Path) -> None:
    sides = [*bases, cand]
    for r in range(rounds):
        k = r % len(sides)
        for side in sides[k:] + sides[:k]:
            run_once(side, inp, work / f"{inp.name}-{r}-{sides.index(side)}")
    print(f"=== {inp.name}: {cand.frames:,} frames ({inp.data.name}), medians")
    cw, cc = statistics.median(cand.wall_fps), statistics.median(cand.cpu_fps)
    print(f"    {'candidate':16s} {cw:9,.0f} frames/s wall  {cc:9,.0f} frames/s cpu")
    for base in bases:
        report(base, cand)


def report(base: Side, cand: Side) -> None:
    bw, cw = statistics.median(base.wall_fps), statistics.median(cand.wall_fps)
    bc, cc = statistics.median(base.cpu_fps), statistics.median(cand.cpu_fps)
    same = base.hashes == cand.hashes and len(base.hashes) == 1
    print(f"    {base.name:16s} {bw:9,.0f} frames/s wall  {bc:9,.0f} frames/s cpu"
          f"  -> candidate {cw / bw:5.2f}x wall {cc / bc:5.2f}x cpu; journal sha256 "
          f"{'identical' if same else 'DIFFERENT'} ({sorted(base.hashes)[0][:12]} vs "
          f"{sorted(cand.hashes)[0][:12]})", flush=True)
    if same:
        return
    if base.decision_hashes == cand.decision_hashes and len(base.decision_hashes) == 1:
        print("      (same decisions, outcomes and reasons: only what the journal explains "
              "changed, so the two did the same work)")
    else:
        print("      (different decisions: strategy or order path changed between the "
              "revisions, so the two did different work)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", action="append", default=None,
                    help="git revision to compare to (repeatable; default: "
                         f"{' and '.join(DEFAULT_BASELINES)})")
    ap.add_argument("--rounds", type=int, default=3, help="runs per side and input")
    ap.add_argument("--duration", type=float, default=3600.0, help="synthetic seconds")
    ap.add_argument("--skip-archive", action="store_true")
    ap.add_argument("--skip-synthetic", action="store_true")
    ap.add_argument("--no-halt", action="store_true",
                    help="also run the synthetic hour with every side kept ACTIVE (see the doc)")
    args = ap.parse_args()
    revs: list[str] = args.baseline or list(DEFAULT_BASELINES)
    with tempfile.TemporaryDirectory(prefix="bench-vs-main-") as tmp:
        work = Path(tmp)
        trees: list[Path] = []
        try:
            bases: list[Side] = []
            for rev in revs:
                tree = work / f"baseline-{len(trees)}"
                commit = add_worktree(rev, tree)
                trees.append(tree)
                bases.append(Side(f"baseline {rev}", tree))
                print(f"baseline {rev} ({commit[:12]})")
            print(f"candidate {ROOT} (HEAD {git('rev-parse', '--short', 'HEAD')}, "
                  "working tree as is)")
            inputs = []
            if not args.skip_synthetic:
                syn = work / "synthetic"
                record_synthetic(syn, args.duration)
                inputs.append(Input("synthetic", syn, ""))
                if args.no_halt:
                    inputs.append(Input("synthetic-active", syn, "", no_halt=True))
            if not args.skip_archive:
                if ARCHIVE.exists():
                    inputs.append(Input("archive", ARCHIVE, "configs/btc-ofi"))
                else:
                    print(f"archive hour skipped: {ARCHIVE} is absent")
            for inp in inputs:
                compare(inp, [Side(b.name, b.tree) for b in bases], Side("candidate", ROOT),
                        args.rounds, work)
        finally:
            for tree in trees:
                git("worktree", "remove", "--force", str(tree))


if __name__ == "__main__":
    main()
