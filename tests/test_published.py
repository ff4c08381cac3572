"""Published SBI sizes: sources and dates, the reach each implies (inverse sizing search), CBO cost lines.

References independent of the code under test: the forward sizing search (round trip), a brute-force
k-th-nearest-satellite distance over all satellites and times, the closed form of docs/REFERENCE.md
section 4, and the cost arithmetic written out by hand.
"""

import math
import re

import numpy as np
import pytest

from constellations.geometry import EARTH_RADIUS_KM
from constellations.goldendome import ReachModel, threat_sites
from constellations.goldendome.counting import expected_in_reach, time_axis_s
from constellations.goldendome.published import (
    CBO_2026_COSTS,
    PUBLISHED_ESTIMATES,
    implied_reach_table,
    layer_cost,
    published_table,
)
from constellations.goldendome.sites import site_unit_vectors
from constellations.goldendome.sizing import PatternFamily, implied_reach, mean_reach_km, size_constellation

SITES = threat_sites(["Sohae"])
WINDOW = {"start": "2025-07-01T00:00:00Z", "duration_s": 7200.0, "step_s": 60.0}
TOL_KM = 2.0  # bisection bracket


# --------------------------------------------------------------------------- the inverse search


@pytest.mark.parametrize("kind, k, reach_km", [("nested", 1, 1500.0), ("walker", 2, 1200.0)])
def test_inverse_search_recovers_the_reach_used_to_size_a_layer(kind, k, reach_km):
    """Size at a reach, invert the size, size again at the bracket's ends: the round trip closes."""
    family = PatternFamily(kind, 500.0, 50.0)

    def size(d_km):
        ground = ReachModel("round trip", "ground", ground_range_km=d_km)
        return size_constellation(k, SITES, ground, family, share=0.99, n_max=5000, **WINDOW)["n_required"]

    n = size(reach_km)
    assert n > 0
    back = implied_reach(n, k, SITES, family, share=0.99, tol_km=TOL_KM, **WINDOW)
    assert back["n_used"] == n and 0 < back["reach_km"] - back["reach_low_km"] <= TOL_KM
    assert back["reach_km"] <= reach_km + TOL_KM  # the sized layer passes at the reach it was sized for
    assert size(back["reach_low_km"]) != n  # TOL_KM shorter it fails: not the answer there
    if kind == "nested":  # a monotone ladder: the sizing at the recovered reach is the same layer
        assert size(back["reach_km"]) == n and size(back["reach_low_km"]) > n


def test_inverse_search_matches_a_brute_force_kth_nearest_distance():
    family = PatternFamily("walker", 450.0, 55.0)
    k, share, n = 3, 0.95, 300
    got = implied_reach(n, k, SITES, family, share=share, tol_km=0.5, **WINDOW)
    prop = family.member(family.index_at_least(n)).propagator(WINDOW["start"])
    t_s = time_axis_s(WINDOW["duration_s"], WINDOW["step_s"])
    pos = prop.positions_ecef_km(t_s)  # (n_time, n_sat, 3)
    unit = site_unit_vectors(SITES)[0]
    cos_theta = (pos @ unit) / np.linalg.norm(pos, axis=-1)
    ground_km = np.arccos(np.clip(cos_theta, -1.0, 1.0)) * EARTH_RADIUS_KM  # (n_time, n_sat)
    kth = np.sort(ground_km, axis=1)[:, k - 1]  # reach needed at each time for k in reach
    exact = np.sort(kth)[math.ceil(share * kth.size) - 1]  # smallest reach passing share of the times
    assert got["reach_low_km"] - 1e-6 <= exact <= got["reach_km"] + 1e-6
    assert (kth <= got["reach_km"]).mean() >= share > (kth <= got["reach_low_km"]).mean()


def test_mean_reach_inverts_the_closed_form():
    for n, k, inc, lat in [(780, 1, 50.0, 40.0), (7800, 10, 50.0, 39.66), (16000, 10, 45.0, 35.2)]:
        d = float(mean_reach_km(n, k, inc, lat))
        assert float(expected_in_reach(n, inc, lat, d / EARTH_RADIUS_KM)) == pytest.approx(k, rel=1e-9)
    assert 360.0 < float(mean_reach_km(780, 1, 50.0, 40.0)) < 380.0  # docs/REFERENCE.md section 8: ~370 km
    assert np.isnan(mean_reach_km(1000, 1, 50.0, 62.9))  # Plesetsk lies above a 50-degree layer's band


def test_inverse_search_rejects_bad_input():
    with pytest.raises(ValueError, match="salvo size"):
        implied_reach(100, 0, SITES)
    with pytest.raises(ValueError, match="n_sat must be"):
        implied_reach(0, 1, SITES)
    with pytest.raises(ValueError, match="share must be"):
        implied_reach(100, 1, SITES, share=1.5)


def test_fewer_satellites_than_k_reach_nothing():
    r = implied_reach(2, 5, SITES, PatternFamily("walker", 400.0, 50.0), **WINDOW)
    assert math.isnan(r["reach_km"]) and r["share_achieved"] == 0.0


def test_implied_reach_table_rows_and_costs():
    est = [{"estimate": "test", "k": 1, "n_sat": 400, "n_low": 400, "n_high": 800, "date": "2026",
            "source": "a test"}]
    df = implied_reach_table(est, sites=["Sohae", "Semnan (Imam Khomeini)"], share=0.99, tol_km=5.0,
                             **WINDOW)
    assert df[["n_sat", "site"]].values.tolist() == [[400, "Sohae"], [400, "Semnan (Imam Khomeini)"],
                                                     [800, "Sohae"], [800, "Semnan (Imam Khomeini)"]]
    for site in ("Sohae", "Semnan (Imam Khomeini)"):  # twice the satellites: a shorter reach does it
        r = df[df.site == site].set_index("n_sat")["reach_km"]
        assert r[800] < r[400]
    assert df["cost_20y_usd"].tolist() == [layer_cost(n)["total_usd"] for n in df["n_sat"]]


# --------------------------------------------------------------------------- the published table


def test_every_estimate_has_a_source_and_a_date():
    years = []
    for e in PUBLISHED_ESTIMATES:
        assert len(e["source"]) > 20 and e["tag"], e
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", e["date"]), e
        years.append(int(e["date"][:4]))
        assert 1 <= e["n_low"] <= e["n_sat"] <= e["n_high"] and e["k"] >= 1
    assert min(years) >= 2003 and max(years) <= 2026
    table = published_table()
    assert len(table) == len(PUBLISHED_ESTIMATES) and table["source"].str.len().min() > 20


def test_the_2026_entries_are_there_as_published():
    by = {(e["estimate"], e["k"]): e for e in PUBLISHED_ESTIMATES}
    cbo = by[("CBO 2026", 10)]
    assert cbo["n_sat"] == 7800 and cbo["date"] == "2026-05-12" and "300-500 km" in cbo["text"]
    assert "three to five minutes" in cbo["text"]
    letter = [e for e in PUBLISHED_ESTIMATES if e["estimate"] == "CBO 2025 letter"]
    assert len(letter) == 1 and letter[0]["date"] == "2025-05-05" and letter[0]["k"] in (1, 2)
    mda = by[("MDA and proponents", 1)]
    assert (mda["n_low"], mda["n_high"]) == (300, 600)
    assert by[("APS 2025", 1)]["n_low"] == 1000 and by[("APS 2025", 10)]["n_low"] >= 10_000


# --------------------------------------------------------------------------- cost lines


def test_cost_arithmetic_under_cbo_assumptions():
    c = layer_cost(7800)
    assert c["generations"] == 20 // 5 == 4
    assert c["sbis_bought"] == 7800 * 4
    assert c["sbi_usd"] == pytest.approx(7800 * 4 * 22e6)  # $686.4 B
    assert math.isnan(c["launch_usd"]) and c["total_usd"] == c["sbi_usd"]
    assert "launch left out" in c["includes"] and "operations" in c["excludes"]
    m = layer_cost(7800, sbi_mass_kg=1000.0)
    assert m["launch_usd"] == pytest.approx(7800 * 4 * 1000.0 * 500.0)  # $15.6 B
    assert m["total_usd"] == pytest.approx(m["sbi_usd"] + m["launch_usd"])
    assert m["assumptions"]["sbi_mass_kg"] == (1000.0, "[assumption] given by the caller")
    assert layer_cost(100, life_years=7.0)["generations"] == 3  # 20 / 7: the first layer and 2 replacements
    np.testing.assert_allclose(layer_cost([300, 600])["sbi_usd"], [300 * 88e6, 600 * 88e6])
    with pytest.raises(ValueError, match="sbi_mass_kg"):
        layer_cost(10, sbi_mass_kg=-1.0)


def test_every_cost_assumption_is_labelled():
    for name, (_value, source) in CBO_2026_COSTS.items():
        assert re.search(r"\[(primary|secondary|assumption)[^\]]*\]", source) or "assumption" in source, name
    assert CBO_2026_COSTS["sbi_mass_kg"][0] is None  # CBO's summary gives no mass: never invented here
