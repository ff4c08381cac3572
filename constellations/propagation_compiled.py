"""Compiled (numba) J2 sub-satellite points: :meth:`J2Propagator.subsatellite` without transcendentals.

The formulas are those of :mod:`constellations.propagation` (circular orbits, J2 secular rates), in the
same order where it matters; only the way the sines and arctangents are evaluated differs, so results
agree with the NumPy reference to about 1e-13 rad (measured 1.3e-14 in latitude, 8e-14 in longitude
over 12 h; tests/test_compiled_pipeline.py holds them to 1e-12 rad):

- ``sin u`` and ``cos u`` of the argument of latitude advance from step to step by a rotation through
  ``u_rate * dt`` (angle addition; one ``sin``/``cos`` per satellite whenever ``dt`` changes), and are
  re-anchored with the C library's ``sin``/``cos`` of ``u = u0 + u_rate t`` (the reference's argument)
  every :data:`ANCHOR_STEPS` steps, so rounding errors (about 1e-16 per step) never pile up beyond
  ``ANCHOR_STEPS`` steps;
- ``arctan2`` is Cephes' ``atan`` (S. L. Moshier, Cephes Math Library, ``atan.c``: a rational
  approximation of degree 4/5 on ``|z| <= 0.66`` after the reduction ``(a - 1) / (a + 1)``, relative
  error about 1e-16), written without branches so that the satellite loop vectorizes;
- the latitude is ``arctan2(x, sqrt((1 - x)(1 + x)))`` with ``x = sin u sin i`` (``arcsin x``), whose
  sine ``x`` and cosine ``sqrt((1 - x)(1 + x))`` are returned as well for the counting kernel.

One serial ``nogil`` pass, on the calling thread (the engine's counting workers run several at once):
16,000 satellites x 720 steps take 0.07 s on one core, against 0.6-0.8 s for the NumPy formulas. (A
``prange`` version over satellite blocks ran 9x slower than this serial one, so there is none.)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .frames import EARTH_ROTATION_RAD_S

__all__ = ["ANCHOR_STEPS", "atan2", "subsatellite"]

ANCHOR_STEPS = 32  # steps between re-anchorings of the sin/cos recurrence with the C library

# Cephes atan.c coefficients: atan(z) = z + z^3 P(z^2) / Q(z^2) on |z| <= 0.66
_P0, _P1, _P2, _P3, _P4 = (-8.750608600031904122785e-1, -1.615753718733365076637e1,
                           -7.500855792314704667340e1, -1.228866684490136173410e2,
                           -6.485021904942025371773e1)
_Q0, _Q1, _Q2, _Q3, _Q4 = (2.485846490142306297354e1, 1.650270098316988542046e2,
                           4.328810604912902668951e2, 4.853903996359136964868e2,
                           1.945506571482613964425e2)
_MOREBITS = 6.123233995736765886130e-17  # pi/2 - float(pi/2)
_PIO4 = math.pi / 4


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def atan2(y, x):
    """``arctan2(y, x)`` in [-pi, pi] from the Cephes rational ``atan`` (branch-free); about 2 ulp."""
    ax = abs(x)
    ay = abs(y)
    big = max(ax, ay)
    small = min(ax, ay)
    a = small / big if big > 0.0 else 0.0  # in [0, 1]
    hi = a > 0.66
    z = (a - 1.0) / (a + 1.0) if hi else a
    zz = z * z
    p = (((_P0 * zz + _P1) * zz + _P2) * zz + _P3) * zz + _P4
    q = ((((zz + _Q0) * zz + _Q1) * zz + _Q2) * zz + _Q3) * zz + _Q4
    r = z * (zz * p / q) + z
    r = (r + 0.5 * _MOREBITS) + _PIO4 if hi else r  # atan(a) in [0, pi/4]
    r = (_MOREBITS - r) + 2.0 * _PIO4 if ay > ax else r  # atan(big / small) = pi/2 - atan(a)
    r = (2.0 * _MOREBITS - r) + 4.0 * _PIO4 if x < 0.0 else r  # pi - atan
    return math.copysign(r, y)


@njit(cache=True, nogil=True, error_model="numpy")
def _subsatellite(t_s, raan, node_rate, theta0, u0, u_rate, cos_i, sin_i, lat, lon, sin_lat, cos_lat,
                  unit):
    """Fill ``lat, lon, sin_lat, cos_lat`` (n_time, n_sat) at the times ``t_s`` (n_time,), and the
    Earth-fixed unit vectors ``unit`` (n_time, n_sat, 3) unless it has no rows."""
    two_pi = 2.0 * math.pi
    n = raan.shape[0]
    with_unit = unit.shape[0] > 0
    su, cu = np.empty(n), np.empty(n)  # sin u, cos u at the current step
    sd, cd = np.empty(n), np.empty(n)  # sin, cos of the rotation u_rate * dt
    sn, cn = np.empty(n), np.empty(n)  # sin, cos of the node longitude (with unit vectors)
    snd, cnd = np.empty(n), np.empty(n)  # sin, cos of its rotation node_rate * dt
    n_time = t_s.shape[0]
    dt = math.nan
    for k in range(n_time):
        t = t_s[k]
        if k % ANCHOR_STEPS == 0:
            for s in range(n):
                u = u0[s] + u_rate[s] * t  # the reference's argument
                su[s] = math.sin(u)
                cu[s] = math.cos(u)
            if with_unit:
                for s in range(n):
                    node = raan[s] + node_rate[s] * t - theta0
                    sn[s] = math.sin(node)
                    cn[s] = math.cos(node)
        else:
            step = t - t_s[k - 1]
            if step != dt:
                dt = step
                for s in range(n):
                    w = u_rate[s] * dt
                    sd[s] = math.sin(w)
                    cd[s] = math.cos(w)
                    w = node_rate[s] * dt
                    snd[s] = math.sin(w)
                    cnd[s] = math.cos(w)
            for s in range(n):
                a, b = su[s], cu[s]
                su[s] = a * cd[s] + b * sd[s]
                cu[s] = b * cd[s] - a * sd[s]
            if with_unit:
                for s in range(n):
                    a, b = sn[s], cn[s]
                    sn[s] = a * cnd[s] + b * snd[s]
                    cn[s] = b * cnd[s] - a * snd[s]
        if with_unit:  # the orbit's (cos u, sin u cos i, sin u sin i) turned by the node longitude
            for s in range(n):
                y = su[s] * cos_i[s]
                unit[k, s, 0] = cn[s] * cu[s] - sn[s] * y
                unit[k, s, 1] = sn[s] * cu[s] + cn[s] * y
                unit[k, s, 2] = su[s] * sin_i[s]
        for s in range(n):  # branch-free: vectorizes
            x = su[s] * sin_i[s]
            c = math.sqrt((1.0 - x) * (1.0 + x))
            sin_lat[k, s] = x
            cos_lat[k, s] = c
            lat[k, s] = atan2(x, c)
            node = raan[s] + node_rate[s] * t - theta0
            lo = (node + atan2(su[s] * cos_i[s], cu[s])) + math.pi
            m = lo - two_pi * math.floor(lo / two_pi)  # np.mod for a positive divisor
            m = m if m >= 0.0 else m + two_pi
            m = m if m < two_pi else m - two_pi
            lon[k, s] = m - math.pi


def subsatellite(prop, t_s, unit: bool = False):
    """Sub-satellite points of a :class:`~constellations.propagation.J2Propagator`, compiled.

    Parameters
    ----------
    prop : J2Propagator
    t_s : array_like, shape (n_time,)
        Seconds since ``prop.start``.
    unit : bool
        Also return the Earth-fixed unit vectors of the sub-satellite points.

    Returns
    -------
    lat_rad, lon_rad : ndarray, shape (n_time, n_sat)
        Geocentric latitude and longitude in [-pi, pi), as ``prop.subsatellite`` to 1e-12 rad.
    sin_lat, cos_lat : ndarray, shape (n_time, n_sat)
        Sine and cosine of the latitude.
    unit_vectors : ndarray, shape (n_time, n_sat, 3), only with ``unit``
        ``(cos lat cos lon, cos lat sin lon, sin lat)``, formed from the orbit without ``lat`` and
        ``lon`` (the node longitude's sine and cosine by the same recurrence as ``u``'s).
    """
    t = np.ascontiguousarray(t_s, dtype=np.float64).reshape(-1)
    tables = prop.__dict__.get("_compiled_tables")
    if tables is None:
        e = prop.elements
        tables = tuple(np.ascontiguousarray(v, dtype=np.float64) for v in (
            e.raan_rad, prop._raan_rate - EARTH_ROTATION_RAD_S, e.arg_latitude_rad, prop._u_rate,
            prop._cos_i, prop._sin_i))
        prop._compiled_tables = tables  # built whole, then published: threads may share it
    raan, node_rate, u0, u_rate, cos_i, sin_i = tables
    shape = (t.size, raan.size)
    lat, lon, sin_lat, cos_lat = (np.empty(shape) for _ in range(4))
    vectors = np.empty((*shape, 3) if unit else (0, 0, 3))
    _subsatellite(t, raan, node_rate, float(prop._theta0), u0, u_rate, cos_i, sin_i, lat, lon, sin_lat,
                  cos_lat, vectors)
    return (lat, lon, sin_lat, cos_lat, vectors) if unit else (lat, lon, sin_lat, cos_lat)
