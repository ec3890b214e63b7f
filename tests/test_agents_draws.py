"""The channels' cheaper ways of drawing and exposing change no number: a year of university draws made at
once gives the months a draw a month would, one publishing centre's guidance exposed as yes/no is what its
contact counts would have done, and drawing only the publishing centres' rows gives what drawing all does."""

import numpy as np

from sim import EBPModel
from sim.agents import University, per_municipality
from sim.knowledge import CountFactors
from sim.parameters import AREAS


OVERLAPS = []  # months in which the reference met a pair with both a course and a doctoral post


def _teach_month_by_month(model) -> None:
    """The university step as it was written before the year's draws were made at once (the reference)."""
    p = model.p["university"]
    u = model.streams("university").random((2, model.n_municipalities, len(AREAS)))
    if not model.p["channels"]["university"]:
        return
    course, doctoral = u < model.university_reach
    linked = np.zeros(len(model.structures), dtype=bool)
    linked[[x.structure.index for x in model.universities if x.linked]] = True
    linked = per_municipality(linked)
    if not isinstance(linked, bool):
        linked = linked[model.muni_county, None]
    if (course & doctoral).any():
        OVERLAPS.append(model.month)
        model.knowledge.expose(course, uptake=p["uptake"], initiative=linked, structure=linked)
        model.knowledge.expose(doctoral, uptake=p["doctoral_consolidation"],
                               consolidation=p["doctoral_consolidation"], initiative=linked, structure=linked)
        return
    contact = course | doctoral
    if contact.any():
        model.knowledge.expose(contact, uptake=np.where(doctoral, p["doctoral_consolidation"], p["uptake"]),
                               consolidation=doctoral * p["doctoral_consolidation"], initiative=linked,
                               structure=linked)


def test_a_year_of_university_draws_gives_what_a_draw_a_month_gives(monkeypatch):
    # rates such that some months, not all, have a pair with both a course and a doctoral post; 30 months cross
    # the draws of a year, and universities are linked on the way
    params = {"university": {"course_rate": 0.02, "doctoral_rate": 0.01}, "end": "2012-06"}
    yearly = EBPModel(seed=3, params=params).run()
    monkeypatch.setattr(University, "teach", staticmethod(_teach_month_by_month))
    monthly = EBPModel(seed=3, params=params).run()
    assert any(u.linked for u in yearly.universities) and 0 < len(OVERLAPS) < 30  # both ways of exposing
    assert np.array_equal(yearly.observables.values, monthly.observables.values, equal_nan=True)
    assert np.array_equal(yearly.knowledge.level, monthly.knowledge.level)


def test_one_publishing_centres_whole_float_counts_are_what_its_int_counts_do():
    models = [EBPModel(seed=2) for _ in range(2)]
    for m in models:
        for _ in range(30):
            m.step()
    centres = models[0].centres
    row = next(k for k, c in enumerate(centres) if len(c.areas) > 1 and c.areas != centres[0].areas)
    reached = np.zeros((len(centres), models[0].n_municipalities))  # centre x municipality, 0/1 as guidance has it
    reached[row] = np.random.default_rng(4).random(models[0].n_municipalities) < 0.3
    uptake = np.array([0.02, 0.03, 0.025, 0.02, 0.04])
    # guidance's counts are whole-number floats (a product of 0/1 matrices); the other model gets them as ints
    factors = CountFactors(models[0].knowledge.level.shape, len(centres), uptake)
    models[0].knowledge.expose_counted(reached.T @ models[0].centre_areas, factors, initiative=False)
    kn = models[1].knowledge
    kn.expose_counted(np.matmul(reached.T.astype(np.int64), models[1].centre_areas.astype(np.int64)), factors,
                      initiative=False)
    u = np.random.default_rng(5).random((3,) + kn.level.shape)
    for m in models:
        m.knowledge.end_month(30, u)
    a, b = (m.knowledge for m in models)
    assert np.array_equal(a.level, b.level) and np.array_equal(a.last_contact, b.last_contact)
    assert (a.last_contact == 30).any()  # the guidance reached someone


def test_guidance_drawn_for_the_publishing_centres_only_is_what_all_draws_give():
    m = EBPModel(seed=2)
    g = m.guidance
    rows = [1, 4, 5]
    full = np.random.Generator(np.random.PCG64(7)).random((g.n_centres, m.n_municipalities)) < 0.15
    g.rng = np.random.Generator(np.random.PCG64(7))
    got = g.draw(rows, 0.15, np.full((g.n_centres, m.n_municipalities), 9.0))
    assert np.array_equal(got[rows], full[rows]) and not got[[k for k in range(g.n_centres) if k not in rows]].any()
    assert g.rng.random() == np.random.Generator(np.random.PCG64(7)).random(full.size + 1)[-1]  # moved on by all


def test_only_centres_that_exist_and_work_in_an_area_publish():
    m = EBPModel(seed=1)
    can = m.guidance.can_publish(2012)
    founded = {c.key: c.founded for c in m.centres}
    assert not can[[c.key for c in m.centres].index("sbu")] and founded["sbu"] > 2012
    assert can[[c.key for c in m.centres].index("ims")]
    assert m.guidance.can_publish(2016)[[c.key for c in m.centres].index("sbu")]



def test_the_centres_duplications_add_up_to_the_municipalities():
    m = EBPModel(seed=1)
    seen = 0
    while m.steps < 60:
        m.step()
        by_centre = sum(c.duplications for c in m.centres)  # made when asked for, from the month's guidance
        assert by_centre == m.duplication_muni.sum()
        seen += by_centre > 0
    assert seen > 0
