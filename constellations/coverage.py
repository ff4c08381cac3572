"""Counting kernels: how many satellites see each ground cell at each time step.

Ring grids use the *ring scanline*: on a latitude ring, the cells a footprint covers form one
longitude interval centred on the sub-satellite longitude, of half-width ``D`` with
``cos D = (cos lambda - sin lat_s sin lat_j) / (cos lat_s cos lat_j)``. Each (satellite, ring) pair
adds +1 at the interval start and -1 one past its end in a difference array; a cumulative sum gives
every cell's count. The work per step is ``O(n_sat * rings_per_footprint + n_cell)`` instead of the
``O(n_sat * n_cell)`` of a direct test. To handle the wrap at the antimeridian without branches, each
ring of ``n`` cells is laid out twice (``2 n`` positions) and the two halves are added after the sum.

Point lists use the direct test ``dot(u_sat, u_point) >= cos(lambda)`` (exact for few points).

The criterion in both is the same: a satellite is visible from a point when the Earth central angle
between its sub-satellite point and the point is at most its footprint radius ``lambda``
(:func:`constellations.geometry.central_angle_rad`), i.e. its elevation is at least the minimum.
"""

from __future__ import annotations

import numpy as np

from .grid import Grid, Rings

__all__ = ["PointKernel", "RingKernel"]

SLOT_BUDGET = 400_000  # (time, satellite, ring) slots per kernel call: keeps temporaries in cache
POINT_BAND_RAD = np.radians(3.0)  # latitude extent of a band of points tested together
MAX_RING_GROUPS = 4  # satellites grouped by footprint size, at most this many groups per call


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
        self.lat_min = lat[0]
        self.lat_max = lat[-1]

    def count(self, lat_rad, lon_rad, lam_rad, out=None) -> np.ndarray:
        """Number of satellites in view of every cell of the grid.

        Parameters
        ----------
        lat_rad, lon_rad : ndarray, shape (n_time, n_sat)
            Sub-satellite latitude and longitude (longitude in [-pi, pi)).
        lam_rad : ndarray, shape (n_time, n_sat) or (n_sat,)
            Footprint radius (Earth central angle) of each satellite; negative: not visible.
        out : ndarray of int, shape (n_time, n_cell), optional

        Returns
        -------
        ndarray of int32, shape (n_time, n_cell)
        """
        n_time, n_sat = lat_rad.shape
        lam = np.broadcast_to(lam_rad, lat_rad.shape)
        if out is None:
            out = np.empty((n_time, len(self.fold1)), dtype=np.int32)
        groups = self._groups(lam)
        k_max = max(w["n"].shape[1] for _, w in groups)
        step = max(1, SLOT_BUDGET // max(1, n_sat * k_max))
        step = min(step, max(1, 4_000_000 // self.length))
        for t0 in range(0, n_time, step):
            sl = slice(t0, min(n_time, t0 + step))
            out[sl] = self._count_chunk(lat_rad[sl], lon_rad[sl], lam[sl], groups)
        return out

    def _groups(self, lam) -> list:
        """Satellites grouped by the number of rings their footprints can touch.

        Each group is ``(columns, windows)``; ``columns`` is ``None`` for a single group. Grouping
        spares the smaller footprints of a mixed constellation (e.g. shells at several altitudes)
        the slots of the largest one; at most :data:`MAX_RING_GROUPS` groups, and only when they
        save at least 10 % of the slots, keep the per-chunk overhead small.
        """
        lam_sat = np.max(lam, axis=0, initial=0.0)  # (n_sat,)
        k_sat = np.clip(np.floor(2 * lam_sat / self._spacing) + 2, 1, self._n_ring).astype(int)
        levels = np.unique(k_sat)
        if levels.size > MAX_RING_GROUPS:  # merge neighbouring levels upwards into a few bins
            levels = np.unique(np.quantile(levels, np.linspace(0, 1, MAX_RING_GROUPS + 1)[1:],
                                           method="higher"))
        bin_of = np.searchsorted(levels, k_sat)  # each satellite to the smallest level that fits
        if levels[bin_of].sum() > 0.9 * levels[-1] * k_sat.size:  # saves < 10 % of the slots
            return [(None, self._windows(int(levels[-1])))]
        return [(np.flatnonzero(bin_of == i), self._windows(int(k)))
                for i, k in enumerate(levels) if np.any(bin_of == i)]

    def _windows(self, k: int) -> dict:
        """Per-ring tables as sliding windows: row j holds rings j .. j + k - 1, contiguous.

        ``k`` is the number of rings a footprint can touch (+ 1 for the search start); tables are
        built once per ``k``.
        """
        if k not in self._windows_by_k:
            sliding = np.lib.stride_tricks.sliding_window_view
            self._windows_by_k[k] = {
                key: np.ascontiguousarray(sliding(getattr(self, key), k)[: self._n_ring + 1])
                for key in ("sin_lat", "cos_lat", "inv_dlon", "xoff", "n", "off2")
            }
        return self._windows_by_k[k]

    def _count_chunk(self, lat, lon, lam, groups):
        n_time = lat.shape[0]
        length = self.length
        starts, ends = [], []
        for columns, w in groups:
            if columns is None:
                slots = self._slots(lat, lon, lam, w)
            else:
                slots = self._slots(lat[:, columns], lon[:, columns], lam[:, columns], w)
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

    def _slots(self, lat, lon, lam, w):
        """Difference-array positions (+1 at ``start``, -1 at ``end``) of every (satellite, ring).

        Parameters
        ----------
        lat, lon, lam : ndarray, shape (n_time, n_sat)
        w : dict
            Ring windows from :meth:`_windows`, wide enough for every footprint here.

        Returns
        -------
        (start, end) : ndarray of int64, shape (n_slot,), or None when no footprint reaches a ring
        """
        n_time = lat.shape[0]
        length = self.length
        t_index = np.broadcast_to(np.arange(n_time)[:, None], lat.shape)
        # keep only satellites whose footprint reaches a ring of this grid
        near = (lat + lam >= self.lat_min) & (lat - lam <= self.lat_max) & (lam >= 0.0)
        if not near.all():
            lat, lon, lam, t_index = lat[near], lon[near], lam[near], t_index[near]
        else:
            lat, lon, lam, t_index = lat.ravel(), lon.ravel(), lam.ravel(), t_index.ravel()
        if lat.size == 0:
            return None
        # the K rings from the first one a footprint can touch: one row copy per satellite
        j0 = np.searchsorted(self.ring_lat, lat - lam)
        sin_s = np.sin(lat)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            cos_d = np.take(w["sin_lat"], j0, axis=0)
            cos_d *= -sin_s
            cos_d += np.cos(lam)[:, None]
            den = np.take(w["cos_lat"], j0, axis=0)
            den *= np.cos(lat)[:, None]
            cos_d /= den
        empty = ~(cos_d <= 1.0)
        np.clip(cos_d, -1.0, 1.0, out=cos_d)
        inv = np.take(w["inv_dlon"], j0, axis=0)
        half = np.arccos(cos_d, out=cos_d)
        half *= inv
        half[empty] = -1.0
        x = np.multiply(lon[:, None], inv, out=inv)
        x += np.take(w["xoff"], j0, axis=0)
        first = np.subtract(x, half, out=den)
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


class PointKernel:
    """Direct visibility test for a list of points, culled by latitude.

    Points are grouped into latitude bands (at most :data:`POINT_BAND_RAD` tall); for each band only
    the satellite positions whose latitude lies within the largest footprint radius of the band are
    tested, with one matrix product per band and time chunk. No satellite outside that window can
    see a point of the band, so the result equals the test against every satellite.

    Parameters
    ----------
    grid : Grid
        Any grid; its cell centres are tested one by one.
    """

    def __init__(self, grid: Grid):
        lat = np.radians(grid.lat_deg)
        lon = np.radians(grid.lon_deg)
        self.unit = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        order = np.argsort(lat, kind="stable")
        # a new band starts where a point lies more than POINT_BAND_RAD above the band's first point
        starts = [0]
        for i in range(1, order.size):  # construction only: a loop over the sorted points once
            if lat[order[i]] - lat[order[starts[-1]]] > POINT_BAND_RAD:
                starts.append(i)
        self.bands = [order[a:b] for a, b in zip(starts, [*starts[1:], order.size], strict=True)]
        self.band_lat = [(lat[b].min(), lat[b].max()) for b in self.bands]

    def count(self, lat_rad, lon_rad, lam_rad, out=None) -> np.ndarray:
        """Same contract as :meth:`RingKernel.count`."""
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
            # sum the rows of each time step (near is time-major); steps without rows count 0
            bounds = np.searchsorted(near, np.arange(n_time + 1) * n_sat)
            first = np.minimum(bounds[:-1], near.size - 1)
            sums = np.add.reduceat(visible, first, axis=0, dtype=np.int32)
            sums[bounds[:-1] == bounds[1:]] = 0
            out[:, points] = sums
        return out
