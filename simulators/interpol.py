"""The Interpol I-24/7 channel: notice requests under review, diffusions, NCB messages, public notices.

A notice request goes to the simulated General Secretariat (IPSG). After the review delay (network
time, 24 h by default) IPSG applies `review_notice_request` and either publishes the notice to every
NCB the source does not keep it from, or sends the refusal with its reasons back to the requester.
Diffusions and messages go only to the NCBs the sender names. Every message carries its `source`
(the NCB the data come from) and the source's `restrictions`; passing received data on
(`forward_of`) keeps them, and sending to an NCB they exclude is refused with a journaled 403.

Reviews are derived from the journal (requests without a decision), so a restart re-arms them.
Published red, yellow and UN notices whose source allowed a public extract are served read-only on
`/notices/v1/...` with the public API's field names (`simulators.model.interpol_public`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from simulators.app import CHANNEL_SETTINGS
from simulators.model.directive import ChannelName, Violation
from simulators.model.envelope import Ack, Envelope
from simulators.model.interpol import (
    GENERAL_SECRETARIAT,
    I247Kind,
    I247Message,
    ReviewDecision,
    ReviewFinding,
    ReviewOutcome,
    ReviewPolicy,
    SourceRestrictions,
    merge_restrictions,
    message_violations,
    publication_recipients,
    restriction_violations,
    review_notice_request,
)
from simulators.model.interpol_public import (
    PUBLIC_KINDS,
    NoticeQuery,
    PublicKind,
    PublishedNotice,
    entity_id_from_url,
    images_document,
    listing,
    notice_detail,
)
from simulators.runtime import queries
from simulators.runtime.http import accepted_response, caller, idempotency_key, json_response
from simulators.runtime.mailbox import add_mailbox_routes, parse_query
from simulators.runtime.network import NETWORK, Network, SendRequest
from simulators.runtime.openapi import HeaderParam, route
from simulators.runtime.problems import FieldError, ProblemError, read_json, validation_problem

__all__ = ["InterpolEnvelope", "InterpolMessageView", "InterpolSettings", "ReviewView", "setup"]

CHANNEL = ChannelName.INTERPOL
_IDEMPOTENCY = HeaderParam(
    "Idempotency-Key", "Repeat a send safely: the same key returns the original message (200)", max_length=200
)
_FIRST_NOTICE_NUMBER = 10_001


class InterpolSettings(BaseModel):
    """`ServerConfig.channel_settings["interpol"]`: the General Secretariat's review."""

    model_config = ConfigDict(extra="forbid")

    review_delay_seconds: Annotated[float, Field(ge=0)] = 24 * 3600
    min_penalty_years: Annotated[float, Field(ge=0)] = 2.0
    min_remaining_sentence_months: Annotated[float, Field(ge=0)] = 6.0

    def policy(self) -> ReviewPolicy:
        return ReviewPolicy(
            delay=timedelta(seconds=self.review_delay_seconds),
            min_penalty_years=self.min_penalty_years,
            min_remaining_sentence_months=self.min_remaining_sentence_months,
        )


class NoticeInfo(BaseModel):
    entity_id: str = Field(description='Notice id as the public API writes it, "2026/10001"')
    published_at: AwareDatetime
    request_message_id: str
    requester: str


class InterpolPayload(BaseModel):
    """An I-24/7 message as journaled: the content sent, its source and restrictions, review data."""

    model_config = ConfigDict(extra="allow")

    kind: I247Kind
    source: str = Field(description="The NCB the data come from; its restrictions bind every recipient")
    restrictions: SourceRestrictions
    review_due_at: AwareDatetime | None = Field(default=None, description="Notice requests: end of the review")
    notice: NoticeInfo | None = Field(default=None, description="Published notices")
    findings: list[ReviewFinding] = Field(default_factory=list, description="Refusals: why")


class InterpolEnvelope(Envelope):
    payload: InterpolPayload  # type: ignore[assignment]


class ReviewView(BaseModel):
    status: str = Field(description="REQUEST_BEING_PROCESSED, PUBLISHED or REFUSED")
    due_at: AwareDatetime
    decided_at: AwareDatetime | None = None
    decision_message_id: str | None = None
    entity_id: str | None = None
    findings: list[ReviewFinding] = Field(default_factory=list)


class InterpolMessageView(InterpolEnvelope):
    acks: list[Ack] = Field(default_factory=list)
    review: ReviewView | None = Field(default=None, description="Notice requests: the General Secretariat's review")


@dataclass
class _Review:
    request: Envelope
    content: I247Message
    due_at: datetime
    decision: Envelope | None = None


class Desk:
    """The simulated General Secretariat's desk: reviews in progress and notices published."""

    def __init__(self, network: Network, policy: ReviewPolicy) -> None:
        self.network = network
        self.policy = policy
        self.reviews: dict[str, _Review] = {}
        self.notices: list[PublishedNotice] = []
        self.numbers_taken = 0  # taken before the await that publishes, so two decisions never share one

    def note(self, envelope: Envelope) -> None:
        payload = InterpolPayload.model_validate(envelope.payload)
        if payload.kind is I247Kind.NOTICE_REQUEST and payload.review_due_at is not None:
            self.reviews[envelope.message_id] = _Review(envelope, _content(envelope), payload.review_due_at)
        elif payload.kind in (I247Kind.NOTICE, I247Kind.NOTICE_REFUSAL):
            review = self.reviews.get(envelope.in_reply_to or "")
            if review is not None:
                review.decision = envelope
            if payload.notice is not None:
                self.notices.append(
                    PublishedNotice(
                        entity_id=payload.notice.entity_id,
                        colour=_content(envelope).colour,
                        published_at=payload.notice.published_at,
                        requester=payload.notice.requester,
                        request_message_id=payload.notice.request_message_id,
                        content=_content(envelope),
                    )
                )

    async def load(self) -> None:
        segment = self.network.journal.segment
        everything = queries.TrafficFilter(segment=segment, channel=CHANNEL.value, limit=2**62)
        envelopes = await self.network.journal.read(lambda c: queries.traffic(c, everything))
        await self.forget()
        for envelope in envelopes:
            self.note(envelope)
        self.numbers_taken = len(self.notices)
        for review in self.reviews.values():
            if review.decision is None:
                self.arm(review)

    async def forget(self) -> None:
        self.reviews.clear()
        self.notices.clear()
        self.numbers_taken = 0

    def arm(self, review: _Review) -> None:
        self.network.schedule_at(
            review.due_at, f"interpol-review:{review.request.message_id}", lambda: self.decide(review)
        )

    async def decide(self, review: _Review) -> None:
        if self.reviews.get(review.request.message_id) is not review or review.decision is not None:
            return
        decision = review_notice_request(review.content, self.policy)
        review.decision = await self.announce(review.content, decision, review.request)

    async def announce(
        self, content: I247Message, decision: ReviewDecision, request: Envelope | None, key: str | None = None
    ) -> Envelope:
        """Send the decision: the notice to the NCBs, or the refusal to the requester."""
        now = self.network.clock.now()
        requester = content.sender
        base = _payload(content, source=requester, restrictions=content.restrictions)
        if decision.outcome is ReviewOutcome.REFUSED:
            base.update(
                kind=I247Kind.NOTICE_REFUSAL.value,
                subject=f"Refused: {content.subject}"[:255],
                body=decision.reason,
                findings=[f.model_dump() for f in decision.findings],
            )
            recipients = [requester]
        else:
            entity_id = f"{now.year}/{_FIRST_NOTICE_NUMBER + self.numbers_taken}"
            self.numbers_taken += 1
            request_id = request.message_id if request else ""
            base.update(
                kind=I247Kind.NOTICE.value,
                notice=NoticeInfo(
                    entity_id=entity_id, published_at=now, request_message_id=request_id, requester=requester
                ).model_dump(mode="json"),
            )
            recipients = [n for n in publication_recipients(requester, content.restrictions) if n != requester]
            if request is not None:
                recipients.insert(0, requester)
        envelope = await self.network.accept(SendRequest(
            channel=CHANNEL,
            sender=GENERAL_SECRETARIAT,
            to=recipients,
            payload=base,
            in_reply_to=request.message_id if request else None,
            idempotency_key=key,
        ))
        self.note(envelope)
        return envelope


def _content(envelope: Envelope) -> I247Message:
    fields = set(I247Message.model_fields) - {"sender", "to", "directive", "kind"}
    data = {k: v for k, v in envelope.payload.items() if k in fields}
    return I247Message.model_validate({**data, "kind": I247Kind.NOTICE_REQUEST, "sender": envelope.sender})


def _payload(message: I247Message, *, source: str, restrictions: SourceRestrictions) -> dict[str, Any]:
    body = message.model_dump(mode="json", exclude={"directive", "sender", "to"}, exclude_none=True)
    body.update(source=source, restrictions=restrictions.model_dump(mode="json"))
    return body


_DESK = web.AppKey("interpol_desk", Desk)


def _problem(status: int, title: str, slug: str, violations: list[Violation]) -> ProblemError:
    errors = [FieldError(field=v.field, rule=f"{v.rule} ({v.article})") for v in violations]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return ProblemError(status, title, f"{errors[0].field}: {errors[0].rule}{more}", slug=slug, errors=errors)


# Long: the I-24/7 send path as the channel answers it: authentication, validation,
# idempotency, routing to the desk and the journal, each step a distinct answer to the caller.
async def send(request: web.Request) -> web.Response:
    party = caller(request).require_party()
    try:
        message = I247Message.model_validate(await read_json(request))
    except ValidationError as exc:
        raise validation_problem(exc) from None
    network = request.app[NETWORK]
    desk = request.app[_DESK]
    if message.sender != party:
        await network.refuse(party, "send", f"send as {message.sender} on Interpol I-24/7 (authenticated as {party})")
    today = network.clock.now().date()
    violations = message_violations(message, today)
    if violations:
        raise _problem(422, "Validation failed", "validation", violations)
    key = idempotency_key(request)
    if message.kind is I247Kind.NOTICE_REQUEST:
        if message.sender == GENERAL_SECRETARIAT:
            decision = review_notice_request(message, desk.policy)
            if decision.outcome is ReviewOutcome.REFUSED:
                findings = [Violation(field=f.field, rule=f.rule, article=f.article) for f in decision.findings]
                raise _problem(422, "Notice not publishable", "notice-refused", findings)
            previous = await _previous_send(network, party, key)
            envelope = previous or await desk.announce(message, decision, None, key)
            return accepted_response(request, envelope, location=f"/interpol/messages/{envelope.message_id}")
        payload = _payload(message, source=message.sender, restrictions=message.restrictions)
        due = network.clock.now() + desk.policy.delay
        payload["review_due_at"] = due.astimezone(UTC).isoformat().replace("+00:00", "Z")
        payload = await _as_retried(network, party, key, payload)
        envelope = await network.accept(SendRequest(
            channel=CHANNEL,
            sender=message.sender,
            to=[GENERAL_SECRETARIAT],
            payload=payload,
            directive=message.directive,
            in_reply_to=message.in_reply_to,
            idempotency_key=key,
        ))
        if envelope.message_id not in desk.reviews:
            desk.note(envelope)
            desk.arm(desk.reviews[envelope.message_id])
        return accepted_response(request, envelope, location=f"/interpol/messages/{envelope.message_id}")

    source, restrictions = message.sender, message.restrictions
    if message.forward_of is not None:
        original = await network.message(message.forward_of)
        if original is None or original.channel is not CHANNEL or not network.can_see(original, party):
            raise _problem(
                422,
                "Validation failed",
                "validation",
                [
                    Violation(
                        field="forward_of",
                        rule=f"{message.forward_of!r} is not an Interpol message {party} received",
                        article="Interpol RPD: data are passed on only by those who hold them",
                    )
                ],
            )
        held = InterpolPayload.model_validate(original.payload)
        source, restrictions = held.source, merge_restrictions(held.restrictions, message.restrictions)
    breaches = restriction_violations(message.to, restrictions, source=source, sender=party, today=today)
    if breaches:
        await _refuse_breach(network, party, message, source, breaches)
    envelope = await network.accept(SendRequest(
        channel=CHANNEL,
        sender=message.sender,
        to=message.to,
        payload=_payload(message, source=source, restrictions=restrictions),
        directive=message.directive,
        in_reply_to=message.in_reply_to,
        idempotency_key=key,
    ))
    return accepted_response(request, envelope, location=f"/interpol/messages/{envelope.message_id}")


async def _refuse_breach(
    network: Network, party: str, message: I247Message, source: str, breaches: list[Violation]
) -> None:
    """Journal the attempted breach (a CMS under test tried it) and answer 403 naming the rule."""
    what = "forward" if message.forward_of else message.kind.lower()
    with contextlib.suppress(ProblemError):  # refuse() journals, then raises its generic 403
        await network.refuse(
            party, "interpol.restriction", f"{what} data of {source} against its restrictions: {breaches[0].rule}"
        )
    raise _problem(403, "Restricted by the source of the data", "source-restriction", breaches)


async def _as_retried(network: Network, party: str, key: str | None, payload: dict[str, Any]) -> dict[str, Any]:
    """A retried notice request (same Idempotency-Key, same content) keeps its original review deadline.

    The deadline is part of the journaled payload, so without this the retry would differ from the
    original and the network would answer 409 instead of the original message.
    """
    stored = await _previous_send(network, party, key)
    if stored is None:
        return payload
    same = {k: v for k, v in stored.payload.items() if k != "review_due_at"} == {
        k: v for k, v in payload.items() if k != "review_due_at"
    }
    return dict(stored.payload) if same else payload


async def _previous_send(network: Network, party: str, key: str | None) -> Envelope | None:
    """The message an earlier send with this Idempotency-Key created (the General Secretariat's own notices)."""
    if key is None:
        return None
    previous = await network.journal.read(lambda c: queries.idempotent_message(c, party, CHANNEL.value, key))
    stored = await network.message(previous[1]) if previous else None
    return Envelope.model_validate(stored.model_dump(exclude={"acks"})).mark_replayed() if stored else None


def _review_view(desk: Desk, message_id: str) -> ReviewView | None:
    review = desk.reviews.get(message_id)
    if review is None:
        return None
    view = ReviewView(status="REQUEST_BEING_PROCESSED", due_at=review.due_at)
    if review.decision is not None:
        decided = InterpolPayload.model_validate(review.decision.payload)
        view.status = "PUBLISHED" if decided.kind is I247Kind.NOTICE else "REFUSED"
        view.decided_at = review.decision.created_at
        view.decision_message_id = review.decision.message_id
        view.entity_id = decided.notice.entity_id if decided.notice else None
        view.findings = decided.findings
    return view


async def get_message(request: web.Request) -> web.Response:
    who = caller(request)
    network = request.app[NETWORK]
    message_id = request.match_info["message_id"]
    view = await network.message(message_id)
    missing = ProblemError(404, "Not found", f"no Interpol message {message_id!r}", slug="not-found")
    if view is None or view.channel is not CHANNEL:
        raise missing
    if not (who.control and who.party is None) and (who.party is None or not network.can_see(view, who.party)):
        # Answered as a missing id (ids are network-wide counters: a 403 would tell which exist).
        await network.refuse(
            who.party, "read", f"read Interpol message {message_id}, which it neither sent nor received",
            answer=missing,
        )
    body = {**view.model_dump(), "review": _review_view(request.app[_DESK], message_id)}
    return json_response(InterpolMessageView.model_validate(body))


def _public(request: web.Request, kind: PublicKind) -> PublishedNotice:
    wanted = entity_id_from_url(request.match_info["notice_id"])
    for notice in request.app[_DESK].notices:
        if notice.entity_id == wanted and notice.public and notice.public_kind == kind:
            return notice
    raise ProblemError(
        404, "Not found", f"no public {kind} notice {request.match_info['notice_id']!r}", slug="not-found"
    )


def _kind(request: web.Request) -> PublicKind:
    kind = request.match_info.get("kind", "un")
    assert kind in PUBLIC_KINDS
    return kind  # type: ignore[return-value]


async def public_list(request: web.Request) -> web.Response:
    query = parse_query(request, NoticeQuery)
    network = request.app[NETWORK]
    doc = listing(
        _kind(request),
        request.app[_DESK].notices,
        query,
        base=str(request.url.origin()),
        today=network.clock.now().date(),
    )
    return json_response(doc)


async def public_detail(request: web.Request) -> web.Response:
    kind = _kind(request)
    return json_response(notice_detail(kind, _public(request, kind), base=str(request.url.origin())))


async def public_images(request: web.Request) -> web.Response:
    kind = _kind(request)
    return json_response(images_document(kind, _public(request, kind), base=str(request.url.origin())))


def setup(app: web.Application) -> None:
    network = app[NETWORK]
    settings = InterpolSettings.model_validate(dict(app.get(CHANNEL_SETTINGS, {}).get("interpol", {})))
    desk = Desk(network, settings.policy())
    app[_DESK] = desk

    async def load(_app: web.Application) -> None:
        await desk.load()

    app.on_startup.append(load)
    network.on_reset(desk.forget)
    route(
        app,
        "POST",
        "/interpol/messages",
        send,
        operation_id="interpol_send",
        tag="Interpol I-24/7",
        channel=CHANNEL,
        send=True,
        summary="Send a notice request, diffusion or NCB message (journaled first)",
        request=I247Message,
        responses={201: InterpolEnvelope, 200: InterpolEnvelope},
        headers=[_IDEMPOTENCY],
        description="NOTICE_REQUEST goes to IPSG and is published to all NCBs or refused after the review "
        "(default 24 h of network time; RPD Art 83 minimum conditions, Constitution Art 3 neutrality). "
        "DIFFUSION and MESSAGE go only to `to`. `forward_of` passes on received data with the source's "
        "restrictions; a recipient they exclude is refused with 403.",
    )
    route(
        app,
        "GET",
        "/interpol/messages/{message_id}",
        get_message,
        operation_id="interpol_get_message",
        tag="Interpol I-24/7",
        channel=CHANNEL,
        summary="An Interpol message, with the review of a notice request",
        responses={200: InterpolMessageView},
    )
    public: dict[str, Any] = {"tag": "Interpol public notices (mimic)", "auth": "none", "responses": {200: None}}
    route(
        app,
        "GET",
        "/notices/v1/{kind:red|yellow|un}",
        public_list,
        operation_id="public_notices",
        summary="Published public notices as a HAL list (total, query, _embedded.notices, _links)",
        query=NoticeQuery,
        **public,
    )
    for path, operation_id, handler, summary in (
        ("/notices/v1/{kind:red|yellow}/{notice_id}", "public_notice", public_detail, "One red or yellow notice"),
        ("/notices/v1/{kind:red|yellow}/{notice_id}/images", "public_notice_images", public_images, "Its images"),
        ("/notices/v1/un/{un_type:persons}/{notice_id}", "public_un_notice", public_detail, "One UN notice"),
        ("/notices/v1/un/{un_type:persons}/{notice_id}/images", "public_un_notice_images", public_images, "Images"),
    ):
        route(app, "GET", path, handler, operation_id=operation_id, summary=summary, **public)
    add_mailbox_routes(app, CHANNEL)
