"""Compiled (numba) :meth:`CoverageAccumulator.add`: one pass over a chunk's counts, step by step.

The NumPy reference (:mod:`constellations.metrics`) forms several (time x cell) temporaries per chunk
(the coverage mask, the n-fold masks, the transitions) and sorts the transitions by cell; this pass
reads the counts row by row and updates every per-cell total and n-fold counter (loops over cells
that vectorize), the open runs and the gap list in place: the same integers, and the gaps in the same
order (by cell, then time; a first pass counts each cell's gaps so every one goes to its place). The
two per-step weighted sums (``coverage_fraction``, ``visible_mean_weighted``) are summed over cells in
order rather than by the reference's BLAS dot products: they agree to about 1e-15 (relative). It
runs without the GIL, next to the counting threads."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["add"]


@njit(cache=True, nogil=True, error_model="numpy")
def _gap_offsets(counts, t0, state, offset):
    """Where each cell's gaps of this chunk go in the chunk's gap list (by cell, then time).

    Counts per cell the gaps that end in the chunk (steps where the cell becomes covered) into
    ``offset[c + 1]`` and returns their running sum; ``offset[c]`` is then the first slot of cell c.
    """
    n_time, n_cell = counts.shape
    for c in range(n_cell):
        offset[c + 1] = 0
    offset[0] = 0
    prev = np.empty(n_cell, dtype=np.bool_)
    for c in range(n_cell):
        prev[c] = counts[0, c] > 0 if t0 == 0 else state[c]
    for t in range(n_time):
        for c in range(n_cell):  # vectorizes
            cov = counts[t, c] > 0
            offset[c + 1] += cov & ~prev[c]
            prev[c] = cov
    for c in range(n_cell):
        offset[c + 1] += offset[c]
    return offset[n_cell]


@njit(cache=True, nogil=True, error_model="numpy")
def _add(counts, t0, w_norm, nfold, count_sum, count_min, count_max, covered_steps, nfold_steps,
         first_covered, access_count, state, run_start, coverage_fraction, visible_mean_weighted,
         offset, gap_cell, gap_len, gap_edge):
    """Update the accumulator's arrays in place with ``counts`` (n_time, n_cell) of steps ``t0 ..``.

    Step by step over all cells: the totals in one loop that vectorizes, then the weighted sums and
    the rare transitions (run ends) in a second one.
    """
    n_time, n_cell = counts.shape
    if t0 == 0:
        for c in range(n_cell):
            state[c] = counts[0, c] > 0  # no transition at step 0
            if state[c]:
                access_count[c] += 1
                first_covered[c] = 0
    for t in range(n_time):
        step = t0 + t
        row = counts[t]
        for c in range(n_cell):  # vectorizes
            k = row[c]
            count_sum[c] += k
            count_min[c] = min(count_min[c], k)
            count_max[c] = max(count_max[c], k)
            covered_steps[c] += k > 0
        for i in range(nfold.shape[0]):
            level = nfold[i]
            steps = nfold_steps[i]
            for c in range(n_cell):  # vectorizes
                steps[c] += row[c] >= level
        cov_sum = 0.0
        mean_sum = 0.0
        for c in range(n_cell):
            k = row[c]
            cov = k > 0
            w = w_norm[c]
            cov_sum += w if cov else 0.0
            mean_sum += k * w
            if cov != state[c]:  # a run ends; a gap when coverage begins
                if cov:
                    if first_covered[c] < 0:
                        first_covered[c] = step
                    access_count[c] += 1
                    g = offset[c]
                    offset[c] = g + 1
                    gap_cell[g] = c
                    gap_len[g] = step - run_start[c]
                    gap_edge[g] = run_start[c] == 0
                run_start[c] = step
                state[c] = cov
        coverage_fraction[step] = cov_sum
        visible_mean_weighted[step] = mean_sum


def add(acc, counts) -> None:
    """``acc.add(counts)`` compiled (the caller has checked the number of steps)."""
    counts = np.ascontiguousarray(counts)
    n, t0 = counts.shape[0], acc.step
    offset = np.empty(acc.n_cell + 1, dtype=np.int64)
    n_gap = _gap_offsets(counts, t0, acc._state, offset)
    gap_cell = np.empty(n_gap, dtype=np.int32)
    gap_len = np.empty(n_gap, dtype=np.int32)
    gap_edge = np.empty(n_gap, dtype=np.bool_)
    _add(counts, t0, acc._w_norm, acc._nfold_levels, acc.count_sum, acc.count_min, acc.count_max,
         acc.covered_steps, acc.nfold_steps, acc.first_covered, acc.access_count, acc._state,
         acc._run_start, acc.coverage_fraction, acc.visible_mean_weighted, offset, gap_cell, gap_len,
         gap_edge)
    acc._gap_cell.append(gap_cell)
    acc._gap_len.append(gap_len)
    acc._gap_edge.append(gap_edge)
    acc.step = t0 + n
