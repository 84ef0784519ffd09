"""Starting and stopping the reference network: the channel simulators and the reference CMS.

Real subprocesses (`spoc-harness serve` and `spoc-harness cms`), each on a free loopback port (port 0,
the process prints the URL it bound), with their data in a temporary directory of the run. The
simulators can be kept for several CMS runs (the kill matrix): `POST /control/reset` starts a new
journal segment, and each campaign sets the virtual clock to its own start (a reset network keeps its
clock, so a later campaign on the same simulators starts later in network time only if told so).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from conformance.lifeline import Lifeline

__all__ = ["ProcessError", "ReferenceCms", "Simulators", "started"]

_URL = re.compile(r"(https?://127\.0\.0\.1:\d+)")


class ProcessError(RuntimeError):
    """A process of the reference network did not start or stopped unexpectedly."""


def _command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from conformance.cli import main; main()", *args]


class _Managed:
    """A subprocess that prints its URL when ready; its output is kept in a log file."""

    name = "process"

    def __init__(self, args: list[str], log_path: Path, env: dict[str, str] | None = None) -> None:
        self.args = args
        self.log_path = log_path
        self.env = env or {}
        self.url = ""
        self._process: subprocess.Popen[str] | None = None
        self._pump: threading.Thread | None = None
        self._lifeline: Lifeline | None = None

    def start(self, timeout: float = 30.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("w", encoding="utf-8")
        # In a session of its own, a Ctrl-C at the harness's terminal does not reach it (the harness
        # stops it in order); so a harness killed hard would leave it running: the lifeline ends it then.
        lifeline = Lifeline()
        inherited = {k: v for k, v in os.environ.items() if k != "SPOC_SUT_TOKEN"}  # a token is given, not inherited
        env = lifeline.child_environment({**inherited, "PYTHONUNBUFFERED": "1", **self.env})
        try:
            self._process = subprocess.Popen(
                self.args, stdout=subprocess.PIPE, stderr=log, text=True, env=env, start_new_session=True,
                pass_fds=(lifeline.child_fd,),
            )
        except BaseException:
            lifeline.close()
            log.close()
            raise
        lifeline.started()
        self._lifeline = lifeline
        found: list[str] = []
        ready = threading.Event()
        process = self._process

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                log.write(line)
                log.flush()
                if not found:
                    match = _URL.search(line)
                    if match:
                        found.append(match.group(1))
                        self.on_ready_line(line)
                        ready.set()
            ready.set()
            log.close()

        self._pump = threading.Thread(target=pump, name=f"{self.name}-output", daemon=True)
        self._pump.start()
        if not ready.wait(timeout) or not found:
            self.stop()
            raise ProcessError(f"{self.name} did not start within {timeout:g} s (see {self.log_path}):\n"
                               f"{self._tail()}")
        self.url = found[0]

    def on_ready_line(self, line: str) -> None:
        """Subclasses read extra facts from the line the process prints when it is ready."""

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        process = self._process
        if process is None:
            return
        try:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout)
        finally:
            if self._lifeline is not None:
                self._lifeline.close()
                self._lifeline = None
        if self._pump is not None:
            self._pump.join(timeout)
        self._process = None

    def _tail(self) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8").splitlines()[-20:])
        except OSError:
            return ""


class Simulators(_Managed):
    """`spoc-harness serve --clock virtual` on a free port."""

    name = "simulators"

    def __init__(self, data_dir: Path, *, start: datetime, virtual: bool = True) -> None:
        self.data_dir = data_dir
        self.credentials = data_dir / "credentials.json"
        # The virtual clock starts just before the campaign's start; the campaign moves it on.
        clock = ["--clock", "virtual", "--start", (start - timedelta(hours=1)).isoformat()] if virtual else \
            ["--clock", "system"]
        super().__init__(_command("serve", "--port", "0", "--data", str(data_dir), *clock), data_dir / "serve.log")

    def on_ready_line(self, line: str) -> None:
        match = re.search(r"credentials=(\S+)", line)
        if match:
            self.credentials = Path(match.group(1))

    @property
    def control_token(self) -> str:
        data = json.loads(self.credentials.read_text(encoding="utf-8"))
        return str(data["control"])


class ReferenceCms(_Managed):
    """`spoc-harness cms` for one state, optionally with named defects."""

    name = "reference CMS"

    def __init__(
        self, data_dir: Path, *, state: str, channels_url: str, credentials: Path, defects: Sequence[str] = (),
        sut_token: str | None = None,
    ) -> None:
        self.defects = list(defects)
        self.sut_token = sut_token
        args = ["cms", "--state", state, "--channels", channels_url, "--credentials", str(credentials),
                "--port", "0", "--data", str(data_dir)]
        for defect in defects:
            args += ["--defect", defect]
        # In the environment, not on the command line, which every local user can read.
        env = {"SPOC_SUT_TOKEN": sut_token} if sut_token else {}
        super().__init__(_command(*args), data_dir / "cms.log", env)


class started:
    """Start simulators and the reference CMS in `work_dir`; stop both (and optionally clean up) on exit."""

    def __init__(
        self, work_dir: Path, *, state: str, start: datetime, defects: Sequence[str] = (), keep: bool = False,
        virtual: bool = True, sut_token: str | None = None,
    ) -> None:
        self.virtual = virtual
        self.sut_token = sut_token
        self.work_dir = work_dir
        self.state = state
        self.start = start
        self.defects = list(defects)
        self.keep = keep
        self.simulators: Simulators | None = None
        self.cms: ReferenceCms | None = None

    def __enter__(self) -> started:
        began = time.monotonic()
        if self.work_dir.exists():
            shutil.rmtree(self.work_dir)
        self.simulators = Simulators(self.work_dir / "network", start=self.start, virtual=self.virtual)
        self.simulators.start()
        try:
            self.cms = ReferenceCms(self.work_dir / "cms", state=self.state, channels_url=self.simulators.url,
                                    credentials=self.simulators.credentials, defects=self.defects,
                                    sut_token=self.sut_token)
            self.cms.start()
        except BaseException:
            self.simulators.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def __exit__(self, *exc: object) -> None:
        for process in (self.cms, self.simulators):
            if process is not None:
                process.stop()
        if not self.keep:
            shutil.rmtree(self.work_dir, ignore_errors=True)
