"""k-fold exact windows (WindowFinder ``level``) and their users: the Golden Dome tracking metric, the race.

The brute force shares nothing with the window finder: it propagates every satellite at every second
(``positions_ecef_km`` of the source's own propagator, no interpolation), counts the satellites above
the minimum geodetic elevation of observers on WGS84 (formulas written out below), and bisects every
change of "at least k in view" to 1 ms. Sampling at 1 s cannot miss a stretch of at least 1 s.
"""

import functools

import numpy as np
import pytest
from shared import Subset, observers

import constellations as cs
from constellations import goldendome as gd
from constellations.race import coverage_by_count
from constellations.windows import WindowFinder

START = "2025-07-01T00:00:00Z"
ONE_MS = 1e-3
TWO_SECONDS = 2.0  # tolerance on a longest stretch: each end to resolution / 2, plus 1 s of slack
SHARE_TOL = 1e-4  # 1.4 s in 4 h: stretches within 0.5 s of the 1 s resolution may be kept or dropped

SENSORS = cs.walker_delta(60, 6, 1, 800.0, 75.0, min_elevation_deg=15.0)
SITES = gd.sites_from_points([39.66, 0.0, 62.9, 78.2, -33.9], [124.7, -179.9, 40.6, 15.6, 18.4],
                             ["Sohae-like", "antimeridian", "Plesetsk-like", "Svalbard", "Cape Town"])


def in_view_count(sat_km, obs_km, up, min_elevation_deg):
    """Satellites above the minimum elevation: ``sat_km`` (n_t, n_sat, 3), observers (n_t, 3) -> (n_t,)."""
    look = sat_km - obs_km[:, None, :]
    elevation = np.degrees(np.arcsin(np.einsum("tsi,ti->ts", look, up) / np.linalg.norm(look, axis=-1)))
    return np.sum(elevation >= min_elevation_deg, axis=-1)


def brute_force_stretches(source, sites, duration_s, k, min_elevation_deg):
    """Per site, the stretches [(start_s, end_s), ...] with at least k in view, ends bisected to 1 ms."""
    prop = source.propagator(START)
    obs, up = observers([s.lat_deg for s in sites], [s.lon_deg for s in sites])
    t = np.arange(0.0, duration_s + 0.5, 1.0)
    t[-1] = duration_s
    ok = np.empty((t.size, len(sites)), dtype=bool)
    for lo in range(0, t.size, 900):  # time chunks
        pos = prop.positions_ecef_km(t[lo:lo + 900])
        for j in range(len(sites)):  # slow on purpose: one site at a time
            o = np.broadcast_to(obs[j], (pos.shape[0], 3))
            u = np.broadcast_to(up[j], (pos.shape[0], 3))
            ok[lo:lo + 900, j] = in_view_count(pos, o, u, min_elevation_deg) >= k
    i, site = np.nonzero(ok[1:] != ok[:-1])
    a, b, va = t[i], t[i + 1], ok[i, site]
    while np.any(b - a > ONE_MS):
        m = 0.5 * (a + b)
        vm = in_view_count(prop.positions_ecef_km(m), obs[site], up[site], min_elevation_deg) >= k
        a, b = np.where(vm == va, m, a), np.where(vm == va, b, m)
    cross = 0.5 * (a + b)
    out = []
    for j in range(len(sites)):
        times, rising = cross[site == j], ~va[site == j]
        begin = 0.0 if ok[0, j] else None
        pieces = []
        for time, rise in zip(times, rising, strict=True):
            if rise:
                begin = time
            else:
                pieces.append((begin, time))
                begin = None
        if begin is not None:
            pieces.append((begin, duration_s))
        out.append(pieces)
    return out


def longest_gap_and_share(pieces, duration_s, r=1.0):
    """Longest stretch outside the pieces (edges included, optimistic) and the share inside.

    The resolution's conventions first: gaps shorter than ``r`` merged, then pieces shorter dropped.
    """
    merged = []
    for a, b in pieces:
        if merged and a - merged[-1][1] < r:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    pieces = [(a, b) for a, b in merged if b - a >= r]
    ends = [0.0] + [x for p in pieces for x in p] + [duration_s]
    gaps = [b - a for a, b in zip(ends[::2], ends[1::2], strict=True)]
    return max(gaps), sum(b - a for a, b in pieces) / duration_s


@functools.cache
def reference(k, duration_s):
    return brute_force_stretches(SENSORS, SITES, duration_s, k, 15.0)


@pytest.mark.parametrize("backend", ["default", "numpy"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_tracking_metrics_agree_with_brute_force(k, backend, monkeypatch):
    if backend == "numpy":  # the NumPy refinement (the reference, used without numba)
        monkeypatch.setenv("CONSTELLATIONS_KERNEL", "numpy")
    duration_s = 4 * 3600.0
    tr = gd.tracking_metrics(SENSORS, SITES, START, duration_s, 60.0, min_sensors=k)
    ref = reference(k, duration_s)
    for j, pieces in enumerate(ref):
        longest, share = longest_gap_and_share(pieces, duration_s)
        assert abs(float(tr["longest_below_min_s"][j]) - longest) <= TWO_SECONDS, (k, SITES[j].name)
        assert abs(float(tr["share_at_least_min"][j]) - share) <= SHARE_TOL, (k, SITES[j].name)
    # the case is not trivial: somewhere stretches below k exist and are shorter than the window
    longest = tr["longest_below_min_s"].values
    assert np.any((longest > 0) & (longest < duration_s))
    assert float(tr["share_at_least_min"].max()) > 0.05


def test_tracking_stretches_below_the_threshold_are_the_brute_force_gaps():
    """The stretches the tracking figures shade: every gap of the brute force, ends within 2 s."""
    duration_s, k = 4 * 3600.0, 2
    tr = gd.tracking_metrics(SENSORS, SITES, START, duration_s, 60.0, min_sensors=k)
    n_checked = 0
    for j, pieces in enumerate(reference(k, duration_s)):
        merged = []  # the resolution's conventions, as longest_gap_and_share
        for a, b in pieces:
            if merged and a - merged[-1][1] < 1.0:
                merged[-1] = (merged[-1][0], b)
            else:
                merged.append((a, b))
        ends = [0.0] + [x for a, b in merged if b - a >= 1.0 for x in (a, b)] + [duration_s]
        expected = [(a, b) for a, b in zip(ends[::2], ends[1::2], strict=True) if b - a > 0]
        mine = tr["below_min_site"].values == SITES[j].name
        got = np.column_stack([tr["below_min_start_s"].values[mine], tr["below_min_end_s"].values[mine]])
        assert len(got) == len(expected), SITES[j].name
        np.testing.assert_allclose(got, np.array(expected).reshape(-1, 2), atol=TWO_SECONDS)
        if len(got):
            assert float(np.max(got[:, 1] - got[:, 0])) == float(tr["longest_below_min_s"][j])
        n_checked += len(got)
    assert n_checked >= 3  # the case has stretches to compare


def test_tracking_counts_are_wgs84_counts_of_the_engine():
    """The sampled series uses the exact windows' Earth model: the engine's WGS84 visible counts."""
    tr = gd.tracking_metrics(SENSORS, SITES, START, 3 * 3600.0, 60.0)
    grid = cs.points([s.lat_deg for s in SITES], [s.lon_deg for s in SITES])
    ds = cs.analyze(SENSORS, grid, START, 3 * 3600.0, 60.0, progress=False, keep_counts=True)
    assert ds.attrs["earth"] == tr.attrs["earth"] == "wgs84"
    np.testing.assert_array_equal(tr["sensors_in_view"].values, ds["visible_count"].values)
    assert tr.attrs["resolution_s"] == 1.0 and "sensors_in_view" in tr.attrs["sampled_variables"]


def test_level_one_tracking_equals_the_engine_windows():
    """min_sensors = 1 is plain coverage: the k-fold code gives the engine's exact windows."""
    duration_s = 4 * 3600.0
    tr = gd.tracking_metrics(SENSORS, SITES, START, duration_s, 60.0, min_sensors=1)
    grid = cs.points([s.lat_deg for s in SITES], [s.lon_deg for s in SITES])
    ds = cs.analyze(SENSORS, grid, START, duration_s, 60.0, progress=False)
    np.testing.assert_allclose(tr["longest_below_min_s"].values, ds["revisit_max_s"].values, atol=1e-9)
    np.testing.assert_allclose(tr["share_at_least_min"].values, ds["coverage_time_fraction"].values,
                               atol=1e-12)


def test_level_two_of_doubled_satellites_is_level_one():
    """Every satellite twice: at least 2 in view exactly when at least 1 of the originals is."""
    shell = cs.Shell(700.0, 60.0, 5, 6, 1, min_elevation_deg=20.0)
    single, double = cs.Constellation("one", (shell,)), cs.Constellation("two", (shell, shell))
    grid = cs.global_grid(spacing_deg=15.0)
    n_steps, step_s = 120, 60.0
    out = []
    for source, level in ((single, 1), (double, 2)):
        finder = WindowFinder(grid, n_steps, step_s, source.min_elevation_deg_per_sat(),
                              source.max_nadir_deg_per_sat(), level=level)
        acc = cs.metrics.WindowAccumulator(len(grid), n_steps * step_s, 1.0)
        stream = cs.engine.stream_counts(source, grid, START, n_steps, step_s, threads=1, windows=finder,
                                         radius_rad=cs.engine.elevation_footprint(
                                             source.min_elevation_deg_per_sat()))
        for *_, pieces in stream:
            acc.add(*pieces)
        acc.finish()
        out.append((acc.covered_s, acc.gaps()))
    (cov1, gaps1), (cov2, gaps2) = out
    assert cov1.sum() > 0
    np.testing.assert_allclose(cov2, cov1, atol=1e-6)
    np.testing.assert_array_equal(gaps2["cell"], gaps1["cell"])
    np.testing.assert_allclose(gaps2["length_s"], gaps1["length_s"], atol=1e-6)


def test_tracking_does_not_depend_on_the_step():
    duration_s = 4 * 3600.0
    runs = [gd.tracking_metrics(SENSORS, SITES, START, duration_s, step, min_sensors=2)
            for step in (20.0, 60.0, 120.0)]
    for tr in runs[1:]:
        np.testing.assert_allclose(tr["longest_below_min_s"].values, runs[0]["longest_below_min_s"].values,
                                   atol=1.0)  # both ends within resolution / 2
        np.testing.assert_allclose(tr["share_at_least_min"].values, runs[0]["share_at_least_min"].values,
                                   atol=SHARE_TOL)


def test_level_input_errors_say_what_to_do():
    grid = cs.points([0.0], [0.0])
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match=r"level = .* whole number >= 1"):
            WindowFinder(grid, 10, 60.0, [10.0], [np.inf], level=bad)
    with pytest.raises(ValueError, match="min_sensors must be a positive integer"):
        gd.tracking_metrics(SENSORS, SITES, START, 3600.0, 60.0, min_sensors=0)
    with pytest.raises(ValueError, match="step_s = 600 s is too long"):
        gd.tracking_metrics(SENSORS, SITES, START, 7200.0, 600.0)


# ----------------------------------------------------------------------------- race snapshots

@pytest.mark.parametrize("grid", [cs.global_grid(spacing_deg=15.0),
                                  cs.points([0.0, 30.0, -45.0, 70.0], [0.0, 100.0, -60.0, 13.4],
                                            weights=[1, 2, 3, 4])])
def test_exact_snapshots_equal_exact_analyses_of_the_subsets(grid):
    c = cs.walker_delta(40, 5, 1, 550.0, 53.0, min_elevation_deg=25.0)
    order = np.random.default_rng(1).permutation(len(c))
    out = coverage_by_count(c, grid, START, 5400.0, 120.0, counts=[17, 0, 40, 5], order=order)
    assert out["exact"] and out["earth"] == "wgs84" and out["resolution_s"] == 1.0
    for i, n in enumerate(out["n_satellites"]):
        if n == 0:  # never covered: one gap of the window
            assert np.all(out["coverage_time_fraction"][i] == 0)
            assert np.all(out["revisit_max_s"][i] == 5400.0)
            continue
        ds = cs.analyze(Subset(c, order[:n]), grid, START, 5400.0, 120.0, threads=1, progress=False)
        for key in ("coverage_time_fraction", "revisit_mean_s", "revisit_max_s", "visible_mean"):
            np.testing.assert_allclose(out[key][i], ds[key].values, rtol=0, atol=1e-9, err_msg=key)


def test_exact_snapshots_do_not_depend_on_the_step():
    c = cs.walker_delta(40, 5, 1, 550.0, 53.0, min_elevation_deg=25.0)
    grid = cs.global_grid(spacing_deg=15.0)
    runs = [coverage_by_count(c, grid, START, 3 * 3600.0, step, counts=[10, 25, 40])
            for step in (20.0, 60.0, 120.0)]
    for out in runs[1:]:
        np.testing.assert_allclose(out["coverage_time_fraction"], runs[0]["coverage_time_fraction"],
                                   atol=10 / (3 * 3600.0))  # a few accesses' ends, each within 0.5 s
        np.testing.assert_allclose(out["revisit_max_s"], runs[0]["revisit_max_s"], atol=1.0)


def test_count_stream_window_lists_are_checked():
    c = cs.walker_delta(12, 3, 1, 550.0, 53.0)
    grid = cs.global_grid(spacing_deg=30.0)
    radius = cs.engine.elevation_footprint(c.min_elevation_deg_per_sat())
    finder = WindowFinder(grid, 10, 60.0, c.min_elevation_deg_per_sat()[:4], c.max_nadir_deg_per_sat()[:4])
    with pytest.raises(ValueError, match="a list of finders needs columns"):
        cs.engine.CountStream(c, grid, START, 10, 60.0, radius_rad=radius, windows=[finder])
    with pytest.raises(ValueError, match="give a list of as many finders"):
        cs.engine.CountStream(c, grid, START, 10, 60.0, radius_rad=radius, windows=finder,
                              columns=[np.arange(4), np.arange(4, 12)])
    with pytest.raises(ValueError, match=r"windows\[1\] was made for 4 satellites, but columns\[1\] holds 8"):
        cs.engine.CountStream(c, grid, START, 10, 60.0, radius_rad=radius, windows=[finder, finder],
                              columns=[np.arange(4), np.arange(4, 12)])
