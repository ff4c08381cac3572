"""The coverage engine against a slow brute-force path written here, and against closed forms.

The brute force uses nothing of the engine's geometry: it takes Earth-fixed satellite positions,
computes each point's elevation angle from vectors, and walks each cell's time series in Python to
find gaps and accesses.
"""

import numpy as np
import pytest
from shared import observers

import constellations as cs

START = "2025-07-01T00:00:00Z"


def brute_force_counts(constellation, grid, duration_s, step_s, earth="sphere"):
    """Satellites above each point's minimum elevation, shape (n_time, n_cell), by vectors.

    ``earth="wgs84"``: observers on the ellipsoid (``tests/shared.py``, constants written out there),
    elevation from the geodetic vertical; ``"sphere"``: radius 6,378.137 km, radial vertical.
    """
    n = int(duration_s // step_s)
    t_s = np.arange(n) * step_s
    pos = constellation.propagator(START).positions_ecef_km(t_s)  # (T, N, 3)
    ground, up = observers(grid.lat_deg, grid.lon_deg, earth)  # (G, 3) each
    eps = np.radians(constellation.min_elevation_deg_per_sat())  # (N,)
    nadir_max = np.radians(constellation.elements().max_nadir_deg)  # (N,), inf: no sensor limit
    counts = np.zeros((n, len(grid)), dtype=int)
    for g in range(len(grid)):  # slow on purpose: one point at a time
        los = pos - ground[g]  # (T, N, 3)
        dist = np.linalg.norm(los, axis=-1)
        sin_elev = (los @ up[g]) / dist
        # nadir angle at the satellite between the Earth's centre and the ground point
        cos_nadir = np.einsum("tni,tni->tn", los, pos) / (dist * np.linalg.norm(pos, axis=-1))
        in_cone = np.arccos(np.clip(cos_nadir, -1, 1)) <= nadir_max
        counts[:, g] = ((sin_elev >= np.sin(eps)) & in_cone).sum(axis=1)
    return counts


def brute_force_stats(counts, step_s, boundary):
    """Per-cell figures of merit by walking each time series."""
    n, n_cell = counts.shape
    duration = n * step_s
    out = {k: np.full(n_cell, np.nan) for k in ("revisit_mean_s", "revisit_max_s", "revisit_min_s",
                                                  "mean_response_time_s", "time_average_gap_s",
                                                  "gap_count", "access_count")}
    for c in range(n_cell):
        covered = counts[:, c] > 0
        runs = []  # (state, start, length)
        start = 0
        for t in range(1, n + 1):
            if t == n or covered[t] != covered[start]:
                runs.append((covered[start], start, t - start))
                start = t
        gaps = [length * step_s for state, s, length in runs if not state
                and (boundary == "optimistic" or (s > 0 and s + length < n))]
        out["access_count"][c] = sum(1 for state, _, _ in runs if state)
        out["gap_count"][c] = len(gaps)
        if gaps:
            g = np.array(gaps)
            out["revisit_mean_s"][c] = g.mean()
            out["revisit_max_s"][c] = g.max()
            out["revisit_min_s"][c] = g.min()
            out["mean_response_time_s"][c] = (g**2).sum() / (2 * duration)
            out["time_average_gap_s"][c] = (g**2).sum() / duration
        elif covered.all():
            for k in ("revisit_mean_s", "revisit_max_s", "revisit_min_s", "mean_response_time_s",
                      "time_average_gap_s"):
                out[k][c] = 0.0
    return out


CASES = [  # (constellation, grid): random small Walker shells, global, regional and point grids
    (cs.walker_delta(40, 5, 2, 700.0, 53.0, raan_offset_deg=17.3), cs.global_grid(spacing_deg=6.0)),
    (cs.walker_star(36, 6, 1, 800.0, 89.0, raan_offset_deg=3.1, min_elevation_deg=10.0),
     cs.global_grid(spacing_deg=5.0)),
    (cs.walker_delta(30, 3, 1, 1200.0, 97.6, min_elevation_deg=20.0),
     cs.box_grid(40.0, 89.0, 150.0, -150.0, spacing_deg=3.0)),
    (cs.Constellation("two shells", (cs.Shell(550.0, 53.0, 4, 5, 1, min_elevation_deg=30.0),
                                     cs.Shell(1100.0, 30.0, 3, 4, 2, raan_offset_deg=45.0)),
                      min_elevation_deg=15.0),
     cs.points([52.52, 38.9, 39.03, -33.9, 0.0, 89.9, -89.9],
               [13.4, -77.0, 125.75, 151.2, 180.0, 0.0, 10.0])),
    (cs.Constellation("sensor cone", (cs.Shell(900.0, 65.0, 6, 6, 2, max_nadir_deg=35.0),
                                      cs.Shell(700.0, 45.0, 4, 6, 1)), min_elevation_deg=5.0),
     cs.global_grid(spacing_deg=4.0)),
]


@pytest.mark.parametrize("boundary", ["optimistic", "interior"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_engine_agrees_with_brute_force_cell_by_cell(case, boundary):
    constellation, grid = CASES[case]
    duration_s, step_s = 6 * 3600.0, 120.0
    counts = brute_force_counts(constellation, grid, duration_s, step_s)
    ds = cs.analyze(constellation, grid, START, duration_s, step_s, boundary=boundary, progress=False,
                    keep_counts=True, exact=False, earth="sphere")  # sampled (exact windows: test_exact.py)
    np.testing.assert_array_equal(ds["visible_count"].values, counts)
    np.testing.assert_allclose(ds["coverage_time_fraction"], (counts > 0).mean(axis=0))
    np.testing.assert_allclose(ds["visible_mean"], counts.mean(axis=0))
    np.testing.assert_array_equal(ds["visible_max"], counts.max(axis=0))
    np.testing.assert_array_equal(ds["visible_min"], counts.min(axis=0))
    np.testing.assert_allclose(ds["nfold_time_fraction"].sel(nfold=2), (counts >= 2).mean(axis=0))
    expected = brute_force_stats(counts, step_s, boundary)
    for key, value in expected.items():
        np.testing.assert_allclose(ds[key].values, value, rtol=1e-12, equal_nan=True, err_msg=key)
    # the test must exercise gaps, accesses and never-covered cells to mean something
    assert np.nansum(expected["gap_count"]) > 10 and np.nansum(expected["access_count"]) > 10


@pytest.mark.parametrize("case", range(len(CASES)))
def test_sampled_mode_counts_on_the_wgs84_ellipsoid_by_default(case):
    constellation, grid = CASES[case]
    duration_s, step_s = 3 * 3600.0, 120.0
    counts = brute_force_counts(constellation, grid, duration_s, step_s, earth="wgs84")
    ds = cs.analyze(constellation, grid, START, duration_s, step_s, progress=False, keep_counts=True,
                    exact=False)
    assert ds.attrs["earth"] == "wgs84"
    np.testing.assert_array_equal(ds["visible_count"].values, counts)
    np.testing.assert_allclose(ds["coverage_time_fraction"], (counts > 0).mean(axis=0))
    sphere = brute_force_counts(constellation, grid, duration_s, step_s, earth="sphere")
    assert np.any(sphere != counts)  # the two models differ on these cases, so the test can tell them apart


def test_threads_do_not_change_results():
    constellation, grid = CASES[0]
    one = cs.analyze(constellation, grid, START, 3 * 3600.0, 60.0, threads=1, progress=False)
    two = cs.analyze(constellation, grid, START, 3 * 3600.0, 60.0, threads=2, progress=False)
    for name in ("coverage_time_fraction", "revisit_max_s", "revisit_percentile_s", "coverage_fraction",
                 "first_access_s", "access_count"):
        np.testing.assert_array_equal(one[name].values, two[name].values)


def test_revisit_percentiles_match_numpy_per_cell():
    constellation = cs.walker_delta(12, 3, 1, 600.0, 45.0)
    grid = cs.global_grid(spacing_deg=10.0)
    ds = cs.analyze(constellation, grid, START, 86400.0, 60.0, progress=False, keep_counts=True,
                    percentiles=(0, 50, 90, 100), exact=False)
    counts = ds["visible_count"].values
    for c in range(len(grid)):
        covered = counts[:, c] > 0
        edges = np.flatnonzero(np.diff(np.concatenate([[1], covered.astype(int), [1]])))
        gaps = np.diff(edges)[::2] * 60.0  # lengths of runs of 0 between covered runs / edges
        if gaps.size == 0:
            continue
        np.testing.assert_allclose(ds["revisit_percentile_s"][:, c], np.percentile(gaps, [0, 50, 90, 100]))
        # time-weighted: the gap length at which the cumulative share of gap time reaches q
        g = np.sort(gaps)
        share = np.cumsum(g) / g.sum()
        for i, q in enumerate([0.5, 0.9, 1.0]):
            expected = g[np.argmax(share >= q - 1e-12)]
            assert ds["revisit_time_weighted_percentile_s"][i + 1, c] == expected


def test_long_run_mean_visible_count_equals_n_times_footprint_fraction():
    shell = cs.walker_delta(1584, 72, 17, 550.0, 53.0)
    ds = cs.analyze(shell, cs.global_grid(spacing_deg=2.0), START, 86400.0, 120.0, progress=False,
                    exact=False, earth="sphere")  # the closed form is for the sphere
    w = ds["area_km2"].values
    mean_visible = float((ds["visible_mean"].values * w).sum() / w.sum())
    expected = 1584 * cs.footprint_area_fraction(cs.central_angle_rad(550.0, 25.0))
    assert mean_visible == pytest.approx(expected, rel=0.02)


def test_no_coverage_poleward_of_inclination_plus_footprint():
    shell = cs.walker_delta(200, 10, 1, 550.0, 53.0)
    ds = cs.analyze(shell, cs.global_grid(spacing_deg=1.0), START, 12 * 3600.0, 60.0, progress=False,
                    earth="sphere")  # the closed-form reach is for the sphere
    reach_deg = 53.0 + np.degrees(cs.central_angle_rad(550.0, 25.0))
    lat = np.abs(ds["lat_deg"].values)
    cov = ds["coverage_time_fraction"].values
    assert np.all(cov[lat > reach_deg] == 0)
    assert np.all(ds["never_covered"].values[lat > reach_deg])
    assert np.all(cov[lat < 50] > 0)  # and covered well inside the band


def test_pole_cell_is_covered_by_a_satellite_over_the_pole():
    # one satellite in a 90 deg orbit starting at argument of latitude 90: over the north pole
    c = cs.Constellation("polar", (cs.Shell(800.0, 90.0, 1, 1),), min_elevation_deg=10.0)
    shell_u = c.elements()
    assert shell_u.arg_latitude_rad[0] == 0.0
    ds = cs.analyze(c, cs.global_grid(spacing_deg=2.0), START, 60.0 * 30, 60.0, progress=False,
                    keep_counts=True)
    # a quarter orbit (about 25 min at 800 km) later the satellite is over the pole: every cell of
    # the polar ring (89 deg) must see it at some step
    north_ring = ds["lat_deg"].values == ds["lat_deg"].values.max()
    assert ds["visible_max"].values[north_ring].min() == 1


def test_never_covered_cells_are_reported_under_both_conventions():
    c = cs.walker_delta(6, 1, 0, 550.0, 10.0)
    grid = cs.points([0.0, 80.0], [0.0, 0.0], names=["equator", "arctic"])
    opt = cs.analyze(c, grid, START, 86400.0, 60.0, progress=False)
    inner = cs.analyze(c, grid, START, 86400.0, 60.0, boundary="interior", progress=False)
    assert opt["never_covered"].values.tolist() == [False, True]
    assert opt["revisit_max_s"].values[1] == 86400.0  # STK: the whole interval is one gap
    assert np.isnan(inner["revisit_max_s"].values[1])  # TAT-C: undefined
    assert opt.attrs["never_covered_cells"] == 1


def test_result_round_trips_through_netcdf(tmp_path):
    c = cs.walker_delta(24, 3, 1, 550.0, 53.0)
    ds = cs.analyze(c, cs.global_grid(spacing_deg=15.0), START, 7200.0, 300.0, progress=False)
    back = cs.load(cs.save(ds, tmp_path / "r.nc"))
    for name in ds.data_vars:
        np.testing.assert_array_equal(back[name].values, ds[name].values)
        assert back[name].attrs["units"] == ds[name].attrs["units"]
    assert back.attrs["package_version"] == cs.__version__
    assert back.attrs["satellites"] == 24
    assert not list(tmp_path.glob("*.tmp"))


def test_summary_is_area_weighted():
    c = cs.walker_delta(24, 3, 1, 550.0, 53.0)
    ds = cs.analyze(c, cs.global_grid(spacing_deg=10.0), START, 7200.0, 300.0, progress=False)
    table = cs.summary([ds, ds])
    w = ds["area_km2"].values
    expected = (ds["coverage_time_fraction"].values * w).sum() / w.sum()
    assert len(table) == 2 and table["coverage_time"].iloc[0] == pytest.approx(expected)
    bands = cs.latitude_bands(ds, edges_deg=(0, 30, 60, 90), absolute=True)
    assert bands["cells"].sum() == len(w)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"step_s": 0.0}, r"step_s must be > 0, got 0.0"),
        ({"step_s": -60.0}, r"step_s must be > 0, got -60.0"),
        ({"duration_s": 30.0}, r"duration_s = 30 is shorter than step_s = 60"),
        ({"boundary": "pessimistic"}, r"boundary must be one of \('optimistic', 'interior'\)"),
        ({"start": "yesterday"}, r"start time 'yesterday' is not an ISO 8601 UTC time"),
        ({"min_elevation_deg": 95.0}, r"min_elevation_deg must be below 90"),
        ({"grid": "earth"}, r"grid must be a Grid"),
    ],
)
def test_bad_analysis_input_says_what_is_wrong(kwargs, message):
    args = {"constellation": cs.walker_delta(6, 1, 0, 550.0, 53.0), "grid": cs.global_grid(spacing_deg=20.0),
            "start": START, "duration_s": 600.0, "step_s": 60.0, "progress": False}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        cs.analyze(**args)


def test_ring_kernel_groups_mixed_footprints_and_matches_the_direct_test():
    from constellations.coverage import PointKernel, RingKernel

    rng = np.random.default_rng(11)
    n_time, n_sat = 4, 300
    lat = np.arcsin(rng.uniform(-1, 1, (n_time, n_sat)))
    lon = rng.uniform(-np.pi, np.pi, (n_time, n_sat))
    lam = np.where(np.arange(n_sat) % 3 == 0, 0.35, rng.uniform(0.02, 0.12, n_sat))  # big and small
    lam[5] = -1.0  # a failed satellite: never visible
    grid = cs.global_grid(spacing_deg=3.0)
    kernel = RingKernel(grid)
    assert len(kernel._groups(np.broadcast_to(lam, lat.shape))) > 1
    np.testing.assert_array_equal(kernel.count(lat, lon, lam), PointKernel(grid).count(lat, lon, lam))
