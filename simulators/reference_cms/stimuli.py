"""Stimuli: what an operator (or a domestic authority) does in the CMS, driven over the SUT interface.

Outgoing requests (Art 4 by the SPOC or a designated authority, Art 8 straight to a foreign
competent authority), own-initiative provision (Art 7) and the operator's decisions on an incoming
request. Each is carried out at once, at the current network time, with the copies the provision
demands sent in the same message.
"""

from __future__ import annotations

import re

from simulators.model.channels import ChannelName
from simulators.model.directive import (
    ChannelException,
    CopyExceptionGround,
    CopyReason,
    DirectiveMessage,
    Entity,
    InformationItem,
    InformationRequest,
    MessageKind,
    RefusalGround,
    RequestedItem,
    RequesterType,
)
from simulators.model.parties import state as state_of
from simulators.model.sut_interface import (
    AuditOperation,
    CaseDirection,
    CaseKind,
    CaseStatus,
    Decision,
    DecisionAction,
    DecisionResult,
    EuropolDecision,
    ItemState,
    OutgoingRequestStimulus,
    OwnInitiativeStimulus,
    StimulusResult,
    SubjectType,
)
from simulators.reference_cms.answers import Answering
from simulators.reference_cms.context import Context
from simulators.reference_cms.deciding import Deciding
from simulators.reference_cms.defects import (
    AUTHORITY_TO_AUTHORITY_OWN_INITIATIVE_ONE_COPY,
    COPIES_WITHHELD_FOR_RESTRICTED_HANDLING,
    COPY_EXCEPTION_DEFAULTED,
    COPY_EXCEPTION_NOT_RECORDED,
    DESIGNATED_URGENT_REQUEST_WITHOUT_REASONS,
    HAND_OVER_OUTSIDE_CMS,
    NO_COPY_TO_FOREIGN_SPOC_FOR_DIRECT_REQUEST,
    NO_EUROPOL_DECISION,
    NO_NECESSITY_STATEMENT,
    NO_RELIABILITY_ELEMENTS,
    NO_SPOC_COPY_FOR_AUTHORITY_OWN_INITIATIVE,
    NO_SPOC_COPY_FOR_DESIGNATED_REQUEST,
    NON_SIENA_WITHOUT_EXCEPTION,
    OWN_INITIATIVE_IN_OWN_LANGUAGE,
    OWN_INITIATIVE_NOT_RECORDED,
    OWN_INITIATIVE_UNKNOWN_CATEGORY_UNFILTERED,
    PERSONAL_DATA_OUTSIDE_CATEGORIES,
    REQUEST_IN_OWN_LANGUAGE,
    REQUEST_WITHOUT_SUBJECT_LINK,
    SERIOUS_OWN_INITIATIVE_HELD_FOR_APPROVAL,
    URGENCY_NOT_FLAGGED_ON_SIENA,
    URGENT_DESIGNATED_REQUEST_WITHOUT_SPOC_COPY,
    URGENT_DESIGNATED_REQUESTS_VIA_INTERPOL,
)
from simulators.reference_cms.intake import new_case
from simulators.reference_cms.policy import europol_rule, language_for_recipient, permitted_categories
from simulators.reference_cms.problems import CmsProblemError
from simulators.reference_cms.sending import Outbound, Sender
from simulators.reference_cms.store import CaseState

__all__ = ["Stimuli"]

_KEY = {SubjectType.PERSON: "name", SubjectType.ORGANISATION: "name", SubjectType.VEHICLE: "registration",
        SubjectType.DOCUMENT: "number"}
_PREFIX = {"SPOC": "SPOC", "DESIGNATED_AUTHORITY": "DLEA", "COMPETENT_AUTHORITY": "LEA"}
_RESTRICTED_HANDLING = re.compile(r"\bH2\b")  # SIENA handling code: no dissemination without permission


def _invalid(field: str, rule: str) -> CmsProblemError:
    return CmsProblemError(422, "Invalid input", f"{field}: {rule}", errors=[(field, rule)], slug="validation")


class Stimuli:
    def __init__(self, ctx: Context, sender: Sender, answering: Answering, deciding: Deciding) -> None:
        self.ctx = ctx
        self.sender = sender
        self.answering = answering
        self.deciding = deciding

    # -- shared checks ------------------------------------------------------------------------

    def _recipient_state(self, code: str) -> str:
        target = state_of(code)
        if target.code == self.ctx.state:
            raise _invalid("to_state", f"must be another state than the CMS's own ({self.ctx.state})")
        if not target.takes_part:
            raise _invalid("to_state", "must be a state taking part in the directive; a third country is named "
                                       "in third_countries (the exchange then uses the Interpol channel)")
        return target.code

    def _language(self, to_state: str, wanted: str | None, article: str) -> str:
        theirs = list(state_of(to_state).languages)
        if wanted is not None and wanted not in theirs:
            raise _invalid("language", f"must be on {to_state}'s Art 11 list ({', '.join(theirs)}) ({article})")
        return language_for_recipient(to_state, self.ctx.languages, wanted)

    def _reference(self, wanted: str | None, what: str) -> str:
        ctx = self.ctx
        if wanted is not None:
            if any(c.direction is CaseDirection.OUTGOING for c in ctx.store.cases_with_reference(wanted)):
                raise CmsProblemError(409, "Reference in use", f"reference {wanted} already names an outgoing case",
                                   errors=[("reference", "must be unique among the CMS's outgoing exchanges")])
            return wanted
        # The installation's id keeps a generated reference unique on the network, not only in this store: a
        # requested SPOC joins a message to an exchange by its reference (Store.instance_id says why).
        number = ctx.store.next_number("references-" + what)
        return f"{ctx.state}-{what}-{ctx.now().year}-{ctx.store.instance_id}-{number:06d}"

    def _channel(self, third_countries: list[str], *, urgent_designated: bool = False,
                 ) -> tuple[ChannelName, ChannelException | None]:
        if third_countries:
            return ChannelName.INTERPOL, ChannelException.THIRD_COUNTRY
        if self.ctx.defects.active(NON_SIENA_WITHOUT_EXCEPTION):
            return ChannelName.INTERPOL, None
        if urgent_designated and self.ctx.defects.active(URGENT_DESIGNATED_REQUESTS_VIA_INTERPOL):
            return ChannelName.INTERPOL, None
        return ChannelName.SIENA, None

    def _europol(self, crime_areas: list[str], serious: bool) -> EuropolDecision | None:
        if self.ctx.defects.active(NO_EUROPOL_DECISION):
            return None
        copy, basis = europol_rule(crime_areas, serious, [])
        return EuropolDecision(decision="COPY" if copy else "NO_COPY", basis=basis, at=self.ctx.now())

    # -- outgoing request ---------------------------------------------------------------------

    def _request_copies(self, stimulus: OutgoingRequestStimulus,
                        to_state: str) -> tuple[CopyExceptionGround | None, dict[str, CopyReason]]:
        """The exception ground a request's copies are omitted on, else the copies it demands (Arts 4(1), 8)."""
        ctx = self.ctx
        by, to = stimulus.by, stimulus.to
        copy_exception = stimulus.copy_exception
        if copy_exception is None and by is RequesterType.DESIGNATED_AUTHORITY and to == "SPOC" \
                and ctx.defects.active(COPY_EXCEPTION_DEFAULTED):
            # The request form pre-fills the exception field, and the operator's empty choice keeps it.
            copy_exception = CopyExceptionGround.PERSON_SAFETY
        copies: dict[str, CopyReason] = {}
        if copy_exception is not None:
            return copy_exception, copies
        if by is RequesterType.DESIGNATED_AUTHORITY and to == "SPOC":
            urgent_path = stimulus.urgent and ctx.defects.active(URGENT_DESIGNATED_REQUEST_WITHOUT_SPOC_COPY)
            if not ctx.defects.active(NO_SPOC_COPY_FOR_DESIGNATED_REQUEST) and not urgent_path:
                copies[ctx.spoc] = CopyReason.ART_4_1
        elif by is RequesterType.SPOC and to == "COMPETENT_AUTHORITY":
            if not ctx.defects.active(NO_COPY_TO_FOREIGN_SPOC_FOR_DIRECT_REQUEST):
                copies[f"SPOC-{to_state}"] = CopyReason.ART_8_1
        elif to == "COMPETENT_AUTHORITY":
            copies[ctx.spoc] = CopyReason.ART_8_2
            copies[f"SPOC-{to_state}"] = CopyReason.ART_8_2
        return None, copies

    # Long: the outgoing-request stimulus from the operator's form to the
    # channel: validation, parties, language, copies and channel choice, with the defects beside each step.
    async def outgoing_request(self, stimulus: OutgoingRequestStimulus) -> StimulusResult:
        ctx = self.ctx
        to_state = self._recipient_state(stimulus.to_state)
        areas = [a.value for a in stimulus.crime_areas]
        by, to = stimulus.by, stimulus.to
        if by is RequesterType.COMPETENT_AUTHORITY and to == "SPOC":
            raise _invalid("by", "a competent authority that is not designated sends requests to a foreign SPOC "
                                 "through its own SPOC (Art 4(1)); use to=COMPETENT_AUTHORITY for Art 8")
        sender = ctx.party(_PREFIX[by.value])
        recipient = f"{_PREFIX[to]}-{to_state}"
        if stimulus.language is None and ctx.defects.active(REQUEST_IN_OWN_LANGUAGE):
            language = ctx.languages[0]
        else:
            language = self._language(to_state, stimulus.language, "Art 4(6)")
        reference = self._reference(stimulus.reference, "REQ")
        copy_exception, copies = self._request_copies(stimulus, to_state)
        # The exception ground the copy is omitted on, as the case and the message record it.
        recorded_exception = None if ctx.defects.active(COPY_EXCEPTION_NOT_RECORDED) else copy_exception
        if to == "COMPETENT_AUTHORITY" and _RESTRICTED_HANDLING.search(stimulus.use_restrictions or "") \
                and ctx.defects.active(COPIES_WITHHELD_FOR_RESTRICTED_HANDLING):
            # H2 read as a bar on any dissemination, the copies to the SPOCs included; no Art 8(3) ground.
            copies = {}
        offence = stimulus.offence or "offence under investigation (see purpose)"
        category = stimulus.subject_category.value.lower().replace("_", " ") if stimulus.subject_category else "person"
        entity = Entity(entity_id="E1", type=stimulus.subject_type.value,
                        attributes={_KEY[stimulus.subject_type]: stimulus.subject},
                        subject_category=stimulus.subject_category)
        # The defect: the designated authority's form has no reasons field, so none travel.
        reasonless_form = by is RequesterType.DESIGNATED_AUTHORITY and ctx.defects.active(
            DESIGNATED_URGENT_REQUEST_WITHOUT_REASONS)
        request = InformationRequest(
            reference=reference, requesting_state=ctx.state, requested_state=to_state, requester_type=by,
            requester=sender, language=language, urgent=stimulus.urgent, urgency_criteria=stimulus.urgency_criteria,
            urgency_reasons=None if reasonless_form else stimulus.urgency_reasons or (
                "Art 4(4): " + ", ".join(c.value for c in stimulus.urgency_criteria) if stimulus.urgent else None),
            info_requested="; ".join(stimulus.items),
            purpose=stimulus.purpose or f"Investigation of {offence} concerning {stimulus.subject}",
            offence=offence,
            availability_reasons=stimulus.availability_reasons or (
                f"{stimulus.subject} has links to {to_state} (residence, registration or earlier contacts)"),
            subject_link=None if ctx.defects.active(REQUEST_WITHOUT_SUBJECT_LINK) else (
                stimulus.subject_link or f"{stimulus.subject} is the {category} in the investigation"),
            use_restrictions=stimulus.use_restrictions or "H0: use only to prevent and combat crime",
            necessity_proportionality=None if ctx.defects.active(NO_NECESSITY_STATEMENT) else (
                stimulus.necessity_proportionality
                or "The information is needed to establish the facts and cannot be obtained otherwise"),
            items=[RequestedItem(item_id=f"I{n}", description=d, entity_id="E1")
                   for n, d in enumerate(stimulus.items, start=1)],
            entities=[entity],
            copy_exception=recorded_exception,
        )
        europol = self._europol(areas, stimulus.serious_offence)
        directive = DirectiveMessage(kind=MessageKind.REQUEST, case_reference=reference, language=language,
                                     request=request, copy_exception=recorded_exception,
                                     europol_copy_decision=europol.decision if europol else None)
        channel, exception = self._channel(
            stimulus.third_countries, urgent_designated=stimulus.urgent and by is RequesterType.DESIGNATED_AUTHORITY)
        case = new_case(
            ctx, direction=CaseDirection.OUTGOING, kind=CaseKind.REQUEST, counterpart=recipient,
            counterpart_state=to_state, own_party=sender, requester_type=by, reference=reference, language=language,
            urgent=stimulus.urgent, sent_at=ctx.now(), status=CaseStatus.AWAITING_REPLY,
            request=request.model_dump(mode="json"), crime_areas=areas,
            serious_offence=stimulus.serious_offence, europol_decision=europol, copy_exception=recorded_exception,
        )
        ctx.audit.record(AuditOperation.COLLECTION, "Art 16(1)(a): outgoing request recorded",
                         actor=ctx.audit.operator_actor, case_id=case.case_id, data=stimulus.subject)
        out = Outbound(
            case_id=case.case_id, sender=sender, to=[recipient], copies=copies,
            europol=bool(europol and europol.decision == "COPY"), directive=directive,
            subject=f"Request for information {reference}", body=request.info_requested or "",
            urgent=stimulus.urgent and not ctx.defects.active(URGENCY_NOT_FLAGGED_ON_SIENA),
            urgency_reason=request.urgency_reasons,
            crime_areas=areas, entities=[entity], restrictions=request.use_restrictions,
            channel=channel, channel_exception=exception, key=f"{case.case_id}:request",
        )
        return await self._send_new(case, out, subjects=[stimulus.subject])

    async def _send_new(self, case: CaseState, out: Outbound, subjects: list[str]) -> StimulusResult:
        ctx = self.ctx
        ctx.store.add_subjects(case.case_id, subjects)
        ctx.store.save_case(case)
        sent = await self.sender.deliver(out)
        if sent:
            case.sent_at = sent[0].at
            if case.europol_decision is not None:
                case.europol_decision.message_ids.append(sent[0].message_id)
        ctx.store.save_case(case)
        return StimulusResult(case_id=case.case_id, reference=case.reference, message_ids=[c.message_id for c in sent],
                              channel=sent[0].channel if sent else None)

    # -- own-initiative provision -------------------------------------------------------------

    # Long: as outgoing_request, for the Art 7 own-initiative provision: each
    # step with the defect that breaks it.
    async def own_initiative(self, stimulus: OwnInitiativeStimulus) -> StimulusResult:
        ctx = self.ctx
        to_state = self._recipient_state(stimulus.to_state)
        areas = [a.value for a in stimulus.crime_areas]
        sender = ctx.party(_PREFIX[stimulus.by])
        recipient = f"{_PREFIX[stimulus.to]}-{to_state}"
        if stimulus.language is None and ctx.defects.active(OWN_INITIATIVE_IN_OWN_LANGUAGE):
            language = ctx.languages[0]
        else:
            language = self._language(to_state, stimulus.language, "Art 7(3)")
        reference = self._reference(stimulus.reference, "OI")
        copies: dict[str, CopyReason] = {}
        if stimulus.copy_exception is None:
            if (stimulus.by == "COMPETENT_AUTHORITY"
                    and not ctx.defects.active(NO_SPOC_COPY_FOR_AUTHORITY_OWN_INITIATIVE)):
                copies[ctx.spoc] = CopyReason.ART_7_4
            # The defect takes the two copy rules for alternatives: with the own SPOC's copy, no foreign one.
            one_copy = bool(copies) and ctx.defects.active(AUTHORITY_TO_AUTHORITY_OWN_INITIATIVE_ONE_COPY)
            if stimulus.to == "COMPETENT_AUTHORITY" and not one_copy:
                copies[f"SPOC-{to_state}"] = CopyReason.ART_7_3
        categories = list(stimulus.data_categories)
        unknown_unfiltered = stimulus.subject_category is None and ctx.defects.active(
            OWN_INITIATIVE_UNKNOWN_CATEGORY_UNFILTERED)
        if not ctx.defects.active(PERSONAL_DATA_OUTSIDE_CATEGORIES) and not unknown_unfiltered:
            allowed = permitted_categories(stimulus.subject_category)
            categories = [c for c in categories if c in allowed]
        bare = ctx.defects.active(NO_RELIABILITY_ELEMENTS)
        entities = []
        if stimulus.subject:
            entities.append(Entity(entity_id="E1", type=stimulus.subject_type.value,
                                   attributes={_KEY[stimulus.subject_type]: stimulus.subject},
                                   subject_category=stimulus.subject_category))
        information = InformationItem(
            item_id="OI1", content=stimulus.information, entity_id="E1" if entities else None,
            data_categories=categories, subject_category=stimulus.subject_category,
            source_reliability=None if bare else "B", information_accuracy=None if bare else "2",
            last_updated=None if bare else ctx.now(),
        )
        europol = self._europol(areas, stimulus.serious_offence)
        directive = DirectiveMessage(kind=MessageKind.OWN_INITIATIVE, case_reference=reference, language=language,
                                     information=[information], copy_exception=stimulus.copy_exception,
                                     europol_copy_decision=europol.decision if europol else None)
        channel, exception = self._channel(stimulus.third_countries)
        case = new_case(
            ctx, direction=CaseDirection.OUTGOING, kind=CaseKind.OWN_INITIATIVE, counterpart=recipient,
            counterpart_state=to_state, own_party=sender, reference=reference, language=language, sent_at=ctx.now(),
            status=CaseStatus.OPEN, crime_areas=areas, serious_offence=stimulus.serious_offence,
            europol_decision=europol, copy_exception=stimulus.copy_exception,
        )
        ctx.audit.record(AuditOperation.COLLECTION, "Art 16(1)(c): own-initiative provision recorded (Art 7)",
                         actor=ctx.audit.operator_actor, case_id=case.case_id, data=stimulus.subject)
        if stimulus.serious_offence and ctx.defects.active(SERIOUS_OWN_INITIATIVE_HELD_FOR_APPROVAL):
            # A four-eyes queue for serious crime that no one works: the duty of Art 7(2) is never met.
            case.events.append({"at": ctx.now().isoformat(), "kind": "AWAITING_APPROVAL",
                                "detail": "own-initiative information on a serious offence waits for a supervisor"})
            ctx.store.add_subjects(case.case_id, [stimulus.subject] if stimulus.subject else [])
            ctx.store.save_case(case)
            return StimulusResult(case_id=case.case_id, reference=case.reference, message_ids=[])
        out = Outbound(
            case_id=case.case_id, sender=sender, to=[recipient], copies=copies,
            europol=bool(europol and europol.decision == "COPY"), directive=directive,
            subject=f"Information provided on own initiative {reference}", body=stimulus.information,
            crime_areas=areas, entities=entities,
            source_reliability=information.source_reliability, information_accuracy=information.information_accuracy,
            channel=channel, channel_exception=exception,
            key=f"{case.case_id}:own-initiative",
            # The defect's send path goes past the case: only the audit log keeps a trace of the message.
            recorded=not ctx.defects.active(OWN_INITIATIVE_NOT_RECORDED),
        )
        result = await self._send_new(case, out, subjects=[stimulus.subject] if stimulus.subject else [])
        case.outcome = "PROVIDED"
        self.answering.close(case)
        ctx.store.save_case(case)
        return result

    # -- decisions ----------------------------------------------------------------------------

    async def decide(self, case_id: str, decision: Decision) -> DecisionResult:
        ctx = self.ctx
        case = ctx.store.case(case_id)
        if case is None:
            raise CmsProblemError(404, "No such case", f"no case {case_id}", errors=[("case_id", "must name a case")])
        if case.direction is not CaseDirection.INCOMING or case.kind is not CaseKind.REQUEST:
            raise _conflict("action", "decisions apply to incoming requests only")
        if case.status is CaseStatus.CONCLUDED:
            raise _conflict("action", f"case {case_id} is concluded")
        self.answering.first_view(case)
        ctx.audit.record(AuditOperation.CONSULTATION, f"operator decision '{decision.action.value}' on the case",
                         actor=ctx.audit.operator_actor, case_id=case.case_id)
        sent = await self._apply(case, decision)
        self.answering.conclude_if_done(case)
        ctx.store.save_case(case)
        ctx.clock.nudge()
        return DecisionResult(case_id=case.case_id, status=case.status.value, message_ids=sent)

    def _items(self, case: CaseState, decision: Decision, states: tuple[ItemState, ...]) -> list[str]:
        eligible = [i.item_id for i in case.items if i.state in states]
        if not decision.items:
            if not eligible:
                raise _conflict("items", f"no item of the case is {' or '.join(s.value for s in states)}")
            return eligible
        unknown = [i for i in decision.items if i not in {x.item_id for x in case.items}]
        if unknown:
            raise _invalid("items", f"unknown item id(s) {', '.join(unknown)}")
        wrong = [i for i in decision.items if i not in eligible]
        if wrong:
            raise _conflict("items", f"item(s) {', '.join(wrong)} not {' or '.join(s.value for s in states)}")
        return list(decision.items)

    async def _apply(self, case: CaseState, decision: Decision) -> list[str]:
        ctx = self.ctx
        answering = self.answering
        action = decision.action
        if case.status is CaseStatus.AWAITING_CLARIFICATION and action is not DecisionAction.REFUSE:
            raise _conflict("action", "the case waits for the requester's clarification")
        if action is DecisionAction.CLARIFY:
            return await answering.ask_clarification(case, decision.questions or decision.reasons or (
                "Art 6(3): please specify the request further"))
        if action is DecisionAction.REFUSE:
            states = (ItemState.OPEN, ItemState.AWAITING_JUDICIAL_AUTHORISATION)
            if not case.items:
                return await answering.refuse_whole(case, decision.grounds[0], decision.reasons or "")
            items = self._items(case, decision, states)
            return await answering.refuse(case, items, list(decision.grounds), decision.reasons)
        if action is DecisionAction.PROVIDE:
            items = self._items(case, decision, (ItemState.OPEN, ItemState.AWAITING_JUDICIAL_AUTHORISATION))
            empty = [i for i in items if not case.work[i].records]
            if empty:
                raise _conflict("items", f"no information is held for item(s) {', '.join(empty)}; refuse them (NA)")
            sent = await answering.provide(case, items)
            self._cancel_answer_if_done(case)
            return sent
        if action is DecisionAction.JUDICIAL_NEEDED:
            items = self._items(case, decision, (ItemState.OPEN,))
            sent = await self.deciding.start_judicial(case, items, decision.expected_delay_hours or 48.0, {})
            self._cancel_answer_if_done(case)
            return sent
        if action in (DecisionAction.JUDICIAL_GRANTED, DecisionAction.JUDICIAL_REFUSED):
            items = self._items(case, decision, (ItemState.AWAITING_JUDICIAL_AUTHORISATION,))
            return await self.judicial_outcome(case, items, granted=action is DecisionAction.JUDICIAL_GRANTED)
        # hand over to a domestic authority (Art 14(2)(b)); its answer comes back with the reply
        authority = decision.authority or ctx.party("LEA")
        if not authority.endswith(f"-{ctx.state}"):
            raise _invalid("authority", f"must be a domestic authority of {ctx.state}, e.g. LEA-{ctx.state}")
        case.handed_over_to = authority
        case.status = CaseStatus.HANDED_OVER
        if ctx.defects.active(HAND_OVER_OUTSIDE_CMS):
            return []  # handed over by e-mail: nothing of it reaches the case
        communication = self.sender.record_national(
            case.case_id, case.own_party, authority, "HAND_OVER",
            decision.reasons or "request channelled to the competent authority", CaseDirection.OUTGOING)
        return [communication.message_id]

    def _cancel_answer_if_done(self, case: CaseState) -> None:
        if not any(i.state is ItemState.OPEN for i in case.items):
            self.ctx.store.cancel_actions(case.case_id, ("ANSWER",), self.ctx.now())

    async def judicial_outcome(self, case: CaseState, items: list[str], *, granted: bool) -> list[str]:
        """The court decided: provide at once (what is held) or refuse with JR."""
        answering = self.answering
        if granted:
            held = [i for i in items if case.work[i].records]
            sent = await answering.provide(case, held) if held else []
            missing = [i for i in items if i not in held]
            if missing:
                sent += await answering.refuse(case, missing, [RefusalGround.NA])
        else:
            sent = await answering.refuse(case, items, [RefusalGround.JR])
        if not any(i.state is ItemState.AWAITING_JUDICIAL_AUTHORISATION for i in case.items):
            self.ctx.store.cancel_actions(case.case_id, ("JUDICIAL_UPDATE", "JUDICIAL_DECISION"), self.ctx.now())
            if any(i.state is ItemState.OPEN for i in case.items):
                case.status = CaseStatus.OPEN
        return sent


def _conflict(field: str, rule: str) -> CmsProblemError:
    return CmsProblemError(409, "Not possible now", f"{field}: {rule}", errors=[(field, rule)], slug="conflict")

