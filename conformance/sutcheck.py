"""`spoc-harness sut-check`: a preflight of a vendor's SUT test interface, in well under a minute.

Before a campaign spends an hour on a CMS, this checks the interface it will use (docs/sut-interface.md):
the operations against the published OpenAPI document (a bounded schemathesis run), `info` and its
declared capabilities against the published parties data, that the CMS follows a moved network clock
(with the channels' URL and credentials), that fixtures make the round trip, and that every export
parses as the campaign will read it. Every finding names the contract section to read.

The checks change the test deployment as a campaign would: generated requests reach every operation
(stimuli send real messages on the channels), the fixtures are replaced (and put back afterwards), and
the network clock is moved forward by an hour, which cannot be undone: a campaign afterwards needs a
fresh channel server (`spoc-harness serve --clock virtual --start ...`), as every campaign does.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import aiohttp
import jsonschema_rs
from pydantic import ValidationError

from conformance.sut import ExportedAuditEntry, ExportedCaseRecord, SutInfo
from simulators.model.parties import party_directory
from simulators.reference_cms.openapi import build_openapi

__all__ = ["CheckOptions", "PreflightFinding", "published_sut_openapi", "run_sut_check"]

Status = Literal["pass", "fail", "warn", "skip"]
_SECTIONS = {
    "openapi": "docs/sut-interface.md (whole contract) and docs/sut-interface.openapi.json",
    "info": "docs/sut-interface.md, \"Info\"; the state's languages and time zone: docs/channels-api.md, \"Parties\"",
    "capabilities": "docs/sut-interface.md, \"Manual equivalents\" (capability names)",
    "clock": "docs/sut-interface.md, \"Clock\"",
    "fixtures": "docs/sut-interface.md, \"Fixtures\"",
    "exports": "docs/sut-interface.md, \"Exports\"",
}


@dataclass(frozen=True)
class PreflightFinding:
    check: str
    status: Status
    detail: str

    @property
    def section(self) -> str:
        return _SECTIONS[self.check.split(".")[0]]

    def line(self) -> str:
        text = f"{self.status.upper():4} {self.check}: {self.detail}"
        return text if self.status in ("pass", "skip") else f"{text}\n     read: {self.section}"

    def to_json(self) -> dict[str, str]:
        return {"check": self.check, "status": self.status, "detail": self.detail, "section": self.section}


@dataclass(frozen=True)
class CheckOptions:
    sut_url: str
    channels_url: str | None = None
    control_token: str | None = None
    sut_token: str | None = None
    schemathesis_seconds: float = 12.0
    openapi: dict[str, Any] | None = None  # None: the published document


def published_sut_openapi() -> dict[str, Any]:
    """The published SUT interface document (docs/sut-interface.openapi.json is the same, tested so)."""
    return build_openapi()


class _Http:
    def __init__(self, session: aiohttp.ClientSession, base: str, token: str | None) -> None:
        self.session, self.base = session, base.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def call(self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None,
                   ) -> tuple[int, Any]:
        async with self.session.request(method, self.base + path, json=body, params=params,
                                        headers=self.headers) as reply:
            text = await reply.text()
            try:
                return reply.status, json.loads(text) if text else None
            except ValueError:
                return reply.status, text


async def run_sut_check(options: CheckOptions, *,
                        say: Callable[[str], None] = lambda _: None) -> list[PreflightFinding]:
    """Every check, in the order a vendor fixes them; `say` gets a progress line before each."""
    document = options.openapi or published_sut_openapi()
    findings: list[PreflightFinding] = []
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        sut = _Http(session, options.sut_url, options.sut_token)
        channels = _Http(session, options.channels_url, options.control_token) if options.channels_url else None
        # (check, what the progress line says, the step), in the order a vendor fixes them.
        steps: list[tuple[str, str, Callable[[], Awaitable[list[PreflightFinding]]]]] = [
            ("info", "info and capabilities", lambda: _info(sut, document)),
            ("openapi", "the operations against the published OpenAPI document (schemathesis)",
             lambda: _schemathesis(options, document)),
            ("clock", "the network clock", lambda: _clock(sut, channels)),
            ("fixtures", "a fixtures round trip", lambda: _fixtures(sut)),
            ("exports", "the exports", lambda: _exports(sut, document)),
        ]
        for check, label, step in steps:
            say(f"checking {label} ...")
            try:
                findings += await step()
            except (aiohttp.ClientError, TimeoutError) as exc:
                findings.append(PreflightFinding(check, "fail", f"no answer: {exc!r}"))
                if check == "info":
                    break  # nothing answers at that URL: the other checks would only repeat it
    return findings


# -- info ------------------------------------------------------------------------------------------


async def _info(sut: _Http, document: dict[str, Any]) -> list[PreflightFinding]:
    status, body = await sut.call("GET", "/sut/v1/info")
    if status != 200 or not isinstance(body, dict):
        return [PreflightFinding("info", "fail", f"GET /sut/v1/info answered {status}: {str(body)[:200]}")]
    try:
        info = SutInfo.model_validate(body)
    except ValidationError as exc:
        return [PreflightFinding("info", "fail", f"GET /sut/v1/info does not parse: {_first_error(exc)}")]
    found: list[PreflightFinding] = []
    states = {s.code: s for s in party_directory().states if not s.third_country}
    state = states.get(info.state)
    if state is None:
        return [PreflightFinding(
            "info.state", "fail", f"state {info.state!r} is not a directive state of GET /parties")]
    problems = []
    if info.interface_version != "1":
        problems.append(f"interface_version {info.interface_version!r}, expected '1'")
    if f"SPOC-{state.code}" not in info.parties:
        problems.append(f"parties {info.parties} lack the SPOC party SPOC-{state.code}")
    known = {p.id for p in party_directory().parties if p.state == state.code}
    if unknown := sorted(set(info.parties) - known):
        problems.append(f"parties {unknown} are not {state.code}'s parties of the network")
    if sorted(info.languages) != sorted(state.languages):
        problems.append(f"languages {info.languages} differ from {state.code}'s published Art 11 list "
                        f"{list(state.languages)}")
    zone = body.get("timezone")
    if zone is not None and zone != state.timezone:
        problems.append(f"timezone {zone!r}, but {state.code}'s SPOC is in {state.timezone}")
    found.append(PreflightFinding(
        "info", "fail" if problems else "pass", "; ".join(problems) or
        f"{state.code}, parties {', '.join(info.parties)}, languages {', '.join(info.languages)}"))
    declared = {c for item in document["paths"].values() for op in item.values() for c in op.get("x-capabilities", [])}
    unknown_caps = sorted(set(info.automated) - declared)
    missing = sorted(declared - set(info.automated) - {"agenda"})
    if unknown_caps:
        found.append(PreflightFinding("capabilities", "warn", f"unknown capability names {unknown_caps} are ignored"))
    detail = f"{len(info.automated)} automated" + (
        f"; a person will be asked for {', '.join(missing)} (--manual-timeout)" if missing else ": every operation")
    found.append(PreflightFinding("capabilities", "warn" if missing else "pass", detail))
    return found


# -- the OpenAPI document ---------------------------------------------------------------------------


def _schemathesis_binary() -> str | None:
    return shutil.which("schemathesis") or next(
        (str(p) for p in [Path(sys.executable).with_name("schemathesis")] if p.exists()), None)


async def _schemathesis(options: CheckOptions, document: dict[str, Any]) -> list[PreflightFinding]:
    binary = _schemathesis_binary()
    if binary is None:
        return [PreflightFinding("openapi", "skip", "schemathesis is not installed (pip install schemathesis)")]
    with tempfile.TemporaryDirectory(prefix="spoc-sut-check-") as work:
        schema = Path(work) / "sut-interface.openapi.json"
        schema.write_text(json.dumps(document), encoding="utf-8")
        command = [binary, "run", str(schema), "--url", options.sut_url.rstrip("/"),
                   "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                   "response_schema_conformance",
                   # Fuzzing only: the coverage phase alone can spend a short budget before testing anything.
                   "--phases", "examples,fuzzing", "--max-examples", "3",
                   "--max-time", f"{options.schemathesis_seconds:g}", "--seed", "20260327",
                   "--generation-database", "none", "--no-color"]
        if options.sut_token:
            command += ["-H", f"Authorization: Bearer {options.sut_token}"]
        process = await asyncio.create_subprocess_exec(*command, cwd=work, stdout=asyncio.subprocess.PIPE,
                                                       stderr=asyncio.subprocess.STDOUT)
        try:
            output, _ = await asyncio.wait_for(process.communicate(), options.schemathesis_seconds + 20)
        except TimeoutError:
            process.kill()
            await process.wait()
            return [PreflightFinding(
                "openapi", "fail", "schemathesis did not finish in time: does the SUT answer slowly?")]
    text = output.decode(errors="replace")
    if "No test cases were generated" in text or "Empty test suite" in text:
        return [PreflightFinding("openapi", "warn", "schemathesis generated no request in the time given "
                                 "(raise --schemathesis-seconds)")]
    if process.returncode == 0:
        return [PreflightFinding(
            "openapi", "pass", "generated requests to every operation: no server error, every status, "
            "content type and body as documented")]
    return [PreflightFinding("openapi", "fail", "schemathesis found answers that break the published document:\n       "
                             + "\n       ".join(_schemathesis_failures(text)))]


def _schemathesis_failures(text: str) -> list[str]:
    """'GET /sut/v1/cases: Response violates schema ("case_id" is a required property)', one per failure."""
    found: list[str] = []
    operation = ""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        heading = re.fullmatch(r"_+ (.+?) _+", line.strip())
        if heading:
            operation = heading.group(1)
        elif operation and re.match(r"- [A-Z]+\d+ ", line):
            why = line.split(" ", 2)[2]
            detail = lines[index + 1].strip() if index + 1 < len(lines) else ""
            found.append(f"{operation}: {why}" + (f" ({detail})" if detail else ""))
    return found[:15] or text.strip().splitlines()[-12:]


# -- the clock -------------------------------------------------------------------------------------


def _time(value: object) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


async def _clock(sut: _Http, channels: _Http | None) -> list[PreflightFinding]:
    if channels is None:
        return [PreflightFinding(
            "clock", "skip", "give --channels URL --credentials FILE to check that the CMS follows "
            "the network clock")]
    status, _ = await sut.call("PUT", "/sut/v1/clock", {"follow_network_clock": True})
    if status >= 400:
        return [PreflightFinding(
            "clock", "warn", f"PUT /sut/v1/clock answered {status}: the campaign will run only with "
            "--time-mode real or declared")]
    _, network = await channels.call("GET", "/clock")
    if not isinstance(network, dict) or _time(network.get("now")) is None:
        return [PreflightFinding(
            "clock", "fail", f"the channels' GET /clock did not answer a time: {str(network)[:200]}")]
    if network.get("mode") != "virtual":
        moved = _time(network["now"])
        note = "the channels run on the system clock: nothing moved"
    else:
        status, answer = await channels.call("POST", "/control/clock", {"advance_seconds": 3600})
        if status != 200 or not isinstance(answer, dict):
            return [PreflightFinding(
                "clock", "fail", f"the channels refused to move their clock ({status}): is --credentials "
                "the channel server's credentials.json?")]
        moved = _time(answer.get("now"))
        note = f"the network clock moved an hour, to {answer.get('now')}"
    assert moved is not None
    deadline = time.monotonic() + 5.0
    seen: object = None
    while time.monotonic() < deadline:
        _, state = await sut.call("GET", "/sut/v1/clock")
        seen = state.get("now") if isinstance(state, dict) else state
        stamp = _time(seen)
        if stamp is not None and abs(stamp - moved) <= timedelta(seconds=5) and stamp >= moved - timedelta(seconds=1):
            return [PreflightFinding("clock", "pass", f"{note}; the CMS's clock reads {seen} within 5 s")]
        await asyncio.sleep(0.1)
    return [PreflightFinding(
        "clock", "fail", f"{note}, but after 5 s the CMS's GET /sut/v1/clock still reads {seen}: it "
        "does not follow the network clock (the campaign would judge its times against the network's)")]


# -- fixtures --------------------------------------------------------------------------------------

_PROBE_RECORDS: list[dict[str, Any]] = [
    {"subject": "SUT-CHECK Probe Person", "item": "sut-check probe: convicted 2024 of fraud", "availability": "DIRECT",
     "judicial_authorisation": "NOT_NEEDED", "data_categories": ["PERSONAL_DETAILS", "CRIMINAL_CONDUCT"],
     "subject_category": "SUSPECT", "source_reliability": "A", "information_accuracy": "1"},
    {"subject": "W-SUTCHECK1", "item": "sut-check probe: registered keeper", "availability": "INDIRECT",
     "judicial_authorisation": "PENDING", "judicial_decision_after_hours": 12, "originator_state": "DE",
     "originator_consent": True, "refusal_ground": "JI", "data_categories": [], "subject_category": None,
     "last_updated": "2026-01-15T08:00:00Z"},
]


def _same(sent: dict[str, Any], got: dict[str, Any]) -> list[str]:
    differ = []
    for key, value in sent.items():
        back = got.get(key)
        if key == "last_updated":
            equal = _time(back) == _time(value)
        elif isinstance(value, list):
            equal = isinstance(back, list) and sorted(map(str, back)) == sorted(map(str, value))
        else:
            equal = back == value or (isinstance(value, int | float) and back == float(value))
        if not equal:
            differ.append(f"{key}: sent {value!r}, read back {back!r}")
    return differ


async def _fixtures(sut: _Http) -> list[PreflightFinding]:
    status, before = await sut.call("GET", "/sut/v1/fixtures")
    kept = before.get("records") if status == 200 and isinstance(before, dict) else None
    status, body = await sut.call("PUT", "/sut/v1/fixtures", {"records": _PROBE_RECORDS})
    if status >= 400:
        return [PreflightFinding("fixtures", "fail", f"PUT /sut/v1/fixtures with two valid records answered {status}: "
                                 f"{str(body)[:300]}")]
    try:
        status, back = await sut.call("GET", "/sut/v1/fixtures")
        records = back.get("records") if isinstance(back, dict) else None
        if status != 200 or not isinstance(records, list):
            return [PreflightFinding("fixtures", "fail", f"GET /sut/v1/fixtures answered {status}: {str(back)[:200]}")]
        problems = []
        if len(records) != len(_PROBE_RECORDS):
            problems.append(f"{len(records)} records read back, {len(_PROBE_RECORDS)} put")
        for sent in _PROBE_RECORDS:
            match = next((r for r in records if isinstance(r, dict) and r.get("subject") == sent["subject"]), None)
            problems += [f"{sent['subject']}: not read back"] if match is None else [
                f"{sent['subject']}: {d}" for d in _same(sent, match)]
        return [PreflightFinding("fixtures", "fail" if problems else "pass",
                                 "; ".join(problems) or "two records put and read back with every field")]
    finally:
        if kept is not None:
            await sut.call("PUT", "/sut/v1/fixtures", {"records": kept})


# -- exports ---------------------------------------------------------------------------------------


async def _exports(sut: _Http, document: dict[str, Any]) -> list[PreflightFinding]:
    year = str(datetime.now().year)
    exports: list[tuple[str, str, dict[str, str] | None, Callable[[Any], object]]] = [
        ("exports.cases", "/sut/v1/cases", None, lambda b: [ExportedCaseRecord.model_validate(c) for c in b["cases"]]),
        ("exports.messages", "/sut/v1/messages", None, lambda b: list(b["messages"])),
        ("exports.audit_log", "/sut/v1/audit-log", None,
         lambda b: [ExportedAuditEntry.model_validate(e) for e in b["entries"]]),
        ("exports.statistics", "/sut/v1/statistics", {"year": year}, lambda b: dict(b)),
    ]
    found = []
    for name, path, params, parse in exports:
        status, body = await sut.call("GET", path, params=params)
        if status != 200:
            found.append(PreflightFinding(name, "fail", f"GET {path} answered {status}: {str(body)[:200]}"))
            continue
        schema = document["paths"][path]["get"]["responses"]["200"]
        validator = jsonschema_rs.validator_for({**next(iter(schema["content"].values()))["schema"],
                                                 "components": document.get("components", {})})
        errors = [f"{'/'.join(map(str, e.instance_path)) or 'body'}: {e.message}"
                  for e in validator.iter_errors(body)][:3]
        try:
            parse(body)
        except (ValidationError, KeyError, TypeError) as exc:
            reason = _first_error(exc) if isinstance(exc, ValidationError) else repr(exc)
            errors.append(f"the campaign cannot read it: {reason}")
        found.append(PreflightFinding(name, "fail" if errors else "pass", "; ".join(errors) or f"GET {path} parses"))
    return found


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    return f"{'.'.join(map(str, error['loc'])) or 'body'}: {error['msg']}"

