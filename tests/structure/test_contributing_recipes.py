"""CONTRIBUTING.md's recipe "Add a check for a new article", followed on a scratch copy of the package.

The copy gets a new requirement in the catalogue, its applicability entry and a check module, as the
recipe says; pytest (with the plugin of the copy) must then collect and select the new check, and a
misspelt ID in its marker must stop the collection. The recipe "Add a report format" is followed in
tests/reports/test_report_formats.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRIBUTING = ROOT / "CONTRIBUTING.md"

NEW_REQUIREMENT = '''
[[requirements]]
id = "R-101"
section = "2.11"
article = "Art 18(2)(e)"
chapter = "VI"
title = "Example obligation"
statement = "An example obligation, to show how a check for a new article is added."
kinds = ["channels"]
basis = "unverified"
sources = []
how_to_check = "BB"
'''

NEW_APPLICABILITY = '''
[[applicability]]
requirement = "R-101"
flows = ["incoming_request"]
why = "an example: every incoming request"
'''

NEW_CHECK = '''"""Art 18(2)(e): an example check."""

from __future__ import annotations

import pytest

from conformance.campaign.view import CampaignView
from conformance.verdicts import Judge


@pytest.mark.requirement("{rid}", article="Art 18(2)(e)")
def test_example_obligation(campaign: CampaignView, judge: Judge) -> None:
    """Every incoming request is answered (an example)."""
    for exchange in campaign.journal.incoming(judge.requirement):
        judge.check(bool(campaign.journal.of(exchange)), exchange.key, rule="answered", observed="-")
    judge.else_not_applicable("no request was sent")
'''


def _scratch_copy(tmp_path: Path, marker_id: str) -> Path:
    scratch = tmp_path / "project"
    shutil.copytree(ROOT / "conformance", scratch / "conformance",
                    ignore=shutil.ignore_patterns("__pycache__"))
    catalogue = scratch / "conformance" / "data" / "requirements.toml"
    text = catalogue.read_text(encoding="utf-8")
    # Step 1: the requirement, among the others (before the applicability model's part of the file).
    anchor = "# The applicability model"
    cut = text.index(anchor)
    cut = text.rindex("\n\n", 0, cut)
    text = text[:cut] + "\n" + NEW_REQUIREMENT + text[cut:]
    # Step 2: its applicability entry.
    text += NEW_APPLICABILITY
    catalogue.write_text(text, encoding="utf-8")
    # Step 3: the check, in a module named for its article.
    (scratch / "conformance" / "checks" / "art99_example.py").write_text(
        NEW_CHECK.replace("{rid}", marker_id), encoding="utf-8")
    return scratch


def _collect(scratch: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(scratch), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "conformance/checks", "--spoc-profile", "R-101"],
        cwd=scratch, env=env, capture_output=True, text=True, timeout=240, check=False)


def test_the_recipe_is_in_contributing() -> None:
    text = CONTRIBUTING.read_text(encoding="utf-8")
    for heading in ("## Add a check for a new article", "## Add a channel", "## Add a report format"):
        assert heading in text


def test_a_new_check_is_collected_and_selected_by_its_requirement(tmp_path: Path) -> None:
    done = _collect(_scratch_copy(tmp_path, "R-101"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "conformance/checks/art99_example.py::test_example_obligation" in done.stdout
    assert "1/" in done.stdout  # only the new check is selected by the profile R-101


def test_a_misspelt_requirement_stops_the_collection(tmp_path: Path) -> None:
    done = _collect(_scratch_copy(tmp_path, "R-1O1"))  # a letter O for the zero
    assert "names requirements the catalogue does not hold: R-1O1" in done.stdout + done.stderr
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
