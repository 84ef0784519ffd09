from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from reports.junit import write_junit
from reports.results import RunResults

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'  # as in conftest.py


def _parse(results: RunResults, tmp_path: Path) -> ET.Element:
    path = write_junit(results, tmp_path / "junit.xml")
    assert path.read_bytes().startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.parse(path).getroot()


def _props(element: ET.Element) -> list[tuple[str | None, str | None]]:
    return [(p.get("name"), p.get("value")) for p in element.findall("./properties/property")]


def test_one_testcase_per_check_plus_declarations(sample_results: RunResults, tmp_path: Path) -> None:
    root = _parse(sample_results, tmp_path)
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")

    assert [case.get("name") for case in cases] == [c.id for c in sample_results.checks] + ["R-02 (declaration)"]
    for element in (root, suite):
        assert element.get("tests") == "7"
        assert element.get("failures") == "1"
        assert element.get("errors") == "0"
        assert element.get("skipped") == "3"  # not_applicable + inconclusive + the declaration
    assert len(suite.findall("testcase/failure")) == 1
    assert len(suite.findall("testcase/skipped")) == 3
    assert ("verdict", "not conformant") in _props(suite)
    assert ("seed", "7") in _props(suite)


def test_failure_carries_the_message_and_the_requirements(sample_results: RunResults, tmp_path: Path) -> None:
    suite = _parse(sample_results, tmp_path).find("testsuite")
    assert suite is not None
    case = suite.find("testcase[@name='art5.urgent_direct_reply_within_8h[night]']")
    assert case is not None
    assert case.get("classname") == "Art 5"
    assert case.get("time") == "1.250"
    assert ("requirement", "R-10") in _props(case)
    assert ("basis", "verified") in _props(case)
    assert ("outcome", "failed") in _props(case)
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith("Sent urgent REQUEST SIENA-1 at 09:00Z")
    assert HOSTILE in (failure.get("message") or "")  # escaped in the file, intact when parsed
    body = failure.text or ""
    for expected in (
        "rule: Art 5(1)(a)",
        "expected: a REPLY by",
        "SIENA-2",
        "spoc-harness run --sut reference",
        "curl -X POST",
    ):
        assert expected in body


def test_skips_and_warnings_are_labelled(sample_results: RunResults, tmp_path: Path) -> None:
    suite = _parse(sample_results, tmp_path).find("testsuite")
    assert suite is not None
    skipped = {
        case.get("name"): case.find("skipped") for case in suite.findall("testcase") if case.find("skipped") is not None
    }
    assert {name: element.get("type") for name, element in skipped.items() if element is not None} == {
        "art4.copy_to_own_spoc": "not_applicable",
        "art5.reply_language": "inconclusive",
        "R-02 (declaration)": "declaration",
    }
    declaration = skipped["R-02 (declaration)"]
    assert declaration is not None
    assert "nothing crosses a channel" in (declaration.get("message") or "")
    warning = suite.find("testcase[@name='art4.request_content[minimal]']")
    assert warning is not None
    assert warning.find("failure") is None
    assert warning.find("skipped") is None
    assert ("outcome", "warning") in _props(warning)
    assert ("basis", "unverified") in _props(warning)
    assert (warning.findtext("system-out") or "").startswith("WARNING: ")


def test_aborted_run_adds_an_error(sample_builder: Any, tmp_path: Path) -> None:
    root = _parse(sample_builder(aborted=True), tmp_path)
    assert root.get("errors") == "1"
    assert root.get("tests") == "8"
    error = root.find("testsuite/testcase[@name='run completed']/error")
    assert error is not None
    assert error.get("message") == "SUT stopped answering"


def test_characters_xml_cannot_carry_are_replaced(sample_results: RunResults, tmp_path: Path) -> None:
    check = sample_results.checks[1].model_copy(update={"message": "bad \x00\x1b byte in reply"})
    results = sample_results.model_copy(update={"checks": [check]})
    failure = _parse(results, tmp_path).find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == "bad \ufffd\ufffd byte in reply"
