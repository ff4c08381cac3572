"""Published SBI constellation sizes (APS, CBO, MDA, the "16,000" figure): sources, our sizes, reaches, costs.

:data:`PUBLISHED_ESTIMATES` holds each estimate with the salvo it was sized for, the range of sizes we
read its statement as, its source and date (docs/REFERENCE.md sections 4 and 8). Three readings of them:

- :func:`compare_published` puts the sizes of a sizing sweep
  (:func:`constellations.goldendome.sizing.sizing_sweep`) next to them;
- :func:`implied_reach_table` turns each published size around: the ground reach it implies under this
  model at the launch sites' latitudes (:func:`constellations.goldendome.sizing.implied_reach`, the
  inverse of the sizing search);
- :func:`layer_cost` prices a layer of ``N`` SBIs under CBO's stated assumptions
  (:data:`CBO_2026_COSTS`: $22 M each, a 5-year life, 20 years, launch at $500/kg), every input
  labelled with where it comes from.

Examples
--------
>>> sorted({e["k"] for e in PUBLISHED_ESTIMATES})
[1, 2, 10]
>>> round(layer_cost(7800)["sbi_usd"] / 1e9, 1)  # 7,800 x 4 generations x $22 M
686.4
"""

from __future__ import annotations

import math

import numpy as np

from .sites import threat_sites
from .sizing import PatternFamily, implied_reach

__all__ = ["CBO_2026_COSTS", "PUBLISHED_ESTIMATES", "compare_published", "implied_reach_table",
           "layer_cost", "published_table"]

# Published constellation sizes, the salvo each was sized for, and the range of sizes we read the
# statement as (a point estimate has n_low = n_high). Sources as in docs/REFERENCE.md sections 4 and 8.
PUBLISHED_ESTIMATES = (
    {"estimate": "MDA and proponents", "k": 1, "n_sat": 300, "n_low": 300, "n_high": 600,
     "text": "300-600 SBIs (salvo not stated in our source; read here as one missile [assumption])",
     "tag": "secondary", "date": "2003",
     "source": "MDA and proponents as quoted next to the APS 2003 boost-phase study (docs/REFERENCE.md "
               "section 8)"},
    {"estimate": "APS 2003", "k": 1, "n_sat": 1600, "n_low": 1600, "n_high": 1600,
     "text": ">= 1,600 SBIs to engage one solid-fuel ICBM from North Korea", "tag": "secondary",
     "date": "2003-07",
     "source": "APS, Report of the Study Group on Boost-Phase Intercept Systems for National Missile "
               "Defense (docs/REFERENCE.md section 4)"},
    {"estimate": "CBO 2025 letter", "k": 2, "n_sat": 1300, "n_low": 1300, "n_high": 2000,
     "text": "1,300-2,000 SBIs (CBO 2004 and NRC 2012 alternatives) to defeat one or two ICBMs from a "
             "regional adversary; 20-year costs $161-542 B at today's launch prices (read here as k = 2)",
     "tag": "primary (sizes: secondary summary)", "date": "2025-05-05",
     "source": "CBO letter to Senators Fischer and King, 'Effects of Lower Launch Costs on Previous "
               "Estimates for Space-Based, Boost-Phase Missile Defense' (docs/REFERENCE.md section 8)"},
    {"estimate": "APS 2025", "k": 1, "n_sat": 1000, "n_low": 1000, "n_high": 2000,
     "text": "over 1,000 SBIs for one North Korean ICBM (read here as 1,000-2,000)",
     "tag": "secondary summary", "date": "2025",
     "source": "APS, Strategic Ballistic Missile Defense: Challenges to Defending the United States "
               "(docs/REFERENCE.md sections 4 and 8)"},
    {"estimate": "CBO 2026", "k": 10, "n_sat": 7800, "n_low": 7800, "n_high": 7800,
     "text": "7,800 SBIs at 300-500 km for a salvo of 10 ICBMs, with three to five minutes available in "
             "boost; $22 M each, 5-year life", "tag": "primary summary", "date": "2026-05-12",
     "source": "CBO, Potential Costs of a National Missile Defense System (docs/REFERENCE.md section 8)"},
    {"estimate": "'16,000' (press)", "k": 10, "n_sat": 16000, "n_low": 16000, "n_high": 16000,
     "text": "16,000 satellites, unsourced; equals 10 x 1,600", "tag": "secondary, unsourced",
     "date": "2025-05", "source": "press reports of the Golden Dome announcement (docs/REFERENCE.md "
                                  "sections 1 and 4)"},
    {"estimate": "APS 2025", "k": 10, "n_sat": 20000, "n_low": 20000, "n_high": 99999,
     "text": "'tens of thousands' for a salvo of 10 (read here as 20,000-99,999)",
     "tag": "secondary summary", "date": "2025",
     "source": "APS, Strategic Ballistic Missile Defense: Challenges to Defending the United States "
               "(docs/REFERENCE.md sections 4 and 8)"},
)
"""Published sizes: ``estimate``, salvo ``k``, quoted ``n_sat``, the range ``n_low``-``n_high`` we read
it as, the statement ``text``, its source quality ``tag``, ``date`` (of the publication) and ``source``."""

CBO_2026_COSTS = {
    "sbi_unit_usd": (22e6, "CBO 2026: average cost per SBI, 2026 dollars [primary summary]"),
    "life_years": (5.0, "CBO 2026: service life of an SBI [primary summary]"),
    "horizon_years": (20.0, "CBO 2026: costs counted over 20 years [primary summary]"),
    "launch_usd_per_kg": (500.0, "CBO 2026: launch price, 'thought to be achievable' with heavy-lift "
                                 "reusable rockets [primary summary]"),
    "sbi_mass_kg": (None, "not published by CBO in our source: give one, labelled an [assumption]"),
}
"""CBO's stated cost assumptions: name -> (value, where it comes from)."""

COST_INCLUDES = "SBIs bought (the first layer and its replacements over the horizon), and their launch " \
                "when a mass is given"
COST_EXCLUDES = ("development, operations and support (CBO: about $1 B a year for the SBI layer), "
                 "ground and command systems, sensors and the other interceptor layers, spares and "
                 "failures, and price changes (2026 dollars throughout)")


def published_table():
    """The published estimates as a table, with source and date.

    Returns
    -------
    pandas.DataFrame
        One row per estimate: ``estimate``, ``date``, ``k``, ``n_sat``, ``n_low``, ``n_high``, ``text``,
        ``tag``, ``source``.
    """
    import pandas as pd

    cols = ["estimate", "date", "k", "n_sat", "n_low", "n_high", "text", "tag", "source"]
    return pd.DataFrame([{c: e[c] for c in cols} for e in PUBLISHED_ESTIMATES])


def layer_cost(n_sat, *, sbi_mass_kg: float | None = None, sbi_unit_usd: float | None = None,
               life_years: float | None = None, horizon_years: float | None = None,
               launch_usd_per_kg: float | None = None) -> dict:
    """Cost of keeping ``n_sat`` SBIs in orbit over a horizon, under CBO's stated assumptions.

    ``generations = ceil(horizon / life)`` (20 / 5 = 4: the first layer and three replacements);
    ``SBIs = n_sat x generations x unit cost``; ``launch = n_sat x generations x mass x price per kg``
    (only with a mass, which CBO's summary does not give: any mass is an [assumption]).

    Parameters
    ----------
    n_sat : int or array_like
        SBIs in the layer.
    sbi_mass_kg : float, optional
        Mass per SBI at launch, kg [assumption]; default: no launch cost.
    sbi_unit_usd, life_years, horizon_years, launch_usd_per_kg : float, optional
        Override :data:`CBO_2026_COSTS` (then label the value as your assumption).

    Returns
    -------
    dict
        ``n_sat``, ``generations``, ``sbis_bought``, ``sbi_usd``, ``launch_usd`` (NaN without a mass),
        ``total_usd`` (SBIs + launch, or SBIs alone without a mass), ``includes``, ``excludes`` and
        ``assumptions`` (name -> (value, source)).

    Examples
    --------
    >>> c = layer_cost(1000, sbi_mass_kg=1000.0)
    >>> c["generations"], c["sbi_usd"] / 1e9, c["launch_usd"] / 1e9
    (4, 88.0, 2.0)
    """
    given = {"sbi_unit_usd": sbi_unit_usd, "life_years": life_years, "horizon_years": horizon_years,
             "launch_usd_per_kg": launch_usd_per_kg, "sbi_mass_kg": sbi_mass_kg}
    used = {}
    for name, (value, source) in CBO_2026_COSTS.items():
        if given[name] is not None:
            used[name] = (float(given[name]), "[assumption] given by the caller")
        else:
            used[name] = (value, source)
    for name in ("sbi_unit_usd", "life_years", "horizon_years", "launch_usd_per_kg"):
        if not (isinstance(used[name][0], float) and math.isfinite(used[name][0]) and used[name][0] > 0):
            raise ValueError(f"{name} must be a positive number, got {used[name][0]!r}")
    mass = used["sbi_mass_kg"][0]
    if mass is not None and not (math.isfinite(mass) and mass > 0):
        raise ValueError(f"sbi_mass_kg must be a positive number of kg, got {sbi_mass_kg!r} (e.g. 1000.0)")
    n = np.asarray(n_sat, dtype=float)
    if np.any(n < 0) or not np.all(np.isfinite(n)):
        raise ValueError(f"n_sat must be non-negative, got {n_sat!r}")
    generations = math.ceil(used["horizon_years"][0] / used["life_years"][0] - 1e-9)
    bought = n * generations
    sbi = bought * used["sbi_unit_usd"][0]
    launch = bought * mass * used["launch_usd_per_kg"][0] if mass is not None else np.full(n.shape, np.nan)
    total = sbi + (launch if mass is not None else 0.0)

    def scalar(x):
        return float(x) if np.ndim(x) == 0 else x

    return {"n_sat": scalar(n), "generations": generations, "sbis_bought": scalar(bought),
            "sbi_usd": scalar(sbi), "launch_usd": scalar(launch), "total_usd": scalar(total),
            "includes": COST_INCLUDES + ("" if mass is not None else " (no mass given: launch left out)"),
            "excludes": COST_EXCLUDES, "assumptions": used}


def implied_reach_table(estimates=None, sites=("Sohae", "Semnan (Imam Khomeini)", "Plesetsk"),
                        family: PatternFamily | None = None, *, share: float = 0.999,
                        start: str | None = None, duration_s: float = 86400.0, step_s: float = 10.0,
                        tol_km: float = 1.0, sbi_mass_kg: float | None = None):
    """The ground reach each published size implies under this model, per launch site, and its cost.

    For every estimate and each end of the range we read it as (``n_low``, ``n_high``), and every
    site: :func:`~constellations.goldendome.sizing.implied_reach` of that many satellites of
    ``family`` (default Walker 400 km / 50 deg, inside CBO's 300-500 km) for the estimate's salvo ``k``
    at ``share`` of the window.

    Parameters
    ----------
    estimates : sequence of dict, optional
        Default :data:`PUBLISHED_ESTIMATES`.
    sites : sequence of str or ThreatSite
        Launch sites (names of ``threats.toml``); one row per site.
    family : PatternFamily, optional
    share, start, duration_s, step_s, tol_km
        As :func:`~constellations.goldendome.sizing.implied_reach` (``start`` default: its own).
    sbi_mass_kg : float, optional
        Mass per SBI for the launch line of :func:`layer_cost` [assumption]; default: none.

    Returns
    -------
    pandas.DataFrame
        One row per (estimate, n, site): ``estimate``, ``date``, ``k``, ``n_sat``, ``n_used`` (the
        pattern's size, the smallest ladder member >= n), ``site``, ``lat_deg``, ``reach_km``,
        ``mean_reach_km`` (closed form), ``share_achieved``, ``cost_20y_usd`` (:func:`layer_cost`
        total) and ``source``.
    """
    import pandas as pd

    estimates = PUBLISHED_ESTIMATES if estimates is None else estimates
    chosen = [s for s in sites if not isinstance(s, str)]
    named = [s for s in sites if isinstance(s, str)]
    chosen = threat_sites(named) + chosen if named else chosen
    family = PatternFamily() if family is None else family
    window = {"duration_s": duration_s, "step_s": step_s, "share": share, "tol_km": tol_km}
    if start is not None:
        window["start"] = start
    rows = []
    for est in estimates:  # a handful of estimates, two ends each, a few sites: each a vectorised search
        for n in sorted({int(est["n_low"]), int(est["n_high"])}):
            cost = layer_cost(n, sbi_mass_kg=sbi_mass_kg)["total_usd"]
            for site in chosen:
                r = implied_reach(n, int(est["k"]), [site], family, **window)
                rows.append({"estimate": est["estimate"], "date": est["date"], "k": est["k"], "n_sat": n,
                             "n_used": r["n_used"], "site": site.name, "lat_deg": site.lat_deg,
                             "reach_km": r["reach_km"], "mean_reach_km": float(r["mean_reach_km"][0]),
                             "share_achieved": r["share_achieved"], "cost_20y_usd": cost,
                             "source": est["source"]})
    df = pd.DataFrame(rows)
    df.attrs.update({"family": f"{family.kind} {family.altitude_km:g} km / {family.inclination_deg:g} deg",
                     "share": share, "duration_s": duration_s, "step_s": step_s,
                     "reach": "ground range of the sub-satellite point from the launch site"})
    return df


def compare_published(sizing, tolerance: float = 0.25):
    """Our sizes next to the published ones: which assumption sets land near each estimate.

    Parameters
    ----------
    sizing : xarray.Dataset
        From :func:`~constellations.goldendome.sizing.sizing_sweep` (needs ``k``, ``reach``,
        ``n_required``, ``family``, ``altitude_km``, ``inclination_deg`` along ``task``).
    tolerance : float
        Relative margin around a published size (or range) counted as "reproduces roughly".

    Returns
    -------
    pandas.DataFrame
        One row per (published estimate, our size for the same k): ``estimate``, ``date``, ``k``,
        ``published_n`` (the quoted number), ``published_range`` (how we read it), ``reach``,
        ``family``, ``our_n``, ``ratio`` (ours / quoted number) and ``reproduces`` (ours within
        ``[n_low / (1 + tolerance), n_high * (1 + tolerance)]``). Sizes not found (-1) are left out.
    """
    import pandas as pd

    df = sizing.to_dataframe().reset_index()
    rows = []
    for est in PUBLISHED_ESTIMATES:  # a handful of estimates; vectorized over our sizes
        sub = df[(df["k"] == est["k"]) & (df["n_required"] > 0)]
        ours = sub["n_required"].to_numpy(dtype=float)
        ok = (est["n_low"] / (1.0 + tolerance) <= ours) & (ours <= est["n_high"] * (1.0 + tolerance))
        family = [f"{f} {float(a):g} km / {float(i):g} deg"
                  for f, a, i in zip(sub["family"], sub["altitude_km"], sub["inclination_deg"], strict=True)]
        quoted = (f"{est['n_low']:,}" if est["n_low"] == est["n_high"]
                  else f"{est['n_low']:,}-{est['n_high']:,}")
        rows += [{"estimate": est["estimate"], "date": est["date"], "k": est["k"],
                  "published_n": est["n_sat"], "published_range": quoted, "published_text": est["text"],
                  "reach": reach, "family": fam, "our_n": int(n), "ratio": n / est["n_sat"],
                  "reproduces": bool(good)}
                 for reach, fam, n, good in zip(sub["reach"], family, ours, ok, strict=True)]
    return pd.DataFrame(rows)
