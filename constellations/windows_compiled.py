"""Compiled (numba) refinement of exact access windows: the per-triple loop of windows.py, fused.

Same algorithm and the same formulas as :meth:`constellations.windows.WindowFinder._refine` (the NumPy
reference): for each (cell, satellite, step) triple, the scalars ``(s - p) . n``, ``|s - p|^2`` (and
``s . (s - p)``, ``|s|^2`` with a cone) at the interpolation nodes, their cubics on each node interval,
then per segment the in-view test at both ends, the bound on the maximum (exact cubic extremes), the
golden-section search for grazing maxima and the bracketed crossings (regula falsi with probes,
bisection fallback, brackets <= ``resolution_s / 2``). One serial ``nogil`` pass, no temporaries: the
engine calls it from its counting threads.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["refine"]


@njit(cache=True, nogil=True, error_model="numpy")
def _coef(f, o):
    fm1, f0, f1, f2 = f[o], f[o + 1], f[o + 2], f[o + 3]
    c1 = -fm1 / 3.0 - f0 / 2.0 + f1 - f2 / 6.0
    c2 = (fm1 + f1) / 2.0 - f0
    c3 = (f2 - fm1) / 6.0 + (f0 - f1) / 2.0
    return f0, c1, c2, c3


@njit(cache=True, nogil=True, error_model="numpy")
def _p(c0, c1, c2, c3, u):
    return c0 + u * (c1 + u * (c2 + u * c3))


@njit(cache=True, nogil=True, error_model="numpy")
def _extreme(c0, c1, c2, c3, u0, u1, largest):
    best_u = u0
    best = _p(c0, c1, c2, c3, u0)
    sign = 1.0 if largest else -1.0
    v = _p(c0, c1, c2, c3, u1)
    if sign * v > sign * best:
        best, best_u = v, u1
    disc = c2 * c2 - 3.0 * c1 * c3
    if disc >= 0.0:
        root = math.sqrt(disc)
        qq = -(c2 + (root if c2 >= 0 else -root))
        for k in range(2):
            if k == 0:
                if c3 == 0.0:
                    continue
                u = qq / (3.0 * c3)
            else:
                if qq == 0.0:
                    continue
                u = c1 / qq
            if u0 <= u <= u1:
                v = _p(c0, c1, c2, c3, u)
                if sign * v > sign * best:
                    best, best_u = v, u
    return best, best_u


@njit(cache=True, nogil=True, error_model="numpy")
def _g(ca, cq, cb, cw, cone, se, ce, u):
    q = max(_p(cq[0], cq[1], cq[2], cq[3], u), 0.0)
    rng = math.sqrt(q)
    g = _p(ca[0], ca[1], ca[2], ca[3], u) - se * rng
    if cone:
        w = max(_p(cw[0], cw[1], cw[2], cw[3], u), 0.0)
        g = min(g, _p(cb[0], cb[1], cb[2], cb[3], u) - ce * math.sqrt(w) * rng)
    return g


@njit(cache=True, nogil=True, error_model="numpy")
def _root(ca, cq, cb, cw, cone, se, ce, lo, hi, glo, ghi, tol_u):
    tol = tol_u / 2.0
    eps = tol / 4.0
    vlo = glo >= 0
    it = 0
    while hi - lo > tol and it < 80:
        if it < 4 and glo != ghi:
            x = lo + (hi - lo) * glo / (glo - ghi)
            if not (x == x):
                x = 0.5 * (lo + hi)
        else:
            x = 0.5 * (lo + hi)
        p1 = min(max(x - eps, lo + 0.25 * eps), hi - 0.25 * eps)
        p2 = min(max(x + eps, p1), hi - 0.25 * eps)
        g1 = _g(ca, cq, cb, cw, cone, se, ce, p1)
        g2 = _g(ca, cq, cb, cw, cone, se, ce, p2)
        if (g1 >= 0) != vlo:
            hi, ghi = p1, g1
        elif (g2 >= 0) != (g1 >= 0):
            lo, hi, glo, ghi = p1, p2, g1, g2
        else:
            lo, glo = p2, g2
        it += 1
    if glo != ghi:
        x = lo + (hi - lo) * glo / (glo - ghi)
        if lo <= x <= hi:
            return x
    return 0.5 * (lo + hi)


@njit(cache=True, nogil=True, error_model="numpy")
def _golden(ca, cq, cb, cw, cone, se, ce, lo, hi, tol_u):
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    x1 = hi - ratio * (hi - lo)
    x2 = lo + ratio * (hi - lo)
    g1 = _g(ca, cq, cb, cw, cone, se, ce, x1)
    g2 = _g(ca, cq, cb, cw, cone, se, ce, x2)
    best_u, best_g = (x1, g1) if g1 >= g2 else (x2, g2)
    it = 0
    while hi - lo > tol_u and it < 60:
        if g1 >= g2:
            hi, x2, g2 = x2, x1, g1
            x1 = hi - ratio * (hi - lo)
            g1 = _g(ca, cq, cb, cw, cone, se, ce, x1)
            if g1 > best_g:
                best_u, best_g = x1, g1
        else:
            lo, x1, g1 = x1, x2, g2
            x2 = lo + ratio * (hi - lo)
            g2 = _g(ca, cq, cb, cw, cone, se, ce, x2)
            if g2 > best_g:
                best_u, best_g = x2, g2
        it += 1
    return best_u, best_g


@njit(cache=True, nogil=True, error_model="numpy")
def refine(k_first, n0, q, half, n_steps, step_s, node_s, duration_s, tol_u, k_i, cell, sat,
           unit, radius, bad, cell_pos, cell_unit, sin_eps, cos_eta, cone):
    """Visible piece of every (triple, node interval) segment, in seconds (NaN: none).

    Parameters as in :meth:`constellations.windows.WindowFinder._refine`; ``radius`` is
    (n_node, n_sat). Returns ``start_s, end_s`` of shape (n_triple, 2 half).
    """
    n = k_i.size
    n_seg = 2 * half
    n_nodes = n_seg + 3
    start = np.full((n, n_seg), np.nan)
    end = np.full((n, n_seg), np.nan)
    fa = np.empty(n_nodes)
    fq = np.empty(n_nodes)
    fb = np.empty(n_nodes)
    fw = np.empty(n_nodes)
    ca = np.empty(4)
    cq = np.empty(4)
    cb = np.empty(4)
    cw = np.empty(4)
    for t in range(n):
        k = k_first + k_i[t]
        s = sat[t]
        c = cell[t]
        jf = q * k - half
        row0 = jf - 1 - n0
        for r in range(n_nodes):
            row = row0 + r
            rad = radius[row, s]
            px = unit[row, s, 0] * rad
            py = unit[row, s, 1] * rad
            pz = unit[row, s, 2] * rad
            vx, vy, vz = px - cell_pos[c, 0], py - cell_pos[c, 1], pz - cell_pos[c, 2]
            fa[r] = vx * cell_unit[c, 0] + vy * cell_unit[c, 1] + vz * cell_unit[c, 2]
            fq[r] = vx * vx + vy * vy + vz * vz
            fb[r] = px * vx + py * vy + pz * vz
            fw[r] = px * px + py * py + pz * pz
            if bad[row, s]:
                fa[r] = -1e9
        t_lo = max(0.0, (k - 0.5) * step_s)
        t_hi = min(duration_s, (k + 0.5) * step_s)
        se, ce = sin_eps[s], cos_eta[s]
        for o in range(n_seg):
            j = jf + o
            u0 = min(max(t_lo / node_s - j, 0.0), 1.0)
            u1 = min(max(t_hi / node_s - j, 0.0), 1.0)
            if u1 <= u0:
                continue
            ca[0], ca[1], ca[2], ca[3] = _coef(fa, o)
            cq[0], cq[1], cq[2], cq[3] = _coef(fq, o)
            if cone:
                cb[0], cb[1], cb[2], cb[3] = _coef(fb, o)
                cw[0], cw[1], cw[2], cw[3] = _coef(fw, o)
            ga = _g(ca, cq, cb, cw, cone, se, ce, u0)
            gb = _g(ca, cq, cb, cw, cone, se, ce, u1)
            a_u, b_u = np.nan, np.nan
            if ga >= 0 and gb >= 0:
                a_u, b_u = u0, u1
            elif gb >= 0:
                a_u, b_u = _root(ca, cq, cb, cw, cone, se, ce, u0, u1, ga, gb, tol_u), u1
            elif ga >= 0:
                a_u, b_u = u0, _root(ca, cq, cb, cw, cone, se, ce, u0, u1, ga, gb, tol_u)
            else:
                amax, u_star = _extreme(ca[0], ca[1], ca[2], ca[3], u0, u1, True)
                qmin, _ = _extreme(cq[0], cq[1], cq[2], cq[3], u0, u1, False)
                excluded = amax - se * math.sqrt(max(qmin, 0.0)) < 0
                if cone and ce > 0 and not excluded:
                    bmax, _ = _extreme(cb[0], cb[1], cb[2], cb[3], u0, u1, True)
                    wmin, _ = _extreme(cw[0], cw[1], cw[2], cw[3], u0, u1, False)
                    excluded = bmax - ce * math.sqrt(max(wmin, 0.0) * max(qmin, 0.0)) < 0
                if not excluded:
                    g_star = _g(ca, cq, cb, cw, cone, se, ce, u_star)
                    if g_star < 0:
                        u_star, g_star = _golden(ca, cq, cb, cw, cone, se, ce, u0, u1, tol_u / 2)
                    if g_star >= 0:
                        a_u = _root(ca, cq, cb, cw, cone, se, ce, u0, u_star, ga, g_star, tol_u)
                        b_u = _root(ca, cq, cb, cw, cone, se, ce, u_star, u1, g_star, gb, tol_u)
            if a_u == a_u:
                start[t, o] = (j + a_u) * node_s
                end[t, o] = (j + b_u) * node_s
    return start, end


@njit(cache=True, nogil=True, error_model="numpy")
def _ring_pass(fill, lat_c, lon_c, lam_out, cos_in, cos_out, undecided, covered, ring_lat, ring_n,
               ring_offset, point_to_cell, cell_unit, unit_c, out_k, out_c, out_s):
    n_int, n_sat = lat_c.shape
    m = 0
    two_pi = 2.0 * math.pi
    for k in range(n_int):
        for s in range(n_sat):
            lm = lam_out[k, s]
            if not lm > 0.0:
                continue
            la, lo = lat_c[k, s], lon_c[k, s]
            j0 = np.searchsorted(ring_lat, la - lm, side="left")
            j1 = np.searchsorted(ring_lat, la + lm, side="right")
            cos_lm, sin_la, cos_la = math.cos(lm), math.sin(la), math.cos(la)
            ux, uy, uz = unit_c[k, s, 0], unit_c[k, s, 1], unit_c[k, s, 2]
            for j in range(j0, j1):
                phi = ring_lat[j]
                num = cos_lm - sin_la * math.sin(phi)
                den = cos_la * math.cos(phi)
                n_j = ring_n[j]
                if num <= -den:
                    first, count = 0, n_j
                elif num <= den and den > 0.0:
                    half = math.acos(min(max(num / den, -1.0), 1.0)) * n_j / two_pi
                    x = (lo + math.pi) * n_j / two_pi - 0.5
                    first = int(np.ceil(x - half))
                    count = min(max(int(np.floor(x + half)) - first + 1, 0), n_j)
                else:
                    continue
                for i in range(count):
                    c = point_to_cell[ring_offset[j] + (first + i) % n_j]
                    if c < 0 or not undecided[k, c]:
                        continue
                    cos_d = ux * cell_unit[c, 0] + uy * cell_unit[c, 1] + uz * cell_unit[c, 2]
                    if cos_d >= cos_in[k, s]:
                        if fill:
                            covered[k, c] = True
                    elif cos_d >= cos_out[k, s]:
                        if fill:
                            out_k[m], out_c[m], out_s[m] = k, c, s
                        m += 1
    return m


def ring_triples(lat_c, lon_c, lam_out, cos_in, cos_out, undecided, covered, ring_lat, ring_n,
                 ring_offset, point_to_cell, cell_unit, unit_c):
    """Triples (step row, cell, satellite) within ``lam_out`` but not ``lam_in``, from ring intervals.

    Marks in ``covered`` the pairs with a satellite within ``lam_in`` (the compiled counterpart of
    :meth:`constellations.windows.WindowFinder._ring_candidates` and the filter after it; two passes:
    count, then fill).
    """
    empty = np.empty(0, dtype=np.int64)
    args = (lat_c, lon_c, lam_out, cos_in, cos_out, undecided, covered, ring_lat, ring_n,
            ring_offset, point_to_cell, cell_unit, unit_c)
    n = _ring_pass(False, *args, empty, empty, empty)
    out = [np.empty(n, dtype=np.int64) for _ in range(3)]
    _ring_pass(True, *args, *out)
    return out[0], out[1], out[2]
