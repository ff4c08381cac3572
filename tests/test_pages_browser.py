"""The index page of a run opens in a real browser (headless Chromium): every image loads, no console error.

The page is opened from disk, offline, through a copy beside it with a small monitor script put first
in its ``<head>``: the script records console errors, script errors and failed resource loads (image,
style) as they happen and, once the page has loaded, writes them and each image's ``naturalWidth``
into the DOM, which ``chromium --dump-dom`` prints. Console messages Chromium logs to stderr are
checked too.

Skipped only when Chromium is not installed and the tests do not run in CI (``CI`` set): in CI a
missing browser fails (``.ci/run`` installs Debian's ``chromium``).
"""

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest

import constellations as cs
from constellations.app.runs import write_run
from constellations.plotting import FIGURES

START = "2025-07-01T00:00:00Z"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")

MONITOR = """<script>
window.__problems = [];
(function () {
  const seen = window.__problems;
  const error = console.error.bind(console);
  console.error = function (...args) { seen.push("console.error: " + args.join(" ")); error(...args); };
  window.addEventListener("error", function (e) {
    const t = e.target;
    if (t && t !== window && (t.src || t.href)) { seen.push("failed to load: " + (t.src || t.href)); }
    else { seen.push("script error: " + e.message); }
  }, true);
  window.addEventListener("unhandledrejection", function (e) { seen.push("rejection: " + e.reason); });
  window.addEventListener("load", function () {
    const images = [...document.images].map(i => [i.getAttribute("src"), i.complete, i.naturalWidth]);
    document.documentElement.setAttribute("data-images", JSON.stringify(images));
    document.documentElement.setAttribute("data-problems", JSON.stringify(seen));
  });
})();
</script>"""


def browser():
    found = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (apt-get install -y chromium; see .ci/run)")
        pytest.skip("Chromium is not installed (apt-get install chromium); runs in CI")
    return found


def open_page(page: Path, tmp_path: Path):
    """(images, problems, console lines) of ``page`` as loaded by headless Chromium."""
    exe = browser()
    text = page.read_text(encoding="utf-8")
    assert "<head>" in text
    probe = page.with_name(".browser-check.html")  # beside the page: same relative links
    probe.write_text(text.replace("<head>", "<head>" + MONITOR, 1), encoding="utf-8")
    try:
        proc = subprocess.run(
            [exe, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--no-proxy-server",
             "--disable-extensions", "--disable-background-networking", f"--user-data-dir={tmp_path / 'ud'}",
             "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom",
             probe.resolve().as_uri()],
            capture_output=True, text=True, timeout=180, check=False)
    finally:
        probe.unlink(missing_ok=True)
    dom = proc.stdout

    def attr(name):
        m = re.search(rf'{name}="([^"]*)"', dom)
        assert m, f"the monitor did not run ({name} missing); chromium said: {proc.stderr[-2000:]}"
        return json.loads(html.unescape(m.group(1)))

    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return attr("data-images"), attr("data-problems"), console


def test_the_monitor_catches_a_missing_image_and_a_console_error(tmp_path):
    # the check itself must be able to fail: a broken page is reported as broken
    browser()
    from matplotlib.figure import Figure

    Figure(figsize=(1, 1)).savefig(tmp_path / "ok.png")
    page = tmp_path / "index.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
                    '<img src="ok.png"><img src="missing.png"><script>console.error("boom")</script>'
                    "</body></html>", encoding="utf-8")
    images, problems, _ = open_page(page, tmp_path)
    widths = {src: w for src, _, w in images}
    assert widths["ok.png"] > 0 and widths["missing.png"] == 0
    assert any("missing.png" in p for p in problems) and any("boom" in p for p in problems)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    grid = cs.global_grid(15.0)
    cities = cs.city_grid(["Berlin", "Nairobi"])
    sources = [cs.walker_delta(60, 6, 1, 550.0, 53.0, name="delta 60 $5 <b>"),
               cs.walker_star(48, 6, 1, 780.0, 86.4, name="star 48")]
    results = [cs.analyze(c, grid, START, 7200.0, 300.0, nfold=[1, 2, 3], progress=False) for c in sources]
    city = []
    for c in sources:
        ds = cs.analyze(c, cities, START, 7200.0, 300.0, nfold=[1, 2, 3], keep_counts=True, progress=False)
        ds.attrs["figure_cities"] = json.dumps(["Berlin", "Nairobi"])
        city.append(ds)
    write_run(out, results, city, title="Scenario browser_check", description="Two small shells.",
              caption="Scenario browser_check: 2 h at 300 s steps from 2025-07-01 00:00 UTC",
              figure_names=list(FIGURES), save_results=False)
    return out


def test_index_page_renders_with_every_image_and_no_console_error(run_folder, tmp_path):
    page = run_folder / "index.html"
    images, problems, console = open_page(page, tmp_path)
    expected = {f"{name}.png" for name in FIGURES}
    assert {src for src, _, _ in images} == expected  # every figure is on the page
    not_loaded = [src for src, complete, width in images if not (complete and width > 0)]
    assert not not_loaded, f"images that did not load: {not_loaded}"
    assert problems == []
    assert console == [], console  # the page has no scripts: any console output is a problem


def test_index_page_reads_as_a_report(run_folder):
    page = (run_folder / "index.html").read_text(encoding="utf-8")
    title = re.search(r"<h1>(.*?)</h1>", page).group(1)
    assert "vs" in title and "browser_check" in title and title != "browser_check"
    assert "&lt;b&gt;" in title and "<b>" not in title  # user text shown literally
    order = [page.index(x) for x in ("<h1>", "<h2>The answer</h2>", "<h2>Figures</h2>",
                                     "<h2>How this was computed</h2>", "<h2>Model limits</h2>")]
    assert order == sorted(order)  # the answer table before the figures, the how after them
    headings = re.findall(r"<figure><h3>(.*?)</h3>", page)
    assert headings and not [h for h in headings if "_" in h]  # headings are words, not file stems
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", page, flags=re.S)
    assert len(captions) == len(FIGURES) and all(len(c.strip()) > 20 for c in captions)
