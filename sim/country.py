"""The real country as data: counties, municipalities, R&D units, universities, knowledge centres.

Everything here is read from ``sim/data/*.csv`` (see ``sim/data/README.md`` for sources); nothing about
Sweden is written into the code. `Country.load(scale=k)` builds a synthetic country with k copies of every
municipality and R&D unit per county, for the benchmarks of how cost grows with size.
"""

from __future__ import annotations

import csv
import os
import pickle
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from .parameters import AREAS, COUNTY_KEYS, ParameterError

DATA = Path(__file__).parent / "data"
REPORTED_YEAR = 2012  # counties.csv principle_2012: the principles SALAR's 2012 report names (seed 004)
FILES = ("counties.csv", "structures.csv", "principle_changes.csv", "municipalities.csv", "rd_units.csv",
         "rd_events.csv", "universities.csv", "knowledge_centres.csv", "programme_areas.csv",
         "national_events.csv", "state_funding.csv")  # what `Country.parse` reads
_LOADED: dict[int, tuple[tuple, bytes]] = {}  # per process and scale: (the files' stamp, the parsed country pickled)


def read_csv(name: str) -> list[dict]:
    with open(DATA / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _stamp() -> tuple:
    """The data files by modification time and size: a file changed since it was parsed is read again."""
    return tuple((s.st_mtime_ns, s.st_size) for s in (os.stat(DATA / name) for name in FILES))


def parse_date(text: str) -> date:
    parts = [int(p) for p in text.strip().split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


@dataclass
class County:
    index: int
    code: str
    name: str
    name_sv: str
    population: int
    big_city: bool
    lat: float
    lon: float
    platform_host: str
    # 2012 structure as reported (sim/data/structures.csv); a scenario may override any of these
    principle: str
    meeting_places: bool
    decision_paths: bool
    anchoring: float
    budget_room: float | None  # None: computed each year from the take-over burden (funding.burden_ref)
    statement_2013: float | None  # graded January 2013 commitment statement; None: not described
    areas: str
    platform_at_rd: bool
    principle_changes: list = field(default_factory=list)  # (date, principle) from principle_changes.csv
    principle_reported: int | None = None  # the year whose principle seed 004 reports (counties.csv principle_2012)
    municipalities: list[int] = field(default_factory=list)  # indices into Country arrays
    subregions: int = 1  # associations of municipalities the county's platform must bring together


@dataclass
class Country:
    counties: list[County]
    muni_code: np.ndarray
    muni_name: np.ndarray
    muni_county: np.ndarray  # county index per municipality
    muni_population: np.ndarray
    rd_units: list[dict]
    rd_events: list[dict]
    universities: list[dict]
    centres: list[dict]
    areas: list[dict]
    events: list[dict]
    funding: dict  # (year, component) -> SEK million

    @property
    def n_municipalities(self) -> int:
        return len(self.muni_code)

    def county(self, key: str) -> County:
        """Find a county by code ('01'), English name or Swedish name, case-insensitive."""
        k = str(key).strip().lower()
        for c in self.counties:
            if k in (c.code, c.code.lstrip("0"), c.name.lower(), c.name_sv.lower()):
                return c
        raise KeyError(key)

    @classmethod
    def load(cls, scale: int = 1) -> "Country":
        """The country from ``sim/data``, the caller's own copy. Parsed once per process and scale (an ensemble
        or a sensitivity analysis builds hundreds of models) and copied by unpickling, which is ten times
        cheaper than parsing: what a model changes in its copy never reaches the next one."""
        stamp = _stamp()
        cached = _LOADED.get(scale)
        if cached is None or cached[0] != stamp:
            cached = _LOADED[scale] = (stamp, pickle.dumps(cls.parse(scale), protocol=pickle.HIGHEST_PROTOCOL))
        return pickle.loads(cached[1])

    @classmethod
    def parse(cls, scale: int = 1) -> "Country":
        """Read the data files (`FILES`) into a country, `scale` copies of every municipality and R&D unit."""
        struct = {r["county_code"]: r for r in read_csv("structures.csv")}
        counties = []
        for i, r in enumerate(sorted(read_csv("counties.csv"), key=lambda r: r["code"])):
            s = struct[r["code"]]
            counties.append(County(
                index=i, code=r["code"], name=r["county"], name_sv=r.get("name_sv") or r["county"],
                population=int(r["population_2012_approx"]), big_city=r.get("big_city", "0") == "1",
                lat=float(r.get("lat") or 0), lon=float(r.get("lon") or 0),
                platform_host=r["platform_host_2012"], principle=s["principle"],
                meeting_places=s["meeting_places"] == "1", decision_paths=s["decision_paths"] == "1",
                anchoring=float(s["anchoring"]), budget_room=float(s["budget_room"]) if s["budget_room"] else None,
                statement_2013=float(s["statement_2013"]) if s.get("statement_2013") else None, areas=s["areas"],
                platform_at_rd=s.get("platform_at_rd", "0") == "1",
                principle_reported=REPORTED_YEAR if r.get("principle_2012") else None,
            ))
        index = {c.code: c.index for c in counties}
        for r in sorted(read_csv("principle_changes.csv"), key=lambda r: r["date"]):
            counties[index[r["county_code"]]].principle_changes.append((parse_date(r["date"]), r["principle"]))

        munis = read_csv("municipalities.csv")
        codes, names, cidx, pops, copies, subs = [], [], [], [], [], []
        for copy in range(scale):
            for m in munis:
                suffix = "" if copy == 0 else f"-{copy}"
                copies.append(copy)
                codes.append(m["code"] + suffix)
                names.append(m["name"] + suffix)
                cidx.append(index[m["county_code"]])
                pops.append(int(m["population_2012"]))
                subs.append((index[m["county_code"]], m.get("subregion", "")))
        muni_county = np.array(cidx, dtype=np.int32)
        for c in counties:
            c.municipalities = np.flatnonzero(muni_county == c.index).tolist()  # (Python ints: cheap to copy)
            c.subregions = max(1, len({sr for ci, sr in subs if ci == c.index and sr}))
        code_index = {code: i for i, code in enumerate(codes)}

        rd_units = []
        for copy in range(scale):
            for r in read_csv("rd_units.csv"):
                unit = dict(r)
                unit["county"] = index[r["county_code"]]
                suffix = "" if copy == 0 else f"-{copy}"
                unit["id"] = r["id"] + suffix
                if r["members"].strip() == "all":
                    unit["member_idx"] = [i for i in counties[unit["county"]].municipalities if copies[i] == copy]
                else:
                    unit["member_idx"] = [code_index[m.strip() + suffix] for m in r["members"].split(";") if m.strip()]
                unit["staff_fte"] = float(r["staff_fte"] or 0)
                unit["areas"] = [a.strip() for a in r["areas"].split(";") if a.strip()]
                unit["active_from"] = parse_date(r["active_from"]) if r.get("active_from") else None
                rd_units.append(unit)
        rd_events = []
        for copy in range(scale):
            for e in read_csv("rd_events.csv"):
                suffix = "" if copy == 0 else f"-{copy}"
                ev = dict(e, unit_id=e["unit_id"] + suffix, date=parse_date(e["date"]))
                ev["capacity_factor"] = float(e["capacity_factor"]) if e.get("capacity_factor") else 1.0
                if e.get("member"):
                    ev["member_idx"] = code_index.get(e["member"].strip() + suffix)
                rd_events.append(ev)

        universities = [dict(u, county=index[u["county_code"]]) for u in read_csv("universities.csv")]
        centres = [dict(c, areas=[a.strip() for a in c["areas"].split(";") if a.strip()],
                        founded=int(c["founded"]) if c.get("founded") else None)
                   for c in read_csv("knowledge_centres.csv")]
        areas = [dict(a, leaders_from=parse_date(a["leaders_from"]), activity_from=parse_date(a["activity_from"]),
                      academic_field=a["academic_field"] == "1") for a in read_csv("programme_areas.csv")]
        events = []
        for e in read_csv("national_events.csv"):
            inv = list(range(len(counties))) if e["counties"] == "all" else [index[c] for c in e["counties"].split(";")]
            events.append(dict(e, date=parse_date(e["date"]), county_idx=inv))
        funding = {(int(r["year"]), r["component"]): float(r["msek"]) for r in read_csv("state_funding.csv")}
        return cls(counties, np.array(codes), np.array(names), muni_county,
                   np.array(pops, dtype=np.int64), rd_units, rd_events, universities, centres, areas, events, funding)


def county_settings(country: Country, p: dict) -> list[dict]:
    """Each county's structure settings: the data of 2012, then the scenario's `county_overrides`."""
    settings = []
    for c in country.counties:
        settings.append(dict(principle=c.principle, meeting_places=c.meeting_places, decision_paths=c.decision_paths,
                             anchoring=c.anchoring, budget_room=c.budget_room, statement_2013=c.statement_2013,
                             areas=c.areas if c.areas == "auto" else c.areas.split(";"),
                             meetings_per_year=p["structure"]["network_meetings_per_year"], structure=True,
                             platform_at_rd=c.platform_at_rd))
    for key, override in p["county_overrides"].items():
        try:
            county = country.county(key)
        except KeyError:
            raise ParameterError(f"county_overrides.{key}", key,
                                 "a county code or name: " + ", ".join(c.name for c in country.counties)) from None
        if "areas" in override and override["areas"] != "auto":
            bad = [a for a in override["areas"] if a not in AREAS]
            if bad:
                raise ParameterError(f"county_overrides.{key}.areas", bad, "'auto' or a list of " + ", ".join(AREAS))
        settings[county.index].update({k: v for k, v in override.items() if k in COUNTY_KEYS and v is not None})
    return settings
