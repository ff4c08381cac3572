"""Launch model: satellite counts per date from manifests and cadences, orbit raising, fill order, errors."""

import copy

import numpy as np
import pytest
from shared import check_message

from constellations import Constellation, Shell, preset
from constellations.race.deployment import (
    BASES,
    FillOrder,
    LaunchModel,
    VehicleRate,
    fill_order,
    rate_launch_days,
    spread_order,
)
from constellations.sources.datafiles import data_dir

D = np.timedelta64(1, "D")


def day(text):
    return np.datetime64(text, "D")


def base_model(**operator):
    """A one-vehicle, one-operator model without a constellation; ``operator`` updates the operator."""
    op = {"max_satellites": 10_000, "orbit_raising_days": 0,
          "cases": {"only": {"rates_start": "2026-01-01"}}}
    op.update(operator)
    return {"vehicles": {"rocket": {"satellites_per_launch": 10, "basis": "assumption"}},
            "operators": {"op": op}}


def deploy(raw, start="2026-01-01", until="2030-12-31", case="only", **kw):
    return LaunchModel.from_dict(raw).deployment("op", case, start, until, **kw)


# --------------------------------------------------------------------------- counts from a manifest


def test_manifest_counts_by_hand():
    raw = base_model(manifest=[{"date": "2026-01-10", "vehicle": "rocket"},
                               {"date": "2026-03-01", "vehicle": "rocket", "satellites": 5}])
    dep = deploy(raw)
    dates = ["2025-12-31", "2026-01-09", "2026-01-10", "2026-02-28", "2026-03-01", "2027-01-01"]
    c = dep.counts(dates)
    assert c["launched"].tolist() == [0, 0, 10, 10, 15, 15]
    assert c["operational"].tolist() == [0, 0, 10, 10, 15, 15]
    assert dep.first_date(15) == day("2026-03-01")
    assert dep.first_date(16) is None


def test_orbit_raising_delay_shifts_availability():
    manifest = [{"date": "2026-02-01", "vehicle": "rocket"}, {"date": "2026-05-20", "vehicle": "rocket"}]
    now = deploy(base_model(manifest=manifest))
    later = deploy(base_model(manifest=manifest, orbit_raising_days=30))
    dates = np.arange(day("2026-01-01"), day("2026-12-31"), D)
    a, b = now.counts(dates), later.counts(dates + 30 * D)
    assert np.array_equal(a["operational"], b["operational"])  # shifted by exactly 30 days
    assert np.array_equal(later.counts(dates)["launched"], a["launched"])  # launches are not delayed
    assert later.counts(["2026-03-02"])["operational"][0] == 0
    assert later.counts(["2026-03-03"])["operational"][0] == 10


def test_orbit_raising_spread_uniformly():
    dep = deploy(base_model(manifest=[{"date": "2026-01-01", "vehicle": "rocket"}],
                            orbit_raising_days=[10, 20]))
    days = day("2026-01-01") + np.array([0, 9, 10, 12, 15, 19, 20, 40]) * D
    # fraction arrived = clip((age - 10) / 10, 0, 1); 10 satellites -> floor(10 * fraction)
    assert dep.counts(days)["operational"].tolist() == [0, 0, 0, 2, 5, 9, 10, 10]
    assert dep.counts(days)["in_orbit"].tolist() == [10] * 8


def test_history_before_start_is_operational_or_raising():
    manifest = [{"date": "2025-12-01", "vehicle": "rocket", "flown": True}]
    op = deploy(base_model(manifest=manifest, orbit_raising_days=60))
    raising = deploy(base_model(manifest=manifest, orbit_raising_days=60, start_state="raising"))
    assert op.counts(["2026-01-01"])["operational"][0] == 10
    assert raising.counts(["2026-01-01"])["operational"][0] == 0
    assert raising.counts(["2026-01-30"])["operational"][0] == 10  # 2025-12-01 + 60 days


# --------------------------------------------------------------------------- cadences


def test_rate_launch_days_by_hand():
    # 4 a year in 2026 (365 days): launch k flies on day ceil((k - 1/2) 365 / 4) - 1 after Jan 1
    got = rate_launch_days(VehicleRate("rocket", {2026: 4}), "2026-01-01", "2026-12-31")
    k = np.arange(1, 5)
    expected = day("2026-01-01") + (np.ceil((k - 0.5) * 365 / 4).astype(int) - 1) * D
    assert got.tolist() == expected.tolist()
    assert str(got[0]) == "2026-02-15"
    # 8 a year with half for this operator is the same cadence
    half = rate_launch_days(VehicleRate("rocket", {2026: 8}, share=0.5), "2026-01-01", "2026-12-31")
    assert half.tolist() == got.tolist()


def test_rate_persists_after_last_year_and_is_zero_before_first():
    r = VehicleRate("rocket", {2027: 2})
    got = rate_launch_days(r, "2026-01-01", "2028-12-31")
    assert all(str(d) >= "2027" for d in got)
    assert len(got) == 4  # 2 in 2027, 2 in 2028


def test_rates_and_contract_cap():
    raw = base_model(contracts={"rocket": 3},
                     manifest=[{"date": "2025-06-01", "vehicle": "rocket", "flown": True}])
    raw["operators"]["op"]["cases"]["only"]["rates"] = {"rocket": {"launches_per_year": {"2026": 12}}}
    dep = deploy(raw)
    assert len(dep.launches) == 3  # the flown launch counts against the contract of 3
    assert [x.source for x in dep.launches] == ["manifest", "rate", "rate"]
    assert dep.counts(["2030-01-01"])["launched"][0] == 30


def test_zero_cadence_never_grows():
    raw = base_model(manifest=[{"date": "2025-06-01", "vehicle": "rocket", "flown": True}])
    raw["operators"]["op"]["cases"]["only"]["rates"] = {"rocket": {"launches_per_year": {"2026": 0}}}
    dep = deploy(raw, until="2036-01-01")
    dates = np.arange(day("2026-01-01"), day("2036-01-01"), 30 * D)
    c = dep.counts(dates)
    assert np.all(c["operational"] == 10) and np.all(c["launched"] == 10)


def test_capacity_caps_operational():
    raw = base_model(max_satellites=25)
    raw["operators"]["op"]["cases"]["only"]["rates"] = {"rocket": {"launches_per_year": {"2026": 12}}}
    c = deploy(raw).counts(["2026-12-31"])
    assert c["launched"][0] == 120 and c["operational"][0] == 25


def test_failures_expected_and_seeded():
    raw = base_model(manifest=[{"date": "2026-01-02", "vehicle": "rocket", "satellites": 100},
                               {"date": "2026-01-03", "vehicle": "rocket", "satellites": 100, "flown": True}])
    case = raw["operators"]["op"]["cases"]["only"]
    case.update(launch_failure_rate=0.1, satellite_failure_rate=0.2)
    dep = deploy(raw)
    # planned launch: 100 * 0.9 * 0.8 = 72 expected; the flown one is a fact: 100
    assert dep.delivered.tolist() == pytest.approx([72.0, 100.0])
    assert dep.counts(["2026-02-01"])["operational"][0] == 172
    s1, s2 = deploy(raw, failures="seeded", seed=3), deploy(raw, failures="seeded", seed=3)
    assert s1.delivered.tolist() == s2.delivered.tolist()
    assert s1.delivered[1] == 100 and 0 <= s1.delivered[0] <= 100
    case.update(launch_failure_rate=0.0, satellite_failure_rate=0.0)
    assert deploy(raw, failures="seeded").delivered.tolist() == [100.0, 100.0]


# --------------------------------------------------------------------------- fill order


def test_spread_order_is_a_permutation_with_even_first_half():
    for n in range(1, 41):
        order = spread_order(n)
        assert sorted(order.tolist()) == list(range(n))
        assert sorted(order[: (n + 1) // 2].tolist()) == list(range(0, n, 2))
    assert spread_order(8).tolist() == [0, 4, 2, 6, 1, 5, 3, 7]


def test_fill_order_by_hand():
    c = Constellation("demo", (Shell(550.0, 53.0, 4, 3, name="A"), Shell(600.0, 40.0, 2, 2, name="B")))
    seq = fill_order(c, FillOrder(shells=("B", "A"), planes="sequential", slots="sequential"))
    assert seq.tolist() == [12, 13, 14, 15, *range(12)]
    spread = fill_order(c, FillOrder(shells=(0,), planes="spread", slots="sequential"))
    # planes 0, 2, 1, 3 of shell A (3 satellites each)
    assert spread.tolist() == [0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11]
    explicit = fill_order(c, FillOrder(shells=(0,), planes=(3, 2, 1, 0), slots="sequential"))
    assert explicit[:3].tolist() == [9, 10, 11]


def test_kuiper_fill_order_fills_shells_then_planes():
    model = LaunchModel.from_toml()
    op = model.operator("kuiper")
    order = op.fill_order()
    e = preset("kuiper").elements()
    assert sorted(order.tolist()) == list(range(3236))
    shell = e.shell[order]
    assert np.all(shell[:1156] == 0) and np.all(shell[1156:2452] == 1) and np.all(shell[2452:] == 2)
    # Phase 1 = the first 578: every other plane of the 34-plane shell, each plane complete
    plane = np.round(np.degrees(e.raan_rad[order[:578]]) / (360 / 34)).astype(int) % 34
    assert sorted(set(plane.tolist())) == list(range(0, 34, 2))
    assert np.all(np.bincount(plane, minlength=34)[::2] == 34)


# --------------------------------------------------------------------------- the shipped launch file


def test_launch_file_loads_and_labels_sources():
    model = LaunchModel.from_toml()
    # the 2025 forecasts and the re-forecasts of 2026-08-22 (issue 13)
    assert set(model.operators["kuiper"].cases) == {"low", "nominal", "high", "observed", "nominal_2026"}
    assert all(v.basis in BASES for v in model.vehicles.values())
    for key in ("vulcan", "new_glenn"):
        assert model.vehicles[key].basis == "press"
    assert model.vehicles["ariane_64"].basis == "measured"  # 32 on its first flight, 2026-02-12


def test_measured_capacities_match_the_tle_file():
    from constellations.sources.tle import Catalog

    cat = Catalog.from_tle(data_dir() / "tle" / "kuiper_20251003_from_active.tle")
    launch = np.array([d[:8] for d in cat.designators])
    model = LaunchModel.from_toml()
    assert np.sum(launch == "2025-088") == model.vehicles["atlas_v"].satellites_per_launch
    assert np.sum(launch == "2025-151") == model.vehicles["falcon_9"].satellites_per_launch


def test_kuiper_starts_from_78():
    model = LaunchModel.from_toml()
    for case in ("low", "nominal", "high"):
        dep = model.deployment("kuiper", case, "2025-08-01", "2030-12-01")
        c = dep.counts(["2025-08-01", "2030-12-01"])
        assert c["operational"][0] == 78
        assert c["operational"][1] <= 3236
        ops = dep.counts(np.arange(day("2025-08-01"), day("2030-12-01"), 7 * D))["operational"]
        assert np.all(np.diff(ops) >= 0)  # no in-orbit failures: never falls


# --------------------------------------------------------------------------- bad input


OP = "operators.op"
CASE = "operators.op.cases.only"


def rates(**rocket):
    return {"rocket": {"launches_per_year": {"2026": 4}, **rocket}}


def op(**changes):
    """A change to the operator table."""
    return lambda r: r["operators"]["op"].update(changes)


def case(**changes):
    """A change to the case table."""
    return lambda r: r["operators"]["op"]["cases"]["only"].update(changes)


def vehicle(**changes):
    """A change to the vehicle table."""
    return lambda r: r["vehicles"]["rocket"].update(changes)


def launch(**entry):
    """A one-launch manifest."""
    return [{"date": "2026-01-01", "vehicle": "rocket", **entry}]


@pytest.mark.parametrize("mutate, key, value, texts", [
    # unknown keys, at every level of the file
    (lambda r: r.update(zz=1), "zz", None, ["is not a known key", "Allowed here: description, operators"]),
    (vehicle(capacity=3), "vehicles.rocket.capacity", None,
     ["is not a known key"]),
    (op(colour="red"), f"{OP}.colour", None, ["is not a known key"]),
    (op(fill={"plane": "spread"}), f"{OP}.fill.plane", None,
     ["did you mean 'planes'?"]),
    (op(manifest=launch(flow=True)),
     f"{OP}.manifest[0].flow", None, ["did you mean 'flown'?"]),
    (case(rate={}), f"{CASE}.rate", None,
     ["did you mean 'rates'?"]),
    (case(rates=rates(shares=1)), f"{CASE}.rates.rocket.shares",
     None, ["did you mean 'share'?"]),
    (case(rates={"plane": {"launches_per_year": {}}}),
     f"{CASE}.rates.plane", None, ["is not a known key", "Allowed here: rocket"]),
    (op(contracts={"rockett": 3}), f"{OP}.contracts.rockett", None,
     ["did you mean 'rocket'?"]),
    # strict types: numbers written as strings, and other wrong types
    (vehicle(satellites_per_launch="10"), "vehicles.rocket.satellites_per_launch",
     "10", ["must be an integer, not a string", "write it without quotes"]),
    (case(rates=rates(share="0.5")), f"{CASE}.rates.rocket.share",
     "0.5", ["must be a number, not a string", "write it without quotes", "share = 0.5"]),
    (case(rates={"rocket": {"launches_per_year": 4}}),
     f"{CASE}.rates.rocket.launches_per_year", 4, ["must be a non-empty table year = launches"]),
    (op(manifest=launch(flown="yes")),
     f"{OP}.manifest[0].flown", "yes", ["must be true or false"]),
    # ranges
    (case(rates=rates(share=1.5)), f"{CASE}.rates.rocket.share",
     1.5, ["must be <= 1"]),
    (case(rates=rates(share=-0.1)), f"{CASE}.rates.rocket.share",
     -0.1, ["must be >= 0"]),
    (case(launch_failure_rate=1.0),
     f"{CASE}.launch_failure_rate", 1.0, ["must be < 1"]),
    (case(rates={"rocket": {"launches_per_year": {"2026": -1}}}),
     f"{CASE}.rates.rocket.launches_per_year.2026", -1, ["must be >= 0"]),
    (case(rates={"rocket": {"launches_per_year": {"20x6": 4}}}),
     f"{CASE}.rates.rocket.launches_per_year", "20x6", ["each key must be a calendar year"]),
    (vehicle(satellites_per_launch=0), "vehicles.rocket.satellites_per_launch",
     0, ["must be >= 1"]),
    (op(manifest=launch(satellites=-3)),
     f"{OP}.manifest[0].satellites", -3, ["must be >= 0"]),
    (op(contracts={"rocket": -1}), f"{OP}.contracts.rocket", -1,
     ["must be >= 0"]),
    (op(orbit_raising_days=[20, 10]), f"{OP}.orbit_raising_days", [20, 10],
     ["max (10) is below min (20)"]),
    # dates
    (op(manifest=launch(date="March 2026")),
     f"{OP}.manifest[0].date", "March 2026", ["must be a date like 2026-07-30"]),
    (case(rates_start="2026-02-30"), f"{CASE}.rates_start",
     "2026-02-30", ["must be a date like"]),
    (op(manifest=[{"date": "2026-03-01", "vehicle": "rocket"},
                                                     {"date": "2026-01-01", "vehicle": "rocket"}]),
     f"{OP}.manifest[1].date", "2026-01-01", ["comes before the date of entry 0 (2026-03-01)"]),
    # names and consistency
    (op(manifest=launch(vehicle="rockett")),
     f"{OP}.manifest[0].vehicle", "rockett", ["did you mean 'rocket'?"]),
    (vehicle(basis="rumour"), "vehicles.rocket.basis", "rumour",
     ["must be one of 'measured', 'press', 'assumption', 'derived'"]),
    (op(constellation="kuipr"), f"{OP}.constellation", "kuipr",
     ["did you mean 'kuiper'?"]),
    (op(contracts={"rocket": 1}, manifest=[
        {"date": "2026-01-01", "vehicle": "rocket"}, {"date": "2026-02-01", "vehicle": "rocket"}]),
     f"{OP}.contracts.rocket", 1, ["the manifest of case 'only' has 2 rocket launches"]),
])
def test_bad_launch_files(mutate, key, value, texts):
    raw = copy.deepcopy(base_model())
    mutate(raw)
    with pytest.raises(ValueError) as err:
        LaunchModel.from_dict(raw, where="launches.toml")
    check_message(err, "launches.toml", key, value, *texts)


def test_bad_launch_file_on_disk_names_the_file(tmp_path):
    text = (data_dir() / "launches.toml").read_text()
    last_table = "operators.starlink.cases.high.rates.falcon_9_starlink"  # a trailing key lands there
    for edit, key, value in [(lambda t: t + "\nzz = 1\n", f"{last_table}.zz", None),
                             (lambda t: "zz = 1\n" + t, "zz", None),
                             (lambda t: t.replace("satellites = 27", 'satellites = "27"', 1),
                              "operators.kuiper.manifest[0].satellites", "27")]:
        path = tmp_path / "launches.toml"
        path.write_text(edit(text))
        with pytest.raises(ValueError) as err:
            LaunchModel.from_toml(path)
        check_message(err, str(path), key, value)


def test_missing_launch_file():
    with pytest.raises(ValueError, match="no such launch file"):
        LaunchModel.from_toml("/nonexistent/launches.toml")


def test_manifest_over_contract_and_unknown_case():
    raw = base_model(contracts={"rocket": 1}, manifest=[{"date": "2026-01-01", "vehicle": "rocket"},
                                                        {"date": "2026-02-01", "vehicle": "rocket"}])
    with pytest.raises(ValueError, match="the manifest of case 'only' has 2 rocket launches"):
        LaunchModel.from_dict(raw)  # at load, before any deployment is built
    model = LaunchModel.from_dict(base_model())
    with pytest.raises(ValueError, match="has no case 'nominl'; did you mean 'nominal'\\?"):
        LaunchModel.from_toml().case("kuiper", "nominl")
    with pytest.raises(ValueError, match="unknown operator 'oneweb'"):
        model.operator("oneweb")
    with pytest.raises(ValueError, match="no shell named 'Kuiper 700 km'"):
        fill_order(preset("kuiper"), FillOrder(shells=("Kuiper 700 km",)))
