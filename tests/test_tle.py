"""Tests of constellations.sources.tle: TLE parsing and checks, catalog filters, shell detection.

Reference counts come from constellations/data/tle/README.md (computed independently from the same files).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from constellations.sources.datafiles import data_dir
from constellations.sources.tle import (
    KUIPER_SHELLS,
    STARLINK_GEN1_SHELLS,
    Catalog,
    detect_shells,
    parse_tle,
    shell_table,
    tle_checksum,
)

TLE_DIR = data_dir() / "tle"
STARLINK_TLE = TLE_DIR / "starlink_20250727.tle"
KUIPER_TLE = TLE_DIR / "kuiper_20251003_from_active.tle"

# ISS element set of AIAA 2006-6753 / the Wikipedia TLE article; both checksums are 7.
ISS_NAME = "ISS (ZARYA)"
ISS_1 = "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927"
ISS_2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537"
# Two real Kuiper sets from the data file.
K8 = (
    "KUIPER-00008",
    "1 63724U 25088A   25275.80737823  .00011867  00000+0  97622-3 0  9995",
    "2 63724  51.8888  86.8492 0010789 288.8532  71.1268 14.99450704 24374",
)
K9 = (
    "KUIPER-00009",
    "1 63725U 25088B   25276.50605638  .00005089  00000+0  69607-3 0  9993",
    "2 63725  51.9003  81.6720 0011938 303.1300  56.8516 14.79904071 24503",
)


@pytest.fixture(scope="module")
def starlink() -> Catalog:
    return Catalog.from_tle(STARLINK_TLE)


@pytest.fixture(scope="module")
def kuiper() -> Catalog:
    return Catalog.from_tle(KUIPER_TLE)


# ---------------------------------------------------------------------------- the data files


def test_counts_of_the_data_files(starlink, kuiper):
    assert len(starlink) == 7996
    assert len(kuiper) == 102
    assert starlink.dropped == () and kuiper.dropped == ()
    assert starlink.name == "starlink_20250727"
    assert all(n.startswith("STARLINK-") for n in starlink.names)
    assert starlink.names[0] == "STARLINK-1008"  # CRLF and the 24-character padding stripped


def test_catalog_fields(kuiper):
    assert kuiper.designators[0] == "2025-088A"
    assert kuiper.catalog_numbers[0] == 63724
    assert kuiper.epochs.dtype == np.dtype("datetime64[us]")
    # README: epochs 2025-10-01 19:35 .. 2025-10-03 16:00 UTC
    lo, hi = kuiper.epoch_range()
    assert str(lo).startswith("2025-10-01T19:35") and str(hi).startswith("2025-10-03T16:00")
    np.testing.assert_allclose(kuiper.inclination_deg, 51.9, atol=0.05)
    assert np.all(kuiper.eccentricity < 0.01)
    # README: 37 Kuiper satellites at >= 625 km mean altitude (Kozai mean motion, a - 6378.137)
    assert int(np.sum(kuiper.altitude_km >= 625.0)) == 37
    assert int(np.sum((kuiper.altitude_km >= 600.0) & (kuiper.altitude_km < 625.0))) == 6


def test_altitude_from_kozai_mean_motion(kuiper):
    # KUIPER-00008: n = 14.99450704 rev/day -> a = (mu / n^2)^(1/3)
    n_rad_s = 14.99450704 * 2 * np.pi / 86400.0
    a_km = (398600.4418 / n_rad_s**2) ** (1 / 3)
    assert kuiper.altitude_km[0] == pytest.approx(a_km - 6378.137, abs=1e-6)


def test_catalog_is_a_frozen_satellite_source(kuiper):
    assert len(kuiper.min_elevation_deg_per_sat()) == 102
    assert np.all(kuiper.min_elevation_deg_per_sat() == 25.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        kuiper.min_elevation_deg = 35.0
    with pytest.raises(ValueError, match="read-only"):
        kuiper.altitude_km[0] = 0.0
    assert Catalog.from_tle(KUIPER_TLE, min_elevation_deg=35.0).min_elevation_deg == 35.0


def test_min_elevation_out_of_range():
    with pytest.raises(ValueError, match=r"min_elevation_deg must be within 0 <= value < 90 deg, "
                                         r"got 95"):
        Catalog.from_tle(KUIPER_TLE, min_elevation_deg=95)


# ---------------------------------------------------------------------------- filters


def test_designator_filter_selects_the_78_of_mid_2025(kuiper):
    cat = Catalog.from_tle(KUIPER_TLE, designators=["2025-088", "2025-134", "2025-151"])
    assert len(cat) == 78
    assert cat.dropped == (("launch not in 2025-088, 2025-134, 2025-151", 24),)
    assert {d[:8] for d in cat.designators} == {"2025-088", "2025-134", "2025-151"}
    assert "dropped 24: launch not in 2025-088, 2025-134, 2025-151" in cat.report()
    # README counts per launch
    for launch, count in [("2025-088", 27), ("2025-134", 27), ("2025-151", 24), ("2025-171", 24)]:
        assert len(Catalog.from_tle(KUIPER_TLE, designators=[launch])) == count


def test_designator_forms():
    assert len(Catalog.from_tle(KUIPER_TLE, designators="25088")) == 27  # TLE form
    one = Catalog.from_tle(KUIPER_TLE, designators=["2025-088A"])  # one piece
    assert one.names == ("KUIPER-00008",)
    with pytest.raises(ValueError, match=r"international designator '2025/088' is not recognised"
                                         r".*'YYYY-NNN'"):
        Catalog.from_tle(KUIPER_TLE, designators=["2025/088"])


def test_altitude_filter_reports_dropped_count(kuiper):
    cat = Catalog.from_tle(KUIPER_TLE, altitude_km=(625.0, 640.0))
    assert len(cat) == 37
    assert cat.dropped == (("mean altitude outside 625-640 km", 65),)
    report = cat.report()
    assert "read: 102 element sets" in report
    assert "dropped 65: mean altitude outside 625-640 km" in report
    assert "kept: 37" in report
    with pytest.raises(ValueError, match=r"altitude_km must be a \(min, max\) pair with min < max, "
                                         r"got \(640, 625\)"):
        Catalog.from_tle(KUIPER_TLE, altitude_km=(640, 625))


def test_filters_chain_in_order(starlink):
    cat = Catalog.from_tle(STARLINK_TLE, name_pattern="starlink-1*", altitude_km=(500, 600))
    by_name = np.array([n.startswith("STARLINK-1") for n in starlink.names])
    by_alt = (starlink.altitude_km >= 500) & (starlink.altitude_km <= 600)
    assert len(cat) == int(np.sum(by_name & by_alt))
    assert cat.dropped == (
        ("name does not match 'starlink-1*'", int(np.sum(~by_name))),
        ("mean altitude outside 500-600 km", int(np.sum(by_name & ~by_alt))),
    )
    regex = Catalog.from_tle(KUIPER_TLE, name_pattern=re.compile(r"^KUIPER-0000[89]$"))
    assert regex.names == ("KUIPER-00008", "KUIPER-00009")
    with pytest.raises(ValueError, match="name_pattern must be a glob string or a compiled"):
        Catalog.from_tle(KUIPER_TLE, name_pattern=42)


def test_epoch_age_filter(kuiper):
    newest = kuiper.epochs.max()
    age_days = (newest - kuiper.epochs) / np.timedelta64(1, "D")
    cat = Catalog.from_tle(KUIPER_TLE, max_epoch_age_days=1.0)
    assert len(cat) == int(np.sum(age_days <= 1.0))
    assert cat.dropped[0][0].startswith("epoch more than 1 days before 2025-10-03T16:00")
    late = Catalog.from_tle(KUIPER_TLE, max_epoch_age_days=1.0, reference_time="2025-10-10")
    assert len(late) == 0 and late.dropped[0][1] == 102


def test_select_records_reason(kuiper):
    high = kuiper.select(kuiper.altitude_km > 600.0, reason="below 600 km")
    assert len(high) == 43 and high.dropped == (("below 600 km", 59),)
    assert high.select([0, 1], reason="first two").dropped[-1] == ("first two", 41)


# ---------------------------------------------------------------------------- parser


def test_checksum():
    assert tle_checksum(ISS_1) == 7 and tle_checksum(ISS_2) == 7
    assert tle_checksum(K8[1]) == 5 and tle_checksum(K8[2]) == 4


def test_three_line_two_line_crlf_and_blank_lines():
    text = "\r\n".join([*K8, "", "   ", ISS_1, ISS_2, "", "0 " + K9[0], K9[1], K9[2], ""])
    sets = parse_tle(text)
    assert [s.name for s in sets] == ["KUIPER-00008", "25544", "KUIPER-00009"]
    assert [s.line_number for s in sets] == [2, 6, 10]
    assert all(len(s.line1) == len(s.line2) == 69 for s in sets)
    cat = Catalog.from_tle(text)
    assert len(cat) == 3 and cat.name == "TLE text"
    assert cat.names[1] == "25544"  # a 2-line set is named by its catalog number
    assert cat.designators[1] == "1998-067A"


def test_two_line_sets_without_names_from_a_file(tmp_path):
    path = tmp_path / "two_line.tle"
    path.write_text(f"{K8[1]}\n{K8[2]}\n{K9[1]}\n{K9[2]}\n")
    cat = Catalog.from_tle(path)
    assert cat.names == ("63724", "63725") and cat.name == "two_line"
    assert cat.source == "two_line.tle"  # an absolute local path is never stored: its name only


def test_bad_checksum_names_file_and_line(tmp_path):
    path = tmp_path / "bad.tle"
    line2 = K8[2][:-1] + "0"  # correct checksum is 4
    path.write_text("\n".join([K9[0], K9[1], K9[2], K8[0], K8[1], line2]) + "\n")
    with pytest.raises(ValueError) as excinfo:
        parse_tle(path)
    message = str(excinfo.value)
    assert message.startswith(f"{path}, line 6: checksum mismatch in TLE line 2")
    assert "the last digit is 0 but the modulo-10 sum of the first 68 characters" in message
    assert "is 4" in message and line2[:40] not in message  # no line is quoted in full


def test_truncated_line_shows_a_valid_line():
    text = "\n".join([K8[0], K8[1], K8[2][:60]])
    with pytest.raises(ValueError) as excinfo:
        parse_tle(text)
    message = str(excinfo.value)
    assert message.startswith("<text>, line 3: expected TLE line 2")
    assert "starting with '2 ', 69 characters), got" in message
    assert "(60 characters)" in message
    assert f"a valid line 2 looks like {ISS_2!r}" in message


def test_missing_line_one_after_a_name():
    text = "\n".join([K8[0], K9[0], K9[1], K9[2]])
    with pytest.raises(ValueError, match=r"^<text>, line 2: expected TLE line 1 \(after the name "
                                         r"line 'KUIPER-00008', starting with '1 ', 69 "
                                         r"characters\), got 'KUIPER-00009'"):
        parse_tle(text)


@pytest.mark.parametrize(
    ("lines", "pattern"),
    [
        ([K8[0], K8[1]], r"line 2: the input ends after TLE line 1; expected TLE line 2"),
        ([K8[0]], r"line 1: the input ends after the name line 'KUIPER-00008'"),
        ([K8[0], K8[1], K9[2]], r"line 3: TLE line 2 is for catalog number '63725' but the "
                                r"line 1 before it \(line 2\) is for '63724'"),
        ([K8[2], K8[1]], r"line 1: expected TLE line 1 \(starting with '1 '"),
        (["", "  "], r"no element sets found"),
    ],
)
def test_malformed_input_messages(lines, pattern):
    with pytest.raises(ValueError, match=pattern):
        parse_tle("\n".join(lines) + "\n")


def test_missing_file():
    with pytest.raises(ValueError, match=r"TLE file 'no/such.tle' does not exist"):
        Catalog.from_tle("no/such.tle")


# ---------------------------------------------------------------------------- shells


def test_kuiper_shells_are_all_at_51_9_deg(kuiper):
    rows = detect_shells(kuiper)
    assert rows, "expected at least the 630 km shell"
    for row in rows:
        assert row["inclination_deg"] == pytest.approx(51.9, abs=0.05)
        assert row["count"] == row["indices"].size >= 10
    top = max(rows, key=lambda r: r["altitude_km"])
    # README: 37 at >= 625 km and 6 at 600-625 km; the shell (+/-15 km) holds those near 630 km.
    assert 37 <= top["count"] <= 43
    assert top["altitude_km"] == pytest.approx(628.0, abs=5.0)
    members = np.concatenate([r["indices"] for r in rows])
    assert members.size == np.unique(members).size  # each satellite in at most one shell


def test_starlink_families(starlink):
    rows = detect_shells(starlink)
    big = [r for r in rows if r["count"] >= 200]
    families = {round(r["inclination_deg"]) for r in big}
    assert families == {43, 53, 70, 98}
    assert any(r["inclination_deg"] == pytest.approx(97.6, abs=0.15) for r in big)
    # README: 43 deg at 550-560 km holds 1,292; 70 deg at 570-580 km 447; 97.6 deg at 560-570 km 211
    by_key = {(round(r["inclination_deg"]), round(r["altitude_km"], -1)): r["count"] for r in big}
    assert by_key[(43, 560)] == pytest.approx(1292, abs=10)
    assert by_key[(70, 570)] == pytest.approx(447, abs=15)
    assert by_key[(98, 560)] == pytest.approx(211, abs=5)
    # the 53.2 deg / 530-540 km and 53.1 deg / 540-550 km groups are one shell at +/-0.5 deg
    assert by_key[(53, 540)] == pytest.approx(1409 + 764, abs=20)


def test_shell_table(starlink, kuiper):
    table = shell_table(starlink)
    assert "vs licensed starlink-gen1" in table
    row70 = next(line for line in table.splitlines() if line.startswith("| 70.0 | 57"))
    assert "Starlink Gen1 3 (570 km, 70.0 deg) | 720 |" in row70
    fill = float(row70.split("|")[-2].strip(" %"))
    count = int(row70.split("|")[4].replace(",", ""))
    assert fill == pytest.approx(100 * count / 720, abs=0.05)
    gen1_12 = "Starlink Gen1 1 (550 km, 53.0 deg) + Starlink Gen1 2 (540 km, 53.2 deg) | 3,168"
    assert gen1_12 in table
    assert "Starlink Gen1 4 (560 km, 97.6 deg) + Starlink Gen1 5 (560 km, 97.6 deg) | 520" in table

    table = shell_table(kuiper)
    assert "Kuiper 1 (630 km, 51.9 deg) | 1,156 |" in table
    assert "| - | - | - | 0 | Kuiper 2 (610 km, 42.0 deg) | 1,296 | 0.0 % |" in table
    assert "| not in a shell |" in table
    assert "FCC 20-102" in table
    assert shell_table(kuiper, licensed="starlink-gen1").count("| 0 | Starlink Gen1") == 5
    with pytest.raises(ValueError, match=r"licensed='oneweb' is not known; pass one of"):
        shell_table(kuiper, licensed="oneweb")


def test_licensed_constants():
    assert sum(s.n_sat for s in STARLINK_GEN1_SHELLS) == 4408
    assert sum(s.n_sat for s in KUIPER_SHELLS) == 3236
