"""A pure-numpy floor for one national run: the same monthly update of every municipality x area knowledge
state, with as many contact channels as the model has, and no agents, no ties, no Python loop over
counties. `bench.py` prints the model's time as a multiple of this floor, so the overhead of the agent
layer stays visible as the model changes.

It is not a model: contact probabilities are fixed numbers of about the model's size, and the work per
month is what any implementation must do at least — draw the channels' contacts, combine the chances of
uptake, apply the transitions and erosion, reach providers, and record county and national shares.
"""

from __future__ import annotations

import numpy as np

N_CHANNELS = 7  # SALAR, platform, development leaders, R&D units, universities, centres, peers
UNAWARE, AWARE, USING, ESTABLISHED = 0, 1, 2, 3


def run_floor(n_municipalities: int = 290, n_areas: int = 5, n_counties: int = 21, n_months: int = 132,
              n_providers: int = 960, seed: int = 0) -> np.ndarray:
    """One 'run': returns the recorded national and county adoption shares, (months, counties + 1)."""
    rng = np.random.default_rng(seed)
    county = np.sort(rng.integers(0, n_counties, n_municipalities))
    sizes = np.bincount(county, minlength=n_counties).astype(float)
    provider_muni = rng.integers(0, n_municipalities, n_providers)
    rate = np.linspace(0.01, 0.05, N_CHANNELS)[:, None, None]
    uptake = np.linspace(0.02, 0.07, N_CHANNELS)[:, None, None]
    level = np.zeros((n_municipalities, n_areas), dtype=np.int8)
    last_contact = np.full(level.shape, -1000, dtype=np.int32)
    provider_reached = np.zeros(n_providers, dtype=bool)
    loss = np.array([0.0, 0.02, 0.02, 0.003])
    out = np.empty((n_months, n_counties + 1))
    for month in range(n_months):
        u = rng.random((N_CHANNELS,) + level.shape)
        adopted = level >= USING
        peer_share = (np.bincount(county, weights=adopted.mean(axis=1), minlength=n_counties) / sizes)[county]
        contact = u < rate * (1.0 + peer_share[None, :, None])
        no_uptake = np.prod(np.where(contact, 1.0 - uptake, 1.0), axis=0)
        any_contact = contact.any(axis=0)
        t = rng.random((3,) + level.shape)
        last_contact[any_contact] = month
        level[(level == UNAWARE) & any_contact] = AWARE
        up = (level == AWARE) & (t[0] < 1.0 - no_uptake)
        cons = (level == USING) & any_contact & (t[1] < 0.04)
        level[up] = USING
        level[cons] = ESTABLISHED
        idle = (month - last_contact) >= 12
        lose = idle & (t[2] < loss[level]) & ~up & ~cons
        level[lose] -= 1
        passes_on = (level >= USING).any(axis=1)[provider_muni]
        provider_reached |= rng.random(n_providers) < 0.01 * passes_on
        share = (level >= USING).mean(axis=1)
        out[month, 0] = share.mean()
        out[month, 1:] = np.bincount(county, weights=share, minlength=n_counties) / sizes
    return out
