"""conformance.gherkin: the tag index the traceability matrix is built from."""

from __future__ import annotations

from pathlib import Path

import pytest
from behave.model import ScenarioOutline
from behave.parser import parse_file

from conformance.gherkin import GherkinSyntaxError, parse_feature, scenario_index, scenario_refs

FEATURES = Path(__file__).resolve().parents[2] / "features"

SAMPLE = '''\
# A comment before the feature
@chapter-2
Feature: Sample of the subset we parse
  Free text that mentions Scenario: and @R-99 without being either.

  Background:
    Given a background step

  @R-10 @art-5-1-a
  Scenario: Plain
    Given a step with a doc string
      """
      @R-77 Scenario: inside a doc string is text
      """
    Then a table
      | a | b |
      | 1 | 2 |

  @R-12 @art-5-1-c  # a trailing comment
  Scenario Outline: Outline <x>
    Given <x>

    @R-11 @art-5-1-b
    Examples: first
      | x |
      | 1 |
      | 2 |

    Examples:
      | x |
      | 3 |

  @R-20
  Rule: a rule with tags

    @R-22
    Example: inside the rule
      Given a step
'''


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    folder = tmp_path / "features" / "chapter_2_sample"
    folder.mkdir(parents=True)
    (folder / "sample.feature").write_text(SAMPLE, encoding="utf-8")
    return tmp_path / "features"


def test_index_maps_requirements_to_scenarios_and_examples(sample: Path) -> None:
    index = scenario_index(sample)
    assert list(index) == ["R-10", "R-11", "R-12", "R-20", "R-22"]  # numeric order, doc string ignored
    assert [r.title for r in index["R-12"]] == ["Outline <x> [first]", "Outline <x>"]
    (first,) = index["R-11"]
    assert (first.examples, first.examples_rows, first.line) == ("first", 2, 20)
    assert first.location == "chapter_2_sample/sample.feature:20"
    assert first.tags == ("chapter-2", "R-12", "art-5-1-c", "R-11", "art-5-1-b")
    (ruled,) = index["R-22"]
    assert ruled.requirement_ids == ("R-20", "R-22")  # rule tags are inherited, as behave does
    assert ruled.article_tags == ()


def test_outline_examples_and_steps_are_counted(sample: Path) -> None:
    feature = parse_feature(sample / "chapter_2_sample" / "sample.feature")
    assert [s.keyword for s in feature.scenarios] == ["Scenario", "Scenario Outline", "Scenario"]
    outline = feature.scenarios[1]
    assert [(e.name, e.rows) for e in outline.examples] == [("first", 2), ("", 1)]
    assert feature.scenarios[0].steps == 2


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Feature: f\n  Examples:\n    | x |\n", 2, "Examples outside a Scenario Outline"),
        ("Feature: f\n  @R-1\n  Given a step\n", 3, "tags must precede"),
        ("Feature: f\n  Scenario: s\n    Given a\n  @R-1\n", 4, "tag nothing"),
        ("Feature: f\n  @R-1 R-2\n  Scenario: s\n", 2, "not a tag"),
        ("@R-1\nFeature: f\nFeature: g\n", 3, "a second Feature"),
        ('Feature: f\n  Scenario: s\n    Given a\n      """\n      open\n', 5, "doc string is not closed"),
        ("Scenario: before any feature\n", 1, "before the Feature"),
        ("# only a comment\n", 1, "no Feature line"),
        ("Feature: f\n  Given a stray step\n", 2, "a step outside"),
    ],
)
def test_malformed_files_are_refused_with_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "bad.feature"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GherkinSyntaxError, match=message) as caught:
        parse_feature(path)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"{path}:{line}:")


@pytest.mark.parametrize("root", ["project", "sample"])
def test_index_agrees_with_behave(root: str, sample: Path) -> None:
    """Our small parser and behave's own must see the same scenarios with the same effective tags."""
    features = FEATURES if root == "project" else sample
    ours = {(ref.feature, ref.line, ref.examples_line): set(ref.tags) for ref in scenario_refs(features)}
    theirs: dict[tuple[str, int, int | None], set[str]] = {}
    for path in sorted(features.rglob("*.feature")):
        feature = parse_file(str(path))
        relative = path.relative_to(features).as_posix()
        scenarios = list(feature.scenarios) + [s for rule in feature.rules for s in rule.scenarios]
        for scenario in scenarios:
            if isinstance(scenario, ScenarioOutline):
                for examples in scenario.examples:
                    key = (relative, scenario.line, examples.line)
                    theirs[key] = set(scenario.effective_tags) | set(examples.tags)
            else:
                theirs[(relative, scenario.line, None)] = set(scenario.effective_tags)
    assert ours == theirs
