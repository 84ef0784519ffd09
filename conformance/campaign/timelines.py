"""Per-exchange timelines for the report: what the channels recorded about each incoming request.

Ground truth only: receipt is the network's delivery to the SUT, answers, delay notices, copies and
clarifications are journal messages, and the due times are computed here from that receipt under
both readings of Art 5(1) (the one the run judged by is named), with the Art 6(3) §2 suspension the
harness itself observed. Nothing here decides an outcome; the checks do, and the report links their
failed or warned instances to these timelines by exchange key.
"""

from __future__ import annotations

from datetime import datetime

from conformance.campaign.view import CampaignView
from conformance.ledger import Exchange, Observed
from reports.results import ExchangeTimeline, TimelineEvent, VirtualTime
from simulators.model.deadlines import DeadlineInputError, DeadlineMode, compute_deadline

__all__ = ["build_timelines"]

_READINGS = (DeadlineMode.ELAPSED, DeadlineMode.REG1182)


def _event_kind(message: Observed, exchange: Exchange, answers: set[str]) -> str:
    if message.message_id == exchange.message_id:
        return "request"
    if message.message_id in answers:
        return "answer"
    return (message.kind or "message").lower()


def _due_times(
    view: CampaignView, exchange: Exchange, received: datetime, suspensions: list[tuple[datetime, datetime]]
) -> dict[str, datetime]:
    if exchange.urgent is None:
        return {}
    availability = exchange.availability or "INDIRECT"
    due: dict[str, datetime] = {}
    for reading in _READINGS:
        try:
            deadline = compute_deadline(received, urgent=bool(exchange.urgent), availability=availability,
                                        mode=reading, timezone=view.settings.timezone, suspensions=suspensions)
        except (DeadlineInputError, ValueError):
            continue
        due[reading.value] = deadline.due_utc
    return due


def _timeline(view: CampaignView, exchange: Exchange) -> ExchangeTimeline:
    received = view.times.network_received_at(exchange)
    suspensions = view.times.suspensions(exchange)
    answers = view.journal.answers(exchange)
    answer_ids = {m.message_id for m in answers}
    events = [
        TimelineEvent(at=m.created_at, kind=_event_kind(m, exchange, answer_ids), label=m.summary(),
                      message_id=m.message_id)
        for m in sorted(view.journal.exchange_messages(exchange), key=lambda m: m.created_at)
    ]
    due = _due_times(view, exchange, received, suspensions) if received is not None else {}
    reading = view.settings.deadline_reading.value
    answered = min((m.created_at for m in answers), default=None)
    margin = (due[reading] - answered).total_seconds() if answered is not None and reading in due else None
    return ExchangeTimeline(
        key=exchange.key, scenario=exchange.scenario, title=exchange.title, labels=list(exchange.labels),
        timezone=view.settings.timezone, counterpart=exchange.counterpart, urgent=exchange.urgent,
        availability=exchange.availability, received_at=received, due=due, reading=reading,
        suspensions=[VirtualTime.between(start, max(start, end)) for start, end in suspensions],
        answered_at=answered, margin_seconds=margin, events=events,
        public_holidays=[day.isoformat() for day in view.settings.public_holidays],
    )


def build_timelines(view: CampaignView) -> list[ExchangeTimeline]:
    """One timeline per incoming request the campaign sent, in the order they were sent."""
    return [_timeline(view, exchange) for exchange in view.journal.incoming()]
