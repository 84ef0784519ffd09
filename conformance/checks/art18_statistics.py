"""Art 18: the statistics, compared figure by figure with the harness's own ledger of what was exchanged.

The ledger is the ground truth: every request the harness sent to the SUT or saw it send, deduplicated
by channel message id. Counting rules (the directive's minimum, Art 18(2)):
- submitted (a): requests the SUT's parties sent to other member states (copies are not requests);
- received (b): requests the SUT's parties received, by urgency and requesting state; copies,
  own-initiative information and redeliveries are not requests; where the SUT splits them by receiver,
  the receiver is the addressee in To (a competent or designated authority, else the SPOC), never a CC;
- replied (b): received requests for which information was provided, wholly or in part;
- refused (c): received requests refused wholly or in part, by requesting state and by ground (a
  request refused on two grounds counts once per ground);
- judicial deviations (d): received requests whose requester was told of a delay for judicial
  authorisation (Art 5(2)), by requesting state.
For a CMS that already held statistics before the campaign, the figures compared are the increase
over the campaign (statistics taken before and after). The statistics are exported when the main
timeline ends, so the ledger counts the exchanges up to that moment only: a request answered after
it was not yet replied to (or refused) in the figures compared.

A CMS counts an exchange in the calendar year of its own clock, the ledger in the network's. In the
declared time mode with a SUT clock that disagrees with the network's (CampaignTimes.cross_clock), the
counts of a year are therefore not compared (inconclusive); what the statistics lack (a section, a
breakdown) is judged all the same.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.campaign.view import CampaignView
from conformance.checks._support import as_exported
from conformance.ledger import Observed
from conformance.verdicts import Judge
from simulators.model.parties import PartyKind, party


@dataclass
class _Truth:
    submitted: list[Observed] = field(default_factory=list)
    received: list[Observed] = field(default_factory=list)
    replied: list[Observed] = field(default_factory=list)
    refused: dict[str, set[str]] = field(default_factory=dict)  # message id -> grounds
    judicial: list[Observed] = field(default_factory=list)


def _state(pid: str) -> str:
    try:
        return party(pid).state or "unknown"
    except ValueError:
        return "unknown"


def _truth(campaign: CampaignView, year: int) -> _Truth:
    parties = set(campaign.sut_parties)
    truth = _Truth()
    answers = campaign.journal.from_sut("REPLY", "REFUSAL", "DELAY_NOTICE")
    for message in campaign.journal.messages("REQUEST"):
        if message.created_at.year != year:
            continue
        if message.sender in parties and not parties >= set(message.recipients):
            truth.submitted.append(message)
        elif message.sender not in parties and parties & set(message.recipients):
            truth.received.append(message)
            mine = [a for a in answers if a.in_reply_to == message.message_id
                    or (a.case_reference is not None and a.case_reference == message.case_reference)]
            if any(a.kind == "REPLY" and a.field("information") for a in mine):
                truth.replied.append(message)
            refusals = [a for a in mine if a.kind == "REFUSAL"]
            if refusals:
                truth.refused[message.message_id] = {str(g) for a in refusals for g in a.field("refusal_grounds") or []}
            if any(a.kind == "DELAY_NOTICE" for a in mine):
                truth.judicial.append(message)
    return truth


def _requester_type(message: Observed) -> str:
    """SPOC or an authority: as the request states it, else from the sending party (an NCB sends for the SPOC)."""
    request = message.field("request")
    stated = request.get("requester_type") if isinstance(request, dict) else None
    if stated:
        return str(stated)
    kind = party(message.sender).kind.value
    return "SPOC" if kind in ("SPOC", "INTERPOL_NCB", "SIRENE_BUREAU") else kind


def _number(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _delta(after: Any, before: Any) -> Any:
    """after - before for nested figures (a CMS holding statistics from before the campaign)."""
    if isinstance(after, Mapping):
        base = before if isinstance(before, Mapping) else {}
        return {k: _delta(v, base.get(k)) for k, v in after.items()}
    if isinstance(after, int | float) and not isinstance(after, bool):
        return after - _number(before)
    return after


def _figures(campaign: CampaignView, year: int) -> dict[str, Any] | None:
    after = campaign.exports.statistics.get(year)
    if after is None:
        return None
    result = _delta(after, campaign.result.statistics_before.get(year) or {})
    assert isinstance(result, dict)
    return result


_COUNT = ", ledger "  # marks a problem that is a count differing from the ledger's (not a missing part)


def _compare(label: str, reported: Any, expected: Mapping[str, int], problems: list[str]) -> None:
    if not isinstance(reported, Mapping):
        problems.append(f"{label}: no breakdown reported (got {reported!r})")
        return
    for key in sorted(set(expected) | {k for k, v in reported.items() if _number(v)}):
        got = _number(reported.get(key))
        if got != expected.get(key, 0):
            problems.append(f"{label}[{key}] = {got}{_COUNT}{expected.get(key, 0)}")


def _judge_figures(judge: Judge, campaign: CampaignView, instance: str, rule: str, problems: list[str],
                   summary: str) -> None:
    expected = "every figure and breakdown equal to the ledger's count of the campaign's exchanges"
    cross_clock = campaign.times.cross_clock
    if cross_clock is not None:
        missing = [p for p in problems if _COUNT not in p]
        if missing:
            judge.failed(instance, rule=rule, observed="; ".join(missing), expected=expected)
            return
        counts = "; ".join(problems) or f"the figures match: {summary}"
        # The reason first: a long list of counts is cut in the results, and the reason must survive the cut.
        judge.inconclusive(instance, rule=rule, observed=f"the SUT counts an exchange in the calendar year of its own "
                           f"clock, the ledger in the network's, so the counts cannot be compared: {cross_clock}; "
                           f"{counts}")
        return
    judge.check(not problems, instance, rule=rule, observed="; ".join(problems) or f"all figures match: {summary}",
                expected=expected)


def _urgent(message: Observed) -> bool:
    request = message.field("request")
    return bool(isinstance(request, dict) and request.get("urgent") is True)


def _tallied(messages: list[Observed]) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    urgent = sum(1 for m in messages if _urgent(m))
    totals = {"total": len(messages), "urgent": urgent, "non_urgent": len(messages) - urgent}
    by_state: dict[str, dict[str, int]] = {}
    for m in messages:
        entry = by_state.setdefault(_state(m.sender), {"total": 0, "urgent": 0, "non_urgent": 0})
        entry["total"] += 1
        entry["urgent" if _urgent(m) else "non_urgent"] += 1
    return totals, by_state


def _section(judge: Judge, campaign: CampaignView, name: str, figures: Mapping[str, Any] | None,
             messages: list[Observed], rule: str) -> None:
    year = campaign.settings.start_utc.year
    if figures is None:
        judge.failed(f"statistics {year}", rule=rule, observed="no statistics exported",
                     expected="the Art 18(2) figures")
        return
    section = figures.get(name)
    problems: list[str] = []
    totals, by_state = _tallied(messages)
    if not isinstance(section, Mapping):
        problems.append(f"{name}: missing")
    else:
        _compare(name, {k: section.get(k) for k in ("total", "urgent", "non_urgent")}, totals, problems)
        breakdown = section.get("by_requesting_state")
        if not isinstance(breakdown, Mapping):
            problems.append(f"{name}: no breakdown by requesting member state")
        else:
            for state in sorted(set(by_state) | set(breakdown)):
                _compare(f"{name}.by_requesting_state[{state}]", breakdown.get(state, {}),
                         by_state.get(state, {"total": 0, "urgent": 0, "non_urgent": 0}), problems)
    _judge_figures(judge, campaign, f"{name} {year}", rule, problems,
                   f"{totals} by state {by_state}")


@pytest.mark.requirement("R-95", article="Art 18(1)")
def test_statistics_per_calendar_year(campaign: CampaignView, judge: Judge) -> None:
    """The CMS produces the statistics of a calendar year: the campaign's year, and none of it in the year before."""
    rule = "statistics on the previous calendar year's exchanges can be produced (Art 18(1))"
    year = campaign.settings.start_utc.year
    figures = _figures(campaign, year)
    if figures is None:
        judge.failed(f"statistics {year}", rule=rule, observed="no statistics exported", expected=f"year {year}")
        return
    reported = (campaign.exports.statistics.get(year) or {}).get("year")
    judge.check(reported == year, f"statistics {year}", rule=rule, observed=f"year reported: {reported}",
                expected=f"{year}")
    previous = _figures(campaign, year - 1)
    if previous is not None:
        received = _number((previous.get("requests_received") or {}).get("total"))
        if campaign.times.cross_clock is not None:
            judge.inconclusive(f"statistics {year - 1}", rule=rule,
                               observed=f"{received} requests counted in {year - 1} by the SUT's clock, which cannot "
                               f"be set against the network's: {campaign.times.cross_clock}")
            return
        judge.check(received == 0, f"statistics {year - 1}", rule=rule,
                    observed=f"{received} requests of the campaign counted in {year - 1}",
                    expected=f"the campaign's {year} exchanges only in {year}")


@pytest.mark.requirement("R-96", article="Art 18(2)(a)")
def test_requests_submitted(campaign: CampaignView, judge: Judge) -> None:
    """The number of requests submitted by the SPOC and by competent authorities equals the ledger."""
    exported = as_exported(campaign, judge)
    rule = "number of requests submitted by the SPOC and the competent authorities (Art 18(2)(a))"
    year = exported.settings.start_utc.year
    figures = _figures(exported, year)
    truth = _truth(exported, year)
    if figures is None:
        judge.failed(f"statistics {year}", rule=rule, observed="no statistics exported", expected="the figures")
        return
    section = figures.get("requests_submitted")
    spoc = sum(1 for m in truth.submitted if _requester_type(m) == "SPOC")
    expected = {"total": len(truth.submitted), "by_spoc": spoc, "by_competent_authorities": len(truth.submitted) - spoc}
    problems: list[str] = []
    if not isinstance(section, Mapping):
        problems.append("requests_submitted: missing")
    else:
        _compare("requests_submitted", {k: section.get(k) for k in expected}, expected, problems)
        by_requested = section.get("by_requested_state")
        if isinstance(by_requested, Mapping):  # optional breakdown; when given it must be right
            wanted = Counter(_state(m.to[0]) for m in truth.submitted if m.to)
            _compare("requests_submitted.by_requested_state", by_requested, dict(wanted), problems)
    _judge_figures(judge, exported, f"requests_submitted {year}", rule, problems, str(expected))


@pytest.mark.requirement("R-97", article="Art 18(2)(b)")
def test_requests_received_and_replied(campaign: CampaignView, judge: Judge) -> None:
    """Requests received and replied to, by urgency and by requesting state, equal the ledger."""
    exported = as_exported(campaign, judge)
    rule = ("number of requests received and of requests replied to, each by urgent / non-urgent and by requesting "
            "member state (Art 18(2)(b))")
    year = exported.settings.start_utc.year
    figures = _figures(exported, year)
    truth = _truth(exported, year)
    _section(judge, exported, "requests_received", figures, truth.received, rule)
    _section(judge, exported, "requests_replied", figures, truth.replied, rule)
    _receivers(judge, exported, figures, truth.received, rule)


def _receiver(message: Observed, parties: set[str]) -> str:
    """Who received a request: its addressee (To) among the SUT's parties; a CC only makes a copy."""
    addressee = next((p for p in [*message.to, *message.cc] if p in parties), "")
    try:
        kind = party(addressee).kind
    except ValueError:
        return "SPOC"
    authorities = (PartyKind.COMPETENT_AUTHORITY, PartyKind.DESIGNATED_AUTHORITY)
    return "COMPETENT_AUTHORITY" if kind in authorities else "SPOC"  # NCB, SIRENE: the SPOC (Art 15(2))


def _receivers(judge: Judge, campaign: CampaignView, figures: Mapping[str, Any] | None, received: list[Observed],
               rule: str) -> None:
    """Requests received by the SPOC and by competent authorities, when the SUT reports that split.

    Art 18(2)(b) counts the requests "received by the SPOC and by the competent authorities"; the
    combined total is the minimum, so a CMS that reports only the total is not failed here. A split
    it does report must agree with the ledger: the addressee in To received the request.
    """
    reported = figures.get("requests_received_by_receiver") if figures is not None else None
    if not isinstance(reported, Mapping) or not reported:
        return
    parties = set(campaign.sut_parties)
    expected = Counter(_receiver(m, parties) for m in received)
    problems: list[str] = []
    _compare("requests_received_by_receiver", reported, dict(expected), problems)
    year = campaign.settings.start_utc.year
    _judge_figures(judge, campaign, f"requests_received_by_receiver {year}", rule, problems,
                   f"by receiver {dict(expected)}")


@pytest.mark.requirement("R-98", article="Art 18(2)(c)")
def test_requests_refused(campaign: CampaignView, judge: Judge) -> None:
    """Requests refused, by requesting state and by refusal ground, equal the ledger."""
    exported = as_exported(campaign, judge)
    rule = "number of requests refused under Art 6, by requesting member state and by ground (Art 18(2)(c))"
    year = exported.settings.start_utc.year
    figures = _figures(exported, year)
    truth = _truth(exported, year)
    if figures is None:
        judge.failed(f"statistics {year}", rule=rule, observed="no statistics exported", expected="the figures")
        return
    refused = [m for m in truth.received if m.message_id in truth.refused]
    by_state = Counter(_state(m.sender) for m in refused)
    by_ground = Counter(g for m in refused for g in truth.refused[m.message_id])
    section = figures.get("requests_refused")
    problems: list[str] = []
    if not isinstance(section, Mapping):
        problems.append("requests_refused: missing")
    else:
        _compare("requests_refused", {"total": section.get("total")}, {"total": len(refused)}, problems)
        _compare("requests_refused.by_ground", section.get("by_ground"), dict(by_ground), problems)
        _compare("requests_refused.by_requesting_state", section.get("by_requesting_state"), dict(by_state), problems)
        both = section.get("by_requesting_state_and_ground")
        if isinstance(both, Mapping):  # not demanded by Art 18(2)(c), but when given it must be right too
            per_state: dict[str, Counter[str]] = {}
            for m in refused:
                per_state.setdefault(_state(m.sender), Counter()).update(truth.refused[m.message_id])
            for state in sorted(set(per_state) | set(both)):
                _compare(f"requests_refused.by_requesting_state_and_ground[{state}]", both.get(state, {}),
                         dict(per_state.get(state, Counter())), problems)
    _judge_figures(judge, exported, f"requests_refused {year}", rule, problems,
                   f"total {len(refused)}, by state {dict(by_state)}, by ground {dict(by_ground)}")


@pytest.mark.requirement("R-99", article="Art 18(2)(d)")
def test_judicial_authorisation_deviations(campaign: CampaignView, judge: Judge) -> None:
    """Cases delayed for judicial authorisation, by requesting state, equal the ledger."""
    exported = as_exported(campaign, judge)
    rule = ("number of cases where the Art 5(1) limits were deviated from for judicial authorisation, by requesting "
            "member state (Art 18(2)(d))")
    year = exported.settings.start_utc.year
    figures = _figures(exported, year)
    truth = _truth(exported, year)
    if figures is None:
        judge.failed(f"statistics {year}", rule=rule, observed="no statistics exported", expected="the figures")
        return
    by_state = Counter(_state(m.sender) for m in truth.judicial)
    section = figures.get("judicial_authorisation_deviations")
    problems: list[str] = []
    if not isinstance(section, Mapping):
        problems.append("judicial_authorisation_deviations: missing")
    else:
        _compare("judicial_authorisation_deviations", {"total": section.get("total")},
                 {"total": len(truth.judicial)}, problems)
        _compare("judicial_authorisation_deviations.by_requesting_state", section.get("by_requesting_state"),
                 dict(by_state), problems)
    _judge_figures(judge, exported, f"judicial_authorisation_deviations {year}", rule, problems,
                   f"total {len(truth.judicial)}, by state {dict(by_state)}")
