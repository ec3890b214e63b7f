"""Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC, Beaumont et al. 2009; Toni et al. 2009).

Why our own and not pyABC: pyABC is the well-kept reference, but its parallel samplers re-seed workers
from the global random state and hand out work as workers finish, so a run with several workers cannot be
repeated from its seed (pyABC issue #400). Researchers here need the same posterior from the same seed on
one core, two cores or a Dask cluster, and to resume an interrupted calibration. This module therefore
keeps everything that decides the outcome in the coordinating process: proposals are drawn from streams
named by (seed, generation, batch), every simulation gets a seed fixed by its place in the batch, batches
are evaluated in parallel but read back in order, and acceptance follows that order. The algorithm is the
standard one: generation 0 samples the prior; each later generation perturbs particles drawn by weight
with a Gaussian kernel of twice the weighted covariance (in units of each prior's width), keeps proposals whose distance is within the
tolerance, weights them by prior / mixture of kernels, and sets the next tolerance to a quantile of the
accepted distances. The state is written after every generation.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from scipy.stats import multivariate_normal
from tqdm import tqdm


class StateError(ValueError):
    """A saved calibration state that cannot be trusted; the message names the file."""


@dataclass
class UniformPrior:
    names: list[str]
    lo: np.ndarray
    hi: np.ndarray

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.lo + (self.hi - self.lo) * rng.random((n, len(self.names)))

    def inside(self, theta: np.ndarray) -> np.ndarray:
        return np.all((theta >= self.lo) & (theta <= self.hi), axis=-1)

    def density(self, theta: np.ndarray) -> np.ndarray:
        return self.inside(theta) / np.prod(self.hi - self.lo)


@dataclass
class Generation:
    t: int
    eps: float
    particles: np.ndarray
    weights: np.ndarray
    distances: np.ndarray
    summaries: np.ndarray
    proposed: int

    @property
    def acceptance(self) -> float:
        return len(self.particles) / max(1, self.proposed)


@dataclass
class ABCState:
    generations: list[Generation] = field(default_factory=list)
    simulations: int = 0
    stopped: str = ""

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for g in self.generations:
            p = folder / f"generation_{g.t:02d}.npz"
            if not p.exists():
                tmp = folder / f".generation_{g.t:02d}.partial.npz"
                np.savez(tmp, particles=g.particles, weights=g.weights, distances=g.distances, summaries=g.summaries,
                         eps=g.eps, proposed=g.proposed)
                os.replace(tmp, p)
        meta = {"generations": len(self.generations), "simulations": self.simulations, "stopped": self.stopped}
        tmp = folder / ".state.json.partial"
        tmp.write_text(json.dumps(meta, indent=2))
        os.replace(tmp, folder / "state.json")

    @classmethod
    def load(cls, folder: Path) -> "ABCState":
        """The saved state of `folder`, checked: a damaged file is a StateError naming it, never a wrong start."""
        st = cls()
        path = folder / "state.json"
        if not path.exists():
            return st
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
            n = meta["generations"]
            st.simulations, st.stopped = int(meta["simulations"]), str(meta["stopped"])
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise ValueError(f"generations: {n!r}")
        except (ValueError, KeyError, TypeError) as e:
            raise StateError(f"{path}: damaged ({str(e)[:80]}); expected the state an ebpsim calibration writes") from None
        for t in range(n):
            p = folder / f"generation_{t:02d}.npz"
            try:
                with np.load(p) as d:
                    g = Generation(t, float(d["eps"]), d["particles"], d["weights"], d["distances"], d["summaries"],
                                   int(d["proposed"]))
                k = len(g.particles)
                if g.particles.ndim != 2 or not k or any(len(x) != k for x in (g.weights, g.distances, g.summaries)) \
                        or not np.all(np.isfinite(g.particles)) or not np.isclose(g.weights.sum(), 1.0):
                    raise ValueError("arrays of inconsistent shape or values")
                if st.generations and g.particles.shape != st.generations[0].particles.shape:
                    raise ValueError(f"{k} particles, generation 0 has {len(st.generations[0].particles)}")
            except FileNotFoundError:
                raise StateError(f"{p}: missing; state.json lists {n} generations") from None
            except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile) as e:
                raise StateError(f"{p}: damaged ({str(e)[:80]}); expected a generation an ebpsim calibration "
                                 "writes") from None
            st.generations.append(g)
        return st


def distance(summaries: np.ndarray, observed: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Root mean square of the standardised differences (NaN counts as far away)."""
    z = (np.atleast_2d(summaries) - observed) / sd
    return np.sqrt(np.mean(np.nan_to_num(z, nan=1e3) ** 2, axis=1))


def sim_seeds(seed: int, t: int, batch: int, n: int) -> list[int]:
    ss = np.random.SeedSequence([seed, t, batch, 7])
    return [int(s) for s in ss.generate_state(n, dtype=np.uint32)]


def kernel_cov(prev: Generation, prior: UniformPrior) -> np.ndarray:
    """The perturbation kernel's covariance in units of each parameter's prior width: parameters whose
    scales differ by many orders of magnitude (a population in inhabitants beside a monthly rate) would
    otherwise give a covariance matrix that is numerically singular."""
    scaled = prev.particles / (prior.hi - prior.lo)
    cov = 2.0 * np.atleast_2d(np.cov(scaled.T, aweights=prev.weights))
    return cov + 1e-12 * np.eye(len(cov))


def propose(rng: np.random.Generator, prior: UniformPrior, prev: Generation, cov: np.ndarray, n: int) -> np.ndarray:
    out = np.empty((0, len(prior.names)))
    while len(out) < n:
        idx = rng.choice(len(prev.particles), size=n, p=prev.weights)
        step = rng.multivariate_normal(np.zeros(len(cov)), cov, size=n) * (prior.hi - prior.lo)
        cand = prev.particles[idx] + step
        out = np.vstack([out, cand[prior.inside(cand)]])
    return out[:n]


def smc(simulate: Callable[[list[tuple[np.ndarray, int]]], list[np.ndarray]], prior: UniformPrior,
        observed: np.ndarray, sd: np.ndarray, *, population: int, generations: int, quantile: float = 0.5,
        min_acceptance: float = 0.02, budget: int = 10_000, seed: int = 0, folder: Path | None = None,
        progress: bool = True, distance_fn: Callable[[np.ndarray], np.ndarray] | None = None) -> ABCState:
    """Run (or resume, if `folder` holds a state) ABC-SMC. `simulate` maps [(theta, seed)] to summaries, in order.
    `distance_fn` maps summaries (runs x targets) to distances; by default the RMS of (summary - observed) / sd."""
    state = ABCState.load(folder) if folder is not None else ABCState()
    for g in state.generations:  # a resume continues the same calibration, or refuses
        if g.particles.shape != (population, len(prior.names)):
            raise StateError(f"{folder}: generation {g.t} has {g.particles.shape[0]} particles of "
                             f"{g.particles.shape[1]} parameters; this calibration has {population} of "
                             f"{len(prior.names)}: it cannot continue that one")
    state.stopped = ""
    bar = tqdm(total=budget, initial=state.simulations, desc="calibration", unit="sim", disable=not progress,
               dynamic_ncols=True)
    try:
        while len(state.generations) < generations:
            t = len(state.generations)
            prev = state.generations[-1] if state.generations else None
            eps = np.inf if prev is None else float(np.quantile(prev.distances, quantile))
            cov = None if prev is None else kernel_cov(prev, prior)
            acc_theta, acc_d, acc_s, proposed, batch = [], [], [], 0, 0
            while len(acc_theta) < population:
                if state.simulations + population > budget:
                    state.stopped = f"budget of {budget} simulations reached"
                    break
                rng = np.random.default_rng([seed, t, batch])
                theta = prior.sample(rng, population) if prev is None else propose(rng, prior, prev, cov, population)
                summaries = np.array(simulate(list(zip(theta, sim_seeds(seed, t, batch, population)))))
                state.simulations += population
                bar.update(population)
                d = distance_fn(summaries) if distance_fn else distance(summaries, observed, sd)
                for i in range(population):  # accept in proposal order: the outcome never depends on workers
                    proposed += 1
                    if d[i] <= eps:
                        acc_theta.append(theta[i]), acc_d.append(d[i]), acc_s.append(summaries[i])
                        if len(acc_theta) == population:
                            break
                batch += 1
                if proposed >= population / max(min_acceptance, 1e-6) and len(acc_theta) < population:
                    state.stopped = f"acceptance fell below {min_acceptance:.0%} at tolerance {eps:.3g}"
                    break
            if state.stopped:
                break
            particles = np.array(acc_theta)
            if prev is None:
                w = np.ones(population)
            else:
                # kernel densities in prior-width units: the constant Jacobian cancels in the normalised weights
                width = prior.hi - prior.lo
                mix = np.array([np.sum(prev.weights * multivariate_normal.pdf(prev.particles / width, mean=p / width, cov=cov))
                                for p in particles])
                w = prior.density(particles) / mix
            gen = Generation(t, eps, particles, w / w.sum(), np.array(acc_d), np.array(acc_s), proposed)
            state.generations.append(gen)
            bar.set_postfix(gen=t, eps=f"{eps:.3g}", acc=f"{gen.acceptance:.0%}")
            if folder is not None:
                state.save(folder)
        if not state.stopped:
            state.stopped = f"{generations} generations done"
    finally:
        bar.close()
        if folder is not None and state.generations:
            state.save(folder)
    return state
