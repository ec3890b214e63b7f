"""Independent random streams, one per stochastic process, all derived from the run's seed.

A stream is named, e.g. ``streams("leaders", "01", "elderly")``; the name is hashed into the
``spawn_key`` of a numpy ``SeedSequence`` built from the run's seed, which is what ``SeedSequence.spawn``
does with a counter. Naming instead of counting means that adding a county, a channel or an R&D unit
does not shift the draws of any other process: the basis of paired (common-random-number) comparisons.
Every process also draws arrays of a fixed shape each month whether or not it acts, so a change of
state in one place does not change how many numbers are drawn elsewhere.
"""

from __future__ import annotations

import zlib

import numpy as np


class Streams:
    def __init__(self, seed: int):
        self.seed = int(seed)
        self._cache: dict[tuple, np.random.Generator] = {}

    def __call__(self, *name) -> np.random.Generator:
        gen = self._cache.get(name)
        if gen is None:
            spawn_key = tuple(zlib.crc32(str(k).encode("utf-8")) for k in name)
            gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=spawn_key)))
            self._cache[name] = gen
        return gen


def poisson(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Poisson counts by inverting the distribution function at given uniforms.

    numpy's own Poisson sampler consumes a number of draws that depends on the rate, so a changed rate in
    one county would shift every later county's draws; inverting one uniform per count keeps the shape
    of the draws fixed (common random numbers)."""
    lam = np.asarray(lam, dtype=float)
    term = np.exp(-lam)  # P(N = k), from k = 0
    cdf = term.copy()
    k = np.zeros(lam.shape, dtype=np.int64)
    below = u >= cdf
    while below.any():
        k += below
        term = term * lam / k.clip(min=1)
        cdf = np.where(below, cdf + term, cdf)
        below &= (u >= cdf) & (term > 0)
    return k


def skip_uniforms(rng: np.random.Generator, n: int) -> None:
    """Move a stream past `n` uniforms without making them, so that the stream stands where drawing them
    would have left it (common random numbers). A stream's PCG64 makes one 64-bit output per uniform, and
    `advance` jumps over any number of outputs in about a microsecond."""
    if n:
        rng.bit_generator.advance(int(n))

