"""Ensemble throughput and memory: the baseline scenario with many replicates; prints the figures.

    python benchmarks/ensemble_bench.py                 100 and 1,000 replicates on all cores
    python benchmarks/ensemble_bench.py --replicates 200 --workers 2

For each size it reports runs per second; the peak private (anonymous) memory of the coordinating process,
sampled every 20 ms, which holds only the run in hand because finished runs go straight to disk; its peak
resident memory, which also counts the pages of the on-disk run arrays it has mapped (file-backed: the
kernel drops them under pressure, so they grow with the ensemble without costing memory); the size of
those arrays; and the peak resident memory of the largest worker. Flat memory means the private peak and
the worker peak do not grow with the number of replicates. Time series are not written
(``timeseries="none"``), so the figures measure the simulation and the summaries.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import resource, sys, threading, time
from pathlib import Path
peak_anon = 0
def sample():
    global peak_anon
    while True:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    peak_anon = max(peak_anon, int(line.split()[1]))
        time.sleep(0.02)
threading.Thread(target=sample, daemon=True).start()
sys.path.insert(0, {root!r})
from sim.experiments.ensemble import model_shape, run_ensemble
from sim.experiments.store import Store
from sim.experiments.report import build
from sim.experiments.scenario import load
sc = load({scenario!r})
sc.replicates = {replicates}
t0 = time.perf_counter()
run_ensemble(sc, Path({out!r}), workers={workers}, progress=False)
t1 = time.perf_counter()
build(Store(Path({out!r}), sc, model_shape(sc)), timeseries="none")
t2 = time.perf_counter()
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
disk = sum(f.stat().st_size for f in (Path({out!r}) / "runs").glob("*.npy")) / 2**20
print(f"{{t1 - t0:.3f}} {{t2 - t1:.3f}} {{peak_anon / 1024:.1f}} {{own:.1f}} {{disk:.1f}} {{kids:.1f}}")
"""


def measure(replicates: int, workers: int) -> tuple[float, ...]:
    with tempfile.TemporaryDirectory() as tmp:
        code = CHILD.format(root=str(ROOT), scenario=str(ROOT / "scenarios" / "baseline.yaml"),
                            replicates=replicates, out=str(Path(tmp) / "out"), workers=workers)
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return tuple(map(float, res.stdout.split()))


def main() -> None:
    ap = argparse.ArgumentParser(description="Ensemble throughput and memory of the baseline scenario.")
    ap.add_argument("--replicates", type=int, nargs="*", default=[100, 1000], help="ensemble sizes to run")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes (default: all cores)")
    args = ap.parse_args()
    print(f"baseline scenario, {args.workers} worker process(es), {os.cpu_count()} cores\n")
    print("MiB; main = the coordinating process; arrays = the run arrays on disk\n")
    print(f"{'replicates':>10} {'run s':>7} {'runs/s':>7} {'tables s':>9} {'main private':>13} {'main resident':>14}"
          f" {'arrays':>7} {'worker':>7}")
    private = {}
    rate = {}
    for n in args.replicates:
        run_s, build_s, anon, own, disk, kids = measure(n, args.workers)
        private[n], rate[n] = anon, n / run_s
        print(f"{n:>10} {run_s:>7.1f} {n / run_s:>7.2f} {build_s:>9.1f} {anon:>13.1f} {own:>14.1f} {disk:>7.1f} {kids:>7.1f}")
    small = min(args.replicates)
    single = small / measure(small, 1)[0]
    ratio = rate[small] / single
    print(f"\n{'figure':<58} {'measured':>9}   goal")
    print(f"{'runs/s, 1 process, ' + str(small) + ' replicates':<58} {single:>9.2f}")
    print(f"{'runs/s, ' + str(args.workers) + ' workers / 1 process':<58} {ratio:>8.2f}x   >= 1.8x with 2 workers  "
          f"{'met' if ratio >= 1.8 else 'NOT MET'}")
    if len(private) > 1:
        lo, hi = min(private), max(private)
        growth = private[hi] / private[lo]
        print(f"{'main private memory, ' + str(hi) + ' / ' + str(lo) + ' replicates':<58} {growth:>8.2f}x   flat (<= 1.2x)  "
              f"{'met' if growth <= 1.2 else 'NOT MET'}")


if __name__ == "__main__":
    main()
