"""Art 4: the requests the SUT sends (stimulated through the SUT test interface), as the foreign SPOC sees them."""

from __future__ import annotations

import pytest

from conformance.campaign.view import CampaignView
from conformance.checks._ground_truth import decided_exception
from conformance.checks._support import copy_finding, languages_of
from conformance.ledger import Exchange, ExchangeKind, Observed
from conformance.verdicts import Judge
from simulators.model.directive import CopyExceptionGround, InformationRequest, request_content_violations
from simulators.model.parties import party

_COPY_EXCEPTION_GROUNDS = frozenset(g.value for g in CopyExceptionGround)


def _requests(campaign: CampaignView, requirement: str | None = None) -> list[tuple[Exchange, Observed]]:
    """The requests the SUT sent, with their messages: those `requirement` judges if given (the applicability
    model's sender roles: Art 4 binds the SPOC and designated authorities, not an Art 8 direct request)."""
    found = []
    for exchange in campaign.journal.exchanges(ExchangeKind.OUTGOING_REQUEST, requirement=requirement):
        message = campaign.journal.message(exchange.message_id)
        if message is not None:
            found.append((exchange, message))
    return found


def _request(message: Observed) -> InformationRequest | None:
    raw = message.field("request")
    if not isinstance(raw, dict):
        return None
    try:
        return InformationRequest.model_validate(raw)
    except ValueError:
        return None


def _unsent(judge: Judge, campaign: CampaignView, rule: str) -> None:
    for exchange in campaign.journal.exchanges(ExchangeKind.OUTGOING_REQUEST, requirement=judge.requirement):
        if exchange.facts.get("not_done"):
            judge.inconclusive(exchange.key, rule=rule, observed=f"not carried out: {exchange.facts['not_done']}")
        elif exchange.message_id is None:
            judge.failed(exchange.key, rule=rule, expected="the SUT sends the request it was told to send",
                         observed="; ".join(exchange.problems) or "no request observed")


@pytest.mark.requirement("R-01", article="Art 4(1) §1")
def test_requests_meet_article_4(campaign: CampaignView, judge: Judge) -> None:
    """Requests the SUT sends meet Art 4(2)-(6): content, urgency, language, addressee."""
    rule = "a request to another member state's SPOC meets Art 4(2)-(6) (Art 4(1) §1)"
    _unsent(judge, campaign, rule)
    for exchange, message in _requests(campaign, judge.requirement):
        request = _request(message)
        evidence = campaign.journal.evidence(exchange)
        if request is None:
            judge.failed(exchange.key, rule=rule, evidence=evidence, expected="a REQUEST carrying the Art 4 request",
                         observed=f"{message.summary()} carries no readable request")
            continue
        problems = [str(v) for v in request_content_violations(request)]
        state = party(message.to[0]).state if message.to else None
        if state and request.language not in languages_of(state):
            problems.append(f"language {request.language} is not on {state}'s Art 11 list (Art 4(6))")
        judge.check(not problems, exchange.key, rule=rule, evidence=evidence,
                    observed=f"{message.summary()}: " + ("; ".join(problems) or "complete"),
                    expected="every Art 4(4)-(6) element present")


@pytest.mark.requirement("R-03", article="Art 4(1) §3")
def test_designated_authority_copies_its_spoc(campaign: CampaignView, judge: Judge) -> None:
    """A domestic designated authority's request to a foreign SPOC is copied to its own SPOC at the same time."""
    rule = "the designated authority sends a copy to its own SPOC at the same time (Art 4(1) §3)"
    found = False
    for exchange, message in _requests(campaign):
        if exchange.facts.get("stimulus", {}).get("by") != "DESIGNATED_AUTHORITY":
            continue
        found = True
        exception, invalid = decided_exception(exchange, message.field("copy_exception"))
        copy_finding(campaign, judge, exchange.key, message, campaign.spoc, rule=rule, exception=exception,
                     invalid_exception=invalid)
        exported = campaign.as_exported()
        if exported.as_of is not None and message.created_at > exported.as_of:
            judge.inconclusive(f"{exchange.key}[records]", rule=rule + " and is recorded",
                               observed=f"{message.summary()}; sent after the SUT's records were exported at "
                                        f"{exported.as_of.isoformat()}")
            continue
        case_ids = [c.case_id for c in exported.records.cases_of_message(message.message_id)]
        judge.check(bool(case_ids) or bool(exception), f"{exchange.key}[records]", rule=rule + " and is recorded",
                    observed=f"the SUT's records hold {message.message_id} in {case_ids or 'no case'}",
                    expected="the request (or its copy) in the SPOC's case records")
    if not found:
        judge.not_applicable("no designated authority request was stimulated")


@pytest.mark.requirement("R-04", article="Art 4(2)")
def test_omitted_copy_records_exception(campaign: CampaignView, judge: Judge) -> None:
    """A designated authority's request sent without the SPOC copy records the Art 4(2) exception ground."""
    rule = "the copy may be omitted only on an Art 4(2)(a)-(c) ground, recorded case by case"
    for exchange, message in _requests(campaign):
        if exchange.facts.get("stimulus", {}).get("by") != "DESIGNATED_AUTHORITY":
            continue
        copied = bool(campaign.journal.copies(message, campaign.spoc)
                      or campaign.records.internal_copies(message, campaign.spoc))
        case = campaign.records.case(exchange)
        exception = message.field("copy_exception") or (case.copy_exception if case else None)
        if copied:
            judge.passed(exchange.key, rule=rule, observed="the copy was sent; no exception was needed")
        else:
            listed = str(exception) in _COPY_EXCEPTION_GROUNDS
            _, invalid = decided_exception(exchange, exception)
            judge.check(listed and not invalid, exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                        observed=f"no copy to {campaign.spoc}; exception recorded: {exception or 'none'}"
                        + ("" if listed or not exception else " (not an Art 4(2)(a)-(c) ground)")
                        + (f"; {invalid}" if invalid else ""),
                        expected="an exception ground (" + ", ".join(sorted(_COPY_EXCEPTION_GROUNDS)) + ")")


@pytest.mark.requirement("R-05", article="Art 4(3)")
def test_request_states_necessity_and_availability(campaign: CampaignView, judge: Judge) -> None:
    """Requests state why the information is necessary and proportionate and why it is available there."""
    rule = "objective reasons of necessity and proportionality and of availability are stated (Art 4(3))"
    _unsent(judge, campaign, rule)
    for exchange, message in _requests(campaign, judge.requirement):
        request = _request(message)
        missing = [name for name in ("necessity_proportionality", "availability_reasons")
                   if request is None or not (getattr(request, name) or "").strip()]
        judge.check(not missing, exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                    observed=f"{message.message_id}: "
                    + (f"missing {', '.join(missing)}" if missing else "both stated"),
                    expected="necessity_proportionality and availability_reasons stated")


@pytest.mark.requirement("R-06", article="Art 4(4)")
def test_urgency_stated_with_reasons(campaign: CampaignView, judge: Judge) -> None:
    """A request says whether it is urgent and, if so, why (an Art 4(4) criterion and reasons)."""
    rule = "the request states whether it is urgent and, if urgent, the reasons (Art 4(4))"
    _unsent(judge, campaign, rule)
    for exchange, message in _requests(campaign, judge.requirement):
        request = _request(message)
        wanted = bool(exchange.facts.get("stimulus", {}).get("urgent"))
        problems = []
        if request is None:
            problems.append("no request content")
        else:
            if request.urgent != wanted:
                problems.append(f"urgent={request.urgent} but the operator marked it urgent={wanted}")
            if request.urgent and not (request.urgency_reasons and request.urgency_criteria):
                problems.append("urgent without urgency reasons and an Art 4(4) criterion")
            if request.urgent and message.channel == "SIENA" and message.payload.get("urgency") != "URGENT":
                problems.append("the SIENA message is not flagged URGENT")
        judge.check(not problems, exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                    observed=f"{message.message_id}: " + ("; ".join(problems) or f"urgent={wanted}, stated correctly"),
                    expected="the urgency flag as decided, with criterion and reasons when urgent")


@pytest.mark.requirement("R-07", article="Art 4(5)")
def test_request_has_minimum_content(campaign: CampaignView, judge: Judge) -> None:
    """Requests carry every Art 4(5)(a)-(f) element (working reading of the field list)."""
    rule = "the request contains the Art 4(5)(a)-(f) elements"
    _unsent(judge, campaign, rule)
    for exchange, message in _requests(campaign, judge.requirement):
        request = _request(message)
        problems = ["no request content"] if request is None else [str(v) for v in request_content_violations(request)]
        judge.check(not problems, exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                    observed=f"{message.message_id}: " + ("; ".join(problems) or "all elements present"),
                    expected="info_requested, purpose, offence, availability reasons, subject link, restrictions")


@pytest.mark.requirement("R-08", article="Art 4(6)")
def test_request_language_on_recipient_list(campaign: CampaignView, judge: Judge) -> None:
    """Requests are written in a language the requested state notified under Art 11."""
    rule = "the request is in one of the requested state's Art 11 languages (Art 4(6))"
    _unsent(judge, campaign, rule)
    for exchange, message in _requests(campaign, judge.requirement):
        state = party(message.to[0]).state if message.to else None
        allowed = languages_of(state) if state else []
        judge.check(message.language in allowed, exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                    observed=f"{message.message_id} to {', '.join(message.to)} in {message.language}",
                    expected=f"one of {', '.join(allowed)}")
