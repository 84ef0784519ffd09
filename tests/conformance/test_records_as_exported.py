"""Records checks judge the SUT's exports only against what had happened when they were taken.

The exports are taken when the main timeline ends; a message the SUT sends later (a late answer, the
retention phase) cannot be in them, so the case-record, audit and statistics checks must not blame
it, while a message sent before the export and missing from it still fails. Shown on a hand-built
campaign: AT answers one request after the export, answers another before it without recording the
answer, refuses a third after the export, and receives a fourth only after the export.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conformance.campaign.runner import CampaignResult, Exports
from conformance.campaign.view import CampaignView
from conformance.checks import art11_13_languages_channels, art16_case_management, art18_statistics
from conformance.ledger import Exchange, ExchangeKind, Ledger, Observed
from conformance.settings import CampaignSettings
from conformance.sut import ExportedAuditEntry, ExportedCaseRecord, SutInfo
from conformance.verdicts import Judge
from reports.results import Outcome

START = datetime(2026, 4, 10, 9, tzinfo=UTC)
EXPORTED = datetime(2026, 4, 13, 23, tzinfo=UTC)  # the main timeline's end: the exports are taken
LATE = EXPORTED + timedelta(hours=11)  # during the retention phase


def _message(message_id: str, sender: str, to: str, kind: str, at: datetime, reference: str,
             in_reply_to: str | None = None, **directive: Any) -> Observed:
    return Observed(message_id=message_id, channel="SIENA", sender=sender, to=[to], created_at=at,
                    in_reply_to=in_reply_to,
                    directive={"kind": kind, "case_reference": reference, "language": "en", **directive})


def _request(message_id: str, sender: str, at: datetime, reference: str) -> Observed:
    return _message(message_id, sender, "SPOC-AT", "REQUEST", at, reference,
                    request={"urgent": False, "requester_type": "SPOC"})


def _reply(message_id: str, to: str, at: datetime, reference: str, request: str) -> Observed:
    return _message(message_id, "SPOC-AT", to, "REPLY", at, reference, in_reply_to=request,
                    information=[{"item_id": "I1"}])


def _exchange(key: str, request: Observed) -> Exchange:
    return Exchange(key=key, scenario="s", kind=ExchangeKind.INCOMING_REQUEST, title=key,
                    requirements=["R-52", "R-80", "R-81", "R-83", "R-86", "R-88", "R-97", "R-98"],
                    message_id=request.message_id, reference=request.case_reference, requester=request.sender,
                    counterpart=request.sender, urgent=False, sent_at=request.created_at)


def _case(case_id: str, request: Observed, *answers: Observed, europol: str | None = None) -> ExportedCaseRecord:
    coms: list[dict[str, Any]] = [{"message_id": request.message_id, "direction": "INCOMING", "channel": "SIENA"}]
    coms += [{"message_id": m.message_id, "direction": "OUTGOING", "channel": "SIENA"} for m in answers]
    return ExportedCaseRecord(case_id=case_id, direction="INCOMING", kind="REQUEST", reference=request.case_reference,
                      europol_decision=europol, communications=coms)


def _audit(case_id: str, *operations: str) -> list[ExportedAuditEntry]:
    return [ExportedAuditEntry(at=START, actor="officer-1", operation=op, case_id=case_id, justification="Art 16",
                       recipient="SPOC-SE" if op == "DISCLOSURE" else None) for op in operations]


def _statistics(replied: int) -> dict[str, Any]:
    def section(total: int, by_state: dict[str, int]) -> dict[str, Any]:
        return {"total": total, "urgent": 0, "non_urgent": total,
                "by_requesting_state": {s: {"total": n, "urgent": 0, "non_urgent": n} for s, n in by_state.items()}}

    return {
        "year": 2026,
        "requests_submitted": {"total": 0, "by_spoc": 0, "by_competent_authorities": 0},
        "requests_received": section(3, {"SE": 1, "LU": 1, "RO": 1}),
        "requests_replied": section(replied, {"LU": replied} if replied else {}),
        "requests_refused": {"total": 0, "by_ground": {}, "by_requesting_state": {}},
        "judicial_authorisation_deviations": {"total": 0, "by_requesting_state": {}},
    }


def _campaign(*, replied_in_statistics: int = 1) -> CampaignView:
    """Four incoming requests; what AT did with each, before and after the export at EXPORTED."""
    ledger = Ledger(seed=1, sut_parties=["SPOC-AT"])
    answered_late = _request("SIENA-1", "SPOC-SE", START, "SE-1")
    late_reply = _reply("SIENA-2", "SPOC-SE", LATE, "SE-1", "SIENA-1")
    answered_unrecorded = _request("SIENA-3", "SPOC-LU", START, "LU-1")
    unrecorded_reply = _reply("SIENA-4", "SPOC-LU", START + timedelta(hours=2), "LU-1", "SIENA-3")
    refused_late = _request("SIENA-5", "SPOC-RO", START, "RO-1")
    late_refusal = _message("SIENA-6", "SPOC-AT", "SPOC-RO", "REFUSAL", LATE, "RO-1", in_reply_to="SIENA-5",
                            refusal_grounds=["NA"])
    received_late = _request("SIENA-7", "SPOC-BE", LATE, "BE-1")
    ledger.observe([answered_late, answered_unrecorded, unrecorded_reply, refused_late, late_reply, late_refusal,
                    received_late])
    for key, request in (("late-reply", answered_late), ("unrecorded-reply", answered_unrecorded),
                         ("late-refusal", refused_late), ("late-request", received_late)):
        ledger.add_exchange(_exchange(key, request))
    exports = Exports(
        at=EXPORTED,
        cases=[_case("AT-1", answered_late), _case("AT-2", answered_unrecorded), _case("AT-3", refused_late)],
        audit=[*_audit("AT-1", "COLLECTION", "CONSULTATION"), *_audit("AT-2", "COLLECTION", "CONSULTATION"),
               *_audit("AT-3", "COLLECTION", "CONSULTATION")],
        statistics={2026: _statistics(replied_in_statistics), 2025: None},
    )
    result = CampaignResult(
        settings=CampaignSettings(), ledger=ledger, info=SutInfo(state="AT", parties=["SPOC-AT"]),
        scenarios=[], requirements=[], network_start=START, network_end=LATE + timedelta(days=180),
        wall_seconds=0.0, steps=0, exports=exports, main_end=EXPORTED,
    )
    return CampaignView(result)


def _judge(requirement: str) -> Judge:
    return Judge(check_id=requirement, title="t", requirements=(requirement,), article="Art 16")


def _failed(judge: Judge) -> list[str]:
    return [f.instance for f in judge.findings if f.outcome is Outcome.FAILED]


@pytest.mark.parametrize(("check", "requirement", "blamed"), [
    (art16_case_management.test_requests_and_communications_recorded, "R-81", ["unrecorded-reply:SIENA-4"]),
    (art16_case_management.test_siena_interoperability, "R-86", ["unrecorded-reply:SIENA-4"]),
    (art16_case_management.test_provisions_recorded, "R-83", ["unrecorded-reply:SIENA-4"]),
    (art16_case_management.test_audit_log, "R-88", ["unrecorded-reply"]),
])
def test_case_records_are_judged_up_to_the_export(check: Any, requirement: str, blamed: list[str]) -> None:
    judge = _judge(requirement)
    check(_campaign(), judge)
    # The reply sent before the export and missing from it still fails; the late reply and refusal do not.
    assert _failed(judge) == blamed
    judged = " ".join(f.instance + f.observed for f in judge.findings)
    for later in ("SIENA-2", "SIENA-6", "SIENA-7", "late-request"):
        assert later not in judged
    message = judge.message()
    assert "exported at 2026-04-13T23:00:00Z" in message
    assert "SIENA-2 REPLY at 2026-04-14T10:00:00Z" in message


def test_exchange_opened_after_the_export_is_not_looked_for_in_it() -> None:
    judge = _judge("R-80")
    art16_case_management.test_one_cms_holds_every_exchange(_campaign(), judge)
    assert [f.instance for f in judge.findings] == ["late-refusal", "late-reply", "unrecorded-reply"]
    assert judge.outcome is Outcome.PASSED
    assert "SIENA-7 REQUEST at 2026-04-14T10:00:00Z" in judge.message()


def test_europol_decision_is_judged_only_for_provisions_before_the_export() -> None:
    judge = _judge("R-52")
    art11_13_languages_channels.test_europol_copy_decided_case_by_case(_campaign(), judge)
    # AT-2 provided information before the export and records no decision; AT-1 provided only later.
    assert _failed(judge) == ["unrecorded-reply"]
    assert [f.instance for f in judge.findings] == ["unrecorded-reply"]


def test_statistics_count_the_exchanges_up_to_the_export() -> None:
    replied, refused = _judge("R-97"), _judge("R-98")
    art18_statistics.test_requests_received_and_replied(_campaign(), replied)
    art18_statistics.test_requests_refused(_campaign(), refused)
    assert replied.outcome is Outcome.PASSED, replied.message()
    assert refused.outcome is Outcome.PASSED, refused.message()
    assert "SIENA-6 REFUSAL" in refused.message()
    # A reply given before the export that the statistics leave out is still a wrong figure.
    undercounted = _judge("R-97")
    art18_statistics.test_requests_received_and_replied(_campaign(replied_in_statistics=0), undercounted)
    assert _failed(undercounted) == ["requests_replied 2026"]
    assert "requests_replied[total] = 0, ledger 1" in undercounted.findings[1].observed


def test_the_whole_campaign_still_sees_the_late_messages() -> None:
    """Only the records judgement is bounded: deadline checks must see a late answer as late."""
    campaign = _campaign()
    exported = campaign.as_exported()
    late = campaign.ledger.exchanges["late-reply"]
    assert [m.message_id for m in campaign.journal.answers(late)] == ["SIENA-2"]
    assert exported.journal.answers(late) == []
    assert [m.message_id for m in exported.left_out] == ["SIENA-2"]
    assert exported.as_of == EXPORTED
    assert campaign.as_of is None
    assert campaign.left_out == []
    assert len(exported.ledger.observed) == len(campaign.ledger.observed)  # the journal's ids stay known
    assert exported.journal.message("SIENA-7") is None
    assert campaign.journal.message("SIENA-7") is not None
