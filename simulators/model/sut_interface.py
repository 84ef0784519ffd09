"""The documents of the SUT test interface (docs/sut-interface.md): fixtures, stimuli, exports.

These pydantic models are the contract, defined once: the OpenAPI document at /sut/v1/openapi.json
(and docs/sut-interface.openapi.json) is generated from them, the reference CMS validates every body
against them, and the harness's client (`conformance.sut`) checks every stimulus, decision and
fixture set it sends against them and reads the exports with lenient views of them (each field of a
view is a field of its model here, checked when `conformance.sut` is imported). Anything a vendor
CMS must accept or produce is here; the reference CMS's own bookkeeping is not.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from simulators.model.directive import (
    Availability,
    CopyExceptionGround,
    CopyReason,
    DataSubjectCategory,
    PersonalDataCategory,
    RefusalGround,
    RequesterType,
    UrgencyCriterion,
)
from simulators.model.parties import UnknownStateError, normalise_state_code
from simulators.model.parties import state as state_of
from simulators.model.siena import CrimeArea

__all__ = [
    "INTERFACE_VERSION",
    "Agenda",
    "AuditEntry",
    "AuditLog",
    "AuditOperation",
    "ByState",
    "CaseDirection",
    "CaseItem",
    "CaseKind",
    "CaseList",
    "CaseRecord",
    "CaseStatus",
    "ClockSetting",
    "ClockState",
    "Communication",
    "Counted",
    "CrossCheckMatch",
    "DeadlineRecord",
    "Decision",
    "DecisionAction",
    "DecisionResult",
    "EuropolDecision",
    "FixtureRecord",
    "FixtureSet",
    "Info",
    "ItemState",
    "JudicialAuthorisation",
    "OutgoingRequestStimulus",
    "OwnInitiativeStimulus",
    "Statistics",
    "StimulusResult",
    "SubjectType",
]

INTERFACE_VERSION = "1"

_Text = Annotated[str, Field(min_length=1, max_length=4000)]
_Short = Annotated[str, Field(min_length=1, max_length=200)]
_Language = Annotated[str, Field(pattern=r"^[a-z]{2}$", description="ISO 639-1 code, e.g. 'de'")]


def _state(value: str) -> str:
    try:
        return normalise_state_code(value)
    except UnknownStateError as exc:
        raise ValueError(str(exc)) from None


def _third(values: list[str]) -> list[str]:
    codes = [_state(v) for v in values]
    members = [c for c in codes if not state_of(c).third_country]
    if members:
        raise ValueError(f"{', '.join(members)} take(s) part in the directive: name third countries only "
                         "(Art 13(2)(a))")
    return codes


# ----------------------------------------------------------------------------------------------
# Info and clock


class Info(BaseModel):
    state: str
    parties: list[str]
    interface_version: str = INTERFACE_VERSION
    product: str = Field(description="Name and version of the CMS")
    automated: list[str] = Field(
        description="Capabilities this CMS automates (clock, agenda, fixtures, stimuli.*, decisions.*, exports.*); "
        "the harness asks a person for the rest"
    )
    optional: list[str] = Field(default_factory=list, description="Optional operations offered (e.g. agenda)")
    languages: list[str] = Field(description="The SPOC's Art 11 language list (ISO 639-1)")
    timezone: str
    defects: list[str] = Field(default_factory=list, description="Named defects switched on (reference CMS)")


class ClockSetting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    follow_network_clock: bool


class ClockState(BaseModel):
    follow_network_clock: bool
    now: datetime


class Agenda(BaseModel):
    next_action_at: datetime | None = Field(
        description="Network time of the CMS's earliest planned action; at or before now = acting now"
    )
    pending: int = Field(ge=0, description="Planned actions and received messages not yet processed")
    actions: list[dict[str, str | None]] = Field(
        default_factory=list, description="The planned actions: at, kind, case_id (informative)"
    )
    idle: bool | None = Field(
        default=None,
        description="Asked with `wait`: true when nothing is due at or before `now` and every received message is "
        "processed (the quiescence signal); false when the wait ran out first. Absent without `wait`",
    )
    now: datetime | None = Field(
        default=None, description="Asked with `wait`: the CMS's network time that `idle` refers to"
    )


# ----------------------------------------------------------------------------------------------
# Fixtures


class JudicialAuthorisation(StrEnum):
    NOT_NEEDED = "NOT_NEEDED"
    GRANTED = "GRANTED"  # needed; the court grants after judicial_decision_after_hours
    REFUSED = "REFUSED"  # needed; the court refuses after judicial_decision_after_hours
    PENDING = "PENDING"  # needed; decided only by a judicial_granted / judicial_refused decision


class SubjectType(StrEnum):
    PERSON = "PERSON"
    ORGANISATION = "ORGANISATION"
    VEHICLE = "VEHICLE"
    DOCUMENT = "DOCUMENT"


_FIXTURE_GROUNDS = {
    RefusalGround.PD,
    RefusalGround.DQ,
    RefusalGround.NS,
    RefusalGround.JI,
    RefusalGround.LP,
    RefusalGround.MO,
    RefusalGround.NO,
}


class FixtureRecord(BaseModel):
    """One record a national database holds, as the CMS will find it."""

    model_config = ConfigDict(extra="forbid")

    subject: _Short = Field(
        description="Match key: a person's or organisation's name, a vehicle registration or a document "
        "number; compared case-insensitively with the request's entity"
    )
    item: _Text = Field(description="What is held (the information that would be provided)")
    availability: Availability = Availability.DIRECT
    judicial_authorisation: JudicialAuthorisation = JudicialAuthorisation.NOT_NEEDED
    judicial_decision_after_hours: Annotated[float, Field(gt=0, le=24 * 365)] = 48.0
    originator_state: str | None = Field(default=None, description="Set where obtained from another state")
    originator_consent: bool = Field(default=False, description="Whether the originator consented (Art 6(1)(h))")
    refusal_ground: RefusalGround | None = Field(
        default=None, description="A ground that applies to this record: PD, DQ, NS, JI, LP, MO or NO"
    )
    data_categories: list[PersonalDataCategory] = Field(default_factory=list)
    subject_category: DataSubjectCategory | None = None
    source_reliability: Literal["A", "B", "C", "X"] = "B"
    information_accuracy: Literal["1", "2", "3", "4"] = "2"
    last_updated: AwareDatetime | None = None

    @field_validator("originator_state")
    @classmethod
    def _known_state(cls, value: str | None) -> str | None:
        return None if value is None else _state(value)

    @field_validator("refusal_ground")
    @classmethod
    def _record_ground(cls, value: RefusalGround | None) -> RefusalGround | None:
        if value is not None and value not in _FIXTURE_GROUNDS:
            raise ValueError(
                "must be one of PD, DQ, NS, JI, LP, MO, NO (NA, NC, JR and OC follow from the other fields)"
            )
        return value


class FixtureSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: list[FixtureRecord] = Field(max_length=10_000)


# ----------------------------------------------------------------------------------------------
# Stimuli


class OutgoingRequestStimulus(BaseModel):
    """An operator (or a domestic authority) creates and sends a request for information."""

    model_config = ConfigDict(extra="forbid")

    to_state: str
    by: RequesterType = RequesterType.SPOC
    to: Literal["SPOC", "COMPETENT_AUTHORITY"] = "SPOC"
    urgent: bool = False
    urgency_criteria: list[UrgencyCriterion] = Field(default_factory=list)
    urgency_reasons: _Text | None = None
    subject: _Short
    subject_type: SubjectType = SubjectType.PERSON
    subject_category: DataSubjectCategory | None = DataSubjectCategory.SUSPECT
    items: list[_Text] = Field(min_length=1, max_length=50)
    language: _Language | None = None
    reference: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:/-]+$")] | None = None
    purpose: _Text | None = None
    offence: _Text | None = None
    availability_reasons: _Text | None = None
    subject_link: _Text | None = None
    use_restrictions: _Text | None = None
    necessity_proportionality: _Text | None = None
    crime_areas: list[CrimeArea] = Field(default_factory=list, max_length=30)
    serious_offence: bool = False
    copy_exception: CopyExceptionGround | None = None
    third_countries: list[str] = Field(default_factory=list)

    @field_validator("to_state")
    @classmethod
    def _known_state(cls, value: str) -> str:
        return _state(value)

    @field_validator("third_countries")
    @classmethod
    def _third_countries(cls, value: list[str]) -> list[str]:
        return _third(value)

    @model_validator(mode="after")
    def _urgent_needs_criterion(self) -> OutgoingRequestStimulus:
        if self.urgent and not self.urgency_criteria:
            raise ValueError("urgency_criteria: an urgent request must name an Art 4(4) criterion")
        return self


class OwnInitiativeStimulus(BaseModel):
    """The SPOC or a domestic competent authority provides information on its own initiative (Art 7)."""

    model_config = ConfigDict(extra="forbid")

    to_state: str
    by: Literal["SPOC", "COMPETENT_AUTHORITY"] = "SPOC"
    to: Literal["SPOC", "COMPETENT_AUTHORITY"] = "SPOC"
    information: _Text
    subject: _Short | None = None
    subject_type: SubjectType = SubjectType.PERSON
    subject_category: DataSubjectCategory | None = None
    data_categories: list[PersonalDataCategory] = Field(default_factory=list)
    serious_offence: bool = False
    crime_areas: list[CrimeArea] = Field(default_factory=list, max_length=30)
    language: _Language | None = None
    reference: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:/-]+$")] | None = None
    copy_exception: CopyExceptionGround | None = None
    third_countries: list[str] = Field(default_factory=list)

    @field_validator("to_state")
    @classmethod
    def _known_state(cls, value: str) -> str:
        return _state(value)

    @field_validator("third_countries")
    @classmethod
    def _third_countries(cls, value: list[str]) -> list[str]:
        return _third(value)


class StimulusResult(BaseModel):
    case_id: str
    reference: str
    message_ids: list[str] = Field(description="Channel ids of the messages sent (empty if sent later)")
    channel: str | None = None


class DecisionAction(StrEnum):
    PROVIDE = "provide"
    REFUSE = "refuse"
    CLARIFY = "clarify"
    JUDICIAL_NEEDED = "judicial_needed"
    JUDICIAL_GRANTED = "judicial_granted"
    JUDICIAL_REFUSED = "judicial_refused"
    HAND_OVER = "hand_over"


class Decision(BaseModel):
    """An operator's decision on an incoming request."""

    model_config = ConfigDict(extra="forbid")

    action: DecisionAction
    items: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, description="Item ids the decision covers; empty = every open item"
    )
    grounds: list[RefusalGround] = Field(default_factory=list, description="refuse: the Art 6(1) grounds")
    reasons: _Text | None = None
    questions: _Text | None = Field(default=None, description="clarify: what the requester must specify")
    expected_delay_hours: Annotated[float, Field(gt=0, le=24 * 365)] | None = None
    authority: Annotated[str, Field(min_length=1, max_length=40)] | None = Field(
        default=None, description="hand_over: the domestic authority (party id), default the state's LEA"
    )

    @model_validator(mode="after")
    def _grounds_for_refusal(self) -> Decision:
        if self.action is DecisionAction.REFUSE and not self.grounds:
            raise ValueError("grounds: a refusal names at least one Art 6(1) ground")
        return self


class DecisionResult(BaseModel):
    case_id: str
    status: str
    message_ids: list[str]


# ----------------------------------------------------------------------------------------------
# Exports


class CaseDirection(StrEnum):
    INCOMING = "INCOMING"
    OUTGOING = "OUTGOING"


class CaseKind(StrEnum):
    REQUEST = "REQUEST"
    OWN_INITIATIVE = "OWN_INITIATIVE"
    COPY = "COPY"
    OTHER = "OTHER"


class CaseStatus(StrEnum):
    OPEN = "OPEN"
    AWAITING_CLARIFICATION = "AWAITING_CLARIFICATION"
    AWAITING_JUDICIAL_AUTHORISATION = "AWAITING_JUDICIAL_AUTHORISATION"
    HANDED_OVER = "HANDED_OVER"
    AWAITING_REPLY = "AWAITING_REPLY"
    CONCLUDED = "CONCLUDED"


class ItemState(StrEnum):
    OPEN = "OPEN"
    AWAITING_JUDICIAL_AUTHORISATION = "AWAITING_JUDICIAL_AUTHORISATION"
    PROVIDED = "PROVIDED"
    REFUSED = "REFUSED"


class CaseItem(BaseModel):
    item_id: str
    description: str
    entity_id: str | None = None
    subject: str | None = Field(default=None, description="The match key of the item's entity")
    state: ItemState = ItemState.OPEN
    availability: Availability | None = None
    refusal_grounds: list[RefusalGround] = Field(default_factory=list)
    judicial_authorisation: JudicialAuthorisation = JudicialAuthorisation.NOT_NEEDED


class DeadlineRecord(BaseModel):
    due: datetime
    basis: str = Field(description="Article setting the limit, e.g. 'Art 5(1)(a)'")
    limit: str = Field(description="PT8H, P3D or P7D")
    counted_from: datetime = Field(description="The moment the CMS counts from (receipt)")
    suspended: str = Field(description="ISO 8601 duration of Art 6(3) suspension counted")
    mode: str
    explanation: str


class CrossCheckMatch(BaseModel):
    source: Literal["EXCHANGE", "HELD_INFORMATION"]
    subject: str
    case_id: str | None = None
    message_id: str | None = None
    item: str | None = None


class EuropolDecision(BaseModel):
    decision: Literal["COPY", "NO_COPY"]
    basis: str
    at: datetime
    message_ids: list[str] = Field(default_factory=list)


class Communication(BaseModel):
    message_id: str = Field(description="The channel's message id (NATIONAL-... for domestic communications)")
    channel: str = Field(description="SIENA, SIRENE, INTERPOL, or NATIONAL for domestic communications")
    direction: CaseDirection
    kind: str
    sender: str
    recipients: list[str]
    counterpart: str
    at: datetime = Field(description="Network time sent (created_at) or received (delivered)")
    language: str | None = None
    channel_exception: str | None = Field(default=None, description="Art 13(2) exception where not SIENA")
    copy_reason: CopyReason | None = None
    copy_exception: CopyExceptionGround | None = None
    in_reply_to: str | None = None
    received_by: str | None = Field(default=None, description="Incoming: the state's party whose mailbox got it")


class CaseRecord(BaseModel):
    case_id: str
    direction: CaseDirection
    kind: CaseKind
    counterpart: str | None = Field(description="The foreign (or domestic) party of the exchange")
    counterpart_state: str | None = None
    own_party: str = Field(description="The state's party that received or sent it (SPOC-AT, DLEA-AT, LEA-AT)")
    requester_type: RequesterType | None = None
    reference: str
    channel_case_id: str | None = None
    language: str | None = None
    urgent: bool | None = None
    availability: Availability | None = None
    received_at: datetime | None = Field(default=None, description="Incoming: network time of delivery")
    sent_at: datetime | None = Field(default=None, description="Outgoing: network time of sending")
    deadline: DeadlineRecord | None = None
    deadline_due: datetime | None = None
    deadline_basis: str | None = None
    suspensions: list[tuple[datetime, datetime | None]] = Field(default_factory=list)
    status: CaseStatus
    outcome: Literal["REPLIED", "REFUSED", "PARTIALLY_REFUSED", "RECEIVED", "PROVIDED"] | None = None
    items: list[CaseItem] = Field(default_factory=list)
    cross_check_matches: list[CrossCheckMatch] = Field(default_factory=list)
    europol_decision: EuropolDecision | None = None
    copy_exception: CopyExceptionGround | None = None
    concluded_at: datetime | None = None
    retention_review_due: datetime | None = None
    retention_review_basis: str | None = None
    events: list[dict[str, str]] = Field(default_factory=list, description="Follow-ups, escalations, reviews")
    communications: list[Communication] = Field(default_factory=list)


class CaseList(BaseModel):
    cases: list[CaseRecord]


class AuditOperation(StrEnum):
    COLLECTION = "COLLECTION"
    ALTERATION = "ALTERATION"
    CONSULTATION = "CONSULTATION"
    DISCLOSURE = "DISCLOSURE"
    COMBINATION = "COMBINATION"
    ERASURE = "ERASURE"


class AuditEntry(BaseModel):
    entry_id: int
    at: datetime
    actor: str
    operation: AuditOperation
    case_id: str | None = None
    justification: str
    recipient: str | None = Field(default=None, description="For DISCLOSURE: who received the data")
    message_id: str | None = None
    data: str | None = Field(default=None, description="What was processed (subject, item, record)")


class AuditLog(BaseModel):
    entries: list[AuditEntry]


class ByState(BaseModel):
    total: int
    urgent: int
    non_urgent: int


class Counted(BaseModel):
    total: int
    urgent: int
    non_urgent: int
    by_requesting_state: dict[str, ByState] | None = Field(description="None only when not broken down")


class Statistics(BaseModel):
    """Art 18(2) figures of one calendar year (the year of receipt, or of sending)."""

    year: int
    state: str
    requests_submitted: dict[str, object] = Field(description="Art 18(2)(a)")
    requests_received: Counted = Field(description="Art 18(2)(b)")
    requests_received_by_receiver: dict[str, int] = Field(
        default_factory=dict, description="Requests received by the SPOC and by competent authorities (Art 8)")
    requests_replied: Counted = Field(description="Art 18(2)(b)")
    requests_refused: dict[str, object] = Field(description="Art 18(2)(c)")
    judicial_authorisation_deviations: dict[str, object] = Field(description="Art 18(2)(d)")
    definitions: dict[str, str]
