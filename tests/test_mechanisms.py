"""Model v2 (issue 10): each reported pattern comes out of a mechanism, and goes when the mechanism is off."""

import numpy as np
import pytest
from conftest import at, national

from sim import AREAS, EBPModel
from sim.country import Country
from sim.knowledge import USING

BIG = {"01", "12", "14"}  # Stockholm, Skåne, Västra Götaland (BRIEF §2) - used only to read results
SEEDS = (1, 2, 3)
ORIGINAL_PLAN = {"funding": {"state_share": {2013: 0.0}, "announced": "2011-01"}}
CONTINUES = {"funding": {"state_share": {2014: 1.0}}}
BLANK_START = {k: {a: 0.0 for a in AREAS} for k in ("initial_aware", "initial_using")}


def run_until(model, when):
    while model.steps <= model.month_of(when):
        model.step()
    return model


def merged(*layers):
    out = {}
    for layer in layers:
        for k, v in layer.items():
            out[k] = {**out.get(k, {}), **v} if isinstance(v, dict) else v
    return out


# -- 1. municipalities differ by size -------------------------------------------------------------------
def size_gap(params=None, when="2011-12"):
    """Share of the smallest fifth of municipalities reached by the initiative, minus the largest fifth's."""
    pop = Country.load().muni_population
    small, large = pop <= np.quantile(pop, 0.2), pop >= np.quantile(pop, 0.8)
    gaps = []
    for seed in SEEDS:
        kn = run_until(EBPModel(seed=seed, params=params), when).knowledge
        gaps.append(kn.reached[small].mean() - kn.reached[large].mean())
    return float(np.mean(gaps))


def test_small_municipalities_take_part_less_and_the_gap_goes_with_capacity():
    assert size_gap() < -0.25
    assert abs(size_gap({"municipality": {"capacity_half_population": 0}})) < 0.1


def test_reach_can_stay_below_one():
    m = EBPModel(seed=1, params=ORIGINAL_PLAN).run()
    assert national(m, "reach_any").iloc[-1] < 1.0
    assert national(m, "reach_12m").iloc[-1] < 0.8


# -- 2./3. programme areas are real, and 2010 starts from what came before --------------------------
def test_no_uptake_in_an_area_before_its_programme_without_spillover():
    m = EBPModel(seed=1, params={"knowledge": {"spillover": 0.0}})
    child, ehealth = AREAS.index("children_youth"), AREAS.index("ehealth")
    start = (m.knowledge.level[:, child] >= USING).sum()
    run_until(m, "2010-12")
    assert (m.knowledge.level[:, ehealth] >= USING).sum() == 0  # eHealth starts in 2011
    assert (m.knowledge.level[:, child] >= USING).sum() <= start  # children and youth from autumn 2011


def test_spillover_is_the_only_route_into_an_area_before_its_programme():
    closed = at(EBPModel(seed=1, params={"knowledge": {"spillover": 0.0}}).run(), "adoption_children_youth", "2011-06-01")
    open_ = at(EBPModel(seed=1, params={"knowledge": {"spillover": 1.0}}).run(), "adoption_children_youth", "2011-06-01")
    assert open_ > closed + 0.02


def test_rd_units_work_only_in_their_areas():
    only_rd = {c: False for c in ("salar", "platform", "leaders", "university", "centres", "peers")}
    m = EBPModel(seed=1, params={"channels": only_rd, "knowledge": {**BLANK_START, "spillover": 1.0}}).run()
    assert national(m, "adoption_ehealth").max() == 0  # no R&D unit lists eHealth (rd_units.csv)
    assert national(m, "adoption_elderly").iloc[-1] > 0.05


def test_the_start_reflects_what_came_before():
    m = EBPModel(seed=1)
    using = (m.knowledge.level >= USING).mean(axis=0)
    assert using[AREAS.index("substance_abuse")] > using[AREAS.index("elderly")] > using[AREAS.index("ehealth")] == 0
    blank = EBPModel(seed=1, params={"knowledge": BLANK_START})
    assert blank.knowledge.level.max() == 0


# -- 4. money that stops shows --------------------------------------------------------------------------
def test_phaseout_variants_differ_through_money_and_not_when_principals_pay_everything():
    gaps, same = [], []
    for seed in SEEDS:
        plan = EBPModel(seed=seed, params=ORIGINAL_PLAN).run()
        phased = EBPModel(seed=seed).run()
        gaps.append(at(phased, "adoption_mean", "2016-12-01") - at(plan, "adoption_mean", "2016-12-01"))
        assert at(plan, "reach_12m", "2014-12-01") < at(phased, "reach_12m", "2014-12-01")
        # principals who take over everything make the schedule irrelevant: the difference goes
        pay = {"funding": {"commit_intercept": 20.0}}
        a = EBPModel(seed=seed, params=merged(ORIGINAL_PLAN, pay)).run()
        b = EBPModel(seed=seed, params=pay).run()
        same.append(at(b, "adoption_mean", "2016-12-01") - at(a, "adoption_mean", "2016-12-01"))
    assert np.mean(gaps) > 0.01
    assert abs(np.mean(same)) < 0.003


def test_unsupported_knowledge_erodes_over_the_years():
    on = at(EBPModel(seed=1, params=ORIGINAL_PLAN).run(), "adoption_mean", "2020-12-01")
    off = at(EBPModel(seed=1, params=merged(ORIGINAL_PLAN, {"channels": {"erosion": False}})).run(),
             "adoption_mean", "2020-12-01")
    assert off - on > 0.05


def test_platform_leaders_turn_over():
    counted = []
    for rate in (0.0, 0.05):
        m = run_until(EBPModel(seed=1, params={"structure": {"platform_turnover": rate}}), "2012-12")
        counted.append(m.platform_hires)
    assert counted[0] <= 21 < counted[1]


# -- 5. graded co-financing -----------------------------------------------------------------------------
def test_takeover_is_graded_and_differs_between_counties():
    m = run_until(EBPModel(seed=1), "2014-01")
    shares = np.array([cc.takeover for cc in m.county_councils])
    assert ((shares > 0.02) & (shares < 0.98)).all()
    assert shares.std() > 0.1
    rooms = {cc.county.name: cc.budget_room(2016) for cc in m.county_councils}
    assert rooms["Gotland"] < rooms["Stockholm"]  # the same grant key weighs more per inhabitant


@pytest.mark.parametrize("key,lo,hi", [("commit_lead_time", 0.0, 0.8), ("commit_statement", 0.0, 3.0)])
def test_notice_and_stated_commitment_raise_the_takeover(key, lo, hi):
    def first(value):
        m = run_until(EBPModel(seed=1, params={"funding": {key: value}}), "2012-12")
        return np.array([cc.takeover for cc in m.county_councils])

    assert (first(hi) > first(lo)).all()


# -- 6. parallel structures cost staff time; upward reports have a recipient --------------------------
def test_routing_guidance_through_the_structures_saves_their_staff_time():
    via, past = [], []
    for seed in SEEDS:
        a = EBPModel(seed=seed, params={"centres": {"via_structure": 1.0}}).run()
        b = EBPModel(seed=seed, params={"centres": {"via_structure": 0.0}}).run()
        via.append(a.staff_time_lost)
        past.append(b.staff_time_lost)
        # the route changes the history (before v2 it changed adoption by exactly 0)
        assert not np.array_equal(national(a, "adoption_mean").values, national(b, "adoption_mean").values)
    assert np.mean(past) > np.mean(via)
    free = EBPModel(seed=1, params={"centres": {"via_structure": 0.0, "staff_time_cost": 0.0},
                                    "salar": {"network_time_cost": 0.0}}).run()
    assert free.staff_time_lost == 0


def test_upward_reports_make_national_guidance_more_relevant():
    only = {c: False for c in ("salar", "platform", "rd", "university", "peers")}
    gains = []
    for seed in SEEDS:
        used = at(EBPModel(seed=seed, params={"channels": only, "centres": {"relevance_gain": 1.5}}).run(),
                  "adoption_mean", "2016-12-01")
        unused = at(EBPModel(seed=seed, params={"channels": only, "centres": {"relevance_gain": 0.0}}).run(),
                    "adoption_mean", "2016-12-01")
        gains.append(used - unused)
    assert np.mean(gains) > 0


# -- 7. big-city counties are slower because of what makes them big -----------------------------------
def big_small(params=None):
    hire, reach = {True: [], False: []}, {True: [], False: []}
    for seed in range(4):
        m = EBPModel(seed=seed, params=params)
        first = {}
        while m.steps < 30:
            m.step()
            for s in m.structures:
                if s.platform_leader is not None:
                    first.setdefault(s.county.code, m.month)
        t = m.month_of("2011-06")
        for i, s in enumerate(m.structures):
            big = s.county.code in BIG
            hire[big].append(first.get(s.county.code, 30))
            reach[big].append(m.observables.values[t, i + 1, m.observables.col["reach_any"]])
    return np.mean(hire[True]) - np.mean(hire[False]), np.mean(reach[True]) - np.mean(reach[False])


def test_big_city_counties_organise_later_and_are_reached_less_by_mechanism():
    hire_gap, reach_gap = big_small()
    assert hire_gap > 3 and reach_gap < -0.05
    # every party agrees at once and a platform leader can mobilise any number of municipalities
    hire_gap, reach_gap = big_small({"structure": {"consent_rate": 1.0}, "salar": {"mobilisation_capacity": 1000}})
    assert hire_gap < 2.5 and reach_gap > -0.02


def test_no_parameter_is_named_after_big_cities():
    import re

    from sim.parameters import flat_spec

    assert not [p for p in flat_spec() if re.search(r"\bbig\b|\bcity\b|metropol", re.sub(r"[._]", " ", p))]


# -- 8. dated principles ------------------------------------------------------------------------------
def test_jonkoping_changes_principle_in_2011_unless_a_scenario_fixes_it():
    m = EBPModel(seed=1)
    jkp = next(s for s in m.structures if s.county.name == "Jönköping")
    run_until(m, "2010-06")
    assert jkp.principle == "network"
    run_until(m, "2011-06")
    assert jkp.principle == "unit"
    fixed = EBPModel(seed=1, params={"county_overrides": {"Jönköping": {"principle": "network"}}})
    run_until(fixed, "2012-06")
    assert next(s for s in fixed.structures if s.county.name == "Jönköping").principle == "network"


# -- 9. observables that move -------------------------------------------------------------------------
def test_observables_move_between_variants():
    plan = EBPModel(seed=1, params=ORIGINAL_PLAN).run()
    go_on = EBPModel(seed=1, params=CONTINUES).run()
    for obs in ("reach_12m", "provider_reach", "adoption_mean", "established_elderly", "provider_reach_elderly"):
        assert at(plan, obs, "2018-12-01") != at(go_on, obs, "2018-12-01"), obs
    assert at(plan, "provider_reach_ehealth", "2018-12-01") <= at(plan, "provider_reach", "2018-12-01")
    shares = [at(plan, "principal_cost_share", "2014-06-01", county=c) for c in ("Gotland", "Stockholm", "Örebro")]
    assert all(0 <= s <= 1 for s in shares) and len(set(shares)) == 3
    r12, rany = national(plan, "reach_12m"), national(plan, "reach_any")
    assert (r12 <= rany + 1e-12).all() and r12.iloc[-1] < r12.max()
