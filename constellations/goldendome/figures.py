"""Figures of the Golden Dome analysis: in-reach counts over time, sizing curves, the in-reach map, tracking.

Each function takes results of :mod:`constellations.goldendome` and returns a
:class:`matplotlib.figure.Figure` built without ``pyplot`` (headless-safe), in the shared look of
:mod:`constellations.plotting.style`: the layer's fixed identity colour (Golden Dome orange, as in every
other figure), a bold title that says what is shown for which constellation and reach assumption, axis
labels with units, whole-number ticks for counts, counts with thousands separators and a caption strip
stating the window and the model's limits. Time series are small multiples, one panel per site, so no
site is left out and no two share a colour; stretches below the salvo size or the stereo threshold are
shaded, and a stereo threshold lost on a dense layer's count axis (2 of some 250) is pointed at. The
map is the coverage figures' Equal Earth map (:func:`constellations.plotting.coverage_figures.maps_into`).
Save with :func:`constellations.plotting.style.save_figure`; :data:`GOLDEN_DOME_FIGURE_CAPTIONS` gives the
index page's one-line explanations by figure kind, also for numbered file stems (``tracking_2``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..plotting.coverage_figures import maps_into
from ..plotting.projection import X_MAX, Y_MAX, equal_earth
from ..plotting.style import (
    FALLBACK_COLOURS,
    axis_label,
    constellation_colour,
    escape_text,
    format_caption,
    format_count,
    format_duration_s,
    format_percent,
    integer_ticks,
    new_figure,
)
from .published import PUBLISHED_ESTIMATES

__all__ = ["GOLDEN_DOME_FIGURE_CAPTIONS", "NUMBERED_STEMS", "figure_kind", "in_reach_timeseries",
           "mean_in_reach_map", "sizing_curves", "tracking_timeseries"]

_CAPTIONS_BY_KIND = {
    "sizing_curves": "How many interceptor satellites each reach assumption needs for a salvo of k, next "
                     "to the published estimates.",
    "in_reach_timeseries": "How many interceptors could reach a launch from each site, moment by moment.",
    "mean_in_reach_map": "Where on Earth the layer is thin: mean interceptors in reach of a launch there.",
    "tracking_timeseries": "Whether at least two sensor satellites see each launch area, and the longest "
                           "stretch without.",
}

NUMBERED_STEMS = {"tracking": "tracking_timeseries"}
"""File stem prefix -> kind, for the figures drawn once per sensor layer (``tracking_1``, ``tracking_2``,
...); every other figure's file stem is its kind."""


def figure_kind(stem: str) -> str | None:
    """The kind of a figure (the function that draws it) from its file stem, or None if unknown.

    Examples
    --------
    >>> figure_kind("tracking_2"), figure_kind("sizing_curves"), figure_kind("tracking_x")
    ('tracking_timeseries', 'sizing_curves', None)
    """
    stem = str(stem)
    if stem in _CAPTIONS_BY_KIND:
        return stem
    head, _, number = stem.rpartition("_")
    return NUMBERED_STEMS.get(head) if number.isdigit() else None


class _CaptionsByKind(Mapping):
    """Read-only mapping kind -> caption that also answers for file stems (through :func:`figure_kind`)."""

    def __getitem__(self, name: str) -> str:
        kind = figure_kind(name)
        if kind is None:
            raise KeyError(name)
        return _CAPTIONS_BY_KIND[kind]

    def __iter__(self):
        return iter(_CAPTIONS_BY_KIND)

    def __len__(self) -> int:
        return len(_CAPTIONS_BY_KIND)


GOLDEN_DOME_FIGURE_CAPTIONS: Mapping[str, str] = _CaptionsByKind()
"""Figure kind -> the one-line question it answers, for index pages; looked up by file stem as well
(``GOLDEN_DOME_FIGURE_CAPTIONS["tracking_2"]`` is the tracking figures' line)."""

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
PUBLISHED_MARKERS = ("*", "h", "X", "P", "d", "8")
LINESTYLES = ("-", "--", ":", "-.")
LINE_COLOURS = tuple(c for c in FALLBACK_COLOURS)  # reach assumptions: no constellation's identity colour
BELOW_COLOUR = "#CC79A7"  # Okabe-Ito reddish purple: stretches below the threshold


def _window(ds) -> str | None:
    """``"6 h from 2025-07-01T00:00:00Z at 30 s steps"`` from a result's attributes."""
    a = ds.attrs
    if "start_utc" not in a:
        return None
    return (f"Window {format_duration_s(a['duration_s'], missing='?')} from {a['start_utc']} at "
            f"{a['step_s']:g} s steps")


def _caption(ds, what: str | None = None) -> str:
    """What the figure shows, the reach assumption, the window and the model's limits."""
    a = ds.attrs
    return format_caption([what,
                           f"Reach: {a['reach_description']}" if "reach_description" in a else None,
                           _window(ds),
                           f"Model limits: {a['model_limits']}" if "model_limits" in a else None],
                          sep=". ") + "."


def _name(ds) -> str:
    """Constellation name with its size, unless the name already says it."""
    name = str(ds.attrs.get("constellation", ""))
    n = format_count(ds.attrs.get("satellites", 0))
    return name if n in name else f"{name} ({n} satellites)"


def _legend_right(ax):
    """The legend right of the axes (inside the figure: constrained layout makes room for it)."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)


def _site_names(ds, sites):
    names = list(ds["site"].values) if sites is None else list(sites)
    unknown = [s for s in names if s not in set(ds["site"].values)]
    if unknown:
        raise ValueError(f"sites {unknown} are not in the Dataset; it has {list(ds['site'].values)}")
    return names


def _site_panels(main, n):
    """Small multiples, one per site, sharing both axes: (axes, ncols)."""
    ncols = 1 if n == 1 else 2 if n <= 6 else 3
    nrows = math.ceil(n / ncols)
    axes = np.atleast_1d(main.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return axes[:n], ncols


def _series_panel(ax, t_h, values, threshold, colour, title, stretches_h=None):
    """One site's count over time: a filled step area, the threshold, stretches below it shaded.

    ``stretches_h``: the (start, end) hours below the threshold, exact; default the sampled steps below.
    """
    if stretches_h is not None:
        if len(stretches_h):
            ax.broken_barh([(a, b - a) for a, b in stretches_h], (0, 1), color=BELOW_COLOUR, alpha=0.45,
                           lw=0, transform=ax.get_xaxis_transform(), zorder=0)
    elif threshold is not None:  # behind the counts: the stretches below the threshold
        below = values < threshold
        if below.any():
            ax.fill_between(t_h, 0, 1, where=below, step="post", color=BELOW_COLOUR, alpha=0.45, lw=0,
                            transform=ax.get_xaxis_transform(), zorder=0)
    ax.fill_between(t_h, values, step="post", color=colour, alpha=0.2, lw=0, zorder=1)
    ax.step(t_h, values, where="post", color=colour, lw=0.6, zorder=2)
    if threshold is not None:
        ax.axhline(threshold, color="0.15", ls="--", lw=0.9, zorder=3)
    ax.set_title(escape_text(title), fontsize=7.5)
    ax.set_ylim(bottom=0)
    integer_ticks(ax.yaxis)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3, lw=0.5)


def _finish_panels(main, axes, ncols, ylabel):
    for i, ax in enumerate(axes):
        if i % ncols == 0:
            ax.set_ylabel(ylabel, fontsize=8)
        if i >= len(axes) - ncols:
            ax.set_xlabel(axis_label("time from start", "h"), fontsize=8)
            ax.tick_params(labelbottom=True)


def _legend_handles(colour, threshold_label, below_label):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    return [Patch(facecolor=colour, alpha=0.5, label="count at each step"),
            Line2D([], [], color="0.15", ls="--", lw=0.9, label=threshold_label),
            Patch(facecolor=BELOW_COLOUR, alpha=0.35, label=below_label)]


def in_reach_timeseries(ds, *, k: int | None = None, sites=None, hours: float | None = None):
    """Number of SBIs in reach of each site over time, one small panel per site.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`constellations.goldendome.counting.reach_metrics` (with ``in_reach``).
    k : int, optional
        Salvo size drawn as a dashed line; stretches with fewer than ``k`` in reach are shaded.
    sites : sequence of str, optional
        Sites to draw (default all, each in its own panel, so none is left out and no two share a
        line colour).
    hours : float, optional
        Show only the first ``hours`` of the window (default all).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if "in_reach" not in ds:
        raise ValueError("the Dataset has no 'in_reach' series; call reach_metrics(..., keep_counts=True)")
    names = _site_names(ds, sites)
    t_h = ds["time_s"].values / 3600.0
    keep = slice(None) if hours is None else t_h <= hours
    colour = constellation_colour(ds.attrs.get("constellation", "golden dome"))
    title = (f"Interceptors (SBIs) in reach of a launch from each site: {_name(ds)}, "
             f"reach assumption '{ds.attrs.get('reach_name', '')}'")
    nrows = math.ceil(len(names) / (1 if len(names) == 1 else 2 if len(names) <= 6 else 3))
    fig, main = new_figure(10.0, 1.9 * nrows + 1.2,
                           caption=_caption(ds, "Each panel: SBIs that could reach a missile launched from "
                                                "the site at that moment; title: mean and minimum over "
                                                "the window"),
                           title=title)
    axes, ncols = _site_panels(main, len(names))
    for ax, name in zip(axes, names, strict=True):
        mean = float(ds["in_reach_mean"].sel(site=name))
        low = int(ds["in_reach_min"].sel(site=name))
        _series_panel(ax, t_h[keep], ds["in_reach"].sel(site=name).values[keep], k, colour,
                      f"{name}\nmean {mean:.1f}, min {format_count(low)}")
    _finish_panels(main, axes, ncols, "SBIs in reach")
    if k is not None:
        main.legend(handles=_legend_handles(colour, f"salvo k = {k}", f"fewer than {k} in reach"),
                    loc="outside lower center", ncols=3, fontsize=7.5, frameon=False)
    return fig


def sizing_curves(sizing, published=None, *, title: str | None = None):
    """Constellation size needed vs salvo size k, per reach assumption and family, with published sizes.

    Parameters
    ----------
    sizing : xarray.Dataset
        From :func:`constellations.goldendome.sizing.sizing_sweep`.
    published : sequence of dict, optional
        Default :data:`constellations.goldendome.published.PUBLISHED_ESTIMATES`.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.ticker import FuncFormatter

    published = PUBLISHED_ESTIMATES if published is None else published
    df = sizing.to_dataframe().reset_index()
    df = df[df["n_required"] > 0]
    a = sizing.attrs
    caption = (f"Smallest pattern-family member with at least k SBIs in reach of every site "
               f"({a.get('sites', '')}) "
               f"for {100 * a.get('share', float('nan')):g} % of "
               f"{format_duration_s(a.get('duration_s', float('nan')), missing='?')} at "
               f"{a.get('step_s', 0):g} s steps. Walker sizes are verified against the next larger ladder "
               "members (non-monotone patterns). Published sizes rest on assumptions not public in full; "
               "markers show them at the salvo size they were quoted for (open: 'over' or 'tens of "
               "thousands'). Model limits: engagement point above the launch site, straight-line flyout, "
               "one SBI per missile, no failures.")
    title = title or "Space-based interceptors needed vs salvo size, by reach assumption"
    fig, main = new_figure(9.0, 4.8, caption=caption, title=title)
    ax = main.subplots()
    reaches = list(dict.fromkeys(df["reach"]))  # colour and marker: reach assumption
    families = list(dict.fromkeys(zip(df["family"], df["altitude_km"], df["inclination_deg"], strict=True)))
    for (reach, fam, alt, inc), g in df.groupby(["reach", "family", "altitude_km", "inclination_deg"],
                                                sort=False):  # one line per (reach, family)
        g = g.sort_values("k")
        i, j = reaches.index(reach), families.index((fam, alt, inc))  # line style: pattern family
        ax.plot(g["k"], g["n_required"], marker=MARKERS[i % len(MARKERS)], ms=4, lw=1.2,
                ls=LINESTYLES[j % len(LINESTYLES)], color=LINE_COLOURS[i % len(LINE_COLOURS)],
                label=escape_text(f"{reach} | {fam} {alt:g} km / {inc:g} deg"))
    for j, est in enumerate(published):
        filled = est["n_low"] == est["n_high"]
        ax.scatter([est["k"]], [est["n_sat"]], s=70, marker=PUBLISHED_MARKERS[j % len(PUBLISHED_MARKERS)],
                   facecolors="0.15" if filled else "none", edgecolors="0.15", linewidths=1.2, zorder=5,
                   label=escape_text(f"{est['estimate']}: {format_count(est['n_sat'])}"
                                     f"{'' if filled else '+'} (k = {est['k']})"))
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_count(v)))
    ax.set_xlabel(axis_label("salvo size k (ICBMs from one site at once = SBIs needed in reach)"))
    ax.set_ylabel(axis_label("satellites needed"))
    ax.set_xticks(sorted(set(df["k"].astype(int))) or [1])
    ax.grid(alpha=0.3, which="both")
    _legend_right(ax)
    return fig


def mean_in_reach_map(map_ds, *, sites=None, variable: str = "in_reach_mean", title: str | None = None):
    """Equal Earth world map of the mean (or minimum) number of SBIs in reach: where the layer is thin.

    Parameters
    ----------
    map_ds : xarray.Dataset
        From :func:`constellations.goldendome.counting.mean_in_reach_map`.
    sites : list of ThreatSite, optional
        Launch sites to mark.
    variable : {"in_reach_mean", "in_reach_min"}
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        One map panel with a horizontal colour bar (counts) under it.
    """
    if variable not in ("in_reach_mean", "in_reach_min") or variable not in map_ds:
        raise ValueError(f"variable must be one of 'in_reach_mean', 'in_reach_min', got {variable!r}")
    what = "Mean" if variable == "in_reach_mean" else "Minimum"
    title = title or (f"{what} SBIs in reach: {_name(map_ds)}\n"
                      f"reach assumption '{map_ds.attrs.get('reach_name', '')}'")
    caption = _caption(map_ds, format_caption({"Grid": map_ds.attrs.get("grid"),
                                               "": "zero where no satellite can reach (beyond the "
                                                   "inclination + reach)"}))
    width = 9.0  # as the other Golden Dome figures: room for the caption and a two-line title
    fig, main = new_figure(width, width * Y_MAX / X_MAX + 1.35, caption=caption, title=title)
    axes, _ = maps_into(main, [map_ds], variable, log=False, vmin=0.0, vmax=None, ncols=1,
                        panel_titles=False, label=axis_label(f"{what.lower()} SBIs in reach"))
    if sites:
        x, y = equal_earth([s.lon_deg for s in sites], [s.lat_deg for s in sites])
        axes[0].scatter(x, y, marker="^", s=30, facecolor="white", edgecolor="black", lw=0.9, zorder=7,
                        label="launch sites")
        axes[0].legend(loc="lower left", fontsize=7, framealpha=0.8)
    return fig


def _elevation_text(value) -> str:
    """The tracking caption's elevation clause, for a number or a per-satellite setting."""
    try:
        return f"at least {float(value):g} deg above its horizon"
    except (TypeError, ValueError):
        return "above each sensor satellite's own minimum elevation"


def _share_text(share: float) -> str:
    """A share of time in whole percent that never rounds a gap away: ``0.996 -> "> 99 %"``."""
    text = format_percent(share, digits=0)
    if share < 1.0 and text == "100 %":
        return "> 99 %"
    if share > 0.0 and text == "0 %":
        return "< 1 %"
    return text


LOW_THRESHOLD_SHARE = 0.1  # a threshold below this share of the count axis is labelled with an arrow


def _point_at_threshold(ax, threshold: int, fewest: int) -> None:
    """Label a threshold too close to the x axis to be read: an arrow onto the dashed line, with the
    fewest in view next to the number needed."""
    ax.annotate(f"{format_count(threshold)} needed for stereo; fewest in view {format_count(fewest)}",
                xy=(0.9, threshold), xycoords=ax.get_yaxis_transform(), xytext=(0.9, 0.3),
                textcoords="axes fraction", ha="right", va="bottom", fontsize=7, color="0.15", zorder=6,
                arrowprops={"arrowstyle": "->", "color": "0.15", "lw": 0.8, "relpos": (1.0, 0.0),
                            "shrinkA": 0, "shrinkB": 0},
                bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "none",
                      "alpha": 0.85})


def tracking_timeseries(ds, *, sites=None):
    """Sensor satellites seeing each launch area over time, one small panel per site, stereo threshold.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`constellations.goldendome.counting.tracking_metrics`.
    sites : sequence of str, optional
        Sites to draw (default all, each in its own panel).

    Returns
    -------
    matplotlib.figure.Figure
        Each panel: sensors in view (filled steps, sampled), the stereo threshold (dashed) and the
        stretches below it (shaded: the exact windows, when ``ds`` has them); its title gives the
        share of time at or above the threshold and the longest stretch below it. A threshold under
        a tenth of the count axis (2 of some 250 for a dense layer) is pointed at by an arrow that
        also gives the fewest in view.
    """
    names = _site_names(ds, sites)
    m = int(ds.attrs.get("min_sensors", 2))
    caption = format_caption([f"A sensor satellite sees a launch area when it is "
                              f"{_elevation_text(ds.attrs.get('min_elevation_deg'))}",
                              f"Shaded: fewer than {m} sensors in view (no stereo track; exact, "
                              "while the counts are sampled at the step)",
                              _window(ds)], sep=". ") + "."
    colour = constellation_colour(ds.attrs.get("constellation", ""))
    nrows = math.ceil(len(names) / (1 if len(names) == 1 else 2 if len(names) <= 6 else 3))
    fig, main = new_figure(10.0, 1.9 * nrows + 1.2, caption=caption,
                           title=f"Can the tracking layer see each launch area in stereo?\n{_name(ds)}")
    axes, ncols = _site_panels(main, len(names))
    t_h = ds["time_s"].values / 3600.0
    for ax, name in zip(axes, names, strict=True):
        longest = float(ds["longest_below_min_s"].sel(site=name))
        share = (float(ds["share_at_least_min"].sel(site=name)) if "share_at_least_min" in ds
                 else float(np.mean(ds["sensors_in_view"].sel(site=name).values >= m)))
        below = "never" if not longest > 0 else format_duration_s(longest, missing="n/a")
        stretches = None
        if "below_min_start_s" in ds:  # the exact stretches, as the title's longest one
            mine = ds["below_min_site"].values == name
            stretches = np.column_stack([ds["below_min_start_s"].values[mine],
                                         ds["below_min_end_s"].values[mine]]) / 3600.0
        _series_panel(ax, t_h, ds["sensors_in_view"].sel(site=name).values, m, colour,
                      f"{name}\n{m}+ in view {_share_text(share)} of the time; "
                      f"longest below: {below}", stretches)
    top = axes[0].get_ylim()[1]  # shared by every panel, now that all are drawn
    if m < LOW_THRESHOLD_SHARE * top:  # the dashed line lies on the x axis: say where it is
        for ax, name in zip(axes, names, strict=True):
            _point_at_threshold(ax, m, int(ds["sensors_in_view"].sel(site=name).values.min()))
    _finish_panels(main, axes, ncols, "sensors in view")
    main.legend(handles=_legend_handles(colour, f"stereo: {m} sensors", f"fewer than {m} in view"),
                loc="outside lower center", ncols=3, fontsize=7.5, frameon=False)
    return fig
