"""Parameter sweeps as independent tasks: run ``func(**params)`` for many parameter sets on Dask or serially.

:func:`map_tasks` sends one task per parameter set to a ``dask.distributed`` cluster (a
``LocalCluster`` of worker *processes* that it starts and closes, or an existing cluster given by its
scheduler address) and collects the results in the order of the parameter list. A task that raises
does not stop the sweep: its result is ``None`` and its parameters and error text are listed in
:attr:`SweepResult.failures`. Without Dask (or with ``serial=True``) the same contract holds with a
plain loop, so results never depend on the engine. :func:`gather_dataset` stacks the per-task results
into one :class:`xarray.Dataset` along a ``task`` dimension with the parameters as coordinates.

Tasks run in other processes: ``func`` must be importable or picklable by cloudpickle (a module-level
function is safest), its parameters and results picklable, and a script that starts a LocalCluster
must guard its entry point with ``if __name__ == "__main__":`` (workers are spawned).

Examples
--------
>>> from constellations.sweeps import map_tasks, gather_dataset
>>> def square(x):
...     return x * x
>>> sweep = map_tasks(square, [{"x": 1}, {"x": 2}], serial=True, progress=False)
>>> sweep.results, sweep.failures, sweep.mode
([1, 4], [], 'serial')
>>> ds = gather_dataset([{"x": 1}, {"x": 2}], sweep.results)
>>> ds["result"].values.tolist(), ds["x"].values.tolist()
([1, 4], [1, 2])
"""

from __future__ import annotations

import json
import logging
import math
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["SweepResult", "dask_available", "gather_dataset", "map_tasks"]


@dataclass
class SweepResult:
    """Outcome of :func:`map_tasks`.

    Attributes
    ----------
    results : list
        One entry per parameter set, in the order given; ``None`` where the task failed.
    failures : list of (dict, str)
        Parameters and error text (exception type, message and the last traceback frames) of every
        failed task, in the order given.
    wall_s : float
        Wall-clock time of the sweep, s, including cluster start and shutdown.
    mode : str
        ``"serial"``, ``"local-cluster"`` or the scheduler address of an existing cluster.
    params : list of dict
        The parameter sets, as given.
    """

    results: list
    failures: list[tuple[dict, str]]
    wall_s: float
    mode: str
    params: list[dict] = field(default_factory=list)

    @property
    def n_failed(self) -> int:
        """Number of failed tasks."""
        return len(self.failures)

    def report(self) -> str:
        """One line per failed task (parameters and error), or a line saying none failed."""
        head = (f"{len(self.results) - self.n_failed}/{len(self.results)} tasks succeeded in "
                f"{self.wall_s:.2f} s ({self.mode})")
        lines = [head]
        for params, error in self.failures:
            last = error.strip().splitlines()[-1] if error.strip() else error
            lines.append(f"  FAILED {_params_text(params)}: {last}")
        return "\n".join(lines)


def dask_available() -> bool:
    """Whether ``dask.distributed`` can be imported."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def map_tasks(func: Callable, params: list[dict], *, scheduler: str | None = None, n_workers: int = 2,
              threads_per_worker: int = 1, serial: bool = False, progress: bool | None = None
              ) -> SweepResult:
    """Run ``func(**p)`` for every ``p`` in ``params``; gather results in order and report failures.

    Parameters
    ----------
    func : callable
        Called once per task with the parameter dict as keyword arguments. Runs in a worker process
        unless serial: it must be picklable (a module-level function is safest).
    params : list of dict
        One dict of keyword arguments per task (string keys). Order is kept in the results.
    scheduler : str, optional
        Address of a running Dask scheduler (e.g. ``"tcp://10.0.0.5:8786"``). The cluster is used
        as it is and left running; only the client is closed. Default: start a ``LocalCluster``.
    n_workers, threads_per_worker : int
        Size of the LocalCluster (worker processes, threads each); ignored with ``scheduler``.
    serial : bool
        Run in a plain loop in this process (also the fallback when Dask is not installed).
    progress : bool, optional
        Show a tqdm bar on stderr as tasks complete; default: only when stderr is a terminal.

    Returns
    -------
    SweepResult
        ``results`` (``None`` for failed tasks), ``failures`` as ``(params, error_text)``, wall time
        and the mode used.

    Raises
    ------
    ValueError
        If ``params`` is not a list of dicts with string keys, or the cluster size is not positive.

    Examples
    --------
    >>> sweep = map_tasks(pow, [{"base": 2, "exp": 3}, {"base": 0, "exp": -1}], serial=True, progress=False)
    >>> sweep.results, sweep.failures[0][0]
    ([8, None], {'base': 0, 'exp': -1})
    """
    if not callable(func):
        raise ValueError(f"func must be callable, got {func!r}; pass a function taking the parameters "
                         "as keyword arguments")
    params = _check_params(params)
    for key, value in (("n_workers", n_workers), ("threads_per_worker", threads_per_worker)):
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{key} must be a positive integer, got {value!r} (e.g. 2)")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        raise ValueError(f"scheduler must be a Dask scheduler address such as 'tcp://host:8786', "
                         f"got {scheduler!r}; or omit it to start a LocalCluster")
    show = sys.stderr.isatty() if progress is None else bool(progress)
    t0 = time.perf_counter()
    if serial or not params or not dask_available():
        if scheduler is not None and not serial and params:
            raise ValueError(f"scheduler={scheduler!r} was given but dask.distributed is not installed; "
                             "install it with `pip install 'dask[distributed]'` or drop --scheduler")
        results, failures = _run_serial(func, params, show)
        mode = "serial"
    else:
        results, failures, mode = _run_dask(func, params, scheduler, n_workers, threads_per_worker, show)
    return SweepResult(results=results, failures=failures, wall_s=time.perf_counter() - t0, mode=mode,
                       params=params)


def _check_params(params) -> list[dict]:
    if isinstance(params, Mapping) or not isinstance(params, Sequence) or isinstance(params, str):
        raise ValueError(f"params must be a list of dicts (one per task), got {type(params).__name__}; "
                         "e.g. [{'n': 100}, {'n': 200}]")
    out = []
    for i, p in enumerate(params):
        if not isinstance(p, Mapping) or not all(isinstance(k, str) for k in p):
            raise ValueError(f"params[{i}] must be a dict with string keys (keyword arguments), got {p!r}")
        out.append(dict(p))
    return out


def _call(func, kwargs):
    return func(**kwargs)


def _error_text(exc: BaseException, tb=None) -> str:
    tb = tb if tb is not None else exc.__traceback__
    frames = traceback.format_tb(tb)[-3:] if tb is not None else []
    return "".join(frames) + "".join(traceback.format_exception_only(type(exc), exc)).strip()


class _NoBar:
    def update(self, n=1):
        pass

    def close(self):
        pass


def _bar(total: int, show: bool, label: str):
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="task", file=sys.stderr, leave=False)


def _run_serial(func, params, show):
    results: list = [None] * len(params)
    failed = {}
    bar = _bar(len(params), show, "sweep (serial)")
    try:
        for i, p in enumerate(params):
            try:
                results[i] = func(**p)
            except Exception as exc:  # a failed task is data, not the end of the sweep
                failed[i] = _error_text(exc)
            bar.update(1)
    finally:
        bar.close()
    return results, [(params[i], failed[i]) for i in sorted(failed)]


def _run_dask(func, params, scheduler, n_workers, threads_per_worker, show):
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        # one BLAS thread per worker: the workers already fill the cores (oversubscription otherwise)
        blas_threads = str(threads_per_worker)
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker, processes=True,
                               dashboard_address=None, silence_logs=logging.CRITICAL,
                               env={"OMP_NUM_THREADS": blas_threads, "OPENBLAS_NUM_THREADS": blas_threads,
                                    "MKL_NUM_THREADS": blas_threads})
        client = Client(cluster)
        mode = "local-cluster"
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise ValueError(f"could not connect to the Dask scheduler at {scheduler!r} ({exc}); check "
                             "the address (e.g. tcp://host:8786) or omit --scheduler to use a LocalCluster"
                             ) from None
        mode = scheduler
    results: list = [None] * len(params)
    failed = {}
    bar = _bar(len(params), show, f"sweep ({mode})")
    try:
        futures = [client.submit(_call, func, p, pure=False) for p in params]
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):
            i = index[fut.key]
            if fut.status == "finished":
                results[i] = fut.result()
            else:
                try:
                    exc = fut.exception()
                    failed[i] = _error_text(exc, fut.traceback())
                except Exception as other:  # cancelled or lost: still report it with its parameters
                    failed[i] = f"{type(other).__name__}: task {fut.status} ({other})"
            fut.release()
            bar.update(1)
    finally:
        bar.close()
        client.close()
        if cluster is not None:
            cluster.close()
    return results, [(params[i], failed[i]) for i in sorted(failed)], mode


def _params_text(p: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in p.items())


# --------------------------------------------------------------------------- gathering


def gather_dataset(params: list[dict], results: list):
    """Stack per-task results along a ``task`` dimension, with the parameters as coordinates.

    Parameters
    ----------
    params : list of dict
        The parameter sets of the tasks (as given to :func:`map_tasks`).
    results : list
        One result per task, ``None`` for a failed task. A result may be a number, a 1-D array, a
        dict of numbers / 1-D arrays / DataArrays, a DataArray or a Dataset. 1-D arrays without
        coordinates get a dimension ``<name>_index`` and must have the same length in every task.

    Returns
    -------
    xarray.Dataset
        Dimension ``task`` (0 .. n-1) plus any dimensions of the results. One coordinate per
        parameter name (values that are not numbers or strings are stored as JSON text; a parameter
        missing from a task is NaN or ""). Variable ``failed`` (bool, per task). Failed tasks are
        filled with NaN (numbers) or "" (text).

    Raises
    ------
    ValueError
        If ``params`` and ``results`` differ in length, or no task succeeded, or results are of
        unsupported types.
    """
    import xarray as xr

    params = _check_params(params)
    results = list(results)
    if len(params) != len(results):
        raise ValueError(f"params has {len(params)} entries but results has {len(results)}; pass the "
                         "same lists given to and returned by map_tasks")
    parts = [None if r is None else _as_dataset(r) for r in results]
    template = next((p for p in parts if p is not None), None)
    if template is None:
        raise ValueError(f"all {len(results)} tasks failed (every result is None): nothing to gather; "
                         "see SweepResult.failures for the errors")
    filler = _empty_like(template)
    failed = np.array([p is None for p in parts])
    parts = [filler if p is None else p for p in parts]
    if failed.any():  # integer and bool results become float so that failed tasks can hold NaN
        parts = [_floated(p) for p in parts]
    try:
        ds = xr.concat(parts, dim="task", data_vars="all", coords="different", compat="equals",
                       join="outer", combine_attrs="drop_conflicts")
    except ValueError as exc:
        raise ValueError(f"results could not be stacked ({exc}); return results of the same shape from "
                         "every task, or DataArrays with coordinates") from None
    ds = ds.assign_coords(task=np.arange(len(parts)))
    keys = list(dict.fromkeys(k for p in params for k in p))
    for key in keys:
        name = f"param_{key}" if key in ds.variables or key in ("task", "failed") else key
        ds = ds.assign_coords({name: ("task", _param_column([p.get(key) for p in params]))})
    ds["failed"] = ("task", failed)
    ds["failed"].attrs = {"long_name": "task raised an exception", "units": "1"}
    ds.attrs["n_tasks"] = len(parts)
    ds.attrs["n_failed"] = int(failed.sum())
    return ds


def _as_dataset(r):
    import xarray as xr

    if isinstance(r, xr.Dataset):
        return r
    if isinstance(r, xr.DataArray):
        return r.to_dataset(name=r.name or "result")
    if isinstance(r, Mapping):
        return xr.Dataset({str(k): _as_dataarray(str(k), v) for k, v in r.items()})
    return xr.Dataset({"result": _as_dataarray("result", r)})


def _as_dataarray(name, value):
    import xarray as xr

    if isinstance(value, xr.DataArray):
        return value
    arr = np.asarray(value)
    if arr.ndim == 0:
        return xr.DataArray(arr)
    if arr.ndim == 1:
        return xr.DataArray(arr, dims=(f"{name}_index",))
    raise ValueError(f"result {name!r} has shape {arr.shape}; gather_dataset stacks numbers and 1-D arrays "
                     "only: return a DataArray with named dimensions for higher-dimensional results")


def _empty_like(ds):
    out = ds.copy(deep=True)
    for name, var in out.data_vars.items():
        if var.dtype.kind in "biufc":
            out[name] = var.astype(float).copy(data=np.full(var.shape, np.nan))
        else:
            out[name] = var.copy(data=np.full(var.shape, "", dtype=object))
    return out


def _floated(ds):
    out = ds.copy()
    for name, var in ds.data_vars.items():
        if var.dtype.kind in "biu":
            out[name] = var.astype(float)
    return out


def _param_column(values: list) -> np.ndarray:
    def number(v):
        return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool | np.bool_) for v in present) and len(present) == len(values):
        return np.array(values, dtype=bool)
    if present and all(number(v) for v in present):
        if len(present) == len(values) and all(isinstance(v, int | np.integer) for v in present):
            return np.array(values, dtype=np.int64)
        return np.array([math.nan if v is None else float(v) for v in values])
    if all(isinstance(v, str) or v is None for v in values):
        return np.array(["" if v is None else v for v in values], dtype=str)
    return np.array(["" if v is None else (v if isinstance(v, str) else json.dumps(v, default=str))
                     for v in values], dtype=str)
