"""Speed and memory of the national model; prints the figures.

    python benchmarks/bench.py            one national run 2010-2020, and synthetic countries 1x, 4x, 16x
    python benchmarks/bench.py --quick    fewer repeats

Time is the median wall time of `EBPModel(seed).run()` over several seeds (building the model is timed
separately); memory is the peak Python allocation during one run (tracemalloc). The growth exponent is the
slope of log(time) on log(agents): 1.0 is linear.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sim import EBPModel  # noqa: E402
from sim.country import Country  # noqa: E402


def time_runs(scale: int, repeats: int) -> tuple[float, float, int]:
    country = Country.load(scale)
    build, run = [], []
    n_agents = 0
    for seed in range(repeats):
        t0 = time.perf_counter()
        m = EBPModel(seed=seed, country=country)
        t1 = time.perf_counter()
        m.run()
        t2 = time.perf_counter()
        build.append(t1 - t0)
        run.append(t2 - t1)
        n_agents = len(m.agents)
    return statistics.median(build), statistics.median(run), n_agents


def peak_memory(scale: int) -> float:
    country = Country.load(scale)
    tracemalloc.start()
    EBPModel(seed=0, country=country).run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    repeats = 3 if args.quick else 7
    EBPModel(seed=0).run()  # warm-up: imports, numpy first calls

    print("ebpsim benchmark (median of %d runs; 132 monthly steps, 2010-2020)\n" % repeats)
    print(f"{'country':>8} {'agents':>8} {'build s':>8} {'run s':>8} {'µs/agent-month':>15} {'peak MiB':>9}")
    rows = []
    for scale in (1, 4, 16):
        b, r, n = time_runs(scale, repeats if scale < 16 else max(2, repeats // 3))
        mem = peak_memory(scale)
        rows.append((scale, n, b, r))
        print(f"{str(scale) + 'x':>8} {n:>8} {b:>8.3f} {r:>8.3f} {1e6 * r / (n * 132):>15.2f} {mem:>9.1f}")
    n = np.array([x[1] for x in rows], float)
    t = np.array([x[3] for x in rows])
    slope = np.polyfit(np.log(n), np.log(t), 1)[0]
    print(f"\none national run: {rows[0][3]:.3f} s (+ {rows[0][2]:.3f} s to build)")
    print(f"growth exponent of run time in agents (1.0 = linear): {slope:.2f}")


if __name__ == "__main__":
    main()
