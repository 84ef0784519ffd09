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


def pairwise(domain: Domain, valid: Valid) -> list[Row]:
    """Rows covering every valid pair of values of two dimensions (and so every valid value)."""
    names = list(domain)
    wanted = {
        ((a, va), (b, vb)) if a < b else ((b, vb), (a, va))
        for a, b in combinations(names, 2) for va in domain[a] for vb in domain[b]
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
    """`rows` plus one row per target of the model within the domain that no admitted row covers."""
    out = [dict(r) for r in rows]
    for applicability in model:
        for _, target in applicability.targets():
            if any(name not in domain or value not in domain[name] for name, value in target.items()):
                continue  # a value generated exchanges cannot take (a court's decision, the SIRENE channel)
            if any(covers(r, target) and admits(applicability, _profile(r)) for r in out):
                continue
            row = _complete(dict(target), domain, valid, applicability)
            if row is not None:
                out.append(row)
    return out


def _complete(row: Row, domain: Domain, valid: Valid, applicability: Applicability) -> Row | None:
    for name, values in domain.items():
        if name in row:
            continue
        preferred = [v for v in values if v in applicability.dimensions.get(name, values)]
        choice = next((v for v in preferred if valid({**row, name: v})), None)
        if choice is None:
            return None
        row[name] = choice
    ordered = {name: row[name] for name in domain}
    return ordered if valid(ordered) else None


def _profile(row: Mapping[str, str]) -> dict[str, frozenset[str]]:
    return {name: frozenset({value}) for name, value in row.items()}
