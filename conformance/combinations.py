"""Combinations to exercise: every pair of values of a domain (pairwise), then what the model still asks.

`pairwise` is a small greedy all-pairs generator (the AETG idea, deterministic): each new row is
grown value by value, taking the value that covers most pairs not yet covered, under a validity
predicate that can reject a partial row (a competent authority does not send a request to a foreign
SPOC). `close_over` then adds a row for every value, pair or named combination of a requirement's
applicability that no row admitted by that requirement exercises yet.

Rows are plain dicts dimension -> value, in the domain's dimension order, so that a plan is the same
on every run and every machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import combinations

from conformance.applicability import Applicability, Target, admits

__all__ = ["Domain", "Row", "close_over", "covers", "pairwise"]

Domain = Mapping[str, Sequence[str]]
Row = dict[str, str]
Valid = Callable[[Mapping[str, str]], bool]


def _pairs_of(row: Mapping[str, str]) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    items = sorted(row.items())
    return {(a, b) for a, b in combinations(items, 2)}


def pairwise(domain: Domain, valid: Valid, among: Iterable[str] | None = None) -> list[Row]:
    """Rows covering every valid pair of values of two dimensions (and so every valid value); with `among`,
    the pairs of those dimensions only (the others take any valid value)."""
    names = list(domain)
    paired = [n for n in names if among is None or n in set(among)]
    wanted = {
        ((a, va), (b, vb)) if a < b else ((b, vb), (a, va))
        for a, b in combinations(paired, 2) for va in domain[a] for vb in domain[b]
        if valid({a: va, b: vb})
    }
    rows: list[Row] = []
    while wanted:
        seed = min(wanted)
        (first, first_value), (second, second_value) = seed
        row: Row = {first: first_value, second: second_value}
        for name in names:
            if name in row:
                continue
            row[name] = _best_value(row, name, domain[name], wanted, valid)
        row = {name: row[name] for name in names}
        if not valid(row):  # no value completes it: the pair cannot be exercised together with the rest
            wanted.discard(seed)
            continue
        wanted -= _pairs_of(row)
        rows.append(row)
    return rows


def _best_value(row: Row, name: str, values: Sequence[str], wanted: set[tuple[tuple[str, str], tuple[str, str]]],
                valid: Valid) -> str:
    best, best_gain = values[0], -1
    for value in values:
        trial = {**row, name: value}
        if not valid(trial):
            continue
        gain = len(_pairs_of(trial) & wanted)
        if gain > best_gain:
            best, best_gain = value, gain
    return best


def covers(row: Mapping[str, str], target: Target) -> bool:
    return all(row.get(name) == value for name, value in target.items())


def close_over(rows: list[Row], domain: Domain, valid: Valid, model: Iterable[Applicability]) -> list[Row]:
    """`rows` plus rows for the targets of the model within the domain that no admitted row covers yet.

    Each added row starts from the first target still missing and takes, on every other dimension, the
    value (admitted by that requirement, valid) that keeps most other missing targets within reach, so
    that one row serves several requirements.
    """
    out = [dict(r) for r in rows]
    pending = [(a, dict(t)) for a in model for _, t in a.targets()
               if all(name in domain and value in domain[name] for name, value in t.items())]
    profiles = [_profile(r) for r in out]
    todo = [(a, t) for a, t in pending
            if not any(covers(r, t) and admits(a, p) for r, p in zip(out, profiles, strict=True))]
    # Kept up to date row by row (a new row only removes what it covers), not recomputed over every row
    # each time: the plan is made when the scenarios are first imported, at the start of every campaign.
    while todo:
        applicability, target = todo[0]
        row = _complete(dict(target), domain, valid, applicability, todo)
        if row is None:  # the rules of who may send to whom exclude it: nothing to generate
            todo = [(a, t) for a, t in todo if (a, t) != (applicability, target)]
            continue
        out.append(row)
        profile = _profile(row)
        todo = [(a, t) for a, t in todo if not (covers(row, t) and admits(a, profile))]
    return out


def _complete(row: Row, domain: Domain, valid: Valid, applicability: Applicability,
              todo: Sequence[tuple[Applicability, dict[str, str]]]) -> Row | None:
    for name, values in domain.items():
        if name in row:
            continue
        preferred = [v for v in values if v in applicability.dimensions.get(name, values) and valid({**row, name: v})]
        if not preferred:
            return None
        reach = [_reach({**row, name: value}, todo) for value in preferred]
        row[name] = preferred[reach.index(max(reach))]  # the first of equals: the same plan on every run
    ordered = {name: row[name] for name in domain}
    return ordered if valid(ordered) else None


def _reach(partial: Row, todo: Sequence[tuple[Applicability, dict[str, str]]]) -> int:
    """How many missing targets a partial row can still cover (its values agree, its requirement admits it)."""
    return sum(1 for a, t in todo
               if all(partial.get(n, v) == v for n, v in t.items()) and admits(a, _profile(partial)))


def _profile(row: Mapping[str, str]) -> dict[str, frozenset[str]]:
    return {name: frozenset({value}) for name, value in row.items()}
