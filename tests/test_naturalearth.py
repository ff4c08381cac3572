"""Offline checks of the Natural Earth readers in constellations.sources.naturalearth."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from constellations.sources import naturalearth as ne

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_data_dir_default_is_the_package_data(monkeypatch):
    import constellations

    monkeypatch.delenv("CONSTELLATIONS_DATA", raising=False)
    assert ne.data_dir() == Path(constellations.__file__).resolve().parent / "data"
    assert "shared" not in str(ne.data_dir())


def test_data_dir_override_by_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("CONSTELLATIONS_DATA", str(tmp_path))
    assert ne.data_dir() == tmp_path


def test_data_dir_missing_names_path_and_env_var(monkeypatch, tmp_path):
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("CONSTELLATIONS_DATA", str(missing))
    with pytest.raises(FileNotFoundError) as err:
        ne.data_dir()
    assert str(missing) in str(err.value)
    assert "CONSTELLATIONS_DATA" in str(err.value)


def test_import_is_light():
    code = (
        "import sys, constellations.sources.naturalearth as ne; "
        "assert 'matplotlib' not in sys.modules; "
        "ne.points_in_country('Germany', 52.5, 13.4); "
        "assert 'matplotlib.path' in sys.modules; "
        "assert 'matplotlib.pyplot' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)


def test_coastlines():
    lines = ne.coastlines()
    assert len(lines) == 134
    assert all(line.ndim == 2 and line.shape[1] == 2 for line in lines)
    xy = np.concatenate(lines)
    assert np.abs(xy[:, 0]).max() <= 180.0
    assert np.abs(xy[:, 1]).max() <= 90.0


def test_country_names():
    names = ne.country_names()
    assert len(names) == 177
    assert names == sorted(names)
    assert {"Germany", "France", "Russia", "United States of America"} <= set(names)


@pytest.mark.parametrize("alias", ["USA", "United States", "US", "usa", "united states of america"])
def test_us_aliases(alias):
    assert len(ne.country_polygons(alias)) == len(ne.country_polygons("United States of America"))


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("North Korea", "North Korea"),
        ("DPRK", "North Korea"),
        ("South Korea", "South Korea"),
        ("Russia", "Russia"),
        ("UK", "United Kingdom"),
        ("FRA", "France"),  # ISO_A3 is -99 for France: ADM0_A3 fallback
        ("NOR", "Norway"),  # same quirk
        ("DE", "Germany"),
        ("Cote d'Ivoire", "Côte d'Ivoire"),
    ],
)
def test_country_aliases(alias, name):
    a = ne.country_polygons(alias)
    b = ne.country_polygons(name)
    assert len(a) == len(b)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_minus_99_is_not_a_country():
    with pytest.raises(ValueError, match="-99"):
        ne.country_polygons("-99")


def test_unknown_country_message():
    with pytest.raises(ValueError) as err:
        ne.country_polygons("Germny")
    message = str(err.value)
    assert "Germny" in message
    assert "Germany" in message
    assert "country_names()" in message


def test_country_rings_are_closed_lon_lat():
    for ring in ne.country_polygons("France"):
        assert ring.ndim == 2 and ring.shape[1] == 2
        assert np.array_equal(ring[0], ring[-1])


def points(name, lat_lon):
    lat, lon = np.asarray(lat_lon, dtype=float).T
    return ne.points_in_country(name, lat, lon).tolist()


def test_germany():
    inside = [(52.52, 13.40), (48.14, 11.58), (53.55, 9.99), (50.94, 6.96)]
    outside = [(48.86, 2.35), (52.23, 21.01), (47.37, 8.54), (55.68, 12.57), (0.0, 0.0)]
    assert points("Germany", inside) == [True] * len(inside)
    assert points("Germany", outside) == [False] * len(outside)


def test_usa_including_alaska_and_hawaii():
    inside = [
        (38.9, -77.0),  # Washington
        (39.74, -104.99),  # Denver
        (64.84, -147.72),  # Fairbanks, Alaska
        (61.2, -149.9),  # Anchorage, Alaska
        (19.6, -155.5),  # Big Island, Hawaii
        (21.3, -157.85),  # Honolulu, Oahu
    ]
    outside = [(45.5, -73.57), (19.43, -99.13), (30.0, -40.0), (25.0, -150.0)]
    assert points("USA", inside) == [True] * len(inside)
    assert points("USA", outside) == [False] * len(outside)


def test_france_iso_a3_quirk():
    inside = [(48.86, 2.35), (45.76, 4.84), (43.3, 5.37), (4.93, -52.33), (42.0, 9.0)]
    outside = [(52.52, 13.40), (40.42, -3.70), (51.5, -0.12)]
    assert points("France", inside) == [True] * len(inside)  # incl. French Guiana, Corsica
    assert points("France", outside) == [False] * len(outside)


def test_russia_across_antimeridian():
    inside = [(65.0, 175.0), (65.0, -175.0), (66.0, -172.0), (55.75, 37.62), (62.0, 130.0)]
    outside = [(65.0, -160.0), (50.0, -175.0), (40.0, 116.4)]
    assert points("Russia", inside) == [True] * len(inside)
    assert points("Russia", outside) == [False] * len(outside)
    # 185 E and -175 E are the same meridian.
    assert ne.points_in_country("Russia", 65.0, 185.0)


def test_lesotho_is_a_hole_in_south_africa():
    rings = ne.country_polygons("South Africa")
    assert len(rings) == 2  # the only polygon with a hole in the 110m countries
    maseru = (-29.31, 27.48)
    johannesburg = (-26.2, 28.05)
    assert points("South Africa", [maseru, johannesburg]) == [False, True]
    assert points("Lesotho", [maseru, johannesburg]) == [True, False]


def test_points_in_rings_synthetic_hole():
    square = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
    hole = [[3, 3], [3, 7], [7, 7], [7, 3], [3, 3]]  # orientation does not matter
    island = [[4, 4], [6, 4], [6, 6], [4, 6]]  # island in the lake: inside again
    lat = np.array([1.0, 3.5, 5.0, 11.0])
    lon = np.array([1.0, 3.5, 5.0, 5.0])
    assert ne.points_in_rings([square, hole], lat, lon).tolist() == [True, False, False, False]
    assert ne.points_in_rings([square, hole, island], lat, lon).tolist() == [
        True,
        False,
        True,
        False,
    ]


def test_points_in_country_shapes():
    lat = np.linspace(47.0, 55.0, 12).reshape(3, 4)
    assert ne.points_in_country("Germany", lat, 10.0).shape == (3, 4)
    assert ne.points_in_country("Germany", 52.5, 13.4).shape == ()
    grid = ne.points_in_country("Germany", lat[:, :, None], np.linspace(5, 16, 5))
    assert grid.shape == (3, 4, 5)
    assert grid.dtype == bool


def test_country_bounds_germany():
    lat_min, lat_max, lon_min, lon_max = ne.country_bounds("Germany")
    tol = 0.5
    # Inside the reference box 47..55.5 N, 5.8..15.1 E (with tolerance) ...
    assert 47.0 - tol <= lat_min and lat_max <= 55.5 + tol
    assert 5.8 - tol <= lon_min and lon_max <= 15.1 + tol
    # ... and not much smaller than it (110m data: 47.30..54.98 N, 5.99..15.02 E).
    assert lat_min <= 47.0 + tol and lat_max >= 55.5 - 0.6
    assert lon_min <= 5.8 + tol and lon_max >= 15.1 - tol


def test_berlin():
    c = ne.cities(["Berlin"])
    assert c["name"].tolist() == ["Berlin"]
    assert c["country"].tolist() == ["Germany"]
    assert abs(c["lat_deg"][0] - 52.5) < 0.2
    assert abs(c["lon_deg"][0] - 13.4) < 0.2


def test_city_aliases_and_order():
    wanted = ["Washington", "Berlin", "Pyongyang", "Tehran", "Moscow", "Beijing"]
    c = ne.cities(wanted)
    assert c["name"].tolist() == [
        "Washington, D.C.",
        "Berlin",
        "Pyongyang",
        "Tehran",
        "Moscow",
        "Beijing",
    ]
    assert c["country"].tolist() == [
        "United States of America",
        "Germany",
        "North Korea",
        "Iran",
        "Russia",
        "China",
    ]
    assert set(c) == {"name", "country", "lat_deg", "lon_deg", "population"}
    assert all(v.shape == (6,) for v in c.values())


def test_city_ambiguity_prefers_largest():
    c = ne.cities(["los angeles", "VALENCIA", "Valencia, Spain", "sao paulo"])
    assert c["country"].tolist() == ["United States of America", "Venezuela", "Spain", "Brazil"]


def test_unknown_city():
    with pytest.raises(ValueError) as err:
        ne.cities(["Berlin", "Berln"])
    assert "Berln" in str(err.value)
    assert "'Berlin'" in str(err.value)


def test_city_population_total_and_filter():
    everything = ne.cities()
    assert everything["name"].size == 1249
    assert abs(everything["population"].sum() / 1.48e9 - 1) < 0.02
    big = ne.cities(min_population=10_000_000)
    assert big["population"].min() >= 10_000_000
    assert "Tokyo" in big["name"].tolist()


def test_city_coordinates_use_geometry():
    # The lon attribute of Peter I Island is +90.5 in the data; the geometry (-90.6) is right.
    c = ne.cities(["Peter I Island"])
    assert c["lon_deg"][0] == pytest.approx(-90.6, abs=0.1)


def test_cached_arrays_are_read_only():
    ring = ne.country_polygons("Germany")[0]
    with pytest.raises(ValueError):
        ring[0, 0] = 0.0
    c = ne.cities(["Berlin"])
    c["lat_deg"][0] = 0.0  # result is a copy
    assert ne.cities(["Berlin"])["lat_deg"][0] == pytest.approx(52.5, abs=0.2)
