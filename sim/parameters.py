"""Model parameters: every number the model uses, with its unit and where it comes from.

Each parameter is a `Param` carrying its default, unit, allowed range and source. A source is either a
report (file in ``shared/seeds`` and section) or the word ``assumption`` with a short reason. Numbers from
the reports that are data rather than behaviour (municipalities, R&D units, dated events, money by year)
live in ``sim/data/`` and cite their sources there.

`defaults()` gives the plain nested dict of values the model reads; `merge()` applies overrides (from a
scenario or a calibration) and checks them against the ranges declared here; `county_overrides` lets a
scenario change the structure of single counties.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

S001 = "seed 001 (Statskontoret 2011:30)"
S004 = "seed 004 (SALAR 2012 report)"


@dataclass(frozen=True)
class Param:
    default: Any
    unit: str
    source: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple | None = None
    doc: str = ""
    # The range a modeller finds credible (sensitivity designs, calibration priors); narrower than lo-hi,
    # which only say what the model accepts. None = not yet declared (plausible_range falls back to lo-hi).
    plausible: tuple[float, float] | None = None


AREAS = ("substance_abuse", "elderly", "children_youth", "ehealth", "disability")
PRINCIPLES = ("unit", "network")


def _per_area(values: dict, unit: str, source: str, lo=0, hi=1, ranges: dict | None = None) -> dict:
    return {a: Param(values[a], unit, source, lo, hi, plausible=(ranges or {}).get(a)) for a in AREAS}


# fmt: off
SPEC: dict[str, Any] = {
    "start": Param("2010-01", "YYYY-MM", "BRIEF §4: regional structures funded from 2010", doc="first simulated month"),
    "end": Param("2020-12", "YYYY-MM", "issue #2: history to December 2020", doc="last simulated month"),

    # ---------------------------------------------------------------- municipalities
    "municipality": {
        "capacity_half_population": Param(15000, "inhabitants", "assumption: staff to send to training and to carry a new practice grow with size; seed 001 §6.3 'Stora kommuner har inte samma behov av stöd'", 0, 1e7,
                                          doc="population at which a municipality takes part half the time; 0 = every municipality at full capacity", plausible=(5000, 40000)),
        "capacity_exponent": Param(1.5, "dimensionless", "assumption: how sharply capacity falls below the half-capacity size", 0.1, 10,
                                   doc="capacity = x^k/(1+x^k), x = population/capacity_half_population", plausible=(1.0, 3.0)),
        "resource_person_rate": Param(0.15, "per month at full capacity", "assumption; BRIEF §2 success factor: 'every municipality appoints a resource person as link' (Jönköping)", 0, 1,
                                      doc="chance a municipality without one appoints a resource person while a platform leader is in post, times its capacity", plausible=(0.05, 0.4)),
        "resource_person_loss": Param(0.01, "per month", "assumption: the resource person leaves or the task lapses (BRIEF §2: staff turnover)", 0, 1, plausible=(0.005, 0.03)),
        "absorption_weight": Param(0.5, "0-1", "assumption: a small social-services office turns less of what it learns into practice", 0, 1,
                                   doc="uptake x (1 - w + w*capacity)", plausible=(0.2, 0.8)),
    },

    # ---------------------------------------------------------------- SALAR national coordination
    "salar": {
        "attend_prob": {
            # Probability that a municipality invited to an event sends someone. Calibrated against
            # 236 of 290 municipalities at >=1 national event 2011-2012 (seed 004, "Nationell konferens").
            "information": Param(0.35, "probability per event", "assumption; set by hand so that about 236/290 attend by 2012 (seed 004) once attendance needs the municipality's capacity", 0, 1,
                                 doc="information event (SALAR information days, member visits); attendance also needs the municipality's capacity", plausible=(0.1, 0.6)),
            "national_conference": Param(0.3, "probability per event", "assumption; seed 004: 140+ participants, all counties, 21 Nov 2012", 0, 1, plausible=(0.1, 0.5)),
            "riksregional": Param(0.5, "probability per event", "assumption; seed 004 Bilaga 1: conferences aimed at elected officials of the invited counties", 0, 1, plausible=(0.2, 0.8)),
            "leader_meeting": Param(0.0, "probability per event", "seed 004 Bilaga 1: 11 Sep 2012 meeting was for county representatives, not municipalities", 0, 1),
        },
        "platform_mobilisation": Param(0.6, "relative increase", "assumption: a platform leader in post recruits municipalities to national events (seed 004 success factors: close dialogue)", 0, 5,
                                       doc="attendance multiplier 1+x*min(1, mobilisation_capacity/municipalities)", plausible=(0.2, 1.5)),
        "mobilisation_capacity": Param(15, "municipalities per event", "assumption: one platform leader can personally recruit about this many municipalities (seed 000: SALAR found the many-municipality big-city counties hard to reach)", 1, 1000,
                                       plausible=(8, 30)),
        "network_time_cost": Param(0.05, "share of a regional staff month per national network event", "assumption; seed 000: SALAR's many parallel networks 'take power away from local efforts'", 0, 1,
                                   doc="each SALAR event a county is invited to draws on its structure's staff time that month", plausible=(0.0, 0.15)),
        "event_uptake": Param(0.02, "probability per area per attendance", "assumption: a conference alone rarely changes practice", 0, 1,
                              doc="chance that attending moves an aware municipality to using in an area", plausible=(0.005, 0.05)),
    },

    # ---------------------------------------------------------------- regional support structure
    "structure": {
        "platform_hire_rate": Param(0.2, "per month", "assumption; calibrated to 19 of 21 counties with a platform leader by 30 June 2011 (seed 001 §5.2)", 0, 1,
                                    doc="monthly hazard that a county whose parties have all agreed fills the platform-leader post", plausible=(0.05, 0.4)),
        "consent_rate": Param(0.35, "per party per month", "assumption; BRIEF §2 / seed 001 §6.3: many actors, sub-regions and competing R&D units with different owners must agree", 0, 1,
                              doc="monthly hazard that one negotiating party (a sub-region, a further R&D unit) agrees to the joint platform", plausible=(0.1, 0.8)),
        "declaration_date": Param("2010-05", "YYYY-MM", "BRIEF §4 / seed 001 §5.1: declarations of intent in spring 2010", doc="from when counties can hire"),
        "readiness_meeting_places": Param(1.5, "multiplier", "assumption; seed 001 §5.4: meeting places between municipalities and county council matter", 0, 10,
                                          doc="multiplier on hiring and platform activity where meeting places exist", plausible=(1.0, 2.5)),
        "readiness_decision_paths": Param(1.3, "multiplier", "assumption; seed 001 §5.4: formalised decision paths matter", 0, 10, plausible=(1.0, 2.0)),
        "platform_activity_capacity": Param(0.5, "municipality contacts per month at reference funding", "assumption: network meetings, training, seminars (seed 004 'Olika aspekter på arbetet med att sprida EBP') run by one small platform staff",
                                            0, 100, doc="shared among the county's municipalities: P(contact) = 1-exp(-capacity*funding*readiness/municipalities)", plausible=(0.2, 1.2)),
        "platform_uptake": Param(0.03, "probability per area per contact", "assumption", 0, 1, plausible=(0.01, 0.06)),
        "platform_min_funding": Param(0.5, "share of the 2011 structure money", "assumption: below this the platform-leader post cannot be paid", 0, 1, plausible=(0.3, 0.8)),
        "platform_turnover": Param(0.01, "per month", "assumption: about 11 % of platform leaders leave a year (BRIEF §2: turnover among platform leaders a hindrance)", 0, 1, plausible=(0.004, 0.03)),
        "link_rate": {  # monthly hazard that an area's development leaders join the county's one structure
            "substance_abuse": Param(0.13, "per month", "assumption; seed 001 §5.2: somewhat fewer than elderly linked by mid-2011", 0, 1, plausible=(0.03, 0.4)),
            "elderly": Param(0.3, "per month", "assumption; seed 001 §5.2: elderly leaders linked in 80 % of counties mid-2011", 0, 1, plausible=(0.1, 0.6)),
            "children_youth": Param(0.15, "per month", "assumption; seed 001 §3.2: leaders hired into the structure from autumn 2011", 0, 1, plausible=(0.05, 0.4)),
            "ehealth": Param(0.1, "per month", "assumption; BRIEF §1: eHealth the least integrated area", 0, 1, plausible=(0.01, 0.3)),
            "disability": Param(0.08, "per month", "assumption; BRIEF §1: brought in from 2012, neglected", 0, 1, plausible=(0.02, 0.3)),
        },
        "network_meetings_per_year": Param(6, "meetings per year", "assumption: 'regular joint meetings led by the platform leader' (seed 004, nätverksprincipen)", 0, 52, plausible=(4, 12)),
        "admin_overhead": {
            "unit": Param(0.10, "share of budget", "assumption: shared administration under one manager (seed 004, enhetsprincipen)", 0, 1, plausible=(0.05, 0.2)),
            "network": Param(0.18, "share of budget", "assumption: each employer administers its own leader", 0, 1, plausible=(0.08, 0.25)),
        },
        "field_proximity": {
            "unit": Param(0.75, "tie strength 0-1", "assumption: co-located leaders sit further from the field organisations (seed 004; Stockholm's argument, seed 001 §5.3)", 0, 1, plausible=(0.5, 1.0)),
            "network": Param(1.0, "tie strength 0-1", "assumption: each leader sits inside a field organisation", 0, 1, plausible=(0.8, 1.0)),
        },
        "gather_rate": Param(0.5, "per year", "assumption; seed 004 'Samordning med övrigt utvecklingsarbete': since 2010/2011 'en viss tendens till att enhetsprincipen blir allt vanligare', driven by 'ett ökat behov av samverkan mellan de olika utvecklingsområdena'", 0, 1,
                             doc="yearly chance that a network-principle structure with all its areas apart and one negotiating party gathers its leaders in one unit; scaled by the cross-area contact its leaders lack, by the field proximity the unit keeps and divided by the parties", plausible=(0.1, 1.0)),
        "tie_growth": Param(0.25, "per meeting", "assumption: what one joint meeting adds to the tie between two leaders", 0, 1, plausible=(0.1, 0.5)),
        "tie_decay": Param(0.03, "per month", "assumption: ties between leaders who do not meet weaken", 0, 1, plausible=(0.01, 0.1)),
    },

    # ---------------------------------------------------------------- development leaders
    "leaders": {
        "cost_msek_per_fte": Param(0.85, "SEK million per FTE-year", "assumption: salary and overheads of a development leader, c. 2011", 0.01, 10, plausible=(0.7, 1.0)),
        "municipalities_per_fte": Param(2.5, "municipality contacts per FTE per month", "assumption: a leader works closely with a few municipalities a month", 0, 100, plausible=(1, 5)),
        "uptake": Param(0.07, "probability per contact", "assumption: hands-on support moves an aware municipality to using", 0, 1, plausible=(0.03, 0.15)),
        "consolidation": Param(0.04, "probability per contact", "assumption: continued support moves using to established", 0, 1, plausible=(0.02, 0.1)),
        "competence_start": Param(0.5, "0-1", "assumption: a new leader's know-how of EBP", 0, 1, plausible=(0.3, 0.8)),
        "learning_by_doing": Param(0.02, "per month", "assumption", 0, 1, plausible=(0.005, 0.05)),
        "cross_area_learning": Param(0.04, "per month at full tie strength", "assumption: learning from leaders of other areas (seed 004: reason for co-location)", 0, 1, plausible=(0.0, 0.1)),
        "turnover": Param(0.015, "per month", "assumption: about 17 % of leaders leave a year (BRIEF §2: staff turnover a hindrance)", 0, 1, plausible=(0.005, 0.03)),
        "hire_rate": Param(0.25, "per month", "assumption: chance a funded vacancy is filled in a month", 0, 1, plausible=(0.1, 0.5)),
        "layoff_rate": Param(0.15, "per month", "assumption: chance an unfunded post ends in a month", 0, 1, plausible=(0.05, 0.5)),
        "upward_rate": Param(0.15, "reports per leader per month at full proximity", "assumption: experience from practice reported up (seed 001 §5.3: the upward flow is weak)", 0, 10, plausible=(0.05, 0.5)),
        "platform_uptake_boost": Param(0.5, "relative", "assumption: a linked leader's contact also draws on the structure's training", 0, 5, plausible=(0.0, 1.0)),
    },

    # ---------------------------------------------------------------- R&D units
    "rd": {
        "contacts_per_fte": Param(0.25, "member-municipality contacts per FTE per month", "assumption: training, evaluation workshops, local projects", 0, 10, plausible=(0.1, 0.5)),
        "uptake": Param(0.06, "probability per contact", "assumption", 0, 1, plausible=(0.02, 0.1)),
        "consolidation": Param(0.05, "probability per contact", "assumption; seed 004 'Kombinationstjänster': R&D staff working part-time in a municipality help practice last", 0, 1, plausible=(0.02, 0.1)),
        "initiative_share": Param(0.4, "share of R&D activity", "assumption: part of an R&D unit's work that the initiative's money pays for (seed 004: FoU is the platform in many counties)", 0, 1, plausible=(0.2, 0.6)),
        "link_rate": Param(0.1, "per month", "assumption: the platform leader negotiates with one R&D unit at a time; each month the unit in negotiation joins with this chance", 0, 1, plausible=(0.03, 0.3)),
    },

    # ---------------------------------------------------------------- universities
    "university": {
        "course_rate": Param(0.01, "per municipality per month", "assumption: commissioned courses (seed 004 'Samverkan med universitet/högskolor')", 0, 1, plausible=(0.003, 0.03)),
        "uptake": Param(0.05, "probability per contact", "assumption", 0, 1, plausible=(0.02, 0.1)),
        "doctoral_rate": Param(0.002, "per municipality per month", "assumption: municipal doctoral students are rare", 0, 1, plausible=(0.0005, 0.005)),
        "doctoral_consolidation": Param(0.3, "probability", "assumption: a municipal doctoral student helps practice become established", 0, 1, plausible=(0.1, 0.5)),
        "out_of_county": Param(0.3, "multiplier", "assumption: counties without a university use a neighbour's at reduced rate", 0, 1, plausible=(0.1, 0.6)),
    },

    # ---------------------------------------------------------------- national knowledge centres
    "centres": {
        "guidance_per_year": Param(2.0, "publications per centre per year", "assumption", 0, 52, plausible=(1, 4)),
        "reach": Param(0.15, "share of municipalities reached per publication", "assumption", 0, 1, plausible=(0.05, 0.3)),
        "uptake": Param(0.02, "probability per contact", "assumption", 0, 1, plausible=(0.005, 0.05)),
        "via_structure": Param(0.0, "share of guidance routed through the regional structures", "BRIEF §1: authorities rarely use the regional structures as channels", 0, 1),
        "duplication_window": Param(12, "months", "assumption: guidance arriving within a year of structure support on the same area duplicates it", 1, 120, plausible=(6, 24)),
        "staff_time_cost": Param(0.3, "share of a regional staff month per publication reaching every municipality", "assumption; seed 000: parallel structures burden the same regional representatives", 0, 5,
                                 doc="guidance that bypasses the structure on an area it works in draws on its staff's time", plausible=(0.05, 0.6)),
        "relevance_gain": Param(0.5, "relative", "assumption; seed 000 / BRIEF §1: experience that flows up is meant to shape national guidance", 0, 5,
                                doc="uptake x (1 + gain * reports/(reports + relevance_reports)) with the area's upward reports of the last 12 months", plausible=(0.0, 1.5)),
        "relevance_reports": Param(100, "reports per year", "assumption: upward reports in an area that make national guidance half as relevant again as it can get", 1, 1e6, plausible=(30, 300)),
    },

    # ---------------------------------------------------------------- municipalities between themselves
    "peers": {
        "q": Param(0.01, "per month at full peer adoption", "assumption: municipalities learn from neighbours that use a practice", 0, 1, plausible=(0.002, 0.03)),
        "scope": Param("county", "", "assumption", choices=("county", "national")),
        "level": Param("using", "", "assumption: peers imitate practice in use", choices=("aware", "using", "established")),
        "uptake": Param(0.05, "probability per contact", "assumption: seeing a neighbour use a practice", 0, 1, plausible=(0.02, 0.1)),
        "substeps": Param(1, "sub-steps per month", "assumption: imitation updated monthly; raise it to approach continuous time", 1, 100),
    },

    # ---------------------------------------------------------------- national mass channels outside the initiative
    "broadcast": {
        "p": Param(0.0, "per municipality and area per month", "assumption: off by default; used for the Bass limit (innovation coefficient p)", 0, 1),
        "uptake": Param(0.0, "probability per contact", "assumption", 0, 1),
    },

    # ---------------------------------------------------------------- knowledge: the start, spill-over, erosion
    "knowledge": {
        "initial_aware": _per_area({"substance_abuse": 0.6, "elderly": 0.4, "children_youth": 0.2, "ehealth": 0.0, "disability": 0.1}, "share of municipalities, January 2010",
                                   "assumption: what came before 2010 — Kunskap till praktik from 2008, the elderly programme from December 2009, IMS from 2004, the R&D units' work (BRIEF §1, §3; seed 001 §3.1)",
                                   ranges={"substance_abuse": (0.4, 0.8), "elderly": (0.2, 0.6), "children_youth": (0.1, 0.4), "ehealth": (0.0, 0.05), "disability": (0.05, 0.25)}),
        "initial_using": _per_area({"substance_abuse": 0.1, "elderly": 0.03, "children_youth": 0.03, "ehealth": 0.0, "disability": 0.01}, "share of municipalities, January 2010",
                                   "assumption: a few municipalities already worked with evidence-based methods (seed 002: the 2007 letter; IMS from 2004)",
                                   ranges={"substance_abuse": (0.03, 0.2), "elderly": (0.0, 0.08), "children_youth": (0.0, 0.08), "ehealth": (0.0, 0.01), "disability": (0.0, 0.04)}),
        "spillover": Param(0.1, "share of uptake", "assumption: general EBP work carries over to an area whose programme has not started (programme_areas.csv activity_from)", 0, 1,
                           doc="uptake in an area before its programme starts is multiplied by this", plausible=(0.0, 0.3)),
        "memory_months": Param(12, "months", "assumption: knowledge not refreshed by support for a year starts to erode", 1, 240, plausible=(6, 24)),
        "forgetting": Param(0.02, "per month", "assumption: aware -> unaware without support", 0, 1, plausible=(0.005, 0.05)),
        "staff_turnover_loss": Param(0.025, "per month", "assumption: using -> aware when staff who used it leave and nobody supports the practice (BRIEF §2: staff turnover)", 0, 1, plausible=(0.01, 0.05)),
        "established_loss": Param(0.004, "per month", "assumption: established practice is embedded in routines", 0, 1, plausible=(0.001, 0.01)),
    },

    # ---------------------------------------------------------------- private providers
    "providers": {
        "per_10k_inhabitants": Param(1.0, "providers per 10,000 inhabitants", "assumption: one contracted private provider per 10,000 inhabitants (no count in the reports)", 0, 100, plausible=(0.5, 2.0)),
        "pass_on_rate": Param(0.01, "per month", "assumption; seed 004 'Hur de alternativa utförarna involveras': reached mostly via courses the municipality passes on", 0, 1, plausible=(0.003, 0.03)),
        "direct_outreach": Param(0.0, "per month", "seed 004: providers 'involved marginally' - no direct route by default", 0, 1),
    },

    # ---------------------------------------------------------------- money
    "funding": {
        "state_share": Param({2014: 0.75, 2015: 0.5, 2016: 0.0}, "share of baseline cost by year (years not listed keep the previous share; before the first listed year 1.0)",
                             "seed 004 'Frågan om långsiktigt åtagande': principals take 25 % 2014, 50 % 2015, 100 % from 2016"),
        "announced": Param("2012-12", "YYYY-MM", "seed 004 'Frågan om långsiktigt åtagande': the 2013 agreement, December 2012",
                           doc="when counties learn the schedule and start deciding each year what share of the cost they take over"),
        "allocation_base_share": Param(0.5, "share", "assumption: half of each grant split equally among counties, half by population", 0, 1, plausible=(0.3, 0.7)),
        "commit_intercept": Param(-3.5, "log-odds", "assumption: with average inputs the principals take over about half", -20, 20, doc="take-over share = logistic(intercept + terms + county noise)", plausible=(-5.0, -2.0)),
        "commit_anchoring": Param(1.5, "log-odds per unit anchoring", "assumption; BRIEF §2: political priority and top-management anchoring", -20, 20, plausible=(0.5, 3.0)),
        "commit_statement": Param(1.5, "log-odds per unit of the January 2013 statement", "assumption; seed 004 'Frågan om långsiktigt åtagande' (structures.csv statement_2013)", -20, 20, plausible=(0.5, 3.0)),
        "statement_unknown": Param(0.5, "0-1", "assumption: a county the report does not describe is read as undecided", 0, 1, plausible=(0.3, 0.6)),
        "commit_value": Param(2.0, "log-odds per unit perceived value", "assumption: value = share of the county's municipality-areas in practice", -20, 20, plausible=(0.5, 4.0)),
        "commit_budget": Param(1.5, "log-odds per unit budget room", "assumption: room = 1/(1 + burden/burden_ref), burden = the cost to take over per inhabitant", -20, 20, plausible=(0.5, 3.0)),
        "burden_ref": Param(6.0, "SEK per inhabitant and year", "assumption: a take-over of this cost per inhabitant halves the budget room", 0.01, 1000, plausible=(2.0, 20.0)),
        "commit_lead_time": Param(0.3, "log-odds per year of notice", "seed 000: the phase-out plan 'intensified the work to draw out regional funding'", -20, 20,
                                  doc="years between the decision and the full take-over, at most 4", plausible=(0.0, 0.8)),
        "commit_persistence": Param(1.5, "log-odds per unit of last year's take-over share", "assumption: a cost once taken over enters the ordinary budget", -20, 20, plausible=(0.0, 3.0)),
        "commit_noise": Param(0.7, "log-odds (sd)", "assumption: county politics the model does not hold; one draw per county and one per year", 0, 10, plausible=(0.3, 1.5)),
    },
}
# fmt: on

# Per-county settings a scenario may override (`county_overrides: {code or name: {key: value}}`).
COUNTY_KEYS = {
    "principle": Param(None, "", "sim/data/structures.csv", choices=PRINCIPLES),
    "meeting_places": Param(None, "0/1", "sim/data/structures.csv", 0, 1),
    "decision_paths": Param(None, "0/1", "sim/data/structures.csv", 0, 1),
    "anchoring": Param(None, "0-1", "sim/data/structures.csv", 0, 1),
    "budget_room": Param(None, "0-1", "computed from the take-over burden unless set (funding.burden_ref)", 0, 1),
    "statement_2013": Param(None, "0-1", "sim/data/structures.csv (seed 004 'Frågan om långsiktigt åtagande')", 0, 1),
    "areas": Param(None, "list of area keys, or 'auto'", "sim/data/structures.csv"),
    "meetings_per_year": Param(None, "meetings per year", "structure.network_meetings_per_year", 0, 52),
    "structure": Param(None, "true/false", "assumption: a county may have no regional structure at all"),
    "platform_at_rd": Param(None, "0/1", "sim/data/structures.csv (seed 004 'FoU:s roll')", 0, 1),
}


def plausible_range(spec: Param) -> tuple:
    """The declared plausible range of a parameter, or its allowed bounds where none is declared."""
    return spec.plausible if spec.plausible is not None else (spec.lo, spec.hi)


_ATOMS = (int, float, str, bool, type(None))


def _copy(value):
    """A deep copy of a tree of parameter values: what copy.deepcopy gives, several times faster on the
    plain dicts, lists and numbers parameters are made of (every model build copies the whole tree)."""
    if isinstance(value, _ATOMS):
        return value
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy(v) for v in value]
    return copy.deepcopy(value)


def _values(spec):
    if isinstance(spec, Param):
        return _copy(spec.default)
    return {k: _values(v) for k, v in spec.items()}


def defaults() -> dict:
    """The default parameter values as a plain nested dict (plus empty channel and county settings)."""
    values = _values(SPEC)
    values["channels"] = {c: True for c in CHANNELS}
    values["county_overrides"] = {}
    return values


# Each channel of knowledge can be switched off (for tests, the Bass limit and scenarios).
CHANNELS = ("salar", "platform", "leaders", "rd", "university", "centres", "peers", "providers", "erosion")


class ParameterError(ValueError):
    """A parameter override names an unknown key or a value outside what is allowed."""

    def __init__(self, path: str, value: Any, allowed: str):
        self.path, self.value, self.allowed = path, value, allowed
        super().__init__(f"{path}: {value!r} is not allowed; expected {allowed}")


def check_value(path: str, spec: Param, value: Any) -> None:
    if spec.choices is not None and value not in spec.choices:
        raise ParameterError(path, value, "one of " + ", ".join(map(str, spec.choices)))
    if spec.lo is not None or spec.hi is not None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(path, value, f"a number from {spec.lo} to {spec.hi}")
        # `not lo <= value`, not `value < lo`: NaN compares false both ways and would pass
        if (spec.lo is not None and not spec.lo <= value) or (spec.hi is not None and not value <= spec.hi) \
                or value in (float("inf"), float("-inf")):
            raise ParameterError(path, value, f"a finite number from {spec.lo} to {spec.hi}")


def merge(base: dict, overrides: dict | None, _spec=None, _path="") -> dict:
    """Return a copy of `base` with `overrides` applied, checking keys and values against SPEC."""
    out = _copy(base)
    spec = SPEC if _spec is None else _spec
    for key, value in (overrides or {}).items():
        path = f"{_path}{key}"
        if _spec is None and key == "channels":
            for ch, on in value.items():
                if ch not in CHANNELS:
                    raise ParameterError(f"channels.{ch}", on, "one of " + ", ".join(CHANNELS))
                if not isinstance(on, bool):
                    raise ParameterError(f"channels.{ch}", on, "true or false")
                out["channels"][ch] = on
            continue
        if _spec is None and key == "county_overrides":
            for county, settings in value.items():
                for k, v in settings.items():
                    if k not in COUNTY_KEYS:
                        raise ParameterError(f"county_overrides.{county}.{k}", v, "one of " + ", ".join(COUNTY_KEYS))
                    if v is not None and k not in ("areas", "structure"):
                        check_value(f"county_overrides.{county}.{k}", COUNTY_KEYS[k], v)
                out["county_overrides"].setdefault(str(county), {}).update(settings)
            continue
        if key not in spec:
            raise ParameterError(path, value, "one of " + ", ".join(spec))
        sub = spec[key]
        if isinstance(sub, Param):
            if isinstance(sub.default, dict):
                out[key] = {int(k) if str(k).isdigit() else k: v for k, v in value.items()}
            else:
                check_value(path, sub, value)
                out[key] = value
        else:
            if not isinstance(value, dict):
                raise ParameterError(path, value, "a mapping with keys " + ", ".join(sub))
            out[key] = merge(out[key], value, sub, path + ".")
    return out


def flat_spec(spec=None, prefix="") -> dict[str, Param]:
    """Every parameter by its dotted path, for the ODD table and its test."""
    spec = SPEC if spec is None else spec
    out = {}
    for k, v in spec.items():
        if isinstance(v, Param):
            out[prefix + k] = v
        else:
            out.update(flat_spec(v, prefix + k + "."))
    return out


def markdown_table() -> str:
    """The parameter table of docs/ODD.md §7, generated from SPEC (`python -m sim.parameters`)."""
    rows = ["| parameter | default | plausible | unit | source or assumption |", "|---|---|---|---|---|"]
    for path, spec in flat_spec().items():
        rng = f"{spec.plausible[0]:g}–{spec.plausible[1]:g}" if spec.plausible else ""
        rows.append(f"| `{path}` | {format_default(spec.default)} | {rng} | {spec.unit} | {spec.source} |")
    return "\n".join(rows)


def format_default(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)


if __name__ == "__main__":
    print(markdown_table())
