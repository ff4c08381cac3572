"""Running a Golden Dome sizing scenario: in-reach metrics, map, sizing sweep, tracking, and their files.

:func:`run_sizing_scenario` takes a checked :class:`~constellations.goldendome.scenario.SizingScenario`
and writes NetCDF, CSV, Markdown and PNG outputs into a folder (every file atomically);
:func:`run_scenario` is the entry point of ``constellations run golden_dome_sizing``: it reads the
scenario, runs it and adds the run's ``index.md`` / ``index.html`` (:mod:`constellations.pages`).
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_text, relocate, staged_folder
from ..grid import global_grid
from ..pages import dataframe_rows, write_index
from ..plotting.style import save_figure
from ..result import save
from ..sources.presets import preset
from . import figures
from .counting import MODEL_LIMITS, mean_in_reach_map, reach_metrics, tracking_metrics
from .published import compare_published
from .scenario import SizingScenario, load_sizing_scenario
from .sizing import sizing_sweep

__all__ = ["run_scenario", "run_sizing_scenario"]


def _markdown_table(df, floatfmt: str = "{:,.3g}") -> str:
    """A DataFrame as a Markdown table: counts with thousands separators, floats to 3 digits."""
    cols = list(df.columns)

    def cell(v):
        if isinstance(v, float | np.floating):
            if not math.isfinite(v):
                return "inf" if v > 0 else ("-" if math.isnan(v) else "-inf")
            return floatfmt.format(v)
        if isinstance(v, int | np.integer):
            return f"{int(v):,}"
        return str(v)

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def _in_reach_rows(ds, reach_name: str, k_max: int) -> list[dict]:
    """One summary row per site of a :func:`reach_metrics` Dataset."""
    rows = []
    for i, site in enumerate(ds["site"].values):  # a handful of sites; the statistics are computed
        row = {"reach": reach_name, "site": str(site), "country": str(ds["country"].values[i]),
               "mean": float(ds["in_reach_mean"][i]), "min": int(ds["in_reach_min"][i])}
        for p in ds["percentile"].values:
            row[f"p{p:g}"] = int(ds["in_reach_percentile"].sel(percentile=p)[i])
        row["share_ge_1"] = float(ds["share_at_least"].sel(k=1)[i])
        row[f"share_ge_{k_max}"] = float(ds["share_at_least"].sel(k=k_max)[i])
        row["N_over_mean"] = float(ds["absentee_ratio_mean"][i])
        row["N_over_min"] = float(ds["absentee_ratio_min"][i])
        row["formula_mean"] = float(ds["expected_mean"][i])
        rows.append(row)
    return rows


def _layer_text(constellation) -> str:
    """A constellation's name with its size, unless the name already says it."""
    name, n = constellation.name, f"{len(constellation):,}"
    return name if n in name else f"{name} ({n} satellites)"


def _sites_text(sites) -> str:
    """``"10 launch areas in North Korea, Iran, Russia and China"`` or ``"Sohae (North Korea)"``."""
    if len(sites) == 1:
        return f"{sites[0].name} ({sites[0].country})"
    countries = list(dict.fromkeys(s.country for s in sites))
    where = countries[0] if len(countries) == 1 else ", ".join(countries[:-1]) + " and " + countries[-1]
    return f"{len(sites)} launch areas in {where}"


def run_sizing_scenario(scenario: SizingScenario, out_dir, *, scheduler: str | None = None,
                        serial: bool = False, n_workers: int = 2, progress: bool | None = None,
                        log=print) -> dict:
    """Run a loaded sizing scenario: in-reach metrics, map, sizing sweep (on Dask), tracking; write outputs.

    Parameters
    ----------
    scenario : SizingScenario
        From :func:`~constellations.goldendome.scenario.load_sizing_scenario`.
    out_dir : str or Path
        Folder for NetCDF, CSV, Markdown and PNG outputs (created; files written atomically).
    scheduler, serial, n_workers, progress
        Where the sizing tasks run (:func:`constellations.sweeps.map_tasks`).
    log : callable
        Receives progress lines (default ``print``).

    Returns
    -------
    dict
        ``written`` (list of paths), ``in_reach`` (DataFrame), ``sizing`` (Dataset), ``published``
        (DataFrame), ``tracking`` (DataFrame or None), ``sweep`` (SweepResult), ``titles`` (figure
        file stem -> heading saying what it shows for which layer and sites, for the index page).
    """
    import pandas as pd

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    start, duration_s, step_s = scenario.start, scenario.duration_s, scenario.step_s
    sites = list(scenario.sites)
    met = scenario.metrics
    layer = preset(met.constellation)
    rows, figure_ds = [], None
    titles: dict[str, str] = {}
    where = _sites_text(sites)
    t0 = time.perf_counter()
    for reach in scenario.reaches:
        ds = reach_metrics(layer, sites, reach, start, duration_s, step_s, k_max=met.k_max,
                           percentiles=met.percentiles)
        written.append(save(ds, out / f"in_reach_{reach.name}.nc"))
        if reach.name == met.figure_reach.name:
            figure_ds = ds
        rows += _in_reach_rows(ds, reach.name, met.k_max)
    in_reach = pd.DataFrame(rows)
    log(f"in-reach metrics for {layer.name} ({len(layer):,}) at {len(sites)} sites x "
        f"{len(scenario.reaches)} reach assumptions: {time.perf_counter() - t0:.1f} s")
    if figure_ds is None:
        figure_ds = reach_metrics(layer, sites, met.figure_reach, start, duration_s, step_s)
    written += save_figure(figures.in_reach_timeseries(figure_ds, k=met.k_max, hours=met.figure_hours),
                           out / "in_reach_timeseries")
    shown_h = min(met.figure_hours, duration_s / 3600)  # a short window is shown whole
    titles["in_reach_timeseries"] = (f"{_layer_text(layer)}: interceptors in reach of {where}, first "
                                     f"{shown_h:g} h (reach '{met.figure_reach.name}')")
    if scenario.map is not None:
        t0 = time.perf_counter()
        mp = scenario.map
        map_ds = mean_in_reach_map(layer, mp.reach, global_grid(spacing_deg=mp.spacing_deg), start,
                                   duration_s, mp.step_s)
        written.append(save(map_ds, out / "mean_in_reach_map.nc"))
        written += save_figure(figures.mean_in_reach_map(map_ds, sites=sites), out / "mean_in_reach_map")
        titles["mean_in_reach_map"] = (f"{_layer_text(layer)}: mean interceptors in reach of a launch "
                                       f"anywhere on Earth (reach '{mp.reach.name}')")
        log(f"mean-in-reach map ({len(map_ds['cell']):,} cells): {time.perf_counter() - t0:.1f} s")
    sz = scenario.sizing
    sizing, sweep = sizing_sweep(sz.ks, [dataclasses.asdict(r) for r in sz.reaches], sz.families,
                                 sites=list(sz.sites), share=sz.share, start=start, duration_s=duration_s,
                                 step_s=step_s, n_max=sz.n_max, scheduler=scheduler, n_workers=n_workers,
                                 serial=serial, progress=progress)
    log(sweep.report())
    written.append(save(sizing, out / "sizing.nc"))
    sizing_df = sizing.to_dataframe().reset_index()
    keep = ["k", "reach", "family", "altitude_km", "inclination_deg", "n_required", "planes",
            "sats_per_plane", "min_in_reach", "mean_in_reach", "share_achieved", "first_pass_n",
            "evaluations", "failed"]
    sizing_df = sizing_df[[c for c in keep if c in sizing_df]]
    published = compare_published(sizing)
    written += save_figure(figures.sizing_curves(sizing), out / "sizing_curves")
    titles["sizing_curves"] = (f"Walker layers needed for k interceptors in reach of "
                               f"{_sites_text(list(sz.sites))} {100 * sz.share:g} % of the time, next to "
                               "the published sizes")
    tracking_df = None
    if scenario.tracking is not None:
        tr_rows = []
        for i, sensors in enumerate(scenario.tracking.sensors):  # a few sensor layers
            tr = tracking_metrics(sensors, sites, start, duration_s, step_s,
                                  min_sensors=scenario.tracking.min_sensors)
            written += save_figure(figures.tracking_timeseries(tr), out / f"tracking_{i + 1}")
            titles[f"tracking_{i + 1}"] = (f"Stereo tracking of {where} (at least "
                                           f"{scenario.tracking.min_sensors} sensors in view) by "
                                           f"{_layer_text(sensors)}")
            tr_rows += [{"sensors": sensors.name, "satellites": len(sensors), "site": str(site),
                         "mean_in_view": float(tr["sensors_mean"][j]),
                         "min_in_view": int(tr["sensors_min"][j]),
                         "share_ge_min": float(tr["share_at_least_min"][j]),
                         "longest_below_min_s": float(tr["longest_below_min_s"][j])}
                        for j, site in enumerate(tr["site"].values)]
        tracking_df = pd.DataFrame(tr_rows)
    for name, df in (("in_reach_summary", in_reach), ("sizing", sizing_df),
                     ("sizing_vs_published", published), ("tracking", tracking_df)):
        if df is not None:
            written.append(atomic_write_text(out / f"{name}.csv", df.to_csv(index=False)))
    md = [f"# {scenario.name}", "", scenario.description, "",
          f"Window: {duration_s / 3600:g} h from {start} at {step_s:g} s steps. "
          f"Model limits: {MODEL_LIMITS}.",
          "", "## Reach assumptions", ""]
    md += [f"- **{r.name}**: {r.describe()}. {r.note}" for r in scenario.reaches]
    md += ["", f"## SBIs of {layer.name} ({len(layer):,}) in reach", "", _markdown_table(in_reach), "",
           f"## Sizing (sites: {sizing.attrs['sites']}; {100 * sz.share:g} % of the time)", "",
           _markdown_table(sizing_df), "", "## Next to the published estimates", "",
           _markdown_table(published.drop(columns=["published_text"])) if len(published) else "(no sizes)",
           ""]
    if tracking_df is not None:
        md += [f"## Tracking layer (>= {scenario.tracking.min_sensors} sensors in view)", "",
               _markdown_table(tracking_df), ""]
    md += [f"Sizing sweep: {sweep.report()}", ""]
    written.append(atomic_write_text(out / "summary.md", "\n".join(md)))
    return {"written": written, "in_reach": in_reach, "sizing": sizing, "published": published,
            "tracking": tracking_df, "sweep": sweep, "titles": titles}


def run_scenario(path_or_name="golden_dome_sizing", out_dir="results/golden_dome_sizing", *,
                 fast: bool = False, serial: bool = False, scheduler: str | None = None,
                 n_workers: int = 2, formats=None, progress: bool | None = None) -> dict:
    """Run a Golden Dome sizing scenario and write its results, figures and an index.

    Parameters
    ----------
    path_or_name : str or path
        Sizing scenario (``kind = "golden_dome_sizing"``): a file or a shipped scenario's name.
    out_dir : path
        Output folder; ``index.md`` and ``index.html`` are written last.
    fast, serial, scheduler, n_workers, progress
        See :func:`~constellations.goldendome.scenario.load_sizing_scenario` and
        :func:`run_sizing_scenario`.
    formats : sequence of str, optional
        Accepted for the command's sake; figures are written as PNG.

    Returns
    -------
    dict
        As :func:`run_sizing_scenario`.
    """
    target = Path(out_dir)
    scenario = load_sizing_scenario(path_or_name, fast=fast)
    with staged_folder(target, what="golden dome sizing") as out:  # preflight and lock before the run
        run = run_sizing_scenario(scenario, out, scheduler=scheduler, serial=serial, n_workers=n_workers,
                                  progress=progress, log=lambda line: None)
        pngs = [Path(p) for p in run["written"] if str(p).endswith(".png")]
        tables = [("Sizes next to the published estimates", dataframe_rows(run["published"])),
                  ("SBIs of the layer in reach, per site and reach assumption",
                   dataframe_rows(run["in_reach"]))]
        write_index(out, title=f"Golden Dome sizing: {scenario.name}", description=scenario.description,
                    caption=(f"{scenario.duration_s / 3600:g} h from {scenario.start} at "
                             f"{scenario.step_s:g} s steps"),
                    figures={p.stem: [p] for p in pngs},
                    data_files=[p for p in run["written"] if p not in pngs], tables=tables,
                    note="Every reach assumption and its source: summary.md and "
                         "constellations/data/threats.toml.", captions=figures.GOLDEN_DOME_FIGURE_CAPTIONS,
                    titles=run["titles"])
    return relocate(run, out, target)
