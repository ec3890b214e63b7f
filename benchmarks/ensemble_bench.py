"""Ensemble throughput and memory: the baseline scenario with many replicates; prints the figures.

    python benchmarks/ensemble_bench.py                 100 and 1,000 replicates on all cores
    python benchmarks/ensemble_bench.py --replicates 200 --workers 2

The ratio of the workers' rate to one process's is the median over alternating pairs (``--pairs``, 5) at the
smallest size, each pair measured back to back (single pairs on the project's machine range from about 1.5
to 2.4 x as its speed drifts: fewer than five pairs can put the median either side of the goal). The workers run as ``run.py --no-plots`` runs them: the fork
server they are forked from is started before the command's own imports and imports the model beside them,
so a worker starts ready instead of importing Mesa, pandas and scipy for a second (with plots, run.py's fork
server imports the plotting library instead, and the workers import the model themselves).

For each size it reports runs per second; the peak private (anonymous) memory of the coordinating process,
sampled every 20 ms, while the runs are made (it holds only the run in hand, because finished runs go straight
to disk) and while the summary tables are written from the run arrays; its peak
resident memory, which also counts the pages of the on-disk run arrays it has mapped (file-backed: the
kernel drops them under pressure, so they grow with the ensemble without costing memory); the size of
those arrays; and the peak resident memory of the largest worker. Flat memory means the private peak and
the worker peak do not grow with the number of replicates. Time series are not written
(``timeseries="none"``), so the figures measure the simulation and the summaries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import resource, sys, threading, time
from pathlib import Path
peaks, phase = [0, 0], [0]  # peak private memory while running (0) and while writing the tables (1)
def sample():
    while True:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    peaks[phase[0]] = max(peaks[phase[0]], int(line.split()[1]))
        time.sleep(0.02)
threading.Thread(target=sample, daemon=True).start()
sys.path.insert(0, {root!r})
if {workers} > 1:  # as `run.py --no-plots` does: the workers' fork server imports the model beside this process
    from sim.experiments.workers import start_fork_server
    start_fork_server(["sim.experiments.ensemble"])
from sim.experiments.ensemble import model_shape, run_ensemble
from sim.experiments.store import Store
from sim.experiments.report import build
from sim.experiments.scenario import load
sc = load({scenario!r})
sc.replicates = {replicates}
t0 = time.perf_counter()
run_ensemble(sc, Path({out!r}), workers={workers}, progress=False)
t1 = time.perf_counter()
time.sleep(0.05)
phase[0] = 1
build(Store(Path({out!r}), sc, model_shape(sc)), timeseries="none")
t2 = time.perf_counter()
time.sleep(0.05)
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
disk = sum(f.stat().st_size for f in (Path({out!r}) / "runs").glob("*.npy")) / 2**20
print(f"{{t1 - t0:.3f}} {{t2 - t1:.3f}} {{peaks[0] / 1024:.1f}} {{peaks[1] / 1024:.1f}} {{own:.1f}} {{disk:.1f}} {{kids:.1f}}")
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
    ap.add_argument("--pairs", type=int, default=5, help="alternating 1-process / workers pairs for the ratio")
    args = ap.parse_args()
    for flag, values in (("--replicates", args.replicates), ("--workers", [args.workers]), ("--pairs", [args.pairs])):
        if not values or min(values) < 1:
            ap.exit(2, f"ensemble_bench.py: {flag} {' '.join(map(str, values))} is not allowed; expected whole numbers >= 1\n")
    print(f"baseline scenario, {args.workers} worker process(es), {os.cpu_count()} cores\n")
    print("MiB; main = the coordinating process; arrays = the run arrays on disk\n")
    print(f"{'replicates':>10} {'run s':>7} {'runs/s':>7} {'tables s':>9} {'private, runs':>14} {'private, tables':>16}"
          f" {'main resident':>14} {'arrays':>7} {'worker':>7}")
    private, tables = {}, {}
    rate = {}
    for n in args.replicates:
        run_s, build_s, anon, anon_tables, own, disk, kids = measure(n, args.workers)
        private[n], tables[n], rate[n] = anon, anon_tables, n / run_s
        print(f"{n:>10} {run_s:>7.1f} {n / run_s:>7.2f} {build_s:>9.1f} {anon:>14.1f} {anon_tables:>16.1f} {own:>14.1f}"
              f" {disk:>7.1f} {kids:>7.1f}")
    small = min(args.replicates)
    # one process against the workers in alternating pairs: this machine's speed drifts over minutes, so
    # rates measured minutes apart would compare the machine's moods, not the two ways of running
    singles, manys = [], []
    for _ in range(args.pairs):
        singles.append(small / measure(small, 1)[0])
        manys.append(small / measure(small, args.workers)[0])
    print(f"\npairs at {small} replicates, runs/s (1 process, {args.workers} workers): "
          + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(singles, manys)))
    single, ratio = statistics.median(singles), statistics.median(b / a for a, b in zip(singles, manys))
    print(f"\n{'figure':<58} {'measured':>9}   goal")
    print(f"{'runs/s, 1 process, ' + str(small) + ' replicates (median)':<58} {single:>9.2f}")
    print(f"{'runs/s, ' + str(args.workers) + ' workers / 1 process (median of pairs)':<58} {ratio:>8.2f}x   >= 1.8x with 2 workers  "
          f"{'met' if ratio >= 1.8 else 'NOT MET'}")
    if len(private) > 1:
        lo, hi = min(private), max(private)
        for what, peaks in (("running", private), ("writing the tables", tables)):
            growth = peaks[hi] / peaks[lo]
            print(f"{'main private memory ' + what + ', ' + str(hi) + ' / ' + str(lo) + ' replicates':<58} {growth:>8.2f}x"
                  f"   flat (<= 1.2x)  {'met' if growth <= 1.2 else 'NOT MET'}")


if __name__ == "__main__":
    main()
