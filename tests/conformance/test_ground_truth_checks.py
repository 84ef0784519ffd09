"""Checks judge on what the harness knows (fixtures it loaded, exchanges it set up), not on the SUT's account.

Hand-built campaigns: one incoming request, the fixture the harness loaded for it, and the SUT's reply; an
outgoing request and what the requested SPOC asked; a hand-over the harness made while the court decided.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from conformance.campaign.runner import CampaignResult, Exports
from conformance.campaign.view import CampaignView
from conformance.checks import (
    art05_provision,
    art10_personal_data,
    art11_13_languages_channels,
    art14_spoc_tasks,
    art16_case_management,
)
from conformance.ledger import Exchange, ExchangeKind, Ledger, Observed
from conformance.settings import CampaignSettings
from conformance.sut import ExportedAuditEntry, ExportedCaseRecord, SutInfo
from conformance.verdicts import Judge
from reports.results import Outcome

AT = datetime(2026, 3, 31, 14, tzinfo=UTC)
DATED = "2025-11-04T09:15:00+00:00"


def _view(ledger: Ledger, *, cases: list[ExportedCaseRecord] | None = None,
          audit: list[ExportedAuditEntry] | None = None, settings: CampaignSettings | None = None) -> CampaignView:
    result = CampaignResult(
        settings=settings or CampaignSettings(), ledger=ledger, info=SutInfo(state="AT", parties=["SPOC-AT"]),
        scenarios=[], requirements=[], network_start=AT, network_end=AT, wall_seconds=0.0, steps=0,
        exports=Exports(at=AT, cases=cases or [], audit=audit or []),
    )
    return CampaignView(result)


def _message(message_id: str, sender: str, to: str, directive: dict[str, Any], channel: str = "SIENA",
             **extra: Any) -> Observed:
    return Observed(message_id=message_id, channel=channel, sender=sender, to=[to], created_at=AT,
                    directive=directive, **extra)


def _campaign(record: dict[str, Any], information: dict[str, Any], *, stated: str = "SUSPECT",
              requirements: tuple[str, ...] = ("R-47", "R-48", "R-49")) -> Ledger:
    """A request about Jo Bloggs (the requester calls Jo a `stated`), the fixture, and the SUT's reply."""
    ledger = Ledger(seed=1, sut_parties=["SPOC-AT"])
    ledger.record(at=AT, actor="sut", what="fixtures", method="PUT", url="/sut/v1/fixtures", status=200,
                  request={"records": [{"subject": "Jo Bloggs", "item": "Jo Bloggs: held item", **record},
                                       {"subject": "Someone Else", "item": "other", "subject_category": "VICTIM"}]})
    request = {"items": [{"item_id": "I1", "description": "d", "entity_id": "P1"}],
               "entities": [{"entity_id": "P1", "type": "PERSON", "attributes": {"name": "JO BLOGGS"},
                             "subject_category": stated}]}
    ledger.observe([
        _message("SIENA-1", "SPOC-DE", "SPOC-AT", {"kind": "REQUEST", "case_reference": "DE-1", "request": request}),
        _message("SIENA-2", "SPOC-AT", "SPOC-DE", {"kind": "REPLY", "case_reference": "DE-1", "information": [
            {"item_id": "I1", "content": "Jo Bloggs: held item", "source_reliability": "B",
             "information_accuracy": "2", **information}]}, in_reply_to="SIENA-1"),
    ])
    ledger.add_exchange(Exchange(key="incoming", scenario="s", kind=ExchangeKind.INCOMING_REQUEST, title="t",
                                 requirements=list(requirements), message_id="SIENA-1", reference="DE-1",
                                 requester="SPOC-DE", expected={"I1": "provide"}))
    return ledger


def _judge(requirement: str) -> Judge:
    return Judge(check_id=requirement, title="t", requirements=(requirement,), article="Art 10")


@pytest.mark.parametrize(("label", "categories", "outcome"), [
    # A witness labelled a suspect: the suspect's categories are outside Section B for the witness.
    ("SUSPECT", ["PERSONAL_DETAILS", "FINANCIAL"], Outcome.FAILED),
    ("WITNESS", ["PERSONAL_DETAILS", "FINANCIAL"], Outcome.FAILED),
    ("SUSPECT", ["PERSONAL_DETAILS"], Outcome.PASSED),
])
def test_annex_categories_follow_the_database_not_the_reply(label: str, categories: list[str],
                                                            outcome: Outcome) -> None:
    ledger = _campaign({"subject_category": "WITNESS"}, {"subject_category": label, "data_categories": categories})
    judge = _judge("R-48")
    art10_personal_data.test_personal_data_within_annex_categories(_view(ledger), judge)
    assert [f.outcome for f in judge.findings] == [outcome]
    assert "data subject WITNESS (per the national database)" in judge.findings[0].observed


@pytest.mark.parametrize(("held", "given", "outcome"), [
    (None, None, Outcome.PASSED),  # as far as possible: the database had no date, an honest null
    (DATED, DATED, Outcome.PASSED),
    (DATED, "2025-11-04T09:15:00.400000Z", Outcome.PASSED),
    (DATED, None, Outcome.FAILED),  # the database dated it: the date must be passed on
    (DATED, "2026-03-27T09:00:00Z", Outcome.FAILED),  # another date makes old data look current
])
def test_date_of_last_update_as_the_database_holds_it(held: str | None, given: str | None,
                                                      outcome: Outcome) -> None:
    record = {"subject_category": "SUSPECT"} | ({"last_updated": held} if held else {})
    ledger = _campaign(record, {"data_categories": ["PERSONAL_DETAILS"], "last_updated": given})
    for requirement, check in (("R-49", art10_personal_data.test_elements_to_assess_the_data),
                               ("R-47", art10_personal_data.test_inaccurate_data_not_provided)):
        judge = _judge(requirement)
        check(_view(ledger), judge)
        assert [f.outcome for f in judge.findings] == [outcome], requirement


def _audited_clarification(operations: list[str]) -> tuple[Ledger, list[ExportedCaseRecord], list[ExportedAuditEntry]]:
    ledger = _campaign({}, {"data_categories": ["PERSONAL_DETAILS"]}, requirements=("R-88",))
    ledger.observe([_message("SIENA-3", "SPOC-DE", "SPOC-AT", {
        "kind": "CLARIFICATION", "case_reference": "DE-1", "amended_request": {"reference": "DE-1"}})])
    ledger.exchanges["incoming"].add_event("clarification_received", AT, "SIENA-3")
    case = ExportedCaseRecord(case_id="AT-1", reference="DE-1",
                      communications=[{"message_id": m} for m in ("SIENA-1", "SIENA-2", "SIENA-3")])
    audit = [ExportedAuditEntry(at=AT, actor="clerk", operation=op, case_id="AT-1", justification="j",
                        recipient="SPOC-DE" if op == "DISCLOSURE" else None) for op in operations]
    return ledger, [case], audit


@pytest.mark.parametrize(("operations", "outcome"), [
    (["COLLECTION", "CONSULTATION", "DISCLOSURE", "ALTERATION"], Outcome.PASSED),
    (["COLLECTION", "CONSULTATION", "DISCLOSURE"], Outcome.FAILED),  # the clarification altered the request
    (["COLLECTION", "CONSULTATION", "ALTERATION"], Outcome.FAILED),  # the reply to SPOC-DE was a disclosure
])
def test_audit_log_holds_every_operation_the_flow_caused(operations: list[str], outcome: Outcome) -> None:
    ledger, cases, audit = _audited_clarification(operations)
    judge = _judge("R-88")
    art16_case_management.test_audit_log(_view(ledger, cases=cases, audit=audit), judge)
    assert [f.outcome for f in judge.findings] == [outcome]


@pytest.mark.parametrize(("exception", "third_countries", "outcome"), [
    ("3C", ["US"], Outcome.PASSED),
    ("3C", [], Outcome.FAILED),  # no third country in the exchange the harness set up
])
def test_third_country_exception_needs_a_third_country(exception: str, third_countries: list[str],
                                                       outcome: Outcome) -> None:
    ledger = Ledger(seed=1, sut_parties=["SPOC-AT", "NCB-AT"])
    ledger.observe([
        _message("I-1", "NCB-DE", "NCB-AT", {"kind": "REQUEST", "case_reference": "DE-1"}, channel="INTERPOL"),
        _message("I-2", "NCB-AT", "NCB-DE", {"kind": "REPLY", "case_reference": "DE-1",
                                             "channel_exception": exception}, channel="INTERPOL", in_reply_to="I-1"),
    ])
    ledger.add_exchange(Exchange(key="interpol", scenario="s", kind=ExchangeKind.INCOMING_REQUEST, title="t",
                                 requirements=["R-55"], message_id="I-1", reference="DE-1", requester="NCB-DE",
                                 urgent=False, facts={"third_countries": third_countries}))
    settings = CampaignSettings(siena_obligation_date=AT.date())
    judge = _judge("R-55")
    art11_13_languages_channels.test_other_channels_only_on_exceptions(_view(ledger, settings=settings), judge)
    assert [f.outcome for f in judge.findings] == [outcome]


@pytest.mark.parametrize(("status", "outcome", "concluded", "expected"), [
    # Answered on the channels but still waiting for the court in the CMS: never concluded, never reviewed.
    ("AWAITING_JUDICIAL_AUTHORISATION", None, False, [Outcome.FAILED]),
    # Concluded, but as a refusal although the channels carried the information.
    ("CONCLUDED", "REFUSED", True, [Outcome.FAILED]),
    # Concluded as answered, its review planned in time but not yet due when the campaign stopped observing.
    ("CONCLUDED", "REPLIED", True, [Outcome.INCONCLUSIVE]),
    # No concluded_at: said as such (the review is judged from the channels' end), never silently replaced.
    ("CONCLUDED", "REPLIED", False, [Outcome.INCONCLUSIVE, Outcome.INCONCLUSIVE]),
])
def test_conclusion_is_judged_against_the_channels(status: str, outcome: str | None, concluded: bool,
                                                   expected: list[Outcome]) -> None:
    ledger = _campaign({"subject_category": "SUSPECT"}, {"data_categories": ["PERSONAL_DETAILS"]},
                       requirements=("R-91",))
    case = ExportedCaseRecord(case_id="AT-1", direction="INCOMING", kind="REQUEST", reference="DE-1", status=status,
                      outcome=outcome, concluded_at=AT if concluded else None,
                      retention_review_due=datetime(2026, 9, 27, 14, tzinfo=UTC),
                      communications=[{"message_id": "SIENA-1", "channel": "SIENA", "direction": "INCOMING"}])
    judge = _judge("R-91")
    art16_case_management.test_retention_reviewed_within_six_months(_view(ledger, cases=[case]), judge)
    assert [f.outcome for f in judge.findings] == expected, [f.observed for f in judge.findings]
    if status != "CONCLUDED":
        assert "AWAITING_JUDICIAL_AUTHORISATION and no concluded_at" in judge.findings[0].observed
    if status == "CONCLUDED" and not concluded:
        assert "without concluded_at" in judge.findings[0].observed


@pytest.mark.parametrize(("status", "outcome", "concluded", "expected"), [
    # The German reply was filed, but the SUT's own request case never concluded: no review runs from its end.
    ("AWAITING_REPLY", None, False, [Outcome.FAILED]),
    # Concluded, but as partly refused although the requested state only replied.
    ("CONCLUDED", "PARTIALLY_REFUSED", True, [Outcome.FAILED]),
    # Concluded as the reply gave it, its review planned in time but not yet due when observation stopped.
    ("CONCLUDED", "REPLIED", True, [Outcome.INCONCLUSIVE]),
])
def test_own_request_concludes_when_the_requested_state_answers(status: str, outcome: str | None, concluded: bool,
                                                                expected: list[Outcome]) -> None:
    ledger = Ledger(seed=1, sut_parties=["SPOC-AT"])
    ledger.observe([
        _message("SIENA-1", "SPOC-AT", "SPOC-DE", {"kind": "REQUEST", "case_reference": "AT-1"}),
        _message("SIENA-2", "SPOC-DE", "SPOC-AT", {"kind": "REPLY", "case_reference": "DE-7"}, in_reply_to="SIENA-1"),
    ])
    ledger.add_exchange(Exchange(key="outgoing", scenario="s", kind=ExchangeKind.OUTGOING_REQUEST, title="t",
                                 requirements=["R-91"], message_id="SIENA-1", reference="AT-1"))
    case = ExportedCaseRecord(case_id="AT-1", direction="OUTGOING", kind="REQUEST", reference="AT-1", status=status,
                      outcome=outcome, concluded_at=AT if concluded else None,
                      retention_review_due=datetime(2026, 9, 27, 14, tzinfo=UTC),
                      communications=[{"message_id": m, "channel": "SIENA"} for m in ("SIENA-1", "SIENA-2")])
    judge = _judge("R-91")
    art16_case_management.test_retention_reviewed_within_six_months(_view(ledger, cases=[case]), judge)
    assert [f.outcome for f in judge.findings] == expected, [f.observed for f in judge.findings]
    if status != "CONCLUDED":
        assert "requested state's last answer reached the SUT" in judge.findings[0].observed
        assert "AWAITING_REPLY and no concluded_at" in judge.findings[0].observed


_STIMULUS = {"subject": "Ole Brun", "offence": "burglary of a pharmacy", "subject_link": "Ole Brun is a suspect"}


def _asked_to_clarify(clarification: dict[str, Any], in_reply_to: str | None = "SIENA-2") -> Ledger:
    """The SUT's request AT-1 to SPOC-DE, the German question on the offence and subject link, the SUT's answer."""
    ledger = Ledger(seed=1, sut_parties=["SPOC-AT"])
    ledger.observe([
        _message("SIENA-1", "SPOC-AT", "SPOC-DE", {"kind": "REQUEST", "case_reference": "AT-1"}),
        _message("SIENA-2", "SPOC-DE", "SPOC-AT", {"kind": "CLARIFICATION_REQUEST", "case_reference": "AT-1",
                                                   "questions": "offence? link?"}, in_reply_to="SIENA-1"),
        _message("SIENA-3", "SPOC-AT", "SPOC-DE", {"kind": "CLARIFICATION", **clarification}, in_reply_to=in_reply_to),
    ])
    exchange = ledger.add_exchange(Exchange(
        key="outgoing", scenario="s", kind=ExchangeKind.OUTGOING_REQUEST, title="t", requirements=["R-66"],
        message_id="SIENA-1", reference="AT-1", subject="Ole Brun",
        facts={"stimulus": _STIMULUS, "clarification_asked": ["offence", "subject_link"]}))
    exchange.add_event("clarification_requested_by_harness", AT, "SIENA-2")
    exchange.add_event("clarification_answered", AT, "SIENA-3")
    return ledger


_AMENDED = {"reference": "AT-1", "offence": "burglary", "subject_link": "the suspect",
            "entities": [{"entity_id": "E1", "type": "PERSON", "attributes": {"name": "Ole Brun"}}]}


@pytest.mark.parametrize(("clarification", "in_reply_to", "outcome"), [
    ({"case_reference": "AT-1", "amended_request": _AMENDED}, "SIENA-2", Outcome.PASSED),
    # The values given in the stimulus, in the answer's text, answer the question too.
    ({"case_reference": "AT-1", "answers": "Burglary of a pharmacy; Ole Brun is a suspect."}, "SIENA-2",
     Outcome.PASSED),
    # A form letter: it points to an amended request that is not there.
    ({"case_reference": "AT-1", "answers": "Complete as restated; see the amended request."}, "SIENA-2",
     Outcome.FAILED),
    ({"case_reference": "AT-1", "amended_request": {**_AMENDED, "offence": None}}, "SIENA-2", Outcome.FAILED),
    ({"case_reference": "AT-1", "amended_request": {**_AMENDED, "reference": "AT-9"}}, "SIENA-2", Outcome.FAILED),
    ({"case_reference": "AT-1", "amended_request": {**_AMENDED, "entities": []}}, "SIENA-2", Outcome.FAILED),
    # Neither in the question's thread nor under the request's reference.
    ({"case_reference": "AT-9", "amended_request": _AMENDED}, None, Outcome.FAILED),
])
def test_a_clarification_answers_what_was_asked(clarification: dict[str, Any], in_reply_to: str | None,
                                                outcome: Outcome) -> None:
    judge = _judge("R-66")
    art14_spoc_tasks.test_clarification_given_when_asked(_view(_asked_to_clarify(clarification, in_reply_to)), judge)
    assert [f.outcome for f in judge.findings] == [outcome], judge.findings


@pytest.mark.parametrize(("reply_in", "outcome"), [("AT-1", Outcome.PASSED), ("AT-2", Outcome.FAILED)])
def test_a_reply_is_recorded_in_the_case_of_the_request_it_answers(reply_in: str, outcome: Outcome) -> None:
    """The German SPOC's reply quotes its own reference; the harness tied it to the request by its thread."""
    ledger = Ledger(seed=1, sut_parties=["SPOC-AT"])
    ledger.observe([
        _message("SIENA-1", "SPOC-AT", "SPOC-DE", {"kind": "REQUEST", "case_reference": "AT-1"}),
        _message("SIENA-2", "SPOC-DE", "SPOC-AT", {"kind": "REPLY", "case_reference": "DE-77"},
                 in_reply_to="SIENA-1"),
    ])
    exchange = ledger.add_exchange(Exchange(key="outgoing", scenario="s", kind=ExchangeKind.OUTGOING_REQUEST,
                                            title="t", requirements=["R-81"], message_id="SIENA-1", reference="AT-1"))
    exchange.add_event("reply_received", AT, "SIENA-2")
    held = {"AT-1": [{"message_id": "SIENA-1"}], "AT-2": []}
    held[reply_in].append({"message_id": "SIENA-2"})
    cases = [ExportedCaseRecord.model_validate({"case_id": case_id, "communications": communications})
             for case_id, communications in held.items()]
    judge = _judge("R-81")
    art16_case_management.test_requests_and_communications_recorded(_view(ledger, cases=cases), judge)
    reply = [f for f in judge.findings if f.instance == "outgoing:SIENA-2"]
    assert [f.outcome for f in reply] == [outcome]


@pytest.mark.parametrize(("back_at", "outcome"), [
    (None, Outcome.PASSED),  # the court's information came back with the SPOC's reply, no hand-back recorded
    (datetime(2026, 4, 3, 9, tzinfo=UTC), Outcome.PASSED),  # after the court granted
    (datetime(2026, 3, 29, 9, tzinfo=UTC), Outcome.FAILED),  # while the court had not decided
])
def test_nothing_comes_back_from_the_authority_before_the_court_allowed_it(back_at: datetime | None,
                                                                           outcome: Outcome) -> None:
    ledger = Ledger(seed=1, sut_parties=["SPOC-AT"])
    ledger.observe([_message("SIENA-1", "SPOC-BE", "SPOC-AT", {"kind": "REQUEST", "case_reference": "BE-1"})])
    exchange = ledger.add_exchange(Exchange(
        key="incoming", scenario="s", kind=ExchangeKind.INCOMING_REQUEST, title="t", requirements=["R-82"],
        message_id="SIENA-1", reference="BE-1", facts={"judicial": "granted", "handed_over_to": "LEA-AT"}))
    exchange.add_event("handed_over", datetime(2026, 3, 27, 15, 25, tzinfo=UTC), detail="LEA-AT")
    exchange.add_event("judicial_granted", datetime(2026, 4, 2, 15, tzinfo=UTC))
    communications: list[dict[str, Any]] = [
        {"message_id": "SIENA-1"},
        {"message_id": "NATIONAL-AT-1", "channel": "NATIONAL", "direction": "OUTGOING", "kind": "HAND_OVER",
         "sender": "SPOC-AT", "recipients": ["LEA-AT"], "counterpart": "LEA-AT", "at": "2026-03-27T15:25:00Z"}]
    if back_at is not None:
        communications.append({"message_id": "NATIONAL-AT-2", "channel": "NATIONAL", "direction": "INCOMING",
                               "kind": "HAND_BACK", "sender": "LEA-AT", "recipients": ["SPOC-AT"],
                               "counterpart": "LEA-AT", "at": back_at.isoformat()})
    case = ExportedCaseRecord.model_validate({"case_id": "AT-1", "reference": "BE-1", "communications": communications})
    judge = _judge("R-82")
    art16_case_management.test_domestic_communications_recorded(_view(ledger, cases=[case]), judge)
    assert [f.outcome for f in judge.findings] == [outcome], judge.findings


_GRANTED = "Jo Bloggs: bank accounts"
_REFUSED = "Jo Bloggs: call records"


@pytest.mark.parametrize(("answers", "outcome"), [
    # Refused whole on JR: nothing of the refused record goes out.
    ([("REFUSAL", None)], Outcome.PASSED),
    # The granted record provided and the rest refused: lawful, record by record.
    ([("REPLY", {"content": _GRANTED, "data_categories": ["FINANCIAL"]}), ("REFUSAL", None)], Outcome.PASSED),
    # The granted record in the SUT's own words: judged by the categories, still only the granted one's.
    ([("REPLY", {"content": "two accounts at Erste Bank", "data_categories": ["FINANCIAL"]})], Outcome.PASSED),
    # The grant taken for the whole item: the refused record's text goes out.
    ([("REPLY", {"content": f"{_GRANTED}; {_REFUSED.upper()}", "data_categories": ["FINANCIAL"]})],
     Outcome.FAILED),
    # Reworded, but with the category only the refused record holds.
    ([("REPLY", {"content": "calls to +43 660 1234567", "data_categories": ["COMMUNICATION_MEANS"]})],
     Outcome.FAILED),
])
def test_what_the_court_refused_is_not_disclosed_with_what_it_granted(
        answers: list[tuple[str, dict[str, Any] | None]], outcome: Outcome) -> None:
    """One item held in two records, one granted and one refused by the court (the fixtures are the truth)."""
    ledger = Ledger(seed=1, sut_parties=["SPOC-AT"])
    ledger.record(at=AT, actor="sut", what="fixtures", method="PUT", url="/sut/v1/fixtures", status=200, request={
        "records": [{"subject": "Jo Bloggs", "item": _GRANTED, "judicial_authorisation": "GRANTED",
                     "data_categories": ["FINANCIAL"]},
                    {"subject": "Jo Bloggs", "item": _REFUSED, "judicial_authorisation": "REFUSED",
                     "data_categories": ["COMMUNICATION_MEANS"]}]})
    request = {"items": [{"item_id": "I1", "description": "d", "entity_id": "P1"}],
               "entities": [{"entity_id": "P1", "type": "PERSON", "attributes": {"name": "Jo Bloggs"}}]}
    messages = [_message("SIENA-1", "SPOC-LV", "SPOC-AT", {"kind": "REQUEST", "case_reference": "LV-1",
                                                           "request": request})]
    for number, (kind, information) in enumerate(answers, start=2):
        directive: dict[str, Any] = {"kind": kind, "case_reference": "LV-1"}
        if information is not None:
            directive["information"] = [{"item_id": "I1", **information}]
        else:
            directive |= {"refusal_grounds": ["JR"], "refused_items": ["I1"], "refusal_reasons": "court refused"}
        messages.append(_message(f"SIENA-{number}", "SPOC-AT", "SPOC-LV", directive, in_reply_to="SIENA-1"))
    ledger.observe(messages)
    ledger.add_exchange(Exchange(key="incoming", scenario="s", kind=ExchangeKind.INCOMING_REQUEST, title="t",
                                 requirements=["R-15"], message_id="SIENA-1", reference="LV-1", requester="SPOC-LV",
                                 expected={"I1": "JR"}, facts={"judicial": "refused"}))
    judge = _judge("R-15")
    art05_provision.test_judicial_authorisation_delay(_view(ledger), judge)
    withheld = [f for f in judge.findings if f.instance == "incoming[I1 refused part withheld]"]
    assert [f.outcome for f in withheld] == [outcome], judge.findings
    # The item-level JR judgement is left out for a split item: providing the granted part is lawful.
    assert not [f for f in judge.findings if f.instance == "incoming[I1 withheld]"]
