"""Walker generators (docs/REFERENCE.md section 5), presets and input validation."""

import numpy as np
import pytest

import constellations as cs


def test_walker_delta_tpf_matches_the_reference_formula():
    t, p, f = 24, 6, 2
    c = cs.walker_delta(t, p, f, 550.0, 53.0)
    e = c.elements()
    s = t // p
    for k in range(p):  # written out plane by plane, as docs/REFERENCE.md section 5 states it
        for j in range(s):
            i = k * s + j
            assert np.degrees(e.raan_rad[i]) == pytest.approx(k * 360.0 / p)
            expected_u = (j * 360.0 / s + k * f * 360.0 / t) % 360.0
            assert np.degrees(e.arg_latitude_rad[i]) == pytest.approx(expected_u)
    assert len(c) == t


def test_walker_star_spreads_nodes_over_180_deg():
    e = cs.walker_star(66, 6, 2, 780.0, 86.4).elements()
    nodes = np.unique(np.round(np.degrees(e.raan_rad), 9))
    np.testing.assert_allclose(nodes, np.arange(6) * 30.0)


def test_presets_have_the_licensed_counts():
    assert {"kuiper", "starlink_gen1", "starlink_gen2_7500", "kuiper_2025", "golden_dome"} <= set(
        cs.presets())
    kuiper = cs.preset("kuiper")
    assert len(kuiper) == 3236 and kuiper.min_elevation_deg == 35.0
    assert [s.total for s in kuiper.shells] == [1156, 1296, 784]
    assert [s.phasing for s in kuiper.shells] == [3, 3, 1]
    gen1 = cs.preset("starlink_gen1")
    assert len(gen1) == 4408 and len(gen1.shells) == 5 and gen1.min_elevation_deg == 25.0
    assert len(cs.preset("starlink_gen2_7500")) == 7500
    assert len(cs.preset("kuiper_2025")) == 78
    dome = cs.preset("golden_dome")
    assert len(dome) == 16000
    assert all(300.0 <= s.altitude_km <= 500.0 for s in dome.shells)
    for name in cs.presets():  # every preset names its sources and assumptions
        c = cs.preset(name)
        assert c.source and c.assumptions


def test_shell_min_elevation_overrides_the_constellation_default():
    shells = (cs.Shell(550.0, 53.0, 2, 2, min_elevation_deg=40.0), cs.Shell(600.0, 70.0, 1, 3))
    c = cs.Constellation("mixed", shells, min_elevation_deg=25.0)
    np.testing.assert_array_equal(c.min_elevation_deg_per_sat(), [40, 40, 40, 40, 25, 25, 25])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"altitude_km": 50.0}, r"altitude_km = 50.0 is outside the allowed range \[100, 50000\]"),
        ({"altitude_km": 60_000.0}, r"altitude_km = 60000.0 is outside"),
        ({"inclination_deg": 181.0}, r"inclination_deg = 181.0 is outside the allowed range \[0, 180\]"),
        ({"inclination_deg": -1.0}, r"inclination_deg = -1.0"),
        ({"planes": 0}, r"planes must be a positive integer, got 0"),
        ({"phasing": 7}, r"phasing F must be an integer with 0 <= F < planes \(6\), got 7"),
        ({"pattern": "rosette"}, r"pattern must be 'delta' or 'star', got 'rosette'"),
    ],
)
def test_bad_shells_say_what_is_wrong(kwargs, message):
    args = {"altitude_km": 550.0, "inclination_deg": 53.0, "planes": 6, "sats_per_plane": 4}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        cs.Shell(**args)


def test_planes_that_do_not_divide_the_total_are_rejected_with_a_fix():
    with pytest.raises(ValueError, match=r"planes = 7 does not divide total = 24; choose planes among"):
        cs.walker_delta(24, 7, 1, 550.0, 53.0)


def test_unknown_preset_lists_close_matches():
    with pytest.raises(ValueError, match=r"preset 'kuipr' is not known; did you mean 'kuiper'"):
        cs.preset("kuipr")
