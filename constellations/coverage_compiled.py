"""Compiled counting kernels (numba): the ring scanline and the point test of coverage.py, fused per step.

The counts are identical to those of :mod:`constellations.coverage` (the NumPy reference). For every
time step one compiled pass forms the (satellite, ring) intervals with the same float64 formulas in
the same operation order, scatters +1 / -1 into a difference array of one ring row, prefix-sums it and
folds the doubled rings into the per-cell counts: no (time x satellite x ring) slot arrays and no
(time x cell) temporary besides the output. Each satellite's rings are formed in one loop of a fixed
length (a multiple of the vector width) that vectorizes: unsigned ring indices, stack scratch
(:func:`_ring_step`, :func:`_stack_scratch`; docs/PERFORMANCE.md section 9). Steps run in parallel
(``prange``, no GIL) when called from the main thread; from other threads (the engine's counting
workers, Dask workers) a serial ``nogil`` version runs, since numba's default thread pool must not be
entered from two threads at once.

Exactness. Everything except the half-width's ``arccos`` is IEEE arithmetic (``+ - * / sqrt``, no
fused multiply-add) on the same inputs, whose sines and cosines NumPy computes as the reference does,
so it is bit-identical. ``arccos`` is the one function whose last bit differs between NumPy (SIMD
code on AVX-512 machines) and the C library. The kernel evaluates a polynomial ``arccos`` (a
degree-5 minimax fit of ``arccos(a) / sqrt(1 - a)`` on [0, 1], error below :data:`POLY_ACOS_ERR_RAD`)
and rounds both interval ends with the angle at ``h - err`` and ``h + err``: rounding is monotone, so
when both give the same integer the reference gives it too. Otherwise (an end within ``err`` of a cell
centre: at most ``4 err / dlon`` of the slots, 7e-4 on the 1-degree grid) the C library's ``acos`` is
checked the same way with :data:`LIBM_ACOS_ERR_RAD`; the rare slots still undecided (an interval end
within about 1e-10 cells of a cell centre) are left out of the fused pass and added afterwards with
NumPy's own ``arccos``, exactly as the reference computes them.

Point lists are tested directly (the satellite loop innermost, which vectorizes). The reference
sums its dot products with BLAS, whose rounding order is its own: counts agree except when a
satellite sits within about 1e-15 (relative) of a point's visibility boundary.
"""

from __future__ import annotations

import math
import threading

import numpy as np
from numba import carray, njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["LIBM_ACOS_ERR_RAD", "POLY_ACOS_ERR_RAD", "count_points", "count_points_elevation",
           "count_rings"]

POLY_ACOS_ERR_RAD = 3e-6  # bound on |_poly_acos - arccos|: measured 6.4e-7 over [-1, 1]
LIBM_ACOS_ERR_RAD = 1e-12  # bound on |C library acos - NumPy arccos|: measured 4.4e-16 (1 ulp of pi)
STACK_SLOTS = 512  # ring slots of a satellite's loop in stack scratch (a multiple of 8); more: in pieces
PARALLEL_MIN_SAT_STEPS = 20_000  # smaller calls run serially: starting the thread pool costs more
UNDECIDED_PER_STEP = 64  # undecided slots stored per time step; more: that call falls back to NumPy
# arccos(a) = sqrt(1 - a) P(a) on [0, 1]: P of degree 5 fitted to minimise the largest error of the
# product (Lawson's reweighted least squares on 2 x 10^5 points; 6.4e-7 rad against 2.2e-8 for the
# degree-7 Abramowitz and Stegun 4.4.46 used before, and 1.04x faster in the kernel)
_ACOS_COEF = (1.5707956886639225, -0.21454279558144868, 0.08817091235617852, -0.04592685563052995,
              0.02061963897705307, -0.004911002924782184)
_A0, _A1, _A2, _A3, _A4, _A5 = _ACOS_COEF

SPHERE, WGS84_GENERAL, WGS84_ONE_ELEVATION = 0, 1, 2


def _lanes() -> int:
    """float64 values per vector register of this CPU (what numba compiles for): 8 with AVX-512, else 4."""
    import llvmlite.binding as llvm

    try:
        return 8 if llvm.get_host_cpu_features().get("avx512f", False) else 4
    except RuntimeError:  # pragma: no cover - features unknown to LLVM on this host
        return 4


# Each satellite's ring loop runs over a multiple of the vector width (the slots past its own rings are
# formed but not scattered): with no scalar remainder the kernel is 1.2-1.25x faster than with the
# exact trip count, or with a multiple of 4 on an AVX-512 machine (case g, 2026-12-01).
LANES = _lanes()
# The row buffer (difference array, then its running sum) holds at every position the number of
# intervals open there, at most one per satellite (or minus one, for the reference's dropped start at
# position -1): int16 while n_sat fits, which halves the buffer the scatter hits at random (165 KB on
# the 1-degree grid) and made case g's counting 8 % faster; int32 beyond.
ROW_INT16_MAX_SAT = 32_767
_ROW_INT16, _ROW_INT32 = np.empty(0, dtype=np.int16), np.empty(0, dtype=np.int32)
_BOOL = np.empty(0, dtype=np.bool_)  # a global, hence a compile-time constant: the flags' dtype


@intrinsic
def _stack_scratch(typingctx, like):
    """A pointer to :data:`STACK_SLOTS` items of ``like``'s dtype on the calling function's stack.

    Scratch that LLVM knows no argument array overlaps, so that the ring loop that writes it
    vectorizes without run-time overlap checks: with heap scratch, LLVM checks its 4 outputs
    against the loop's 9 tables (about 230 instructions) at every entry, once per satellite, and the
    kernel was 1.15x slower (case g, 2026-12-01).
    """
    dtype = like.dtype

    def codegen(context, builder, signature, args):
        return cgutils.alloca_once(builder, context.get_data_type(dtype), size=STACK_SLOTS)

    return types.CPointer(dtype)(like), codegen


@njit(cache=True, error_model="numpy")
def _poly_acos(c):
    """arccos(c) for c in [-1, 1], error below :data:`POLY_ACOS_ERR_RAD`."""
    a = abs(c)
    p = ((((_A5 * a + _A4) * a + _A3) * a + _A2) * a + _A1) * a + _A0
    h = math.sqrt(1.0 - a) * p
    return math.pi - h if c < 0.0 else h


@njit(cache=True, error_model="numpy")
def _ends(x, h, err, inv):
    """Interval ends ``ceil(x - h inv)`` and ``floor(x + h inv) + 1`` if ``h +- err`` agree; else NaN."""
    lo = (h - err) * inv
    hi = (h + err) * inv
    first = math.ceil(x - hi)
    if first != math.ceil(x - lo):
        return math.nan, math.nan
    last = math.floor(x + lo)
    if last != math.floor(x + hi):
        return math.nan, math.nan
    return first, last + 1.0


@njit(cache=True, error_model="numpy")
def _cos_half_wgs84(kind, cone, r, z, rho, inv_rho, sin_e, c2, sin_eta, cos_eta,
                    sin_phi, k, n, n2, sec, p2, h, two_n_cos):
    """WGS84 cos D of one (satellite, ring): the reference's formula, in its operation order.

    Satellite: radius ``r``, ``z = r sin lat``, ``rho = r cos lat``, ``1 / rho``, ``sin eps``,
    ``cos^2 eps``, ``sin eta``, ``cos eta``; ring: ``sin phi`` and the tables ``wgs_k, wgs_n, wgs_n2,
    wgs_sec, wgs_p2, wgs_h, wgs_2ncos`` of ``RingKernel``. Scalars only: no array reference counts
    in the slot loop.
    """
    if kind == WGS84_ONE_ELEVATION:
        big_v = k * k - n2 * c2
        big_t = n * c2 - k * sin_phi
        q = k * (2.0 * z)
        q = q + big_v
        q = q + r * r
        q = math.sqrt(q) if q >= 0.0 else math.nan
        q = q * (sin_e * inv_rho)
        q = q + big_t * inv_rho
        q = q - sin_phi * (z * inv_rho)
        q = q * sec
    else:
        t = k + z
        q = t * t
        q = q + rho * rho
        q = q - n2 * c2
        q = math.sqrt(q) if q >= 0.0 else math.nan
        q = q * sin_e
        q = q + n * c2
        q = q - sin_phi * t
        q = q * (sec * inv_rho)
    if cone:
        r2 = r * r
        rs = r * sin_eta
        d = p2 - rs * rs
        d = math.sqrt(d) if d >= 0.0 else math.nan
        d = d + r * cos_eta
        m = r2 - p2
        d = m / d
        d = d * d
        c = p2 + r2
        c = c - h * z
        c = c - d
        c = c / (two_n_cos * rho)
        if math.isnan(q) or c > q:  # np.fmax: NaN only when both are
            q = c
    return q


@njit(cache=True, error_model="numpy")
def _first_ring(ring_lat, value, inv_spacing):
    """``np.searchsorted(ring_lat, value)`` (side left) from a guess for evenly spaced rings."""
    n = ring_lat.shape[0]
    g = (value - ring_lat[0]) * inv_spacing
    j = 0 if not g > 0.0 else (n if g >= n else np.int64(g))
    while j > 0 and ring_lat[j - 1] >= value:
        j -= 1
    while j < n and ring_lat[j] < value:
        j += 1
    return j


@njit(cache=True, error_model="numpy", inline="always")
def _slot(cos_d, x, inv, n_f, pos, err):
    """One (satellite, ring) slot from its ``cos D``: the buffer positions of its +1 and -1, and
    whether the polynomial ``arccos`` settles them (``False``: round again with the C library's).

    The reference's steps without branches (so that the ring loop vectorizes): ``cos D`` clipped to
    [-1, 1], both interval ends rounded at ``h -+ err``, the end clipped to ``[first, first + n]``;
    an empty slot (``cos D > 1`` or NaN) gets ``+1`` and ``-1`` at one position (no net count).
    """
    cd = cos_d if cos_d >= -1.0 else -1.0
    cd = cd if cd <= 1.0 else 1.0
    h = _poly_acos(cd)
    lo = (h - err) * inv
    hi = (h + err) * inv
    first = np.ceil(x - hi)
    end = np.floor(x + lo) + 1.0
    # ceil(x - lo) == first and floor(x + hi) + 1 == end, without rounding again
    sure = (x - lo <= first) & (x + hi < end)
    full = cos_d <= 1.0
    end = end if end >= first else first
    top = n_f + first
    end = end if end <= top else top
    end = end if full else first
    return pos + np.int64(first), pos + np.int64(end), sure | (not full)


@njit(cache=True, error_model="numpy", inline="always")
def _cos_sphere(jj, a, b, c, sin_lat, cos_lat):
    """Spherical ``cos D`` of ring ``jj``: ``(sin lat_j (-sin lat_s) + cos lambda) / (cos lat_j cos lat_s)``
    with ``a = -sin lat_s``, ``b = cos lat_s``, ``c = cos lambda``, in the reference's order."""
    q = sin_lat[jj] * a
    q = q + c
    return q / (cos_lat[jj] * b)


@njit(cache=True, error_model="numpy", inline="always")
def _cos_tables(jj, z2, r2, se_rho, c, z_rho, wk, wv, wt, sin_lat, wsec):
    """One-elevation WGS84 ``cos D`` of ring ``jj`` from the reference's per-ring ``T`` (``wt``) and ``V``
    (``wv``), in its order; satellite: ``2 z``, ``r^2``, ``sin(eps) / rho``, ``1 / rho``, ``z / rho``."""
    q = wk[jj] * z2
    q = q + wv[jj]
    q = q + r2
    q = math.sqrt(q) if q >= 0.0 else math.nan
    q = q * se_rho
    q = q + wt[jj] * c
    q = q - sin_lat[jj] * z_rho
    return q * wsec[jj]


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _scatter(t, base, n_k, j0, lo_s, p_start, p_end, sure, cos_d, inv_dlon, xoff, n_f, pos, err_libm,
             diff, und_j, und_x, und_c, n_und):
    """Scatter the slots ``base .. base + n_k - 1`` of a satellite whose first ring is ``j0``; ends the
    polynomial arccos leaves open from the C library's acos (or, undecided, afterwards from NumPy's).
    Returns the step's number of undecided slots so far."""
    for k in range(n_k):
        i = base + np.uint64(k)
        p0, p1 = p_start[i], p_end[i]
        if not sure[i]:
            jj = j0 + k
            cd = cos_d[i] if cos_d[i] >= -1.0 else -1.0
            inv = inv_dlon[jj]
            x = lo_s * inv + xoff[jj]
            first, end = _ends(x, math.acos(cd), err_libm, inv)
            if math.isnan(first):  # undecided: added afterwards with NumPy's arccos
                if n_und < und_j.shape[1]:
                    und_j[t, n_und] = jj
                    und_x[t, n_und] = x
                    und_c[t, n_und] = cd
                n_und += 1
                continue
            top = n_f[jj] + first
            end = min(max(end, first), top)
            p0, p1 = pos[jj] + np.int64(first), pos[jj] + np.int64(end)
        diff[p0] += 1
        diff[p1] -= 1
    return n_und


@njit(cache=True, nogil=True, error_model="numpy")
def _ring_step(t, kind, cone, n_slot, lat, lon, reach, k_sat, s_a, s_b, s_c, s_d, s_e, s_f, s_g, s_h,
               radius, ring_lat, lat_min, lat_max, sin_lat, cos_lat, inv_dlon, xoff, n_f, pos,
               wk, wn, wn2, wsec, wp2, wh, w2ncos, wt, wv, fold1, fold2, diff, out,
               und_j, und_x, und_c, und_n, err_poly, err_libm, paired):
    """Count one time step ``t`` into ``out[t]``; ``diff`` is this thread's row buffer.

    Per satellite, one loop over ``n_slot`` rings from its first (a multiple of the vector width;
    the ring tables are padded, and only the satellite's own ``k_sat`` rings are scattered) forms
    ``cos D`` and both interval ends into stack scratch (:func:`_stack_scratch`); the ring index is
    unsigned, so that its table loads are contiguous (a signed index needs numba's negative-index
    wraparound, which turns them into gathers). Satellites on the spherical or the one-elevation
    WGS84 formula whose loop fits in half the scratch go in pairs, both in one loop: two independent
    chains of dependent operations per iteration (1.2x). The others (mixed elevations, nadir cones,
    footprints over :data:`STACK_SLOTS` rings, in pieces) go one by one. ``diff`` is shifted by one:
    position 0 takes the reference's dropped start at -1. ``wt, wv``: the per-ring ``T`` and ``V`` of
    the one-elevation formula for the one ``cos^2(eps)`` of every satellite (the reference's
    ``RingKernel._elevation_tables``), or empty. ``paired``: scratch of ``n_sat`` entries.
    """
    p_start = carray(_stack_scratch(pos), STACK_SLOTS)
    p_end = carray(_stack_scratch(pos), STACK_SLOTS)
    sure = carray(_stack_scratch(_BOOL), STACK_SLOTS)
    cos_d = carray(_stack_scratch(n_f), STACK_SLOTS)
    half = np.uint64(STACK_SLOTS // 2)  # the second satellite of a pair: slots from here
    n_sat = lat.shape[1]
    n_ring = ring_lat.shape[0]
    diff[:] = 0
    n_und = 0
    n_pair = 0
    zero = np.int64(0)
    t = np.int64(t)
    t_reach = t if reach.shape[0] > 1 else zero  # (1, n_sat) rows: the same for every step
    t_c = t if s_c.shape[0] > 1 else zero
    t_radius = t if radius.shape[0] > 1 else zero
    t_d = t if s_d.shape[0] > 1 else zero
    inv_spacing = (n_ring - 1) / (ring_lat[n_ring - 1] - ring_lat[0]) if n_ring > 1 else 0.0
    tables = wv.shape[0] > 0 and not cone
    pairs = n_slot <= STACK_SLOTS // 2 and (kind == SPHERE or tables)
    for s in range(n_sat):
        la = lat[t, s]
        re = reach[t_reach, s]
        if not (la + re >= lat_min and la - re <= lat_max and re >= 0.0):
            continue
        if pairs and (kind == SPHERE or not math.isnan(s_d[t_d, s])):
            paired[n_pair] = s  # counted below, two at a time
            n_pair += 1
            continue
        j_first = _first_ring(ring_lat, la - re, inv_spacing)
        n_own = min(k_sat[s], n_ring - j_first)
        lo_s = lon[t, s]
        for k0 in range(0, n_own, STACK_SLOTS):  # one piece unless the footprint spans more rings
            j0 = j_first + k0
            u0 = np.uint64(j0)
            m = min(n_slot - k0, STACK_SLOTS)
            if kind == SPHERE:
                a, b, c = s_a[t, s], s_b[t, s], s_c[t_c, s]
                for k in range(m):
                    jj = u0 + np.uint64(k)
                    q = _cos_sphere(jj, a, b, c, sin_lat, cos_lat)
                    cos_d[k] = q
                    inv = inv_dlon[jj]
                    p_start[k], p_end[k], sure[k] = _slot(q, lo_s * inv + xoff[jj], inv, n_f[jj], pos[jj],
                                                          err_poly)
            else:
                # z = r sin(lat), rho = r cos(lat), 1 / rho; s_d: sin(eps) of the one-elevation path
                kind_s = kind
                r = radius[t_radius, s]
                a = r * s_a[t, s]
                b = r * s_b[t, s]
                c = 1.0 / b
                d = s_d[t_d, s]
                if math.isnan(d):
                    kind_s = WGS84_GENERAL
                    d = s_h[s]
                if kind_s == WGS84_ONE_ELEVATION and tables:
                    z2, r2, se_rho, z_rho = 2.0 * a, r * r, d * c, a * c
                    for k in range(m):
                        jj = u0 + np.uint64(k)
                        q = _cos_tables(jj, z2, r2, se_rho, c, z_rho, wk, wv, wt, sin_lat, wsec)
                        cos_d[k] = q
                        inv = inv_dlon[jj]
                        p_start[k], p_end[k], sure[k] = _slot(q, lo_s * inv + xoff[jj], inv, n_f[jj],
                                                              pos[jj], err_poly)
                else:
                    e, f, g = s_e[s], s_f[s], s_g[s]
                    for k in range(m):
                        jj = u0 + np.uint64(k)
                        q = _cos_half_wgs84(kind_s, cone, r, a, b, c, d, e, f, g, sin_lat[jj], wk[jj], wn[jj],
                                            wn2[jj], wsec[jj], wp2[jj], wh[jj], w2ncos[jj])
                        cos_d[k] = q
                        inv = inv_dlon[jj]
                        p_start[k], p_end[k], sure[k] = _slot(q, lo_s * inv + xoff[jj], inv, n_f[jj],
                                                              pos[jj], err_poly)
            n_und = _scatter(t, np.uint64(0), min(n_own - k0, m), j0, lo_s, p_start, p_end, sure, cos_d,
                             inv_dlon, xoff, n_f, pos, err_libm, diff, und_j, und_x, und_c, n_und)
    # The slot stores below are written out in each loop: the same three lines as an inline helper
    # made the kernel 2.4-3x slower (the loops no longer vectorized; measured 2026-12-01).
    for i in range(0, n_pair, 2):
        s, s2 = paired[i], paired[min(i + 1, n_pair - 1)]  # an odd last one: formed twice, counted once
        j0 = _first_ring(ring_lat, lat[t, s] - reach[t_reach, s], inv_spacing)
        j2 = _first_ring(ring_lat, lat[t, s2] - reach[t_reach, s2], inv_spacing)
        u0, u2 = np.uint64(j0), np.uint64(j2)
        lo_s, lo_2 = lon[t, s], lon[t, s2]
        if kind == SPHERE:
            a, b, c = s_a[t, s], s_b[t, s], s_c[t_c, s]
            a2, b2, c2 = s_a[t, s2], s_b[t, s2], s_c[t_c, s2]
            for k in range(n_slot):
                jj, j_2, k2 = u0 + np.uint64(k), u2 + np.uint64(k), half + np.uint64(k)
                q = _cos_sphere(jj, a, b, c, sin_lat, cos_lat)
                q2 = _cos_sphere(j_2, a2, b2, c2, sin_lat, cos_lat)
                cos_d[k] = q
                inv = inv_dlon[jj]
                p_start[k], p_end[k], sure[k] = _slot(q, lo_s * inv + xoff[jj], inv, n_f[jj], pos[jj],
                                                      err_poly)
                cos_d[k2] = q2
                inv = inv_dlon[j_2]
                p_start[k2], p_end[k2], sure[k2] = _slot(q2, lo_2 * inv + xoff[j_2], inv, n_f[j_2],
                                                         pos[j_2], err_poly)
        else:
            r, r_2 = radius[t_radius, s], radius[t_radius, s2]
            a, a2 = r * s_a[t, s], r_2 * s_a[t, s2]
            c, c2 = 1.0 / (r * s_b[t, s]), 1.0 / (r_2 * s_b[t, s2])
            z2, r2, se_rho, z_rho = 2.0 * a, r * r, s_d[t_d, s] * c, a * c
            z2_2, r2_2, se_rho2, z_rho2 = 2.0 * a2, r_2 * r_2, s_d[t_d, s2] * c2, a2 * c2
            for k in range(n_slot):
                jj, j_2, k2 = u0 + np.uint64(k), u2 + np.uint64(k), half + np.uint64(k)
                q = _cos_tables(jj, z2, r2, se_rho, c, z_rho, wk, wv, wt, sin_lat, wsec)
                q2 = _cos_tables(j_2, z2_2, r2_2, se_rho2, c2, z_rho2, wk, wv, wt, sin_lat, wsec)
                cos_d[k] = q
                inv = inv_dlon[jj]
                p_start[k], p_end[k], sure[k] = _slot(q, lo_s * inv + xoff[jj], inv, n_f[jj], pos[jj],
                                                      err_poly)
                cos_d[k2] = q2
                inv = inv_dlon[j_2]
                p_start[k2], p_end[k2], sure[k2] = _slot(q2, lo_2 * inv + xoff[j_2], inv, n_f[j_2],
                                                         pos[j_2], err_poly)
        n_und = _scatter(t, np.uint64(0), min(k_sat[s], n_ring - j0), j0, lo_s, p_start, p_end, sure,
                         cos_d, inv_dlon, xoff, n_f, pos, err_libm, diff, und_j, und_x, und_c, n_und)
        if i + 1 < n_pair:
            n_und = _scatter(t, half, min(k_sat[s2], n_ring - j2), j2, lo_2, p_start, p_end, sure, cos_d,
                             inv_dlon, xoff, n_f, pos, err_libm, diff, und_j, und_x, und_c, n_und)
    und_n[t] = n_und
    acc = 0
    for p in range(1, diff.shape[0]):
        acc += diff[p]
        diff[p] = acc
    for i in range(fold1.shape[0]):
        out[t, i] = diff[fold1[i]] + diff[fold2[i]]


@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def _ring_counts_parallel(kind, cone, n_slot, lat, lon, reach, k_sat, s_a, s_b, s_c, s_d, s_e, s_f, s_g,
                          s_h, radius, ring_lat, lat_min, lat_max, sin_lat, cos_lat, inv_dlon, xoff, n_f,
                          pos, wk, wn, wn2, wsec, wp2, wh, w2ncos, wt, wv, fold1, fold2, length, row_like,
                          out, und_j, und_x, und_c, und_n, err_poly, err_libm):
    """All steps, ``prange`` over time (each step has its own row buffer)."""
    for t in prange(lat.shape[0]):
        diff = np.empty(length + 1, dtype=row_like.dtype)
        paired = np.empty(lat.shape[1], dtype=np.int64)
        _ring_step(t, kind, cone, n_slot, lat, lon, reach, k_sat, s_a, s_b, s_c, s_d, s_e, s_f, s_g, s_h,
                   radius, ring_lat, lat_min, lat_max, sin_lat, cos_lat, inv_dlon, xoff, n_f, pos,
                   wk, wn, wn2, wsec, wp2, wh, w2ncos, wt, wv, fold1, fold2, diff, out,
                   und_j, und_x, und_c, und_n, err_poly, err_libm, paired)


@njit(cache=True, nogil=True, error_model="numpy")
def _ring_counts_serial(kind, cone, n_slot, lat, lon, reach, k_sat, s_a, s_b, s_c, s_d, s_e, s_f, s_g,
                        s_h, radius, ring_lat, lat_min, lat_max, sin_lat, cos_lat, inv_dlon, xoff, n_f,
                        pos, wk, wn, wn2, wsec, wp2, wh, w2ncos, wt, wv, fold1, fold2, length, row_like,
                        out, und_j, und_x, und_c, und_n, err_poly, err_libm):
    """All steps in this thread, one row buffer (for callers that are worker threads themselves)."""
    diff = np.empty(length + 1, dtype=row_like.dtype)
    paired = np.empty(lat.shape[1], dtype=np.int64)
    for t in range(lat.shape[0]):
        _ring_step(t, kind, cone, n_slot, lat, lon, reach, k_sat, s_a, s_b, s_c, s_d, s_e, s_f, s_g, s_h,
                   radius, ring_lat, lat_min, lat_max, sin_lat, cos_lat, inv_dlon, xoff, n_f, pos,
                   wk, wn, wn2, wsec, wp2, wh, w2ncos, wt, wv, fold1, fold2, diff, out,
                   und_j, und_x, und_c, und_n, err_poly, err_libm, paired)


@njit(cache=True, nogil=True, error_model="numpy")
def _add_undecided(t_idx, j_idx, x, half, n_f, off2, cell_of_pos, out):
    """Add the intervals of the undecided slots (ends from NumPy's arccos) cell by cell."""
    for i in range(t_idx.shape[0]):
        j = j_idx[i]
        first = math.ceil(x[i] - half[i])
        end = math.floor(x[i] + half[i]) + 1.0
        top = n_f[j] + first
        end = min(max(end, first), top)
        for p in range(off2[j] + np.int64(first), off2[j] + np.int64(end)):
            if p >= 0 and cell_of_pos[p] >= 0:
                out[t_idx[i], cell_of_pos[p]] += 1


def _one_elevation_sin(kernel, lat, reach, sin_e, cos2_e, groups, slot_budget):
    """sin(eps) with which the reference counts each (time, satellite) on its one-elevation path.

    The reference (``RingKernel._cos_half_wgs84``) takes the one-elevation formula, with the first
    satellite's ``sin(eps)``, for a block of satellites whose ``cos^2(eps)`` are all equal, and the
    general one otherwise; blocks are its time chunks times :meth:`RingKernel._pieces`. Returns an
    array of shape (n_time, n_sat), NaN where the general formula is used, or (1, n_sat) when one
    elevation holds for all.
    """
    n_time, n_sat = lat.shape
    if np.all(cos2_e == cos2_e[0]) and np.all(sin_e == sin_e[0]):
        return np.full((1, n_sat), sin_e[0])  # the same at every step
    out = np.full((n_time, n_sat), np.nan)
    k_max = max(w["n"].shape[1] for _, w in groups)
    step = max(1, slot_budget // max(1, n_sat * k_max))
    step = min(step, max(1, 4_000_000 // kernel.length))
    for t0 in range(0, n_time, step):  # the reference's own chunks: only with mixed elevations
        t1 = min(n_time, t0 + step)
        for columns, _ in kernel._pieces(groups, (t1 - t0, n_sat)):
            cols = np.arange(n_sat) if columns is None else columns
            la, re = lat[t0:t1, cols], reach[t0:t1, cols]
            near = (la + re >= kernel.lat_min) & (la - re <= kernel.lat_max) & (re >= 0.0)
            c2 = np.broadcast_to(cos2_e[cols], near.shape)[near]
            if c2.size and np.all(c2 == c2[0]):
                first_col = cols[np.nonzero(near)[1][0]]
                out[t0:t1, cols] = sin_e[first_col]
    return out


def _vector(values):
    """A C-contiguous, writable float64 array (one compiled signature for every caller)."""
    return np.require(values, dtype=np.float64, requirements=["C", "W"])


def _rows(values, shape):
    """``values`` broadcast to ``shape`` (n_time, n_sat) as a C array of shape (1, n_sat) when they
    are the same at every step (a per-satellite vector or a broadcast view), else (n_time, n_sat)."""
    a = np.asarray(values, dtype=float)
    if a.ndim == 2 and a.shape[0] > 1 and a.strides[0] == 0:
        a = a[:1]
    if a.ndim < 2 or a.shape[0] == 1:
        return np.broadcast_to(a, (1, shape[1])).copy()
    return np.array(np.broadcast_to(a, shape), order="C")  # writable: one compiled signature


def _ring_tables(kernel):
    """Per-ring arrays of a RingKernel (cached on it), padded for the kernel's ring loops.

    Each table holds the kernel's ``n_ring`` rings and then :func:`_padding` copies of its padding
    ring (never covered), so that a loop of ``n_slot`` rings from any first ring reads inside it.
    ``pos`` is ``off2 + 1`` (the row buffer is shifted by one), and so are the folds.
    """
    tables = kernel.__dict__.get("_compiled_tables")
    if tables is None:
        n_ring = len(kernel.ring_lat)
        cell_of_pos = np.full(kernel.length, -1, dtype=np.int64)
        cells = np.arange(len(kernel.fold1))
        cell_of_pos[kernel.fold1] = cells
        cell_of_pos[kernel.fold2] = cells
        tables = {
            "ring_lat": _vector(kernel.ring_lat),
            **{key: _padded(getattr(kernel, key), n_ring)
               for key in ("sin_lat", "cos_lat", "inv_dlon", "xoff", "n", "wgs_k", "wgs_n", "wgs_n2",
                           "wgs_sec", "wgs_p2", "wgs_h", "wgs_2ncos")},
            "off2": np.require(kernel.off2[:n_ring], np.int64, ["C", "W"]),
            "pos": np.require(_padded(kernel.off2, n_ring) + 1, np.int64, ["C", "W"]),
            "fold1": np.require(kernel.fold1 + 1, np.int64, ["C", "W"]),
            "fold2": np.require(kernel.fold2 + 1, np.int64, ["C", "W"]),
            "cell_of_pos": cell_of_pos,
        }
        kernel._compiled_tables = tables  # built whole, then published: threads may share it
    return tables


def _padding(n_ring: int) -> int:
    """Padding rings after the last: the widest ring loop (:func:`_n_slot`) from ring ``n_ring``."""
    return _n_slot(n_ring, n_ring)


def _n_slot(k_max: int, n_ring: int) -> int:
    """Rings per satellite loop: ``min(k_max, n_ring)`` rounded up to a multiple of :data:`LANES`."""
    k = max(1, min(int(k_max), n_ring))
    return -(-k // LANES) * LANES


def _padded(table, n_ring: int) -> np.ndarray:
    """``table[:n_ring]`` and then :func:`_padding` copies of its padding value ``table[n_ring]``."""
    table = np.asarray(table)
    return np.require(np.concatenate([table[:n_ring], np.repeat(table[n_ring:n_ring + 1], _padding(n_ring))]),
                      requirements=["C", "W"])


def count_rings(kernel, lat_rad, lon_rad, reach, params, out=None, *, wgs84: bool,
                slot_budget: int, sin_lat=None, cos_lat=None) -> np.ndarray:
    """``RingKernel._run`` compiled: counts of shape (n_time, n_cell), int32.

    Parameters
    ----------
    kernel : constellations.coverage.RingKernel
    lat_rad, lon_rad, reach : ndarray, shape (n_time, n_sat)
        As for ``RingKernel._run``: satellite latitude, longitude (rad) and the latitude distance
        within which rings can see it (negative: none).
    params : list of ndarray, shape (n_time, n_sat)
        Sphere: ``[lambda]``; WGS84: ``[radius_km, sin(eps), cos^2(eps)]`` and, with a nadir cone,
        ``[sin(eta), cos(eta)]`` (broadcast views of per-satellite values where they are such).
    out : ndarray of int32, shape (n_time, n_cell), optional
    wgs84 : bool
        Which of the reference's criteria ``params`` belong to.
    slot_budget : int
        The reference's ``SLOT_BUDGET``: its time chunks decide where it uses the one-elevation
        formula, which this kernel follows.
    sin_lat, cos_lat : ndarray, shape (n_time, n_sat), optional
        Sine and cosine of ``lat_rad`` when the caller has them (e.g. from
        :meth:`~constellations.propagation.J2Propagator.subsatellite_trig`); default ``np.sin`` and
        ``np.cos`` of ``lat_rad``, the reference's own, which keeps the counts bit-identical to it.
    """
    lat = _vector(lat_rad)
    lon = _vector(lon_rad)
    reach_rows = _rows(reach, lat.shape)
    reach = np.broadcast_to(reach, lat.shape)
    n_time, n_sat = lat.shape
    if out is None:
        out = np.empty((n_time, len(kernel.fold1)), dtype=np.int32)
    if n_time == 0:
        return out
    groups = kernel._groups(reach)
    k_sat = np.empty(n_sat, dtype=np.int64)
    for columns, w in groups:
        k_sat[slice(None) if columns is None else columns] = w["k"]
    tab = _ring_tables(kernel)
    n_ring = tab["ring_lat"].shape[0]
    n_slot = _n_slot(k_sat.max(), n_ring)
    sin_s = np.sin(lat) if sin_lat is None else _vector(sin_lat)
    cos_s = np.cos(lat) if cos_lat is None else _vector(cos_lat)
    empty1, empty0 = np.zeros(1), np.zeros(0)
    if wgs84:
        radius = _rows(params[0], lat.shape)
        sin_e = _vector(params[1][0])  # (n_sat,): the same at every step
        cos2_e = _vector(params[2][0])
        cone = len(params) > 3
        sin_eta = _vector(params[3][0]) if cone else np.zeros(n_sat)
        cos_eta = _vector(params[4][0]) if cone else np.zeros(n_sat)
        kind = WGS84_ONE_ELEVATION  # or the general formula where s_d is NaN
        s_a, s_b, s_c = sin_s, cos_s, empty1.reshape(1, 1)
        s_d = _one_elevation_sin(kernel, lat, reach, sin_e, cos2_e, groups, slot_budget)
        s_e, s_f, s_g, s_h = cos2_e, sin_eta, cos_eta, sin_e
        wt = wv = empty0
        if np.all(cos2_e == cos2_e[0]):  # one elevation: the reference's per-ring T and V
            wt, wv = (_vector(_padded(x, n_ring)) for x in kernel._elevation_terms(float(cos2_e[0])))
    else:
        radius = empty1.reshape(1, 1)
        cone = False
        kind = SPHERE
        s_a = np.negative(sin_s)
        s_b = cos_s
        s_c = np.cos(_rows(params[0], lat.shape))
        s_d = empty1.reshape(1, 1)
        s_e = s_f = s_g = s_h = empty1
        wt = wv = empty0
    und_j = np.empty((n_time, UNDECIDED_PER_STEP), dtype=np.int64)
    und_x = np.empty((n_time, UNDECIDED_PER_STEP))
    und_c = np.empty((n_time, UNDECIDED_PER_STEP))
    und_n = np.zeros(n_time, dtype=np.int64)
    parallel = (threading.current_thread() is threading.main_thread() and n_time > 1
                and n_time * n_sat >= PARALLEL_MIN_SAT_STEPS)
    run = _ring_counts_parallel if parallel else _ring_counts_serial
    row_like = _ROW_INT16 if n_sat <= ROW_INT16_MAX_SAT else _ROW_INT32
    run(kind, cone, n_slot, lat, lon, reach_rows, k_sat, s_a, s_b, s_c, s_d, s_e, s_f, s_g, s_h, radius,
        tab["ring_lat"], float(kernel.lat_min), float(kernel.lat_max), tab["sin_lat"], tab["cos_lat"],
        tab["inv_dlon"], tab["xoff"], tab["n"], tab["pos"], tab["wgs_k"], tab["wgs_n"],
        tab["wgs_n2"], tab["wgs_sec"], tab["wgs_p2"], tab["wgs_h"], tab["wgs_2ncos"], wt, wv,
        tab["fold1"], tab["fold2"], int(kernel.length), row_like, out, und_j, und_x, und_c, und_n,
        float(POLY_ACOS_ERR_RAD), float(LIBM_ACOS_ERR_RAD))
    if und_n.max() > UNDECIDED_PER_STEP:  # pragma: no cover - needs > 64 exact ties in one step
        cos_half = kernel._cos_half_wgs84 if wgs84 else kernel._cos_half_sphere
        return kernel._run(lat_rad, lon_rad, reach, params, cos_half, out, backend="numpy")
    if und_n.any():
        t_idx = np.repeat(np.arange(n_time), und_n)
        keep = np.arange(UNDECIDED_PER_STEP)[None, :] < und_n[:, None]
        j_idx, x, cos_d = und_j[keep], und_x[keep], und_c[keep]
        half = np.arccos(cos_d) * tab["inv_dlon"][j_idx]  # the reference's own arccos
        _add_undecided(t_idx, j_idx, x, half, tab["n"], tab["off2"], tab["cell_of_pos"], out)
    return out



@njit(cache=True, nogil=True, error_model="numpy")
def _points_sphere(sx, sy, sz, cos_lam, ux, uy, uz, out):
    """Direct test, satellite loop innermost: ``out[t, p] = #{s: sat_s . unit_p >= cos lambda_s}``."""
    n_time, n_sat = sx.shape
    for t in range(n_time):
        for p in range(ux.shape[0]):
            px, py, pz = ux[p], uy[p], uz[p]
            n = 0
            for s in range(n_sat):
                dot = sx[t, s] * px + sy[t, s] * py + sz[t, s] * pz
                n += dot >= cos_lam[t, s]
            out[t, p] = n


@njit(cache=True, nogil=True, error_model="numpy")
def _points_wgs84(sx, sy, sz, r2, sin_e, cone_rc, px, py, pz, nx, ny, nz, pn, p2, out):
    """WGS84 direct test (satellite loop innermost); NaN ``r2`` (never visible) fails every test.

    Visible: ``(s - p).n >= sin(eps) |s - p|`` and ``|s|^2 - s.p >= cos(eta) |s| |s - p|``.
    """
    n_time, n_sat = sx.shape
    for t in range(n_time):
        for p in range(px.shape[0]):
            ax, ay, az, bx, by, bz = px[p], py[p], pz[p], nx[p], ny[p], nz[p]
            n = 0
            for s in range(n_sat):
                x, y, z = sx[t, s], sy[t, s], sz[t, s]
                sp = x * ax + y * ay + z * az
                slant = math.sqrt(r2[t, s] - 2.0 * sp + p2[p])
                up = x * bx + y * by + z * bz - pn[p]
                ok = (up >= sin_e[s] * slant) & ((r2[t, s] - sp) >= cone_rc[t, s] * slant)
                n += ok
            out[t, p] = n


def count_points(kernel, lat_rad, lon_rad, lam_rad, out=None) -> np.ndarray:
    """``PointKernel.count`` compiled: the same contract, shape (n_time, n_point) int32."""
    lat = np.asarray(lat_rad, dtype=float)
    lam = np.broadcast_to(lam_rad, lat.shape)
    n_time = lat.shape[0]
    if out is None:
        out = np.empty((n_time, kernel.unit.shape[1]), dtype=np.int32)
    cl = np.cos(lat)
    lon = np.asarray(lon_rad, dtype=float)
    sx, sy, sz = cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)
    cos_lam = np.where(lam >= 0.0, np.cos(lam), 2.0)  # negative radius: never visible
    ux, uy, uz = (_vector(kernel.unit[i]) for i in range(3))
    _points_sphere(sx, sy, sz, cos_lam, ux, uy, uz, out)
    return out


def count_points_elevation(kernel, lat_rad, lon_rad, radius, eps, eta, reach, out=None):
    """``PointKernel.count_elevation`` (WGS84) compiled; inputs checked by the caller.

    ``radius`` (n_sat,) or (n_time, n_sat) km, ``eps`` and ``eta`` (n_sat,) rad (``eta`` None: no
    cone), ``reach`` (n_time, n_sat) from :func:`constellations.earth.reach_rad` (negative: never).
    """
    lat = np.asarray(lat_rad, dtype=float)
    lon = np.asarray(lon_rad, dtype=float)
    shape = lat.shape
    if out is None:
        out = np.empty((shape[0], kernel.unit.shape[1]), dtype=np.int32)
    r = np.where(reach >= 0.0, np.broadcast_to(radius, shape), np.nan)  # NaN: every test fails
    cl = np.cos(lat)
    sx, sy, sz = r * cl * np.cos(lon), r * cl * np.sin(lon), r * np.sin(lat)
    sin_e = _vector(np.broadcast_to(np.sin(eps), shape[1:]))
    if eta is None:
        cone_rc = np.full(shape, -np.inf)
    else:
        cos_eta = np.where(eta < np.pi / 2, np.cos(np.minimum(eta, np.pi / 2)), -np.inf)
        cone_rc = np.where(np.isinf(cos_eta), -np.inf, cos_eta * r)
    px, py, pz = (_vector(kernel.wgs_p[i]) for i in range(3))
    nx, ny, nz = (_vector(kernel.wgs_up[i]) for i in range(3))
    _points_wgs84(sx, sy, sz, r * r, sin_e, cone_rc, px, py, pz, nx, ny, nz,
                  _vector(kernel.wgs_pn), _vector(kernel.wgs_p2), out)
    return out
