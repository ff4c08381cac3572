"""The shared look of every figure: identity colours, units, number formats, captions, figure and file.

One place decides how a constellation is coloured, how a duration or a count is written, how a
caption is put together and how a figure is created and saved, so that the coverage, race and
Golden Dome figures, the notebooks and the gallery all look alike.

Colours follow the Okabe & Ito (2008) colour-blind-safe palette and are fixed per constellation
identity, not per position in a list: Amazon Leo (formerly Project Kuiper) is always vermillion,
Starlink always a blue (its sub-identities Gen1, Gen2 and the real fleet as shades of that blue),
Golden Dome always orange; any other name gets a colour from a stable hash of the name, the same in
every process. Internally quantities are in SI-like units (seconds, km, fractions 0-1); figures show
them in the units of :data:`UNITS`, converted only at the edge (axis labels, captions, tables).

Nothing here imports matplotlib at module level: it loads when a figure is made.
"""

from __future__ import annotations

import hashlib
import math
import re
import textwrap
from pathlib import Path

from ..atomic import atomic_path

__all__ = [
    "FALLBACK_COLOURS",
    "IDENTITY_COLOURS",
    "OKABE_ITO",
    "PANEL_WIDTH_IN",
    "SAVE_FORMATS",
    "UNITS",
    "axis_label",
    "constellation_colour",
    "constellation_colours",
    "constellation_identity",
    "escape_text",
    "format_caption",
    "format_count",
    "format_duration_s",
    "format_percent",
    "integer_ticks",
    "is_synthetic",
    "new_figure",
    "result_label",
    "results_caption",
    "save_figure",
]

# --------------------------------------------------------------------------- colours

OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
"""Okabe & Ito (2008) colour-blind-safe qualitative palette, ordered for lines on white (yellow last):
blue, vermillion, bluish green, reddish purple, orange, sky blue, black, yellow."""

IDENTITY_COLOURS = {
    # identity: (base, lighter shade, darker shade); one hue family each
    "amazon_leo": ("#D55E00", "#F08A4B", "#8F3F00"),  # Okabe-Ito vermillion
    "starlink": ("#0072B2", "#56B4E9", "#003F63"),  # Okabe-Ito blue, sky blue, dark blue
    "golden_dome": ("#E69F00", "#F5C56B", "#9C6B00"),  # Okabe-Ito orange
}
"""Constellation identity -> ``(base, light, dark)`` colours. The base colour is the identity's own;
the shades tell its sub-identities apart (Starlink Gen1 base, Gen2 light, real fleet dark)."""

FALLBACK_COLOURS = ("#009E73", "#CC79A7", "#000000", "#005A43", "#8E4F7A", "#7F7F7F")
"""Colours for names of no known identity (Okabe-Ito bluish green, reddish purple and black, with a
darker green, a darker purple and a grey), chosen by a stable hash of the name."""

_IDENTITY_PATTERNS = (  # matched in order against the normalized name (lower case, words by spaces)
    ("amazon_leo", re.compile(r"kuiper|amazon ?leo")),
    ("starlink", re.compile(r"starlink")),
    ("golden_dome", re.compile(r"golden ?dome")),
)
_LIGHT_WORDS = re.compile(r"\b(gen ?2|gen ?3|v2|v3|expanded|extension|planned|filed|filing)\b")
_DARK_WORDS = re.compile(r"\b(real|fleet|tle|tles|actual|observed|deployed|on orbit|in orbit|"
                         r"(19|20)\d\d)\b")


def _normalize(name) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(name).lower()).strip()


def _stable_index(text: str, n: int) -> int:
    """An index in ``range(n)`` from a hash that is the same in every process (unlike ``hash``)."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % n


def constellation_identity(name_or_label) -> str | None:
    """The constellation identity a name or label belongs to, or None if it is not a known one.

    Parameters
    ----------
    name_or_label : str
        A preset or scenario name (``"kuiper_2025"``, ``"amazon_leo_7736"``, ``"starlink_gen1"``) or a
        display label (``"Amazon Leo (licensed)"``, ``"Starlink real fleet"``); case and separators
        (``_``, ``-``, spaces) do not matter.

    Returns
    -------
    {"amazon_leo", "starlink", "golden_dome"} or None
        Amazon Leo includes every ``kuiper*`` / ``amazon_leo*`` name and labels containing "Kuiper" or
        "Amazon Leo".

    Examples
    --------
    >>> constellation_identity("kuiper_2025"), constellation_identity("Amazon Leo (licensed)")
    ('amazon_leo', 'amazon_leo')
    >>> constellation_identity("Starlink Gen2"), constellation_identity("Iridium-like")
    ('starlink', None)
    """
    text = _normalize(name_or_label)
    for identity, pattern in _IDENTITY_PATTERNS:
        if pattern.search(text):
            return identity
    return None


def constellation_colour(name_or_label) -> str:
    """The fixed colour of a constellation, by identity: the same in every figure, run and process.

    Parameters
    ----------
    name_or_label : str
        A constellation name or label (see :func:`constellation_identity`).

    Returns
    -------
    str
        A ``"#rrggbb"`` colour. Amazon Leo / Kuiper: vermillion; Starlink: blue; Golden Dome: orange
        (:data:`IDENTITY_COLOURS`). Real-fleet / TLE / dated forms (a year in the name, e.g.
        ``kuiper_2025``) get the identity's dark shade, Gen2 / expanded / planned forms its light
        shade, every other form (bare, licensed, Gen1, sized like ``amazon_leo_7736``) the base
        colour. Names of no known identity get one of :data:`FALLBACK_COLOURS` from a stable hash of
        the normalized name (never from the order of appearance).

    Examples
    --------
    >>> constellation_colour("kuiper"), constellation_colour("Amazon Leo")
    ('#D55E00', '#D55E00')
    >>> constellation_colour("starlink_gen1"), constellation_colour("Starlink Gen2")
    ('#0072B2', '#56B4E9')
    >>> constellation_colour("starlink real fleet (TLE)")
    '#003F63'
    >>> constellation_colour("Golden Dome")
    '#E69F00'
    >>> constellation_colour("Iridium-like") == constellation_colour("iridium like")
    True
    """
    text = _normalize(name_or_label)
    identity = constellation_identity(text)
    if identity is None:
        return FALLBACK_COLOURS[_stable_index(text, len(FALLBACK_COLOURS))]
    base, light, dark = IDENTITY_COLOURS[identity]
    if _DARK_WORDS.search(text):
        return dark
    if _LIGHT_WORDS.search(text):
        return light
    return base


def constellation_colours(names) -> dict[str, str]:
    """Identity colours for the constellations of one figure, distinct for distinct names.

    Parameters
    ----------
    names : sequence of str
        The constellations drawn together (repeats allowed).

    Returns
    -------
    dict
        Name -> colour. Each name keeps :func:`constellation_colour` unless a different name of the
        same figure already holds that colour; then it takes the next free shade of its identity,
        else the next free fallback colour. The plainest name keeps the colour (shortest normalized
        name first, then alphabetical), so the result does not depend on the order of ``names``.

    Examples
    --------
    >>> c = constellation_colours(["starlink_gen1", "kuiper", "Kuiper (licensed)"])
    >>> c["kuiper"], c["starlink_gen1"], c["Kuiper (licensed)"] != c["kuiper"]
    ('#D55E00', '#0072B2', True)
    """
    unique = sorted({str(n) for n in names}, key=lambda n: (len(_normalize(n)), _normalize(n), n))
    wanted = {n: constellation_colour(n) for n in unique}
    taken: dict[str, str] = {}
    out: dict[str, str] = {}
    # names that hold their own colour first (plainest first), then the ones that must move
    for n in unique:
        if wanted[n] not in taken:
            taken[wanted[n]] = n
            out[n] = wanted[n]
    for n in unique:
        if n in out:
            continue
        identity = constellation_identity(n)
        options = [*(IDENTITY_COLOURS[identity] if identity else ()), *FALLBACK_COLOURS, *OKABE_ITO]
        out[n] = next((c for c in options if c not in taken), wanted[n])
        taken[out[n]] = n
    return out


# --------------------------------------------------------------------------- units and numbers

UNITS = {
    "time": "s",  # internal; shown as s, min, h or d by format_duration_s
    "length": "km",
    "angle": "deg",
    "fraction": "%",  # internal 0-1, shown in percent
    "count": "",
}
"""The display unit of each kind of quantity, stated once for every figure, caption and table."""

_DURATION_UNITS = (("s", 1.0, 60.0), ("min", 60.0, 60.0), ("h", 3600.0, 48.0), ("d", 86400.0, math.inf))


def _two_digits(value: float) -> str:
    """Two significant digits, at most one decimal, no trailing ``.0``: 0.5, 6.3, 42, 180."""
    text = f"{value:.1f}" if abs(value) < 9.95 else f"{value:.0f}"
    return text[:-2] if text.endswith(".0") else text


def format_duration_s(seconds, *, missing: str = "never covered") -> str:
    """A duration in seconds as a short human text in the unit that fits: s, min, h or d.

    Parameters
    ----------
    seconds : float
        The duration in seconds.
    missing : str
        Text for NaN and infinite values (default ``"never covered"``, right for revisit gaps and
        response times; pass e.g. ``"undefined"`` or ``"n/a"`` elsewhere).

    Returns
    -------
    str
        Two significant digits (at most one decimal, no trailing ``.0``): seconds below 1 min, then
        minutes below 1 h, hours below 48 h, days beyond. The unit is chosen after rounding, so
        59.9 s reads "1 min", never "60 s".

    Examples
    --------
    >>> format_duration_s(42), format_duration_s(378), format_duration_s(7560)
    ('42 s', '6.3 min', '2.1 h')
    >>> format_duration_s(0), format_duration_s(59.9), format_duration_s(3600)
    ('0 s', '1 min', '1 h')
    >>> format_duration_s(float("nan")), format_duration_s(float("inf"), missing="n/a")
    ('never covered', 'n/a')
    """
    s = float(seconds)
    if not math.isfinite(s):
        return missing
    sign, s = ("-" if s < 0 else ""), abs(s)
    for unit, size, limit in _DURATION_UNITS:
        text = _two_digits(s / size)
        if float(text) < limit:
            return f"{sign}{text} {unit}"
    raise AssertionError("unreachable: the last unit has no limit")


def format_count(n, *, missing: str = "n/a") -> str:
    """A count with thousands separators: ``16,000``.

    Parameters
    ----------
    n : int or float
        The count; a float is rounded to the nearest integer.
    missing : str
        Text for NaN and infinite values.

    Examples
    --------
    >>> format_count(16000), format_count(3236.0), format_count(0), format_count(float("nan"))
    ('16,000', '3,236', '0', 'n/a')
    """
    x = float(n)
    if not math.isfinite(x):
        return missing
    return f"{round(x):,}"


def format_percent(fraction, *, digits: int = 1, missing: str = "n/a") -> str:
    """A fraction (0-1) as a percentage: ``0.4231 -> "42.3 %"``.

    Parameters
    ----------
    fraction : float
        The fraction, 1 meaning 100 %.
    digits : int
        Decimals after the point.
    missing : str
        Text for NaN and infinite values.

    Examples
    --------
    >>> format_percent(0.4231), format_percent(1.0, digits=0), format_percent(float("nan"))
    ('42.3 %', '100 %', 'n/a')
    """
    x = float(fraction)
    if not math.isfinite(x):
        return missing
    return f"{100.0 * x:.{int(digits)}f} %"


def axis_label(quantity: str, unit: str | None = None) -> str:
    """An axis or colour-bar label that names its unit: ``"longest gap (min)"``.

    Parameters
    ----------
    quantity : str
        What is shown.
    unit : str, optional
        The display unit, or a kind of quantity from :data:`UNITS` (``"length"`` -> km); none for
        counts and other unitless values.

    Examples
    --------
    >>> axis_label("altitude", "length"), axis_label("satellites in view"), axis_label("gap", "min")
    ('altitude (km)', 'satellites in view', 'gap (min)')
    """
    unit = UNITS.get(unit, unit) if unit else ""
    return f"{quantity} ({unit})" if unit else str(quantity)


# --------------------------------------------------------------------------- text and captions


def escape_text(s) -> str:
    """Escape a user string for matplotlib text, so that ``$`` never starts mathtext.

    Parameters
    ----------
    s : object
        Any label, title or caption from the user (converted with ``str``).

    Returns
    -------
    str
        The text with every ``$`` written as ``\\$``; matplotlib draws it literally. (With
        ``text.usetex`` on, other TeX characters would need escaping too; the package never turns it
        on.) Escape the raw string once: escaping twice shows the backslash.

    Examples
    --------
    >>> escape_text("Plan $5 and $6")
    'Plan \\\\$5 and \\\\$6'
    >>> print(escape_text("Plan $5 and $6"))
    Plan \\$5 and \\$6
    """
    return str(s).replace("$", r"\$")


def _present(value) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return str(value).strip() != ""


def format_caption(parts, *, sep: str = "; ") -> str:
    """Join caption parts given as data, skipping the missing ones.

    Parameters
    ----------
    parts : mapping or iterable
        A mapping ``{label: value}`` gives ``"label value"`` per entry (the value alone when the
        label is empty or None); an iterable gives each item as text. Parts that are None, NaN or
        empty are skipped, so a missing attribute never leaves a dangling ``"grid ?"`` or ``"; ;"``.
    sep : str
        Separator between the parts.

    Returns
    -------
    str
        The caption line; empty when no part is present.

    Examples
    --------
    >>> format_caption({"start": "2025-07-01", "grid": None, "": "optimistic gaps"})
    'start 2025-07-01; optimistic gaps'
    >>> format_caption(["Kuiper: 3,236 satellites", None, "", "Starlink: 4,408 satellites"], sep="  |  ")
    'Kuiper: 3,236 satellites  |  Starlink: 4,408 satellites'
    """
    if hasattr(parts, "items"):
        items = [f"{k} {v}" if _present(k) else str(v) for k, v in parts.items() if _present(v)]
    else:
        items = [str(p) for p in parts if _present(p)]
    return sep.join(items)


def _duration_text(seconds: float) -> str:
    """An analysis length in a whole unit when it is one ("2 h", "7 d"), else hours or seconds."""
    s = float(seconds)
    if not math.isfinite(s):
        return "?"
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if s >= size and abs(s / size - round(s / size)) < 1e-9:
            return f"{s / size:g} {unit}"
    return f"{s / 3600.0:.3g} h" if s >= 3600 else f"{s:g} s"


_CAPTION_KEYS = ("start_utc", "duration_s", "step_s", "boundary", "grid", "max_nadir_deg")


def _stated(attrs, key, stated: str) -> bool:
    """Whether a caption given by the caller already states parameter ``key`` (so it is not repeated)."""
    if not stated:
        return False
    value = attrs.get(key)
    if key == "start_utc" and value:
        return str(value)[:10] in stated
    if key in ("duration_s", "step_s") and attrs.get("step_s") is not None:
        return f"{float(attrs['step_s']):g} s steps" in stated
    if key == "boundary" and value:
        return f"{value} edge gaps" in stated or f"{value} gap" in stated
    if key == "grid" and value:
        return str(value) in stated
    return False


def _parameter_parts(attrs, keys, stated: str = "") -> list[str | None]:
    """The analysis parameters among ``keys`` as caption parts (None where an attribute is missing
    or where the caller's caption ``stated`` already gives it)."""
    keys = [k for k in keys if not _stated(attrs, k, stated)]
    parts: list[str | None] = []
    if "start_utc" in keys:
        parts.append(format_caption({"start": attrs.get("start_utc")}) or None)
    if "duration_s" in keys or "step_s" in keys:
        duration, step = attrs.get("duration_s"), attrs.get("step_s")
        parts.append(format_caption({"": _duration_text(duration) if duration is not None else None,
                                     "at": f"{float(step):g} s steps" if step is not None else None},
                                    sep=" ") or None)
    if "boundary" in keys and _present(attrs.get("boundary")):
        parts.append(f"{attrs['boundary']} gap boundary")
    if "grid" in keys and _present(attrs.get("grid")):
        cells = attrs.get("grid_cells")
        parts.append(f"grid {attrs['grid']}" + (f" ({format_count(cells)} cells)" if cells else ""))
    if "max_nadir_deg" in keys and str(attrs.get("max_nadir_deg", "none")) != "none":
        parts.append(f"max nadir {attrs['max_nadir_deg']} deg")
    return parts


def results_caption(results, stated: str = "") -> str:
    """The automatic caption of coverage results: constellations and analysis parameters.

    Parameters
    ----------
    results : list of xarray.Dataset
        Results of :func:`constellations.analyze` (their attributes are read: ``constellation``,
        ``satellites``, ``min_elevation_deg``, ``start_utc``, ``duration_s``, ``step_s``,
        ``boundary``, ``grid``, ``grid_cells``, ``max_nadir_deg``, ``package_version``).

    stated : str
        A caption printed with this one (e.g. the scenario's parameter line): the shared parameters
        it already gives (start date, step, grid, gap boundary) are not repeated.

    Returns
    -------
    str
        Two lines: each constellation with its size, minimum elevation and the parameters in which it
        differs from the others (its own start, for TLE catalogs analysed from their epochs); then the
        parameters they share and the model's limits. Synthetic layouts are flagged.
    """
    results = list(results)
    if not results:
        return ""
    a0 = results[0].attrs
    common = [k for k in _CAPTION_KEYS if all(str(ds.attrs.get(k)) == str(a0.get(k)) for ds in results)]
    differing = [k for k in _CAPTION_KEYS if k not in common]
    entries = []
    for ds in results:
        a = ds.attrs
        head = (f"{result_label(a)}: {format_count(a.get('satellites', 0))} satellites, "
                f"min elevation {a.get('min_elevation_deg', '?')} deg")
        entries.append(format_caption([head, format_caption(_parameter_parts(a, differing), sep=", ")]))
    line1 = format_caption(entries, sep="  |  ")
    version = a0.get("package_version")
    earth = "WGS84 Earth" if str(a0.get("earth", "")).lower() == "wgs84" else "spherical Earth"
    line2 = format_caption([format_caption(_parameter_parts(a0, common, stated), sep=", "),
                            f"{earth}, circular J2 orbits unless TLE (SGP4)",
                            f"constellations {version}" if version else None])
    return line1 + "\n" + line2[:1].upper() + line2[1:]


def _caption_lines(results, caption, width_in) -> list[str]:
    """Caption lines (the user's caption first, then the automatic one), wrapped to the width."""
    if caption is not None and not isinstance(caption, str):
        caption = format_caption(caption)
    text = "\n".join(t for t in (caption, results_caption(results, caption or "") if results else "")
                     if t)
    chars = max(40, int(width_in * 19.0))  # 7 pt DejaVu Sans: about 20 characters per inch
    lines = []
    for line in text.splitlines():
        lines.extend(textwrap.wrap(line, chars) or [""])
    return lines


def is_synthetic(attrs) -> bool:
    """Whether a result's constellation is a synthetic layout (an assumed stand-in, not a filing or TLEs).

    Parameters
    ----------
    attrs : mapping
        A result's attributes; ``constellation_description``, ``constellation_source``,
        ``constellation`` and ``title`` are searched for the word "synthetic" (the presets state it
        in their assumptions, e.g. ``kuiper_2025``'s 3-plane stand-in for the 78 satellites of
        mid-2025).

    Examples
    --------
    >>> is_synthetic({"constellation_description": "assumption: synthetic stand-in, 3 planes"})
    True
    >>> is_synthetic({"constellation": "Starlink (TLE 2025-07-27)"})
    False
    """
    keys = ("constellation_description", "constellation_source", "constellation", "title")
    return any(re.search(r"\bsynthetic\b", str(attrs.get(k, "")), re.IGNORECASE) for k in keys)


def result_label(attrs) -> str:
    """The name a result is shown under in titles and legends: its constellation, flagged if synthetic.

    Parameters
    ----------
    attrs : mapping
        A result's attributes (``constellation`` and the fields :func:`is_synthetic` reads).

    Returns
    -------
    str
        ``attrs["constellation"]``, with ``" [synthetic layout]"`` appended when the layout is an
        assumption, so that a stripe that comes from the assumed planes is never read as data.

    Examples
    --------
    >>> result_label({"constellation": "Kuiper mid-2025 (78)", "constellation_description": "synthetic"})
    'Kuiper mid-2025 (78) [synthetic layout]'
    """
    name = str(attrs.get("constellation", "result"))
    if is_synthetic(attrs) and "synthetic" not in name.lower():
        name += " [synthetic layout]"
    return name


def integer_ticks(axis) -> None:
    """Put the major ticks of a count axis on whole numbers (never 0.5 or 1.5 satellites).

    Parameters
    ----------
    axis : matplotlib.axis.Axis
        E.g. ``ax.yaxis``; at most about 6 ticks, all integers, no offset or scientific notation.
    """
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=6, integer=True, min_n_ticks=2))
    axis.set_major_formatter(FuncFormatter(lambda v, _: format_count(v)))


# --------------------------------------------------------------------------- figures and files

PANEL_WIDTH_IN = 5.2
"""Width of one map panel, inches."""

SAVE_FORMATS = ("png", "svg", "pdf")


def new_figure(width_in, height_in, results=None, caption=None, title=None):
    """A constrained-layout Figure with a caption strip at the bottom, built without ``pyplot``.

    Parameters
    ----------
    width_in, height_in : float
        Size of the drawing area in inches (rounded to tenths, so a PNG is exactly
        ``figsize * dpi`` pixels); the caption strip is added below ``height_in``.
    results : list of xarray.Dataset, optional
        Coverage results whose attributes make the automatic caption (:func:`results_caption`).
    caption : str or mapping or list, optional
        A caption printed above the automatic one; parts given as a mapping or list are joined with
        :func:`format_caption`. Drawn literally (``$`` is escaped).
    title : str, optional
        Bold title of the figure, drawn literally.

    Returns
    -------
    fig : matplotlib.figure.Figure
    main : matplotlib.figure.SubFigure
        Draw into ``main`` (``height_in`` tall, with the title); the caption sits below it, outside
        every legend and label.
    """
    from matplotlib.figure import Figure

    lines = _caption_lines(results, caption, width_in)
    cap_h = 0.08 + 0.125 * len(lines) if lines else 0.0
    # whole tenths of an inch, so that a PNG is exactly figsize * dpi pixels at the usual dpi values
    width_in = round(width_in, 1)
    cap_h = round(height_in + cap_h, 1) - height_in
    fig = Figure(figsize=(width_in, height_in + cap_h), layout="constrained", dpi=100)
    if not lines:
        main = fig.subfigures(1, 1)
    else:
        main, strip = fig.subfigures(2, 1, height_ratios=[height_in, cap_h], hspace=0.0)
        strip.text(0.01, 0.5, escape_text("\n".join(lines)), ha="left", va="center", fontsize=7,
                   color="0.25", linespacing=1.25)
    if title:
        main.suptitle(escape_text(title), fontsize=12, fontweight="bold")
    return fig, main


def save_figure(fig, path_without_suffix, formats=("png",), dpi=150) -> list[Path]:
    """Write a figure in one or more formats, each atomically (temporary file, then rename).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path_without_suffix : str or path
        E.g. ``"out/coverage_map"``; ``".png"`` etc. are appended (dots in the name are kept).
    formats : sequence of {"png", "svg", "pdf"}
    dpi : float
        Raster resolution; a PNG is ``figsize * dpi`` pixels.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of ``formats``.
    """
    formats = [formats] if isinstance(formats, str) else list(formats)
    bad = [f for f in formats if f not in SAVE_FORMATS]
    if bad or not formats:
        raise ValueError(f"formats must be a non-empty selection of {SAVE_FORMATS}, got {formats!r}")
    base = Path(path_without_suffix)
    base.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = base.parent / f"{base.name}.{fmt}"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=_metadata(fmt))
        written.append(path)
    return written


def _metadata(fmt):
    from .._version import __version__

    return {"Software" if fmt == "png" else "Creator": f"constellations {__version__}"}

