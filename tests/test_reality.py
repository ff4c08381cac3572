"""Issue 4's scenarios: TLE catalogs in scenario files, each analysed from its own snapshot epoch."""

import numpy as np
import pytest

from constellations.app.runs import analyze_scenario
from constellations.app.scenario import Scenario, load_scenario

KUIPER_TLE = {"tle": "tle/kuiper_20251003_from_active.tle",
              "designators": ["2025-088", "2025-134", "2025-151"], "start": "epoch",
              "min_elevation_deg": 35.0}


def _scenario(entry, **top):
    raw = {"name": "t", "start": "2025-07-27T00:00:00Z", "duration_s": 3600, "step_s": 300,
           "grid": {"spacing_deg": 20.0}, "constellations": [entry],
           "metrics": {"population_weighted": False}, **top}
    return Scenario.from_dict(raw, where="test.toml")


def test_shipped_reality_scenarios_load():
    reality = load_scenario("reality_2025")
    assert [c.kind for c in reality.constellations] == ["tle", "tle"]
    assert all(c.start == "epoch" for c in reality.constellations)
    assert load_scenario("starlink_real_vs_licensed").constellations[1].preset == "starlink_gen1"


def test_tle_entry_runs_from_its_newest_epoch():
    scenario = _scenario(KUIPER_TLE)
    source = scenario.constellations[0].build(scenario.start)
    assert len(source) == 78  # the article's 78: launches KA-01, KA-02, KF-01
    (ds,), _ = analyze_scenario(scenario, progress=False)
    newest = np.datetime64(source.epoch_range()[1], "s")
    assert np.datetime64(ds.attrs["start_utc"].rstrip("Z"), "s") == newest
    assert ds["time"].values[0] == newest.astype("datetime64[ns]")


def test_bad_entry_start_names_the_key():
    with pytest.raises(ValueError, match=r"test.toml: constellations\[0\].start = 'soon'"):
        _scenario({**KUIPER_TLE, "start": "soon"})


def test_tle_command_prints_shells_next_to_licensed(capsys):
    from constellations.app.cli import main
    from constellations.sources.datafiles import data_dir

    path = str(data_dir() / "tle" / "kuiper_20251003_from_active.tle")
    assert main(["tle", path, "--designators", "2025-088,2025-134,2025-151"]) == 0
    out = capsys.readouterr().out
    assert "78 satellites" in out and "Kuiper 1 (630 km, 51.9 deg)" in out
    assert main(["tle", "missing.tle"]) == 2
    assert "missing.tle" in capsys.readouterr().err


def test_run_dispatches_special_kinds(tmp_path, monkeypatch):
    import constellations.race.run as race_run
    from constellations.app.cli import main
    from constellations.app.scenario import load_scenario, scenario_kind

    calls = []
    monkeypatch.setattr(race_run, "run_scenario",
                        lambda path, out, **kw: calls.append((path.stem, out, kw)))
    assert scenario_kind("deployment_race") == "deployment_race"
    assert main(["run", "deployment_race", "--out", str(tmp_path), "--quiet"]) == 0
    assert calls == [("deployment_race", tmp_path, {"formats": None, "progress": False})]
    with pytest.raises(ValueError, match="this is a 'deployment_race' scenario"):
        load_scenario("deployment_race")


def test_time_series_of_results_with_different_starts_use_hours_since_start():
    import constellations as cs

    grid = cs.global_grid(spacing_deg=20.0)
    c = cs.walker_delta(12, 3, 1, 550.0, 53.0)
    a = cs.analyze(c, grid, "2025-07-27T00:00:00Z", 3600.0, 300.0, progress=False)
    b = cs.analyze(c, grid, "2025-10-03T16:00:00Z", 3600.0, 300.0, progress=False)
    fig = cs.figures.coverage_timeseries([a, b])
    bottom = [ax for ax in fig.get_axes() if ax.get_xlabel()][-1]
    assert bottom.get_xlabel().startswith("hours since each start")
    assert bottom.get_xlim()[1] < 2.0  # one hour each, not months of dates
    same = cs.figures.coverage_timeseries([a, a])
    assert [ax for ax in same.get_axes() if ax.get_xlabel()][-1].get_xlabel() == "time (UTC)"


def test_shipped_tle_files_are_found_from_any_folder(tmp_path, monkeypatch):
    from constellations.sources.tle import Catalog

    monkeypatch.chdir(tmp_path)  # not the repository root
    assert len(Catalog.from_tle("data/tle/kuiper_20251003_from_active.tle")) == 102
    assert len(Catalog.from_tle("tle/kuiper_20251003_from_active.tle")) == 102
