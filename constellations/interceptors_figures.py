"""Figures of the Golden Dome interceptor analysis: in-reach counts over time, sizing curves, reach maps.

Each function takes results of :mod:`constellations.interceptors` or :mod:`constellations.sizing` and
returns a :class:`matplotlib.figure.Figure` built without ``pyplot`` (headless-safe). Lines use the
Okabe-Ito colour-blind-safe palette, maps viridis with Natural Earth coastlines on a plain lon/lat
(equirectangular) axes; every title names the constellation and the reach assumptions, and a caption
states the model's limits. Save with :func:`constellations.figures.save_figure`.
"""

from __future__ import annotations

import textwrap

import numpy as np

from .figures import OKABE_ITO

__all__ = ["in_reach_timeseries", "mean_in_reach_map", "sizing_curves", "tracking_timeseries"]

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
PUBLISHED_MARKERS = ("*", "h", "X", "P", "d", "8")
LINESTYLES = ("-", "--", ":", "-.")


def _figure(width_in, height_in, caption=""):
    """A Figure with room for a wrapped caption at the bottom; returns (fig, caption height fraction)."""
    from matplotlib.figure import Figure

    lines = textwrap.wrap(caption, int(width_in * 17)) if caption else []
    cap_in = 0.12 * len(lines) + 0.08
    fig = Figure(figsize=(width_in, height_in + cap_in), dpi=100)
    if lines:
        fig.text(0.01, 0.02 / (height_in + cap_in), "\n".join(lines), ha="left", va="bottom", fontsize=7,
                 color="0.3", linespacing=1.2)
    return fig, cap_in / (height_in + cap_in)


def _caption(ds, extra="") -> str:
    parts = []
    if extra:
        parts.append(extra)
    if "reach_description" in ds.attrs:
        parts.append(f"Reach: {ds.attrs['reach_description']}.")
    if "start_utc" in ds.attrs:
        parts.append(f"Window {ds.attrs['duration_s'] / 3600:g} h from {ds.attrs['start_utc']} at "
                     f"{ds.attrs['step_s']:g} s steps.")
    if "model_limits" in ds.attrs:
        parts.append(f"Model limits: {ds.attrs['model_limits']}.")
    return " ".join(parts)


def _axes_with_caption(width_in, height_in, caption):
    fig, bottom = _figure(width_in, height_in, caption)
    top = 1.0 - 0.45 / fig.get_figheight()
    low = bottom + 0.55 / fig.get_figheight()
    ax = fig.add_axes((0.085, low, 0.58, top - low))
    return fig, ax


def _name(ds) -> str:
    """Constellation name with its size, unless the name already says it."""
    name = str(ds.attrs.get("constellation", ""))
    n = int(ds.attrs.get("satellites", 0))
    return name if f"{n:,}" in name else f"{name} ({n:,} satellites)"


def in_reach_timeseries(ds, *, k: int | None = None, sites=None, hours: float | None = None):
    """Number of SBIs in reach of each site over time.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`constellations.interceptors.reach_metrics` (with ``in_reach``).
    k : int, optional
        Salvo size drawn as a dashed line.
    sites : sequence of str, optional
        Sites to draw (default all, at most 8).
    hours : float, optional
        Show only the first ``hours`` of the window (default all).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if "in_reach" not in ds:
        raise ValueError("the Dataset has no 'in_reach' series; call reach_metrics(..., keep_counts=True)")
    names = list(ds["site"].values) if sites is None else list(sites)
    unknown = [s for s in names if s not in set(ds["site"].values)]
    if unknown:
        raise ValueError(f"sites {unknown} are not in the Dataset; it has {list(ds['site'].values)}")
    names = names[:8]
    t_h = ds["time_s"].values / 3600.0
    keep = slice(None) if hours is None else t_h <= hours
    caption = _caption(ds, "Each line: SBIs that could reach a missile launched from the site at that "
                           "moment.")
    fig, ax = _axes_with_caption(9.0, 4.2, caption)
    for i, name in enumerate(names):
        series = ds["in_reach"].sel(site=name).values
        mean = float(ds["in_reach_mean"].sel(site=name))
        low = int(ds["in_reach_min"].sel(site=name))
        ax.step(t_h[keep], series[keep], where="post", lw=0.9, color=OKABE_ITO[i % 7],
                label=f"{name} (mean {mean:.1f}, min {low})")
    if k is not None:
        ax.axhline(k, color="0.2", ls="--", lw=1.0, label=f"salvo k = {k}")
    ax.set_xlabel("hours from start (UTC)")
    ax.set_ylabel("SBIs in reach (count)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title(f"SBIs in reach over time: {_name(ds)}, reach '{ds.attrs.get('reach_name', '')}'",
                 fontsize=10, loc="left")
    return fig


def sizing_curves(sizing, published=None, *, title: str | None = None):
    """Constellation size needed vs salvo size k, per reach assumption and family, with published sizes.

    Parameters
    ----------
    sizing : xarray.Dataset
        From :func:`constellations.sizing.sizing_sweep`.
    published : sequence of dict, optional
        Default :data:`constellations.sizing.PUBLISHED_ESTIMATES`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.ticker import FuncFormatter

    from .sizing import PUBLISHED_ESTIMATES

    published = PUBLISHED_ESTIMATES if published is None else published
    df = sizing.to_dataframe().reset_index()
    df = df[df["n_required"] > 0]
    share = sizing.attrs.get("share", float("nan"))
    caption = (f"Smallest pattern-family member with at least k SBIs in reach of every site "
               f"({sizing.attrs.get('sites', '')}) "
               f"for {100 * share:g} % of {sizing.attrs.get('duration_s', 0) / 3600:g} h at "
               f"{sizing.attrs.get('step_s', 0):g} s steps. Walker sizes are verified against the next "
               "larger "
               "ladder members (non-monotone patterns). Published sizes rest on assumptions not public "
               "in full; markers show them at the salvo size they were quoted for (open: 'over' or "
               "'tens of thousands'). "
               "Model limits: engagement point above the launch site, straight-line flyout, one SBI per "
               "missile, no failures.")
    fig, ax = _axes_with_caption(9.0, 4.8, caption)
    reaches = list(dict.fromkeys(df["reach"]))  # colour and marker: reach assumption
    families = list(dict.fromkeys(zip(df["family"], df["altitude_km"], df["inclination_deg"], strict=True)))
    groups = df.groupby(["reach", "family", "altitude_km", "inclination_deg"], sort=False)
    for (reach, fam, alt, inc), g in groups:
        g = g.sort_values("k")
        i, j = reaches.index(reach), families.index((fam, alt, inc))  # line style: pattern family
        ax.plot(g["k"], g["n_required"], marker=MARKERS[i % len(MARKERS)], ms=4, lw=1.2,
                ls=LINESTYLES[j % len(LINESTYLES)], color=OKABE_ITO[i % 7],
                label=f"{reach} | {fam} {alt:g} km / {inc:g} deg")
    for j, est in enumerate(published):
        filled = est["n_low"] == est["n_high"]
        ax.scatter([est["k"]], [est["n_sat"]], s=70, marker=PUBLISHED_MARKERS[j % len(PUBLISHED_MARKERS)],
                   facecolors="0.15" if filled else "none", edgecolors="0.15", linewidths=1.2, zorder=5,
                   label=f"{est['estimate']}: {est['n_sat']:,}{'' if filled else '+'} (k = {est['k']})")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel("salvo size k (ICBMs from one site at once = SBIs needed in reach)")
    ax.set_ylabel("satellites needed (count)")
    ax.set_xticks(sorted(set(df["k"].astype(int))) or [1])
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title(title or "Space-based interceptors needed vs salvo size, by reach assumption", fontsize=10,
                 loc="left")
    return fig


def _raster(lat_deg, lon_deg, values, width_px=720):
    """Nearest-cell raster of a ring grid on a regular lon/lat image, shape (height, width)."""
    lat = np.asarray(lat_deg)
    lon = np.asarray(lon_deg)
    rings, inverse = np.unique(np.round(lat, 6), return_inverse=True)
    order = np.lexsort((lon, inverse))
    ring_sorted = inverse[order]
    starts = np.searchsorted(ring_sorted, np.arange(len(rings)))
    counts = np.bincount(inverse, minlength=len(rings))
    first_lon = lon[order][starts]
    height = width_px // 2
    plat = 90.0 - (np.arange(height) + 0.5) * 180.0 / height
    plon = -180.0 + (np.arange(width_px) + 0.5) * 360.0 / width_px
    spacing = np.median(np.diff(rings)) if len(rings) > 1 else 180.0
    j = np.clip(np.searchsorted(rings, plat), 1, len(rings) - 1) if len(rings) > 1 else np.zeros(height, int)
    if len(rings) > 1:
        j = np.where(np.abs(rings[j - 1] - plat) < np.abs(rings[j] - plat), j - 1, j)
    inside = np.abs(rings[j] - plat) <= spacing / 2 + 1e-9
    n = counts[j][:, None]
    step = 360.0 / n
    m = np.mod(np.round((plon[None, :] - first_lon[j][:, None]) / step), n).astype(int)
    img = np.asarray(values)[order][starts[j][:, None] + m]
    img = np.where(inside[:, None], img, np.nan)
    return img


def mean_in_reach_map(map_ds, *, sites=None, variable: str = "in_reach_mean", title: str | None = None):
    """World map of the mean (or minimum) number of SBIs in reach: where the layer is thin.

    Parameters
    ----------
    map_ds : xarray.Dataset
        From :func:`constellations.interceptors.mean_in_reach_map` on a ring grid.
    sites : list of ThreatSite, optional
        Launch sites to mark.
    variable : {"in_reach_mean", "in_reach_min"}

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .naturalearth import coastlines

    if variable not in map_ds:
        raise ValueError(f"variable must be one of 'in_reach_mean', 'in_reach_min', got {variable!r}")
    img = _raster(map_ds["lat_deg"].values, map_ds["lon_deg"].values, map_ds[variable].values.astype(float))
    caption = _caption(map_ds, f"Grid: {map_ds.attrs.get('grid', '')}. Plain longitude/latitude axes (not "
                               "equal-area). Zero where no satellite can reach (beyond the inclination + "
                               "reach).")
    fig, bottom = _figure(10.0, 5.6, caption)
    top = 1.0 - 0.4 / fig.get_figheight()
    low = bottom + 0.5 / fig.get_figheight()
    ax = fig.add_axes((0.06, low, 0.8, top - low))
    cax = fig.add_axes((0.885, low + 0.05, 0.018, top - low - 0.1))
    vmax = float(np.nanmax(img)) if np.isfinite(img).any() else 1.0
    im = ax.imshow(img, extent=(-180, 180, -90, 90), origin="upper", cmap="viridis", vmin=0.0,
                   vmax=max(vmax, 1.0), interpolation="nearest", aspect="equal")
    for line in coastlines():
        ax.plot(line[:, 0], line[:, 1], color="white", lw=0.5, alpha=0.9)
    if sites:
        ax.scatter([s.lon_deg for s in sites], [s.lat_deg for s in sites], marker="^", s=28,
                   facecolor=OKABE_ITO[1], edgecolor="black", lw=0.6, zorder=5, label="launch sites")
        ax.legend(loc="lower left", fontsize=7, framealpha=0.8)
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_xticks(range(-180, 181, 60))
    ax.set_yticks(range(-90, 91, 30))
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("latitude (deg)")
    label = "mean SBIs in reach (count)" if variable == "in_reach_mean" else "minimum SBIs in reach (count)"
    fig.colorbar(im, cax=cax, label=label)
    what = "Mean" if variable == "in_reach_mean" else "Minimum"
    reach_name = map_ds.attrs.get("reach_name", "")
    ax.set_title(title or f"{what} SBIs in reach: {_name(map_ds)}, reach '{reach_name}'",
                 fontsize=10, loc="left")
    return fig


def tracking_timeseries(ds, *, sites=None):
    """Sensor satellites seeing each launch area over time, with the stereo threshold.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`constellations.interceptors.tracking_metrics`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    names = list(ds["site"].values) if sites is None else list(sites)
    names = names[:8]
    m = int(ds.attrs.get("min_sensors", 2))
    caption = (f"A sensor sees a site above {ds.attrs.get('min_elevation_deg')} deg elevation. "
               f"Longest stretch with fewer than {m} in view per site in the legend. Window "
               f"{ds.attrs['duration_s'] / 3600:g} h at {ds.attrs['step_s']:g} s steps from "
               f"{ds.attrs['start_utc']}.")
    fig, ax = _axes_with_caption(9.0, 4.2, caption)
    t_h = ds["time_s"].values / 3600.0
    for i, name in enumerate(names):
        longest = float(ds["longest_below_min_s"].sel(site=name))
        ax.step(t_h, ds["sensors_in_view"].sel(site=name).values, where="post", lw=0.9,
                color=OKABE_ITO[i % 7], label=f"{name}: longest < {m} {longest / 60:.1f} min")
    ax.axhline(m, color="0.2", ls="--", lw=1.0, label=f"stereo: {m} sensors")
    ax.set_xlabel("hours from start (UTC)")
    ax.set_ylabel("sensor satellites in view (count)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title(f"Tracking layer over launch areas: {_name(ds)}", fontsize=10, loc="left")
    return fig
