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


def _frozen(value) -> np.ndarray:
    """A read-only bool copy: the masks derived from it are cached, so it must not change in place."""
    out = np.array(value, dtype=bool)
    out.flags.writeable = False
    return out


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
        self._absorption_pairs = np.repeat(self.absorption, n_areas).reshape(shape)  # by (municipality, area)
        self._shape = shape
        self.has_link = np.zeros(n_municipalities, dtype=bool)  # a resource person tied to the regional structure
        self.area_open = np.ones(n_areas)  # 1 where the area's programme runs, else knowledge.spillover
        self.level = np.zeros(shape, dtype=np.int8)
        self.last_contact = np.full(shape, NEVER, dtype=np.int32)  # month of last contact by any channel
        self.last_structure = np.full(shape, NEVER, dtype=np.int32)  # month of last regional-structure contact
        self.reached = np.zeros(n_municipalities, dtype=bool)  # ever reached by an activity of the initiative
        self.reached_month = np.full(n_municipalities, -1, dtype=np.int32)
        self.initiative_month = np.full(n_municipalities, NEVER, dtype=np.int32)  # last contact with the initiative
        self.salar_event = np.zeros(n_municipalities, dtype=bool)  # ever took part in a SALAR national event
        # monthly chance that unsupported knowledge falls back one level, by level
        self.loss_by_level = np.array([0.0, self.p["forgetting"], self.p["staff_turnover_loss"], self.p["established_loss"]])
        self.part = np.ones(n_municipalities, dtype=bool)  # set each month by set_participation
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

    # -- who can take part this month: kept also per (municipality, area) pair, for the channels' masks -----
    @property
    def part(self) -> np.ndarray:
        """Municipalities that find the staff to take part in contacts this month (read-only)."""
        return self._part

    @part.setter
    def part(self, value) -> None:
        self._set_part(_frozen(value))

    def _set_part(self, part: np.ndarray) -> None:
        self._part = part
        if not hasattr(self, "_allowed"):
            # (municipality, area) where a contact counts: [0] via the structure (`_linked`), [1] otherwise;
            # refilled in place: read at once, never kept
            self._allowed = np.empty((2,) + self._shape, dtype=bool)
            self._part_pairs = self._allowed[1]
        self._part_pairs[...] = part[:, None]
        self._linked_pairs = None

    @property
    def area_open(self) -> np.ndarray:
        """By area: 1 where the area's programme runs, else knowledge.spillover (read-only; assign anew)."""
        return self._area_open

    @area_open.setter
    def area_open(self, value) -> None:
        self._area_open = np.array(value, dtype=float)
        self._area_open.flags.writeable = False
        # by (municipality, area), for end_month; None where every area is open (a factor of exactly 1)
        self._open_pairs = None if (self._area_open == 1.0).all() else np.tile(self._area_open, (self._shape[0], 1))

    def open_area(self, area: int) -> None:
        """An area's national programme starts: its knowledge is taken up fully from now on."""
        value = self._area_open.copy()
        value[area] = 1.0
        self.area_open = value

    @property
    def has_link(self) -> np.ndarray:
        """Municipalities with a resource person tied to the regional structure (read-only; assign anew)."""
        return self._has_link

    @has_link.setter
    def has_link(self, value) -> None:
        self._has_link = _frozen(value)
        self._linked_pairs = None

    def _linked(self) -> np.ndarray:
        """(municipality, area): takes part this month and has a resource person."""
        if self._linked_pairs is None:
            self._linked_pairs = self._allowed[0]
            np.logical_and(self._part, self._has_link, out=self._linked_pairs[:, 0])
            self._linked_pairs[:, 1:] = self._linked_pairs[:, :1]
        return self._linked_pairs

    def count_contacts(self, keys: np.ndarray) -> np.ndarray:
        """Contacts that count, by (part, municipality, area), from contacts listed as flat indices into that
        shape: part 0 came through the structure (counts where the municipality takes part and has a resource
        person), part 1 did not (counts where it takes part). For `expose_counted(..., counted=True)`."""
        self._linked()
        keys = keys[self._allowed.take(keys)]  # (dropped before counting: cheaper than masking the counts)
        return np.bincount(keys, minlength=self._allowed.size).reshape(self._allowed.shape)

    def _reachable(self, via: np.ndarray) -> np.ndarray:
        """Where a contact counts: the municipality takes part, and has a resource person where `via`."""
        if via.shape != self._shape:
            return self._part[:, None] & (self._has_link[:, None] | ~via)
        out = ~via
        out &= self._part_pairs
        out |= self._linked()
        return out

    def begin_month(self) -> None:
        """Clear the month's contact accumulators (allocated once, refilled each month)."""
        if not hasattr(self, "_flags"):
            shape = self._shape
            # P(no uptake), P(no consolidation): products over the month's contacts of (1 - chance), stacked so
            # that what is done to both is one numpy call
            self._no = np.ones((2,) + shape)
            self._no_uptake, self._no_consolidation = self._no
            self._factor = np.ones(shape)  # scratch: one channel's factor
            self._factors = np.ones((2,) + shape)  # scratch: a channel's two factors; the month's two chances
            self._moves = np.zeros((2,) + shape, dtype=bool)  # scratch: takes up / consolidates this month
            self._at = np.zeros((2,) + shape, dtype=bool)  # scratch: AWARE / USING
            self._aware_using = np.array([AWARE, USING], dtype=np.int8).reshape(2, 1, 1)
            self._ones_u8 = np.ones(shape[1], dtype=np.uint8)
            self._counted = np.zeros(shape, dtype=np.int64)  # scratch: a counted channel's contacts that count
            self._hit = np.zeros(shape, dtype=bool)  # scratch: the pairs they reach
            # contacts that count as the initiative / came through the structure / refresh / do not refresh
            self._flags = np.zeros((4,) + shape, dtype=bool)
            self._initiative, self._structure, self._refresh, self._contact = self._flags
            return
        self._flags.fill(False)
        self._no.fill(1.0)

    def set_participation(self, u: np.ndarray) -> None:
        """This month, which municipalities find the staff to take part in contacts (one uniform each, drawn
        at the start of the month): a contact counts only where u < capacity, whatever the area."""
        part = self.take_part(u)  # a new array: frozen without a copy
        part.flags.writeable = False
        self._set_part(part)

    def expose(self, contact, uptake=0.0, consolidation=0.0, initiative=True, structure=False, refresh=True,
               taken=False) -> None:
        """Record one channel's contacts this month, for every municipality and area at once.

        contact: (n_municipalities, n_areas), bool, or the number of contacts (int) where a channel
        reaches a pair several times; uptake / consolidation: the chance that one contact moves an AWARE
        pair to USING / a USING pair to ESTABLISHED — a number, or an array broadcastable to `contact`;
        initiative: the contact is an activity of the initiative (counts as reach), bool or array;
        structure: it came through the regional support structure, and so reaches only a municipality
        with a resource person (``has_link``), bool or array; refresh: the contact is support that keeps
        knowledge from eroding (imitating peers is not); taken: the channel has already drawn whether the
        municipality took part (SALAR attendance), otherwise it counts only where the municipality takes part
        this month (``set_participation``). Contacts are gathered here and applied together in `end_month`.
        """
        contact = np.asarray(contact)
        counts = contact.dtype != bool
        via = structure if isinstance(structure, bool) else np.asarray(structure, dtype=bool)
        if taken:
            if via is True or (via is not False and via.any()):  # (np.any(False) costs more than the rest)
                raise ValueError("a contact that was taken part in cannot also need a resource person")
            allowed = None
        elif via is False:
            allowed = self._part_pairs
        elif via is True:
            allowed = self._linked()
        else:
            allowed = self._reachable(via)
        if counts:
            hit = contact > 0
            if allowed is not None:
                hit &= allowed
        else:
            hit = contact if allowed is None else contact & allowed
        many = None
        if counts:
            many = hit & (contact > 1)
            if not many.any():
                many = None
        if not isinstance(uptake, (int, float)) and not isinstance(consolidation, (int, float)):
            # both chances by pair: the two factors as one (2, ...) array, so 1 - chance and the product are
            # one call each (the same arithmetic as below, pair by pair)
            both = self._factors
            hit_float = hit.astype(float)  # (one cast: a bool x float product goes through numpy's casting buffer)
            np.multiply(hit_float, uptake, out=both[0])
            np.multiply(hit_float, consolidation, out=both[1])
            np.subtract(1.0, both, out=both)
            if many is not None:
                for factor, chance in zip(both, (uptake, consolidation)):
                    np.power(1.0 - np.asarray(chance, dtype=float), contact, out=factor, where=many)
            self._no *= both
            uptake = consolidation = 0  # done
        factor = self._factor
        for acc, chance in ((self._no_uptake, uptake), (self._no_consolidation, consolidation)):
            # a factor (1 - chance) for each contact where hit, exactly 1.0 elsewhere: the same numbers as
            # 1 - chance * hit, without a float copy of hit where the chance is one number
            if isinstance(chance, (int, float)):
                if chance == 0:
                    continue
                factor.fill(1.0)
                np.putmask(factor, hit, 1.0 - chance)
            else:
                np.multiply(hit, chance, out=factor)
                np.subtract(1.0, factor, out=factor)
            if many is not None:  # several contacts: (1 - chance) ** n, computed only there (pow is slow)
                np.power(1.0 - np.asarray(chance, dtype=float), contact, out=factor, where=many)
            acc *= factor
        if via is True:
            self._structure |= hit
        elif via is not False:
            via_hit = hit & via
            self._structure |= via_hit
        if initiative is True:
            self._initiative |= hit
        elif initiative is structure and via is not False:  # (the same mask: linked universities, leaders)
            self._initiative |= via_hit
        elif initiative is not False:
            self._initiative |= hit & initiative
        if refresh:
            self._refresh |= hit
        else:
            self._contact |= hit  # every contact counts in end_month: these and the refreshing ones

    def expose_counted(self, counts: np.ndarray, factors: "CountFactors", initiative: bool = True,
                       structure: bool = False, counted: bool = False) -> None:
        """`expose` for whole-number contacts counted per pair (int64 or whole floats, at most `factors.most`),
        with the factors (1 - chance) ** n looked up in `factors` instead of computed: the same numbers, in fewer
        calls. The contacts refresh; initiative and structure are yes or no for all of them. counted: `counts`
        (int64) holds only contacts that count already (those `allowed` lets through), so no mask is applied."""
        if not counted:
            # the contacts that count: where the municipality takes part (and has a resource person, via the
            # structure) (whole-number floats, as a product of 0/1 matrices gives, are cast to int64 exactly)
            counts = np.multiply(counts, self._linked() if structure else self._part_pairs, out=self._counted,
                                 casting="unsafe")
        for offset, index in factors.by_chance:  # (chance, municipality, area) -> table entry
            np.add(counts, offset, out=index)  # (one add per chance: broadcasting over chances costs double)
        index = factors.index
        no = self._no if len(index) == 2 else self._no[:1]
        # (mode "clip": with out= and the default mode numpy copies out twice; the counts are at most
        # factors.most by how the channels make them, so no index is clipped)
        no *= factors.table.take(index, out=factors.factor, mode="clip")
        hit = np.greater(counts, 0, out=self._hit)
        if initiative:
            self._initiative |= hit
        if structure:
            self._structure |= hit
        self._refresh |= hit

    def _apply_contacts(self, month: int):
        """This month's contacts as arrays: contacted, P(no uptake) and P(no consolidation) (stacked), and the
        municipalities the initiative reached."""
        # any area: a count by matmul, cheaper than .any(axis=1) or a loop over so short an axis
        initiative = np.matmul(self._initiative.view(np.uint8), self._ones_u8) > 0
        np.putmask(self.last_structure, self._structure, month)  # putmask: cheaper than boolean indexing
        np.putmask(self.last_contact, self._refresh, month)
        self._contact |= self._refresh
        return self._contact, self._no, initiative

    def end_month(self, month: int, u: np.ndarray) -> None:
        """Apply this month's transitions. u: uniforms of shape (3, n_municipalities, n_areas)."""
        lvl = self.level
        c, no_both, initiative = self._apply_contacts(month)
        # the order matters: a first contact makes a pair aware, and the same month's support may move it on
        np.maximum(lvl, c.view(np.int8), out=lvl)  # (levels as int8: a contacted UNAWARE pair becomes AWARE)
        # P(uptake) = (1 - P(no uptake)) * absorption * area_open, and P(consolidation) = 1 - P(no consolidation):
        # stacked, so that what is done to both is one call
        p = np.subtract(1.0, no_both, out=self._factors)  # scratch, free until the next month's contacts
        p[0] *= self._absorption_pairs
        if self._open_pairs is not None:  # (times exactly 1 where every area is open)
            p[0] *= self._open_pairs
        moves = np.less(u[:2], p, out=self._moves)  # AWARE pairs that take up, USING pairs that consolidate ...
        moves &= np.equal(lvl, self._aware_using, out=self._at)  # ... where they are at that level
        moved = moves[0]
        moved |= moves[1]  # each one level up
        lvl += moved.view(np.int8)
        if self.erosion:
            lose = u[2] < self.loss_by_level.take(lvl)
            lose &= self.last_contact <= month - self.p["memory_months"]  # idle: no support for so long
            np.greater(lose, moved, out=lose)  # lost, unless it moved up this month
            lvl -= lose.view(np.int8)  # one level down where lost
        np.putmask(self.initiative_month, initiative, month)
        np.putmask(self.reached_month, np.greater(initiative, self.reached), month)  # reached for the first time
        self.reached |= initiative
        self.begin_month()

class CountFactors:
    """What n contacts of a channel in a month multiply a pair's P(no uptake) and P(no consolidation) by,
    (1 - chance) ** n, as tables by area and count, for `KnowledgeState.expose_counted`: made when the
    channel's chances are set instead of with np.power every month, and the same numbers `expose` computes
    (exactly 1 for none, 1 - chance for one, np.power's for more). chance: a number, or one per area;
    consolidation None where the channel's contacts do not consolidate."""

    def __init__(self, shape: tuple[int, int], most: int, uptake, consolidation=None):
        n_m, n_a = shape
        k = 1 if consolidation is None else 2
        self.most = int(most)
        width = self.most + 1
        self._chances = np.empty((k, n_a))
        self._powers = np.tile(np.arange(width), (k * n_a, 1))  # (chance and area, count): n
        self._base = np.empty((k * n_a, width))
        self.table = np.empty((k * n_a, width))
        # where a pair's entry with no contacts is, by (chance, municipality, area)
        first = (np.arange(k)[:, None] * n_a + np.arange(n_a)) * width
        self.offset = np.ascontiguousarray(np.broadcast_to(first[:, None, :], (k, n_m, n_a)))
        self.index = np.empty_like(self.offset)  # scratch
        self.by_chance = list(zip(self.offset, self.index))  # (views made once)
        self.factor = np.empty(self.offset.shape)  # scratch
        self.set_chances(uptake, consolidation)

    def set_chances(self, uptake, consolidation=None) -> None:
        """Make the tables for these chances (as many as the tables were made for)."""
        chances = self._chances
        chances[0] = uptake
        if len(chances) > 1:
            chances[1] = consolidation
        base = np.subtract(1.0, chances.reshape(-1, 1), out=self._base)  # 1 - chance (chance and area) in every column
        # (1 - chance) ** n as expose's np.power makes it (both operands contiguous); pow(x, 0) is exactly 1
        np.power(base, self._powers, out=self.table)
        if self.table.shape[1] > 1:
            self.table[:, 1:2] = base[:, :1]  # one contact: 1 - chance itself, as in expose
