"""Interpol I-24/7 traffic as the simulator models it: notices, diffusions and NCB messages.

The three "pillars" of Interpol communication (channels.md §3): a notice request goes to the
General Secretariat (IPSG), which reviews it and publishes the notice to every NCB or refuses it;
a diffusion goes from an NCB straight to the NCBs it chooses; a message is plain NCB-to-NCB
traffic. Data belong to their source: the originator's restrictions travel with every copy and
bind each onward transmission.

Person fields reuse the names of Interpol's public notices API (`forename`, `name`,
`date_of_birth` as "YYYY/MM/DD", `nationalities` ISO alpha-2, `languages_spoken_ids` like "GER")
so that the public mimic shows exactly what was published. Legal thresholds of the review (RPD
Art 83, Constitution Art 3) are configurable in `ReviewPolicy`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from simulators.model.channels import CHANNELS, ChannelName
from simulators.model.directive import CarriedDirective, Violation
from simulators.model.parties import PartyKind, all_parties

__all__ = [
    "GENERAL_SECRETARIAT",
    "ArrestWarrant",
    "Asset",
    "ExcludedOffenceType",
    "I247Kind",
    "I247Message",
    "InterpolPerson",
    "MissingEvent",
    "NeutralityConcern",
    "NoticeColour",
    "PersonStatus",
    "ReviewDecision",
    "ReviewFinding",
    "ReviewOutcome",
    "ReviewPolicy",
    "SourceRestrictions",
    "UnListing",
    "all_ncbs",
    "merge_restrictions",
    "message_violations",
    "publication_recipients",
    "restriction_violations",
    "review_notice_request",
]

GENERAL_SECRETARIAT = "IPSG"
RPD = "Interpol RPD"
_OTHER_NOTICES = f"{RPD} Arts 88-96 [K]"
_RETENTION = f"{RPD}, initial retention [K]"

_Adder = Callable[[str, str, str], None]  # (field, rule, source) -> records a violation


class NoticeColour(StrEnum):
    RED = "RED"
    YELLOW = "YELLOW"
    BLUE = "BLUE"
    BLACK = "BLACK"
    GREEN = "GREEN"
    ORANGE = "ORANGE"
    PURPLE = "PURPLE"
    SILVER = "SILVER"  # pilot since 2025
    UNSC_SPECIAL = "UNSC_SPECIAL"  # INTERPOL-UN Security Council Special Notice


class I247Kind(StrEnum):
    NOTICE_REQUEST = "NOTICE_REQUEST"  # NCB -> IPSG, reviewed before publication
    DIFFUSION = "DIFFUSION"  # NCB -> chosen NCBs
    MESSAGE = "MESSAGE"  # NCB -> NCB(s)
    NOTICE = "NOTICE"  # IPSG -> all NCBs: a published notice (only the simulated IPSG sends it)
    NOTICE_REFUSAL = "NOTICE_REFUSAL"  # IPSG -> requesting NCB, with the reasons


SENDABLE_KINDS = frozenset({I247Kind.NOTICE_REQUEST, I247Kind.DIFFUSION, I247Kind.MESSAGE})


class PersonStatus(StrEnum):
    """RPD Art 44: the source states the person's status; values [A]."""

    CONVICTED = "CONVICTED"
    ACCUSED = "ACCUSED"
    SUSPECT = "SUSPECT"
    WITNESS = "WITNESS"
    MISSING = "MISSING"
    VICTIM = "VICTIM"
    UNIDENTIFIED = "UNIDENTIFIED"
    OTHER = "OTHER"


class NeutralityConcern(StrEnum):
    """Constitution Art 3: no activity of a political, military, religious or racial character."""

    POLITICAL = "POLITICAL"
    MILITARY = "MILITARY"
    RELIGIOUS = "RELIGIOUS"
    RACIAL = "RACIAL"


class ExcludedOffenceType(StrEnum):
    """RPD Art 83(1)(a): offences that cannot found a red notice (codes [A])."""

    BEHAVIOURAL_OR_CULTURAL_NORMS = "BEHAVIOURAL_OR_CULTURAL_NORMS"
    FAMILY_OR_PRIVATE_MATTERS = "FAMILY_OR_PRIVATE_MATTERS"
    ADMINISTRATIVE_OR_PRIVATE_DISPUTE = "ADMINISTRATIVE_OR_PRIVATE_DISPUTE"


Alpha2 = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
PublicDate = Annotated[
    str, Field(pattern=r"^\d{4}(/\d{2}(/\d{2})?)?$", description="YYYY/MM/DD as the public API writes it")
]
NcbId = Annotated[str, Field(pattern=r"^(NCB-[A-Z]{2}|IPSG)$", description="NCB party id (NCB-DE) or IPSG")]


class SourceRestrictions(BaseModel):
    """The originator's conditions on its data; they travel with every copy (structure [A])."""

    model_config = ConfigDict(extra="forbid")

    restricted_to_ncbs: list[NcbId] = Field(default_factory=list, description="Only these NCBs may receive the data")
    excluded_ncbs: list[NcbId] = Field(default_factory=list, description="These NCBs may never receive the data")
    use_limitations: list[str] = Field(default_factory=list, description="Conditions of use, in the source's words")
    consent_required_for_other_purpose: bool = True
    retain_until: date | None = Field(default=None, description="Data may not be processed after this day")

    @property
    def empty(self) -> bool:
        return not (self.restricted_to_ncbs or self.excluded_ncbs or self.use_limitations or self.retain_until)


class ArrestWarrant(BaseModel):
    """Names as in the public red notice API."""

    model_config = ConfigDict(extra="forbid")

    issuing_country_id: Alpha2
    charge: Annotated[str, Field(min_length=1)]
    charge_translation: str | None = None


class InterpolPerson(BaseModel):
    """A person with the public notices API's field names and formats."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, description="Family name")]
    forename: str | None = None
    date_of_birth: PublicDate | None = None
    sex_id: Literal["F", "M", "U"] | None = None
    nationalities: list[Alpha2] = Field(default_factory=list)
    country_of_birth_id: Alpha2 | None = None
    place_of_birth: str | None = None
    languages_spoken_ids: list[Annotated[str, Field(pattern=r"^[A-Z]{3}$")]] = Field(
        default_factory=list, description='Three-letter codes such as "GER", "ENG", "FRE"'
    )
    height: Annotated[float, Field(gt=0, lt=3)] | None = Field(default=None, description="Metres")
    weight: Annotated[int, Field(gt=0, lt=500)] | None = Field(default=None, description="Kilograms")
    eyes_colors_id: list[Annotated[str, Field(pattern=r"^[A-Z]{2,5}$")]] = Field(default_factory=list)
    hairs_id: list[Annotated[str, Field(pattern=r"^[A-Z]{2,5}$")]] = Field(default_factory=list)
    distinguishing_marks: str | None = None
    birth_name: str | None = None
    father_name: str | None = None
    father_forename: str | None = None
    mother_name: str | None = None
    mother_forename: str | None = None
    aliases: list[str] = Field(default_factory=list)


class MissingEvent(BaseModel):
    """Yellow notices: where and when the person went missing."""

    model_config = ConfigDict(extra="forbid")

    place: str | None = None
    date_of_event: PublicDate | None = None
    country: Alpha2 | None = None


class UnListing(BaseModel):
    """UN Security Council sanctions listing of a special notice (public UN notice names)."""

    model_config = ConfigDict(extra="forbid")

    un_reference: Annotated[str, Field(min_length=1, description='e.g. "QDi.432"')]
    un_resolution: int
    un_reference_date: PublicDate | None = None
    summary: str | None = None
    main_activity: str | None = None
    purposes: list[str] = Field(default_factory=list)
    associates: list[str] = Field(default_factory=list)
    identity_documents: list[str] = Field(default_factory=list)
    adresses: list[str] = Field(default_factory=list, description="Spelt as the public API spells it")


class Asset(BaseModel):
    """Silver notices: an asset linked to a person's criminal activity."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["PROPERTY", "VEHICLE", "FINANCIAL_ACCOUNT", "BUSINESS"]
    description: Annotated[str, Field(min_length=1)]
    country_id: Alpha2 | None = None


class I247Message(BaseModel):
    """What an NCB sends on I-24/7 (channels.md §3.5)."""

    model_config = ConfigDict(extra="forbid")

    kind: I247Kind
    sender: NcbId
    to: list[NcbId] = Field(default_factory=list, description="Diffusions and messages: the chosen NCBs")
    colour: NoticeColour | None = Field(default=None, description="Notice requests; optional on diffusions")
    language: Literal["ar", "en", "fr", "es"] = Field(description="Interpol's working languages")
    subject: Annotated[str, Field(min_length=1, max_length=255)]
    body: str = ""
    person_status: PersonStatus | None = None
    person: InterpolPerson | None = None
    arrest_warrants: list[ArrestWarrant] = Field(default_factory=list)
    offence_max_penalty_years: Annotated[float, Field(ge=0)] | None = None
    remaining_sentence_months: Annotated[float, Field(ge=0)] | None = None
    neutrality_concerns: list[NeutralityConcern] = Field(
        default_factory=list,
        description="Any predominantly political, military, religious or racial character",
    )
    excluded_offence_types: list[ExcludedOffenceType] = Field(default_factory=list)
    missing_event: MissingEvent | None = None
    un_listing: UnListing | None = None
    assets: list[Asset] = Field(default_factory=list)
    restrictions: SourceRestrictions = Field(default_factory=SourceRestrictions)
    public_extract: bool = Field(default=False, description="Publish an extract on the public notices API")
    forward_of: str | None = Field(default=None, description="Message id of received data passed on")
    in_reply_to: str | None = Field(default=None, description="Message id this one answers")
    directive: CarriedDirective = Field(
        default=None,
        description="DirectiveMessage content when the channel carries a directive exchange; carried as sent,"
        " never judged by the channel (Art 13(2) exception codes are for the harness to check)",
    )


def all_ncbs() -> list[str]:
    """Every Interpol NCB of the network, member and third countries alike."""
    return [pid for pid, p in all_parties().items() if p.kind is PartyKind.INTERPOL_NCB]


def _is_i247_party(pid: str) -> bool:
    return CHANNELS[ChannelName.INTERPOL].admits(pid)


_NEEDS_PERSON = frozenset({NoticeColour.RED, NoticeColour.YELLOW, NoticeColour.BLUE, NoticeColour.GREEN})


def message_violations(message: I247Message, today: date) -> list[Violation]:
    """The rules a message breaks before any restriction is looked at; empty when it may be sent."""
    found: list[Violation] = []

    def add(field: str, rule: str, source: str) -> None:
        found.append(Violation(field=field, rule=rule, article=source))

    if message.kind not in SENDABLE_KINDS:
        add("kind", f"only the General Secretariat issues a {message.kind}", f"{RPD} Arts 73-81")
    if not _is_i247_party(message.sender):
        add(
            "sender",
            f"{message.sender} is not an Interpol NCB of the network",
            "Interpol Constitution Art 32",
        )
    if message.kind is I247Kind.NOTICE_REQUEST:
        if message.to not in ([], [GENERAL_SECRETARIAT]):
            add(
                "to",
                "a notice request goes to the General Secretariat only (leave `to` empty)",
                f"{RPD} Arts 73-81",
            )
        if message.forward_of is not None:
            add("forward_of", "a notice request carries the sender's own data", f"{RPD} Arts 73-81")
        _notice_content_rules(message, add)
    elif message.kind in (I247Kind.DIFFUSION, I247Kind.MESSAGE):
        if not message.to:
            add("to", f"a {message.kind.lower()} names the NCBs it goes to", f"{RPD} Arts 97-101")
        seen: set[str] = set()
        for i, recipient in enumerate(message.to):
            if not _is_i247_party(recipient):
                add(f"to[{i}]", f"{recipient} is not an Interpol NCB of the network", f"{RPD} Arts 97-101")
            elif recipient == message.sender:
                add(f"to[{i}]", "an NCB does not send to itself", f"{RPD} Arts 97-101")
            elif recipient in seen:
                add(f"to[{i}]", f"{recipient} is named twice", f"{RPD} Arts 97-101")
            seen.add(recipient)
    limited = message.restrictions.restricted_to_ncbs or message.restrictions.excluded_ncbs
    if message.public_extract and limited:
        add(
            "public_extract",
            "data whose source limits the NCBs that may receive them cannot be published to the public",
            f"{RPD} Art 61 [K]",
        )
    retain = message.restrictions.retain_until
    if retain is not None and message.forward_of is None:
        if retain < today:
            add("restrictions.retain_until", "the retention period cannot end in the past", _RETENTION)
        elif retain > today + timedelta(days=5 * 365 + 1):
            add("restrictions.retain_until", "data are first retained for at most 5 years", _RETENTION)
    return found


def _notice_content_rules(message: I247Message, add: _Adder) -> None:
    colour = message.colour
    if colour is None:
        add("colour", "a notice request names the notice colour", f"{RPD} Arts 73-81")
        return
    if colour is NoticeColour.UNSC_SPECIAL:
        if message.sender != GENERAL_SECRETARIAT:
            add(
                "colour",
                "UN special notices are issued at the request of the UN Security Council",
                _OTHER_NOTICES,
            )
        if message.un_listing is None:
            add("un_listing", "a UN special notice carries its sanctions listing", _OTHER_NOTICES)
    if colour in _NEEDS_PERSON and message.person is None:
        add("person", f"a {colour.lower()} notice identifies the person concerned", f"{RPD} Arts 82-96 [K]")
    if colour is NoticeColour.RED:
        if not message.arrest_warrants:
            add(
                "arrest_warrants",
                "a red notice rests on a valid arrest warrant or judicial decision",
                f"{RPD} Art 83(2)(b)",
            )
        if message.person_status not in (PersonStatus.ACCUSED, PersonStatus.CONVICTED):
            add(
                "person_status",
                "a red notice seeks a person for prosecution (ACCUSED) or to serve a sentence (CONVICTED)",
                f"{RPD} Art 82",
            )
        elif message.person_status is PersonStatus.CONVICTED and message.remaining_sentence_months is None:
            add(
                "remaining_sentence_months",
                "a red notice to serve a sentence states the sentence left to serve",
                f"{RPD} Art 83(1)(b)(ii)",
            )
        elif message.person_status is PersonStatus.ACCUSED and message.offence_max_penalty_years is None:
            add(
                "offence_max_penalty_years",
                "a red notice for prosecution states the maximum penalty",
                f"{RPD} Art 83(1)(b)(i)",
            )
    if colour is NoticeColour.YELLOW and message.person_status not in (
        PersonStatus.MISSING,
        PersonStatus.UNIDENTIFIED,
    ):
        add("person_status", "a yellow notice concerns a MISSING person or one UNIDENTIFIED", _OTHER_NOTICES)
    if colour is NoticeColour.SILVER and not message.assets:
        add("assets", "a silver notice describes the assets sought", "Silver notice pilot (2025)")


def merge_restrictions(original: SourceRestrictions, added: SourceRestrictions) -> SourceRestrictions:
    """Restrictions for onward data: the source's stay; a forwarder may only tighten them."""
    if original.restricted_to_ncbs and added.restricted_to_ncbs:
        allowed = [n for n in original.restricted_to_ncbs if n in added.restricted_to_ncbs]
    else:
        allowed = list(original.restricted_to_ncbs or added.restricted_to_ncbs)
    retain = [d for d in (original.retain_until, added.retain_until) if d is not None]
    return SourceRestrictions(
        restricted_to_ncbs=allowed,
        excluded_ncbs=list(dict.fromkeys([*original.excluded_ncbs, *added.excluded_ncbs])),
        use_limitations=list(dict.fromkeys([*original.use_limitations, *added.use_limitations])),
        consent_required_for_other_purpose=(
            original.consent_required_for_other_purpose or added.consent_required_for_other_purpose
        ),
        retain_until=min(retain) if retain else None,
    )


def restriction_violations(
    recipients: Iterable[str],
    restrictions: SourceRestrictions,
    *,
    source: str,
    sender: str,
    today: date,
    field: str = "to",
) -> list[Violation]:
    """Why sending data under `restrictions` to `recipients` breaks the source's conditions."""
    found: list[Violation] = []
    article = f"{RPD}: restrictions set by the source of the data [K]"
    if restrictions.retain_until is not None and today > restrictions.retain_until:
        found.append(
            Violation(
                field="restrictions.retain_until",
                rule=f"{source} allowed the data to be kept until {restrictions.retain_until} only",
                article=article,
            )
        )
    for i, recipient in enumerate(recipients):
        if recipient in (GENERAL_SECRETARIAT, sender):
            continue
        if recipient in restrictions.excluded_ncbs:
            found.append(
                Violation(
                    field=f"{field}[{i}]",
                    rule=f"{recipient} is excluded by the source {source} (restrictions.excluded_ncbs)",
                    article=article,
                )
            )
        elif restrictions.restricted_to_ncbs and recipient not in restrictions.restricted_to_ncbs:
            found.append(
                Violation(
                    field=f"{field}[{i}]",
                    rule=f"{source} restricted the data to {', '.join(restrictions.restricted_to_ncbs)} "
                    f"(restrictions.restricted_to_ncbs); {recipient} is not among them",
                    article=article,
                )
            )
    return found


def publication_recipients(requester: str, restrictions: SourceRestrictions) -> list[str]:
    """The NCBs a published notice goes to: all of them, less those the source keeps it from."""
    ncbs = all_ncbs()
    chosen = [
        n
        for n in ncbs
        if n not in restrictions.excluded_ncbs
        and (not restrictions.restricted_to_ncbs or n in restrictions.restricted_to_ncbs)
    ]
    if requester in ncbs and requester not in chosen:
        chosen.append(requester)
    return chosen


class ReviewPolicy(BaseModel):
    """How the simulated General Secretariat reviews notice requests; every value configurable."""

    model_config = ConfigDict(frozen=True)

    delay: timedelta = Field(default=timedelta(hours=24), description="Network time from request to decision")
    min_penalty_years: float = Field(default=2.0, description="RPD Art 83(1)(b)(i)")
    min_remaining_sentence_months: float = Field(default=6.0, description="RPD Art 83(1)(b)(ii)")


class ReviewOutcome(StrEnum):
    PUBLISHED = "PUBLISHED"
    REFUSED = "REFUSED"


class ReviewFinding(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str
    rule: str
    article: str


class ReviewDecision(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: ReviewOutcome
    findings: list[ReviewFinding] = Field(default_factory=list, description="Why it was refused; empty if published")

    @property
    def reason(self) -> str:
        return "; ".join(f"{f.rule} ({f.article})" for f in self.findings)


def review_notice_request(message: I247Message, policy: ReviewPolicy | None = None) -> ReviewDecision:
    """The General Secretariat's decision on a notice request: the Art 3 and Art 83 checks."""
    policy = policy or ReviewPolicy()
    findings: list[ReviewFinding] = []
    if message.neutrality_concerns:
        kinds = ", ".join(c.lower() for c in message.neutrality_concerns)
        findings.append(
            ReviewFinding(
                field="neutrality_concerns",
                rule=f"the request has a predominantly {kinds} character; Interpol may not intervene",
                article="Interpol Constitution Art 3",
            )
        )
    if message.colour is NoticeColour.RED:
        if message.excluded_offence_types:
            kinds = ", ".join(t.lower().replace("_", " ") for t in message.excluded_offence_types)
            findings.append(
                ReviewFinding(
                    field="excluded_offence_types",
                    rule=f"offences of this kind ({kinds}) cannot found a red notice",
                    article=f"{RPD} Art 83(1)(a)",
                )
            )
        if message.person_status is PersonStatus.CONVICTED:
            left = message.remaining_sentence_months
            if left is None or left < policy.min_remaining_sentence_months:
                findings.append(
                    ReviewFinding(
                        field="remaining_sentence_months",
                        rule=f"at least {policy.min_remaining_sentence_months:g} months of the sentence must "
                        f"remain to be served; the request states {_fmt(left)}",
                        article=f"{RPD} Art 83(1)(b)(ii)",
                    )
                )
        else:
            penalty = message.offence_max_penalty_years
            if penalty is None or penalty < policy.min_penalty_years:
                findings.append(
                    ReviewFinding(
                        field="offence_max_penalty_years",
                        rule=f"the offence must be punishable by at least {policy.min_penalty_years:g} "
                        f"years; the request states {_fmt(penalty)}",
                        article=f"{RPD} Art 83(1)(b)(i)",
                    )
                )
    outcome = ReviewOutcome.REFUSED if findings else ReviewOutcome.PUBLISHED
    return ReviewDecision(outcome=outcome, findings=findings)


def _fmt(value: float | None) -> str:
    return "nothing" if value is None else f"{value:g}"
