"""behave itself, as a subprocess, against the reference CMS: clean it passes, with a defect it fails.

Each run starts the real reference network (simulators and reference CMS subprocesses on free
loopback ports) through features/environment.py, for a small selection of scenarios, so the whole
file takes about half a minute.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.evaluation import UserDataError, check_functions, options_from_userdata

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ROOT / "features"
BEHAVE = [sys.executable, "-m", "behave"]


def run_behave(*args: str, features: Path = FEATURES, junit: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [*BEHAVE, "--format", "progress2", "--no-skipped", *args]
    if junit is not None:
        command += ["--junit", "--junit-directory", str(junit)]
    return subprocess.run([*command, str(features)], cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)


def summary(output: str) -> dict[str, int]:
    """'3 scenarios passed, 1 failed, 1 hook_error, 64 skipped' -> {'passed': 3, 'failed': 1, ...}."""
    line = next(x for x in output.splitlines() if re.match(r"\d+ scenarios? passed", x))
    counts = {}
    for part in line.split(", "):
        number, *words = part.split()
        counts[words[-1]] = int(number)
    return counts


def junit_cases(directory: Path) -> list[ET.Element]:
    return [case for path in sorted(directory.glob("*.xml")) for case in ET.parse(path).getroot().iter("testcase")]


@pytest.mark.slow
def test_selected_scenarios_pass_against_the_reference_cms(tmp_path: Path) -> None:
    result = run_behave("--tags", "@R-10 or @R-27 or @R-97", junit=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    counts = summary(result.stdout)
    # The two urgent deadline rows, the clarification, the OC refusal and the Art 18(2)(b) figures.
    assert counts["passed"] >= 5, result.stdout
    assert counts.get("failed", 0) == 0
    ran = [c for c in junit_cases(tmp_path) if c.get("status") != "skipped"]
    assert len(ran) == counts["passed"]
    assert all(c.get("status") == "passed" for c in ran)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("defect", "tags", "message"),
    [
        # The night scenario's own request and the generated ones received at the same moment all fail; the
        # applicability model selects the urgent direct requests, so the summary counts them rather than naming
        # a fixed list.
        ("late-urgent-reply", "@R-10", "R-10 Art 5(1)(a): FAILED for"),
        ("refusal-without-ground", "@R-27", "R-27 Art 6(1)(h) + Art 3(d): FAILED"),
    ],
)
def test_a_named_defect_fails_with_requirement_and_article(
    tmp_path: Path, defect: str, tags: str, message: str
) -> None:
    result = run_behave("--tags", tags, "-D", f"defect={defect}", junit=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert summary(result.stdout)["failed"] >= 1
    assert message in result.stdout
    failures = [f.get("message", "") for c in junit_cases(tmp_path) for f in c.iter("failure")]
    assert any(message in text for text in failures), failures
    assert any("reproduce: spoc-harness run" in text and defect in text for text in failures), failures


@pytest.mark.slow
def test_a_tag_no_step_asserts_fails_the_scenario(tmp_path: Path) -> None:
    """The requirement tags are the scenario's promise: one its steps never assert is an error."""
    features = tmp_path / "features"
    shutil.copytree(FEATURES / "steps", features / "steps")
    shutil.copy(FEATURES / "environment.py", features / "environment.py")
    (features / "promise.feature").write_text(
        "Feature: a scenario promising more than it checks\n"
        "  @R-06 @art-4-4 @R-08 @art-4-6\n"
        "  Scenario: only the urgency is checked\n"
        "    Given the SPOC of the Member State under test is the requesting SPOC\n"
        "    When the SPOC under test sends an urgent request for information to the SPOC of France\n"
        "    Then the request is marked urgent and gives an urgency criterion of Article 4(4) with the reasons\n",
        encoding="utf-8",
    )
    result = run_behave(features=features)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "tagged R-08 (Art 4(6)) but none of its steps asserted it" in result.stdout


@pytest.mark.slow
def test_a_scenario_the_campaign_did_not_drive_says_so(tmp_path: Path) -> None:
    features = tmp_path / "features"
    shutil.copytree(FEATURES / "steps", features / "steps")
    shutil.copy(FEATURES / "environment.py", features / "environment.py")
    (features / "absent.feature").write_text(
        "Feature: an exchange the campaign does not drive\n"
        "  @R-06 @art-4-4\n"
        "  Scenario: an urgent request to Malta\n"
        "    Given the SPOC of the Member State under test is the requesting SPOC\n"
        "    When the SPOC under test sends an urgent request for information to the SPOC of Malta\n"
        "    Then the request is marked urgent and gives an urgency criterion of Article 4(4) with the reasons\n",
        encoding="utf-8",
    )
    result = run_behave(features=features)
    assert result.returncode == 1
    assert "the campaign drove no exchange matching the scenario: an urgent request to SPOC-MT" in result.stdout
    assert "outgoing.urgent-request" in result.stdout  # what the campaign did instead


def test_every_step_of_the_features_has_a_definition() -> None:
    result = subprocess.run(
        [*BEHAVE, "--dry-run", "--format", "steps.missing", str(FEATURES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "def step_impl" not in result.stdout, result.stdout


@pytest.mark.slow
def test_the_scenarios_reach_a_vendor_cms_through_its_urls(tmp_path: Path) -> None:
    """-D sut=URL -D channels=URL -D credentials=FILE: the path a vendor takes (here the reference CMS
    plays the vendor's, started outside behave)."""
    from conformance.campaign.processes import started
    from conformance.settings import CampaignSettings

    with started(tmp_path / "network", state="AT", start=CampaignSettings().start_utc) as network:
        assert network.simulators is not None
        assert network.cms is not None
        result = run_behave(
            "--tags",
            "@R-27",
            "-D",
            f"sut={network.cms.url}",
            "-D",
            f"channels={network.simulators.url}",
            "-D",
            f"credentials={network.simulators.credentials}",
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary(result.stdout)["passed"] == 1


@pytest.mark.parametrize(
    ("userdata", "problem"),
    [
        ({"defects": "late-urgent-reply"}, "unknown -D key(s) defects"),
        ({"sut": "ftp://example"}, "give 'reference' or the SUT test interface URL"),
        ({"sut": "http://127.0.0.1:9"}, "needs -D channels=URL and -D credentials=FILE"),
        ({"defect": "no-such-defect"}, "unknown defect(s) no-such-defect"),
        ({"seed": "abc"}, "-D seed"),
        ({"time_mode": "fast"}, "time_mode='fast'"),
        (
            {"sut": "http://127.0.0.1:9", "channels": "http://127.0.0.1:8", "credentials": "c.json", "defect": "x"},
            "reference CMS only",
        ),
    ],
)
def test_user_data_mistakes_are_named(userdata: dict[str, str], problem: str) -> None:
    with pytest.raises(UserDataError) as caught:
        options_from_userdata(userdata)
    assert problem in str(caught.value)


def test_user_data_make_run_options() -> None:
    options = options_from_userdata({"defect": "late-urgent-reply, no-cross-check", "seed": "7"})
    assert (options.sut, options.defects, options.seed) == ("reference", ["late-urgent-reply", "no-cross-check"], 7)
    vendor = options_from_userdata(
        {"sut": "http://127.0.0.1:8800/", "channels": "http://127.0.0.1:8700", "credentials": "creds.json"}
    )
    assert (vendor.sut, vendor.channels, str(vendor.credentials)) == (
        "http://127.0.0.1:8800",
        "http://127.0.0.1:8700",
        "creds.json",
    )


def test_the_steps_find_the_check_functions_of_the_pytest_suite() -> None:
    checks = check_functions()
    ids = [c.check_id for c in checks]
    assert len(ids) == len(set(ids))
    by_requirement = {r for c in checks for r in c.requirements}
    assert {"R-10", "R-20", "R-27", "R-97"} <= by_requirement
    assert all(c.title and c.article for c in checks)
