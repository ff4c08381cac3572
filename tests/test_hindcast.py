"""Hindcast: the 2025 launch model, frozen as shipped, graded against the satellites observed since.

References used here, independent of the code under test: the frozen file's parsed values against those
of the 2025 release, a slow day-by-day rebuild of each case's launches and satellites in orbit, the
TLE snapshot of 2026-08-22 (satellites per international designator), and the published counts.
"""

import copy
import dataclasses
import datetime as dt
import hashlib
import json
import math
import tomllib

import numpy as np
import pytest

from constellations.race import load_race_scenario, race_scenario_from_dict, run_race
from constellations.race.deployment import LaunchModel
from constellations.race.hindcast import Observation, hindcast, hindcast_errors, hindcast_table
from constellations.race.hindcast_figures import draw_hindcast_figure
from constellations.sources.datafiles import data_dir
from constellations.sources.tle import Catalog

FROZEN = "launches_2025.toml"
# _canonical_sha256(tomllib.loads(`git show 8ad45db:data/launches.toml`)): the 2025 release, parsed
RELEASE_SHA256 = "60999b68b76adfba654ca6012adb5b0c67b663bfbbc7b5f43aeb0224f72ab898"
START = "2025-08-01"
CASES = ("low", "nominal", "high")
# satellites in orbit, docs/REFERENCE.md section 8
OBSERVED = {"2025-12-16": 180, "2026-02-12": 214, "2026-06-05": 331, "2026-08-22": 391}


def observations():
    return [Observation(np.datetime64(d), n, "test") for d, n in OBSERVED.items()]


# --------------------------------------------------------------------------- the frozen 2025 model


def _canonical_sha256(data) -> str:
    """SHA-256 of the parsed TOML as sorted JSON; citations compared without their ``docs/`` folder."""
    def fix(x):
        if isinstance(x, dict):
            return {k: fix(v) for k, v in x.items()}
        if isinstance(x, list):
            return [fix(v) for v in x]
        return x.replace("docs/", "") if isinstance(x, str) else x

    return hashlib.sha256(json.dumps(fix(data), sort_keys=True, default=str).encode()).hexdigest()


def test_frozen_file_holds_the_2025_release_values():
    """Every table, number and text of the 2025 release; only the citation paths moved to docs/."""
    text = (data_dir() / FROZEN).read_text(encoding="utf-8")
    body = text[text.index("# Launch model for the deployment race"):]  # below the FROZEN header
    header = text[:len(text) - len(body)]
    assert all(line.startswith("#") for line in header.splitlines())  # the header only comments
    assert _canonical_sha256(tomllib.loads(text)) == RELEASE_SHA256


def test_current_2025_cases_give_the_same_satellites_every_day():
    """The manifest grew and Ariane 64 is now 32, yet low / nominal / high are as made in 2025."""
    now, then = LaunchModel.from_toml(), LaunchModel.from_toml(FROZEN)
    days = np.arange(np.datetime64(START), np.datetime64("2030-12-02"))
    assert now.vehicles["ariane_64"].satellites_per_launch != then.vehicles["ariane_64"].satellites_per_launch
    assert len(now.operator("kuiper").manifest) > len(then.operator("kuiper").manifest)
    for case in CASES:
        a = now.deployment("kuiper", case, START, "2030-12-01").counts(days)
        b = then.deployment("kuiper", case, START, "2030-12-01").counts(days)
        for key in ("launched", "in_orbit", "operational"):
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{case} {key}")


def slow_in_orbit(path, case, days):
    """Satellites in orbit per day, rebuilt day by day from the raw TOML (no LaunchModel)."""
    raw = tomllib.loads((data_dir() / path).read_text())
    op = raw["operators"]["kuiper"]
    cs_ = op["cases"][case]
    vehicles = raw["vehicles"]
    as_of = cs_.get("as_of", dt.date.max)
    launches = [(np.datetime64(m["date"]), float(m["satellites"]))
                for m in op["manifest"] if m["date"] <= as_of]
    used = {}
    for m in op["manifest"]:
        if m["date"] <= as_of:
            used[m["vehicle"]] = used.get(m["vehicle"], 0) + 1
    keep = (1 - cs_.get("launch_failure_rate", 0.0)) * (1 - cs_.get("satellite_failure_rate", 0.0))
    first = max(np.datetime64(cs_["rates_start"]), np.datetime64(START))
    last = days[-1]
    for vehicle, r in cs_["rates"].items():
        left = op["contracts"].get(vehicle, math.inf) - used.get(vehicle, 0)
        n = float(r.get("satellites_per_launch", vehicles[vehicle]["satellites_per_launch"]))
        years = sorted(int(y) for y in r["launches_per_year"])
        total, k, day = 0.0, 1, first
        while day <= last and k <= left:
            year = day.astype("datetime64[Y]").astype(int) + 1970
            listed = [y for y in years if y <= year]
            rate = r["launches_per_year"][str(listed[-1])] * r.get("share", 1.0) if listed else 0.0
            total += rate / (366 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 365)
            while total >= k - 0.5 - 1e-9 and k <= left:
                launches.append((day, n * keep))
                k += 1
            day += np.timedelta64(1, "D")
    return np.array([math.floor(sum(s for d0, s in launches if d0 <= d) + 1e-9) for d in days])


def test_hindcast_table_is_the_frozen_model_by_a_slow_rebuild():
    table = hindcast_table(LaunchModel.from_toml(FROZEN), "kuiper", CASES, START, observations())
    assert table["date"].tolist() == list(OBSERVED) and table["observed"].tolist() == list(OBSERVED.values())
    days = np.array(list(OBSERVED), dtype="datetime64[D]")
    for case in CASES:
        assert table[case].tolist() == slow_in_orbit(FROZEN, case, days).tolist(), case
    assert table["low"].iloc[-1] < table["nominal"].iloc[-1] < table["high"].iloc[-1]


def test_hindcast_follows_the_launch_file(tmp_path):
    """Not a stored table: change the frozen file's nominal cadence and only that column moves."""
    text = (data_dir() / FROZEN).read_text()
    old = "[operators.kuiper.cases.nominal.rates.atlas_v]\nlaunches_per_year = { 2025 = 6 }"
    assert old in text
    path = tmp_path / "changed.toml"
    path.write_text(text.replace(old, old.replace("2025 = 6", "2025 = 12")))
    base = hindcast(FROZEN, "kuiper", CASES, START, observations()).table
    moved = hindcast(str(path), "kuiper", CASES, START, observations()).table
    assert moved["low"].equals(base["low"]) and moved["high"].equals(base["high"])
    assert (moved["nominal"] >= base["nominal"]).all()
    assert moved["nominal"].iloc[-1] > base["nominal"].iloc[-1]


def test_errors_by_hand():
    table = hindcast_table(LaunchModel.from_toml(FROZEN), "kuiper", CASES, START, observations())
    err = hindcast_errors(table, CASES).set_index("case")
    obs = np.array(list(OBSERVED.values()))
    for case in CASES:
        diff = table[case].to_numpy() - obs
        assert err.loc[case, "mean_abs_error"] == pytest.approx(np.abs(diff).mean())
        assert err.loc[case, "mean_signed_error"] == pytest.approx(diff.mean())
        assert err.loc[case, "last_signed_error"] == diff[-1]
        assert err.loc[case, "last_relative_error"] == pytest.approx(diff[-1] / 391)
    best = min(CASES, key=lambda c: np.abs(table[c].to_numpy() - obs).mean())
    assert err.index[err["closest"]].tolist() == [best]


# --------------------------------------------------------------------------- the current manifest


def tle_counts():
    cat = Catalog.from_tle(data_dir() / "tle" / "kuiper_20260822_from_active.tle")
    launch, n = np.unique([d[:8] for d in cat.designators], return_counts=True)
    return dict(zip(launch.tolist(), n.tolist(), strict=True))


def test_new_launches_carry_the_satellites_counted_in_the_2026_snapshot():
    counts = tle_counts()
    assert sum(counts.values()) == 391
    model = LaunchModel.from_toml()
    new = [x for x in model.operator("kuiper").manifest if x.date > np.datetime64("2025-09-25")]
    assert len(new) == 9
    for x in new:
        designator = x.source.split()[1]  # "TLE 2026-030 (32 satellites); ..."
        assert x.source.startswith("TLE ") and counts[designator] == x.satellites, x
    assert sorted(x.source.split()[1] for x in new) == sorted(d for d in counts if d > "2025-217")
    assert model.vehicles["ariane_64"].satellites_per_launch == counts["2026-030"]  # first Ariane 64


def test_manifest_dates_agree_with_the_published_counts():
    """The estimated dates put every launch on the right side of the published counts."""
    dep = LaunchModel.from_toml().deployment("kuiper", "observed", START, "2026-08-22")
    launched = dep.counts(["2025-12-16", "2026-06-05"])["launched"]
    assert launched.tolist() == [OBSERVED["2025-12-16"], OBSERVED["2026-06-05"]]
    assert dep.counts(["2026-08-22"])["in_orbit"][0] - OBSERVED["2026-08-22"] == 396 - 391  # lost since


def test_observed_case_continues_the_observed_rate():
    model = LaunchModel.from_toml()
    case = model.case("kuiper", "observed")
    (rate,) = case.rates
    per_year = rate.operator_rate(2027) * model.vehicles[rate.vehicle].satellites_per_launch
    days = (np.datetime64("2026-08-22") - np.datetime64("2025-12-16")).astype(int)
    observed_per_year = (OBSERVED["2026-08-22"] - OBSERVED["2025-12-16"]) / days * 365.25
    assert per_year == pytest.approx(observed_per_year, rel=0.005)
    dep = model.deployment("kuiper", "observed", START, "2028-08-22")
    n = dep.counts(["2026-08-22", "2028-08-22"])["in_orbit"]
    assert (n[1] - n[0]) / 2 == pytest.approx(observed_per_year, rel=0.05)


# --------------------------------------------------------------------------- the race writes it


def raw_scenario():
    return tomllib.loads((data_dir() / "scenarios" / "deployment_race.toml").read_text())


def test_race_writes_hindcast_csv_and_figure(tmp_path):
    s = load_race_scenario("deployment_race", fast=True)
    s = s.with_analysis(grid_spacing_deg=30.0, duration_s=600.0, step_s=300.0, city_min_population=1e7,
                        city_parts=1)
    s = dataclasses.replace(s, horizon=np.datetime64("2026-01-01"), map_dates=())
    result = run_race(s, serial=True, progress=False)
    written = result.save(tmp_path)
    lines = written["hindcast"].read_text().splitlines()
    assert lines[0] == "date,observed,low,nominal,high"
    assert [line.split(",")[:2] for line in lines[1:]] == [[d, str(n)] for d, n in OBSERVED.items()]
    direct = hindcast_table(LaunchModel.from_toml(FROZEN), "kuiper", CASES, START, observations())
    assert [line.split(",")[2:] for line in lines[1:]] == direct[list(CASES)].astype(str).values.tolist()
    assert "mean_abs_error" in written["hindcast_errors"].read_text()
    (png,) = draw_hindcast_figure(result.hindcast, tmp_path, dpi=50)
    assert png.name == "hindcast.png" and png.stat().st_size > 10_000


@pytest.mark.parametrize("mutate, key, text", [
    (lambda r: r["hindcast"].update(cases=["low", "nominal_2026"]), "hindcast.cases[1]", "did you mean"),
    (lambda r: r["hindcast"]["observed"].reverse(), "hindcast.observed[1].date", "list the observations"),
    (lambda r: r["hindcast"].update(launches="launches_1999.toml"), "hindcast.launches", "no such launch"),
    (lambda r: r["hindcast"]["observed"][0].update(satellites="180"), "hindcast.observed[0].satellites",
     "must be"),
    (lambda r: r["events"][0].update(when=1), "events[0].when", "is not a known key"),
])
def test_bad_hindcast_tables_fail_at_load(mutate, key, text):
    raw = copy.deepcopy(raw_scenario())
    mutate(raw)
    with pytest.raises(ValueError) as err:
        race_scenario_from_dict(raw, where="race.toml")
    assert str(err.value).startswith(f"race.toml: {key}") and text in str(err.value), str(err.value)


def test_new_launch_file_keys_are_checked():
    raw = tomllib.loads((data_dir() / "launches.toml").read_text())
    bad = copy.deepcopy(raw)
    bad["operators"]["kuiper"]["cases"]["low"]["as_of"] = "soon"
    with pytest.raises(ValueError) as err:
        LaunchModel.from_dict(bad, where="l.toml")
    assert str(err.value).startswith("l.toml: operators.kuiper.cases.low.as_of = 'soon'"), str(err.value)
    bad = copy.deepcopy(raw)
    bad["operators"]["kuiper"]["manifest"][5]["approximate"] = "yes"
    with pytest.raises(ValueError) as err:
        LaunchModel.from_dict(bad, where="l.toml")
    text = str(err.value)
    assert text.startswith("l.toml: operators.kuiper.manifest[5].approximate = 'yes'"), text
    model = LaunchModel.from_dict(raw)
    flagged = [x.label for x in model.operator("kuiper").manifest if x.approximate]
    assert "KF-03" in flagged and "LE-01 (first Ariane 64)" not in flagged  # published dates are not
