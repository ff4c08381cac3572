"""Constellation sizing: the pattern ladders, monotonicity, the search's answer, the scenario and script.

Windows are short (1-3 h at 60 s) to keep the file fast; the checks recompute every claim of the
search (passes, fails, monotone) with the in-reach counter directly.
"""

import dataclasses
import importlib.util
import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest
import xarray as xr

from constellations import goldendome as gd
from constellations.goldendome import (
    PatternFamily,
    compare_published,
    evaluate_member,
    load_sizing_scenario,
    run_sizing_scenario,
    size_constellation,
    sizing_task,
)
from constellations.sources.datafiles import data_dir

START = "2025-07-01T00:00:00Z"
SITES = gd.threat_sites(["Sohae", "Semnan (Imam Khomeini)"])
GROUND = gd.ReachModel("ground-700", "ground", ground_range_km=700.0)
WINDOW = {"start": START, "duration_s": 3 * 3600.0, "step_s": 60.0}


def test_ladder_is_p_by_p_or_p_plus_one_and_strictly_increasing():
    fam = PatternFamily("walker", 400.0, 50.0)
    shapes = [fam.planes_sats(j) for j in range(400)]
    assert all(s in (p, p + 1) for p, s in shapes)
    totals = np.array([fam.total(j) for j in range(400)])
    assert np.all(np.diff(totals) > 0)
    for n in (1, 2, 3, 7, 1600, 1601, 7800, 16000):
        j = fam.index_at_least(n)
        assert totals[j] >= n and (j == 0 or totals[j - 1] < n)
    member = fam.member(fam.index_at_least(1600))
    assert len(member) == 1600 and member.shells[0].planes == 40 and member.shells[0].phasing == 1


def test_nested_members_contain_each_other():
    fam = PatternFamily("nested", 400.0, 50.0)
    for j in (10, 11, 25):
        small, big = fam.member(j).elements(), fam.member(j + 1).elements()
        pairs_small = set(zip(np.round(small.raan_rad, 12), np.round(small.arg_latitude_rad, 12),
                              strict=True))
        pairs_big = set(zip(np.round(big.raan_rad, 12), np.round(big.arg_latitude_rad, 12), strict=True))
        assert pairs_small < pairs_big


def test_more_satellites_never_reduce_the_minimum_in_reach_for_the_nested_family():
    fam = PatternFamily("nested", 400.0, 50.0)
    reach = gd.reach_model("solid-4kms")
    previous = None
    for j in range(40, 90, 2):  # 441 .. 2070 satellites, all counts recomputed from scratch
        counts = gd.in_reach_counts(fam.member(j), SITES, reach, START, 3 * 3600.0, 60.0)
        if previous is not None:
            # nested: every count at every time is at least the smaller member's (hence min and shares too)
            assert np.all(counts >= previous)
        previous = counts
    assert previous.mean() > 2  # the range tested reaches the interesting regime (several in reach)


def test_walker_ladder_is_not_monotone_which_is_why_the_search_verifies():
    # documented behaviour, not a wish: a larger Walker member can have a lower minimum in reach
    fam = PatternFamily("walker", 400.0, 50.0)
    mins = [gd.in_reach_counts(fam.member(j), SITES[:1], "solid-4kms", START, 86400.0, 10.0).min()
            for j in range(100, 116)]
    assert np.any(np.diff(mins) < 0)


@pytest.mark.parametrize("kind", ["walker", "nested"])
def test_search_answer_passes_its_lower_neighbour_fails_and_larger_members_pass(kind):
    fam = PatternFamily(kind, 500.0, 45.0)
    res = size_constellation(3, SITES, GROUND, fam, share=0.99, **WINDOW)
    j = fam.index_at_least(res["n_required"])
    assert fam.total(j) == res["n_required"] and res["planes"] * res["sats_per_plane"] == res["n_required"]

    def passes(index):
        share = evaluate_member(fam.member(index), SITES, GROUND, k_max=3, **WINDOW)["share_at_least"][2]
        return bool(np.all(share >= 0.99))

    assert passes(j) and not passes(j - 1)
    assert all(passes(m) for m in range(j + 1, j + 1 + res["verify"]))
    assert res["min_in_reach"] <= 3 <= res["mean_in_reach"] + 1e-9 or res["share_achieved"] >= 0.99


def test_sizes_grow_with_salvo_and_share():
    fam = PatternFamily("walker", 500.0, 45.0)
    sizes = [size_constellation(k, SITES[:1], GROUND, fam, share=0.99, **WINDOW)["n_required"]
             for k in (1, 2, 4)]
    assert sizes[0] <= sizes[1] <= sizes[2] and sizes[0] < sizes[2]
    strict = size_constellation(2, SITES[:1], GROUND, fam, share=1.0, **WINDOW)["n_required"]
    loose = size_constellation(2, SITES[:1], GROUND, fam, share=0.5, **WINDOW)["n_required"]
    assert loose <= sizes[1] <= strict


def test_whole_earth_reach_needs_exactly_k_satellites():
    everywhere = gd.ReachModel("all", "ground", ground_range_km=20_050.0)  # > half the circumference
    fam = PatternFamily("walker", 400.0, 50.0)
    for k in (1, 5, 10):
        res = size_constellation(k, SITES, everywhere, fam, start=START, duration_s=600.0, step_s=60.0)
        assert res["n_required"] == fam.total(fam.index_at_least(k))


def test_not_found_and_bad_input():
    res = size_constellation(5, SITES[:1], "solid-slow", PatternFamily(), n_max=50, **WINDOW)
    assert res["n_required"] == -1 and res["share_achieved"] < 0.999
    with pytest.raises(ValueError, match=r"k \(salvo size\) must be a positive integer, got 0"):
        size_constellation(0, SITES, GROUND)
    with pytest.raises(ValueError, match=r"share must be a fraction in \(0, 1\], got 1\.5"):
        size_constellation(1, SITES, GROUND, share=1.5)
    with pytest.raises(ValueError, match="pattern family kind must be one of"):
        PatternFamily("random")


def test_sizing_task_takes_plain_parameters():
    out = sizing_task(k=1, reach={"name": "g", "mode": "ground", "ground_range_km": 700.0}, altitude_km=500.0,
                      inclination_deg=45.0, sites=["Sohae", {"name": "pt", "lat_deg": 30.0, "lon_deg": 10.0}],
                      share=0.99, **WINDOW)
    direct = size_constellation(1, [SITES[0], gd.sites_from_points([30.0], [10.0], ["pt"])[0]], GROUND,
                                PatternFamily("walker", 500.0, 45.0), share=0.99, **WINDOW)
    assert out["n_required"] == direct["n_required"] > 0


def test_compare_published_ratios_by_hand():
    ds = xr.Dataset({"n_required": ("task", [1600, 2000, 7800, -1])},
                    coords={"k": ("task", [1, 1, 10, 10]), "reach": ("task", ["a", "b", "a", "b"]),
                            "family": ("task", ["walker"] * 4), "altitude_km": ("task", [400.0] * 4),
                            "inclination_deg": ("task", [50.0] * 4)})
    df = compare_published(ds)
    aps = df[(df.estimate == "APS 2003")].set_index("reach")
    assert aps.loc["a", "ratio"] == 1.0 and aps.loc["b", "ratio"] == 1.25 and aps.loc["a", "reproduces"]
    assert aps.loc["b", "reproduces"]  # 2,000 <= 1,600 x 1.25
    tens = df[(df.estimate == "APS 2025") & (df.k == 10)]
    assert not tens.reproduces.iloc[0]  # 7,800 is not "tens of thousands" (>= 20,000 / 1.25 = 16,000)
    cbo = df[df.estimate == "CBO 2026"]  # the 7,800 of CBO's 2026-05-12 report
    assert list(cbo.reach) == ["a"] and bool(cbo.reproduces.iloc[0])  # not-found sizes are left out
    sixteen = df[df.estimate == "'16,000' (press)"]
    assert sixteen.ratio.iloc[0] == pytest.approx(7800 / 16000) and not sixteen.reproduces.iloc[0]


def test_scenario_file_loads_and_fast_mode_shrinks_it():
    path = data_dir() / "scenarios" / "golden_dome_sizing.toml"
    full = load_sizing_scenario(path)
    fast = load_sizing_scenario(path, fast=True)
    assert full.duration_s == 86400.0 and full.step_s == 10.0 and len(full.reaches) == 5
    assert fast.duration_s < full.duration_s and fast.sizing.ks == (1, 10) and len(fast.sizing.families) == 1
    assert [s.name for s in full.sizing.sites] == ["Sohae"] and len(full.sites) == 10
    assert full.map.reach.name == "solid-4kms" and fast.map.spacing_deg == 10.0
    assert [len(s) for s in full.tracking.sensors] == [16000, 48]
    with pytest.raises(dataclasses.FrozenInstanceError):
        full.step_s = 1.0
    assert load_sizing_scenario("golden_dome_sizing") == full  # a shipped name finds the same file
    with pytest.raises(ValueError, match=r"sizing scenario 'nope' not found: .*Shipped: .*golden_dome"):
        load_sizing_scenario("nope")
    with pytest.raises(ValueError, match=r"scenario: kind = 'coverage': must be 'golden_dome_sizing'"):
        load_sizing_scenario({"kind": "coverage"})
    with pytest.raises(ValueError, match=r"scenario: grid is not a known key"):
        load_sizing_scenario({"kind": "golden_dome_sizing", "grid": {}})


SHIPPED = (data_dir() / "scenarios" / "golden_dome_sizing.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("old", "new", "key", "value", "hint"), [
    ("share = 0.999", "sharee = 0.999", "sizing.sharee", None, "did you mean 'share'"),
    ("k_max = 10", "k_maxx = 10", "metrics.k_maxx", None, "did you mean 'k_max'"),
    ("sizing_families = 1", "sizing_families = 1\nzz = 1", "fast.zz", None, "is not a known key"),
    ("duration_h = 24\n", "duration_h = 24\nzz = 1\n", "zz", None, "is not a known key"),
    ("step_s = 10\n", 'step_s = "10"\n', "step_s", "'10'", "not a string; write it without quotes"),
    ("k_max = 10", "k_max = 0", "metrics.k_max", "0", "must be >= 1"),
    ("k_max = 10", "k_max = 2.5", "metrics.k_max", "2.5", "must be an integer"),
    ("share = 0.999", "share = 1.5", "sizing.share", "1.5", "must be <= 1"),
    ("share = 0.999", "share = 0", "sizing.share", "0", "must be > 0"),
    ("duration_h = 24\n", "duration_h = 0\n", "duration_h", "0", "must be > 0"),
    ("step_s = 10\n", "step_s = -10\n", "step_s", "-10", "must be > 0"),
    ("[map]\nreach = \"solid-4kms\"\nspacing_deg = 2.0\nstep_s = 60",
     "[map]\nreach = \"solid-4kms\"\nspacing_deg = 2.0\nstep_s = 0", "map.step_s", "0", "must be > 0"),
    ("map_step_s = 600", "map_step_s = -1", "fast.map_step_s", "-1", "must be > 0"),
    ("ks = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", "ks = [0, 1]", "sizing.ks[0]", "0", "must be >= 1"),
    ('sites = ["Sohae"]  ', 'sites = ["Sohea"]  ', "sizing.sites[0]", "'Sohea'", "did you mean 'Sohae'"),
    ('preset = "solid-slow"', 'preset = "solid-slo"', "reach[2].preset", "'solid-slo'",
     "did you mean 'solid-slow'"),
    ('preset = "solid-slow"', 'preset = "solid-slow"\nboost_s = "170"', "reach[2].boost_s", "'170'",
     "write it without quotes"),
    ('figure_reach = "solid-4kms"', 'figure_reach = "solid-5kms"', "metrics.figure_reach", "'solid-5kms'",
     "did you mean 'solid-4kms'"),
    ('constellation = "golden_dome"', 'constellation = "golden_dom"', "metrics.constellation",
     "'golden_dom'", "did you mean 'golden_dome'"),
    ("min_sensors = 2", "min_sensors = 2\nmin_sensor = 3", "tracking.min_sensor", None, "did you mean"),
    ("total = 48, planes = 6", "total = 48, planes = 6, plane = 6", "tracking.sensors[1].plane", None,
     "did you mean 'planes'"),
    ('kind = "walker", altitude_km = 400.0, inclination_deg = 45.0',
     'kind = "walker", altitude_km = 400.0, inclination_deg = 45.0, inclination = 1',
     "sizing.families[1].inclination",
     None, "did you mean 'inclination_deg'"),
])
def test_scenario_errors_name_file_key_and_value(tmp_path, old, new, key, value, hint):
    assert SHIPPED.count(old) == 1, old  # the edit hits exactly the line meant
    path = tmp_path / "my_sizing.toml"
    path.write_text(SHIPPED.replace(old, new), encoding="utf-8")
    with pytest.raises(ValueError) as err:
        load_sizing_scenario(path)  # loading computes nothing: every error comes before the first count
    message = str(err.value)
    assert message.startswith(f"{path}: {key}"), message
    assert hint in message, message
    if value is not None:
        assert f"{key} = {value}:" in message, message


def test_fast_table_is_checked_even_when_not_applied(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SHIPPED.replace("sizing_ks = [1, 10]", 'sizing_ks = ["1"]'), encoding="utf-8")
    with pytest.raises(ValueError, match=r"s\.toml: fast\.sizing_ks\[0\] = '1': must be an integer"):
        load_sizing_scenario(path, fast=False)


def test_tiny_scenario_runs_serially_and_writes_outputs(tmp_path):
    scenario = load_sizing_scenario({
        "kind": "golden_dome_sizing", "start": START, "duration_h": 1, "step_s": 60,
        "sites": {"names": ["Sohae", "Plesetsk"]},
        "reach": [{"preset": "solid-4kms"}, {"name": "g", "mode": "ground", "ground_range_km": 900.0}],
        "metrics": {"constellation": "kuiper", "k_max": 3},
        "map": {"spacing_deg": 15.0, "step_s": 600},
        "sizing": {"sites": ["Sohae"], "ks": [1, 2],
                   "families": [{"altitude_km": 500.0, "inclination_deg": 45.0}]},
        "tracking": {"sensors": [{"name": "thin", "total": 12, "planes": 3, "altitude_km": 800.0,
                                  "inclination_deg": 60.0}]},
    })
    res = run_sizing_scenario(scenario, tmp_path, serial=True, log=lambda *_: None)
    names = {p.name for p in res["written"]}
    assert {"summary.md", "sizing.csv", "sizing_curves.png", "mean_in_reach_map.png",
            "in_reach_timeseries.png", "tracking_1.png", "in_reach_summary.csv",
            "sizing_vs_published.csv"} <= names
    assert res["sweep"].mode == "serial" and not res["sweep"].failures
    assert (res["sizing"]["n_required"] > 0).all()
    assert "Sizing" in (tmp_path / "summary.md").read_text()


def test_script_fast_mode_serial(tmp_path):
    path = Path(__file__).resolve().parent.parent / "scripts" / "golden_dome_sizing.py"
    spec = importlib.util.spec_from_file_location("golden_dome_sizing_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    res = module.main(["--fast", "--serial", "--out", str(tmp_path)])
    assert (tmp_path / "sizing_curves.png").stat().st_size > 0 and not res["sweep"].failures


def test_index_page_explains_every_figure_a_golden_dome_run_writes(tmp_path):
    import html
    import re

    from constellations.goldendome.figures import GOLDEN_DOME_FIGURE_CAPTIONS, figure_kind
    from constellations.goldendome.run import run_scenario

    out = tmp_path / "gd"
    run_scenario("golden_dome_sizing", out, fast=True, serial=True)  # the shipped scenario, 3 h
    stems = sorted(p.stem for p in out.glob("*.png"))
    assert {"tracking_1", "tracking_2"} <= set(stems)  # one tracking figure per sensor layer
    assert {figure_kind(s) for s in stems} == set(GOLDEN_DOME_FIGURE_CAPTIONS)  # every kind, no unknown
    md = (out / "index.md").read_text(encoding="utf-8")
    page = (out / "index.html").read_text(encoding="utf-8")
    for stem in stems:
        # index.md: "### heading", the one-line explanation, then the image
        m = re.search(r"### [^\n]+\n\n([^\n]+)\n\n!\[[^\]]*\]\(" + re.escape(stem) + r"\.png\)", md)
        assert m and not m.group(1).startswith("!"), f"{stem}: no explanation in index.md"
        assert m.group(1) == GOLDEN_DOME_FIGURE_CAPTIONS[figure_kind(stem)]
        # index.html: the figcaption under the image
        h = re.search(r'<img src="' + re.escape(stem) + r'\.png"[^>]*>\s*<figcaption>([^<]*)', page)
        assert h and html.unescape(h.group(1)).strip() == m.group(1), f"{stem}: no figcaption"


def test_figure_kind_maps_numbered_stems_in_one_place():
    from constellations.goldendome.figures import GOLDEN_DOME_FIGURE_CAPTIONS, figure_kind

    assert figure_kind("tracking_12") == "tracking_timeseries"
    assert figure_kind("in_reach_timeseries") == "in_reach_timeseries"
    assert [figure_kind(s) for s in ("tracking", "tracking_x", "sizing_curves_2", "other")] == [None] * 4
    assert GOLDEN_DOME_FIGURE_CAPTIONS["tracking_3"] == GOLDEN_DOME_FIGURE_CAPTIONS["tracking_timeseries"]
    assert GOLDEN_DOME_FIGURE_CAPTIONS.get("other") is None and "tracking_1" in GOLDEN_DOME_FIGURE_CAPTIONS
