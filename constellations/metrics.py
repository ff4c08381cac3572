"""Coverage figures of merit, accumulated over a stream of per-step visible counts.

:class:`CoverageAccumulator` takes the visible-satellite counts of successive time chunks, keeps
per-cell running totals and the list of gaps (runs of steps with no satellite in view), and turns them
into the STK-style figures of merit of REFERENCE section 6. Memory grows with the number of cells and
gaps, never with the number of time steps.

Time is sampled: step ``k`` stands for the interval ``[k step, (k + 1) step)``, so covered time and
gap durations are whole multiples of the step and sum to ``T = n_steps * step``. A gap's ends are
known to one step; gaps and accesses shorter than a step can be missed.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BOUNDARIES", "CoverageAccumulator", "gap_statistics"]

BOUNDARIES = ("optimistic", "interior")


class CoverageAccumulator:
    """Streaming per-cell statistics of visible counts.

    Parameters
    ----------
    weight : ndarray, shape (n_cell,)
        Cell weights (areas) for the per-step grid statistics.
    n_steps : int
        Total number of time steps that will be added.
    nfold : sequence of int
        Levels N for "share of time with at least N satellites in view".
    keep_counts : bool
        Keep the full (n_time, n_cell) count array (small grids only).

    Examples
    --------
    >>> import numpy as np
    >>> acc = CoverageAccumulator(np.ones(1), n_steps=6, nfold=(1,))
    >>> acc.add(np.array([[0], [1], [1], [0], [0], [2]]))
    >>> gaps = acc.gaps()
    >>> gaps["length_steps"].tolist(), gaps["edge"].tolist()
    ([1, 2], [True, False])
    """

    def __init__(self, weight, n_steps: int, nfold=(1,), keep_counts: bool = False):
        self.weight = np.asarray(weight, dtype=float)
        n_cell = self.weight.size
        self.n_cell = n_cell
        self.n_steps = int(n_steps)
        self.nfold = tuple(int(n) for n in nfold)
        total = self.weight.sum()
        self._w_norm = self.weight / total if total > 0 else np.full(n_cell, 1.0 / n_cell)
        self.step = 0
        self.count_sum = np.zeros(n_cell, dtype=np.int64)
        self.count_min = np.full(n_cell, np.iinfo(np.int32).max, dtype=np.int32)
        self.count_max = np.zeros(n_cell, dtype=np.int32)
        self.covered_steps = np.zeros(n_cell, dtype=np.int64)
        self.nfold_steps = np.zeros((len(self.nfold), n_cell), dtype=np.int64)
        self.first_covered = np.full(n_cell, -1, dtype=np.int64)
        self.access_count = np.zeros(n_cell, dtype=np.int64)
        self._state = np.zeros(n_cell, dtype=bool)  # covered at the last step seen
        self._run_start = np.zeros(n_cell, dtype=np.int64)  # step where the current run began
        self._gap_cell: list[np.ndarray] = []
        self._gap_len: list[np.ndarray] = []
        self._gap_edge: list[np.ndarray] = []
        self.coverage_fraction = np.empty(self.n_steps)
        self.visible_mean_weighted = np.empty(self.n_steps)
        self.counts = np.empty((self.n_steps, n_cell), dtype=np.int16) if keep_counts else None

    def add(self, counts: np.ndarray) -> None:
        """Add the visible counts of the next time steps.

        Parameters
        ----------
        counts : ndarray of int, shape (n_chunk, n_cell)
        """
        n = counts.shape[0]
        t0 = self.step
        if t0 + n > self.n_steps:
            raise ValueError(f"got {t0 + n} steps, more than the {self.n_steps} announced")
        if self.counts is not None:
            self.counts[t0:t0 + n] = counts
        self.count_sum += counts.sum(axis=0, dtype=np.int64)
        np.minimum(self.count_min, counts.min(axis=0), out=self.count_min)
        np.maximum(self.count_max, counts.max(axis=0), out=self.count_max)
        cov = counts > 0
        covered = np.count_nonzero(cov, axis=0)
        self.covered_steps += covered
        for i, level in enumerate(self.nfold):
            self.nfold_steps[i] += (np.count_nonzero(counts >= level, axis=0) if level > 1
                                    else covered)
        self.coverage_fraction[t0:t0 + n] = np.dot(cov.view(np.uint8), self._w_norm)
        self.visible_mean_weighted[t0:t0 + n] = counts @ self._w_norm
        any_cov = cov.any(axis=0)
        new = any_cov & (self.first_covered < 0)
        if new.any():
            self.first_covered[new] = t0 + cov[:, new].argmax(axis=0)
        if t0 == 0:
            self._state = cov[0].copy()
            self.access_count += self._state
        # transitions: step t differs from step t-1 (the previous chunk's last step for t = 0)
        change = np.empty_like(cov)
        np.not_equal(cov[0], self._state, out=change[0])
        np.not_equal(cov[1:], cov[:-1], out=change[1:])
        cols = np.flatnonzero(change.any(axis=0))  # cells with a transition in this chunk
        cell_t, t_idx = np.nonzero(change[:, cols].T)  # ordered by cell, then time
        if cell_t.size:
            t_idx, cell = t_idx + t0, cols[cell_t]
            same = np.empty(cell.size, dtype=bool)
            same[0] = False
            np.equal(cell[1:], cell[:-1], out=same[1:])
            start = np.where(same, np.roll(t_idx, 1), self._run_start[cell])
            length = t_idx - start
            now_covered = cov[t_idx - t0, cell]
            ended_gap = now_covered  # a gap ends where coverage begins
            self.access_count += np.bincount(cell[now_covered], minlength=self.n_cell)
            self._gap_cell.append(cell[ended_gap].astype(np.int32))
            self._gap_len.append(length[ended_gap].astype(np.int32))
            self._gap_edge.append(start[ended_gap] == 0)
            last = np.ones(cell.size, dtype=bool)
            last[:-1] = ~same[1:]
            self._run_start[cell[last]] = t_idx[last]
        self._state = cov[-1].copy()
        self.step = t0 + n

    def gaps(self) -> dict:
        """All gaps, including the ones still open at the end of the interval.

        Returns
        -------
        dict of ndarray, shape (n_gap,)
            ``cell``, ``length_steps`` and ``edge`` (the gap touches the start or the end).
        """
        if self.step != self.n_steps:
            raise RuntimeError(f"only {self.step} of {self.n_steps} steps were added")
        open_gap = ~self._state
        cells = np.flatnonzero(open_gap)
        cell = np.concatenate([*self._gap_cell, cells.astype(np.int32)])
        length = np.concatenate([*self._gap_len, (self.n_steps - self._run_start[cells])])
        edge = np.concatenate([*self._gap_edge, np.ones(cells.size, dtype=bool)])
        return {"cell": cell.astype(np.int64), "length_steps": length.astype(np.int64),
                "edge": edge}

    def accumulated_coverage_fraction(self) -> np.ndarray:
        """Weighted share of cells covered at least once by each step, shape (n_steps,)."""
        seen = self.first_covered >= 0
        per_step = np.bincount(self.first_covered[seen], weights=self._w_norm[seen],
                               minlength=self.n_steps)
        return np.cumsum(per_step)


def gap_statistics(cell, length_s, n_cell: int, duration_s: float, covered_steps, n_steps: int,
                   percentiles=(50, 90, 95, 99)) -> dict:
    """Per-cell revisit statistics from a list of gaps.

    Parameters
    ----------
    cell : ndarray of int, shape (n_gap,)
    length_s : ndarray of float, shape (n_gap,)
        Gap durations in seconds (already filtered to the chosen edge convention).
    n_cell : int
    duration_s : float
        Length T of the analysis interval.
    covered_steps : ndarray, shape (n_cell,)
        Steps with at least one satellite in view (cells always covered get zero revisit).
    n_steps : int
    percentiles : sequence of float

    Returns
    -------
    dict of ndarray
        ``revisit_mean_s``, ``revisit_max_s``, ``revisit_min_s``, ``gap_count``,
        ``mean_response_time_s`` (``sum g^2 / 2T``), ``time_average_gap_s`` (``sum g^2 / T``), each
        (n_cell,); ``revisit_percentile_s`` and ``revisit_time_weighted_percentile_s``, each
        (n_percentile, n_cell). NaN where a cell has no gap but is not always covered.

    Examples
    --------
    >>> import numpy as np
    >>> s = gap_statistics(np.zeros(3, int), np.array([5.0, 10.0, 15.0]), 1, 100.0,
    ...                    np.array([70]), 100)
    >>> float(s["time_average_gap_s"][0]), float(s["mean_response_time_s"][0])
    (3.5, 1.75)
    """
    cell = np.asarray(cell, dtype=np.int64)
    g = np.asarray(length_s, dtype=float)
    count = np.bincount(cell, minlength=n_cell)
    total = np.bincount(cell, weights=g, minlength=n_cell)
    total_sq = np.bincount(cell, weights=g * g, minlength=n_cell)
    has = count > 0
    always = np.asarray(covered_steps) == n_steps
    fill = np.where(always, 0.0, np.nan)  # no gap: zero if always covered, else undefined
    out = {"gap_count": count}
    with np.errstate(invalid="ignore", divide="ignore"):
        out["revisit_mean_s"] = np.where(has, total / count, fill)
    mx = np.full(n_cell, -np.inf)
    mn = np.full(n_cell, np.inf)
    np.maximum.at(mx, cell, g)
    np.minimum.at(mn, cell, g)
    out["revisit_max_s"] = np.where(has, mx, fill)
    out["revisit_min_s"] = np.where(has, mn, fill)
    out["mean_response_time_s"] = np.where(has, total_sq / (2 * duration_s), fill)
    out["time_average_gap_s"] = np.where(has, total_sq / duration_s, fill)
    q = np.asarray(percentiles, dtype=float) / 100.0
    by_count = np.broadcast_to(fill, (q.size, n_cell)).copy()
    by_time = by_count.copy()
    if g.size:
        order = np.lexsort((g, cell))
        cs, gs = cell[order], g[order]
        first = np.concatenate([[0], np.cumsum(count)[:-1]])
        cells = np.flatnonzero(has)
        n_c = count[cells]
        o_c = first[cells]
        for i, qi in enumerate(q):  # a loop over the few percentiles, vectorized over cells
            pos = qi * (n_c - 1)
            lo = np.floor(pos).astype(np.int64)
            hi = np.minimum(lo + 1, n_c - 1)
            frac = pos - lo
            by_count[i, cells] = gs[o_c + lo] * (1 - frac) + gs[o_c + hi] * frac
        # time-weighted: the gap length at which the share of gap time reaches q
        cum = np.cumsum(gs)
        before = np.concatenate([[0.0], cum])[first[cs]]
        key = cs + (cum - before) / total[cs]  # increasing: cell index + cumulative share in (0, 1]
        for i, qi in enumerate(q):
            idx = np.searchsorted(key, cells + max(qi, 1e-12), side="left")
            by_time[i, cells] = gs[np.minimum(idx, gs.size - 1)]
    out["revisit_percentile_s"] = by_count
    out["revisit_time_weighted_percentile_s"] = by_time
    return out
