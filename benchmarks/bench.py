"""Speed and memory of the national model, each figure printed beside its goal (issue "Speed for the
science").

    python benchmarks/bench.py            one national run 2010-2020; synthetic countries 1x, 4x, 16x;
                                          the pure-numpy floor; a 1-replicate CLI run
    python benchmarks/bench.py --quick    fewer repeats, no CLI run

Time is the median wall time over several seeds of building (`EBPModel(seed)`) and running (`.run()`) the
model; memory is the peak Python allocation during one run (tracemalloc). The growth exponent is the slope
of log(time) on log(agents) from the 4x to the 16x country: 1.0 is linear. The floor is the same monthly
update of all municipality x area states in plain numpy, without agents (`numpy_floor.py`). Ensemble
throughput and memory are measured by `ensemble_bench.py`; where a run's time goes, by `breakdown.py`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.numpy_floor import run_floor  # noqa: E402
from sim import EBPModel  # noqa: E402
from sim.country import Country  # noqa: E402

GOALS = {
    "run": 0.10,        # s, one national run 2010-2020, build + run (median)
    "growth": 4.4,      # time ratio 16x / 4x country (exponent <= 1.07)
    "cli": 3.0,         # s wall, `python run.py --replicates 1`, plots included
}


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


def time_floor(repeats: int, n_providers: int) -> float:
    times = []
    for seed in range(repeats):
        t0 = time.perf_counter()
        run_floor(n_providers=n_providers, seed=seed)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_cli(repeats: int = 3) -> float:
    """Median wall time of the README's run of the default scenario with one replicate, each from a fresh
    process (median of `repeats`: one run on a shared machine says little)."""
    times = []
    for i in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "run.py"), "--replicates", "1", "--quiet", "--out",
                            str(Path(tmp) / "out")], cwd=ROOT, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
    return float(np.median(times))


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 repeats instead of 7, and no CLI run")
    args = ap.parse_args()
    repeats = 3 if args.quick else 7
    warm = EBPModel(seed=0).run()  # imports, numpy's first calls
    n_providers = len(warm.provider_muni)

    print(f"ebpsim benchmark (median of {repeats} runs; {warm.n_months} monthly steps, 2010-2020)\n")
    print(f"{'country':>8} {'agents':>8} {'build s':>8} {'run s':>8} {'µs/agent-month':>15} {'peak MiB':>9}")
    rows = []
    for scale in (1, 4, 16):
        b, r, n = time_runs(scale, repeats if scale < 16 else max(2, repeats // 3))
        mem = peak_memory(scale)
        rows.append((scale, n, b, r))
        print(f"{str(scale) + 'x':>8} {n:>8} {b:>8.3f} {r:>8.3f} {1e6 * r / (n * warm.n_months):>15.2f} {mem:>9.1f}")
    national = rows[0][2] + rows[0][3]
    growth = rows[2][3] / rows[1][3]
    exponent = np.log(growth) / np.log(rows[2][1] / rows[1][1])
    per_agent = [r / n for _, n, _, r in rows]
    floor = time_floor(repeats, n_providers)

    print("\nfigure                                           measured      goal   ")
    print(f"one national run, build + run (median)        {national:>8.3f} s   <= {GOALS['run']:.2f} s   "
          f"{verdict(national <= GOALS['run'])}")
    print(f"time 16x / 4x country (exponent)              {growth:>6.2f}x ({exponent:.2f})  <= {GOALS['growth']}x (1.07)"
          f"  {verdict(growth <= GOALS['growth'])}")
    print(f"per agent-month at 16x / at 1x                {per_agent[2] / per_agent[0]:>8.2f}     <= 1.00     "
          f"{verdict(per_agent[2] <= per_agent[0])}")
    print(f"pure-numpy floor of the monthly update        {floor:>8.3f} s   (model = {national / floor:.1f}x the floor)")
    if not args.quick:
        cli = time_cli()
        print(f"{'`run.py --replicates 1`, plots, median of 3':<46}{cli:>8.2f} s   <= {GOALS['cli']:.1f} s    "
              f"{verdict(cli <= GOALS['cli'])}")
    print("\nensemble throughput (2 workers against 1) and memory: python benchmarks/ensemble_bench.py")
    print("where one national run's time goes, step by step: python benchmarks/breakdown.py")


if __name__ == "__main__":
    main()
