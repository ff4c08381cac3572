"""Equal-area grids: total area, cell sizes, regional subsets, bad input."""

import numpy as np
import pytest

import constellations as cs
from constellations.geometry import EARTH_RADIUS_KM

EARTH_AREA_KM2 = 4 * np.pi * EARTH_RADIUS_KM**2


@pytest.mark.parametrize("spacing", [10.0, 2.5, 1.0, 0.25])
def test_global_cell_areas_sum_to_the_earth_and_are_nearly_equal(spacing):
    g = cs.global_grid(spacing_deg=spacing, earth="sphere")
    assert g.earth == "sphere"
    assert g.area_km2.sum() == pytest.approx(EARTH_AREA_KM2, rel=1e-12)
    nominal = (np.radians(spacing) * EARTH_RADIUS_KM) ** 2
    # away from the polar caps, round(360 cos(lat) / spacing) cells keep every cell within 10 %
    mid = np.abs(g.lat_deg) < 80
    assert np.all(np.abs(g.area_km2[mid] / nominal - 1) < 0.10)
    assert len(g) == pytest.approx(EARTH_AREA_KM2 / nominal, rel=0.01)


def test_quarter_degree_grid_has_about_660k_cells():
    assert 655_000 < len(cs.global_grid(spacing_deg=0.25)) < 665_000


def test_spacing_in_km_equals_the_same_arc_in_degrees():
    by_km = cs.global_grid(spacing_km=np.radians(2.0) * EARTH_RADIUS_KM)
    by_deg = cs.global_grid(spacing_deg=2.0)
    np.testing.assert_array_equal(by_km.lat_deg, by_deg.lat_deg)


def test_band_and_box_are_subsets_of_the_global_grid():
    glob = cs.global_grid(spacing_deg=2.0)
    band = cs.latitude_band_grid(30.0, 60.0, spacing_deg=2.0)
    inside = (glob.lat_deg >= 30) & (glob.lat_deg <= 60)
    assert len(band) == inside.sum()
    assert band.area_km2.sum() == pytest.approx(glob.area_km2[inside].sum())
    box = cs.box_grid(-10.0, 10.0, 170.0, -170.0, spacing_deg=2.0)  # across the antimeridian
    assert np.all((box.lon_deg >= 170) | (box.lon_deg <= -170))
    assert np.any(box.lon_deg > 0) and np.any(box.lon_deg < 0)


def test_country_grid_is_inside_the_country():
    g = cs.country_grid("Germany", spacing_deg=0.5)
    assert np.all((g.lat_deg > 47) & (g.lat_deg < 55.1) & (g.lon_deg > 5.8) & (g.lon_deg < 15.1))
    # Germany is about 357,000 km2; 0.5 deg cells on the border make the estimate coarse
    assert g.area_km2.sum() == pytest.approx(357_000, rel=0.12)


def test_city_grid_weights_by_population():
    g = cs.city_grid(["Berlin", "Washington", "Pyongyang"])
    assert list(g.names) == ["Berlin", "Washington, D.C.", "Pyongyang"]
    assert np.all(g.weight > 1e6)
    assert g.lat_deg[0] == pytest.approx(52.5, abs=0.2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cs.global_grid(spacing_deg=0.0), r"spacing_deg must be a positive number .* got 0.0"),
        (lambda: cs.global_grid(spacing_deg=-1), r"spacing_deg must be a positive number"),
        (lambda: cs.global_grid(), r"give exactly one of spacing_deg .* or spacing_km"),
        (lambda: cs.global_grid(spacing_deg=0.001), r"needs about .* GiB, more than half of this machine"),
        (lambda: cs.latitude_band_grid(60, 30, spacing_deg=1.0), r"-90 <= lat_min < lat_max <= 90"),
        (lambda: cs.points([], []), r"the point list is empty"),
        (lambda: cs.points([95.0], [0.0]), r"latitudes must lie in \[-90, 90\]"),
        (lambda: cs.country_grid("Atlantis", spacing_deg=1.0), r"Atlantis"),
    ],
)
def test_bad_grids_say_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()
