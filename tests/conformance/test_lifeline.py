"""The lifeline: the simulators and the reference CMS end, cleanly, when the process that started them is killed."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import pytest

from conformance.lifeline import LIFELINE_ENV, watch_lifeline
from simulators.runtime.store import Journal

LOST = "parent process went away: shutting down"

# A harness in miniature: starts the network as `spoc-harness run` does, then waits to be killed.
PARENT = """
import sys, time
from datetime import datetime, timezone
from pathlib import Path
from conformance.campaign.processes import ManagedReferenceCms, Simulators

work = Path(sys.argv[1])
simulators = Simulators(work / "network", start=datetime(2026, 3, 27, 9, tzinfo=timezone.utc))
simulators.start()
cms = ManagedReferenceCms(work / "cms", state="AT", channels_url=simulators.url, credentials=simulators.credentials)
cms.start()
print("ready", simulators.url, simulators.credentials, flush=True)
time.sleep(300)
"""


def _gone(process: psutil.Process) -> bool:
    # Orphans are reaped by whatever adopts them; a zombie has ended all the same.
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _role(process: psutil.Process) -> str:
    command = process.cmdline()
    if "simulators.runtime.journal_writer" in command:
        return "journal writer"
    for role in ("serve", "cms"):
        if role in command:
            return role
    return " ".join(command)


def _start_parent(tmp_path: Path) -> tuple[subprocess.Popen[str], str, dict[str, Any], dict[str, psutil.Process]]:
    """The parent, once its network is up; its URL and credentials; its children and grandchildren by role."""
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(PARENT), encoding="utf-8")
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path / "work")], stdout=subprocess.PIPE,
                              text=True)
    assert parent.stdout is not None
    line = parent.stdout.readline()
    if not line.startswith("ready "):
        _stop(parent, {})
        raise AssertionError(f"the parent did not start its network: {line!r}")
    _ready, url, credentials_path = line.split()
    children = {_role(p): p for p in psutil.Process(parent.pid).children(recursive=True)}
    credentials = json.loads(Path(credentials_path).read_text(encoding="utf-8"))
    return parent, url, credentials, children


def _stop(parent: subprocess.Popen[str], children: dict[str, psutil.Process]) -> None:
    """Whatever a failed test left running."""
    if parent.poll() is None:
        parent.kill()
    parent.wait(10)
    if parent.stdout is not None:
        parent.stdout.close()
    for process in children.values():
        if not _gone(process):
            process.kill()


async def _settle(condition: Callable[[], bool] = lambda: False, seconds: float = 0.2) -> None:
    """Until `condition()` holds, for at most `seconds`."""
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)


def _logs(work: Path) -> tuple[str, str]:
    """The simulators' log and the CMS's."""
    return ((work / "network" / "serve.log").read_text(encoding="utf-8"),
            (work / "cms" / "cms.log").read_text(encoding="utf-8"))


@pytest.mark.slow
async def test_a_killed_parent_takes_its_network_down_cleanly(tmp_path: Path) -> None:
    parent, url, credentials, children = await asyncio.wait_for(asyncio.to_thread(_start_parent, tmp_path), 60)
    work = tmp_path / "work"
    try:
        assert set(children) == {"serve", "journal writer", "cms"}, children
        async with aiohttp.ClientSession() as http:
            control = {"Authorization": f"Bearer {credentials['control']}"}
            faults = {"faults": [{"party": "SPOC-DE", "type": "latency", "params": {"ms": 800}}]}
            async with http.put(url + "/control/faults", json=faults, headers=control) as answer:
                assert answer.status == 200
            message = {"sender": "SPOC-DE", "to": ["SPOC-FR"], "cc": [], "subject": "in flight", "body": "x",
                       "language": "en", "urgency": "NON_URGENT", "crime_areas": ["SWINDLING_FRAUD"],
                       "handling_codes": ["H0"], "security_level": "BPL", "europol_involved": False}
            token = {"Authorization": f"Bearer {credentials['parties']['SPOC-DE']}"}
            sending = asyncio.ensure_future(http.post(url + "/siena/messages", json=message, headers=token))
            await asyncio.sleep(0.3)
            os.kill(parent.pid, signal.SIGKILL)  # no SIGTERM reaches the children from a parent killed so
            killed_at = time.monotonic()
            response = await asyncio.wait_for(sending, 10)
            assert response.status == 201, "a request in flight when the parent died was not finished"
            message_id = (await response.json())["message_id"]
            response.release()
        await _settle(lambda: all(_gone(p) for p in children.values()), 15)
        left = [role for role, p in children.items() if not _gone(p)]
        assert not left, f"still running 15 s after the parent was killed: {left}"
        print(f"network gone {time.monotonic() - killed_at:.2f} s after the parent was killed")
    finally:
        await asyncio.to_thread(_stop, parent, children)

    serve_log, cms_log = await asyncio.to_thread(_logs, work)
    assert LOST in serve_log
    assert "stopping: finishing requests in flight and closing the journal" in serve_log
    assert serve_log.rstrip().endswith("stopped")
    assert LOST in cms_log
    assert "Traceback" not in serve_log + cms_log
    assert "Error" not in cms_log  # e.g. no "cannot start the CMS" on the way out

    journal = await Journal.open(work / "network" / "journal.sqlite3")
    try:
        verification = await journal.verify()
        stored = await journal.read(lambda conn: [row[0] for row in conn.execute("SELECT message_id FROM messages")])
    finally:
        await journal.close()
    assert verification.ok, verification
    assert message_id in stored


# -- watch_lifeline on its own, with a real pipe and a real event loop ---------------------------------


async def test_the_parent_closing_its_end_calls_on_lost_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    read_end, write_end = os.pipe()
    monkeypatch.setenv(LIFELINE_ENV, str(read_end))
    calls: list[int] = []
    try:
        watch_lifeline(asyncio.get_running_loop(), lambda: calls.append(1))
        assert LIFELINE_ENV not in os.environ  # processes started from here on do not take it for theirs
        assert not os.get_inheritable(read_end)
        os.write(write_end, b"x")  # bytes are not the end: only end-of-file is
        await _settle()
        assert calls == []
    finally:
        os.close(write_end)
    await _settle(lambda: bool(calls), 5)
    await _settle()  # and not again
    assert calls == [1]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [LOST]


async def test_without_the_variable_nothing_is_watched(caplog: pytest.LogCaptureFixture,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LIFELINE_ENV, raising=False)
    calls: list[int] = []
    watch_lifeline(asyncio.get_running_loop(), lambda: calls.append(1))
    await _settle()
    assert calls == []
    assert not caplog.records


@pytest.mark.parametrize("kind", ["not a number", "empty", "negative", "not an open fd", "a regular file"])
async def test_an_invalid_variable_is_logged_and_ignored(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    regular_file = os.open(tmp_path / "file", os.O_RDWR | os.O_CREAT)
    values = {"not a number": "three", "empty": "", "negative": "-1", "not an open fd": "1000000",
              "a regular file": str(regular_file)}
    monkeypatch.setenv(LIFELINE_ENV, values[kind])
    calls: list[int] = []
    try:
        watch_lifeline(asyncio.get_running_loop(), lambda: calls.append(1))
        await _settle()
    finally:
        os.close(regular_file)
    assert calls == []
    assert LIFELINE_ENV not in os.environ
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"ignoring {LIFELINE_ENV}=")
