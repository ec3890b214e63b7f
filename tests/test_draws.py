"""The monthly steps draw and expose no more than they need, and that changes no number: skipping uniforms
leaves a stream where drawing them would have, and exposing counts as yes/no (or not at all) changes
nothing that expose would have done."""

import copy

import numpy as np

from sim import EBPModel
from sim.knowledge import CountFactors, KnowledgeState
from sim.parameters import defaults
from sim.streams import Streams, skip_uniforms


def test_skipped_uniforms_leave_the_stream_where_drawing_them_would():
    drawn, skipped = Streams(3)("x"), Streams(3)("x")
    drawn.random(1234)
    skip_uniforms(skipped, 1234)
    assert np.array_equal(drawn.random(50), skipped.random(50))


def _state():
    p = defaults()
    kn = KnowledgeState(290, 5, p, np.linspace(1_000, 900_000, 290))
    kn.seed_initial(np.random.default_rng(1).random((290, 5)))
    kn.set_participation(np.random.default_rng(2).random(290))
    link = np.zeros(290, dtype=bool)
    link[::2] = True
    kn.has_link = link  # read-only once set: the month's masks are derived from it
    return kn


def _after_month(kn):
    kn.end_month(7, np.random.default_rng(5).random((3, 290, 5)))
    return kn.level.tobytes(), kn.last_contact.tobytes(), kn.last_structure.tobytes(), kn.reached.tobytes()


def test_counts_exposed_with_looked_up_factors_are_what_expose_does():
    rng = np.random.default_rng(3)
    shape = (290, 5)
    for uptake, consolidation in ((0.06, 0.05), (np.array([0.5, 0.4, 0.3, 0.2, 0.6]), None), (0.3, 0.0)):
        for structure in (True, False):
            direct, looked_up = _state(), _state()
            factors = CountFactors(shape, 4, uptake, consolidation)
            for _ in range(2):  # two channels in a month: the factors multiply in, in order
                counts = rng.integers(0, 5, shape)
                direct.expose(counts, uptake=uptake, consolidation=0.0 if consolidation is None else consolidation,
                              initiative=structure, structure=structure)
                looked_up.expose_counted(counts, factors, initiative=structure, structure=structure)
            assert np.array_equal(direct._no, looked_up._no) and np.array_equal(direct._flags, looked_up._flags)
            assert _after_month(direct) == _after_month(looked_up)


def test_contacts_counted_by_part_are_the_masked_counts_expose_counted_takes():
    """count_contacts drops the contacts that do not count before counting (R&D units): the same counts, and
    the same month, as masking the counts in expose_counted; a contact via the structure needs a resource
    person, and a false drop or a kept one would change the counts."""
    rng = np.random.default_rng(4)
    shape = (290, 5)
    kn, masked = _state(), _state()
    keys = rng.integers(0, 2 * 290 * 5, 600)  # (part, municipality, area), some several times
    n = kn.count_contacts(keys)
    raw = np.bincount(keys, minlength=2 * 290 * 5).reshape((2,) + shape)
    assert np.array_equal(n[0], raw[0] * (kn.part & kn.has_link)[:, None])
    assert np.array_equal(n[1], raw[1] * kn.part[:, None])
    assert n[0].sum() < raw[0].sum() and n[1].sum() < raw[1].sum()
    factors = CountFactors(shape, int(raw.max()), 0.06, 0.05)
    for part in (0, 1):
        kn.expose_counted(n[part], factors, initiative=part == 0, structure=part == 0, counted=True)
        masked.expose_counted(raw[part], factors, initiative=part == 0, structure=part == 0)
    assert np.array_equal(kn._no, masked._no) and np.array_equal(kn._flags, masked._flags)
    assert _after_month(kn) == _after_month(masked)


def test_a_dated_change_of_an_rd_unit_reaches_its_contact_rate():
    m = EBPModel(seed=1)
    rd, unit = m.rd, m.rd_units[0]
    before = rd.rate[0]
    unit.apply_event({"event": "weaken", "capacity_factor": 0.5})
    assert rd.rate[0] == before * 0.5
    unit.apply_event({"event": "close"})
    assert not np.isin(np.flatnonzero(rd.pair_unit == 0), rd._working // 5).any()  # a closed unit works with no one
    fresh = copy.copy(rd)
    fresh.update_capacity()
    assert np.array_equal(fresh.rate, rd.rate) and np.array_equal(fresh._working, rd._working)
