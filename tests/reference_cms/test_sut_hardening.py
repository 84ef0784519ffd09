"""The reference CMS's SUT interface against hostile callers: deep JSON, huge numbers, cross-site posts,
DNS rebinding, and callers without the token."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from refcms_support import BIN, Cms, Network, start_process

TOKEN = "sut-token-for-the-tests"
BODY_OPERATIONS = [
    ("PUT", "/sut/v1/clock"),
    ("PUT", "/sut/v1/fixtures"),
    ("POST", "/sut/v1/stimuli/outgoing-request"),
    ("POST", "/sut/v1/stimuli/own-initiative"),
    ("POST", "/sut/v1/cases/AT-2026-000001/decision"),
]


def _send(url: str, method: str, path: str, body: bytes | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], dict[str, object]]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=20)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        text = response.read().decode()
        return response.status, dict(response.headers), json.loads(text) if text else {}
    finally:
        connection.close()


def _deep(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS)
def test_json_nested_1000_deep_is_a_problem_not_a_crash(cms_at: Cms, method: str, path: str) -> None:
    for body in (_deep(1000), b'{"records": ' + _deep(1000) + b"}", b'{"a":' * 1000 + b"1" + b"}" * 1000):
        status, headers, problem = _send(cms_at.url, method, path, body, {"Content-Type": "application/json"})
        assert status in (400, 422), problem
        assert headers["Content-Type"].startswith("application/problem+json")
        assert problem["errors"], problem


@pytest.mark.parametrize("year", ["9" * 5000, "1" * 4301, "²⁰²⁶", "٢٠٢٦"])
def test_a_statistics_year_that_is_no_year_is_a_problem(cms_at: Cms, year: str) -> None:
    from urllib.parse import quote

    status, _, problem = _send(cms_at.url, "GET", f"/sut/v1/statistics?year={quote(year)}")
    assert status == 422, problem
    assert problem["errors"] == [{"field": "query.year", "rule": "must be a year between 2000 and 2200"}]


@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          None])
def test_json_is_accepted_only_as_application_json(cms_at: Cms, method: str, path: str,
                                                   content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    status, _, problem = _send(cms_at.url, method, path, b'{"follow_network_clock": true}', headers)
    assert status == 415, problem
    assert problem["errors"] == [{"field": "header.Content-Type", "rule": "must be application/json"}]


def test_a_foreign_host_header_is_refused(cms_at: Cms) -> None:
    for host in ("attacker.example", "attacker.example:80", "127.0.0.1.attacker.example"):
        status, _, problem = _send(cms_at.url, "GET", "/sut/v1/cases", headers={"Host": host})
        assert status == 421, problem
        assert problem["errors"][0]["field"] == "header.Host"
    port = urlsplit(cms_at.url).port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "127.0.0.1"):
        assert _send(cms_at.url, "GET", "/sut/v1/info", headers={"Host": host})[0] == 200


@pytest.fixture(scope="module")
def cms_with_token(network: Network, workdir: Path) -> Iterator[str]:
    data = workdir / f"cms-token-{time.monotonic_ns()}"
    process = start_process(["cms", "--state", "FR", "--channels", network.url, "--credentials",
                             str(network.credentials_path), "--port", "0", "--data", str(data),
                             "--sut-token", TOKEN, "--allowed-host", "cms.test.internal"])
    try:
        yield process.url
    finally:
        process.stop()


def test_with_a_token_every_operation_needs_it(cms_with_token: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": "Bearer tök"}):
        status, response_headers, problem = _send(cms_with_token, "GET", "/sut/v1/cases", headers=headers)
        assert status == 401, problem
        assert response_headers["WWW-Authenticate"].startswith("Bearer")
        assert problem["errors"] == [{"field": "header.Authorization", "rule": "must be 'Bearer' and the SUT token"}]
    status, _, cases = _send(cms_with_token, "GET", "/sut/v1/cases", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, cases
    allowed = _send(cms_with_token, "GET", "/sut/v1/info",
                    headers={"Authorization": f"Bearer {TOKEN}", "Host": "cms.test.internal:443"})
    assert allowed[0] == 200


def test_the_token_is_documented_in_the_contract() -> None:
    root = Path(__file__).resolve().parents[2]
    document = json.loads((root / "docs" / "sut-interface.openapi.json").read_text(encoding="utf-8"))
    assert document["components"]["securitySchemes"]["sutToken"] == {
        "type": "http", "scheme": "bearer", "description": document["components"]["securitySchemes"]["sutToken"]
        ["description"]}
    assert "--sut-token" in (root / "docs" / "sut-interface.md").read_text(encoding="utf-8")


def test_a_non_loopback_address_needs_a_token(network: Network) -> None:
    result = subprocess.run([str(BIN), "cms", "--state", "AT", "--credentials", str(network.credentials_path),
                             "--host", "0.0.0.0", "--port", "0"], capture_output=True, text=True, timeout=30,
                            env={k: v for k, v in os.environ.items() if k != "SPOC_SUT_TOKEN"})
    assert result.returncode == 2
    assert "is not a loopback address: give --sut-token" in result.stderr
