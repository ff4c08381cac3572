"""The 1:50m Natural Earth countries (world-atlas TopoJSON): decoding, matching to 1:110m, regional maps.

References are written here independently of the package: areas by the shoelace formula on the
sinusoidal (equal-area) projection, point-in-polygon by even-odd ray crossing, shared borders by
counting which countries own each vertex. Germany's area, 357,000 km^2 (357,588 km^2 by Destatis,
water included), is the known value the 50m outline must reproduce within 2 %.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest

from constellations.sources import naturalearth as ne

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
GERMANY_AREA_KM2 = 357_000.0
BERLIN, MUNICH, PARIS = (52.52, 13.40), (48.14, 11.58), (48.86, 2.35)  # (lat, lon) deg


def _area_km2(rings):
    """Unsigned area of rings (holes wound the other way subtract), sinusoidal projection + shoelace."""
    total = 0.0
    for ring in rings:
        lon, lat = np.radians(ring[:, 0]), np.radians(ring[:, 1])
        x, y = EARTH_RADIUS_KM * lon * np.cos(lat), EARTH_RADIUS_KM * lat
        total += 0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    return abs(total)


def _inside(rings, lat, lon):
    """Even-odd ray casting over all rings (brute force)."""
    crossings = 0
    for ring in rings:
        x0, y0 = ring[:-1, 0], ring[:-1, 1]
        x1, y1 = ring[1:, 0], ring[1:, 1]
        straddle = (y0 > lat) != (y1 > lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_cross = x0 + (lat - y0) * (x1 - x0) / (y1 - y0)
        crossings += int(np.sum(straddle & (x_cross > lon)))
    return crossings % 2 == 1


def test_topojson_decoding_on_a_hand_made_topology():
    # Two unit squares side by side, quantized at 0.5 deg from (10, 20): A = [0..1] x [0..1] deg,
    # B = [1..2] x [0..1] deg. Arc 0 is the shared edge (1,0) -> (1,1); arc 1 the rest of A,
    # arc 2 the rest of B; B uses arc 0 reversed (~0 = -1).
    topology = {
        "type": "Topology",
        "transform": {"scale": [0.5, 0.5], "translate": [10.0, 20.0]},
        "arcs": [
            [[2, 0], [0, 2]],                           # (11, 20) -> (11, 21)
            [[2, 2], [-2, 0], [0, -2], [2, 0]],         # (11, 21) -> (10, 21) -> (10, 20) -> (11, 20)
            [[2, 0], [2, 0], [0, 2], [-2, 0]],          # (11, 20) -> (12, 20) -> (12, 21) -> (11, 21)
        ],
        "objects": {
            "countries": {"type": "GeometryCollection", "geometries": [
                {"type": "Polygon", "arcs": [[0, 1]], "id": "001", "properties": {"name": "A"}},
                {"type": "MultiPolygon", "arcs": [[[2, -1]]], "id": "002", "properties": {"name": "B"}},
            ]},
            "land": {"type": "GeometryCollection", "geometries": [
                {"type": "Polygon", "arcs": [[1, 2]]}]},
        },
    }
    topo = ne._decode_topology(topology)
    assert topo["names"] == ("A", "B") and topo["ids"] == ("001", "002")
    (ring_a,), = topo["polygons"][0]
    (ring_b,), = topo["polygons"][1]
    np.testing.assert_array_equal(ring_a, [[11, 20], [11, 21], [10, 21], [10, 20], [11, 20]])
    np.testing.assert_array_equal(ring_b, [[11, 20], [12, 20], [12, 21], [11, 21], [11, 20]])
    assert _area_km2([ring_a]) == pytest.approx(_area_km2([ring_b]), rel=2e-3)  # same size squares
    (border,) = topo["borders"]  # only the shared edge, once
    np.testing.assert_array_equal(border, [[11, 20], [11, 21]])
    (coast,) = topo["coast"]  # the land's outline: both squares without the shared edge
    np.testing.assert_array_equal(coast, [[11, 21], [10, 21], [10, 20], [11, 20], [12, 20], [12, 21],
                                          [11, 21]])


def test_germany_50m_outline_has_its_known_area_and_many_more_vertices():
    fine, coarse = ne.country_polygons("Germany", scale="50m"), ne.country_polygons("Germany")
    assert _area_km2(fine) == pytest.approx(GERMANY_AREA_KM2, rel=0.02)
    assert _area_km2(fine) == pytest.approx(_area_km2(coarse), rel=0.02)
    assert sum(len(r) for r in fine) > 5 * sum(len(r) for r in coarse)
    assert all(np.array_equal(r[0], r[-1]) for r in fine)  # closed rings
    assert _inside(fine, *BERLIN) and _inside(fine, *MUNICH) and not _inside(fine, *PARIS)


@pytest.mark.parametrize("name, capital, rel", [
    ("Germany", BERLIN, 0.02), ("France", PARIS, 0.03), ("United States", (38.90, -77.04), 0.03),
    ("United States of America", (38.90, -77.04), 0.03), ("Kenya", (-1.29, 36.82), 0.02),
    ("Japan", (35.68, 139.69), 0.10),  # the 110m Japan is coarse: 9 % larger than at 50m
    ("Swaziland", (-26.32, 31.14), 0.10),  # 50m name "eSwatini": matched by ISO 3166-1 numeric 748
])
def test_50m_feature_is_the_same_country_as_the_110m_one(name, capital, rel):
    fine, coarse = ne.country_polygons(name, scale="50m"), ne.country_polygons(name)
    assert _area_km2(fine) == pytest.approx(_area_km2(coarse), rel=rel)
    assert _inside(fine, *capital)


def test_bad_scale_is_refused_with_the_allowed_ones():
    with pytest.raises(ValueError, match=r"scale = '10m'.*'110m', '50m'"):
        ne.country_polygons("Germany", scale="10m")


def test_borders_are_exactly_the_vertices_two_countries_share():
    topo = ne._topology(ne._layer_path(ne._COUNTRIES_50M_FILE))
    owners = []
    for i, polygons in enumerate(topo["polygons"]):
        xy = np.concatenate([r for p in polygons for r in p]) if polygons else np.empty((0, 2))
        keys = np.unique(np.round(xy * 1e6).astype(np.int64), axis=0)
        owners.append(np.column_stack([keys, np.full(len(keys), i)]))
    owners = np.concatenate(owners)
    keys, count = np.unique(owners[:, :2], axis=0, return_counts=True)
    shared = {tuple(k) for k in keys[count >= 2]}
    borders = ne.country_borders()
    vertices = np.round(np.concatenate(borders) * 1e6).astype(np.int64)
    assert all(tuple(v) in shared for v in vertices)  # no coast vertex in the borders
    assert len(borders) > 300 and len(vertices) > 15_000


def test_50m_coastlines_never_run_along_the_map_edges():
    lines = ne.coastlines("50m")
    assert len(lines) > 1000
    for xy in lines:
        on_meridian = (np.abs(xy[:-1, 0]) == 180.0) & (xy[1:, 0] == xy[:-1, 0])
        on_pole = (xy[:-1, 1] <= -89.99) & (xy[1:, 1] <= -89.99)
        assert not (on_meridian | on_pole).any()


def test_germany_scenario_map_draws_the_50m_borders_inside_its_extent():
    from constellations import plotting as F
    from constellations.app.runs import analyze_scenario
    from constellations.app.scenario import Scenario

    s = Scenario.from_dict({
        "name": "germany", "start": "2025-07-01T00:00:00Z", "duration_h": 1, "step_s": 300,
        "grid": {"country": "Germany", "spacing_deg": 1.0},
        "constellations": [{"name": "w", "shells": [{"altitude_km": 550.0, "inclination_deg": 53.0,
                                                      "planes": 3, "sats_per_plane": 8, "phasing": 1}]}],
        "metrics": {"population_weighted": False}, "figures": {"cities": []}})
    results, _ = analyze_scenario(s, progress=False)
    fig = F.maps(results, "coverage_time_fraction")
    ax = fig.axes[0]
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())

    def inside(gid):
        (line,) = [ln for ln in ax.lines if ln.get_gid() == gid]
        xy = np.asarray(line.get_xydata())
        return int(np.sum((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)))

    # Germany's land borders at 1:50m: about 400 vertices in view (1:110m has 58 for the whole outline)
    assert inside("country_borders") > 300
    assert inside("coastlines") > 200  # the 1:50m North Sea and Baltic coasts (1:110m: 23 vertices)
