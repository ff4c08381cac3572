"""The compiled (numba) counting kernels against the NumPy reference and a brute force, per backend.

Every counting test runs once per backend (``CONSTELLATIONS_KERNEL=numpy`` and ``=numba``, set with
monkeypatch). Ring-grid counts must equal the NumPy reference exactly, bit for bit, on random small
cases (sphere and WGS84, mixed elevations and nadir cones, poles, the antimeridian, boxes, NaN
satellites), and both must equal a brute force written here from vectors, away from float ties
(pairs within ``TIE_RAD`` of the visibility threshold are counted and must be rare). ``analyze``
results must agree between backends: counts exactly, float metrics to ``FLOAT_TOL``.
"""

import numpy as np
import pytest

import constellations as cs
from constellations import coverage_compiled, kernels
from constellations.constellation import Constellation, Shell
from constellations.coverage import PointKernel, RingKernel
from constellations.geometry import central_angle_rad
from constellations.sources.datafiles import data_dir
from constellations.sources.tle import Catalog

BACKENDS = ("numpy", "numba")
A_KM = 6378.137  # WGS84 semi-major axis, km (NIMA TR8350.2), written here independently
E2 = (1.0 / 298.257223563) * (2.0 - 1.0 / 298.257223563)  # WGS84 first eccentricity squared
TIE_RAD = 1e-9  # angles this close to the threshold may fall either way (float rounding)
FLOAT_TOL = 1e-9  # relative agreement of analyze's float metrics between backends


@pytest.fixture(params=BACKENDS)
def backend(request, monkeypatch):
    monkeypatch.setenv(kernels.ENV_VAR, request.param)
    return request.param


def random_states(rng, n_time, n_sat, polar=False, nan_share=0.0):
    """Geocentric latitude, longitude (rad) and radius (km) of random satellites; some at the poles."""
    lat = np.arcsin(rng.uniform(-1.0, 1.0, (n_time, n_sat)))
    if polar:
        lat[:, : n_sat // 4] = np.sign(rng.uniform(-1, 1, (n_time, n_sat // 4))) * (
            np.pi / 2 - rng.uniform(0.0, 0.02, (n_time, n_sat // 4)))
    lon = rng.uniform(-np.pi, np.pi, (n_time, n_sat))
    # next to the antimeridian (at -pi exactly, a footprint that covers a whole odd ring at t = 0 makes
    # the NumPy reference index position -1: reported as a bug of coverage.py, not tested here)
    lon[:, n_sat // 2: n_sat // 2 + 3] = np.nextafter(-np.pi, 0.0)
    radius = rng.uniform(6800.0, 7600.0, n_sat)
    if nan_share:
        radius = np.broadcast_to(radius, (n_time, n_sat)).copy()
        radius[rng.uniform(size=radius.shape) < nan_share] = np.nan
    return lat, lon, radius


def brute_sphere(grid, lat, lon, lam):
    """Counts (n_time, n_cell) of satellites within central angle ``lam`` of each cell, and near ties."""
    cl = np.radians(grid.lat_deg)
    cn = np.radians(grid.lon_deg)
    cells = np.stack([np.cos(cl) * np.cos(cn), np.cos(cl) * np.sin(cn), np.sin(cl)], axis=-1)
    sats = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)
    angle = np.arccos(np.clip(sats @ cells.T, -1.0, 1.0))  # (T, N, C)
    margin = np.broadcast_to(lam, lat.shape)[..., None] - angle
    return (margin >= 0).sum(axis=1), int((np.abs(margin) < TIE_RAD).sum())


def brute_wgs84(grid, lat, lon, radius, eps, eta=None):
    """Counts (n_time, n_cell) of satellites above ``eps`` (and inside ``eta``) of ellipsoid observers."""
    phi, lam = np.radians(grid.lat_deg), np.radians(grid.lon_deg)
    up = np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=-1)
    n_km = A_KM / np.sqrt(1.0 - E2 * np.sin(phi) ** 2)
    pos = np.stack([n_km * np.cos(phi) * np.cos(lam), n_km * np.cos(phi) * np.sin(lam),
                    n_km * (1.0 - E2) * np.sin(phi)], axis=-1)
    r = np.broadcast_to(radius, lat.shape)
    sat = np.stack([r * np.cos(lat) * np.cos(lon), r * np.cos(lat) * np.sin(lon), r * np.sin(lat)],
                   axis=-1)
    los = sat[:, :, None, :] - pos[None, None]  # (T, N, C, 3)
    dist = np.linalg.norm(los, axis=-1)
    with np.errstate(invalid="ignore"):
        margin = np.arcsin(np.clip(np.einsum("tnck,ck->tnc", los, up) / dist, -1, 1)) - eps[:, None]
        visible = margin >= 0
        ties = np.abs(margin) < TIE_RAD
        if eta is not None:  # angle at the satellite between the nadir and the observer
            nadir = np.arccos(np.clip(np.einsum("tnck,tnk->tnc", -los, -sat) / (dist * r[..., None]),
                                      -1, 1))
            cone = eta[:, None] - nadir
            visible &= cone >= 0
            ties |= np.abs(cone) < TIE_RAD
    return visible.sum(axis=1), int(ties.sum())


GRIDS = {
    "global 6 deg": lambda: cs.global_grid(spacing_deg=6.0),
    "antimeridian box": lambda: cs.box_grid(-35.0, 50.0, 160.0, -150.0, spacing_deg=3.0),
    "polar band": lambda: cs.latitude_band_grid(60.0, 90.0, spacing_deg=2.0),
    "sphere 5 deg": lambda: cs.global_grid(spacing_deg=5.0, earth="sphere"),
}


def both_backends(monkeypatch, fn):
    """fn() under the NumPy and under the compiled backend."""
    out = []
    for name in BACKENDS:
        monkeypatch.setenv(kernels.ENV_VAR, name)
        out.append(fn())
    return out


@pytest.mark.parametrize("grid_name", list(GRIDS))
@pytest.mark.parametrize("seed", [1, 2])
def test_sphere_counts_identical_and_match_brute_force(grid_name, seed, backend, monkeypatch):
    grid = GRIDS[grid_name]()
    rng = np.random.default_rng(seed)
    lat, lon, _ = random_states(rng, 5, 120, polar=seed == 2)
    lam = rng.uniform(0.05, 0.5, 120)
    lam[5:9] = -1.0  # failed states: never visible
    counts = RingKernel(grid).count(lat, lon, lam)
    monkeypatch.setenv(kernels.ENV_VAR, "numpy")
    reference = RingKernel(grid).count(lat, lon, lam)
    np.testing.assert_array_equal(counts, reference)
    brute, ties = brute_sphere(grid, lat, lon, np.where(lam < 0, -np.inf, lam))
    assert ties <= 2
    assert np.sum(counts != brute) <= ties
    assert counts.sum() > 100


@pytest.mark.parametrize("grid_name", list(GRIDS))
@pytest.mark.parametrize("cone", [False, True])
@pytest.mark.parametrize("mixed", [False, True])
def test_wgs84_counts_identical_and_match_brute_force(grid_name, cone, mixed, backend, monkeypatch):
    grid = GRIDS[grid_name]()
    rng = np.random.default_rng(7 + 2 * cone + mixed)
    n_sat = 90
    lat, lon, radius = random_states(rng, 4, n_sat, polar=True, nan_share=0.05)
    eps = np.radians(rng.choice([10.0, 25.0, 40.0], n_sat) if mixed else np.full(n_sat, 25.0))
    eta = np.radians(rng.uniform(20.0, 70.0, n_sat)) if cone else None
    counts = RingKernel(grid).count_elevation(lat, lon, radius, eps, eta, earth=grid.earth)
    monkeypatch.setenv(kernels.ENV_VAR, "numpy")
    reference = RingKernel(grid).count_elevation(lat, lon, radius, eps, eta, earth=grid.earth)
    np.testing.assert_array_equal(counts, reference)
    assert counts.sum() > 50
    if grid.earth == "wgs84":
        brute, ties = brute_wgs84(grid, lat, lon, radius, eps, eta)
        assert ties <= 2
        assert np.sum(counts != brute) <= ties


def test_mixed_elevation_blocks_follow_the_reference(monkeypatch):
    """A large mixed-elevation case: several reference time chunks and satellite blocks per call."""
    grid = cs.global_grid(spacing_deg=2.0)
    rng = np.random.default_rng(11)
    lat, lon, radius = random_states(rng, 6, 3000)
    eps = np.radians(np.where(np.arange(3000) < 1500, 25.0, rng.choice([10.0, 35.0], 3000)))
    numpy_counts, numba_counts = both_backends(
        monkeypatch, lambda: RingKernel(grid).count_elevation(lat, lon, radius, eps))
    np.testing.assert_array_equal(numba_counts, numpy_counts)


@pytest.mark.parametrize("earth", ["wgs84", "sphere"])
def test_footprints_wider_than_the_stack_scratch_are_counted_in_pieces(earth, backend, monkeypatch):
    """GEO and MEO footprints over more rings than the kernel's stack scratch holds (several pieces)."""
    grid = cs.box_grid(-80.0, 80.0, -20.0, 20.0, spacing_deg=0.25, earth=earth)
    assert len(grid.rings.lat_rad) > coverage_compiled.STACK_SLOTS
    rng = np.random.default_rng(5)
    lat = rng.uniform(-0.7, 0.7, (2, 6))
    lon = rng.uniform(-0.4, 0.4, (2, 6))
    radius = np.array([42164.0, 42164.0, 26560.0, 26560.0, 42164.0, 7000.0])
    eps = np.radians([5.0, 10.0, 0.0, 20.0, 0.0, 25.0])
    counts = RingKernel(grid).count_elevation(lat, lon, radius, eps, earth=earth)
    monkeypatch.setenv(kernels.ENV_VAR, "numpy")
    reference = RingKernel(grid).count_elevation(lat, lon, radius, eps, earth=earth)
    np.testing.assert_array_equal(counts, reference)
    if earth == "wgs84":
        brute, ties = brute_wgs84(grid, lat, lon, radius, eps)
    else:
        lam = central_angle_rad(radius - cs.geometry.EARTH_RADIUS_KM, np.degrees(eps), None)
        brute, ties = brute_sphere(grid, lat, lon, lam)
    assert ties <= 2
    assert np.sum(counts != brute) <= ties
    assert counts.max() >= 4  # the GEO footprints overlap


def test_undecided_interval_ends_are_resolved_with_numpy_arccos(monkeypatch):
    """Force the guarded rounding to give up often: the counts stay those of the reference."""
    grid = cs.global_grid(spacing_deg=4.0)
    rng = np.random.default_rng(3)
    lat, lon, radius = random_states(rng, 3, 200)
    eps = np.radians(np.full(200, 25.0))
    monkeypatch.setenv(kernels.ENV_VAR, "numpy")
    reference = RingKernel(grid).count_elevation(lat, lon, radius, eps)
    monkeypatch.setenv(kernels.ENV_VAR, "numba")
    resolved, fallbacks = [], []
    add, run = coverage_compiled._add_undecided, RingKernel._run
    monkeypatch.setattr(coverage_compiled, "_add_undecided",
                        lambda t, *a: (resolved.append(t.size), add(t, *a)))
    monkeypatch.setattr(RingKernel, "_run", lambda self, *a, backend=None, trig=None: (
        fallbacks.append(backend), run(self, *a, backend=backend, trig=trig))[1])
    for poly_err, libm_err in ((1e-3, 1e-4), (0.3, 0.3)):  # some undecided; more than fit per step
        monkeypatch.setattr(coverage_compiled, "POLY_ACOS_ERR_RAD", poly_err)
        monkeypatch.setattr(coverage_compiled, "LIBM_ACOS_ERR_RAD", libm_err)
        np.testing.assert_array_equal(RingKernel(grid).count_elevation(lat, lon, radius, eps),
                                      reference)
    assert len(resolved) == 1 and resolved[0] > 3  # the first pair: resolved with NumPy's arccos
    assert fallbacks == [None, None, "numpy"]  # the second: too many per step, the NumPy path


def test_polynomial_arccos_error_bound():
    x = np.concatenate([np.linspace(-1.0, 1.0, 2_000_001), 1.0 - np.logspace(-16, -1, 2000),
                        -1.0 + np.logspace(-16, -1, 2000)])
    poly = np.array([coverage_compiled._poly_acos(v) for v in x[::97]])
    assert np.max(np.abs(poly - np.arccos(x[::97]))) < coverage_compiled.POLY_ACOS_ERR_RAD / 4


@pytest.mark.parametrize("cone", [False, True])
def test_point_kernel_counts_match_and_brute_force(cone, backend):
    grid = cs.points([0.0, 45.0, -60.0, 89.9, -89.9, 10.0, 33.3], [0.0, 179.9, -179.9, 10.0, 0.0,
                                                                  -120.0, 60.0])
    rng = np.random.default_rng(5)
    lat, lon, radius = random_states(rng, 6, 400, polar=True, nan_share=0.05)
    eps = np.radians(np.full(400, 15.0))
    eta = np.radians(rng.uniform(30.0, 70.0, 400)) if cone else None
    counts = PointKernel(grid).count_elevation(lat, lon, radius, eps, eta)
    brute, ties = brute_wgs84(grid, lat, lon, radius, eps, eta)
    assert ties == 0
    np.testing.assert_array_equal(counts, brute)
    lam = central_angle_rad(550.0, np.full(400, 25.0))
    sphere = PointKernel(grid).count(lat, lon, lam)
    brute, ties = brute_sphere(grid, lat, lon, lam)
    assert ties == 0
    np.testing.assert_array_equal(sphere, brute)
    assert counts.sum() > 20 and sphere.sum() > 20


def mixed_constellation():
    return Constellation("two shells", (Shell(550.0, 53.0, 8, 6, 1, name="a"),
                                        Shell(1100.0, 87.0, 6, 5, 2, name="b", min_elevation_deg=35.0,
                                              max_nadir_deg=50.0)), min_elevation_deg=25.0)


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("grid", [lambda: cs.global_grid(spacing_deg=8.0),
                                  lambda: cs.points([0.0, 50.0, -33.9], [0.0, 8.0, 151.2])])
def test_analyze_agrees_between_backends(exact, grid, monkeypatch):
    g = grid()
    run = lambda: cs.analyze(mixed_constellation(), g, "2025-07-01T00:00:00Z", 3 * 3600.0, 60.0,  # noqa: E731
                             threads=2, progress=False, exact=exact, keep_counts=True)
    numpy_ds, numba_ds = both_backends(monkeypatch, run)
    assert set(numpy_ds.data_vars) == set(numba_ds.data_vars)
    np.testing.assert_array_equal(numba_ds["visible_count"].values, numpy_ds["visible_count"].values)
    assert numpy_ds["visible_count"].values.sum() > 0
    for name, var in numpy_ds.data_vars.items():
        other = numba_ds[name].values
        if np.issubdtype(var.dtype, np.integer):
            np.testing.assert_array_equal(other, var.values, err_msg=name)
        elif np.issubdtype(var.dtype, np.floating):
            np.testing.assert_allclose(other, var.values, rtol=FLOAT_TOL, atol=0, err_msg=name)


def test_threads_and_main_thread_give_the_same_counts(monkeypatch):
    """The parallel (main thread) and serial nogil (worker threads) compiled versions agree."""
    monkeypatch.setenv(kernels.ENV_VAR, "numba")
    c = mixed_constellation()
    g = cs.global_grid(spacing_deg=6.0)
    one, two = (cs.analyze(c, g, "2025-07-01T00:00:00Z", 7200.0, 60.0, threads=n, progress=False,
                           exact=False, keep_counts=True) for n in (1, 2))
    np.testing.assert_array_equal(one["visible_count"].values, two["visible_count"].values)


def test_backend_selection(monkeypatch):
    monkeypatch.delenv(kernels.ENV_VAR, raising=False)
    assert kernels.backend() == "numba"  # installed here: auto picks it
    monkeypatch.setenv(kernels.ENV_VAR, " NumPy ")
    assert kernels.backend() == "numpy"
    monkeypatch.setenv(kernels.ENV_VAR, "numbaa")
    with pytest.raises(ValueError, match="CONSTELLATIONS_KERNEL = 'numbaa': allowed auto, numpy, "
                                         "numba; did you mean 'numba'"):
        kernels.backend()


def test_without_numba_auto_falls_back_and_numba_says_how_to_install(monkeypatch):
    monkeypatch.setattr(kernels, "numba_available", lambda: False)
    monkeypatch.setenv(kernels.ENV_VAR, "auto")
    assert kernels.backend() == "numpy"
    grid = cs.global_grid(spacing_deg=10.0)
    counts = RingKernel(grid).count(np.zeros((1, 1)), np.zeros((1, 1)), np.full((1, 1), 0.2))
    assert counts.sum() > 0
    monkeypatch.setenv(kernels.ENV_VAR, "numba")
    with pytest.raises(ValueError, match=r"numba is not installed; install it with pip install "
                                         r"'constellations\[fast\]'"):
        RingKernel(grid).count(np.zeros((1, 1)), np.zeros((1, 1)), np.full((1, 1), 0.2))


@pytest.mark.parametrize("source", ["dense walker", "sgp4 catalog"])
def test_exact_windows_agree_between_backends_on_dense_and_sgp4_sources(source, monkeypatch):
    """The fused compiled pair search (subset test, bucket grid, deepest-first refinement, the outer
    count) finds the same windows as the NumPy candidate enumeration: a dense Walker (about 70 in
    view, so the first test runs on a subset, footprints reaching both poles and the antimeridian)
    and an SGP4 catalog (footprints measured per step)."""
    if source == "dense walker":
        src = cs.walker_delta(900, 30, 7, 1200.0, 80.0, min_elevation_deg=0.0)
        duration_s = 1800.0
    else:
        full = Catalog.from_tle(data_dir() / "tle" / "starlink_20250727.tle")
        src = full.select(np.arange(len(full)) % 25 == 0, reason="every 25th, for test speed")
        duration_s = 3600.0
    grid = cs.global_grid(spacing_deg=9.0)
    run = lambda: cs.analyze(src, grid, "2025-07-27T06:00:00Z", duration_s, 60.0,  # noqa: E731
                             threads=1, progress=False, exact=True)
    numpy_ds, numba_ds = both_backends(monkeypatch, run)
    assert 0.0 < float(numpy_ds["coverage_time_fraction"].min()) or source == "sgp4 catalog"
    for name in ("coverage_time_fraction", "access_count", "gap_count", "revisit_max_s",
                 "mean_response_time_s", "first_access_s"):
        np.testing.assert_allclose(numba_ds[name].values, numpy_ds[name].values, rtol=FLOAT_TOL,
                                   atol=1e-6, err_msg=name)
