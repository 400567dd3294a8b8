"""Browser tests of the built website, in headless Chromium (playwright's sync API).

The site is built once per session into a temporary folder (or taken from ``MOM_SITE_DIR``,
which ``make test`` points at the ``_build/html`` it has just built) and opened from
``file://``, so these tests also prove that the book reads offline. For every page: no failed
request, no request outside the site, no console error, math rendered by MathJax, alt text on
every image; a full-page screenshot goes to ``_build/screenshots/``. For every interactive
figure: the keyboard moves each control, the canvas and the readouts change, and the readouts
equal the embedded data (and, for the showcase page, what ``mom_lib`` computes now).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("MOM_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "_build" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

playwright_sync = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM} (make test installs Debian's chromium when run as root)", allow_module_level=True
    )


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    given = os.environ.get("MOM_SITE_DIR")
    if given:
        path = Path(given).resolve()
        assert (path / "index.html").exists(), f"MOM_SITE_DIR={given} holds no built site"
        return path
    out = tmp_path_factory.mktemp("site")
    jb = shutil.which("jupyter-book", path=str(Path(sys.executable).parent)) or "jupyter-book"
    proc = subprocess.run(
        [jb, "build", str(ROOT), "--path-output", str(out), "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out / "_build" / "html"


def is_redirect(path: Path) -> bool:
    return 'http-equiv="Refresh"' in path.read_text(encoding="utf-8")[:300]


def pages(site: Path) -> list[Path]:
    """Every page of the book (not the assets, not the index.html that only redirects)."""
    skip = {"_static", "_sources", "_images", "_downloads"}
    found = (p for p in site.rglob("*.html") if not skip & set(p.relative_to(site).parts))
    return sorted(p for p in found if not is_redirect(p))


@pytest.fixture(scope="session")
def browser():
    with playwright_sync.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Watch:
    """Everything a page asks for and complains about."""

    def __init__(self, page, site: Path) -> None:
        self.site = site.as_uri()
        self.outside, self.failed, self.errors = [], [], []
        page.on("request", self.request)
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def request(self, r) -> None:
        if not (r.url.startswith(self.site) or r.url.startswith("data:") or r.url.startswith("blob:")):
            self.outside.append(r.url)


def open_page(browser, site: Path, path: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = Watch(page, site)
    page.goto(path.as_uri(), wait_until="load")
    page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.evaluate("() => document.fonts.ready.then(() => true)")
    return page, watch


def test_site_has_pages(site):
    names = {p.name for p in pages(site)}
    assert {"intro.html", "showcase.html"} <= names
    assert is_redirect(site / "index.html") and "intro.html" in (site / "index.html").read_text()


def test_every_page(site, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for path in pages(site):
        rel = path.relative_to(site).as_posix()
        page, watch = open_page(browser, site, path)
        info = page.evaluate(
            """() => ({
              math: document.querySelectorAll('.math, div.math, span.math').length,
              mjx: document.querySelectorAll('mjx-container').length,
              text: document.body.innerText,
              noalt: [...document.images]
                .filter(i => !(i.getAttribute('alt') || '').trim()).map(i => i.src.slice(0, 80)),
            })"""
        )
        page.screenshot(path=str(SHOTS / (rel.replace("/", "__").removesuffix(".html") + ".png")), full_page=True)
        page.close()
        if watch.outside:
            problems.append(f"{rel}: requests outside the site: {watch.outside}")
        if watch.failed:
            problems.append(f"{rel}: failed requests: {watch.failed}")
        if watch.errors:
            problems.append(f"{rel}: console errors: {watch.errors}")
        if info["math"] and not info["mjx"]:
            problems.append(f"{rel}: {info['math']} math elements but MathJax rendered none")
        if "$$" in info["text"] or "\\begin{" in info["text"]:
            problems.append(f"{rel}: raw TeX in the page text")
        if info["noalt"]:
            problems.append(f"{rel}: images without alt text: {info['noalt']}")
    assert not problems, "\n".join(problems)


FIG_STATE = """(root) => {
  const c = root.querySelector('canvas');
  return {
    ready: root.classList.contains('mom-fig-ready'),
    pixels: c.toDataURL(),
    readouts: [...root.querySelectorAll('output')].map(o => o.textContent),
    values: [...root.querySelectorAll('input,select')].map(i => +i.value),
    ms: root.dataset.redrawMs ? +root.dataset.redrawMs : null,
  };
}"""


def embedded_spec(fig) -> dict:
    return json.loads(fig.locator("script.mom-fig-data").text_content())


def flat_index(spec: dict, idx: list[int]) -> int:
    return int(np.ravel_multi_index(idx, [len(c["labels"]) for c in spec["controls"]]))


def series_at(spec: dict, flat: int) -> list[bytes]:
    out = []
    for s in spec["series"]:
        raw = base64.b64decode(s["data"])
        size = s["n"] * (2 if s["xy"] else 1) * 2
        out.append(raw[flat * size : (flat + 1) * size])
    return out


def exercise_figure(page, fig, where: str, times: list[float]) -> list[dict]:
    """Move every control by keyboard; check pixels and readouts. Returns the visited settings."""
    spec = embedded_spec(fig)
    state = fig.evaluate(FIG_STATE)
    assert state["ready"], f"{where}: the figure was not drawn"
    assert fig.locator("img.mom-fig-static").get_attribute("alt")
    visited = []
    for k, control in enumerate(spec["controls"]):
        widget = fig.locator("input,select").nth(k)
        label = fig.locator(f"label[for='{widget.get_attribute('id')}']")
        assert label.text_content() == control["label"], f"{where}: control {control['name']} has no label"
        if len(control["labels"]) < 2:
            assert not widget.is_visible(), f"{where}: {control['name']} has one value but is shown"
            continue
        before = fig.evaluate(FIG_STATE)
        widget.focus()
        key = "ArrowRight" if before["values"][k] < len(control["labels"]) - 1 else "ArrowLeft"
        if control["kind"] == "select":
            key = "ArrowDown" if key == "ArrowRight" else "ArrowUp"
        page.keyboard.press(key)
        after = fig.evaluate(FIG_STATE)
        assert after["values"][k] != before["values"][k], f"{where}: {key} did not move {control['name']}"
        old, new = flat_index(spec, before["values"]), flat_index(spec, after["values"])
        want = [r["values"][new] for r in spec["readouts"]]
        assert after["readouts"] == want, f"{where}: readouts {after['readouts']} != embedded {want}"
        if series_at(spec, old) != series_at(spec, new):
            assert after["pixels"] != before["pixels"], f"{where}: moving {control['name']} did not redraw"
        if [r["values"][old] for r in spec["readouts"]] != want:
            assert after["readouts"] != before["readouts"], f"{where}: the readout did not change"
        assert after["ms"] is not None
        times.append(after["ms"])
        visited.append(
            {c["name"]: c["labels"][i] for c, i in zip(spec["controls"], after["values"], strict=True)}
            | {"readouts": dict(zip([r["label"] for r in spec["readouts"]], after["readouts"], strict=True))}
        )
    return visited


def test_interactive_figures(site, browser):
    times: list[float] = []
    n_figs = 0
    showcase_settings = []
    for path in pages(site):
        if 'data-mom-fig="1"' not in path.read_text(encoding="utf-8"):
            continue
        page, watch = open_page(browser, site, path)
        figs = page.locator("[data-mom-fig]")
        for i in range(figs.count()):
            n_figs += 1
            visited = exercise_figure(page, figs.nth(i), f"{path.name} figure {i + 1}", times)
            if path.name == "showcase.html":
                showcase_settings.append(visited)
        page.close()
        assert not watch.errors and not watch.outside, (watch.errors, watch.outside)
    assert n_figs >= 2 and len(showcase_settings) == 2
    print(
        f"\n{n_figs} interactive figures; redraw (slider event to drawn) over {len(times)} moves: "
        f"median {statistics.median(times):.2f} ms, max {max(times):.2f} ms"
    )
    check_showcase_against_mom_lib(showcase_settings)


def check_showcase_against_mom_lib(settings: list[list[dict]]) -> None:
    """The showcase readouts are what mom_lib computes for the setting shown on the page."""
    from mom_lib import Quadratic, gd, heavy_ball, rate, run
    from mom_lib.methods import METHODS

    f = Quadratic([1.0, 10.0])
    rules = {m.label: m.rule for m in METHODS.values()}  # the page shows the registry's labels
    for s in settings[0]:  # loss over the steps: gd and heavy ball, 60 steps from (1, 1)
        lr, beta = float(s["lr"]), float(s["beta"])
        for name, rule in (("gradient descent", gd), ("heavy ball", heavy_ball)):
            hp = {"lr": lr} if rule is gd else {"lr": lr, "beta": beta}
            xt = run(rule, f.grad, [1.0, 1.0], n_steps=60, **hp).final
            gap = float(f.value(xt) - f.minimum)
            assert s["readouts"][f"f(x_T) - f* ({name})"] == f"{gap:.3e}"
            rho = float(rate(10.0, lr=lr, beta=0.0 if rule is gd else beta))
            assert s["readouts"][f"rate ({name})"] == f"{rho:.4f}"
    for s in settings[1]:  # paths: 40 steps from (-2, 1), the method picked on the page
        rule = rules[s["method"]]
        hp = {"lr": float(s["lr"])} | ({} if rule is gd else {"beta": float(s["beta"])})
        xt = run(rule, f.grad, [-2.0, 1.0], n_steps=40, **hp).final
        assert s["readouts"]["f(x_T) - f*"] == f"{float(f.value(xt) - f.minimum):.3e}"


def test_static_fallback_without_javascript(site, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto((site / "showcase.html").as_uri())
    img = page.locator("[data-mom-fig] img.mom-fig-static").first
    assert img.is_visible()
    assert img.evaluate("i => i.naturalWidth") > 100
    assert not page.locator(".mom-fig-live").first.is_visible()
    context.close()
