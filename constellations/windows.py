"""Exact access windows: when each cell is in view of at least one (or ``level``) satellites, continuously.

The sampled engine knows a cell's state only at the steps ``t_k = k step_s``. This module finds the
covered time intervals of every cell to within ``resolution_s`` whatever the step, so that revisit and
access statistics stop depending on the step. Cost scales with the number of footprint-edge crossings,
not with cells x steps.

Algorithm, per classification interval ``I_k = [t_k - step/2, t_k + step/2]`` (clipped to ``[0, T]``,
``k = 0 .. n_steps``, centred on the step samples the sampled counting propagates anyway):

1. **Motion bound.** Within ``I_k`` no sub-satellite point moves farther than ``delta`` (an Earth central
   angle) from its position at ``t_k``. Circular orbits: ``delta = (n + omega_E) step/2 x 1.1`` with
   ``n = sqrt(mu / r^3)``; the ground track's angular rate is at most the orbit's inertial rate plus
   the Earth's rotation, and the factor 1.1 covers the J2 rates (the argument-of-latitude rate exceeds
   ``n`` by at most ``4.5 J2 (R/a)^2``, about 0.5 %, the nodal rate is below 1e-6 rad/s). Other
   propagators (SGP4): ``delta = 1.25 x max`` over the chunk of the angle between consecutive samples
   ``/ 2`` (a chord between samples underestimates the arc by less than 0.1 % at LEO rates; 1.25
   covers the rate changing along an eccentric orbit), plus ``1.25 x`` the largest change of the
   footprint radius between consecutive samples.
2. **Earth-model margin** ``m``. On the sphere ``m`` is 1e-6 rad (interpolation and rounding). On
   WGS84 the visible region of a satellite (geodetic observers, geodetic horizon) lies between the
   spherical caps of radius ``lambda -+ m`` about the sub-satellite point, in the coordinates the
   spherical kernel uses (the cell's geodetic latitude taken as a sphere latitude). ``m`` is computed
   per (radius, elevation, cone) at set-up by bisecting the WGS84 edge along 72 azimuths from a
   observer every 0.5 deg of latitude (:func:`wgs84_margin_rad`: 0.29 deg at 35 deg elevation and
   630 km, 0.44-0.51 deg at 10 deg and 350-500 km; more than the 0.19 deg vertical deflection because
   polar observers sit up to 21 km below the sphere), times 1.2, plus 0.005 deg.
3. **Classification** with the spherical ring/point kernel at ``t_k``: a cell with a satellite within
   ``lambda - delta - m`` is covered during all of ``I_k``; a cell with none within
   ``lambda + delta + m`` is uncovered during all of it. For dense constellations the first test runs
   on a subset of the satellites (every ``stride``-th, so that about 12 are expected in view): a
   subset hit is still a proof; misses are settled per (cell, interval) with all satellites.
4. **Candidates.** For the remaining (cell, interval) pairs, the satellites within
   ``lambda + delta + m`` of the cell at ``t_k``: enumerated from each satellite's ring intervals
   (ring grids, when many pairs remain) or by a latitude window over the satellites sorted by
   latitude (few pairs, point lists). No loop over cells, satellites or steps.
5. **Refinement** of each (cell, satellite, interval) triple on the node intervals of ``I_k``. Nodes
   are the steps, plus ``q - 1`` points between steps when ``step_s > 60 s`` (``q = ceil(step_s /
   60 s)``), so that nodes are at most 60 s apart. Earth-fixed positions between nodes are cubic
   Lagrange interpolants of the nodes ``j - 1 .. j + 2``; for LEO the error is
   ``<= (9/16)/24 (n + omega_E)^4 r h^4``, 3.5-5 m at ``h = 60 s`` (at 180 s it would be 280 m and
   shift grazing passes by seconds, hence the extra nodes). The criterion is the exact one, from
   vectors:
   ``(s - p) . n >= sin(eps) |s - p|`` (elevation; ``p``, ``n`` the observer and its vertical on WGS84
   or the sphere) and ``s . (s - p) >= cos(eta) |s| |s - p|`` (nadir cone), with the scalars
   ``(s - p) . n``, ``|s - p|^2``, ``s . (s - p)``, ``|s|^2`` interpolated as cubics. Within a node
   interval (<= 60 s) the elevation of one satellite seen from a fixed cell has at most one maximum, so
   a segment whose ends are both in view is in view throughout, one with a change of state holds one
   crossing, and one whose ends are both out of view is out of view throughout unless its maximum is;
   the latter is
   excluded by bounding each cubic on the half step (exact extremes) or, failing that, found by
   golden-section search to ``resolution_s / 2``. Each crossing is bracketed (regula falsi with probes
   ``+- resolution/8``, bisection fallback) until the bracket is at most ``resolution_s / 2`` wide;
   the linear interpolation inside it is reported, within ``resolution_s / 2`` of the crossing
   (usually within milliseconds).
   With numba installed (the ``CONSTELLATIONS_KERNEL`` backend of :mod:`constellations.kernels`)
   steps 4 and 5 run compiled and fused, pair by pair
   (:func:`constellations.windows_compiled.pair_pieces`): when many pairs are undecided, a count with
   ``lambda + delta + m`` first settles those outside every grown footprint; the candidates of each
   remaining pair come from a latitude x longitude bucket grid of the satellites (counting sort per
   step); one within ``lambda - delta - m`` settles the pair, else the candidates are refined deepest
   first, and one in view throughout the interval settles it without the others. Refinement is the
   same algorithm per triple; the NumPy code here is the reference and the fallback, and both pass
   the same brute-force tests (the pieces differ only in how they are split, not in their union).
6. **Union.** Covered pieces of every cell (whole intervals from step 3, refined pieces from step 5)
   are merged over satellites and time by :class:`constellations.metrics.WindowAccumulator`.

**Level k** (``level > 1``: at least k satellites in view at once, e.g. stereo tracking; the
candidate search and the sweep are NumPy, :meth:`WindowFinder._level_pieces`): step 3 counts all the
satellites (no subset) and an interval is covered throughout when at least k are within ``lambda -
delta - m``; a (cell, interval) pair with fewer than k candidates within ``lambda + delta + m`` is
uncovered throughout. For the other pairs every candidate within ``lambda - delta - m`` is in view
throughout the interval and the others are refined as in step 5; a sweep over each pair's in-view
pieces (+1 at a start, -1 at an end, sorted by time, running sum) keeps the runs where at least k
are in view, and step 6 merges them. The guarantee below holds for the k-fold windows (each end is a
crossing of one satellite, located as in step 5).

Guarantee: every access and every gap longer than ``resolution_s`` is found and its ends are located
to within ``resolution_s / 2`` (given the propagator's positions and the interpolation bound above);
shorter gaps are merged and shorter accesses dropped. Assumptions: one elevation maximum per 60 s
and satellite, and minimum elevations >= 0. :func:`check_exact_step` caps ``step_s`` at 300 s: beyond,
the motion bound exceeds LEO footprints and nearly every (cell, step) pair would be refined.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np

from . import kernels
from .coverage import PointKernel, RingKernel
from .earth import check_earth, observer_ecef_km, up_unit
from .frames import EARTH_ROTATION_RAD_S
from .geometry import EARTH_RADIUS_KM, MU_KM3_S2, central_angle_rad
from .grid import Grid

__all__ = ["MAX_EXACT_STEP_S", "WindowFinder", "check_exact_step", "check_level", "wgs84_margin_rad"]

MAX_EXACT_STEP_S = 300.0  # s: longest step for exact windows (cost, not correctness: see above)
CIRCULAR_SAFETY = 1.1  # motion bound factor for circular J2 orbits (J2 rates are < 0.5 % faster)
MEASURED_SAFETY = 1.25  # motion bound factor when the rate is measured from samples (SGP4)
MARGIN_SAFETY = 1.2  # factor on the numerically computed WGS84-vs-sphere margin
MARGIN_EXTRA_RAD = np.radians(0.005)  # added to the WGS84 margin
# the WGS84 margin is tabulated on orbit radii this far apart; a satellite takes the larger value of the two
# nodes around its radius (the margin changes by ~1e-4 deg per 10 km, far inside MARGIN_SAFETY)
MARGIN_RADIUS_STEP_KM = 10.0
SPHERE_MARGIN_RAD = 1e-6  # rad (6 m): interpolation and rounding on the sphere
SUBSET_IN_VIEW = 12.0  # expected satellites in view of the subset used for the first test
MAX_NODE_SPACING_S = 60.0  # s: interpolation nodes at most this far apart (3.5 m at LEO)
PAIRS_PER_BATCH = 1_000_000  # candidate (pair, satellite) rows per batch: bounds memory
REFINE_BATCH = 200_000  # (cell, satellite, step) triples refined together: about 100 MB of work arrays
CANDIDATES_PER_BLOCK = 4_000_000  # (row, cell, satellite) triples enumerated at once by the NumPy search
OUTER_TEST_SHARE = 0.02  # compiled path: above this share of undecided pairs, test lam_out by a count
RING_VISIT_NS = 3.0  # compiled path, measured: cost of one (satellite, footprint cell) visit, ns
PAIR_SEARCH_NS = 150.0  # ... and of one pair's bucket search besides its visits, ns
BAND_RAD = np.radians(1.0)  # latitude bands of a point list for the candidate search


def check_exact_step(step_s: float) -> None:
    """Raise a ValueError when ``step_s`` is too long for exact windows (:data:`MAX_EXACT_STEP_S`)."""
    if step_s > MAX_EXACT_STEP_S:
        raise ValueError(f"step_s = {step_s:g} s is too long for exact access windows (at most "
                         f"{MAX_EXACT_STEP_S:g} s: beyond, nearly every cell and step would need "
                         "refinement); use a shorter step (60 s is usual) or exact=False")


def check_level(level) -> int:
    """Return ``level`` as an int if it is a whole number >= 1, else raise a ValueError saying so."""
    if isinstance(level, bool) or not isinstance(level, int | np.integer) or level < 1:
        raise ValueError(f"level = {level!r}: the coverage level must be a whole number >= 1 (satellites "
                         "in view at once: 1 for coverage, 2 for stereo tracking)")
    return int(level)


@lru_cache(maxsize=4096)
def _margin_cached(radius_km: float, eps_rad: float, eta_rad: float) -> float:
    lam = float(central_angle_rad(radius_km - EARTH_RADIUS_KM, np.degrees(eps_rad),
                                  None if not eta_rad < np.pi / 2 else np.degrees(eta_rad)))
    if not np.isfinite(lam) or lam <= 0:
        return 0.0
    phi = np.radians(np.arange(0.0, 90.01, 0.5))[:, None]  # the ellipsoid is symmetric about the equator
    az = np.radians(np.arange(0.0, 180.01, 5.0))[None, :]  # ... and about the meridian
    phi, az = np.broadcast_arrays(phi, az)
    phi, az = phi.ravel(), az.ravel()
    u_c = np.stack([np.cos(phi), np.zeros_like(phi), np.sin(phi)], axis=-1)  # kernel's point and normal
    north = np.stack([-np.sin(phi), np.zeros_like(phi), np.cos(phi)], axis=-1)
    east = np.array([0.0, 1.0, 0.0])
    tangent = np.cos(az)[:, None] * north + np.sin(az)[:, None] * east
    p = observer_ecef_km(np.degrees(phi), 0.0, "wgs84")
    sin_eps, cos_eta = np.sin(eps_rad), np.cos(min(eta_rad, np.pi))

    def visible(d):
        s = radius_km * (np.cos(d)[:, None] * u_c + np.sin(d)[:, None] * tangent)
        v = s - p
        rng = np.sqrt(np.sum(v * v, axis=-1))
        ok = np.sum(v * u_c, axis=-1) >= sin_eps * rng
        return ok & (np.sum(s * v, axis=-1) >= cos_eta * radius_km * rng)

    lo = np.full(phi.size, max(0.0, lam - np.radians(3.0)))
    hi = np.full(phi.size, lam + np.radians(3.0))
    if not visible(lo).all() or visible(hi).any():
        raise RuntimeError("WGS84 margin search bracket too small")  # pragma: no cover
    for _ in range(34):  # 6 deg / 2^34: below a metre
        mid = 0.5 * (lo + hi)
        vis = visible(mid)
        lo = np.where(vis, mid, lo)
        hi = np.where(vis, hi, mid)
    return float(np.max(np.abs(0.5 * (lo + hi) - lam)))


def wgs84_margin_rad(radius_km, min_elevation_rad, max_nadir_rad=None) -> np.ndarray:
    """Bound ``m`` on how far the WGS84 visible region departs from the spherical footprint cap.

    For a satellite at distance ``radius_km`` from the Earth's centre, every geodetic observer (height 0)
    that sees it at or above ``min_elevation_rad`` (inside the nadir cone) lies within
    ``lambda + m`` of the sub-satellite point, and every one within ``lambda - m`` sees it, where
    ``lambda`` is the spherical footprint radius :func:`constellations.geometry.central_angle_rad` and
    distances are measured as the spherical kernels do (the observer's geodetic latitude used as a
    latitude on the sphere). Computed by bisection of the edge on rays every 5 deg of azimuth (0-180,
    the region is symmetric about the meridian) from observers every 0.5 deg of latitude (0-90, and
    symmetric about the equator), times :data:`MARGIN_SAFETY`, plus :data:`MARGIN_EXTRA_RAD`. The
    bound is tabulated on radii :data:`MARGIN_RADIUS_STEP_KM` apart (the larger of the two nodes around
    a satellite's radius), so SGP4 catalogs with thousands of distinct radii cost a few evaluations.

    Parameters
    ----------
    radius_km, min_elevation_rad : array_like, shape (n_sat,)
    max_nadir_rad : array_like, shape (n_sat,), optional
        ``inf``: no sensor limit.

    Returns
    -------
    ndarray, shape (n_sat,)
        Radians.

    Examples
    --------
    >>> import numpy as np
    >>> m = wgs84_margin_rad([6378.137 + 630.0], np.radians([35.0]))
    >>> 0.1 < float(np.degrees(m[0])) < 0.4
    True
    """
    r = np.atleast_1d(np.asarray(radius_km, dtype=float))
    eps = np.broadcast_to(np.asarray(min_elevation_rad, dtype=float), r.shape)
    eta = np.broadcast_to(np.inf if max_nadir_rad is None else np.asarray(max_nadir_rad, dtype=float),
                          r.shape)
    finite = np.isfinite(r)
    node = np.floor(np.where(finite, r, 0.0) / MARGIN_RADIUS_STEP_KM)
    eta_key = np.where(eta < np.pi / 2, np.round(eta, 9), np.inf)
    best = np.zeros(r.shape)
    for shift in (0.0, 1.0):  # the tabulated radii below and above each satellite's
        keys = np.stack([node + shift, np.round(eps, 9), eta_key], axis=-1)
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        values = np.array([_margin_cached(float(a) * MARGIN_RADIUS_STEP_KM, float(b), float(c))
                           for a, b, c in uniq])  # a few distinct (radius, elevation, cone) nodes
        best = np.maximum(best, values[inverse.ravel()].reshape(r.shape))
    return np.where(finite, best, 0.0) * MARGIN_SAFETY + MARGIN_EXTRA_RAD


def _unit(lat, lon, trig=None):
    """Unit vectors (..., 3) of the points ``lat, lon``; ``trig``: their ``(sin_lat, cos_lat)``.

    Compiled on the numba backend (one pass, 2.7x NumPy's five on 16,000 satellites), NumPy otherwise.
    """
    if kernels.backend() == "numba":
        sin_lat, cos_lat = (np.sin(lat), np.cos(lat)) if trig is None else trig
        return _compiled().unit_vectors(*(np.ascontiguousarray(x, dtype=float)
                                          for x in (lon, sin_lat, cos_lat)))
    cl = np.cos(lat)
    return np.stack([cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)], axis=-1)


def _rows(values):
    """The first row of a (n, n_sat) array broadcast from one row, as shape (1, n_sat); else itself."""
    return values[:1] if values.shape[0] > 1 and values.strides[0] == 0 else values


def _expand(counts):
    """For ``counts`` (n,), the owner index and the rank within the owner of each expanded row."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(counts.size), counts)
    first = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - first[owner]


def _band_search(values, start, count, x, side):
    """``searchsorted(values[start:start + count], x)`` for many (start, count, x) at once."""
    lo = np.zeros(start.size, dtype=np.int64)
    hi = count.astype(np.int64).copy()
    while True:  # vectorised bisection over the rows: log2(longest band) rounds
        active = lo < hi
        if not active.any():
            return lo
        mid = (lo + hi) // 2
        v = values[np.minimum(start + mid, values.size - 1)]
        go_right = (v < x) if side == "left" else (v <= x)
        lo = np.where(active & go_right, mid + 1, lo)
        hi = np.where(active & ~go_right, mid, hi)


def _cubic(f_m1, f_0, f_1, f_2):
    """Coefficients ``(c0, c1, c2, c3)`` of the cubic through values at ``u = -1, 0, 1, 2``."""
    c1 = -f_m1 / 3.0 - f_0 / 2.0 + f_1 - f_2 / 6.0
    c2 = (f_m1 + f_1) / 2.0 - f_0
    c3 = (f_2 - f_m1) / 6.0 + (f_0 - f_1) / 2.0
    return f_0, c1, c2, c3


def _poly(c, u):
    return c[0] + u * (c[1] + u * (c[2] + u * c[3]))


def _extreme(c, u0, u1, largest: bool):
    """Exact maximum (or minimum) of the cubics ``c`` on ``[u0, u1]`` and where it is attained."""
    best_u = u0.copy()
    best = _poly(c, u0)
    sign = 1.0 if largest else -1.0
    cand = [u1]
    with np.errstate(invalid="ignore", divide="ignore"):
        disc = c[2] * c[2] - 3.0 * c[1] * c[3]
        root = np.sqrt(np.maximum(disc, 0.0))
        qq = -(c[2] + np.where(c[2] >= 0, root, -root))
        cand += [np.where(disc >= 0, qq / (3.0 * c[3]), np.nan), np.where(disc >= 0, c[1] / qq, np.nan)]
    for u in cand:
        inside = (u >= u0) & (u <= u1)
        u = np.where(inside, u, u0)
        v = _poly(c, u)
        better = inside & (sign * v > sign * best)
        best = np.where(better, v, best)
        best_u = np.where(better, u, best_u)
    return best, best_u


class WindowFinder:
    """Covered pieces of every cell within time chunks, to ``resolution_s`` (module docstring).

    Parameters
    ----------
    grid : Grid
    n_steps : int
        Steps of the analysis; the windows cover ``[0, T]``, ``T = n_steps step_s``.
    step_s : float
    min_elevation_deg, max_nadir_deg : ndarray, shape (n_sat,)
        Per-satellite minimum elevation (>= 0) and sensor half-angle (``inf``: none).
    earth : {"wgs84", "sphere"}
    resolution_s : float
    fixed_radius_km : ndarray, shape (n_sat,), optional
        Orbit radii when the propagator's footprints are fixed (circular orbits); by default taken
        from the first chunk when its radii have shape (n_sat,) (the propagator protocol's sign of
        fixed footprints), else the motion is measured per chunk.
    kernel : RingKernel or PointKernel, optional
        The spherical kernel of ``grid`` (built when not given).
    level : int
        Coverage level: a cell is covered while at least ``level`` satellites are in view (1:
        coverage; 2: stereo tracking). ``level > 1`` runs the NumPy candidate search and sweep
        (module docstring); the refinement of each triple is the same as for level 1.

    Notes
    -----
    :meth:`chunk_pieces` is called with the sub-satellite samples of the steps ``k_first - 2 ..
    k_last + 2`` and returns the covered pieces inside the intervals ``I_k_first .. I_k_last``; the
    pieces of all chunks together, merged, are the cells' access windows.
    """

    def __init__(self, grid: Grid, n_steps: int, step_s: float, min_elevation_deg, max_nadir_deg, *,
                 earth: str = "wgs84", resolution_s: float = 1.0, fixed_radius_km=None, kernel=None,
                 level: int = 1):
        check_exact_step(step_s)
        self.level = check_level(level)
        self.grid = grid
        self.n_steps = int(n_steps)
        self.step_s = float(step_s)
        self.duration_s = self.n_steps * self.step_s
        self.q = int(np.ceil(self.step_s / MAX_NODE_SPACING_S - 1e-9))  # nodes per step
        self.node_s = self.step_s / self.q
        self.half_nodes = (self.q + 1) // 2  # node intervals in a half step (rounded up)
        self.earth = check_earth(earth)
        self.resolution_s = float(resolution_s)
        self.kernel = kernel  # built on first use unless the engine hands over its own
        self.eps = np.radians(np.asarray(min_elevation_deg, dtype=float))
        if np.any(self.eps < 0):
            raise ValueError("exact access windows need minimum elevations >= 0 deg")
        self.n_sat = self.eps.size
        eta = np.radians(np.broadcast_to(np.asarray(max_nadir_deg, dtype=float), self.eps.shape))
        self.has_cone = bool(np.any(eta < np.pi / 2))
        self.eta = np.where(eta < np.pi / 2, eta, np.inf)
        self.sin_eps = np.sin(self.eps)
        finite_eta = np.where(np.isfinite(self.eta), self.eta, 0.0)
        self.cos_eta = np.where(np.isfinite(self.eta), np.cos(finite_eta), -1.0)  # -1: no cone
        nadir_deg = np.where(np.isfinite(self.eta), np.degrees(self.eta), 90.0)
        self._nadir_deg = nadir_deg if self.has_cone else None
        lat, lon = grid.lat_deg, grid.lon_deg
        self.cell_unit = up_unit(lat, lon)  # the kernels' sphere point, and the vertical on either model
        self.cell_pos = observer_ecef_km(lat, lon, self.earth)
        self.cell_lat = np.radians(lat)
        self.cell_lon = np.radians(lon)
        self.fixed_radius_km = None
        if fixed_radius_km is not None:
            self._set_fixed(np.asarray(fixed_radius_km, dtype=float))
        if grid.is_ring_grid:
            rings = grid.rings
            self.ring_lat, self.ring_n, self.ring_offset = rings.lat_rad, rings.n, rings.offset
            self.point_to_cell = np.full(rings.n_points, -1, dtype=np.int64)
            scan = np.arange(len(grid)) if grid.scan_index is None else grid.scan_index
            self.point_to_cell[scan] = np.arange(len(grid))
            self.n_ring_points = rings.n_points
        else:  # point lists: latitude bands of at most BAND_RAD, points sorted by longitude in each
            order = np.lexsort((np.radians(lon), np.floor(self.cell_lat / BAND_RAD)))
            band = np.floor(self.cell_lat[order] / BAND_RAD).astype(np.int64)
            starts = np.flatnonzero(np.concatenate([[True], band[1:] != band[:-1]]))
            self.band_perm = order
            self.band_start = starts
            self.band_count = np.diff(np.concatenate([starts, [order.size]]))
            self.band_lo = band[starts] * BAND_RAD
            self.band_hi = self.band_lo + BAND_RAD
            self.band_lon = np.radians(lon)[order]
        self.stats = {"pairs": 0, "undecided": 0, "triples": 0, "segments_refined": 0}

    def _set_fixed(self, radius_km):
        """Constant orbit radii (circular orbits): the motion bound and margin once for all."""
        rate = np.sqrt(MU_KM3_S2 / radius_km**3) + EARTH_ROTATION_RAD_S
        self.delta_fixed = CIRCULAR_SAFETY * rate * self.step_s / 2.0
        self.margin_fixed = self._margin(radius_km)
        self.fixed_radius_km = radius_km

    def _margin(self, radius_km):
        if self.earth == "sphere":
            return np.full(np.shape(radius_km), SPHERE_MARGIN_RAD)
        return wgs84_margin_rad(radius_km, self.eps, self.eta)

    def _footprint(self, radius_km):
        with np.errstate(invalid="ignore"):
            lam = central_angle_rad(radius_km - EARTH_RADIUS_KM, np.degrees(self.eps), self._nadir_deg)
        return np.where(np.isfinite(lam), lam, -1.0)

    # ------------------------------------------------------------------ chunk
    def chunk_pieces(self, k_first: int, k_last: int, lat_rad, lon_rad, radius_km, trig=None):
        """Covered pieces inside the intervals ``k_first .. k_last``.

        Parameters
        ----------
        k_first, k_last : int
            First and last classification interval (``0 <= k_first <= k_last <= n_steps``).
        lat_rad, lon_rad : ndarray, shape (k_last - k_first + 5, n_sat)
            Sub-satellite points at the steps ``k_first - 2 .. k_last + 2`` (NaN: failed).
        radius_km : ndarray, shape (n_sat,) or like ``lat_rad``
            Orbit radii, km.
        trig : tuple of ndarray, optional
            ``(sin_lat, cos_lat)`` of ``lat_rad`` (like ``lat_rad``), or ``(sin_lat, cos_lat,
            unit_vectors)`` with the unit vectors (shape ``lat_rad.shape + (3,)``) of the points, from
            the compiled propagator: used instead of computing them.

        Returns
        -------
        cell : ndarray of int64, shape (n_piece,)
        start_s, end_s : ndarray of float, shape (n_piece,)
            Covered pieces, seconds from the start; unsorted, possibly overlapping or touching.
        """
        if self.kernel is None:
            self.kernel = RingKernel(self.grid) if self.grid.is_ring_grid else PointKernel(self.grid)
        n0, _ = self.node_range(k_first, k_last)
        ctr = self.q * np.arange(k_first, k_last + 1) - n0  # rows of the steps among the nodes
        bad = ~(np.isfinite(lat_rad) & np.isfinite(lon_rad))
        radius = np.broadcast_to(radius_km, lat_rad.shape)
        bad |= ~np.isfinite(radius)
        any_bad = bool(bad.any())
        lat = np.where(bad, 0.0, lat_rad) if any_bad else np.asarray(lat_rad, dtype=float)
        lon = np.where(bad, 0.0, lon_rad) if any_bad else np.asarray(lon_rad, dtype=float)
        given = None if any_bad else trig
        trig = None if given is None else given[:2]
        unit = given[2] if given is not None and len(given) > 2 else None  # (n_node, n_sat, 3)
        lat_c, lon_c = lat[ctr], lon[ctr]
        if np.ndim(radius_km) == 1 and self.fixed_radius_km is None:
            self._set_fixed(np.asarray(radius_km, dtype=float))
        if self.fixed_radius_km is not None:
            lam_c = np.broadcast_to(self._footprint(self.fixed_radius_km), lat_c.shape)
            widen = np.broadcast_to(self.delta_fixed + self.margin_fixed, lat_c.shape)
        else:
            lam_all = np.where(bad, -1.0, self._footprint(np.where(bad, EARTH_RADIUS_KM + 500, radius)))
            if unit is None:  # (n_node, n_sat, 3), also for candidates and refinement
                unit = _unit(lat, lon, trig)
            with np.errstate(invalid="ignore"):
                step_angle = np.arccos(np.clip(np.sum(unit[1:] * unit[:-1], axis=-1), -1.0, 1.0))
                dlam = np.abs(np.diff(lam_all, axis=0))
            step_angle = np.where(bad[1:] | bad[:-1], 0.0, step_angle)
            dlam = np.where(bad[1:] | bad[:-1], 0.0, dlam)
            per_half = self.q / 2.0  # node intervals in a half step
            delta = MEASURED_SAFETY * per_half * (step_angle.max(axis=0) + dlam.max(axis=0))
            finite_r = np.where(bad, np.nan, radius)
            with np.errstate(invalid="ignore"):
                r_hi = np.nanmax(finite_r, axis=0)
                r_lo = np.nanmin(finite_r, axis=0)
            r_hi = np.where(np.isfinite(r_hi), r_hi, EARTH_RADIUS_KM + 500.0)
            r_lo = np.where(np.isfinite(r_lo), r_lo, EARTH_RADIUS_KM + 500.0)
            margin = np.maximum(self._margin(r_hi), self._margin(r_lo))
            lam_c = lam_all[ctr]
            widen = np.broadcast_to(delta + margin, lat_c.shape)
        bad_c = bad[ctr]
        if self.fixed_radius_km is not None and not any_bad:  # the same footprints at every step:
            lam_in = lam_c[0] - widen[0]  # rows (n_sat,), broadcast to (n_int, n_sat) where needed
            lam_out = np.where(lam_c[0] < 0, -1.0, lam_c[0] + widen[0])
        else:
            lam_in = np.where(bad_c, -1.0, lam_c - widen)
            lam_out = np.where(bad_c | (lam_c < 0), -1.0, lam_c + widen)
        # 3. covered throughout: a satellite (of a subset, for dense constellations) within lam_in
        area = np.where(lam_in > 0, (1.0 - np.cos(np.maximum(lam_in, 0.0))) / 2.0, 0.0)
        expected = float(area.sum(axis=-1).mean())
        stride = max(1, int(expected // SUBSET_IN_VIEW)) if self.level == 1 else 1  # level k: all
        sub = np.arange(0, self.n_sat, stride) if stride > 1 else slice(None)
        inner = self.kernel.count(np.ascontiguousarray(lat_c[:, sub]), np.ascontiguousarray(lon_c[:, sub]),
                                  np.ascontiguousarray(lam_in[..., sub]),
                                  trig=None if trig is None else
                                  tuple(np.ascontiguousarray(x[ctr][:, sub]) for x in trig))
        lam_in = np.broadcast_to(lam_in, lat_c.shape)
        lam_out = np.broadcast_to(lam_out, lat_c.shape)
        covered = inner >= self.level  # (n_int, n_cell)
        undecided = ~covered
        n_und = int(np.count_nonzero(undecided))
        self.stats["pairs"] += covered.size
        self.stats["undecided"] += n_und
        pieces = []
        if n_und and self.level > 1:  # k-fold coverage: the NumPy sweep of :meth:`_level_pieces`
            pieces.append(self._level_pieces(k_first, k_last, n0, lat, lon, ctr, lam_in, lam_out,
                                             undecided, n_und, radius, bad, unit))
        elif n_und and kernels.backend() == "numba":  # 4.-5. fused and compiled, pair by pair
            pieces.append(self._compiled_pairs(k_first, n0, _unit(lat, lon, trig) if unit is None else unit,
                                               lat_c, lon_c, lam_in, lam_out, undecided, covered,
                                               radius, bad))
        elif n_und:
            # 4. candidates within lam_out, then pairs settled by a satellite within lam_in
            kept = []
            unit, unit_c, cos_in, cos_out, batches = self._candidate_batches(
                lat, lon, ctr, lam_in, lam_out, undecided, n_und, unit)
            for k_i, cell, sat in batches:
                cos_d = np.einsum("ij,ij->i", unit_c[k_i, sat], self.cell_unit[cell])
                hit_in = cos_d >= cos_in[k_i, sat]
                covered[k_i[hit_in], cell[hit_in]] = True
                near = (cos_d >= cos_out[k_i, sat]) & ~hit_in
                kept.append((k_i[near], cell[near], sat[near]))
            k_i, cell, sat = (np.concatenate([x[i] for x in kept]) if kept else
                              np.empty(0, dtype=np.int64) for i in range(3))
            if k_i.size:
                keep = ~covered[k_i, cell]  # pairs settled by another satellite need no refinement
                k_i, cell, sat = k_i[keep], cell[keep], sat[keep]
            if k_i.size:
                self.stats["triples"] += k_i.size
                # 5. refine each triple on its two half steps
                for lo in range(0, k_i.size, REFINE_BATCH):
                    sl = slice(lo, lo + REFINE_BATCH)
                    pieces.append(self._refine(k_first, n0, k_i[sl], cell[sl], sat[sl], unit,
                                               radius, bad))
        pieces.append(self._runs(k_first, covered))
        cells = np.concatenate([p[0] for p in pieces])
        return cells, np.concatenate([p[1] for p in pieces]), np.concatenate([p[2] for p in pieces])

    def _compiled_pairs(self, k_first, n0, unit, lat_c, lon_c, lam_in, lam_out, undecided, covered,
                        radius, bad):
        """Steps 4 and 5 compiled: the covered pieces of the undecided pairs; marks ``covered``.

        Two searches, the cheaper by an estimate of their work: per satellite over the cells of its
        grown footprint (:func:`~constellations.windows_compiled.ring_triples`, ring grids; sparse
        constellations, where most pairs are near one footprint edge), or per pair
        (:func:`~constellations.windows_compiled.pair_pieces`: a bucket grid of the satellites,
        settled by one within ``lam_in`` or by a refined one in view throughout, after a count with
        ``lam_out`` has settled the pairs outside every grown footprint).
        """
        r_max = float(np.max(lam_out, initial=0.0))
        empty = np.empty(0, dtype=np.int64), np.empty(0), np.empty(0)
        if r_max <= 0:
            return empty
        lam_in, lam_out = _rows(lam_in), _rows(lam_out)  # (1, n_sat) when the same at every step
        n_int = lat_c.shape[0]
        n_und = np.count_nonzero(undecided)
        e_out = float(np.sum((1.0 - np.cos(np.maximum(lam_out, 0.0))) / 2.0, axis=-1).mean())
        ring_work = RING_VISIT_NS * 2.0 * n_int * e_out * len(self.grid)  # two passes: count, fill
        pair_work = n_und * (PAIR_SEARCH_NS + RING_VISIT_NS * 2.0 * e_out)
        cos_in = np.where(lam_in > 0, np.cos(np.maximum(lam_in, 0.0)), 2.0)  # 2: never
        cos_out = np.where(lam_out > 0, np.cos(np.maximum(lam_out, 0.0)), 2.0)
        if self.grid.is_ring_grid and ring_work < pair_work:
            shape = lat_c.shape
            ctr = self.q * np.arange(k_first, k_first + n_int) - n0
            k_i, cell, sat = _compiled().ring_triples(
                np.ascontiguousarray(lat_c), np.ascontiguousarray(lon_c),
                np.ascontiguousarray(np.broadcast_to(lam_out, shape)),
                np.ascontiguousarray(np.broadcast_to(cos_in, shape)),
                np.ascontiguousarray(np.broadcast_to(cos_out, shape)), undecided, covered,
                self.ring_lat, self.ring_n, self.ring_offset, self.point_to_cell, self.cell_unit,
                np.ascontiguousarray(unit[ctr]))
            keep = ~covered[k_i, cell]  # pairs settled by another satellite need no refinement
            k_i, cell, sat = k_i[keep], cell[keep], sat[keep]
            pieces = [self._refine(k_first, n0, k_i[sl], cell[sl], sat[sl], unit, radius, bad)
                      for sl in (slice(lo, lo + REFINE_BATCH) for lo in range(0, k_i.size, REFINE_BATCH))]
            if not pieces:
                return empty
            return tuple(np.concatenate([p[i] for p in pieces]) for i in range(3))
        if n_und > OUTER_TEST_SHARE * undecided.size:
            # many undecided pairs: most are outside every grown footprint (uncovered throughout);
            # one count with lam_out settles them for less than their candidate searches would cost
            outer = self.kernel.count(np.ascontiguousarray(lat_c), np.ascontiguousarray(lon_c),
                                      np.ascontiguousarray(lam_out[0] if lam_out.shape[0] == 1
                                                           else lam_out))
            undecided = undecided & (outer > 0)
        pair_k, pair_c = np.nonzero(undecided)
        return _compiled().pair_pieces(
            k_first, n0, self.q, self.half_nodes, self.step_s, self.node_s, self.duration_s,
            self.resolution_s / self.node_s, pair_k.astype(np.int64), pair_c.astype(np.int64),
            np.ascontiguousarray(lat_c), np.ascontiguousarray(lon_c), cos_in, cos_out, r_max,
            unit, np.ascontiguousarray(_rows(radius)), bad, self.cell_pos, self.cell_unit,
            self.cell_lat, self.cell_lon, self.sin_eps, self.cos_eta, self.has_cone, covered)

    def node_range(self, k_first: int, k_last: int):
        """Node indices ``[n0, n1)`` whose samples :meth:`chunk_pieces` needs for these intervals.

        Node ``i`` is at ``(i / q) step_s`` with ``q = ceil(step_s / 60 s)`` nodes per step; the
        steps are the nodes ``q k``.
        """
        return self.q * k_first - self.half_nodes - 1, self.q * k_last + self.half_nodes + 2

    def node_times_s(self, k_first: int, k_last: int):
        """Times of the nodes of :meth:`node_range`, s (the steps exactly ``k step_s``)."""
        n0, n1 = self.node_range(k_first, k_last)
        return (np.arange(n0, n1) / self.q) * self.step_s

    def _interval_bounds(self, k):
        h = self.step_s
        return np.maximum(0.0, (k - 0.5) * h), np.minimum(self.duration_s, (k + 0.5) * h)

    def _runs(self, k_first, covered):
        """Pieces of consecutive covered-throughout intervals, per cell."""
        if kernels.backend() == "numba":
            return _compiled().covered_runs(covered, k_first, self.step_s, self.duration_s)
        n_int, n_cell = covered.shape
        pad = np.zeros((n_int + 2, n_cell), dtype=np.int8)
        pad[1:-1] = covered
        change = np.diff(pad, axis=0)  # +1: a run starts at row i; -1: a run ended at row i - 1
        cell_s, row_s = np.nonzero(change.T == 1)
        _, row_e = np.nonzero(change.T == -1)  # same cells, same order as the starts
        lo, _ = self._interval_bounds(k_first + row_s)
        _, hi = self._interval_bounds(k_first + row_e - 1)
        return cell_s.astype(np.int64), lo, hi

    # ------------------------------------------------------- level k (NumPy)
    def _level_pieces(self, k_first, k_last, n0, lat, lon, ctr, lam_in, lam_out, undecided, n_und,
                      radius, bad, unit=None):
        """Pieces with at least ``level`` satellites in view, of the undecided (interval, cell) pairs.

        Every satellite within ``lam_out`` of a pair's cell at ``t_k`` is a candidate; a pair with
        fewer than ``level`` candidates is uncovered throughout. Otherwise the candidates within
        ``lam_in`` are in view during the whole interval, the others are refined
        (:meth:`_refine`: each one's in-view pieces inside the interval), and :meth:`_sweep` keeps
        the times at which at least ``level`` of these pieces overlap. ``unit``: the node unit
        vectors (n_node, n_sat, 3) when the caller has them.
        """
        n_cell = len(self.grid)
        unit, unit_c, cos_in, cos_out, batches = self._candidate_batches(
            lat, lon, ctr, lam_in, lam_out, undecided, n_und, unit)
        none = np.empty(0, dtype=np.int64)
        kept = [(none, none, none, np.empty(0, dtype=bool))]
        for k_i, cell, sat in batches:
            cos_d = np.einsum("ij,ij->i", unit_c[k_i, sat], self.cell_unit[cell])
            near = cos_d >= cos_out[k_i, sat]
            kept.append((k_i[near], cell[near], sat[near], cos_d[near] >= cos_in[k_i[near], sat[near]]))
        k_i, cell, sat, inside = (np.concatenate([x[i] for x in kept]) for i in range(4))
        pair = k_i * n_cell + cell
        _, inverse, n_cand = np.unique(pair, return_inverse=True, return_counts=True)
        enough = n_cand[inverse.ravel()] >= self.level  # fewer candidates: uncovered throughout
        k_i, cell, sat, inside, pair = k_i[enough], cell[enough], sat[enough], inside[enough], pair[enough]
        t_lo, t_hi = self._interval_bounds(k_first + k_i[inside])
        parts = [(pair[inside], t_lo, t_hi)]  # in view throughout the interval
        refine = np.flatnonzero(~inside)
        self.stats["triples"] += refine.size
        for lo in range(0, refine.size, REFINE_BATCH):
            r = refine[lo:lo + REFINE_BATCH]
            c, a, b = self._refine(k_first, n0, k_i[r], cell[r], sat[r], unit, radius, bad)
            keep = b > a  # the midpoint of a piece of positive length names its interval
            c, a, b = c[keep], a[keep], b[keep]
            k = np.clip(np.floor(0.5 * (a + b) / self.step_s + 0.5), k_first, k_last).astype(np.int64)
            parts.append(((k - k_first) * n_cell + c, a, b))
        pair, a, b = (np.concatenate([x[i] for x in parts]) for i in range(3))
        cells, start, end = self._sweep(pair, a, b)
        return cells % n_cell, start, end

    def _sweep(self, key, start_s, end_s):
        """Pieces during which at least ``level`` of the pieces of one key overlap.

        Events +1 at each start and -1 at each end, sorted by key and time; the running sum is each
        key's count in view (each key's events sum to zero), and the pieces are its runs at or above
        ``level``. At equal times ends come first: the two touching pieces of one satellite (its half
        steps) must not count it twice at the instant they meet, and the zero-length dip this may leave
        between two runs is merged by :class:`~constellations.metrics.WindowAccumulator`.

        Parameters
        ----------
        key : ndarray of int64, shape (n,)
        start_s, end_s : ndarray, shape (n,)

        Returns
        -------
        key, start_s, end_s : ndarray, shape (n_run,)
        """
        n = key.size
        keys = np.concatenate([key, key])
        t = np.concatenate([start_s, end_s])
        step = np.concatenate([np.ones(n, dtype=np.int64), -np.ones(n, dtype=np.int64)])
        order = np.lexsort((step, t, keys))
        keys, t = keys[order], t[order]
        at_level = np.cumsum(step[order]) >= self.level
        before = np.concatenate([[False], at_level[:-1]])
        return keys[at_level & ~before], t[at_level & ~before], t[~at_level & before]

    def _candidate_batches(self, lat, lon, ctr, lam_in, lam_out, undecided, n_und, unit=None):
        """Set-up of the NumPy candidate search (levels 1 and k).

        Returns the node unit vectors ``unit`` (n_node, n_sat, 3; formed unless given), those of the
        steps ``unit_c``, the footprint cosines ``cos_in``, ``cos_out`` (n_int, n_sat; 2 where never in
        view) and the batches of (interval row, cell, satellite) candidates within ``lam_out``.
        """
        if unit is None:
            unit = _unit(lat, lon)
        cos_in = np.where(lam_in > 0, np.cos(np.maximum(lam_in, 0.0)), 2.0)  # 2: never
        cos_out = np.where(lam_out > 0, np.cos(np.maximum(lam_out, 0.0)), 2.0)
        lat_c, lon_c = lat[ctr], lon[ctr]
        batches = self._candidates(lat_c, lon_c, lam_out, undecided, n_und)
        if batches == "rings":
            batches = self._ring_candidate_blocks(lat_c, lon_c, lam_out, undecided)
        return unit, unit[ctr], cos_in, cos_out, batches

    def _candidates(self, lat_c, lon_c, lam_out, undecided, n_und):
        """Batches of (interval row, cell, satellite), the satellite maybe within lam_out of the cell.

        Returns ``"rings"`` when the ring-interval enumeration is the cheaper search (the caller runs
        it with :meth:`_ring_candidate_blocks`).
        """
        n_int, n_sat = lat_c.shape
        reach = np.where(lam_out > 0, lam_out, 0.0)
        if self.grid.is_ring_grid:
            est_rings = n_int * float(np.sum((1.0 - np.cos(reach)) / 2.0, axis=1).mean()) \
                * self.n_ring_points
            r_max = float(reach.max(initial=0.0))
            est_pairs = n_und * n_sat * min(1.0, 2.0 * r_max / np.pi)
            if est_rings < est_pairs:
                return "rings"  # enumerated by the caller (compiled when numba is there)
        else:
            est_bands = 2.0 * n_int * float(np.sum((1.0 - np.cos(reach)) / 2.0, axis=1).mean()) \
                * len(self.grid)
            r_max = float(reach.max(initial=0.0))
            est_pairs = n_und * n_sat * min(1.0, 2.0 * r_max / np.pi)
            if est_bands < est_pairs:
                return [self._band_candidates(lat_c, lon_c, lam_out, undecided)]
        return self._pair_candidates(lat_c, lon_c, lam_out, undecided)

    def _band_candidates(self, lat_c, lon_c, lam_out, undecided):
        """Points of a list maybe within lam_out of each satellite, band by band.

        A point at latitude ``phi`` within ``lambda`` of a satellite has a longitude within
        ``arcsin(sin(lambda) / cos(phi))`` of the satellite's (any longitude when that exceeds 1); the
        band's most poleward latitude gives a conservative half-width.
        """
        kk, ss = np.nonzero(lam_out > 0)
        la, lo, lm = lat_c[kk, ss], lon_c[kk, ss], lam_out[kk, ss]
        b0 = np.searchsorted(self.band_hi, la - lm, side="left")
        b1 = np.searchsorted(self.band_lo, la + lm, side="right")
        owner, rank = _expand(np.maximum(b1 - b0, 0))
        b = b0[owner] + rank
        la, lo, lm = la[owner], lo[owner], lm[owner]
        pole = np.maximum(np.abs(self.band_lo[b]), np.abs(self.band_hi[b]))
        ratio = np.sin(lm) / np.maximum(np.cos(np.minimum(pole, np.pi / 2)), 1e-300)
        half = np.where(ratio < 1.0, np.arcsin(np.minimum(ratio, 1.0)), 4.0)
        start, count = self.band_start[b], self.band_count[b]
        rows_k, rows_s, rows_p = [], [], []
        for shift in (-2 * np.pi, 0.0, 2 * np.pi):  # the longitude window and its wrapped copies
            a = lo + shift - half
            z = lo + shift + half
            full = half >= np.pi
            i0 = np.where(full, 0, _band_search(self.band_lon, start, count, a, "left"))
            i1 = np.where(full, count, _band_search(self.band_lon, start, count, z, "right"))
            if shift != 0.0:
                i1 = np.where(full, 0, i1)
            n = np.maximum(i1 - i0, 0)
            o2, r2 = _expand(n)
            pts = self.band_perm[start[o2] + i0[o2] + r2]
            rows_k.append(kk[owner[o2]])
            rows_s.append(ss[owner[o2]])
            rows_p.append(pts)
        k_i, sat, cell = (np.concatenate(x) for x in (rows_k, rows_s, rows_p))
        keep = undecided[k_i, cell]
        return k_i[keep], cell[keep], sat[keep]

    def _ring_candidate_blocks(self, lat_c, lon_c, lam_out, undecided):
        """:meth:`_ring_candidates` over blocks of interval rows, at most about
        :data:`CANDIDATES_PER_BLOCK` enumerated (row, cell, satellite) triples at a time, so that
        memory stays bounded for dense constellations (yields the same triples as one call)."""
        n_int = lat_c.shape[0]
        reach = np.where(lam_out > 0, lam_out, 0.0)
        per_row = 2.0 * float(np.max(np.sum((1.0 - np.cos(reach)) / 2.0, axis=1), initial=0.0)) \
            * self.n_ring_points + lat_c.shape[1]  # footprint cells (with the ring ends) per row
        rows = max(1, int(CANDIDATES_PER_BLOCK // max(per_row, 1.0)))
        for r0 in range(0, n_int, rows):  # blocks of rows, each vectorised
            sl = slice(r0, r0 + rows)
            k_i, cell, sat = self._ring_candidates(lat_c[sl], lon_c[sl], lam_out[sl], undecided[sl])
            yield k_i + r0, cell, sat

    def _ring_candidates(self, lat_c, lon_c, lam_out, undecided):
        """Cells within lam_out of each satellite, from the ring scanline intervals."""
        kk, ss = np.nonzero(lam_out > 0)
        la, lo, lm = lat_c[kk, ss], lon_c[kk, ss], lam_out[kk, ss]
        j0 = np.searchsorted(self.ring_lat, la - lm, side="left")
        j1 = np.searchsorted(self.ring_lat, la + lm, side="right")
        owner, rank = _expand(j1 - j0)
        j = j0[owner] + rank
        la, lo, lm = la[owner], lo[owner], lm[owner]
        phi = self.ring_lat[j]
        num = np.cos(lm) - np.sin(la) * np.sin(phi)
        den = np.cos(la) * np.cos(phi)
        full = num <= -den
        some = (num <= den) & ~full
        with np.errstate(invalid="ignore", divide="ignore"):
            half_rad = np.arccos(np.clip(np.where(some, num / np.where(den > 0, den, 1.0), 1.0),
                                         -1.0, 1.0))
        n_j = self.ring_n[j]
        x = (lo + np.pi) * n_j / (2 * np.pi) - 0.5
        half = half_rad * n_j / (2 * np.pi)
        first = np.ceil(x - half).astype(np.int64)
        count = np.floor(x + half).astype(np.int64) - first + 1
        count = np.where(full, n_j, np.where(some, np.clip(count, 0, n_j), 0))
        first = np.where(full, 0, first)
        owner2, rank2 = _expand(count)
        point = self.ring_offset[j[owner2]] + np.mod(first[owner2] + rank2, n_j[owner2])
        cell = self.point_to_cell[point]
        k_i, sat = kk[owner[owner2]], ss[owner[owner2]]
        keep = cell >= 0
        keep[keep] = undecided[k_i[keep], cell[keep]]
        return k_i[keep], cell[keep], sat[keep]

    def _pair_candidates(self, lat_c, lon_c, lam_out, undecided):
        """Satellites in a latitude-longitude box about each undecided pair's cell.

        Per step, the satellites are sorted by latitude band (height ``R / 2``, ``R`` the largest
        ``lam_out``) and longitude; a satellite within ``R`` of a cell at latitude ``phi`` lies in a band
        within ``R`` in latitude and, when ``R < pi/2 - |phi_b|`` (``phi_b`` the band's most poleward
        latitude), within ``arcsin(sin R / cos phi_b)`` in longitude (spherical law of sines). A
        generator of batches of about :data:`PAIRS_PER_BATCH` rows (memory stays bounded).
        """
        n_int, n_sat = lat_c.shape
        k_p, cell_p = np.nonzero(undecided)
        r_max = float(np.max(lam_out, initial=0.0))
        if r_max <= 0 or k_p.size == 0:
            return
        height = r_max / 2.0
        n_band = int(np.ceil(np.pi / height)) + 1
        band_sat = np.floor((lat_c + np.pi / 2) / height).astype(np.int64)
        span = 8.0  # > 2 pi: keys of one (step, band) never reach the next
        key = (np.arange(n_int)[:, None] * n_band + band_sat) * span + (lon_c + np.pi)
        order = np.argsort(key, axis=None)
        key = key.ravel()[order]
        sat_of = order % n_sat
        lat_cell, lon_cell = self.cell_lat[cell_p], np.radians(self.grid.lon_deg)[cell_p] + np.pi
        b_lo = np.floor((lat_cell - r_max + np.pi / 2) / height).astype(np.int64)
        b_hi = np.floor((lat_cell + r_max + np.pi / 2) / height).astype(np.int64)
        b_lo, b_hi = np.clip(b_lo, 0, n_band - 1), np.clip(b_hi, 0, n_band - 1)
        owner, rank = _expand(b_hi - b_lo + 1)  # (pair, band) rows
        band = b_lo[owner] + rank
        pole = np.maximum(np.abs(band * height - np.pi / 2), np.abs((band + 1) * height - np.pi / 2))
        ratio = np.sin(r_max) / np.maximum(np.cos(np.minimum(pole, np.pi / 2)), 1e-300)
        half = np.where((ratio < 1.0) & (r_max < np.pi / 2 - np.minimum(pole, np.pi / 2)),
                        np.arcsin(np.minimum(ratio, 1.0)), 4.0)
        base = (k_p[owner] * n_band + band) * span
        x = lon_cell[owner]
        windows = [(np.maximum(x - half, 0.0), np.minimum(x + half, 2 * np.pi)),
                   (np.where(x - half < 0, x - half + 2 * np.pi, 2 * np.pi), np.full(x.size, 2 * np.pi)),
                   (np.zeros(x.size), np.where(x + half > 2 * np.pi, x + half - 2 * np.pi, -1.0))]
        full = half >= np.pi
        rows_first, rows_count, rows_pair = [], [], []
        for i, (lo, hi) in enumerate(windows):
            if i:
                lo, hi = np.where(full, 0.0, lo), np.where(full, -1.0, hi)
            else:
                lo, hi = np.where(full, 0.0, lo), np.where(full, 2 * np.pi, hi)
            first = np.searchsorted(key, base + lo, side="left")
            last = np.searchsorted(key, base + hi, side="right")
            ok = last > first
            rows_first.append(first[ok])
            rows_count.append((last - first)[ok])
            rows_pair.append(owner[ok])
        first, count, pair = (np.concatenate(x) for x in (rows_first, rows_count, rows_pair))
        if count.size == 0:
            return
        cum = np.cumsum(count)
        edges = np.searchsorted(cum, np.arange(PAIRS_PER_BATCH, cum[-1] + PAIRS_PER_BATCH,
                                               PAIRS_PER_BATCH), side="left")
        bounds = np.unique(np.concatenate([[0], np.minimum(edges + 1, count.size), [count.size]]))
        for a, b in itertools.pairwise(bounds):
            o2, r2 = _expand(count[a:b])
            p_ = pair[a:b][o2]
            yield k_p[p_], cell_p[p_], sat_of[first[a:b][o2] + r2]

    # ------------------------------------------------------------- refinement
    def _refine(self, k_first, n0, k_i, cell, sat, unit, radius, bad):
        """Covered pieces of (interval row, cell, satellite) triples; see the module docstring.

        Interval ``k`` spans the node intervals ``j = q k - half .. q k + half - 1`` (``half`` node
        intervals on each side, clipped to the interval and to ``[0, T]``); on node interval ``j``
        positions are the cubic through the nodes ``j - 1 .. j + 2``.
        """
        q, half = self.q, self.half_nodes
        if kernels.backend() == "numba":  # the same algorithm, compiled (windows_compiled.py)
            start, end = _compiled().refine(
                k_first, n0, q, half, self.n_steps, self.step_s, self.node_s, self.duration_s,
                self.resolution_s / self.node_s, k_i, cell, sat, unit,
                np.broadcast_to(radius, unit.shape[:2]), bad, self.cell_pos, self.cell_unit,
                self.sin_eps, self.cos_eta, self.has_cone)
            i, o = np.nonzero(np.isfinite(start))
            return cell[i], start[i, o], end[i, o]
        n_seg = 2 * half
        k = k_first + k_i
        j_first = q * k - half  # first node interval of each triple
        rows = (j_first - 1 - n0)[:, None] + np.arange(n_seg + 3)[None, :]
        s = np.broadcast_to(sat[:, None], rows.shape)
        radius_b = np.broadcast_to(radius, unit.shape[:2])
        pos = unit[rows, s] * radius_b[rows, s][..., None]
        node_bad = bad[rows, s]
        p = self.cell_pos[cell][:, None, :]
        nrm = self.cell_unit[cell][:, None, :]
        v = pos - p
        funcs = [np.einsum("ijk,ijk->ij", v, nrm), np.einsum("ijk,ijk->ij", v, v)]
        if self.has_cone:
            funcs += [np.einsum("ijk,ijk->ij", pos, v), np.einsum("ijk,ijk->ij", pos, pos)]
        funcs[0] = np.where(node_bad, -1e9, funcs[0])  # failed samples: far out of view
        t_lo, t_hi = self._interval_bounds(k)
        out_c, out_a, out_b = [], [], []
        for o in range(n_seg):  # the few node intervals of a step, vectorised over triples
            j = j_first + o
            u0 = np.clip(t_lo / self.node_s - j, 0.0, 1.0)
            u1 = np.clip(t_hi / self.node_s - j, 0.0, 1.0)
            idx = np.flatnonzero(u1 > u0)
            if idx.size == 0:
                continue
            coef = [_cubic(*(f[idx, o + i] for i in range(4))) for f in funcs]
            c, a, b = self._solve(cell[idx], sat[idx], j[idx], coef, u0[idx], u1[idx])
            out_c.append(c)
            out_a.append(a)
            out_b.append(b)
        if not out_c:
            return (np.empty(0, dtype=np.int64), np.empty(0), np.empty(0))
        return np.concatenate(out_c), np.concatenate(out_a), np.concatenate(out_b)

    def _g(self, coef, se, ce, u):
        q = np.maximum(_poly(coef[1], u), 0.0)
        rng = np.sqrt(q)
        g = _poly(coef[0], u) - se * rng
        if len(coef) > 2:
            w = np.maximum(_poly(coef[3], u), 0.0)
            g = np.minimum(g, _poly(coef[2], u) - ce * np.sqrt(w) * rng)
        return g

    def _solve(self, cell, sat, j, coef, u0, u1):
        """Visible piece of each half-step segment, in seconds (empty pieces dropped)."""
        n = cell.size
        se, ce = self.sin_eps[sat], self.cos_eta[sat]
        ua = np.broadcast_to(u0, (n,)).astype(float)
        ub = np.broadcast_to(u1, (n,)).astype(float)
        ga, gb = self._g(coef, se, ce, ua), self._g(coef, se, ce, ub)
        va, vb = ga >= 0, gb >= 0
        start = np.where(va, ua, np.nan)
        end = np.where(vb, ub, np.nan)
        tol_u = self.resolution_s / self.node_s
        # one crossing: bracket it
        rise = ~va & vb
        fall = va & ~vb
        for mask, is_rise in ((rise, True), (fall, False)):
            i = np.flatnonzero(mask)
            if i.size:
                root = self._root([c_[i] for c_ in _flat(coef)], len(coef), se[i], ce[i],
                                  ua[i], ub[i], ga[i], gb[i], tol_u)
                (start if is_rise else end)[i] = root
        # no crossing at the ends: is the maximum in view?
        i = np.flatnonzero(~va & ~vb)
        if i.size:
            sub = [tuple(x[i] for x in c_) for c_ in coef]
            amax, u_star = _extreme(sub[0], ua[i], ub[i], True)
            qmin, _ = _extreme(sub[1], ua[i], ub[i], False)
            excluded = amax - se[i] * np.sqrt(np.maximum(qmin, 0.0)) < 0
            if len(sub) > 2:
                bmax, _ = _extreme(sub[2], ua[i], ub[i], True)
                wmin, _ = _extreme(sub[3], ua[i], ub[i], False)
                cone = ce[i] > 0
                excluded |= cone & (bmax - ce[i] * np.sqrt(np.maximum(wmin, 0.0) * np.maximum(qmin, 0.0)) < 0)
            i, u_star = i[~excluded], u_star[~excluded]
            self.stats["segments_refined"] += i.size
            if i.size:
                sub = [tuple(x[i] for x in c_) for c_ in coef]
                g_star = self._g(sub, se[i], ce[i], u_star)
                miss = g_star < 0
                if miss.any():  # golden-section search for the maximum (rare: grazing passes)
                    m = np.flatnonzero(miss)
                    u_best, g_best = self._golden([tuple(x[m] for x in c_) for c_ in sub], se[i][m],
                                                  ce[i][m], ua[i][m], ub[i][m], tol_u / 2)
                    u_star[m], g_star[m] = u_best, g_best
                peak = g_star >= 0
                i, u_star, g_star = i[peak], u_star[peak], g_star[peak]
                if i.size:
                    flat = [c_[i] for c_ in _flat(coef)]
                    start[i] = self._root(flat, len(coef), se[i], ce[i], ua[i], u_star, ga[i],
                                          g_star, tol_u)
                    end[i] = self._root(flat, len(coef), se[i], ce[i], u_star, ub[i], g_star,
                                        gb[i], tol_u)
        keep = np.isfinite(start) & np.isfinite(end)
        h = self.node_s
        return cell[keep], (j[keep] + start[keep]) * h, (j[keep] + end[keep]) * h

    def _golden(self, coef, se, ce, lo, hi, tol_u):
        """Maximum of unimodal g on [lo, hi] to ``tol_u``; the best point evaluated and its value."""
        ratio = (np.sqrt(5.0) - 1.0) / 2.0
        lo, hi = lo.copy(), hi.copy()
        x1 = hi - ratio * (hi - lo)
        x2 = lo + ratio * (hi - lo)
        g1, g2 = self._g(coef, se, ce, x1), self._g(coef, se, ce, x2)
        best_u = np.where(g1 >= g2, x1, x2)
        best_g = np.maximum(g1, g2)
        for _ in range(60):
            if np.all(hi - lo <= tol_u):
                break
            left = g1 >= g2  # the maximum lies in [lo, x2]
            hi = np.where(left, x2, hi)
            lo = np.where(left, lo, x1)
            x2n = np.where(left, x1, lo + ratio * (hi - lo))
            x1n = np.where(left, hi - ratio * (hi - lo), x2)
            g2n = np.where(left, g1, np.nan)
            g1n = np.where(left, np.nan, g2)
            new_u = np.where(left, x1n, x2n)
            new_g = self._g(coef, se, ce, new_u)
            g1 = np.where(left, new_g, g1n)
            g2 = np.where(left, g2n, new_g)
            x1, x2 = x1n, x2n
            better = new_g > best_g
            best_u = np.where(better, new_u, best_u)
            best_g = np.where(better, new_g, best_g)
        return best_u, best_g

    def _root(self, flat, n_func, se, ce, lo, hi, glo, ghi, tol_u):
        """Crossing of g between lo and hi (in view at exactly one end), within ``tol_u / 2``.

        The bracket shrinks to at most ``tol_u / 2``; the crossing reported is the linear
        interpolation inside it (usually good to milliseconds, never off by more than the bracket).
        """
        coef = [tuple(flat[4 * f + i] for i in range(4)) for f in range(n_func)]
        lo, hi, glo, ghi = lo.copy(), hi.copy(), glo.copy(), ghi.copy()
        vlo = glo >= 0
        tol_u = tol_u / 2.0  # stop at brackets <= resolution / 2: any point inside is within it
        eps_u = tol_u / 4.0
        active = np.flatnonzero(hi - lo > tol_u)
        for it in range(80):
            if active.size == 0:
                break
            a, b, ga, gb = lo[active], hi[active], glo[active], ghi[active]
            c = [tuple(x[active] for x in c_) for c_ in coef]
            if it < 4:
                with np.errstate(invalid="ignore", divide="ignore"):
                    x = a + (b - a) * ga / (ga - gb)
                x = np.where(np.isfinite(x), x, 0.5 * (a + b))
            else:
                x = 0.5 * (a + b)
            p1 = np.clip(x - eps_u, a + 0.25 * eps_u, b - 0.25 * eps_u)
            p2 = np.clip(x + eps_u, p1, b - 0.25 * eps_u)
            g1 = self._g(c, se[active], ce[active], p1)
            g2 = self._g(c, se[active], ce[active], p2)
            v_lo = vlo[active]
            in1 = (g1 >= 0) != v_lo  # crossing in [a, p1]
            in2 = ~in1 & ((g2 >= 0) != (g1 >= 0))  # in [p1, p2]
            in3 = ~in1 & ~in2
            new_lo = np.where(in1, a, np.where(in2, p1, p2))
            new_hi = np.where(in1, p1, np.where(in2, p2, b))
            glo[active] = np.where(in1, ga, np.where(in2, g1, g2))
            ghi[active] = np.where(in1, g1, np.where(in2, g2, gb))
            lo[active], hi[active] = new_lo, new_hi
            del in3
            active = active[new_hi - new_lo > tol_u]
        with np.errstate(invalid="ignore", divide="ignore"):
            x = lo + (hi - lo) * glo / (glo - ghi)  # linear interpolation inside the final bracket
        return np.where(np.isfinite(x) & (x >= lo) & (x <= hi), x, 0.5 * (lo + hi))


def _compiled():
    """The compiled refinement (imports numba on first use)."""
    from . import windows_compiled  # numba is heavy and optional: load it only when used

    return windows_compiled


def _flat(coef):
    return [x for c_ in coef for x in c_]
