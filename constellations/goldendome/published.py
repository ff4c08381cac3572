"""Published SBI constellation sizes (APS, CBO, the "16,000" figure) and our sizes next to them.

:data:`PUBLISHED_ESTIMATES` holds each estimate with the salvo it was sized for and the range of sizes
we read its statement as (docs/REFERENCE.md section 4); :func:`compare_published` puts the sizes of a
sizing sweep (:func:`constellations.goldendome.sizing.sizing_sweep`) next to them and says which
reach assumptions land near each.

Examples
--------
>>> sorted({e["k"] for e in PUBLISHED_ESTIMATES})
[1, 10]
"""

from __future__ import annotations

__all__ = ["PUBLISHED_ESTIMATES", "compare_published"]

# Published constellation sizes, the salvo each was sized for, and the range of sizes we read the
# statement as (a point estimate has n_low = n_high).
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
"""Published sizes: ``estimate``, salvo ``k``, quoted ``n_sat``, the range ``n_low``-``n_high`` we read
it as, the statement ``text`` and its source quality ``tag``."""


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
        One row per (published estimate, our size for the same k): ``estimate``, ``k``,
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
        rows += [{"estimate": est["estimate"], "k": est["k"], "published_n": est["n_sat"],
                  "published_range": quoted, "published_text": est["text"], "reach": reach,
                  "family": fam, "our_n": int(n), "ratio": n / est["n_sat"], "reproduces": bool(good)}
                 for reach, fam, n, good in zip(sub["reach"], family, ours, ok, strict=True)]
    return pd.DataFrame(rows)
