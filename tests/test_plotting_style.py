"""Checks of constellations.plotting.style: identity colours, number formats, captions, text escaping.

Fast and offline; the drawing checks use the Agg canvas directly (no pyplot).
"""

import colorsys
import math
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from constellations.plotting import style
from constellations.plotting.style import (
    FALLBACK_COLOURS,
    IDENTITY_COLOURS,
    constellation_colour,
    constellation_colours,
    constellation_identity,
    escape_text,
    format_caption,
    format_count,
    format_duration_s,
    format_percent,
    new_figure,
    save_figure,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
HUE_TOLERANCE_DEG = 5.0  # shades of one identity differ in lightness, not in hue


def hue_deg(colour) -> float:
    return 360.0 * colorsys.rgb_to_hsv(*to_rgb(colour))[0]


def hue_distance_deg(a, b) -> float:
    d = abs(hue_deg(a) - hue_deg(b)) % 360.0
    return min(d, 360.0 - d)


# --------------------------------------------------------------------------- identity colours

NAMES = ["kuiper", "kuiper_2025", "amazon_leo_7736", "Amazon Leo (licensed)", "starlink_gen1",
         "starlink_gen2_7500", "Starlink real fleet (TLE 2025-07-27)", "golden_dome", "Golden Dome layer",
         "Iridium-like", "Walker 24/3/1 at 550 km", "delta 60"]


def test_same_name_same_colour_across_calls():
    first = [constellation_colour(n) for n in NAMES]
    assert first == [constellation_colour(n) for n in NAMES]
    assert first == [constellation_colour(n) for n in reversed(NAMES)][::-1]
    assert all(c.startswith("#") and len(c) == 7 for c in first)


def test_same_name_same_colour_across_processes():
    """The fallback uses a stable hash, not Python's salted ``hash``: other seeds, same colours."""
    code = ("import sys; from constellations.plotting.style import constellation_colour as c; "
            f"print(','.join(c(n) for n in {NAMES!r}))")
    here = ",".join(constellation_colour(n) for n in NAMES)
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, check=True,
                             capture_output=True, text=True).stdout.strip()
        assert out == here


@pytest.mark.parametrize("name", ["kuiper", "kuiper_2025", "amazon_leo_7736", "Amazon Leo (licensed)",
                                  "Project Kuiper", "AMAZON-LEO", "Kuiper shell 2"])
def test_amazon_leo_names_share_one_hue(name):
    assert constellation_identity(name) == "amazon_leo"
    colour = constellation_colour(name)
    assert colour in IDENTITY_COLOURS["amazon_leo"]
    assert hue_distance_deg(colour, IDENTITY_COLOURS["amazon_leo"][0]) < HUE_TOLERANCE_DEG


def test_kuiper_2025_and_amazon_leo_7736_share_the_hue():
    a, b = constellation_colour("kuiper_2025"), constellation_colour("amazon_leo_7736")
    assert hue_distance_deg(a, b) < HUE_TOLERANCE_DEG
    assert constellation_colour("kuiper") == constellation_colour("Amazon Leo") == "#D55E00"


def test_starlink_sub_identities_are_shades_of_one_blue():
    gen1, gen2 = constellation_colour("starlink_gen1"), constellation_colour("starlink_gen2_7500")
    real = constellation_colour("Starlink real fleet")
    assert len({gen1, gen2, real}) == 3
    for c in (gen1, gen2, real):
        assert hue_distance_deg(c, IDENTITY_COLOURS["starlink"][0]) < HUE_TOLERANCE_DEG


def test_identities_have_distinct_hues():
    bases = [v[0] for v in IDENTITY_COLOURS.values()]
    for i, a in enumerate(bases):
        for b in bases[i + 1:]:
            assert hue_distance_deg(a, b) > 10.0
    assert constellation_colour("golden_dome") == constellation_colour("Golden Dome") == "#E69F00"


def test_unknown_names_fall_back_deterministically():
    assert constellation_identity("Iridium-like") is None
    assert constellation_colour("Iridium-like") in FALLBACK_COLOURS
    assert constellation_colour("Iridium-like") == constellation_colour("iridium like")
    picks = {constellation_colour(f"walker {i}") for i in range(60)}
    assert len(picks) > 1  # the hash spreads names over the fallback palette


def test_colours_of_one_figure_are_distinct_and_order_free():
    names = ["kuiper", "Kuiper (licensed)", "a", "b", "c", "starlink_gen1"]
    got = constellation_colours(names)
    assert len(set(got.values())) == len(names)
    assert got == constellation_colours([*reversed(names), "a"])
    assert got["kuiper"] == constellation_colour("kuiper")
    assert got["starlink_gen1"] == constellation_colour("starlink_gen1")


# --------------------------------------------------------------------------- number formats


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 s"), (0.5, "0.5 s"), (42, "42 s"), (59.4, "59 s"), (59.9, "1 min"), (60, "1 min"),
    (378, "6.3 min"), (3599, "1 h"), (3600, "1 h"), (7560, "2.1 h"), (47 * 3600, "47 h"),
    (3 * 86400, "3 d"), (-90, "-1.5 min"),
])
def test_format_duration_s(seconds, text):
    assert format_duration_s(seconds) == text


def test_format_duration_s_missing_values():
    assert format_duration_s(math.nan) == "never covered"
    assert format_duration_s(math.inf) == "never covered"
    assert format_duration_s(-math.inf, missing="undefined") == "undefined"


def test_format_count_and_percent():
    assert format_count(16000) == "16,000"
    assert format_count(1234567.4) == "1,234,567"
    assert format_count(0) == "0"
    assert format_count(math.nan) == "n/a"
    assert format_count(math.inf, missing="-") == "-"
    assert format_percent(0.0) == "0.0 %"
    assert format_percent(0.4231) == "42.3 %"
    assert format_percent(1.0, digits=0) == "100 %"
    assert format_percent(math.nan) == "n/a"


# --------------------------------------------------------------------------- captions and text


def test_format_caption_skips_missing_parts():
    assert format_caption({"start": "2025-07-01", "grid": None, "step": "", "max nadir": math.nan,
                           "": "optimistic gaps"}) == "start 2025-07-01; optimistic gaps"
    assert format_caption(["a", None, "", "b"], sep=" | ") == "a | b"
    assert format_caption([]) == ""


def _draw(text):
    fig = Figure(figsize=(3, 1))
    t = fig.text(0.05, 0.5, text)
    FigureCanvasAgg(fig).draw()
    return t


@pytest.mark.parametrize("raw", ["Plan $5 and $6", "$\\frac$", "cost $", "$x^2$ and \\$ already"])
def test_escaped_text_draws_literally(raw):
    t = _draw(escape_text(raw))
    shown, is_math = t._preprocess_math(t.get_text())
    assert not is_math
    assert shown == raw


def test_unescaped_dollars_would_hit_mathtext():
    """Why escaping matters: the raw string is parsed as mathtext and fails to draw."""
    with pytest.raises(ValueError):
        _draw("$\\frac$")


def test_new_figure_draws_user_title_and_caption_literally(tmp_path):
    fig, main = new_figure(4.0, 2.0, caption={"budget": "$5 and $6", "note": None}, title="Plan $\\frac$")
    main.subplots().plot([0, 1], [0, 1])
    texts = [t.get_text() for sub in fig.subfigs for t in sub.texts]
    assert texts == ["Plan \\$\\frac\\$", "budget \\$5 and \\$6"]  # suptitle, caption strip
    path = save_figure(fig, tmp_path / "plan", dpi=40)[0]
    assert path.name == "plan.png" and path.stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.png"]  # no temporary file left


def test_style_does_not_load_matplotlib():
    code = ("import sys, constellations.plotting.style as s; s.constellation_colour('kuiper'); "
            "s.format_duration_s(60); assert 'matplotlib' not in sys.modules")
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True, env=env)


def test_public_names_are_documented():
    pure = {"axis_label", "constellation_colour", "constellation_colours", "constellation_identity",
            "escape_text", "format_caption", "format_count", "format_duration_s", "format_percent"}
    for name in style.__all__:
        obj = getattr(style, name)
        if callable(obj):
            assert obj.__doc__ and "Parameters" in obj.__doc__, name
        if name in pure:
            assert "Examples" in obj.__doc__, name
