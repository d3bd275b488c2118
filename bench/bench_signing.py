"""Cost of signing and verifying one L1 action: the official SDK against our fast path.

Measured per call (p50 / p99 / mean in µs, and calls per second):
1. SDK `sign_l1_action` (msgpack + eth-account's generic EIP-712 encoder + eth-keys, which
   signs through coincurve when installed, as here: see the printed backend);
2. our `L1Signer.sign_action` (msgpack, three keccaks on a kept C state, libsecp256k1);
3. its parts: `action_connection_id`, the secp256k1 call alone;
4. recovery: our `recover_action_signer` and the SDK's eth-account recovery;
5. `float_to_wire` ours and the SDK's; `NonceCounter.next`.
The action is a one-order post-only action with a cloid, the hot path's common case.

Run: .venv/bin/python bench/bench_signing.py [--n N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout that is not pip-installed

import coincurve  # noqa: E402
from eth_account import Account  # noqa: E402
from eth_keys.backends import get_backend  # noqa: E402
from hyperliquid.utils import signing as sdk  # noqa: E402

from hyperliquid_ofi_trader.core.clock import LiveClock  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.execution import action_wire as wire  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.signing import signer as signing  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.signing.keys import generate_throwaway_key  # noqa: E402
from hyperliquid_ofi_trader.venues.hyperliquid.signing.nonce import NonceCounter  # noqa: E402


def measure(fn: Callable[[int], Any], n: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Per-call wall time in µs for n calls (after a warm-up of n // 10)."""
    for i in range(max(1, n // 10)):
        fn(i)
    out = np.empty(n, dtype=np.float64)
    clock = time.perf_counter_ns
    for i in range(n):
        t0 = clock()
        fn(i)
        out[i] = (clock() - t0) / 1e3
    return out


def report(name: str, samples: np.ndarray[Any, np.dtype[np.float64]]) -> None:
    p50, p99 = np.percentile(samples, [50, 99])
    mean = float(samples.mean())
    print(f"{name:<42} p50 {p50:8.2f} µs   p99 {p99:8.2f} µs   mean {mean:8.2f} µs"
          f"   {1e6 / mean:>10,.0f} /s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="calls per measurement")
    n = parser.parse_args().n

    key = generate_throwaway_key()
    account = Account.from_key(key.reveal())
    signer = signing.L1Signer(key, mainnet=True)
    base = 1_700_000_000_000
    action = wire.order_action([wire.order_wire(0, True, 97123.0, 0.00123, False, "Alo",
                                                wire.make_cloid(42))])
    sig = signer.sign_action(action, base)
    digest = signing.action_digest(action, base, mainnet=True)
    priv = coincurve.PrivateKey(key.reveal())

    print(f"eth-keys backend: {type(get_backend()).__name__};  keccak: "
          f"{signing.keccak256.__qualname__};  n={n}")
    report("SDK sign_l1_action",
           measure(lambda i: sdk.sign_l1_action(account, action, None, base + i, None, True), n))
    report("ours L1Signer.sign_action",
           measure(lambda i: signer.sign_action(action, base + i), n))
    report("  ours action_connection_id",
           measure(lambda i: signing.action_connection_id(action, base + i), n))
    report("  secp256k1 sign_recoverable alone",
           measure(lambda i: priv.sign_recoverable(digest, hasher=None), n))
    report("ours recover_action_signer",
           measure(lambda i: signing.recover_action_signer(action, base, sig, mainnet=True), n))
    report("SDK recover (eth-account)",
           measure(lambda i: sdk.recover_agent_or_user_from_l1_action(
               action, sig, None, base, None, True), max(1, n // 5)))
    report("ours float_to_wire(97123.5)", measure(lambda i: wire.float_to_wire(97123.5), n))
    report("SDK float_to_wire(97123.5)", measure(lambda i: sdk.float_to_wire(97123.5), n))
    counter = NonceCounter(LiveClock())
    report("NonceCounter.next", measure(lambda i: counter.next(), n))


if __name__ == "__main__":
    main()
