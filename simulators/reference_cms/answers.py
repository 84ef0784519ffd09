"""Answering an incoming request: the deadline, replies, refusals, clarification requests, delay notices.

Every message of an answer is written in the language of the request (Art 5(3), Art 6(4)) and goes
to the requester with the copies the provision demands (Art 5(3) §2 for a designated authority's
request, Art 8 when a competent authority answers). The Art 12 decision on a copy to Europol is
taken when information is first provided and recorded in the case.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from simulators.model.deadlines import DeadlineMode, compute_deadline, iso_duration, load_zone
from simulators.model.directive import (
    Availability,
    DelayNotice,
    DirectiveMessage,
    InformationItem,
    MessageKind,
    RefusalGround,
)
from simulators.model.sut_interface import (
    CaseItem,
    CaseStatus,
    DeadlineRecord,
    EuropolDecision,
    FixtureRecord,
    ItemState,
)
from simulators.reference_cms.context import Context
from simulators.reference_cms.defects import (
    AUTHORITY_REPLY_OUTSIDE_CMS,
    DEADLINE_FROM_FIRST_VIEW,
    DEADLINE_IN_WORKING_DAYS,
    DELAY_NOTICE_IN_OWN_LANGUAGE,
    LAST_UPDATED_FROM_IMPORT,
    LATE_RETENTION_REVIEW,
    NO_EUROPOL_DECISION,
    NO_RELIABILITY_ELEMENTS,
    ONLY_OPEN_CASES_CONCLUDE,
    PARTIAL_REFUSAL_NOT_SENT,
    REFUSAL_IN_ENGLISH,
    REFUSAL_WITHOUT_GROUND,
    REPLY_IN_OWN_LANGUAGE,
)
from simulators.reference_cms.office_calendar import add_working_days
from simulators.reference_cms.policy import europol_rule
from simulators.reference_cms.sending import Outbound, Sender
from simulators.reference_cms.store import CaseState

__all__ = ["GROUND_TEXT", "Answering"]

GROUND_TEXT: dict[RefusalGround, str] = {
    RefusalGround.NA: "the information is not available to the SPOC or the competent authorities",
    RefusalGround.NC: "the request does not meet the requirements of Article 4",
    RefusalGround.JR: "the judicial authorisation required under national law was refused",
    RefusalGround.PD: "the information is personal data outside the categories of Article 10(b)",
    RefusalGround.DQ: "the information was found inaccurate, incomplete or no longer up to date",
    RefusalGround.NS: "provision would harm the essential interests of national security",
    RefusalGround.JI: "provision would jeopardise an ongoing investigation or the safety of an individual",
    RefusalGround.LP: "provision would unduly harm the protected important interests of a legal person",
    RefusalGround.MO: "the offence is punishable by imprisonment of one year or less",
    RefusalGround.NO: "the matter is not a criminal offence under national law",
    RefusalGround.OC: "the originator of the information has not consented to its provision",
}

_TIMED_ACTIONS = ("FOLLOW_UP", "ESCALATE")
_OPEN_WORK = ("ANSWER", "FOLLOW_UP", "ESCALATE", "JUDICIAL_UPDATE", "JUDICIAL_DECISION")


class Answering:
    def __init__(self, ctx: Context, sender: Sender) -> None:
        self.ctx = ctx
        self.sender = sender

    # -- deadline -----------------------------------------------------------------------------

    def set_deadline(self, case: CaseState, *, counted_from: datetime | None = None, restart: bool = False) -> None:
        """Compute the Art 5(1) deadline from receipt, counting the closed Art 6(3) suspensions."""
        ctx = self.ctx
        start = counted_from or case.received_at
        assert start is not None
        # Only a deadline set before planned a follow-up or an escalation (below): a new case has none to cancel.
        planned_before = case.deadline is not None
        suspensions = [] if restart else [(s, e) for s, e in case.suspensions if e is not None]
        deadline = compute_deadline(
            start,
            urgent=bool(case.urgent),
            availability=case.availability or Availability.DIRECT,
            mode=DeadlineMode(ctx.settings.deadline_mode),
            timezone=ctx.timezone,
            suspensions=suspensions,
        )
        if not case.urgent and ctx.defects.active(DEADLINE_IN_WORKING_DAYS):
            deadline = deadline.model_copy(update={
                "due_utc": add_working_days(start, 7, load_zone(ctx.timezone)) + deadline.suspended,
                "explanation": "7 working days (no weekends, no public holidays) from receipt"})
        case.deadline = DeadlineRecord(
            due=deadline.due_utc, basis=deadline.basis, limit=deadline.limit_iso, counted_from=start,
            suspended=iso_duration(deadline.suspended), mode=deadline.mode.value, explanation=deadline.explanation,
        )
        case.deadline_due, case.deadline_basis = deadline.due_utc, deadline.basis
        # Art 16(1)(e): follow the case up, then escalate it, as the deadline nears.
        if planned_before:
            ctx.store.cancel_actions(case.case_id, _TIMED_ACTIONS, ctx.now())
        for kind, share in (("FOLLOW_UP", ctx.settings.follow_up_at), ("ESCALATE", ctx.settings.escalate_at)):
            due = deadline.due_utc - deadline.limit * (1 - share)
            if due > ctx.now():
                ctx.store.plan(case.case_id, kind, due, {"deadline": deadline.due_utc.isoformat()})

    def first_view(self, case: CaseState) -> None:
        """The operator opens the case (the defect 'deadline-from-first-view' counts from here)."""
        if case.first_viewed_at is None:
            case.first_viewed_at = self.ctx.now()
            if self.ctx.defects.active(DEADLINE_FROM_FIRST_VIEW):
                self.set_deadline(case, counted_from=case.first_viewed_at)

    # -- language -----------------------------------------------------------------------------

    def language(self, case: CaseState) -> str:
        ctx = self.ctx
        if ctx.defects.active(REPLY_IN_OWN_LANGUAGE):
            return ctx.languages[0]
        if case.language and case.language in ctx.languages:
            return case.language
        return "en"

    # -- messages -----------------------------------------------------------------------------

    def _outbound(self, case: CaseState, directive: DirectiveMessage, subject: str, body: str, key: str,
                  *, with_copies: bool = False, europol: bool = False) -> Outbound:
        request = case.request or {}
        return Outbound(
            case_id=case.case_id,
            sender=case.own_party,
            to=[case.reply_to or case.counterpart or ""],
            copies=dict(case.reply_copies) if with_copies else {},
            europol=europol,
            directive=directive,
            subject=subject,
            body=body,
            urgent=bool(case.urgent),
            urgency_reason=request.get("urgency_reasons") or ("Urgent request (Art 4(4))" if case.urgent else None),
            crime_areas=case.crime_areas,
            information_access=case.availability.value if case.availability else None,
            channel=case.reply_channel,
            channel_exception=case.reply_exception,
            in_reply_to=case.origin_message_id if case.reply_channel == "SIENA" and case.reply_in_thread else None,
            channel_case_id=case.channel_case_id if case.reply_in_thread else None,
            key=key,
        )

    def _key(self, case: CaseState, what: str) -> str:
        return f"{case.case_id}:{what}:{self.ctx.store.next_number('outbound-keys')}"

    def _last_updated(self, record: FixtureRecord, loaded_at: str | None, bare: bool) -> datetime | None:
        """Art 10(c) 'as far as possible': the register's own date of last update, none where it has none."""
        if bare:
            return None
        if self.ctx.defects.active(LAST_UPDATED_FROM_IMPORT) and loaded_at:
            # Every record is dated by the import into the CMS, as if it had just been updated.
            return datetime.fromisoformat(loaded_at)
        return record.last_updated

    async def provide(self, case: CaseState, item_ids: list[str]) -> list[str]:
        """Send the information of these items (Art 5(1)); returns the message ids."""
        ctx = self.ctx
        information: list[InformationItem] = []
        originators: list[str] = []
        loaded_at = ctx.store.get("fixtures-loaded-at")
        bare = ctx.defects.active(NO_RELIABILITY_ELEMENTS)
        for item in case.items:
            if item.item_id not in item_ids:
                continue
            for record in case.work[item.item_id].records:
                if record.originator_state:
                    originators.append(record.originator_state)
                information.append(InformationItem(
                    item_id=item.item_id,
                    content=record.item,
                    entity_id=item.entity_id,
                    data_categories=record.data_categories,
                    subject_category=record.subject_category,
                    source_reliability=None if bare else record.source_reliability,
                    information_accuracy=None if bare else record.information_accuracy,
                    last_updated=self._last_updated(record, loaded_at, bare),
                    originator_state=record.originator_state,
                ))
        europol = self._europol(case, originators)
        directive = DirectiveMessage(
            kind=MessageKind.REPLY, case_reference=case.reference, language=self.language(case),
            information=information, europol_copy_decision=europol,
            # A copy the provision demands is withheld (Art 5(3) §3, Art 8(3)): the reply says on which ground.
            copy_exception=None if case.reply_copies else case.copy_exception,
        )
        out = self._outbound(case, directive, f"Reply to request {case.reference}",
                             f"Information provided for items {', '.join(item_ids)} (Art 5(1)).",
                             self._key(case, "reply"), with_copies=True, europol=europol == "COPY")
        if information:
            first = information[0]
            out.source_reliability, out.information_accuracy = first.source_reliability, first.information_accuracy
        if case.own_party.startswith("LEA-") and ctx.defects.active(AUTHORITY_REPLY_OUTSIDE_CMS):
            out.recorded = False  # sent from the authority's own system; the CMS sees only its SPOC's copy
        sent = await self.sender.deliver(out)
        for item in case.items:
            if item.item_id in item_ids:
                item.state = ItemState.PROVIDED
        ids = [c.message_id for c in sent]
        if case.europol_decision is not None and sent:
            case.europol_decision.message_ids.append(sent[0].message_id)
        return ids

    def _europol(self, case: CaseState, originators: list[str]) -> str | None:
        """Art 12(1): decide (once per exchange) whether Europol gets a copy, and record why."""
        if self.ctx.defects.active(NO_EUROPOL_DECISION):
            return None
        if case.europol_decision is None:
            copy, basis = europol_rule(case.crime_areas, case.serious_offence, originators)
            case.europol_decision = EuropolDecision(decision="COPY" if copy else "NO_COPY", basis=basis,
                                                    at=self.ctx.now())
        return case.europol_decision.decision

    async def refuse(self, case: CaseState, item_ids: list[str], grounds: list[RefusalGround],
                     reasons: str | None = None) -> list[str]:
        """Send a refusal of these items with its grounds and reasons (Art 6(1)-(2))."""
        ctx = self.ctx
        by_item = {i.item_id: i for i in case.items}
        if not reasons:
            reasons = "; ".join(
                f"{item_id}: {g.article} - {GROUND_TEXT[g]}" for item_id in item_ids for g in grounds
            ) or "; ".join(f"{g.article} - {GROUND_TEXT[g]}" for g in grounds)
        if ctx.defects.active(REFUSAL_WITHOUT_GROUND):
            grounds, reasons = [], "The request cannot be answered under national practice."
        language = "en" if ctx.defects.active(REFUSAL_IN_ENGLISH) else self.language(case)
        directive = DirectiveMessage(
            kind=MessageKind.REFUSAL, case_reference=case.reference, language=language,
            refused_items=item_ids, refusal_grounds=grounds, refusal_reasons=reasons,
        )
        out = self._outbound(case, directive, f"Refusal concerning request {case.reference}", reasons,
                             self._key(case, "refusal"))
        partial = any(i.state is ItemState.PROVIDED for i in case.items if i.item_id not in item_ids)
        # The defect keeps a partial refusal as a note in the case: the reply was taken as the whole answer.
        silent = partial and ctx.defects.active(PARTIAL_REFUSAL_NOT_SENT)
        sent = [] if silent else await self.sender.deliver(out)
        for item_id in item_ids:
            if item_id in by_item:
                by_item[item_id].state = ItemState.REFUSED
                by_item[item_id].refusal_grounds = list(grounds)
        return [c.message_id for c in sent]

    async def ask_clarification(self, case: CaseState, questions: str) -> list[str]:
        """Art 6(3): ask the requester at once; the clock is suspended until the clarification arrives."""
        ctx = self.ctx
        directive = DirectiveMessage(kind=MessageKind.CLARIFICATION_REQUEST, case_reference=case.reference,
                                     language=self.language(case), questions=questions)
        out = self._outbound(case, directive, f"Clarification needed for request {case.reference}", questions,
                             self._key(case, "clarification-request"))
        sent = await self.sender.deliver(out)
        ctx.store.cancel_actions(case.case_id, ("ANSWER",), ctx.now())
        case.status = CaseStatus.AWAITING_CLARIFICATION
        if sent:
            case.clarification_request_id = sent[0].message_id
            # The requester receives it when the network delivers it: at its sending time on this network.
            case.suspensions.append((sent[0].at, None))
        return [c.message_id for c in sent]

    async def delay_notice(self, case: CaseState, status: str, hours: float, reasons: str) -> list[str]:
        """Art 5(2): the expected delay for judicial authorisation, its length and reasons, and updates."""
        directive = DirectiveMessage(
            kind=MessageKind.DELAY_NOTICE, case_reference=case.reference,
            # The defect's delay-notice template exists in the state's first language only.
            language=self.ctx.languages[0] if self.ctx.defects.active(DELAY_NOTICE_IN_OWN_LANGUAGE)
            else self.language(case),
            delay=DelayNotice(expected_delay_hours=max(hours, 0.25), reasons=reasons,
                              status=status),
        )
        out = self._outbound(case, directive, f"Delay notice ({status.lower()}) for request {case.reference}",
                             reasons, self._key(case, "delay"))
        sent = await self.sender.deliver(out)
        case.judicial_notice_sent = True
        return [c.message_id for c in sent]

    async def refuse_whole(self, case: CaseState, ground: RefusalGround, reasons: str) -> list[str]:
        """Refuse every item of the request (or the request itself when it names none) and conclude."""
        request = case.request or {}
        if not case.items:
            case.items = [
                CaseItem(item_id=str(i["item_id"]), description=str(i.get("description", "")),
                         entity_id=i.get("entity_id"))
                for i in request.get("items", [])
            ]
        item_ids = [i.item_id for i in case.items if i.state in (ItemState.OPEN,
                                                                 ItemState.AWAITING_JUDICIAL_AUTHORISATION)]
        sent = await self.refuse(case, item_ids, [ground], reasons)
        self.ctx.store.cancel_actions(case.case_id, ("ANSWER",), self.ctx.now())
        self.conclude_if_done(case)
        return sent

    # -- conclusion ---------------------------------------------------------------------------

    def conclude_if_done(self, case: CaseState) -> None:
        ctx = self.ctx
        if case.status is CaseStatus.CONCLUDED:
            return
        if case.status is not CaseStatus.OPEN and ctx.defects.active(ONLY_OPEN_CASES_CONCLUDE):
            # The conclusion step hangs off the operator's answer of an open case: a case whose last items
            # the court decided, or that was refused while awaiting clarification, keeps its waiting status.
            return
        if any(i.state in (ItemState.OPEN, ItemState.AWAITING_JUDICIAL_AUTHORISATION) for i in case.items):
            return
        provided = any(i.state is ItemState.PROVIDED for i in case.items)
        refused = any(i.state is ItemState.REFUSED for i in case.items)
        case.outcome = "PARTIALLY_REFUSED" if provided and refused else ("REPLIED" if provided else "REFUSED")
        if not provided and case.europol_decision is None and not ctx.defects.active(NO_EUROPOL_DECISION):
            case.europol_decision = EuropolDecision(
                decision="NO_COPY", basis="Art 12(1): no information was provided in this exchange", at=ctx.now()
            )
        self.close(case)

    def close(self, case: CaseState) -> None:
        """Conclude the case and plan its first retention review (Art 16(3)-(4))."""
        ctx = self.ctx
        now = ctx.now()
        case.status = CaseStatus.CONCLUDED
        case.concluded_at = now
        ctx.store.cancel_actions(case.case_id, _OPEN_WORK, now)
        after = ctx.settings.retention_review_after
        if ctx.defects.active(LATE_RETENTION_REVIEW):
            after = timedelta(days=365)
        case.retention_review_due = now + after
        case.retention_review_basis = (
            f"Art 16(4): first review {after.days} days after the exchange concluded (reading unverified: "
            "the catalogue gives 'no later than 6 months' from memory, R-91)"
        )
        ctx.store.plan(case.case_id, "RETENTION_REVIEW", case.retention_review_due)
