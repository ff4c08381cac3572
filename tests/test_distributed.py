"""analyze() split by latitude bands over a Dask LocalCluster equals analyze() on the whole grid.

Counts and every per-cell variable must be identical (cells are independent); the per-time weighted
series are recombined from the parts' sums and must agree to ``SERIES_RTOL`` (float rounding of a
sum taken in another order).
"""

import numpy as np
import pytest
from distributed import Client, LocalCluster

import constellations as cs
from constellations.band_split import band_grid, split_bands
from constellations.constellation import Constellation, Shell

SERIES_RTOL = 1e-12  # per-time weighted means: the same sum in another order
# exact access windows: windows.py refines the window ends of all cells of a chunk together, so their
# last bits depend on which cells share the chunk (measured: 5e-13 relative, under 1e-8 s)
WINDOW_RTOL = 1e-9
START = "2025-07-01T00:00:00Z"


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with cluster, Client(cluster) as c:
        yield c


def constellation():
    return Constellation("two shells", (Shell(550.0, 53.0, 8, 6, 1, name="a"),
                                        Shell(1100.0, 87.0, 6, 5, 2, name="b", min_elevation_deg=35.0)),
                         min_elevation_deg=25.0)


def assert_same(merged, whole):
    refined = set(whole.attrs["exact_variables"].split(", ")) if whole.attrs["exact"] else set()
    assert set(merged.data_vars) == set(whole.data_vars)
    assert set(merged.coords) == set(whole.coords)
    for name in [*whole.data_vars, *whole.coords]:
        a, b = merged[name], whole[name]
        assert a.dims == b.dims, name
        assert a.attrs == b.attrs, name
        if name in refined and np.issubdtype(b.dtype, np.floating):
            np.testing.assert_allclose(a.values, b.values, rtol=WINDOW_RTOL, atol=1e-12, err_msg=name)
        elif b.dims == ("time",) and name in whole.data_vars:
            np.testing.assert_allclose(a.values, b.values, rtol=SERIES_RTOL, atol=1e-15, err_msg=name)
        else:
            np.testing.assert_array_equal(a.values, b.values, err_msg=name)
    skip = {"created_utc"}
    assert {k: repr(v) for k, v in merged.attrs.items() if k not in skip} == \
        {k: repr(v) for k, v in whole.attrs.items() if k not in skip}  # repr: NaN equals NaN


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("make_grid", [lambda: cs.global_grid(spacing_deg=6.0),
                                       lambda: cs.box_grid(-40.0, 65.0, 150.0, -120.0, spacing_deg=3.0),
                                       lambda: cs.points([0.0, 50.0, -33.9, 64.1, 10.0],
                                                         [0.0, 8.0, 151.2, -21.9, 100.0])])
def test_distributed_result_equals_the_single_machine_result(client, exact, make_grid):
    grid = make_grid()
    kwargs = dict(exact=exact, keep_counts=grid.is_ring_grid or None, nfold=(1, 2))
    whole = cs.analyze(constellation(), grid, START, 4 * 3600.0, 60.0, progress=False, threads=1,
                       **kwargs)
    merged = cs.analyze(constellation(), grid, START, 4 * 3600.0, 60.0, client=client, n_parts=3,
                        **kwargs)
    assert whole["visible_count"].values.sum() > 0
    assert_same(merged, whole)


def test_bands_partition_the_grid_and_count_like_the_whole():
    grid = cs.box_grid(-30.0, 60.0, 170.0, -160.0, spacing_deg=2.0)
    parts = split_bands(grid, 4)
    assert len(parts) == 4
    cells = np.concatenate([c for _, c in parts])
    np.testing.assert_array_equal(np.sort(cells), np.arange(len(grid)))
    sizes = [c.size for _, c in parts]
    assert max(sizes) - min(sizes) <= 2 * grid.rings.n.max()
    for part, c in parts:
        np.testing.assert_array_equal(part.lat_deg, grid.lat_deg[c])
        np.testing.assert_array_equal(part.lon_deg, grid.lon_deg[c])
        assert part.rings.n_points == part.rings.n.sum()
    with pytest.raises(ValueError, match=r"ring range 3\.\.3 must satisfy"):
        band_grid(grid, 3, 3)
