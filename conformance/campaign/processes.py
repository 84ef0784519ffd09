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
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from conformance.lifeline import Lifeline

__all__ = ["ManagedReferenceCms", "NetworkPlan", "NetworkPreload", "ProcessError", "Simulators", "started"]

_URL = re.compile(r"(https?://127\.0\.0\.1:\d+)")


class ProcessError(RuntimeError):
    """A process of the reference network did not start or stopped unexpectedly."""


def _call_json(method: str, url: str, token: str | None, body: dict[str, object] | None,
               timeout: float) -> dict[str, object]:
    """Call a process of the reference network and read its JSON answer; a problem answer raises ProcessError."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            found = json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise ProcessError(f"{method} {url} answered {exc.code}: "
                           f"{exc.read().decode(errors='replace')[:500]}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ProcessError(f"{method} {url} failed: {exc}") from None
    return found if isinstance(found, dict) else {}


def _post_json(url: str, body: dict[str, object], token: str | None, timeout: float = 60.0) -> dict[str, object]:
    return _call_json("POST", url, token, body, timeout)


def _get_json(url: str, token: str | None, timeout: float = 600.0) -> dict[str, object]:
    return _call_json("GET", url, token, None, timeout)


def _command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from conformance.cli import main; main()", *args]


# A process started before its command line is known: it imports what its command will need (most of its
# start-up time), then reads its command line and the environment it adds (a token is given there, never on
# the command line), one JSON object, from its standard input; at the end of its input (the harness stopped
# it, or went away, before telling it) it ends.
_PRELOADED = """
import importlib, json, os, sys
for module in sys.argv[1:]:
    importlib.import_module(module)
line = sys.stdin.readline()
if not line.strip():
    sys.exit(0)
told = json.loads(line)
os.environ.update(told["env"])
from conformance.cli import main
main(told["argv"])
"""


class _Managed:
    """A subprocess that prints its URL when ready; its output is kept in a log file."""

    name = "process"
    data_dir: Path  # where a subclass keeps its data (`move_to` moves it)

    def __init__(self, args: list[str], log_path: Path, env: dict[str, str] | None = None) -> None:
        self.args = args
        self.log_path = log_path
        self.env = env or {}
        self.url = ""
        self._process: subprocess.Popen[str] | None = None
        self._pump: threading.Thread | None = None
        self._lifeline: Lifeline | None = None
        self._ready = threading.Event()
        self._found: list[str] = []
        self._told = True  # whether the process has its command line (a preloaded one waits for it)
        self._stopping = False  # whether it was asked to end

    def preload(self, modules: Sequence[str]) -> None:
        """Start the interpreter now, importing `modules`, while `args` may still change; `start` hands it
        them. The imports (most of a start-up) then overlap whatever the caller does before `start`."""
        self._launch([sys.executable, "-c", _PRELOADED, *modules], preloaded=True)

    def start(self, timeout: float = 30.0) -> None:
        if not self.args:
            raise ProcessError(f"{self.name}: start() before its command line is known")
        if self._process is None:
            self._launch(self.args, preloaded=False)
        if not self._told:
            self._tell()
        if not self._ready.wait(timeout) or not self._found:
            self.stop()
            raise ProcessError(f"{self.name} did not start within {timeout:g} s (see {self.log_path}):\n"
                               f"{self._tail()}")
        self.url = self._found[0]

    def _tell(self) -> None:
        process = self._process
        assert process is not None
        assert process.stdin is not None
        self._told = True
        # The command line after `-c CODE`: what _command puts there for the CLI's main().
        try:
            process.stdin.write(json.dumps({"argv": self.args[3:], "env": self.env}) + "\n")
            process.stdin.close()
        except OSError:  # it has died meanwhile: its log says why, and the wait below reports it
            pass

    def _launch(self, command: list[str], *, preloaded: bool) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("w", encoding="utf-8")
        # In a session of its own, a Ctrl-C at the harness's terminal does not reach it (the harness
        # stops it in order); so a harness killed hard would leave it running: the lifeline ends it then.
        lifeline = Lifeline()
        inherited = {k: v for k, v in os.environ.items() if k != "SPOC_SUT_TOKEN"}  # a token is given, not inherited
        env = lifeline.child_environment({**inherited, "PYTHONUNBUFFERED": "1", **self.env})
        try:
            self._process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=log, text=True, env=env, start_new_session=True,
                pass_fds=(lifeline.child_fd,), stdin=subprocess.PIPE if preloaded else None,
            )
        except BaseException:
            lifeline.close()
            log.close()
            raise
        self._told = not preloaded
        self._stopping = False
        lifeline.started()
        self._lifeline = lifeline
        # Fresh for every launch: a restarted process (load runs restart theirs) announces its URL anew.
        found: list[str] = []
        ready = threading.Event()
        self._found, self._ready = found, ready
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

    def on_ready_line(self, line: str) -> None:
        """Subclasses read extra facts from the line the process prints when it is ready."""

    def move_to(self, data_dir: Path) -> None:
        """Its data directory moved (with the log in it) before it was told its command line."""
        self.log_path = data_dir / self.log_path.name
        self.data_dir = data_dir

    def launched(self) -> bool:
        """Whether its process was started (preloaded or not) and not yet stopped."""
        return self._process is not None

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def begin_stop(self) -> None:
        """Ask the process to end (SIGTERM) without waiting for it; `stop` waits."""
        process = self._process
        if process is None:
            return
        if process.stdin is not None and not process.stdin.closed:
            process.stdin.close()  # a preloaded process never told its command line ends on the empty line
        if process.poll() is None and not self._stopping:
            self._stopping = True  # once: a second SIGTERM is not the process's to interpret
            process.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 10.0) -> None:
        process = self._process
        if process is None:
            return
        try:
            self.begin_stop()
            if process.poll() is None:
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
    # What `spoc-harness serve` imports before it serves: preloaded while the harness starts.
    MODULES = ("conformance.commands.serve", "simulators.app", "simulators.runtime.connections",
               "simulators.runtime.store")

    def __init__(self, data_dir: Path, *, start: datetime | None, virtual: bool = True) -> None:
        """`start`: the campaign's start; None for a server preloaded before it is known (`set_clock` then)."""
        self.data_dir = data_dir
        self.credentials = data_dir / "credentials.json"
        super().__init__([], data_dir / "serve.log")
        self.start_at: datetime | None = None
        if start is not None:
            self.set_clock(start, virtual=virtual)

    def move_to(self, data_dir: Path) -> None:
        super().move_to(data_dir)
        self.credentials = data_dir / "credentials.json"

    def set_clock(self, start: datetime, *, virtual: bool) -> None:
        """The network clock it serves (before `start`; a preloaded server is started before it is known)."""
        # The virtual clock starts just before the campaign's start; the campaign moves it on.
        clock = ["--clock", "virtual", "--start", (start - timedelta(hours=1)).isoformat()] if virtual else \
            ["--clock", "system"]
        self.start_at = start - timedelta(hours=1)
        self.args = _command("serve", "--port", "0", "--data", str(self.data_dir), *clock)

    def on_ready_line(self, line: str) -> None:
        match = re.search(r"credentials=(\S+)", line)
        if match:
            self.credentials = Path(match.group(1))

    @property
    def control_token(self) -> str:
        data = json.loads(self.credentials.read_text(encoding="utf-8"))
        return str(data["control"])

    def verify_journal(self) -> dict[str, object]:
        """The server's verification of its whole journal, every segment (`GET /control/journal/verify`)."""
        return _get_json(f"{self.url}/control/journal/verify", self.control_token)

    def reset(self) -> int:
        """Forget the traffic and put the virtual clock back where this server started; the new segment."""
        assert self.start_at is not None, "reset() a started server"
        answer = _post_json(f"{self.url}/control/reset", {"clock": self.start_at.isoformat()}, self.control_token)
        return int(str(answer.get("segment", 0)))


class ManagedReferenceCms(_Managed):
    """`spoc-harness cms` for one state, optionally with named defects."""

    name = "reference CMS"
    # What `spoc-harness cms` imports before it serves: preloaded while the channels start.
    MODULES = ("conformance.commands.cms", "simulators.reference_cms.app")

    def __init__(
        self, data_dir: Path, *, state: str, channels_url: str, credentials: Path, defects: Sequence[str] = (),
        sut_token: str | None = None, allow_restart: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self.state = state
        self.defects = list(defects)
        self.sut_token = sut_token
        self.allow_restart = allow_restart
        super().__init__([], data_dir / "cms.log")
        self.set_token(sut_token)
        self.connect(channels_url, credentials)

    def set_token(self, sut_token: str | None) -> None:
        """The bearer token of its SUT interface (before `start`: a preloaded CMS is told it with its command line)."""
        self.sut_token = sut_token
        # In the environment, not on the command line, which every local user can read.
        self.env = {"SPOC_SUT_TOKEN": sut_token} if sut_token else {}

    def connect(self, channels_url: str, credentials: Path) -> None:
        """The channels it connects to (before `start`; a preloaded CMS is started before they are known)."""
        args = ["cms", "--state", self.state, "--channels", channels_url, "--credentials", str(credentials),
                "--port", "0", "--data", str(self.data_dir)]
        for defect in self.defects:
            args += ["--defect", defect]
        if self.allow_restart:
            args.append("--allow-restart")
        self.args = _command(*args)

    def restart(self, defects: Sequence[str]) -> None:
        """Make this CMS (started with allow_restart) a freshly installed one with `defects`."""
        _post_json(f"{self.url}/sut/reference/restart", {"defects": list(defects)}, self.sut_token)
        self.defects = list(defects)


@dataclass(frozen=True)
class NetworkPlan:
    """What a reference network of a run is: where its data goes, the state its CMS serves, its clock's start,
    the CMS's defects, whether its data is kept and whether its clock is virtual."""

    work_dir: Path
    state: str
    start: datetime
    defects: tuple[str, ...]
    keep: bool
    virtual: bool


class NetworkPreload:
    """The interpreters of the channel server and the reference CMS of a network in `work_dir`, started before the
    run knows their command lines (the campaign's start, state, defects, token): they import their modules while
    the harness imports its own and collects the checks. `started(..., preloaded=)` tells them the rest; a
    preload nobody takes is stopped with `stop`.

    Until the network starts, its logs are in a directory beside `work_dir`, which then takes its place: a run
    refused for its options leaves the previous run's data where it was, and no directory of its own."""

    # Long: the two processes, started in order, each stopped again if the other fails to start.
    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        # The outermost directory this makes (the report directory on a first run), removed again if unused.
        self._made = next((d for d in reversed(work_dir.parents) if not d.exists()), None)
        self._staging = work_dir.parent / f".{work_dir.name}.starting"
        shutil.rmtree(self._staging, ignore_errors=True)
        self._staging.mkdir(parents=True)
        # Placeholders until `started` knows them: no process starts before it is told the real ones.
        self.simulators = Simulators(self._staging / "network", start=None)
        self.cms = ManagedReferenceCms(self._staging / "cms", state="", channels_url="", credentials=Path())
        self._settled = False
        # Once told its plan (`start_in_background`): the network being started, the thread starting it, and
        # what it raised if it failed.
        self._starting: tuple[NetworkPlan, started, threading.Thread, list[BaseException]] | None = None
        self._stale = False
        try:
            self.simulators.preload(Simulators.MODULES)
            self.cms.preload(ManagedReferenceCms.MODULES)
        except BaseException:
            self.stop()
            raise

    def start_in_background(self, plan: NetworkPlan, *, sut_token: str) -> None:
        """Tell both interpreters their command lines now and start the network in a thread, as soon as the run
        knows its plan: it comes up while the harness imports the campaign and collects the checks. `take`
        hands it over, started."""
        if self._starting is not None or plan.work_dir != self.work_dir:
            raise ValueError(f"this preload starts one network, in {self.work_dir}")
        network = started(plan.work_dir, state=plan.state, start=plan.start, defects=plan.defects, keep=plan.keep,
                          virtual=plan.virtual, sut_token=sut_token, preloaded=self)
        failed: list[BaseException] = []

        def enter() -> None:
            try:
                network.__enter__()
            except BaseException as exc:  # handed to the run by `take`, which raises it as its own
                failed.append(exc)

        thread = threading.Thread(target=enter, name="network-start", daemon=True)
        self._starting = (plan, network, thread, failed)
        thread.start()

    def settle(self) -> None:
        """Put the interpreters' directory in `work_dir`'s place (the previous run's data goes); `started` calls it
        once it starts them. Their open logs move with it."""
        if self._settled:
            return
        self._settled = True
        if self.work_dir.exists():
            shutil.rmtree(self.work_dir)
        self._staging.rename(self.work_dir)
        self.simulators.move_to(self.work_dir / "network")
        self.cms.move_to(self.work_dir / "cms")

    def usable_for(self, plan: NetworkPlan) -> bool:
        """Whether `started(..., preloaded=self)` may still start the network of `plan` from these interpreters."""
        return self._starting is None and not self._stale and plan.work_dir == self.work_dir

    def take(self, plan: NetworkPlan) -> started | None:
        """The network `start_in_background` started, once it is up, if it was started for `plan`; None if it was
        not started (or for another plan: then it is stopped). Raises what its start raised."""
        if self._starting is None:
            return None
        started_for, network, thread, failed = self._starting
        thread.join()
        self._starting = None
        if failed:
            raise failed[0]
        if started_for != plan:
            network.__exit__(None, None, None)
            self._stale = True  # its interpreters are gone with it
            return None
        return network

    def stop(self) -> None:
        """End both interpreters (a no-op for those `started` took and stopped), and a network started in the
        background that nobody took."""
        if self._starting is not None:
            _, network, thread, _ = self._starting
            self._starting = None
            thread.join()
            network.__exit__(None, None, None)
        for process in (self.cms, self.simulators):
            process.begin_stop()
        for process in (self.cms, self.simulators):
            process.stop()
        if not self._settled:  # never started: nothing of it is kept, and the directories it made go
            self._settled = True
            shutil.rmtree(self._staging, ignore_errors=True)
            if self._made is not None:
                shutil.rmtree(self._made, ignore_errors=True)


class started:
    """Start simulators and the reference CMS in `work_dir`; stop both (and optionally clean up) on exit.

    `preloaded`: interpreters of this work directory started earlier (NetworkPreload), told their command lines
    here instead of starting new ones."""

    def __init__(
        self, work_dir: Path, *, state: str, start: datetime, defects: Sequence[str] = (), keep: bool = False,
        virtual: bool = True, sut_token: str | None = None, reusable: bool = False,
        preloaded: NetworkPreload | None = None,
    ) -> None:
        if preloaded is not None and preloaded.work_dir != work_dir:
            raise ValueError(f"a network preloaded in {preloaded.work_dir} cannot start in {work_dir}")
        self.preloaded = preloaded
        self.reusable = reusable  # the CMS takes restarts (the kill matrix reuses the pair)
        self.virtual = virtual
        self.sut_token = sut_token
        self.work_dir = work_dir
        self.state = state
        self.start = start
        self.defects = list(defects)
        self.keep = keep
        self.simulators: Simulators | None = None
        self.cms: ManagedReferenceCms | None = None

    def __enter__(self) -> started:
        began = time.monotonic()
        if self.preloaded is not None:
            self.preloaded.settle()
            self.simulators, self.cms = self.preloaded.simulators, self.preloaded.cms
            self.preloaded = None
            self.simulators.set_clock(self.start, virtual=self.virtual)
            self.cms.state, self.cms.defects, self.cms.allow_restart = self.state, list(self.defects), self.reusable
            self.cms.set_token(self.sut_token)
        else:
            if self.work_dir.exists():
                shutil.rmtree(self.work_dir)
            self.simulators = Simulators(self.work_dir / "network", start=self.start, virtual=self.virtual)
            # The CMS needs the channels' URL and credentials, known once they are up; its imports, the larger
            # part of its start-up, need not wait: it is preloaded meanwhile (both start on the machine's cores).
            self.cms = ManagedReferenceCms(self.work_dir / "cms", state=self.state, channels_url="",
                                           credentials=Path(), defects=self.defects, sut_token=self.sut_token,
                                           allow_restart=self.reusable)
        try:
            if not self.cms.launched():
                self.cms.preload(ManagedReferenceCms.MODULES)
            self.simulators.start()
            self.cms.connect(self.simulators.url, self.simulators.credentials)
            self.cms.start()
        except BaseException:
            self.cms.stop()
            self.simulators.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def renew(self, defects: Sequence[str]) -> None:
        """The state of a fresh pair of processes, with `defects`: network reset first (it drops the webhooks,
        which the restarted CMS then registers anew)."""
        assert self.simulators is not None, "renew() a started network"
        assert self.cms is not None, "renew() a started network"
        self.simulators.reset()
        self.cms.restart(defects)
        self.defects = list(defects)

    def __exit__(self, *exc: object) -> None:
        # Both asked to end at once, then waited for: the stop takes as long as the slower, not the sum.
        processes = [process for process in (self.cms, self.simulators) if process is not None]
        for process in processes:
            process.begin_stop()
        for process in processes:
            process.stop()
        if not self.keep:
            shutil.rmtree(self.work_dir, ignore_errors=True)
