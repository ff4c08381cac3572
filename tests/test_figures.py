"""Checks of constellations.plotting: projection math, what the maps show, and the files written.

The results are tiny analyses (15 deg grid, 2 hours at 300 s) so the whole file runs in seconds.
"""

import math
import os
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
