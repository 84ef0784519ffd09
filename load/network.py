"""The network a load run drives: the channel server on the scaled clock and the reference CMS (or CMSs).

Real subprocesses on fixed loopback ports (chosen free at start), so that a `kill -9` and restart of
either keeps the URLs the locust users and the reconciliation hold. A vendor SUT (`--sut URL`) runs on
a network the vendor started; the harness then only reads it and restarts nothing.
"""

from __future__ import annotations

import copy
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from conformance.campaign.processes import ProcessError, _command, _Managed

__all__ = ["CMS_MODULES", "ChannelServer", "ReferenceCmsHost", "ReferenceCmsProcess", "Restartable", "free_port",
           "free_port_block"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_port_block(count: int, attempts: int = 200) -> int:
    """The first of `count` consecutive loopback ports free now (`cms --state A,B --port P` counts up from P).

    The block starts at a port the system picked free, so blocks of parallel runs rarely meet; each port of
    the block is tried before it is handed out."""
    for _ in range(attempts):
        first = free_port()
        if first + count - 1 > 65535:
            continue
        probes: list[socket.socket] = []
        try:
            for port in range(first, first + count):
                probe = socket.socket()
                probes.append(probe)
                probe.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise RuntimeError(f"found no {count} consecutive free loopback ports")


class Restartable(_Managed):
    restarts = 0  # how often restart_warm replaced the process
    states: list[str]  # a CMS process's states (none for the channel server)
    first_log: Path | None = None  # the first process's log; the successors' are named after it

    def kill_hard(self) -> None:
        """`kill -9`: no clean shutdown, nothing flushed that was not already."""
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        self.stop()

    def restart_warm(self, modules: Sequence[str], *, hard: bool = False,
                     before_stop: Callable[[], None] | None = None) -> None:
        """Stop, and start again on the same ports and data, with the new interpreter's imports (`modules`) done
        while the old process still serves: what is away is the stop and the start of its servers, not an
        interpreter's start-up (seconds on a busy machine). The new process then is this one.

        `hard`: the old process is not stopped but killed (`kill -9`), whatever it was doing: the new one starts
        on the store it left, with whatever a step under way had or had not written. `before_stop` runs once the
        new interpreter is importing, right before the old process is stopped or killed (to pick the moment)."""
        successor = copy.copy(self)
        successor.url, successor._process, successor._pump, successor._lifeline = "", None, None, None
        successor._ready, successor._found, successor._told = threading.Event(), [], True
        successor.restarts = self.restarts + 1
        # A log of its own: the old process still writes to this one while the new one imports.
        first = successor.first_log = self.first_log or self.log_path
        successor.log_path = first.with_name(f"{first.stem}.{successor.restarts}{first.suffix}")
        successor.preload(modules)
        try:
            if before_stop is not None:
                before_stop()
            if hard:
                self.kill_hard()
            else:
                self.stop()
            successor.restart()
        except BaseException:
            successor.stop()
            raise
        self.__dict__.update(successor.__dict__)

    def restart(self, attempts: int = 20) -> None:
        """Start again on the same port and data (the port may take a moment to be free again)."""
        for attempt in range(attempts):
            try:
                self.start()
                return
            except ProcessError:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.5)


class ChannelServer(Restartable):
    """`spoc-harness serve --clock scaled --speed K` on a fixed port."""

    name = "channel server"

    def __init__(self, data_dir: Path, *, speed: float, port: int) -> None:
        self.data_dir = data_dir
        self.states = []
        self.credentials = data_dir / "credentials.json"
        super().__init__(_command("serve", "--port", str(port), "--data", str(data_dir), "--clock", "scaled",
                                  "--speed", f"{speed:g}"), data_dir.parent / "serve.log")


# What `spoc-harness cms` imports before it serves: a restart (`restart_warm`) has them imported ahead.
CMS_MODULES = ("conformance.commands.cms", "simulators.reference_cms.app")


class ReferenceCmsProcess(Restartable):
    """`spoc-harness cms` following the network clock from the start, optionally with named defects."""

    name = "reference CMS"

    def __init__(self, data_dir: Path, *, state: str, channels_url: str, credentials: Path, port: int,
                 defects: Sequence[str] = ()) -> None:
        self.states = [state]
        args = ["cms", "--state", state, "--channels", channels_url, "--credentials", str(credentials),
                "--port", str(port), "--data", str(data_dir), "--follow-network-clock"]
        for defect in defects:
            args += ["--defect", defect]
        super().__init__(_command(*args), data_dir.parent / "cms.log")


# `serving on http://127.0.0.1:P (AT), http://127.0.0.1:Q (BE), ...`: the line `cms --state A,B` prints
_INSTALLATION = re.compile(r"(https?://127\.0\.0\.1:\d+) \(([A-Z]{2})\)")


class ReferenceCmsHost(Restartable):
    """`spoc-harness cms --state A,B,...`: several states' reference CMSs in one process (`--sut eu`).

    The mailbox sweep (a safety net under push delivery) and the reading of the scaled clock are slower
    than for one CMS: thirty installations polling every 25 ms would keep a core busy doing nothing.
    At x600, 250 ms of wall time is 2.5 network minutes, far inside every Art 5(1) limit. With `port`
    (the first of a block, `free_port_block`) its installations keep their ports across a restart, as
    `--chaos` needs; with 0 each picks a free one when it starts.
    """

    name = "reference CMS host"

    def __init__(self, data_dir: Path, *, states: Sequence[str], channels_url: str, credentials: Path,
                 defects: Sequence[str] = (), clock_poll_ms: float = 250, sweep_seconds: float = 10,
                 port: int = 0) -> None:
        self.states = list(states)
        self.urls: dict[str, str] = {}
        args = ["cms", "--state", ",".join(self.states), "--channels", channels_url, "--credentials",
                str(credentials), "--port", str(port), "--data", str(data_dir), "--follow-network-clock",
                "--clock-poll-ms", f"{clock_poll_ms:g}", "--sweep-seconds", f"{sweep_seconds:g}"]
        for defect in defects:
            args += ["--defect", defect]
        super().__init__(_command(*args), data_dir.parent / f"{data_dir.name}.log")

    def on_ready_line(self, line: str) -> None:
        self.urls = {code: url for url, code in _INSTALLATION.findall(line)}
        if len(self.states) == 1 and not self.urls:  # one state: the plain `serving on URL` line
            found = re.search(r"https?://127\.0\.0\.1:\d+", line)
            self.urls = {self.states[0]: found.group(0)} if found else {}
