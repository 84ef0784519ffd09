"""SIRENE forms of the SIS (Regulation (EU) 2018/1862) as the simulator models them.

Forms are JSON documents whose fields carry the SIRENE Manual's field numbers (`f001_...`,
`f002_...`). Which fields exist and what they mean follows channels.md §2; where the public texts
stop, the choice is ours and marked [A] (our modelling assumption). Structural rules (types,
formats) are pydantic's; rules that tie several fields together are in `form_violations`, which
names the field, the rule and its source for every breach, so that a refused form explains itself.

The reply timer of Art 8(3) (12 hours, or "immediately" for terrorism, children and URGENT forms)
is computed by `reply_timer`; the length of "immediately" is configurable because the Regulation
gives no number.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from simulators.model.channels import CHANNELS, ChannelName
from simulators.model.directive import CarriedDirective, Violation
from simulators.model.parties import all_states

__all__ = [
    "AlertArticle",
    "FormType",
    "Importance",
    "OffenceCategory",
    "ReplyState",
    "ReplyTimer",
    "ReplyTimerPolicy",
    "SireneAttachment",
    "SireneForm",
    "SireneObject",
    "SirenePerson",
    "bureau_state",
    "form_violations",
    "is_child_alert",
    "issuing_state",
    "reply_state",
    "reply_timer",
]

REGULATION = "Reg (EU) 2018/1862"
MANUAL = "SIRENE Manual"

_Adder = Callable[[str, str, str], None]  # (field, rule, source) -> records a violation


class FormType(StrEnum):
    """Standard SIRENE forms (channels.md §2.4); K, L, N, O, P, S are not modelled."""

    A = "A"  # European Arrest Warrant / arrest alert data (Art 26)
    E = "E"  # request for (further) information
    F = "F"  # flag request or flag-related information
    G = "G"  # hit
    H = "H"  # hit where the requested action cannot be taken
    I = "I"  # noqa: E741  request to process data for another purpose
    J = "J"  # rectification or deletion of data believed wrong
    M = "M"  # miscellaneous information, replies
    Q = "Q"  # misused identity


class AlertArticle(StrEnum):
    """SIS alert categories of Reg (EU) 2018/1862 the simulator knows."""

    ARREST = "26"  # arrest for surrender or extradition
    MISSING_OR_VULNERABLE = "32"  # missing persons, vulnerable persons, children at risk
    JUDICIAL_PROCEDURE = "34"  # persons sought to assist with a judicial procedure
    CHECKS = "36"  # discreet, inquiry or specific checks
    OBJECTS = "38"  # objects for seizure or use as evidence
    UNKNOWN_WANTED = "40"  # unknown wanted persons


class Importance(StrEnum):
    """Field 311 "Important"."""

    URGENT = "URGENT"
    GEOGRAPHICAL_SEARCH = "GEOGRAPHICAL_SEARCH"


class OffenceCategory(StrEnum):
    """Field 307. The CS-SIS code table is not public; these values are ours [A]."""

    TERRORISM = "TERRORISM"
    TRAFFICKING_IN_HUMAN_BEINGS = "TRAFFICKING_IN_HUMAN_BEINGS"
    CHILD_SEXUAL_EXPLOITATION = "CHILD_SEXUAL_EXPLOITATION"
    DRUG_TRAFFICKING = "DRUG_TRAFFICKING"
    FIREARMS_TRAFFICKING = "FIREARMS_TRAFFICKING"
    ORGANISED_CRIME = "ORGANISED_CRIME"
    MURDER = "MURDER"
    ROBBERY = "ROBBERY"
    FRAUD = "FRAUD"
    CORRUPTION = "CORRUPTION"
    MONEY_LAUNDERING = "MONEY_LAUNDERING"
    CYBERCRIME = "CYBERCRIME"
    THEFT = "THEFT"
    OTHER = "OTHER"


Alpha2 = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
BureauId = Annotated[
    str, Field(pattern=r"^SIRENE-[A-Z]{2}$", description="SIRENE bureau party id, e.g. SIRENE-DE")
]


class SirenePerson(BaseModel):
    """Person fields 006-013 and 266."""

    model_config = ConfigDict(extra="forbid")

    f006_surname: Annotated[str, Field(min_length=1, max_length=200)]
    f007_forename: str | None = None
    f008_name_at_birth: str | None = None
    f266_previous_names: list[str] = Field(default_factory=list)
    f009_date_of_birth: date | None = None
    f010_place_of_birth: str | None = None
    f011_aliases: list[str] = Field(default_factory=list)
    f012_sex: Literal["M", "F", "U"] = "U"
    f013_nationalities: list[Alpha2] = Field(default_factory=list, description="[A] ISO alpha-2")


class SireneObject(BaseModel):
    """An object of an Art 38(2) category; its details keyed by SIRENE field number, e.g. {"015": VIN}."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal[
        "VEHICLE", "ID_DOCUMENT", "FIREARM", "BANKNOTE", "AIRCRAFT", "BOAT", "CONTAINER", "IT_ITEM", "OTHER"
    ]
    fields: dict[Annotated[str, Field(pattern=r"^\d{3}$")], str] = Field(default_factory=dict)


class SireneAttachment(BaseModel):
    """Photographs, fingerprints or documents sent with a form [A]."""

    model_config = ConfigDict(extra="forbid")

    filename: Annotated[str, Field(min_length=1, max_length=255)]
    mime_type: Annotated[str, Field(pattern=r"^[\w.+-]+/[\w.+-]+$")]
    size_bytes: Annotated[int, Field(ge=0, le=50 * 1024 * 1024)]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class SireneForm(BaseModel):
    """One SIRENE form as sent by a bureau (channels.md §2.7)."""

    model_config = ConfigDict(extra="forbid")

    form_type: FormType
    f001_sent_at_utc: AwareDatetime = Field(description="Date and time of the message, UTC")
    f002_form_ref: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,49}$")] = Field(
        description="Form reference, unique across all forms of the sending state"
    )
    f003_sender_bureau: BureauId
    f004_recipient_bureaux: list[BureauId] = Field(min_length=1)
    f005_schengen_id: Annotated[str, Field(pattern=r"^[A-Z]{2}[0-9A-Z]{8,30}$")] | None = Field(
        default=None, description="[A] issuing state's alpha-2 code then 8-30 alphanumerics"
    )
    alert_article: AlertArticle | None = Field(
        default=None, description="Article of the alert (with field 005)"
    )
    f307_offence_category: OffenceCategory | None = None
    f308_alert_reason: str | None = None
    f311_important: Importance | None = None
    f311_reason: str | None = Field(default=None, description="Mandatory when field 311 says URGENT")
    f311_target_states: list[Alpha2] = Field(default_factory=list, description="[A] ST001 as ISO alpha-2")
    f327_keywords: list[str] = Field(default_factory=list)
    f345_europol_dissemination: str | None = None
    person: SirenePerson | None = None
    objects: list[SireneObject] = Field(default_factory=list)
    child_alert: bool = Field(
        default=False, description="[A] Art 32 alert on a child, when no date of birth says so"
    )
    f239_eaw_only: bool | None = Field(default=None, description="A form: the form carries only the EAW")
    f272_eaw_sequence: Annotated[int, Field(ge=1)] | None = None
    f044_description_of_deeds: str | None = None
    hit_place: str | None = Field(default=None, description="G/H forms [A]")
    hit_time_utc: AwareDatetime | None = Field(default=None, description="G/H forms [A]")
    action_taken: str | None = Field(default=None, description="G form [A]")
    f083_information: str | None = Field(
        default=None, description="Free text (M form; [A] E, F, H, I, J too)"
    )
    misused_identity_consent: bool | None = Field(
        default=None, description="Q form: the explicit consent of the person whose identity is misused"
    )
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$", description="ISO 639-1")]
    in_reply_to: str | None = Field(default=None, description="The other side's field 002 this form answers")
    attachments: list[SireneAttachment] = Field(default_factory=list)
    directive: CarriedDirective = Field(
        default=None,
        description="DirectiveMessage content when the channel carries a directive exchange; carried as sent,"
        " never judged by the channel (Art 13(2) exception codes are for the harness to check)",
    )


# Forms that must name the alert they concern (field 005 with its article).
_NEEDS_ALERT = frozenset({FormType.A, FormType.F, FormType.G, FormType.H, FormType.I, FormType.J, FormType.Q})
# Forms addressed to the bureau of the state that issued the alert [A].
_TO_ISSUER = frozenset({FormType.F, FormType.G, FormType.H, FormType.I, FormType.J})
_NEEDS_TEXT: dict[FormType, str] = {
    FormType.E: "an E form states the information requested (field 083)",
    FormType.F: "an F form states why the alert's action is incompatible or the flag wanted (field 083)",
    FormType.H: "an H form says why the requested action cannot be taken (field 083)",
    FormType.I: "an I form names the other purpose for which processing is asked (field 083)",
    FormType.J: "a J form says which data are believed wrong or unlawfully stored and why (field 083)",
    FormType.M: "an M form carries its information (field 083)",
}
_PERSON_ALERTS = frozenset(a for a in AlertArticle if a is not AlertArticle.OBJECTS)
_FLAGGABLE = frozenset({AlertArticle.ARREST, AlertArticle.MISSING_OR_VULNERABLE, AlertArticle.CHECKS})


def bureau_state(bureau_id: str) -> str:
    """The ISO alpha-2 state of a SIRENE bureau id (SIRENE-DE -> DE)."""
    return bureau_id.removeprefix("SIRENE-")


def issuing_state(form: SireneForm) -> str | None:
    """The state that issued the alert the form concerns, read from the Schengen ID [A]."""
    return form.f005_schengen_id[:2] if form.f005_schengen_id else None


def _is_bureau(pid: str) -> bool:
    return CHANNELS[ChannelName.SIRENE].admits(pid)


def form_violations(form: SireneForm) -> list[Violation]:
    """Every cross-field rule the form breaks; empty when the form may be sent."""
    found: list[Violation] = []

    def add(field: str, rule: str, source: str) -> None:
        found.append(Violation(field=field, rule=rule, article=source))

    if form.f001_sent_at_utc.utcoffset() != timedelta(0):
        add(
            "f001_sent_at_utc",
            "field 001 is the date and time in UTC (offset Z or +00:00)",
            f"{MANUAL}, field 001",
        )
    if not _is_bureau(form.f003_sender_bureau):
        add(
            "f003_sender_bureau",
            f"{form.f003_sender_bureau} is not a SIRENE bureau of the network",
            f"{MANUAL}, field 003",
        )
    seen: set[str] = set()
    for i, recipient in enumerate(form.f004_recipient_bureaux):
        where = f"f004_recipient_bureaux[{i}]"
        if not _is_bureau(recipient):
            add(where, f"{recipient} is not a SIRENE bureau of the network", f"{MANUAL}, field 004")
        elif recipient == form.f003_sender_bureau:
            add(where, "a bureau does not send a form to itself", f"{MANUAL}, field 004")
        elif recipient in seen:
            add(where, f"{recipient} is named twice", f"{MANUAL}, field 004")
        seen.add(recipient)

    _alert_rules(form, add)
    _importance_rules(form, add)
    _form_specific_rules(form, add)
    return found


def _alert_rules(form: SireneForm, add: _Adder) -> None:
    if form.form_type in _NEEDS_ALERT and form.f005_schengen_id is None:
        add(
            "f005_schengen_id",
            f"a {form.form_type} form concerns an alert and gives its Schengen ID",
            f"{MANUAL}, field 005",
        )
    if form.f005_schengen_id is not None:
        issuer = issuing_state(form)
        if issuer not in all_states() or all_states()[str(issuer)].third_country:
            add(
                "f005_schengen_id",
                f"the Schengen ID starts with {issuer}, which is not a SIS state",
                f"{MANUAL}, field 005",
            )
        elif form.form_type in _TO_ISSUER and f"SIRENE-{issuer}" not in form.f004_recipient_bureaux:
            add(
                "f004_recipient_bureaux",
                f"a {form.form_type} form goes to the bureau of the issuing state SIRENE-{issuer}",
                f"{MANUAL}, {form.form_type} form [A]",
            )
        if form.alert_article is None:
            add(
                "alert_article",
                "field 005 gives the article of the alert with the Schengen ID",
                f"{MANUAL}, field 005",
            )
    if form.form_type is FormType.A and form.alert_article not in (None, AlertArticle.ARREST):
        add("alert_article", "an A form belongs to an arrest alert (Art 26)", f"{REGULATION} Art 26")
    if form.form_type is FormType.F and form.alert_article not in (None, *_FLAGGABLE):
        add(
            "alert_article",
            "a flag can be added only to alerts under Art 26, 32 or 36",
            f"{REGULATION} Art 24(1)",
        )
    if form.form_type is FormType.Q and form.alert_article not in (None, *_PERSON_ALERTS):
        add("alert_article", "a misused identity extends an alert on a person", f"{REGULATION} Art 62")


def _importance_rules(form: SireneForm, add: _Adder) -> None:
    if form.f311_important is Importance.URGENT and not (form.f311_reason or "").strip():
        add("f311_reason", "an URGENT form gives the reason for urgency", f"{MANUAL}, field 311")
    if form.f311_important is Importance.GEOGRAPHICAL_SEARCH and not form.f311_target_states:
        add(
            "f311_target_states",
            "a geographical search names its target states (table ST001)",
            f"{MANUAL}, field 311",
        )
    if form.f311_target_states and form.f311_important is not Importance.GEOGRAPHICAL_SEARCH:
        add(
            "f311_target_states",
            "target states go with a GEOGRAPHICAL_SEARCH in field 311",
            f"{MANUAL}, field 311",
        )
    for i, code in enumerate(form.f311_target_states):
        if code not in all_states() or all_states()[code].third_country:
            add(f"f311_target_states[{i}]", f"{code} is not a SIS state", f"{MANUAL}, field 311")


def _form_specific_rules(form: SireneForm, add: _Adder) -> None:
    kind = form.form_type
    if kind in _NEEDS_TEXT and not (form.f083_information or "").strip():
        add("f083_information", _NEEDS_TEXT[kind], f"{MANUAL}, {kind} form")
    if kind is FormType.A:
        if form.person is None:
            add("person", "an A form describes the wanted person", f"{REGULATION} Art 26")
        if not (form.f044_description_of_deeds or "").strip():
            add(
                "f044_description_of_deeds",
                "an A form describes the offence (field 044)",
                f"{MANUAL}, A form",
            )
        if form.f272_eaw_sequence is None:
            add(
                "f272_eaw_sequence",
                "an A form numbers its European Arrest Warrant (field 272)",
                f"{MANUAL}, A form",
            )
    if kind in (FormType.G, FormType.H):
        if not (form.hit_place or "").strip():
            add("hit_place", f"a {kind} form says where the hit occurred", f"{MANUAL}, {kind} form [A]")
        if form.hit_time_utc is None:
            add("hit_time_utc", f"a {kind} form says when the hit occurred", f"{MANUAL}, {kind} form [A]")
        elif form.hit_time_utc > form.f001_sent_at_utc:
            add(
                "hit_time_utc",
                "the hit cannot be later than the form (field 001)",
                f"{MANUAL}, {kind} form [A]",
            )
    if kind is FormType.Q:
        if form.person is None:
            add("person", "a Q form describes the person whose identity is misused", f"{REGULATION} Art 62")
        if form.misused_identity_consent is not True:
            add(
                "misused_identity_consent",
                "misused-identity data need the explicit consent of the person concerned",
                f"{REGULATION} Art 62(1)",
            )
    if form.f002_form_ref == form.in_reply_to:
        add("in_reply_to", "a form cannot answer itself", f"{MANUAL}, field 002")


def is_child_alert(form: SireneForm) -> bool:
    """An Art 32 alert on a child: flagged as such, or the person is under 18 on the form's date."""
    if form.alert_article is not AlertArticle.MISSING_OR_VULNERABLE:
        return False
    if form.child_alert:
        return True
    born = form.person.f009_date_of_birth if form.person else None
    if born is None:
        return False
    on = form.f001_sent_at_utc.date()
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return age < 18


class ReplyTimerPolicy(BaseModel):
    """How long a bureau has to answer a request form (Art 8(3)); every value configurable."""

    model_config = ConfigDict(frozen=True)

    standard: timedelta = Field(default=timedelta(hours=12), description="Art 8(3): at the latest 12 hours")
    immediate: timedelta = Field(
        default=timedelta(hours=1), description="'Immediately' (terrorism, children, URGENT) as a number [A]"
    )
    request_forms: frozenset[FormType] = Field(
        default=frozenset({FormType.E, FormType.F, FormType.G, FormType.I, FormType.J}),
        description="Forms that ask something of the recipient and so start the timer [A]",
    )


class ReplyTimer(BaseModel):
    """The reply deadline of one request form, with the reasons that set its length."""

    model_config = ConfigDict(frozen=True)

    received_at: AwareDatetime
    reply_due_at: AwareDatetime
    limit_seconds: int
    immediate: bool
    reasons: list[str] = Field(description="Why the limit is 'immediate', empty for the 12-hour limit")
    basis: str


def reply_timer(
    form: SireneForm, received_at: datetime, policy: ReplyTimerPolicy | None = None
) -> ReplyTimer | None:
    """The reply deadline a request form starts on receipt; None for forms that ask nothing."""
    policy = policy or ReplyTimerPolicy()
    if form.form_type not in policy.request_forms:
        return None
    reasons: list[str] = []
    if form.f311_important is Importance.URGENT:
        reasons.append("URGENT in field 311")
    if form.f307_offence_category is OffenceCategory.TERRORISM:
        reasons.append("terrorist offence in field 307")
    if is_child_alert(form):
        reasons.append("Art 32 alert on a child")
    limit = policy.immediate if reasons else policy.standard
    basis = (
        f"{REGULATION} Art 8(3): immediately ({', '.join(reasons)}), modelled as {_iso(limit)}"
        if reasons
        else f"{REGULATION} Art 8(3): at the latest {_iso(limit)} after receipt"
    )
    return ReplyTimer(
        received_at=received_at,
        reply_due_at=received_at + limit,
        limit_seconds=int(limit.total_seconds()),
        immediate=bool(reasons),
        reasons=reasons,
        basis=basis,
    )


def _iso(limit: timedelta) -> str:
    seconds = int(limit.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return (
        "PT"
        + (f"{hours}H" if hours else "")
        + (f"{minutes}M" if minutes else "")
        + (f"{secs}S" if secs else "")
    )


class ReplyState(StrEnum):
    PENDING = "PENDING"  # no reply yet, deadline not passed
    OVERDUE = "OVERDUE"  # no reply and the deadline has passed
    ANSWERED = "ANSWERED"  # replied by the deadline
    ANSWERED_LATE = "ANSWERED_LATE"  # replied after the deadline


def reply_state(due_at: datetime, replied_at: datetime | None, now: datetime) -> ReplyState:
    """Where one recipient stands with its reply; a reply at the very deadline is in time."""
    if replied_at is not None:
        return ReplyState.ANSWERED if replied_at <= due_at else ReplyState.ANSWERED_LATE
    return ReplyState.OVERDUE if now > due_at else ReplyState.PENDING
