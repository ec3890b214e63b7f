"""How each observable is shown: a label in words and a unit, for plot axes, tables and the console.

Keyed by the names in `sim.observables.OBSERVABLES` (the model's declaration of what each observable is)
and derived from them, so a new observable gets a readable default. Shares (0-1) are shown as per cent and
their differences in percentage points. No matplotlib here: the console tables use it too.
"""

from __future__ import annotations

from ..observables import OBSERVABLES
from ..parameters import AREAS

_AREA_WORDS = {a: a.replace("_", " ").replace("ehealth", "e-health") for a in AREAS}

LABELS = {
    "reach_any": "municipalities reached by the initiative",
    "reach_12m": "municipalities in contact with the initiative in the last 12 months",
    "salar_event_share": "municipalities at a SALAR national event",
    **{f"adoption_{a}": f"municipalities using EBP in {w}" for a, w in _AREA_WORDS.items()},
    "adoption_mean": "municipalities using EBP (mean of the areas)",
    "established_mean": "municipalities with EBP established (mean of the areas)",
    **{f"established_{a}": f"municipalities with EBP established in {w}" for a, w in _AREA_WORDS.items()},
    "provider_reach": "private providers reached",
    **{f"provider_reach_{a}": f"private providers reached in {w}" for a, w in _AREA_WORDS.items()},
    "principal_cost_share": "share of the cost borne by the principals",
    "functioning_structures": "counties with a functioning structure",
    "platform_leaders": "platform leaders employed",
    "development_leaders": "development leaders employed",
    **{f"linked_{a}": f"counties whose {w} leaders are linked" for a, w in _AREA_WORDS.items()},
    "state_spending": "state spending on the structures",
    "principal_spending": "principals' spending on the structures",
    "cost_per_reached": "spending per municipality reached (cumulative)",
    "upward_reports": "experience reports flowing up from practice",
    "duplication": "centre guidance beside recent regional support",
    "unit_principle": "counties on the unit principle",
}
UNITS = {
    **{k: "%" for k in OBSERVABLES if k.startswith(("reach_", "adoption_", "salar_", "established_", "provider_"))},
    "principal_cost_share": "%",
    "functioning_structures": "counties",
    "platform_leaders": "people",
    "development_leaders": "FTE",
    **{f"linked_{a}": "counties" for a in AREAS},
    "state_spending": "SEK million a month",
    "principal_spending": "SEK million a month",
    "cost_per_reached": "SEK million",
    "upward_reports": "reports a month",
    "duplication": "municipality-areas a month",
    "unit_principle": "counties",
}


def label(obs: str) -> str:
    return LABELS.get(obs, obs.replace("_", " "))


def unit(obs: str) -> str:
    return UNITS.get(obs, "")


def is_share(obs: str) -> bool:
    return unit(obs) == "%"


def axis_label(obs: str, difference: bool = False) -> str:
    """E.g. 'municipalities reached by the initiative (%)', or for a difference '… (percentage points)'."""
    u = unit(obs)
    if difference and u == "%":
        u = "percentage points"
    return f"{label(obs)} ({u})" if u else label(obs)


def value_text(obs: str, v: float, signed: bool = False) -> str:
    """A value with its unit: shares as per cent (differences in percentage points), others to 3 digits."""
    if v != v:  # NaN
        return "-"
    if is_share(obs):
        return f"{100 * v:+.1f}" if signed else f"{100 * v:.1f}"
    return f"{v:+.3g}" if signed else f"{v:.3g}"


def unit_text(obs: str, difference: bool = False) -> str:
    u = unit(obs)
    return "pp" if difference and u == "%" else u
