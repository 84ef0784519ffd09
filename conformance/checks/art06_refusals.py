"""Art 6: refusal grounds, partial refusal, refusal notice, clarification and its clock suspension, language."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from conformance.campaign.http import parse_time
from conformance.campaign.view import CampaignView
from conformance.checks._support import answer_pending, completion, deadline_finding, judge_limit
from conformance.durations import same_span
from conformance.ledger import Exchange
from conformance.verdicts import Judge, describe_gap, utc_text
from simulators.model.deadlines import iso_duration
from simulators.model.directive import RefusalGround

_GROUNDS = {g.value for g in RefusalGround}


def _expects_refusal(exchange: Exchange) -> bool:
    return any(v != "provide" for v in exchange.expected.values())


@pytest.mark.requirement("R-20", article="Art 6(1) §1")
def test_refusals_only_on_listed_grounds(campaign: CampaignView, judge: Judge) -> None:
    """Every refusal names Art 6(1) grounds, and only grounds that apply to what the national databases hold."""
    rule = "a refusal rests only on the Art 6(1)(a)-(h) grounds that apply (Art 6(1) §1)"
    for exchange in campaign.journal.incoming(judge.requirement):
        evidence = campaign.journal.evidence(exchange)
        done = completion(campaign, exchange)
        for refusal in campaign.journal.of(exchange, "REFUSAL"):
            grounds = [str(g) for g in refusal.field("refusal_grounds") or []]
            unknown = [g for g in grounds if g not in _GROUNDS]
            if not grounds or unknown:
                judge.failed(f"{exchange.key}:{refusal.message_id}", rule=rule, evidence=evidence,
                             observed=f"{refusal.summary()} gives grounds {grounds or 'none'}",
                             expected="one or more of NA, NC, JR, PD, DQ, NS, JI, LP, MO, NO, OC")
        for item, grounds in done.wrongly_refused.items():
            judge.failed(f"{exchange.key}[{item}]", rule=rule, evidence=evidence,
                         observed=f"item {item} refused on {', '.join(grounds) or 'no ground'}; the national database "
                         "holds the information and no ground applies"
                         + ("; the request lacked Art 4(5) content, which calls for clarification (Art 6(3)), "
                            "not refusal" if exchange.facts.get("incomplete") else ""),
                         expected="the information provided")
        for item, (wanted, grounds) in done.wrong_ground.items():
            judge.failed(f"{exchange.key}[{item}]", rule=rule, evidence=evidence,
                         observed=f"item {item} refused on {', '.join(grounds) or 'no ground'}",
                         expected=f"the ground that applies: {wanted} ({RefusalGround(wanted).article})")
        for item in exchange.expected:
            if item in done.refused and item not in done.wrongly_refused and item not in done.wrong_ground:
                message, grounds = done.refused[item]
                if grounds and not set(grounds) - _GROUNDS:
                    judge.passed(f"{exchange.key}[{item}]", rule=rule,
                                 observed=f"item {item} refused on {', '.join(grounds)} by {message.message_id}")
        pending = answer_pending(campaign, exchange, done)
        for item, wanted in exchange.expected.items():
            if wanted != "provide" and item in done.missing and pending:
                judge.inconclusive(f"{exchange.key}[{item}]", rule=rule, evidence=evidence,
                                   observed=f"the refusal of item {item} on {wanted} was due; {pending}")
    judge.else_not_applicable("no refusal was given and none was due")


@pytest.mark.requirement("R-22", article="Art 6(1) §3")
def test_partial_refusal_covers_only_its_part(campaign: CampaignView, judge: Judge) -> None:
    """A refusal covers only the items its ground concerns; the other items are provided."""
    rule = "a refusal covers only the part of the information its ground concerns (Art 6(1) §3)"
    for exchange in campaign.journal.incoming(judge.requirement):
        wanted = exchange.expected
        if not (any(v == "provide" for v in wanted.values()) and _expects_refusal(exchange)):
            continue
        done = completion(campaign, exchange)
        should_provide = [i for i, v in wanted.items() if v == "provide"]
        not_provided = [i for i in should_provide if i not in done.provided]
        pending = answer_pending(campaign, exchange, done)
        if pending and not_provided and set(not_provided) <= set(done.missing):
            judge.inconclusive(exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                               observed=f"{campaign.times.answers_text(exchange)}; {pending}")
            continue
        judge.check(not not_provided, exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                    observed=f"{campaign.times.answers_text(exchange)}; provided {sorted(done.provided)}, refused "
                    f"{sorted(done.refused)}",
                    expected=f"items {', '.join(should_provide)} provided, only "
                    f"{', '.join(i for i, v in wanted.items() if v != 'provide')} refused")
    judge.else_not_applicable("no request called for a partial refusal")


@pytest.mark.requirement("R-23", article="Art 6(2)")
def test_refusal_notified_with_reasons_in_time(campaign: CampaignView, judge: Judge) -> None:
    """The requester is told of a refusal, with its grounds and reasons, within the Art 5(1) limits."""
    rule = "the refusal, with reasons, reaches the requester within the Art 5(1) limits (Art 6(2))"
    for exchange in campaign.journal.incoming(judge.requirement):
        if not _expects_refusal(exchange):
            continue
        refusals = campaign.journal.of(exchange, "REFUSAL")
        evidence = campaign.journal.evidence(exchange)
        if not refusals:
            deadline_finding(campaign, judge, exchange, what="refusal notice")
            continue
        for refusal in refusals:
            grounds = refusal.field("refusal_grounds") or []
            reasons = str(refusal.field("refusal_reasons") or "").strip()
            judge.check(bool(grounds) and bool(reasons), f"{exchange.key}:{refusal.message_id}[reasons]",
                        rule=rule, evidence=evidence,
                        observed=f"{refusal.summary()}: grounds {grounds or 'none'}, reasons "
                        f"{reasons[:120] or 'none'}",
                        expected="the Art 6(1) ground(s) and the reasons stated")
        first = refusals[0]
        result = judge_limit(campaign, exchange, what="refusal notice", answers=[first],
                             answered_at=campaign.times.answered_at(first, exchange),
                             availability=exchange.availability if exchange.urgent else "INDIRECT", answer="refusal")
        if result is not None:
            judge.apply(f"{exchange.key}[time]", result, evidence)
    judge.else_not_applicable("no refusal was due")


def _incomplete(campaign: CampaignView, requirement: str) -> list[Exchange]:
    return [e for e in campaign.journal.incoming(requirement) if e.facts.get("incomplete")]


@pytest.mark.requirement("R-24", article="Art 6(3) §1")
def test_clarification_asked_immediately(campaign: CampaignView, judge: Judge) -> None:
    """A request lacking Art 4(5) content is clarified with the requester at once, not refused."""
    settings = campaign.settings
    rule = "ask immediately for the clarification needed to process a request that would otherwise be refused"
    for exchange in _incomplete(campaign, judge.requirement):
        received = campaign.times.network_received_at(exchange)  # "immediately" is judged on network time
        asked = campaign.journal.of(exchange, "CLARIFICATION_REQUEST")
        evidence = campaign.journal.evidence(exchange)
        pending = (campaign.times.unseen_before(received + settings.immediately, "clarification request")
                   if received is not None and not campaign.journal.answers(exchange) else None)
        if not asked and pending:
            judge.inconclusive(exchange.key, rule=rule, evidence=evidence,
                               observed=f"{campaign.times.sent_text(exchange)} "
                               f"(missing {exchange.facts['incomplete']}); {pending}")
            continue
        if not asked or received is None:
            judge.failed(exchange.key, rule=rule, evidence=evidence,
                         observed=f"{campaign.times.sent_text(exchange)} (missing {exchange.facts['incomplete']}); "
                         f"{campaign.times.answers_text(exchange)}; no clarification requested",
                         expected=f"a clarification request within {settings.immediately} of receipt")
            continue
        gap = asked[0].created_at - received
        judge.check(gap <= settings.immediately, exchange.key, rule=rule, evidence=evidence,
                    observed=f"clarification requested by {asked[0].message_id} "
                    f"{describe_gap(received, asked[0].created_at)} after receipt",
                    expected=f"within {settings.immediately}")
    judge.else_not_applicable("no incomplete request was sent")


@pytest.mark.requirement("R-25", article="Art 6(3) §2")
def test_clarification_suspends_the_limit(campaign: CampaignView, judge: Judge) -> None:
    """The limit stops from the requester's receipt of the clarification request to the SPOC's receipt of the answer."""
    rule = ("the Art 5(1) limit is suspended between the requester's receipt of the clarification request and the "
            "SPOC's receipt of the clarification (Art 6(3) §2)")
    tolerance = timedelta(seconds=1)
    for exchange in _incomplete(campaign, judge.requirement):
        asked, answered = exchange.event("clarification_requested"), exchange.event("clarification_received")
        if asked is None or answered is None:
            judge.inconclusive(exchange.key, rule=rule, observed="no clarification round took place")
            continue
        deadline_finding(campaign, judge, exchange, what="request answered after clarification")
        case = campaign.records.case(exchange)
        if case is None:
            judge.failed(f"{exchange.key}[records]", rule=rule, observed="no case record",
                         expected="the case with both suspension timestamps")
            continue
        # With a SUT clock of its own (declared mode) the deadline's start is judged against its own record only.
        times = campaign.times
        received = times.declared_received_at(exchange) if times.cross_clock else times.received_at(exchange)
        # The SPOC's receipts (of the request, of the clarification), as the SUT may stamp them: in real time
        # mode anywhere from the delivery to its acknowledgement (CampaignTimes.receipt_bounds).
        party = campaign.journal.recipient(exchange)
        back = _real_time_receipt(campaign, answered.message_id, party) or (answered.at, answered.at)
        record = case.deadline or {}
        problems = []
        stored = [(pair[0], pair[1] if len(pair) > 1 else None) for pair in case.suspensions if pair]
        matching = [(s, e) for s, e in stored if s is not None and e is not None and abs(s - asked.at) <= tolerance
                    and back[0] - tolerance <= e <= back[1] + tolerance]
        if not matching:
            problems.append(f"suspensions recorded {[(utc_text(s), utc_text(e)) for s, e in stored]}")
        counted = record.get("counted_from")
        if counted and received:
            first, last = _real_time_receipt(campaign, exchange.message_id, party) or (received, received)
            if not first - tolerance <= parse_time(str(counted)) <= last + tolerance:
                problems.append(f"the deadline is counted from {counted}, not from receipt {utc_text(received)}")
        suspended = str(record.get("suspended") or "")
        span = answered.at - asked.at
        counted_spans = [span]
        if back[1] != back[0]:  # real time mode: the span between the ends the SUT stamped (judged just above)
            counted_spans += [e - s for s, e in matching]
        if record and not any(same_span(suspended, asked.at, campaign.settings.zone, counted,
                                        campaign.settings.duration_tolerance) for counted in counted_spans):
            problems.append(f"suspension counted {suspended or 'none'} instead of {iso_duration(span)} (within "
                            f"{campaign.settings.duration_tolerance.total_seconds():g} s; ISO 8601 forms as "
                            "docs/sut-interface.md accepts them)")
        if campaign.times.cross_clock is not None:
            _own_clock_suspension(campaign, judge, exchange, case.suspensions, suspended, problems, rule)
            continue
        judge.check(not problems, f"{exchange.key}[records]", rule=rule, evidence=campaign.journal.evidence(exchange),
                    observed="; ".join(problems)
                    or f"suspension {utc_text(asked.at)}..{utc_text(answered.at)} recorded and counted",
                    expected=f"suspension {utc_text(asked.at)}..{utc_text(answered.at)} recorded, "
                    "limit counted from receipt")
    judge.else_not_applicable("no request needed clarification")


def _own_clock_suspension(campaign: CampaignView, judge: Judge, exchange: Exchange,
                          stored: list[list[datetime | None]], suspended: str, problems: list[str], rule: str) -> None:
    """Declared mode, the SUT's clock disagreeing with the network's: the suspension the network timed cannot be
    compared with the one the SUT recorded. Only the deadline's start, its own recorded receipt, is judged."""
    counted_wrong = [p for p in problems if p.startswith("the deadline is counted from")]
    instance = f"{exchange.key}[records]"
    if counted_wrong:
        judge.failed(instance, rule=rule, evidence=campaign.journal.evidence(exchange),
                     observed="; ".join(counted_wrong),
                     expected="the limit counted from the recorded receipt")
        return
    asked, answered = exchange.event("clarification_requested"), exchange.event("clarification_received")
    network = f"{utc_text(asked.at)}..{utc_text(answered.at)}" if asked is not None and answered is not None else "none"
    recorded = [(utc_text(pair[0]), utc_text(pair[1] if len(pair) > 1 else None)) for pair in stored if pair]
    judge.inconclusive(instance, rule=rule, evidence=campaign.journal.evidence(exchange),
                       observed=f"suspension {network} by the network's clock; recorded {recorded or 'none'}, "
                       f"counted {suspended or 'none'} by the SUT's; they cannot be compared: "
                       f"{campaign.times.cross_clock}")


def _real_time_receipt(campaign: CampaignView, message_id: str | None,
                       party: str) -> tuple[datetime, datetime] | None:
    """The span in which the SUT may stamp its receipt of the message, where it is a span (real time mode)."""
    message = campaign.journal.message(message_id)
    if message is None:
        return None
    first, last = campaign.times.receipt_bounds(message, party)
    return (first, last) if last > first else None


@pytest.mark.requirement("R-26", article="Art 6(4)")
def test_communications_in_language_of_request(campaign: CampaignView, judge: Judge) -> None:
    """Refusals, clarification requests, delay notices and other communications are in the request's language."""
    rule = "every communication about a request is in the language of the original request (Art 6(4))"
    for exchange in campaign.journal.incoming(judge.requirement):
        for message in campaign.journal.of(exchange, "REFUSAL", "CLARIFICATION_REQUEST", "DELAY_NOTICE"):
            judge.check(message.language == exchange.language, f"{exchange.key}:{message.message_id}", rule=rule,
                        evidence=campaign.journal.evidence(exchange),
                        observed=f"request in {exchange.language}; {message.kind} {message.message_id} in "
                        f"{message.language}", expected=f"{exchange.language}")
    judge.else_not_applicable("no refusal, clarification request or delay notice was sent")


@pytest.mark.requirement("R-27", article="Art 6(1)(h) + Art 3(d)")
def test_originator_consent_respected(campaign: CampaignView, judge: Judge) -> None:
    """Information obtained from another state is not provided without that state's consent."""
    rule = "information from another state is provided only with its consent (ground OC otherwise)"
    for exchange in campaign.journal.incoming(judge.requirement):
        if "OC" not in exchange.expected.values():
            continue
        done = completion(campaign, exchange)
        provided = [i for i, v in exchange.expected.items() if v == "OC" and i in done.provided]
        refused_oc = [i for i, v in exchange.expected.items()
                      if v == "OC" and i in done.refused and "OC" in done.refused[i][1]]
        pending = answer_pending(campaign, exchange, done)
        if pending and not provided and all(i in done.missing for i, v in exchange.expected.items() if v == "OC"):
            judge.inconclusive(exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                               observed=f"{campaign.times.answers_text(exchange)}; {pending}")
            continue
        judge.check(not provided and bool(refused_oc), exchange.key, rule=rule,
                    evidence=campaign.journal.evidence(exchange),
                    observed=f"{campaign.times.answers_text(exchange)}; provided {provided or 'nothing'}, "
                    f"refused on OC {refused_oc or 'nothing'}",
                    expected="the information withheld and the refusal on ground OC")
    judge.else_not_applicable("no information of another state's origin was asked for")


@pytest.mark.requirement("R-65", article="Art 14(2)(e)")
def test_refuses_and_clarifies_where_needed(campaign: CampaignView, judge: Judge) -> None:
    """The SPOC refuses where a ground applies and asks for clarification where a request is incomplete."""
    rule = "refuse under Art 6 and, where needed, ask for clarification under Art 6(3) (Art 14(2)(e))"
    for exchange in campaign.journal.incoming(judge.requirement):
        if exchange.facts.get("incomplete"):
            asked = campaign.journal.of(exchange, "CLARIFICATION_REQUEST")
            received = campaign.times.network_received_at(exchange)
            pending = (campaign.times.unseen_before(received + campaign.settings.immediately, "clarification request")
                       if received is not None and not asked and not campaign.journal.answers(exchange) else None)
            if pending:
                judge.inconclusive(exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                                   observed=pending)
                continue
            judge.check(bool(asked), exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                        observed=f"{campaign.times.answers_text(exchange)}; clarification requests: {len(asked)}",
                        expected="a clarification request")
        elif _expects_refusal(exchange):
            done = completion(campaign, exchange)
            due = [i for i, v in exchange.expected.items() if v != "provide"]
            missing = [i for i in due if i not in done.refused]
            pending = answer_pending(campaign, exchange, done)
            if pending and missing and set(missing) <= set(done.missing):
                judge.inconclusive(exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                                   observed=f"{campaign.times.answers_text(exchange)}; {pending}")
                continue
            judge.check(not missing, exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                        observed=f"{campaign.times.answers_text(exchange)}; not refused: {missing or 'none'}",
                        expected=f"items {', '.join(due)} refused with their grounds")
    judge.else_not_applicable("no refusal or clarification was due")
