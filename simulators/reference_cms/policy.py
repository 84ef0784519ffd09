"""The reference CMS's automated operator: what it decides for each request, from the fixtures.

Pure functions, no I/O: the case engine asks them and carries out the answer. The behaviour is
documented rule by rule in docs/reference-cms.md; the harness relies on it only through the
contract (the fixtures it loads and the messages it then expects).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from simulators.model.directive import (
    Availability,
    DataSubjectCategory,
    Entity,
    InformationRequest,
    PersonalDataCategory,
    RefusalGround,
    RequestedItem,
)
from simulators.model.parties import state as state_of
from simulators.model.personal_data import load_personal_data_whitelist
from simulators.model.siena import CrimeArea
from simulators.model.sut_interface import FixtureRecord, JudicialAuthorisation
from simulators.reference_cms.defects import (
    CONTACTS_AND_INFORMANTS_AS_SUSPECTS,
    COURT_GRANT_TAKEN_AS_NOT_NEEDED,
    COURT_REFUSAL_OUTWEIGHED_BY_GRANT,
    LATE_URGENT_REPLY,
    ORIGINATOR_CONSENT_NOT_CHECKED,
    OUT_OF_DATE_DATA_PROVIDED,
    PARTIAL_REFUSAL_REFUSES_ALL,
    PERSONAL_DATA_OUTSIDE_CATEGORIES,
    REFUSAL_OF_INDIRECT_INFORMATION,
    SUBJECT_CATEGORY_FROM_REQUEST,
    THIRD_COUNTRY_CONSENT_NOT_CHECKED,
    URGENT_REQUEST_SKIPS_CONSENT_CHECK,
    ActiveDefects,
)

__all__ = [
    "EUROPOL_MANDATE_AREAS",
    "FixtureIndex",
    "ItemPlan",
    "PolicySettings",
    "answer_delay",
    "entity_key",
    "europol_rule",
    "language_for_recipient",
    "permitted_categories",
    "plan_items",
    "request_availability",
]


@dataclass(frozen=True)
class PolicySettings:
    """The reference operator's working times and readings; each is a CLI option of `cms`."""

    processing_direct: timedelta = timedelta(minutes=30)
    processing_indirect: timedelta = timedelta(days=1)
    judicial_update_every: timedelta = timedelta(hours=24)
    retention_review_after: timedelta = timedelta(days=182)  # about 6 months (Art 16(4), unverified)
    late_copy_delay: timedelta = timedelta(hours=2)  # only for the defect "late-copy"
    outage_retry_every: timedelta = timedelta(minutes=30)
    follow_up_at: float = 0.5  # share of the time limit after which the case is followed up
    escalate_at: float = 0.75  # share of the time limit after which the case is escalated
    deadline_mode: str = "elapsed"


# Crime areas within Europol's objectives (Art 3 and Annex I of Regulation (EU) 2016/794): the SIENA
# crime areas, which are drawn from Annex I; compared case-insensitively.
EUROPOL_MANDATE_AREAS: frozenset[str] = frozenset(area.value for area in CrimeArea)

_KEY_ATTRIBUTE = {"PERSON": "name", "ORGANISATION": "name", "VEHICLE": "registration", "DOCUMENT": "number"}


def entity_key(entity: Entity) -> str | None:
    """The attribute fixtures are matched on: name, registration or document number."""
    value = entity.attributes.get(_KEY_ATTRIBUTE.get(entity.type, "name"))
    return value.strip() if value and value.strip() else None


class FixtureIndex:
    """What the national databases hold, by subject (compared case-insensitively), in the order given.

    Every requested item and every cross-check looks up the records on one subject: a lookup, not a pass over all.
    """

    def __init__(self, records: Iterable[FixtureRecord]) -> None:
        self.records = tuple(records)
        self._by_subject: dict[str, list[FixtureRecord]] = {}
        for record in self.records:
            self._by_subject.setdefault(record.subject.casefold(), []).append(record)

    def about(self, subject: str) -> list[FixtureRecord]:
        return list(self._by_subject.get(subject.casefold(), ()))


def _item_entity(request: InformationRequest, item: RequestedItem) -> Entity | None:
    if item.entity_id is not None:
        return next((e for e in request.entities if e.entity_id == item.entity_id), None)
    # An item naming no entity concerns the request's only entity, if it has exactly one.
    return request.entities[0] if len(request.entities) == 1 else None


def permitted_categories(subject: DataSubjectCategory | None) -> frozenset[PersonalDataCategory]:
    """Art 10(b): the categories allowed for a data subject; without a subject category, the narrowest.

    The shared reading of Annex II Section B (unverified), the same whitelist the harness judges by.
    """
    whitelist = load_personal_data_whitelist()
    return whitelist.narrowest() if subject is None else whitelist.allowed(subject)


# The subject categories a filter that knows witnesses and victims only treats as suspects (a defect).
_FILTER_UNKNOWN = frozenset({DataSubjectCategory.CONTACT, DataSubjectCategory.INFORMANT})


@dataclass
class ItemPlan:
    """What the operator will do with one requested item."""

    item_id: str
    description: str
    entity_id: str | None
    subject: str | None
    decision: str  # PROVIDE, REFUSE or JUDICIAL
    grounds: list[RefusalGround] = field(default_factory=list)
    availability: Availability | None = None
    records: list[FixtureRecord] = field(default_factory=list)
    judicial: JudicialAuthorisation = JudicialAuthorisation.NOT_NEEDED
    judicial_after_hours: float = 48.0
    withheld_categories: list[PersonalDataCategory] = field(default_factory=list)


def plan_items(
    request: InformationRequest, fixtures: Sequence[FixtureRecord] | FixtureIndex, defects: ActiveDefects
) -> list[ItemPlan]:
    """Decide every requested item from the records of its entity (docs/reference-cms.md §Policy)."""
    index = fixtures if isinstance(fixtures, FixtureIndex) else FixtureIndex(fixtures)
    plans: list[ItemPlan] = []
    for item in request.items:
        entity = _item_entity(request, item)
        key = entity_key(entity) if entity else None
        records = index.about(key) if key is not None else []
        plans.append(_plan_item(item, entity, key, records, defects, urgent=request.urgent))
    if defects.active(PARTIAL_REFUSAL_REFUSES_ALL) and any(p.decision == "REFUSE" for p in plans):
        grounds = sorted({g for p in plans for g in p.grounds}, key=str)
        for p in plans:
            p.decision, p.grounds, p.records = "REFUSE", list(grounds), []
    return plans


# Long: the decision for one requested item, branch by branch as the Art 6 grounds
# and the named defects that bend them are listed.
def _plan_item(
    item: RequestedItem, entity: Entity | None, key: str | None, records: list[FixtureRecord],
    defects: ActiveDefects, *, urgent: bool = False,
) -> ItemPlan:
    plan = ItemPlan(item.item_id, item.description, entity.entity_id if entity else None, key, "REFUSE")
    if not records:
        plan.grounds = [RefusalGround.NA]
        return plan
    if defects.active(OUT_OF_DATE_DATA_PROVIDED):
        # Out-of-date records are graded instead of withheld: the register's DQ flag becomes accuracy 4.
        records = [r.model_copy(update={"refusal_ground": None, "information_accuracy": "4"})
                   if r.refusal_ground is RefusalGround.DQ else r for r in records]
    grounds = [r.refusal_ground for r in records if r.refusal_ground is not None]
    if grounds:
        plan.grounds = [grounds[0]]
        return plan
    consent_checked = not defects.active(ORIGINATOR_CONSENT_NOT_CHECKED) and not (
        urgent and defects.active(URGENT_REQUEST_SKIPS_CONSENT_CHECK))
    # The defect's consent check knows the member states only: a third country's information passes unasked.
    member_states_only = defects.active(THIRD_COUNTRY_CONSENT_NOT_CHECKED)
    if any(r.originator_state and not r.originator_consent
           and not (member_states_only and not state_of(r.originator_state).takes_part)
           for r in records) and consent_checked:
        plan.grounds = [RefusalGround.OC]
        return plan
    kept: list[FixtureRecord] = []
    for record in records:
        subject = record.subject_category or (entity.subject_category if entity else None)
        if defects.active(SUBJECT_CATEGORY_FROM_REQUEST) and entity is not None and entity.subject_category:
            # The requester's description of the person replaces the register's: a witness asked about as a
            # suspect is filtered, and labelled, as a suspect.
            record = record.model_copy(update={"subject_category": entity.subject_category})
            subject = entity.subject_category
        if subject in _FILTER_UNKNOWN and defects.active(CONTACTS_AND_INFORMANTS_AS_SUSPECTS):
            subject = DataSubjectCategory.SUSPECT
        allowed = permitted_categories(subject)
        if defects.active(PERSONAL_DATA_OUTSIDE_CATEGORIES):
            kept.append(record)
            continue
        outside = [c for c in record.data_categories if c not in allowed]
        inside = [c for c in record.data_categories if c in allowed]
        plan.withheld_categories.extend(c for c in outside if c not in plan.withheld_categories)
        if record.data_categories and not inside:
            continue
        kept.append(record.model_copy(update={"data_categories": inside}))
    if not kept:
        plan.grounds = [RefusalGround.PD]
        return plan
    plan.records = kept
    plan.availability = (
        Availability.INDIRECT if any(r.availability is Availability.INDIRECT for r in kept) else Availability.DIRECT
    )
    # The defect: a grant already foreseeable is taken for no authorisation needed at all.
    skipped = (JudicialAuthorisation.NOT_NEEDED, JudicialAuthorisation.GRANTED) if defects.active(
        COURT_GRANT_TAKEN_AS_NOT_NEEDED) else (JudicialAuthorisation.NOT_NEEDED,)
    judicial = [r for r in kept if r.judicial_authorisation not in skipped]
    if judicial:
        plan.decision = "JUDICIAL"
        # The slowest court decision governs; PENDING (decided only by an operator) outranks the others.
        pending = [r for r in judicial if r.judicial_authorisation is JudicialAuthorisation.PENDING]
        chosen = pending[0] if pending else max(judicial, key=lambda r: r.judicial_decision_after_hours)
        granted = [r for r in judicial if r.judicial_authorisation is JudicialAuthorisation.GRANTED]
        if not pending and any(r.judicial_authorisation is JudicialAuthorisation.REFUSED for r in judicial):
            chosen = next(r for r in judicial if r.judicial_authorisation is JudicialAuthorisation.REFUSED)
            if granted and defects.active(COURT_REFUSAL_OUTWEIGHED_BY_GRANT):
                chosen = granted[0]  # the defect: one record's grant stands for the whole item
        plan.judicial = chosen.judicial_authorisation
        plan.judicial_after_hours = chosen.judicial_decision_after_hours
        return plan
    if plan.availability is Availability.INDIRECT and defects.active(REFUSAL_OF_INDIRECT_INFORMATION):
        plan.grounds = [RefusalGround.NA]
        plan.records = []
        return plan
    plan.decision = "PROVIDE"
    return plan


def request_availability(plans: Iterable[ItemPlan]) -> Availability:
    """INDIRECT if any item that will be provided is indirectly available; otherwise DIRECT."""
    wanted = [p for p in plans if p.decision in ("PROVIDE", "JUDICIAL")]
    if any(p.availability is Availability.INDIRECT for p in wanted):
        return Availability.INDIRECT
    return Availability.DIRECT


def answer_delay(
    urgent: bool, availability: Availability, settings: PolicySettings, defects: ActiveDefects
) -> timedelta:
    """How long the operator needs before answering: the processing time of the information asked for."""
    if urgent and defects.active(LATE_URGENT_REPLY):
        return max(settings.processing_indirect, timedelta(hours=24))
    if availability is Availability.INDIRECT:
        return settings.processing_indirect
    return settings.processing_direct


def europol_rule(crime_areas: Sequence[str], serious_offence: bool, originators: Sequence[str]) -> tuple[bool, str]:
    """Art 12(1): copy to Europol when the matter is within its objectives and the offence is serious."""
    mandate = [a for a in crime_areas if a.strip().upper().replace(" ", "_").replace("-", "_") in EUROPOL_MANDATE_AREAS]
    if originators:
        return False, (
            "Art 12(2): the information was obtained from " + ", ".join(sorted(set(originators)))
            + "; no copy to Europol without the originator's consent"
        )
    if mandate and serious_offence:
        return True, (
            f"Art 12(1): crime area {', '.join(mandate)} is within Europol's objectives (Art 3 Regulation (EU) "
            "2016/794) and the offence is a serious criminal offence (Art 2(3))"
        )
    if not mandate:
        return False, "Art 12(1): no crime area of the exchange is within Europol's objectives"
    return False, "Art 12(1): the offence is not a serious criminal offence (Art 2(3)); no copy necessary"


def language_for_recipient(recipient_state: str, own_languages: Sequence[str], wanted: str | None = None) -> str:
    """A language on the recipient's Art 11 list that the SPOC works in; English as the common one."""
    theirs = list(state_of(recipient_state).languages) or ["en"]
    if wanted is not None:
        return wanted
    for language in theirs:
        if language in own_languages:
            return language
    return "en"
