"""Hindcast figure: satellites observed in orbit against each 2025 forecast's curve.

:func:`hindcast_figure` takes a :class:`~constellations.race.hindcast.HindcastResult` and returns a
:class:`matplotlib.figure.Figure` built without ``pyplot`` (headless-safe) in the shared look of
:mod:`constellations.plotting.style`: the operator's identity colour family for its cases, observed
counts as black points labelled with their value, units on the axes, and a caption that names the
frozen launch file, the observations' sources and each case's error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..plotting.style import (
    FALLBACK_COLOURS,
    IDENTITY_COLOURS,
    axis_label,
    constellation_identity,
    escape_text,
    format_count,
    new_figure,
    save_figure,
)

__all__ = ["draw_hindcast_figure", "hindcast_figure"]

OBSERVED_COLOUR = "#000000"
EVENT_COLOUR = "0.45"
LINESTYLES = ("-", "--", ":", "-.")


def _case_colours(label: str, cases) -> dict:
    """Case -> colour: shades of the operator's identity, then the fallback colours."""
    identity = constellation_identity(label)
    shades = [*(IDENTITY_COLOURS[identity] if identity else ()), *FALLBACK_COLOURS]
    return {case: shades[i % len(shades)] for i, case in enumerate(cases)}


def hindcast_figure(result, *, events=(), title: str | None = None):
    """Observed satellites in orbit (points) and each forecast case's satellites in orbit (lines).

    Parameters
    ----------
    result : HindcastResult
        From :func:`constellations.race.hindcast.hindcast`.
    events : sequence of Event, optional
        Dated annotations (:class:`constellations.race.scenario.Event`); those inside the plotted span
        are drawn as dotted vertical lines with their label.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.dates import DateFormatter

    errors = result.errors.set_index("case")
    cases = list(errors.index)
    colours = _case_colours(result.label, cases)
    parts = [f"Forecasts as shipped: {Path(result.launches).name} (frozen), each started from the state "
             f"of {result.start}. Lines: satellites delivered to orbit alive (cumulative, no de-orbits).",
             *(f"Observed {o.date}: {format_count(o.satellites)} ({o.source or 'no source given'})"
               for o in result.observations),
             *(f"{c}: forecast - observed, mean of |error| {errors.loc[c, 'mean_abs_error']:.0f}, mean "
               f"{errors.loc[c, 'mean_signed_error']:+.0f}; on {errors.loc[c, 'last_date']} "
               f"{errors.loc[c, 'last_signed_error']:+d} satellites "
               f"({100 * errors.loc[c, 'last_relative_error']:+.0f} %)" for c in cases)]
    title = title or f"Hindcast of the 2025 forecasts: {result.label}"
    fig, main = new_figure(9.0, 4.6, caption="\n".join(parts), title=title)
    ax = main.subplots()
    days = result.curves["date"].to_numpy(dtype="datetime64[D]")
    for i, case in enumerate(cases):
        ax.plot(days.astype("datetime64[ms]").astype(object), result.curves[case].to_numpy(), lw=1.6,
                ls=LINESTYLES[i % len(LINESTYLES)], color=colours[case],
                label=escape_text(f"{case} (2025 forecast): "
                                  f"{format_count(errors.loc[case, 'last_forecast'])} "
                                  f"on {errors.loc[case, 'last_date']}"))
    obs_days = np.array([o.date for o in result.observations], dtype="datetime64[D]")
    obs_n = np.array([o.satellites for o in result.observations])
    ax.scatter(obs_days.astype("datetime64[ms]").astype(object), obs_n, s=40, color=OBSERVED_COLOUR,
               zorder=5, label="observed in orbit")
    for d, n in zip(obs_days.astype("datetime64[ms]").astype(object), obs_n, strict=True):
        ax.annotate(format_count(n), (d, n), textcoords="offset points", xytext=(-6, 7), ha="right",
                    fontsize=8)
    for e in events:  # a few dated annotations
        if days[0] <= e.date <= days[-1]:
            when = np.datetime64(e.date, "ms").astype(object)
            ax.axvline(when, color=EVENT_COLOUR, ls=":", lw=1.0)
            ax.annotate(escape_text(e.label), (when, 0.98), xycoords=("data", "axes fraction"), rotation=90,
                        ha="right", va="top", fontsize=6.5, color=EVENT_COLOUR, zorder=1.5,
                        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.0})
    ax.xaxis.set_major_formatter(DateFormatter("%Y-%m"))
    ax.set_xlabel(axis_label("date (UTC)"))
    ax.set_ylabel(axis_label("satellites in orbit", "satellites"))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


def draw_hindcast_figure(result, out_dir, *, events=(), formats=("png",), dpi=150) -> list:
    """Draw :func:`hindcast_figure` and save it as ``out_dir/hindcast.<format>``; return the paths."""
    return save_figure(hindcast_figure(result, events=events), f"{out_dir}/hindcast", formats=formats,
                       dpi=dpi)
