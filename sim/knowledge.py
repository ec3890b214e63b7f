"""Knowledge of evidence-based practice, per municipality and programme area.

Each (municipality, area) pair is in one of four states: UNAWARE -> AWARE -> USING -> ESTABLISHED.
During a month the channels (SALAR events, the platform, development leaders, R&D units, universities,
knowledge centres, peers) call `expose()` to record contacts; at the end of the month `end_month()` turns
the contacts into transitions and lets unused knowledge erode (ODD submodel "Knowledge transitions").

The arrays are numpy so that one month costs the same few vector operations whatever the channel mix.
"""

from __future__ import annotations

import numpy as np

UNAWARE, AWARE, USING, ESTABLISHED = 0, 1, 2, 3
LEVELS = {"aware": AWARE, "using": USING, "established": ESTABLISHED}
NEVER = -(10**6)


class KnowledgeState:
    def __init__(self, n_municipalities: int, n_areas: int, params: dict):
        shape = (n_municipalities, n_areas)
        self.p = params["knowledge"]
        self.erosion = params["channels"]["erosion"]
        self.level = np.zeros(shape, dtype=np.int8)
        self.last_contact = np.full(shape, NEVER, dtype=np.int32)  # month of last contact by any channel
        self.last_structure = np.full(shape, NEVER, dtype=np.int32)  # month of last regional-structure contact
        self.reached = np.zeros(n_municipalities, dtype=bool)  # ever reached by an activity of the initiative
        self.reached_month = np.full(n_municipalities, -1, dtype=np.int32)
        self.salar_event = np.zeros(n_municipalities, dtype=bool)  # ever took part in a SALAR national event
        self.month = 0  # set by the model at the start of each month
        self.begin_month()

    def begin_month(self) -> None:
        self._hits: list[tuple] = []  # (rows, areas, uptake, consolidation, initiative, structure) per call

    def expose(self, rows, contact, uptake=0.0, consolidation=0.0, initiative=True, structure=False, area=None):
        """Record contacts of one channel.

        rows: municipality indices (or slice) the `contact` rows refer to; contact: bool array
        (len(rows), n_areas), or (len(rows),) for a contact in every area or, with `area`, in that one
        programme area only; uptake / consolidation: the
        chance that this contact moves an AWARE pair to USING / a USING pair to ESTABLISHED.
        initiative: the contact is an activity of the initiative (counts as reach);
        structure: it came through the regional support structure (for parallel-structure duplication).
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
        self._hits.append((r, a, uptake, consolidation, initiative, structure))

    def _apply_contacts(self, month: int):
        """This month's contacts as arrays: contacted, P(no uptake), P(no consolidation), initiative rows."""
        shape = self.level.shape
        contact = np.zeros(shape, dtype=bool)
        no_uptake, no_consolidation = np.ones(shape), np.ones(shape)
        initiative = np.zeros(shape[0], dtype=bool)
        if self._hits:
            lens = [h[0].size for h in self._hits]
            r = np.concatenate([h[0] for h in self._hits])
            a = np.concatenate([h[1] for h in self._hits])
            contact[r, a] = True
            # a pair contacted by several channels moves on unless every contact fails
            np.multiply.at(no_uptake, (r, a), np.repeat([1.0 - h[2] for h in self._hits], lens))
            np.multiply.at(no_consolidation, (r, a), np.repeat([1.0 - h[3] for h in self._hits], lens))
            init = np.repeat([h[4] for h in self._hits], lens)
            initiative[r[init]] = True
            struct = np.repeat([h[5] for h in self._hits], lens)
            self.last_structure[r[struct], a[struct]] = month
        return contact, no_uptake, no_consolidation, initiative

    def end_month(self, month: int, u: np.ndarray) -> None:
        """Apply this month's transitions. u: uniforms of shape (3, n_municipalities, n_areas)."""
        lvl = self.level
        c, no_uptake, no_consolidation, initiative = self._apply_contacts(month)
        self.last_contact[c] = month
        # the order matters: a first contact makes a pair aware, and the same month's support may move it on
        lvl[(lvl == UNAWARE) & c] = AWARE
        up = (lvl == AWARE) & (u[0] < 1.0 - no_uptake)
        cons = (lvl == USING) & (u[1] < 1.0 - no_consolidation)
        lvl[up] = USING
        lvl[cons] = ESTABLISHED
        if self.erosion:
            idle = (month - self.last_contact) >= self.p["memory_months"]
            p_loss = np.choose(lvl, [0.0, self.p["forgetting"], self.p["staff_turnover_loss"], self.p["established_loss"]])
            lose = idle & (u[2] < p_loss) & ~up & ~cons
            lvl[lose] -= 1
        newly = initiative & ~self.reached
        self.reached_month[newly] = month
        self.reached |= initiative
        self.begin_month()
