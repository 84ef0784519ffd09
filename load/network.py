"""The network a load run drives: the channel server on the scaled clock and the reference CMS.

Real subprocesses on fixed loopback ports (chosen free at start), so that a `kill -9` and restart of
either keeps the URLs the locust users and the reconciliation hold. A vendor SUT (`--sut URL`) runs on
a network the vendor started; the harness then only reads it and restarts nothing.
"""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Sequence
from pathlib import Path

from conformance.campaign.processes import ProcessError, _command, _Managed

__all__ = ["ChannelServer", "ReferenceCmsProcess", "free_port"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Restartable(_Managed):
    def kill_hard(self) -> None:
        """`kill -9`: no clean shutdown, nothing flushed that was not already."""
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        self.stop()

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


class ChannelServer(_Restartable):
    """`spoc-harness serve --clock scaled --speed K` on a fixed port."""

    name = "channel server"

    def __init__(self, data_dir: Path, *, speed: float, port: int) -> None:
        self.data_dir = data_dir
        self.credentials = data_dir / "credentials.json"
        super().__init__(_command("serve", "--port", str(port), "--data", str(data_dir), "--clock", "scaled",
                                  "--speed", f"{speed:g}"), data_dir.parent / "serve.log")


class ReferenceCmsProcess(_Restartable):
    """`spoc-harness cms` following the network clock from the start, optionally with named defects."""

    name = "reference CMS"

    def __init__(self, data_dir: Path, *, state: str, channels_url: str, credentials: Path, port: int,
                 defects: Sequence[str] = ()) -> None:
        args = ["cms", "--state", state, "--channels", channels_url, "--credentials", str(credentials),
                "--port", str(port), "--data", str(data_dir), "--follow-network-clock"]
        for defect in defects:
            args += ["--defect", defect]
        super().__init__(_command(*args), data_dir.parent / "cms.log")
