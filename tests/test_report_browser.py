"""The HTML reports in a real headless browser: no broken images, no console errors, every
figure visible, and a screenshot saved to test-artifacts/ (issue: experiments as a product).

Chromium and chromedriver come from Debian (`make test` installs them when missing and it can);
the test skips with a clear message where they cannot be had.
"""

import shutil
import urllib.parse
from pathlib import Path

import pytest

from deeprg.experiments import resolve_config, run_experiment
from deeprg.report import render_run, write_index

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def _driver():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install selenium)")
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver_path = shutil.which("chromedriver")
    if not browser or not driver_path:
        pytest.skip(
            "no headless browser: install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
        )
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,2000",
        "--allow-file-access-from-files",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        return webdriver.Chrome(service=Service(driver_path), options=opts)
    except Exception as exc:  # a broken browser install
        pytest.skip(f"headless chromium could not start: {type(exc).__name__}: {str(exc).splitlines()[0]}")


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    figures = {}
    for name, overrides in (
        ("decimation-1d", {"mc_length": 32, "mc_samples": 300, "mc_couplings": [0.5]}),
        (
            "lin-tegmark",
            {"max_n": 4, "train_max_n": 2, "train_widths": [4, 16], "train_steps": 60, "rg_steps": 2},
        ),
    ):
        config = resolve_config(name, "quick", overrides=overrides)
        result, doc = run_experiment(name, root / name, config)
        render_run(root / name, doc["title"], doc, result)
        figures.update({str(root / name / "figures" / f"{f.name}.png"): f for f in result.figures})
    write_index(root)
    return root, figures


def _clipped(png: Path, spec) -> list[str]:
    """Text cut off in a report image: dark pixels on the PNG's border, or (with the figure's
    specification) texts whose extent leaves the canvas."""
    from deeprg.report._figures import clipped_text, ink_at_edges, make_figure

    problems = [f"ink at the {edge} edge" for edge in ink_at_edges(png)]
    if spec is not None:
        problems += [f"clipped text {t!r}" for t in clipped_text(make_figure(spec))]
    return problems


def test_the_clipped_text_check_fails_on_a_clipped_image(tmp_path):
    from deeprg.experiments import FigureSpec, Series
    from deeprg.report._figures import make_figure

    spec = FigureSpec(name="f", title="fine", series=(Series([0, 1], [0, 1], label="L=4"),))
    fig = make_figure(spec)
    fig.savefig(tmp_path / "fine.png", dpi=110)
    assert _clipped(tmp_path / "fine.png", spec) == []
    fig.text(0.97, 0.5, "a label that runs off the canvas")
    fig.savefig(tmp_path / "cut.png", dpi=110)
    assert _clipped(tmp_path / "cut.png", None) == ["ink at the right edge"]


def test_reports_render_in_a_headless_browser(reports):
    reports, specs = reports
    driver = _driver()
    ARTIFACTS.mkdir(exist_ok=True)
    checked = set()
    try:
        for page in [reports / "index.html", *sorted(reports.glob("*/report.html"))]:
            driver.get(page.as_uri())
            images = driver.execute_script(
                "return Array.from(document.images).map(i => [i.src, i.complete && i.naturalWidth > 0, i.getBoundingClientRect().width > 0])"
            )
            broken = [src for src, ok, _ in images if not ok]
            for src, ok, _ in images:
                png = Path(urllib.parse.unquote(urllib.parse.urlparse(src).path))
                if ok and png.suffix == ".png":
                    checked.add(str(png))
                    problems = _clipped(png, specs.get(str(png)))
                    assert not problems, f"{page}: {png.name} is clipped: {problems}"
            hidden = [src for src, _, visible in images if not visible]
            assert not broken, f"{page}: broken images {broken}"
            assert not hidden, f"{page}: invisible images {hidden}"
            if page.name == "report.html":
                assert len(images) >= 1, f"{page}: no figures"
                figures = len(list((page.parent / "figures").glob("*.png")))
                assert len(images) == figures
            errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
            assert not errors, f"{page}: console errors {errors}"
            name = "index" if page.name == "index.html" else page.parent.name
            driver.save_screenshot(str(ARTIFACTS / f"report-{name}.png"))
            assert (ARTIFACTS / f"report-{name}.png").stat().st_size > 10_000
    finally:
        driver.quit()
    assert checked == set(specs), "every report figure was checked for clipped text"
