"""National knowledge centres and the guidance they publish (ODD §7.6).

Each centre or authority is a Mesa agent, ``NationalKnowledgeCentre``; the month's publishing of all of
them is one step (``NationalKnowledgeCentre.publish_guidance``) over arrays centre x municipality, and
``Guidance`` holds what that step needs that is fixed for a run or changes only with the year or with the
reports that flow up.
"""

from __future__ import annotations

import mesa
import numpy as np

from .knowledge import CountFactors
from .parameters import AREAS
from .streams import skip_uniforms


class NationalKnowledgeCentre(mesa.Agent):
    """A national knowledge centre or authority that publishes guidance, mostly past the regional structures."""

    def __init__(self, model, data: dict):
        super().__init__(model)
        self.key = data["id"]
        self.name = data["name"]
        self.areas = [AREAS.index(a) for a in data["areas"] if a in AREAS]
        self.founded = data["founded"]

    @property
    def duplications(self) -> int:
        """Municipality-areas this centre's guidance reached beside recent regional support, this month."""
        return int(self.model.guidance.duplications()[self.model.centres.index(self)])

    @staticmethod
    def publish_guidance(model) -> None:
        """Every centre that publishes this month reaches a share of municipalities in its areas, past the
        structures (by default) or through them; guidance past them duplicates recent regional support and
        takes the structures' staff time, and experience reported up makes all guidance more relevant."""
        m, p = model, model.p["centres"]
        g = m.guidance
        rng = g.rng
        # those that exist this year and work in one of the model's areas publish (the others' chance is 0)
        draws = zip(rng.random(g.n_centres).tolist(), g.chances(m.year))
        rows = [k for k, (u, chance) in enumerate(draws) if u < chance]
        if not m.p["channels"]["centres"] or not rows:
            skip_uniforms(rng, 2 * g.n_centres * m.n_municipalities)
            g.published = None
            m.duplication_muni.fill(0.0)
            return
        # the month's uniforms are (reach, via the structure) x centre x municipality; only the rows of
        # centres that publish are made, and the second set only if any guidance goes via the structure.
        # Centre x municipality as 0/1 floats (whole numbers throughout, so every sum below is exact)
        if p["via_structure"] > 0:
            reached = g.draw(rows, p["reach"], g.reached)
            via = g.draw(rows, p["via_structure"], g.via) * reached
            bypass = reached - via
        else:  # no uniform is below 0: the stream moves on by the second set with the first one's last skip
            via, bypass = None, g.draw(rows, p["reach"], g.reached, then_skip=g.via.size)
        mask = m.centre_areas  # centre x area it works in, 0/1
        counts = bypass.T @ mask  # municipality x area: publishing centres that reached it past the structure
        # guidance that arrives beside recent support from the regional structure duplicates it
        recent = np.greater(m.knowledge.last_structure, m.month - p["duplication_window"], out=g.recent)  # as 0/1
        np.matmul(counts * recent, g.ones, out=m.duplication_muni)  # (a product with ones: cheaper than .sum)
        g.published = (bypass, recent)  # for the centres' own duplications, made only when asked for
        # guidance past the structure on an area it works in takes its staff's time (seed 000)
        works, any_works = g.works()
        if any_works:
            past = m.county_share(bypass.T)  # county x centre: share of the county's municipalities reached
            m.regional.next_load += p["staff_time_cost"] * (past * works / g.areas_per_centre).sum(axis=1)
        # contacts per municipality and area: how many publishing centres reached it and work in the area
        factors = g.factors(m.upward_recent())
        if via is not None:
            m.knowledge.expose_counted(via.T @ mask, factors, initiative=True, structure=True)
        m.knowledge.expose_counted(counts, factors, initiative=False)


class Guidance:
    """What national guidance needs month by month that is fixed for a run or changes only with the year."""

    def __init__(self, model):
        self.model = model
        p = model.p["centres"]
        self.rng = model.streams("centres")
        self.n_centres = len(model.centres)
        self.chance = p["guidance_per_year"] / 12.0  # a month's chance that a centre publishes
        mask = model.centre_areas
        self.areas_per_centre = np.maximum(mask.sum(axis=1), 1)
        self.recent = np.zeros(model.knowledge.level.shape)
        # centre x municipality reached (through the structure), 0/1, refilled each month
        self.reached, self.via = np.zeros((2, self.n_centres, model.n_municipalities))
        self._row = np.empty(model.n_municipalities)  # one centre's uniforms
        self.ones = np.ones(len(AREAS))
        self._year = None
        self.published = None  # this month's (centre x municipality past the structure, recent support), if any
        # what n centres' guidance in a month multiplies P(no uptake) by (at most one contact from each centre),
        # made again when the reports that make guidance relevant change
        self._factors = CountFactors(model.knowledge.level.shape, self.n_centres, 0.0)
        self._reports = None
        self._works_key = None

    def factors(self, reports: np.ndarray) -> CountFactors:
        """The factors for the month's uptake by area: experience reported up in the last year (`reports`, by
        area) makes the guidance fit practice better."""
        reports = reports.tolist()
        if reports != self._reports:
            p = self.model.p["centres"]
            gain, half, base = p["relevance_gain"], p["relevance_reports"], p["uptake"]
            self._factors.set_chances([min(1.0, base * (1.0 + gain * r / (r + half))) for r in reports])
            self._reports = reports
        return self._factors

    def works(self) -> tuple[np.ndarray, bool]:
        """County x centre: the county's linked areas with development leaders in post that the centre works
        in, and whether there are any; kept while the same areas are linked and staffed (a few changes a year)."""
        m = self.model
        staffed = m.leader_posts.held > 0
        key = (m.regional.linked.tobytes(), staffed.tobytes())
        if key != self._works_key:
            works = (m.regional.linked & staffed).astype(float) @ m.centre_areas.T
            self._works, self._works_key = (works, bool(works.any())), key
        return self._works

    def duplications(self) -> np.ndarray:
        """Per centre: municipality-areas its guidance reached this month beside recent regional support."""
        if self.published is None:
            return np.zeros(self.n_centres)
        bypass, recent = self.published
        return ((bypass @ recent) * self.model.centre_areas) @ self.ones

    def can_publish(self, year: int) -> np.ndarray:
        """The centres that exist in `year` and work in one of the model's areas."""
        if year != self._year:
            m = self.model
            self._can = (m.centre_founded <= year) & (m.centre_areas.sum(axis=1) > 0)
            self._chances = [self.chance if can else 0.0 for can in self._can.tolist()]
            self._year = year
        return self._can

    def chances(self, year: int) -> list[float]:
        """Each centre's chance to publish in a month of `year`: 0 for those that cannot publish."""
        self.can_publish(year)
        return self._chances

    def draw(self, rows: list[int], chance: float, out: np.ndarray, then_skip: int = 0) -> np.ndarray:
        """The next centre x municipality uniforms of the stream, as 0/1 below `chance` in `out`: made only
        for the rows of centres that publish (ascending), zeros elsewhere (the stream moves on by them all,
        and by `then_skip` uniforms more, in one jump)."""
        rng, row, n_m = self.rng, self._row, out.shape[1]
        out.fill(0.0)
        at = 0
        for k in rows:
            skip_uniforms(rng, (k - at) * n_m)
            rng.random(out=row)
            np.less(row, chance, out=out[k])
            at = k + 1
        skip_uniforms(rng, (len(out) - at) * n_m + then_skip)
        return out
