"""The SUT test interface as served: OpenAPI document, coverage of the routes, problem details, info."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from refcms_support import BIN, Cms, Network, call, launch_cms

from simulators.reference_cms.app import CmsOptions, ReferenceCms
from simulators.reference_cms.defects import DEFECTS
from simulators.reference_cms.sut_api import BASE, ROUTES

DOC = Path(__file__).resolve().parents[2] / "docs" / "sut-interface.openapi.json"


def test_served_openapi_equals_the_versioned_document(cms_at: Cms):
    served = cms_at.get("/openapi.json")
    assert served == json.loads(DOC.read_text(encoding="utf-8")), (
        "regenerate: python -m simulators.reference_cms.openapi docs/sut-interface.openapi.json")
    assert served["openapi"] == "3.1.0"
    assert served["info"]["version"] == "1"


def test_openapi_covers_every_route_of_the_interface(network: Network, tmp_path: Path):
    cms = ReferenceCms(CmsOptions(state="AT", channels_url=network.url, credentials=network.credentials_path,
                                  data_dir=tmp_path))
    try:
        served = {(r.method.lower(), r.resource.canonical) for r in cms.app.router.routes()
                  if r.resource is not None and r.resource.canonical.startswith(BASE) and r.method != "HEAD"}
    finally:
        cms.store.close()
    document = json.loads(DOC.read_text(encoding="utf-8"))
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert served == documented
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["x-manual-equivalent"], f"{method} {path} has no manual equivalent"
            assert "422" in operation["responses"]
    assert {r.operation for r in ROUTES} == {o["operationId"] for p in document["paths"].values() for o in p.values()}


def test_info_declares_version_languages_and_capabilities(cms_at: Cms):
    info = cms_at.get("/info")
    assert info["interface_version"] == "1"
    assert info["state"] == "AT"
    assert info["languages"] == ["de", "en"]
    assert {"SPOC-AT", "DLEA-AT", "LEA-AT", "SIRENE-AT", "NCB-AT"} <= set(info["parties"])
    assert {"clock", "agenda", "fixtures", "stimuli.outgoing_request", "stimuli.own_initiative",
            "decisions.judicial_granted", "decisions.hand_over", "exports.cases", "exports.audit_log",
            "exports.statistics", "exports.messages"} <= set(info["automated"])
    assert info["optional"] == ["agenda"]
    assert info["defects"] == []


@pytest.mark.parametrize(("method", "path", "body", "status", "field", "rule"), [
    ("POST", "/stimuli/outgoing-request", {"to_state": "DE", "items": ["x"]}, 422, "subject", "Field required"),
    ("POST", "/stimuli/outgoing-request", {"to_state": "XX", "subject": "a", "items": ["x"]}, 422, "to_state",
     "unknown state code"),
    ("POST", "/stimuli/outgoing-request", {"to_state": "AT", "subject": "a", "items": ["x"]}, 422, "to_state",
     "must be another state"),
    ("POST", "/stimuli/outgoing-request", {"to_state": "DE", "subject": "a", "items": ["x"], "urgent": True}, 422,
     "urgency_criteria", "Art 4(4)"),
    ("POST", "/stimuli/outgoing-request", {"to_state": "DE", "subject": "a", "items": ["x"], "language": "fr"},
     422, "language", "Art 4(6)"),
    ("POST", "/stimuli/outgoing-request", {"to_state": "DE", "subject": "a", "items": ["x"], "colour": "red"},
     422, "colour", "Extra inputs are not permitted"),
    ("PUT", "/fixtures", {"records": [{"subject": "a", "item": "b", "refusal_ground": "NA"}]}, 422,
     "records.0.refusal_ground", "must be one of"),
    ("PUT", "/fixtures", {"records": [{"subject": "a", "item": "b", "availability": "SOMETIMES"}]}, 422,
     "records.0.availability", "Input should be"),
    ("POST", "/cases/AT-2026-999999/decision", {"action": "provide"}, 404, "case_id", "must name a case"),
    ("POST", "/cases/x/decision", {"action": "shrug"}, 422, "action", "Input should be"),
    ("GET", "/cases?direction=SIDEWAYS", None, 422, "query.direction", "INCOMING or OUTGOING"),
    ("GET", "/audit-log?since=yesterday", None, 422, "query.since", "ISO 8601"),
    ("GET", "/statistics?year=twenty", None, 422, "query.year", "year"),
    ("GET", "/no-such-thing", None, 404, "path", "no such resource"),
])
def test_bad_input_is_answered_with_problem_details_naming_field_and_rule(
        cms_at: Cms, method: str, path: str, body: object, status: int, field: str, rule: str):
    got, problem, headers = call(method, f"{cms_at.url}/sut/v1{path}", body, expect=())
    assert got == status, problem
    assert headers["Content-Type"].startswith("application/problem+json")
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    assert problem["type"]
    assert any(e["field"] == field and rule in e["rule"] for e in problem["errors"]), problem["errors"]


def test_malformed_json_is_a_problem_too(cms_at: Cms):
    import urllib.error
    import urllib.request

    request = urllib.request.Request(f"{cms_at.url}/sut/v1/fixtures", data=b"{not json", method="PUT",
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    problem = json.loads(raised.value.read())
    assert raised.value.code == 400
    assert problem["errors"] == [{"field": "body", "rule": "must be valid JSON"}]


def test_clock_follows_the_network_when_told(cms_at: Cms, network: Network):
    assert cms_at.get("/clock")["follow_network_clock"] is True
    stopped = cms_at.put("/clock", {"follow_network_clock": False})
    assert stopped["follow_network_clock"] is False
    followed = cms_at.put("/clock", {"follow_network_clock": True})
    assert followed["follow_network_clock"] is True
    assert followed["now"] == network.now().isoformat().replace( "+00:00", "Z")


def test_agenda_shape(cms_at: Cms):
    agenda = cms_at.get("/agenda")
    assert set(agenda) >= {"next_action_at", "pending"}
    assert isinstance(agenda["pending"], int)


def test_defects_command_lists_the_registry():
    listed = json.loads(subprocess.run([str(BIN), "defects", "--json"], check=True, capture_output=True,
                                       text=True).stdout)["defects"]
    assert [d["name"] for d in listed] == list(DEFECTS)
    assert len(listed) >= 20
    text = subprocess.run([str(BIN), "defects"], check=True, capture_output=True, text=True).stdout
    assert all(name in text for name in DEFECTS)


def test_every_defect_names_catalogue_requirements_and_one_sentence():
    from conformance.catalogue import load_catalogue

    catalogue = load_catalogue()
    for defect in DEFECTS.values():
        assert defect.requirements, defect.name
        for requirement in defect.requirements:
            catalogue.get(requirement)  # raises for an unknown id
        assert defect.summary.endswith("."), defect.name
        assert defect.summary.count(". ") == 0, defect.name


def test_unknown_defect_is_refused_by_the_command(network: Network):
    result = subprocess.run([str(BIN), "cms", "--state", "AT", "--credentials", str(network.credentials_path),
                             "--defect", "no-such-defect"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "no-such-defect" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("token", [None, "schemathesis-sut-token"], ids=["open", "with-token"])
def test_schemathesis_finds_no_server_error_or_mismatch(network: Network, workdir: Path, token: str | None):
    """Generated requests against every operation: never a 5xx, always the documented status, type and schema;
    also with the optional bearer token required (and sent)."""
    extra = ("--sut-token", token) if token else ()
    cms = launch_cms(network, workdir, "NL", extra_args=extra)
    auth = ["--header", f"Authorization: Bearer {token}"] if token else []
    try:
        schemathesis = Path(sys.executable).with_name("schemathesis")
        run = subprocess.run(
            [str(schemathesis), "run", str(DOC), "--url", cms.url, *auth,
             "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
             "response_schema_conformance",
             "--phases", "coverage,fuzzing", "--max-examples", "5", "--max-time", "20", "--seed", "20260302",
             "--generation-database", "none", "--no-color"],
            capture_output=True, text=True, timeout=150, cwd=workdir)
    finally:
        cms.process.stop()
    summary = run.stdout[-3000:]
    assert run.returncode == 0, summary
    assert " passed" in summary
    assert not [line for line in cms.process.lines if "incident" in line], cms.process.lines[-40:]
