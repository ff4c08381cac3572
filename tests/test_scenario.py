"""Coverage-scenario files: parsing, validation messages, grids and constellations they build."""

import copy
import datetime as dt

import numpy as np
import pytest

import constellations as cs
from constellations.app.runs import analyze_scenario
from constellations.app.scenario import (
    DEFAULT_SCENARIO,
    KINDS,
    Scenario,
    load_scenario,
    scenario_kind,
    scenarios,
    slugify,
)
from constellations.sources import naturalearth
from constellations.sources.datafiles import data_dir
from constellations.sources.presets import constellation_from_dict
from constellations.validation import Checker

BASE = {
    "name": "unit",
    "start": "2025-07-01T00:00:00Z",
    "duration_h": 2,
    "step_s": 120,
    "grid": {"spacing_deg": 15.0},
    "constellations": [{"preset": "kuiper_2025"}],
}


def scenario(**changes):
    raw = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            raw.pop(key)
        else:
            raw[key] = value
    return Scenario.from_dict(raw, where="unit.toml")


def test_shipped_scenarios_load_and_build():
    names = scenarios()
    assert {"kuiper_vs_starlink", "golden_dome", "tiny"} <= set(names)
    for name in names:
        if scenario_kind(name) != "coverage":  # race and sizing files: tested with their modules
            continue
        s = load_scenario(name)
        assert s.name == name
        assert len(s.constellations) >= 2


def test_default_scenario_compares_the_licensed_constellations():
    s = load_scenario()  # the default
    assert s.name == DEFAULT_SCENARIO
    sizes = {spec.slug: len(spec.build()) for spec in s.constellations}
    # FCC 20-102: 1,156 + 1,296 + 784; Starlink Gen1: 1,584 + 1,584 + 720 + 348 + 172; the real 78 of
    # launches 2025-088, 2025-134 and 2025-151 (27 + 27 + 24) from TLEs, not the synthetic stand-in; the
    # Starlink snapshot of 2025-07-27 holds 7,996 (constellations/data/tle/README.md)
    assert sizes == {"kuiper": 3236, "starlink_gen1": 4408, "kuiper_78_tle_2025_10_03": 78,
                     "starlink_fleet_tle_2025_07_27": 7996}
    assert s.duration_s == 86400.0 and s.step_s == 60.0
    assert s.grid.region == "global" and s.grid.spacing_deg == 2.0


def test_tiny_scenario_is_small():
    s = load_scenario("tiny")
    assert s.grid.spacing_deg >= 10 and s.duration_s <= 7200 and s.n_steps <= 24
    inline = s.constellations[1]
    assert inline.kind == "inline"
    assert len(inline.build()) == 3 * 8


def test_fields_and_units():
    s = scenario(duration_h=None, duration_s=5400)
    assert s.duration_s == 5400.0 and s.n_steps == 45
    s = scenario()
    assert s.duration_s == 7200.0  # 2 h
    assert s.start == dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
    assert s.boundary == "optimistic" and s.nfold == (1, 2, 4)
    assert "120 s" in s.caption() and "2 h" in s.caption()


def test_native_toml_datetime_and_spacing_km(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('name = "x"\nstart = 2025-07-01T06:00:00Z\nduration_s = 600\nstep_s = 60\n'
                    '[grid]\nspacing_km = 1113.2\n[[constellations]]\npreset = "kuiper_2025"\n')
    s = load_scenario(path)
    assert s.start == dt.datetime(2025, 7, 1, 6, tzinfo=dt.UTC)
    # 1113.2 km on a 6378.137 km sphere is 10.0 degrees of arc
    assert s.grid.spacing_deg == pytest.approx(np.degrees(1113.2 / 6378.137))
    assert s.raw["start"] == "2025-07-01T06:00:00+00:00"


def test_min_elevation_override_and_label():
    s = scenario(constellations=[{"preset": "kuiper", "min_elevation_deg": 30.0,
                                  "label": "Kuiper at 30 deg"},
                                 {"preset": "kuiper"}])
    low, filed = (spec.build() for spec in s.constellations)
    assert np.all(low.min_elevation_deg_per_sat() == 30.0)
    assert np.all(filed.min_elevation_deg_per_sat() == 35.0)
    assert low.name == "Kuiper at 30 deg"
    assert [spec.slug for spec in s.constellations] == ["kuiper_at_30_deg", "kuiper"]


def test_inline_constellation():
    s = scenario(constellations=[{"name": "demo", "min_elevation_deg": 20.0, "shells": [
        {"altitude_km": 550.0, "inclination_deg": 53.0, "planes": 4, "sats_per_plane": 5},
        {"altitude_km": 600.0, "inclination_deg": 97.0, "planes": 2, "sats_per_plane": 3,
         "min_elevation_deg": 40.0}]}])
    c = s.constellations[0].build()
    assert len(c) == 20 + 6
    elev = c.min_elevation_deg_per_sat()
    assert np.all(elev[:20] == 20.0) and np.all(elev[20:] == 40.0)


def test_tle_entry_with_filters():
    s = scenario(start="2025-10-03T00:00:00Z", constellations=[{
        "tle": "tle/kuiper_20251003_from_active.tle",
        "designators": ["2025-088", "2025-134", "2025-151"], "min_elevation_deg": 35.0}])
    spec = s.constellations[0]
    assert spec.slug == "kuiper_20251003_from_active"
    cat = spec.build(s.start)
    # data/tle/README.md: launches 2025-088, -134, -151 carried 27 + 27 + 24 Kuiper satellites
    assert len(cat) == 78
    assert np.all(cat.min_elevation_deg_per_sat() == 35.0)
    # the same file named relative to the repository root, and absolutely
    for path in ("data/tle/kuiper_20251003_from_active.tle",
                 str(data_dir() / "tle" / "kuiper_20251003_from_active.tle")):
        s2 = scenario(constellations=[{"tle": path}])
        assert s2.constellations[0].tle_path == spec.tle_path


def test_regions():
    s = scenario(grid={"spacing_deg": 10.0, "lat_band": [-30, 30]})
    g = s.build_grid()
    assert np.all(np.abs(g.lat_deg) <= 30)
    s = scenario(grid={"spacing_deg": 5.0, "box": [30, 60, 170, -170]})  # across the antimeridian
    g = s.build_grid()
    assert np.all((g.lon_deg >= 170) | (g.lon_deg <= -170))
    inside = s.grid.contains(np.array([45.0, 45.0, 45.0]), np.array([175.0, -175.0, 0.0]))
    assert inside.tolist() == [True, True, False]
    s = scenario(grid={"spacing_deg": 2.0, "country": "Germany"})
    g = s.build_grid()
    assert np.all(naturalearth.points_in_country("Germany", g.lat_deg, g.lon_deg))
    s = scenario(grid={"cities": ["Berlin", "Pyongyang"]})
    g = s.build_grid()
    assert list(g.names) == ["Berlin", "Pyongyang"]
    assert "coverage_map" not in s.figure_names  # no maps for a point list


def test_city_grid_is_population_sample_plus_figure_cities():
    s = scenario(metrics={"city_min_population": 8_000_000},
                 figures={"cities": ["Berlin", "Tokyo"]})
    grid, in_sample, figure_index = s.build_city_grid()
    allc = naturalearth.cities()
    big = allc["population"] >= 8_000_000
    n_big = int(big.sum())
    assert int(in_sample.sum()) == n_big
    assert sorted(grid.names[in_sample]) == sorted(allc["name"][big])
    # Tokyo (37 million) is in the sample already, Berlin (3.4 million) is appended once
    assert list(grid.names).count("Tokyo") == 1 and list(grid.names).count("Berlin") == 1
    assert [grid.names[k] for k in figure_index] == ["Berlin", "Tokyo"]
    assert not in_sample[list(grid.names).index("Berlin")]
    berlin = naturalearth.cities("Berlin")
    assert grid.weight[list(grid.names).index("Berlin")] == berlin["population"][0]


def test_city_sample_follows_the_region():
    s = scenario(grid={"spacing_deg": 5.0, "lat_band": [0, 90]},
                 metrics={"city_min_population": 5_000_000}, figures={"cities": []})
    grid, in_sample, _ = s.build_city_grid()
    assert in_sample.all() and np.all(grid.lat_deg >= 0)
    allc = naturalearth.cities(min_population=5_000_000)
    assert len(grid) == int(np.sum(allc["lat_deg"] >= 0))
    s = scenario(metrics={"population_weighted": False}, figures={"cities": []})
    assert s.build_city_grid() is None


# --------------------------------------------------------------------------- validation

@pytest.mark.parametrize("changes, key, words", [
    ({"start": None}, "start", ["missing", "required"]),
    ({"grid": None}, "grid", ["missing"]),
    ({"step_s": -60}, "step_s", ["> 0", "-60"]),
    ({"step_s": 0}, "step_s", ["> 0"]),
    ({"step_s": "60"}, "step_s", ["'60'", "a string", "without quotes"]),
    ({"step_s": True}, "step_s", ["a boolean"]),
    ({"step_s": 600}, "step_s = 600", ["<= 300 s", "exactly"]),  # the engine's exact windows
    ({"duration_h": 0.01}, "duration_h = 0.01", ["(36 s) is shorter than step_s = 120 s"]),
    ({"duration_s": 60}, "duration_s", ["exactly one", "both given"]),
    ({"duration_h": None}, "duration_s or duration_h is missing", ["exactly one", "duration_h = 24"]),
    ({"stepp_s": 60}, "stepp_s", ["not a known key", "did you mean 'step_s'"]),
    ({"start": "yesterday"}, "start", ["'yesterday'", "2025-07-01T00:00:00Z"]),
    ({"grid": {"spacing_deg": 15, "spacng": 1}}, "grid.spacng", ["not a known key"]),
    ({"grid": {"spacing_deg": 45}}, "grid.spacing_deg", ["<= 30", "45"]),
    ({"grid": {"spacing_deg": "2"}}, "grid.spacing_deg", ["a string"]),
    ({"grid": {}}, "grid.spacing_deg or grid.spacing_km is missing", ["required"]),
    ({"grid": {"spacing_deg": 5, "spacing_km": 500}}, "grid.spacing_deg and grid.spacing_km",
     ["both given", "exactly one"]),
    ({"grid": {"spacing_km": "500"}}, "grid.spacing_km = '500'", ["a string", "without quotes"]),
    ({"grid": {"cities": ["Berlin"], "spacing_deg": 5}}, "grid.spacing_deg = 5", ["city list"]),
    ({"grid": {"spacing_deg": 5, "country": "Germny"}}, "grid.country",
     ["'Germny'", "Germany"]),
    ({"grid": {"spacing_deg": 5, "lat_band": [30, -30]}}, "grid.lat_band", ["lo < hi"]),
    ({"grid": {"spacing_deg": 5, "box": [0, 10, 5]}}, "grid.box", ["4 numbers"]),
    ({"grid": {"spacing_deg": 5, "country": "France", "lat_band": [0, 10]}},
     "grid.country and grid.lat_band", ["both given", "at most one"]),
    ({"grid": {"cities": ["Berlni"]}}, "grid.cities", ["'Berlni'", "Berlin"]),
    ({"constellations": []}, "constellations", ["non-empty list"]),
    ({"constellations": [{"preset": "kuipr"}]}, "constellations[0].preset",
     ["'kuipr'", "did you mean 'kuiper'", "starlink_gen1", "golden_dome"]),
    ({"constellations": [{"preset": "kuiper"}, {"preset": "starlink"}]},
     "constellations[1].preset", ["'starlink'", "kuiper_2025", "starlink_gen1"]),
    ({"constellations": [{"preset": 3}]}, "constellations[0].preset = 3", ["an integer"]),
    ({"constellations": [{"presett": "kuiper"}]}, "constellations[0].presett",
     ["not a known key", "did you mean 'preset'?"]),
    ({"constellations": [{"preset": "kuiper", "designators": ["2025-088"]}]},
     "constellations[0].designators", ["not a known key", "Allowed here: label, min_elevation_deg, preset"]),
    ({"constellations": [{"preset": "kuiper", "min_elevation": 30}]},
     "constellations[0].min_elevation", ["not a known key", "min_elevation_deg"]),
    ({"constellations": [{"preset": "kuiper", "min_elevation_deg": 95}]},
     "constellations[0].min_elevation_deg = 95", ["< 90"]),
    ({"constellations": [{"preset": "kuiper", "min_elevation_deg": "30"}]},
     "constellations[0].min_elevation_deg = '30'", ["a string", "without quotes"]),
    ({"constellations": [{"preset": "kuiper", "tle": "x.tle"}]},
     "constellations[0].preset and constellations[0].tle", ["both given", "exactly one"]),
    ({"constellations": [{"label": "x"}]},
     "constellations[0].preset or constellations[0].tle or constellations[0].shells is missing",
     ["exactly one"]),
    ({"constellations": [{"shells": [{"altitude_km": 550, "inclination_deg": 53, "planes": 2,
                                      "sats_per_plane": 2}]}]},
     "constellations[0].name", ["missing"]),
    ({"constellations": [{"name": "x", "shells": [{"altitude_km": 550, "inclination_deg": 53,
                                                   "planes": 2}]}]},
     "constellations[0].shells[0].sats_per_plane is missing", ["required"]),
    ({"constellations": [{"name": "x", "shells": [{"altitude_km": "550", "inclination_deg": 53,
                                                   "planes": 2, "sats_per_plane": 2}]}]},
     "constellations[0].shells[0].altitude_km = '550'", ["a string", "without quotes"]),
    ({"constellations": [{"name": "x", "shells": [{"altitude_km": 550, "inclination_deg": 53,
                                                   "planes": 2, "sats_per_plane": 2,
                                                   "sats_per_plan": 3}]}]},
     "constellations[0].shells[0].sats_per_plan", ["did you mean 'sats_per_plane'?"]),
    ({"constellations": [{"name": "x", "shells": [{"altitude_km": 550, "inclination_deg": 53,
                                                   "planes": 2, "sats_per_plane": 2,
                                                   "phasing": 2}]}]},
     "constellations[0].shells[0].phasing = 2", ["< 2"]),
    ({"constellations": [{"tle": "tle/nonexistent.tle"}]}, "constellations[0].tle",
     ["'tle/nonexistent.tle'", "not found"]),
    ({"constellations": [{"tle": "tle/starlink_20250727.tle", "altitude_km": [560]}]},
     "constellations[0].altitude_km", ["2 numbers"]),
    ({"constellations": [{"preset": "kuiper"}, {"preset": "kuiper"}]}, "constellations[1].label",
     ["'kuiper'", "already used by constellations[0]"]),
    ({"metrics": {"boundary": "pessimistic"}}, "metrics.boundary",
     ["'pessimistic'", "optimistic", "interior"]),
    ({"metrics": {"nfold": [1, 0]}}, "metrics.nfold[1]", ["> 0"]),
    ({"metrics": {"nfold": [1.5]}}, "metrics.nfold[0]", ["an integer"]),
    ({"metrics": {"nfold": [2, 2]}}, "metrics.nfold = [2, 2]", ["twice"]),
    ({"metrics": {"nfold": 2}}, "metrics.nfold = 2", ["list of numbers"]),
    ({"kind": []}, "kind = []", ["must be one of 'coverage'"]),
    ({"kind": "deployment_race"}, "kind = 'deployment_race'", ["must be one of 'coverage'"]),
    ({"description": 3}, "description = 3", ["string"]),
    ({"metrics": {"percentiles": [50, 150]}}, "metrics.percentiles[1]", ["<= 100"]),
    ({"metrics": {"population_weighted": "yes"}}, "metrics.population_weighted",
     ["true or false"]),
    ({"figures": {"names": ["coverage_mapp"]}}, "figures.names[0]",
     ["'coverage_mapp'", "coverage_map"]),
    ({"figures": {"cities": ["Atlantis"]}}, "figures.cities", ["'Atlantis'"]),
    ({"output": {"formats": ["jpg"]}}, "output.formats[0]", ["'jpg'", "png", "svg"]),
    ({"output": {"format": ["png"]}}, "output.format", ["not a known key", "formats"]),
    ({"metrics": 3}, "metrics", ["must be a table"]),
])
def test_validation_messages(changes, key, words):
    with pytest.raises(ValueError) as info:
        scenario(**changes)
    message = str(info.value)
    assert message.startswith("unit.toml: "), message
    assert key in message, message
    for word in words:
        assert word in message, (word, message)


def test_missing_scenario_lists_the_shipped_ones(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_scenario("kuiper_vs_starlnk")
    assert "kuiper_vs_starlnk" in str(info.value) and "tiny" in str(info.value)
    with pytest.raises(FileNotFoundError):
        load_scenario(tmp_path / "missing.toml")


def test_invalid_toml_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('name = "x"\nstep_s = = 3\n')
    with pytest.raises(ValueError, match=r"broken\.toml: is not valid TOML"):
        load_scenario(path)


def test_file_errors_name_the_file(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text('name = "x"\nstart = "2025-07-01"\nduration_h = 1\nstep_s = 60\n'
                    '[grid]\nspacing_deg = 10\n[[constellations]]\npreset = "kuiper"\n'
                    '[[constellations]]\npreset = "golden_dom"\n')
    with pytest.raises(ValueError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}: constellations[1].preset = 'golden_dom'")


def test_slugify():
    assert slugify("Starlink Gen1 (4,408, FCC DA 21-34)") == "starlink_gen1_4_408_fcc_da_21_34"
    assert slugify("///") == "constellation"


def test_analyze_matches_direct_call():
    s = scenario(duration_h=1, step_s=300, figures={"cities": ["Berlin"]},
                 metrics={"city_min_population": 15_000_000, "nfold": [1, 3]})
    results, city_results = analyze_scenario(s, progress=False)
    direct = cs.analyze(cs.preset("kuiper_2025"), cs.global_grid(spacing_deg=15.0),
                        "2025-07-01T00:00:00Z", 3600.0, 300.0, nfold=(1, 3), progress=False)
    for name in ("coverage_time_fraction", "revisit_max_s", "nfold_time_fraction",
                 "coverage_fraction"):
        np.testing.assert_array_equal(results[0][name].values, direct[name].values)
    cds = city_results[0]
    assert "visible_count" in cds and bool(cds["population_sample"].values[:-1].all())
    assert str(cds["name"].values[-1]) == "Berlin" and not bool(cds["population_sample"].values[-1])
    assert results[0].attrs["slug"] == "kuiper_2025" and cds.attrs["role"] == "cities"


# --------------------------------------------------------------------------- files and presets

def test_kind_must_be_a_known_name(tmp_path):
    path = tmp_path / "k.toml"
    for text, words in (("kind = []\n", ["kind = []", "'coverage'", "'deployment_race'"]),
                        ('kind = "deployment_rase"\n', ["did you mean 'deployment_race'?"])):
        path.write_text(text + 'name = "x"\n')
        for call in (scenario_kind, load_scenario):
            with pytest.raises(ValueError) as info:
                call(path)
            assert str(info.value).startswith(f"{path}: kind = "), str(info.value)
            for word in words:
                assert word in str(info.value), (word, str(info.value))
    assert KINDS[0] == "coverage" and scenario_kind("tiny") == "coverage"


def test_another_kind_is_refused_by_the_coverage_loader():
    with pytest.raises(ValueError) as info:
        load_scenario("deployment_race")
    assert ": kind = 'deployment_race': this is a 'deployment_race' scenario" in str(info.value)


def test_preset_files_are_checked_with_the_same_messages():
    shell = {"altitude_km": 550, "inclination_deg": 53, "planes": 4, "sats_per_plane": 5}
    cases = [
        ({"shells": [{**shell, "altitude_km": "550"}]}, "p.toml: shells[0].altitude_km = '550': ",
         ["a string", "without quotes"]),
        ({"shells": [{**shell, "planes": 4.0}]}, "p.toml: shells[0].planes = 4.0: ", ["an integer"]),
        ({"shells": [{**shell, "inclination_deg": 200}]}, "p.toml: shells[0].inclination_deg = 200: ",
         ["<= 180"]),
        ({"shells": [{**shell, "pattern": "delt"}]}, "p.toml: shells[0].pattern = 'delt': ",
         ["did you mean 'delta'?"]),
        ({"shells": [shell], "titel": "x"}, "p.toml: titel is not a known key", ["did you mean 'title'?"]),
        ({"shells": []}, "p.toml: shells = []: ", ["non-empty list"]),
        ({"shells": [shell], "min_elevation_deg": "25"}, "p.toml: min_elevation_deg = '25': ", ["a string"]),
        ({"shells": [shell], "assumptions": "one"}, "p.toml: assumptions = 'one': ", ["list of strings"]),
    ]
    for raw, start, words in cases:
        with pytest.raises(ValueError) as info:
            constellation_from_dict(raw, where="p.toml")
        message = str(info.value)
        assert message.startswith(start), message
        for word in words:
            assert word in message, (word, message)
    # the same mapping with a key prefix (an inline scenario entry) and a valid one
    with pytest.raises(ValueError, match=r"^s\.toml: constellations\[2\]\.shells\[0\]\.planes = 0: "):
        constellation_from_dict({"shells": [{**shell, "planes": 0}]}, where="s.toml", key="constellations[2]")
    c = constellation_from_dict({"title": "T", "name": "n", "shells": [shell, {**shell, "phasing": 3}]})
    assert c.name == "T" and len(c) == 2 * 4 * 5


def test_every_shipped_preset_passes_the_checks():
    for name in cs.presets():
        c = cs.preset(name)
        assert len(c) == sum(s.planes * s.sats_per_plane for s in c.shells) > 0


def test_unknown_preset_name_suggests_the_closest():
    with pytest.raises(ValueError) as info:
        cs.preset("starlink_gen")
    assert "'starlink_gen'" in str(info.value) and "did you mean 'starlink_gen1'?" in str(info.value)


def test_misspelt_scenario_name_suggests_the_closest():
    with pytest.raises(FileNotFoundError) as info:
        load_scenario("tiy")
    assert "did you mean 'tiny'?" in str(info.value)


# --------------------------------------------------------------------------- validation helpers

def test_checker_exclusive_and_converted():
    c = Checker("f.toml")
    assert c.exclusive({"a": 1}, ("a", "b"), "t", "a = 1") == "a"
    assert c.exclusive({}, ("a", "b"), "t", "a = 1", required=False) is None
    with pytest.raises(ValueError, match=r"^f\.toml: t\.a or t\.b is missing: exactly one"):
        c.exclusive({}, ("a", "b"), "t", "a = 1")
    with pytest.raises(ValueError, match=r"^f\.toml: t\.a and t\.b are both given: give at most one"):
        c.exclusive({"a": 1, "b": 2}, ("a", "b"), "t", "a = 1", required=False)
    assert c.converted("2", "n", int) == 2
    with pytest.raises(ValueError, match=r"^f\.toml: n = 'x': invalid literal .*; write digits$"):
        c.converted("x", "n", int, "write digits")
    assert c.numbers([1, 2], "k", None, "[1, 2]", unique=True, integer=True, low=0) == (1, 2)
    with pytest.raises(ValueError, match=r"^f\.toml: k = \[3, 1, 3\]: lists 3 twice"):
        c.numbers([3, 1, 3], "k", None, "[1, 2]", unique=True)
    assert c.numbers([3, 3], "k", 2, "[1, 2]") == (3.0, 3.0)  # repeats are fine unless unique
