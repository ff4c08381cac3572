"""Counting SBIs in reach: per-site counts over time, their statistics, the global map, the tracking layer.

:func:`in_reach_counts` counts, at every time step, the satellites meeting a reach criterion
``cos theta >= c`` (:meth:`~constellations.goldendome.reach.ReachModel.cos_threshold`) for a few
sites. For circular orbits (a propagator with ``fixed_footprints``, see
:class:`constellations.elements.Propagator`) it works **per orbital plane**: with the site's angular
distance ``beta`` from the plane and its projection ``u_s`` onto it, ``cos theta = cos beta
cos(u - u_s)``, so the satellites in reach are those of the plane whose argument of latitude ``u``
lies within ``arccos(c / cos beta)`` of ``u_s`` -- a range count on the plane's sorted phases (a
binary search), exact and ``O(n_time * n_plane * n_site * log n)`` instead of
``O(n_time * n_sat * n_site)``. Other satellite sources (SGP4 catalogs) take a direct distance test
over (time, satellite) chunks.

The time ``t`` of a count is the moment the SBI is ordered to fire (launch + ``t_d``); over a window
in which a launch can come at any moment the statistics do not depend on that shift.

The tracking layer (:func:`tracking_metrics`) is line of sight, not reach: sensors seen from sites at
height 0 on the WGS84 ellipsoid above a minimum geodetic elevation (the coverage engine's criterion,
:data:`TRACKING_MODEL`); the share of time with at least ``min_sensors`` in view and the longest
stretch with fewer come from exact ``min_sensors``-fold access windows
(:class:`constellations.windows.WindowFinder` with ``level``), the per-step counts stay sampled.

Model limits of the reach, stated in every in-reach result's attributes (:data:`MODEL_LIMITS`): the
engagement point is straight above the launch site (the missile's downrange travel during boost is
ignored); flyout is a straight line at an average speed (no gravity turn, no orbital velocity
bookkeeping); one SBI engages one missile and is not shared between sites; no SBI is lost to failures,
fuel state or prior engagements.

Examples
--------
>>> import constellations as cs
>>> from constellations.goldendome import ReachModel, in_reach_counts, threat_sites
>>> sites = threat_sites(["Sohae"])
>>> counts = in_reach_counts(cs.walker_delta(1600, 40, 1, 400.0, 50.0), sites, ReachModel(),
...                          "2025-07-01T00:00:00Z", duration_s=600.0, step_s=60.0)
>>> counts.shape
(10, 1)
"""

from __future__ import annotations

import math

import numpy as np

from ..engine import elevation_criterion, elevation_footprint, keep_freed_memory, stream_counts
from ..frames import parse_utc
from ..geometry import EARTH_RADIUS_KM
from ..grid import global_grid, points
from ..metrics import WindowAccumulator
from ..windows import WindowFinder, check_exact_step
from .reach import ReachModel, reach_model
from .sites import as_site_list, site_unit_vectors

__all__ = [
    "DEFAULT_START",
    "MODEL_LIMITS",
    "count_in_reach",
    "expected_in_reach",
    "expected_in_reach_constellation",
    "in_reach_counts",
    "mean_in_reach_map",
    "reach_metrics",
    "time_axis_s",
    "tracking_metrics",
]

DEFAULT_START = "2025-07-01T00:00:00Z"
TWO_PI = 2.0 * np.pi
TRIPLE_BUDGET = 1_500_000  # (time, plane, site) triples per chunk of the plane counter
PAIR_BUDGET = 3_000_000  # (time, satellite, site) triples per chunk of the direct counter

EARTH = "wgs84"  # the tracking layer's observers (the package's default Earth model)
TRACKING_MODEL = (
    "sites at height 0 on the WGS84 ellipsoid; a sensor sees a site at or above its minimum geodetic "
    "elevation and inside its sensor cone; stereo share and longest stretch below min_sensors from "
    "exact min_sensors-fold access windows (ends to resolution_s / 2), per-step counts sampled at step_s"
)

MODEL_LIMITS = (
    "engagement point straight above the launch site (downrange travel during boost ignored); "
    "straight-line flyout at an average speed; one SBI per missile, not shared between sites; "
    "no failures or prior engagements; spherical Earth, circular J2 orbits"
)


# --------------------------------------------------------------------------- the counters


def time_axis_s(duration_s: float, step_s: float) -> np.ndarray:
    """The analysis times ``0, step_s, ...``: ``floor(duration_s / step_s)`` of them, s.

    Raises a ValueError naming the argument when either is not a positive finite number.

    Examples
    --------
    >>> time_axis_s(300.0, 60.0).tolist()
    [0.0, 60.0, 120.0, 180.0, 240.0]
    """
    for key, value in (("duration_s", duration_s), ("step_s", step_s)):
        try:
            ok = float(value) > 0 and math.isfinite(float(value))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"{key} must be a positive number of seconds, got {value!r} "
                             "(e.g. duration_s=86400.0, step_s=10.0)")
    n = int(np.floor(float(duration_s) / float(step_s) + 1e-9))
    if n < 1:
        raise ValueError(f"duration_s = {duration_s!r} is shorter than one step of {step_s!r} s")
    return np.arange(n) * float(step_s)


def in_reach_counts(source, sites, reach: ReachModel | str, start=DEFAULT_START, duration_s: float = 86400.0,
                    step_s: float = 10.0, *, method: str = "auto") -> np.ndarray:
    """Number of SBIs in reach of each site at each time step.

    Parameters
    ----------
    source : satellite source
        A :class:`constellations.elements.SatelliteSource` (Constellation, Catalog, ...).
    sites : list of ThreatSite
    reach : ReachModel or str
        A model or the name of one of :data:`~constellations.goldendome.reach.REACH_ASSUMPTIONS`.
    start : str or datetime
        UTC start of the window.
    duration_s, step_s : float
        Window and step, s; ``n_time = floor(duration_s / step_s)``, times ``0, step_s, ...``.
    method : {"auto", "planes", "direct"}
        "planes": the per-plane range count (circular orbits only); "direct": distance test over
        (time, satellite) chunks; "auto": planes when possible.

    Returns
    -------
    ndarray of int32, shape (n_time, n_site)
    """
    reach = reach_model(reach)
    sites = as_site_list(sites)
    t_s = time_axis_s(duration_s, step_s)
    return count_in_reach(source.propagator(start), site_unit_vectors(sites), reach.cos_threshold, t_s,
                          method)


def count_in_reach(prop, units, threshold_fn, t_s, method: str = "auto") -> np.ndarray:
    """Satellites of a propagator within a central-angle threshold of unit vectors, at every time.

    Parameters
    ----------
    prop : Propagator
        See :class:`constellations.elements.Propagator`; the per-plane path needs a circular-orbit
        propagator (``fixed_footprints``) with its ``elements`` and ``angles_rad``.
    units : ndarray, shape (n_site, 3)
        Earth-fixed unit vectors of the sites.
    threshold_fn : callable
        ``threshold_fn(radius_km) -> c`` of the same shape: in reach when ``cos theta >= c``.
    t_s : ndarray, shape (n_time,)
        Seconds from the propagator's start.
    method : {"auto", "planes", "direct"}

    Returns
    -------
    ndarray of int32, shape (n_time, n_site)
    """
    if method not in ("auto", "planes", "direct"):
        raise ValueError(f"method must be 'auto', 'planes' or 'direct', got {method!r}")
    keep_freed_memory()  # short-lived multi-MB temporaries: avoid a page fault per allocation (glibc)
    circular = bool(prop.fixed_footprints)
    if method == "planes" and not circular:
        raise ValueError("method='planes' needs circular J2 orbits (a propagator with fixed_footprints, "
                         "e.g. of a Constellation); use 'direct' or 'auto'")
    if circular and method != "direct":
        return _count_planes(prop, units, threshold_fn, t_s)
    return _count_direct(prop, units, threshold_fn, t_s)


def _count_direct(prop, units, threshold_fn, t_s):
    """Distance test over (time, satellite, site): the reference path, and the one for SGP4 sources."""
    n_sat, n_site = prop.n_sat, len(units)
    out = np.zeros((len(t_s), n_site), dtype=np.int32)
    step = max(1, PAIR_BUDGET // max(1, n_sat * n_site))
    for t0 in range(0, len(t_s), step):  # chunks of time steps, vectorized within
        pos = prop.positions_ecef_km(t_s[t0:t0 + step])  # (tc, n_sat, 3)
        r = np.sqrt(np.einsum("tni,tni->tn", pos, pos))
        limit = r * threshold_fn(r)  # r cos(theta) >= r c
        dots = pos @ units.T  # (tc, n_sat, n_site); NaN positions compare False
        out[t0:t0 + step] = (dots >= limit[..., None]).sum(axis=1)
    return out


def _planes(prop, threshold_fn, t_end_s: float):
    """Group the satellites of a circular-orbit propagator by orbital plane (and reach threshold).

    The node longitude and argument of latitude of a circular J2 orbit are linear in time, so each
    plane's are taken from the propagator at the start and at ``t_end_s`` and interpolated.
    """
    e = prop.elements
    thr = np.broadcast_to(threshold_fn(EARTH_RADIUS_KM + np.asarray(e.altitude_km, dtype=float)), (len(e),))
    key = np.stack([e.altitude_km, e.inclination_rad, e.raan_rad, thr], axis=1)
    _, rep, plane_of = np.unique(np.round(key, 12), axis=0, return_index=True, return_inverse=True)
    plane_of = plane_of.ravel()
    n_plane = len(rep)
    offset = np.mod(e.arg_latitude_rad - e.arg_latitude_rad[rep][plane_of], TWO_PI)
    offset = np.where(offset >= TWO_PI, 0.0, offset)
    base = 2.0 * TWO_PI * np.arange(n_plane)
    phases = np.sort(np.concatenate([offset + base[plane_of], offset + TWO_PI + base[plane_of]]))
    t_end = max(float(t_end_s), 1.0)
    node, u = prop.angles_rad(np.array([0.0, t_end]))  # (2, n_sat)
    return {
        "node0": node[0, rep], "node_rate": (node[1, rep] - node[0, rep]) / t_end,
        "u0": u[0, rep], "u_rate": (u[1, rep] - u[0, rep]) / t_end,
        "n": np.bincount(plane_of, minlength=n_plane),
        "cos_i": np.cos(e.inclination_rad[rep]),
        "sin_i": np.sin(e.inclination_rad[rep]),
        "threshold": thr[rep],
        "base": base,
        "phases": phases,
    }


def _count_planes(prop, units, threshold_fn, t_s):
    """Per-plane range counting (module docstring); exact for circular J2 orbits."""
    planes = _planes(prop, threshold_fn, t_s[-1])
    n_plane, n_site = len(planes["n"]), len(units)
    out = np.zeros((len(t_s), n_site), dtype=np.int32)
    sx, sy, sz = units[:, 0], units[:, 1], units[:, 2]
    ci, si = planes["cos_i"][:, None], planes["sin_i"][:, None]
    thr = planes["threshold"][:, None]
    n_in_plane = planes["n"][:, None]
    step = max(1, TRIPLE_BUDGET // max(1, n_plane * n_site))
    for t0 in range(0, len(t_s), step):  # chunks of time steps, vectorized within
        t = t_s[t0:t0 + step, None]
        node = planes["node0"] + planes["node_rate"] * t  # (tc, n_plane)
        u_rep = planes["u0"] + planes["u_rate"] * t
        cn, sn = np.cos(node)[..., None], np.sin(node)[..., None]
        # site . orbit normal = sin(beta); normal = (sin i sin node, -sin i cos node, cos i)
        sin_beta = si * (sn * sx - cn * sy) + ci * sz  # (tc, n_plane, n_site)
        cos_beta = np.sqrt(np.maximum(0.0, 1.0 - sin_beta * sin_beta))
        full = thr <= -cos_beta
        active = ~full & (thr <= cos_beta)
        contrib = np.where(full, n_in_plane, 0).astype(np.int32)
        ti, pi, ki = np.nonzero(active)
        if ti.size:
            cn_a, sn_a = cn[ti, pi, 0], sn[ti, pi, 0]
            a = cn_a * sx[ki] + sn_a * sy[ki]  # site . node direction
            b = ci[pi, 0] * (cn_a * sy[ki] - sn_a * sx[ki]) + si[pi, 0] * sz[ki]  # site . (normal x node)
            u_site = np.arctan2(b, a)
            half = np.arccos(np.clip(thr[pi, 0] / cos_beta[ti, pi, ki], -1.0, 1.0))
            lo = np.mod(u_site - u_rep[ti, pi] - half, TWO_PI)
            lo = np.where(lo >= TWO_PI, lo - TWO_PI, lo)
            lo += planes["base"][pi]
            hi = lo + 2.0 * half
            contrib[ti, pi, ki] = (np.searchsorted(planes["phases"], hi, side="right")
                                   - np.searchsorted(planes["phases"], lo, side="left"))
        out[t0:t0 + step] = contrib.sum(axis=1)
    return out


# --------------------------------------------------------------------------- closed form


def expected_in_reach(n_sat, inclination_deg, lat_deg, central_angle_rad):
    """Time-averaged number of satellites within a central angle of a site (docs/REFERENCE.md section 4).

    ``k_mean = N (1 - cos lambda) / (pi sqrt(sin^2 i - sin^2 phi))`` for N satellites on circular
    orbits of inclination ``i`` with nodes and phases spread uniformly, a site at latitude ``phi`` and
    a reach of central angle ``lambda`` (``d / R`` for a ground range ``d``). It takes the density of
    sub-satellite points at the site's latitude as constant over the reach cap, so it holds for
    ``lambda`` well inside the band ``|phi| < i`` and fails near ``|phi| = i``, where the density has
    an integrable singularity.

    Parameters
    ----------
    n_sat : array_like
    inclination_deg, lat_deg : array_like
        Degrees; broadcast together.
    central_angle_rad : array_like
        Reach; negative values mean nothing in reach.

    Returns
    -------
    ndarray
        NaN where ``|phi| >= i`` (the formula does not apply).

    Examples
    --------
    >>> round(float(expected_in_reach(1600, 90.0, 0.0, 1000.0 / 6378.137)), 3)  # polar, equator
    6.247
    """
    i = np.radians(np.asarray(inclination_deg, dtype=float))
    phi = np.radians(np.asarray(lat_deg, dtype=float))
    lam = np.asarray(central_angle_rad, dtype=float)
    s2 = np.sin(i) ** 2 - np.sin(phi) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.asarray(n_sat, dtype=float) * (1.0 - np.cos(np.maximum(lam, 0.0))) / (np.pi * np.sqrt(s2))
    return np.where(s2 > 0.0, k, np.nan)


def expected_in_reach_constellation(source, lat_deg, reach: ReachModel | str, start=DEFAULT_START):
    """:func:`expected_in_reach` summed over the shells of a circular-orbit source, where it applies.

    Satellites are grouped by (altitude, inclination): each group contributes the formula's value
    when the whole reach cap lies inside its latitude band (``|phi| + lambda < i``), zero when the
    cap lies entirely outside it (``|phi| - lambda > i``), and makes the sum NaN in between, where
    the constant-density formula does not hold.

    Parameters
    ----------
    source : satellite source
        Circular orbits (``fixed_footprints``) give a value; other sources (SGP4) give NaN.
    lat_deg : array_like, shape (n_site,)
    reach : ReachModel or str
    start : str or datetime
        Only to build the propagator that reports the orbits.

    Returns
    -------
    ndarray, shape (n_site,)
        NaN where a group's band edge crosses the reach cap or the orbits are not circular.
    """
    return _expected_mean(source.propagator(start), lat_deg, reach_model(reach))


def _expected_mean(prop, lat_deg, reach: ReachModel) -> np.ndarray:
    """:func:`expected_in_reach_constellation` from a propagator already built."""
    lat = np.atleast_1d(np.asarray(lat_deg, dtype=float))
    if not prop.fixed_footprints:
        return np.full(lat.shape, np.nan)
    e = prop.elements
    groups, n_sat = np.unique(np.round(np.stack([e.altitude_km, e.inclination_rad], axis=1), 9), axis=0,
                              return_counts=True)  # one group per shell (altitude, inclination)
    inc = np.degrees(groups[:, 1])
    inc = np.where(inc <= 90.0, inc, 180.0 - inc)[:, None]  # (n_group, 1)
    lam = np.asarray(reach.central_angle_rad(groups[:, 0]), dtype=float)[:, None]
    lam_deg = np.degrees(lam)
    inside = np.abs(lat) + lam_deg < inc
    outside = np.abs(lat) - lam_deg > inc
    k = expected_in_reach(n_sat[:, None], inc, lat, lam)
    part = np.where(lam < 0, 0.0, np.where(inside, k, np.where(outside, 0.0, np.nan)))
    return part.sum(axis=0)


# --------------------------------------------------------------------------- per-site metrics


def _source_attrs(source, start, t_s, step_s):
    return {
        "constellation": str(source.name),
        "satellites": len(source),
        "start_utc": parse_utc(start).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": float(len(t_s) * step_s),
        "step_s": float(step_s),
        "n_steps": len(t_s),
        "model_limits": MODEL_LIMITS,
    }


def _times(start, t_s):
    t0 = np.datetime64(parse_utc(start).replace(tzinfo=None), "ns")
    return t0 + (np.asarray(t_s) * 1e9).astype("timedelta64[ns]")


def _site_coords(sites):
    return {
        "site": ("site", [s.name for s in sites]),
        "country": ("site", [s.country for s in sites]),
        "lat_deg": ("site", np.array([s.lat_deg for s in sites]), {"units": "degrees_north"}),
        "lon_deg": ("site", np.array([s.lon_deg for s in sites]), {"units": "degrees_east"}),
    }


def reach_metrics(source, sites, reach: ReachModel | str, start=DEFAULT_START, duration_s: float = 86400.0,
                  step_s: float = 10.0, *, k_max: int = 10, percentiles=(1, 5), keep_counts: bool = True):
    """SBIs in reach of each site over a window, and their statistics.

    Parameters
    ----------
    source : satellite source
    sites : list of ThreatSite
    reach : ReachModel or str
    start, duration_s, step_s
        Window; default one day at 10 s from :data:`DEFAULT_START`.
    k_max : int
        Salvo sizes ``k = 1 .. k_max`` for ``share_at_least``.
    percentiles : sequence of float
        Lower percentiles of the in-reach count over time (1st and 5th by default).
    keep_counts : bool
        Keep the (time, site) series ``in_reach``.

    Returns
    -------
    xarray.Dataset
        Dims ``site``, ``time``, ``k``, ``percentile``. Variables: ``in_reach`` (time, site),
        ``in_reach_mean``, ``in_reach_min``, ``in_reach_max`` (site), ``in_reach_percentile``
        (percentile, site; inverted-CDF definition, so an integer count), ``share_at_least``
        (k, site), ``absentee_ratio_mean`` = N / mean and ``absentee_ratio_min`` = N / min (inf when
        the minimum is 0), ``expected_mean`` (site; :func:`expected_in_reach_constellation`, NaN when
        not applicable). Attributes carry the reach assumptions and the model limits.
    """
    import xarray as xr

    reach = reach_model(reach)
    sites = as_site_list(sites)
    if not isinstance(k_max, int | np.integer) or k_max < 1:
        raise ValueError(f"k_max must be a positive integer (largest salvo size), got {k_max!r}")
    pct = np.atleast_1d(np.asarray(percentiles, dtype=float))
    if pct.size and not np.all((pct >= 0) & (pct <= 100)):
        raise ValueError(f"percentiles must lie in [0, 100], got {percentiles!r}")
    t_s = time_axis_s(duration_s, step_s)
    prop = source.propagator(start)
    counts = count_in_reach(prop, site_unit_vectors(sites), reach.cos_threshold, t_s)
    n_sat = len(source)
    mean = counts.mean(axis=0)
    minimum = counts.min(axis=0)
    ks = np.arange(1, k_max + 1)
    share = (counts[None, :, :] >= ks[:, None, None]).mean(axis=1)
    with np.errstate(divide="ignore"):
        ratio_mean = np.where(mean > 0, n_sat / np.where(mean > 0, mean, 1.0), np.inf)
        ratio_min = np.where(minimum > 0, n_sat / np.where(minimum > 0, minimum, 1), np.inf)
    coords = _site_coords(sites)
    coords.update({"k": ("k", ks, {"long_name": "salvo size: SBIs needed at once", "units": "1"}),
                   "percentile": ("percentile", pct, {"units": "percent"})})
    data = {
        "in_reach_mean": ("site", mean, {"long_name": "mean number of SBIs in reach", "units": "1"}),
        "in_reach_min": ("site", minimum, {"long_name": "minimum number of SBIs in reach", "units": "1"}),
        "in_reach_max": ("site", counts.max(axis=0), {"long_name": "maximum number in reach", "units": "1"}),
        "in_reach_percentile": (("percentile", "site"),
                                np.percentile(counts, pct, axis=0, method="inverted_cdf")
                                if pct.size else np.zeros((0, len(sites))),
                                {"long_name": "lower percentile of the number in reach over time",
                                 "units": "1"}),
        "share_at_least": (("k", "site"), share,
                           {"long_name": "share of time with at least k SBIs in reach", "units": "1"}),
        "absentee_ratio_mean": ("site", ratio_mean,
                                {"long_name": "absentee ratio N / mean number in reach", "units": "1"}),
        "absentee_ratio_min": ("site", ratio_min,
                               {"long_name": "absentee ratio N / minimum number in reach", "units": "1"}),
        "expected_mean": ("site", _expected_mean(prop, coords["lat_deg"][1], reach),
                          {"long_name": "closed-form mean in reach (docs/REFERENCE.md section 4)",
                           "units": "1"}),
    }
    if keep_counts:
        data["in_reach"] = (("time", "site"), counts.astype(np.int32),
                            {"long_name": "number of SBIs in reach", "units": "1"})
        coords["time"] = ("time", _times(start, t_s))
        coords["time_s"] = ("time", t_s, {"units": "s"})
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(_source_attrs(source, start, t_s, step_s))
    ds.attrs.update(reach.as_attrs())
    ds.attrs["title"] = f"SBIs in reach: {ds.attrs['constellation']}, {reach.name}"
    return ds


# --------------------------------------------------------------------------- global map


def mean_in_reach_map(source, reach: ReachModel | str, grid=None, start=DEFAULT_START,
                      duration_s: float = 86400.0, step_s: float = 60.0, *, k=(1, 2, 5, 10)):
    """Mean (and minimum) number of SBIs in reach of every cell of a grid: where the layer is thin.

    A reach is a footprint of central angle :meth:`ReachModel.central_angle_rad` around each
    sub-satellite point, so the coverage engine's streaming loop (:func:`constellations.engine.stream_counts`)
    counts it exactly.

    Parameters
    ----------
    source : satellite source
    reach : ReachModel or str
    grid : Grid, optional
        Default ``global_grid(spacing_deg=2.0)``; point grids use the direct kernel.
    start, duration_s, step_s
        Window; default one day at 60 s (a mean needs no finer step).
    k : sequence of int
        Salvo sizes for ``share_at_least``.

    Returns
    -------
    xarray.Dataset
        Dims ``cell``, ``k``; variables ``in_reach_mean``, ``in_reach_min`` (cell),
        ``share_at_least`` (k, cell) and ``expected_mean`` (cell, closed form).
    """
    import xarray as xr

    reach = reach_model(reach)
    grid = global_grid(spacing_deg=2.0) if grid is None else grid
    ks = np.atleast_1d(np.asarray(k, dtype=int))
    t_s = time_axis_s(duration_s, step_s)
    n_cell = len(grid)
    total = np.zeros(n_cell)
    minimum = np.full(n_cell, np.iinfo(np.int32).max, dtype=np.int64)
    at_least = np.zeros((len(ks), n_cell))
    stream = stream_counts(source, grid, start, len(t_s), step_s, threads=1,
                           radius_rad=lambda altitude_km, columns: reach.central_angle_rad(altitude_km))
    for _, counts in stream:  # chunks of time steps: (tc, n_cell)
        total += counts.sum(axis=0)
        np.minimum(minimum, counts.min(axis=0), out=minimum)
        at_least += (counts[None] >= ks[:, None, None]).sum(axis=1)
    ds = xr.Dataset(
        {
            "in_reach_mean": ("cell", total / len(t_s), {"long_name": "mean number of SBIs in reach",
                                                         "units": "1"}),
            "in_reach_min": ("cell", minimum.astype(np.int32), {"long_name": "minimum number in reach",
                                                                "units": "1"}),
            "share_at_least": (("k", "cell"), at_least / len(t_s),
                               {"long_name": "share of time with at least k SBIs in reach", "units": "1"}),
            "expected_mean": ("cell", expected_in_reach_constellation(source, grid.lat_deg, reach, start),
                              {"long_name": "closed-form mean in reach (docs/REFERENCE.md section 4)",
                               "units": "1"}),
        },
        coords={
            "lat_deg": ("cell", grid.lat_deg, {"units": "degrees_north"}),
            "lon_deg": ("cell", grid.lon_deg, {"units": "degrees_east"}),
            "area_km2": ("cell", grid.area_km2, {"units": "km2"}),
            "k": ("k", ks, {"units": "1"}),
        },
    )
    ds.attrs.update(_source_attrs(source, start, t_s, step_s))
    ds.attrs.update(reach.as_attrs())
    ds.attrs["grid"] = grid.name
    ds.attrs["grid_spacing_deg"] = float(grid.spacing_deg)
    ds.attrs["title"] = f"Mean SBIs in reach: {ds.attrs['constellation']}, {reach.name}"
    return ds


# --------------------------------------------------------------------------- tracking layer


def tracking_metrics(sensors, sites, start=DEFAULT_START, duration_s: float = 86400.0, step_s: float = 60.0,
                     *, min_sensors: int = 2, min_elevation_deg: float | None = None,
                     resolution_s: float = 1.0):
    """Sensor satellites seeing each launch area over time, and the longest stretch without stereo.

    A sensor sees a site when the site, an observer at height 0 on the WGS84 ellipsoid, sees it at or
    above its minimum geodetic elevation and inside its sensor cone if it has one
    (:meth:`~constellations.elements.SatelliteSource.max_nadir_deg_per_sat`): the criterion of
    :func:`constellations.analyze` in exact mode. ``share_at_least_min`` and ``longest_below_min_s``
    come from the exact ``min_sensors``-fold access windows (:class:`constellations.windows.WindowFinder`
    with ``level=min_sensors``): their ends are located to ``resolution_s / 2`` whatever ``step_s``;
    the optimistic convention counts the stretches that touch the window's ends, truncated. The
    per-step series ``sensors_in_view`` and ``sensors_mean`` / ``sensors_min`` stay sampled at
    ``step_s`` (same Earth model and criterion).

    Parameters
    ----------
    sensors : satellite source
        E.g. ``cs.preset("golden_dome")`` (its 10 deg minimum elevation) or a user's sensor layer.
    sites : list of ThreatSite
    start, duration_s, step_s
        Window (default one day at 60 s: the exact windows do not depend on the step, only the
        sampled per-step series do); ``step_s`` at most 300 s.
    min_sensors : int
        Sensors needed at once (2 for stereo tracking).
    min_elevation_deg : float, optional
        Overrides the source's per-satellite minimum elevation.
    resolution_s : float
        Time resolution of the exact windows, s: stretches shorter than it are merged or dropped.

    Returns
    -------
    xarray.Dataset
        ``sensors_in_view`` (time, site; sampled), ``sensors_mean``, ``sensors_min`` (site; sampled),
        ``share_at_least_min`` (site: share of the window with at least ``min_sensors`` in view;
        exact) and ``longest_below_min_s`` (site: longest interval with fewer than ``min_sensors`` in
        view, truncated at the window ends; exact, the whole window when never reached); every such
        interval along ``stretch``: ``below_min_site``, ``below_min_start_s``, ``below_min_end_s``
        (exact, by site then time; what the tracking figures shade). Attributes ``earth``,
        ``resolution_s``, ``exact_variables`` and ``sampled_variables``.
    """
    import xarray as xr

    sites = as_site_list(sites)
    if not isinstance(min_sensors, int | np.integer) or min_sensors < 1:
        raise ValueError(f"min_sensors must be a positive integer (2 for stereo), got {min_sensors!r}")
    t_s = time_axis_s(duration_s, step_s)
    check_exact_step(float(step_s))
    if not (isinstance(resolution_s, int | float) and 0 < resolution_s < np.inf):
        raise ValueError(f"resolution_s must be a positive number of seconds, got {resolution_s!r} "
                         "(e.g. 1.0)")
    n_sat = len(sensors)
    eps = (np.asarray(sensors.min_elevation_deg_per_sat(), dtype=float) if min_elevation_deg is None
           else np.full(n_sat, float(min_elevation_deg)))
    nadir = np.asarray(sensors.max_nadir_deg_per_sat(), dtype=float)
    grid = points([s.lat_deg for s in sites], [s.lon_deg for s in sites], names=[s.name for s in sites],
                  name="launch sites", earth=EARTH)
    duration = len(t_s) * float(step_s)
    finder = WindowFinder(grid, len(t_s), float(step_s), eps, nadir, earth=EARTH,
                          resolution_s=float(resolution_s), level=int(min_sensors))
    windows = WindowAccumulator(len(grid), duration, float(resolution_s))
    stream = stream_counts(sensors, grid, start, len(t_s), step_s, threads=1, windows=finder,
                           radius_rad=elevation_footprint(eps, nadir),
                           criterion=elevation_criterion(eps, nadir, EARTH))
    parts = []
    for _, chunk, pieces in stream:  # chunks of time steps: (tc, n_site) counts and k-fold pieces
        parts.append(chunk)
        windows.add(*pieces)
    windows.finish()
    counts = np.concatenate(parts).astype(np.int32)
    gaps = windows.gaps()  # stretches below min_sensors, the edge ones included (optimistic)
    longest = np.zeros(len(grid))
    np.maximum.at(longest, gaps["cell"], gaps["length_s"])
    order = np.lexsort((gaps["start_s"], gaps["cell"]))  # by site, then time
    coords = _site_coords(sites)
    coords["time"] = ("time", _times(start, t_s))
    coords["time_s"] = ("time", t_s, {"units": "s"})
    ds = xr.Dataset(
        {
            "sensors_in_view": (("time", "site"), counts,
                                {"long_name": "sensor satellites seeing the site (sampled at step_s)",
                                 "units": "1"}),
            "sensors_mean": ("site", counts.mean(axis=0),
                             {"long_name": "mean sensors in view (sampled at step_s)", "units": "1"}),
            "sensors_min": ("site", counts.min(axis=0),
                            {"long_name": "minimum sensors in view (sampled at step_s)", "units": "1"}),
            "share_at_least_min": ("site", windows.covered_s / duration,
                                   {"long_name": f"share of time with at least {min_sensors} in view "
                                                 "(exact windows)", "units": "1"}),
            "longest_below_min_s": ("site", longest,
                                    {"long_name": f"longest interval with fewer than {min_sensors} in view "
                                                  "(exact windows, truncated at the window ends)",
                                     "units": "s"}),
            "below_min_site": ("stretch", np.array([x.name for x in sites])[gaps["cell"][order]],
                               {"long_name": f"site of each interval with fewer than {min_sensors} in view"}),
            "below_min_start_s": ("stretch", gaps["start_s"][order],
                                  {"long_name": f"start of each interval with fewer than {min_sensors} in "
                                                "view (exact windows)", "units": "s"}),
            "below_min_end_s": ("stretch", (gaps["start_s"] + gaps["length_s"])[order],
                                {"long_name": f"end of each interval with fewer than {min_sensors} in view "
                                              "(exact windows)", "units": "s"}),
        },
        coords=coords,
    )
    ds.attrs.update(_source_attrs(sensors, start, t_s, step_s))
    ds.attrs["min_sensors"] = int(min_sensors)
    ds.attrs["min_elevation_deg"] = "per satellite" if min_elevation_deg is None else float(min_elevation_deg)
    ds.attrs["earth"] = EARTH
    ds.attrs["resolution_s"] = float(resolution_s)
    ds.attrs["model_limits"] = TRACKING_MODEL  # sensor visibility: the interceptor limits do not apply
    ds.attrs["exact_variables"] = ("share_at_least_min, longest_below_min_s, below_min_site, "
                                   "below_min_start_s, below_min_end_s")
    ds.attrs["sampled_variables"] = "sensors_in_view, sensors_mean, sensors_min"
    ds.attrs["title"] = f"Tracking sensors in view: {ds.attrs['constellation']}"
    return ds
