"""`spoc-harness serve` as a real process: readiness line, clean stop, and kill -9 losing nothing acknowledged."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

pytestmark = pytest.mark.slow

SERVE = [sys.executable, "-c", "from conformance.cli import main; main()", "serve"]


@contextmanager
def serving(data: Path, *extra: str, own_group: bool = False
            ) -> Iterator[tuple[subprocess.Popen[str], str, dict[str, Any]]]:
    """`serve` on a free port; `own_group`: in a process group of its own, to signal it as a terminal would."""
    process = subprocess.Popen([*SERVE, "--port", "0", "--data", str(data), "--clock", "virtual",
                                "--start", "2026-03-02T10:00:00Z", *extra],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=own_group)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.match(r"serving on (http://127\.0\.0\.1:(\d+)) credentials=(\S+)$", line.strip())
        assert match, f"unexpected readiness line {line!r}; stderr: {process.stderr.read() if process.stderr else ''}"
        assert int(match.group(2)) > 0
        credentials = json.loads(Path(match.group(3)).read_text())
        yield process, match.group(1), credentials
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def siena(sender: str, n: int) -> dict[str, Any]:
    return {"sender": sender, "to": ["SPOC-AT"], "cc": ["SPOC-FR"], "subject": f"message {n}", "body": "x" * 500,
            "language": "en", "urgency": "NON_URGENT", "crime_areas": ["SWINDLING_FRAUD"], "handling_codes": ["H0"],
            "security_level": "BPL", "europol_involved": False}


@pytest.mark.parametrize("stop", ["SIGTERM to the server", "Ctrl-C to its process group"])
async def test_a_stop_signal_finishes_requests_in_flight_then_stops(tmp_path: Path, stop: str) -> None:
    # A terminal's Ctrl-C (or a service manager's stop) reaches the journal writer process too: it
    # must stay until its server has answered what is in flight and closed the journal.
    group = stop.startswith("Ctrl-C")
    with serving(tmp_path / "net", own_group=group) as (process, url, credentials):
        async with aiohttp.ClientSession() as http:
            control = {"Authorization": f"Bearer {credentials['control']}"}
            async with http.get(url + "/healthz") as health:
                assert (await health.json()) == {"status": "ok"}
            faults = {"faults": [{"party": "SPOC-DE", "type": "latency", "params": {"ms": 800}}]}
            async with http.put(url + "/control/faults", json=faults, headers=control) as answer:
                assert answer.status == 200
            token = {"Authorization": f"Bearer {credentials['parties']['SPOC-DE']}"}
            sending = asyncio.ensure_future(http.post(url + "/siena/messages", json=siena("SPOC-DE", 0),
                                                      headers=token))
            await asyncio.sleep(0.3)
            if group:
                os.killpg(process.pid, signal.SIGINT)
            else:
                process.send_signal(signal.SIGTERM)
            response = await sending
            assert response.status == 201
            response.release()
        assert await asyncio.to_thread(process.wait, 10) == 0
        assert process.stderr is not None
        stderr = process.stderr.read()
        assert "stopped" in stderr
        assert "Traceback" not in stderr
    await _until(lambda: not journal_writers(tmp_path / "net"), 10, "the journal writer to exit")
    with serving(tmp_path / "net") as (_process, url, credentials):
        control = {"Authorization": f"Bearer {credentials['control']}"}
        async with aiohttp.ClientSession() as http:
            async with http.get(url + "/control/traffic", headers=control) as answer:
                assert len((await answer.json())["messages"]) == 1
            async with http.get(url + "/control/journal/verify", headers=control) as answer:
                assert (await answer.json())["ok"] is True


async def test_kill_9_mid_stream_loses_nothing_acknowledged(tmp_path: Path) -> None:
    acknowledged: dict[str, dict[str, Any]] = {}
    cut_off: list[str] = []
    with serving(tmp_path / "net") as (process, url, credentials):
        enough = asyncio.Event()

        async def sender(http: aiohttp.ClientSession, party: str) -> None:
            n = 0
            token = {"Authorization": f"Bearer {credentials['parties'][party]}"}
            while True:
                n += 1
                try:
                    async with http.post(url + "/siena/messages", json=siena(party, n), headers=token) as answer:
                        if answer.status == 201:
                            envelope = await answer.json()
                            acknowledged[envelope["message_id"]] = envelope
                            if len(acknowledged) >= 300:
                                enough.set()
                except (TimeoutError, aiohttp.ClientError):
                    cut_off.append(party)  # the server died under this request: never acknowledged
                    return

        async with aiohttp.ClientSession() as http:
            senders = [asyncio.ensure_future(sender(http, p)) for p in ("SPOC-DE", "SPOC-BE", "SPOC-NL", "SPOC-IT")]
            await asyncio.wait_for(enough.wait(), 60)
            os.kill(process.pid, signal.SIGKILL)  # while the senders are mid-request
            await asyncio.wait_for(asyncio.gather(*senders), 10)
    assert len(acknowledged) >= 300
    assert cut_off, "the kill should have interrupted requests in flight"
    # The killed server's journal writer sees it gone and ends (no orphan holding the file).
    await _until(lambda: not journal_writers(tmp_path / "net"), 10, "the old journal writer to exit")

    with serving(tmp_path / "net") as (_process, url, credentials):
        control = {"Authorization": f"Bearer {credentials['control']}"}
        async with aiohttp.ClientSession() as http:
            async with http.get(url + "/control/traffic?limit=100000", headers=control) as answer:
                stored = {m["message_id"]: m for m in (await answer.json())["messages"]}
            async with http.get(url + "/control/journal/verify", headers=control) as answer:
                verification = await answer.json()
            token = {"Authorization": f"Bearer {credentials['parties']['SPOC-AT']}"}
            async with http.get(url + "/siena/mailbox?limit=1000", headers=token) as answer:
                mailbox = {d["message"]["message_id"] for d in (await answer.json())["deliveries"]}
    missing = sorted(set(acknowledged) - set(stored))
    assert not missing, f"acknowledged but lost after kill -9: {missing[:5]}"
    for message_id, envelope in acknowledged.items():
        assert {k: v for k, v in stored[message_id].items() if k != "acks"} == envelope
        assert [a["party"] for a in stored[message_id]["acks"]] == ["SPOC-AT", "SPOC-FR"]
    assert set(acknowledged) <= mailbox
    assert verification["ok"] is True
    assert verification["entries"] == len(stored)


def journal_writers(data: Path) -> list[int]:
    """Pids of the journal writer processes working on a file under `data`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:  # gone meanwhile
                continue
            if b"simulators.runtime.journal_writer" in command and any(str(data).encode() in c for c in command):
                found.append(int(entry.name))
    return found


async def _until(condition: Any, seconds: float, what: str) -> None:
    for _ in range(int(seconds * 20)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"waited {seconds} s for {what}")


def test_a_second_server_on_the_same_data_directory_is_a_clear_error(tmp_path: Path) -> None:
    with serving(tmp_path / "net") as (process, _url, _credentials):
        result = subprocess.run([*SERVE, "--port", "0", "--data", str(tmp_path / "net")],
                                capture_output=True, text=True, timeout=60)
        assert process.poll() is None  # the first server goes on
    assert result.returncode != 0
    assert "is in use by another network server" in result.stderr
    assert "Traceback" not in result.stderr
    asyncio.run(_until(lambda: not journal_writers(tmp_path / "net"), 10, "the journal writer to exit"))


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([*SERVE, "--port", str(port), "--data", str(tmp_path / "net")],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
