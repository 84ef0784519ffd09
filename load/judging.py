"""Judging one request's answer against its Art 5(1) limit, in network time.

One function for the locust users (as answers arrive) and for the reconciliation (from the journal,
after the run): the limit and the suspension rule are `simulators.model.deadlines`, never restated.
A judicial-authorisation request is on time when the delay notice (Art 5(2)) or the answer came
within the limit: Art 5(2) lets the answer itself come later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from load.traffic import RequestClass
from simulators.model.deadlines import compute_deadline

__all__ = ["Judgement", "judge_answer"]


@dataclass(frozen=True)
class Judgement:
    request_class: str
    basis: str  # e.g. "Art 5(1)(a)"
    received_at: datetime
    due: datetime
    answered_at: datetime
    met: bool
    margin_seconds: float  # network seconds left at the answer (negative: late)
    explanation: str

    @property
    def delay_seconds(self) -> float:
        """Network seconds from the SUT's receipt to the final answer."""
        return (self.answered_at - self.received_at).total_seconds()


def judge_answer(
    cls: RequestClass,
    *,
    received_at: datetime,
    answered_at: datetime,
    delay_notice_at: datetime | None = None,
    suspensions: Sequence[tuple[datetime, datetime]] = (),
) -> Judgement:
    """`received_at`: the SUT's receipt (the delivery into its mailbox); `answered_at`: the final answer's
    acceptance by the channel; `suspensions`: Art 6(3) clarification intervals."""
    deadline = compute_deadline(received_at, urgent=cls.urgent, availability=cls.availability,
                                suspensions=suspensions)
    counted = answered_at
    how = f"final answer at {_z(answered_at)}"
    if delay_notice_at is not None and cls.fixture and cls.fixture.get("judicial_authorisation"):
        counted = min(answered_at, delay_notice_at)
        how = f"Art 5(2) delay notice at {_z(delay_notice_at)}, final answer at {_z(answered_at)}"
    margin = (deadline.due_utc - counted).total_seconds()
    met = margin >= 0
    verdict = "met" if met else f"missed by {-margin / 3600:.2f} h"
    return Judgement(
        request_class=cls.name, basis=deadline.basis, received_at=received_at, due=deadline.due_utc,
        answered_at=answered_at, met=met, margin_seconds=margin,
        explanation=f"{deadline.explanation} {how}: {verdict}.",
    )


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
