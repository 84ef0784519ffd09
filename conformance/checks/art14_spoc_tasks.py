"""Art 14(2): the SPOC's tasks as the channels and the records show them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.campaign.view import CampaignView
from conformance.checks._support import answer_pending, completion, hand_over_not_made
from conformance.ledger import Exchange, ExchangeKind, Observed
from conformance.scenarios.outgoing import CLARIFICATION_WAIT
from conformance.verdicts import Judge


@pytest.mark.requirement("R-61", article="Art 14(2)(a)")
def test_requests_received_in_notified_languages(campaign: CampaignView, judge: Judge) -> None:
    """Requests in any language of the SUT's Art 11 list are received and evaluated, not turned away."""
    rule = "the SPOC receives and evaluates requests in the languages it notified (Art 14(2)(a))"
    languages = set(campaign.result.info.languages)
    for exchange in campaign.journal.incoming(judge.requirement):
        if exchange.language not in languages or "NC" in exchange.expected.values():
            continue  # a request the harness wrote not to meet Art 4 is rightly turned away as NC
        done = completion(campaign, exchange)
        refused_nc = [i for i, (_, grounds) in done.refused.items() if "NC" in grounds]
        pending = answer_pending(campaign, exchange, done)
        if pending and not refused_nc:
            judge.inconclusive(exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                               observed=f"request in {exchange.language}; "
                                        f"{campaign.times.answers_text(exchange)}; {pending}")
            continue
        judge.check(not refused_nc and not done.missing, exchange.key, rule=rule,
                    evidence=campaign.journal.evidence(exchange),
                    observed=f"request in {exchange.language}; {campaign.times.answers_text(exchange)}"
                    + (f"; refused as not meeting Art 4 (NC): {refused_nc}" if refused_nc else ""),
                    expected=f"the request answered on its merits (notified languages {sorted(languages)})")
    judge.else_not_applicable("no request was sent")


@pytest.mark.requirement("R-62", article="Art 14(2)(b)")
def test_channelling_to_authorities_recorded(campaign: CampaignView, judge: Judge) -> None:
    """A request channelled to a domestic competent authority shows that routing and the answer in the case."""
    rule = "requests are channelled to the relevant competent authorities, and this is recorded (Art 14(2)(b))"
    for exchange in campaign.journal.incoming(judge.requirement):
        authority = exchange.facts.get("handed_over_to")
        if not authority:
            hand_over_not_made(campaign, judge, exchange, rule)
            continue
        exported = campaign.as_exported()
        replies = campaign.journal.of(exchange, "REPLY")
        if exported.as_of is not None and replies and all(r.created_at > exported.as_of for r in replies):
            judge.inconclusive(exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                               observed=f"{campaign.times.answers_text(exchange)}; "
                                        f"answered after the SUT's records were exported at "
                                        f"{exported.as_of.isoformat()}")
            continue
        case = exported.records.case(exchange)
        national = [c for c in (case.communications if case else []) if c.counterpart == authority
                    or authority in c.recipients or c.sender == authority]
        pending = answer_pending(campaign, exchange) if national and not replies else None
        if pending:
            judge.inconclusive(exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                               observed=f"communications with {authority} recorded: "
                               f"{[(c.kind, c.direction) for c in national]}; {pending}")
            continue
        judge.check(len(national) >= 1 and bool(campaign.journal.of(exchange, "REPLY")), exchange.key, rule=rule,
                    evidence=campaign.journal.evidence(exchange),
                    observed=f"communications with {authority} recorded: "
                    f"{[(c.kind, c.direction) for c in national] or 'none'}; {campaign.times.answers_text(exchange)}",
                    expected=f"the hand-over to {authority} and its answer recorded, and the information provided")
    judge.else_not_applicable("no request was handed over to a domestic authority")


@pytest.mark.requirement("R-64", article="Art 14(2)(d)")
def test_information_provided_on_request(campaign: CampaignView, judge: Judge) -> None:
    """Information the national databases hold, and no ground withholds, is provided on request."""
    rule = "the SPOC provides information on request (Art 14(2)(d), Art 5)"
    for exchange in campaign.journal.incoming(judge.requirement):
        wanted = [i for i, v in exchange.expected.items() if v == "provide"]
        if not wanted:
            continue
        done = completion(campaign, exchange)
        missing = [i for i in wanted if i not in done.provided]
        pending = answer_pending(campaign, exchange, done)
        if pending and missing and set(missing) <= set(done.missing):
            judge.inconclusive(exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                               observed=f"{campaign.times.answers_text(exchange)}; {pending}")
            continue
        judge.check(not missing, exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                    observed=f"{campaign.times.answers_text(exchange)}; not provided: {missing or 'none'}",
                    expected=f"items {', '.join(wanted)} provided")
    judge.else_not_applicable("no request for available information was sent")


def _clarification_problems(exchange: Exchange, asked: Observed, answer: Observed) -> list[str]:
    """What keeps the SUT's CLARIFICATION from clarifying its request, judged against what the harness knows:
    the question it asked (`facts["clarification_asked"]`: request fields) and the values it gave for them in
    the stimulus. An amended request (Art 6(3) "specification") must restate the request under its reference,
    about the person the stimulus named, with each field asked filled in; an answer in text must give the
    stimulus's value of each field asked."""
    stimulus: dict[str, Any] = exchange.facts.get("stimulus") or {}
    problems = []
    if answer.in_reply_to != asked.message_id and answer.case_reference != exchange.reference:
        problems.append(f"refers neither to the question {asked.message_id} (in_reply_to {answer.in_reply_to}) "
                        f"nor to the request {exchange.reference} (reference {answer.case_reference})")
    amended = answer.field("amended_request")
    amended = amended if isinstance(amended, dict) else None
    text = str(answer.field("answers") or "").casefold()
    for field in exchange.facts.get("clarification_asked") or []:
        given = str(stimulus.get(field) or "")
        restated = bool(amended and str(amended.get(field) or "").strip())
        if not restated and not (given and given.casefold() in text):
            problems.append(f"{field} asked for, but neither an amended request stating it nor an answer giving "
                            f"it ({given!r})")
    if amended is not None:
        if amended.get("reference") != exchange.reference:
            problems.append(f"the amended request is {amended.get('reference')!r}, not {exchange.reference!r}")
        subject = str(stimulus.get("subject") or exchange.subject or "")
        if subject and subject.casefold() not in json.dumps(amended.get("entities") or [],
                                                            ensure_ascii=False).casefold():
            problems.append(f"the amended request does not name {subject}, the person the request is about")
    return problems


@pytest.mark.requirement("R-66", article="Art 14(2)(f)")
def test_clarification_given_when_asked(campaign: CampaignView, judge: Judge) -> None:
    """When a requested SPOC asks the SUT to clarify its request, the SUT answers the question it was asked."""
    rule = ("the SPOC provides clarifications on its own requests where asked (Art 14(2)(f), Art 6(3)): a "
            "CLARIFICATION referring to the request that answers what was asked (an amended request or the data)")
    for exchange in campaign.journal.exchanges(ExchangeKind.OUTGOING_REQUEST, requirement=judge.requirement):
        asked = exchange.event("clarification_requested_by_harness")
        if asked is None:
            continue
        answered = exchange.event("clarification_answered")
        unseen = (campaign.times.unseen_before(asked.at + CLARIFICATION_WAIT, "clarification")
                  if answered is None else None)
        if unseen:
            judge.inconclusive(exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                               observed=f"clarification asked by {asked.message_id}; {unseen}")
            continue
        question = campaign.journal.message(asked.message_id)
        answer = campaign.journal.message(answered.message_id) if answered is not None else None
        asked_for = ", ".join(exchange.facts.get("clarification_asked") or []) or "the question"
        if question is None or answer is None:
            judge.check(False, exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                        observed=f"clarification asked by {asked.message_id}; answered by nothing",
                        expected=f"a CLARIFICATION answering it ({asked_for})")
            continue
        problems = _clarification_problems(exchange, question, answer)
        judge.check(not problems, exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                    observed=f"clarification asked by {asked.message_id} ({asked_for}); answered by "
                    f"{answer.message_id}" + (f": {'; '.join(problems)}" if problems else ""),
                    expected=f"a CLARIFICATION referring to request {exchange.reference} that gives {asked_for}")
    judge.else_not_applicable("no requested SPOC asked the SUT for clarification")
