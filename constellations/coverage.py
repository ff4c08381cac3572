"""Counting kernels: how many satellites see each ground cell at each time step.

Ring grids use the *ring scanline*: on a latitude ring, the cells a footprint covers form one
longitude interval centred on the sub-satellite longitude, of half-width ``D``. Each (satellite, ring)
pair adds +1 at the interval start and -1 one past its end in a difference array; a cumulative sum
gives every cell's count. The work per step is ``O(n_sat * rings_per_footprint + n_cell)`` instead of
the ``O(n_sat * n_cell)`` of a direct test. To handle the wrap at the antimeridian without branches,
each ring of ``n`` cells is laid out twice (``2 n`` positions) and the two halves are added after the
sum. Point lists use a direct test per (satellite, point), culled by latitude.

Two criteria share this machinery; only the half-width ``D`` differs:

- :meth:`RingKernel.count` (spherical Earth): a satellite is visible when the Earth central angle
  between its sub-satellite point and the cell is at most its footprint radius ``lambda``
  (:func:`constellations.geometry.central_angle_rad`):
  ``cos D = (cos lambda - sin lat_s sin lat_j) / (cos lat_s cos lat_j)``.
- :meth:`RingKernel.count_elevation` (WGS84, the default): observers at height 0 on the ellipsoid at
  the ring's *geodetic* latitude ``phi``, elevation above the geodetic horizon. On a ring, the
  ellipsoid's normals all pass through the point ``Q = (0, 0, -e2 N sin phi)`` of the axis at
  distance ``N`` (the prime-vertical radius) from the ring, so the ring's observers see the sky
  exactly as observers on the sphere of centre ``Q`` and radius ``N`` would: with ``t = z_s + e2 N
  sin phi`` and ``rho = r cos lat_s`` (the satellite's height above ``Q`` and distance from the axis),

  ``cos D = (N cos^2 eps - t sin phi + sin eps sqrt(t^2 + rho^2 - N^2 cos^2 eps)) / (rho cos phi)``,

  the larger root of the quadratic in ``c = cos(L - L_s)`` that squaring ``(s - p).n >= sin(eps)
  |s - p|`` gives (the elevation grows with ``c``, so the visible set is ``c >= c*``). Rings are
  searched from the satellite's latitude minus :func:`constellations.earth.reach_rad`, a rigorous
  bound (spherical central angle for the polar radius at ``eps - 0.1924 deg``, plus 0.1924 deg, the
  largest angle between the geodetic and the geocentric vertical). A nadir cone of half-angle
  ``eta`` (angle at the satellite between the geocentric nadir and the observer) holds where the
  slant range ``v`` is at most ``v_1 = M / (T + sqrt(T^2 - M))``, ``M = r^2 - |p|^2``, ``T = r cos
  eta`` (the cosine of the nadir angle is ``(v + M / v) / (2 r)``, decreasing in ``v`` up to the
  limb, where ``v^2 = M``), and ``v^2 = C - 2 rho N cos phi cos(dL)`` turns that into a second bound
  on ``cos(dL)``; the larger one wins. Approximation: beyond the limb the nadir angle falls again, so
  with ``eps < 0.1924 deg`` and a cone reaching within that angle of the limb, a ring can also have
  an outer sliver of observers below their geocentric (but above their geodetic) horizon inside the
  cone; those are not counted (tests/test_wgs84.py measures it).

:meth:`PointKernel.count_elevation` tests the same WGS84 criteria from vectors, point by point.
"""

from __future__ import annotations

import numpy as np

from . import kernels
from .earth import (
    WGS84_A_KM,
    WGS84_E2,
    check_earth,
    observer_ecef_km,
    reach_rad,
    up_unit,
)
from .geometry import EARTH_RADIUS_KM, central_angle_rad
from .grid import Grid, Rings

__all__ = ["PointKernel", "RingKernel"]

SLOT_BUDGET = 400_000  # (time, satellite, ring) slots per kernel call: keeps temporaries in cache
POINT_BAND_RAD = np.radians(3.0)  # latitude extent of a band of points tested together
MAX_RING_GROUPS = 4  # satellites grouped by footprint size, at most this many groups per call


def _elevation_inputs(lat_rad, radius_km, min_elevation_rad, max_nadir_rad):
    """Checked ``radius`` ((n_sat,) or (n_time, n_sat)), ``eps`` (n_sat,) and ``eta`` (n_sat,) or None."""
    n_time, n_sat = lat_rad.shape
    radius = np.asarray(radius_km, dtype=float)
    if radius.shape not in ((n_sat,), (n_time, n_sat)):
        raise ValueError(f"radius_km must have shape ({n_sat},) or ({n_time}, {n_sat}) like the "
                         f"satellites' latitudes, got {radius.shape}")
    eps = np.broadcast_to(np.asarray(min_elevation_rad, dtype=float), (n_sat,))
    if not np.all(np.abs(eps) < np.pi / 2):
        raise ValueError("min_elevation_rad must be finite angles in (-pi/2, pi/2) radians, got "
                         f"{eps[~(np.abs(eps) < np.pi / 2)][:3]}; give radians, e.g. np.radians(25.0)")
    eta = None
    if max_nadir_rad is not None:
        eta = np.broadcast_to(np.asarray(max_nadir_rad, dtype=float), (n_sat,))
        if np.any(np.isnan(eta)) or np.any(eta <= 0.0):
            raise ValueError("max_nadir_rad must be positive angles in radians (inf: no sensor limit)")
        if not np.any(eta < np.pi / 2):
            eta = None
    return radius, eps, eta


def _sphere_footprint_rad(radius, eps, eta):
    """Footprint radius on the sphere as the engine forms it (failed states: -1, never visible)."""
    nadir_deg = None if eta is None else np.degrees(np.minimum(eta, np.pi / 2))
    with np.errstate(invalid="ignore"):
        lam = central_angle_rad(radius - EARTH_RADIUS_KM, np.degrees(eps), nadir_deg)
    return np.where(np.isfinite(lam), lam, -1.0)


def _reach(lon_rad, radius, eps, eta):
    """:func:`constellations.earth.reach_rad` per (time, satellite), shape (n_time, n_sat); -1 where
    never visible. A read-only broadcast of one row when it is the same at every step (per-satellite
    radii and no NaN longitude): the compiled kernel then reads one row instead of a copy per chunk."""
    reach = reach_rad(radius, eps, eta)
    reach = np.where(np.isfinite(reach), reach, -1.0)
    if reach.ndim == 1 and np.isfinite(lon_rad).all():
        return np.broadcast_to(reach, np.shape(lon_rad))
    return np.where(np.isfinite(lon_rad), reach, -1.0)


class RingKernel:
    """Scanline counter for the rings of a grid.

    Parameters
    ----------
    grid : Grid
        A ring grid (``grid.rings`` is not None).

    Examples
    --------
    >>> import numpy as np
    >>> from constellations import global_grid
    >>> k = RingKernel(global_grid(spacing_deg=10.0))
    >>> counts = k.count(np.zeros((1, 1)), np.zeros((1, 1)), np.full((1, 1), 0.2))
    >>> counts.shape, int(counts.sum()) > 0
    ((1, 412), True)
    """

    def __init__(self, grid: Grid):
        rings: Rings = grid.rings
        if rings is None:
            raise ValueError("RingKernel needs a ring grid; use PointKernel for point lists")
        self.grid = grid
        lat = rings.lat_rad
        n = rings.n
        n_ring = len(lat)
        self._spacing = np.diff(lat).min() if n_ring > 1 else np.pi
        self._n_ring = n_ring
        self.n_points = rings.n_points
        self.ring_lat = lat
        off2 = 2 * rings.offset
        self.length = 2 * self.n_points + 4  # + a dump region for padding rings
        pad = n_ring  # padding rings: never covered (cos lat = 0 gives cos D = +inf)
        self.sin_lat = np.concatenate([np.sin(lat), np.zeros(pad)])
        self.cos_lat = np.concatenate([np.cos(lat), np.zeros(pad)])
        self.inv_dlon = np.concatenate([n / (2 * np.pi), np.full(pad, 1 / (2 * np.pi))])
        shift = n // 2
        # x = lon * n / 2pi + xoff is the position in the doubled ring of the sub-satellite longitude
        self.xoff = np.concatenate([shift - 0.5 + n / 2.0, np.zeros(pad)])
        self.n = np.concatenate([n, np.ones(pad, dtype=np.int64)]).astype(float)
        self.off2 = np.concatenate([off2, np.full(pad, 2 * self.n_points + 1)])
        ring_of_point = np.repeat(np.arange(n_ring), n)
        kk = np.arange(self.n_points) - rings.offset[ring_of_point]
        fold = off2[ring_of_point] + np.mod(kk + shift[ring_of_point], n[ring_of_point])
        self.fold1 = fold
        self.fold2 = fold + n[ring_of_point]
        if grid.scan_index is not None:
            self.fold1 = self.fold1[grid.scan_index]
            self.fold2 = self.fold2[grid.scan_index]
        self._windows_by_k = {}
        self._elevation_cache = {}
        self.lat_min = lat[0]
        self.lat_max = lat[-1]
        # WGS84 per-ring constants (ring latitudes are geodetic): prime-vertical radius N, the offset
        # K = e2 N sin(phi) of the normals' meeting point below the centre, |p|^2, 2 N (1 - e2) sin(phi)
        # and 2 N cos(phi); NaN on the padding rings keeps them empty.
        sin_phi, cos_phi = np.sin(lat), np.cos(lat)
        n_km = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_phi**2)
        zero, nan = np.zeros(pad), np.full(pad, np.nan)
        self.wgs_k = np.concatenate([WGS84_E2 * n_km * sin_phi, zero])
        self.wgs_n = np.concatenate([n_km, zero])
        self.wgs_n2 = np.concatenate([n_km**2, zero])
        self.wgs_sec = np.concatenate([1.0 / cos_phi, nan])
        self.wgs_p2 = np.concatenate([n_km**2 * (cos_phi**2 + (1.0 - WGS84_E2) ** 2 * sin_phi**2), zero])
        self.wgs_h = np.concatenate([2.0 * n_km * (1.0 - WGS84_E2) * sin_phi, zero])
        self.wgs_2ncos = np.concatenate([2.0 * n_km * cos_phi, nan])

    def count(self, lat_rad, lon_rad, lam_rad, out=None, trig=None) -> np.ndarray:
        """Number of satellites in view of every cell of the grid, on a spherical Earth.

        Parameters
        ----------
        lat_rad, lon_rad : ndarray, shape (n_time, n_sat)
            Sub-satellite latitude and longitude (longitude in [-pi, pi)).
        lam_rad : ndarray, shape (n_time, n_sat) or (n_sat,)
            Footprint radius (Earth central angle) of each satellite; negative: not visible.
        out : ndarray of int, shape (n_time, n_cell), optional
        trig : tuple of ndarray, shape (n_time, n_sat), optional
            ``(sin_lat, cos_lat)`` of ``lat_rad`` when the caller has them (the compiled propagator's,
            :meth:`~constellations.propagation.J2Propagator.subsatellite_trig`): the compiled backend
            then skips its own ``np.sin`` and ``np.cos``; the NumPy reference ignores them.

        Returns
        -------
        ndarray of int32, shape (n_time, n_cell)
        """
        lam = np.broadcast_to(lam_rad, lat_rad.shape)
        return self._run(lat_rad, lon_rad, lam, (lam,), self._cos_half_sphere, out, trig=trig)

    def count_elevation(self, lat_rad, lon_rad, radius_km, min_elevation_rad, max_nadir_rad=None,
                        earth: str = "wgs84", out=None, trig=None) -> np.ndarray:
        """Number of satellites at or above a minimum elevation (and inside a nadir cone) of every cell.

        On ``earth="wgs84"`` each ring is a ring of fixed geodetic latitude with observers at height 0
        on the ellipsoid, elevation measured from the geodetic horizon (as skyfield's
        ``wgs84.latlon(...)``); the visible cells of a ring form one longitude interval centred on the
        satellite's longitude, of half-width ``arccos(c*)`` from the closed form in the module
        docstring. Rings are searched from the satellite's latitude minus
        :func:`constellations.earth.reach_rad` (a rigorous bound: spherical central angle on a sphere of
        the polar radius, evaluated at ``eps - 0.1924 deg``, plus 0.1924 deg, the largest angle between
        the geodetic and the geocentric vertical). On ``earth="sphere"`` the result is exactly
        ``count(lat, lon, central_angle_rad(radius_km - R, degrees(eps), degrees(eta)))``.

        Parameters
        ----------
        lat_rad, lon_rad : ndarray, shape (n_time, n_sat)
            Geocentric latitude and longitude of the satellites (longitude in [-pi, pi)).
        radius_km : ndarray, shape (n_sat,) or (n_time, n_sat)
            Distance of each satellite from the Earth's centre, km; NaN (failed propagation) or below
            :data:`constellations.earth.MIN_VISIBLE_RADIUS_KM` (6,442.4 km): never visible.
        min_elevation_rad : array_like, shape (n_sat,)
            Minimum elevation of each satellite above the local horizon, radians.
        max_nadir_rad : array_like, shape (n_sat,), optional
            Sensor half-angle from the geocentric nadir, radians; ``None``, ``inf`` or >= pi/2: no limit.
        earth : {"wgs84", "sphere"}
        out : ndarray of int32, shape (n_time, n_cell), optional
        trig : tuple of ndarray, shape (n_time, n_sat), optional
            ``(sin_lat, cos_lat)`` of ``lat_rad``, as for :meth:`count`.

        Returns
        -------
        ndarray of int32, shape (n_time, n_cell)

        Examples
        --------
        >>> import numpy as np
        >>> from constellations import global_grid
        >>> k = RingKernel(global_grid(spacing_deg=10.0))
        >>> c = k.count_elevation(np.zeros((1, 1)), np.zeros((1, 1)), np.array([6928.137]),
        ...                       np.radians([10.0]))
        >>> c.shape, int(c.max())
        ((1, 412), 1)
        """
        lat_rad = np.asarray(lat_rad, dtype=float)
        lon_rad = np.asarray(lon_rad, dtype=float)
        radius, eps, eta = _elevation_inputs(lat_rad, radius_km, min_elevation_rad, max_nadir_rad)
        if check_earth(earth) == "sphere":
            return self.count(lat_rad, lon_rad, _sphere_footprint_rad(radius, eps, eta), out=out, trig=trig)
        reach = _reach(lon_rad, radius, eps, eta)
        radius = np.broadcast_to(radius, lat_rad.shape)
        params = [radius, np.broadcast_to(np.sin(eps), lat_rad.shape),
                  np.broadcast_to(np.cos(eps) ** 2, lat_rad.shape)]
        if eta is not None:
            cone = eta < np.pi / 2  # wider cones never bind above the horizon
            eta_c = np.where(cone, eta, 0.0)
            params += [np.broadcast_to(np.where(cone, np.sin(eta_c), np.nan), lat_rad.shape),
                       np.broadcast_to(np.where(cone, np.cos(eta_c), np.nan), lat_rad.shape)]
        return self._run(lat_rad, lon_rad, reach, params, self._cos_half_wgs84, out, trig=trig)

    def _run(self, lat_rad, lon_rad, reach, params, cos_half, out, backend=None, trig=None):
        """Count in time chunks that keep the slot arrays near :data:`SLOT_BUDGET` entries.

        ``reach`` (n_time, n_sat) bounds the latitude distance from a satellite to the rings that can
        see it (negative: none); ``params`` are (n_time, n_sat) arrays passed, culled, to ``cos_half``.
        ``backend`` (default :func:`constellations.kernels.backend`): ``"numba"`` counts the same in
        :func:`constellations.coverage_compiled.count_rings`; this NumPy code is the reference.
        """
        if (backend or kernels.backend()) == "numba":
            sin_lat, cos_lat = (None, None) if trig is None else trig
            return kernels.compiled().count_rings(self, lat_rad, lon_rad, reach, params, out,
                                                  wgs84=cos_half == self._cos_half_wgs84,
                                                  slot_budget=SLOT_BUDGET, sin_lat=sin_lat,
                                                  cos_lat=cos_lat)
        n_time, n_sat = lat_rad.shape
        if out is None:
            out = np.empty((n_time, len(self.fold1)), dtype=np.int32)
        groups = self._groups(reach)
        k_max = max(w["n"].shape[1] for _, w in groups)
        step = max(1, SLOT_BUDGET // max(1, n_sat * k_max))
        step = min(step, max(1, 4_000_000 // self.length))
        for t0 in range(0, n_time, step):
            sl = slice(t0, min(n_time, t0 + step))
            out[sl] = self._count_chunk(lat_rad[sl], lon_rad[sl], reach[sl], [p[sl] for p in params],
                                        groups, cos_half)
        return out

    def _groups(self, lam) -> list:
        """Satellites grouped by the number of rings their footprints can touch.

        Each group is ``(columns, windows)``; ``columns`` is ``None`` for a single group. Grouping
        spares the smaller footprints of a mixed constellation (e.g. shells at several altitudes)
        the slots of the largest one; at most :data:`MAX_RING_GROUPS` groups, and only when they
        save at least 5 % of the slots, keep the per-chunk overhead small.
        """
        lam_sat = np.max(lam, axis=0, initial=0.0)  # (n_sat,)
        k_sat = np.clip(np.floor(2 * lam_sat / self._spacing) + 2, 1, self._n_ring).astype(int)
        levels = np.unique(k_sat)
        if levels.size > MAX_RING_GROUPS:  # merge neighbouring levels upwards into a few bins
            levels = np.unique(np.quantile(levels, np.linspace(0, 1, MAX_RING_GROUPS + 1)[1:],
                                           method="higher"))
        bin_of = np.searchsorted(levels, k_sat)  # each satellite to the smallest level that fits
        if levels[bin_of].sum() > 0.95 * levels[-1] * k_sat.size:  # saves < 5 % of the slots
            return [(None, self._windows(int(levels[-1])))]
        return [(np.flatnonzero(bin_of == i), self._windows(int(k)))
                for i, k in enumerate(levels) if np.any(bin_of == i)]

    def _windows(self, k: int) -> dict:
        """Per-ring tables as sliding windows: row j holds rings j .. j + k - 1, contiguous.

        ``k`` is the number of rings a footprint can touch (+ 1 for the search start); tables are
        built once per ``k`` and key, on first use (:meth:`_table`).
        """
        if k not in self._windows_by_k:  # built whole, then published: counting threads share it
            w = {"k": k}
            for key in ("sin_lat", "cos_lat", "inv_dlon", "xoff", "n", "off2"):
                self._table(w, key)
            self._windows_by_k[k] = w
        return self._windows_by_k[k]

    def _table(self, w: dict, key: str) -> np.ndarray:
        """The sliding-window table ``key`` of ``w``, added on first use (one dict insertion)."""
        if key not in w:
            sliding = np.lib.stride_tricks.sliding_window_view
            w[key] = np.ascontiguousarray(sliding(getattr(self, key), w["k"])[: self._n_ring + 1])
        return w[key]

    def _count_chunk(self, lat, lon, reach, params, groups, cos_half):
        n_time = lat.shape[0]
        length = self.length
        starts, ends = [], []
        for columns, w in self._pieces(groups, lat.shape):
            if columns is None:
                slots = self._slots(lat, lon, reach, params, w, cos_half)
            else:
                slots = self._slots(lat[:, columns], lon[:, columns], reach[:, columns],
                                    [p[:, columns] for p in params], w, cos_half)
            if slots is not None:
                starts.append(slots[0])
                ends.append(slots[1])
        if not starts:
            ext = np.zeros((n_time, length), dtype=np.int64)
        else:
            plus = np.bincount(np.concatenate(starts) if len(starts) > 1 else starts[0],
                               minlength=n_time * length)
            plus -= np.bincount(np.concatenate(ends) if len(ends) > 1 else ends[0],
                                minlength=n_time * length)
            ext = np.cumsum(plus.reshape(n_time, length), axis=1)
        counts = np.take(ext, self.fold1, axis=1)
        counts += np.take(ext, self.fold2, axis=1)
        return counts

    @staticmethod
    def _pieces(groups, shape):
        """Split groups into satellite blocks of at most about :data:`SLOT_BUDGET` slots.

        Slot arrays that fit in the cache are several times faster to fill than larger ones, so a
        big constellation in one group (one time step of 16,000 satellites x 30 rings) is counted
        in a few blocks.
        """
        n_time, n_sat = shape
        for columns, w in groups:
            n_col = n_sat if columns is None else columns.size
            per_block = max(1, SLOT_BUDGET // (n_time * w["k"]))
            if n_col <= per_block:
                yield columns, w
                continue
            index = np.arange(n_sat) if columns is None else columns
            n_block = -(-n_col // per_block)
            for block in np.array_split(index, n_block):
                yield block, w

    def _slots(self, lat, lon, reach, params, w, cos_half):
        """Difference-array positions (+1 at ``start``, -1 at ``end``) of every (satellite, ring).

        Parameters
        ----------
        lat, lon, reach : ndarray, shape (n_time, n_sat)
            Satellite latitude, longitude and the latitude distance within which rings can see it
            (negative: none).
        params : list of ndarray, shape (n_time, n_sat)
            Passed, culled to the satellites that reach a ring, to ``cos_half``.
        w : dict
            Ring windows from :meth:`_windows`, wide enough for every footprint here.
        cos_half : callable
            ``cos_half(j0, w, lat, *params) -> cos D`` of shape (n_near, k): the cosine of the
            half-width of the visible interval on rings ``j0 .. j0 + k - 1`` (> 1 or NaN: empty).

        Returns
        -------
        (start, end) : ndarray of int64, shape (n_slot,), or None when no footprint reaches a ring
        """
        n_time = lat.shape[0]
        length = self.length
        t_index = np.broadcast_to(np.arange(n_time)[:, None], lat.shape)
        # keep only satellites whose footprint reaches a ring of this grid
        near = (lat + reach >= self.lat_min) & (lat - reach <= self.lat_max) & (reach >= 0.0)
        if not near.all():
            lat, lon, reach, t_index = lat[near], lon[near], reach[near], t_index[near]
            params = [p[near] for p in params]
        else:
            lat, lon, reach, t_index = lat.ravel(), lon.ravel(), reach.ravel(), t_index.ravel()
            params = [p.ravel() for p in params]
        if lat.size == 0:
            return None
        # the K rings from the first one a footprint can touch: one row copy per satellite
        j0 = np.searchsorted(self.ring_lat, lat - reach)
        cos_d = cos_half(j0, w, lat, *params)
        empty = ~(cos_d <= 1.0)
        np.clip(cos_d, -1.0, 1.0, out=cos_d)
        inv = np.take(w["inv_dlon"], j0, axis=0)
        half = np.arccos(cos_d, out=cos_d)
        half *= inv
        half[empty] = -1.0
        x = np.multiply(lon[:, None], inv, out=inv)
        x += np.take(w["xoff"], j0, axis=0)
        first = x - half
        np.ceil(first, out=first)
        x += half
        end = np.floor(x, out=x)
        end += 1.0
        n = np.take(w["n"], j0, axis=0)
        n += first
        np.clip(end, first, n, out=end)  # at most one full turn; empty -> zero length
        base = np.take(w["off2"], j0, axis=0)
        base += (t_index * length)[:, None]
        start = (base + first.astype(np.int64)).ravel()
        base += end.astype(np.int64)
        return start, base.ravel()

    def _cos_half_sphere(self, j0, w, lat, lam):
        """``cos D = (cos lambda - sin lat_s sin lat_j) / (cos lat_s cos lat_j)``, shape (n_near, k)."""
        sin_s = np.sin(lat)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            cos_d = np.take(w["sin_lat"], j0, axis=0)
            cos_d *= -sin_s
            cos_d += np.cos(lam)[:, None]
            den = np.take(w["cos_lat"], j0, axis=0)
            den *= np.cos(lat)[:, None]
            cos_d /= den
        return cos_d

    def _cos_half_wgs84(self, j0, w, lat, radius, sin_e, cos2_e, sin_eta=None, cos_eta=None):
        """WGS84 ``cos D`` (module docstring) on rings ``j0 .. j0 + k - 1``, shape (n_near, k).

        NaN (no real root, padding rings) and values above 1 mean an empty interval. When every
        satellite here has the same minimum elevation (one shell, one catalog), the terms that depend
        on the ring and the elevation only come from per-ring tables (:meth:`_elevation_tables`).
        """
        z = radius * np.sin(lat)  # height above the equator plane, km
        rho = radius * np.cos(lat)  # distance from the axis, km
        with np.errstate(divide="ignore", invalid="ignore"):
            if cos2_e.size and np.all(cos2_e == cos2_e[0]):
                q = self._cos_half_wgs84_one_elevation(j0, w, radius, z, rho, sin_e[0], cos2_e[0])
                u = t = None
            else:
                t = np.take(self._table(w, "wgs_k"), j0, axis=0)
                t += z[:, None]  # z_s + e2 N sin(phi): height above the normals' meeting point Q
                q = np.multiply(t, t)
                q += (rho * rho)[:, None]
                u = np.take(self._table(w, "wgs_n2"), j0, axis=0)
                u *= cos2_e[:, None]
                q -= u  # |s - Q|^2 - N^2 cos^2(eps)
                np.sqrt(q, out=q)
                q *= sin_e[:, None]
                np.take(self._table(w, "wgs_n"), j0, axis=0, out=u, mode="clip")
                u *= cos2_e[:, None]
                q += u
                np.take(w["sin_lat"], j0, axis=0, out=u, mode="clip")
                u *= t
                q -= u
                np.take(self._table(w, "wgs_sec"), j0, axis=0, out=u, mode="clip")
                u *= (1.0 / rho)[:, None]
                q *= u
            if sin_eta is not None:
                t = np.empty_like(q) if t is None else t
                u = np.empty_like(q) if u is None else u
                np.fmax(q, self._cos_half_cone(j0, w, radius, z, rho, sin_eta, cos_eta, t, u), out=q)
        return q

    def _cos_half_wgs84_one_elevation(self, j0, w, radius, z, rho, sin_e, cos2_e):
        """:meth:`_cos_half_wgs84` for one minimum elevation: 15 array passes instead of 18.

        With ``T = N cos^2 eps - K sin(phi)`` and ``V = K^2 - N^2 cos^2 eps`` per ring,
        ``rho cos(phi) cos D = T - z sin(phi) + sin(eps) sqrt(r^2 + 2 z K + V)``.
        """
        tables = self._elevation_tables(w, float(cos2_e))
        q = np.take(self._table(w, "wgs_k"), j0, axis=0)
        q *= (2.0 * z)[:, None]
        u = np.take(tables["v"], j0, axis=0, mode="clip")
        q += u
        q += (radius * radius)[:, None]
        np.sqrt(q, out=q)  # sqrt(|s - Q|^2 - N^2 cos^2(eps))
        inv_rho = 1.0 / rho
        q *= (sin_e * inv_rho)[:, None]
        np.take(tables["t"], j0, axis=0, out=u, mode="clip")
        u *= inv_rho[:, None]
        q += u
        np.take(w["sin_lat"], j0, axis=0, out=u, mode="clip")
        u *= (z * inv_rho)[:, None]
        q -= u
        np.take(self._table(w, "wgs_sec"), j0, axis=0, out=u, mode="clip")
        q *= u
        return q

    def _elevation_tables(self, w: dict, cos2_e: float) -> dict:
        """Sliding-window tables ``T`` and ``V`` of :meth:`_cos_half_wgs84_one_elevation`, cached.

        The cache holds a few elevations per window size; it is replaced, never changed in place,
        when full, so counting threads can share it.
        """
        key = (w["k"], cos2_e)
        cache = self._elevation_cache
        if key not in cache:
            if len(cache) >= 16:  # many distinct elevations: start a new cache
                cache = self._elevation_cache = {}
            sliding = np.lib.stride_tricks.sliding_window_view
            big_t, big_v = self._elevation_terms(cos2_e)
            cache[key] = {name: np.ascontiguousarray(sliding(table, w["k"])[: self._n_ring + 1])
                          for name, table in (("t", big_t), ("v", big_v))}
        return cache[key]

    def _elevation_terms(self, cos2_e: float):
        """Per-ring ``T = N cos^2 eps - K sin(phi)`` and ``V = K^2 - N^2 cos^2 eps`` of the
        one-elevation WGS84 formula, shape (n_ring + padding,) each (the compiled kernel reads the
        same floats)."""
        return self.wgs_n * cos2_e - self.wgs_k * self.sin_lat, self.wgs_k**2 - self.wgs_n2 * cos2_e

    def _cos_half_cone(self, j0, w, radius, z, rho, sin_eta, cos_eta, work1, work2):
        """Lower bound on ``cos(dL)`` from a nadir cone (NaN: the cone does not bind), shape (n_near, k).

        ``work1`` and ``work2`` are scratch arrays of the same shape.
        """
        r2 = (radius * radius)[:, None]
        p2 = np.take(self._table(w, "wgs_p2"), j0, axis=0, out=work1, mode="clip")
        d = np.subtract(p2, ((radius * sin_eta) ** 2)[:, None], out=work2)  # T^2 - M
        np.sqrt(d, out=d)  # NaN where the cone is wider than the limb: no bound
        d += (radius * cos_eta)[:, None]
        m = np.subtract(r2, p2)  # M = r^2 - |p|^2
        np.divide(m, d, out=d)  # v_1, the largest slant range inside the cone
        d *= d
        c = p2
        c += r2
        np.take(self._table(w, "wgs_h"), j0, axis=0, out=m, mode="clip")
        m *= z[:, None]
        c -= m  # C = |s|^2 + |p|^2 - 2 z_s N (1 - e2) sin(phi): |s - p|^2 = C - 2 rho N cos(phi) cos(dL)
        c -= d
        np.take(self._table(w, "wgs_2ncos"), j0, axis=0, out=m, mode="clip")
        m *= rho[:, None]
        c /= m
        return c


class PointKernel:
    """Direct visibility test for a list of points, culled by latitude.

    Points are grouped into latitude bands (at most :data:`POINT_BAND_RAD` tall); for each band only
    the satellite positions whose latitude lies within the largest footprint radius of the band are
    tested, with one matrix product per band and time chunk. No satellite outside that window can
    see a point of the band, so the result equals the test against every satellite.

    Parameters
    ----------
    grid : Grid
        Any grid; its cell centres are tested one by one (latitudes geodetic for
        :meth:`count_elevation` on WGS84).
    """

    def __init__(self, grid: Grid):
        lat = np.radians(grid.lat_deg)
        lon = np.radians(grid.lon_deg)
        self.unit = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        # WGS84 observers at height 0: position (3, n_pt), km, geodetic up (3, n_pt), p.up and |p|^2
        self.wgs_p = observer_ecef_km(grid.lat_deg, grid.lon_deg, "wgs84").T.copy()
        self.wgs_up = up_unit(grid.lat_deg, grid.lon_deg).T.copy()
        self.wgs_pn = np.sum(self.wgs_p * self.wgs_up, axis=0)
        self.wgs_p2 = np.sum(self.wgs_p * self.wgs_p, axis=0)
        order = np.argsort(lat, kind="stable")
        # a new band starts where a point lies more than POINT_BAND_RAD above the band's first point
        starts = [0]
        for i in range(1, order.size):  # construction only: a loop over the sorted points once
            if lat[order[i]] - lat[order[starts[-1]]] > POINT_BAND_RAD:
                starts.append(i)
        self.bands = [order[a:b] for a, b in zip(starts, [*starts[1:], order.size], strict=True)]
        self.band_lat = [(lat[b].min(), lat[b].max()) for b in self.bands]

    def count(self, lat_rad, lon_rad, lam_rad, out=None, trig=None) -> np.ndarray:
        """Same contract as :meth:`RingKernel.count` (``trig`` is not used)."""
        if kernels.backend() == "numba":
            return kernels.compiled().count_points(self, lat_rad, lon_rad, lam_rad, out)
        n_time, n_sat = lat_rad.shape
        lam = np.broadcast_to(lam_rad, lat_rad.shape)
        cos_lam = np.where(lam >= 0.0, np.cos(lam), 2.0).ravel()  # negative radius: never visible
        reach = float(np.max(lam, initial=0.0))
        if out is None:
            out = np.empty((n_time, self.unit.shape[1]), dtype=np.int32)
        cl = np.cos(lat_rad)
        sat = np.stack([cl * np.cos(lon_rad), cl * np.sin(lon_rad), np.sin(lat_rad)], axis=-1)
        sat = sat.reshape(-1, 3)
        lat_flat = lat_rad.ravel()
        for points, (lo, hi) in zip(self.bands, self.band_lat, strict=True):
            near = np.flatnonzero((lat_flat >= lo - reach) & (lat_flat <= hi + reach))  # time-major
            if near.size == 0:
                out[:, points] = 0
                continue
            visible = (sat[near] @ self.unit[:, points]) >= cos_lam[near][:, None]  # (n_near, n_pt)
            out[:, points] = _sum_per_step(visible, near, n_time, n_sat)
        return out

    def count_elevation(self, lat_rad, lon_rad, radius_km, min_elevation_rad, max_nadir_rad=None,
                        earth: str = "wgs84", out=None, trig=None) -> np.ndarray:
        """Same contract as :meth:`RingKernel.count_elevation` (``trig`` is not used), tested from
        vectors point by point.

        On WGS84, with ``s`` the satellite, ``p`` the observer on the ellipsoid and ``n`` its geodetic
        up: visible when ``(s - p).n >= sin(eps) |s - p|`` and, with a sensor cone,
        ``|s|^2 - s.p >= cos(eta) |s| |s - p|``; satellites are culled per band by
        :func:`constellations.earth.reach_rad`.

        Examples
        --------
        >>> import numpy as np
        >>> from constellations import points
        >>> k = PointKernel(points([0.0, 60.0], [0.0, 0.0]))
        >>> k.count_elevation(np.zeros((1, 1)), np.zeros((1, 1)), np.array([6928.137]),
        ...                   np.radians([10.0])).tolist()
        [[1, 0]]
        """
        lat_rad = np.asarray(lat_rad, dtype=float)
        lon_rad = np.asarray(lon_rad, dtype=float)
        radius, eps, eta = _elevation_inputs(lat_rad, radius_km, min_elevation_rad, max_nadir_rad)
        if check_earth(earth) == "sphere":
            return self.count(lat_rad, lon_rad, _sphere_footprint_rad(radius, eps, eta), out=out)
        if kernels.backend() == "numba":
            return kernels.compiled().count_points_elevation(
                self, lat_rad, lon_rad, radius, eps, eta, _reach(lon_rad, radius, eps, eta), out)
        n_time, n_sat = lat_rad.shape
        if out is None:
            out = np.empty((n_time, self.unit.shape[1]), dtype=np.int32)
        shape = lat_rad.shape
        reach = _reach(lon_rad, radius, eps, eta).ravel()
        r = np.broadcast_to(radius, shape).ravel()
        sin_e = np.broadcast_to(np.sin(eps), shape).ravel()
        cos_eta = None if eta is None else np.broadcast_to(
            np.where(eta < np.pi / 2, np.cos(np.minimum(eta, np.pi / 2)), -np.inf), shape).ravel()
        cl = np.cos(lat_rad)
        sat = np.stack([cl * np.cos(lon_rad), cl * np.sin(lon_rad), np.sin(lat_rad)], axis=-1)
        sat = sat.reshape(-1, 3) * r[:, None]
        lat_flat = lat_rad.ravel()
        for points, (lo, hi) in zip(self.bands, self.band_lat, strict=True):
            near = np.flatnonzero((lat_flat + reach >= lo) & (lat_flat - reach <= hi) & (reach >= 0.0))
            if near.size == 0:
                out[:, points] = 0
                continue
            s = sat[near]
            r2 = (r[near] ** 2)[:, None]
            sp = s @ self.wgs_p[:, points]  # (n_near, n_pt)
            slant = r2 - 2.0 * sp + self.wgs_p2[points]
            np.sqrt(slant, out=slant)  # |s - p|, km
            up = s @ self.wgs_up[:, points]
            up -= self.wgs_pn[points]  # (s - p).n, km
            visible = up >= sin_e[near][:, None] * slant
            if cos_eta is not None:
                visible &= (r2 - sp) >= (cos_eta[near] * r[near])[:, None] * slant
            out[:, points] = _sum_per_step(visible, near, n_time, n_sat)
        return out


def _sum_per_step(visible, near, n_time, n_sat):
    """Sum the rows of each time step (``near`` indexes time-major rows); steps without rows count 0.

    A zero row appended after the last one keeps every ``reduceat`` start a valid index, so the rows
    of the last step with rows are all summed even when later steps have none.
    """
    bounds = np.searchsorted(near, np.arange(n_time + 1) * n_sat)
    padded = np.concatenate([visible, np.zeros((1, visible.shape[1]), dtype=visible.dtype)])
    sums = np.add.reduceat(padded, bounds[:-1], axis=0, dtype=np.int32)
    sums[bounds[:-1] == bounds[1:]] = 0
    return sums
