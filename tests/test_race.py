"""Deployment race: prefix counting against the engine, monotone metrics, the timeline and its answers."""

import copy
import dataclasses
import datetime as dt
import os
import pickle
import tomllib
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest
from shared import Subset, check_message

import constellations as cs
from constellations.propagation import J2Propagator
from constellations.race import (
    METRICS,
    RACE_FIGURES,
    LaunchModel,
    coverage_by_count,
    draw_race_figures,
    load_race_scenario,
    race_metrics,
    race_scenario_from_dict,
    run_race,
)
from constellations.race.snapshots import _coverage_task
from constellations.sources.datafiles import data_dir

START = "2025-07-01T00:00:00Z"


@pytest.mark.parametrize("grid", [cs.global_grid(spacing_deg=15.0),
                                  cs.points([0.0, 30.0, -45.0, 52.5], [0.0, 100.0, -60.0, 13.4],
                                            weights=[1, 2, 3, 4])])
def test_prefix_counts_equal_separate_analyses(grid):
    c = cs.walker_delta(40, 5, 1, 550.0, 53.0, min_elevation_deg=25.0)
    order = np.random.default_rng(1).permutation(len(c))
    counts = [17, 0, 40, 5, 17]
    out = coverage_by_count(c, grid, START, 5400.0, 120.0, counts=counts, order=order, exact=False)
    assert out["n_satellites"].tolist() == [0, 5, 17, 40] and not out["exact"]
    for i, n in enumerate(out["n_satellites"]):
        if n == 0:
            assert np.all(out["coverage_time_fraction"][i] == 0)
            assert np.all(out["revisit_max_s"][i] == 5400.0)  # one edge gap of the whole window
            continue
        ds = cs.analyze(Subset(c, order[:n]), grid, START, 5400.0, 120.0, threads=1, progress=False,
                        exact=False)  # sampled snapshots equal sampled analyses (exact: test_exact_level)
        for key in ("coverage_time_fraction", "visible_mean", "revisit_mean_s", "revisit_max_s"):
            np.testing.assert_allclose(out[key][i], ds[key].values, rtol=0, atol=1e-9, err_msg=key)


def test_prefix_counts_of_a_tle_catalog_match_the_engine():
    from constellations.sources.tle import Catalog

    cat = Catalog.from_tle(data_dir() / "tle" / "kuiper_20251003_from_active.tle", min_elevation_deg=35.0)
    grid = cs.global_grid(spacing_deg=15.0)
    out = coverage_by_count(cat, grid, "2025-10-03T00:00:00Z", 3600.0, 300.0)
    ds = cs.analyze(cat, grid, "2025-10-03T00:00:00Z", 3600.0, 300.0, threads=1, progress=False)
    for key in ("coverage_time_fraction", "revisit_max_s", "visible_mean"):  # exact windows, SGP4
        np.testing.assert_allclose(out[key][0], ds[key].values, atol=1e-9, err_msg=key)
    assert out["coverage_time_fraction"][0].max() > 0


def test_one_propagation_serves_every_snapshot(monkeypatch):
    calls, depth = [], []

    def counting(original):
        def wrapper(self, t_s, *args):  # outermost calls only: one of the two may call the other
            if not depth:
                calls.append(len(t_s))
            depth.append(1)
            try:
                return original(self, t_s, *args)
            finally:
                depth.pop()
        return wrapper

    for name in ("subsatellite", "subsatellite_trig"):  # the compiled counting path calls the latter
        monkeypatch.setattr(J2Propagator, name, counting(getattr(J2Propagator, name)))
    c = cs.preset("kuiper")
    coverage_by_count(c, cs.global_grid(spacing_deg=15.0), START, 1800.0, 300.0,
                      counts=list(range(0, 3237, 100)), exact=False)
    # the 6 steps of the window are propagated once for all 33 snapshots (the engine may probe the
    # footprint radii with one extra sample first)
    assert max(calls) == 6 and sum(calls) <= 6 + 1
    calls.clear()
    coverage_by_count(c, cs.global_grid(spacing_deg=15.0), START, 1800.0, 300.0,
                      counts=list(range(0, 3237, 100)))
    # exact: one propagation for all 33 snapshots' window finders, at their nodes 60 s apart from
    # -240 s to 2,040 s (half a step and one node beyond the last interval on each side, 39 nodes)
    assert len(calls) <= 2 and max(calls) == 39 and sum(calls) <= 39 + 1


def test_metrics_never_get_worse_as_satellites_are_added():
    op = LaunchModel.from_toml().operator("kuiper")
    counts = [0, 78, 300, 578, 900, 1156, 1700, 2452, 3236]
    kw = {"counts": counts, "order": op.fill_order()}
    kuiper = cs.preset("kuiper")
    ground = coverage_by_count(kuiper, cs.global_grid(spacing_deg=12.0), START, 3600.0, 120.0, **kw)
    cities = coverage_by_count(kuiper, cs.city_grid(min_population=5e6), START, 3600.0, 120.0, **kw)
    for res in (ground, cities):
        assert np.all(np.diff(res["coverage_time_fraction"], axis=0) >= 0)  # per cell, per step
        assert np.all(np.diff(res["visible_mean"], axis=0) >= 0)
        assert np.all(np.diff(res["revisit_max_s"], axis=0) <= 1e-9)  # optimistic: defined everywhere
    m = race_metrics(ground, cities)
    for name, meta in METRICS.items():
        step = np.diff(m[name])
        if name == "revisit_mean_band_s":
            continue  # a mean gap may grow when a short gap closes: no monotonicity to hold it to
        assert np.all(step >= -1e-12 if meta.better == "higher" else step <= 1e-12), name


def test_race_metrics_by_hand():
    ground = {"n_satellites": np.array([10]), "lat_deg": np.array([-70.0, 0.0, 20.0, 60.0]),
              "weight": np.array([1.0, 2.0, 3.0, 4.0]),
              "coverage_time_fraction": np.array([[1.0, 1.0, 0.5, 0.0]]),
              "revisit_mean_s": np.array([[0.0, 0.0, 300.0, 3600.0]]),
              "revisit_max_s": np.array([[0.0, 0.0, 600.0, 3600.0]]),
              "visible_mean": np.array([[2.0, 2.0, 1.0, 0.0]])}
    cities = {"lat_deg": np.array([10.0, 58.0, -30.0]), "weight": np.array([5.0, 1.0, 4.0]),
              "coverage_time_fraction": np.array([[1.0, 0.9, 1.0]]),
              "visible_mean": np.array([[3.0, 1.0, 2.0]])}
    m = race_metrics(ground, cities, populated_lat_deg=(-56.0, 56.0))
    assert m["continuous_area"][0] == pytest.approx(3 / 10)
    assert m["coverage_time_area"][0] == pytest.approx((1 + 2 + 1.5) / 10)
    assert m["revisit_mean_band_s"][0] == pytest.approx((2 * 0 + 3 * 300) / 5)  # cells at 0 and 20 deg
    assert m["revisit_max_band_s"][0] == 600.0
    assert m["continuous_population"][0] == pytest.approx(9 / 10)
    assert m["continuous_population_band"][0] == pytest.approx(1.0)  # the 58 deg city is outside
    assert m["visible_mean_population"][0] == pytest.approx((15 + 1 + 8) / 10)


# --------------------------------------------------------------------------- scenario and timeline


def tiny_scenario(**changes):
    s = load_race_scenario("deployment_race", fast=True)
    s = s.with_analysis(grid_spacing_deg=15.0, duration_s=1800.0, step_s=300.0, city_min_population=5e6)
    return dataclasses.replace(s, horizon=np.datetime64("2028-06-01"), **changes)


@pytest.fixture(scope="module")
def race():
    return run_race(tiny_scenario(), serial=True, progress=False)


def test_timeline_follows_the_launch_model(race):
    tl = race.timeline
    s = race.scenario
    months = s.months()
    assert tl.sizes == {"case": 3, "date": len(months)}
    assert str(months[0]) == "2025-08-01" and str(months[-1]) == "2028-06-01"
    model = LaunchModel.from_toml()
    for case in s.cases:
        dep = model.deployment("kuiper", case, s.start, s.horizon)
        np.testing.assert_array_equal(tl["satellites_operational"].sel(case=case).values,
                                      dep.counts(months)["operational"])
    assert tl["satellites_operational"].values[:, 0].tolist() == [78, 78, 78]
    for m in METRICS:
        assert f"benchmark_{m}" in tl and tl[m].attrs["units"] == METRICS[m].units


def test_answers_are_consistent_with_the_timeline(race):
    a, tl, s = race.answers, race.timeline, race.scenario
    model = LaunchModel.from_toml()
    for case in s.cases:
        dep = model.deployment("kuiper", case, s.start, s.horizon)
        for m in s.milestones:
            row = a[(a.case == case) & (a.kind == "milestone") & (a.item == m.label)].iloc[0]
            days = np.arange(s.start, s.horizon + np.timedelta64(1, "D"))
            reached = days[dep.counts(days)["operational"] >= m.satellites]
            assert row["date"] == (str(reached[0]) if reached.size else "")
            assert row["met_deadline"] == bool(reached.size and reached[0] <= m.deadline)
        for name, meta in METRICS.items():
            row = a[(a.case == case) & (a.kind == "catch-up") & (a.item == name)].iloc[0]
            series = tl[name].sel(case=case).values
            bench = race.benchmark[name]
            ok = series >= bench - 1e-9 if meta.better == "higher" else series <= bench + 1e-9
            first = np.flatnonzero(ok)
            assert row["month"] == (str(s.months()[first[0]])[:7] if first.size else "")
    assert a[a.headline].item.unique().tolist() == [s.catch_up_metric]
    text = race.summary()
    assert "FCC 50 % (1,618)" in text and "catch-up" in text


def test_benchmark_is_starlink_from_the_tle_snapshot(race):
    assert race.timeline.attrs["benchmark_satellites"] == 6637  # 460-600 km in the 2025-07-27 file
    assert race.benchmark["coverage_time_area"] > 0.99  # Starlink mid-2025 covers nearly everywhere
    assert race.benchmark["visible_mean_population"] > 10


def test_save_and_figures(race, tmp_path):
    written = race.save(tmp_path)
    assert cs.load(written["timeline"])["satellites_operational"].shape == (3, len(race.scenario.months()))
    assert "| nominal |" in written["answers_md"].read_text()
    figs = draw_race_figures(race, tmp_path, dpi=50)
    assert set(figs) == set(RACE_FIGURES)
    assert all(p.stat().st_size > 10_000 for paths in figs.values() for p in paths)


def test_tasks_are_picklable_for_dask():
    op = LaunchModel.from_toml().operator("kuiper")
    params = {"source": {"kind": "preset", "name": "kuiper"}, "grid": {"kind": "global", "spacing_deg": 15.0},
              "start": START, "duration_s": 600.0, "step_s": 300.0, "counts": [10], "order": op.fill_order()}
    func, kw = pickle.loads(pickle.dumps((_coverage_task, params)))
    assert func(**kw)["coverage_time_fraction"].shape == (1, len(cs.global_grid(spacing_deg=15.0)))


def raw_scenario():
    with open(data_dir() / "scenarios" / "deployment_race.toml", "rb") as f:
        return tomllib.load(f)




@pytest.mark.parametrize("mutate, key, value, texts", [
    # unknown keys, at every level of the file
    (lambda r: r.update(zz=1), "zz", None, ["is not a known key", "Allowed here: analysis,"]),
    (lambda r: r["analysis"].update(grid="coarse"), "analysis.grid", None, ["is not a known key"]),
    (lambda r: r["fast"].update(step=120), "fast.step", None, ["did you mean 'step_s'?"]),
    (lambda r: r["benchmark"].update(tle_file="x.tle"), "benchmark.tle_file", None, ["is not a known key"]),
    (lambda r: r["answers"].update(k_maxx=3), "answers.k_maxx", None, ["is not a known key"]),
    (lambda r: r["figures"].update(map_case_="high"), "figures.map_case_", None,
     ["did you mean 'map_case'?"]),
    (lambda r: r["milestones"][1].update(deadlin="2029-07-30"), "milestones[1].deadlin", None,
     ["did you mean 'deadline'?"]),
    # strict types: numbers written as strings
    (lambda r: r["analysis"].update(step_s="10"), "analysis.step_s", "10",
     ["must be a number, not a string", "write it without quotes", "step_s = 60"]),
    (lambda r: r["milestones"][0].update(satellites="1618"), "milestones[0].satellites", "1618",
     ["must be an integer", "without quotes"]),
    (lambda r: r.update(seed="1"), "seed", "1", ["without quotes"]),
    # ranges
    (lambda r: r["analysis"].update(step_s=0), "analysis.step_s", 0, ["must be >= 1"]),
    (lambda r: r["analysis"].update(grid_spacing_deg=45.0), "analysis.grid_spacing_deg", 45.0, ["<= 30"]),
    (lambda r: r["milestones"][0].update(satellites=0), "milestones[0].satellites", 0, ["must be >= 1"]),
    (lambda r: r["benchmark"].update(min_elevation_deg=95), "benchmark.min_elevation_deg", 95, ["<= 89"]),
    (lambda r: r["answers"].update(tolerance=-0.1), "answers.tolerance", -0.1, ["must be >= 0"]),
    (lambda r: r["analysis"].update(populated_lat_deg=[56, -56]), "analysis.populated_lat_deg", [56, -56],
     ["north must exceed south"]),
    (lambda r: r["fast"].update(duration_h=0.01, step_s=120), "fast.step_s", 120.0,
     ["longer than the window (36 s)"]),
    # dates
    (lambda r: r["milestones"][0].update(deadline="2026-13-01"), "milestones[0].deadline", "2026-13-01",
     ["must be a date like 2026-07-30"]),
    (lambda r: r.update(start="August 2025"), "start", "August 2025", ["must be a date like"]),
    (lambda r: r.update(horizon=r["start"]), "horizon", "2025-08-01", ["must come after start (2025-08-01)"]),
    (lambda r: r["figures"].update(map_dates=[dt.date(2040, 1, 1)]), "figures.map_dates[0]", "2040-01-01",
     ["outside the timeline"]),
    # names
    (lambda r: r.update(kind="coverage"), "kind", "coverage", ["must be one of 'deployment_race'"]),
    (lambda r: r.update(cases=["low", "nominal", "fast"]), "cases[2]", "fast",
     ["must be one of 'low', 'nominal', 'high'"]),
    (lambda r: r["answers"].update(catch_up_metric="speed"), "answers.catch_up_metric", "speed",
     ["must be one of 'continuous_area'"]),
    (lambda r: r["figures"].update(formats=["gif"]), "figures.formats[0]", "gif", ["'png', 'svg', 'pdf'"]),
    (lambda r: r.update(operator="starlink"), "operator", "starlink", ["has no constellation to analyse"]),
    (lambda r: r.update(operator="kuipr"), "operator", "kuipr", ["did you mean 'kuiper'?"]),
    (lambda r: r.update(launches="nope.toml"), "launches", "nope.toml", ["no such launch file"]),
    (lambda r: r["benchmark"].update(tle="tle/nope.tle"), "benchmark.tle", "tle/nope.tle",
     ["no such TLE file"]),
])
def test_bad_scenarios(mutate, key, value, texts):
    raw = copy.deepcopy(raw_scenario())
    mutate(raw)
    with pytest.raises(ValueError) as err:
        race_scenario_from_dict(raw, where="race.toml")
    check_message(err, "race.toml", key, value, *texts)


def write_scenario(tmp_path, edit, name="race.toml"):
    """The shipped race scenario with the text edit ``edit(text) -> text`` applied, written to a file."""
    text = (data_dir() / "scenarios" / "deployment_race.toml").read_text()
    path = tmp_path / name
    path.write_text(edit(text))
    return path


def test_a_number_written_as_a_string_fails_at_load_naming_the_file(tmp_path):
    path = write_scenario(tmp_path, lambda t: t.replace("step_s = 60\n", 'step_s = "10"\n', 1))
    with pytest.raises(ValueError) as err:
        load_race_scenario(path)
    check_message(err, str(path), "analysis.step_s", "10", "write it without quotes")


def test_a_trailing_unknown_key_fails_at_load(tmp_path):
    path = write_scenario(tmp_path, lambda t: t + "zz = 1\n")  # lands in the last table, [fast]
    with pytest.raises(ValueError) as err:
        load_race_scenario(path)
    check_message(err, str(path), "fast.zz", None, "is not a known key")
    top = write_scenario(tmp_path, lambda t: "zz = 1\n" + t, name="top.toml")
    with pytest.raises(ValueError) as err:
        load_race_scenario(top)
    check_message(err, str(top), "zz", None, "is not a known key")


def test_the_fast_table_is_checked_in_full_runs_too(tmp_path):
    path = write_scenario(tmp_path, lambda t: t.replace("city_parts = 1", "city_parts = 0"))
    with pytest.raises(ValueError) as err:
        load_race_scenario(path, fast=False)
    check_message(err, str(path), "fast.city_parts", 0, "must be >= 1")


def test_a_bad_launch_file_fails_at_scenario_load_naming_the_launch_file(tmp_path):
    launches = tmp_path / "launches.toml"
    launches.write_text((data_dir() / "launches.toml").read_text().replace(
        "satellites_per_launch = 27", 'satellites_per_launch = "27"', 1))
    path = write_scenario(tmp_path, lambda t: t.replace('launches = "launches.toml"',
                                                        f'launches = "{launches}"'))
    with pytest.raises(ValueError) as err:
        load_race_scenario(path)
    check_message(err, str(launches), "vehicles.atlas_v.satellites_per_launch", "27", "without quotes")


def test_bad_scenarios_fail_before_any_computing(tmp_path, monkeypatch):
    import constellations.race.run as run

    def no_computing(*args, **kwargs):
        raise AssertionError("the analysis started before the scenario was checked")

    monkeypatch.setattr(run, "map_tasks", no_computing)
    monkeypatch.setattr(run.LaunchModel, "deployment", no_computing)
    path = write_scenario(tmp_path, lambda t: t.replace("tolerance = 0.0", "tolerance = -1.0"))
    with pytest.raises(ValueError) as err:
        run.run_scenario(path, tmp_path / "out")
    check_message(err, str(path), "answers.tolerance", -1.0, "must be >= 0")
    assert not (tmp_path / "out").exists()


def test_the_command_exits_2_on_a_bad_race_scenario(tmp_path, capsys):
    from constellations.app.cli import main

    path = write_scenario(tmp_path, lambda t: t.replace("[answers]", "[answers]\nk_maxx = 3", 1))
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "answers.k_maxx is not a known key" in err and str(path) in err and "Traceback" not in err


def test_shipped_scenario_and_fast_settings():
    s = load_race_scenario("deployment_race")
    f = load_race_scenario("deployment_race", fast=True)
    raw = raw_scenario()
    assert s.analysis["duration_s"] == 3600.0 * raw["analysis"]["duration_h"]
    assert f.analysis["duration_s"] == 3600.0 * raw["fast"]["duration_h"]
    assert f.analysis["populated_lat_deg"] == s.analysis["populated_lat_deg"]  # not in [fast]: inherited
    assert [m.satellites for m in s.milestones] == [m["satellites"] for m in raw["milestones"]]
    assert s.benchmark["altitude_km"] == tuple(raw["benchmark"]["altitude_km"])


# --------------------------------------------------------------------------- script and notebook


ROOT = Path(__file__).resolve().parent.parent  # the repository: scripts/, notebooks/


@pytest.mark.slow
def test_script_fast_mode_runs_on_dask(tmp_path):
    import subprocess
    import sys

    from constellations.sweeps import dask_available

    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "deployment_race.py"), "--fast", "--out",
                          str(tmp_path / "race")], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "FCC 50 % (1,618), deadline 2026-07-30" in out.stdout
    assert ("local-cluster" if dask_available() else "serial") in out.stdout
    for name in ("answers.csv", "answers.md", "timeline.nc", "maps.nc", "race_satellites.png",
                 "race_metrics.png", "race_maps.png", "launches_nominal.csv"):
        assert (tmp_path / "race" / name).is_file(), name
    # results never store this machine's paths (the package's data folder, the working folder)
    import xarray as xr

    for nc in ("timeline.nc", "maps.nc"):
        with xr.open_dataset(tmp_path / "race" / nc) as ds:
            texts = [str(v) for v in ds.attrs.values()] + [str(v) for var in ds.variables.values()
                                                             for v in var.attrs.values()]
        for text in texts:
            assert str(data_dir()) not in text and str(tmp_path) not in text, (nc, text[:200])
    for path in (tmp_path / "race").iterdir():
        if path.suffix in (".md", ".csv", ".html", ".json"):
            text = path.read_text()
            assert str(data_dir()) not in text and str(tmp_path) not in text, path.name


@pytest.mark.slow
def test_notebook_runs_top_to_bottom():
    import nbformat
    from nbclient import NotebookClient

    path = ROOT / "notebooks" / "04_deployment_race.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # saved without outputs
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
