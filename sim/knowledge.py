"""Knowledge of evidence-based practice, per municipality and programme area.

Each (municipality, area) pair is in one of four states: UNAWARE -> AWARE -> USING -> ESTABLISHED.
During a month the channels (SALAR events, the platform, development leaders, R&D units, universities,
knowledge centres, peers) call `expose()` to record contacts; at the end of the month `end_month()` turns
the contacts into transitions and lets unsupported knowledge erode (ODD submodel "Knowledge transitions").

A municipality takes part in a contact only with its capacity (set by its size, ``municipality.*``), and
absorbs less where it is small; an area whose national programme has not started yet (``area_open``)
takes up knowledge only through spill-over (``knowledge.spillover``).

The arrays are numpy so that one month costs the same few vector operations whatever the channel mix.
"""

from __future__ import annotations

import numpy as np

from .parameters import AREAS

UNAWARE, AWARE, USING, ESTABLISHED = 0, 1, 2, 3
LEVELS = {"aware": AWARE, "using": USING, "established": ESTABLISHED}
NEVER = -(10**6)


def capacity(population: np.ndarray, half: float, exponent: float = 1.0) -> np.ndarray:
    """Capacity to take part, 0-1: pop^k / (pop^k + half^k); everyone at 1 when half is 0."""
    pop = np.asarray(population, dtype=float)
    if half <= 0:
        return np.ones_like(pop)
    x = (pop / half) ** exponent
    return x / (1.0 + x)


class KnowledgeState:
    def __init__(self, n_municipalities: int, n_areas: int, params: dict, population=None):
        shape = (n_municipalities, n_areas)
        self.p = params["knowledge"]
        self.erosion = params["channels"]["erosion"]
        pm = params["municipality"]
        pop = np.ones(n_municipalities) if population is None else population
        self.capacity = capacity(pop, pm["capacity_half_population"], pm["capacity_exponent"])
        self.absorption = 1.0 - pm["absorption_weight"] + pm["absorption_weight"] * self.capacity
        self.has_link = np.zeros(n_municipalities, dtype=bool)  # a resource person tied to the regional structure
        self.area_open = np.ones(n_areas)  # 1 where the area's programme runs, else knowledge.spillover
        self.level = np.zeros(shape, dtype=np.int8)
        self.last_contact = np.full(shape, NEVER, dtype=np.int32)  # month of last contact by any channel
        self.last_structure = np.full(shape, NEVER, dtype=np.int32)  # month of last regional-structure contact
        self.reached = np.zeros(n_municipalities, dtype=bool)  # ever reached by an activity of the initiative
        self.reached_month = np.full(n_municipalities, -1, dtype=np.int32)
        self.initiative_month = np.full(n_municipalities, NEVER, dtype=np.int32)  # last contact with the initiative
        self.salar_event = np.zeros(n_municipalities, dtype=bool)  # ever took part in a SALAR national event
        self.month = 0  # set by the model at the start of each month
        self.begin_month()

    def take_part(self, u: np.ndarray) -> np.ndarray:
        """Which municipalities find the staff to take part, given one uniform each."""
        return u < self.capacity

    def seed_initial(self, u: np.ndarray) -> None:
        """January 2010: what came before (knowledge.initial_aware / initial_using per area), more likely in
        larger municipalities (weighted by capacity, mean kept). u: uniforms (n_municipalities, n_areas)."""
        w = self.capacity / self.capacity.mean()
        for a, key in enumerate(AREAS):
            aware, using = self.p["initial_aware"][key], self.p["initial_using"][key]
            p_using = np.minimum(1.0, using * w)
            p_aware = np.minimum(1.0, max(aware, using) * w)
            self.level[u[:, a] < p_aware, a] = AWARE
            self.level[u[:, a] < p_using, a] = USING
        self.last_contact[self.level > UNAWARE] = 0  # supported when the run starts

    def begin_month(self) -> None:
        self._hits: list[tuple] = []  # (rows, areas, uptake, consolidation, initiative, structure) per call

    def expose(self, rows, contact, uptake=0.0, consolidation=0.0, initiative=True, structure=False, area=None,
               refresh=True, taken=False):
        """Record contacts of one channel.

        rows: municipality indices (or slice) the `contact` rows refer to; contact: bool array
        (len(rows), n_areas), or (len(rows),) for a contact in every area or, with `area`, in that one
        programme area only; uptake / consolidation: the
        chance that this contact moves an AWARE pair to USING / a USING pair to ESTABLISHED.
        initiative: the contact is an activity of the initiative (counts as reach);
        structure: it came through the regional support structure (for parallel-structure duplication), and
        so reaches only a municipality with a resource person (``has_link``);
        refresh: the contact is support that keeps knowledge from eroding (imitating peers is not);
        taken: the channel has already drawn whether the municipality took part (SALAR attendance).
        Contacts are only collected here and applied together in `end_month` (cheap: a month has
        thousands of small contact events but few contacted pairs).
        """
        contact = np.asarray(contact, dtype=bool)
        n_areas = self.level.shape[1]
        if area is not None:
            r = np.flatnonzero(contact)
            a = np.full(r.size, area, dtype=np.intp)
        elif contact.ndim == 1:
            hit = np.flatnonzero(contact)
            r = np.repeat(hit, n_areas)
            a = np.tile(np.arange(n_areas), hit.size)
        else:
            r, a = np.nonzero(contact)
        if r.size == 0:
            return
        if not isinstance(rows, slice):
            r = np.asarray(rows)[r]
        self._hits.append((r, a, uptake, consolidation, initiative, structure, refresh, taken))

    def _apply_contacts(self, month: int, take_part: np.ndarray):
        """This month's contacts as arrays: contacted, P(no uptake), P(no consolidation), initiative rows.

        take_part: one uniform per municipality; a contact counts only where u < capacity (the municipality
        found the staff to take part this month, whatever the area)."""
        shape = self.level.shape
        contact = np.zeros(shape, dtype=bool)
        no_uptake, no_consolidation = np.ones(shape), np.ones(shape)
        initiative = np.zeros(shape[0], dtype=bool)
        if self._hits:
            lens = np.array([h[0].size for h in self._hits])
            r = np.concatenate([h[0] for h in self._hits])
            a = np.concatenate([h[1] for h in self._hits])
            taken = np.repeat([h[7] for h in self._hits], lens)
            keep = taken | (take_part[r] < self.capacity[r])
            # the regional structure's activities reach a municipality through its resource person
            struct = np.repeat([h[5] for h in self._hits], lens)
            keep &= ~struct | self.has_link[r]
            owner = np.repeat(np.arange(len(self._hits)), lens)[keep]
            r, a = r[keep], a[keep]
            lens = np.bincount(owner, minlength=len(self._hits))
            contact[r, a] = True
            # a pair contacted by several channels moves on unless every contact fails
            np.multiply.at(no_uptake, (r, a), np.repeat([1.0 - h[2] for h in self._hits], lens))
            np.multiply.at(no_consolidation, (r, a), np.repeat([1.0 - h[3] for h in self._hits], lens))
            init = np.repeat([h[4] for h in self._hits], lens)
            initiative[r[init]] = True
            struct = np.repeat([h[5] for h in self._hits], lens)
            self.last_structure[r[struct], a[struct]] = month
            refresh = np.repeat([h[6] for h in self._hits], lens)
            self.last_contact[r[refresh], a[refresh]] = month
        return contact, no_uptake, no_consolidation, initiative

    def end_month(self, month: int, u: np.ndarray) -> None:
        """Apply this month's transitions. u: uniforms of shape (4, n_municipalities, n_areas)."""
        lvl = self.level
        c, no_uptake, no_consolidation, initiative = self._apply_contacts(month, u[3][:, 0])
        # the order matters: a first contact makes a pair aware, and the same month's support may move it on
        lvl[(lvl == UNAWARE) & c] = AWARE
        p_up = (1.0 - no_uptake) * self.absorption[:, None] * self.area_open[None, :]
        up = (lvl == AWARE) & (u[0] < p_up)
        cons = (lvl == USING) & (u[1] < 1.0 - no_consolidation)
        lvl[up] = USING
        lvl[cons] = ESTABLISHED
        if self.erosion:
            idle = (month - self.last_contact) >= self.p["memory_months"]
            p_loss = np.choose(lvl, [0.0, self.p["forgetting"], self.p["staff_turnover_loss"], self.p["established_loss"]])
            lose = idle & (u[2] < p_loss) & ~up & ~cons
            lvl[lose] -= 1
        self.initiative_month[initiative] = month
        newly = initiative & ~self.reached
        self.reached_month[newly] = month
        self.reached |= initiative
        self.begin_month()
