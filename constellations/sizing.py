"""Constellation sizing: the fewest SBIs that keep k in reach of every chosen launch site for a share of time.

The ``golden_dome_sizing`` scenario (:func:`load_sizing_scenario`, :func:`run_sizing_scenario`) runs
the sizing together with the in-reach metrics, map and tracking layer that frame it.

A *pattern family* is a ladder of constellations of growing size at one altitude and inclination,
indexed by an integer ``j``; :func:`size_constellation` searches it for the smallest member that keeps
at least ``k`` SBIs in reach of every site for at least ``share`` of the window (default 99.9 % of
a day at 10 s steps: a launch can come at any moment).

Families (both have ``P`` planes of ``S`` satellites with ``S = P`` or ``P + 1``, so ``T = P x S``
runs 1, 2, 4, 6, 9, 12, ... = 1,600, 1,640, 1,681, ...: steps of ``1/P``, 2.5 % at 1,600 satellites):

``"walker"``
    Walker delta ``i: T/P/F`` with ``F = 1``: the classic even pattern. Its in-reach statistics are
    **not monotone** in T: re-spacing every satellite when one is added changes the pattern's
    resonance with the Earth's rotation, and over one day the minimum at a site drops in about one
    ladder step out of six to eight (measured at Sohae, 400 km / 50 deg, 240-10,000 satellites). The
    search therefore bisects the ladder and then *verifies* the next ``verify`` larger members; if
    one of them fails, the search resumes above it. The answer is the smallest member that passes
    together with the ``verify`` members above it: a size from which "more satellites" does not undo
    the requirement, not a lucky resonance.
``"nested"``
    Monotone by construction: plane ``k`` has RAAN ``360 vdc(k)`` and slot ``j`` argument of
    latitude ``360 vdc(j)`` (``vdc``: van der Corput base-2 sequence), so each member contains the
    previous one (a layer grown launch by launch without moving satellites). Adding satellites never
    lowers any count, but gaps are up to twice the mean spacing, so it needs ~1.3-2 times the
    satellites of the Walker ladder.

Examples
--------
>>> from constellations.sizing import PatternFamily
>>> fam = PatternFamily("walker", 400.0, 50.0)
>>> [fam.planes_sats(j) for j in range(5)], fam.total(78), fam.index_at_least(1600)
([(1, 1), (1, 2), (2, 2), (2, 3), (3, 3)], 1600, 78)
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from .interceptors import (
    DEFAULT_START,
    ReachModel,
    ThreatSite,
    _check_sites,
    _count,
    _time_axis,
    _unit_vectors,
    reach_model,
    threat_sites,
)

__all__ = [
    "FAMILIES",
    "PUBLISHED_ESTIMATES",
    "SCENARIO_KIND",
    "NestedPattern",
    "PatternFamily",
    "compare_published",
    "evaluate_member",
    "load_sizing_scenario",
    "run_sizing_scenario",
    "size_constellation",
    "sizing_sweep",
    "sizing_task",
]

FAMILIES = ("walker", "nested")
MAX_SATELLITES = 200_000

# Published constellation sizes (REFERENCE.md section 4), the salvo each was sized for, and the range of
# sizes we read the statement as (a point estimate has n_low = n_high).
PUBLISHED_ESTIMATES = (
    {"estimate": "APS 2003", "k": 1, "n_sat": 1600, "n_low": 1600, "n_high": 1600,
     "text": ">= 1,600 SBIs to engage one solid-fuel ICBM from North Korea", "tag": "secondary"},
    {"estimate": "APS 2025", "k": 1, "n_sat": 1000, "n_low": 1000, "n_high": 2000,
     "text": "over 1,000 SBIs for one ICBM (read here as 1,000-2,000)", "tag": "secondary summary"},
    {"estimate": "CBO 2025", "k": 10, "n_sat": 7800, "n_low": 7800, "n_high": 7800,
     "text": "7,800 SBIs at 300-500 km for a salvo of 10 ICBMs", "tag": "secondary"},
    {"estimate": "'16,000' (press)", "k": 10, "n_sat": 16000, "n_low": 16000, "n_high": 16000,
     "text": "16,000 satellites, unsourced; equals 10 x 1,600", "tag": "secondary, unsourced"},
    {"estimate": "APS 2025", "k": 10, "n_sat": 20000, "n_low": 20000, "n_high": 99999,
     "text": "'tens of thousands' for a salvo of 10 (read here as 20,000-99,999)",
     "tag": "secondary summary"},
)


def _vdc(n) -> np.ndarray:
    """Van der Corput base-2 radical inverse of the integers ``n`` (bit reversal), in [0, 1)."""
    n = np.asarray(n, dtype=np.int64).copy()
    out = np.zeros(n.shape)
    scale = 0.5
    while np.any(n > 0):
        out += (n & 1) * scale
        n >>= 1
        scale *= 0.5
    return out


class NestedPattern:
    """A nested P x S pattern of circular orbits (van der Corput RAANs and phases); a satellite source.

    Parameters
    ----------
    planes, sats_per_plane : int
    altitude_km, inclination_deg : float
    min_elevation_deg : float
        Only used when the pattern is analysed for line of sight.
    """

    def __init__(self, planes: int, sats_per_plane: int, altitude_km: float, inclination_deg: float,
                 min_elevation_deg: float = 10.0):
        from .constellation import Elements, Shell

        Shell(altitude_km, inclination_deg, planes, sats_per_plane)  # validates the numbers
        self.planes, self.sats_per_plane = int(planes), int(sats_per_plane)
        self.altitude_km, self.inclination_deg = float(altitude_km), float(inclination_deg)
        self.name = f"nested {inclination_deg:g} deg / {altitude_km:g} km: {planes} x {sats_per_plane}"
        n = self.planes * self.sats_per_plane
        plane = np.repeat(np.arange(self.planes), self.sats_per_plane)
        slot = np.tile(np.arange(self.sats_per_plane), self.planes)
        self._elements = Elements(
            altitude_km=np.full(n, self.altitude_km),
            inclination_rad=np.full(n, math.radians(self.inclination_deg)),
            raan_rad=2.0 * np.pi * _vdc(plane),
            arg_latitude_rad=2.0 * np.pi * _vdc(slot),
            min_elevation_deg=np.full(n, float(min_elevation_deg)),
            max_nadir_deg=np.full(n, np.inf),
            shell=np.zeros(n, dtype=np.int32),
        )

    def __len__(self) -> int:
        return self.planes * self.sats_per_plane

    def elements(self):
        """Per-satellite elements, arrays of shape (n_sat,)."""
        return self._elements

    def min_elevation_deg_per_sat(self) -> np.ndarray:
        return self._elements.min_elevation_deg

    def propagator(self, start):
        from .propagation import J2Propagator

        return J2Propagator(self._elements, start)


@dataclass(frozen=True)
class PatternFamily:
    """A ladder of constellations at one altitude and inclination (module docstring).

    Parameters
    ----------
    kind : {"walker", "nested"}
    altitude_km, inclination_deg : float
    phasing : int
        Walker F (clipped to ``P - 1`` for tiny members).
    """

    kind: str = "walker"
    altitude_km: float = 400.0
    inclination_deg: float = 50.0
    phasing: int = 1

    def __post_init__(self):
        if self.kind not in FAMILIES:
            raise ValueError(f"pattern family kind must be one of {FAMILIES}, got {self.kind!r}")
        from .constellation import Shell

        Shell(self.altitude_km, self.inclination_deg, 1, 1)  # validates altitude and inclination
        if not isinstance(self.phasing, int | np.integer) or self.phasing < 0:
            raise ValueError(f"phasing must be a non-negative integer (Walker F), got {self.phasing!r}")

    @property
    def label(self) -> str:
        return f"{self.kind} {self.altitude_km:g} km / {self.inclination_deg:g} deg"

    @staticmethod
    def planes_sats(index: int) -> tuple[int, int]:
        """Planes P and satellites per plane S of ladder member ``index`` (S = P or P + 1)."""
        if index < 0:
            raise ValueError(f"ladder index must be >= 0, got {index!r}")
        return (index + 2) // 2, (index + 3) // 2

    def total(self, index: int) -> int:
        """Satellites in ladder member ``index``."""
        p, s = self.planes_sats(index)
        return p * s

    def index_at_least(self, n_sat: int) -> int:
        """Smallest ladder index whose total is at least ``n_sat``."""
        p = max(1, math.isqrt(max(1, int(n_sat))))
        j = max(0, 2 * p - 3)
        while self.total(j) < n_sat:
            j += 1
        while j > 0 and self.total(j - 1) >= n_sat:
            j -= 1
        return j

    def member(self, index: int):
        """The constellation (a satellite source) of ladder member ``index``."""
        from .constellation import walker_delta

        p, s = self.planes_sats(index)
        if self.kind == "nested":
            return NestedPattern(p, s, self.altitude_km, self.inclination_deg)
        return walker_delta(p * s, p, min(self.phasing, p - 1), self.altitude_km, self.inclination_deg,
                            name=f"Walker {self.inclination_deg:g}: {p * s}/{p}/{min(self.phasing, p - 1)}",
                            min_elevation_deg=10.0)


def evaluate_member(source, sites, reach: ReachModel | str, start=DEFAULT_START, duration_s: float = 86400.0,
                    step_s: float = 10.0, *, k_max: int = 10) -> dict:
    """In-reach statistics of one constellation at the sites (what the sizing search tests).

    Returns
    -------
    dict
        ``share_at_least`` (k_max, n_site): share of time with at least k in reach, k = 1..k_max;
        ``min``, ``mean`` (n_site,): minimum and mean number in reach; ``n_sat``.
    """
    reach = reach_model(reach)
    sites = _check_sites(sites)
    t_s = _time_axis(duration_s, step_s)
    counts = _count(source.propagator(start), _unit_vectors(sites), reach.cos_threshold, t_s)
    ks = np.arange(1, k_max + 1)
    return {
        "share_at_least": (counts[None] >= ks[:, None, None]).mean(axis=1),
        "min": counts.min(axis=0),
        "mean": counts.mean(axis=0),
        "n_sat": len(source),
    }


def size_constellation(k: int, sites, reach: ReachModel | str, family: PatternFamily | None = None, *,
                       share: float = 0.999, start=DEFAULT_START, duration_s: float = 86400.0,
                       step_s: float = 10.0, n_max: int = 60_000, verify: int | None = None) -> dict:
    """Smallest member of a pattern family with at least ``k`` SBIs in reach of every site for ``share``.

    Parameters
    ----------
    k : int
        Salvo size: SBIs needed in reach at once.
    sites : list of ThreatSite
    reach : ReachModel or str
    family : PatternFamily, optional
        Default Walker delta at 400 km / 50 deg.
    share : float
        Required share of time in (0, 1]; default 0.999.
    start, duration_s, step_s
        Window (default one day at 10 s).
    n_max : int
        Largest constellation searched; beyond it the answer is "not found".
    verify : int, optional
        Larger ladder members that must also pass (module docstring); default 6 for "walker", 0 for
        "nested" (monotone by construction).

    Returns
    -------
    dict
        ``n_required`` (int, or -1 when even ``n_max`` satellites fail), ``planes``,
        ``sats_per_plane``, ``share_achieved`` (worst site), ``min_in_reach`` (worst site),
        ``mean_in_reach`` (worst site), ``first_pass_n`` (smallest member seen to pass),
        ``evaluations``, ``elapsed_s``, and the inputs (k, share, family, reach) as plain values.
    """
    t_start = time.perf_counter()
    reach = reach_model(reach)
    sites = _check_sites(sites)
    family = PatternFamily() if family is None else family
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k (salvo size) must be a positive integer, got {k!r}")
    if not 0.0 < float(share) <= 1.0:
        raise ValueError(f"share must be a fraction in (0, 1], got {share!r} (e.g. 0.999 for 99.9 %)")
    if not isinstance(n_max, int | np.integer) or not k <= n_max <= MAX_SATELLITES:
        raise ValueError(f"n_max must be an integer in [k, {MAX_SATELLITES}], got {n_max!r}")
    verify = (6 if family.kind == "walker" else 0) if verify is None else int(verify)
    cache: dict[int, dict] = {}

    def stats(j):
        if j not in cache:
            res = evaluate_member(family.member(j), sites, reach, start, duration_s, step_s, k_max=k)
            cache[j] = res
        return cache[j]

    def passes(j):
        return bool(np.all(stats(j)["share_at_least"][k - 1] >= share))

    lo = family.index_at_least(k) - 1  # below k satellites nothing can pass
    hi = family.index_at_least(n_max)
    result = {"k": int(k), "share": float(share), "family": family.kind, "altitude_km": family.altitude_km,
              "inclination_deg": family.inclination_deg, "reach": reach.name, "verify": verify,
              "sites": ", ".join(s.name for s in sites)}
    if not passes(hi):
        result.update(n_required=-1, planes=-1, sats_per_plane=-1, share_achieved=float(
            stats(hi)["share_at_least"][k - 1].min()), min_in_reach=int(stats(hi)["min"].min()),
            mean_in_reach=float(stats(hi)["mean"].min()), first_pass_n=-1, evaluations=len(cache),
            elapsed_s=time.perf_counter() - t_start)
        return result
    top = hi
    while True:
        while hi - lo > 1:  # invariant: lo fails (or is below the ladder), hi passes
            mid = (lo + hi) // 2
            if passes(mid):
                hi = mid
            else:
                lo = mid
        failed = [j for j in range(hi + 1, min(top, hi + verify) + 1) if not passes(j)]
        if not failed:
            break
        lo, hi = max(failed), top
    best = stats(hi)
    passing = [j for j in cache if passes(j)]
    p, s = family.planes_sats(hi)
    result.update(n_required=family.total(hi), planes=p, sats_per_plane=s,
                  share_achieved=float(best["share_at_least"][k - 1].min()),
                  min_in_reach=int(best["min"].min()), mean_in_reach=float(best["mean"].min()),
                  first_pass_n=family.total(min(passing)), evaluations=len(cache),
                  elapsed_s=time.perf_counter() - t_start)
    return result


def sizing_task(*, k: int, reach: str | dict, family: str = "walker", altitude_km: float = 400.0,
                inclination_deg: float = 50.0, sites=("Sohae",), share: float = 0.999,
                start: str = DEFAULT_START, duration_s: float = 86400.0, step_s: float = 10.0,
                n_max: int = 60_000) -> dict:
    """:func:`size_constellation` with plain, picklable parameters: one task of a Dask sweep.

    ``reach`` is a name of :data:`~constellations.interceptors.REACH_ASSUMPTIONS` or a dict of
    :class:`~constellations.interceptors.ReachModel` fields; ``sites`` names from ``data/threats.toml``
    or dicts with ``name``, ``lat_deg``, ``lon_deg``.
    """
    model = ReachModel.from_dict(reach) if isinstance(reach, dict) else reach_model(reach)
    chosen = _sites_from_spec(sites)
    fam = PatternFamily(family, float(altitude_km), float(inclination_deg))
    out = size_constellation(int(k), chosen, model, fam, share=share, start=start, duration_s=duration_s,
                             step_s=step_s, n_max=int(n_max))
    out.pop("sites", None)
    out.pop("reach", None)
    out.pop("k", None)
    out.pop("family", None)
    for key in ("share", "altitude_km", "inclination_deg"):
        out.pop(key, None)
    return out


def _sites_from_spec(sites) -> list[ThreatSite]:
    if isinstance(sites, str):
        sites = [sites]
    named = [s for s in sites if isinstance(s, str)]
    by_name = {s.name: s for s in threat_sites(named)} if named else {}
    out = []
    for s in sites:
        if isinstance(s, ThreatSite):
            out.append(s)
        elif isinstance(s, str):
            out.append(by_name[threat_sites([s])[0].name])
        elif isinstance(s, dict):
            out.append(ThreatSite(s["name"], s.get("country", "user-defined"), s["lat_deg"], s["lon_deg"]))
        else:
            raise ValueError(f"a site must be a name, a dict with name/lat_deg/lon_deg or a ThreatSite, "
                             f"got {s!r}")
    return out


def sizing_sweep(ks=range(1, 11), reaches=("solid-4kms",), families=(("walker", 400.0, 50.0),), *,
                 sites=("Sohae",), share: float = 0.999, start: str = DEFAULT_START,
                 duration_s: float = 86400.0, step_s: float = 10.0, n_max: int = 60_000,
                 scheduler: str | None = None, n_workers: int = 2, serial: bool = False,
                 progress: bool | None = None):
    """Size the constellation for every (k, reach, family) combination as independent Dask tasks.

    Parameters
    ----------
    ks : iterable of int
        Salvo sizes.
    reaches : iterable of str or dict
        Reach assumption names (or dicts of ReachModel fields).
    families : iterable of (kind, altitude_km, inclination_deg)
    sites, share, start, duration_s, step_s, n_max
        As :func:`sizing_task`; the same for every task.
    scheduler, n_workers, serial, progress
        As :func:`constellations.sweeps.map_tasks`.

    Returns
    -------
    dataset : xarray.Dataset
        One entry per task along ``task`` with the parameters as coordinates (``k``, ``reach``,
        ``family``, ``altitude_km``, ``inclination_deg``) and the results of :func:`sizing_task`.
    sweep : SweepResult
        Timing, mode and failures (a failed task is reported with its parameters).
    """
    from .sweeps import gather_dataset, map_tasks

    site_spec = [s if isinstance(s, str) else dataclasses.asdict(s) if isinstance(s, ThreatSite) else s
                 for s in ([sites] if isinstance(sites, str) else sites)]
    params = [
        {"k": int(k), "reach": reach, "family": fam[0], "altitude_km": float(fam[1]),
         "inclination_deg": float(fam[2]), "sites": tuple(site_spec), "share": float(share),
         "start": str(start), "duration_s": float(duration_s), "step_s": float(step_s), "n_max": int(n_max)}
        for fam in families for reach in reaches for k in ks
    ]
    sweep = map_tasks(sizing_task, params, scheduler=scheduler, n_workers=n_workers, serial=serial,
                      progress=progress)
    if all(r is None for r in sweep.results):
        raise RuntimeError("every sizing task failed:\n" + sweep.report())
    shown = [{key: (v if not isinstance(v, dict) else v.get("name", str(v))) for key, v in p.items()
              if key not in ("sites", "start")} for p in params]
    ds = gather_dataset(shown, sweep.results)
    ds.attrs.update({"sites": ", ".join(str(s if isinstance(s, str) else s.get("name")) for s in site_spec),
                     "share": float(share), "start_utc": str(start), "duration_s": float(duration_s),
                     "step_s": float(step_s), "n_max": int(n_max), "sweep_mode": sweep.mode,
                     "sweep_wall_s": float(sweep.wall_s)})
    for name, unit in (("n_required", "satellites"), ("first_pass_n", "satellites"), ("elapsed_s", "s"),
                       ("share_achieved", "1"), ("min_in_reach", "1"), ("mean_in_reach", "1")):
        if name in ds:
            ds[name].attrs["units"] = unit
    return ds, sweep


def compare_published(sizing, tolerance: float = 0.25):
    """Our sizes next to the published ones: which assumption sets land near each estimate.

    Parameters
    ----------
    sizing : xarray.Dataset
        From :func:`sizing_sweep` (needs ``k``, ``reach``, ``n_required`` along ``task``).
    tolerance : float
        Relative margin around a published size (or range) counted as "reproduces roughly".

    Returns
    -------
    pandas.DataFrame
        One row per (published estimate, our size for the same k): ``estimate``, ``k``,
        ``published_n`` (the quoted number), ``published_range`` (how we read it), ``reach``,
        ``family``, ``our_n``, ``ratio`` (ours / quoted number) and ``reproduces`` (ours within
        ``[n_low / (1 + tolerance), n_high * (1 + tolerance)]``). Sizes not found (-1) are left out.
    """
    import pandas as pd

    df = sizing.to_dataframe() if hasattr(sizing, "to_dataframe") else pd.DataFrame(sizing)
    df = df.reset_index()
    rows = []
    for est in PUBLISHED_ESTIMATES:
        sub = df[(df["k"] == est["k"]) & (df["n_required"] > 0)]
        for _, r in sub.iterrows():
            ours = float(r["n_required"])
            ok = est["n_low"] / (1.0 + tolerance) <= ours <= est["n_high"] * (1.0 + tolerance)
            family = (f"{r.get('family', '')} {float(r.get('altitude_km', float('nan'))):g} km / "
                      f"{float(r.get('inclination_deg', float('nan'))):g} deg")
            quoted = (f"{est['n_low']:,}" if est["n_low"] == est["n_high"]
                      else f"{est['n_low']:,}-{est['n_high']:,}")
            rows.append({"estimate": est["estimate"], "k": est["k"], "published_n": est["n_sat"],
                         "published_range": quoted, "published_text": est["text"], "reach": r["reach"],
                         "family": family, "our_n": int(ours), "ratio": ours / est["n_sat"],
                         "reproduces": bool(ok)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- the sizing scenario

SCENARIO_KIND = "golden_dome_sizing"
_SCENARIO_KEYS = {"kind", "name", "description", "start", "duration_h", "step_s", "sites", "reach", "metrics",
                  "map", "sizing", "tracking", "fast"}


def load_sizing_scenario(source, *, fast: bool = False) -> dict:
    """Read and check a ``kind = "golden_dome_sizing"`` scenario (TOML file or dict).

    Parameters
    ----------
    source : str, Path or dict
        E.g. ``data/scenarios/golden_dome_sizing.toml``.
    fast : bool
        Apply the ``[fast]`` table (small settings for CI).

    Returns
    -------
    dict
        ``name``, ``description``, ``start``, ``duration_s``, ``step_s``, ``sites`` (ThreatSite list),
        ``reaches`` (ReachModel list), ``metrics``, ``map`` (or None), ``sizing``, ``tracking`` (or
        None): plain values ready for :func:`run_sizing_scenario`.
    """
    import tomllib
    from pathlib import Path

    from .interceptors import sites_from_points, sites_in_country

    if isinstance(source, dict):
        raw, where = dict(source), "scenario"
    else:
        path = Path(source)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"scenario file {str(path)!r} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"scenario {str(path)!r} is not valid TOML ({exc})") from None
        where = path.name
    if raw.get("kind") != SCENARIO_KIND:
        raise ValueError(f"{where}: kind must be {SCENARIO_KIND!r} for this loader, got {raw.get('kind')!r}")
    unknown = set(raw) - _SCENARIO_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown top-level keys {sorted(unknown)}; allowed: "
                         f"{sorted(_SCENARIO_KEYS)}")
    fast_cfg = dict(raw.get("fast", {})) if fast else {}

    def number(table, key, default, low=0.0, strict=True):
        value = table.get(key, default)
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: {key} must be a number, got {value!r}") from None
        if not math.isfinite(v) or v < low or (strict and v == low):
            raise ValueError(f"{where}: {key} = {value!r} must be {'>' if strict else '>='} {low:g}")
        return v

    duration_s = 3600.0 * number(fast_cfg if "duration_h" in fast_cfg else raw, "duration_h", 24.0)
    step_s = number(fast_cfg if "step_s" in fast_cfg else raw, "step_s", 10.0)
    site_cfg = raw.get("sites", {})
    sites = list(threat_sites(site_cfg["names"])) if "names" in site_cfg else []
    for p in site_cfg.get("points", []):
        sites += sites_from_points([p["lat_deg"]], [p["lon_deg"]], [p.get("name", "point")])
    for c in site_cfg.get("countries", []):
        c = {"name": c} if isinstance(c, str) else c
        sites += sites_in_country(c["name"], float(c.get("spacing_deg", 2.0)))
    if not sites:
        sites = threat_sites()
    reaches = []
    for i, r in enumerate(raw.get("reach", [{"preset": "solid-4kms"}])):
        reaches.append(ReachModel.from_dict(r, where=f"{where}: reach #{i + 1}"))
    by_name = {r.name: r for r in reaches}

    def pick_reach(name, what):
        if name in by_name:
            return by_name[name]
        return reach_model(name) if isinstance(name, str) else ReachModel.from_dict(name, where=what)

    m = dict(raw.get("metrics", {}))
    metrics = {"constellation": m.get("constellation", "golden_dome"), "k_max": int(m.get("k_max", 10)),
               "percentiles": list(m.get("percentiles", [1, 5])),
               "figure_reach": pick_reach(m.get("figure_reach", reaches[0].name), "metrics.figure_reach"),
               "figure_hours": float(m.get("figure_hours", 6.0))}
    map_cfg = None
    if "map" in raw:
        mp = raw["map"]
        map_cfg = {"reach": pick_reach(mp.get("reach", reaches[0].name), "map.reach"),
                   "spacing_deg": float(fast_cfg.get("map_spacing_deg", mp.get("spacing_deg", 2.0))),
                   "step_s": float(fast_cfg.get("map_step_s", mp.get("step_s", 60.0)))}
    sz = dict(raw.get("sizing", {}))
    families = [(f.get("kind", "walker"), float(f.get("altitude_km", 400.0)),
                 float(f.get("inclination_deg", 50.0))) for f in sz.get("families", [{}])]
    for fam in families:
        PatternFamily(*fam)  # validates
    sizing_reaches = [pick_reach(r, "sizing.reaches")
                      for r in fast_cfg.get("sizing_reaches", sz.get("reaches", []))]
    sizing = {"sites": threat_sites(sz["sites"]) if "sites" in sz else sites[:1],
              "ks": [int(k) for k in fast_cfg.get("sizing_ks", sz.get("ks", list(range(1, 11))))],
              "share": float(sz.get("share", 0.999)), "n_max": int(sz.get("n_max", 60_000)),
              "families": families[: int(fast_cfg.get("sizing_families", len(families)))],
              "reaches": sizing_reaches or reaches}
    tracking = None
    if "tracking" in raw:
        tr = raw["tracking"]
        tracking = {"min_sensors": int(tr.get("min_sensors", 2)),
                    "sensors": [_sensor_source(s, where)
                                for s in tr.get("sensors", [{"preset": "golden_dome"}])]}
    return {"name": str(raw.get("name", "golden_dome_sizing")),
            "description": str(raw.get("description", "")),
            "start": str(raw.get("start", DEFAULT_START)), "duration_s": duration_s, "step_s": step_s,
            "sites": sites, "reaches": reaches, "metrics": metrics, "map": map_cfg, "sizing": sizing,
            "tracking": tracking, "fast": bool(fast)}


def _sensor_source(spec: dict, where: str):
    from .constellation import walker_delta
    from .presets import preset

    if "preset" in spec:
        return preset(spec["preset"])
    try:
        return walker_delta(int(spec["total"]), int(spec["planes"]), int(spec.get("phasing", 1)),
                            float(spec["altitude_km"]), float(spec["inclination_deg"]),
                            name=str(spec.get("name", "sensor layer")),
                            min_elevation_deg=float(spec.get("min_elevation_deg", 10.0)))
    except KeyError as exc:
        raise ValueError(f"{where}: a tracking sensor layer needs 'preset' or total/planes/altitude_km/"
                         f"inclination_deg; missing {exc}") from None


def _markdown_table(df, floatfmt: str = "{:,.3g}") -> str:
    cols = list(df.columns)

    def cell(v):
        if isinstance(v, float | np.floating):
            if not math.isfinite(v):
                return "inf" if v > 0 else ("-" if math.isnan(v) else "-inf")
            return floatfmt.format(v)
        if isinstance(v, int | np.integer):
            return f"{int(v):,}"
        return str(v)

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def run_sizing_scenario(scenario: dict, out_dir, *, scheduler: str | None = None, serial: bool = False,
                        n_workers: int = 2, progress: bool | None = None, log=print) -> dict:
    """Run a loaded sizing scenario: in-reach metrics, map, sizing sweep (on Dask), tracking; write outputs.

    Parameters
    ----------
    scenario : dict
        From :func:`load_sizing_scenario`.
    out_dir : str or Path
        Folder for NetCDF, CSV, Markdown and PNG outputs (created; files written atomically).
    scheduler, serial, n_workers, progress
        Where the sizing tasks run (:func:`constellations.sweeps.map_tasks`).
    log : callable
        Receives progress lines (default ``print``).

    Returns
    -------
    dict
        ``written`` (list of paths), ``in_reach`` (DataFrame), ``sizing`` (Dataset), ``published``
        (DataFrame), ``tracking`` (DataFrame or None), ``sweep`` (SweepResult).
    """
    from pathlib import Path

    import pandas as pd

    from . import interceptors as itc
    from . import interceptors_figures as figs
    from .atomic import atomic_write_text
    from .figures import save_figure
    from .grid import global_grid
    from .presets import preset
    from .result import save

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    start, duration_s, step_s = scenario["start"], scenario["duration_s"], scenario["step_s"]
    sites = scenario["sites"]
    met = scenario["metrics"]
    layer = preset(met["constellation"])
    rows, figure_ds = [], None
    t0 = time.perf_counter()
    for reach in scenario["reaches"]:
        ds = itc.reach_metrics(layer, sites, reach, start, duration_s, step_s, k_max=met["k_max"],
                               percentiles=met["percentiles"])
        written.append(save(ds, out / f"in_reach_{reach.name}.nc"))
        if reach.name == met["figure_reach"].name:
            figure_ds = ds
        for i, site in enumerate(ds["site"].values):
            row = {"reach": reach.name, "site": str(site), "country": str(ds["country"].values[i]),
                   "mean": float(ds["in_reach_mean"][i]), "min": int(ds["in_reach_min"][i])}
            for p in ds["percentile"].values:
                row[f"p{p:g}"] = int(ds["in_reach_percentile"].sel(percentile=p)[i])
            row["share_ge_1"] = float(ds["share_at_least"].sel(k=1)[i])
            row[f"share_ge_{met['k_max']}"] = float(ds["share_at_least"].sel(k=met["k_max"])[i])
            row["N_over_mean"] = float(ds["absentee_ratio_mean"][i])
            row["N_over_min"] = float(ds["absentee_ratio_min"][i])
            row["formula_mean"] = float(ds["expected_mean"][i])
            rows.append(row)
    in_reach = pd.DataFrame(rows)
    log(f"in-reach metrics for {layer.name} ({len(layer):,}) at {len(sites)} sites x "
        f"{len(scenario['reaches'])} reach assumptions: {time.perf_counter() - t0:.1f} s")
    if figure_ds is None:
        figure_ds = itc.reach_metrics(layer, sites, met["figure_reach"], start, duration_s, step_s)
    written += save_figure(figs.in_reach_timeseries(figure_ds, k=met["k_max"], hours=met["figure_hours"]),
                           out / "in_reach_timeseries")
    if scenario["map"] is not None:
        t0 = time.perf_counter()
        mp = scenario["map"]
        map_ds = itc.mean_in_reach_map(layer, mp["reach"], global_grid(spacing_deg=mp["spacing_deg"]), start,
                                       duration_s, mp["step_s"])
        written.append(save(map_ds, out / "mean_in_reach_map.nc"))
        written += save_figure(figs.mean_in_reach_map(map_ds, sites=sites), out / "mean_in_reach_map")
        log(f"mean-in-reach map ({len(map_ds['cell']):,} cells): {time.perf_counter() - t0:.1f} s")
    sz = scenario["sizing"]
    sizing, sweep = sizing_sweep(sz["ks"], [dataclasses.asdict(r) for r in sz["reaches"]], sz["families"],
                                 sites=sz["sites"], share=sz["share"], start=start, duration_s=duration_s,
                                 step_s=step_s, n_max=sz["n_max"], scheduler=scheduler, n_workers=n_workers,
                                 serial=serial, progress=progress)
    log(sweep.report())
    written.append(save(sizing, out / "sizing.nc"))
    sizing_df = sizing.to_dataframe().reset_index()
    keep = ["k", "reach", "family", "altitude_km", "inclination_deg", "n_required", "planes",
            "sats_per_plane", "min_in_reach", "mean_in_reach", "share_achieved", "first_pass_n",
            "evaluations", "failed"]
    sizing_df = sizing_df[[c for c in keep if c in sizing_df]]
    published = compare_published(sizing)
    written += save_figure(figs.sizing_curves(sizing), out / "sizing_curves")
    tracking_df = None
    if scenario["tracking"] is not None:
        tr_rows = []
        for i, sensors in enumerate(scenario["tracking"]["sensors"]):
            tr = itc.tracking_metrics(sensors, sites, start, duration_s, step_s,
                                      min_sensors=scenario["tracking"]["min_sensors"])
            written += save_figure(figs.tracking_timeseries(tr), out / f"tracking_{i + 1}")
            for j, site in enumerate(tr["site"].values):
                tr_rows.append({"sensors": sensors.name, "satellites": len(sensors), "site": str(site),
                                "mean_in_view": float(tr["sensors_mean"][j]),
                                "min_in_view": int(tr["sensors_min"][j]),
                                "share_ge_min": float(tr["share_at_least_min"][j]),
                                "longest_below_min_s": float(tr["longest_below_min_s"][j])})
        tracking_df = pd.DataFrame(tr_rows)
    for name, df in (("in_reach_summary", in_reach), ("sizing", sizing_df),
                     ("sizing_vs_published", published), ("tracking", tracking_df)):
        if df is not None:
            written.append(atomic_write_text(out / f"{name}.csv", df.to_csv(index=False)))
    md = [f"# {scenario['name']}", "", scenario["description"], "",
          f"Window: {duration_s / 3600:g} h from {start} at {step_s:g} s steps. "
          f"Model limits: {itc.MODEL_LIMITS}.",
          "", "## Reach assumptions", ""]
    md += [f"- **{r.name}**: {r.describe()}. {r.note}" for r in scenario["reaches"]]
    md += ["", f"## SBIs of {layer.name} ({len(layer):,}) in reach", "", _markdown_table(in_reach), "",
           f"## Sizing (sites: {sizing.attrs['sites']}; {100 * sz['share']:g} % of the time)", "",
           _markdown_table(sizing_df), "", "## Next to the published estimates", "",
           _markdown_table(published.drop(columns=["published_text"])) if len(published) else "(no sizes)",
           ""]
    if tracking_df is not None:
        md += [f"## Tracking layer (>= {scenario['tracking']['min_sensors']} sensors in view)", "",
               _markdown_table(tracking_df), ""]
    md += [f"Sizing sweep: {sweep.report()}", ""]
    written.append(atomic_write_text(out / "summary.md", "\n".join(md)))
    return {"written": written, "in_reach": in_reach, "sizing": sizing, "published": published,
            "tracking": tracking_df, "sweep": sweep}


def run_scenario(path_or_name="golden_dome_sizing", out_dir="results/golden_dome_sizing", *,
                 fast: bool = False, serial: bool = False, scheduler: str | None = None,
                 n_workers: int = 2, formats=None, progress: bool | None = None) -> dict:
    """Run a Golden Dome sizing scenario and write its results, figures and an index.

    Parameters
    ----------
    path_or_name : str or path
        Sizing scenario (``kind = "golden_dome_sizing"``).
    out_dir : path
        Output folder; ``index.md`` and ``index.html`` are written last.
    fast, serial, scheduler, n_workers, progress
        See :func:`load_sizing_scenario` and :func:`run_sizing_scenario`.
    formats : sequence of str, optional
        Accepted for the command's sake; figures are written as PNG.

    Returns
    -------
    dict
        As :func:`run_sizing_scenario`.
    """
    from pathlib import Path

    from .report import dataframe_rows, remove_index, write_index
    from .scenario import read_scenario

    out = Path(out_dir)
    remove_index(out)
    scenario = load_sizing_scenario(read_scenario(path_or_name)[0], fast=fast)
    run = run_sizing_scenario(scenario, out, scheduler=scheduler, serial=serial, n_workers=n_workers,
                              progress=progress, log=lambda line: None)
    pngs = [Path(p) for p in run["written"] if str(p).endswith(".png")]
    tables = [("SBIs of the layer in reach, per site and reach assumption", dataframe_rows(run["in_reach"])),
              ("Sizes next to the published estimates", dataframe_rows(run["published"]))]
    write_index(out, title=f"Golden Dome sizing: {scenario['name']}", description=scenario["description"],
                caption=f"{scenario['duration_s'] / 3600:g} h from {scenario['start']} at "
                        f"{scenario['step_s']:g} s steps",
                figures={p.stem: [p] for p in pngs}, data_files=[p for p in run["written"] if p not in pngs],
                tables=tables,
                note="Every reach assumption and its source: summary.md and data/threats.toml.")
    return run
