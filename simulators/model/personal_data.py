"""Art 10(b): the categories of personal data allowed per category of data subject.

The reading of Annex II Section B of Regulation (EU) 2016/794 is data, `personal_data.toml` beside
this module, and it is UNVERIFIED (the file says why). It sits in the shared vocabulary because two
parts apply the same reading: the conformance harness judges replies by it (the requirement
catalogue exposes it as `Catalogue.personal_data`) and the reference CMS keeps to it when it
provides personal data. Neither may depend on the other, so both read it from here.

A malformed file fails on load with a `PersonalDataReadingError` naming the entry and the field,
so that a wrong edit cannot silently change what is provided or how it is judged.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulators.model.data_files import DataFileError
from simulators.model.directive import DataSubjectCategory, PersonalDataCategory
from simulators.model.readings import Basis

__all__ = [
    "PACKAGED_SOURCE",
    "PersonalDataReadingError",
    "PersonalDataWhitelist",
    "SubjectWhitelist",
    "load_personal_data_whitelist",
    "parse_personal_data_whitelist",
]

PACKAGED_SOURCE = "simulators/model/personal_data.toml"


class PersonalDataReadingError(DataFileError):
    """The whitelist data are malformed; names the file, the entry and the field."""


class SubjectWhitelist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: DataSubjectCategory
    point: str = Field(min_length=1, description="Annex II point of Regulation (EU) 2016/794")
    reading: Literal["catalogue", "working"] = Field(
        description="'catalogue': listed in the reference catalogue; 'working': the project's own reading"
    )
    allowed: list[PersonalDataCategory] = Field(min_length=1)


class PersonalDataWhitelist(BaseModel):
    """Art 10(b): personal data categories allowed per category of data subject."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    basis: Basis
    article: str = Field(pattern=r"^Art [1-9][0-9]*", description="e.g. 'Art 10(b)' (catalogue grammar)")
    reference: str = Field(min_length=1)
    subjects: list[SubjectWhitelist] = Field(min_length=1)

    def for_subject(self, subject: DataSubjectCategory) -> SubjectWhitelist:
        for entry in self.subjects:
            if entry.subject is subject:
                return entry
        raise KeyError(f"no whitelist for data subject category {subject.value}")

    def allowed(self, subject: DataSubjectCategory) -> frozenset[PersonalDataCategory]:
        return frozenset(self.for_subject(subject).allowed)

    def narrowest(self) -> frozenset[PersonalDataCategory]:
        """What every category of data subject allows: the list for a person whose category is unknown."""
        return frozenset.intersection(*(frozenset(s.allowed) for s in self.subjects))


def _problem(error: Mapping[str, Any]) -> tuple[str | None, str]:
    field = ".".join(str(part) for part in error["loc"]) or None
    if error["type"] == "missing":
        return field, "is missing"
    if error["type"] == "extra_forbidden":
        return field, "is not a field of this table (misspelt?)"
    message = str(error["msg"]).removeprefix("Value error, ")
    return field, f"{message} (got {error['input']!r})"


def parse_personal_data_whitelist(text: str, *, source: str = "<string>") -> PersonalDataWhitelist:
    """Parse and validate the whitelist data; PersonalDataReadingError names the entry and field of a fault."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PersonalDataReadingError(source, None, None, f"not valid TOML: {exc}") from None
    raw = data.get("personal_data")
    if not isinstance(raw, dict):
        raise PersonalDataReadingError(source, "personal_data", None, "the data file needs a [personal_data] table")
    try:
        whitelist = PersonalDataWhitelist.model_validate(raw)
    except ValidationError as exc:
        # A misspelt field also shows as a missing one; the misspelling is the cause to report.
        first = min(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        field, problem = _problem(first)
        raise PersonalDataReadingError(source, "personal_data", field, problem) from None
    subjects = [s.subject for s in whitelist.subjects]
    repeated = sorted({s.value for s in subjects if subjects.count(s) > 1})
    if repeated:
        raise PersonalDataReadingError(source, "personal_data", "subjects", f"{repeated} appear more than once")
    missing = sorted(s.value for s in set(DataSubjectCategory) - set(subjects))
    if missing:
        raise PersonalDataReadingError(source, "personal_data", "subjects", f"no whitelist for {missing}")
    return whitelist


@cache
def load_personal_data_whitelist() -> PersonalDataWhitelist:
    """The packaged reading (`simulators/model/personal_data.toml`); cached."""
    text = resources.files("simulators.model").joinpath("personal_data.toml").read_text(encoding="utf-8")
    return parse_personal_data_whitelist(text, source=PACKAGED_SOURCE)
