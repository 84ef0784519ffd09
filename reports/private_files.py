"""Files that hold personal data (reports, evidence) are written readable by their owner only.

Reports, exports and the journal copy carry names and dates of birth of (test) data subjects. A file
is created 0600 from the start (never created wider and narrowed afterwards), in directories created
0700. (`spoc-harness` itself also runs under umask 077, for the files no code of ours opens.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Literal, overload

__all__ = ["PRIVATE_DIR_MODE", "PRIVATE_FILE_MODE", "private_dir", "private_file", "write_private_text"]

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create `path` 0700 if it is missing. An existing directory keeps its mode: it may be one the user
    chose and shares (e.g. `--report-dir .`); the files written into it are 0600 all the same."""
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
        os.chmod(path, PRIVATE_DIR_MODE)  # mkdir's mode is narrowed by the umask, never widened back
    return path


@overload
def private_file(path: Path, mode: Literal["w"]) -> IO[str]: ...
@overload
def private_file(path: Path, mode: Literal["wb"]) -> IO[bytes]: ...
def private_file(path: Path, mode: Literal["w", "wb"]) -> IO[str] | IO[bytes]:
    """Open `path` for writing, truncated, mode 0600 (an existing file is narrowed to 0600 first)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    try:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)
    except BaseException:
        os.close(descriptor)
        raise
    if mode == "w":
        return os.fdopen(descriptor, "w", encoding="utf-8")
    return os.fdopen(descriptor, "wb")


def write_private_text(path: Path, text: str) -> None:
    with private_file(path, "w") as handle:
        handle.write(text)
