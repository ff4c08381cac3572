"""The compiled gap statistics (:mod:`constellations.metrics_compiled`) against the NumPy reference.

:func:`constellations.metrics.gap_statistics` runs the NumPy reference with ``CONSTELLATIONS_KERNEL=numpy``
and the compiled version with ``numba``. Every output must be identical, floats bit for bit: the compiled
sums run in the gaps' original order (as ``np.bincount`` does), the percentiles use the reference's
formulas on the same sorted gaps, and the time-weighted percentiles count the same ranks from the same
running gap times. The random gap lists mix whole-step lengths (ties, as in
sampled runs) with continuous ones (exact windows), and cells with 0, 1, 2 and many gaps.
"""

import threading

import numpy as np
import pytest

import constellations as cs
from constellations import kernels, metrics, metrics_compiled

STEP_S = 60.0
N_STEPS = 1440
DURATION_S = N_STEPS * STEP_S
PERCENTILES = [(50, 90, 95, 99), (0, 100), ()]
FLOAT_TOL = 1e-9  # relative agreement of analyze's float metrics between backends (as test_compiled_pipeline)


def both(monkeypatch, *args):
    """gap_statistics(*args) on the NumPy reference and on the compiled backend."""
    monkeypatch.setenv(kernels.ENV_VAR, "numpy")
    reference = metrics.gap_statistics(*args)
    monkeypatch.setenv(kernels.ENV_VAR, "numba")
    return reference, metrics.gap_statistics(*args)


def assert_identical(reference, compiled):
    """Same keys, dtypes, shapes and values (NaN where the reference has NaN)."""
    assert list(compiled) == list(reference)
    for name, expected in reference.items():
        got = compiled[name]
        assert got.dtype == expected.dtype, name
        assert got.shape == expected.shape, name
        np.testing.assert_array_equal(got, expected, err_msg=name, strict=True)


def random_gaps(seed, n_cell=400):
    """A shuffled gap list: per cell 0, 1, 2, 3 or 50 gaps; half whole steps, half continuous lengths.

    Cells without a gap are half always covered, half never (covered_steps 0).
    """
    rng = np.random.default_rng(seed)
    per_cell = rng.choice([0, 1, 2, 3, 50], size=n_cell, p=[0.2, 0.2, 0.2, 0.1, 0.3])
    cell = np.repeat(np.arange(n_cell), per_cell)
    rng.shuffle(cell)
    n_gap = cell.size
    whole = STEP_S * rng.integers(1, 20, n_gap)  # many ties
    length_s = np.where(rng.random(n_gap) < 0.5, whole, rng.exponential(900.0, n_gap))
    covered_steps = rng.integers(0, N_STEPS, n_cell)
    no_gap = per_cell == 0
    covered_steps[no_gap] = np.where(rng.random(no_gap.sum()) < 0.5, N_STEPS, 0)
    return cell, length_s, n_cell, covered_steps


@pytest.mark.parametrize("percentiles", PERCENTILES)
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_random_gap_lists_identical(seed, percentiles, monkeypatch):
    cell, length_s, n_cell, covered_steps = random_gaps(seed)
    reference, compiled = both(monkeypatch, cell, length_s, n_cell, DURATION_S, covered_steps, N_STEPS,
                               percentiles)
    assert_identical(reference, compiled)
    always = covered_steps == N_STEPS
    no_gap = reference["gap_count"] == 0
    assert np.all(compiled["revisit_max_s"][no_gap & always] == 0.0)
    assert np.all(np.isnan(compiled["revisit_max_s"][no_gap & ~always]))
    assert compiled["revisit_percentile_s"].shape == (len(percentiles), n_cell)


@pytest.mark.parametrize("thread", ["main", "worker"])
@pytest.mark.parametrize("percentiles", [(0, 100), (50, 90, 95, 99)])
def test_many_cells_identical(percentiles, thread, monkeypatch):
    """200,000 gaps over 20,000 cells: the parallel version (main thread) and the serial one.

    Time-weighted percentiles 0 and 100 are every cell's shortest and longest gap (an earlier
    reference searched keys ``cell + share`` across cells: beyond cell 16,384, ``c + 1e-12`` rounded
    to ``c`` and percentile 0 landed on the previous cell's longest gap in half the cells).
    """
    rng = np.random.default_rng(7)
    n_cell = 20_000
    cell = rng.integers(0, n_cell, 200_000)
    length_s = rng.exponential(900.0, cell.size)
    args = (cell, length_s, n_cell, DURATION_S, np.zeros(n_cell, dtype=np.int64), N_STEPS, percentiles)
    assert cell.size >= metrics_compiled.PARALLEL_MIN_GAPS
    monkeypatch.setenv(kernels.ENV_VAR, "numpy")
    reference = metrics.gap_statistics(*args)
    monkeypatch.setenv(kernels.ENV_VAR, "numba")
    if thread == "main":
        compiled = metrics.gap_statistics(*args)
    else:
        out = {}
        worker = threading.Thread(target=lambda: out.setdefault("value", metrics.gap_statistics(*args)))
        worker.start()
        worker.join()
        compiled = out["value"]
    assert_identical(reference, compiled)
    if percentiles == (0, 100):
        has = reference["gap_count"] > 0
        tw = compiled["revisit_time_weighted_percentile_s"]
        np.testing.assert_array_equal(tw[0][has], compiled["revisit_min_s"][has])
        np.testing.assert_array_equal(tw[1][has], compiled["revisit_max_s"][has])


@pytest.mark.parametrize("percentiles", PERCENTILES)
def test_zero_and_tiny_gaps_identical(percentiles, monkeypatch):
    """Cells whose gaps are all zero or include zero and 1e-9 s gaps: ranks still counted alike."""
    cell, length_s, n_cell, covered_steps = random_gaps(11)
    counts = np.bincount(cell, minlength=n_cell)
    many = np.flatnonzero(counts >= 50)
    length_s[cell == many[0]] = 0.0
    length_s[np.flatnonzero(cell == many[1])[:3]] = 0.0
    length_s[np.flatnonzero(cell == many[2])[:2]] = 1e-9
    length_s[cell == np.flatnonzero(counts == 1)[0]] = 0.0
    reference, compiled = both(monkeypatch, cell, length_s, n_cell, DURATION_S, covered_steps, N_STEPS,
                               percentiles)
    assert_identical(reference, compiled)


@pytest.mark.parametrize("percentiles", PERCENTILES)
def test_empty_gap_list_identical(percentiles, monkeypatch):
    covered_steps = np.array([N_STEPS, 0, N_STEPS, 3])
    reference, compiled = both(monkeypatch, np.zeros(0, dtype=np.int64), np.zeros(0), 4, DURATION_S,
                               covered_steps, N_STEPS, percentiles)
    assert_identical(reference, compiled)
    np.testing.assert_array_equal(compiled["revisit_mean_s"], [0.0, np.nan, 0.0, np.nan])


def test_single_cell_by_hand(monkeypatch):
    """Gaps 5, 10, 15 s in 100 s: the docstring's example, and the percentiles worked out by hand."""
    reference, compiled = both(monkeypatch, np.zeros(3, dtype=np.int64), np.array([15.0, 5.0, 10.0]), 1,
                               100.0, np.array([70]), 100, (0, 50, 90, 100))
    assert_identical(reference, compiled)
    assert compiled["time_average_gap_s"][0] == 3.5
    assert compiled["mean_response_time_s"][0] == 1.75
    np.testing.assert_array_equal(compiled["revisit_percentile_s"][:, 0], [5.0, 10.0, 14.0, 15.0])
    # gap time shares after sorting: 1/6, 1/2, 1: the first gap whose cumulative share reaches q
    np.testing.assert_array_equal(compiled["revisit_time_weighted_percentile_s"][:, 0],
                                  [5.0, 10.0, 15.0, 15.0])


@pytest.mark.parametrize("bad_cell", [-1, 4])
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_cell_index_outside_grid_fails(bad_cell, backend, monkeypatch):
    monkeypatch.setenv(kernels.ENV_VAR, backend)
    cell = np.array([0, bad_cell, 2])
    with pytest.raises(ValueError) as info:
        metrics.gap_statistics(cell, np.ones(3), 4, DURATION_S, np.zeros(4), N_STEPS)
    if backend == "numba":
        assert str(info.value) == f"gap 1 has cell index {bad_cell}, outside 0 .. 3"


def test_analyze_revisit_same_on_both_backends(monkeypatch):
    """Kuiper over a 10 deg grid for 6 h: the run's own gaps give identical statistics both ways,
    and a whole NumPy run gives the same revisit variables to FLOAT_TOL."""
    calls = []
    compiled_gap_statistics = metrics.gap_statistics

    def recording(*args):
        calls.append(args)
        return compiled_gap_statistics(*args)

    def run():
        return cs.analyze(cs.preset("kuiper_2025"), cs.global_grid(10.0), "2025-07-01T00:00:00Z",
                          6 * 3600.0, 60.0, progress=False)

    monkeypatch.setattr(metrics, "gap_statistics", recording)
    monkeypatch.setenv(kernels.ENV_VAR, "numba")
    ds = run()
    (args,) = calls
    assert args[0].size > 1000  # gaps
    monkeypatch.setattr(metrics, "gap_statistics", compiled_gap_statistics)
    reference, compiled = both(monkeypatch, *args)
    assert_identical(reference, compiled)
    for name, value in compiled.items():  # the Dataset's variables carry the statistics' names
        np.testing.assert_array_equal(ds[name].values, value, err_msg=name, strict=True)
    monkeypatch.setenv(kernels.ENV_VAR, "numpy")
    ds_numpy = run()
    np.testing.assert_array_equal(ds_numpy["gap_count"].values, ds["gap_count"].values)
    for name in compiled:
        np.testing.assert_allclose(ds[name].values, ds_numpy[name].values, rtol=FLOAT_TOL, err_msg=name)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compiled_piece_merging_equals_the_reference(seed, monkeypatch):
    """WindowAccumulator on both backends: random pieces over chunks (overlapping, touching, separated
    by less than the resolution, carried from chunk to chunk) give the same accesses and gaps."""
    rng = np.random.default_rng(seed)
    n_cell, duration_s, r = 3000, 7200.0, 1.0
    chunks = []
    for k in range(6):  # chunk k's pieces start in [k, k + 1) * 1200 s and may run into the next
        n = int(rng.integers(0, 20_000))
        start = 1200.0 * k + rng.uniform(0.0, 1200.0, n)
        length = np.where(rng.random(n) < 0.3, rng.uniform(0.0, 1.5, n), rng.exponential(200.0, n))
        start = np.where(rng.random(n) < 0.05, np.round(start), start)  # some touching ends
        chunks.append((rng.integers(0, n_cell, n), start, start + length))
    results = []
    for backend in ("numpy", "numba"):
        monkeypatch.setenv(kernels.ENV_VAR, backend)
        acc = metrics.WindowAccumulator(n_cell, duration_s, r)
        for chunk in chunks:
            acc.add(*chunk)
        acc.finish()
        results.append((acc, acc.gaps()))
    (ref, ref_gaps), (got, got_gaps) = results
    np.testing.assert_array_equal(got.access_count, ref.access_count)
    np.testing.assert_array_equal(got_gaps["cell"], ref_gaps["cell"])
    np.testing.assert_array_equal(got_gaps["edge"], ref_gaps["edge"])
    for key in ("start_s", "length_s"):  # the reference rounds cell * span + t: below 1e-6 s here
        np.testing.assert_allclose(got_gaps[key], ref_gaps[key], rtol=0, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(got.covered_s, ref.covered_s, rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(got.first_access_s, ref.first_access_s, rtol=0, atol=1e-6)
    assert ref.access_count.sum() > 1000 and ref_gaps["cell"].size > 1000  # a case with something to merge
