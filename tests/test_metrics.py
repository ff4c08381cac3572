"""Figures of merit by hand: STK's time-average-gap example and mean response time."""

import numpy as np
import pytest

from constellations.metrics import CoverageAccumulator, gap_statistics


def _series_with_gaps(gap_steps, total_steps):
    """A covered/uncovered series (1 = one satellite in view) with the given interior gaps."""
    covered = np.ones(total_steps, dtype=int)
    t = 5
    for g in gap_steps:
        covered[t:t + g] = 0
        t += g + 10
    return covered


def test_stk_time_average_gap_example():
    # STK: gaps of 5, 10 and 15 in an interval of 100 -> time-average gap (25+100+225)/100 = 3.5
    series = _series_with_gaps([5, 10, 15], 100)
    acc = CoverageAccumulator(np.ones(1), n_steps=100)
    for chunk in np.array_split(series[:, None], 7):  # chunk edges must not matter
        acc.add(chunk)
    gaps = acc.gaps()
    assert sorted(gaps["length_steps"].tolist()) == [5, 10, 15]
    s = gap_statistics(gaps["cell"], gaps["length_steps"] * 1.0, 1, 100.0, acc.covered_steps, 100)
    assert s["time_average_gap_s"][0] == pytest.approx(3.5)
    # mean response time: the wait until the next access, averaged over the interval. By hand:
    # inside a gap of g the wait falls linearly from g to 0, so the integral is g^2/2
    assert s["mean_response_time_s"][0] == pytest.approx((5**2 + 10**2 + 15**2) / 2 / 100)
    assert s["revisit_mean_s"][0] == pytest.approx(10.0)
    assert s["revisit_max_s"][0] == 15.0 and s["revisit_min_s"][0] == 5.0


def test_mean_response_time_equals_the_average_wait_computed_step_by_step():
    rng = np.random.default_rng(7)
    series = (rng.random(500) < 0.3).astype(int)
    series[0] = series[-1] = 1  # interior gaps only, so that every wait ends in an access
    acc = CoverageAccumulator(np.ones(1), n_steps=500)
    acc.add(series[:, None])
    gaps = acc.gaps()
    s = gap_statistics(gaps["cell"], gaps["length_steps"] * 1.0, 1, 500.0, acc.covered_steps, 500)
    # step k stands for [k, k+1): the wait from time x in a gap is (gap end - x); integrate exactly
    wait = 0.0
    for k in range(500):
        if series[k] == 0:
            nxt = k + np.argmax(series[k:] > 0)
            wait += (nxt - k) - 0.5  # mean of (nxt - x) over x in [k, k+1)
    assert s["mean_response_time_s"][0] == pytest.approx(wait / 500)


def test_edge_gaps_are_flagged_and_accesses_counted():
    series = np.array([0, 0, 1, 1, 0, 1, 0, 0, 0])
    acc = CoverageAccumulator(np.ones(1), n_steps=9)
    acc.add(series[:4, None])
    acc.add(series[4:, None])
    gaps = acc.gaps()
    assert list(zip(gaps["length_steps"].tolist(), gaps["edge"].tolist(), strict=True)) == [
        (2, True), (1, False), (3, True)]
    assert acc.access_count[0] == 2
    np.testing.assert_allclose(acc.accumulated_coverage_fraction(), [0, 0, 1, 1, 1, 1, 1, 1, 1])


def test_weighted_coverage_fraction_per_step():
    counts = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 3]])
    acc = CoverageAccumulator(np.array([1.0, 2.0, 1.0]), n_steps=3)
    acc.add(counts)
    np.testing.assert_allclose(acc.coverage_fraction, [0.25, 0.75, 0.25])
    np.testing.assert_allclose(acc.visible_mean_weighted, [0.25, 0.75, 0.75])
    np.testing.assert_allclose(acc.accumulated_coverage_fraction(), [0.25, 0.75, 1.0])
