"""Tests of constellations.sgp4_propagator against skyfield, plus failure handling.

Independent reference: skyfield's ``EarthSatellite`` (its own SGP4 call with its own UTC Julian
dates, and its own TEME -> ITRS rotation evaluated at every time).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from skyfield.api import EarthSatellite
from skyfield.framelib import itrs
from skyfield.sgp4lib import TEME_to_ITRF

from constellations.frames import timescale
from constellations.geometry import EARTH_RADIUS_KM
from constellations.sgp4_propagator import NON_PHYSICAL_CODE, SGP4Propagator, satrec_from_mean_elements
from constellations.sources.datafiles import data_dir
from constellations.sources.tle import Catalog, SGP4FailureWarning, parse_tle

TLE_DIR = data_dir() / "tle"
STARLINK_TLE = TLE_DIR / "starlink_20250727.tle"
KUIPER_TLE = TLE_DIR / "kuiper_20251003_from_active.tle"

ONE_MILLIMETRE_KM = 1e-6
TEN_METRES_KM = 10e-3


@pytest.fixture(scope="module")
def five_starlinks():
    """Five real Starlink element sets spread over the file (shells 43, 53, 70, 97.6 deg)."""
    sets = parse_tle(STARLINK_TLE)
    pick = np.linspace(0, len(sets) - 1, 5).astype(int)
    return [sets[i] for i in pick]


def test_positions_agree_with_skyfield_over_a_day(five_starlinks):
    ts = timescale()
    start = "2025-07-28T00:00:00Z"
    t_s = np.linspace(0.0, 86400.0, 20)
    t = ts.utc(2025, 7, 28, 0, 0, t_s)
    cat = Catalog.from_tle("\n".join(f"{s.name}\n{s.line1}\n{s.line2}" for s in five_starlinks))
    prop = cat.propagator(start)
    r_teme = prop.positions_teme_km(t_s)
    r_ecef = prop.positions_ecef_km(t_s)
    assert r_ecef.shape == (20, 5, 3)
    for k, s in enumerate(five_starlinks):
        sat = EarthSatellite(s.line1, s.line2, s.name, ts)
        teme_ref, v_teme_ref, _ = sat._position_and_velocity_TEME_km(t)  # (3, n_time)
        # Same SGP4 kernel and the same UTC-based Julian dates: identical to round-off.
        assert np.abs(r_teme[:, k] - teme_ref.T).max() < ONE_MILLIMETRE_KM

        # Earth-fixed, two skyfield paths that agree with each other to < 1 mm here:
        # (a) the SGP4 convention TEME -> ITRF by GMST 1982 (AIAA 2006-6753 App. C), and
        # (b) sat.at(t).frame_xyz(itrs): TEME -> GCRS (GMST1982 - GAST, then the IAU 2000
        #     precession-nutation) -> ITRS (back through the same matrices + GAST), i.e. again a
        #     rotation by GMST 1982; the builtin timescale has no polar motion table.
        itrf_ref, _ = TEME_to_ITRF(t.whole, teme_ref, v_teme_ref, 0.0, 0.0, t.ut1_fraction)
        itrs_ref = sat.at(t).frame_xyz(itrs).km
        assert np.abs(itrf_ref - itrs_ref).max() < ONE_MILLIMETRE_KM
        # Ours differ by up to ~4.3 m after a day, linearly in time: frames.gmst_rad extrapolates
        # GMST from the start with EARTH_ROTATION_RAD_S = 7.2921151467e-5 rad/s (the stellar rate),
        # while GMST 1982 advances at 7.2921158553e-5 rad/s (sidereal rate w.r.t. the mean
        # equinox): 7.1e-12 rad/s * 86400 s * 6900 km = 4.2 m, plus UT1-UTC drift (< 0.1 m/day).
        error_km = np.linalg.norm(r_ecef[:, k] - itrs_ref.T, axis=-1)
        assert error_km.max() < TEN_METRES_KM, f"{s.name}: {error_km.max() * 1e3:.2f} m"
        assert error_km[0] < ONE_MILLIMETRE_KM * 100  # at start: same GMST to < 0.1 m


def test_shapes_and_scalar_time():
    sats = satrec_from_mean_elements([550.0, 630.0, 1100.0], 53.0, 0.0, 0.0, "2025-07-01")
    prop = SGP4Propagator(sats, "2025-07-01T00:00:00Z")
    assert prop.n_sat == 3
    assert prop.positions_ecef_km(0.0).shape == (1, 3, 3)
    assert prop.positions_ecef_km(np.arange(7) * 60.0).shape == (7, 3, 3)
    with pytest.raises(ValueError, match=r"t_s must be a 1-D array of offsets in seconds, got "
                                         r"shape \(2, 2\)"):
        prop.positions_ecef_km(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="t_s must be finite, got 1 NaN/inf"):
        prop.positions_ecef_km([0.0, np.nan])
    with pytest.raises(ValueError, match="at least one satellite"):
        SGP4Propagator([], "2025-07-01")
    with pytest.raises(ValueError, match="start time '1 July 2025' is not an ISO 8601 UTC time"):
        SGP4Propagator(sats, "1 July 2025")


def test_no_failures_no_warning():
    cat = Catalog.from_tle(KUIPER_TLE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prop = cat.propagator("2025-10-03T12:00:00Z")
    r = prop.positions_ecef_km(np.arange(0, 5400, 60.0))
    assert np.isfinite(r).all()
    assert prop.failed == () and prop.excluded.size == 0
    assert "all 102 satellites propagated without error" in prop.failure_report()


def test_decayed_satellite_is_excluded_and_reported():
    # STARLINK-1148 (epoch 2025-07-28 06:10, mean altitude 180 km) has re-entered by 2025-08-05:
    # SGP4 error 1 from 3 days after its epoch on. STARLINK-1008 is healthy.
    cat = Catalog.from_tle(STARLINK_TLE, name_pattern=re.compile(r"^STARLINK-1(008|148)$"))
    assert cat.names == ("STARLINK-1008", "STARLINK-1148")
    start = "2025-08-05T00:00:00Z"
    with pytest.warns(SGP4FailureWarning, match=r"1 of 2 satellites fail SGP4 at "
                                                r"2025-08-05T00:00:00Z and are excluded \(NaN "
                                                r"positions\): STARLINK-1148"):
        prop = cat.propagator(start)
    assert prop.n_sat == len(cat) == 2  # the satellite axis still matches the catalog
    assert prop.excluded.tolist() == [1]
    (failure,) = prop.failed
    assert (failure.index, failure.name, failure.code, failure.t_s) == (1, "STARLINK-1148", 1, 0.0)
    assert failure.message == "mean eccentricity is outside the range 0.0 to 1.0"
    r = prop.positions_ecef_km(np.arange(0, 3600, 60.0))
    assert np.isnan(r[:, 1]).all() and np.isfinite(r[:, 0]).all()
    assert "[1] STARLINK-1148: error 1 at t = 0 s" in prop.failure_report()

    healthy = cat.drop_failed(start)
    assert healthy.names == ("STARLINK-1008",)
    assert healthy.dropped[-1] == ("SGP4 error at 2025-08-05T00:00:00Z (e.g. decayed)", 1)
    assert "dropped 1: SGP4 error at 2025-08-05T00:00:00Z" in healthy.report()


def test_failure_during_the_window_is_recorded_with_its_time():
    cat = Catalog.from_tle(STARLINK_TLE, name_pattern="STARLINK-1148")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prop = cat.propagator("2025-07-28T06:10:00Z")  # at its epoch: fine
    assert prop.failed == ()
    t_s = np.arange(0.0, 5 * 86400.0, 3600.0)
    r = prop.positions_ecef_km(t_s)
    bad = np.isnan(r[:, 0, 0])
    assert bad.any() and not bad[0]
    (failure,) = prop.failed
    assert failure.t_s == t_s[np.argmax(bad)] > 0.0
    codes = prop.errors(t_s)[bad, 0]
    assert np.all(codes != 0)  # an SGP4 error, or -1: below 100 km before SGP4 gives up
    assert codes[0] == NON_PHYSICAL_CODE and codes[-1] > 0


def test_satrec_from_mean_elements_round_trip():
    altitude_km = np.array([350.0, 550.0, 630.0, 1200.0])
    sats = satrec_from_mean_elements(altitude_km, [43.0, 53.0, 51.9, 97.6], 30.0, 45.0,
                                     "2025-07-01T00:00:00Z")
    cat = Catalog.from_satrecs(sats, name="synthetic")
    np.testing.assert_allclose(cat.altitude_km, altitude_km, atol=1e-6)
    np.testing.assert_allclose(cat.inclination_deg, [43.0, 53.0, 51.9, 97.6], atol=1e-9)
    assert np.all(cat.eccentricity == 0.0)
    assert str(cat.epochs[0]) == "2025-07-01T00:00:00.000000"
    assert cat.catalog_numbers.tolist() == [1, 2, 3, 4]
    prop = cat.propagator("2025-07-01T00:00:00Z")
    r_km = np.linalg.norm(prop.positions_ecef_km(np.arange(0, 6000, 60.0)), axis=-1)
    # Circular orbit: the radius stays within the J2 short-period wiggle (~ +/-10 km) of a.
    a_km = EARTH_RADIUS_KM + altitude_km
    assert np.abs(r_km - a_km).max() < 15.0
    # At epoch, argument of latitude 45 deg: z = a sin(i) sin(u) up to J2 short-period terms.
    z0 = prop.positions_teme_km([0.0])[0, :, 2]
    np.testing.assert_allclose(z0, a_km * np.sin(np.radians([43.0, 53.0, 51.9, 97.6]))
                               * np.sin(np.radians(45.0)), atol=15.0)


def test_satrec_from_mean_elements_broadcasts_and_checks():
    sats = satrec_from_mean_elements(550.0, 53.0, np.arange(0, 360, 30.0), 0.0, "2025-07-01")
    assert len(sats) == 12
    assert np.degrees(sats[3].nodeo) == pytest.approx(90.0)
    with pytest.raises(ValueError, match=r"altitude_km must be > 0 km, got -5"):
        satrec_from_mean_elements(-5.0, 53.0, 0.0, 0.0, "2025-07-01")
    with pytest.raises(ValueError, match=r"inclination_deg must be within 0..180 deg, got 200"):
        satrec_from_mean_elements(550.0, 200.0, 0.0, 0.0, "2025-07-01")
