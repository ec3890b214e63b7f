"""Random draws of a fixed shape: Poisson counts by inversion (sim/streams.py)."""

import numpy as np
import pytest

from sim.streams import Streams, poisson


@pytest.mark.parametrize("lam", [0.0, 0.05, 1.0, 4.0, 12.0])
def test_poisson_by_inversion_has_the_poisson_mean_and_variance(lam):
    u = np.random.default_rng(0).random(200_000)
    k = poisson(u, np.full(u.shape, lam))
    se = np.sqrt(lam / u.size) if lam else 0.0
    assert abs(k.mean() - lam) <= 4 * se + 1e-12
    assert k.var() == pytest.approx(lam, rel=0.03, abs=1e-12)


def test_poisson_is_monotone_in_the_uniform_and_the_rate():
    u = np.linspace(0, 0.999, 1000)
    low, high = poisson(u, np.full(u.shape, 1.0)), poisson(u, np.full(u.shape, 2.0))
    assert (np.diff(low) >= 0).all() and (high >= low).all()


def test_a_changed_rate_leaves_the_next_draws_alone():
    """numpy's Poisson sampler would consume more draws at a higher rate; one uniform per count does not."""
    draws = []
    for lam in (0.1, 8.0):
        s = Streams(3)
        poisson(s("upward").random(5), np.full(5, lam))
        draws.append(s("upward").random(3))
    assert np.array_equal(*draws)
