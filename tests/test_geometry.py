"""Footprint geometry against docs/REFERENCE.md section 5's worked values (Lang & Adams 1998)."""

import numpy as np
import pytest

import constellations as cs
from constellations.geometry import EARTH_RADIUS_KM

KM = 0.1  # published values are given to 0.1 km
DEG = 1e-3  # and to 0.001 deg


def test_starlink_550_km_25_deg_worked_values():
    lam = cs.central_angle_rad(550.0, 25.0)
    assert np.degrees(lam) == pytest.approx(8.451, abs=DEG)
    assert lam * EARTH_RADIUS_KM == pytest.approx(940.7, abs=KM)
    assert cs.slant_range_km(550.0, 25.0) == pytest.approx(1123.4, abs=KM)
    assert cs.footprint_area_fraction(lam) == pytest.approx(0.005429, abs=1e-6)


def test_kuiper_630_km_35_deg_worked_values():
    lam = cs.central_angle_rad(630.0, 35.0)
    assert np.degrees(lam) == pytest.approx(6.797, abs=DEG)
    assert lam * EARTH_RADIUS_KM == pytest.approx(756.6, abs=KM)
    assert np.degrees(cs.nadir_angle_rad(630.0, 35.0)) == pytest.approx(48.20, abs=0.01)


def test_angles_of_the_footprint_triangle_sum_to_90_deg():
    h = np.array([300.0, 550.0, 1200.0, 20_000.0])
    eps = np.array([0.0, 10.0, 25.0, 40.0])
    total = cs.central_angle_rad(h, eps) + cs.nadir_angle_rad(h, eps) + np.radians(eps)
    np.testing.assert_allclose(total, np.pi / 2, atol=1e-12)


def test_slant_range_closes_the_triangle_by_the_law_of_cosines():
    h, eps = 550.0, 25.0
    lam = cs.central_angle_rad(h, eps)
    r, rs = EARTH_RADIUS_KM, EARTH_RADIUS_KM + h
    law_of_cosines = np.sqrt(r**2 + rs**2 - 2 * r * rs * np.cos(lam))
    assert cs.slant_range_km(h, eps) == pytest.approx(law_of_cosines, abs=1e-6)


def test_sensor_cone_limits_the_footprint_only_when_narrower():
    wide = cs.central_angle_rad(550.0, 25.0, max_nadir_deg=89.0)
    assert wide == pytest.approx(cs.central_angle_rad(550.0, 25.0))
    # a 30 deg cone from 550 km: ground range from the sine rule, checked independently
    eta = np.radians(30.0)
    rs = EARTH_RADIUS_KM + 550.0
    gamma = np.arcsin(rs / EARTH_RADIUS_KM * np.sin(eta))  # angle at the ground point (obtuse side)
    lam_expected = np.pi - gamma - eta  # triangle Earth centre / satellite / ground point
    lam_expected = min(lam_expected, np.pi - (np.pi - gamma) - eta)
    assert cs.central_angle_rad(550.0, 25.0, max_nadir_deg=30.0) == pytest.approx(lam_expected, abs=1e-12)
