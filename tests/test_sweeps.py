"""Sweeps on Dask: a 2-worker LocalCluster runs tasks, one of which fails; order, failures and stacking.

The cluster starts once for the module (a few seconds); every Dask test connects to it by its
scheduler address, and the LocalCluster path of ``map_tasks`` is checked by handing it that cluster.
"""

import os

import numpy as np
import pytest

from constellations import sweeps
from constellations.sweeps import SweepResult, gather_dataset, map_tasks

distributed = pytest.importorskip("distributed")


def task(n, scale=1.0):
    """Returns values computable by hand; raises for n == 3 to stand in for a failing parameter set."""
    if n == 3:
        raise ValueError(f"cannot size n={n}")
    return {"total": scale * n * (n + 1) / 2, "pid": os.getpid(), "first": np.arange(4) * n}


PARAMS = [{"n": n, "scale": 2.0} for n in range(6)]


@pytest.fixture(scope="module")
def cluster():
    c = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                 silence_logs=50)
    yield c
    c.close()


def check_outcome(sweep: SweepResult):
    assert len(sweep.results) == len(PARAMS)
    assert sweep.results[3] is None
    assert [p for p, _ in sweep.failures] == [{"n": 3, "scale": 2.0}]
    assert "ValueError" in sweep.failures[0][1] and "cannot size n=3" in sweep.failures[0][1]
    for p, r in zip(PARAMS, sweep.results, strict=True):
        if p["n"] != 3:
            assert r["total"] == 2.0 * sum(range(p["n"] + 1))  # order kept: result i belongs to params i
            np.testing.assert_array_equal(r["first"], [0, p["n"], 2 * p["n"], 3 * p["n"]])
    assert sweep.wall_s > 0.0


def test_serial_loop_reports_failure_and_keeps_others():
    sweep = map_tasks(task, PARAMS, serial=True, progress=False)
    check_outcome(sweep)
    assert sweep.mode == "serial"
    assert {r["pid"] for r in sweep.results if r is not None} == {os.getpid()}
    assert "FAILED n=3, scale=2.0" in sweep.report()


def test_existing_cluster_runs_tasks_in_worker_processes(cluster):
    sweep = map_tasks(task, PARAMS, scheduler=cluster.scheduler_address, progress=False)
    check_outcome(sweep)
    assert sweep.mode == cluster.scheduler_address
    pids = {r["pid"] for r in sweep.results if r is not None}
    assert os.getpid() not in pids  # really ran elsewhere
    with distributed.Client(cluster) as client:
        worker_pids = set(client.run(os.getpid).values())
    assert pids <= worker_pids


def test_local_cluster_is_created_with_the_requested_size_and_closed(cluster, monkeypatch):
    made = {}

    class Recorder:  # stands in for LocalCluster: records its arguments, lends the module's cluster
        def __init__(self, **kwargs):
            made["kwargs"] = kwargs
            self.scheduler_address = cluster.scheduler_address

        def close(self):
            made["closed"] = True

    monkeypatch.setattr(distributed, "LocalCluster", Recorder)
    monkeypatch.setattr(distributed, "Client", lambda c, **kw: distributed.client.Client(
        c.scheduler_address if isinstance(c, Recorder) else c, **kw))
    sweep = map_tasks(task, PARAMS, n_workers=2, threads_per_worker=1, progress=False)
    check_outcome(sweep)
    assert sweep.mode == "local-cluster"
    assert made["closed"]
    kw = made["kwargs"]
    assert kw["n_workers"] == 2 and kw["threads_per_worker"] == 1 and kw["processes"] is True
    assert kw["dashboard_address"] in (None, ":0")


def test_progress_bar_does_not_change_results(capsys):
    sweep = map_tasks(task, PARAMS[:3], serial=True, progress=True)
    assert [r["total"] for r in sweep.results] == [0.0, 2.0, 6.0]


def test_fallback_to_serial_without_dask(monkeypatch):
    monkeypatch.setattr(sweeps, "dask_available", lambda: False)
    sweep = map_tasks(task, PARAMS, progress=False)
    check_outcome(sweep)
    assert sweep.mode == "serial"


def test_gather_dataset_stacks_results_with_parameters_as_coordinates():
    sweep = map_tasks(task, PARAMS, serial=True, progress=False)
    ds = gather_dataset(PARAMS, sweep.results)
    assert ds.sizes["task"] == 6
    np.testing.assert_array_equal(ds["n"].values, np.arange(6))
    np.testing.assert_array_equal(ds["scale"].values, np.full(6, 2.0))
    expected = np.array([0, 2, 6, np.nan, 20, 30], dtype=float)
    np.testing.assert_array_equal(ds["total"].values, expected)
    assert ds["first"].shape == (6, 4)
    assert np.isnan(ds["first"].values[3]).all()
    np.testing.assert_array_equal(ds["failed"].values, [False, False, False, True, False, False])
    assert ds.attrs["n_failed"] == 1


def test_gather_dataset_scalar_results_and_mixed_parameters():
    params = [{"n": 1, "label": "a"}, {"n": 2.5, "sites": ["x", "y"]}]
    ds = gather_dataset(params, [1, 2])
    np.testing.assert_array_equal(ds["result"].values, [1, 2])
    np.testing.assert_array_equal(ds["n"].values, [1.0, 2.5])
    assert list(ds["label"].values) == ["a", ""]
    assert list(ds["sites"].values) == ["", '["x", "y"]']


@pytest.mark.parametrize(("params", "match"), [
    ({"n": 1}, "list of dicts"),
    ([{"n": 1}, 5], r"params\[1\] must be a dict"),
])
def test_bad_params_are_rejected_with_a_fix(params, match):
    with pytest.raises(ValueError, match=match):
        map_tasks(task, params, serial=True)


def test_bad_worker_count_and_all_failed_gather():
    with pytest.raises(ValueError, match="n_workers must be a positive integer, got 0"):
        map_tasks(task, PARAMS, n_workers=0)
    with pytest.raises(ValueError, match="all 1 tasks failed"):
        gather_dataset([{"n": 3}], [None])
    with pytest.raises(ValueError, match="params has 1 entries but results has 2"):
        gather_dataset([{"n": 3}], [1, 2])
