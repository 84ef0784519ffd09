"""The copy-exception checks (R-04, R-18) accept a withheld copy only with a listed (a)-(c) ground.

The reference CMS can only record the directive's own grounds (its field is an enum), so the case of
a vendor CMS recording a ground the directive does not list is shown here, on a hand-built campaign.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from conformance.campaign.runner import CampaignResult, Exports
from conformance.campaign.view import CampaignView
from conformance.checks import art04_requests, art05_provision
from conformance.ledger import Exchange, ExchangeKind, Ledger, Observed
from conformance.settings import CampaignSettings
from conformance.sut import ExportedCaseRecord, SutInfo
from conformance.verdicts import Judge
from reports.results import Outcome

AT = datetime(2026, 3, 31, 14, tzinfo=UTC)


def _view(ledger: Ledger, cases: list[ExportedCaseRecord] | None = None) -> CampaignView:
    result = CampaignResult(
        settings=CampaignSettings(), ledger=ledger, info=SutInfo(state="AT", parties=["SPOC-AT", "DLEA-AT"]),
        scenarios=[], requirements=[], network_start=AT, network_end=AT, wall_seconds=0.0, steps=0,
        exports=Exports(at=AT, cases=cases or []),
    )
    return CampaignView(result)


def _message(message_id: str, sender: str, to: str, directive: dict[str, Any], **extra: Any) -> Observed:
    return Observed(message_id=message_id, channel="SIENA", sender=sender, to=[to], created_at=AT,
                    directive=directive, **extra)


def _outcomes(judge: Judge) -> list[Outcome]:
    return [f.outcome for f in judge.findings]


@pytest.mark.parametrize(("ground", "decided", "outcome"), [
    ("PERSON_SAFETY", "PERSON_SAFETY", Outcome.PASSED), ("CONFIDENTIAL", "CONFIDENTIAL", Outcome.FAILED),
    (None, None, Outcome.FAILED),
    # The operator (the harness's stimulus) decided no exception: a ground the CMS filled in excuses nothing.
    ("PERSON_SAFETY", None, Outcome.FAILED), ("PERSON_SAFETY", "TERRORISM", Outcome.FAILED),
])
def test_designated_request_without_copy_needs_a_listed_ground(ground: str | None, decided: str | None,
                                                               outcome: Outcome) -> None:
    ledger = Ledger(seed=1, sut_parties=["SPOC-AT", "DLEA-AT"])
    directive = {"kind": "REQUEST", "case_reference": "AT-REQ-1", "language": "en", "copy_exception": ground}
    ledger.observe([_message("SIENA-1", "DLEA-AT", "SPOC-SE", directive)])
    stimulus = {"by": "DESIGNATED_AUTHORITY"} | ({"copy_exception": decided} if decided else {})
    ledger.add_exchange(Exchange(key="withheld", scenario="s", kind=ExchangeKind.OUTGOING_REQUEST, title="t",
                                 requirements=["R-04"], message_id="SIENA-1", reference="AT-REQ-1",
                                 facts={"stimulus": stimulus}))
    judge = Judge(check_id="R-04", title="t", requirements=("R-04",), article="Art 4(2)")
    art04_requests.test_omitted_copy_records_exception(_view(ledger), judge)
    assert _outcomes(judge) == [outcome]
    if ground == "CONFIDENTIAL":
        assert "not an Art 4(2)(a)-(c) ground" in judge.findings[0].observed
    if ground and decided != ground:
        assert "the operator decided" in judge.findings[0].observed


@pytest.mark.parametrize(("ground", "case_ground", "outcome"), [
    ("SENSITIVE_INVESTIGATION", None, Outcome.PASSED), (None, "TERRORISM", Outcome.PASSED),
    ("NATIONAL_PRACTICE", None, Outcome.FAILED), (None, None, Outcome.FAILED),
])
def test_reply_to_designated_authority_without_copy_needs_a_listed_ground(
    ground: str | None, case_ground: str | None, outcome: Outcome
) -> None:
    ledger = Ledger(seed=1, sut_parties=["SPOC-AT"])
    request = _message("SIENA-10", "DLEA-FR", "SPOC-AT",
                       {"kind": "REQUEST", "case_reference": "FR-1", "language": "en"})
    reply = _message("SIENA-11", "SPOC-AT", "DLEA-FR",
                     {"kind": "REPLY", "case_reference": "FR-1", "language": "en", "copy_exception": ground},
                     in_reply_to="SIENA-10")
    ledger.observe([request, reply])
    ledger.add_exchange(Exchange(key="withheld", scenario="s", kind=ExchangeKind.INCOMING_REQUEST, title="t",
                                 requirements=["R-18"], message_id="SIENA-10", reference="FR-1",
                                 requester="DLEA-FR"))
    case = ExportedCaseRecord(case_id="AT-2026-000001", copy_exception=case_ground,
                      communications=[{"message_id": "SIENA-10"}, {"message_id": "SIENA-11"}])
    judge = Judge(check_id="R-18", title="t", requirements=("R-18",), article="Art 5(3) §3")
    art05_provision.test_withheld_copy_records_ground(_view(ledger, [case]), judge)
    assert _outcomes(judge) == [outcome]
