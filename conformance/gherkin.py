"""Which Gherkin scenarios check which requirement: an index of the tags in `features/`.

Public entry point for the traceability matrix:

    scenario_index(features_dir) -> dict[str, list[ScenarioRef]]

maps every requirement ID found in a tag (``@R-10`` -> ``"R-10"``) to the scenarios that carry it,
in file and line order. A plain scenario gives one `ScenarioRef`; a Scenario Outline gives one per
Examples block, because Examples blocks carry their own tags (the deadline matrix tags its urgent,
direct block ``@R-10 @art-5-1-a`` and its non-urgent block ``@R-12 @art-5-1-c``). A ref's `tags` are
the effective ones: feature, rule, scenario and Examples tags together.

Tag conventions (checked by tests/features/test_feature_tags.py against the catalogue):
``@R-<n>`` names a requirement of the catalogue and stands beside ``@art-...``, that requirement's
`Requirement.article_tag` (every article tag belongs to one of the scenario's requirements);
``@chapter-<n>`` tags a feature with the directive's chapter; ``@unverified-reading`` marks a
scenario resting on a requirement whose basis the catalogue gives as unverified.

This is a deliberately small parser of the subset of Gherkin the project's feature files use
(English keywords; Feature, Rule, Background, Scenario/Example, Scenario Outline/Template, Examples/
Scenarios, steps, tables, doc strings, comments, tags). It reads tags and structure only; behave
runs the scenarios. `parse_moment`, `parse_duration`, `parse_state` and `parse_language` read the
values the scenarios write in words ("2026-03-29 00:30 CET", "3 calendar days", "the Netherlands",
"German") for the steps and the tests alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from simulators.model.parties import all_states

__all__ = [
    "ARTICLE_TAG",
    "REQUIREMENT_TAG",
    "Examples",
    "Feature",
    "GherkinScenario",
    "GherkinSyntaxError",
    "ScenarioRef",
    "article_tags",
    "parse_duration",
    "parse_feature",
    "parse_features",
    "parse_language",
    "parse_moment",
    "parse_state",
    "requirement_tags",
    "scenario_index",
    "scenario_refs",
]

REQUIREMENT_TAG = re.compile(r"R-\d+")
# An article tag is `Requirement.article_tag`: "art-5-1-a", "art-4-1-sub3", "art-6-1-h+art-3-d".
ARTICLE_TAG = re.compile(r"art-\d+(?:-[0-9a-z]+)*(?:\+art-\d+(?:-[0-9a-z]+)*)*")

_FEATURE = ("Feature:",)
_RULE = ("Rule:",)
_BACKGROUND = ("Background:",)
_OUTLINE = ("Scenario Outline:", "Scenario Template:")
_SCENARIO = ("Scenario:", "Example:")
_EXAMPLES = ("Examples:", "Scenarios:")
_STEP_WORDS = ("Given ", "When ", "Then ", "And ", "But ", "* ")
_DOC_STRING_FENCES = ('"""', "```")


class GherkinSyntaxError(ValueError):
    def __init__(self, path: Path, line: int, message: str) -> None:
        self.path = path
        self.line = line
        super().__init__(f"{path}:{line}: {message}")


@dataclass(frozen=True)
class Examples:
    name: str
    line: int
    tags: tuple[str, ...]
    rows: int  # data rows, the header row not counted


@dataclass(frozen=True)
class GherkinScenario:
    keyword: str  # "Scenario" or "Scenario Outline"
    name: str
    line: int
    tags: tuple[str, ...]  # the scenario's own tags
    inherited_tags: tuple[str, ...]  # feature and rule tags
    steps: int
    examples: tuple[Examples, ...] = ()

    @property
    def is_outline(self) -> bool:
        return self.keyword == "Scenario Outline"


@dataclass(frozen=True)
class Feature:
    path: Path
    name: str
    line: int
    tags: tuple[str, ...]
    scenarios: tuple[GherkinScenario, ...]


@dataclass(frozen=True)
class ScenarioRef:
    """One scenario (or one Examples block of an outline) as the traceability matrix cites it."""

    feature: str  # path relative to the features directory, with forward slashes
    feature_name: str
    scenario: str
    keyword: str
    line: int  # the Scenario line; `behave <features_dir>/<feature>:<line>` runs it
    tags: tuple[str, ...]
    examples: str | None = None
    examples_line: int | None = None
    examples_rows: int = 0

    @property
    def requirement_ids(self) -> tuple[str, ...]:
        return requirement_tags(self.tags)

    @property
    def article_tags(self) -> tuple[str, ...]:
        return article_tags(self.tags)

    @property
    def location(self) -> str:
        return f"{self.feature}:{self.line}"

    @property
    def title(self) -> str:
        return self.scenario if self.examples is None else f"{self.scenario} [{self.examples}]"


def requirement_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """The requirement IDs among `tags` (given with or without the leading @), in the order given."""
    return tuple(_unique(t.lstrip("@") for t in tags if REQUIREMENT_TAG.fullmatch(t.lstrip("@"))))


def article_tags(tags: Iterable[str]) -> tuple[str, ...]:
    return tuple(_unique(t.lstrip("@") for t in tags if ARTICLE_TAG.fullmatch(t.lstrip("@"))))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


@dataclass
class _OpenScenario:
    keyword: str
    name: str
    line: int
    tags: tuple[str, ...]
    inherited_tags: tuple[str, ...]
    steps: int = 0
    examples: list[Examples] = field(default_factory=list)
    open_examples: tuple[str, int, tuple[str, ...]] | None = None
    table_rows: int = 0

    def close_examples(self) -> None:
        if self.open_examples is not None:
            name, line, tags = self.open_examples
            self.examples.append(Examples(name=name, line=line, tags=tags, rows=max(self.table_rows - 1, 0)))
            self.open_examples = None
        self.table_rows = 0

    def close(self) -> GherkinScenario:
        self.close_examples()
        return GherkinScenario(
            keyword=self.keyword,
            name=self.name,
            line=self.line,
            tags=self.tags,
            inherited_tags=self.inherited_tags,
            steps=self.steps,
            examples=tuple(self.examples),
        )


def _keyword(text: str, keywords: tuple[str, ...]) -> str | None:
    for keyword in keywords:
        if text.startswith(keyword):
            return text[len(keyword) :].strip()
    return None


def _parse_tags(path: Path, number: int, text: str) -> list[str]:
    text = text.split(" #", 1)[0]
    tags = text.split()
    for tag in tags:
        if not tag.startswith("@") or len(tag) == 1:
            raise GherkinSyntaxError(path, number, f"a tag line holds {tag!r}, which is not a tag")
    return [tag[1:] for tag in tags]


# Long: one line-by-line state machine over the Gherkin keywords; split, its state
# (pending tags, the open scenario, the examples) would move into a class for no gain in clarity.
def parse_feature(path: Path) -> Feature:
    """Parse one .feature file; raises GherkinSyntaxError naming the file and line of a fault."""
    lines = path.read_text(encoding="utf-8").splitlines()
    pending_tags: list[str] = []
    feature: tuple[str, int, tuple[str, ...]] | None = None
    rule_tags: tuple[str, ...] = ()
    scenarios: list[GherkinScenario] = []
    current: _OpenScenario | None = None
    in_background = False
    doc_fence: str | None = None

    def finish_current() -> None:
        nonlocal current
        if current is not None:
            scenarios.append(current.close())
            current = None

    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if doc_fence is not None:
            if text.startswith(doc_fence):
                doc_fence = None
            continue
        if not text or text.startswith("#"):
            continue
        if text.startswith(_DOC_STRING_FENCES):
            doc_fence = text[:3]
            continue
        if text.startswith("@"):
            pending_tags.extend(_parse_tags(path, number, text))
            continue
        if (name := _keyword(text, _FEATURE)) is not None:
            if feature is not None:
                raise GherkinSyntaxError(path, number, "a second Feature in one file")
            feature = (name, number, tuple(pending_tags))
            pending_tags = []
            continue
        if feature is None:
            # The free text of a file before its Feature line is not Gherkin we understand.
            raise GherkinSyntaxError(path, number, "text before the Feature line")
        if _keyword(text, _RULE) is not None:
            finish_current()
            rule_tags = tuple(pending_tags)
            pending_tags = []
            in_background = False
            continue
        if _keyword(text, _BACKGROUND) is not None:
            finish_current()
            _no_tags(path, number, pending_tags, "Background")
            in_background = True
            continue
        outline_name = _keyword(text, _OUTLINE)
        scenario_name = _keyword(text, _SCENARIO) if outline_name is None else None
        if outline_name is not None or scenario_name is not None:
            finish_current()
            in_background = False
            current = _OpenScenario(
                keyword="Scenario Outline" if outline_name is not None else "Scenario",
                name=outline_name if outline_name is not None else str(scenario_name),
                line=number,
                tags=tuple(pending_tags),
                inherited_tags=feature[2] + rule_tags,
            )
            pending_tags = []
            continue
        if (name := _keyword(text, _EXAMPLES)) is not None:
            if current is None or current.keyword != "Scenario Outline":
                raise GherkinSyntaxError(path, number, "Examples outside a Scenario Outline")
            current.close_examples()
            current.open_examples = (name, number, tuple(pending_tags))
            pending_tags = []
            continue
        if pending_tags:
            raise GherkinSyntaxError(path, number, "tags must precede a Feature, Scenario or Examples")
        if text.startswith("|"):
            if current is not None:
                current.table_rows += 1
            continue
        if text.startswith(_STEP_WORDS):
            if current is not None:
                if current.open_examples is not None:
                    raise GherkinSyntaxError(path, number, "a step after the Examples of an outline")
                current.steps += 1
            elif not in_background:
                raise GherkinSyntaxError(path, number, "a step outside a Scenario or Background")
            continue
        # Anything else is free description text under a Feature, Rule, Scenario or Examples line.
    if doc_fence is not None:
        raise GherkinSyntaxError(path, len(lines), "a doc string is not closed")
    if pending_tags:
        raise GherkinSyntaxError(path, len(lines), "tags at the end of the file tag nothing")
    if feature is None:
        raise GherkinSyntaxError(path, 1, "no Feature line")
    finish_current()
    return Feature(path=path, name=feature[0], line=feature[1], tags=feature[2], scenarios=tuple(scenarios))


def _no_tags(path: Path, number: int, tags: list[str], what: str) -> None:
    if tags:
        raise GherkinSyntaxError(path, number, f"a {what} cannot be tagged")


def parse_features(features_dir: Path) -> list[Feature]:
    """Every .feature file under `features_dir`, sorted by path."""
    return [parse_feature(path) for path in sorted(Path(features_dir).rglob("*.feature"))]


def scenario_refs(features_dir: Path) -> list[ScenarioRef]:
    """Every scenario, and every Examples block of every outline, in file and line order."""
    root = Path(features_dir)
    refs: list[ScenarioRef] = []
    for feature in parse_features(root):
        relative = feature.path.relative_to(root).as_posix()
        for scenario in feature.scenarios:
            base = scenario.inherited_tags + scenario.tags
            if not scenario.is_outline:
                refs.append(_ref(relative, feature, scenario, tuple(_unique(base))))
                continue
            for examples in scenario.examples:
                refs.append(_ref(relative, feature, scenario, tuple(_unique(base + examples.tags)), examples))
    return refs


def _ref(
    relative: str,
    feature: Feature,
    scenario: GherkinScenario,
    tags: tuple[str, ...],
    examples: Examples | None = None,
) -> ScenarioRef:
    return ScenarioRef(
        feature=relative,
        feature_name=feature.name,
        scenario=scenario.name,
        keyword=scenario.keyword,
        line=scenario.line,
        tags=tags,
        examples=(examples.name or None) if examples else None,
        examples_line=examples.line if examples else None,
        examples_rows=examples.rows if examples else 0,
    )


def scenario_index(features_dir: Path) -> dict[str, list[ScenarioRef]]:
    """Requirement ID -> the scenarios tagged with it, IDs in catalogue order (R-1 < R-2 < R-10)."""
    index: dict[str, list[ScenarioRef]] = {}
    for ref in scenario_refs(features_dir):
        for requirement in ref.requirement_ids:
            index.setdefault(requirement, []).append(ref)
    return dict(sorted(index.items(), key=lambda item: int(item[0].removeprefix("R-"))))


# --- values written in the scenarios' words ------------------------------------------------------

# Zone abbreviations the scenarios may use; the abbreviation fixes the instant (it tells 01:30 CEST
# from 01:30 CET on the night summer time ends), so a moment means the same whatever the SUT's zone.
_OFFSETS: dict[str, timedelta] = {
    "UTC": timedelta(0),
    "WET": timedelta(0),
    "WEST": timedelta(hours=1),
    "CET": timedelta(hours=1),
    "CEST": timedelta(hours=2),
    "EET": timedelta(hours=2),
    "EEST": timedelta(hours=3),
}
_MOMENT = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2}) (?P<time>\d{2}:\d{2}) (?P<zone>[A-Z]{3,4})")
_DURATION = re.compile(r"(?P<amount>\d+) (?P<unit>(?:calendar )?days?|hours?|minutes?)")


def parse_moment(text: str) -> datetime:
    """'2026-03-29 00:30 CET' -> an aware datetime at that instant (offset from the abbreviation)."""
    match = _MOMENT.fullmatch(text.strip())
    if match is None or match["zone"] not in _OFFSETS:
        raise ValueError(f"{text!r} is not a moment 'YYYY-MM-DD HH:MM ZONE' with ZONE one of {sorted(_OFFSETS)}")
    naive = datetime.fromisoformat(f"{match['date']}T{match['time']}")
    return naive.replace(tzinfo=timezone(_OFFSETS[match["zone"]], match["zone"]))


def parse_duration(text: str) -> timedelta:
    """'8 hours', '3 calendar days', '30 minutes', '2 days' -> timedelta (a calendar day is 24 hours)."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a duration such as '8 hours', '3 calendar days' or '30 minutes'")
    amount = int(match["amount"])
    unit = match["unit"]
    if unit.startswith("minute"):
        return timedelta(minutes=amount)
    if unit.startswith("hour"):
        return timedelta(hours=amount)
    return timedelta(days=amount)


# The official languages of the Union by their English names (ISO 639-1 codes).
_LANGUAGES: dict[str, str] = {
    "Bulgarian": "bg",
    "Croatian": "hr",
    "Czech": "cs",
    "Danish": "da",
    "Dutch": "nl",
    "English": "en",
    "Estonian": "et",
    "Finnish": "fi",
    "French": "fr",
    "German": "de",
    "Greek": "el",
    "Hungarian": "hu",
    "Irish": "ga",
    "Italian": "it",
    "Latvian": "lv",
    "Lithuanian": "lt",
    "Maltese": "mt",
    "Polish": "pl",
    "Portuguese": "pt",
    "Romanian": "ro",
    "Slovak": "sk",
    "Slovenian": "sl",
    "Spanish": "es",
    "Swedish": "sv",
}


def parse_language(name: str) -> str:
    """'German' -> 'de' (an official language of the Union, by its English name)."""
    try:
        return _LANGUAGES[name.strip()]
    except KeyError:
        raise ValueError(f"{name!r} is not an official language of the Union: {sorted(_LANGUAGES)}") from None


def parse_state(name: str) -> str:
    """'the Netherlands' -> 'NL': a state of the exchange network by its English name."""
    wanted = name.strip().removeprefix("the ").casefold()
    for code, state in all_states().items():
        if state.name.casefold() == wanted:
            return code
    raise ValueError(f"{name!r} is not a state of the exchange network (simulators/model/parties.toml)")
