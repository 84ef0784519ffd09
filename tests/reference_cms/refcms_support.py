"""Test support for the reference CMS: `spoc-harness serve --clock virtual` and `spoc-harness cms` as real
processes on loopback, driven over HTTP.

The tests play the foreign parties (a foreign SPOC, designated or competent authority) with their
own tokens from credentials.json, move the virtual network clock along the CMS's agenda, and read
what the channels carried (control API) and what the CMS exports (SUT interface).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

START = "2026-03-02T08:00:00Z"
BIN = Path(sys.executable).with_name("spoc-harness")
Json = dict[str, Any]


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class HttpError(AssertionError):
    def __init__(self, status: int, body: Any, what: str) -> None:
        super().__init__(f"{what} -> {status}: {body}")
        self.status = status
        self.body = body


def call(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
         expect: tuple[int, ...] = (200, 201)) -> tuple[int, Any, dict[str, str]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", "Accept": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            text = response.read().decode()
            status, response_headers = response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        text = exc.read().decode()
        status, response_headers = exc.code, dict(exc.headers)
    parsed = json.loads(text) if text else None
    if expect and status not in expect:
        raise HttpError(status, parsed, f"{method} {url}")
    return status, parsed, response_headers


@dataclass
class Process:
    proc: subprocess.Popen[str]
    url: str
    first_line: str
    lines: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start_process(args: list[str], timeout: float = 30.0) -> Process:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([str(BIN), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert proc.stdout is not None
    lines: list[str] = []
    found: list[str] = []
    ready = threading.Event()

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip())
            if line.startswith("serving on ") and not found:
                found.append(line.strip())
                ready.set()
        ready.set()

    threading.Thread(target=reader, daemon=True).start()
    if not ready.wait(timeout) or not found:
        proc.kill()
        raise AssertionError(f"{' '.join(args)} did not start:\n" + "\n".join(lines[-40:]))
    url = found[0].split()[2]
    return Process(proc, url, found[0], lines)


class Network:
    """The channel simulators, with the test playing foreign parties and the control role.

    `horizon`, when set, is the latest network time the tests may move this network to (see conftest).
    """

    def __init__(self, process: Process, credentials: Path, horizon: datetime | None = None) -> None:
        self.process = process
        self.horizon = horizon
        self.url = process.url
        self.credentials_path = credentials
        data = json.loads(credentials.read_text())
        self.control = data["control"]
        self.tokens: dict[str, str] = data["parties"]
        self._sequence = 0

    def _control(self, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200, 201)) -> Any:
        return call(method, self.url + path, body, {"Authorization": f"Bearer {self.control}"}, expect)[1]

    def now(self) -> datetime:
        return parse_time(call("GET", self.url + "/clock")[1]["now"])

    def set_clock(self, moment: datetime) -> None:
        if moment > self.now():
            self._control("POST", "/control/clock", {"set": iso(moment)})

    def advance(self, delta: timedelta) -> None:
        self._control("POST", "/control/clock", {"advance_seconds": delta.total_seconds()})

    def faults(self, faults: list[Json]) -> None:
        self._control("PUT", "/control/faults", {"faults": faults})

    def clear_faults(self) -> None:
        self._control("DELETE", "/control/faults")

    def traffic(self, **query: str) -> list[Json]:
        text = urllib.parse.urlencode(query)
        return list(self._control("GET", "/control/traffic" + (f"?{text}" if text else ""))["messages"])

    def exchange(self, reference: str) -> list[Json]:
        """Every message of one exchange (by the requester's reference), in journal order."""
        return [m for m in self.traffic() if (m.get("directive") or {}).get("case_reference") == reference]

    def send(self, party: str, body: Json, channel: str = "siena", expect: tuple[int, ...] = (200, 201)) -> Json:
        path = {"siena": "/siena/messages", "interpol": "/interpol/messages", "sirene": "/sirene/forms"}[channel]
        return dict(call("POST", self.url + path, body, {"Authorization": f"Bearer {self.tokens[party]}"}, expect)[1])

    def reference(self, prefix: str = "DE") -> str:
        self._sequence += 1
        return f"{prefix}-T-{self._sequence:05d}-{time.monotonic_ns() % 100000}"


def request_body(
    reference: str, *, sender: str = "SPOC-DE", to: str = "SPOC-AT", cc: list[str] | None = None,
    language: str = "en", urgent: bool = False, subject: str = "Anna Berger",
    items: tuple[str, ...] = ("criminal record",),
    complete: bool = True, requester_type: str = "SPOC", copy_exception: str | None = None,
    crime_areas: tuple[str, ...] = ("DRUG_TRAFFICKING",), europol: bool = False, entity_type: str = "PERSON",
    message_language: str | None = None,
) -> Json:
    """A SIENA request as a foreign requester sends it (Art 4(5) content complete unless told otherwise);
    its covering message is in `message_language`, the request's language by default."""
    requesting = sender.split("-")[1]
    requested = to.split("-")[1]
    key = {"PERSON": "name", "ORGANISATION": "name", "VEHICLE": "registration", "DOCUMENT": "number"}[entity_type]
    request: Json = {
        "reference": reference, "requesting_state": requesting, "requested_state": requested,
        "requester_type": requester_type, "requester": sender, "language": language, "urgent": urgent,
        "items": [{"item_id": f"I{n}", "description": d, "entity_id": "E1"} for n, d in enumerate(items, 1)],
        "entities": [{"entity_id": "E1", "type": entity_type, "attributes": {key: subject},
                      "subject_category": "SUSPECT" if entity_type == "PERSON" else None}],
    }
    if complete:
        request.update({
            "info_requested": "; ".join(items), "purpose": "Investigation of drug trafficking; facts described",
            "offence": "drug trafficking", "availability_reasons": "the person lives in the requested state",
            "subject_link": "the person is the main suspect", "use_restrictions": "none",
            "necessity_proportionality": "needed to identify the suspect",
        })
        if urgent:
            request.update({"urgency_criteria": ["U-LIFE"], "urgency_reasons": "imminent threat to life"})
    if copy_exception:
        request["copy_exception"] = copy_exception
    directive = {"kind": "REQUEST", "case_reference": reference, "language": message_language or language,
                 "request": request}
    body: Json = {
        "sender": sender, "to": [to], "cc": (cc or []) + (["EUROPOL"] if europol else []),
        "subject": f"Request {reference}", "body": "Request for information", "language": language,
        "urgency": "URGENT" if urgent else "NON_URGENT", "crime_areas": list(crime_areas), "handling_codes": ["H0"],
        "security_level": "BPL", "europol_involved": europol, "directive": directive,
    }
    if urgent:
        body["urgency_reason"] = "imminent threat to life"
    return body


class Cms:
    """A reference CMS process, driven over the SUT interface."""

    def __init__(self, process: Process, network: Network, state: str) -> None:
        self.process = process
        self.url = process.url
        self.network = network
        self.state = state

    def get(self, path: str, expect: tuple[int, ...] = (200,), **query: Any) -> Any:
        text = urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        return call("GET", f"{self.url}/sut/v1{path}" + (f"?{text}" if text else ""), expect=expect)[1]

    def post(self, path: str, body: Any, expect: tuple[int, ...] = (200, 201)) -> Any:
        return call("POST", f"{self.url}/sut/v1{path}", body, expect=expect)[1]

    def put(self, path: str, body: Any, expect: tuple[int, ...] = (200,)) -> Any:
        return call("PUT", f"{self.url}/sut/v1{path}", body, expect=expect)[1]

    def fixtures(self, *records: Json) -> None:
        self.put("/fixtures", {"records": list(records)})

    def case_of(self, message_id: str, timeout: float = 10.0, *, settle: bool = True) -> Json:
        """The case that recorded a channel message (waits for the CMS to record it, and to settle)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            cases = self.get("/cases", message_id=message_id)["cases"]
            if cases:
                if settle:
                    self.settle()
                return dict(self.get(f"/cases/{cases[0]['case_id']}"))
            time.sleep(0.02)
        raise AssertionError(f"the CMS never recorded message {message_id}")

    def case(self, case_id: str) -> Json:
        return dict(self.get(f"/cases/{case_id}"))

    def settle(self, timeout: float = 15.0) -> None:
        """Wait until nothing is due now: every received message processed, every due action done."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            agenda = self.get("/agenda")
            now = self.network.now()
            nxt = agenda["next_action_at"]
            if nxt is None or parse_time(nxt) > now:
                quiet += 1
                if quiet >= 2:
                    return
            else:
                quiet = 0
            time.sleep(0.03)
        raise AssertionError(f"the CMS did not settle: {self.get('/agenda')}")

    def run_until(self, done: Callable[[], bool], horizon: timedelta, what: str = "condition") -> datetime:
        """Step network time along the CMS's agenda until `done()` (or fail at now + horizon)."""
        limit = self.network.now() + horizon
        while True:
            self.settle()
            if done():
                return self.network.now()
            now = self.network.now()
            if now >= limit:
                raise AssertionError(f"{what} not reached by {iso(limit)}")
            nxt = self.get("/agenda")["next_action_at"]
            target = limit if nxt is None else min(max(parse_time(nxt), now), limit)
            self.network.set_clock(target)


@contextmanager
def running_network(workdir: Path, name: str, horizon: datetime | None = None) -> Iterator[Network]:
    """`spoc-harness serve --clock virtual` from START, stopped on exit (about 0.3 s to start).

    Each start gets a data directory of its own: a server started on an earlier one's journal would
    resume its traffic and its clock (a module-scoped network is started again whenever pytest comes
    back to the module after another one).
    """
    data = workdir / f"network-{name}-{time.monotonic_ns()}"
    process = start_process(["serve", "--port", "0", "--data", str(data), "--clock", "virtual", "--start", START])
    try:
        yield Network(process, data / "credentials.json", horizon)
    finally:
        process.stop()


@contextmanager
def running_cms(network: Network, workdir: Path, state: str, *defects: str) -> Iterator[Cms]:
    cms = launch_cms(network, workdir, state, *defects)
    try:
        yield cms
    finally:
        cms.process.stop()


def launch_cms(network: Network, workdir: Path, state: str, *defects: str, follow: bool = True,
               extra_args: tuple[str, ...] = ()) -> Cms:
    data = workdir / f"cms-{state}-{'-'.join(defects) or 'plain'}-{time.monotonic_ns()}"
    args = ["cms", "--state", state, "--channels", network.url, "--credentials", str(network.credentials_path),
            "--port", "0", "--data", str(data), *extra_args]
    for defect in defects:
        args += ["--defect", defect]
    if follow:
        args.append("--follow-network-clock")
    return Cms(start_process(args), network, state)
