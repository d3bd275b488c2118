"""Trust that learns both ways, over many seeds: how often it keeps a useful signal and drops
a useless one (research/trust_sim.py: a SYNTHETIC market where only one of two persistent
signals predicts the forward move, and the prior is wrong about both: 0 for the useful one,
the true coefficient for the useless one).

Run: .venv/bin/python bench/bench_trust.py [--seeds 100] [--duration 900]
"""

from __future__ import annotations

import argparse
import statistics
import time

from hyperliquid_ofi_trader.research.trust_sim import TrustSimSettings, simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--duration", type=float, default=900.0,
                        help="simulated seconds per seed (decisions every 100 ms)")
    args = parser.parse_args()
    settings = TrustSimSettings(duration_s=args.duration)
    t0 = time.perf_counter()
    results = [simulate(seed, settings) for seed in range(args.seeds)]
    kept = sum(r.kept_useful for r in results)
    dropped = sum(r.dropped_useless for r in results)
    print(f"SYNTHETIC trust simulation: {args.seeds} seeds x {args.duration:g} s, "
          f"true forward coefficient {results[0].true_coef_bps:.3f} bps per unit")
    print(f"useful signal kept (trust >= 0.5) from a prior of 0:      {kept}/{args.seeds} "
          f"({100 * kept / args.seeds:.0f} %)")
    print(f"useless signal dropped (trust < 0.5) from the true prior: {dropped}/{args.seeds} "
          f"({100 * dropped / args.seeds:.0f} %)")
    print(f"final trust: useful median {statistics.median(r.useful_weight for r in results):.2f}"
          f", useless median {statistics.median(r.useless_weight for r in results):.2f}; "
          f"coefficient useful median "
          f"{statistics.median(r.useful_coef_bps for r in results):.3f}, useless median "
          f"{statistics.median(r.useless_coef_bps for r in results):.3f} bps")
    print(f"({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
