"""The OpenAPI 3.1 document: complete, well-formed, true to the answers; then a bounded schemathesis run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from simulators.runtime.openapi import OPENAPI


def resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def refs_in(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in refs_in(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs_in(v)]
    return []


async def test_document_covers_every_route_and_resolves(net: Any) -> None:
    document = (await net.call("GET", "/openapi.json")).body
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    app = net.server.app
    routes = {(r.method, re.sub(r"\{(\w+)(:[^}]*)?\}", r"{\1}", r.resource.canonical))
              for r in app.router.routes() if r.method not in ("HEAD", "*") and r.resource is not None}
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert routes == documented
    assert {op.operation_id for op in app[OPENAPI].operations} == {
        op["operationId"] for item in document["paths"].values() for op in item.values()}
    for ref in refs_in(document):
        assert ref.startswith("#/components/schemas/"), ref
        resolve(document, ref)
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert "4XX" in operation["responses"], (method, path)
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            assert names == re.findall(r"\{(\w+)\}", path)


async def test_answers_match_their_documented_schemas(net: Any) -> None:
    document = (await net.call("GET", "/openapi.json")).body
    sent = await net.send("SPOC-DE")
    delivery = (await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"][0]
    answers = {
        ("/siena/messages", "post", "201"): sent,
        ("/siena/messages/{message_id}", "get", "200"):
            await net.call("GET", f"/siena/messages/{sent.body['message_id']}", party="SPOC-DE"),
        ("/siena/cases/{case_id}", "get", "200"): await net.call("GET", f"/siena/cases/{sent.body['case_id']}",
                                                                   party="SPOC-AT"),
        ("/siena/mailbox", "get", "200"): await net.call("GET", "/siena/mailbox", party="SPOC-AT"),
        ("/siena/mailbox/{delivery_id}/ack", "post", "200"): await net.call(
            "POST", f"/siena/mailbox/{delivery['delivery_id']}/ack", party="SPOC-AT", json_body={"status": "READ"}),
        ("/control/traffic", "get", "200"): await net.call("GET", "/control/traffic", control=True),
        ("/control/journal/verify", "get", "200"): await net.call("GET", "/control/journal/verify", control=True),
        ("/clock", "get", "200"): await net.call("GET", "/clock"),
    }
    bad = await net.send("SPOC-DE", urgency="URGENT")
    answers[("/siena/messages", "post", "4XX")] = bad
    for (path, method, status), answer in answers.items():
        content = document["paths"][path][method]["responses"][status]["content"]
        schema = next(iter(content.values()))["schema"]
        validator = jsonschema_rs.validator_for({**schema, "components": document["components"]})
        errors = [str(e) for e in validator.iter_errors(answer.body)]
        assert not errors, (path, method, status, errors[:3])


@pytest.mark.slow
@pytest.mark.parametrize("token", ["control", "party"])
def test_schemathesis_finds_no_server_error_or_mismatch(tmp_path: Path, token: str) -> None:
    """With the control token (acting as a party on channel routes) and with a party's own token, whose
    requests on control routes and on other parties' ids are refused (and, in bursts, answered 429)."""
    serve = subprocess.Popen(
        [sys.executable, "-c", "from conformance.cli import main; main()", "serve", "--port", "0", "--data",
         str(tmp_path / "net"), "--clock", "virtual", "--start", "2026-03-02T10:00:00Z"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert serve.stdout is not None
        line = serve.stdout.readline()
        url = line.split()[2]
        credentials = json.loads((tmp_path / "net" / "credentials.json").read_text())
        headers = (["-H", f"Authorization: Bearer {credentials['control']}", "-H", "X-Act-As: SPOC-AT"]
                   if token == "control" else ["-H", f"Authorization: Bearer {credentials['parties']['SPOC-AT']}"])
        schemathesis = Path(sys.executable).with_name("schemathesis")
        run = subprocess.run(
            [str(schemathesis), "run", f"{url}/openapi.json", *headers,
             "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
             "response_schema_conformance,response_headers_conformance",
             # Injected faults answer 503 by design; they have their own tests.
             "--exclude-operation-id", "control_faults_put",
             "--max-examples", "5", "--max-time", "20", "--seed", "20260302", "--generation-database", "none",
             "--no-color", "--report", "junit", "--report-junit-path", str(tmp_path / "schemathesis.xml")],
            capture_output=True, text=True, timeout=150, cwd=tmp_path)
        summary = run.stdout[-3000:]
        assert run.returncode == 0, summary
        assert " passed" in summary
    finally:
        serve.terminate()
        _, errors = serve.communicate(timeout=20)
    assert "incident" not in errors, errors[-3000:]
