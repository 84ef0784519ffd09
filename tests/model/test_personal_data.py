"""The Art 10(b) personal-data whitelist of the shared vocabulary: its data file and its loader."""

from __future__ import annotations

from importlib import resources

import pytest

from simulators.model.directive import DataSubjectCategory, PersonalDataCategory
from simulators.model.personal_data import (
    PACKAGED_SOURCE,
    PersonalDataReadingError,
    load_personal_data_whitelist,
    parse_personal_data_whitelist,
)
from simulators.model.readings import Basis

DATA_TEXT = resources.files("simulators.model").joinpath("personal_data.toml").read_text("utf-8")


def test_packaged_reading_loads_is_cached_and_marked_unverified() -> None:
    whitelist = load_personal_data_whitelist()
    assert load_personal_data_whitelist() is whitelist
    assert whitelist.basis is Basis.UNVERIFIED
    assert whitelist.article == "Art 10(b)"
    assert {s.subject for s in whitelist.subjects} == set(DataSubjectCategory)
    assert "UNVERIFIED" in DATA_TEXT  # the reading notes travel with the data


def test_narrowest_is_what_every_subject_category_allows() -> None:
    whitelist = load_personal_data_whitelist()
    narrowest = whitelist.narrowest()
    assert narrowest == frozenset.intersection(*(whitelist.allowed(s) for s in DataSubjectCategory))
    assert PersonalDataCategory.PERSONAL_DETAILS in narrowest
    assert PersonalDataCategory.FINANCIAL not in narrowest
    assert PersonalDataCategory.FINANCIAL in whitelist.allowed(DataSubjectCategory.SUSPECT)


@pytest.mark.parametrize(
    ("old", "new", "field", "problem"),
    [
        ('basis = "unverified"', 'basis = "probably"', "basis", "verified"),
        ('subject = "WITNESS"', 'subject = "VICTIM"', "subjects", "more than once"),
        ('reading = "working"\nallowed = ["PERSONAL_DETAILS"', 'reading = "guess"\nallowed = ["PERSONAL_DETAILS"',
         "subjects.2.reading", "'catalogue'"),
        ('"CONTACTS"', '"FRIENDS"', "subjects.0.allowed.6", "PERSONAL_DETAILS"),
        ('reference = ', 'referance = ', "referance", "not a field"),
    ],
    ids=["bad basis", "repeated subject", "bad reading", "unknown category", "misspelt field"],
)
def test_a_broken_file_names_the_entry_and_field(old: str, new: str, field: str, problem: str) -> None:
    assert old in DATA_TEXT
    with pytest.raises(PersonalDataReadingError) as caught:
        parse_personal_data_whitelist(DATA_TEXT.replace(old, new, 1), source="edited.toml")
    error = caught.value
    assert (error.source, error.entry, error.field) == ("edited.toml", "personal_data", field)
    assert problem in error.problem
    assert "edited.toml" in str(error)


def test_a_missing_subject_category_is_reported() -> None:
    cut = DATA_TEXT.split('[[personal_data.subjects]]\nsubject = "INFORMANT"')[0]
    with pytest.raises(PersonalDataReadingError, match=r"no whitelist for \['INFORMANT'\]"):
        parse_personal_data_whitelist(cut, source=PACKAGED_SOURCE)


def test_no_table_and_invalid_toml_are_reported() -> None:
    with pytest.raises(PersonalDataReadingError, match="needs a \\[personal_data\\] table"):
        parse_personal_data_whitelist("[other]\nx = 1\n")
    with pytest.raises(PersonalDataReadingError, match="not valid TOML"):
        parse_personal_data_whitelist("basis = \n")
