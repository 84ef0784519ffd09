"""The SIRENE channel: bureaux exchange numbered-field forms; request forms start the Art 8(3) timer.

A form is accepted only if every rule of `simulators.model.sirene` holds and its field 002 is new for
the sending state. A reply names, in `in_reply_to`, the field 002 of the form it answers; a request
form (E, F, G, I, J) is answered on an M form, which is how the hit flow runs (G on a hit, the
issuing bureau's M in reply). Each request form gets a reply deadline (`reply_due_at`, also in the
journaled payload, hence in /control/traffic); when the network time passes it without a reply from
an addressee, an overdue event is journaled and listed by /control/audit.

Timers follow the network clock and are derived from the journal: on start the channel reads the
current segment's forms, replies and overdue events back and arms what is still pending, so a
restart loses nothing that was acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from simulators.app import CHANNEL_SETTINGS
from simulators.model.directive import ChannelName, Violation
from simulators.model.envelope import Ack, Envelope
from simulators.model.sirene import (
    FormType,
    ReplyState,
    ReplyTimer,
    ReplyTimerPolicy,
    SireneForm,
    bureau_state,
    form_violations,
    reply_state,
    reply_timer,
)
from simulators.runtime import queries
from simulators.runtime.http import accepted_response, caller, idempotency_key, json_response
from simulators.runtime.mailbox import add_mailbox_routes
from simulators.runtime.network import NETWORK, Network, SendRequest
from simulators.runtime.openapi import HeaderParam, route
from simulators.runtime.problems import FieldError, ProblemError, read_json, validation_problem
from simulators.runtime.store import ENTRY_SEQ, Statement, db_time, parse_db_time

__all__ = ["OVERDUE_EVENT", "SireneEnvelope", "SireneFormView", "SireneSettings", "setup"]

CHANNEL = ChannelName.SIRENE
OVERDUE_EVENT = "sirene.reply_overdue"
_IDEMPOTENCY = HeaderParam(
    "Idempotency-Key", "Repeat a send safely: the same key returns the original form (200)", max_length=200
)
# The deadline is inclusive ("at the latest 12 hours"): the timer fires just after it.
_AFTER_DEADLINE = timedelta(milliseconds=1)
_AUDIT_INSERT = "INSERT INTO audit(journal_seq, at, party, action, detail) VALUES (?,?,?,?,?)"


class SireneSettings(BaseModel):
    """`ServerConfig.channel_settings["sirene"]`: the reply timer's two lengths, in seconds."""

    model_config = ConfigDict(extra="forbid")

    standard_seconds: Annotated[float, Field(gt=0)] = 12 * 3600
    immediate_seconds: Annotated[float, Field(gt=0)] = Field(
        default=3600, description="'Immediately' (URGENT, terrorism, Art 32 children) as a number [A]"
    )

    def policy(self) -> ReplyTimerPolicy:
        return ReplyTimerPolicy(
            standard=timedelta(seconds=self.standard_seconds), immediate=timedelta(seconds=self.immediate_seconds)
        )


class SirenePayload(SireneForm):
    """A form as journaled: the form as sent (without `directive`), plus its reply timer."""

    reply_timer: ReplyTimer | None = None


class SireneEnvelope(Envelope):
    payload: SirenePayload  # type: ignore[assignment]


class ReplyStatus(BaseModel):
    bureau: str
    state: ReplyState
    reply_message_id: str | None = None
    replied_at: AwareDatetime | None = None
    overdue_recorded_at: AwareDatetime | None = Field(
        default=None, description="When the network recorded the missed deadline (journal audit event)"
    )


class SireneFormView(SireneEnvelope):
    acks: list[Ack] = Field(default_factory=list)
    reply_due_at: AwareDatetime | None = Field(description="Art 8(3) deadline; null for forms that ask nothing")
    replies: list[ReplyStatus] = Field(default_factory=list, description="Per addressee, for request forms")


@dataclass
class _Record:
    message_id: str
    form_type: FormType
    f002: str
    sender: str
    recipients: list[str]
    created_at: datetime
    due_at: datetime | None
    replies: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    overdue: dict[str, datetime] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return bureau_state(self.sender), self.f002


class FormBook:
    """The current segment's forms, indexed by (sending state, field 002); rebuilt from the journal."""

    def __init__(self, network: Network, policy: ReplyTimerPolicy) -> None:
        self.network = network
        self.policy = policy
        self.records: dict[str, _Record] = {}
        self.by_ref: dict[tuple[str, str], _Record] = {}
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def reserving(self, key: tuple[str, str]) -> AsyncIterator[None]:
        """Serialise sends of one field 002, so two at once cannot both pass the uniqueness check."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            users = self._locks[key][1] - 1
            if users:
                self._locks[key] = (lock, users)
            else:
                del self._locks[key]

    def add(self, envelope: Envelope) -> _Record:
        payload = SirenePayload.model_validate(envelope.payload)
        timer = payload.reply_timer
        record = _Record(
            message_id=envelope.message_id,
            form_type=payload.form_type,
            f002=payload.f002_form_ref,
            sender=envelope.sender,
            recipients=list(envelope.to),
            created_at=envelope.created_at,
            due_at=timer.reply_due_at if timer else None,
        )
        self.records[record.message_id] = record
        self.by_ref[record.key] = record
        parent = self.records.get(envelope.in_reply_to or "")
        if parent is not None and envelope.sender in parent.recipients and envelope.sender not in parent.replies:
            parent.replies[envelope.sender] = (envelope.message_id, envelope.created_at)
        return record

    def pending(self, record: _Record) -> list[str]:
        return [b for b in record.recipients if b not in record.replies and b not in record.overdue]

    async def load(self) -> None:
        """Read the current segment back and arm every reply timer still running."""
        segment = self.network.journal.segment

        def work(conn: Any) -> tuple[list[Envelope], list[tuple[str, str]]]:
            everything = queries.TrafficFilter(segment=segment, channel=CHANNEL.value, limit=2**62)
            envelopes = queries.traffic(conn, everything)
            rows = conn.execute(
                "SELECT data, at FROM journal WHERE kind = ? AND segment = ? ORDER BY seq", (OVERDUE_EVENT, segment)
            ).fetchall()
            return envelopes, [(str(r[0]), str(r[1])) for r in rows]

        envelopes, overdue = await self.network.journal.read(work)
        self.records.clear()
        self.by_ref.clear()
        for envelope in envelopes:
            self.add(envelope)
        for data, at in overdue:
            event = _OverdueEvent.model_validate_json(data)
            found = self.records.get(event.message_id)
            if found is not None:
                found.overdue[event.bureau] = parse_db_time(at)
        for record in self.records.values():
            if record.due_at is not None and self.pending(record):
                self.arm(record)

    def arm(self, record: _Record) -> None:
        assert record.due_at is not None
        self.network.schedule_at(
            record.due_at + _AFTER_DEADLINE, f"sirene-reply:{record.message_id}", lambda: self.expire(record)
        )

    async def expire(self, record: _Record) -> None:
        """The deadline has passed: journal one overdue event per addressee that has not replied."""
        if self.records.get(record.message_id) is not record or record.due_at is None:
            return  # a reset forgot it
        for bureau in self.pending(record):
            now = self.network.clock.now()
            event = _OverdueEvent(
                message_id=record.message_id,
                form_type=record.form_type,
                f002_form_ref=record.f002,
                sender=record.sender,
                bureau=bureau,
                reply_due_at=record.due_at,
                recorded_at=now,
            )
            detail = (
                f"{bureau} did not reply by {db_time(record.due_at)} to {record.form_type} form "
                f"{record.f002} ({record.message_id}) from {record.sender}; Reg (EU) 2018/1862 Art 8(3)"
            )
            await self.network.journal.append(
                OVERDUE_EVENT,
                event.model_dump(mode="json"),
                at=now,
                statements=_audit_row(now, bureau, OVERDUE_EVENT, detail),
            )
            record.overdue[bureau] = now

    async def forget(self) -> None:
        self.records.clear()
        self.by_ref.clear()


class _OverdueEvent(BaseModel):
    message_id: str
    form_type: FormType
    f002_form_ref: str
    sender: str
    bureau: str
    reply_due_at: AwareDatetime
    recorded_at: AwareDatetime


_BOOK = web.AppKey("sirene_form_book", FormBook)


def _audit_row(at: datetime, party: str, action: str, detail: str) -> list[Statement]:
    """The audit-table row of a journal entry (listed by GET /control/audit)."""
    return [(_AUDIT_INSERT, (ENTRY_SEQ, db_time(at), party, action, detail))]


def _unprocessable(violations: list[Violation]) -> ProblemError:
    errors = [FieldError(field=v.field, rule=f"{v.rule} ({v.article})") for v in violations]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return ProblemError(
        422, "Validation failed", f"{errors[0].field}: {errors[0].rule}{more}", slug="validation", errors=errors
    )


def _resolve_reply(book: FormBook, form: SireneForm) -> _Record | None:
    if form.in_reply_to is None:
        return None
    candidates = [
        found
        for bureau in form.f004_recipient_bureaux
        if (found := book.by_ref.get((bureau_state(bureau), form.in_reply_to))) is not None
        and form.f003_sender_bureau in found.recipients
    ]
    if not candidates:
        raise _unprocessable(
            [
                Violation(
                    field="in_reply_to",
                    rule=f"{form.in_reply_to!r} is not the field 002 of a form that one of the addressees sent to "
                    f"{form.f003_sender_bureau}",
                    article="SIRENE Manual, field 002",
                )
            ]
        )
    if len(candidates) > 1:
        raise _unprocessable(
            [
                Violation(
                    field="f004_recipient_bureaux",
                    rule=f"several addressees used field 002 {form.in_reply_to!r}; address the reply to the "
                    "form's sender only",
                    article="SIRENE Manual, field 002",
                )
            ]
        )
    parent = candidates[0]
    if parent.form_type in book.policy.request_forms and form.form_type is not FormType.M:
        raise _unprocessable(
            [
                Violation(
                    field="form_type",
                    rule=f"a reply to a {parent.form_type} form is an M form",
                    article="SIRENE Manual, M form",
                )
            ]
        )
    return parent


async def send(request: web.Request) -> web.Response:
    party = caller(request).require_party()
    try:
        form = SireneForm.model_validate(await read_json(request))
    except ValidationError as exc:
        raise validation_problem(exc) from None
    network = request.app[NETWORK]
    book = request.app[_BOOK]
    if form.f003_sender_bureau != party:
        await network.refuse(party, "send", f"send as {form.f003_sender_bureau} on SIRENE (authenticated as {party})")
    violations = form_violations(form)
    if violations:
        raise _unprocessable(violations)
    key = idempotency_key(request)
    sent = form.model_dump(mode="json", exclude={"directive"}, exclude_none=True)
    ref = (bureau_state(form.f003_sender_bureau), form.f002_form_ref)
    async with book.reserving(ref):
        existing = book.by_ref.get(ref)
        payload: dict[str, Any]
        if existing is not None:
            payload, parent_id = await _replayed_send(network, party, key, existing, sent)
        else:
            parent = _resolve_reply(book, form)
            parent_id = parent.message_id if parent else None
            timer = reply_timer(form, network.clock.now(), book.policy)
            payload = {**sent, "reply_timer": timer.model_dump(mode="json") if timer else None}
        envelope = await network.accept(SendRequest(
            channel=CHANNEL,
            sender=form.f003_sender_bureau,
            to=form.f004_recipient_bureaux,
            payload=payload,
            directive=form.directive,
            in_reply_to=parent_id,
            idempotency_key=key,
        ))
        if existing is None:
            record = book.add(envelope)
            if record.due_at is not None:
                book.arm(record)
    return accepted_response(request, envelope, location=f"/sirene/forms/{envelope.message_id}")


async def _replayed_send(
    network: Network, party: str, key: str | None, existing: _Record, sent: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """What the original send carried when this is its retry (same Idempotency-Key); else a 409.

    Handing the network the original's payload lets it answer with the original message, or with
    its own 409 when the retried form differs from it.
    """
    if key is not None:
        previous = await network.journal.read(lambda c: queries.idempotent_message(c, party, CHANNEL.value, key))
        if previous is not None and previous[1] == existing.message_id:
            stored = await network.message(existing.message_id)
            assert stored is not None
            original = {k: v for k, v in stored.payload.items() if k != "reply_timer"}
            if original == sent:
                return dict(stored.payload), stored.in_reply_to
            return {**sent, "reply_timer": None}, stored.in_reply_to
    raise ProblemError(
        409,
        "Form reference already used",
        f"field 002 {existing.f002!r} of {bureau_state(existing.sender)} was already used by {existing.message_id}",
        slug="duplicate-form-ref",
        errors=[
            FieldError(
                field="f002_form_ref",
                rule=f"must be unique across all forms of the sending state; {existing.f002!r} is "
                f"{existing.message_id} (SIRENE Manual, field 002)",
            )
        ],
    )


def _statuses(record: _Record | None, now: datetime) -> Iterator[ReplyStatus]:
    if record is None or record.due_at is None:
        return
    for bureau in record.recipients:
        reply = record.replies.get(bureau)
        yield ReplyStatus(
            bureau=bureau,
            state=reply_state(record.due_at, reply[1] if reply else None, now),
            reply_message_id=reply[0] if reply else None,
            replied_at=reply[1] if reply else None,
            overdue_recorded_at=record.overdue.get(bureau),
        )


async def get_form(request: web.Request) -> web.Response:
    who = caller(request)
    network = request.app[NETWORK]
    message_id = request.match_info["message_id"]
    view = await network.message(message_id)
    missing = ProblemError(404, "Not found", f"no SIRENE form {message_id!r}", slug="not-found")
    if view is None or view.channel is not CHANNEL:
        raise missing
    if not (who.control and who.party is None) and (who.party is None or not network.can_see(view, who.party)):
        # Answered as a missing id (ids are network-wide counters: a 403 would tell which exist).
        await network.refuse(who.party, "read", f"read SIRENE form {message_id}, which it neither sent nor received",
                             answer=missing)
    book = request.app[_BOOK]
    record = book.records.get(message_id)
    timer = view.payload.get("reply_timer") or {}
    body = SireneFormView.model_validate(
        {
            **view.model_dump(),
            "reply_due_at": timer.get("reply_due_at"),
            "replies": list(_statuses(record, network.clock.now())),
        }
    )
    return json_response(body)


def setup(app: web.Application) -> None:
    network = app[NETWORK]
    settings = SireneSettings.model_validate(dict(app.get(CHANNEL_SETTINGS, {}).get("sirene", {})))
    book = FormBook(network, settings.policy())
    app[_BOOK] = book

    async def load(_app: web.Application) -> None:
        await book.load()

    app.on_startup.append(load)
    network.on_reset(book.forget)
    route(
        app,
        "POST",
        "/sirene/forms",
        send,
        operation_id="sirene_send_form",
        tag="SIRENE",
        channel=CHANNEL,
        send=True,
        summary="Send a SIRENE form (journaled before the answer)",
        request=SireneForm,
        responses={201: SireneEnvelope, 200: SireneEnvelope},
        headers=[_IDEMPOTENCY],
        description="Field 003 must be the authenticated bureau; field 002 must be new for the sending state "
        "(409 otherwise). A request form (E, F, G, I, J) gets `payload.reply_timer.reply_due_at` (Reg (EU) "
        "2018/1862 Art 8(3): 12 h; 'immediately' for URGENT, terrorism and Art 32 child alerts, configurable). "
        "A reply names the answered form's field 002 in `in_reply_to` and is an M form.",
    )
    route(
        app,
        "GET",
        "/sirene/forms/{message_id}",
        get_form,
        operation_id="sirene_get_form",
        tag="SIRENE",
        channel=CHANNEL,
        summary="A SIRENE form with its reply deadline and each addressee's reply state",
        responses={200: SireneFormView},
    )
    add_mailbox_routes(app, CHANNEL)
