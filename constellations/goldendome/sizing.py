"""Constellation sizing: the fewest SBIs that keep k in reach of every chosen launch site for a share of time.

:func:`implied_reach` is the inverse: given a constellation size, the smallest ground reach at which
it keeps ``k`` in reach for ``share`` of the window (a bisection over the reach; each step is one
count of :func:`~constellations.goldendome.counting.count_in_reach`, vectorised over time), so that a
published size can be read as the reach it implies under this model.

The ``golden_dome_sizing`` scenario (:mod:`constellations.goldendome.scenario`,
:mod:`constellations.goldendome.run`) runs the sizing together with the in-reach metrics, map and
tracking layer that frame it.

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
>>> from constellations.goldendome.sizing import PatternFamily
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

from ..constellation import Shell, walker_delta
from ..elements import Elements
from ..geometry import EARTH_RADIUS_KM
from ..propagation import J2Propagator
from ..sweeps import gather_dataset, map_tasks
from .counting import DEFAULT_START, count_in_reach, time_axis_s
from .reach import ReachModel, reach_model
from .sites import ThreatSite, as_site_list, site_unit_vectors, threat_sites

__all__ = [
    "FAMILIES",
    "MAX_SATELLITES",
    "NestedPattern",
    "PatternFamily",
    "evaluate_member",
    "implied_reach",
    "mean_reach_km",
    "size_constellation",
    "sizing_sweep",
    "sizing_task",
]

FAMILIES = ("walker", "nested")
MAX_SATELLITES = 200_000  # largest constellation a search may reach
MAX_REACH_KM = 20_000.0  # ground reach with every satellite in reach (half the circumference: 20,038)


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
        """Minimum user elevation of each satellite, deg, shape (n_sat,)."""
        return self._elements.min_elevation_deg

    def max_nadir_deg_per_sat(self) -> np.ndarray:
        """Sensor half-angle from nadir, deg, shape (n_sat,): ``inf`` (no sensor limit)."""
        return self._elements.max_nadir_deg

    def propagator(self, start) -> J2Propagator:
        """Circular J2 propagator of every satellite, counted from ``start`` (UTC)."""
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
        Shell(self.altitude_km, self.inclination_deg, 1, 1)  # validates altitude and inclination
        if not isinstance(self.phasing, int | np.integer) or self.phasing < 0:
            raise ValueError(f"phasing must be a non-negative integer (Walker F), got {self.phasing!r}")

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
    sites = as_site_list(sites)
    t_s = time_axis_s(duration_s, step_s)
    counts = count_in_reach(source.propagator(start), site_unit_vectors(sites), reach.cos_threshold, t_s)
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
    sites = as_site_list(sites)
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


def mean_reach_km(n_sat, k, inclination_deg, lat_deg):
    """Ground reach at which the time-mean number in reach equals ``k`` (docs/REFERENCE.md section 4).

    The inverse of :func:`~constellations.goldendome.counting.expected_in_reach`:
    ``1 - cos(d / R) = k pi sqrt(sin^2 i - sin^2 phi) / N``. A mean, not the minimum over time that a
    sizing requires, so it is below :func:`implied_reach`.

    Parameters
    ----------
    n_sat, k : array_like
    inclination_deg, lat_deg : array_like
        Degrees; broadcast together.

    Returns
    -------
    ndarray
        km; NaN where ``|phi| >= i`` or no reach gives a mean of ``k``.

    Examples
    --------
    >>> round(float(mean_reach_km(780, 1, 50.0, 40.0)))  # docs/REFERENCE.md section 8: ~370 km
    370
    """
    i = np.radians(np.asarray(inclination_deg, dtype=float))
    phi = np.radians(np.asarray(lat_deg, dtype=float))
    s2 = np.sin(i) ** 2 - np.sin(phi) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        x = 1.0 - np.asarray(k, dtype=float) * np.pi * np.sqrt(s2) / np.asarray(n_sat, dtype=float)
        d = np.arccos(x) * EARTH_RADIUS_KM
    return np.where((s2 > 0.0) & (x >= -1.0) & (x <= 1.0), d, np.nan)


def implied_reach(n_sat: int, k: int, sites, family: PatternFamily | None = None, *, share: float = 0.999,
                  start=DEFAULT_START, duration_s: float = 86400.0, step_s: float = 10.0,
                  tol_km: float = 1.0) -> dict:
    """Smallest ground reach at which ``n_sat`` satellites of a family keep ``k`` in reach for ``share``.

    The inverse of :func:`size_constellation` over the reach: the constellation is the smallest ladder
    member with at least ``n_sat`` satellites; the reach is a "ground" :class:`ReachModel` (the
    sub-satellite point within ``d`` km of the site). The share of time with at least ``k`` in reach
    never falls as ``d`` grows, so a bisection between 0 and :data:`MAX_REACH_KM` brackets the answer
    to ``tol_km``; each step counts every time step at once (:func:`count_in_reach`).

    Parameters
    ----------
    n_sat : int
        Constellation size (e.g. a published one).
    k : int
        SBIs needed in reach at once (salvo size).
    sites : list of ThreatSite
        Every site must reach ``share`` (the worst site decides).
    family : PatternFamily, optional
        Default Walker delta at 400 km / 50 deg.
    share : float
        Required share of time in (0, 1].
    start, duration_s, step_s
        Window (default one day at 10 s).
    tol_km : float
        Width of the final bracket, km.

    Returns
    -------
    dict
        ``reach_km`` (upper end of the bracket: reach at which the member passes), ``reach_low_km``
        (lower end: it fails), ``n_used`` (satellites of the member), ``planes``, ``sats_per_plane``,
        ``share_achieved`` (worst site at ``reach_km``), ``mean_reach_km`` (per site, the closed-form
        reach whose time-mean is ``k``, :func:`mean_reach_km`), ``evaluations``, ``elapsed_s`` and the
        inputs. ``reach_km`` is NaN when even :data:`MAX_REACH_KM` fails (fewer than ``k`` satellites).
    """
    t_start = time.perf_counter()
    sites = as_site_list(sites)
    family = PatternFamily() if family is None else family
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k (salvo size) must be a positive integer, got {k!r}")
    if not isinstance(n_sat, int | np.integer) or isinstance(n_sat, bool) or not 1 <= n_sat <= MAX_SATELLITES:
        raise ValueError(f"n_sat must be an integer in [1, {MAX_SATELLITES}], got {n_sat!r}")
    if not 0.0 < float(share) <= 1.0:
        raise ValueError(f"share must be a fraction in (0, 1], got {share!r} (e.g. 0.999 for 99.9 %)")
    if not float(tol_km) > 0.0:
        raise ValueError(f"tol_km must be a positive number of km, got {tol_km!r} (e.g. 1.0)")
    j = family.index_at_least(int(n_sat))
    member = family.member(j)
    prop = member.propagator(start)
    units = site_unit_vectors(sites)
    t_s = time_axis_s(duration_s, step_s)
    evaluations = 0

    def worst_share(reach_km: float) -> float:
        nonlocal evaluations
        evaluations += 1
        model = ReachModel("implied", "ground", ground_range_km=reach_km)
        counts = count_in_reach(prop, units, model.cos_threshold, t_s)  # (n_time, n_site)
        return float((counts >= k).mean(axis=0).min())

    p, s = family.planes_sats(j)
    lat = np.array([site.lat_deg for site in sites])
    result = {"n_sat": int(n_sat), "k": int(k), "share": float(share), "family": family.kind,
              "altitude_km": family.altitude_km, "inclination_deg": family.inclination_deg,
              "sites": ", ".join(site.name for site in sites), "n_used": family.total(j), "planes": p,
              "sats_per_plane": s, "mean_reach_km": mean_reach_km(family.total(j), k, family.inclination_deg,
                                                                  lat)}
    lo, hi = 0.0, MAX_REACH_KM
    achieved = worst_share(hi)
    if achieved < share:
        result.update(reach_km=float("nan"), reach_low_km=hi, share_achieved=achieved,
                      evaluations=evaluations, elapsed_s=time.perf_counter() - t_start)
        return result
    while hi - lo > tol_km:  # invariant: lo fails (or is 0), hi passes
        mid = 0.5 * (lo + hi)
        got = worst_share(mid)
        if got >= share:
            hi, achieved = mid, got
        else:
            lo = mid
    result.update(reach_km=hi, reach_low_km=lo, share_achieved=achieved, evaluations=evaluations,
                  elapsed_s=time.perf_counter() - t_start)
    return result


def sizing_task(*, k: int, reach: str | dict, family: str = "walker", altitude_km: float = 400.0,
                inclination_deg: float = 50.0, sites=("Sohae",), share: float = 0.999,
                start: str = DEFAULT_START, duration_s: float = 86400.0, step_s: float = 10.0,
                n_max: int = 60_000) -> dict:
    """:func:`size_constellation` with plain, picklable parameters: one task of a Dask sweep.

    ``reach`` is a name of :data:`~constellations.goldendome.reach.REACH_ASSUMPTIONS` or a dict of
    :class:`~constellations.goldendome.reach.ReachModel` fields; ``sites`` names from ``threats.toml``
    or dicts with ``name``, ``lat_deg``, ``lon_deg``.
    """
    model = ReachModel.from_dict(reach) if isinstance(reach, dict) else reach_model(reach)
    chosen = _sites_from_spec(sites)
    fam = PatternFamily(family, float(altitude_km), float(inclination_deg))
    out = size_constellation(int(k), chosen, model, fam, share=share, start=start, duration_s=duration_s,
                             step_s=step_s, n_max=int(n_max))
    for key in ("sites", "reach", "k", "family", "share", "altitude_km", "inclination_deg"):
        out.pop(key)  # parameters of the task: the sweep keeps them as coordinates
    return out


def _sites_from_spec(sites) -> list[ThreatSite]:
    """ThreatSites from names in ``threats.toml``, dicts of ThreatSite fields, or ThreatSites."""
    sites = [sites] if isinstance(sites, str | dict) else list(sites)
    named = [s for s in sites if isinstance(s, str)]
    by_name = {n.lower(): s for n, s in zip(named, threat_sites(named), strict=True)} if named else {}
    out = []
    for s in sites:
        if isinstance(s, ThreatSite):
            out.append(s)
        elif isinstance(s, str):
            out.append(by_name[s.lower()])
        elif isinstance(s, dict):
            out.append(ThreatSite(**{"country": "user-defined", **s}))
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
