"""The applicability model of the catalogue: what each checkable obligation depends on.

An obligation is only as well tested as the combinations the campaign drives through it: a copy
that is owed on every request of a designated authority is not shown to be sent when every such
request in the campaign happens to be non-urgent. The catalogue therefore names, per requirement,
the dimensions its obligation depends on (urgency, sender role, language, ...) and the values it
applies to; scenarios are generated to exercise them (conformance/scenarios/generated.py) and the
coverage matrix is computed from them (conformance/coverage.py).

The vocabulary of dimensions and values is data too ([[dimensions]] in requirements.toml); a
requirement naming a dimension or value outside it fails on load, so a misspelling cannot quietly
drop a value from the coverage the campaign promises.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import product
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from conformance.ledger import ExchangeKind

__all__ = ["Applicability", "Dimension", "Profile", "Target", "TargetKind", "admits", "check_applicability"]

# dimension -> the values an exchange has on it (several where it is true of several: 01:30 on the
# Sunday of the clock change is at night, at a weekend and across the change at once).
Profile = Mapping[str, frozenset[str]]
# dimension -> value: one value, one pair or one explicit combination that an exchange must exercise.
Target = Mapping[str, str]
TargetKind = Literal["value", "pair", "combination"]


class Dimension(BaseModel):
    """One dimension of the vocabulary, e.g. urgency: urgent / non_urgent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z_]*$")
    title: str = Field(min_length=1)
    values: tuple[str, ...] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(values)) != len(values):
            raise ValueError(f"each value at most once, got {list(values)}")
        return values


class Applicability(BaseModel):
    """What one requirement's obligation depends on, and so which exchanges must exercise it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requirement: str = Field(pattern=r"^R-[0-9]{2,3}$")
    flows: tuple[ExchangeKind, ...] = Field(min_length=1, description="Exchange kinds the obligation concerns")
    dimensions: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    pairs: tuple[tuple[str, str], ...] = ()
    combinations: tuple[dict[str, str], ...] = ()
    generated: bool = Field(default=True, description="Whether generated exchanges may exercise it")
    why: str = Field(min_length=1)

    def targets(self) -> list[tuple[TargetKind, Target]]:
        """Every value, every pair of values of the tied dimensions, every named combination, with its kind
        ('value', 'pair', 'combination')."""
        found: list[tuple[TargetKind, Target]] = [
            ("value", {name: value}) for name, values in self.dimensions.items() for value in values]
        for first, second in self.pairs:
            found += [("pair", {first: a, second: b})
                      for a, b in product(self.dimensions[first], self.dimensions[second])]
        found += [("combination", dict(c)) for c in self.combinations]
        return found


def admits(applicability: Applicability, profile: Profile) -> bool:
    """Whether an exchange of this profile falls under the obligation: on every dimension both name, the
    exchange has a value the obligation applies to. A dimension the profile does not know is no bar."""
    return all(
        not profile.get(name) or bool(profile[name] & set(values))
        for name, values in applicability.dimensions.items()
    )


def check_applicability(
    entries: Sequence[Applicability], dimensions: Sequence[Dimension], testable: Sequence[str], known: Sequence[str],
) -> list[tuple[str, str | None, str]]:
    """Problems of the model as (entry, field, problem); empty when it is sound."""
    vocabulary = {d.name: d.values for d in dimensions}
    problems: list[tuple[str, str | None, str]] = []
    for entry in entries:
        label = f"applicability {entry.requirement}"
        if entry.requirement not in known:
            problems.append((label, "requirement", "is not a requirement of the catalogue"))
            continue
        if entry.requirement not in testable:
            problems.append((label, "requirement", "is declaration-only: no exchange can exercise it"))
        for name, values in entry.dimensions.items():
            if name not in vocabulary:
                problems.append((label, f"dimensions.{name}",
                                 f"is not a dimension of [[dimensions]] (known: {', '.join(vocabulary)})"))
                continue
            unknown = [v for v in values if v not in vocabulary[name]]
            if unknown or not values:
                problems.append((label, f"dimensions.{name}",
                                 f"values {unknown or '[]'} are not values of {name} ({', '.join(vocabulary[name])})"))
        for pair in entry.pairs:
            missing = [name for name in pair if name not in entry.dimensions]
            if missing or pair[0] == pair[1]:
                problems.append((label, "pairs", f"{list(pair)} must tie two dimensions this entry names"))
        for combination in entry.combinations:
            wrong = [f"{k}={v}" for k, v in combination.items() if v not in entry.dimensions.get(k, ())]
            if wrong or not combination:
                problems.append((label, "combinations",
                                 f"{wrong or 'an empty combination'}: not values this entry applies to"))
    listed = {e.requirement for e in entries}
    first_seen: set[str] = set()
    for entry in entries:
        if entry.requirement in first_seen:
            problems.append((f"applicability {entry.requirement}", "requirement", "appears more than once"))
        first_seen.add(entry.requirement)
    missing = [rid for rid in testable if rid not in listed]
    if missing:
        problems.append(("applicability", "requirement",
                         f"checkable requirements {missing} have no applicability entry"))
    return problems
