"""The Golden Dome index page says what each figure shows; the tracking figure's threshold can be read.

The page is that of the shipped scenario in its fast mode (3 h at 30 s, as tests/test_sizing.py runs
it); the expected names (layer, sensor layers, sites and their countries) are read here from the
scenario file through the loader and the presets, not from the page's own code. The tracking figure
is drawn from counts made up in the test, one dense and one sparse sensor layer.
"""

import html
import os
import re

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest
import xarray as xr

from constellations.goldendome.figures import figure_kind, tracking_timeseries
from constellations.goldendome.run import run_scenario
from constellations.goldendome.scenario import load_sizing_scenario
from constellations.sources.presets import preset


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = tmp_path_factory.mktemp("gd") / "golden_dome_sizing"
    run_scenario("golden_dome_sizing", out, fast=True, serial=True)
    md = (out / "index.md").read_text(encoding="utf-8")
    page = (out / "index.html").read_text(encoding="utf-8")
    # "### heading", its one-line explanation, then the image: heading per file stem
    in_md = re.findall(r"### ([^\n]+)\n\n[^\n]+\n\n!\[[^\]]*\]\(([^)]+)\.png\)", md)
    in_html = re.findall(r'<figure><h3>([^<]*)</h3>\s*<img src="([^"]+)\.png"', page)
    headings = {stem: h for h, stem in in_md}
    h3 = {stem: html.unescape(h) for h, stem in in_html}
    return {"out": out, "md": headings, "html": h3, "stems": sorted(p.stem for p in out.glob("*.png")),
            "scenario": load_sizing_scenario("golden_dome_sizing", fast=True)}


def _md_plain(text):
    """Markdown heading text back to plain text (the page escapes Markdown punctuation)."""
    return re.sub(r"\\(.)", r"\1", text)


def test_every_figure_has_a_heading_on_both_pages_and_none_is_a_file_stem(page):
    assert set(page["md"]) == set(page["stems"]) == set(page["html"])
    for stem in page["stems"]:
        words = stem.replace("_", " ")
        for heading in (_md_plain(page["md"][stem]), page["html"][stem]):
            assert heading.lower() not in (stem.lower(), words.lower()), heading
            assert stem not in heading and len(heading) > 3 * len(words), heading
        assert _md_plain(page["md"][stem]) == page["html"][stem]


def test_headings_name_the_layer_the_sensor_layers_and_the_sites(page):
    s = page["scenario"]
    layer = preset(s.metrics.constellation).name
    countries = {site.country for site in s.sites}
    assert len(countries) > 1
    by_kind = {}
    for stem, heading in page["html"].items():
        by_kind.setdefault(figure_kind(stem), []).append((stem, heading))
    (_, reach_ts), = by_kind["in_reach_timeseries"]
    (_, reach_map), = by_kind["mean_in_reach_map"]
    for heading in (reach_ts, reach_map):
        assert layer in heading and s.metrics.figure_reach.name in heading
    assert f"{len(s.sites)} launch areas" in reach_ts and all(c in reach_ts for c in countries)
    tracking = sorted(by_kind["tracking_timeseries"])
    assert len(tracking) == len(s.tracking.sensors) == 2
    for (stem, heading), sensors in zip(tracking, s.tracking.sensors, strict=True):
        assert stem == f"tracking_{s.tracking.sensors.index(sensors) + 1}"
        assert sensors.name in heading and f"at least {s.tracking.min_sensors} sensors" in heading
        assert all(c in heading for c in countries)
    (_, sizing), = by_kind["sizing_curves"]
    assert all(site.name in sizing for site in s.sizing.sites) and "published" in sizing


def _tracking_ds(counts, min_sensors=2, step_s=30.0):
    """A tracking_metrics-shaped Dataset from counts of shape (n_time, n_site)."""
    counts = np.asarray(counts)
    below = counts < min_sensors
    sites = [f"site {i}" for i in range(counts.shape[1])]
    longest = []
    for j in range(counts.shape[1]):  # brute force: the longest run of steps below, seconds
        run = best = 0
        for b in below[:, j]:
            run = run + 1 if b else 0
            best = max(best, run)
        longest.append(best * step_s)
    return xr.Dataset(
        {"sensors_in_view": (("time", "site"), counts), "sensors_min": ("site", counts.min(axis=0)),
         "share_at_least_min": ("site", (~below).mean(axis=0)),
         "longest_below_min_s": ("site", np.asarray(longest))},
        coords={"site": sites, "time_s": ("time", step_s * np.arange(counts.shape[0]))},
        attrs={"constellation": "test layer", "satellites": 100, "min_sensors": min_sensors,
               "min_elevation_deg": 10.0, "start_utc": "2025-07-01T00:00:00Z",
               "duration_s": step_s * counts.shape[0], "step_s": step_s})


def test_a_threshold_on_the_x_axis_of_a_dense_layer_is_pointed_at_with_the_fewest_in_view():
    rng = np.random.default_rng(12)
    dense = rng.integers(190, 260, size=(120, 3))
    fig = tracking_timeseries(_tracking_ds(dense))
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert len(panels) == 3
    for ax, fewest in zip(panels, dense.min(axis=0), strict=True):
        notes = [t for t in ax.texts if hasattr(t, "xy")]  # annotations (with an arrow target)
        assert len(notes) == 1
        assert f"fewest in view {fewest}" in notes[0].get_text() and "2 needed" in notes[0].get_text()
        assert notes[0].xy[1] == 2  # the arrow ends on the threshold line (data units)
        assert ax.get_ylim()[0] <= 2 < 0.1 * ax.get_ylim()[1]


def test_a_threshold_that_can_be_read_on_its_axis_gets_no_arrow():
    rng = np.random.default_rng(13)
    sparse = rng.integers(0, 5, size=(120, 2))
    fig = tracking_timeseries(_tracking_ds(sparse))
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert len(panels) == 2 and all(not [t for t in ax.texts if hasattr(t, "xy")] for ax in panels)
    assert all(2 >= 0.1 * ax.get_ylim()[1] for ax in panels)
