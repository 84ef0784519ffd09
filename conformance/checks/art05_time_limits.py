"""Art 5(1): the time limits, counted from receipt, at night, at weekends and on public holidays (Art 14(3))."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from conformance.campaign.http import parse_time
from conformance.campaign.view import CampaignView
from conformance.checks._support import deadline_finding
from conformance.verdicts import Judge, describe_gap, utc_text
from reports.results import Evidence

_TOLERANCE = timedelta(seconds=1)


@pytest.mark.requirement("R-10", article="Art 5(1)(a)")
def test_urgent_direct_within_8_hours(campaign: CampaignView, judge: Judge) -> None:
    """Urgent requests for directly available information are answered within 8 hours of receipt."""
    for exchange in campaign.journal.incoming(judge.requirement):
        if exchange.urgent and exchange.availability == "DIRECT":
            deadline_finding(campaign, judge, exchange, what="urgent request, directly available information")
    judge.else_not_applicable("no urgent request for directly available information was sent")


@pytest.mark.requirement("R-11", article="Art 5(1)(b)")
def test_urgent_indirect_within_3_days(campaign: CampaignView, judge: Judge) -> None:
    """Urgent requests for indirectly available information are answered within 3 calendar days."""
    for exchange in campaign.journal.incoming(judge.requirement):
        if exchange.urgent and exchange.availability == "INDIRECT":
            deadline_finding(campaign, judge, exchange, what="urgent request, indirectly available information")
    judge.else_not_applicable("no urgent request for indirectly available information was sent")


@pytest.mark.requirement("R-12", article="Art 5(1)(c)")
def test_other_requests_within_7_days(campaign: CampaignView, judge: Judge) -> None:
    """Every other request is answered within 7 calendar days of receipt."""
    for exchange in campaign.journal.incoming(judge.requirement):
        if not exchange.urgent:
            deadline_finding(campaign, judge, exchange, what="non-urgent request")
    judge.else_not_applicable("no non-urgent request was sent")


@pytest.mark.requirement("R-13", article="Art 5(1) §2")
def test_limits_run_from_receipt(campaign: CampaignView, judge: Judge) -> None:
    """The CMS records the receipt of each request as the network delivered it and counts its limit from it."""
    rule = "the time limit runs from the receipt of the request (Art 5(1) §2)"
    for exchange in campaign.journal.incoming(judge.requirement):
        message = campaign.journal.message(exchange.message_id)
        if message is None:
            continue
        # In real time mode the SUT may stamp its receipt when the delivery reached it, up to its acknowledgement.
        received, acked = campaign.times.receipt_bounds(message, campaign.journal.recipient(exchange))
        off = _outside(received - _TOLERANCE, acked + _TOLERANCE)

        case = campaign.records.case(exchange)
        evidence = campaign.journal.evidence(exchange)
        if case is None:
            judge.failed(exchange.key, rule=rule, evidence=evidence, expected="a case record with the receipt time",
                         observed=f"no case in the SUT's export holds {message.message_id}")
            continue
        counted = (case.deadline or {}).get("counted_from")
        delivered = f"delivered {utc_text(received)}" + (
            f", acknowledged by the SUT {utc_text(acked)}" if acked > received else "")
        if campaign.times.cross_clock is not None and case.received_at is not None:
            _own_clock_receipt(campaign, judge, exchange.key, case.received_at, counted, delivered, evidence)
            continue
        problems = []
        if case.received_at is None or off(case.received_at):
            problems.append(f"recorded receipt {utc_text(case.received_at)}")
        if counted is not None and off(parse_time(str(counted))):
            problems.append(f"the deadline is counted from {counted}")
        judge.check(not problems, exchange.key, rule=rule, evidence=evidence,
                    observed=f"{delivered}; " + ("; ".join(problems) or "receipt recorded and counted"),
                    expected=f"receipt {utc_text(received)} recorded and the limit counted from it"
                    + (f" (or the SUT's arrival stamp, by {utc_text(acked)})" if acked > received else ""))


def _outside(earliest: datetime, latest: datetime) -> Callable[[datetime], bool]:
    return lambda moment: not earliest <= moment <= latest


def _own_clock_receipt(campaign: CampaignView, judge: Judge, instance: str, recorded: datetime, counted: object,
                       delivered: str, evidence: list[Evidence]) -> None:
    """Declared mode, the SUT's clock disagreeing with the network's: whether its recorded receipt is the delivery
    cannot be told; that its deadline runs from its own recorded receipt can."""
    rule = "the time limit runs from the receipt of the request (Art 5(1) §2)"
    counted_from = parse_time(str(counted)) if counted is not None else None
    if counted_from is not None and abs(counted_from - recorded) > _TOLERANCE:
        judge.failed(instance, rule=rule, evidence=evidence,
                     observed=f"recorded receipt {utc_text(recorded)}; the deadline is counted from {counted}, "
                     f"{describe_gap(recorded, counted_from)} after it (both by the SUT's clock)",
                     expected="the limit counted from the recorded receipt")
        return
    counting = "; the deadline is counted from it" if counted_from is not None else ""
    judge.inconclusive(instance, rule=rule, evidence=evidence,
                       observed=f"{delivered} by the network's clock; recorded receipt {utc_text(recorded)} "
                       f"by the SUT's{counting}; whether the recorded receipt is the delivery cannot be told: "
                       f"{campaign.times.cross_clock}")


@pytest.mark.requirement("R-14", article="Art 5(1)")
def test_limits_are_ceilings(campaign: CampaignView, judge: Judge) -> None:
    """No request is answered later than its Art 5(1) ceiling; the limits are maxima, not targets."""
    for exchange in campaign.journal.incoming(judge.requirement):
        kind = ("urgent request" if exchange.urgent else "non-urgent request") + " (ceiling of Art 5(1))"
        deadline_finding(campaign, judge, exchange, what=kind)
    judge.else_not_applicable("no incoming request was sent")


@pytest.mark.requirement("R-68", article="Art 14(3)(a)(ii)")
def test_spoc_works_around_the_clock(campaign: CampaignView, judge: Judge) -> None:
    """Requests received at night, at weekends and on public holidays are answered within their limits."""
    for exchange in campaign.journal.incoming(judge.requirement):
        if set(exchange.labels) & {"night", "weekend", "holiday", "dst"}:
            deadline_finding(campaign, judge, exchange,
                             what=f"request received ({', '.join(exchange.labels)}); the SPOC works 24/7")
    judge.else_not_applicable("no request was sent outside working hours")
