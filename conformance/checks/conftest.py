"""Fixtures of the conformance checks: the campaign (run once per session) and a judge per check."""

from __future__ import annotations

import pytest

from conformance.campaign.conformance_run import check_id
from conformance.campaign.view import CampaignView
from conformance.plugin import get_run
from conformance.verdicts import Judge


@pytest.fixture(scope="session")
def campaign(request: pytest.FixtureRequest) -> CampaignView:
    """The campaign's ledger and the SUT's exports, after the whole timeline ran."""
    view: CampaignView = get_run(request.config).campaign()
    return view


@pytest.fixture
def judge(request: pytest.FixtureRequest) -> Judge:
    """Collects this check's findings; the plugin turns them into its outcome."""
    run = get_run(request.config)
    marker = request.node.get_closest_marker("requirement")
    ids = tuple(str(a) for a in marker.args) if marker else ()
    article = str(marker.kwargs.get("article", "")) if marker else ""
    doc = (request.function.__doc__ or "").strip()
    return Judge(
        check_id=check_id(request.node), title=doc.splitlines()[0] if doc else request.node.name,
        requirements=ids, article=article, settings=run.settings, command=run.reproduce(ids),
    )
