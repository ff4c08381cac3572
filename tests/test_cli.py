"""The ``constellations`` command: run, compare, presets, show, scenarios; outputs and exit codes."""

import os
import re
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pandas as pd
import pytest

import constellations as cs
from constellations.app.cli import main
from constellations.sources import naturalearth

TINY = dict(start="2025-07-01T00:00:00Z", duration_s=3600.0, step_s=300.0, nfold=(1, 2),
            percentiles=(50, 90, 95, 99), boundary="optimistic")
TINY_MIN_POPULATION = 10_000_000  # tiny.toml [metrics] city_min_population
TINY_FIGURE_CITIES = ["Berlin", "Washington, D.C.", "Pyongyang"]
SLUGS = ["kuiper_2025", "walker_24_3_1_at_550_km"]
FIGURES = ["coverage_map", "revisit_mean_map", "revisit_max_map", "visible_map", "latitude_profiles",
           "revisit_cdf", "coverage_timeseries", "city_visibility", "dashboard"]

SMALL = """\
name = "{name}"
start = "2025-07-01T00:00:00Z"
duration_h = 1
step_s = 300

[grid]
spacing_deg = 20.0

[[constellations]]
preset = "kuiper_2025"

[metrics]
city_min_population = 20000000

[figures]
names = []
cities = ["Berlin"]
"""


def tiny_sources():
    """The two constellations of tiny.toml, built independently of the scenario code."""
    return [cs.preset("kuiper_2025"),
            cs.walker_delta(24, 3, 1, 550.0, 53.0, min_elevation_deg=25.0)]


def populations(places) -> dict:
    """(name, lat, lon) -> population of Natural Earth places (names alone repeat)."""
    return {(str(n), round(float(a), 4), round(float(o), 4)): int(p) for n, a, o, p in
            zip(places["name"], places["lat_deg"], places["lon_deg"], places["population"],
                strict=True)}


def place_keys(ds) -> list:
    return [(str(n), round(float(a), 4), round(float(o), 4)) for n, a, o in
            zip(ds["name"].values, ds["lat_deg"].values, ds["lon_deg"].values, strict=True)]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "tiny"
    assert main(["run", "tiny", "--out", str(out), "--quiet"]) == 0
    return out


def test_run_writes_every_promised_file(tiny_run):
    names = {p.name for p in tiny_run.iterdir()}
    expected = {"summary.csv", "summary.md", "index.md", "index.html"}
    expected |= {f"{s}.nc" for s in SLUGS} | {f"cities_{s}.nc" for s in SLUGS}
    assert expected <= names
    assert not [n for n in names if n.startswith(".") and n != ".constellations-run"], \
        "temporary files left behind"  # the marker says which process wrote the folder
    for name in expected:
        assert (tiny_run / name).stat().st_size > 0


def test_run_draws_every_figure(tiny_run):
    for name in FIGURES:
        assert (tiny_run / f"{name}.png").stat().st_size > 1000, name


def test_netcdf_matches_analyze(tiny_run):
    grid = cs.global_grid(spacing_deg=15.0)
    for slug, source in zip(SLUGS, tiny_sources(), strict=True):
        saved = cs.load(tiny_run / f"{slug}.nc")
        direct = cs.analyze(source, grid, progress=False, **TINY)
        assert set(direct.data_vars) == set(saved.data_vars)
        for name in direct.data_vars:
            np.testing.assert_array_equal(saved[name].values, direct[name].values, err_msg=name)
        np.testing.assert_array_equal(saved["lat_deg"].values, grid.lat_deg)

        cities = cs.load(tiny_run / f"cities_{slug}.nc")
        points = cs.points(cities["lat_deg"].values, cities["lon_deg"].values,
                           names=cities["name"].values, weights=cities["weight"].values)
        direct = cs.analyze(source, points, progress=False, **TINY)
        for name in ("visible_count", "coverage_time_fraction", "revisit_mean_s", "visible_mean"):
            np.testing.assert_array_equal(cities[name].values, direct[name].values, err_msg=name)


def test_city_results_hold_the_population_sample_and_the_named_cities(tiny_run):
    cities = cs.load(tiny_run / "cities_kuiper_2025.nc")
    ne = naturalearth.cities()
    big = ne["population"] >= TINY_MIN_POPULATION
    names = [str(n) for n in cities["name"].values]
    sample = cities["population_sample"].values.astype(bool)
    assert sorted(np.asarray(names)[sample]) == sorted(ne["name"][big])
    for city in TINY_FIGURE_CITIES:
        assert names.count(city) == 1
    pop = populations(ne)
    np.testing.assert_array_equal(cities["weight"].values, [pop[k] for k in place_keys(cities)])


def test_summary_csv_agrees_with_the_datasets(tiny_run):
    table = pd.read_csv(tiny_run / "summary.csv")
    assert list(table["constellation"]) == ["Kuiper mid-2025 (78)", "Walker 24/3/1 at 550 km"]
    assert list(table["satellites"]) == [3 * 26, 3 * 8]
    for row, slug in zip(table.itertuples(), SLUGS, strict=True):
        ds = cs.load(tiny_run / f"{slug}.nc")
        area = ds["area_km2"].values
        ctf = ds["coverage_time_fraction"].values
        lat = ds["lat_deg"].values
        assert row.coverage_time == pytest.approx(np.sum(area * ctf) / np.sum(area), rel=1e-12)
        assert row.ever_covered == pytest.approx(np.sum(area * (ctf > 0)) / np.sum(area), rel=1e-12)
        two = ds["nfold_time_fraction"].sel(nfold=2).values
        assert row.time_2plus_in_view == pytest.approx(np.sum(area * two) / np.sum(area), rel=1e-12)
        rmean = ds["revisit_mean_s"].values
        ok = np.isfinite(rmean)
        assert row.revisit_mean_s == pytest.approx(np.sum(area[ok] * rmean[ok]) / np.sum(area[ok]))
        seen = ok & (ctf > 0)  # cells covered at least once
        assert row.revisit_mean_covered_s == pytest.approx(
            np.sum(area[seen] * rmean[seen]) / np.sum(area[seen]))
        assert row.revisit_max_s == np.nanmax(ds["revisit_max_s"].values)
        low = np.abs(lat) <= 30
        low_band = np.abs(lat) < 30
        assert row.coverage_time_abslat_0_30 == pytest.approx(
            np.sum(area[low_band] * ctf[low_band]) / np.sum(area[low_band]))
        assert low.sum() == low_band.sum()  # no ring centre sits exactly on 30 deg
        polar = np.abs(lat) >= 60
        assert row.revisit_max_s_abslat_60_90 == np.nanmax(ds["revisit_max_s"].values[polar])
        assert row.visible_mean == pytest.approx(
            np.sum(area * ds["visible_mean"].values) / np.sum(area))

        cities = cs.load(tiny_run / f"cities_{slug}.nc")
        ne = naturalearth.cities(min_population=TINY_MIN_POPULATION)
        pop = populations(ne)  # only the sample: cities of at least 10 million
        w = np.array([pop.get(k, 0) for k in place_keys(cities)], dtype=float)
        c = cities["coverage_time_fraction"].values
        assert row.coverage_time_population == pytest.approx(np.sum(w * c) / np.sum(w), rel=1e-12)
        assert row.population_cities == len(ne["name"])
        assert row.step_s == 300 and row.duration_s == 3600 and row.boundary == "optimistic"


def test_summary_md_shows_the_same_numbers(tiny_run):
    table = pd.read_csv(tiny_run / "summary.csv")
    text = (tiny_run / "summary.md").read_text()
    from constellations.plotting.style import format_duration_s, format_percent

    def gap(s):  # the page's words for a gap over the covered area
        return "never covered" if not s == s else "no gap" if s == 0 else format_duration_s(s)

    for row in table.itertuples():
        line = next(x for x in text.splitlines() if x.startswith(f"| {row.constellation} "))
        assert format_percent(row.coverage_time) in line
        assert format_percent(row.never_covered) in line
        assert gap(row.revisit_max_covered_s) in line
        assert gap(row.revisit_mean_covered_s) in line


def _links(text, pattern):
    return re.findall(pattern, text)


def test_index_pages_link_relative_files_that_exist(tiny_run):
    md = (tiny_run / "index.md").read_text()
    page = (tiny_run / "index.html").read_text()
    md_links = _links(md, r"\]\(([^)]+)\)")
    html_links = _links(page, r'(?:src|href)="([^"]+)"')
    assert set(md_links) == set(html_links)
    for link in md_links:
        assert not Path(link).is_absolute() and (tiny_run / link).is_file(), link
    for name in ("summary.csv", "kuiper_2025.nc", "cities_walker_24_3_1_at_550_km.nc"):
        assert name in md_links
    for text in (md, page):
        assert "300 s" in text and "1 h" in text and "15 deg" in text  # the scenario parameters
        assert "Geometric visibility only" in text  # the model's limits
        assert "Kuiper mid-2025 (78)" in text


def test_index_shows_every_figure(tiny_run):
    md = (tiny_run / "index.md").read_text()
    page = (tiny_run / "index.html").read_text()
    for name in FIGURES:
        assert f"]({name}.png)" in md
        assert f'<img src="{name}.png"' in page


def test_compare_reproduces_summary(tiny_run, tmp_path):
    out = tmp_path / "cmp"
    files = sorted(str(p) for p in tiny_run.glob("*.nc"))  # alphabetical, not the run's order
    args = ["compare", *files, "--out", str(out), "--quiet"]
    assert main(args) == 0
    assert (out / "summary.csv").read_bytes() == (tiny_run / "summary.csv").read_bytes()
    assert (out / "index.md").is_file() and (out / "index.html").is_file()
    assert (out / "dashboard.png").is_file() and (out / "city_visibility.png").is_file()
    md = (out / "index.md").read_text()
    for link in _links(md, r"\]\(([^)]+)\)"):
        assert (out / link).is_file(), link
    # a folder works too
    out2 = tmp_path / "cmp2"
    assert main(["compare", str(tiny_run), "--out", str(out2), "--quiet", "--figures", "none"]) == 0
    assert (out2 / "summary.csv").read_bytes() == (tiny_run / "summary.csv").read_bytes()


def test_compare_rejects_missing_files(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "nope.nc"), "--out", str(tmp_path / "o")]) == 2
    assert "nope.nc" in capsys.readouterr().err


BAD = [
    ("missing key", lambda t: t.replace('start = "2025-07-01T00:00:00Z"\n', ""), "start"),
    ("unknown preset", lambda t: t.replace('"kuiper_2025"', '"kuiper_2052"'),
     "constellations[0].preset"),
    ("negative step", lambda t: t.replace("step_s = 300", "step_s = -300"), "step_s"),
    ("wrong type", lambda t: t.replace("step_s = 300", 'step_s = "300"'), "step_s"),
    ("step too long for exact windows", lambda t: t.replace("step_s = 300", "step_s = 600"),
     "step_s = 600: must be <= 300"),
    ("unknown country", lambda t: t.replace("spacing_deg = 20.0", 'spacing_deg = 20.0\ncountry = "Frnace"'),
     "grid.country"),
    ("unknown key", lambda t: t.replace("[metrics]", "[metrics]\nnfolds = [1, 2]"), "metrics.nfolds"),
    ("misspelt entry key", lambda t: t.replace('preset = "kuiper_2025"', 'presett = "kuiper_2025"'),
     "constellations[0].presett is not a known key; did you mean 'preset'?"),
    ("number as string in a shell", lambda t: t.replace(
        'preset = "kuiper_2025"', 'name = "x"\n[[constellations.shells]]\naltitude_km = "550"\n'
        "inclination_deg = 53\nplanes = 2\nsats_per_plane = 2"),
     "constellations[0].shells[0].altitude_km = '550': must be a number, not a string"),
    ("repeated nfold", lambda t: t.replace("[metrics]", "[metrics]\nnfold = [2, 2]"),
     "metrics.nfold = [2, 2]: lists 2 twice"),
    ("kind not a name", lambda t: "kind = []\n" + t, "kind = []: must be one of 'coverage'"),
    ("unknown kind", lambda t: 'kind = "coverag"\n' + t, "did you mean 'coverage'?"),
]


@pytest.mark.parametrize("case, edit, key", BAD, ids=[b[0] for b in BAD])
def test_bad_scenario_exits_2_naming_the_key(tmp_path, capsys, case, edit, key):
    path = tmp_path / "bad.toml"
    path.write_text(edit(SMALL.format(name="bad")))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert key in err and str(path) in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1  # one paragraph
    assert not out.exists()


def test_unknown_country_suggests_close_matches(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    edit = next(e for case, e, _ in BAD if case == "unknown country")
    path.write_text(edit(SMALL.format(name="bad")))
    assert main(["run", str(path)]) == 2
    assert "France" in capsys.readouterr().err


def test_subprocess_exit_codes(tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    good = tmp_path / "good.toml"
    good.write_text(SMALL.format(name="good"))
    run = subprocess.run([sys.executable, "-m", "constellations", "run", str(good), "--out",
                          str(tmp_path / "out"), "--quiet"], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""  # --quiet
    assert (tmp_path / "out" / "kuiper_2025.nc").is_file()
    assert (tmp_path / "out" / "index.html").is_file()

    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.format(name="bad").replace('"kuiper_2025"', '"kuiper_3000"'))
    run = subprocess.run([sys.executable, "-m", "constellations", "run", str(bad)],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert run.returncode == 2
    assert "constellations[0].preset" in run.stderr and "Traceback" not in run.stderr

    run = subprocess.run([sys.executable, "-m", "constellations", "run", "--threads", "many"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert run.returncode == 2 and "--threads" in run.stderr


def test_internal_error_exits_1(tmp_path, capsys, monkeypatch):
    import constellations.app.runs

    def broken(*args, **kwargs):
        raise RuntimeError("boom in the engine")

    monkeypatch.setattr(constellations.app.runs, "analyze", broken)  # the engine, as runs calls it
    path = tmp_path / "s.toml"
    path.write_text(SMALL.format(name="s"))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "internal error" in err and "RuntimeError: boom in the engine" in err
    assert "Traceback" not in err and "--debug" in err
    assert not out.exists()  # analysis failed before anything was written
    assert main(["run", str(path), "--out", str(out), "--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_failure_while_writing_keeps_the_earlier_run(tmp_path, capsys, monkeypatch):
    """A run that fails half-way leaves the folder as it was (the earlier run), no partial files."""
    import constellations.app.runs

    out = tmp_path / "out"
    out.mkdir()
    (out / "index.md").write_text("index of an earlier run")

    def broken(*args, **kwargs):
        raise RuntimeError("disk trouble while drawing")

    monkeypatch.setattr(constellations.app.runs, "_draw", broken)
    path = tmp_path / "s.toml"
    path.write_text(SMALL.format(name="s"))
    assert main(["run", str(path), "--out", str(out)]) == 1
    assert "disk trouble" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["index.md"]
    assert (out / "index.md").read_text() == "index of an earlier run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "s.toml"]  # no staging folder left


def test_several_scenarios_each_to_their_own_folder(tmp_path):
    paths = []
    for name in ("first one", "second"):
        p = tmp_path / f"{name.replace(' ', '_')}.toml"
        p.write_text(SMALL.format(name=name))
        paths.append(str(p))
    args = ["run", *paths, "--out", str(tmp_path / "out"), "--quiet", "--figures", "coverage_timeseries",
            "--formats", "png,svg"]
    assert main(args) == 0
    for folder in ("first_one", "second"):
        assert (tmp_path / "out" / folder / "index.md").is_file()
        assert (tmp_path / "out" / folder / "kuiper_2025.nc").is_file()
        assert (tmp_path / "out" / folder / "coverage_timeseries.svg").is_file()
        assert (tmp_path / "out" / folder / "coverage_timeseries.png").is_file()


def test_default_output_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "s.toml"
    path.write_text(SMALL.format(name="My Scenario"))
    assert main(["run", str(path), "--quiet"]) == 0
    assert (tmp_path / "results" / "my_scenario" / "summary.csv").is_file()


def test_presets_command(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    for name, count in (("kuiper", "3,236"), ("starlink_gen1", "4,408"), ("golden_dome", "16,000"),
                        ("kuiper_2025", "78")):
        line = next(x for x in out.splitlines() if x.split() and x.split()[0] == name)
        assert count in line.split(), line
    assert "35 deg" in out and "25 deg" in out


def test_show_command(capsys):
    assert main(["show", "kuiper"]) == 0
    out = capsys.readouterr().out
    assert "3,236" in out
    for count in ("1,156", "1,296", "784"):  # 34 x 34, 36 x 36, 28 x 28
        assert count in out
    assert "35 deg" in out and "assumption" in out and "FCC 20-102" in out
    # footprint radius at 630 km / 35 deg: 756.6 km (docs/REFERENCE.md section 5)
    assert "757 km" in out
    assert main(["show", "kuipr"]) == 2
    assert "kuiper" in capsys.readouterr().err


def test_scenarios_command(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert "kuiper_vs_starlink (default)" in out and "golden_dome" in out and "tiny" in out


@pytest.mark.parametrize("argv, code", [
    ([], 2), (["--help"], 0), (["run", "--help"], 0), (["run", "--threads", "0"], 2),
    (["run", "--formats", "jpg"], 2), (["run", "--figures", "maps"], 2), (["frobnicate"], 2),
    (["run", "no_such_scenario"], 2),
])
def test_usage(argv, code, capsys):
    assert main(argv) == code
    captured = capsys.readouterr()
    if code == 2:
        assert "error" in captured.err and "Traceback" not in captured.err


def test_every_file_is_checked_before_any_run(tmp_path, capsys):
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(SMALL.format(name="good"))
    bad.write_text(SMALL.format(name="bad").replace("step_s = 300", 'step_s = "300"'))
    out = tmp_path / "out"
    assert main(["run", str(good), str(bad), "--out", str(out)]) == 2
    assert f"{bad}: step_s = '300': must be a number, not a string" in capsys.readouterr().err
    assert not out.exists()  # the good one did not run either
    # TLE filters that select nothing are found before any run too (the catalog is read up front)
    bad.write_text(SMALL.format(name="bad").replace(
        'preset = "kuiper_2025"', 'tle = "tle/kuiper_20251003_from_active.tle"\ndesignators = ["1999-001"]'))
    assert main(["run", str(good), str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: constellations[0]: no satellite of" in err and "dropped 102" in err
    assert not out.exists()


@pytest.mark.parametrize("kind, module, name", [
    ("deployment_race", "constellations.race.run", "deployment_race"),
    ("golden_dome_sizing", "constellations.goldendome.run", "golden_dome_sizing"),
])
def test_run_hands_other_kinds_to_their_runner(tmp_path, monkeypatch, kind, module, name):
    import importlib

    from constellations.app.runs import runner
    from constellations.app.scenario import KINDS, scenario_kind

    assert kind in KINDS and scenario_kind(name) == kind
    calls = []
    monkeypatch.setattr(importlib.import_module(module), "run_scenario",
                        lambda path, out, **kw: calls.append((path.name, out, kw)))
    assert runner(kind) is importlib.import_module(module).run_scenario
    assert main(["run", name, "tiny", "--out", str(tmp_path), "--quiet", "--figures", "none"]) == 0
    assert calls == [(f"{name}.toml", tmp_path / name, {"formats": None, "progress": False})]
    assert (tmp_path / "tiny" / "index.md").is_file()  # the coverage one ran beside it
    with pytest.raises(ValueError, match="no runner of its own"):
        runner("coverage")
