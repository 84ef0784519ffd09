"""Arts 11-13: English accepted, the Europol copy decision and its content, SIENA by default and its exceptions.

Before the SIENA obligation date (R-57: 12 June 2027, a configurable reading shown in the report) a
non-SIENA exchange is graded as a warning, not a failure.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from conformance.campaign.view import CampaignView
from conformance.checks._support import answer_pending, as_exported, completion
from conformance.ledger import ExchangeKind, Observed
from conformance.verdicts import Judge, message_evidence, utc_text
from reports.results import Outcome

_DIRECTIVE_SENDS = ("REQUEST", "REPLY", "REFUSAL", "CLARIFICATION_REQUEST", "CLARIFICATION", "DELAY_NOTICE",
                    "OWN_INITIATIVE", "COPY")
_EXCEPTIONS = {"3C": "Art 13(2)(a)", "URG": "Art 13(2)(b)", "INC": "Art 13(2)(c)"}


@pytest.mark.requirement("R-50", article="Art 11(1)")
def test_english_accepted(campaign: CampaignView, judge: Judge) -> None:
    """A request in English is accepted and answered, not refused for its language."""
    rule = "English is on every SPOC's Art 11 list: a request in English is processed (Art 11(1))"
    for exchange in campaign.journal.incoming(judge.requirement):
        if exchange.language != "en" or "NC" in exchange.expected.values():
            continue  # a request the harness wrote not to meet Art 4 is rightly turned away as NC
        done = completion(campaign, exchange)
        refused_nc = [i for i, (_, grounds) in done.refused.items() if "NC" in grounds]
        handled = bool(done.provided) or (bool(done.refused) and not refused_nc)
        pending = answer_pending(campaign, exchange, done)
        if pending and not handled and not refused_nc:
            judge.inconclusive(exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                               observed=f"{campaign.times.sent_text(exchange)}; "
                               f"{campaign.times.answers_text(exchange)}; {pending}")
            continue
        judge.check(handled and not refused_nc, exchange.key, rule=rule, evidence=campaign.journal.evidence(exchange),
                    observed=f"{campaign.times.sent_text(exchange)}; {campaign.times.answers_text(exchange)}",
                    expected="the request in English answered on its merits")
    judge.else_not_applicable("no request in English was sent")


@pytest.mark.requirement("R-52", article="Art 12(1)")
def test_europol_copy_decided_case_by_case(campaign: CampaignView, judge: Judge) -> None:
    """Each exchange records the case-by-case decision on a copy to Europol; a decided copy is sent."""
    rule = "staff assess case by case whether a copy to Europol is necessary, and the decision is recorded (Art 12(1))"
    exported = as_exported(campaign, judge)
    for exchange in exported.journal.exchanges(requirement=judge.requirement):
        if exchange.kind not in (ExchangeKind.INCOMING_REQUEST, ExchangeKind.OUTGOING_REQUEST,
                                 ExchangeKind.OWN_INITIATIVE_OUT) or not exchange.message_id:
            continue
        if exchange.kind is ExchangeKind.INCOMING_REQUEST and not exported.journal.of(exchange, "REPLY"):
            continue  # nothing was provided by the export, so there was nothing to copy yet
        case = exported.records.case(exchange)
        decision = case.europol if case is not None else None
        evidence = exported.journal.evidence(exchange)
        if decision not in ("COPY", "NO_COPY"):
            judge.failed(exchange.key, rule=rule, evidence=evidence,
                         observed=f"case {case.case_id if case else '(none)'} records no Europol decision",
                         expected="COPY or NO_COPY with its basis in the case record")
            continue
        if decision == "COPY":
            # Whether the copy went is a fact of the channels, whenever it went (its timing is judged elsewhere).
            sent = [m for m in campaign.ledger.of_exchange(exchange) if m.sender in campaign.sut_parties
                    and "EUROPOL" in m.recipients]
            judge.check(bool(sent), exchange.key, rule=rule, evidence=evidence,
                        observed=f"decision COPY; messages to Europol: {[m.message_id for m in sent] or 'none'}",
                        expected="the copy sent to Europol")
        else:
            judge.passed(exchange.key, rule=rule, observed="decision NO_COPY recorded")
    judge.else_not_applicable("no exchange called for a Europol decision")


def _to_europol(campaign: CampaignView) -> list[Observed]:
    return [m for m in campaign.ledger.from_sut() if "EUROPOL" in m.recipients]


@pytest.mark.requirement("R-53", article="Art 12(2)")
def test_europol_copy_states_purposes_and_restrictions(campaign: CampaignView, judge: Judge) -> None:
    """Copies to Europol state the purposes of processing and any restrictions (Art 19 Regulation 2016/794)."""
    rule = "a copy to Europol states the purposes of processing and the restrictions on use (Art 12(2))"
    # The restriction the harness set in a stimulus is the one the copy must state, not one of the SUT's choosing.
    set_by_harness = {e.reference: str(e.facts["stimulus"]["use_restrictions"])
                      for e in campaign.journal.exchanges(requirement=judge.requirement)
                      if e.reference and (e.facts.get("stimulus") or {}).get("use_restrictions")}
    for message in _to_europol(campaign):
        purposes = message.payload.get("processing_purposes") or []
        restricted = message.payload.get("restrictions") or message.payload.get("handling_codes")
        wanted = set_by_harness.get(message.case_reference or "")
        kept = wanted is None or wanted in str(message.payload.get("restrictions") or "")
        judge.check(bool(purposes) and bool(restricted) and kept, message.message_id, rule=rule,
                    evidence=[message_evidence(message)],
                    observed=f"{message.summary()}: purposes {purposes or 'none'}, restrictions "
                    f"{message.payload.get('restrictions') or 'none'}",
                    expected="processing_purposes and restrictions (or handling codes) stated"
                    + (f", the restriction set on the exchange included: {wanted}" if wanted else ""))
    if not judge.findings:
        if any(e.kind is ExchangeKind.OWN_INITIATIVE_OUT
               for e in campaign.journal.exchanges(requirement=judge.requirement)):
            judge.inconclusive("europol-copies", rule=rule,
                               observed="no copy was sent to Europol, although an exchange within Europol's "
                               "objectives on a serious offence was stimulated")
        else:
            judge.not_applicable("no copy was sent to Europol")


def _grade(campaign: CampaignView, moment: datetime) -> Outcome:
    return Outcome.FAILED if campaign.settings.siena_binding_on(moment) else Outcome.WARNING


def _sut_directive_messages(campaign: CampaignView) -> list[Observed]:
    return [m for m in campaign.ledger.from_sut() if m.kind in _DIRECTIVE_SENDS]


@pytest.mark.requirement("R-54", article="Art 13(1)")
def test_siena_by_default(campaign: CampaignView, judge: Judge) -> None:
    """Requests, information and copies go over SIENA unless an Art 13(2) exception is recorded."""
    rule = "SIENA is the default channel (Art 13(1)); obligation applies from " \
           f"{campaign.settings.siena_obligation_date} (R-57, configurable)"
    for message in _sut_directive_messages(campaign):
        exception = message.field("channel_exception")
        if message.channel == "SIENA":
            judge.passed(message.message_id, rule=rule, observed=f"{message.message_id} on SIENA")
        elif exception in _EXCEPTIONS:
            judge.passed(message.message_id, rule=rule,
                         observed=f"{message.message_id} on {message.channel} under exception {exception}")
        else:
            judge.record(_grade(campaign, message.created_at), message.message_id, rule=rule,
                         evidence=[message_evidence(message)],
                         observed=f"{message.summary()} without an Art 13(2) exception",
                         expected="SIENA, or another channel with exception 3C, URG or INC")
    judge.else_not_applicable("the SUT sent no directive message")


def _exception_against_exchange(campaign: CampaignView, message: Observed, exception: str) -> str | None:
    """Why an exception the message claims does not hold for the exchange the harness set up; None if it may.

    The harness knows whether a third country takes part (the stimulus or the scenario named one) and whether
    the request was urgent; a message it cannot tie to one of its exchanges is judged on its claim alone.
    """
    exchange = next((e for e in campaign.journal.exchanges()
                     if (e.reference and message.case_reference == e.reference)
                     or (e.message_id and message.in_reply_to == e.message_id)), None)
    if exchange is None:
        return None
    stimulus = exchange.facts.get("stimulus")
    third = exchange.facts.get("third_countries") or (stimulus.get("third_countries") if isinstance(stimulus, dict)
                                                      else None)
    if exception == "3C" and not third:
        return (f"exception 3C (third countries involved) claimed, but no third country or international "
                f"organisation takes part in {exchange.key} as the harness set it up")
    if exception == "URG" and exchange.urgent is False:
        return f"exception URG (urgency) claimed, but {exchange.key} is not urgent"
    return None


@pytest.mark.requirement("R-55", article="Art 13(2)")
def test_other_channels_only_on_exceptions(campaign: CampaignView, judge: Judge) -> None:
    """Another channel is used only for third countries, urgency or a SIENA incident, and says which."""
    rule = ("a channel other than SIENA only where (a) third countries or international organisations are involved, "
            "(b) urgency requires it temporarily, (c) an incident prevents SIENA use (Art 13(2))")
    outages = _outage_windows(campaign)
    for message in _sut_directive_messages(campaign):
        if message.channel == "SIENA":
            continue
        exception = message.field("channel_exception")
        evidence = [message_evidence(message)]
        problem = None
        if exception not in _EXCEPTIONS:
            problem = f"no Art 13(2) exception (got {exception!r})"
        elif exception == "INC" and not any(s <= message.created_at <= e for s, e in outages):
            problem = "exception INC (incident) claimed while SIENA was available"
        else:
            problem = _exception_against_exchange(campaign, message, str(exception))
        if problem:
            judge.record(_grade(campaign, message.created_at), message.message_id, rule=rule, evidence=evidence,
                         observed=f"{message.summary()}: {problem}", expected="a valid, truthful exception code")
        else:
            judge.passed(message.message_id, rule=rule,
                         observed=f"{message.message_id} on {message.channel}: {exception} "
                         f"({_EXCEPTIONS[str(exception)]})")
    # A SIENA outage during an urgent exchange: the CMS must fall back rather than miss the limit.
    for exchange in campaign.journal.exchanges(requirement=judge.requirement):
        if "outage" not in exchange.labels:
            continue
        done = completion(campaign, exchange)
        during = [m for m in campaign.journal.answers(exchange) if any(s <= m.created_at <= e for s, e in outages)]
        evidence = campaign.journal.evidence(exchange)
        start, end = outages[0] if outages else (None, None)
        if during:
            judge.passed(exchange.key, rule=rule, evidence=evidence,
                         observed=f"answered during the outage on {during[0].channel} "
                         f"({during[0].field('channel_exception')})")
        elif exchange.facts.get("outage_not_simulated"):
            judge.inconclusive(exchange.key, rule=rule, evidence=evidence,
                               observed=f"no SIENA outage was simulated ({exchange.facts['outage_not_simulated']}), "
                               f"so the fallback to another channel was not tested; "
                               f"{campaign.times.answers_text(exchange)}")
        elif (done.network_done_at is not None and end is not None
              and end < done.network_done_at <= end + campaign.settings.immediately):
            # Answered on SIENA as soon as SIENA was back: the answer waited for SIENA. (An answer much
            # later was slow for other reasons, which Art 5(1) judges, not Art 13.)
            judge.record(_grade(campaign, done.network_done_at), exchange.key, rule=rule, evidence=evidence,
                         observed=f"SIENA was down {utc_text(start)}..{utc_text(end)}; the answer waited for "
                         f"SIENA and left at {utc_text(done.network_done_at)}, right after it came back",
                         expected="use of another channel under Art 13(2)(c) when SIENA is unavailable and the "
                         "request is urgent")
        else:
            judge.passed(exchange.key, rule=rule, evidence=evidence, observed=campaign.times.answers_text(exchange))
    judge.else_not_applicable("the SUT used no other channel and no SIENA outage was simulated")


def _outage_windows(campaign: CampaignView) -> list[tuple[datetime, datetime]]:
    windows = []
    for exchange in campaign.journal.exchanges():
        start, end = exchange.event("outage_start"), exchange.event("outage_end")
        if start is not None:
            windows.append((start.at, end.at if end is not None else campaign.observed_until))
    return windows
