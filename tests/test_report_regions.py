"""The summary's population numbers come from the region's own city sample, nothing dropped or added.

The expected sample is found here by brute force over the Natural Earth places layer (country and
population compared in the test); the expected shares are population-weighted means written out here
over the per-city results, and for a city list over the separately analysed grid results.
"""

import numpy as np
import pytest

from constellations.app.report import summary_table
from constellations.app.runs import analyze_scenario
from constellations.app.scenario import DEFAULT_CITY_MIN_POPULATION, Scenario
from constellations.sources import naturalearth as ne

SHARE_TOL = 1e-12  # shares of time (fractions): the same numbers, summed in another order

BASE = {"name": "population", "start": "2025-07-01T00:00:00Z", "duration_h": 1, "step_s": 300,
        "constellations": [{"name": "walker 24", "shells": [{"altitude_km": 550.0, "inclination_deg": 53.0,
                                                              "planes": 3, "sats_per_plane": 8,
                                                              "phasing": 1}]}]}


WIDE = {"duration_h": 6, "step_s": 60,  # point runs: long enough for shares strictly between 0 and 1
        "constellations": [{"name": "walker 72", "shells": [{"altitude_km": 550.0, "inclination_deg": 53.0,
                                                              "planes": 6, "sats_per_plane": 12,
                                                              "phasing": 1}]}]}


def _run(grid, **extra):
    results, city_results = analyze_scenario(Scenario.from_dict({**BASE, "grid": grid, **extra}),
                                             progress=False)
    return results, city_results, summary_table(results, city_results).iloc[0]


def _angle_deg(lat1, lon1, lat2, lon2):
    """Great-circle angle (deg) between one point and arrays of points (haversine)."""
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(lon2 - lon1)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(h)))


@pytest.mark.parametrize("country, admin, coastal, spacing_deg", [
    ("Uruguay", "Uruguay", "Montevideo", 0.1),  # on the Rio de la Plata, off the 1:110m polygon
    ("Turkey", "Turkey", "Istanbul", 0.1),      # on the Bosporus
])
def test_country_run_at_fine_spacing_keeps_its_coastal_city_in_the_population_numbers(
        country, admin, coastal, spacing_deg):
    results, city_results, row = _run({"country": country, "spacing_deg": spacing_deg})
    ds, cds = results[0], city_results[0]
    places = ne.cities()
    own = (places["country"] == admin) & (places["population"] >= DEFAULT_CITY_MIN_POPULATION)
    i = int(np.flatnonzero(own & (places["name"] == coastal))[0])
    # the city lies farther than one grid step from every cell: a "near a cell" filter would drop it
    assert _angle_deg(places["lat_deg"][i], places["lon_deg"][i], ds["lat_deg"].values,
                      ds["lon_deg"].values).min() > spacing_deg
    assert row["population_cities"] == own.sum()
    assert row["population"] == pytest.approx(places["population"][own].sum(), rel=1e-12)
    names = [str(n) for n in cds["name"].values]
    pop = places["population"][own]
    at = [names.index(str(n)) for n in places["name"][own]]  # each own place, found by name
    for col, var in (("coverage_time_population", "coverage_time_fraction"),
                     ("visible_mean_population", "visible_mean")):
        expected = np.sum(pop * cds[var].values[at]) / np.sum(pop)
        assert abs(row[col] - expected) <= SHARE_TOL, col


def test_city_list_run_gives_the_cities_own_population_share():
    results, _, row = _run({"cities": ["Nairobi"]}, **WIDE)
    own = results[0]  # the grid results: Nairobi analysed as the run's one point
    assert [str(n) for n in own["name"].values] == ["Nairobi"]
    assert 0.0 < float(own["coverage_time_fraction"][0]) < 1.0  # a share that can be told apart
    assert row["population_cities"] == 1
    assert row["population"] == pytest.approx(float(ne.cities("Nairobi")["population"][0]), rel=1e-12)
    assert abs(row["coverage_time_population"] - float(own["coverage_time_fraction"][0])) <= SHARE_TOL
    assert abs(row["coverage_time_population"] - row["coverage_time"]) <= SHARE_TOL


def test_city_list_population_share_weights_every_listed_city_whatever_its_size():
    # a minimum population above Mombasa's: the listed cities are the sample all the same
    results, _, row = _run({"cities": ["Nairobi", "Mombasa"]}, metrics={"city_min_population": 5_000_000},
                         **WIDE)
    own = results[0]
    pop = ne.cities(["Nairobi", "Mombasa"])["population"]
    assert pop[1] < 5_000_000 and row["population_cities"] == 2
    cover = own["coverage_time_fraction"].values
    assert 0.0 < cover.min() and cover.max() < 1.0 and cover[0] != cover[1]  # the weights matter
    expected = (pop[0] * cover[0] + pop[1] * cover[1]) / (pop[0] + pop[1])
    assert abs(row["coverage_time_population"] - expected) <= SHARE_TOL
