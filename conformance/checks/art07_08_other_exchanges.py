"""Art 7 (own-initiative provision) and Art 8 (direct exchanges with competent authorities): languages, copies."""

from __future__ import annotations

import pytest

from conformance.campaign.view import CampaignView
from conformance.checks._ground_truth import decided_exception
from conformance.checks._support import answer_pending, copy_finding, languages_of
from conformance.ledger import Exchange, ExchangeKind, Observed
from conformance.verdicts import Judge
from simulators.model.directive import CopyExceptionGround
from simulators.model.parties import party

_COPY_EXCEPTION_GROUNDS = frozenset(g.value for g in CopyExceptionGround)


def _sent(campaign: CampaignView, kind: ExchangeKind, requirement: str) -> list[tuple[Exchange, Observed | None]]:
    journal = campaign.journal
    return [(e, journal.message(e.message_id)) for e in journal.exchanges(kind, requirement=requirement)]


def _copies(campaign: CampaignView, judge: Judge, kind: ExchangeKind, requirement: str, reason: str,
            rule: str) -> None:
    for exchange, message in _sent(campaign, kind, requirement):
        recipients: dict[str, str] = exchange.facts.get("recipients", {})
        wanted = [p for p, role in recipients.items() if role == f"copy:{reason}"]
        if not wanted:
            continue
        if exchange.facts.get("not_done"):
            judge.inconclusive(exchange.key, rule=rule, observed=f"not carried out: {exchange.facts['not_done']}")
            continue
        if message is None:
            judge.failed(exchange.key, rule=rule, observed="; ".join(exchange.problems) or "nothing was sent",
                         expected="the exchange and its copies")
            continue
        exception, invalid = decided_exception(exchange, message.field("copy_exception"))
        for copy_party in wanted:
            copy_finding(campaign, judge, exchange.key, message, copy_party, rule=rule, exception=exception,
                         invalid_exception=invalid)


def _recorded(campaign: CampaignView, judge: Judge, exchange: Exchange, message: Observed | None, rule: str) -> None:
    if exchange.facts.get("not_done"):
        judge.inconclusive(exchange.key, rule=rule, observed=f"not carried out: {exchange.facts['not_done']}")
        return
    if message is None:
        judge.failed(exchange.key, rule=rule, observed="; ".join(exchange.problems) or "nothing was sent",
                     expected="the provision sent and recorded")
        return
    exported = campaign.as_exported()
    if exported.as_of is not None and message.created_at > exported.as_of:
        # An export cannot hold what happened after it (see checks._support.as_exported).
        judge.inconclusive(exchange.key, rule=rule,
                           observed=f"{message.summary()}; sent after the SUT's records were exported at "
                                    f"{exported.as_of.isoformat()}")
        return
    cases = exported.records.cases_of_message(message.message_id)
    judge.check(bool(cases), exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                observed=f"{message.summary()}; recorded in {[c.case_id for c in cases] or 'no case'}",
                expected=f"a case record holding {message.message_id}")


@pytest.mark.requirement("R-30", article="Art 7(1)")
def test_own_initiative_provision_recorded(campaign: CampaignView, judge: Judge) -> None:
    """Information the SPOC provides on its own initiative is sent and recorded in the CMS."""
    rule = "own-initiative provision (Art 7(1)) is recorded (Art 16(1)(c))"
    for exchange, message in _sent(campaign, ExchangeKind.OWN_INITIATIVE_OUT, judge.requirement):
        _recorded(campaign, judge, exchange, message, rule)
    judge.else_not_applicable("no own-initiative provision was stimulated")


@pytest.mark.requirement("R-31", article="Art 7(2)")
def test_serious_offence_information_provided(campaign: CampaignView, judge: Judge) -> None:
    """Information relevant to a serious criminal offence, once decided on, is provided and recorded."""
    rule = "information relevant to a serious criminal offence is provided on own initiative (Art 7(2))"
    for exchange, message in _sent(campaign, ExchangeKind.OWN_INITIATIVE_OUT, judge.requirement):
        if exchange.facts.get("stimulus", {}).get("serious_offence"):
            _recorded(campaign, judge, exchange, message, rule)
    judge.else_not_applicable("no own-initiative provision on a serious offence was stimulated")


@pytest.mark.requirement("R-32", article="Art 7(3) §1")
def test_own_initiative_language(campaign: CampaignView, judge: Judge) -> None:
    """Own-initiative information is in a language on the receiving state's Art 11 list."""
    rule = "own-initiative information is in one of the recipient state's Art 11 languages (Art 7(3) §1)"
    for exchange, message in _sent(campaign, ExchangeKind.OWN_INITIATIVE_OUT, judge.requirement):
        if exchange.facts.get("not_done"):
            judge.inconclusive(exchange.key, rule=rule, observed=f"not carried out: {exchange.facts['not_done']}")
            continue
        if message is None:
            judge.failed(exchange.key, rule=rule, observed="; ".join(exchange.problems) or "nothing was sent",
                         expected="the own-initiative message")
            continue
        state = party(message.to[0]).state if message.to else None
        allowed = languages_of(state) if state else []
        judge.check(message.language in allowed, exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                    observed=f"{message.summary()}", expected=f"one of {', '.join(allowed)}")
    judge.else_not_applicable("no own-initiative provision was stimulated")


@pytest.mark.requirement("R-33", article="Art 7(3) §2")
def test_own_initiative_to_authority_copied(campaign: CampaignView, judge: Judge) -> None:
    """Own-initiative information to a foreign competent authority is copied to that state's SPOC at once."""
    _copies(campaign, judge, ExchangeKind.OWN_INITIATIVE_OUT, judge.requirement, "ART_7_3",
            "a copy goes to the recipient state's SPOC at the same time (Art 7(3) §2)")
    judge.else_not_applicable("no own-initiative provision to a foreign competent authority was stimulated")


@pytest.mark.requirement("R-34", article="Art 7(3)-(4)")
def test_domestic_authority_own_initiative_copied(campaign: CampaignView, judge: Judge) -> None:
    """A domestic competent authority's own-initiative provision is copied to its SPOC at the same time."""
    _copies(campaign, judge, ExchangeKind.OWN_INITIATIVE_OUT, judge.requirement, "ART_7_4",
            "a copy goes to the domestic SPOC at the same time (Art 7(3)-(4))")
    judge.else_not_applicable("no own-initiative provision by a domestic competent authority was stimulated")


@pytest.mark.requirement("R-40", article="Art 8(1) s1")
def test_request_to_foreign_authority_copied(campaign: CampaignView, judge: Judge) -> None:
    """A request the SPOC sends to a foreign competent authority is copied to that state's SPOC at once."""
    _copies(campaign, judge, ExchangeKind.OUTGOING_REQUEST, judge.requirement, "ART_8_1",
            "a copy of the request goes to the other state's SPOC at the same time (Art 8(1))")
    judge.else_not_applicable("no request to a foreign competent authority was stimulated")


@pytest.mark.requirement("R-41", article="Art 8(1) s2")
def test_domestic_authority_reply_copied(campaign: CampaignView, judge: Judge) -> None:
    """A domestic competent authority answering a foreign SPOC's direct request copies its own SPOC."""
    rule = "the information goes with a copy to the domestic SPOC at the same time (Art 8(1))"
    for exchange in campaign.journal.incoming(judge.requirement):
        recipient = campaign.journal.recipient(exchange)
        if recipient == campaign.spoc:
            continue
        replies = campaign.journal.of(exchange, "REPLY")
        if not replies:
            pending = answer_pending(campaign, exchange)
            judge.inconclusive(exchange.key, rule=rule, observed=f"no information was provided: "
                               f"{campaign.times.answers_text(exchange)}" + (f"; {pending}" if pending else ""))
            continue
        for reply in replies:
            exception = reply.field("copy_exception")
            copy_finding(campaign, judge, exchange.key, reply, campaign.spoc, rule=rule,
                         exception=str(exception) if exception else None)
    judge.else_not_applicable("no foreign request was sent directly to a domestic competent authority")


@pytest.mark.requirement("R-42", article="Art 8(2)")
def test_direct_exchange_copied_to_both_spocs(campaign: CampaignView, judge: Judge) -> None:
    """A domestic competent authority's direct request to a foreign one is copied to both SPOCs at once."""
    _copies(campaign, judge, ExchangeKind.OUTGOING_REQUEST, judge.requirement, "ART_8_2",
            "copies go to the domestic and to the other state's SPOC at the same time (Art 8(2))")
    judge.else_not_applicable("no direct exchange by a domestic competent authority was stimulated")


@pytest.mark.requirement("R-43", article="Art 8(3)")
def test_omitted_copies_record_ground(campaign: CampaignView, judge: Judge) -> None:
    """Copies under Art 8 are omitted only with a recorded Art 8(3) ground."""
    rule = "an Art 8 copy may be omitted only on an Art 8(3)(a)-(c) ground, recorded"
    for exchange, message in _sent(campaign, ExchangeKind.OUTGOING_REQUEST, judge.requirement):
        recipients: dict[str, str] = exchange.facts.get("recipients", {})
        wanted = [p for p, role in recipients.items() if role.startswith("copy:ART_8")]
        if not wanted:
            continue
        if message is None:
            judge.inconclusive(exchange.key, rule=rule, observed="; ".join(exchange.problems)
                               or "the request was never sent, so no copy could be judged")
            continue
        case = campaign.records.case(exchange)
        ground = message.field("copy_exception") or (case.copy_exception if case else None)
        _, invalid = decided_exception(exchange, ground)
        listed = str(ground) in _COPY_EXCEPTION_GROUNDS and not invalid
        missing = [p for p in wanted
                   if not (campaign.journal.copies(message, p) or campaign.records.internal_copies(message, p))]
        judge.check(not missing or listed, exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                    observed=f"{message.summary()}; copies missing to {missing or 'nobody'}; ground recorded: "
                    f"{ground or 'none'}" + ("" if listed or not ground else " (not an Art 8(3)(a)-(c) ground)")
                    + (f"; {invalid}" if invalid else ""),
                    expected="every copy sent, or an Art 8(3) ground (" + ", ".join(sorted(_COPY_EXCEPTION_GROUNDS))
                    + ") recorded for omitting it")
    judge.else_not_applicable("no exchange demanding an Art 8 copy was stimulated")
