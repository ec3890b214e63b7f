"""The real country as data: counts, sums and references must hold."""

import csv
from pathlib import Path

import numpy as np

from sim.country import DATA, Country, read_csv

SHARED = Path(__file__).resolve().parents[2] / "shared" / "domain" / "counties.csv"


def test_21_counties_and_290_municipalities():
    c = Country.load()
    assert len(c.counties) == 21
    assert c.n_municipalities == 290
    assert len(set(c.muni_code)) == 290


def test_municipalities_per_county_match_counties_csv():
    c = Country.load()
    for county in c.counties:
        expected = int(next(r for r in read_csv("counties.csv") if r["code"] == county.code)["municipalities"])
        assert len(county.municipalities) == expected, county.name
        assert all(code.startswith(county.code) for code in c.muni_code[county.municipalities])


def test_counties_file_keeps_the_shared_brief():
    if not SHARED.exists():
        return  # the brief lives beside the repository; the data copy is checked above
    shared = list(csv.DictReader(open(SHARED, encoding="utf-8")))
    ours = read_csv("counties.csv")
    for a, b in zip(shared, ours):
        for key in a:
            assert a[key] == b[key], (a["county"], key)


def test_population_sums_to_about_9_6_million():
    c = Country.load()
    total = int(c.muni_population.sum())
    assert 9.4e6 < total < 9.8e6
    for county in c.counties:
        s = int(c.muni_population[county.municipalities].sum())
        assert abs(s - county.population) / county.population < 0.05, county.name


def test_rd_units_about_40_with_11_in_stockholm():
    c = Country.load()
    active = [u for u in c.rd_units if u["active_from"] is None]
    assert 35 <= len(active) <= 50
    assert sum(1 for u in active if u["county_code"] == "01") == 11
    assert not any(u["county_code"] == "19" for u in c.rd_units)  # Västmanland has no R&D unit (BRIEF §3)
    for u in c.rd_units:
        assert u["owner"] in {"municipalities", "county_council", "joint", "university", "region"}
        assert len(u["member_idx"]) > 0, u["id"]
        assert all(c.muni_county[i] == u["county"] for i in u["member_idx"]), u["id"]


def test_rd_events_refer_to_units_and_are_dated():
    c = Country.load()
    ids = {u["id"] for u in c.rd_units}
    for e in c.rd_events:
        assert e["unit_id"] in ids
        assert e["event"] in {"close", "open", "weaken", "strengthen", "add_member"}
    kinds = {(e["unit_id"], e["event"]) for e in c.rd_events}
    assert any(k == "close" for _, k in kinds)
    assert any(e["event"] == "add_member" and e["member"] == "0980" for e in c.rd_events)  # Gotland joins FoU Södertörn


def test_every_data_file_says_where_its_figures_come_from():
    for path in DATA.glob("*.csv"):
        rows = read_csv(path.name)
        cols = set(rows[0])
        if path.name in ("counties.csv", "municipalities.csv"):
            continue  # their sources are in sim/data/README.md (the brief and official statistics)
        src = [c for c in cols if "source" in c]
        assert src, f"{path.name} has no source column"
        assert all(r[src[0]].strip() for r in rows), f"{path.name} has rows without a source"
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for path in DATA.glob("*.csv"):
        assert path.name in readme, f"{path.name} is not described in sim/data/README.md"


def test_universities_and_centres_reference_known_places():
    c = Country.load()
    assert len(c.universities) >= 15
    assert {u["county"] for u in c.universities} <= set(range(21))
    areas = {a["key"] for a in c.areas}
    assert all(set(x["areas"]) <= areas for x in c.centres)
    assert any("IMS" in x["name"] or "evidensbaserad" in x["name"].lower() for x in c.centres)


def test_synthetic_country_scales_agents_not_counties():
    c4 = Country.load(scale=4)
    assert len(c4.counties) == 21
    assert c4.n_municipalities == 4 * 290
    assert len(c4.rd_units) == 4 * len(Country.load().rd_units)
    assert np.all(np.bincount(c4.muni_county) == 4 * np.bincount(Country.load().muni_county))


def test_load_is_parsed_once_per_process_and_read_again_when_a_file_changes(tmp_path, monkeypatch):
    import os
    import shutil

    import sim.country as country

    for name in country.FILES:
        shutil.copy(DATA / name, tmp_path / name)
    monkeypatch.setattr(country, "DATA", tmp_path)
    monkeypatch.setattr(country, "_LOADED", {})
    first = Country.load()
    first.muni_population[0] = -1  # a model's change to its copy never reaches the next
    first.counties[0].municipalities.append(-1)
    again = Country.load()
    assert again.muni_population[0] > 0 and -1 not in again.counties[0].municipalities
    path = tmp_path / "municipalities.csv"
    stat = path.stat()
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows[0]["population_2012"] = "1"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # changed, even within the clock's tick
    assert Country.load().muni_population[0] == 1


def test_load_stamps_every_file_it_reads(monkeypatch):
    import sim.country as country

    read = []
    monkeypatch.setattr(country, "read_csv", lambda name: read.append(name) or read_csv(name))
    Country.parse()
    assert set(read) == set(country.FILES)
