"""Fixtures of the reference CMS tests: one channel simulator (virtual clock) and one Austrian CMS per session.

Isolation on the shared network. Several CMSs of the same state may run on it one after another (the
defect cases): each installation sends its own Idempotency-Keys and references (the CMS's instance id),
so they never collide. Tests that need every message of the network to be theirs (test_records), or
that move network time by months (the retention review), run on a network of their own, which takes
about 0.3 s to start. The shared clock so stays within the first months from START, whatever the
order of the files; the `horizon` check below fails the test that would carry it further.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from refcms_support import START, Cms, Network, iso, parse_time, running_cms, running_network

# About two months are used today (Mar-Apr 2026): a margin that keeps clear of the turn of the year,
# which would split the per-year statistics a test compares before and after its exchange.
SHARED_CLOCK_SPAN = timedelta(days=120)


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="refcms-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def network(workdir: Path) -> Iterator[Network]:
    with running_network(workdir, "shared", horizon=parse_time(START) + SHARED_CLOCK_SPAN) as shared:
        yield shared


@pytest.fixture(scope="session")
def cms_at(network: Network, workdir: Path) -> Iterator[Cms]:
    """The reference CMS of Austria (de, en), without defects, shared by the flow tests."""
    with running_cms(network, workdir, "AT") as cms:
        yield cms


@pytest.fixture(autouse=True)
def _network_clock_within_horizon(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "network" not in request.fixturenames:
        return
    used: Network = request.getfixturevalue("network")
    if used.horizon is not None and used.process.proc.poll() is None and used.now() > used.horizon:
        pytest.fail(f"this test moved the shared network clock to {iso(used.now())}, past {iso(used.horizon)}: "
                    "a test that moves network time this far runs on a network of its own (running_network), "
                    "so that no later test runs at a clock position it was not written for", pytrace=False)
