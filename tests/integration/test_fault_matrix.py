"""The fault-and-restart matrix, end to end: real `hlofi run --venue hyperliquid --url`
processes against the emulator, SIGKILLed, restarted and fed poison, with the venue's own
records as the judge (issue 11, "Done when").

Covered elsewhere, not repeated here: kill -> SIGKILL -> restart stays HALTED
(test_operator_control.py), shutdown under rate limiting and a rate-limited burst's
queries/cancels (test_cli_shutdown_rate_limited.py, test_order_path_faults.py).

- Repeated SIGKILLs at random moments of runs sharing one run folder and one account,
  against ONE separately started `hlofi sim-exchange`: afterwards every order the venue
  saw (`historicalOrders`) has one order row citing the decision that placed it, no intent
  was sent twice, and every venue fill (`userFillsByTime`) is journaled against its order.
- Ten quick restarts (graceful and SIGKILLed, alternately) against a venue whose nonce
  window reaches only 10 s into the future: each run's first nonce lies above everything
  sent before and within seconds of the clock, and the venue refuses none.
- The emulator's poison faults (`poison_time`, `poison_tid`), armed mid-run through its
  control endpoint: the run keeps trading with counted rejections, ends on time with exit
  code 0, and its audit links stay exact.
"""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from hyperliquid_ofi_trader.cli.sim_exchange import SimExchangeOptions, build_source
from hyperliquid_ofi_trader.core.clock import LiveClock
from hyperliquid_ofi_trader.sim.faults import POISON_TID
from hyperliquid_ofi_trader.sim.server import EmulatorServer, ServerSettings
from hyperliquid_ofi_trader.sim.settings import SimSettings
from hyperliquid_ofi_trader.sim.venue import SimVenue
from hyperliquid_ofi_trader.venues.hyperliquid.common.fees import fee_fractions
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import generate_throwaway_key
from tests.integration.fault_matrix_support import (
    FAST_WARMUP,
    Emulator,
    TraderSetup,
    audit,
    finish,
    sigkill,
    wait_trading,
)
from tests.plumbing import PLUMBING_FEE_TIER

KILLS = 4
RESTARTS = 10
NONCE_FUTURE_MS = 10_000  # a venue window far shorter than the real day: drift shows


@pytest.mark.timeout(180)
def test_sigkills_against_one_emulator_leave_every_order_and_fill_linked(
        tmp_path: Path) -> None:
    key = generate_throwaway_key()
    account = key.address.lower()
    emulator = Emulator(account, seed=21)
    setup = TraderSetup(emulator.url, key, tmp_path)
    rng = random.Random(11)
    try:
        for _ in range(KILLS):
            proc = setup.start(600.0)
            # A random moment: from start-up (reconciling, warming up) to full trading.
            time.sleep(rng.uniform(1.0, 9.0))
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            sigkill(proc)
        proc = setup.start(10.0)  # the last run reconciles what the killed ones left
        code, summary, err = finish(proc, 90.0)
        assert code == 0, err[-3000:]
        result = audit(emulator, account, setup.journal)
    finally:
        setup.close()
        emulator.stop()
    print(f"{KILLS} SIGKILLs: {result}")
    assert result.venue_orders >= 15, "too few orders to say anything"
    assert result.problems == []
    assert result.duplicated_orders == 0
    assert result.missing_orders == 0
    assert result.orders_without_decision == 0
    assert result.fills_without_order == 0
    assert result.fills_not_journaled == 0
    assert result.open_orders == 0  # the graceful last run left nothing resting
    assert summary["engine"]["outcomes"].get("submit", 0) > 0


async def _short_window_emulator(account: str) -> tuple[EmulatorServer, SimVenue]:
    clock = LiveClock()
    # Ten start-ups in a minute from one IP spend more than the venue's 1200 weight per
    # minute on their start-up queries (the 7th then exits: "HTTP 429"): this test is
    # about nonces, so the IP budget is widened.
    # The plumbing's fee tier (tests/plumbing.py), so that short runs do trade.
    taker_fee, maker_fee = fee_fractions(PLUMBING_FEE_TIER)
    venue = SimVenue(SimSettings(nonce_future_ms=NONCE_FUTURE_MS, nonces_kept=100_000,
                                 ip_weight_per_minute=12_000, taker_fee=taker_fee,
                                 maker_fee=maker_fee), clock)
    venue.fund(account, 100_000.0)
    source, _ = build_source(SimExchangeOptions(seed=8), clock)
    server = EmulatorServer(venue, source, ServerSettings(fault_seed=8), clock)
    await server.start("127.0.0.1", 0)
    return server, venue


async def _one_run(server: EmulatorServer, venue: SimVenue, setup: TraderSetup,
                   sent: set[int], kill_after_s: float | None) -> None:
    """One trader process; with `kill_after_s`, SIGKILLed that long after its first
    accepted action (start-up time varies a lot on a loaded machine)."""
    config = setup.root / "config"
    config.mkdir(exist_ok=True)
    (config / "thresholds.yaml").write_text(FAST_WARMUP)
    log = setup.root / "stderr.txt"
    with log.open("w") as stderr:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hyperliquid_ofi_trader.main", "run", "--venue",
            "hyperliquid", "--url", server.base_url, "--config", str(config), "--run-dir",
            str(setup.run_dir), "--duration", "5" if kill_after_s is None else "600",
            "--json", env=setup.env(), stdout=asyncio.subprocess.DEVNULL, stderr=stderr)
    try:
        if kill_after_s is not None:
            signer = setup.key.address.lower()
            for _ in range(600):
                if set(venue.nonces.kept(signer)) - sent or proc.returncode is not None:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(kill_after_s)
            if proc.returncode is None:
                proc.send_signal(signal.SIGKILL)
        expected = 0 if kill_after_s is None else -signal.SIGKILL
        code = await asyncio.wait_for(proc.wait(), 60.0)
        assert code == expected, f"exit code {code}: {log.read_text()[-3000:]}"
    finally:
        if proc.returncode is None:  # a failed wait leaves no trader behind
            proc.kill()
            await proc.wait()


@pytest.mark.timeout(180)
async def test_ten_quick_restarts_keep_the_first_nonce_near_the_clock(
        tmp_path: Path) -> None:
    key = generate_throwaway_key()
    signer = key.address.lower()
    server, venue = await _short_window_emulator(signer)
    setup = TraderSetup(server.base_url, key, tmp_path)
    rng = random.Random(5)
    ahead_ms: list[int] = []
    try:
        sent: set[int] = set()
        for run in range(RESTARTS):
            kill_after = rng.uniform(0.0, 1.5) if run % 2 else None
            await _one_run(server, venue, setup, sent, kill_after)
            ended_ms = LiveClock().now_ns() // 1_000_000
            new = sorted(set(venue.nonces.kept(signer)) - sent)
            assert new, (f"run {run} sent no signed action accepted: venue refusals "
                         f"{dict(venue.rejected)}, nonces ahead so far {ahead_ms}")
            assert not sent or new[0] > max(sent), f"run {run} reused or went back"
            # How far the run's nonces got ahead of the clock (negative: behind it).
            ahead_ms.append(new[-1] - ended_ms)
            sent.update(new)
        rejected = dict(venue.rejected)
    finally:
        await server.stop()
    print(f"{RESTARTS} restarts: last nonce minus the clock at the run's end (ms): "
          f"{ahead_ms}")
    # Nonces follow the clock, not the last floor plus a margin: quick restarts never
    # push them ahead (they went ~52 s further per restart, then all were refused).
    assert max(ahead_ms) < 2_000, ahead_ms
    assert rejected.get("nonce", 0) == 0, rejected


def _fill_tids(journal: Path) -> list[int]:
    conn = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
    try:
        return [t for (t,) in conn.execute("SELECT tid FROM fills")]
    finally:
        conn.close()


@pytest.mark.timeout(150)
def test_poison_faults_mid_run_leave_it_trading_and_its_audit_exact(tmp_path: Path) -> None:
    key = generate_throwaway_key()
    account = key.address.lower()
    emulator = Emulator(account, seed=33)
    setup = TraderSetup(emulator.url, key, tmp_path)
    try:
        proc = setup.start(22.0)
        wait_trading(setup, proc)
        emulator.control({"fault": "poison_time", "probability": 0.3, "seconds": 5})
        emulator.control({"fault": "poison_tid", "count": 3})
        poisoned_at = time.monotonic()
        code, summary, err = finish(proc, 90.0)
        ended_after = time.monotonic() - poisoned_at
        fired = emulator.control({"fault": "status"})["fired"]
        result = audit(emulator, account, setup.journal)
    finally:
        setup.close()
        emulator.stop()
    assert code == 0, err[-3000:]
    assert "Traceback" not in err
    assert ended_after < 40.0  # ended on time (22 s run), not stuck
    assert fired["poison_time"] >= 1
    assert fired["poison_tid"] == 3
    engine = summary["engine"]
    assert engine["rejections"].get("bad_time", 0) >= 1, engine["rejections"]
    assert sum(engine["rejections"].values()) >= fired["poison_time"]
    assert engine["trading_state"] != "HALTED"
    assert "timer" not in engine["stage_errors"]  # persistence never failed
    assert POISON_TID not in _fill_tids(setup.journal)
    assert result.problems == []
    assert result.venue_orders > 0
    assert result.exact
