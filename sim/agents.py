"""The organisations of Swedish social services as Mesa agents (ODD: entities and their behaviour).

Municipalities, county councils, universities, private providers and SALAR's national coordination live
here; the national knowledge centres in ``guidance``, the R&D units in ``rd_units``, the regional support
structure with its platform and development leaders in ``structures`` and ``leaders``. The knowledge state
of municipalities is held as numpy arrays in ``model.knowledge`` and each agent reads and writes its own
rows, so a month costs a few vector operations per organisation rather than a Python loop over every pair.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from .guidance import Guidance, NationalKnowledgeCentre  # noqa: F401  (agents, imported from here too)
from .knowledge import LEVELS, USING
from .parameters import AREAS


def per_municipality(flag: np.ndarray) -> bool | np.ndarray:
    """A yes/no per municipality as `expose` takes it: one bool when it is the same for all (cheaper)."""
    if not flag.any():
        return False
    return True if flag.all() else flag


class Municipality(mesa.Agent):
    """A municipality (kommun): the principal of social services, and what knowledge must reach."""

    def __init__(self, model, index: int, code: str, name: str, county, population: int):
        super().__init__(model)
        self.index, self.code, self.name, self.county, self.population = index, code, name, county, population

    @property
    def level(self) -> np.ndarray:
        """Knowledge level per programme area (0 unaware, 1 aware, 2 using, 3 established)."""
        return self.model.knowledge.level[self.index]

    @property
    def reached(self) -> bool:
        return bool(self.model.knowledge.reached[self.index])


class CountyCouncil(mesa.Agent):
    """The county council (landsting) and, with it, the county's municipalities as joint principals.

    Holds what the reports call success factors (meeting places, formal decision paths, political
    anchoring, the January 2013 commitment statement) and decides each year what share of the cost the
    state no longer pays the principals take over (ODD submodel "Money").
    """

    def __init__(self, model, county, settings: dict):
        super().__init__(model)
        self.county = county
        self.meeting_places = bool(settings["meeting_places"])
        self.decision_paths = bool(settings["decision_paths"])
        self.anchoring = float(settings["anchoring"])
        self.fixed_budget_room = settings["budget_room"]  # None: computed from the burden each year
        stmt = settings["statement_2013"]
        self.statement = float(model.p["funding"]["statement_unknown"] if stmt is None else stmt)
        self.takeover = 0.0  # share of the withdrawn state money the principals pay, 0-1
        self.county_noise = model.streams("cofinance-county", county.code).normal()

    @property
    def committed(self) -> bool:
        return self.takeover > 0.5

    def perceived_value(self) -> float:
        """Share of the county's (municipality, area) pairs where a practice is in use."""
        return float(CountyCouncil.perceived_values(self.model)[self.county.index])

    def budget_room(self, year: int) -> float:
        """0-1: less room the more per inhabitant the principals would have to take over in `year`."""
        return float(CountyCouncil.budget_rooms(self.model, year)[self.county.index])

    @staticmethod
    def perceived_values(model) -> np.ndarray:
        """`perceived_value` of every county: pairs in use counted per county, over its number of pairs."""
        in_use = (model.knowledge.level >= USING).sum(axis=1)
        return np.bincount(model.muni_county, weights=in_use, minlength=len(model.county_councils)) / (
            model.county_sizes * len(AREAS))

    @staticmethod
    def budget_rooms(model, year: int) -> np.ndarray:
        """`budget_room` of every county: from the burden, or as a scenario fixed it."""
        councils = model.county_councils
        burden = model.funding.burden(year, np.array([cc.county.population for cc in councils]))
        room = (1.0 / (1.0 + burden / model.p["funding"]["burden_ref"])).tolist()
        fixed = [cc.fixed_budget_room for cc in councils]
        return np.array([r if f is None else float(f) for f, r in zip(fixed, room)])

    @staticmethod
    def decide_cofinancing(model) -> None:
        """Each council decides the share of next year's withdrawn state money its principals take over
        (graded, 0-1); all councils at once, each with its own yearly draw."""
        councils, p = model.county_councils, model.p["funding"]
        u = np.array([model.streams("cofinance", cc.county.code).normal() for cc in councils])
        year = model.date_of(model.month).year + 1
        full = model.funding.full_takeover_year()
        notice = 0.0 if full is None else min(4.0, max(0.0, full - (model.start_year + (model.month + 1) / 12.0)))
        anchoring, statement, county_noise, takeover = (np.array([getattr(cc, k) for cc in councils])
                                                        for k in ("anchoring", "statement", "county_noise", "takeover"))
        value, room = CountyCouncil.perceived_values(model), CountyCouncil.budget_rooms(model, year)
        z = (p["commit_intercept"] + p["commit_anchoring"] * anchoring + p["commit_statement"] * statement
             + p["commit_value"] * value + p["commit_budget"] * room
             + p["commit_lead_time"] * notice + p["commit_persistence"] * takeover
             + p["commit_noise"] * (county_noise + u) / math.sqrt(2.0))
        for cc, z_c in zip(councils, z.tolist()):
            cc.takeover = 1.0 / (1.0 + math.exp(-z_c))  # math.exp: np.exp may differ in the last bit


class University(mesa.Agent):
    """A university or university college: commissioned courses and municipal doctoral students."""

    def __init__(self, model, data: dict, structure):
        super().__init__(model)
        self.key = data["id"]
        self.name = data["name"]
        self.structure = structure
        self.social_work = data.get("social_work_programme", "1") == "1"
        self.linked = False

    @property
    def linked(self) -> bool:
        """The university is linked to its county's structure (and so counts as the initiative's activity)."""
        return self._linked

    @linked.setter
    def linked(self, value: bool) -> None:
        self._linked = bool(value)
        self.model.university_linked = None  # the mask teach uses is made again

    @staticmethod
    def reach(model) -> np.ndarray:
        """Each municipality's monthly chance of a course and of a doctoral post, per area (fixed for a run;
        shape (2, municipality, area)): from its county's universities with a social-work programme (at most
        two count), else a neighbour's; none outside the areas of social-work education."""
        p = model.p["university"]
        n = np.bincount(model.university_county, weights=model.university_social_work, minlength=len(model.structures))
        scale = np.where(n > 0, np.minimum(n, 2), p["out_of_county"])[model.muni_county, None]
        chance = np.stack(np.broadcast_arrays(1.0 - np.exp(-p["course_rate"] * scale), p["doctoral_rate"] * scale))
        return np.where(model.academic_fields, chance, 0.0)

    @staticmethod
    def teach(model) -> None:
        """Courses and doctoral posts for the municipalities of every county, from the county's own
        universities with a social-work programme (at most two count), or a neighbour's at a reduced rate
        where it has none; only in the areas of social-work education."""
        p = model.p["university"]
        year = model.university_year  # the months of the year still to come
        if not year:  # a year's uniforms at once: the same numbers as a draw a month (no other process uses
            # the stream), made into contacts in a few operations for the whole year
            u = model.streams("university").random((12, 2, model.n_municipalities, len(AREAS)))
            year.extend(University.contacts(model, u))
        course, doctoral, both, contact, uptake, consolidation = year.pop(0)
        if not model.p["channels"]["university"]:
            return
        linked = University.linked_rows(model)
        if both:  # rare: a pair with both gets the two contacts one after the other
            model.knowledge.expose(course, uptake=p["uptake"], initiative=linked, structure=linked)
            model.knowledge.expose(doctoral, uptake=p["doctoral_consolidation"],
                                   consolidation=p["doctoral_consolidation"], initiative=linked, structure=linked)
        elif contact is not None:
            model.knowledge.expose(contact, uptake=uptake, consolidation=consolidation, initiative=linked,
                                   structure=linked)

    @staticmethod
    def contacts(model, u: np.ndarray) -> list[tuple]:
        """A year's courses and doctoral posts from its uniforms u (month, kind, municipality, area), month by
        month: (course, doctoral, both in a pair, contact, uptake, consolidation). Where no pair has both
        kinds, the two are one exposure, each pair with its own kind's chances (the same numbers);
        contact is None in a month without any."""
        p = model.p["university"]
        course, doctoral = np.moveaxis(u < model.university_reach, 1, 0)
        both = (course & doctoral).any(axis=(1, 2))
        contact = course | doctoral
        some = contact.any(axis=(1, 2))
        uptake = np.where(doctoral, p["doctoral_consolidation"], p["uptake"])
        consolidation = doctoral * p["doctoral_consolidation"]
        return [(course[k], doctoral[k], both[k], contact[k] if some[k] else None, uptake[k], consolidation[k])
                for k in range(len(u))]

    @staticmethod
    def linked_rows(model) -> bool | np.ndarray:
        """Per municipality and area (as `expose` takes it): the county's universities are linked to the
        structure. Kept until a university is linked (`linked` drops it)."""
        if model.university_linked is None:
            linked = np.zeros(len(model.structures), dtype=bool)
            linked[[x.structure.index for x in model.universities if x.linked]] = True
            linked = per_municipality(linked)  # every county has municipalities
            if not isinstance(linked, bool):  # per (municipality, area): cheaper in expose than broadcasting
                linked = np.repeat(linked[model.muni_county], len(AREAS)).reshape(model.knowledge.level.shape)
            model.university_linked = linked
        return model.university_linked


class PrivateProvider(mesa.Agent):
    """A private provider (alternativ utförare) under contract to a municipality.

    Reached only through its municipality passing knowledge on (and a direct outreach that is zero by
    default: seed 004 finds providers 'involved marginally').
    """

    def __init__(self, model, municipality_index: int):
        super().__init__(model)
        self.municipality = municipality_index

    @staticmethod
    def receive_knowledge(model) -> None:
        """Vectorised over all providers: the monthly chance each one is reached."""
        p = model.p["providers"]
        u = model.streams("providers").random((len(model.provider_muni), len(AREAS)))
        if not model.p["channels"]["providers"] or len(u) == 0:
            return
        # (the providers are in municipality order: repeating rows is cheaper than taking them)
        passes_on = (model.knowledge.level >= USING).repeat(model.providers_per_muni, axis=0)
        # the monthly chance is pass_on_rate + direct_outreach where the municipality passes knowledge on,
        # else direct_outreach alone (no uniform is below 0, the default)
        on, off = p["pass_on_rate"] + p["direct_outreach"], p["direct_outreach"]
        if off <= 0:
            passes_on &= u < on
            model.provider_reached |= passes_on
        else:
            model.provider_reached |= np.where(passes_on, u < on, u < off)


class NationalCoordination(mesa.Agent):
    """SALAR's national coordination: national conferences, riksregionala conferences, information events."""

    def __init__(self, model):
        super().__init__(model)

    def hold_event(self, event: dict) -> None:
        m, p = self.model, self.model.p["salar"]
        u, u2 = m.streams("salar", event["date"].isoformat(), event["type"], event["counties"]).random((2, m.n_municipalities))
        if not m.p["channels"]["salar"]:
            return
        if event["type"] == "leader_meeting":
            self.meet_leaders()
        prob = np.zeros(len(m.structures))  # the chance to attend, by county: none where not invited
        for ci in event["county_idx"]:
            s = m.structures[ci]
            # a platform leader recruits municipalities personally, and can reach only so many
            mobilised = min(1.0, p["mobilisation_capacity"] / len(s.rows)) if s.platform_leader else 0.0
            prob[ci] = min(1.0, p["attend_prob"][event["type"]] * (1.0 + p["platform_mobilisation"] * mobilised))
            s.add_time_load(p["network_time_cost"])  # the county's people take part in SALAR's networks
        attend = (u < prob.take(m.muni_county)) & m.knowledge.take_part(u2)  # (no uniform is below 0)
        m.knowledge.salar_event |= attend
        m.knowledge.expose(attend[:, None] & m.areas_running[None, :], uptake=p["event_uptake"], initiative=True, taken=True)

    def meet_leaders(self) -> None:
        """A national meeting of development leaders from all counties: a burst of cross-area learning."""
        posts = self.model.leader_posts
        posts.learn(1.0, posts.in_linked_areas())


def peer_imitation_and_broadcast(model) -> None:
    """Municipalities learn from others that already use a practice (Bass imitation, coefficient q) and
    from national mass channels outside the initiative (Bass innovation, coefficient p; off by default).

    Both run in `peers.substeps` sub-steps a month; within a month a contact makes a municipality aware at
    once, so that the share others imitate is updated between sub-steps (the monthly model tends to the
    continuous-time Bass model as sub-steps grow; see the Bass-limit test).
    """
    pp, pb = model.p["peers"], model.p["broadcast"]
    kn = model.knowledge
    k = int(pp["substeps"])
    shape = (k,) + kn.level.shape
    peers_on = model.p["channels"]["peers"] and pp["q"] > 0
    broadcast_on = pb["p"] > 0
    # each stream serves only its channel, which is on or off for the whole run: when off, nothing reads it
    u = model.streams("peers").random(shape) if peers_on else None
    ub = model.streams("broadcast").random(shape) if broadcast_on else None
    level = LEVELS[pp["level"]]
    for step in range(k):
        if peers_on:
            # the chance of a contact, per county (or nation) and area, from the share that has adopted
            if pp["scope"] == "national":
                share = (kn.level >= level).mean(axis=0)
            elif level == USING:  # no one has started or stopped using since the month began
                share = model.county_using
            else:
                share = model.county_share(kn.level >= level)
            rate = -pp["q"] * share
            if k > 1:  # (a division by 1 would change no number)
                rate /= k
            p_contact = 1.0 - np.exp(rate, out=rate)
            if pp["scope"] != "national":
                p_contact = p_contact.take(model.muni_county, axis=0)  # take: cheaper than indexing
            make_aware(kn, u[step] < p_contact, uptake=pp["uptake"])
        if broadcast_on:
            make_aware(kn, ub[step] < 1.0 - math.exp(-pb["p"] / k), uptake=pb["uptake"])


def make_aware(kn, contact: np.ndarray, uptake: float) -> None:
    """A contact with peers or mass channels outside the initiative: it makes an unaware pair aware at once
    (levels are 0-3, so the larger of level and contact does it), and is not support against erosion."""
    if contact.any():
        kn.expose(contact, uptake=uptake, initiative=False, refresh=False)
        np.maximum(kn.level, contact.view(np.int8), out=kn.level)  # (as int8: one dtype, no casting buffer)
