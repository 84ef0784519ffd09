"""Art 5(2)-(3) and Art 9(2)-(3): judicial authorisation delays, the reply language, the copy to the SPOC."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from conformance.campaign.view import CampaignView
from conformance.checks._ground_truth import HeldRecord, held_records
from conformance.checks._support import Completion, answer_pending, completion, copy_finding, reply_pending
from conformance.ledger import Exchange, Observed
from conformance.verdicts import Judge, describe_gap, utc_text
from simulators.model.directive import CopyExceptionGround
from simulators.model.parties import PartyKind, party

_COPY_EXCEPTION_GROUNDS = frozenset(g.value for g in CopyExceptionGround)


def _judicial(campaign: CampaignView, requirement: str) -> list[Exchange]:
    return [e for e in campaign.journal.incoming(requirement) if e.facts.get("judicial")]


def _delay_notice_findings(campaign: CampaignView, judge: Judge, exchange: Exchange, rule: str) -> None:
    settings = campaign.settings
    received = campaign.times.network_received_at(exchange)  # "immediately" is judged on network time in every mode
    evidence = campaign.journal.evidence(exchange)
    notices = campaign.journal.of(exchange, "DELAY_NOTICE")
    if received is None:
        judge.inconclusive(exchange.key, rule=rule, observed="the request was never sent")
        return
    pending = (campaign.times.unseen_before(received + settings.immediately, "delay notice")
               if not notices and not campaign.journal.answers(exchange) else None)
    if pending:
        judge.inconclusive(exchange.key, rule=rule, evidence=evidence,
                           observed=f"{campaign.times.sent_text(exchange)}; {pending}")
        return
    if not notices:
        judge.failed(exchange.key, rule=rule, evidence=evidence,
                     observed=f"{campaign.times.sent_text(exchange)}; {campaign.times.answers_text(exchange)}; "
                     "no delay notice",
                     expected=f"a delay notice with length and reasons within {settings.immediately} of receipt")
        return
    first = notices[0]
    delay = first.field("delay") or {}
    problems = []
    if first.created_at - received > settings.immediately:
        problems.append(f"the first notice came {describe_gap(received, first.created_at)} after receipt")
    if not (isinstance(delay, dict) and delay.get("expected_delay_hours") and str(delay.get("reasons") or "").strip()):
        problems.append(f"the notice does not state the expected length and the reasons ({delay})")
    judge.check(not problems, f"{exchange.key}[notice]", rule=rule, evidence=evidence,
                observed=f"delay notice {first.message_id} at {utc_text(first.created_at)}: "
                + ("; ".join(problems) or f"{delay.get('expected_delay_hours')} h, reasons given"),
                expected=f"immediately (within {settings.immediately}), with length and reasons")


@pytest.mark.requirement("R-15", article="Art 5(2)")
def test_judicial_authorisation_delay(campaign: CampaignView, judge: Judge) -> None:
    """Judicial authorisation needed: an immediate delay notice, updates, the information soon after the grant."""
    settings = campaign.settings
    rule = ("immediately inform the requester of the expected delay with its length and reasons, keep it updated, "
            "and provide the information as soon as possible after the authorisation (Art 5(2))")
    for exchange in _judicial(campaign, judge.requirement):
        _delay_notice_findings(campaign, judge, exchange, rule)
        evidence = campaign.journal.evidence(exchange)
        notices = campaign.journal.of(exchange, "DELAY_NOTICE")
        done = completion(campaign, exchange)
        end = done.network_done_at or campaign.observed_until
        if notices:
            stamps = [n.created_at for n in notices] + [end]
            longest = max((b - a for a, b in itertools.pairwise(stamps)), default=timedelta(0))
            unseen = (campaign.times.unseen_before(notices[-1].created_at + settings.delay_update_within,
                                             "information or update after the last delay notice")
                      if done.done_at is None and longest <= settings.delay_update_within else None)
            if unseen:
                judge.inconclusive(f"{exchange.key}[updates]", rule=rule, evidence=evidence,
                                   observed=f"{len(notices)} notice(s); {unseen}")
            else:
                judge.check(longest <= settings.delay_update_within, f"{exchange.key}[updates]", rule=rule,
                            evidence=evidence,
                            observed=f"{len(notices)} notice(s); longest silence "
                            f"{describe_gap(stamps[0], stamps[0] + longest)}",
                            expected=f"updates at least every {settings.delay_update_within}")
        granted = exchange.event("judicial_granted")
        if exchange.facts.get("judicial") == "granted":
            if granted is None:
                judge.inconclusive(f"{exchange.key}[after grant]", rule=rule,
                                   observed="the authorisation was never granted: " + "; ".join(exchange.problems))
            elif (done.done_at is None or done.provided == {}) and (unseen := campaign.times.unseen_before(
                    granted.at + settings.after_grant_tolerance, "information after the grant")):
                judge.inconclusive(f"{exchange.key}[after grant]", rule=rule, evidence=evidence,
                                   observed=f"granted at {utc_text(granted.at)}; {unseen}")
            elif done.done_at is None or done.provided == {}:
                judge.failed(f"{exchange.key}[after grant]", rule=rule, evidence=evidence,
                             observed=f"granted at {utc_text(granted.at)}; {campaign.times.answers_text(exchange)}",
                             expected=f"the information within {settings.after_grant_tolerance} of the grant")
            else:
                provided_at = min(m.created_at for m in done.provided.values())
                judge.check(provided_at - granted.at <= settings.after_grant_tolerance, f"{exchange.key}[after grant]",
                            rule=rule, evidence=evidence,
                            observed=f"granted at {utc_text(granted.at)}; information at {utc_text(provided_at)} "
                            f"({describe_gap(granted.at, provided_at)} later)",
                            expected=f"within {settings.after_grant_tolerance} of the grant")
        _court_refusals_withheld(campaign, judge, exchange, done, rule)
        case = campaign.records.case(exchange)
        if case is not None and exchange.facts.get("judicial"):
            judicial_items = [i for i in case.items if i.get("judicial_authorisation") not in (None, "NOT_NEEDED")]
            judge.check(bool(judicial_items) or not case.items, f"{exchange.key}[records]", rule=rule,
                        observed=f"case {case.case_id} items: {[i.get('judicial_authorisation') for i in case.items]}",
                        expected="the case records that judicial authorisation was needed")
    judge.else_not_applicable("no request needing judicial authorisation was sent")


def _court_refusals_withheld(campaign: CampaignView, judge: Judge, exchange: Exchange, done: Completion,
                             rule: str) -> None:
    """Ground truth: the harness planted the court's refusals. Information is provided only once authorised, so
    what the court refused is never provided.

    Judged on two levels. An item whose every held record the court refused is withheld whole (ground JR). An
    item held in several records, some granted and some refused, may lawfully be answered with the granted part:
    there the record is the unit, and no information the SUT sent in the exchange (to the requester or in a
    copy) may carry a refused record's text, nor a data category that only refused records of the item hold.
    """
    evidence = campaign.journal.evidence(exchange)
    replies = campaign.journal.of(exchange, "REPLY")
    for item, wanted in (exchange.expected or {"I1": "provide"}).items():
        held = held_records(campaign, exchange, item)
        refused = [h for h in held if h.record.get("judicial_authorisation") == "REFUSED"]
        split = bool(refused) and len(refused) < len(held)
        if wanted == "JR" and not split:
            if item in done.missing and (pending := answer_pending(campaign, exchange, done)):
                judge.inconclusive(f"{exchange.key}[{item} withheld]", rule=rule, evidence=evidence,
                                   observed=f"{campaign.times.answers_text(exchange)}; {pending}")
                continue
            judge.check(item not in done.provided, f"{exchange.key}[{item} withheld]", rule=rule,
                        evidence=evidence,
                        observed=f"{campaign.times.answers_text(exchange)}; item {item} "
                        + ("provided" if item in done.provided else "not provided"),
                        expected="the information whose judicial authorisation was refused withheld (ground JR)")
        if not split:
            continue
        disclosed = _refused_data_disclosed(replies, refused, [h for h in held if h not in refused])
        if not disclosed and item in done.missing and (pending := answer_pending(campaign, exchange, done)):
            judge.inconclusive(f"{exchange.key}[{item} refused part withheld]", rule=rule, evidence=evidence,
                               observed=f"{campaign.times.answers_text(exchange)}; {pending}")
            continue
        judge.check(not disclosed, f"{exchange.key}[{item} refused part withheld]", rule=rule, evidence=evidence,
                    observed=f"{campaign.times.answers_text(exchange)}; "
                    + ("; ".join(disclosed) if disclosed else
                       f"none of the {len(refused)} record(s) the court refused was disclosed"),
                    expected="only the records the court granted provided; what it refused withheld (ground JR), "
                    f"held in {len(held)} records of which {len(refused)} refused")


def _refused_data_disclosed(replies: list[Observed], refused: list[HeldRecord],
                            allowed: list[HeldRecord]) -> list[str]:
    """What of the refused records the replies carry: a refused record's text, or a data category that only
    refused records hold (the SUT may word the information its own way, but it cannot send a category it may
    not disclose without disclosing what the court refused)."""
    texts = {h.item.casefold(): h.item for h in refused if h.item.strip()}
    allowed_categories = {str(c) for h in allowed for c in h.record.get("data_categories") or []}
    refused_only = {str(c) for h in refused for c in h.record.get("data_categories") or []} - allowed_categories
    found: list[str] = []
    for reply in replies:
        for info in reply.field("information") or []:
            if not isinstance(info, dict):
                continue
            content = str(info.get("content") or "").casefold()
            for folded, text in texts.items():
                if folded in content:
                    found.append(f"{reply.summary()} carries the refused record '{text}'")
            categories = sorted(refused_only & {str(c) for c in info.get("data_categories") or []})
            if categories:
                found.append(f"{reply.summary()} provides {', '.join(categories)}, held only in records the court "
                             "refused")
    return found


@pytest.mark.requirement("R-46", article="Art 9(2)-(3)")
def test_judicial_authorisation_sought_at_once(campaign: CampaignView, judge: Judge) -> None:
    """The steps to obtain judicial authorisation start at once: the requester hears of it immediately."""
    rule = "take all necessary steps to obtain the authorisation as soon as possible (Art 9(2))"
    for exchange in _judicial(campaign, judge.requirement):
        _delay_notice_findings(campaign, judge, exchange, rule)
    judge.else_not_applicable("no request needing judicial authorisation was sent")


@pytest.mark.requirement("R-16", article="Art 5(3) §1")
def test_reply_in_language_of_request(campaign: CampaignView, judge: Judge) -> None:
    """Information is provided in the language in which the request was submitted."""
    rule = "the information is provided in the language of the request (Art 5(3) §1)"
    for exchange in campaign.journal.incoming(judge.requirement):
        reply_pending(campaign, judge, exchange, rule)
        for reply in campaign.journal.of(exchange, "REPLY"):
            judge.check(reply.language == exchange.language, f"{exchange.key}:{reply.message_id}", rule=rule,
                        evidence=campaign.journal.evidence(exchange),
                        observed=f"request in {exchange.language}; {reply.message_id} REPLY in {reply.language}",
                        expected=f"the reply in {exchange.language}")
    judge.else_not_applicable("no reply was given")


def _designated(campaign: CampaignView, requirement: str) -> list[Exchange]:
    return [e for e in campaign.journal.incoming(requirement)
            if e.requester and party(e.requester).kind is PartyKind.DESIGNATED_AUTHORITY]


@pytest.mark.requirement("R-17", article="Art 5(3) §2")
def test_reply_to_designated_authority_copied(campaign: CampaignView, judge: Judge) -> None:
    """Information given to a foreign designated authority goes at the same time to that state's SPOC."""
    rule = "a copy of the information goes to the requesting state's SPOC at the same time (Art 5(3) §2)"
    for exchange in _designated(campaign, judge.requirement):
        requester_state = party(exchange.requester or "").state
        replies = campaign.journal.of(exchange, "REPLY")
        if not replies:
            pending = answer_pending(campaign, exchange)
            judge.inconclusive(exchange.key, rule=rule, observed=f"no information was provided: "
                               f"{campaign.times.answers_text(exchange)}" + (f"; {pending}" if pending else ""))
            continue
        for reply in replies:
            exception = reply.field("copy_exception")
            copy_finding(campaign, judge, exchange.key, reply, f"SPOC-{requester_state}", rule=rule,
                         exception=str(exception) if exception else None)
    judge.else_not_applicable("no foreign designated authority asked")


@pytest.mark.requirement("R-18", article="Art 5(3) §3")
def test_withheld_copy_records_ground(campaign: CampaignView, judge: Judge) -> None:
    """Where the copy to the requesting state's SPOC is withheld, the Art 5(3) §3 ground is recorded."""
    rule = "the copy may be withheld only on an (a)-(c) ground, recorded case by case (Art 5(3) §3)"
    for exchange in _designated(campaign, judge.requirement):
        requester_state = party(exchange.requester or "").state
        case = campaign.records.case(exchange)
        reply_pending(campaign, judge, exchange, rule)
        for reply in campaign.journal.of(exchange, "REPLY"):
            if campaign.journal.copies(reply, f"SPOC-{requester_state}"):
                judge.passed(exchange.key, rule=rule, observed="the copy was sent; no ground needed")
                continue
            ground = reply.field("copy_exception") or (case.copy_exception if case else None)
            listed = str(ground) in _COPY_EXCEPTION_GROUNDS
            judge.check(listed, exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                        observed=f"{reply.message_id} without copy to SPOC-{requester_state}; ground recorded: "
                        f"{ground or 'none'}" + ("" if listed or not ground else " (not an (a)-(c) ground)"),
                        expected="an Art 5(3) §3 ground (" + ", ".join(sorted(_COPY_EXCEPTION_GROUNDS))
                        + ") recorded for the withheld copy")
    judge.else_not_applicable("no information was provided to a foreign designated authority")
