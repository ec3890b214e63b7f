"""The people of the regional support structures: platform leaders and development leaders.

A development leader (utvecklingsledare) holds a post in one programme area of one county; a platform
leader (plattformsledare) leads the county's structure. Both are Mesa agents. The numbers the monthly
processes update — each post's FTE and competence, and the colleague ties between leaders of different
areas — are held for every county at once in ``LeaderPosts`` (arrays county x area x post), and a
``DevelopmentLeader`` is a view of its post, the way Starsim keeps a model's state in arrays. So one month
costs the same few vector operations whatever the number of counties and leaders (ODD submodel
"Regional support structure").

Colleague ties: once its area is linked to the structure, a leader is tied to the leaders of the other
linked areas of its county. A new tie has strength 1 under the unit principle (co-located) and 0 under the
network principle, where it grows at joint meetings and decays between them; it ends when a leader leaves.
"""

from __future__ import annotations

import mesa
import numpy as np

from .parameters import AREAS
from .state import Derived

MAX_POSTS = 8  # development-leader posts per county and area (the defaults fill at most 5)


def _sum_of_posts(fte: list[float]) -> float:
    """The sum of a county-area's posts, bit for bit the number numpy's fte.sum(axis=2) gives: for 8 values
    it adds pairwise, ((0+1)+(2+3))+((4+5)+(6+7)) (test_kept_staffing_and_visit_shares_are_what_the_posts_give
    checks it); in Python floats, a few times cheaper than numpy's sum of one row."""
    if len(fte) != 8:
        return float(np.sum(fte))
    return ((fte[0] + fte[1]) + (fte[2] + fte[3])) + ((fte[4] + fte[5]) + (fte[6] + fte[7]))


class LeaderPosts:
    """Every development-leader post of every county: occupied, FTE, competence and colleague ties."""

    def __init__(self, model, n_counties: int):
        self.model = model
        shape = (n_counties, len(AREAS), MAX_POSTS)
        self.occupied = np.zeros(shape, dtype=bool)
        self.held = np.zeros(shape[:2], dtype=np.int64)  # (county, area) posts held: cheaper than occupied.any()
        self.fte = np.zeros(shape)
        self.competence = np.zeros(shape)
        # post (county, area * MAX_POSTS + post) -> its leader; a dict, not an object array: numpy arrays hide
        # their contents from the cycle collector, so a model whose agents sat in one would never be freed
        self._agents: dict[tuple[int, int], DevelopmentLeader] = {}
        n_posts = len(AREAS) * MAX_POSTS
        post_area = np.repeat(np.arange(len(AREAS)), MAX_POSTS)
        # ties[c, i, j]: strength of the tie between posts i and j of county c (zero within an area)
        self.other_area = (post_area[:, None] != post_area[None, :]).astype(float)
        self.ties = np.zeros((n_counties, n_posts, n_posts))
        self._growth = (None, None)  # (gain, gain * other_area) of the last meeting, for meet
        # kept as posts are filled and areas linked, for colleague_tie: 1.0 for a post held in a linked area,
        # and per county the number of other linked areas a leader could reach (at least 1)
        self.member = np.zeros((n_counties, n_posts))
        self.others = np.ones((n_counties, 1))  # (float: dividing by an int array would cast it every month)
        # kept as each post's FTE changes (a few posts a month) rather than made again from all posts: the
        # (county, area) FTE in post, and each post's share of its county's
        # municipalities visited in a month (leaders.municipalities_per_fte x FTE / municipalities, at most 1)
        # as (post, county, area), zero in an empty post
        self.staffed = np.zeros(shape[:2])
        self._staffed_view = self.staffed.view()  # (what staffed_fte gives: read-only)
        self._staffed_view.flags.writeable = False
        self._visit_share = np.zeros((MAX_POSTS, *shape[:2]))
        self._visits_per_fte = model.p["leaders"]["municipalities_per_fte"]
        self._competence_start = model.p["leaders"]["competence_start"]
        # each (county, area)'s post FTEs as a Python list too, kept with fte: summed per change without
        # making a view of the numpy row and a list of it
        self._fte_rows = [[[0.0] * MAX_POSTS for _ in AREAS] for _ in range(n_counties)]
        # each (county, area)'s posts held, in the order they were filled: the last is the one cut first
        self._in_post = [[[] for _ in AREAS] for _ in range(n_counties)]
        self._county_sizes = model.county_sizes.tolist()
        self.epoch = 0  # bumped whenever a post is filled, vacated or cut: keys what is derived from the posts
        self._cached = Derived()

    # -- hiring and leaving ------------------------------------------------------------------------
    def free_post(self, c: int, area: int) -> int | None:
        """The first free post of the area, or None when all are held."""
        in_post = self._in_post[c][area]  # (the posts held: a few Python ints, cheaper to search than occupied)
        if len(in_post) >= MAX_POSTS:
            return None
        j = 0
        while j in in_post:
            j += 1
        return j

    def fill(self, leader: "DevelopmentLeader", fte: float) -> int:
        """Put a new leader in the first free post of its area (the caller checked there is one)."""
        c, area = leader.structure.index, leader.area
        j = self.free_post(c, area)
        if j is None:
            raise RuntimeError(f"no free development-leader post in area {AREAS[area]} (at most {MAX_POSTS})")
        self.epoch += 1
        self.occupied[c, area, j] = True
        in_post = self._in_post[c][area]
        in_post.append(j)
        self.held[c, area] = len(in_post)  # (a set costs less than numpy's +=, a get and a set)
        self._set_fte(c, area, j, fte)
        self.competence[c, area, j] = self._competence_start
        self._agents[c, area * MAX_POSTS + j] = leader
        if self.model.regional.linked[c, area]:
            self.join(c, area, j)
        return j

    def vacate(self, c: int, area: int, j: int) -> None:
        leader = self._agents.pop((c, area * MAX_POSTS + j))
        self.epoch += 1
        self.occupied[c, area, j] = False
        in_post = self._in_post[c][area]
        in_post.remove(j)
        self.held[c, area] = len(in_post)
        self._set_fte(c, area, j, 0.0)
        self.member[c, area * MAX_POSTS + j] = 0.0
        self.model.regional.changed()
        leader.remove()

    def cut_back(self, cut: list[tuple[int, int]], excess: np.ndarray) -> None:
        """Less money: in each (county, area) of `cut` where a post is held, the post hired last is cut by the
        `excess` FTE, or ended if less than 0.05 FTE would be left. (A few a month: one at a time is cheaper
        than fancy indexing.)"""
        self.epoch += 1
        ended = []
        for c, a in cut:
            in_post = self._in_post[c][a]
            if not in_post:
                continue
            last = in_post[-1]  # the post held that was filled last
            left = self._fte_rows[c][a][last] - float(excess[c, a])
            if left > 0.05:
                self._set_fte(c, a, last, left)
            else:
                ended.append((c, a, last))
        for c, a, j in ended:
            self.vacate(c, a, j)

    def _set_fte(self, c: int, area: int, j: int, fte: float) -> None:
        """Set post j's FTE, and what is kept from it: its county-area's staffing (the same pairwise sum over
        the 8 posts as fte.sum(axis=2)) and the post's share of the municipalities visited."""
        row = self._fte_rows[c][area]
        row[j] = fte = float(fte)
        self.fte[c, area, j] = fte
        staffed = _sum_of_posts(row)
        self.staffed[c, area] = staffed
        share = self._visits_per_fte * fte / self._county_sizes[c]
        self._visit_share[j, c, area] = share if share < 1.0 else 1.0  # (min(1.0, share) without a call)

    def join(self, c: int, area: int, j: int | None = None) -> None:
        """New colleague ties for post j of an area (filled in a linked area), or for all its posts (j None: the
        area has just been linked): full strength if co-located, else none yet."""
        if j is not None:  # (a post a time, a few a month: its row and column, other_area being symmetric)
            i = area * MAX_POSTS + j
            row = self.other_area[i] if self.model.regional.unit[c] else 0.0
            self.ties[c, i] = row
            self.ties[c, :, i] = row
            self.member[c, i] = 1.0  # (the post has just been filled)
            return
        posts = slice(area * MAX_POSTS, (area + 1) * MAX_POSTS)
        county = self.ties[c]  # a view
        if self.model.regional.unit[c]:
            county[posts, :] = self.other_area[posts]
            county[:, posts] = self.other_area[:, posts]
        else:
            county[posts, :] = 0.0
            county[:, posts] = 0.0
        self.member[c, posts] = self.occupied[c, area]
        self.others[c] = max(1, self.model.regional.linked[c].tolist().count(True) - 1)  # (cheaper than .sum())

    def by_area(self, c: int) -> list[list["DevelopmentLeader"]]:
        """County c's development leaders per area, in the order they were hired."""
        return [[self._agents[c, a * MAX_POSTS + j] for j in in_post] for a, in_post in enumerate(self._in_post[c])]

    def leader(self, c: int, post: int) -> "DevelopmentLeader":
        """The leader in post `post` (area * MAX_POSTS + post within the area) of county c."""
        return self._agents[c, int(post)]

    # -- the monthly arithmetic --------------------------------------------------------------------
    def in_linked_areas(self) -> np.ndarray:
        """(county, area, post): occupied posts of areas linked to the structure (read-only)."""
        linked = self.model.regional.linked
        return self._cached("members", (self.epoch, self.model.regional.epoch), lambda: self.occupied & linked[:, :, None])

    def colleague_tie(self) -> np.ndarray:
        """(county, area, post): the mean strength of each leader's ties to the leaders of the other linked
        areas, normalised by the number of other areas that could be reached (a lone leader learns nothing)."""
        # (x 1.0 or 0.0: only the other members' ties count, and only for members). Summed by numpy's own loop,
        # not the linear-algebra library's: network ties are fractions, and the library's kernels, chosen by
        # processor, sum them in different orders (tests/test_hardware.py)
        total = np.einsum("cij,cj->ci", self.ties, self.member)
        total *= self.member
        total /= self.others
        return np.minimum(1.0, total, out=total).reshape(self.occupied.shape)

    def learn(self, colleague_tie, who: np.ndarray | None = None) -> None:
        """Learning by doing, plus cross-area learning through the ties to leaders of other areas (an array
        `colleague_tie` is used up: the rate is made in it), for the posts `who` (all if None: an empty
        post's competence is never read -- its FTE is 0 and a new leader starts afresh)."""
        p = self.model.p["leaders"]
        rate = colleague_tie  # (used up: rate = learning_by_doing + cross_area_learning x tie)
        rate *= p["cross_area_learning"]
        rate += p["learning_by_doing"]
        gain = 1.0 - self.competence
        gain *= rate
        if who is not None:
            gain *= who  # (x 1.0 or 0.0)
        self.competence += gain

    def meet(self, counties: list[int], meeting: list[bool], decay: float, gain: float) -> None:
        """Network ties in each of `counties` become decay x strength, and where a joint meeting is held this
        month (`meeting`, per county) decay x (1 - gain) x strength + gain."""
        if gain and self._growth[0] != gain:  # (the same gain all run: its tie matrix is made once)
            self._growth = gain, gain * self.other_area
        met, ties = decay * (1.0 - gain), self.ties
        for c in counties:  # (a loop over the network counties' ties is cheaper than one fancy-indexed step)
            county = ties[c]  # a view
            if meeting[c]:
                county *= met
                if gain:
                    county += self._growth[1]
            else:
                county *= decay

    def no_visit(self, reach: np.ndarray) -> np.ndarray:
        """(county, area): the chance that none of the area's leaders works with a given municipality of the
        county this month. A leader's visits (``leaders.municipalities_per_fte`` x FTE) are shared by the
        county's municipalities; `reach` (per county) is the share of them that leads to contact."""
        # the product over posts with the post axis first: one long elementwise step per post instead of a
        # reduction over 8 values per county and area (the same products in the same order)
        miss = self._visit_share * reach[:, None]
        np.subtract(1.0, miss, out=miss)
        return np.multiply.reduce(miss, axis=0)

    def mean_competence(self) -> np.ndarray:
        """(county, area): the leaders' competence, weighted by FTE."""
        weighted = (self.competence * self.fte).sum(axis=2)  # (an empty post has fte 0)
        weighted /= np.maximum(self.staffed, 1e-12)  # (once a month: cheaper than keeping it per change)
        return weighted

    def staffed_fte(self) -> np.ndarray:
        """(county, area) FTE in post (read-only; an empty post has fte 0)."""
        return self._staffed_view


class PlatformLeader(mesa.Agent):
    """Leads the county's structure: hired after the declaration of intent, paid from its 'structure' money."""

    def __init__(self, model, structure):
        super().__init__(model)
        self.structure = structure
        self.hired_month = model.month
        model.platform_hires += 1
        model.regional.set_platform(structure.index, self)
        self.bring_together()

    def bring_together(self) -> None:
        """Tie the county's universities, fixed areas and - where the R&D environment is the platform - its R&D
        units into one structure, and ask the municipalities for resource people."""
        s, regional = self.structure, self.model.regional
        for area in np.flatnonzero(regional.fixed_areas[s.index]):
            s.link_area(int(area))
        regional.ask_for_resource_people(s.index)
        for uni in s.universities:
            uni.linked = True
        if regional.platform_at_rd[s.index]:
            for unit in s.rd_units:
                unit.linked = True

    def leave(self) -> None:
        regional = self.model.regional
        regional.set_platform(self.structure.index, None)  # also marks the ties picture stale
        regional.ask_for_resource_people(self.structure.index)  # (none are appointed any more)
        self.remove()


class DevelopmentLeader(mesa.Agent):
    """A development leader (utvecklingsledare) of one programme area in one county: a view of its post."""

    def __init__(self, model, structure, area: int, fte: float):
        super().__init__(model)
        self.structure = structure
        self.area = area
        self.hired_month = model.month
        self.post = model.leader_posts.fill(self, fte)
        model.regional.changed()

    @property
    def _at(self) -> tuple[int, int, int]:
        return self.structure.index, self.area, self.post

    @property
    def fte(self) -> float:
        return float(self.model.leader_posts.fte[self._at])

    @property
    def competence(self) -> float:
        return float(self.model.leader_posts.competence[self._at])

    @property
    def field_strength(self) -> float:
        """Strength of the leader's ties to the municipalities it serves (the structure's principle)."""
        return self.structure.field_proximity()

    @property
    def colleagues(self) -> dict[int, dict]:
        """Other leader's id -> {'strength': tie strength}, for leaders of the other linked areas."""
        posts = self.model.leader_posts
        c = self.structure.index
        if not self.structure.linked[self.area]:
            return {}
        i = self.area * MAX_POSTS + self.post
        members = posts.in_linked_areas()[c].reshape(-1)
        return {posts.leader(c, j).unique_id: {"strength": float(posts.ties[c, i, j])}
                for j in np.flatnonzero(members * posts.other_area[i])}

    def contact_probability(self, n_municipalities: int, staff_time: float) -> float:
        """Chance that this leader works with a given municipality of its county this month: the leader's
        visits are shared among the county's municipalities, and national networks and parallel guidance
        take part of the leader's time (`staff_time`)."""
        visits = self.model.p["leaders"]["municipalities_per_fte"] * self.fte
        return min(1.0, visits / max(1, n_municipalities)) * self.field_strength * staff_time

    def leave(self) -> None:
        self.model.leader_posts.vacate(*self._at)
