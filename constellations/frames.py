"""Earth orientation: the rotation from the inertial (TEME) frame to the Earth-fixed frame.

Every propagator in the package returns Earth-fixed positions rotated with the same angle, so that the
J2 path and the SGP4 path can be compared point for point. The angle is Greenwich mean sidereal time in
the 1982 convention that SGP4's TEME frame is defined with (``skyfield.sgp4lib.theta_GMST1982``), with
UT1 from skyfield's built-in timescale (offline, no download). Polar motion is ignored (< 15 m).

It differs from the IAU 2000 Earth rotation angle by the precession accumulated since J2000
(about 0.36 deg in 2025), which only shifts the longitude origin of synthetic Walker shells.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

__all__ = ["EARTH_ROTATION_RAD_S", "gmst_rad", "parse_utc", "teme_to_ecef", "timescale"]

EARTH_ROTATION_RAD_S = 7.2921158554e-5  # radians/s, rate of GMST 1982 (theta_GMST1982's theta_dot)


@lru_cache(maxsize=1)
def timescale():
    """Return skyfield's built-in timescale (no network access)."""
    from skyfield.api import load

    return load.timescale(builtin=True)


def parse_utc(start) -> dt.datetime:
    """Return a timezone-aware UTC datetime from a datetime or an ISO 8601 string.

    Parameters
    ----------
    start : datetime.datetime or str
        ``"2025-07-01T00:00:00Z"``, ``"2025-07-01 00:00"`` or a datetime (naive means UTC).

    Examples
    --------
    >>> parse_utc("2025-07-01T00:00:00Z").isoformat()
    '2025-07-01T00:00:00+00:00'
    """
    if isinstance(start, dt.datetime):
        value = start
    elif isinstance(start, dt.date):
        value = dt.datetime(start.year, start.month, start.day)
    elif isinstance(start, str):
        try:
            value = dt.datetime.fromisoformat(start.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"start time {start!r} is not an ISO 8601 UTC time; "
                "write it like '2025-07-01T00:00:00Z'"
            ) from None
    else:
        raise ValueError(
            f"start time must be a datetime or an ISO 8601 string, got {type(start).__name__} "
            f"{start!r}; write it like '2025-07-01T00:00:00Z'"
        )
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def gmst_rad(start, t_s) -> np.ndarray:
    """Greenwich mean sidereal time (1982) at ``start + t_s``, in radians.

    Parameters
    ----------
    start : datetime.datetime or str
        UTC start of the analysis.
    t_s : array_like, shape (n_time,)
        Offsets from ``start`` in seconds.

    Returns
    -------
    ndarray, shape (n_time,)
        The angle, unwrapped (not reduced to [0, 2 pi)).

    Examples
    --------
    >>> float(gmst_rad("2000-01-01T12:00:00Z", [0.0])[0])  # doctest: +ELLIPSIS
    4.89498...
    """
    from skyfield.sgp4lib import theta_GMST1982

    t0 = timescale().from_datetime(parse_utc(start))
    theta, _ = theta_GMST1982(t0.ut1, np.asarray(t_s, dtype=float) / 86400.0)
    return np.unwrap(np.atleast_1d(theta))


def teme_to_ecef(r_teme_km: np.ndarray, theta_rad: np.ndarray) -> np.ndarray:
    """Rotate TEME positions into the Earth-fixed frame.

    Parameters
    ----------
    r_teme_km : ndarray, shape (n_time, n_sat, 3)
    theta_rad : ndarray, shape (n_time,)
        GMST from :func:`gmst_rad`.

    Returns
    -------
    ndarray, shape (n_time, n_sat, 3)
    """
    c = np.cos(theta_rad)[:, None]
    s = np.sin(theta_rad)[:, None]
    x, y, z = r_teme_km[..., 0], r_teme_km[..., 1], r_teme_km[..., 2]
    return np.stack([c * x + s * y, -s * x + c * y, z], axis=-1)
