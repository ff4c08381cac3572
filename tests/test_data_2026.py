"""Tests of the late-2026 data: the 2026-08-22 TLE snapshots, the 2026 presets and scenarios.

Reference numbers: the snapshots' counts and epochs from ``constellations/data/tle/README.md`` (measured
when the files were added); licensed totals and envelopes from the FCC grant to Amazon Leo of
2026-02-10 and the Starlink Gen2 order of 2026-01-09 (docs/REFERENCE.md section 8, both [secondary]). The
``starlink_2026`` preset is held to shell families computed here from the TLEs, not to stored numbers.
"""

from __future__ import annotations

import hashlib
import re
import warnings

import numpy as np
import pytest

import constellations as cs
from constellations.app.scenario import Scenario, load_scenario, scenarios
from constellations.sources.datafiles import data_dir
from constellations.sources.tle import KUIPER_SHELLS, Catalog, detect_shells, parse_tle

TLE_DIR = data_dir() / "tle"
STARLINK_2026 = TLE_DIR / "starlink_20260822.tle"
LEO_2026 = TLE_DIR / "kuiper_20260822_from_active.tle"

# Amazon Leo, FCC grant of 2026-02-10 [secondary]: first system 3,232 (Amazon's count of FCC 20-102),
# Gen2 3,212 at 590-630 km, polar 1,292 at 600-650 km and 66-82 deg; 7,736 in all.
LEO_FIRST_SYSTEM, LEO_GEN2, LEO_POLAR, LEO_TOTAL = 3232, 3212, 1292, 7736
LEO_GEN2_ALTITUDE_KM = (590.0, 630.0)
LEO_POLAR_ALTITUDE_KM, LEO_POLAR_INCLINATION_DEG = (600.0, 650.0), (66.0, 82.0)
# Starlink Gen2, FCC order of 2026-01-09 [secondary]: 15,000 at 340-485 km, 28-96.9 deg; minimum
# elevation 20 deg at 400-500 km and 25 deg above 500 km.
STARLINK_GEN2_TOTAL = 15000
STARLINK_GEN2_ALTITUDE_KM, STARLINK_GEN2_INCLINATION_DEG = (340.0, 485.0), (28.0, 96.9)
STARLINK_BAND_KM, STARLINK_BAND_DEG, STARLINK_ABOVE_DEG = (400.0, 500.0), 20.0, 25.0

# Tolerances of the Walker approximation against the snapshot (what "agrees" means for starlink_2026).
FAMILY_COUNT_TOL = 0.05        # relative
FAMILY_ALTITUDE_TOL_KM = 15.0  # the shell half-width of detect_shells
FAMILY_INCLINATION_TOL_DEG = 0.5


def _utc(text: str) -> np.datetime64:
    return np.datetime64(text, "m")


@pytest.fixture(scope="module")
def starlink_2026() -> Catalog:
    return Catalog.from_tle(STARLINK_2026)


@pytest.fixture(scope="module")
def leo_2026() -> Catalog:
    return Catalog.from_tle(LEO_2026)


# ----------------------------------------------------------------------------- snapshots

@pytest.mark.parametrize(("path", "count", "prefix", "oldest", "newest"), [
    # README: 10,744 STARLINK-* sets, epochs 2026-07-30 14:04 (one stale set) .. 2026-08-22 17:16 UTC
    (STARLINK_2026, 10744, "STARLINK-", "2026-07-30T14:04", "2026-08-22T17:16"),
    # README: 391 KUIPER-* sets, epochs 2026-08-21 07:26 .. 2026-08-22 15:55 UTC
    (LEO_2026, 391, "KUIPER-", "2026-08-21T07:26", "2026-08-22T15:55"),
])
def test_2026_snapshots_parse_with_expected_counts_and_epochs(path, count, prefix, oldest, newest):
    sets = parse_tle(path)  # checks layout and both checksums of every set
    assert len(sets) == count
    assert all(s.name.startswith(prefix) for s in sets)
    catalog = Catalog.from_tle(path)
    assert len(catalog) == count and catalog.dropped == ()  # no duplicate catalog numbers
    assert np.unique(catalog.catalog_numbers).size == count
    lo, hi = catalog.epoch_range()
    assert lo.astype("datetime64[m]") == _utc(oldest)
    assert hi.astype("datetime64[m]") == _utc(newest)


def test_2026_snapshots_are_the_byte_exact_files_of_the_readme():
    # The README lists the SHA-256 of every copied file; CRLF line endings must survive (no normalising).
    readme = (TLE_DIR / "README.md").read_text(encoding="utf-8")
    listed = dict((name, digest) for digest, name in
                  re.findall(r"^([0-9a-f]{64})  (\S+\.tle)$", readme, flags=re.M))
    assert {"starlink_20260822.tle", "kuiper_20260822_from_active.tle"} <= set(listed)
    for name, digest in listed.items():
        data = (TLE_DIR / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, name
    assert b"\r\n" in STARLINK_2026.read_bytes() and b"\r\n" in LEO_2026.read_bytes()
    # the Starlink file is the source blob itself: git's blob hash of the bytes (README)
    data = STARLINK_2026.read_bytes()
    blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    assert blob == "484d2ab5ddc845f5cdd42fa556f345ad16028d9a"


def test_leo_2026_launches_and_shell(leo_2026):
    launches, counts = np.unique([d[:8] for d in leo_2026.designators], return_counts=True)
    assert launches.size == 14 and counts.sum() == 391  # README: 14 launches 2025-088 .. 2026-151
    assert launches[0] == "2025-088" and launches[-1] == "2026-151"
    assert np.all(np.abs(leo_2026.inclination_deg - 51.9) < 0.1)  # all in the 51.9 deg shell


# ----------------------------------------------------------------------------- presets

def test_new_presets_are_listed():
    names = cs.presets()
    for name in ("amazon_leo_7736", "starlink_gen2_15000", "starlink_2026", "kuiper", "kuiper_2025"):
        assert name in names
    assert "Amazon Leo (formerly Project Kuiper)" in cs.preset("amazon_leo_7736").name


def _shells_named(constellation, prefix):
    return [s for s in constellation.shells if s.name.startswith(prefix)]


def test_amazon_leo_7736_totals_and_envelopes():
    leo = cs.preset("amazon_leo_7736")
    assert len(leo) == LEO_TOTAL == LEO_FIRST_SYSTEM + LEO_GEN2 + LEO_POLAR
    first, gen2, polar = (_shells_named(leo, p) for p in ("Gen1", "Gen2", "Polar"))
    assert len(first) + len(gen2) + len(polar) == len(leo.shells)
    assert sum(s.total for s in first) == LEO_FIRST_SYSTEM
    assert sum(s.total for s in gen2) == LEO_GEN2
    assert sum(s.total for s in polar) == LEO_POLAR
    # first system: the shells of FCC 20-102 as tabulated in constellations.sources.tle
    assert sorted((s.altitude_km, s.inclination_deg) for s in first) == sorted(
        (s.altitude_km, s.inclination_deg) for s in KUIPER_SHELLS)
    for s in gen2:
        assert LEO_GEN2_ALTITUDE_KM[0] <= s.altitude_km <= LEO_GEN2_ALTITUDE_KM[1], s.name
    for s in polar:
        assert LEO_POLAR_ALTITUDE_KM[0] <= s.altitude_km <= LEO_POLAR_ALTITUDE_KM[1], s.name
        assert LEO_POLAR_INCLINATION_DEG[0] <= s.inclination_deg <= LEO_POLAR_INCLINATION_DEG[1], s.name
    assert np.all(leo.min_elevation_deg_per_sat() == 35.0)


def _licensed_starlink_elevation(altitude_km):
    """Minimum elevation of the 2026 order by altitude, one satellite at a time (brute force)."""
    return [STARLINK_BAND_DEG if STARLINK_BAND_KM[0] <= a < STARLINK_BAND_KM[1] else STARLINK_ABOVE_DEG
            for a in np.asarray(altitude_km, dtype=float)]


def test_starlink_gen2_15000_total_envelope_and_elevations():
    gen2 = cs.preset("starlink_gen2_15000")
    assert len(gen2) == STARLINK_GEN2_TOTAL
    for s in gen2.shells:
        assert STARLINK_GEN2_ALTITUDE_KM[0] <= s.altitude_km <= STARLINK_GEN2_ALTITUDE_KM[1], s.name
        assert (STARLINK_GEN2_INCLINATION_DEG[0] <= s.inclination_deg
                <= STARLINK_GEN2_INCLINATION_DEG[1]), s.name
    elements = gen2.elements()
    assert list(elements.min_elevation_deg) == _licensed_starlink_elevation(elements.altitude_km)


def _families(catalog: Catalog) -> list[dict]:
    """Inclination families (split where sorted inclinations jump by more than the tolerance) with
    their total count, mean inclination and the altitude of their most populous detected shell."""
    inc = catalog.inclination_deg
    order = np.argsort(inc)
    cuts = np.flatnonzero(np.diff(inc[order]) > FAMILY_INCLINATION_TOL_DEG) + 1
    shells = detect_shells(catalog, FAMILY_INCLINATION_TOL_DEG, FAMILY_ALTITUDE_TOL_KM)
    out = []
    for members in np.split(order, cuts):
        lo, hi = inc[members].min(), inc[members].max()
        inside = [r for r in shells if lo <= r["inclination_deg"] <= hi]
        main = max(inside, key=lambda r: r["count"])
        out.append({"count": members.size, "inclination_deg": float(inc[members].mean()),
                    "altitude_km": main["altitude_km"], "main_count": main["count"]})
    return out


def test_starlink_2026_preset_matches_the_snapshot_families(starlink_2026):
    families = _families(starlink_2026)
    assert sum(f["count"] for f in families) == len(starlink_2026)
    assert len(families) == 4  # 43, 53, 70 and ~97 deg
    preset = cs.preset("starlink_2026")
    assert len(preset.shells) == len(families)
    for family in families:
        shell = min(preset.shells, key=lambda s: abs(s.inclination_deg - family["inclination_deg"]))
        assert abs(shell.inclination_deg - family["inclination_deg"]) <= FAMILY_INCLINATION_TOL_DEG
        assert abs(shell.total - family["count"]) <= FAMILY_COUNT_TOL * family["count"], shell.name
        assert abs(shell.altitude_km - family["altitude_km"]) <= FAMILY_ALTITUDE_TOL_KM, shell.name
    assert abs(len(preset) - len(starlink_2026)) <= FAMILY_COUNT_TOL * len(starlink_2026)
    elements = preset.elements()
    assert list(elements.min_elevation_deg) == _licensed_starlink_elevation(elements.altitude_km)


def test_the_snapshot_shows_the_lowered_shells(starlink_2026):
    # docs/REFERENCE.md section 8: the ~550 km shells of 43 and 53 deg moved to ~480 km during 2026.
    for family in _families(starlink_2026):
        if family["inclination_deg"] < 60.0:
            assert 455.0 <= family["altitude_km"] <= 495.0


# ----------------------------------------------------------------------------- elevation by altitude

def test_catalog_elevation_by_altitude_per_satellite(starlink_2026):
    banded = Catalog.from_tle(STARLINK_2026, min_elevation_deg=STARLINK_ABOVE_DEG,
                              min_elevation_by_altitude=[(*STARLINK_BAND_KM, STARLINK_BAND_DEG)])
    elevation = banded.min_elevation_deg_per_sat()
    assert list(elevation) == _licensed_starlink_elevation(starlink_2026.altitude_km)
    assert 0 < (elevation == STARLINK_BAND_DEG).sum() < len(banded)
    kept = banded.select(banded.altitude_km > 450.0, reason="above 450 km")
    assert list(kept.min_elevation_deg_per_sat()) == _licensed_starlink_elevation(kept.altitude_km)
    assert "20 deg at 400-500 km" in banded.report()


@pytest.mark.parametrize(("bands", "message"), [
    ([(400.0, 500.0, 20.0), (450.0, 600.0, 25.0)], "overlap"),
    ([(500.0, 400.0, 20.0)], "min < max"),
    ([(400.0, 500.0, 95.0)], "0 <= value < 90"),
    ([(400.0, 20.0)], "triples|each band"),
])
def test_catalog_elevation_bands_are_checked(bands, message):
    with pytest.raises(ValueError, match=message):
        Catalog.from_tle(LEO_2026, min_elevation_by_altitude=bands)


def _scenario_dict(band):
    return {"name": "bands", "start": "2026-08-22T00:00:00Z", "duration_h": 1, "step_s": 300,
            "grid": {"spacing_deg": 20.0},
            "constellations": [{"tle": "tle/kuiper_20260822_from_active.tle",
                                "min_elevation_by_altitude": [band]}]}


def test_scenario_elevation_bands_are_validated_with_the_key_named():
    ok = Scenario.from_dict(_scenario_dict({"altitude_km": [400, 500], "min_elevation_deg": 20}))
    source = ok.constellations[0].build(ok.start)
    assert source.min_elevation_by_altitude == ((400.0, 500.0, 20.0),)
    with pytest.raises(ValueError, match=r"min_elevation_by_altitude\[0\]\.altitude_km"):
        Scenario.from_dict(_scenario_dict({"altitude_km": [500, 400], "min_elevation_deg": 20}))
    with pytest.raises(ValueError, match=r"min_elevation_by_altitude\[0\]\.min_elevation_deg"):
        Scenario.from_dict(_scenario_dict({"altitude_km": [400, 500], "min_elevation_deg": 90}))
    with pytest.raises(ValueError, match=r"min_elevation_by_altitude\[0\]\.elevation"):
        Scenario.from_dict(_scenario_dict({"altitude_km": [400, 500], "elevation": 20}))


# ----------------------------------------------------------------------------- scenarios

def test_new_scenarios_are_listed_and_load():
    assert {"reality_2026", "year_on", "reality_2025"} <= set(scenarios())
    reality = load_scenario("reality_2026")
    assert [s.kind for s in reality.constellations] == ["tle", "tle"]
    assert reality.constellations[0].label.startswith("Amazon Leo (formerly Project Kuiper)")
    year_on = load_scenario("year_on")
    assert len(year_on.constellations) == 4


def _short_run(name, *, spacing_deg=15.0, duration_s=1800.0, step_s=300.0):
    """Each entry of a shipped scenario through the public API, on a coarse grid for half an hour.

    Sampled statistics only (``exact=False``): coverage and satellites in view are what is checked,
    and they come from the sampled counts either way.
    """
    scenario = load_scenario(name)
    grid = cs.global_grid(spacing_deg=spacing_deg)
    rows = {}
    for spec in scenario.constellations:
        source = spec.build(scenario.start)
        start = spec.analysis_start(source, scenario.start)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # decayed satellites fail SGP4: excluded, as documented
            ds = cs.analyze(source, grid, start, duration_s=duration_s, step_s=step_s, progress=False,
                            exact=False)
        rows[spec.label] = (len(source), start, ds)
    return rows


def test_reality_2026_short_run():
    rows = _short_run("reality_2026")
    (n_leo, start_leo, leo), (n_starlink, start_starlink, starlink) = rows.values()
    assert (n_leo, n_starlink) == (391, 10744)
    # each snapshot from its own newest epoch (README)
    assert start_leo.strftime("%Y-%m-%d %H:%M") == "2026-08-22 15:55"
    assert start_starlink.strftime("%Y-%m-%d %H:%M") == "2026-08-22 17:16"
    for ds in (leo, starlink):
        coverage = ds["coverage_time_fraction"].values
        assert np.all((coverage >= 0.0) & (coverage <= 1.0))
    assert float(starlink["visible_mean"].mean()) > float(leo["visible_mean"].mean())


def test_year_on_short_run_2026_fleets_see_more_satellites():
    rows = _short_run("year_on")
    sizes = [n for n, _, _ in rows.values()]
    assert sizes == [78, 7996, 391, 10744]
    (_, _, kuiper_2025), (_, _, starlink_2025), (_, _, leo_2026), (_, _, starlink_2026) = rows.values()
    for ds in (kuiper_2025, starlink_2025, leo_2026, starlink_2026):
        coverage = ds["coverage_time_fraction"].values
        assert np.all((coverage >= 0.0) & (coverage <= 1.0))
    in_view = {k: float(ds["visible_mean"].mean()) for k, ds in
               (("k25", kuiper_2025), ("s25", starlink_2025), ("l26", leo_2026), ("s26", starlink_2026))}
    assert in_view["l26"] > in_view["k25"]
    assert in_view["s26"] > in_view["s25"]
