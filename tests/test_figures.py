"""Checks of constellations.plotting: projection math, what the maps show, and the files written.

The results are tiny analyses (15 deg grid, 2 hours at 300 s) so the whole file runs in seconds.
"""

import math
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure

import constellations as cs
from constellations import plotting as F
from constellations.plotting.style import format_duration_s

REPO_ROOT = Path(__file__).resolve().parent.parent
START = "2025-07-01T00:00:00Z"

# Equal Earth constants as printed in Šavrič, Patterson & Jenny (2018), Table 1, typed in here
# independently of the module.
PAPER_A = (1.340264, -0.081106, 0.000893, 0.003796)


@pytest.fixture(scope="module")
def results():
    grid = cs.global_grid(15.0)
    delta = cs.walker_delta(60, 6, 1, 550.0, 53.0, name="delta 60")
    star = cs.walker_star(48, 6, 1, 780.0, 86.4, name="star 48")
    return [cs.analyze(c, grid, START, 7200.0, 300.0, progress=False) for c in (delta, star)]


@pytest.fixture(scope="module")
def city_results():
    grid = cs.city_grid(["Berlin", "Washington", "Pyongyang"])
    delta = cs.walker_delta(60, 6, 1, 550.0, 53.0, name="delta 60")
    star = cs.walker_star(48, 6, 1, 780.0, 86.4, name="star 48")
    return [cs.analyze(c, grid, START, 7200.0, 300.0, progress=False) for c in (delta, star)]


def _png_size(path):
    head = Path(path).read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


# --------------------------------------------------------------------------- projection


def test_equal_earth_against_paper_formula():
    a1, a2, a3, a4 = PAPER_A
    # equator at lon 180: theta = 0, x = 2 sqrt(3) pi / (3 A1)
    x, y = F.equal_earth(180.0, 0.0)
    assert x == pytest.approx(2 * math.sqrt(3) * math.pi / (3 * a1), rel=1e-12)
    assert x == pytest.approx(2.7066, abs=5e-5)
    assert y == 0.0
    # pole: theta = asin(sqrt(3)/2) = pi/3, y = A1 t + A2 t^3 + A3 t^7 + A4 t^9, x = 0 at lon 0
    t = math.pi / 3
    x, y = F.equal_earth(0.0, 90.0)
    assert y == pytest.approx(a1 * t + a2 * t**3 + a3 * t**7 + a4 * t**9, rel=1e-12)
    assert y == pytest.approx(1.31736, abs=5e-6)
    assert x == 0.0
    # a general point, by the paper's formula written out here
    lam, phi = math.radians(-75.0), math.radians(40.0)
    th = math.asin(math.sqrt(3) / 2 * math.sin(phi))
    x_ref = 2 * math.sqrt(3) * lam * math.cos(th) / (3 * (9 * a4 * th**8 + 7 * a3 * th**6
                                                          + 3 * a2 * th**2 + a1))
    y_ref = a4 * th**9 + a3 * th**7 + a2 * th**3 + a1 * th
    x, y = F.equal_earth(-75.0, 40.0)
    assert (x, y) == pytest.approx((x_ref, y_ref), rel=1e-12)
    # symmetric in both axes
    assert F.equal_earth(-75.0, -40.0) == pytest.approx((x_ref, -y_ref), rel=1e-12)


def test_equal_earth_is_equal_area():
    # the outline encloses the whole sphere, 4 pi (unit radius): shoelace area of the boundary
    lat = np.linspace(-90, 90, 20001)
    xr, yr = F.equal_earth(np.full_like(lat, 180.0), lat)
    x = np.concatenate([xr, -xr[::-1]])
    y = np.concatenate([yr, yr[::-1]])
    area = 0.5 * abs(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
    assert area == pytest.approx(4 * math.pi, rel=1e-6)
    # a 1 x 1 deg box at 60 N maps to its true area cos(lat) dlat dlon (a quadrilateral, ~1e-5 error)
    for lat0 in (0.0, 30.0, 60.0, 80.0):
        lo = np.array([10.0, 11.0, 11.0, 10.0])
        la = np.array([lat0, lat0, lat0 + 1.0, lat0 + 1.0])
        px, py = F.equal_earth(lo, la)
        quad = 0.5 * abs(np.sum(px * np.roll(py, -1) - np.roll(px, -1) * py))
        true = np.radians(1.0) * (math.sin(math.radians(lat0 + 1)) - math.sin(math.radians(lat0)))
        assert quad == pytest.approx(true, rel=2e-3)


def test_equal_earth_inverse_round_trip_and_outside():
    rng = np.random.default_rng(3)
    lon = rng.uniform(-180, 180, 2000)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, 2000)))
    lon2, lat2 = F.equal_earth_inverse(*F.equal_earth(lon, lat))
    assert np.max(np.abs(lon2 - lon)) < 1e-8
    assert np.max(np.abs(lat2 - lat)) < 1e-8
    lon3, lat3 = F.equal_earth_inverse([2.72, 0.0, 2.6], [0.0, 1.4, 1.0])
    assert np.isnan(lon3).all() and np.isnan(lat3).all()  # beyond the outline


# --------------------------------------------------------------------------- maps


def test_map_image_shows_each_cell_value(results):
    # every cell centre, projected, must land on a pixel showing that cell's value (exact ring lookup)
    ds = results[0]
    fig = F.maps([ds], "coverage_time_fraction", log=False)
    ax = fig.axes[0]
    img = ax.images[0]
    data = img.get_array()
    x0, x1, y0, y1 = img.get_extent()
    x, y = F.equal_earth(ds["lon_deg"].values, ds["lat_deg"].values)
    ix = np.floor((x - x0) / (x1 - x0) * data.shape[1]).astype(int)
    iy = np.floor((y - y0) / (y1 - y0) * data.shape[0]).astype(int)
    shown = data[iy, ix]
    never = ds["never_covered"].values
    want = 100.0 * ds["coverage_time_fraction"].values
    assert np.ma.getmaskarray(shown)[never].all()  # never covered: drawn by the hatched overlay
    np.testing.assert_allclose(np.ma.getdata(shown)[~never], want[~never], rtol=0, atol=1e-9)
    assert isinstance(img.norm, Normalize) and not isinstance(img.norm, LogNorm)
    assert (img.norm.vmin, img.norm.vmax) == (0.0, 100.0)


def test_revisit_maps_use_log_scale_in_minutes(results):
    fig = F.maps(results, "revisit_max_s")
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2
    assert all(isinstance(im.norm, LogNorm) for im in images)
    assert images[0].norm is images[1].norm or (images[0].norm.vmin, images[0].norm.vmax) == (
        images[1].norm.vmin, images[1].norm.vmax)
    cbar_labels = [ax.get_xlabel() for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert cbar_labels == ["longest gap (max revisit) (min)"]
    # the scale spans the covered cells' values, in minutes
    vals = np.concatenate([ds["revisit_max_s"].values[~ds["never_covered"].values] for ds in results])
    vals = vals[np.isfinite(vals) & (vals > 0)] / 60.0
    assert images[0].norm.vmin == pytest.approx(vals.min())
    assert images[0].norm.vmax == pytest.approx(vals.max())
    # log can be switched off
    lin = F.maps(results, "revisit_max_s", log=False)
    assert not isinstance(lin.axes[0].images[0].norm, LogNorm)


def test_never_covered_legend_and_caption(results):
    never = [bool(ds["never_covered"].values.any()) for ds in results]
    assert any(never)  # the 60-satellite delta at 53 deg leaves the poles uncovered
    fig = F.maps(results, "coverage_time_fraction", caption="test scenario")
    legend_texts = [t.get_text() for sub in fig.subfigs for leg in sub.legends for t in leg.get_texts()]
    assert "never covered" in legend_texts
    texts = " ".join(t.get_text() for sub in fig.subfigs for t in sub.texts)
    for want in ("test scenario", "delta 60: 60 satellites", "star 48: 48 satellites",
                 "min elevation 25 deg", "2 h at 300 s steps", "optimistic", "global 15 deg"):
        assert want in texts


def test_bad_variable_messages(results):
    with pytest.raises(ValueError, match=r"allowed:.*coverage_time_fraction"):
        F.maps(results, "no_such_variable")
    with pytest.raises(ValueError, match=r"ds\.sel\(percentile="):
        F.maps(results, "revisit_percentile_s")
    fig = F.maps([ds.sel(percentile=95.0) for ds in results], "revisit_percentile_s")
    assert isinstance(fig.axes[0].images[0].norm, LogNorm)
    with pytest.raises(ValueError, match="empty"):
        F.maps([], "coverage_time_fraction")


# --------------------------------------------------------------------------- other figures


def test_latitude_profile_is_the_weighted_ring_mean(results):
    fig = F.latitude_profiles(results, variables=("coverage_time_fraction",))
    line = fig.axes[0].lines[0]
    ds = results[0]
    lat = ds["lat_deg"].values
    v, w = ds["coverage_time_fraction"].values, ds["weight"].values
    rings = sorted(set(lat.tolist()))
    want = [100.0 * np.sum(v[lat == r] * w[lat == r]) / np.sum(w[lat == r]) for r in rings]
    np.testing.assert_allclose(line.get_ydata(), rings)
    np.testing.assert_allclose(line.get_xdata(), want, rtol=1e-12)
    assert fig.axes[0].get_ylabel() == "latitude (deg)"


def test_revisit_cdf_reaches_the_defined_share(results):
    fig = F.revisit_cdf(results)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel().endswith("(min)")
    for ds, line in zip(results, ax.lines[:2], strict=True):
        y = np.asarray(line.get_ydata())
        assert np.all(np.diff(y) >= -1e-12)
        v, w = ds["revisit_max_s"].values, ds["weight"].values
        assert y[-1] == pytest.approx(100.0 * w[np.isfinite(v)].sum() / w.sum())
        # share with value <= 30 min, read off the step curve
        x = np.asarray(line.get_xdata())
        at = y[np.searchsorted(x, 30.0, side="right") - 1]
        assert at == pytest.approx(100.0 * w[v <= 1800.0].sum() / w.sum())


def test_city_visibility_lines_are_the_counts(city_results):
    fig = F.city_visibility(city_results)
    titles = [ax.get_title() for ax in fig.axes]
    assert any(t.startswith("Berlin") for t in titles)
    assert any(t.startswith("Pyongyang") for t in titles)
    ax = next(ax for ax in fig.axes if ax.get_title().startswith("Pyongyang"))
    names = list(city_results[1]["name"].values)
    want = city_results[1]["visible_count"].values[:, names.index("Pyongyang")]
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), want)
    with pytest.raises(ValueError, match="keep_counts"):
        F.city_visibility([ds.drop_vars("visible_count") for ds in city_results])


def test_every_figure_function_returns_a_figure(results, city_results):
    figs = [
        F.maps(results, "visible_mean"),
        F.latitude_profiles(results),
        F.revisit_cdf(results),
        F.coverage_timeseries(results),
        F.city_visibility(city_results),
        F.dashboard(results),
        F.dashboard(results, city_results, caption="with cities"),
    ]
    assert all(isinstance(f, Figure) for f in figs)
    ts = figs[3]
    assert ts.axes[-1].get_xlabel() == "time (UTC)"


def test_figures_do_not_load_pyplot():
    code = (
        "import sys, constellations as cs, constellations.plotting as F; "
        "assert 'matplotlib' not in sys.modules; "
        "ds = cs.analyze(cs.walker_delta(24, 3, 1, 550.0, 53.0), cs.global_grid(30.0), "
        "'2025-07-01', 1800.0, 300.0, progress=False); "
        "F.maps([ds], 'coverage_time_fraction'); "
        "assert 'matplotlib.pyplot' not in sys.modules"
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True, env=env)


# --------------------------------------------------------------------------- files


def test_draw_figures_writes_pngs_of_the_right_size(results, city_results, tmp_path):
    names = ["coverage_map", "revisit_max_map", "revisit_cdf", "city_visibility"]
    written = F.draw_figures(results, tmp_path, names, city_results=city_results, dpi=50)
    assert set(written) == set(names)
    for name, paths in written.items():
        assert paths == [tmp_path / f"{name}.png"]
        fig = F.FIGURES[name](results, city_results=city_results)
        w_in, h_in = fig.get_size_inches()
        assert abs(w_in * 50 - round(w_in * 50)) < 1e-6 and abs(h_in * 50 - round(h_in * 50)) < 1e-6
        assert _png_size(paths[0]) == (round(w_in * 50), round(h_in * 50))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left
    # city_visibility is skipped when there are no city results
    again = F.draw_figures(results, tmp_path / "b", ["coverage_map", "city_visibility"], dpi=30,
                           formats=("png", "svg"))
    assert list(again) == ["coverage_map"]
    assert [p.suffix for p in again["coverage_map"]] == [".png", ".svg"]
    assert again["coverage_map"][1].read_text().lstrip().startswith("<?xml")


def test_draw_figures_default_is_every_figure(results, tmp_path):
    written = F.draw_figures(results, tmp_path, dpi=20)
    assert set(written) == set(F.FIGURES) - {"city_visibility"}
    assert all(p.stat().st_size > 1000 for paths in written.values() for p in paths)


def test_unknown_figure_name_and_format(results, tmp_path):
    with pytest.raises(ValueError) as err:
        F.draw_figures(results, tmp_path, ["coverage_map", "pie_chart"])
    msg = str(err.value)
    assert "pie_chart" in msg and "coverage_map" in msg and "dashboard" in msg
    fig = F.revisit_cdf(results)
    with pytest.raises(ValueError, match="formats"):
        F.save_figure(fig, tmp_path / "x", formats=("gif",))
    path = F.save_figure(fig, tmp_path / "name.with.dots", dpi=40)[0]
    assert path.name == "name.with.dots.png"


# --------------------------------------------------------------------------- issue 12: honest figures


def _texts(fig):
    """Every text drawn on a figure (titles, labels, ticks, legends, tables, captions)."""
    from matplotlib.text import Text

    texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
    cells = [c.get_text().get_text() for ax in fig.axes for tab in ax.tables
             for c in tab.get_celld().values()]
    return texts + [t for t in cells if t]


def _with(ds, **values):
    """A copy of a result with some per-cell variables replaced (the rest unchanged)."""
    out = ds.copy()
    for name, v in values.items():
        out[name] = (ds[name].dims, np.broadcast_to(v, ds[name].shape).copy(), ds[name].attrs)
    return out


def test_synthetic_layouts_are_labelled(results):
    ds = results[0].copy()
    ds.attrs = {**ds.attrs, "constellation": "Kuiper mid-2025 (78)",
                "constellation_description": "assumption: synthetic stand-in, 3 planes x 26"}
    fig = F.maps([ds, results[1]], "coverage_time_fraction")
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert "Kuiper mid-2025 (78) [synthetic layout]" in titles
    assert "star 48" in titles  # a real pattern is not flagged
    assert any("[synthetic layout]: 60 satellites" in t for t in _texts(fig))  # and in the caption


def test_dashboard_numbers_are_over_covered_cells_and_never_covered_in_words(results):
    ds = results[0]  # 60 satellites at 53 deg: polar caps never covered
    never = ds["never_covered"].values.astype(bool)
    assert never.any() and not never.all()
    w = ds["weight"].values
    got = F.coverage_figures.headline_numbers(ds)
    # brute force: plain loops over the covered cells
    num = den = 0.0
    longest = 0.0
    for k in range(ds.sizes["cell"]):
        if not never[k]:
            num += w[k] * ds["mean_response_time_s"].values[k]
            den += w[k]
            longest = max(longest, ds["revisit_max_s"].values[k])
    assert got["mean_response_time_s"] == pytest.approx(num / den, rel=1e-12)
    assert got["revisit_max_s"] == longest
    assert longest < float(ds.attrs["duration_s"])  # the window length belongs to never-covered cells
    assert got["never_covered"] == pytest.approx(w[never].sum() / w.sum())
    texts = _texts(F.dashboard(results))
    assert "area never covered" in texts
    assert format_duration_s(longest) in texts
    joined = " ".join(texts)
    assert "e+" not in joined and "e-0" not in joined  # no 1.44e+03 or 1.14e-06 anywhere
    # a constellation that covers nothing reads "never covered", not a number
    window_s = float(ds.attrs["duration_s"])
    dead = _with(ds, coverage_time_fraction=0.0, never_covered=True, revisit_max_s=window_s,
                 mean_response_time_s=window_s / 2)
    dead.attrs = {**dead.attrs, "constellation": "dead"}
    numbers = F.coverage_figures.headline_numbers(dead)
    assert F.coverage_figures._gap_text(numbers, "revisit_max_s") == "never covered"


def test_uniform_panels_are_left_out_and_named(results):
    always = _with(results[1], revisit_max_s=0.0, never_covered=False, coverage_time_fraction=1.0)
    always.attrs = {**always.attrs, "constellation": "always"}
    fig = F.maps([results[0], always], "revisit_max_s")
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["delta 60"]
    assert any("always: no gap: always in view where covered" in t for t in _texts(fig))
    # a single result is always drawn, even when uniform
    assert [ax.get_title() for ax in F.maps([always], "revisit_max_s").axes if ax.get_title()] == ["always"]
    # the coverage map keeps a panel whose never-covered caps are the information
    assert F.coverage_figures.uninformative_reason(results[0], "coverage_time_fraction") is None
    assert "100 %" in F.coverage_figures.uninformative_reason(always, "coverage_time_fraction")


def test_counts_that_differ_a_lot_get_their_own_colour_scales(results):
    big = _with(results[1], visible_mean=results[1]["visible_mean"].values * 40.0)
    big.attrs = {**big.attrs, "constellation": "big"}
    fig = F.maps([results[0], big], "visible_mean")
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2
    assert images[0].norm.vmax == pytest.approx(float(results[0]["visible_mean"].max()))
    assert images[1].norm.vmax == pytest.approx(float(big["visible_mean"].max()))
    assert len([ax for ax in fig.axes if ax.get_label() == "<colorbar>"]) == 2
    # similar panels share one scale
    shared = F.maps(results, "visible_mean")
    assert len([ax for ax in shared.axes if ax.get_label() == "<colorbar>"]) == 1


def test_log_axes_never_drop_zero_values(results):
    zero = _with(results[1], revisit_mean_s=0.0, never_covered=False)
    zero.attrs = {**zero.attrs, "constellation": "always"}
    fig = F.latitude_profiles([results[0], zero], variables=("revisit_mean_s",))
    ax = fig.axes[0]
    line = next(ln for ln in ax.lines if ln.get_label() == "always")
    x = np.asarray(line.get_xdata(), dtype=float)
    rings = np.unique(np.round(zero["lat_deg"].values, 6))
    assert np.isfinite(x).sum() == rings.size  # every ring drawn, at the zero position
    lo = ax.get_xlim()[0]
    assert ax.get_xscale() == "log" and lo < x.min() == x.max()
    assert "0" in [t.get_text() for t in ax.xaxis.get_minorticklabels()]
    # CDF: the always-in-view constellation starts at 100 % from the zero position
    cdf = F.revisit_cdf([results[0], zero], "revisit_mean_s").axes[0]
    step = next(ln for ln in cdf.lines if ln.get_label().startswith("always"))
    assert np.asarray(step.get_ydata())[0] == pytest.approx(100.0)
    assert "0" in [t.get_text() for t in cdf.xaxis.get_minorticklabels()]


def test_count_axes_have_integer_ticks(city_results):
    fig = F.city_visibility(city_results)
    for ax in fig.axes:
        if ax.get_ylabel() == "satellites in view":
            ticks = ax.yaxis.get_major_locator().tick_values(*ax.get_ylim())
            assert np.all(np.asarray(ticks) == np.round(ticks))


def test_nfold_map_picks_a_level_that_tells_them_apart(results):
    import xarray as xr

    def with_levels(ds, fractions):
        # nfold levels 1, 2, 4 with prescribed per-cell shares of time
        frac = xr.DataArray(np.stack(fractions, axis=1), dims=("cell", "nfold"), attrs={"units": "1"})
        return ds.drop_vars(["nfold_time_fraction", "nfold"]).assign_coords(nfold=[1, 2, 4]).assign(
            nfold_time_fraction=frac)

    rng = np.random.default_rng(1)
    n = results[0].sizes["cell"]
    a = with_levels(results[0], [np.ones(n), rng.uniform(0.2, 1.0, n), np.zeros(n)])
    b = with_levels(results[1], [np.ones(n), np.ones(n), rng.uniform(0.0, 0.5, n)])
    a = _with(a, never_covered=False)
    b = _with(b, never_covered=False)
    # level 1: both 100 % (uninformative); level 2: a varies, b is 100 %; level 4: a is 0, b varies
    assert F.coverage_figures.nfold_level([a, b]) in (2, 4)
    c = with_levels(results[1], [np.ones(n), rng.uniform(0.1, 0.9, n), rng.uniform(0.0, 0.5, n)])
    c = _with(c, never_covered=False)
    assert F.coverage_figures.nfold_level([a, c]) == 2  # both panels vary at level 2 only
    fig = F.nfold_map([a, c])
    assert any("at least 2 satellites" in t for t in _texts(fig))


def test_country_maps_draw_borders(results):
    ds = results[0]
    keep = np.flatnonzero((np.abs(ds["lat_deg"].values - 45) < 20) & (np.abs(ds["lon_deg"].values) < 40))
    regional = ds.isel(cell=keep).assign_attrs(grid="box over Europe")
    fig = F.maps([regional], "coverage_time_fraction")
    grey_thin = [ln for ln in fig.axes[0].lines if ln.get_gid() == "country_borders"]
    assert grey_thin, "a regional map draws the country borders"
    world = F.maps([ds], "coverage_time_fraction")
    assert not [ln for ln in world.axes[0].lines if ln.get_gid() == "country_borders"]


def test_scenario_caption_and_figure_footer_do_not_repeat_the_window(results):
    cap = ("Scenario test: 2 h at 300 s steps from 2025-07-01 00:00 UTC; grid global 15 deg "
           "equal-area; optimistic edge gaps")
    strip = F.maps(results, "coverage_time_fraction", caption=cap).subfigs[-1]  # the caption strip
    texts = " ".join(x.get_text() for x in strip.texts)
    assert texts.count("300 s steps") == 1 and texts.count("2025-07-01") == 1
    assert texts.count("global 15 deg") == 1


def _site_series(n_site=10, n_time=97, seed=2):
    """A hand-made Golden Dome result: 10 sites, counts over 24 h at 15 min (no analysis needed)."""
    import xarray as xr

    rng = np.random.default_rng(seed)
    sites = [f"site {i}" for i in range(n_site)]
    counts = rng.integers(0, 5, size=(n_site, n_time))
    attrs = {"constellation": "Golden Dome (16,000)", "satellites": 16000, "start_utc": START,
             "duration_s": 86400.0, "step_s": 900.0, "reach_name": "solid-4kms",
             "reach_description": "flyout 4 km/s", "model_limits": "straight-line flyout",
             "min_sensors": 2, "min_elevation_deg": "per satellite"}
    longest = np.array([900.0 * max((len(r) for r in "".join("x" if c < 2 else " " for c in row).split()),
                                    default=0) for row in counts])
    return xr.Dataset({"in_reach": (("site", "time"), counts), "sensors_in_view": (("site", "time"), counts),
                       "in_reach_mean": ("site", counts.mean(axis=1)),
                       "in_reach_min": ("site", counts.min(axis=1)),
                       "longest_below_min_s": ("site", longest),
                       "share_at_least_min": ("site", (counts >= 2).mean(axis=1))},
                      coords={"site": sites, "time_s": ("time", 900.0 * np.arange(n_time))}, attrs=attrs)


def test_tracking_panels_shade_the_exact_stretches_when_the_dataset_has_them():
    from matplotlib.collections import PolyCollection

    from constellations.goldendome import figures as gd

    ds = _site_series()
    ds = ds.assign(below_min_site=("stretch", ["site 0", "site 0", "site 3"]),
                   below_min_start_s=("stretch", [600.0, 7200.0, 0.0]),
                   below_min_end_s=("stretch", [1500.0, 9000.0, 86400.0]))
    fig = gd.tracking_timeseries(ds)
    spans = {}
    for ax in fig.axes:
        name = ax.get_title().split("\n")[0]
        bars = [c for c in ax.collections if isinstance(c, PolyCollection) and c.get_zorder() == 0]
        spans[name] = sorted((round(p.vertices[:, 0].min(), 6), round(p.vertices[:, 0].max(), 6))
                             for c in bars for p in c.get_paths())
    assert spans["site 0"] == [(round(600.0 / 3600, 6), round(1500.0 / 3600, 6)), (2.0, 2.5)]  # hours
    assert spans["site 3"] == [(0.0, 24.0)]
    assert spans["site 1"] == []  # no stretch below: nothing shaded, whatever the sampled counts say


def test_golden_dome_series_show_every_site_in_its_own_panel_and_words_that_read():
    from constellations.goldendome import figures as gd

    ds = _site_series()
    for fig in (gd.in_reach_timeseries(ds, k=2), gd.tracking_timeseries(ds)):
        panels = [ax for ax in fig.axes if ax.get_title().startswith("site ")]
        assert sorted(ax.get_title().split("\n")[0] for ax in panels) == sorted(ds["site"].values)  # all 10
        colours = {ln.get_color() for ax in panels for ln in ax.lines if ln.get_linestyle() == "-"}
        assert colours == {F.constellation_colour("Golden Dome (16,000)")}  # the layer's identity colour
        for ax in panels:
            ticks = ax.yaxis.get_major_locator().tick_values(*ax.get_ylim())
            assert np.all(np.asarray(ticks) == np.round(ticks))  # never 0.5 or 1.5 satellites
        text = " ".join(_texts(fig))
        assert "per satellite deg" not in text and "< 2 " not in text
        assert not re.search(r"\d \d", text.replace("16,000", ""))  # no "2 6.3 min" run-together numbers
    tracking = " ".join(_texts(gd.tracking_timeseries(ds)))
    assert "above each sensor satellite's own minimum elevation" in tracking
    # the title of each tracking panel states the longest stretch below the threshold in words
    t0 = next(ax.get_title() for ax in gd.tracking_timeseries(ds).axes if ax.get_title().startswith("site 0"))
    assert t0.endswith(format_duration_s(float(ds["longest_below_min_s"][0])))
