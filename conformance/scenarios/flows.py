"""Reusable steps of scenarios: send a request to the SUT and follow it to its answers.

The requested SPOC's answers are matched by `in_reply_to` (the request's channel message id) or by
the directive's `case_reference` (the requester's reference), so that an answer that travelled on
another channel (Art 13(2)) is still found.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from conformance.actors import DirectiveActor, SireneBureau
from conformance.campaign.engine import deadline_marks
from conformance.campaign.http import HttpProblem
from conformance.ledger import Exchange, ExchangeKind, Observed
from conformance.scenarios.base import ScenarioContext
from conformance.settings import TimeMode
from conformance.sut import ExportedCaseRecord, ManualStepNotDone
from simulators.model.directive import ChannelException, DirectiveMessage, InformationRequest, MessageKind

__all__ = [
    "ANSWER_KINDS",
    "answered_items",
    "await_answers",
    "belongs_to",
    "decide",
    "find_case",
    "fixture",
    "horizon",
    "send_incoming",
]

ANSWER_KINDS = ("REPLY", "REFUSAL")


def fixture(subject: str, item: str, **fields: Any) -> dict[str, Any]:
    """A national-database record (docs/sut-interface.md, fixtures)."""
    record: dict[str, Any] = {"subject": subject, "item": item, "availability": "DIRECT",
                              "data_categories": ["PERSONAL_DETAILS"], "subject_category": "SUSPECT"}
    record.update(fields)
    return record


def belongs_to(message: Observed, exchange: Exchange) -> bool:
    if exchange.message_id and message.message_id == exchange.message_id:
        return False
    return bool(
        (exchange.message_id and message.in_reply_to == exchange.message_id)
        or (exchange.reference and message.case_reference == exchange.reference)
    )


def answered_items(messages: Sequence[Observed], expected: Sequence[str]) -> set[str]:
    """Items covered by REPLY information or REFUSAL (a refusal naming no item covers all)."""
    covered: set[str] = set()
    for m in messages:
        if m.kind == "REPLY":
            for item in m.field("information") or []:
                if isinstance(item, dict) and item.get("item_id"):
                    covered.add(str(item["item_id"]))
        elif m.kind == "REFUSAL":
            refused = [str(i) for i in (m.field("refused_items") or [])]
            covered |= set(refused) if refused else set(expected)
    return covered


def horizon(exchange: Exchange, received_at: datetime, ctx: ScenarioContext) -> datetime:
    """How long to keep watching an exchange: past its most lenient deadline."""
    return max(deadline_marks(exchange, received_at, ctx.settings)) + timedelta(hours=1)


async def send_incoming(
    ctx: ScenarioContext,
    *,
    key: str,
    title: str,
    requirements: Sequence[str],
    at: datetime,
    requester: str,
    request: InformationRequest,
    availability: str | None,
    expected: dict[str, str],
    labels: Sequence[str] = (),
    to: str | None = None,
    cc: Sequence[str] = (),
    crime_areas: Sequence[str] = ("SWINDLING_FRAUD",),
    facts: dict[str, Any] | None = None,
    message_language: str | None = None,
) -> tuple[Exchange, Observed]:
    """At `at`, `requester` sends `request` to the SUT (its SPOC unless `to`); the exchange is recorded.

    `message_language` writes the covering SIENA message in another language than the request's own.

    A SIRENE bureau as `requester` sends it as an E form to the SUT's bureau (`to`), the directive request
    carried with the Art 13(2)(b) urgency exception: the channel a SPOC may use for an urgent request."""
    await ctx.at(at)
    actor = ctx.network.actor(requester)
    if isinstance(actor, SireneBureau):
        assert to is not None, "a SIRENE form goes to the SUT's SIRENE bureau"
        message = await actor.send_form(_request_form(request, sender=requester, to=to, at=ctx.now),
                                        directive=DirectiveMessage(
                                            kind=MessageKind.REQUEST, case_reference=request.reference,
                                            language=request.language, request=request,
                                            channel_exception=ChannelException.URGENCY),
                                        scenario=ctx.name)
    else:
        assert isinstance(actor, DirectiveActor), f"{requester} cannot send directive requests"
        message = await actor.request(request, to=to or ctx.spoc, cc=cc, scenario=ctx.name, crime_areas=crime_areas,
                                      message_language=message_language)
    exchange = ctx.exchange(
        key, kind=ExchangeKind.INCOMING_REQUEST, title=title, requirements=requirements, labels=list(labels),
        reference=request.reference, message_id=message.message_id, requester=requester,
        counterpart=requester, urgent=request.urgent, language=request.language, availability=availability,
        expected=expected, subject=", ".join(e.attributes.get("name", "") for e in request.entities),
        sent_at=message.created_at, facts=dict(facts or {}),
    )
    exchange.facts.setdefault("recipient", to or ctx.spoc)
    exchange.facts.setdefault("cc", list(cc))
    exchange.facts.setdefault("crime_areas", list(crime_areas))
    exchange.add_event("sent", message.created_at, message.message_id)
    ctx.watch_deadlines(exchange)
    return exchange, message


def _request_form(request: InformationRequest, *, sender: str, to: str, at: datetime) -> dict[str, Any]:
    """An E form (request for information, SIRENE Manual) asking what `request` asks."""
    form: dict[str, Any] = {
        "form_type": "E", "f001_sent_at_utc": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "f002_form_ref": request.reference, "f003_sender_bureau": sender, "f004_recipient_bureaux": [to],
        "f083_information": request.info_requested or "Request for information", "language": request.language,
    }
    if request.urgent:
        form |= {"f311_important": "URGENT", "f311_reason": request.urgency_reasons or "Urgent request (Art 4(4))"}
    return form


async def await_answers(ctx: ScenarioContext, exchange: Exchange, *, until: datetime | None = None) -> None:
    """Wait until every expected item is answered (provided or refused) or the horizon passes."""
    sent = exchange.sent_at or ctx.now
    end = until or horizon(exchange, sent, ctx)
    expected = list(exchange.expected) or ["*"]
    seen: set[str] = set()
    while True:
        answers = [m for m in ctx.ledger.from_sut() if belongs_to(m, exchange) and m.kind in ANSWER_KINDS]
        seen |= {m.message_id for m in answers}
        if set(expected) <= answered_items(answers, expected):
            exchange.add_event("answered", max(m.created_at for m in answers))
            return
        found = await ctx.wait_for(_new_answer(exchange, frozenset(seen)), until=end)
        if found is None:
            return


def _new_answer(exchange: Exchange, seen: frozenset[str]) -> Callable[[Observed], bool]:
    def match(message: Observed) -> bool:
        return message.message_id not in seen and belongs_to(message, exchange) and message.kind in ANSWER_KINDS

    return match


async def decide(ctx: ScenarioContext, exchange: Exchange, body: dict[str, Any], *, instructions: str) -> bool:
    """An operator's decision on the exchange's case (`POST /sut/v1/cases/{id}/decision`), or a person's.

    A decision the SUT refuses (e.g. 409: the case is already concluded) or that nobody makes is recorded
    as a problem of the exchange, and the scenario goes on: the checks judge what the SUT did instead.
    """
    case = await find_case(ctx, exchange)
    if case is None and ctx.settings.time_mode is TimeMode.REAL:
        case = await _case_in_real_time(ctx, exchange)
    if case is None:
        exchange.problems.append(f"no case in the SUT's export for the decision {body.get('action')}")
        return False
    exchange.sut_case_id = case.case_id
    action = str(body.get("action"))
    try:
        await ctx.sut.perform(
            f"decisions.{action}|stimuli.decision",
            lambda: ctx.sut.decision(case.case_id, body, scenario=ctx.name),
            instructions=f"in case {case.case_id}: {instructions}", evidence=_nothing)
    except ManualStepNotDone as exc:
        exchange.problems.append(str(exc))
        return False
    except HttpProblem as exc:
        exchange.problems.append(f"the SUT refused the decision {action}: {exc}")
        return False
    return True


async def _case_in_real_time(ctx: ScenarioContext, exchange: Exchange) -> ExportedCaseRecord | None:
    """Real time mode decides at once, maybe before the SUT has opened the case of what it was just sent:
    it gets the real wait (--real-wait) to do so."""
    give_up = time.monotonic() + ctx.settings.real_mode_wait
    while time.monotonic() < give_up:
        await asyncio.sleep(0.25)
        case = await find_case(ctx, exchange)
        if case is not None:
            return case
    return None


async def _nothing() -> dict[str, Any] | None:
    return None


async def find_case(ctx: ScenarioContext, exchange: Exchange) -> ExportedCaseRecord | None:
    """The SUT's case record of an exchange: by a communication carrying its message id, else by reference."""
    cases = await ctx.sut.cases()
    for case in cases:
        if exchange.message_id and case.communication(exchange.message_id) is not None:
            return case
    for case in cases:
        if exchange.reference and case.reference == exchange.reference:
            return case
    return None
