"""When a space-based interceptor (SBI) can reach a missile in boost: :class:`ReachModel`, named assumptions.

An SBI counts for a launch only if it can reach the rising missile before its boost phase ends
(docs/REFERENCE.md section 4). With boost duration ``t_b``, detection-and-decision delay ``t_d`` and
average interceptor flyout speed ``v``, an SBI is *in reach* at the moment it is ordered to fire if
its straight-line distance to the **engagement point** (a point at ``engagement_altitude_km`` above
the launch site) is at most ``D = v (t_b - t_d)`` ("flyout" mode). A plain "ground" mode instead asks
for the sub-satellite point to lie within a ground range ``d`` of the site, the assumption behind
the closed form of docs/REFERENCE.md section 4 (:func:`constellations.goldendome.counting.expected_in_reach`).

Both criteria are a bound on the Earth central angle ``theta`` between the satellite and the site,
``cos theta >= c`` (:meth:`ReachModel.cos_threshold`), with ``c = cos(d/R)`` (ground) or
``c = (r^2 + r_e^2 - D^2) / (2 r r_e)`` (flyout; ``r`` orbit radius, ``r_e = R + h_e``).

The published sizes (APS 2003, CBO, "16,000") rest on reach assumptions that are not public in full;
:data:`REACH_ASSUMPTIONS` spans the plausible range, each parameter tagged with its source quality in
the :class:`ReachModel` docstring.

Examples
--------
>>> reach_model("solid-4kms").flyout_range_km
480.0
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..geometry import EARTH_RADIUS_KM
from ..validation import Checker

__all__ = ["REACH_ASSUMPTIONS", "REACH_MODES", "ReachModel", "reach_model"]

REACH_MODES = ("flyout", "ground")

# field -> (low, high, what is typical): the range every ReachModel is held to
_LIMITS = {
    "boost_s": (1.0, 1000.0, "solid ICBMs ~170 s, liquid ~250 s"),
    "detect_decide_s": (0.0, 1000.0, "45-60 s is typical"),
    "flyout_speed_km_s": (0.0, 20.0, "a few km/s"),
    "engagement_altitude_km": (0.0, 2000.0, "e.g. 100-200 km"),
    "ground_range_km": (0.0, 20100.0, "e.g. 500-2000 km; half the circumference is 20,038 km"),
}
_EXAMPLES = {"boost_s": "170.0", "detect_decide_s": "50.0", "flyout_speed_km_s": "4.0",
             "engagement_altitude_km": "150.0", "ground_range_km": "1000.0"}


@dataclass(frozen=True)
class ReachModel:
    """When an SBI can reach a missile in boost phase.

    Parameters
    ----------
    name : str
        Label for tables and figures.
    mode : {"flyout", "ground"}
        "flyout": straight-line distance from the SBI to the engagement point at most
        ``flyout_speed_km_s * (boost_s - detect_decide_s)``. "ground": great-circle distance from the
        sub-satellite point to the site at most ``ground_range_km``.
    boost_s : float
        Boost duration, s (solid ~170, liquid ~250; APS 2003 boost-phase study via docs/REFERENCE.md
        section 4) [secondary].
    detect_decide_s : float
        Detection and decision delay, s (~45-60) [weak secondary].
    flyout_speed_km_s : float
        Average flyout speed of the interceptor, km/s [assumption; unverified].
    engagement_altitude_km : float
        Altitude of the engagement point above the launch site, km [assumption].
    ground_range_km : float
        Reach in "ground" mode, km [assumption].
    note : str
        Which published estimate this assumption set is meant to be compared with.

    Examples
    --------
    >>> r = ReachModel(boost_s=170.0, detect_decide_s=50.0, flyout_speed_km_s=4.0)
    >>> r.time_left_s, r.flyout_range_km
    (120.0, 480.0)
    >>> round(float(r.ground_range_equivalent_km(400.0)), 1)  # 400 km orbit, 150 km engagement
    393.0
    """

    name: str = "solid 170 s, 50 s delay, 4 km/s"
    mode: str = "flyout"
    boost_s: float = 170.0
    detect_decide_s: float = 50.0
    flyout_speed_km_s: float = 4.0
    engagement_altitude_km: float = 150.0
    ground_range_km: float = 1000.0
    note: str = ""

    def __post_init__(self):
        if self.mode not in REACH_MODES:
            raise ValueError(f"reach {self.name!r}: mode must be 'flyout' or 'ground', got {self.mode!r}")
        for key, (low, high, hint) in _LIMITS.items():
            value = getattr(self, key)
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"reach {self.name!r}: {key} must be a number, got {value!r} ({hint})"
                                 ) from None
            if not low <= number <= high:
                raise ValueError(f"reach {self.name!r}: {key} = {value!r} is outside [{low:g}, {high:g}] "
                                 f"({hint})")
            object.__setattr__(self, key, number)

    @property
    def time_left_s(self) -> float:
        """Flyout time available, s: boost duration minus the detection-and-decision delay (>= 0)."""
        return max(0.0, self.boost_s - self.detect_decide_s)

    @property
    def flyout_range_km(self) -> float:
        """Straight-line reach D = flyout speed x time left, km (flyout mode)."""
        return self.flyout_speed_km_s * self.time_left_s

    def cos_threshold(self, radius_km):
        """Smallest cosine of the satellite-site central angle that is in reach.

        Parameters
        ----------
        radius_km : array_like
            Orbit radius of the satellite(s), km.

        Returns
        -------
        ndarray, shape of ``radius_km``
            ``c`` with "in reach" meaning ``cos(theta) >= c``; ``c > 1`` means never (e.g. no time
            left or an orbit too far above the engagement point), ``c <= -1`` always.
        """
        r = np.asarray(radius_km, dtype=float)
        if self.mode == "ground":
            return np.full_like(r, math.cos(self.ground_range_km / EARTH_RADIUS_KM))
        d = self.flyout_range_km
        if d <= 0.0:
            return np.full_like(r, 2.0)
        r_e = EARTH_RADIUS_KM + self.engagement_altitude_km
        return (r * r + r_e * r_e - d * d) / (2.0 * r * r_e)

    def central_angle_rad(self, altitude_km):
        """Largest central angle between sub-satellite point and site that is in reach.

        Parameters
        ----------
        altitude_km : array_like
            Satellite altitude(s), km.

        Returns
        -------
        ndarray, shape of ``altitude_km``
            Radians; ``-1`` where nothing is reachable from that altitude.
        """
        c = self.cos_threshold(EARTH_RADIUS_KM + np.asarray(altitude_km, dtype=float))
        return np.where(c > 1.0, -1.0, np.arccos(np.clip(c, -1.0, 1.0)))

    def ground_range_equivalent_km(self, altitude_km):
        """The reach as a ground range of the sub-satellite point, km (NaN where nothing is reachable)."""
        lam = self.central_angle_rad(altitude_km)
        return np.where(lam < 0.0, np.nan, lam * EARTH_RADIUS_KM)

    def describe(self) -> str:
        """One line with the assumptions, e.g. for figure titles."""
        if self.mode == "ground":
            return f"ground range {self.ground_range_km:g} km"
        return (f"boost {self.boost_s:g} s - delay {self.detect_decide_s:g} s = {self.time_left_s:g} s x "
                f"{self.flyout_speed_km_s:g} km/s = {self.flyout_range_km:g} km to a point "
                f"{self.engagement_altitude_km:g} km above the site")

    def as_attrs(self, prefix: str = "reach_") -> dict:
        """The parameters as flat NetCDF-safe attributes."""
        out = {f"{prefix}{f.name}": getattr(self, f.name) for f in dataclasses.fields(self)}
        out[f"{prefix}description"] = self.describe()
        return out

    @classmethod
    def from_dict(cls, raw: dict, *, where: str = "reach", key: str = "reach") -> ReachModel:
        """Build from a TOML table: the field names as keys, ``preset`` to start from a named set.

        Parameters
        ----------
        raw : dict
            E.g. ``{"preset": "solid-4kms", "flyout_speed_km_s": 5.0}``.
        where : str
            The file (or origin) named in error messages.
        key : str
            The table's key path in that file, e.g. ``reach[1]``.

        Returns
        -------
        ReachModel

        Raises
        ------
        ValueError
            Unknown keys, strings where numbers belong, values out of range or an unknown preset, in
            the form of :mod:`constellations.validation` (file, key path, value, what is allowed).

        Examples
        --------
        >>> ReachModel.from_dict({"preset": "solid-4kms", "flyout_speed_km_s": 5.0}).flyout_range_km
        600.0
        """
        c = Checker(where)
        raw = c.table(raw, key)
        fields = [f.name for f in dataclasses.fields(cls)]
        c.keys(raw, [*fields, "preset"], prefix=f"{key}.")
        values = {}
        if "preset" in raw:
            values = dataclasses.asdict(reach_model(c.choice(raw["preset"], f"{key}.preset",
                                                             list(REACH_ASSUMPTIONS))))
        if "name" in raw:
            values["name"] = c.string(raw["name"], f"{key}.name", '"solid-4kms"')
        if "note" in raw:  # may be empty
            values["note"] = raw["note"] if raw["note"] == "" else c.string(
                raw["note"], f"{key}.note", '"the central case"', max_chars=1000)
        if "mode" in raw:
            values["mode"] = c.choice(raw["mode"], f"{key}.mode", REACH_MODES)
        for name, (low, high, _) in _LIMITS.items():
            if name in raw:
                values[name] = c.number(raw[name], f"{key}.{name}", _EXAMPLES[name], low=low, high=high,
                                        strict_low=False)
        return cls(**values)


# Assumption sets. Which of them lands near which published estimate is computed, not tuned: see
# scripts/golden_dome_sizing.py and the README.
REACH_ASSUMPTIONS: dict[str, ReachModel] = {
    m.name: m for m in (
        ReachModel("solid-fast", "flyout", 170.0, 45.0, 6.0, 150.0,
                   note="solid ICBM, short delay, fast interceptor: the optimistic end"),
        ReachModel("solid-4kms", "flyout", 170.0, 50.0, 4.0, 150.0,
                   note="solid ICBM, mid delay, 4 km/s: the central case"),
        ReachModel("solid-slow", "flyout", 170.0, 60.0, 3.0, 150.0,
                   note="solid ICBM, long delay, slow interceptor: the pessimistic end"),
        ReachModel("liquid-4kms", "flyout", 250.0, 50.0, 4.0, 150.0,
                   note="liquid ICBM (longer boost), mid delay, 4 km/s"),
        ReachModel("ground-1000km", "ground", ground_range_km=1000.0,
                   note="plain 1,000 km ground range (the geometry of docs/REFERENCE.md section 4)"),
    )
}
"""Named reach assumption sets, from the optimistic to the pessimistic end."""


def reach_model(name: str | ReachModel) -> ReachModel:
    """A named assumption set from :data:`REACH_ASSUMPTIONS` (a ReachModel passes through).

    Examples
    --------
    >>> reach_model("solid-4kms").flyout_range_km
    480.0
    """
    if isinstance(name, ReachModel):
        return name
    if name not in REACH_ASSUMPTIONS:
        raise ValueError(f"unknown reach assumption {name!r}; choose among {list(REACH_ASSUMPTIONS)} or "
                         "build a ReachModel(...)")
    return REACH_ASSUMPTIONS[name]
