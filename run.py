#!/usr/bin/env python3
"""ebpsim command line.

    python run.py                      the reported history 2010-2020 (default scenario), one run
    python run.py --seed 7 --out DIR   the same with another seed, written to DIR
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="run.py", description="Run the ebpsim national model.")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--out", type=Path, default=None, help="results folder (default results/baseline/<run-id>)")
    args = ap.parse_args(argv)

    from sim import EBPModel, ParameterError
    from sim.output import summary_table, write_run

    scenario = {"name": "baseline", "description": "The reported history: January 2010 to December 2020, "
                "structures as reported for 2012, the phased take-over of 2014-2016.", "params": {}}
    run_id = datetime.now().strftime("%Y%m%d-%H%M%S") + f"-seed{args.seed}"
    out = args.out or ROOT / "results" / scenario["name"] / run_id
    if out.exists():
        print(f"run.py: {out} already exists; choose another --out", file=sys.stderr)
        return 2
    try:
        t0 = time.perf_counter()
        model = EBPModel(seed=args.seed, params=scenario["params"])
        model.run()
        elapsed = time.perf_counter() - t0
    except ParameterError as e:
        print(f"run.py: {e}", file=sys.stderr)
        return 2
    try:
        write_run(model, out, scenario)
    except FileExistsError as e:
        print(f"run.py: {e}", file=sys.stderr)
        return 2
    table = summary_table(model.results())
    print(f"ebpsim: scenario '{scenario['name']}', seed {args.seed}, {model.n_months} months in {elapsed:.2f} s\n")
    print(table.to_string(float_format=lambda v: f"{v:.3g}"))
    print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
