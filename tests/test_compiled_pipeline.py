"""The compiled sampled pipeline (issue 14) against the NumPy reference: propagation, accumulation, analyze.

On the numba backend the J2 sub-satellite points come from :mod:`constellations.propagation_compiled`
(no transcendentals in the loop), their sines and cosines of latitude go straight to the ring kernel,
and :meth:`CoverageAccumulator.add` runs in :mod:`constellations.metrics_compiled`. Propagation is held
to ``ANGLE_TOL_RAD`` against the NumPy formulas and against an independent path (Cartesian positions,
then ``arcsin(z / r)`` and ``arctan2(y, x)``); the accumulator must give the same integers and gaps as
the NumPy one; ``analyze`` must give identical counts and float metrics equal to ``FLOAT_TOL`` on both
backends for Walker (J2) and SGP4 (shipped TLEs) sources, ring grids and point lists, several n-fold
levels and both edge conventions.
"""

import threading

import numpy as np
import pytest

import constellations as cs
from constellations import kernels, propagation_compiled
from constellations.constellation import Constellation, Shell
from constellations.metrics import CoverageAccumulator
from constellations.sources.tle import Catalog

ANGLE_TOL_RAD = 1e-12  # compiled vs NumPy sub-satellite angles (about 6 micrometres on the ground)
FLOAT_TOL = 1e-9  # relative agreement of analyze's float metrics between backends
START = "2025-07-01T00:00:00Z"


def in_worker_thread(fn):
    """fn() on a non-main thread (where the compiled code runs its serial nogil versions)."""
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("value", fn()))
    thread.start()
    thread.join()
    return out["value"]


def wrapped_difference(a, b):
    """|a - b| of angles, modulo 2 pi."""
    return np.abs(np.angle(np.exp(1j * (a - b))))


def two_shells():
    return Constellation("two shells", (Shell(550.0, 53.0, 8, 6, 1, name="a"),
                                        Shell(1100.0, 97.6, 6, 5, 2, name="b", min_elevation_deg=35.0)),
                         min_elevation_deg=25.0)


@pytest.mark.parametrize("times", ["uniform, past two anchors", "uneven", "single"])
@pytest.mark.parametrize("thread", ["main", "worker"])
def test_compiled_j2_subsatellite_equals_numpy_and_cartesian(times, thread, monkeypatch):
    t_s = {"uniform, past two anchors": 3600.0 + 30.0 * np.arange(3 * propagation_compiled.ANCHOR_STEPS
                                                                   + 5),
           "uneven": np.array([0.0, 0.5, 7.0, 7.25, 600.0, 86400.0, 86460.0, 86461.0]),
           "single": np.array([12345.6])}[times]
    c = cs.walker_delta(3000, 60, 7, 550.0, 53.0)  # large enough for the parallel version
    prop = c.propagator(START)
    monkeypatch.setenv(kernels.ENV_VAR, "numpy")
    lat0, lon0, radius0 = prop.subsatellite(t_s)
    xyz = prop.positions_ecef_km(t_s)
    direction = xyz / np.linalg.norm(xyz, axis=-1, keepdims=True)
    np.testing.assert_allclose(prop.subsatellite_trig(t_s, unit=True)[4], direction, rtol=0,
                               atol=ANGLE_TOL_RAD)  # the NumPy reference's unit vectors
    monkeypatch.setenv(kernels.ENV_VAR, "numba")
    run = (lambda f: f()) if thread == "main" else in_worker_thread
    lat, lon, sin_lat, cos_lat = run(lambda: prop.subsatellite_trig(t_s))
    lat1, lon1, radius1 = run(lambda: prop.subsatellite(t_s))
    np.testing.assert_array_equal(lat1, lat)
    np.testing.assert_array_equal(lon1, lon)
    np.testing.assert_array_equal(radius1, radius0)
    assert lat.shape == lon.shape == (t_s.size, len(c))
    assert np.max(np.abs(lat - lat0)) < ANGLE_TOL_RAD
    assert np.max(wrapped_difference(lon, lon0)) < ANGLE_TOL_RAD
    assert np.all((lon >= -np.pi) & (lon < np.pi))
    lat_xyz = np.arcsin(xyz[..., 2] / np.linalg.norm(xyz, axis=-1))
    lon_xyz = np.arctan2(xyz[..., 1], xyz[..., 0])
    assert np.max(np.abs(lat - lat_xyz)) < ANGLE_TOL_RAD
    assert np.max(wrapped_difference(lon, lon_xyz)) < ANGLE_TOL_RAD
    np.testing.assert_allclose(sin_lat, np.sin(lat0), rtol=0, atol=ANGLE_TOL_RAD)
    np.testing.assert_allclose(cos_lat, np.cos(lat0), rtol=0, atol=ANGLE_TOL_RAD)
    *same, unit = run(lambda: prop.subsatellite_trig(t_s, unit=True))  # + the unit vectors
    for a, b in zip(same, (lat, lon, sin_lat, cos_lat), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(unit, direction, rtol=0, atol=ANGLE_TOL_RAD)


def test_compiled_atan2_against_numpy():
    rng = np.random.default_rng(2)
    y = np.concatenate([rng.normal(size=3000), [0.0, -0.0, 1.0, -1.0, 1e-300, 5.0, -3.0, 0.0]])
    x = np.concatenate([rng.normal(size=3000), [1.0, 1.0, 0.0, 0.0, -1.0, 5.0, -3.0, -2.0]])
    y[:300] *= 1e-8  # near the axes
    x[300:600] *= 1e-8
    got = np.array([propagation_compiled.atan2(a, b) for a, b in zip(y, x, strict=True)])
    np.testing.assert_allclose(got, np.arctan2(y, x), rtol=0, atol=1e-15)
    assert np.array_equal(np.signbit(got), np.signbit(np.arctan2(y, x)))


def accumulate(chunks, weight, n_steps, nfold, keep_counts=False):
    acc = CoverageAccumulator(weight, n_steps, nfold=nfold, keep_counts=keep_counts)
    for chunk in chunks:
        acc.add(chunk)
    return acc


@pytest.mark.parametrize("seed", range(6))
def test_compiled_accumulator_equals_numpy(seed, monkeypatch):
    """Random counts in random chunks (some of one step): every total, the gap list in its order."""
    rng = np.random.default_rng(seed)
    n_steps, n_cell = int(rng.integers(1, 80)), int(rng.integers(1, 50))
    share = rng.uniform(0.05, 0.95)  # from mostly gaps to mostly covered
    counts = ((rng.uniform(size=(n_steps, n_cell)) < share)
              * rng.integers(1, 7, (n_steps, n_cell))).astype(np.int32)
    counts[:, 0] = 0  # a cell never covered
    if n_cell > 1:
        counts[:, 1] = 3  # and one always covered
    cuts = np.sort(rng.choice(np.arange(1, n_steps), size=min(n_steps - 1, 4), replace=False)
                   ) if n_steps > 1 else []
    chunks = np.split(counts, cuts)
    weight = rng.uniform(0.5, 2.0, n_cell)
    nfold = (1, 2, 4, 6)
    out = []
    for name in ("numpy", "numba"):
        monkeypatch.setenv(kernels.ENV_VAR, name)
        out.append(accumulate(chunks, weight, n_steps, nfold, keep_counts=True))
    ref, acc = out
    for key in ("count_sum", "count_min", "count_max", "covered_steps", "nfold_steps", "first_covered",
                "access_count", "_state", "_run_start", "counts"):
        np.testing.assert_array_equal(getattr(acc, key), getattr(ref, key), err_msg=key)
    for key in ("coverage_fraction", "visible_mean_weighted"):
        np.testing.assert_allclose(getattr(acc, key), getattr(ref, key), rtol=1e-13, atol=1e-15)
    for key, value in ref.gaps().items():
        np.testing.assert_array_equal(acc.gaps()[key], value, err_msg=key)
    np.testing.assert_allclose(acc.accumulated_coverage_fraction(),
                               ref.accumulated_coverage_fraction(), rtol=1e-13)
    # a brute force of the gaps, written here: runs of zeros per cell, edge if they touch an end
    brute = []
    for cell in range(n_cell):
        covered = np.concatenate([[True], counts[:, cell] > 0, [True]])
        edges = np.flatnonzero(np.diff(covered.astype(int)))
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            brute.append((cell, b - a, a == 0 or b == n_steps))
    gaps = acc.gaps()
    listed = zip(gaps["cell"].tolist(), gaps["length_steps"].tolist(), gaps["edge"].tolist(), strict=True)
    assert sorted(listed) == sorted(brute)


def test_nfold_level_zero_counts_covered_steps_as_numpy_does(monkeypatch):
    counts = np.array([[0, 2], [1, 0], [3, 1]], dtype=np.int32)
    out = []
    for name in ("numpy", "numba"):
        monkeypatch.setenv(kernels.ENV_VAR, name)
        out.append(accumulate([counts], np.ones(2), 3, (0, 1, 3)).nfold_steps)
    np.testing.assert_array_equal(out[1], out[0])
    np.testing.assert_array_equal(out[1], [[2, 2], [2, 2], [1, 0]])


def kuiper_catalog():
    return Catalog.from_tle("tle/kuiper_20251003_from_active.tle")


SOURCES = {"walker J2": (two_shells, START), "kuiper TLE, SGP4": (kuiper_catalog, "2025-10-03T00:00:00Z")}
GRIDS = {"rings": lambda: cs.global_grid(spacing_deg=6.0),
         "points": lambda: cs.points([0.0, 50.0, -33.9, 89.0], [0.0, 8.0, 151.2, -120.0])}


@pytest.mark.parametrize("source", list(SOURCES))
@pytest.mark.parametrize("grid", list(GRIDS))
@pytest.mark.parametrize("boundary", ["optimistic", "interior"])
def test_sampled_analyze_agrees_between_backends(source, grid, boundary, monkeypatch):
    make, start = SOURCES[source]
    src, g = make(), GRIDS[grid]()
    out = []
    for name in ("numpy", "numba"):
        monkeypatch.setenv(kernels.ENV_VAR, name)
        out.append(cs.analyze(src, g, start, 4 * 3600.0, 60.0, boundary=boundary, nfold=(1, 2, 3),
                              threads=2, progress=False, exact=False, keep_counts=True))
    ref, ds = out
    assert set(ds.data_vars) == set(ref.data_vars)
    np.testing.assert_array_equal(ds["visible_count"].values, ref["visible_count"].values)
    assert 0 < ref["visible_count"].values.mean()
    for name, var in ref.data_vars.items():
        if np.issubdtype(var.dtype, np.integer) or var.dtype == bool:
            np.testing.assert_array_equal(ds[name].values, var.values, err_msg=name)
        elif np.issubdtype(var.dtype, np.floating):
            np.testing.assert_allclose(ds[name].values, var.values, rtol=FLOAT_TOL, atol=0, err_msg=name)


def test_fused_path_serial_and_parallel_agree(monkeypatch):
    """threads=1 (parallel compiled code on the main thread) and threads=2 (serial, on workers)."""
    monkeypatch.setenv(kernels.ENV_VAR, "numba")
    c = cs.walker_delta(2400, 48, 5, 560.0, 70.0)
    g = cs.global_grid(spacing_deg=5.0)
    one, two = (cs.analyze(c, g, START, 3600.0, 60.0, threads=n, progress=False, exact=False,
                           keep_counts=True) for n in (1, 2))
    np.testing.assert_array_equal(one["visible_count"].values, two["visible_count"].values)
    for name in ("coverage_fraction", "revisit_max_s", "nfold_time_fraction"):
        np.testing.assert_array_equal(one[name].values, two[name].values, err_msg=name)


@pytest.mark.parametrize("row", ["int16", "int32"])
def test_ring_rows_in_int16_and_int32_count_the_same(row, monkeypatch):
    """Row buffers are int16 up to ROW_INT16_MAX_SAT satellites, int32 beyond: same counts as NumPy."""
    from constellations import coverage_compiled
    from constellations.coverage import RingKernel

    if row == "int32":
        monkeypatch.setattr(coverage_compiled, "ROW_INT16_MAX_SAT", 0)
    grid = cs.global_grid(spacing_deg=4.0)
    rng = np.random.default_rng(21)
    lat = np.arcsin(rng.uniform(-1.0, 1.0, (3, 5000)))
    lon = rng.uniform(-np.pi, np.pi, (3, 5000))
    lam = np.radians(rng.uniform(5.0, 25.0, 5000))
    monkeypatch.setenv(kernels.ENV_VAR, "numpy")
    reference = RingKernel(grid).count(lat, lon, lam)
    monkeypatch.setenv(kernels.ENV_VAR, "numba")
    np.testing.assert_array_equal(RingKernel(grid).count(lat, lon, lam), reference)
    assert reference.max() > 100  # many satellites over one cell: the rows hold large sums
