"""Interceptor reach: threat sites, the reach model, in-reach counts against brute force and closed forms.

References independent of the code under test: a slow per-satellite loop over Earth-fixed positions
(3-D distance to the engagement point, haversine ground range), a numerical integral of the
sub-satellite density over the reach cap, and the coverage engine's own point kernel for the
tracking layer.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest

import constellations as cs
from constellations import goldendome as gd
from constellations.geometry import EARTH_RADIUS_KM
from constellations.goldendome import figures as figs
from constellations.plotting.projection import X_MAX

START = "2025-07-01T00:00:00Z"
R = EARTH_RADIUS_KM


# --------------------------------------------------------------------------- brute force


def brute_force_counts(source, sites, reach, duration_s, step_s):
    """SBIs in reach by a loop over satellites, from positions only (no threshold algebra)."""
    t_s = np.arange(int(duration_s // step_s)) * step_s
    pos = source.propagator(START).positions_ecef_km(t_s)  # (T, N, 3)
    counts = np.zeros((len(t_s), len(sites)), dtype=int)
    for k, site in enumerate(sites):
        lat, lon = np.radians(site.lat_deg), np.radians(site.lon_deg)
        up = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        for n in range(pos.shape[1]):  # slow on purpose: one satellite at a time
            p = pos[:, n]
            if reach.mode == "flyout":
                target = (R + reach.engagement_altitude_km) * up
                ok = np.linalg.norm(p - target, axis=1) <= reach.flyout_speed_km_s * reach.time_left_s
            else:  # haversine great-circle distance of the sub-satellite point
                slat = np.arcsin(p[:, 2] / np.linalg.norm(p, axis=1))
                slon = np.arctan2(p[:, 1], p[:, 0])
                h = np.sin((slat - lat) / 2) ** 2 + np.cos(lat) * np.cos(slat) * np.sin((slon - lon) / 2) ** 2
                ok = 2 * R * np.arcsin(np.sqrt(h)) <= reach.ground_range_km
            counts[:, k] += ok
    return counts


def brute_force_visible(source, sites, min_elevation_deg, duration_s, step_s, max_nadir_deg=90.0):
    """Satellites above the elevation mask (and inside the nadir cone) by a loop over sites.

    Sites at height 0 on the WGS84 ellipsoid, elevation from the geodetic vertical (the tracking
    layer's model), formulas written out here (a = 6,378.137 km, f = 1 / 298.257223563).
    """
    t_s = np.arange(int(duration_s // step_s)) * step_s
    pos = source.propagator(START).positions_ecef_km(t_s)  # (T, N, 3)
    counts = np.zeros((len(t_s), len(sites)), dtype=int)
    e2 = (1.0 / 298.257223563) * (2.0 - 1.0 / 298.257223563)
    for k, site in enumerate(sites):
        lat, lon = np.radians(site.lat_deg), np.radians(site.lon_deg)
        up = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        n = 6378.137 / np.sqrt(1.0 - e2 * np.sin(lat) ** 2)
        p = np.array([n * np.cos(lat) * np.cos(lon), n * np.cos(lat) * np.sin(lon),
                      n * (1 - e2) * np.sin(lat)])
        look = pos - p  # site to satellite
        dist = np.linalg.norm(look, axis=-1)
        elevation_deg = np.degrees(np.arcsin(look @ up / dist))
        cos_nadir = np.einsum("tni,tni->tn", look, pos) / (dist * np.linalg.norm(pos, axis=-1))
        nadir_deg = np.degrees(np.arccos(np.clip(cos_nadir, -1.0, 1.0)))
        counts[:, k] = ((elevation_deg >= min_elevation_deg) & (nadir_deg <= max_nadir_deg)).sum(axis=1)
    return counts


SITES = gd.sites_from_points([39.66, -10.0, 62.9, 0.0], [124.7, -60.0, 40.6, 179.9],
                              ["Sohae-like", "south", "north", "antimeridian"])
MIXED = cs.Constellation("two shells", (cs.Shell(400.0, 50.0, 12, 10, 1), cs.Shell(600.0, 70.0, 8, 9, 3),
                                        cs.Shell(350.0, 97.0, 5, 6, 2, pattern="star")))
REACHES = [gd.ReachModel("fly", "flyout", 170.0, 50.0, 4.0, 150.0),
           gd.ReachModel("fly-wide", "flyout", 250.0, 45.0, 6.0, 100.0),
           gd.ReachModel("ground", "ground", ground_range_km=1500.0)]


@pytest.mark.parametrize("reach", REACHES, ids=lambda r: r.name)
@pytest.mark.parametrize("method", ["planes", "direct"])
def test_counts_match_brute_force(reach, method):
    expected = brute_force_counts(MIXED, SITES, reach, 4 * 3600.0, 60.0)
    got = gd.in_reach_counts(MIXED, SITES, reach, START, 4 * 3600.0, 60.0, method=method)
    assert got.shape == (240, 4)
    np.testing.assert_array_equal(got, expected)
    assert expected.sum() > 100  # the case is not trivially empty


class GenericSource:
    """A satellite source that is not a J2 Constellation (like an SGP4 catalog); one satellite fails."""

    name = "generic"

    def __init__(self, inner):
        self.inner = inner

    def __len__(self):
        return len(self.inner)

    def propagator(self, start):
        inner = self.inner.propagator(start)

        class Prop:
            n_sat = inner.n_sat
            fixed_footprints = False  # like SGP4: the protocol's per-step path

            def positions_ecef_km(self, t_s):
                pos = inner.positions_ecef_km(t_s)
                pos[:, 0] = np.nan  # propagation failure: never in reach
                return pos

        return Prop()


def test_generic_source_uses_direct_path_and_ignores_failed_satellites():
    reach = REACHES[2]
    src = GenericSource(MIXED)
    got = gd.in_reach_counts(src, SITES, reach, START, 3600.0, 60.0)
    full = gd.in_reach_counts(MIXED, SITES, reach, START, 3600.0, 60.0)
    only_first = gd.in_reach_counts(cs.Constellation("one", (cs.Shell(400.0, 50.0, 1, 1),)), SITES, reach,
                                     START, 3600.0, 60.0)
    np.testing.assert_array_equal(got, full - only_first)  # satellite 0 is the first of shell 1
    with pytest.raises(ValueError, match="method='planes' needs circular J2 orbits"):
        gd.in_reach_counts(src, SITES, reach, START, 3600.0, 60.0, method="planes")


# --------------------------------------------------------------------------- reach model


def test_reach_model_flyout_geometry_by_hand():
    r = gd.ReachModel(boost_s=170.0, detect_decide_s=50.0, flyout_speed_km_s=4.0,
                       engagement_altitude_km=150.0)
    assert r.time_left_s == 120.0 and r.flyout_range_km == 480.0
    # a satellite at 400 km and the returned central angle: 3-D distance to the engagement point = 480 km
    theta = float(r.central_angle_rad(400.0))
    sat = (R + 400.0) * np.array([np.cos(theta), np.sin(theta), 0.0])
    eng = (R + 150.0) * np.array([1.0, 0.0, 0.0])
    assert np.linalg.norm(sat - eng) == pytest.approx(480.0, abs=1e-6)
    # straight overhead at 400 km the distance is 250 km, within reach; 700 km up it is not (550 > 480)
    assert float(r.central_angle_rad(700.0)) < 0.0
    assert np.isnan(float(r.ground_range_equivalent_km(700.0)))
    # no time left: nothing in reach
    assert float(gd.ReachModel(boost_s=40.0, detect_decide_s=50.0).central_angle_rad(400.0)) < 0.0


def test_reach_model_ground_mode_is_d_over_r():
    r = gd.ReachModel("g", "ground", ground_range_km=1000.0)
    assert float(r.central_angle_rad(550.0)) == pytest.approx(1000.0 / R, rel=1e-12)
    assert float(r.ground_range_equivalent_km(300.0)) == pytest.approx(1000.0, rel=1e-12)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"mode": "cone"}, "mode must be 'flyout' or 'ground', got 'cone'"),
    ({"flyout_speed_km_s": -1.0}, r"flyout_speed_km_s = -1.0 is outside \[0, 20\]"),
    ({"boost_s": "long"}, "boost_s must be a number, got 'long'"),
])
def test_reach_model_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gd.ReachModel(**kwargs)


def test_reach_presets_and_dict_overrides():
    assert set(gd.REACH_ASSUMPTIONS) >= {"solid-4kms", "liquid-4kms", "ground-1000km"}
    liquid = gd.reach_model("liquid-4kms")
    assert liquid.boost_s == 250.0 and liquid.flyout_range_km == 4.0 * (250.0 - 50.0)
    custom = gd.ReachModel.from_dict({"preset": "solid-4kms", "flyout_speed_km_s": 5.0, "name": "x"})
    assert custom.flyout_range_km == 600.0 and custom.boost_s == 170.0
    with pytest.raises(ValueError, match=r"reach\.speed is not a known key"):
        gd.ReachModel.from_dict({"speed": 5.0})
    with pytest.raises(ValueError, match=r"f\.toml: r\.boost_s = '170': must be a number, not a string; "
                                         "write it without quotes"):
        gd.ReachModel.from_dict({"boost_s": "170"}, where="f.toml", key="r")
    with pytest.raises(ValueError, match=r"r\.preset = 'solid-4km': must be one of .*"
                                         r"did you mean 'solid-4kms'\?"):
        gd.ReachModel.from_dict({"preset": "solid-4km"}, key="r")
    with pytest.raises(ValueError, match="unknown reach assumption 'fast'"):
        gd.reach_model("fast")


# --------------------------------------------------------------------------- threat sites


def test_threat_sites_file_covers_four_countries_with_sources():
    sites = gd.threat_sites()
    assert {s.country for s in sites} == {"North Korea", "Iran", "Russia", "China"}
    assert all(s.source and s.tag in ("secondary", "derived", "approximate") for s in sites)
    assert all(np.isfinite(s.uncertainty_km) and s.uncertainty_km > 0 for s in sites)
    sohae = gd.threat_sites(["sohae"])[0]  # case-insensitive
    assert (sohae.lat_deg, sohae.lon_deg) == (39.66, 124.705)
    # every point lies inside its country's Natural Earth polygon or within its stated uncertainty
    from constellations.sources.naturalearth import points_in_country
    inside = [bool(points_in_country(s.country if s.country != "North Korea" else "North Korea",
                                     [s.lat_deg], [s.lon_deg])[0]) for s in sites]
    assert sum(inside) >= len(sites) - 2  # coastal points may fall just outside the 1:110m outline


def test_threat_sites_errors_name_the_choices():
    with pytest.raises(ValueError, match="unknown threat site 'Atlantis'; choose among"):
        gd.threat_sites(["Atlantis"])
    with pytest.raises(ValueError, match=r"unknown countries \['france'\]"):
        gd.threat_sites(countries="France")
    with pytest.raises(ValueError, match=r"lat_deg = 95\.0 is outside"):
        gd.ThreatSite("x", "y", 95.0, 0.0)


def test_user_points_and_country_polygons():
    pts = gd.sites_from_points([72.0], [400.0], ["Barents"])
    assert pts[0].lon_deg == 40.0 and pts[0].tag == "user"
    nk = gd.sites_in_country("North Korea", spacing_deg=1.0)
    assert 5 < len(nk) < 20
    with pytest.raises(ValueError, match="names has 1 entries for 2 points"):
        gd.sites_from_points([1.0, 2.0], [3.0, 4.0], ["a"])


# --------------------------------------------------------------------------- closed form

# Cases: large Walker shells (>= 4,900 satellites in >= 70 planes) so that a day averages the pattern
# (the spread over four longitudes at one latitude is < 0.5 %), with reach small against the distance
# of the site's latitude from the inclination (the formula takes the density of sub-satellite points
# as constant over the cap; its own error there is < 1 %, checked against the numerical integral).
FORMULA_CASES = [  # (total, planes, inclination, latitude, ground range)
    (4900, 70, 53.0, 0.0, 1000.0),
    (4900, 70, 53.0, 25.0, 1000.0),
    (4900, 70, 70.0, 40.0, 1000.0),
    (4900, 70, 97.6, 25.0, 1000.0),
    (4900, 70, 97.6, 40.0, 1200.0),
    (10000, 100, 70.0, -25.0, 700.0),
]


@pytest.mark.parametrize(("total", "planes", "inc", "lat", "d_km"), FORMULA_CASES)
def test_time_mean_matches_reference_formula_within_3_percent(total, planes, inc, lat, d_km):
    shell = cs.walker_delta(total, planes, 1, 550.0, inc)
    sites = gd.sites_from_points([lat] * 4, [0.0, 45.0, 90.0, 135.0])
    reach = gd.ReachModel("g", "ground", ground_range_km=d_km)
    mean = gd.in_reach_counts(shell, sites, reach, START, 86400.0, 60.0).mean(axis=0)
    formula = float(gd.expected_in_reach(total, inc, lat, d_km / R))
    np.testing.assert_allclose(mean, formula, rtol=0.03)


def cap_integral(total, inc_deg, lat_deg, lam, n=300):
    """N times the sub-satellite density 1 / (2 pi^2 sqrt(sin^2 i - sin^2 phi)) integrated over the cap."""
    i, phi = np.radians(inc_deg), np.radians(lat_deg)
    rho = (np.arange(n) + 0.5) / n * lam
    az = (np.arange(2 * n) + 0.5) / (2 * n) * 2 * np.pi
    rr, aa = np.meshgrid(rho, az, indexing="ij")
    s = np.sin(phi) * np.cos(rr) + np.cos(phi) * np.sin(rr) * np.cos(aa)
    q = np.sin(i) ** 2 - s**2
    density = np.where(q > 0, 1.0 / (2 * np.pi**2 * np.sqrt(np.where(q > 0, q, 1.0))), 0.0)
    return total * float((density * np.sin(rr)).sum()) * (lam / n) * (np.pi / n)


def test_where_the_formula_drifts_the_count_follows_the_exact_cap_integral():
    # 2,000 km reach at 40 deg under a 53 deg shell: the constant-density formula is 14 % low, the
    # counted mean agrees with the integral of the true density over the cap within 1 %
    total, inc, lat, d_km = 4900, 53.0, 40.0, 2000.0
    shell = cs.walker_delta(total, 70, 1, 550.0, inc)
    sites = gd.sites_from_points([lat] * 2, [0.0, 90.0])
    reach = gd.ReachModel("g", "ground", ground_range_km=d_km)
    mean = gd.in_reach_counts(shell, sites, reach, START, 86400.0, 60.0).mean(axis=0)
    exact = cap_integral(total, inc, lat, d_km / R)
    formula = float(gd.expected_in_reach(total, inc, lat, d_km / R))
    np.testing.assert_allclose(mean, exact, rtol=0.01)
    assert formula < 0.9 * exact


def test_expected_in_reach_outside_the_band_is_nan_and_shells_add():
    assert np.isnan(gd.expected_in_reach(1000, 50.0, 60.0, 0.1))
    c = cs.Constellation("x", (cs.Shell(400.0, 50.0, 10, 10), cs.Shell(400.0, 70.0, 10, 10)))
    reach = gd.ReachModel("g", "ground", ground_range_km=800.0)
    both = gd.expected_in_reach_constellation(c, [30.0], reach)[0]
    parts = sum(float(gd.expected_in_reach(100, i, 30.0, 800.0 / R)) for i in (50.0, 70.0))
    assert both == pytest.approx(parts)


# --------------------------------------------------------------------------- metrics, map, tracking


def test_reach_metrics_statistics_follow_from_the_counts():
    sites = gd.threat_sites(["Sohae", "Plesetsk"])
    c = cs.walker_delta(1600, 40, 1, 400.0, 50.0)
    ds = gd.reach_metrics(c, sites, "solid-4kms", START, 6 * 3600.0, 30.0, k_max=3)
    counts = ds["in_reach"].values
    assert counts.shape == (720, 2)
    np.testing.assert_allclose(ds["in_reach_mean"], counts.mean(axis=0))
    np.testing.assert_allclose(ds["share_at_least"].sel(k=2), (counts >= 2).mean(axis=0))
    p5 = ds["in_reach_percentile"].sel(percentile=5).values
    assert np.all((counts < p5).mean(axis=0) <= 0.05) and np.all((counts <= p5).mean(axis=0) >= 0.05)
    # Plesetsk (62.9 N) lies beyond a 50 deg shell's reach: mean 0, absentee ratio infinite
    assert ds["in_reach_mean"].sel(site="Plesetsk") == 0
    assert np.isinf(ds["absentee_ratio_min"].sel(site="Plesetsk"))
    sohae = ds.sel(site="Sohae")
    assert float(sohae["absentee_ratio_mean"]) == pytest.approx(1600 / float(sohae["in_reach_mean"]))
    assert ds.attrs["reach_flyout_speed_km_s"] == 4.0 and "downrange" in ds.attrs["model_limits"]


def test_reach_metrics_rejects_bad_arguments():
    c = cs.walker_delta(24, 3, 1, 400.0, 50.0)
    with pytest.raises(ValueError, match="k_max must be a positive integer"):
        gd.reach_metrics(c, SITES, "solid-4kms", START, 600.0, 60.0, k_max=0)
    with pytest.raises(ValueError, match="step_s must be a positive number of seconds, got -5"):
        gd.reach_metrics(c, SITES, "solid-4kms", START, 600.0, -5)
    with pytest.raises(ValueError, match="sites must be a non-empty list of ThreatSite"):
        gd.reach_metrics(c, [], "solid-4kms", START, 600.0, 60.0)


def test_map_agrees_with_point_counts_at_the_cell_centres():
    c = cs.walker_delta(600, 30, 1, 500.0, 60.0)
    grid = cs.global_grid(spacing_deg=15.0)
    reach = gd.reach_model("liquid-4kms")
    ds = gd.mean_in_reach_map(c, reach, grid, START, 2 * 3600.0, 120.0, k=(1, 2))
    sites = gd.sites_from_points(grid.lat_deg, grid.lon_deg)
    counts = gd.in_reach_counts(c, sites, reach, START, 2 * 3600.0, 120.0)
    np.testing.assert_allclose(ds["in_reach_mean"].values, counts.mean(axis=0), atol=1e-12)
    np.testing.assert_array_equal(ds["in_reach_min"].values, counts.min(axis=0))
    np.testing.assert_allclose(ds["share_at_least"].sel(k=2).values, (counts >= 2).mean(axis=0))
    assert ds["in_reach_mean"].values.max() > 1.0


def test_tracking_counts_equal_the_coverage_engine():
    sensors = cs.walker_delta(30, 5, 1, 800.0, 60.0, min_elevation_deg=20.0)
    sites = gd.threat_sites(["Sohae", "Semnan (Imam Khomeini)", "Plesetsk"])
    tr = gd.tracking_metrics(sensors, sites, START, 6 * 3600.0, 60.0, min_sensors=2)
    expected = brute_force_visible(sensors, sites, 20.0, 6 * 3600.0, 60.0)
    np.testing.assert_array_equal(tr["sensors_in_view"].values, expected)
    grid = cs.points([s.lat_deg for s in sites], [s.lon_deg for s in sites], names=[s.name for s in sites])
    # the tracking layer counts like the engine's exact mode: WGS84 observers, geodetic elevation
    ref = cs.analyze(sensors, grid, START, 6 * 3600.0, 60.0, progress=False)
    np.testing.assert_array_equal(tr["sensors_in_view"].values, ref["visible_count"].values)
    assert tr["longest_below_min_s"].max() > 0  # a thin layer leaves gaps in stereo (exact windows:
    # tests/test_exact_level.py holds them to a brute force)


def test_tracking_respects_the_sensor_cone_like_the_coverage_engine():
    # a nadir-pointing cone of 30 deg from 1,200 km is narrower than the 10 deg elevation footprint
    shell = cs.Shell(1200.0, 60.0, 6, 8, 1, min_elevation_deg=10.0, max_nadir_deg=30.0)
    sensors = cs.Constellation("coned", (shell,))
    wide = cs.Constellation("wide", (cs.Shell(1200.0, 60.0, 6, 8, 1, min_elevation_deg=10.0),))
    sites = gd.threat_sites(["Sohae", "Semnan (Imam Khomeini)", "Plesetsk"])
    tr = gd.tracking_metrics(sensors, sites, START, 6 * 3600.0, 60.0)
    expected = brute_force_visible(sensors, sites, 10.0, 6 * 3600.0, 60.0, max_nadir_deg=30.0)
    np.testing.assert_array_equal(tr["sensors_in_view"].values, expected)
    grid = cs.points([s.lat_deg for s in sites], [s.lon_deg for s in sites], names=[s.name for s in sites])
    ref = cs.analyze(sensors, grid, START, 6 * 3600.0, 60.0, progress=False)  # WGS84, as the tracking
    np.testing.assert_array_equal(tr["sensors_in_view"].values, ref["visible_count"].values)
    no_cone = gd.tracking_metrics(wide, sites, START, 6 * 3600.0, 60.0)["sensors_in_view"].values
    coned = tr["sensors_in_view"].values
    assert np.all(no_cone >= coned) and no_cone.sum() > coned.sum()  # the cone really cuts


SOHAE_TOML = """
[[sites]]
name = "Sohae"
country = "North Korea"
lat_deg = 39.66
lon_deg = 124.705
tag = "secondary"
"""


@pytest.mark.parametrize(("edit", "key", "value", "hint"), [
    (("lat_deg = 39.66", 'lat_deg = "39.66"'), "sites[0].lat_deg", "'39.66'", "write it without quotes"),
    (("lat_deg = 39.66", "lat = 39.66"), "sites[0].lat", None, "did you mean 'lat_deg'"),
    (("lat_deg = 39.66", "lat_deg = 95.0"), "sites[0].lat_deg", "95.0", "must be <= 90"),
    (('tag = "secondary"', 'tag = "primary"'), "sites[0].tag", "'primary'", "must be one of"),
    (('country = "North Korea"\n', ""), "sites[0].country", None, "is missing"),
    (("[[sites]]", "zz = 1\n[[sites]]"), "zz", None, "not a known key"),
    (("tag = \"secondary\"", "tag = \"secondary\"\nuncertainty_km = -1.0"), "sites[0].uncertainty_km",
     "-1.0", "must be >= 0"),
])
def test_threats_file_errors_name_file_key_and_value(tmp_path, edit, key, value, hint):
    path = tmp_path / "my_threats.toml"
    assert edit[0] in SOHAE_TOML
    path.write_text(SOHAE_TOML.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(ValueError) as err:
        gd.threat_sites(path=path)
    message = str(err.value)
    assert message.startswith(f"{path}: {key}") and hint in message
    if value is not None:
        assert f"{key} = {value}:" in message
    path.write_text(SOHAE_TOML, encoding="utf-8")  # the unedited file loads
    assert [s.name for s in gd.threat_sites(path=path)] == ["Sohae"]


def test_threats_file_refuses_duplicates_and_an_empty_list(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(SOHAE_TOML + SOHAE_TOML.replace("39.66", "40.0"), encoding="utf-8")
    with pytest.raises(ValueError, match=r"t\.toml: sites\[1\]\.name = 'Sohae': is already the name of "
                                         r"sites\[0\]"):
        gd.threat_sites(path=path)
    path.write_text("sites = []\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"t\.toml: sites = \[\]: must be a non-empty array of tables"):
        gd.threat_sites(path=path)


def test_closed_form_applies_to_any_circular_source():
    # a nested pattern is not a Walker Constellation: the closed form groups its orbits all the same
    from constellations.goldendome.sizing import NestedPattern

    nested = NestedPattern(20, 20, 400.0, 50.0)
    reach = gd.ReachModel("g", "ground", ground_range_km=800.0)
    got = gd.expected_in_reach_constellation(nested, [10.0, 70.0], reach)
    np.testing.assert_allclose(got, [float(gd.expected_in_reach(400, 50.0, 10.0, 800.0 / R)), 0.0])


def test_figures_render_headless():
    sites = gd.threat_sites(["Sohae", "Plesetsk"])
    c = cs.walker_delta(400, 20, 1, 400.0, 55.0)
    ds = gd.reach_metrics(c, sites, "liquid-4kms", START, 3600.0, 60.0)
    fig = figs.in_reach_timeseries(ds, k=2)
    assert "liquid-4kms" in fig.subfigs[0].get_suptitle()
    m = gd.mean_in_reach_map(c, "liquid-4kms", cs.global_grid(spacing_deg=15.0), START, 3600.0, 600.0)
    fig = figs.mean_in_reach_map(m, sites=sites)
    assert "mean SBIs in reach" in [ax.get_xlabel() for ax in fig.axes]  # the colour bar, with its unit
    x0, x1 = fig.axes[0].get_xlim()  # the shared Equal Earth map: the whole world is 2 x 2.7066 radii wide
    assert x1 - x0 == pytest.approx(2 * X_MAX)
    tr = gd.tracking_metrics(c, sites, START, 3600.0, 60.0)
    assert figs.tracking_timeseries(tr).axes
    with pytest.raises(ValueError, match="not in the Dataset"):
        figs.in_reach_timeseries(ds, sites=["Nowhere"])
