"""Hindcast: the launch model's forecasts, as shipped, graded against the satellites later observed in orbit.

A forecast is only graded honestly with the model exactly as it was made: the hindcast reads a frozen
launch file (``constellations/data/launches_2025.toml``, the model shipped in 2025), runs each of its
cadence cases from the scenario's start (the mid-2025 state) and compares the satellites it puts in
orbit (``in_orbit`` of :meth:`~constellations.race.deployment.Deployment.counts`: delivered alive,
cumulative, no de-orbits) with observed counts (:class:`Observation`, each with its source).

:func:`hindcast` returns a :class:`HindcastResult`: the table (one row per observation date, columns
``date``, ``observed`` and one per case), the errors per case (:func:`hindcast_errors`: mean absolute
and mean signed error, the signed and relative error on the last date) and daily curves for the figure
(:func:`constellations.race.hindcast_figures.hindcast_figure`).

Examples
--------
>>> from constellations.race.deployment import LaunchModel
>>> obs = (Observation(np.datetime64("2026-08-22"), 391, "TLE"),)
>>> table = hindcast_table(LaunchModel.from_toml("launches_2025.toml"), "kuiper", ("nominal",),
...                        "2025-08-01", obs)
>>> list(table.columns)
['date', 'observed', 'nominal']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .deployment import LaunchModel, as_day

__all__ = ["HindcastResult", "Observation", "hindcast", "hindcast_curves", "hindcast_errors",
           "hindcast_table"]

QUANTITY = "in_orbit"
"""What a case is graded on: satellites delivered to orbit alive (cumulative), the observed quantity."""


@dataclass(frozen=True)
class Observation:
    """Satellites of an operator observed in orbit on a date.

    Parameters
    ----------
    date : numpy.datetime64
        ``datetime64[D]``.
    satellites : int
    source : str
        Where the count comes from (a TLE file, a press report), with its quality tag.
    """

    date: np.datetime64
    satellites: int
    source: str = ""


@dataclass(frozen=True)
class HindcastResult:
    """Outcome of :func:`hindcast`.

    Attributes
    ----------
    table : pandas.DataFrame
        ``date`` (ISO text), ``observed`` and one column per case: satellites in orbit.
    errors : pandas.DataFrame
        :func:`hindcast_errors` of the table.
    curves : pandas.DataFrame
        Daily satellites in orbit per case from the start to the last observation (``date`` column).
    observations : tuple of Observation
    launches : str
        The frozen launch file graded.
    operator : str
        Operator key; ``label`` its display name.
    label : str
    start : numpy.datetime64
    """

    table: object
    errors: object
    curves: object
    observations: tuple
    launches: str
    operator: str
    label: str
    start: np.datetime64


def _in_orbit(model: LaunchModel, operator: str, case: str, start, dates) -> np.ndarray:
    """Satellites in orbit on ``dates`` in one case, the model started at ``start``."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    dep = model.deployment(operator, case, start, max(dates.max(), as_day(start, "start")))
    return dep.counts(dates)[QUANTITY]


def hindcast_table(model: LaunchModel, operator: str, cases, start, observations):
    """Observed satellites in orbit next to each case's forecast of them, one row per observation.

    Parameters
    ----------
    model : LaunchModel
        The model as it was when the forecast was made (a frozen launch file).
    operator : str
    cases : sequence of str
    start : date
        Start of the model's timeline (its starting state).
    observations : sequence of Observation
        In date order.

    Returns
    -------
    pandas.DataFrame
        ``date`` (ISO text), ``observed`` (int) and one int column per case (``in_orbit``).
    """
    import pandas as pd

    dates = np.array([o.date for o in observations], dtype="datetime64[D]")
    out = {"date": [str(d) for d in dates], "observed": [int(o.satellites) for o in observations]}
    for case in cases:
        out[case] = _in_orbit(model, operator, case, start, dates).astype(int)
    return pd.DataFrame(out)


def hindcast_errors(table, cases):
    """How far each case's forecast was from the observed counts.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`hindcast_table`.
    cases : sequence of str

    Returns
    -------
    pandas.DataFrame
        One row per case: ``mean_abs_error`` and ``mean_signed_error`` (forecast minus observed,
        satellites, over every row), ``last_date``, ``last_forecast``, ``last_observed``,
        ``last_signed_error`` and ``last_relative_error`` (on the last row; relative to the observed
        count), and ``closest`` (True for the case with the smallest mean absolute error).
    """
    import pandas as pd

    obs = table["observed"].to_numpy(dtype=float)
    rows = []
    for case in cases:
        err = table[case].to_numpy(dtype=float) - obs
        rows.append({"case": case, "mean_abs_error": float(np.mean(np.abs(err))),
                     "mean_signed_error": float(np.mean(err)), "last_date": str(table["date"].iloc[-1]),
                     "last_forecast": int(table[case].iloc[-1]), "last_observed": int(obs[-1]),
                     "last_signed_error": int(err[-1]), "last_relative_error": float(err[-1] / obs[-1])})
    df = pd.DataFrame(rows)
    df["closest"] = df["mean_abs_error"] == df["mean_abs_error"].min()
    return df


def hindcast_curves(model: LaunchModel, operator: str, cases, start, until):
    """Daily satellites in orbit of each case from ``start`` to ``until``.

    Returns
    -------
    pandas.DataFrame
        ``date`` (datetime64[D]) and one int column per case.
    """
    import pandas as pd

    days = np.arange(as_day(start, "start"), as_day(until, "until") + np.timedelta64(1, "D"),
                     dtype="datetime64[D]")
    return pd.DataFrame({"date": days, **{case: _in_orbit(model, operator, case, start, days)
                                          for case in cases}})


def hindcast(launches: str, operator: str, cases, start, observations, *, label: str | None = None
             ) -> HindcastResult:
    """Grade the cases of a frozen launch file against observed counts (module docstring).

    Parameters
    ----------
    launches : str or path
        The launch file as shipped (e.g. ``"launches_2025.toml"`` of the data folder).
    operator : str
    cases : sequence of str
    start : date
        The forecasts' starting state (the race's start).
    observations : sequence of Observation
    label : str, optional
        The operator's display name today (default: the frozen file's, e.g. "Amazon Kuiper").

    Returns
    -------
    HindcastResult
    """
    model = LaunchModel.from_toml(launches)
    observations = tuple(sorted(observations, key=lambda o: o.date))
    if not observations:
        raise ValueError("a hindcast needs at least one observation (date and satellites in orbit)")
    table = hindcast_table(model, operator, cases, start, observations)
    curves = hindcast_curves(model, operator, cases, start, observations[-1].date)
    return HindcastResult(table=table, errors=hindcast_errors(table, cases), curves=curves,
                          observations=observations, launches=str(model.source), operator=operator,
                          label=label or model.operator(operator).label, start=as_day(start, "start"))
