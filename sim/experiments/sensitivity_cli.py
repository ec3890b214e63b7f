"""``python run.py sensitivity CONFIG.yaml [--workers N] [--out DIR] [--executor dask --scheduler ADDR]``
and ``python run.py sensitivity --resume DIR [CONFIG.yaml]``: the command line of a sensitivity analysis."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path

from .store import Claim

ROOT = Path(__file__).resolve().parents[2]


def fail(message: str, code: int = 2) -> int:
    print(f"run.py sensitivity: {message}", file=sys.stderr)
    return code


def counted(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")


def main(argv) -> int:
    ap = argparse.ArgumentParser(prog="run.py sensitivity",
                                 description="Which assumptions decide the answer: Morris screening, Sobol indices "
                                             "and the robustness of paired contrasts (format: sensitivity/README.md).")
    ap.add_argument("config", nargs="?", type=Path, help="sensitivity config (e.g. sensitivity/decisive_assumptions.yaml)")
    ap.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores)")
    ap.add_argument("--out", type=Path, help="results folder (default results/sensitivity/<name>/<timestamp>)")
    ap.add_argument("--executor", choices=("local", "dask"), default="local")
    ap.add_argument("--scheduler", help="address of a running Dask scheduler, with --executor dask")
    ap.add_argument("--resume", type=Path, metavar="DIR", help="finish the analysis in DIR")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)

    from .scenario import ScenarioError
    from .sensitivity import config_of, run_analysis, total_runs
    from .sensitivity_config import load_config

    if args.workers is not None and args.workers < 1:
        return fail(f"--workers: {args.workers} is not allowed; expected a whole number >= 1")
    if args.executor == "dask" and not args.scheduler:
        return fail("--executor dask needs --scheduler ADDRESS (for example tcp://127.0.0.1:8786)")
    if not args.config and not args.resume:
        return fail("a config file is missing; expected CONFIG.yaml or --resume DIR")
    workers = args.workers or os.cpu_count() or 1
    try:
        if args.resume:
            cfg = config_of(args.resume)  # a readable results folder of this command, or one clear message
            if args.config and load_config(args.config).digest() != cfg.digest():
                return fail(f"--resume: {args.config} differs from the config the analysis in {args.resume} was "
                            "started with; resume without the file, or start a new folder")
            out = args.resume
            Claim(out, fresh=False, what="sensitivity folder")  # one writer per folder
        else:
            cfg = load_config(args.config)
            out = args.out or ROOT / "results" / "sensitivity" / cfg.name / datetime.now().strftime("%Y%m%d-%H%M%S")
            Claim(out, fresh=True, what="sensitivity folder")  # new or empty, and one writer
    except ScenarioError as e:
        return fail(str(e))
    n_workers = 1 if args.executor == "local" and workers <= 1 else workers
    print(f"{cfg.name}: {cfg.method['name']} over {counted(len(cfg.names), 'parameter')}, "
          f"{counted(len(cfg.outcomes), 'outcome')}; {total_runs(cfg)} model runs "
          f"({counted(len(cfg.scenario.variants), 'variant')} x {counted(cfg.replicates, 'seed')} per draw) on "
          f"{counted(n_workers, 'Dask worker' if args.executor == 'dask' else 'local worker')}", file=sys.stderr)
    try:
        result = run_analysis(cfg, out, workers=workers, executor=args.executor, scheduler=args.scheduler,
                              progress=not args.quiet)
    except ScenarioError as e:
        return fail(str(e))
    rate = f"{result['runs_per_second']:.2f}" if result["runs_per_second"] else "-"
    line = f"{result['runs']} model runs in {result['seconds']:.0f} s ({rate} runs/s)"
    if result["status"] == "interrupted":
        print(f"\ninterrupted after {line}; finished draws are kept in {out}\n"
              f"finish with: python run.py sensitivity --resume {out}", file=sys.stderr)
        return 130
    if result["status"] != "complete":
        for f in result["failures"]:
            print(f"failed: {f['stage']} draw {f['draw']}: {f['error'].strip().splitlines()[-1]}", file=sys.stderr)
        print(f"{line}; retry the failed draws with: python run.py sensitivity --resume {out}", file=sys.stderr)
        return 1
    print((out / "report.md").read_text(encoding="utf-8").split("## Figures")[0].rstrip())
    print(f"\n{line}; results in {out}")
    return 0
