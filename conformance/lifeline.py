"""A lifeline from a parent process: a server it starts ends when it ends, `kill -9` included.

The parent creates a pipe, keeps the write end open for the whole life of the child and passes the
read end, naming it in the environment variable `SPOC_HARNESS_LIFELINE_FD`. However the parent dies,
the kernel closes its end of the pipe, the child reads end-of-file and shuts down as it would on
SIGTERM (requests in flight finish, the journal is closed). A child started without the variable
behaves as before: nothing is watched.

Parent side: a `Lifeline()` per child (`child_fd` in `pass_fds`, `child_environment()` as its
environment), `started()` once the child runs, `close()` once it has ended. Child side:
`watch_lifeline(loop, on_lost)` early, before the child starts processes of its own (they must not
take the variable for theirs).
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from collections.abc import Callable

__all__ = ["LIFELINE_ENV", "Lifeline", "watch_lifeline"]

LIFELINE_ENV = "SPOC_HARNESS_LIFELINE_FD"

_log = logging.getLogger("spoc_harness.lifeline")


class Lifeline:
    """The parent's side: a pipe whose read end a child inherits; the child lives while `close()` is not called."""

    def __init__(self) -> None:
        # os.pipe() gives non-inheritable ends: only a child given the read end in `pass_fds` gets it.
        self.child_fd, self._parent_fd = os.pipe()

    def child_environment(self, environ: dict[str, str]) -> dict[str, str]:
        return {**environ, LIFELINE_ENV: str(self.child_fd)}

    def started(self) -> None:
        """The child has its copy of the read end; the parent's own would only be an open file leaked per child."""
        if self.child_fd >= 0:
            os.close(self.child_fd)
            self.child_fd = -1

    def close(self) -> None:
        """Cut the lifeline: a child still running reads end-of-file and shuts down."""
        self.started()
        if self._parent_fd >= 0:
            os.close(self._parent_fd)
            self._parent_fd = -1


def _take_fd() -> int | None:
    """The inherited read end named in the environment, which is then removed from it; None without one."""
    value = os.environ.pop(LIFELINE_ENV, None)
    if value is None:
        return None
    try:
        fd = int(value)
        if fd < 0:
            raise ValueError("negative")
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            raise ValueError("not a pipe")
        os.set_inheritable(fd, False)  # processes this one starts must not keep the pipe open
        os.set_blocking(fd, False)
    except (ValueError, OSError) as exc:
        _log.warning("ignoring %s=%r (%s): this process will not stop when its parent goes away",
                     LIFELINE_ENV, value, exc)
        return None
    return fd


def watch_lifeline(loop: asyncio.AbstractEventLoop, on_lost: Callable[[], None]) -> None:
    """Call `on_lost()` once, on `loop`, when the parent's end of the lifeline closes.

    Without `SPOC_HARNESS_LIFELINE_FD` in the environment this does nothing; an invalid value is
    logged and ignored (a server never fails to start because of it).
    """
    fd = _take_fd()
    if fd is None:
        return

    def readable() -> None:
        try:
            data = os.read(fd, 1)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:  # the parent has nothing to say through the lifeline; only its end matters
            return
        loop.remove_reader(fd)
        os.close(fd)
        _log.warning("parent process went away: shutting down")
        on_lost()

    loop.add_reader(fd, readable)
