"""Art 16: the case management system's records, cross-checks, follow-up, SIENA interoperability, audit, retention."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from conformance.campaign.view import CampaignView
from conformance.checks._support import (
    as_exported,
    completion,
    hand_over_not_made,
    judge_limit,
    limit_availability,
)
from conformance.ledger import Exchange, ExchangeKind, Observed
from conformance.sut import ExportedAuditEntry, ExportedCommunication
from conformance.verdicts import Judge, utc_text
from reports.results import Outcome
from simulators.model.deadlines import DeadlineMode, compute_deadline

_RECORDED_KINDS = (ExchangeKind.INCOMING_REQUEST, ExchangeKind.OUTGOING_REQUEST, ExchangeKind.OWN_INITIATIVE_IN,
                   ExchangeKind.OWN_INITIATIVE_OUT, ExchangeKind.DOMESTIC_COPY)
_CHANNELS = ("SIENA", "SIRENE", "INTERPOL")


def _sut_side(campaign: CampaignView, message: Observed) -> bool:
    parties = set(campaign.sut_parties)
    return message.sender in parties or bool(parties & set(message.recipients))


def _exchange_messages(campaign: CampaignView, exchange: Exchange) -> list[Observed]:
    return [m for m in campaign.ledger.of_exchange(exchange) if _sut_side(campaign, m) and m.kind != "INFO"]


@pytest.mark.requirement("R-80", article="Art 16(1) chapeau")
def test_one_cms_holds_every_exchange(campaign: CampaignView, judge: Judge) -> None:
    """Every exchange of the campaign is found in the one case management system's export."""
    exported = as_exported(campaign, judge)
    rule = "the SPOC operates a single electronic CMS as the repository of its exchanges (Art 16(1))"
    for exchange in exported.journal.exchanges(*_RECORDED_KINDS, requirement=judge.requirement):
        if not exchange.message_id:
            continue
        case = exported.records.case(exchange)
        judge.check(case is not None, exchange.key, rule=rule, evidence=exported.journal.evidence(exchange),
                    observed=f"{exchange.title}: case {case.case_id if case else 'not found'}",
                    expected="the exchange in the CMS's case export")
    judge.else_not_applicable("no exchange took place")


@pytest.mark.requirement("R-81", article="Art 16(1)(a)")
def test_requests_and_communications_recorded(campaign: CampaignView, judge: Judge) -> None:
    """Requests and every communication about them (refusals, clarifications, notices, copies) are recorded once."""
    exported = as_exported(campaign, judge)
    rule = ("incoming and outgoing requests and every communication about them are recorded, each under its "
            "channel message id, once, with the request it is about (Art 16(1)(a))")
    for exchange in exported.journal.exchanges(*_RECORDED_KINDS, requirement=judge.requirement):
        if not exchange.message_id:
            continue
        evidence = exported.journal.evidence(exchange)
        # The exchange's case is the one holding the message that opened it; every later communication of the
        # exchange (as the harness tied it: its thread, its events) that the SUT sent or was addressed belongs
        # there, whatever reference it quotes. A copy it got only in CC may be kept as a copy of its own.
        own = {c.case_id for c in exported.records.cases_of_message(exchange.message_id)}
        parties = set(exported.sut_parties)
        for message in _exchange_messages(exported, exchange):
            cases = exported.records.cases_of_message(message.message_id)
            holders = [c.case_id for c in cases]
            party_to_it = message.sender in parties or bool(parties & set(message.to))
            elsewhere = (bool(own) and party_to_it and message.message_id != exchange.message_id
                         and not own & set(holders))
            judge.check(bool(cases) and not elsewhere, f"{exchange.key}:{message.message_id}", rule=rule,
                        evidence=evidence,
                        observed=f"{message.summary()}: recorded in {holders or 'no case'}"
                        + (f", not in {sorted(own)}, the case of the exchange's request {exchange.message_id}"
                           if elsewhere else ""),
                        expected="a case communication with this channel message id, in the case of the exchange")
        if exchange.kind is ExchangeKind.INCOMING_REQUEST:
            holding = [c for c in exported.exports.cases
                       if c.direction == "INCOMING" and c.kind == "REQUEST"
                       and (exchange.reference is not None and c.reference == exchange.reference)]
            judge.check(len(holding) <= 1, f"{exchange.key}[one case]", rule=rule, evidence=evidence,
                        observed=f"cases for request {exchange.message_id}: {[c.case_id for c in holding]}",
                        expected="exactly one case per request, whatever the channel delivered twice")
    judge.else_not_applicable("no exchange took place")


def _returned_before_possible(exchange: Exchange, national: list[ExportedCommunication], authority: str) -> list[str]:
    """Communications from the authority that the flow the harness drove cannot have produced: an answer back
    before the operator (the harness) handed the request over, or, for information awaiting the court, before
    the court (the harness) granted the authorisation (none at all if it never did)."""
    handed = exchange.event("handed_over")
    granted = exchange.event("judicial_granted")
    awaits_court = bool(exchange.facts.get("judicial"))
    problems = []
    for c in national:
        if c.direction != "INCOMING" or authority not in (c.sender, c.counterpart) or c.at is None:
            continue
        if handed is not None and c.at < handed.at:
            problems.append(f"{c.kind} from {authority} recorded at {utc_text(c.at)}, before the hand-over at "
                            f"{utc_text(handed.at)}")
        elif awaits_court and (granted is None or c.at < granted.at):
            grant = f" (granted {utc_text(granted.at)})" if granted else ""
            problems.append(f"{c.kind} from {authority} recorded at {utc_text(c.at)}, while the information still "
                            f"awaited the court's authorisation{grant}")
    return problems


@pytest.mark.requirement("R-82", article="Art 16(1)(b)")
def test_domestic_communications_recorded(campaign: CampaignView, judge: Judge) -> None:
    """Communications between the SPOC and domestic authorities (channelling, copies) are recorded."""
    exported = as_exported(campaign, judge)
    rule = "communications between the SPOC and domestic competent authorities are recorded (Art 16(1)(b))"
    for exchange in exported.journal.exchanges(requirement=judge.requirement):
        authority = exchange.facts.get("handed_over_to")
        case = exported.records.case(exchange)
        if not authority:
            hand_over_not_made(exported, judge, exchange, rule)
        if authority:
            national = [c for c in (case.communications if case else [])
                        if authority in (c.counterpart, c.sender) or authority in c.recipients]
            phantom = [] if exported.times.cross_clock is not None else _returned_before_possible(exchange, national,
                                                                                             authority)
            judge.check(bool(national) and not phantom, exchange.key, rule=rule,
                        evidence=exported.journal.evidence(exchange),
                        observed=f"communications with {authority}: {[(c.kind, c.at) for c in national] or 'none'}"
                        + (f"; {'; '.join(phantom)}" if phantom else ""),
                        expected=f"the hand-over to {authority} and its answer recorded, and nothing from "
                                 f"{authority} before it could have answered")
        recipients: dict[str, str] = exchange.facts.get("recipients", {})
        message = exported.journal.message(exchange.message_id)
        if message is not None and recipients.get(exported.spoc, "").startswith("copy:"):
            copies = exported.journal.copies(message, exported.spoc)
            recorded = [c.message.message_id for c in copies
                        if any(com.message_id == c.message.message_id and com.direction == "INCOMING"
                               for case_ in exported.records.cases_of_message(c.message.message_id)
                               for com in case_.communications)]
            recorded += [c.message_id for c in exported.records.internal_copies(message, exported.spoc) if c.message_id]
            judge.check(bool(recorded), f"{exchange.key}[copy to SPOC]", rule=rule,
                        evidence=exported.journal.evidence(exchange),
                        observed=f"the SPOC's copy of {message.message_id} recorded as received: {recorded or 'no'}",
                        expected="the domestic authority's exchange recorded as received by the SPOC")
    judge.else_not_applicable("no exchange with a domestic authority took place")


@pytest.mark.requirement("R-83", article="Art 16(1)(c)")
def test_provisions_recorded(campaign: CampaignView, judge: Judge) -> None:
    """Every provision of information (on request or on own initiative) is recorded under its message id."""
    exported = as_exported(campaign, judge)
    rule = "provisions of information under Arts 5, 7 and 8 are recorded (Art 16(1)(c))"
    for exchange in exported.journal.exchanges(requirement=judge.requirement):
        for message in exported.journal.exchange_messages(exchange, "REPLY", "OWN_INITIATIVE"):
            if message.sender not in exported.sut_parties:
                continue
            cases = exported.records.cases_of_message(message.message_id)
            outgoing = [c for c in cases for com in c.communications
                        if com.message_id == message.message_id and com.direction == "OUTGOING"]
            judge.check(bool(outgoing), f"{exchange.key}:{message.message_id}", rule=rule,
                        evidence=exported.journal.evidence(exchange),
                        observed=f"{message.summary()}: recorded as sent in "
                        f"{[c.case_id for c in outgoing] or 'no case'}",
                        expected="the provision recorded as an outgoing communication")
    judge.else_not_applicable("no information was provided")


@pytest.mark.requirement("R-84", article="Art 16(1)(d)")
def test_incoming_exchanges_cross_checked(campaign: CampaignView, judge: Judge) -> None:
    """Incoming requests and copies are cross-checked against earlier exchanges and the information held."""
    rule = "incoming requests and copies are cross-checked against the information available (Art 16(1)(d))"
    for exchange in campaign.journal.exchanges(requirement=judge.requirement):
        earlier_key = exchange.facts.get("cross_check_with")
        held = exchange.facts.get("held_subject")
        if not earlier_key and not held:
            continue
        case = campaign.records.case(exchange)
        matches = case.cross_check_matches if case else []
        evidence = campaign.journal.evidence(exchange)
        if earlier_key:
            earlier = campaign.ledger.exchanges.get(str(earlier_key))
            earlier_case = campaign.records.case(earlier) if earlier else None
            ids = {i for i in (earlier_case.case_id if earlier_case else None,
                               earlier.message_id if earlier else None) if i is not None}
            hit = [m for m in matches if m.get("case_id") in ids or m.get("message_id") in ids]
            judge.check(bool(hit), f"{exchange.key}[earlier exchange]", rule=rule, evidence=evidence,
                        observed=f"case {case.case_id if case else '(none)'} matches: {matches or 'none'}",
                        expected=f"a match with the earlier exchange {sorted(ids)} on the same person")
        if held:
            hit = [m for m in matches if str(m.get("subject", "")).casefold() == str(held).casefold()]
            judge.check(bool(hit), f"{exchange.key}[held information]", rule=rule, evidence=evidence,
                        observed=f"case {case.case_id if case else '(none)'} matches: {matches or 'none'}",
                        expected=f"a match with the information held on {held}")
    judge.else_not_applicable("no exchange called for a cross-check")


@pytest.mark.requirement("R-85", article="Art 16(1)(e)")
def test_cms_deadline_is_the_legal_one(campaign: CampaignView, judge: Judge) -> None:
    """The CMS tracks each incoming request against the Art 5(1) deadline the law sets (follow-up)."""
    for exchange in campaign.journal.incoming(judge.requirement):
        received = campaign.times.received_at(exchange)
        case = campaign.records.case(exchange)
        if received is None:
            continue
        what = "the CMS's own deadline of the request"
        if case is None or case.deadline_due is None:
            judge.failed(exchange.key, rule=f"{what} is tracked (Art 16(1)(e))",
                         evidence=campaign.journal.evidence(exchange),
                         observed=f"case {case.case_id if case else '(none)'} exports no deadline",
                         expected="the deadline the CMS follows the request up against")
            continue
        availability, _ = limit_availability(campaign, exchange) if exchange.urgent else ("INDIRECT", None)
        if exchange.urgent and case.availability:
            availability = case.availability
        received, suspensions = _latest_receipts(campaign, exchange, received)
        result = judge_limit(campaign, exchange, what=what, answers=(), answered_at=case.deadline_due,
                             availability=availability, answer="CMS deadline", received_at=received,
                             suspensions=suspensions)
        assert result is not None
        strictest = compute_deadline(received, urgent=bool(exchange.urgent), availability=availability or "DIRECT",
                                     mode=DeadlineMode.ELAPSED, timezone=campaign.settings.timezone,
                                     suspensions=suspensions if campaign.times.cross_clock is None else ()).due_utc
        observed = result.observed
        if result.outcome is Outcome.PASSED and strictest - case.deadline_due > timedelta(minutes=1):
            # Stricter than the law harms nobody; it is said, not graded.
            observed += (f"; the CMS's deadline is earlier than the legal one under either reading "
                         f"({utc_text(strictest)} at the earliest)")
        judge.record(result.outcome, exchange.key, rule=result.rule, observed=observed, expected=result.expected,
                     evidence=campaign.journal.evidence(exchange))
    judge.else_not_applicable("no incoming request")


def _latest_receipts(campaign: CampaignView, exchange: Exchange,
                     received: datetime) -> tuple[datetime, list[tuple[datetime, datetime]]]:
    """The receipts the SUT's deadline may count from: in real time mode as late as the SUT acknowledged the
    request, and the clarification that ends a suspension (CampaignTimes.receipt_bounds; R-13 judges them).

    With a network clock that stands still these are the deliveries themselves.
    """
    party = campaign.journal.recipient(exchange)
    suspensions = campaign.times.suspensions(exchange)
    request = campaign.journal.message(exchange.message_id)
    if request is not None:
        first, last = campaign.times.receipt_bounds(request, party)
        if last > first:
            received = last
    answered = exchange.event("clarification_received")
    clarification = campaign.journal.message(answered.message_id) if answered is not None else None
    if clarification is not None:
        first, last = campaign.times.receipt_bounds(clarification, party)
        if last > first:
            suspensions = [(start, max(end, last)) for start, end in suspensions]
    return received, suspensions


@pytest.mark.requirement("R-86", article="Art 16(1)(f)")
def test_siena_interoperability(campaign: CampaignView, judge: Judge) -> None:
    """Channel messages are recorded under their own message ids (nothing re-keyed), a request in one case."""
    exported = as_exported(campaign, judge)
    rule = ("incoming SIENA messages are recorded directly and outgoing ones sent directly from the CMS: message ids "
            "correlate with the channel and nothing is re-keyed (Art 16(1)(f))")
    journal = set(exported.ledger.observed)
    for exchange in exported.journal.exchanges(*_RECORDED_KINDS, requirement=judge.requirement):
        if not exchange.message_id:
            continue
        evidence = exported.journal.evidence(exchange)
        for message in _exchange_messages(exported, exchange):
            holders = sorted(c.case_id for c in exported.records.cases_of_message(message.message_id))
            judge.check(bool(holders), f"{exchange.key}:{message.message_id}", rule=rule, evidence=evidence,
                        observed=f"{message.summary()}: recorded in {holders or 'no case'}",
                        expected="the message recorded under the id the channel gave it")
        if exchange.kind is ExchangeKind.INCOMING_REQUEST:
            opened = sorted(c.case_id for c in exported.records.cases_of_message(exchange.message_id)
                            if c.direction == "INCOMING" and c.kind == "REQUEST")
            judge.check(len(opened) == 1, f"{exchange.key}[one exchange]", rule=rule, evidence=evidence,
                        observed=f"request {exchange.message_id} opened the cases {opened or 'none'}",
                        expected="one case for the channel message, however often the channel delivered it")
        case = exported.records.case(exchange)
        if case is not None:
            unknown = [c.message_id for c in case.communications
                       if (c.channel or "") in _CHANNELS and c.message_id not in journal]
            judge.check(not unknown, f"{exchange.key}[ids]", rule=rule, evidence=evidence,
                        observed=f"case {case.case_id}: channel ids unknown to the channels: {unknown or 'none'}",
                        expected="every channel communication under the id the channel gave it")
    judge.else_not_applicable("no exchange took place")


@pytest.mark.requirement("R-87", article="Art 16(1)(g)")
def test_statistics_generated(campaign: CampaignView, judge: Judge) -> None:
    """The CMS generates the statistics of the campaign's year with every Art 18(2) figure."""
    rule = "the CMS generates statistics on the exchanges, in particular for Art 18 (Art 16(1)(g))"
    year = campaign.settings.start_utc.year
    stats = campaign.exports.statistics.get(year)
    sections = ("requests_submitted", "requests_received", "requests_replied", "requests_refused",
                "judicial_authorisation_deviations")
    if stats is None:
        judge.failed(f"statistics {year}", rule=rule, observed="GET /sut/v1/statistics gave nothing",
                     expected=f"the statistics of {year}")
        return
    # A section counts only with its figure: a `total` number (an empty object is no statistic).
    missing = [s for s in sections if not isinstance(stats.get(s), dict)
               or not isinstance(stats[s].get("total"), int) or isinstance(stats[s].get("total"), bool)]
    judge.check(not missing, f"statistics {year}", rule=rule,
                observed=f"sections missing or without a total: {missing or 'none'}",
                expected=f"all of {', '.join(sections)}, each with its total")


def _operations_the_flow_implies(exported: CampaignView, exchange: Exchange) -> dict[str, str]:
    """Audit operations the harness knows the exchange caused (operation -> why), beyond collection and
    consultation: an alteration where the requester's clarification completed the request, a combination where
    the scenario sent an earlier exchange on the same person to be cross-checked (Art 16(1)(d))."""
    implied: dict[str, str] = {}
    clarified = exchange.event("clarification_received")
    answer = exported.ledger.get(clarified.message_id) if clarified is not None else None
    if answer is not None and answer.field("amended_request"):
        implied["ALTERATION"] = f"the clarification {answer.message_id} completed the request"
    if exchange.facts.get("cross_check_with"):
        implied["COMBINATION"] = f"the request matches the earlier exchange {exchange.facts['cross_check_with']}"
    return implied


def _undisclosed(exported: CampaignView, exchange: Exchange, disclosures: list[ExportedAuditEntry]) -> list[str]:
    """Every message the journal shows the SUT sending discloses data to each of its recipients, in To and in CC
    alike (a copy to a SPOC or to Europol is a disclosure as much as the message to its addressee)."""
    named = {party.strip() for e in disclosures for party in (e.recipient or "").split(",")}
    problems = []
    for message in exported.journal.of(exchange):
        if message.channel not in _CHANNELS or message.sender not in exported.sut_parties:
            continue
        unnamed = [party for party in message.recipients if party not in named]
        if unnamed:
            problems.append(f"no DISCLOSURE entry naming {', '.join(unnamed)}, to whom the SUT sent "
                            f"{message.message_id} {message.kind or ''}".rstrip())
    return problems


def _audit_problems(exported: CampaignView, exchange: Exchange, entries: list[ExportedAuditEntry]) -> list[str]:
    operations = {e.operation for e in entries}
    problems = [f"no {needed} entry" for needed in ("COLLECTION", "CONSULTATION") if needed not in operations]
    problems += [f"no {operation} entry although {why}"
                 for operation, why in _operations_the_flow_implies(exported, exchange).items()
                 if operation not in operations]
    disclosures = [e for e in entries if e.operation == "DISCLOSURE"]
    problems += _undisclosed(exported, exchange, disclosures)
    # The hand-over the harness had the operator make (Art 14(2)(b)) discloses the request to the authority.
    authority = exchange.facts.get("handed_over_to")
    named = {party.strip() for e in disclosures for party in (e.recipient or "").split(",")}
    if authority and authority not in named:
        problems.append(f"no DISCLOSURE entry naming {authority}, to whom the operator handed the request over")
    without_recipient = [e for e in disclosures if not (e.recipient or "").strip()]
    if without_recipient:
        problems.append(f"{len(without_recipient)} DISCLOSURE entries without recipient")
    incomplete = [e for e in entries if not (e.at and (e.actor or "").strip() and (e.justification or "").strip())]
    if incomplete:
        problems.append(f"{len(incomplete)} entries without time, actor or justification")
    return problems


@pytest.mark.requirement("R-88", article="Art 16(1)(h)")
def test_audit_log(campaign: CampaignView, judge: Judge) -> None:
    """The audit log shows every operation the exchange caused: collection, consultation, disclosure to each
    addressee the channels saw and to the domestic authority the request was handed over to, and the alteration
    or combination the flow implies."""
    exported = as_exported(campaign, judge)
    rule = ("access and processing are logged in line with Art 25 Directive (EU) 2016/680: operation, date and time, "
            "justification, who, and for disclosures the recipient (Art 16(1)(h)); judged against the messages the "
            "channels recorded and the clarifications and cross-checks the harness caused")
    for exchange in exported.journal.incoming(judge.requirement):
        case = exported.records.case(exchange)
        if case is None:
            continue
        entries = [e for e in exported.exports.audit if e.case_id == case.case_id]
        problems = _audit_problems(exported, exchange, entries)
        implied = sorted(_operations_the_flow_implies(exported, exchange))
        operations = sorted({e.operation or "?" for e in entries})
        judge.check(not problems, exchange.key, rule=rule, evidence=exported.journal.evidence(exchange),
                    observed=f"case {case.case_id}: {len(entries)} entries {operations}"
                    + (f"; {'; '.join(problems)}" if problems else ""),
                    expected="COLLECTION, CONSULTATION, a DISCLOSURE naming each addressee"
                    + (f" and {exchange.facts['handed_over_to']}" if exchange.facts.get("handed_over_to") else "")
                    + "".join(f", {o}" for o in implied) + ", each with time, actor and justification")
    # The state's own requests are collected and disclosed too, with their copies (Art 16(1)(h) logs every one).
    for exchange in exported.journal.exchanges(ExchangeKind.OUTGOING_REQUEST, requirement=judge.requirement):
        case = exported.records.case(exchange)
        if case is None or not exchange.message_id:
            continue
        entries = [e for e in exported.exports.audit if e.case_id == case.case_id]
        problems = [] if any(e.operation == "COLLECTION" for e in entries) else ["no COLLECTION entry"]
        problems += _undisclosed(exported, exchange, [e for e in entries if e.operation == "DISCLOSURE"])
        judge.check(not problems, exchange.key, rule=rule, evidence=exported.journal.evidence(exchange),
                    observed=f"case {case.case_id}: {len(entries)} entries"
                    + (f"; {'; '.join(problems)}" if problems else ""),
                    expected="COLLECTION and a DISCLOSURE naming each recipient of every message sent")
    judge.else_not_applicable("no incoming request")


@pytest.mark.requirement("R-89", article="Art 16(2)")
def test_processing_attributable(campaign: CampaignView, judge: Judge) -> None:
    """Every audit entry names who processed the data (evidence of access control; the rest is declared)."""
    rule = "safeguards against unauthorised access: every processing is attributable to an actor (Art 16(2))"
    entries = campaign.exports.audit
    if not entries:
        judge.inconclusive("audit log", rule=rule, observed="the SUT exported no audit entries")
        return
    unnamed = [e for e in entries if not (e.actor or "").strip()]
    judge.check(not unnamed, "audit log", rule=rule, observed=f"{len(entries)} entries, {len(unnamed)} without actor",
                expected="an actor on every entry")


def _concluded(campaign: CampaignView) -> list[tuple[Exchange, datetime]]:
    """The incoming exchanges the CMS records as concluded, with the moment it concluded them."""
    found = []
    for exchange in campaign.journal.incoming():
        case = campaign.records.case(exchange)
        if case is None or (case.status or "") != "CONCLUDED":
            continue
        ended = case.concluded_at or _ended_on_channels(campaign, exchange)
        if ended is not None:
            found.append((exchange, ended))
    return found


def _ended_on_channels(campaign: CampaignView, exchange: Exchange) -> datetime | None:
    """When the channels carried the last answer that left no item of the request open (ground truth)."""
    done = completion(campaign, exchange)
    return done.network_done_at if done.complete else None


def _outcome_on_channels(campaign: CampaignView, exchange: Exchange) -> str:
    """The outcome the answers on the channels give: every item provided, every item refused, or both."""
    done = completion(campaign, exchange)
    provided = [item for item in exchange.expected or {"I1": "provide"} if item in done.provided]
    refused = [item for item in exchange.expected or {"I1": "provide"} if item not in done.provided]
    return "PARTIALLY_REFUSED" if provided and refused else "REPLIED" if provided else "REFUSED"


def _answered_on_channels(campaign: CampaignView, exchange: Exchange) -> datetime | None:
    """When the requested state's last reply or refusal to one of the SUT's own requests crossed the channels.

    Ground truth: the requested state is the harness's simulated one, so its answers are in the journal.
    """
    answers = [m for m in campaign.journal.exchange_messages(exchange, "REPLY", "REFUSAL")
               if m.sender not in campaign.sut_parties]
    return max(m.created_at for m in answers) if answers else None


def _outcome_of_answers_received(campaign: CampaignView, exchange: Exchange) -> str:
    """The outcome the requested state's answers give: replies only, refusals only, or both."""
    kinds = {m.kind for m in campaign.journal.exchange_messages(exchange, "REPLY", "REFUSAL")
             if m.sender not in campaign.sut_parties}
    return "PARTIALLY_REFUSED" if kinds == {"REPLY", "REFUSAL"} else "REPLIED" if "REPLY" in kinds else "REFUSED"


def _ended(campaign: CampaignView, exchange: Exchange) -> datetime | None:
    """When the channels show the exchange ended: the SUT's last answer to a request it received, or the
    requested state's last answer to a request the SUT sent."""
    if exchange.kind is ExchangeKind.OUTGOING_REQUEST:
        return _answered_on_channels(campaign, exchange)
    return _ended_on_channels(campaign, exchange)


def _conclusion_problem(campaign: CampaignView, exchange: Exchange) -> str | None:
    """Why the CMS's record of an exchange the channels saw end does not show it concluded as it ended.

    The Art 16(4) review runs from the conclusion; a case the CMS never concludes is never reviewed, and a
    check that reads only the cases the CMS calls concluded cannot see that (the conclusion is judged
    against the channels, not taken from the CMS).
    """
    case = campaign.records.case(exchange)
    if case is None:
        return "no case record of the exchange in the CMS's export"
    if (case.status or "") != "CONCLUDED":
        return (f"case {case.case_id} has status {case.status or 'none'} and "
                f"{'concluded_at ' + utc_text(case.concluded_at) if case.concluded_at else 'no concluded_at'}, so no "
                "retention review runs from its conclusion")
    wanted = (_outcome_of_answers_received(campaign, exchange) if exchange.kind is ExchangeKind.OUTGOING_REQUEST
              else _outcome_on_channels(campaign, exchange))
    if case.outcome is not None and case.outcome != wanted:
        return (f"case {case.case_id} is concluded with outcome {case.outcome}; the answers on the channels give "
                f"{wanted}")
    return None


# Long: one pass per exchange judges its conclusion (as the channels saw it end) before its review, so a
# review measured from a conclusion the CMS never recorded is never judged on its own.
@pytest.mark.requirement("R-91", article="Art 16(4)")
def test_retention_reviewed_within_six_months(campaign: CampaignView, judge: Judge) -> None:
    """Each concluded exchange is reviewed for retention no later than 6 months after its conclusion."""
    within = campaign.settings.retention_review_within
    rule = f"the first retention review takes place at the latest {within.days} days after conclusion (Art 16(4))"
    final = campaign.result.final_exports
    # Art 16(4) runs from the conclusion of an exchange, whichever state asked: the SUT's own requests too.
    for exchange in campaign.journal.exchanges(ExchangeKind.INCOMING_REQUEST, ExchangeKind.OUTGOING_REQUEST):
        on_channels = _ended(campaign, exchange)
        if on_channels is not None and on_channels <= campaign.exports.at:
            problem = _conclusion_problem(campaign, exchange)
            if problem is not None:
                last = ("the requested state's last answer reached the SUT"
                        if exchange.kind is ExchangeKind.OUTGOING_REQUEST else "the last answer left the SUT")
                judge.failed(exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                             observed=f"{last} at {utc_text(on_channels)}, ending the exchange "
                             f"on the channels; {problem}",
                             expected="the case concluded (status CONCLUDED, concluded_at, the outcome the answers "
                             "gave) and its first retention review planned from then")
                continue
        case = campaign.records.case(exchange)
        if case is None or (case.status or "") != "CONCLUDED":
            continue
        ended = case.concluded_at or on_channels
        if ended is None:
            judge.inconclusive(exchange.key, rule=rule, observed=f"case {case.case_id} is CONCLUDED without "
                               "concluded_at, and the channels show no answer ending it: no moment to count from")
            continue
        if case.concluded_at is None:
            # Not silent: the review is judged from the channels' end, and the finding says so.
            judge.inconclusive(f"{exchange.key}[concluded_at]", rule=rule,
                               observed=f"case {case.case_id} is CONCLUDED without concluded_at; its review is "
                               f"judged from the last answer on the channels at {utc_text(ended)}")
        due = case.retention_review_due
        if due is None or due > ended + within:
            judge.failed(exchange.key, rule=rule,
                         observed=f"concluded {utc_text(ended)}; review planned for {utc_text(due)}",
                         expected=f"a review by {utc_text(ended + within)}")
            continue
        observed_to = final.at if final is not None else campaign.exports.at
        if campaign.times.cross_clock is not None:
            judge.inconclusive(exchange.key, rule=rule,
                               observed=f"concluded {utc_text(ended)}; review planned for {utc_text(due)} "
                               f"by the SUT's clock, within {within.days} days; whether the review was due by the "
                               f"last export at {utc_text(observed_to)} by the network's clock cannot be told: "
                               f"{campaign.times.cross_clock}")
            continue
        if due > observed_to:
            # Planned in time, but the campaign stopped observing before the review was due.
            unseen = campaign.times.unseen_before(due, "retention review") or f"not yet due by {utc_text(observed_to)}"
            judge.inconclusive(exchange.key, rule=rule,
                               observed=f"concluded {utc_text(ended)}; review planned for {utc_text(due)}; {unseen}")
            continue
        assert final is not None
        later = campaign.records.case(exchange, final)
        reviews = [e for e in (later.events if later else []) if "RETENTION" in str(e.get("kind", "")).upper()]
        erasures = [e for e in final.audit if e.case_id == case.case_id and e.operation == "ERASURE"]
        judge.check(bool(reviews or erasures), exchange.key, rule=rule,
                    observed=f"concluded {utc_text(ended)}; review due {utc_text(due)}; review records: "
                    f"{len(reviews)} event(s), {len(erasures)} erasure(s) by {utc_text(final.at)}",
                    expected=f"a review record by {utc_text(ended + within)}")
    judge.else_not_applicable("no exchange was concluded")


def _names_of_unerased(campaign: CampaignView, at: datetime) -> set[str]:
    """Casefolded names of the exchanges whose data may still be kept at `at`: not concluded, or not yet
    due for their review (ground truth: the subjects the harness itself put in the requests)."""
    within = campaign.settings.retention_review_within
    due_by = {exchange.key: ended for exchange, ended in _concluded(campaign)}
    kept: set[str] = set()
    for exchange in campaign.journal.exchanges():
        case = campaign.records.case(exchange)
        ended = due_by.get(exchange.key)
        due = (case.retention_review_due if case is not None else None) or (ended + within if ended else None)
        if exchange.key in due_by and due is not None and due <= at:
            continue
        kept |= {n.strip().casefold() for n in (exchange.subject or "").split(",") if n.strip()}
    return kept


@pytest.mark.requirement("R-90", article="Art 16(3)")
def test_personal_data_erased_when_no_longer_needed(campaign: CampaignView, judge: Judge) -> None:
    """Personal data no longer necessary are irrevocably deleted: the erasure is logged and the names are gone."""
    within = campaign.settings.retention_review_within
    rule = ("personal data are kept only as long as necessary and then irrevocably deleted (Art 16(3)); read as: "
            f"deleted at the first review the CMS plans, or, if it plans none, {within.days} days after the "
            "exchange concluded (Art 16(4))")
    final = campaign.result.final_exports
    if final is None:
        judge.inconclusive("retention", rule=rule, observed="no retention phase ran in this campaign")
        return
    not_yet_due: list[datetime] = []
    # Every export taken after the retention phase (cases, audit log, statistics), as one text: a name
    # erased from the case record but kept in an audit entry's data is not erased.
    everything = json.dumps(final.to_json(), ensure_ascii=False, default=str).casefold()
    still_needed = _names_of_unerased(campaign, final.at)
    for exchange, ended in _concluded(campaign):
        case = campaign.records.case(exchange)
        assert case is not None
        # A CMS that plans no review at all must not escape the check: the latest first review stands in.
        due = case.retention_review_due or ended + within
        if campaign.times.cross_clock is not None:
            judge.inconclusive(exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                               observed=f"concluded {utc_text(ended)}; review {utc_text(due)} by the SUT's clock; "
                               f"whether it was due by the export at {utc_text(final.at)} by the network's clock "
                               "cannot be told: "
                               f"{campaign.times.cross_clock}")
            continue
        if due > final.at:
            not_yet_due.append(due)
            continue
        erasures = [e for e in final.audit if e.case_id == case.case_id and e.operation == "ERASURE"]
        later = campaign.records.case(exchange, final)
        record = later.model_dump_json().casefold() if later is not None else ""
        names = [n.strip() for n in (exchange.subject or "").split(",") if n.strip()]
        kept = [n for n in names if n.casefold() in record]
        # Names this erased exchange shares with one not yet due stay lawfully in the other's records.
        elsewhere = [n for n in names if n not in kept and n.casefold() not in still_needed
                     and n.casefold() in everything]
        problems = []
        if not erasures:
            problems.append("no ERASURE entry in the audit log")
        if kept:
            problems.append(f"case {case.case_id} still names {', '.join(kept)} in its export")
        if elsewhere:
            problems.append(f"{', '.join(elsewhere)} still named in the exports taken at {utc_text(final.at)} "
                            "(audit log, other case records or statistics)")
        planned = "planned" if case.retention_review_due else "not planned by the CMS; legal latest"
        judge.check(not problems, exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                    observed=f"concluded {utc_text(ended)}; review {planned} {utc_text(due)}; by {utc_text(final.at)}: "
                    f"{len(erasures)} erasure entr{'y' if len(erasures) == 1 else 'ies'}"
                    + (f"; {'; '.join(problems)}" if problems else "; the data subject's names are gone"),
                    expected="the erasure logged, and the data subject no longer named in any export")
    if not judge.findings and not_yet_due:
        # Reviews were planned but none fell due while the campaign observed: unknown, not inapplicable.
        judge.inconclusive("retention", rule=rule, observed=f"{len(not_yet_due)} concluded exchange(s), none with "
                           f"its review due by {utc_text(final.at)}: "
                           + (campaign.times.unseen_before(min(not_yet_due), "retention review") or "not yet due"))
    judge.else_not_applicable("no retention review fell due within the campaign")
