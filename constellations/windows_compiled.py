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

__all__ = ["covered_runs", "pair_pieces", "refine", "ring_triples", "unit_vectors"]

MIN_BUCKET_RAD = 0.02  # rad: smallest bucket of the satellite grid of pair_pieces (bounds its memory)


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
def _triple(k, s, c, n0, q, half, step_s, node_s, duration_s, tol_u, unit, radius, bad, cell_pos,
            cell_unit, sin_eps, cos_eta, cone, work, seg_a, seg_b):
    """Visible piece of each node-interval segment of one (interval k, satellite s, cell c) triple.

    Writes ``seg_a, seg_b`` (n_seg,) in seconds (NaN: no piece); returns whether the pieces cover the
    whole interval (every segment in view from end to end). ``work`` (4, n_seg + 3 + 4) is scratch.
    """
    n_seg = 2 * half
    n_nodes = n_seg + 3
    fa, fq, fb, fw = work[0], work[1], work[2], work[3]
    ca, cq, cb, cw = work[0, n_nodes:], work[1, n_nodes:], work[2, n_nodes:], work[3, n_nodes:]
    jf = q * k - half
    row0 = jf - 1 - n0
    one_radius = radius.shape[0] == 1  # circular orbits: one radius per satellite
    for r in range(n_nodes):
        row = row0 + r
        rad = radius[0 if one_radius else row, s]
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
    full = True
    for o in range(n_seg):
        j = jf + o
        seg_a[o] = np.nan
        seg_b[o] = np.nan
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
        else:
            full = False
            if gb >= 0:
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
            seg_a[o] = (j + a_u) * node_s
            seg_b[o] = (j + b_u) * node_s
    return full


@njit(cache=True, nogil=True, error_model="numpy")
def refine(k_first, n0, q, half, n_steps, step_s, node_s, duration_s, tol_u, k_i, cell, sat,
           unit, radius, bad, cell_pos, cell_unit, sin_eps, cos_eta, cone):
    """Visible piece of every (triple, node interval) segment, in seconds (NaN: none).

    Parameters as in :meth:`constellations.windows.WindowFinder._refine`; ``radius`` is
    (n_node, n_sat) or (1, n_sat). Returns ``start_s, end_s`` of shape (n_triple, 2 half).
    """
    n = k_i.size
    n_seg = 2 * half
    start = np.full((n, n_seg), np.nan)
    end = np.full((n, n_seg), np.nan)
    work = np.empty((4, n_seg + 7))
    for t in range(n):
        _triple(k_first + k_i[t], sat[t], cell[t], n0, q, half, step_s, node_s, duration_s, tol_u,
                unit, radius, bad, cell_pos, cell_unit, sin_eps, cos_eta, cone, work, start[t], end[t])
    return start, end


@njit(cache=True, nogil=True, error_model="numpy")
def pair_pieces(k_first, n0, q, half, step_s, node_s, duration_s, tol_u, pair_k, pair_c, lat_c,
                lon_c, cos_in, cos_out, r_max, unit, radius, bad, cell_pos, cell_unit, cell_lat,
                cell_lon, sin_eps, cos_eta, cone, covered):
    """Covered pieces of undecided (interval row, cell) pairs: candidates, filter and refinement fused.

    Per interval row the satellites are bucketed on a latitude x longitude grid of cells ``r_max / 2``
    wide (a counting sort, no comparison sort). For each pair, the satellites of the buckets that can
    hold one within ``r_max`` of the cell (latitude window; longitude window from the spherical law of
    sines, ``sin dlon <= sin r / cos lat`` of the satellite's band, or every longitude when the band
    reaches the pole) are tested: one within its ``lam_in`` (``cos_in``) settles the pair as covered
    throughout (``covered[k, c] = True``); those within ``lam_out`` but not ``lam_in`` are refined
    closest first (:func:`_triple`), and the first whose pieces cover the whole interval settles the
    pair too (its other pieces are dropped: the interval is one covered run). Otherwise every
    candidate's pieces are returned, to be merged by the accumulator.

    Parameters
    ----------
    pair_k, pair_c : ndarray of int64, shape (n_pair,)
        Undecided pairs: interval row (0 = ``k_first``) and cell.
    lat_c, lon_c : ndarray, shape (n_int, n_sat)
        Sub-satellite points at the steps.
    cos_in, cos_out : ndarray, shape (n_int, n_sat) or (1, n_sat)
        Cosines of the shrunk and grown footprints (2 where a satellite can never be in view); one
        row when they are the same at every step.
    r_max : float
        Largest grown footprint, rad.
    unit, radius, bad : node arrays as for :func:`refine` (``radius`` (1, n_sat) when fixed)
    cell_lat, cell_lon : ndarray, shape (n_cell,)
        Cell coordinates in the kernels' (spherical) frame, rad.
    covered : ndarray of bool, shape (n_int, n_cell)
        Updated in place.

    Returns
    -------
    cell, start_s, end_s : ndarray, shape (n_piece,)
    """
    n_int, n_sat = lat_c.shape
    n_seg = 2 * half
    two_pi = 2.0 * math.pi
    height = max(r_max / 2.0, MIN_BUCKET_RAD)
    n_band = math.ceil(math.pi / height) + 1
    n_lon = max(1, int(two_pi // height))
    width = two_pi / n_lon  # >= height; exactly n_lon buckets around, so windows wrap by n_lon
    n_bucket = n_band * n_lon
    head = np.zeros((n_int, n_bucket + 1), dtype=np.int64)
    member = np.empty((n_int, n_sat), dtype=np.int64)
    bucket_of = np.empty(n_sat, dtype=np.int64)
    one_row = cos_in.shape[0] == 1  # footprints the same at every step
    for k in range(n_int):  # counting sort of the satellites by bucket, per row
        kf = 0 if one_row else k
        for s in range(n_sat):
            if cos_out[kf, s] > 1.0:
                bucket_of[s] = -1
                continue
            b = min(max(int((lat_c[k, s] + math.pi / 2) / height), 0), n_band - 1)
            lo = int((lon_c[k, s] + math.pi) / width) % n_lon
            bucket_of[s] = b * n_lon + lo
            head[k, bucket_of[s] + 1] += 1
        for i in range(n_bucket):
            head[k, i + 1] += head[k, i]
        fill = head[k, :n_bucket].copy()
        for s in range(n_sat):
            if bucket_of[s] >= 0:
                member[k, fill[bucket_of[s]]] = s
                fill[bucket_of[s]] += 1
    cap = max(1024, 4 * pair_k.size)
    out_c = np.empty(cap, dtype=np.int64)
    out_a = np.empty(cap)
    out_b = np.empty(cap)
    m = 0
    cand_s = np.empty(n_sat, dtype=np.int64)
    cand_d = np.empty(n_sat)
    work = np.empty((4, n_seg + 7))
    seg_a = np.empty(n_seg)
    seg_b = np.empty(n_seg)
    sin_r = math.sin(r_max)
    for p in range(pair_k.size):
        k, c = pair_k[p], pair_c[p]  # distinct pairs, none covered yet
        ux, uy, uz = cell_unit[c, 0], cell_unit[c, 1], cell_unit[c, 2]
        phi = cell_lat[c]
        b_lo = min(max(int((phi - r_max + math.pi / 2) / height), 0), n_band - 1)
        b_hi = min(max(int((phi + r_max + math.pi / 2) / height), 0), n_band - 1)
        lon_x = cell_lon[c] + math.pi
        n_cand = 0
        hit = False
        row = q * (k_first + k) - n0
        kf = 0 if one_row else k
        for b in range(b_lo, b_hi + 1):
            pole = min(max(abs(b * height - math.pi / 2), abs((b + 1) * height - math.pi / 2)),
                       math.pi / 2)
            ratio = sin_r / max(math.cos(pole), 1e-300)
            i0, i1 = 0, n_lon - 1
            if ratio < 1.0 and r_max < math.pi / 2 - pole:
                half_w = math.asin(ratio)
                i0 = math.floor((lon_x - half_w) / width)
                i1 = math.floor((lon_x + half_w) / width)
                if i1 - i0 + 1 >= n_lon:
                    i0, i1 = 0, n_lon - 1
            # the buckets i0..i1 of a band are consecutive in the sort: one or two member ranges
            base = b * n_lon
            for part in range(2):
                if i0 >= 0 and i1 < n_lon:
                    if part:
                        break
                    e0, e1 = head[k, base + i0], head[k, base + i1 + 1]
                elif i0 < 0:  # the window wraps below longitude -180 deg
                    e0, e1 = ((head[k, base + i0 + n_lon], head[k, base + n_lon]) if part == 0
                              else (head[k, base], head[k, base + i1 + 1]))
                else:  # ... or above +180 deg
                    e0, e1 = ((head[k, base + i0], head[k, base + n_lon]) if part == 0
                              else (head[k, base], head[k, base + i1 - n_lon + 1]))
                for e in range(e0, e1):
                    s = member[k, e]
                    cos_d = unit[row, s, 0] * ux + unit[row, s, 1] * uy + unit[row, s, 2] * uz
                    if cos_d >= cos_in[kf, s]:
                        hit = True
                        break
                    if cos_d >= cos_out[kf, s]:
                        cand_s[n_cand] = s
                        cand_d[n_cand] = cos_d - cos_out[kf, s]
                        n_cand += 1
                if hit:
                    break
            if hit:
                break
        if hit:
            covered[k, c] = True
            continue
        if n_cand == 0:
            continue
        best = 0  # the candidate deepest inside its grown footprint first: it settles most pairs
        for i in range(1, n_cand):
            if cand_d[i] > cand_d[best]:
                best = i
        cand_s[0], cand_s[best] = cand_s[best], cand_s[0]
        cand_d[0], cand_d[best] = cand_d[best], cand_d[0]
        m_pair = m
        for o in range(n_cand):
            full = _triple(k_first + k, cand_s[o], c, n0, q, half, step_s, node_s, duration_s, tol_u,
                           unit, radius, bad, cell_pos, cell_unit, sin_eps, cos_eta, cone, work,
                           seg_a, seg_b)
            if full:
                covered[k, c] = True
                m = m_pair  # the whole interval is covered: one run, no pieces needed
                break
            if m + n_seg > cap:
                cap *= 2
                out_c = _grow_int(out_c, cap)
                out_a = _grow(out_a, cap)
                out_b = _grow(out_b, cap)
            for g in range(n_seg):
                if seg_a[g] == seg_a[g]:
                    out_c[m] = c
                    out_a[m] = seg_a[g]
                    out_b[m] = seg_b[g]
                    m += 1
    return out_c[:m].copy(), out_a[:m].copy(), out_b[:m].copy()


@njit(cache=True, nogil=True)
def _grow(a, cap):
    out = np.empty(cap, dtype=a.dtype)
    out[:a.size] = a
    return out


@njit(cache=True, nogil=True)
def _grow_int(a, cap):
    out = np.empty(cap, dtype=np.int64)
    out[:a.size] = a
    return out


@njit(cache=True, nogil=True)
def covered_runs(covered, k_first, step_s, duration_s):
    """Pieces of consecutive covered-throughout intervals, per cell (``WindowFinder._runs`` compiled).

    ``covered`` (n_int, n_cell) bool, row 0 = interval ``k_first``; interval ``k`` spans
    ``[(k - 1/2) step_s, (k + 1/2) step_s]`` clipped to ``[0, duration_s]``. Returns ``cell, start_s,
    end_s`` of the runs, cell by cell.
    """
    n_int, n_cell = covered.shape
    n = 0
    for c in range(n_cell):
        for k in range(n_int):
            if covered[k, c] and (k == 0 or not covered[k - 1, c]):
                n += 1
    out_c = np.empty(n, dtype=np.int64)
    out_a = np.empty(n)
    out_b = np.empty(n)
    m = 0
    for c in range(n_cell):
        k = 0
        while k < n_int:
            if not covered[k, c]:
                k += 1
                continue
            k0 = k
            while k < n_int and covered[k, c]:
                k += 1
            out_c[m] = c
            out_a[m] = max(0.0, (k_first + k0 - 0.5) * step_s)
            out_b[m] = min(duration_s, (k_first + k - 0.5) * step_s)
            m += 1
    return out_c, out_a, out_b


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


@njit(cache=True, nogil=True, error_model="numpy")
def _unit_vectors(lon, sin_lat, cos_lat, out):
    n_t, n_s = lon.shape
    for t in range(n_t):
        for s in range(n_s):
            c = cos_lat[t, s]
            out[t, s, 0] = c * math.cos(lon[t, s])
            out[t, s, 1] = c * math.sin(lon[t, s])
            out[t, s, 2] = sin_lat[t, s]


def unit_vectors(lon, sin_lat, cos_lat):
    """Unit vectors ``(cos lat cos lon, cos lat sin lon, sin lat)`` in one pass.

    Parameters
    ----------
    lon, sin_lat, cos_lat : ndarray, shape (n_time, n_sat)

    Returns
    -------
    ndarray, shape (n_time, n_sat, 3)
    """
    out = np.empty((*lon.shape, 3))
    _unit_vectors(lon, sin_lat, cos_lat, out)
    return out
