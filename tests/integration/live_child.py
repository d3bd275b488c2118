"""A live trader in its own process, for tests that SIGKILL it (not a test module).

    python live_child.py REST_URL WS_URL RUN_DIR SECONDS

The key comes from HLOFI_PRIVATE_KEY (a throwaway the test generated). The process runs
the same `LiveRunner` as `hlofi run`, against the emulator the test started, with the
regime tuned to trade within seconds.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from hyperliquid_ofi_trader.config import build_config
from hyperliquid_ofi_trader.execution.keys import load_private_key
from hyperliquid_ofi_trader.runtime.live import LiveRunner, RunOptions, VenueEndpoints

FAST = {"thresholds.yaml": {"regime": {"volatility": {"halflife_ms": 2000},
                                       "liquidity": {"min_dwell_ms": 1000}}}}


def main(rest_url: str, ws_url: str, run_dir: str, seconds: str) -> None:
    key = load_private_key()
    runner = LiveRunner(build_config(FAST),
                        VenueEndpoints(rest_url=rest_url, ws_url=ws_url, mainnet=False,
                                       name="emulator"),
                        key, key.address,
                        RunOptions(run_dir=Path(run_dir), duration_s=float(seconds)))
    asyncio.run(runner.run())
    print("clean exit", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
