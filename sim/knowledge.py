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
        shape = self.level.shape
        self.contact = np.zeros(shape, dtype=bool)
        self.no_uptake = np.ones(shape)  # probability that no contact this month moved AWARE -> USING
        self.no_consolidation = np.ones(shape)  # ... and USING -> ESTABLISHED
        self.initiative = np.zeros(shape[0], dtype=bool)

    def expose(self, rows, contact, uptake=0.0, consolidation=0.0, initiative=True, structure=False, area=None):
        """Record contacts of one channel.

        rows: municipality indices (or slice) the `contact` rows refer to; contact: bool array
        (len(rows), n_areas), or (len(rows),) for a contact in every area or, with `area`, in that one
        programme area only; uptake / consolidation: the
        chance that this contact moves an AWARE pair to USING / a USING pair to ESTABLISHED.
        initiative: the contact is an activity of the initiative (counts as reach);
        structure: it came through the regional support structure (for parallel-structure duplication).
        """
        contact = np.asarray(contact, dtype=bool)
        if not contact.any():
            return
        if area is not None:
            self._expose_area(rows, contact, area, uptake, consolidation, initiative, structure)
            return
        if contact.ndim == 1:
            contact = np.repeat(contact[:, None], self.level.shape[1], axis=1)
        self.contact[rows] |= contact
        if uptake:
            self.no_uptake[rows] *= np.where(contact, 1.0 - uptake, 1.0)
        if consolidation:
            self.no_consolidation[rows] *= np.where(contact, 1.0 - consolidation, 1.0)
        if initiative:
            self.initiative[rows] |= contact.any(axis=1)
        if structure:
            ls = self.last_structure[rows]
            self.last_structure[rows] = np.where(contact, self.month, ls)

    def _expose_area(self, rows, contact, area, uptake, consolidation, initiative, structure):
        hit = np.asarray(rows)[contact] if not isinstance(rows, slice) else np.flatnonzero(contact)
        self.contact[hit, area] = True
        if uptake:
            self.no_uptake[hit, area] *= 1.0 - uptake
        if consolidation:
            self.no_consolidation[hit, area] *= 1.0 - consolidation
        if initiative:
            self.initiative[hit] = True
        if structure:
            self.last_structure[hit, area] = self.month

    def end_month(self, month: int, u: np.ndarray) -> None:
        """Apply this month's transitions. u: uniforms of shape (3, n_municipalities, n_areas)."""
        lvl = self.level
        c = self.contact
        self.last_contact[c] = month
        # the order matters: a first contact makes a pair aware, and the same month's support may move it on
        lvl[(lvl == UNAWARE) & c] = AWARE
        up = (lvl == AWARE) & (u[0] < 1.0 - self.no_uptake)
        cons = (lvl == USING) & (u[1] < 1.0 - self.no_consolidation)
        lvl[up] = USING
        lvl[cons] = ESTABLISHED
        if self.erosion:
            idle = (month - self.last_contact) >= self.p["memory_months"]
            p_loss = np.choose(lvl, [0.0, self.p["forgetting"], self.p["staff_turnover_loss"], self.p["established_loss"]])
            lose = idle & (u[2] < p_loss) & ~up & ~cons
            lvl[lose] -= 1
        newly = self.initiative & ~self.reached
        self.reached_month[newly] = month
        self.reached |= self.initiative
        self.begin_month()

    def at_least(self, level: int) -> np.ndarray:
        return self.level >= level
