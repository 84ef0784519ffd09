"""The requirement catalogue of Directive (EU) 2023/977, loaded from `conformance/data/requirements.toml`.

The data file is the single source of requirement IDs, article references, check kinds and "not
testable" reasons; checks, Gherkin scenarios and coverage read it through `load_catalogue()`. It also
holds the enumerations the checks judge against (refusal grounds, urgency criteria, the Art 4(5)
field list), each with how far its reading is verified. The Art 10(b) personal-data whitelist is a
reading the reference CMS applies too, so it lives in the shared vocabulary
(`simulators/model/personal_data.toml`); the catalogue exposes it as `Catalogue.personal_data`.

Article references follow one grammar, documented at the top of the data file ("Art 5(1)(a)",
"Art 4(1) §3", "Art 9(2)-(3)", "Art 6(1)(h) + Art 3(d)"); `Requirement.article_tag` derives the
Gherkin tag from it ("art-5-1-a"). A malformed data file fails on load with a `CatalogueError` naming
the entry and the field, so a wrong edit cannot silently change a verdict.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    computed_field,
    field_validator,
)

from conformance.applicability import Applicability, Dimension, check_applicability
from simulators.model.data_files import DataFileError
from simulators.model.directive import RefusalGround, UrgencyCriterion
from simulators.model.personal_data import PACKAGED_SOURCE as WHITELIST_SOURCE
from simulators.model.personal_data import (
    PersonalDataReadingError,
    PersonalDataWhitelist,
    SubjectWhitelist,
    load_personal_data_whitelist,
)
from simulators.model.readings import Basis

__all__ = [
    "Applicability",
    "Basis",
    "Catalogue",
    "CatalogueError",
    "Chapter",
    "CheckKind",
    "Dimension",
    "PersonalDataWhitelist",
    "Provision",
    "RefusalGroundEntry",
    "RequestField",
    "Requirement",
    "Source",
    "SubjectWhitelist",
    "UrgencyCriterionEntry",
    "article_tag",
    "load_catalogue",
    "normalise_article",
    "parse_article",
    "parse_catalogue",
]

PACKAGED_SOURCE = "conformance/data/requirements.toml"


class CheckKind(StrEnum):
    """How a check can observe a requirement (the reference catalogue's BB / RX / DI)."""

    CHANNELS = "channels"  # black box through the message channels
    RECORDS = "records"  # the CMS's exported records, logs and statistics
    DECLARATION = "declaration"  # declaration or inspection only


class CatalogueError(DataFileError):
    """The data file is malformed; names the file, the entry and the field."""


# --- article references --------------------------------------------------------------------------

_PROVISION = re.compile(
    r"Art (?P<article>[1-9][0-9]*)"
    r"(?:\((?P<para>[1-9][0-9]*)\)(?:-\((?P<para_to>[1-9][0-9]*)\))?)?"
    r"(?:\((?P<point>[a-z])\)(?:-\((?P<point_to>[a-z])\))?(?:\((?P<sub>[ivx]+)\))?)?"
    r"(?: (?:§(?P<subpara>[1-9][0-9]*)|s(?P<sentence>[1-9][0-9]*)|(?P<chapeau>chapeau)))?"
)
_TAG = re.compile(r"^art-[1-9]", re.IGNORECASE)
_GRAMMAR_HINT = "expected e.g. 'Art 5(1)(a)', 'Art 4(1) §3', 'Art 9(2)-(3)' or 'Art 6(1)(h) + Art 3(d)'"


class Provision(BaseModel):
    """One cited provision of an article reference, e.g. Art 14(3)(a)(ii)."""

    model_config = ConfigDict(frozen=True)

    text: str
    article: int
    paragraphs: tuple[int, ...] = ()
    points: tuple[str, ...] = ()
    subpoint: str | None = None
    division: str | None = Field(default=None, description="'§N' subparagraph, 'sN' sentence or 'chapeau'")

    @property
    def tag(self) -> str:
        parts = [f"art-{self.article}"]
        for values in (self.paragraphs, self.points):
            if values:
                parts.append(str(values[0]) if len(values) == 1 else f"{values[0]}-to-{values[-1]}")
        if self.subpoint:
            parts.append(self.subpoint)
        if self.division:
            parts.append(self.division.replace("§", "sub"))
        return "-".join(parts)

    def expanded(self) -> list[str]:
        """The single provisions a range stands for, e.g. Art 9(2)-(3) -> Art 9(2), Art 9(3)."""
        paragraphs: Sequence[int | None] = self.paragraphs or (None,)
        points: Sequence[str | None] = self.points or (None,)
        out: list[str] = []
        for paragraph in paragraphs:
            for point in points:
                text = f"Art {self.article}"
                text += f"({paragraph})" if paragraph is not None else ""
                text += f"({point})" if point is not None else ""
                text += f"({self.subpoint})" if self.subpoint else ""
                text += f" {self.division}" if self.division else ""
                out.append(text)
        return out


def normalise_article(reference: str) -> str:
    """Tolerant spelling of a reference ('art. 5 (1)', en dashes) to the grammar's form.

    A tag ('art-5-1-a') is returned in lower case, as tags are written.
    """
    text = " ".join(reference.replace("–", "-").replace("—", "-").split())
    if _TAG.match(text):
        return text.lower()
    text = re.sub(r"^(?:article|art\.?)\s*", "Art ", text, flags=re.IGNORECASE)
    text = re.sub(r"\s*\+\s*(?:article|art\.?)\s*", " + Art ", text, flags=re.IGNORECASE)
    return re.sub(r"\s+(?=[(-])|(?<=[)-])\s+(?=[(])", "", text)


def parse_article(reference: str) -> tuple[Provision, ...]:
    """Parse a reference of the catalogue grammar; ValueError says what is wrong."""
    provisions: list[Provision] = []
    for text in reference.split(" + "):
        match = _PROVISION.fullmatch(text)
        if match is None:
            raise ValueError(f"{reference!r} is not a well-formed article reference: {_GRAMMAR_HINT}")
        g = match.groupdict()
        if g["sub"] and g["point_to"]:
            raise ValueError(f"{reference!r}: a sub-point cannot follow a range of points")
        division = (
            f"§{g['subpara']}" if g["subpara"] else f"s{g['sentence']}" if g["sentence"] else g["chapeau"]
        )
        provisions.append(
            Provision(
                text=text,
                article=int(g["article"]),
                paragraphs=tuple(int(p) for p in _range(reference, g["para"], g["para_to"])),
                points=_range(reference, g["point"], g["point_to"]),
                subpoint=g["sub"],
                division=division,
            )
        )
    return tuple(provisions)


def _range(reference: str, first: str | None, last: str | None) -> tuple[str, ...]:
    if first is None or last is None:
        return (first,) if first else ()
    if first.isdigit():
        values = [str(n) for n in range(int(first), int(last) + 1)]
    else:
        values = [chr(c) for c in range(ord(first), ord(last) + 1)]
    if len(values) < 2:
        raise ValueError(
            f"{reference!r}: a range must run upwards, e.g. 'Art 9(2)-(3)' or 'Art 15(3)(a)-(c)'"
        )
    return tuple(values)


def article_tag(reference: str) -> str:
    """The Gherkin tag of a reference: 'Art 5(1)(a)' -> 'art-5-1-a', 'Art 4(1) §3' -> 'art-4-1-sub3'."""
    return "+".join(p.tag for p in parse_article(reference))


def _well_formed_article(value: str) -> str:
    parse_article(value)
    return value


ArticleRef = Annotated[str, AfterValidator(_well_formed_article)]


# --- the models ----------------------------------------------------------------------------------

_ROMAN_CHAPTER = r"^(I|II|III|IV|V|VI|VII|VIII|IX|X)$"


class Chapter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    number: str = Field(pattern=_ROMAN_CHAPTER)
    title: str = Field(min_length=1)
    first_article: int = Field(ge=1)
    last_article: int = Field(ge=1)

    @field_validator("last_article")
    @classmethod
    def _not_before_first(cls, value: int, info: ValidationInfo) -> int:
        first = info.data.get("first_article")
        if first is not None and value < first:
            raise ValueError(f"last_article {value} is before first_article {first}")
        return value

    def holds(self, article: int) -> bool:
        return self.first_article <= article <= self.last_article


class Source(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^S[1-9][0-9]*$")
    label: str = Field(min_length=1)


class Requirement(BaseModel):
    """One R-xx of the catalogue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^R-[0-9]{2,3}$", description="R-NN or R-NNN")
    section: str = Field(pattern=r"^2\.[0-9]+$", description="Section of the reference catalogue")
    article: ArticleRef = Field(description="Reference in the catalogue grammar, e.g. 'Art 5(1)(a)'")
    chapter: str = Field(pattern=_ROMAN_CHAPTER, description="Directive chapter of the first article cited")
    title: str = Field(min_length=1)
    statement: str = Field(min_length=1)
    kinds: list[CheckKind] = Field(min_length=1)
    basis: Basis
    basis_note: str | None = None
    sources: list[str] = Field(default_factory=list)
    how_to_check: str = Field(min_length=1)
    not_testable_reason: str | None = Field(default=None, validate_default=True)
    member_state_obligation: bool = True

    _provisions: tuple[Provision, ...] = PrivateAttr(default=())

    @field_validator("kinds")
    @classmethod
    def _kinds_unique(cls, value: list[CheckKind]) -> list[CheckKind]:
        if len(set(value)) != len(value):
            raise ValueError(f"each kind at most once, got {[k.value for k in value]}")
        return sorted(value, key=list(CheckKind).index)

    @field_validator("not_testable_reason")
    @classmethod
    def _reason_exactly_for_declarations(cls, value: str | None, info: ValidationInfo) -> str | None:
        kinds = info.data.get("kinds")
        if kinds is None:  # kinds itself is invalid and reported on its own
            return value
        declaration_only = set(kinds) == {CheckKind.DECLARATION}
        if declaration_only and not (value and value.strip()):
            raise ValueError(
                "required for a declaration-only item: say why no check through the channels or the CMS "
                "records can observe it"
            )
        if not declaration_only and value is not None:
            raise ValueError(
                f"only declaration-only items carry one; this item can be checked through "
                f"{', '.join(k.value for k in kinds if k is not CheckKind.DECLARATION)}"
            )
        return value

    def model_post_init(self, context: Any, /) -> None:
        self._provisions = parse_article(self.article)

    def __hash__(self) -> int:  # the ID identifies an item; lets requirements key dicts and sets
        return hash(self.id)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def article_tag(self) -> str:
        """'Art 5(1)(a)' -> 'art-5-1-a'; used as a Gherkin tag."""
        return "+".join(p.tag for p in self._provisions)

    @property
    def provisions(self) -> tuple[Provision, ...]:
        return self._provisions

    @property
    def testable(self) -> bool:
        """Observable through the channels or the CMS records."""
        return CheckKind.CHANNELS in self.kinds or CheckKind.RECORDS in self.kinds

    @property
    def declaration_only(self) -> bool:
        return not self.testable

    def cites(self, prefix: str) -> bool:
        """Whether the reference falls under `prefix` ('Art 5' covers Art 5(1)(a), not Art 50)."""
        wanted = normalise_article(prefix)
        candidates = [p.text for p in self._provisions] + [e for p in self._provisions for e in p.expanded()]
        if _TAG.match(wanted):
            tags = [p.tag for p in self._provisions] + [article_tag(c) for c in candidates]
            return any(_under(tag, wanted, "-") for tag in tags)
        return any(_under(candidate, wanted, "( ") for candidate in candidates)


def _under(candidate: str, prefix: str, boundaries: str) -> bool:
    if candidate == prefix:
        return True
    return candidate.startswith(prefix) and candidate[len(prefix)] in boundaries


class RefusalGroundEntry(BaseModel):
    """Art 6(1): a ground on which a SPOC may refuse (exhaustive list)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: RefusalGround
    article: ArticleRef
    description: str = Field(min_length=1)
    lifts_own_initiative_duty: bool = Field(description="Art 7(2): grounds (c) and (f)")


class UrgencyCriterionEntry(BaseModel):
    """Art 4(4): a reason that makes a request urgent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: UrgencyCriterion
    article: ArticleRef
    description: str = Field(min_length=1)
    basis: Basis


class RequestField(BaseModel):
    """An element a request must carry (Art 4(5) minimum content or implied by another provision)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    article: ArticleRef
    group: Literal["art-4-5", "implied"]
    content: str = Field(min_length=1)
    required: Literal["always", "urgent", "where-applicable", "requested-side", "on-omission"]
    basis: Basis
    carried_by: list[str] = Field(default_factory=list, description="InformationRequest fields carrying it")


class Catalogue(BaseModel):
    """The whole catalogue; build it with `load_catalogue()` or `parse_catalogue()`."""

    model_config = ConfigDict(frozen=True)

    source: str
    chapters: tuple[Chapter, ...]
    sources: tuple[Source, ...]
    requirements: tuple[Requirement, ...]
    refusal_grounds: tuple[RefusalGroundEntry, ...]
    urgency_criteria: tuple[UrgencyCriterionEntry, ...]
    request_fields: tuple[RequestField, ...]
    personal_data: PersonalDataWhitelist = Field(description="Art 10(b), read from simulators/model/personal_data.toml")
    dimensions: tuple[Dimension, ...] = Field(description="The vocabulary of the applicability model")
    applicability: tuple[Applicability, ...] = Field(description="Per checkable requirement, what it depends on")

    _index: dict[str, Requirement] = PrivateAttr(default_factory=dict)
    _applicability: dict[str, Applicability] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        self._index = {r.id: r for r in self.requirements}
        self._applicability = {a.requirement: a for a in self.applicability}

    def applicability_of(self, requirement_id: str) -> Applicability | None:
        """What the requirement's obligation depends on; None for a declaration-only item."""
        return self._applicability.get(requirement_id)

    def dimension(self, name: str) -> Dimension:
        return next(d for d in self.dimensions if d.name == name)

    def get(self, requirement_id: str) -> Requirement:
        """The requirement with this ID; KeyError naming the ID and the valid range otherwise."""
        try:
            return self._index[requirement_id.strip().upper()]
        except KeyError:
            ids = [r.id for r in self.requirements]
            raise KeyError(
                f"no requirement {requirement_id!r} in {self.source}: the catalogue has {len(ids)} items, "
                f"{ids[0]} to {ids[-1]} with gaps (list them with `spoc-harness requirements`)"
            ) from None

    def all(self) -> list[Requirement]:
        return list(self.requirements)

    def by_article(self, prefix: str) -> list[Requirement]:
        """Items citing a provision under `prefix`: 'Art 5' gives Art 5(1)(a) ... Art 5(3) §3, not Art 50.

        Accepts the tag form too ('art-5-1'). ValueError if the prefix is not a reference.
        """
        wanted = normalise_article(prefix)
        if not _TAG.match(wanted):
            parse_article(wanted)
        return [r for r in self.requirements if r.cites(wanted)]

    def testable(self) -> list[Requirement]:
        """Items a check can observe: kind channels or records (possibly also declaration)."""
        return [r for r in self.requirements if r.testable]

    def declarations(self) -> list[Requirement]:
        """Declaration-only items, each with its `not_testable_reason`; the complement of `testable()`."""
        return [r for r in self.requirements if r.declaration_only]

    def chapter(self, number: str) -> Chapter:
        for chapter in self.chapters:
            if chapter.number == number:
                return chapter
        raise KeyError(
            f"no chapter {number!r}: the directive has chapters {[c.number for c in self.chapters]}"
        )

    def refusal_ground(self, code: RefusalGround | str) -> RefusalGroundEntry:
        for entry in self.refusal_grounds:
            if entry.code == code:
                return entry
        raise KeyError(
            f"no refusal ground {code!r}: Art 6(1) has {[g.code.value for g in self.refusal_grounds]}"
        )


# --- loading -------------------------------------------------------------------------------------

_Model = TypeVar("_Model", bound=BaseModel)


def _problem_text(error: Mapping[str, Any]) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        return "is missing"
    return f"{message} (got {error['input']!r})"


def _validate(model: type[_Model], raw: object, source: str, entry: str, key_field: str | None) -> _Model:
    if not isinstance(raw, dict):
        raise CatalogueError(source, entry, None, f"expected a table, got {type(raw).__name__}")
    label = f"{entry} {raw[key_field]}" if key_field and isinstance(raw.get(key_field), str) else entry
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        # A misspelt field also shows as a missing one; the misspelling is the cause to report.
        first = min(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        field = ".".join(str(part) for part in first["loc"]) or None
        if first["type"] == "extra_forbidden":
            known = ", ".join(model.model_fields)
            raise CatalogueError(
                source, label, field, f"is not a field of this table (misspelt? known: {known})"
            ) from None
        raise CatalogueError(source, label, field, _problem_text(first)) from None


def _tables(data: Mapping[str, Any], name: str, model: type[_Model], key: str, source: str) -> list[_Model]:
    """Validate the [[name]] array of tables, each entry against `model`, with `key` unique."""
    raws = data.get(name)
    if not isinstance(raws, list) or not raws:
        raise CatalogueError(
            source, name, None, f"the data file needs a non-empty [[{name}]] array of tables"
        )
    entries: list[_Model] = []
    first_at: dict[str, int] = {}
    for index, raw in enumerate(raws):
        entry = _validate(model, raw, source, f"{name}[{index}]", key)
        value = str(getattr(entry, key))
        if value in first_at:
            raise CatalogueError(
                source, f"{name}[{index}] {value}", key,
                f"{value!r} appears more than once (first at {name}[{first_at[value]}])",
            )  # fmt: skip
        first_at[value] = index
        entries.append(entry)
    return entries


def parse_catalogue(text: str, *, source: str = "<string>") -> Catalogue:
    """Parse and validate catalogue data; CatalogueError names the entry and field of any fault."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(source, None, None, f"not valid TOML: {exc}") from None

    chapters = _tables(data, "chapters", Chapter, "number", source)
    sources = _tables(data, "sources", Source, "key", source)
    requirements = _tables(data, "requirements", Requirement, "id", source)
    grounds = _tables(data, "refusal_grounds", RefusalGroundEntry, "code", source)
    criteria = _tables(data, "urgency_criteria", UrgencyCriterionEntry, "code", source)
    fields = _tables(data, "request_fields", RequestField, "name", source)
    personal_data = _shared_personal_data(data, source)
    _check_references(source, chapters, sources, requirements, grounds)
    dimensions = _tables(data, "dimensions", Dimension, "name", source)
    applicability = _tables(data, "applicability", Applicability, "requirement", source)
    problems = check_applicability(applicability, dimensions, [r.id for r in requirements if r.testable],
                                   [r.id for r in requirements])
    if problems:
        entry, field, problem = problems[0]
        raise CatalogueError(source, entry, field, problem)
    return Catalogue(
        source=source,
        chapters=tuple(chapters),
        sources=tuple(sources),
        requirements=tuple(requirements),
        refusal_grounds=tuple(grounds),
        urgency_criteria=tuple(criteria),
        request_fields=tuple(fields),
        personal_data=personal_data,
        dimensions=tuple(dimensions),
        applicability=tuple(applicability),
    )


def _check_references(
    source: str,
    chapters: Sequence[Chapter],
    sources: Sequence[Source],
    requirements: Sequence[Requirement],
    grounds: Sequence[RefusalGroundEntry],
) -> None:
    source_keys = {s.key for s in sources}
    for requirement in requirements:
        entry = f"requirements {requirement.id}"
        first_article = requirement.provisions[0].article
        holding = [c.number for c in chapters if c.holds(first_article)]
        if holding != [requirement.chapter]:
            expected = holding[0] if holding else "none of the [[chapters]]"
            raise CatalogueError(
                source,
                entry,
                "chapter",
                f"{requirement.chapter!r} disagrees with its first article, Art {first_article}, "
                f"which is in chapter {expected}",
            )
        unknown = [key for key in requirement.sources if key not in source_keys]
        if unknown:
            raise CatalogueError(source, entry, "sources", f"{unknown} are not keys of [[sources]]")
    for ground in grounds:
        if ground.article != ground.code.article:
            raise CatalogueError(
                source,
                f"refusal_grounds {ground.code.value}",
                "article",
                f"{ground.article!r} disagrees with the message vocabulary (RefusalGround), "
                f"which gives {ground.code.article!r}",
            )
    missing = sorted(code.value for code in set(RefusalGround) - {g.code for g in grounds})
    if missing:
        raise CatalogueError(source, "refusal_grounds", "code", f"grounds {missing} of Art 6(1) are missing")


def _shared_personal_data(data: Mapping[str, Any], source: str) -> PersonalDataWhitelist:
    """The Art 10(b) whitelist of the shared vocabulary; a catalogue file must not carry its own."""
    if "personal_data" in data:
        # An old or edited catalogue still holding the table would otherwise be ignored in silence.
        raise CatalogueError(
            source, "personal_data", None,
            "the Art 10(b) whitelist is not read from the catalogue: edit simulators/model/personal_data.toml",
        )  # fmt: skip
    try:
        whitelist = load_personal_data_whitelist()
    except PersonalDataReadingError as exc:
        raise CatalogueError(exc.source, exc.entry, exc.field, exc.problem) from None
    try:
        parse_article(whitelist.article)
    except ValueError as exc:
        raise CatalogueError(WHITELIST_SOURCE, "personal_data", "article", str(exc)) from None
    return whitelist


@cache
def load_catalogue(path: Path | str | None = None) -> Catalogue:
    """The catalogue from `path`, or the packaged `conformance/data/requirements.toml`; cached."""
    if path is None:
        text = (
            resources.files("conformance").joinpath("data").joinpath("requirements.toml").read_text("utf-8")
        )
        return parse_catalogue(text, source=PACKAGED_SOURCE)
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(str(file), None, None, f"cannot read the catalogue: {exc.strerror}") from None
    return parse_catalogue(text, source=str(file))
