"""The feature files agree with the requirement catalogue and with the directive's numbers.

Evaluators read the scenarios as the statement of what the harness checks, so a tag that names the
wrong requirement, a deadline row whose due moment is miscounted, or a refusal ground shown with
the wrong point of Article 6(1) would mislead them: these tests stop that at commit time.
"""

from __future__ import annotations

import re
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from behave.parser import parse_file

from conformance.catalogue import Basis, Catalogue, load_catalogue
from conformance.gherkin import (
    ScenarioRef,
    article_tags,
    parse_duration,
    parse_features,
    parse_moment,
    requirement_tags,
    scenario_refs,
)
from simulators.model.deadlines import DeadlineMode, compute_deadline
from simulators.model.directive import Availability, RefusalGround

FEATURES = Path(__file__).resolve().parents[2] / "features"
UNVERIFIED_TAG = "unverified-reading"
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def refs() -> list[ScenarioRef]:
    found = scenario_refs(FEATURES)
    assert len(found) >= 40, "the feature files should hold the whole campaign's scenarios"
    return found


def test_every_scenario_names_known_requirements(refs: list[ScenarioRef], catalogue: Catalogue) -> None:
    known = {r.id for r in catalogue.all()}
    faults = [
        f"{ref.location} {ref.title}: requirement tags {list(ref.requirement_ids)}"
        for ref in refs
        if not ref.requirement_ids or set(ref.requirement_ids) - known
    ]
    assert not faults, "scenarios without a requirement tag, or with one not in the catalogue:\n" + "\n".join(faults)


def test_each_requirement_tag_stands_beside_its_article_tag(refs: list[ScenarioRef], catalogue: Catalogue) -> None:
    faults: list[str] = []
    for ref in refs:
        expected = {
            catalogue.get(rid).article_tag for rid in ref.requirement_ids if rid in {r.id for r in catalogue.all()}
        }
        present = set(ref.article_tags)
        for rid in ref.requirement_ids:
            tag = catalogue.get(rid).article_tag
            if tag not in present:
                faults.append(f"{ref.location} {ref.title}: {rid} ({catalogue.get(rid).article}) needs @{tag}")
        for stray in present - expected:
            faults.append(f"{ref.location} {ref.title}: @{stray} is the article of none of its requirements")
    assert not faults, "\n".join(faults)


def test_no_tag_is_misspelt(catalogue: Catalogue) -> None:
    allowed_other = {UNVERIFIED_TAG} | {f"chapter-{n}" for n in ROMAN.values()}
    faults: list[str] = []
    for feature in parse_features(FEATURES):
        tag_sets = [feature.tags] + [s.tags for s in feature.scenarios]
        tag_sets += [e.tags for s in feature.scenarios for e in s.examples]
        for tags in tag_sets:
            for tag in tags:
                if tag in allowed_other or requirement_tags([tag]) or article_tags([tag]):
                    continue
                faults.append(f"{feature.path.name}: unknown tag @{tag}")
    assert not faults, "\n".join(faults)


def test_unverified_reading_is_marked_exactly_where_the_catalogue_says_so(
    refs: list[ScenarioRef], catalogue: Catalogue
) -> None:
    faults: list[str] = []
    for ref in refs:
        unverified = [rid for rid in ref.requirement_ids if catalogue.get(rid).basis is Basis.UNVERIFIED]
        marked = UNVERIFIED_TAG in ref.tags
        if unverified and not marked:
            faults.append(f"{ref.location} {ref.title}: rests on unverified {unverified}, needs @{UNVERIFIED_TAG}")
        if marked and not unverified:
            faults.append(f"{ref.location} {ref.title}: @{UNVERIFIED_TAG} but every requirement is verified")
    assert not faults, "\n".join(faults)


def test_no_scenario_claims_to_check_a_declaration_only_requirement(
    refs: list[ScenarioRef], catalogue: Catalogue
) -> None:
    faults = [
        f"{ref.location} {ref.title}: {rid} can only be declared ({catalogue.get(rid).not_testable_reason})"
        for ref in refs
        for rid in ref.requirement_ids
        if catalogue.get(rid).declaration_only
    ]
    assert not faults, "\n".join(faults)


def test_features_sit_in_their_chapter(catalogue: Catalogue) -> None:
    faults: list[str] = []
    for feature in parse_features(FEATURES):
        folder = re.fullmatch(r"chapter_(\d+)_[a-z_]+", feature.path.parent.name)
        chapter_tags = [t for t in feature.tags if t.startswith("chapter-")]
        if folder is None or chapter_tags != [f"chapter-{folder[1]}"]:
            faults.append(f"{feature.path}: folder chapter_<n>_* and one feature tag @chapter-<n> must agree")
            continue
        number = int(folder[1])
        for scenario in feature.scenarios:
            ids = requirement_tags(scenario.tags + tuple(t for e in scenario.examples for t in e.tags))
            if not any(ROMAN[catalogue.get(rid).chapter] == number for rid in ids):
                faults.append(f"{feature.path.name}:{scenario.line}: no requirement of chapter {number}")
    assert not faults, "\n".join(faults)


def test_every_chapter_with_testable_requirements_has_scenarios(refs: list[ScenarioRef], catalogue: Catalogue) -> None:
    covered = {catalogue.get(rid).chapter for ref in refs for rid in ref.requirement_ids}
    testable = {r.chapter for r in catalogue.testable()}
    assert testable <= covered, f"chapters without a scenario: {sorted(testable - covered)}"


def test_every_outline_has_examples_and_every_placeholder_a_column() -> None:
    faults: list[str] = []
    for path in sorted(FEATURES.rglob("*.feature")):
        for scenario in parse_file(str(path)).scenarios:
            if scenario.keyword != "Scenario Outline":
                continue
            if not scenario.examples:
                faults.append(f"{path.name}:{scenario.line}: a Scenario Outline without Examples")
            texts = [scenario.name] + [step.name for step in scenario.steps]
            placeholders = {p for text in texts for p in re.findall(r"<([^>]+)>", text)}
            for examples in scenario.examples:
                if examples.table is None or not examples.table.rows:
                    faults.append(f"{path.name}:{examples.line}: Examples without rows")
                    continue
                missing = placeholders - set(examples.table.headings)
                if missing:
                    faults.append(f"{path.name}:{examples.line}: no column for {sorted(missing)}")
    assert not faults, "\n".join(faults)


def _examples_rows(feature: str, outline_prefix: str) -> list[tuple[list[str], dict[str, str]]]:
    """(effective tags, row) for every Examples row of the outline whose name starts with the prefix."""
    parsed = parse_file(str(FEATURES / feature))
    rows: list[tuple[list[str], dict[str, str]]] = []
    for scenario in parsed.scenarios:
        if scenario.keyword == "Scenario Outline" and scenario.name.startswith(outline_prefix):
            for examples in scenario.examples:
                tags = list(parsed.tags) + list(scenario.tags) + list(examples.tags)
                rows += [(tags, dict(zip(examples.table.headings, row.cells, strict=True))) for row in examples.table]
    assert rows, f"no outline {outline_prefix!r} in {feature}"
    return rows


DEADLINE_MATRIX = ("chapter_2_spoc_exchange/art_05_time_limits.feature", "The requested SPOC answers within")


def test_deadline_matrix_rows_are_counted_as_the_harness_counts_them() -> None:
    vienna = ZoneInfo("Europe/Vienna")
    faults: list[str] = []
    rows = _examples_rows(*DEADLINE_MATRIX)
    for tags, row in rows:
        received, due = parse_moment(row["received"]), parse_moment(row["due"])
        for moment, text in ((received, row["received"]), (due, row["due"])):
            if moment.astimezone(vienna).tzname() != text.split()[-1]:
                faults.append(f"{text}: Vienna time is {moment.astimezone(vienna).strftime('%H:%M %Z')}")
        urgent = row["urgency"] == "urgent"
        availability = Availability.DIRECT if row["availability"] == "directly available" else Availability.INDIRECT
        deadline = compute_deadline(
            received,
            urgent=urgent,
            availability=availability,
            mode=DeadlineMode.ELAPSED,
            timezone="Europe/Vienna",
        )
        if deadline.due_utc != due.astimezone(UTC):
            faults.append(f"{row}: the harness computes {deadline.due_local:%Y-%m-%d %H:%M %Z}")
        if parse_duration(row["limit"]) != deadline.limit or int(row["hours"]) * 3600 != deadline.limit.total_seconds():
            faults.append(f"{row}: the limit is {deadline.limit} ({deadline.basis})")
        if deadline.requirement not in tags:
            faults.append(f"{row}: the row's Examples block should be tagged @{deadline.requirement}")
    assert not faults, "\n".join(faults)
    # The matrix must keep exercising every limit at night, at weekends and on public holidays.
    moments = " ".join(row["moment"] for _, row in rows)
    for words in ("night", "Saturday", "Sunday", "public holiday", "summer time"):
        assert words in moments, f"the deadline matrix lost its {words!r} rows"
    assert {row["limit"] for _, row in rows} == {"8 hours", "3 calendar days", "7 calendar days"}


def test_refusal_outline_shows_every_ground_with_its_point(catalogue: Catalogue) -> None:
    rows = _examples_rows("chapter_2_spoc_exchange/art_06_refusal.feature", "The requested SPOC refuses on ground")
    shown = {row["code"]: row["point"] for _, row in rows}
    assert set(shown) == {g.value for g in RefusalGround}, "every Art 6(1) ground has one row"
    for code, point in shown.items():
        assert catalogue.refusal_ground(code).article == f"Art 6(1){point}", f"ground {code}"


def test_moments_and_durations_in_words() -> None:
    assert parse_moment("2026-10-25 01:30 CEST").astimezone(UTC).hour == 23
    assert parse_moment("2026-10-25 01:30 CET").astimezone(UTC).hour == 0
    assert parse_duration("3 calendar days").total_seconds() == 72 * 3600
    assert parse_duration("30 minutes").total_seconds() == 1800
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_moment("2026-10-25 01:30 Vienna")
    with pytest.raises(ValueError, match="duration"):
        parse_duration("a fortnight")
