"""Fixtures of the reference CMS tests: one channel simulator (virtual clock) and one Austrian CMS per session."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from refcms_support import START, Cms, Network, launch_cms, start_process


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="refcms-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def network(workdir: Path) -> Iterator[Network]:
    data = workdir / "network"
    process = start_process(["serve", "--port", "0", "--data", str(data), "--clock", "virtual", "--start", START])
    try:
        yield Network(process, data / "credentials.json")
    finally:
        process.stop()


@pytest.fixture(scope="session")
def cms_at(network: Network, workdir: Path) -> Iterator[Cms]:
    """The reference CMS of Austria (de, en), without defects, shared by the flow tests."""
    cms = launch_cms(network, workdir, "AT")
    try:
        yield cms
    finally:
        cms.process.stop()
