"""The messages of Directive (EU) 2023/977, independent of the channel that carries them.

A request's Art 4(5) content fields are optional in the type on purpose: the harness must be able
to send an incomplete request (to see whether the SPOC asks for clarification, Art 6(3)) and a
CMS under test may send one (which the harness must catch). `request_content_violations` names
what is missing, with the rule and its article; `InformationRequest.require_complete` raises on it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, WithJsonSchema, model_validator

from simulators.model.channels import ChannelName

__all__ = [
    "DIRECTIVE_SCHEMA_REF",
    "Availability",
    "CarriedDirective",
    "ChannelException",
    "ChannelName",
    "CopyExceptionGround",
    "CopyReason",
    "DataSubjectCategory",
    "DelayNotice",
    "DirectiveMessage",
    "DirectiveRuleError",
    "Entity",
    "InformationItem",
    "InformationRequest",
    "MessageKind",
    "PersonalDataCategory",
    "RefusalGround",
    "RequestedItem",
    "RequesterType",
    "UrgencyCriterion",
    "Violation",
    "request_content_violations",
]


class MessageKind(StrEnum):
    """What a message is under the directive."""

    REQUEST = "REQUEST"  # Art 4
    REPLY = "REPLY"  # Art 5: provision of information on request
    REFUSAL = "REFUSAL"  # Art 6(1)-(2), possibly partial
    CLARIFICATION_REQUEST = "CLARIFICATION_REQUEST"  # Art 6(3): the requested SPOC asks
    CLARIFICATION = "CLARIFICATION"  # Art 6(3): the requester answers
    DELAY_NOTICE = "DELAY_NOTICE"  # Art 5(2): judicial authorisation needed, length and reasons
    OWN_INITIATIVE = "OWN_INITIATIVE"  # Art 7
    COPY = "COPY"  # Arts 4(1), 5(3), 7(3), 8, 12: a copy of another message


class RequesterType(StrEnum):
    SPOC = "SPOC"
    DESIGNATED_AUTHORITY = "DESIGNATED_AUTHORITY"  # Art 2(2), Art 4(1)
    COMPETENT_AUTHORITY = "COMPETENT_AUTHORITY"  # Art 8 direct exchanges


class Availability(StrEnum):
    """Art 2(6)-(7); set by the requested side, it selects 8 hours or 3 days for urgent requests."""

    DIRECT = "DIRECT"
    INDIRECT = "INDIRECT"


class UrgencyCriterion(StrEnum):
    """Art 4(4) (a)-(d); codes are the catalogue's proposal."""

    PUBLIC_SECURITY = "U-PUBSEC"  # (a) imminent and serious threat to public security
    LIFE = "U-LIFE"  # (b) imminent threat to life or physical integrity
    DETENTION = "U-DETENTION"  # (c) decision on restrictive measures amounting to deprivation of liberty
    RELEVANCE = "U-RELEVANCE"  # (d) imminent risk of losing relevance


class RefusalGround(StrEnum):
    """Art 6(1) first subparagraph, exhaustive; codes from the catalogue §3.1."""

    NA = "NA"  # (a) not available
    NC = "NC"  # (b) request does not meet Art 4
    JR = "JR"  # (c) judicial authorisation refused
    PD = "PD"  # (d) personal data outside Art 10(b) categories
    DQ = "DQ"  # (e) inaccurate, incomplete or out of date
    NS = "NS"  # (f)(i) national security
    JI = "JI"  # (f)(ii) ongoing investigation or safety of an individual
    LP = "LP"  # (f)(iii) protected interests of a legal person
    MO = "MO"  # (g)(i) offence punishable by one year or less
    NO = "NO"  # (g)(ii) not a criminal offence
    OC = "OC"  # (h) originator has not consented

    @property
    def article(self) -> str:
        return _GROUND_ARTICLES[self]


_GROUND_ARTICLES: dict[RefusalGround, str] = {
    RefusalGround.NA: "Art 6(1)(a)",
    RefusalGround.NC: "Art 6(1)(b)",
    RefusalGround.JR: "Art 6(1)(c)",
    RefusalGround.PD: "Art 6(1)(d)",
    RefusalGround.DQ: "Art 6(1)(e)",
    RefusalGround.NS: "Art 6(1)(f)(i)",
    RefusalGround.JI: "Art 6(1)(f)(ii)",
    RefusalGround.LP: "Art 6(1)(f)(iii)",
    RefusalGround.MO: "Art 6(1)(g)(i)",
    RefusalGround.NO: "Art 6(1)(g)(ii)",
    RefusalGround.OC: "Art 6(1)(h)",
}


class CopyExceptionGround(StrEnum):
    """Grounds to omit a copy to a SPOC: Art 4(2), Art 5(3) §3, Art 7(3)-(4), Art 8(3) (a)-(c)."""

    SENSITIVE_INVESTIGATION = "SENSITIVE_INVESTIGATION"  # (a)
    TERRORISM = "TERRORISM"  # (b) terrorism not involving emergency or crisis management
    PERSON_SAFETY = "PERSON_SAFETY"  # (c)


class CopyReason(StrEnum):
    """Why a copy is sent; each value names the provision that demands it."""

    ART_4_1 = "ART_4_1"  # designated authority's request, copy to its own SPOC
    ART_5_3 = "ART_5_3"  # reply to a foreign designated authority, copy to that state's SPOC
    ART_7_3 = "ART_7_3"  # own-initiative provision to a foreign competent authority, copy to its SPOC
    ART_7_4 = "ART_7_4"  # domestic competent authority's own-initiative provision, copy to own SPOC
    ART_8_1 = "ART_8_1"  # SPOC request to a foreign competent authority, copy to that state's SPOC
    ART_8_2 = "ART_8_2"  # domestic competent authority's direct exchange, copies to both SPOCs
    ART_12 = "ART_12"  # copy to Europol


class ChannelException(StrEnum):
    """Art 13(2): the only reasons to use a channel other than SIENA; codes [I] from the catalogue."""

    THIRD_COUNTRY = "3C"  # (a) third countries or international organisations involved
    URGENCY = "URG"  # (b) urgency requires temporary use of another channel
    INCIDENT = "INC"  # (c) technical or operational incident prevents SIENA


class DataSubjectCategory(StrEnum):
    """Annex II Section B(1) of Regulation (EU) 2016/794 (unverified reading, catalogue §6)."""

    SUSPECT = "SUSPECT"
    POTENTIAL_OFFENDER = "POTENTIAL_OFFENDER"
    WITNESS = "WITNESS"
    VICTIM = "VICTIM"
    CONTACT = "CONTACT"
    INFORMANT = "INFORMANT"


class PersonalDataCategory(StrEnum):
    """Annex II Section B(2) (a)-(l) of Regulation (EU) 2016/794, plus categories it does not list."""

    PERSONAL_DETAILS = "PERSONAL_DETAILS"  # (a)
    PHYSICAL_DESCRIPTION = "PHYSICAL_DESCRIPTION"  # (b)
    IDENTIFICATION_MEANS = "IDENTIFICATION_MEANS"  # (c)
    OCCUPATION = "OCCUPATION"  # (d)
    FINANCIAL = "FINANCIAL"  # (e)
    BEHAVIOURAL = "BEHAVIOURAL"  # (f)
    CONTACTS = "CONTACTS"  # (g)
    COMMUNICATION_MEANS = "COMMUNICATION_MEANS"  # (h)
    TRANSPORT_MEANS = "TRANSPORT_MEANS"  # (i)
    CRIMINAL_CONDUCT = "CRIMINAL_CONDUCT"  # (j)
    OTHER_SYSTEMS = "OTHER_SYSTEMS"  # (k)
    LEGAL_PERSONS = "LEGAL_PERSONS"  # (l)
    # Outside Section B: special categories that Art 10(b) does not allow to be exchanged here.
    HEALTH = "HEALTH"
    RELIGION = "RELIGION"
    POLITICAL_OPINION = "POLITICAL_OPINION"
    SEXUAL_ORIENTATION = "SEXUAL_ORIENTATION"


class Entity(BaseModel):
    """A UMF-inspired entity (not UMF-conformant): person, vehicle, document, organisation, ..."""

    model_config = ConfigDict(extra="forbid")

    entity_id: str = Field(description="Unique within the message; items and information refer to it")
    type: Literal["PERSON", "VEHICLE", "DOCUMENT", "ORGANISATION", "LOCATION", "EVENT"]
    attributes: dict[str, str] = Field(
        default_factory=dict,
        description="The match key a SPOC looks records up by: `name` (PERSON, ORGANISATION), `registration` "
        "(VEHICLE), `number` (DOCUMENT); other attributes are free",
    )
    subject_category: DataSubjectCategory | None = Field(
        default=None, description="For persons: the data subject's category (Art 10(b))"
    )


class RequestedItem(BaseModel):
    """One piece of information asked for; refusals and replies refer to it by `item_id`."""

    model_config = ConfigDict(extra="forbid")

    item_id: str = Field(description="Unique within the request; the answer names it (information, refused_items)")
    description: str = Field(description="What is asked for, e.g. 'criminal record'")
    entity_id: str | None = Field(default=None, description="The entity it concerns; none: the request's only entity")


class InformationItem(BaseModel):
    """One piece of information provided, with the Art 10(c) elements to assess it."""

    model_config = ConfigDict(extra="forbid")

    item_id: str = Field(description="The RequestedItem it answers, or a fresh id for own-initiative data")
    content: str = Field(description="The information provided")
    entity_id: str | None = Field(default=None, description="The entity it is about")
    data_categories: list[PersonalDataCategory] = Field(
        default_factory=list, description="The personal data categories it carries (Art 10(b): only those allowed "
        "for its subject category)"
    )
    subject_category: DataSubjectCategory | None = Field(default=None, description="Of the person it is about")
    source_reliability: Literal["A", "B", "C", "X"] | None = Field(default=None, description="Art 10(c)")
    information_accuracy: Literal["1", "2", "3", "4"] | None = Field(default=None, description="Art 10(c)")
    last_updated: AwareDatetime | None = Field(default=None, description="Art 10(c): currency of the data")
    originator_state: str | None = Field(
        default=None, description="Set where obtained from another state (Art 6(1)(h))"
    )


class Violation(BaseModel):
    """A broken rule of the directive: which field, which rule, which article."""

    model_config = ConfigDict(frozen=True)

    field: str
    rule: str
    article: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule} ({self.article})"


class DirectiveRuleError(ValueError):
    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        super().__init__("; ".join(str(v) for v in violations))


class InformationRequest(BaseModel):
    """An Art 4 request for information, with every Art 4(5) field."""

    model_config = ConfigDict(extra="forbid")

    reference: str = Field(description="The requester's own reference for the case")
    requesting_state: str = Field(description="ISO 3166-1 alpha-2 (GET /parties)")
    requested_state: str = Field(description="ISO 3166-1 alpha-2 (GET /parties)")
    requester_type: RequesterType = Field(default=RequesterType.SPOC, description="Art 4(1), Art 8")
    requester: str = Field(description="Party id of the requester, e.g. SPOC-DE or DLEA-DE")
    language: str = Field(description="ISO 639-1; must be on the requested state's Art 11 list (Art 4(6))")
    urgent: bool = Field(description="Art 4(4)")
    urgency_criteria: list[UrgencyCriterion] = Field(default_factory=list, description="Art 4(4)(a)-(d)")
    urgency_reasons: str | None = Field(default=None, description="Art 4(5)(e)")
    info_requested: str | None = Field(default=None, description="Art 4(5)(a)")
    purpose: str | None = Field(default=None, description="Art 4(5)(b): purpose with the facts")
    offence: str | None = Field(default=None, description="Art 4(5)(b): the underlying offence")
    availability_reasons: str | None = Field(default=None, description="Art 4(5)(c)")
    subject_link: str | None = Field(default=None, description="Art 4(5)(d), where applicable")
    use_restrictions: str | None = Field(default=None, description="Art 4(5)(f)")
    necessity_proportionality: str | None = Field(default=None, description="Art 4(3)(a)")
    items: list[RequestedItem] = Field(default_factory=list, description="Art 4(5)(a): one per piece asked for")
    entities: list[Entity] = Field(default_factory=list, description="The persons and objects it is about")
    copy_exception: CopyExceptionGround | None = Field(
        default=None, description="Art 4(2): why the designated authority did not copy its own SPOC"
    )

    def require_complete(self) -> None:
        violations = request_content_violations(self)
        if violations:
            raise DirectiveRuleError(violations)


def request_content_violations(request: InformationRequest) -> list[Violation]:
    """What an Art 4 request lacks; empty when it has every required element."""
    found: list[Violation] = []

    def need(field: str, value: object, rule: str, article: str) -> None:
        # Whitespace-only text states nothing, so it counts as missing.
        blank = isinstance(value, str) and not value.strip()
        if value is None or blank or (isinstance(value, list) and not value):
            found.append(Violation(field=field, rule=rule, article=article))

    need("info_requested", request.info_requested, "the information requested must be specified", "Art 4(5)(a)")
    need("purpose", request.purpose, "the purpose and the facts must be described", "Art 4(5)(b)")
    need("offence", request.offence, "the underlying offence must be indicated", "Art 4(5)(b)")
    need(
        "availability_reasons",
        request.availability_reasons,
        "objective reasons to believe the information is available must be given",
        "Art 4(5)(c)",
    )
    need("use_restrictions", request.use_restrictions, "restrictions on use must be stated (or 'none')", "Art 4(5)(f)")
    need("items", request.items, "at least one item of information must be requested", "Art 4(5)(a)")
    if request.urgent:
        need("urgency_reasons", request.urgency_reasons, "an urgent request must say why it is urgent", "Art 4(4)")
        need(
            "urgency_criteria",
            request.urgency_criteria,
            "an urgent request must name an Art 4(4) criterion",
            "Art 4(4)",
        )
    if request.entities:
        need(
            "subject_link",
            request.subject_link,
            "the link between purpose and persons must be explained",
            "Art 4(5)(d)",
        )
    return found


class DelayNotice(BaseModel):
    """Art 5(2): judicial authorisation is needed; expected length and reasons, then updates."""

    model_config = ConfigDict(extra="forbid")

    expected_delay_hours: Annotated[float, Field(gt=0, description="Hours still expected, from this notice")]
    reasons: Annotated[str, Field(min_length=1, description="Why, naming the items")]
    status: Literal["PENDING", "UPDATE", "GRANTED", "REFUSED"] = Field(
        default="PENDING", description="PENDING first, UPDATE while it lasts, GRANTED / REFUSED when decided"
    )


# The rules `_kind_has_its_content` enforces, in JSON Schema, so that the published contract states them.
_KIND_RULES: list[JsonValue] = [
    {
        "if": {"required": ["kind"], "properties": {"kind": {"const": kind.value}}},
        "then": {"required": list(needs), "properties": {name: {"not": {"type": "null"}} for name in needs}},
    }
    for kind, needs in (
        (MessageKind.REQUEST, ("request",)),
        (MessageKind.DELAY_NOTICE, ("delay",)),
        (MessageKind.COPY, ("copy_reason", "original")),
    )
]


class DirectiveMessage(BaseModel):
    """The directive content of one message, whatever channel carries it.

    Channel envelopes (SIENA, SIRENE, Interpol) wrap this as their `directive` payload, so that the
    harness judges the same object whichever channel the CMS used.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra={"allOf": _KIND_RULES})

    kind: MessageKind = Field(description="What the message is under the directive")
    case_reference: str = Field(description="The requester's reference of the exchange this message belongs to")
    language: str = Field(description="ISO 639-1; an answer is in the language of the request (Art 5(3), 6(4))")
    request: InformationRequest | None = Field(default=None, description="For REQUEST (and COPY of a request)")
    information: list[InformationItem] = Field(default_factory=list, description="For REPLY, OWN_INITIATIVE")
    refused_items: list[str] = Field(default_factory=list, description="For REFUSAL: item ids; empty = whole request")
    refusal_grounds: list[RefusalGround] = Field(default_factory=list, description="For REFUSAL: Art 6(1) codes")
    refusal_reasons: str | None = Field(default=None, description="Art 6(2): reasons for the refusal")
    questions: str | None = Field(default=None, description="For CLARIFICATION_REQUEST")
    answers: str | None = Field(default=None, description="For CLARIFICATION")
    amended_request: InformationRequest | None = Field(default=None, description="For CLARIFICATION: completed request")
    delay: DelayNotice | None = Field(default=None, description="For DELAY_NOTICE (Art 5(2))")
    copy_reason: CopyReason | None = Field(default=None, description="For COPY: the provision demanding it")
    copy_of: str | None = Field(default=None, description="For COPY: message id of the original")
    original: DirectiveMessage | None = Field(default=None, description="For COPY: the original's directive content")
    copy_exception: CopyExceptionGround | None = Field(
        default=None, description="Why a copy the directive demands was withheld (Arts 4(2), 5(3), 7, 8(3))"
    )
    channel_exception: ChannelException | None = Field(
        default=None, description="Art 13(2): required when the message travels outside SIENA"
    )
    europol_copy_decision: Literal["COPY", "NO_COPY"] | None = Field(default=None, description="Art 12(1)")
    sent_at: AwareDatetime | None = Field(default=None, description="With a UTC offset: deadlines rest on it")

    @model_validator(mode="after")
    def _kind_has_its_content(self) -> DirectiveMessage:
        missing: list[Violation] = []
        if self.kind is MessageKind.REQUEST and self.request is None:
            missing.append(Violation(field="request", rule="a REQUEST carries the request", article="Art 4"))
        if self.kind is MessageKind.DELAY_NOTICE and self.delay is None:
            missing.append(
                Violation(field="delay", rule="a delay notice states length and reasons", article="Art 5(2)")
            )
        if self.kind is MessageKind.COPY and self.copy_reason is None:
            missing.append(
                Violation(
                    field="copy_reason",
                    rule="a copy names the provision that demands it",
                    article="Arts 4(1), 5(3), 7(3), 8, 12",
                )
            )
        if self.kind is MessageKind.COPY and self.original is None:
            missing.append(
                Violation(
                    field="original",
                    rule="a copy carries the original's directive content",
                    article="Arts 4(1), 5(3), 7(3), 8, 12",
                )
            )
        if missing:
            raise DirectiveRuleError(missing)
        return self


DIRECTIVE_SCHEMA_REF = "#/components/schemas/DirectiveMessage"

# How a channel carries the directive content: as sent, never judged by the channel (the harness judges
# it), yet published with its full shape so that a CMS can read a request and write a reply from the
# contract alone. The reference resolves in the channel server's OpenAPI document, which always
# publishes DirectiveMessage among its components.
CarriedDirective = Annotated[
    dict[str, Any] | None,
    WithJsonSchema({"anyOf": [{"$ref": DIRECTIVE_SCHEMA_REF}, {"type": "null"}]}),
]
