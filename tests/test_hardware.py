"""The same inputs and seed give the same numbers on any x86-64 machine: a Dask cluster's workers may run on
other processors than the machine that plans the runs. The linear-algebra library (OpenBLAS) picks its
kernels by processor, and kernels sum in different orders: the model gives it only whole numbers to add
(exact in any order), and sums fractions with numpy's own loops. This runs the model with the kernels of
three processor generations, with this machine's, and with numpy's loops for an older processor, and
compares every bit."""

import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

# the observables, and the model's internal numbers that carry last bits forward from month to month
DIGEST = """
import hashlib
import numpy as np
from sim import EBPModel
h = hashlib.sha256()
for seed in (1, 2):
    m = EBPModel(seed=seed, params={"county_overrides": {"Stockholm": {"principle": "network"}}}).run()
    for a in (m.observables.values, m.leader_posts.competence, m.leader_posts.ties, m.regional.time_load,
              m.county_using, m.knowledge.level):
        h.update(np.ascontiguousarray(a).tobytes())
print(h.hexdigest())
"""

# what each run is told: OpenBLAS's kernels of three processor generations (SSE4.2, AVX, AVX2: any current
# x86-64 processor runs all three), this machine's own choice, and numpy's loops without AVX-512
SETTINGS = {
    "Nehalem kernels": {"OPENBLAS_CORETYPE": "Nehalem"},
    "Sandybridge kernels": {"OPENBLAS_CORETYPE": "Sandybridge"},
    "Haswell kernels": {"OPENBLAS_CORETYPE": "Haswell"},
    "this machine's kernels": {},
    "numpy without AVX-512": {"NPY_DISABLE_CPU_FEATURES": "AVX512_SKX X86_V4 AVX512_ICL AVX512_SPR"},
}


def _openblas_x86() -> bool:
    config = np.show_config(mode="dicts")
    blas = str(config.get("Build Dependencies", {}).get("blas", {}).get("name", ""))
    return platform.machine() in ("x86_64", "AMD64") and "openblas" in blas.lower()


def _has_avx2() -> bool:
    try:
        return " avx2" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


@pytest.mark.skipif(not (_openblas_x86() and _has_avx2()), reason="needs numpy on OpenBLAS, on an x86-64 with AVX2")
def test_same_numbers_whatever_kernels_the_processor_selects():
    digests = {}
    for name, setting in SETTINGS.items():
        env = {"PATH": "", "PYTHONPATH": str(ROOT), **setting}
        r = subprocess.run([sys.executable, "-c", DIGEST], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r.stderr
        digests[name] = r.stdout.strip()[:16]
    assert len(set(digests.values())) == 1, digests
