"""Deadline judgements and the way a check's findings become its outcome and explanation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conformance.settings import CampaignSettings
from conformance.verdicts import Judge, describe_gap, judge_deadline
from reports.results import Outcome
from simulators.model.deadlines import DeadlineMode

RECEIVED = datetime(2026, 3, 27, 22, 30, tzinfo=UTC)  # 23:30 in Vienna, a Friday night
SETTINGS = CampaignSettings()
REG1182 = CampaignSettings(deadline_reading=DeadlineMode.REG1182)


def _judge(answered: datetime | None, *, settings: CampaignSettings = SETTINGS, availability: str | None = "DIRECT",
           urgent: bool = True, until: datetime | None = None) -> Outcome:
    return judge_deadline(
        what="test", received_at=RECEIVED, answered_at=answered, urgent=urgent, availability=availability,
        settings=settings, observed_until=until or RECEIVED + timedelta(days=30),
    ).outcome


@pytest.mark.parametrize(
    ("after", "outcome"),
    [
        (timedelta(hours=8), Outcome.PASSED),  # at the latest within 8 hours: equality is in time
        (timedelta(hours=8, seconds=1), Outcome.WARNING),  # late by elapsed time, in time under Reg 1182/71
        (timedelta(hours=8, minutes=30), Outcome.WARNING),  # 23:30 receipt: Reg 1182 starts at 00:00
        (timedelta(hours=8, minutes=30, seconds=1), Outcome.FAILED),
        (timedelta(days=2), Outcome.FAILED),
    ],
)
def test_urgent_direct_limit_elapsed_reading(after: timedelta, outcome: Outcome) -> None:
    assert _judge(RECEIVED + after) is outcome


def test_reg1182_reading_passes_what_elapsed_reading_warns() -> None:
    assert _judge(RECEIVED + timedelta(hours=8, minutes=20), settings=REG1182) is Outcome.PASSED
    assert _judge(RECEIVED + timedelta(hours=8, minutes=31), settings=REG1182) is Outcome.FAILED


def test_reg1182_reading_warns_where_its_day_period_ends_before_the_elapsed_one() -> None:
    # Received Sat 28 Mar 2026 23:30 Vienna (22:30Z); urgent, indirectly available: 3 calendar days.
    # Elapsed: 31 Mar 22:30Z. Reg 1182/71: 24:00 of 31 Mar local, after the 29 Mar spring change
    # = 31 Mar 22:00Z, half an hour earlier. An answer in between is late only under Reg 1182/71.
    received = datetime(2026, 3, 28, 22, 30, tzinfo=UTC)

    def judge(answered: datetime, settings: CampaignSettings) -> Outcome:
        return judge_deadline(what="test", received_at=received, answered_at=answered, urgent=True,
                              availability="INDIRECT", settings=settings,
                              observed_until=received + timedelta(days=30)).outcome

    between = datetime(2026, 3, 31, 22, 15, tzinfo=UTC)
    assert judge(between, REG1182) is Outcome.WARNING
    assert judge(between, SETTINGS) is Outcome.PASSED
    assert judge(datetime(2026, 3, 31, 22, 31, tzinfo=UTC), REG1182) is Outcome.FAILED


def test_no_answer_is_inconclusive_before_the_deadline_and_failed_after() -> None:
    assert _judge(None, until=RECEIVED + timedelta(hours=7)) is Outcome.INCONCLUSIVE
    assert _judge(None, until=RECEIVED + timedelta(hours=8, minutes=10)) is Outcome.WARNING
    assert _judge(None, until=RECEIVED + timedelta(hours=9)) is Outcome.FAILED


def test_urgent_without_classification_uses_the_strictest_limit_and_is_inconclusive_between() -> None:
    assert _judge(RECEIVED + timedelta(hours=7), availability=None) is Outcome.PASSED
    assert _judge(RECEIVED + timedelta(days=1), availability=None) is Outcome.INCONCLUSIVE
    assert _judge(RECEIVED + timedelta(days=5), availability=None) is Outcome.FAILED


def test_non_urgent_seven_days_and_suspension_moves_the_deadline() -> None:
    late = RECEIVED + timedelta(days=7, hours=2)
    assert _judge(late, urgent=False, availability=None) is Outcome.FAILED
    suspended = judge_deadline(
        what="test", received_at=RECEIVED, answered_at=late, urgent=False, availability=None, settings=SETTINGS,
        observed_until=late, suspensions=[(RECEIVED + timedelta(hours=1), RECEIVED + timedelta(days=2))],
    )
    assert suspended.outcome is Outcome.PASSED
    assert "suspended" in suspended.observed


def test_describe_gap() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert describe_gap(start, start + timedelta(days=1, hours=2, minutes=3)) == "1 d 2 h 3 min"
    assert describe_gap(start, start + timedelta(seconds=5)) == "5 s"


def test_judge_takes_the_worst_finding_and_explains_itself() -> None:
    judge = Judge(check_id="art05.x", title="Urgent requests are answered in time", requirements=("R-10",),
                  article="Art 5(1)(a)", settings=SETTINGS, command="spoc-harness run --profile R-10")
    assert judge.outcome is Outcome.NOT_APPLICABLE
    judge.passed("a", rule="rule", observed="fine")
    assert judge.outcome is Outcome.PASSED
    judge.inconclusive("b", rule="rule", observed="unknown")
    assert judge.outcome is Outcome.INCONCLUSIVE
    judge.failed("c", rule="reply within 8 hours (Art 5(1)(a))", observed="answered after 10 h",
                 expected="by 06:30Z")
    assert judge.outcome is Outcome.FAILED
    message = judge.message()
    assert message.startswith("R-10 Art 5(1)(a): FAILED")
    assert "answered after 10 h" in message
    assert "by 06:30Z" in message
    assert "Art 5(1)(a)" in message
    assert f"seed {SETTINGS.seed}" in message
    assert "spoc-harness run --profile R-10" in message
    assert "[a]" not in message  # passed instances are not repeated when something went wrong
