"""Instructions one national run executes: a measure of the model's cost that, unlike wall time, does not
drift with the machine's load, so two versions of the code can be compared hours apart.

    python benchmarks/instructions.py [--runs N] [--code DIR]

Counts with valgrind (callgrind) the instructions of a process that imports the model and runs seed 0
(imports, first calls), and of one that then also builds and runs seeds 1..N; the difference over N is one
national run, build + run. `--code DIR` measures another checkout (a git worktree of an older commit).
Both run with PYTHONHASHSEED=0 (Python's randomised string hashing alone moves the count by about 2 %).
Needs valgrind (`apt-get install valgrind`); about a minute per run under it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import sys
sys.path.insert(0, {code!r})
from sim import EBPModel
EBPModel(0).run()
for seed in range(1, 1 + {runs}):
    EBPModel(seed).run()
"""


def count(code: Path, runs: int) -> int:
    """Instructions of a process that imports the model, warms up and makes `runs` national runs."""
    res = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c",
                          CHILD.format(code=str(code), runs=runs)], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONHASHSEED="0"))
    found = re.search(r"Collected\s*:\s*(\d+)", res.stderr)
    if not found:
        raise SystemExit(f"instructions.py: valgrind printed no instruction count:\n{res.stderr[-500:]}")
    return int(found.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description="Instructions of one national run (valgrind), build + run.")
    ap.add_argument("--runs", type=int, default=2, help="national runs counted beyond the warm-up (default 2)")
    ap.add_argument("--code", type=Path, default=ROOT, help="the checkout to measure (default: this one)")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        print("instructions.py: valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    if args.runs < 1:
        print(f"instructions.py: --runs {args.runs} is not allowed; expected 1 or more", file=sys.stderr)
        return 2
    print(f"counting with valgrind, {args.code}: a warm-up process, then one with {args.runs} more run(s)...",
          flush=True)
    base, more = count(args.code, 0), count(args.code, args.runs)
    print(f"one national run, build + run (seeds 1-{args.runs}): {(more - base) / args.runs / 1e6:,.0f} million instructions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
