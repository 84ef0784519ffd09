"""The HTML report in a real headless browser (the distribution's Chromium, driven by Selenium).

A real run against the reference CMS with one named deadline defect writes the report; Chromium opens
it from disk and the test checks what an evaluator sees: no console errors, no network requests,
failures first, and every failed deadline instance linking to a timeline that is drawn. Screenshots are
kept under reports-out/screenshots/ as CI artefacts. Without Chromium, chromedriver or Selenium the
test skips and says which is missing (.ci/run installs them best-effort).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reports.html import write_html
from reports.load_run import load_run_from_file
from reports.results import RunResults
from tests.reports.conftest import REPO
from tests.reports.test_load_section import load_results_document

pytestmark = pytest.mark.slow

SCREENSHOTS = REPO / "reports-out" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# No download, no background traffic: the page must render from the file alone.
BROWSER_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1366,900",
                 "--disable-dev-shm-usage")


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return "Chromium is not installed (apt-get install chromium chromium-driver; .ci/run does it best-effort)"
    if not Path(CHROMEDRIVER).exists():
        return "chromedriver is not installed (apt-get install chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def late_report(late_run: Path) -> Path:
    reason = _missing()
    if reason:
        pytest.skip(reason)
    return late_run / "report.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in BROWSER_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(120)  # a busy CI machine; the page itself needs no network
    try:
        yield driver
    finally:
        driver.quit()


def test_the_report_shows_what_failed_first_and_links_each_late_exchange_to_its_drawn_timeline(
    late_report: Path, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(late_report.as_uri())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "report-first-screen.png"))

    errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
    assert errors == [], errors
    requests = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert requests == [], f"the report fetched {requests}"

    # Failures first: the first section after the verdict is "What failed", and the first check block is failed.
    headings = [h.get_attribute("id") for h in browser.find_elements(By.CSS_SELECTOR, "h2[id]")]
    assert headings[0] == "what-failed", headings
    first_check = browser.find_element(By.CSS_SELECTOR, ".check")
    assert "failed" in first_check.get_attribute("class").split()

    rows = browser.find_elements(By.CSS_SELECTOR, "table.whatfailed .inst")
    assert rows, "no failed instance listed"
    # The "what failed" table is on the first screen and says how late.
    assert rows[0].rect["y"] < 900
    assert all("late by" in row.text for row in rows)
    links = browser.find_elements(By.CSS_SELECTOR, "table.whatfailed a.tl-link")
    assert len(links) == len(rows), "a failed deadline instance has no timeline link"
    for target in dict.fromkeys(link.get_attribute("hash").lstrip("#") for link in links):
        figure = browser.find_element(By.ID, target)
        svg = figure.find_element(By.TAG_NAME, "svg")
        assert svg.size["width"] > 300, f"{target}: timeline not drawn"
        assert svg.size["height"] > 100, f"{target}: timeline not drawn"
        assert len(svg.find_elements(By.CSS_SELECTOR, "path")) > 10, f"{target}: timeline has no marks"
    links[0].click()
    browser.save_screenshot(str(SCREENSHOTS / "report-first-timeline.png"))
    assert browser.execute_script("return location.hash") == links[0].get_attribute("hash")


def test_the_load_section_draws_its_throughput_and_margin_plots(
    sample_results: RunResults, browser: Any, tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By

    load_results = tmp_path / "load-results.json"
    load_results.write_text(json.dumps(load_results_document(late=2, states=True)), encoding="utf-8")
    sample_results.load = load_run_from_file(load_results)
    page = write_html(sample_results, tmp_path / "report.html")
    browser.get(page.as_uri())
    errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
    assert errors == [], errors
    heading = browser.find_element(By.ID, "load")
    browser.execute_script("arguments[0].scrollIntoView()", heading)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "report-load-section.png"))
    assert "failed" in heading.text
    for figure in ("load-throughput", "load-margin"):
        svg = browser.find_element(By.ID, figure).find_element(By.TAG_NAME, "svg")
        assert svg.size["width"] > 300, f"{figure}: not drawn"
        assert svg.size["height"] > 100, f"{figure}: not drawn"
