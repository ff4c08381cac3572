"""J2 circular propagation against SGP4 (python-sgp4) and the Earth-fixed frame against skyfield."""

import numpy as np
import pytest
from sgp4.api import WGS72, Satrec, jday
from skyfield.sgp4lib import TEME_to_ITRF

import constellations as cs
from constellations.frames import timescale
from constellations.propagation import j2_rates

START = "2025-07-01T00:00:00Z"
METER_KM = 1e-3


def _sgp4_node_drift_deg_per_day(altitude_km, inclination_deg):
    """Secular RAAN drift of SGP4 from a linear fit of the node over three days."""
    a = 6378.137 + altitude_km
    n_rad_min = np.sqrt(398600.4418 / a**3) * 60.0
    sat = Satrec()
    jd0, fr0 = jday(2025, 7, 1, 0, 0, 0.0)
    sat.sgp4init(WGS72, "i", 1, jd0 + fr0 - 2433281.5, 0.0, 0.0, 0.0, 1e-7, 0.0,
                 np.radians(inclination_deg), 0.0, n_rad_min, 0.0)
    t_day = np.linspace(0.0, 3.0, 3 * 24 * 60 + 1)
    _, r, v = sat.sgp4_array(np.full(t_day.size, jd0), fr0 + t_day)
    h = np.cross(r, v)
    node = np.unwrap(np.arctan2(h[:, 0], -h[:, 1]))
    slope = np.polyfit(t_day, np.degrees(node), 1)[0]  # short-period terms average out
    return slope


@pytest.mark.parametrize(("altitude_km", "inclination_deg"), [(550.0, 53.0), (630.0, 51.9), (560.0, 97.6)])
def test_raan_drift_matches_sgp4_within_half_a_percent(altitude_km, inclination_deg):
    ours, _ = j2_rates(altitude_km, np.radians(inclination_deg))
    ours_deg_day = np.degrees(ours) * 86400.0
    assert ours_deg_day == pytest.approx(_sgp4_node_drift_deg_per_day(altitude_km, inclination_deg),
                                         rel=0.005)


def test_earth_fixed_positions_agree_with_skyfield_for_the_same_inertial_position():
    shell = cs.walker_delta(12, 3, 1, 550.0, 53.0, raan_offset_deg=20.0)
    prop = shell.propagator(START)
    e = shell.elements()
    t_s = np.linspace(0.0, 86400.0, 25)
    ours = prop.positions_ecef_km(t_s)
    # the inertial (TEME) position from the elements, written out independently
    raan_rate, u_rate = j2_rates(e.altitude_km, e.inclination_rad)
    ts = timescale()
    t0 = ts.utc(2025, 7, 1)
    for k, t in enumerate(t_s):
        raan = e.raan_rad + raan_rate * t
        u = e.arg_latitude_rad + u_rate * t
        r = (6378.137 + e.altitude_km) * np.stack([
            np.cos(raan) * np.cos(u) - np.sin(raan) * np.sin(u) * np.cos(e.inclination_rad),
            np.sin(raan) * np.cos(u) + np.cos(raan) * np.sin(u) * np.cos(e.inclination_rad),
            np.sin(u) * np.sin(e.inclination_rad)])
        tt = ts.tt_jd(t0.tt + t / 86400.0)
        for i in range(len(shell)):  # skyfield's conversion takes one vector at a time
            r_itrf, _ = TEME_to_ITRF(tt.ut1, r[:, i], np.zeros(3))
            np.testing.assert_allclose(ours[k, i], r_itrf, atol=10 * METER_KM)


def test_circular_orbit_keeps_its_radius_and_period():
    shell = cs.walker_delta(4, 1, 0, 700.0, 30.0)
    prop = shell.propagator(START)
    pos = prop.positions_ecef_km(np.linspace(0, 6000, 50))
    np.testing.assert_allclose(np.linalg.norm(pos, axis=-1), 6378.137 + 700.0, rtol=1e-12)
