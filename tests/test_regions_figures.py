"""A regional run uses its region everywhere: figure cities, the population sample, refused outside cities.

The expected cities are found here by brute force over the Natural Earth places layer (sorted by
population in the test), independently of the scenario code.
"""

import json
import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest

from constellations.app.scenario import DEFAULT_FIGURE_CITIES, Scenario, load_scenario
from constellations.sources import naturalearth as ne

BASE = {"name": "region", "start": "2025-07-01T00:00:00Z", "duration_h": 1, "step_s": 300,
        "constellations": [{"preset": "kuiper_2025"}]}


def _scenario(grid, **extra):
    return Scenario.from_dict({**BASE, "grid": grid, **extra})


def _largest(mask, n=3):
    """The n most populous places where mask holds (brute force: sorted here)."""
    places = ne.cities()
    order = np.argsort(-places["population"], kind="stable")
    return [(str(places["name"][i]), str(places["country"][i])) for i in order if mask[i]][:n]


def _resolved(names):
    got = ne.cities(list(names))
    return [(str(n), str(c)) for n, c in zip(got["name"], got["country"], strict=True)]


@pytest.mark.parametrize("country, admin", [
    ("Germany", "Germany"), ("France", "France"), ("United States", "United States of America"),
    ("Kenya", "Kenya"), ("Japan", "Japan"),
])
def test_country_default_figure_cities_are_its_largest_own_cities(country, admin):
    s = _scenario({"country": country, "spacing_deg": 2.0})
    places = ne.cities()
    expected = _largest(places["country"] == admin)
    assert len(expected) == 3
    assert _resolved(s.figure_cities) == expected
    assert not set(s.figure_cities) & set(DEFAULT_FIGURE_CITIES[1:])  # no Washington/Pyongyang


def test_box_and_band_default_figure_cities_lie_in_the_region():
    places = ne.cities()
    lat, lon = places["lat_deg"], places["lon_deg"]
    s = _scenario({"box": [24.0, 50.0, -125.0, -66.0], "spacing_deg": 5.0})
    in_box = (lat >= 24) & (lat <= 50) & (lon >= -125) & (lon <= -66)
    assert _resolved(s.figure_cities) == _largest(in_box)
    s = _scenario({"lat_band": [-10.0, 10.0], "spacing_deg": 5.0})
    assert _resolved(s.figure_cities) == _largest((lat >= -10) & (lat <= 10))
    s = _scenario({"box": [-60.0, -50.0, -170.0, -160.0], "spacing_deg": 5.0})  # open ocean
    assert s.figure_cities == () and s.build_city_grid() is None
    assert _scenario({"spacing_deg": 10.0}).figure_cities == DEFAULT_FIGURE_CITIES  # global


def test_city_list_scenario_uses_exactly_its_cities_for_figures_and_population():
    # a minimum population above Mombasa's: the named cities are the sample all the same
    s = _scenario({"cities": ["Nairobi", "Mombasa"]}, metrics={"city_min_population": 5_000_000})
    assert s.figure_cities == ("Nairobi", "Mombasa")
    grid, in_sample, figure_index = s.build_city_grid()
    own = ne.cities(["Nairobi", "Mombasa"])
    assert list(grid.names) == list(own["name"]) and in_sample.all()
    np.testing.assert_array_equal(grid.weight, own["population"])
    assert [grid.names[k] for k in figure_index] == ["Nairobi", "Mombasa"]


def test_country_population_sample_keeps_coastal_cities_outside_the_coarse_polygon():
    s = _scenario({"country": "India", "spacing_deg": 2.0}, metrics={"city_min_population": 5_000_000})
    grid, in_sample, _ = s.build_city_grid()
    names = set(grid.names[in_sample])
    mumbai = ne.cities("Mumbai")
    assert not ne.points_in_country("India", mumbai["lat_deg"], mumbai["lon_deg"])[0]  # 1:110m coast
    assert "Mumbai" in names and "Karachi" not in names
    places = ne.cities(min_population=5_000_000)
    assert names == set(places["name"][places["country"] == "India"])


@pytest.mark.parametrize("grid, cities, outside", [
    ({"country": "Kenya", "spacing_deg": 2.0}, ["Nairobi", "Berlin"], "'Berlin' lies"),
    ({"cities": ["Nairobi"]}, ["Mombasa"], "'Mombasa' lies"),
    ({"box": [24.0, 50.0, -125.0, -66.0], "spacing_deg": 5.0}, ["Tokyo", "Paris"], "'Tokyo', 'Paris' lie"),
])
def test_figure_city_outside_the_region_is_refused_naming_file_key_and_value(tmp_path, grid, cities,
                                                                              outside):
    def value(v):  # strings, numbers and lists of them are written alike in JSON and TOML
        return json.dumps(v, ensure_ascii=False)

    text = "\n".join([*(f"{k} = {value(v)}" for k, v in BASE.items() if k != "constellations"),
                      '[[constellations]]', 'preset = "kuiper_2025"', "[grid]",
                      *(f"{k} = {value(v)}" for k, v in grid.items()), "[figures]",
                      f"cities = {value(cities)}"])
    path = tmp_path / "regional.toml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        load_scenario(path)
    message = str(err.value)
    assert message.startswith(f"{path}: figures.cities = {cities!r}:"), message
    assert f"{outside} outside the region" in message and "leave figures.cities out" in message


def test_kenya_run_analyses_and_draws_only_kenyan_cities():
    from constellations.app.runs import analyze_scenario, figure_city_subset

    s = _scenario({"country": "Kenya", "spacing_deg": 3.0},
                  constellations=[{"name": "w", "shells": [{"altitude_km": 550.0, "inclination_deg": 53.0,
                                                             "planes": 3, "sats_per_plane": 8,
                                                             "phasing": 1}]}])
    _, city_results = analyze_scenario(s, progress=False)
    cds = city_results[0]
    assert {str(c) for c in ne.cities(list(cds["name"].values))["country"]} == {"Kenya"}
    shown = figure_city_subset(cds)
    largest = [n for n, _ in _largest(ne.cities()["country"] == "Kenya")]
    assert [str(n) for n in shown["name"].values] == largest
