"""Ensemble throughput and memory: the baseline scenario with many replicates; prints the figures.

    python benchmarks/ensemble_bench.py                 100 and 1,000 replicates on all cores
    python benchmarks/ensemble_bench.py --replicates 200 --workers 2

For each size it reports runs per second and the peak resident memory of the coordinating process (which
holds only the run in hand; finished runs go straight to disk) and of the largest worker. Flat memory means
the coordinating process's peak does not grow with the number of replicates. Time series are not written
(``--timeseries none``), so the figures measure the simulation and the summaries.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from sim.ensemble import Store, model_shape, run_ensemble
from sim.report import build
from sim.scenario import load
sc = load({scenario!r})
sc.replicates = {replicates}
t0 = time.perf_counter()
run_ensemble(sc, Path({out!r}), workers={workers}, progress=False)
t1 = time.perf_counter()
build(Store(Path({out!r}), sc, model_shape(sc)), timeseries="none")
t2 = time.perf_counter()
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{{t1 - t0:.3f}} {{t2 - t1:.3f}} {{own:.1f}} {{kids:.1f}}")
"""


def measure(replicates: int, workers: int) -> tuple[float, float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        code = CHILD.format(root=str(ROOT), scenario=str(ROOT / "scenarios" / "baseline.yaml"),
                            replicates=replicates, out=str(Path(tmp) / "out"), workers=workers)
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        run_s, build_s, own, kids = map(float, res.stdout.split())
        return run_s, build_s, own, kids


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replicates", type=int, nargs="*", default=[100, 1000])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    print(f"baseline scenario, {args.workers} worker process(es), {os.cpu_count()} cores\n")
    print(f"{'replicates':>10} {'run s':>8} {'runs/s':>8} {'tables s':>9} {'peak MiB (main)':>16} {'peak MiB (worker)':>18}")
    for n in args.replicates:
        run_s, build_s, own, kids = measure(n, args.workers)
        print(f"{n:>10} {run_s:>8.1f} {n / run_s:>8.2f} {build_s:>9.1f} {own:>16.1f} {kids:>18.1f}")


if __name__ == "__main__":
    main()
