"""Figures of a deployment race: satellites over time, metrics over time with cadence bands, a map strip.

Each function takes a :class:`~constellations.race.run.RaceResult` and returns a
:class:`matplotlib.figure.Figure` built without ``pyplot`` (headless-safe), in the shared look of
:mod:`constellations.plotting.style`: identity colours (the operator's cases in its own hue family, the
benchmark and the rival in theirs), units on every axis, the shared number formats and a caption strip
under the plot that states the assumptions, written from the scenario and the result's own text (launch
file and its notes, analysis window and grid, benchmark, operator). Milestones are marked: deadlines as
vertical dashed lines, the day each case reaches a milestone and the month each case first matches the
benchmark as labelled markers. :func:`draw_race_figures` writes all of them.
"""

from __future__ import annotations

import json
import math

import numpy as np

from ..plotting.coverage_figures import maps_into
from ..plotting.style import (
    FALLBACK_COLOURS,
    IDENTITY_COLOURS,
    PANEL_WIDTH_IN,
    UNITS,
    axis_label,
    constellation_colour,
    constellation_identity,
    escape_text,
    format_caption,
    format_count,
    format_duration_s,
    integer_ticks,
    new_figure,
    save_figure,
)
from .snapshots import METRICS

__all__ = ["RACE_FIGURES", "RACE_FIGURE_CAPTIONS", "answer_rows", "caption", "coverage_map_strip",
           "draw_race_figures", "metrics_over_time", "satellites_over_time"]

DEADLINE_COLOR = "0.45"
DEFAULT_METRICS = ("continuous_population_band", "continuous_area", "continuous_population",
                   "coverage_time_area", "revisit_mean_band_s", "revisit_max_band_s")
NOMINAL_CASE = "nominal"  # drawn bold; the other cases make the band


def _case_colours(result) -> dict:
    """Case -> colour: the operator's own colour for the nominal case, its other shades for the rest."""
    label = result.timeline.attrs["operator"]
    cases = list(result.timeline["case"].values)
    main = cases[_nominal_index(cases)]
    base = constellation_colour(label)
    identity = constellation_identity(label)
    family = IDENTITY_COLOURS[identity] if identity else ()
    shades = [c for c in (*family, *FALLBACK_COLOURS) if c != base]
    others = [c for c in cases if c != main]
    return {main: base, **{c: shades[i % len(shades)] for i, c in enumerate(others)}}


def _benchmark_colour(result) -> str:
    return constellation_colour(result.timeline.attrs["benchmark"])


def caption(result, extra: str = "") -> str:
    """Assumptions of a race result in a few sentences (used under every figure).

    Parameters
    ----------
    result : RaceResult
    extra : str
        A sentence put before the automatic caption.

    Returns
    -------
    str
        One paragraph; :func:`constellations.plotting.style.new_figure` wraps it to the figure width.
    """
    s = result.scenario
    a = s.analysis
    tl = result.timeline
    notes = json.loads(tl.attrs.get("notes", "[]"))
    lo, hi = a["populated_lat_deg"]
    population = tl.attrs.get("city_population")
    points = format_count(tl.attrs["city_points"]) if "city_points" in tl.attrs else None
    people = f"({population / 1e9:.2f} billion people)" if population else None
    places = format_caption([points, "Natural Earth places", people], sep=" ")
    text = [
        extra,
        f"Launch model ({s.launches}): {'; '.join(notes)}." if notes else f"Launch model: {s.launches}.",
        f"Cases: {', '.join(s.cases)} cadence; band = range of the cases other than {NOMINAL_CASE}; "
        f"failures {s.failures} value.",
        f"Each monthly snapshot analysed over the same {format_duration_s(a['duration_s'])} window from "
        f"{a['window_start']} at {a['step_s']:g} s steps on a global {a['grid_spacing_deg']:g} deg "
        f"equal-area grid and {places}; populated band {lo:g} to {hi:g} deg; {a['boundary']} gap "
        "boundary (revisit saturates at the window).",
        f"Benchmark: {s.benchmark['label']}, {format_count(tl.attrs.get('benchmark_satellites', 0))} "
        f"satellites at {s.benchmark['min_elevation_deg']:g} deg min elevation (SGP4), computed once; "
        f"{tl.attrs['operator']} at {tl.attrs.get('operator_min_elevation_deg', '?')} deg min elevation.",
    ]
    return format_caption(text, sep=" ")


def _dates(tl):
    return tl["date"].values


def _deadlines(ax, result, *, label=True):
    for m in result.scenario.milestones:
        d = np.datetime64(m.deadline, "ns")
        ax.axvline(d, color=DEADLINE_COLOR, lw=0.9, ls="--", zorder=1)
        if label:
            ax.text(d, 1.0, escape_text(f" {m.label}\n deadline"), transform=ax.get_xaxis_transform(),
                    fontsize=6.5, color=DEADLINE_COLOR, va="top", ha="left")


def _band(ax, tl, var, cases, colours, scale=1.0):
    """Low-high band (the range over the cases other than nominal) and one line per case."""
    values = tl[var].values * scale
    x = _dates(tl)
    others = [i for i, c in enumerate(cases) if c != NOMINAL_CASE]
    main = cases[_nominal_index(cases)]
    if len(others) >= 2:
        lo = np.nanmin(values[others], axis=0)
        hi = np.nanmax(values[others], axis=0)
        ax.fill_between(x, lo, hi, color=colours[main], alpha=0.15, lw=0, step="post",
                        label=escape_text("-".join(cases[i] for i in (others[0], others[-1]))
                                          + " cadence range"))
    for i, c in enumerate(cases):
        lw, alpha = (2.0, 1.0) if c == main else (1.0, 0.9)
        ax.step(x, values[i], where="post", color=colours[c], lw=lw, alpha=alpha,
                label=escape_text(f"{c} cadence"))


def _nominal_index(cases) -> int:
    return cases.index(NOMINAL_CASE) if NOMINAL_CASE in cases else 0


def satellites_over_time(result, *, title=None, extra_caption: str = ""):
    """Satellites operational vs date per case, with the milestones, and the rival's count on a log scale.

    Parameters
    ----------
    result : RaceResult
    title : str, optional
    extra_caption : str
        A sentence put before the automatic caption.

    Returns
    -------
    matplotlib.figure.Figure
    """
    s = result.scenario
    tl = result.timeline
    cases = list(tl["case"].values)
    colours = _case_colours(result)
    bench_colour = _benchmark_colour(result)
    operator = tl.attrs["operator"]
    fig, main = new_figure(10.0, 7.0, None, caption(result, extra_caption),
                           title or f"{operator} deployment, {s.start} to {s.horizon}")
    ax1, ax2 = main.subplots(2, 1, height_ratios=[3, 2], sharex=True)
    _band(ax1, tl, "satellites_operational", cases, colours)
    nominal = _nominal_index(cases)
    main_colour = colours[cases[nominal]]
    ax1.step(_dates(tl), tl["satellites_launched"].values[nominal], where="post", color=main_colour,
             lw=1.0, ls=":", label=escape_text(f"{cases[nominal]}: launched"))
    for m in s.milestones:
        ax1.axhline(m.satellites, color=DEADLINE_COLOR, lw=0.7, ls=":", zorder=1)
    _deadlines(ax1, result)
    a = result.answers
    for i, c in enumerate(cases):
        rows = a[(a["case"] == c) & (a["kind"] == "milestone") & (a["month"] != "")]
        for r in rows.itertuples():
            d = np.datetime64(r.date, "ns")
            ax1.plot([d], [r.target], "o", color=colours[c], ms=6, mec="white", mew=0.8, zorder=5)
            ax1.annotate(escape_text(f"{c}: {r.month}"), (d, r.target), xytext=(4, -11 - 9 * i),
                         textcoords="offset points", fontsize=7, color=colours[c])
    ax1.set_ylabel(axis_label("satellites operational"))
    top = max([float(np.nanmax(tl["satellites_launched"].values, initial=0.0)),
               float(np.nanmax(tl["satellites_operational"].values, initial=0.0)),
               *(m.satellites for m in s.milestones)])
    ax1.set_ylim(0, top * 1.12 if top > 0 else 1)  # the launched line is never clipped
    integer_ticks(ax1.yaxis)
    ax1.grid(alpha=0.3, lw=0.5)
    ax1.legend(fontsize=7.5, loc="upper left", frameon=False)
    ax1.set_title(escape_text(f"{operator}: satellites in the operational orbit (dots: milestone reached)"),
                  fontsize=9.5)
    # panel b: operator vs rival
    x = _dates(tl)
    ax2.fill_between(x, tl["satellites_operational"].min("case").values,
                     tl["satellites_operational"].max("case").values, color=main_colour, alpha=0.2, lw=0,
                     step="post")
    ax2.step(x, tl["satellites_operational"].values[nominal], where="post", color=main_colour, lw=2,
             label=escape_text(operator))
    if "rival_satellites" in tl:
        r = tl["rival_satellites"]
        rival_colour = constellation_colour(r.attrs["long_name"])
        ax2.fill_between(x, r.min("case").values, r.max("case").values, color=rival_colour, alpha=0.2,
                         lw=0, step="post")
        ax2.step(x, r.values[nominal], where="post", color=rival_colour, lw=2,
                 label=escape_text(r.attrs["long_name"]))
    bench_n = int(tl.attrs["benchmark_satellites"])
    ax2.axhline(bench_n, color=bench_colour, lw=0.9, ls="--",
                label=escape_text(f"benchmark: {tl.attrs['benchmark']} ({format_count(bench_n)})"))
    _deadlines(ax2, result, label=False)
    ax2.set_yscale("log")
    ax2.set_ylabel(axis_label("satellites (log scale)"))
    ax2.grid(alpha=0.3, lw=0.5, which="both")
    ax2.legend(fontsize=7.5, loc="lower right", frameon=False)
    ax2.set_title(escape_text(f"Both operators (lines: {cases[nominal]} cadence, shading: range of the "
                              "cases)"),
                  fontsize=9.5)
    ax2.set_xlabel("date (monthly snapshots, UTC)")
    return fig


def _display(metric: str) -> tuple[float, str]:
    """Scale and display unit of a metric: fractions in %, durations in min (the shared :data:`UNITS`)."""
    units = METRICS[metric].units
    if units == "1":
        return 100.0, UNITS["fraction"]
    if units == "s":
        return 1 / 60.0, "min"
    return 1.0, units


def metrics_over_time(result, metrics=DEFAULT_METRICS, *, title=None, extra_caption: str = ""):
    """Metrics vs date per cadence case, the benchmark as a line, catch-up months and deadlines marked.

    Parameters
    ----------
    result : RaceResult
    metrics : sequence of str
        Names from :data:`constellations.race.METRICS`.
    title : str, optional
    extra_caption : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.lines import Line2D

    bad = [m for m in metrics if m not in METRICS]
    if bad:
        raise ValueError(f"unknown metrics {bad}; allowed: {', '.join(METRICS)}")
    s = result.scenario
    tl = result.timeline
    cases = list(tl["case"].values)
    colours = _case_colours(result)
    bench_colour = _benchmark_colour(result)
    n = len(metrics)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    fig, main = new_figure(4.4 * ncols, 3.3 * nrows + 0.3, None, caption(result, extra_caption),
                           title or f"{tl.attrs['operator']} coverage as it builds out, against "
                                    f"{tl.attrs['benchmark']}")
    axes = np.atleast_1d(main.subplots(nrows, ncols, squeeze=False, sharex=True)).ravel()
    a = result.answers
    for ax, metric in zip(axes, metrics, strict=False):
        meta = METRICS[metric]
        scale, unit = _display(metric)
        _band(ax, tl, metric, cases, colours, scale)
        bench = result.benchmark[metric] * scale
        ax.axhline(bench, color=bench_colour, lw=1.3, ls="--", label=escape_text(tl.attrs["benchmark"]))
        _deadlines(ax, result, label=False)
        for i, c in enumerate(cases):
            row = a[(a["case"] == c) & (a["kind"] == "catch-up") & (a["item"] == metric)].iloc[0]
            if row["month"]:
                d = np.datetime64(row["date"], "ns")
                y = row["value"] * scale
                ax.plot([d], [y], "D", color=colours[c], ms=5, mec="black", mew=0.5, zorder=6)
                dy = (-10 - 8 * i) if meta.better == "higher" else (6 + 8 * i)
                ax.annotate(row["month"], (d, y), xytext=(3, dy), textcoords="offset points", fontsize=6.5,
                            color=colours[c])
        head = " (headline)" if metric == s.catch_up_metric else ""
        name = meta.long_name[0].upper() + meta.long_name[1:]
        ax.set_title(escape_text(f"{name}{head}"), fontsize=8.5, wrap=True)
        ax.set_ylabel(unit, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3, lw=0.5)
        for label in ax.get_xticklabels():
            label.set_rotation(30)
            label.set_ha("right")
    for ax in axes[n:]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    handles += [Line2D([], [], color=DEADLINE_COLOR, ls="--", lw=0.9),
                Line2D([], [], marker="D", color="0.4", ls="none", mec="black", mew=0.5)]
    labels += [escape_text("milestone deadlines (" + ", ".join(f"{m.label}: {m.deadline}"
                                                               for m in s.milestones) + ")"),
               "first month matching the benchmark"]
    main.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)), fontsize=7.5,
                frameon=False)
    return fig


def coverage_map_strip(result, *, title=None, extra_caption: str = ""):
    """Small multiples: coverage time on the ground at the map dates (map case) and for the benchmark.

    Parameters
    ----------
    result : RaceResult
    title : str, optional
    extra_caption : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    import xarray as xr

    maps = result.maps
    tl = result.timeline
    panels = []
    for i, name in enumerate(maps["panel"].values):
        sats = int(maps["satellites"].values[i])
        ds = xr.Dataset({"coverage_time_fraction": maps["coverage_time_fraction"].isel(panel=i)
                         .drop_vars(["panel", "satellites"])},
                        attrs={"constellation": f"{name} ({format_count(sats)} satellites)",
                               "grid": maps.attrs["grid"],
                               "grid_spacing_deg": float(tl.attrs["grid_spacing_deg"]),
                               "satellites": sats})
        panels.append(ds)
    n = len(panels)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    panel_w = PANEL_WIDTH_IN * 0.75
    width = panel_w * ncols + 0.4
    window = format_duration_s(result.scenario.analysis["duration_s"])
    fig, main = new_figure(width, nrows * (panel_w * 0.5 + 0.35) + 1.2, None, caption(result, extra_caption),
                           title or f"Coverage time at selected dates: {tl.attrs['operator']} "
                                    f"({result.scenario.map_case} cadence) and {tl.attrs['benchmark']}")
    maps_into(main, panels, "coverage_time_fraction", log=False, vmin=0.0, vmax=1.0, ncols=ncols,
              label=axis_label(f"coverage time over the {window} window", "fraction"))
    return fig


RACE_FIGURE_CAPTIONS = {
    "race_satellites": "When each launch cadence reaches the licence milestones: satellites in orbit by "
                       "date, and against the rival.",
    "race_metrics": "When the build-out first matches the benchmark's coverage, metric by metric.",
    "race_maps": "Where the ground is covered at selected dates, next to the benchmark.",
}
"""Figure name -> the one-line question it answers, for the index page."""


def answer_rows(result) -> list[list[str]]:
    """The race's answer table as rows of strings (header first): one row per milestone or catch-up
    metric, one column per cadence case, the month (``"not by <horizon>"`` when never reached).

    Parameters
    ----------
    result : RaceResult

    Returns
    -------
    list of list of str
    """
    a = result.answers
    cases = list(result.timeline["case"].values)
    horizon = str(result.scenario.horizon)[:7]
    rows = [["Question", *[f"{c} cadence" for c in cases]]]
    for kind, what in (("milestone", "satellites operational"), ("catch-up", "matches the benchmark")):
        sub = a[a["kind"] == kind]
        for item in dict.fromkeys(sub["item"]):
            label = (METRICS[item].long_name if kind == "catch-up" and item in METRICS else str(item))
            cells = []
            for c in cases:
                hit = sub[(sub["item"] == item) & (sub["case"] == c)]
                month = str(hit["month"].iloc[0]) if len(hit) else ""
                cells.append(month or f"not by {horizon}")
            rows.append([f"{label}: {what}" if kind == "milestone" else f"{what}: {label}", *cells])
    return rows


RACE_FIGURES = {
    "race_satellites": satellites_over_time,
    "race_metrics": metrics_over_time,
    "race_maps": coverage_map_strip,
}
"""Figure name -> ``draw(result) -> Figure``."""


def draw_race_figures(result, out_dir, names=None, *, formats=("png",), dpi=150) -> dict:
    """Draw the race figures and save them as ``out_dir/<name>.<format>`` (each file atomically).

    Parameters
    ----------
    result : RaceResult
    out_dir : str or path
    names : sequence of str, optional
        Keys of :data:`RACE_FIGURES` (default: all).
    formats : sequence of {"png", "svg", "pdf"}
    dpi : float

    Returns
    -------
    dict
        Figure name -> list of paths written.
    """
    names = list(RACE_FIGURES) if names is None else list(names)
    unknown = [n for n in names if n not in RACE_FIGURES]
    if unknown:
        raise ValueError(f"unknown race figure(s) {unknown}; allowed: {', '.join(RACE_FIGURES)}")
    written = {}
    for name in names:
        fig = RACE_FIGURES[name](result)
        written[name] = save_figure(fig, f"{out_dir}/{name}", formats=formats, dpi=dpi)
    return written
