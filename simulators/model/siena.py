"""SIENA (Europol's Secure Information Exchange Network Application) as this network models it.

The message shape follows what is public about SIENA (channels.md §1): messages live in cases with
crime areas, are addressed To/CC, carry handling codes H0-H3 (H3 with free text), the Europol
Regulation Art 29 evaluation codes (source reliability A/B/C/X, information accuracy 1-4), a
security level up to EU CONFIDENTIAL, processing purposes and restrictions (ER Arts 18-19), and
attachment metadata within the 50 MB per-message limit. Entities are UMF-inspired (person,
vehicle, document, ...), not UMF-conformant: the UMF schemas are not public. Field codes marked [A]
in channels.md are this project's own modelling, not SIENA's.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from simulators.model.directive import CarriedDirective, Entity
from simulators.model.envelope import Ack, Envelope

__all__ = [
    "ATTACHMENT_LIMIT_BYTES",
    "CrimeArea",
    "EntityLink",
    "EuLanguage",
    "HandlingCode",
    "InformationAccess",
    "InformationAccuracy",
    "Priority",
    "ProcessingPurpose",
    "SecurityLevel",
    "SienaAttachment",
    "SienaCase",
    "SienaEnvelope",
    "SienaMessageKind",
    "SienaMessageView",
    "SienaPayload",
    "SienaSendRequest",
    "SourceReliability",
    "Urgency",
]

ATTACHMENT_LIMIT_BYTES = 50 * 1024 * 1024  # per message; Europol Review 2015 (channels.md [S 15])


class SecurityLevel(StrEnum):
    """Basic Protection Level, then EU classification levels up to what SIENA is accredited for."""

    BPL = "BPL"
    EU_RESTRICTED = "EU_RESTRICTED"
    EU_CONFIDENTIAL = "EU_CONFIDENTIAL"

    @property
    def rank(self) -> int:
        return list(SecurityLevel).index(self)


_ABOVE_CONFIDENTIAL = {"EU_SECRET", "SECRET_UE", "SECRET", "EU_TOP_SECRET", "TRES_SECRET_UE", "TOP_SECRET"}


def _level_not_above_confidential(value: Any) -> Any:
    if isinstance(value, str) and value.upper().replace(" ", "_").replace("/", "_") in _ABOVE_CONFIDENTIAL:
        raise ValueError(
            "SIENA carries information up to EU_CONFIDENTIAL only; use another means for higher levels"
        )
    return value


class HandlingCode(StrEnum):
    """Council doc 6261/18 (channels.md §1.2)."""

    H0 = "H0"  # use only to prevent and combat crime
    H1 = "H1"  # not to be used in judicial proceedings without the provider's permission
    H2 = "H2"  # not to be disseminated without the provider's permission
    H3 = "H3"  # other restrictions (free text in h3_text)


class SourceReliability(StrEnum):
    """Regulation (EU) 2016/794 Art 29(1)."""

    A = "A"
    B = "B"
    C = "C"
    X = "X"


class InformationAccuracy(StrEnum):
    """Regulation (EU) 2016/794 Art 29(2)."""

    CERTAIN = "1"
    KNOWN_TO_SOURCE = "2"
    CORROBORATED = "3"
    UNCORROBORATED = "4"


class CrimeArea(StrEnum):
    """Annex I of Regulation (EU) 2016/794 (as amended by 2022/991); the codes are this project's [A]."""

    TERRORISM = "TERRORISM"
    ORGANISED_CRIME = "ORGANISED_CRIME"
    DRUG_TRAFFICKING = "DRUG_TRAFFICKING"
    MONEY_LAUNDERING = "MONEY_LAUNDERING"
    NUCLEAR_RADIOACTIVE = "NUCLEAR_RADIOACTIVE"
    MIGRANT_SMUGGLING = "MIGRANT_SMUGGLING"
    TRAFFICKING_IN_HUMAN_BEINGS = "TRAFFICKING_IN_HUMAN_BEINGS"
    MOTOR_VEHICLE_CRIME = "MOTOR_VEHICLE_CRIME"
    MURDER_GRIEVOUS_BODILY_INJURY = "MURDER_GRIEVOUS_BODILY_INJURY"
    ORGAN_TRAFFICKING = "ORGAN_TRAFFICKING"
    KIDNAPPING_HOSTAGE_TAKING = "KIDNAPPING_HOSTAGE_TAKING"
    RACISM_XENOPHOBIA = "RACISM_XENOPHOBIA"
    ROBBERY_AGGRAVATED_THEFT = "ROBBERY_AGGRAVATED_THEFT"
    CULTURAL_GOODS_TRAFFICKING = "CULTURAL_GOODS_TRAFFICKING"
    SWINDLING_FRAUD = "SWINDLING_FRAUD"
    UNION_FINANCIAL_INTERESTS = "UNION_FINANCIAL_INTERESTS"
    INSIDER_DEALING_MARKET_MANIPULATION = "INSIDER_DEALING_MARKET_MANIPULATION"
    RACKETEERING_EXTORTION = "RACKETEERING_EXTORTION"
    COUNTERFEITING_PRODUCT_PIRACY = "COUNTERFEITING_PRODUCT_PIRACY"
    FORGERY_ADMINISTRATIVE_DOCUMENTS = "FORGERY_ADMINISTRATIVE_DOCUMENTS"
    FORGERY_MONEY_MEANS_OF_PAYMENT = "FORGERY_MONEY_MEANS_OF_PAYMENT"
    COMPUTER_CRIME = "COMPUTER_CRIME"
    CORRUPTION = "CORRUPTION"
    FIREARMS_AMMUNITION_EXPLOSIVES = "FIREARMS_AMMUNITION_EXPLOSIVES"
    ENDANGERED_ANIMAL_SPECIES = "ENDANGERED_ANIMAL_SPECIES"
    ENDANGERED_PLANT_SPECIES = "ENDANGERED_PLANT_SPECIES"
    ENVIRONMENTAL_CRIME = "ENVIRONMENTAL_CRIME"
    HORMONAL_SUBSTANCES = "HORMONAL_SUBSTANCES"
    CHILD_SEXUAL_ABUSE_EXPLOITATION = "CHILD_SEXUAL_ABUSE_EXPLOITATION"
    GENOCIDE_CRIMES_AGAINST_HUMANITY_WAR_CRIMES = "GENOCIDE_CRIMES_AGAINST_HUMANITY_WAR_CRIMES"


class ProcessingPurpose(StrEnum):
    """Regulation (EU) 2016/794 Art 18(2)(a)-(d)."""

    CROSS_CHECKING = "CROSS_CHECKING"
    STRATEGIC_ANALYSIS = "STRATEGIC_ANALYSIS"
    OPERATIONAL_ANALYSIS = "OPERATIONAL_ANALYSIS"
    FACILITATE_EXCHANGE = "FACILITATE_EXCHANGE"


class EuLanguage(StrEnum):
    """The 24 official languages of the Union, ISO 639-1 (Directive Art 11 lists are drawn from these)."""

    BG = "bg"
    CS = "cs"
    DA = "da"
    DE = "de"
    EL = "el"
    EN = "en"
    ES = "es"
    ET = "et"
    FI = "fi"
    FR = "fr"
    GA = "ga"
    HR = "hr"
    HU = "hu"
    IT = "it"
    LT = "lt"
    LV = "lv"
    MT = "mt"
    NL = "nl"
    PL = "pl"
    PT = "pt"
    RO = "ro"
    SK = "sk"
    SL = "sl"
    SV = "sv"


class Urgency(StrEnum):
    URGENT = "URGENT"
    NON_URGENT = "NON_URGENT"


class InformationAccess(StrEnum):
    """Directive Art 2(6)-(7) as the requested side sees it; selects 8 hours or 3 days if urgent."""

    DIRECT = "DIRECT"
    INDIRECT = "INDIRECT"
    UNKNOWN = "UNKNOWN"


class Priority(StrEnum):
    """[A]: SIENA's own priority values are not public."""

    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"


class SienaMessageKind(StrEnum):
    """The directive's message kinds, plus INFO for SIENA traffic that is no exchange under the directive."""

    REQUEST = "REQUEST"
    REPLY = "REPLY"
    REFUSAL = "REFUSAL"
    CLARIFICATION_REQUEST = "CLARIFICATION_REQUEST"
    CLARIFICATION = "CLARIFICATION"
    DELAY_NOTICE = "DELAY_NOTICE"
    OWN_INITIATIVE = "OWN_INITIATIVE"
    COPY = "COPY"
    INFO = "INFO"


class SienaAttachment(BaseModel):
    """Metadata of an attached file; the content itself does not travel through the simulator."""

    model_config = ConfigDict(extra="forbid")

    filename: Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^/\\\x00]+$")]
    mime_type: Annotated[str, Field(pattern=r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$", max_length=255)]
    size_bytes: Annotated[
        int, Field(ge=0, le=ATTACHMENT_LIMIT_BYTES, description="At most 50 MB per message")
    ]
    sha256: Annotated[
        str, Field(pattern=r"^[0-9a-f]{64}$", description="Lower-case hex SHA-256 of the content")
    ]
    security_level: SecurityLevel | None = Field(default=None, description="Defaults to the message's level")

    _cap_level = field_validator("security_level", mode="before")(_level_not_above_confidential)


class EntityLink(BaseModel):
    """A UMF-inspired link between two entities of the message, e.g. PERSON owns VEHICLE."""

    model_config = ConfigDict(extra="forbid")

    from_entity: str
    to_entity: str
    relation: Annotated[str, Field(min_length=1, max_length=100)]


class SienaPayload(BaseModel):
    """The SIENA-specific content of a message: the envelope's `payload` on this channel."""

    model_config = ConfigDict(extra="forbid")

    kind: SienaMessageKind = Field(
        default=SienaMessageKind.INFO,
        description="Directive kind of the message (taken from `directive` when omitted)",
    )
    subject: Annotated[str, Field(min_length=1, max_length=255)]
    body: Annotated[str, Field(max_length=200_000)]
    language: EuLanguage
    urgency: Urgency
    urgency_reason: Annotated[str, Field(min_length=1, max_length=5000)] | None = None
    information_access: InformationAccess | None = None
    priority: Priority = Priority.NORMAL
    crime_areas: Annotated[list[CrimeArea], Field(min_length=1, max_length=30)]
    handling_codes: Annotated[list[HandlingCode], Field(min_length=1, max_length=4)]
    h3_text: Annotated[str, Field(min_length=1, max_length=5000)] | None = None
    source_reliability: SourceReliability | None = None
    information_accuracy: InformationAccuracy | None = None
    security_level: SecurityLevel
    europol_involved: bool = Field(
        description="False for bilateral exchanges in which Europol only carries the data"
    )
    processing_purposes: Annotated[list[ProcessingPurpose], Field(max_length=4)] = Field(default_factory=list)
    restrictions: Annotated[str, Field(max_length=5000)] | None = None
    contains_personal_data: bool | None = None
    attachments: Annotated[list[SienaAttachment], Field(max_length=100)] = Field(default_factory=list)
    entities: Annotated[list[Entity], Field(max_length=500)] = Field(
        default_factory=list, description="UMF-inspired, not UMF-conformant"
    )
    links: Annotated[list[EntityLink], Field(max_length=1000)] = Field(default_factory=list)

    _cap_level = field_validator("security_level", mode="before")(_level_not_above_confidential)

    @model_validator(mode="after")
    def _siena_rules(self) -> SienaPayload:
        if HandlingCode.H3 in self.handling_codes and self.h3_text is None:
            raise ValueError("h3_text: handling code H3 requires the free-text restriction in h3_text")
        if self.h3_text is not None and HandlingCode.H3 not in self.handling_codes:
            raise ValueError("h3_text: only allowed with handling code H3")
        if len(set(self.handling_codes)) != len(self.handling_codes):
            raise ValueError("handling_codes: each code at most once")
        if self.urgency is Urgency.URGENT and self.urgency_reason is None:
            raise ValueError(
                "urgency_reason: an URGENT message must give the reason for urgency (Directive Art 4(4))"
            )
        total = sum(a.size_bytes for a in self.attachments)
        if total > ATTACHMENT_LIMIT_BYTES:
            raise ValueError(
                f"attachments: {total} bytes in all; SIENA takes at most {ATTACHMENT_LIMIT_BYTES} "
                "bytes per message (use the Large File Exchange)"
            )
        for index, attachment in enumerate(self.attachments):
            if (
                attachment.security_level is not None
                and attachment.security_level.rank > self.security_level.rank
            ):
                raise ValueError(
                    f"attachments.{index}.security_level: above the message's level "
                    f"{self.security_level.value}"
                )
        ids = [e.entity_id for e in self.entities]
        if len(set(ids)) != len(ids):
            raise ValueError("entities: entity_id must be unique within the message")
        for index, link in enumerate(self.links):
            for end in (link.from_entity, link.to_entity):
                if end not in ids:
                    raise ValueError(f"links.{index}: {end!r} is not an entity_id of this message")
        return self


class SienaSendRequest(SienaPayload):
    """Body of `POST /siena/messages`: addressing, the SIENA payload, the optional directive content."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "sender": "SPOC-AT", "to": ["SPOC-DE"], "cc": [], "subject": "Registered keeper of a vehicle",
        "body": "Please provide the registered keeper of the vehicle with plate W-12345X.", "language": "en",
        "urgency": "NON_URGENT", "crime_areas": ["MOTOR_VEHICLE_CRIME"], "handling_codes": ["H0"],
        "security_level": "BPL", "europol_involved": False, "processing_purposes": ["FACILITATE_EXCHANGE"]}]})

    sender: Annotated[str, Field(min_length=1, max_length=64)]
    to: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=64)]], Field(min_length=1, max_length=50)
    ]
    cc: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=50)] = Field(
        default_factory=list
    )
    case_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    in_reply_to: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    directive: CarriedDirective = Field(
        default=None,
        description="Directive (EU) 2023/977 content (shape: DirectiveMessage), carried as sent; the channel "
        "does not judge it",
    )

    @model_validator(mode="before")
    @classmethod
    def _kind_from_directive(cls, data: Any) -> Any:
        if isinstance(data, dict) and "kind" not in data and isinstance(data.get("directive"), dict):
            kind = data["directive"].get("kind")
            if isinstance(kind, str) and kind in SienaMessageKind.__members__:
                return {**data, "kind": kind}
        return data

    @model_validator(mode="after")
    def _europol_addressed(self) -> SienaSendRequest:
        if "EUROPOL" in [*self.to, *self.cc] and not self.europol_involved:
            raise ValueError("europol_involved: must be true when EUROPOL is addressed")
        return self

    def payload(self) -> SienaPayload:
        return SienaPayload.model_validate(self.payload_json())

    def payload_json(self) -> dict[str, Any]:
        """The SIENA payload as JSON data, without the addressing and without unset optional fields."""
        return self.model_dump(mode="json", exclude_none=True, include=_PAYLOAD_FIELDS)


_PAYLOAD_FIELDS = set(SienaPayload.model_fields)


_CONSTRAINING = ("type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const")


def _schema_is_plain(schema: Any) -> bool:
    """True when no value valid against the JSON schema can hold a number other than an integer.

    A `number` type, a float among `enum`/`const` values, or a subschema that admits anything (no
    type, reference or combination: what pydantic writes for `Any`; `additionalProperties: true`)
    makes it False. Every subschema is walked, `$defs` included.
    """
    if not isinstance(schema, dict):
        return schema is False  # `true` admits anything; `false` admits nothing
    if not any(key in schema for key in _CONSTRAINING):
        return False
    kinds = schema.get("type")
    if kinds == "number" or (isinstance(kinds, list) and "number" in kinds):
        return False
    if any(isinstance(v, float) for v in [*schema.get("enum", ()), *([schema["const"]] if "const" in schema else [])]):
        return False
    subschemas: list[Any] = [*schema.get("properties", {}).values(), *schema.get("patternProperties", {}).values(),
                             *schema.get("$defs", {}).values(), *schema.get("prefixItems", ()),
                             *schema.get("anyOf", ()), *schema.get("oneOf", ()), *schema.get("allOf", ())]
    for key in ("items", "additionalProperties"):
        if key in schema:
            subschemas.append(schema[key])
    return all(_schema_is_plain(sub) for sub in subschemas)


# The JSON dump of a SIENA payload holds nothing but dicts, lists, str, int, bool and None: the
# network need not walk it to know that its canonical form is orjson's (recomputed from the model,
# so a float field added one day turns it off by itself).
PAYLOAD_IS_PLAIN = _schema_is_plain(SienaPayload.model_json_schema(mode="serialization"))


class SienaEnvelope(Envelope):
    """An envelope on SIENA (the same as every channel's, with the SIENA payload typed)."""

    payload: SienaPayload  # type: ignore[assignment]


class SienaMessageView(SienaEnvelope):
    acks: list[Ack] = Field(
        default_factory=list, description="Per recipient: delivery acknowledgement, read receipt"
    )


class SienaCase(BaseModel):
    case_id: str
    opened_at: AwareDatetime
    crime_areas: list[CrimeArea]
    messages: list[SienaMessageView]
