"""The applicability model: validated on load, covered by the generated plan, measured by the matrix."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from importlib import resources
from itertools import combinations
from pathlib import Path

import pytest

from conformance.applicability import admits
from conformance.catalogue import CatalogueError, load_catalogue, parse_catalogue
from conformance.combinations import pairwise
from conformance.coverage import coverage_matrix, profile_of
from conformance.ledger import Exchange, ExchangeKind
from conformance.scenarios.generated import (
    INCOMING_DOMAIN,
    OUTGOING_DOMAIN,
    incoming_plan,
    outgoing_plan,
    profile,
)
from conformance.selection import model_selects

DATA_TEXT = resources.files("conformance").joinpath("data").joinpath("requirements.toml").read_text("utf-8")
R03 = '[[applicability]]\nrequirement = "R-03"\n'


def _in_r03(old: str, new: str) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        head, tail = text.split(R03)
        block, rest = tail.split("[[applicability]]", 1)
        assert old in block, old
        return head + R03 + block.replace(old, new) + "[[applicability]]" + rest
    return mutate


def _without_r03(text: str) -> str:
    head, tail = text.split(R03)
    return head + "[[applicability]]" + tail.split("[[applicability]]", 1)[1]


BROKEN = [
    ("checkable requirement without a model", _without_r03, "applicability", "requirement", "['R-03']"),
    ("unknown dimension", _in_r03("sender_role = [", "sender_rank = ["), "R-03",
     "dimensions.sender_rank", "is not a dimension"),
    ("unknown value", _in_r03('sender_role = ["designated_authority"]', 'sender_role = ["designated_authorty"]'),
     "R-03", "dimensions.sender_role", "designated_authorty"),
    ("pair of an unnamed dimension",
     _in_r03('["urgency", "sender_role"]', '["urgency", "language"]'),
     "R-03", "pairs", "must tie two dimensions"),
    ("combination outside the values", _in_r03('urgency = "urgent" }', 'urgency = "immediate" }'),
     "R-03", "combinations", "urgency=immediate"),
    ("unknown flow", _in_r03('flows = ["outgoing_request"]', 'flows = ["outgoing_requests"]'),
     "R-03", "flows.0", "outgoing_requests"),
    ("misspelt field", _in_r03("why = ", "reason = "), "R-03", "reason", "is not a field"),
    ("declaration-only requirement with a model",
     lambda text: text.replace(R03, '[[applicability]]\nrequirement = "R-02"\n'),
     "R-02", "requirement", "declaration-only"),
]


@pytest.mark.parametrize(("mutate", "entry", "field", "problem"),
                         [pytest.param(m, e, f, p, id=name) for name, m, e, f, p in BROKEN])
def test_a_broken_model_fails_on_load(tmp_path: Path, mutate: Callable[[str], str], entry: str, field: str,
                                      problem: str) -> None:
    path = tmp_path / "requirements.toml"
    path.write_text(mutate(DATA_TEXT), encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    assert caught.value.entry is not None
    assert entry in caught.value.entry
    assert "applicability" in caught.value.entry
    assert caught.value.field == field
    assert problem in caught.value.problem


def test_every_checkable_requirement_has_a_model_and_no_other() -> None:
    catalogue = load_catalogue()
    assert {a.requirement for a in catalogue.applicability} == {r.id for r in catalogue.testable()}
    without = DATA_TEXT.replace(R03, '[[applicability]]\nrequirement = "R-101"\n')
    with pytest.raises(CatalogueError, match="not a requirement of the catalogue"):
        parse_catalogue(without)


def test_pairwise_covers_every_valid_pair_and_only_valid_rows() -> None:
    domain = {"a": ("1", "2", "3"), "b": ("x", "y"), "c": ("p", "q"), "d": ("m", "n", "o")}

    def valid(row: Mapping[str, str]) -> bool:
        return not (row.get("a") == "3" and row.get("b") == "y")

    rows = pairwise(domain, valid)
    assert all(valid(r) and set(r) == set(domain) for r in rows)
    for first, second in combinations(domain, 2):
        for x in domain[first]:
            for y in domain[second]:
                if valid({first: x, second: y}):
                    assert any(r[first] == x and r[second] == y for r in rows), (first, x, second, y)
    assert len(rows) < 3 * 2 * 2 * 3 / 2  # far fewer than every combination
    assert pairwise(domain, valid) == rows  # the same plan on every run


def test_pairwise_among_some_dimensions_pairs_only_those() -> None:
    domain = {"a": ("1", "2", "3"), "b": ("x", "y", "z"), "c": tuple("pqrstu")}
    rows = pairwise(domain, lambda row: True, among=("a", "b"))
    assert {(r["a"], r["b"]) for r in rows} == {(a, b) for a in domain["a"] for b in domain["b"]}
    assert len(rows) == 9  # c pairs with nothing: six values of it would otherwise ask for 18 rows at least


@pytest.mark.parametrize(("kind", "plan", "domain"), [
    (ExchangeKind.INCOMING_REQUEST, incoming_plan, INCOMING_DOMAIN),
    (ExchangeKind.OUTGOING_REQUEST, outgoing_plan, OUTGOING_DOMAIN),
], ids=["incoming", "outgoing"])
def test_the_generated_plan_exercises_every_target_it_can_reach(
    kind: ExchangeKind, plan: Callable[[], tuple[dict[str, str], ...]], domain: Mapping[str, tuple[str, ...]],
) -> None:
    """Every value, tied pair and named combination of a generated requirement, within what generated
    exchanges can take, is exercised by a row the requirement admits (and so judges, through the model)."""
    rows = plan()
    missing = []
    for applicability in load_catalogue().applicability:
        if not applicability.generated or kind not in applicability.flows:
            continue
        admitted = [r for r in rows if admits(applicability, profile(r))]
        assert model_selects(applicability, kind)
        for _, target in applicability.targets():
            if all(name in domain and value in domain[name] for name, value in target.items()) and not any(
                    all(r.get(n) == v for n, v in target.items()) for r in admitted):
                missing.append(f"{applicability.requirement}: {target}")
    assert not missing, missing


def _exchange(key: str, **fields: object) -> Exchange:
    defaults: dict[str, object] = {"scenario": key, "requirements": ["R-03"], "kind": ExchangeKind.OUTGOING_REQUEST,
                                   "title": key, "message_id": f"M-{key}"}
    return Exchange.model_validate({"key": key, **defaults, **fields})


def test_the_profile_comes_from_what_the_harness_set_up() -> None:
    night_dst = _exchange("in", kind=ExchangeKind.INCOMING_REQUEST, requester="DLEA-CZ", urgent=True, language="de",
                          availability="INDIRECT", labels=["night", "weekend", "dst"], expected={"I1": "OC"},
                          facts={"recipient": "SPOC-AT"})
    found = profile_of(night_dst, "AT")
    assert found["receipt"] == {"night", "weekend", "dst_change"}
    assert found["sender_role"] == {"designated_authority"}
    assert found["recipient_role"] == {"spoc"}
    assert found["language"] == {"recipient_only"}  # German is on AT's list, not on CZ's
    assert found["origin"] == {"other_state_not_consented"}
    assert found["urgency"] == {"urgent"}
    assert found["availability"] == {"indirect"}
    shared = _exchange("out", urgent=False, language="de",
                       facts={"stimulus": {"by": "DESIGNATED_AUTHORITY", "to": "SPOC", "to_state": "DE"}})
    assert profile_of(shared, "AT")["language"] == {"shared_national"}
    assert profile_of(shared, "AT")["sender_role"] == {"designated_authority"}


def test_a_delivery_order_counts_only_where_the_harness_forced_it() -> None:
    forced = _exchange("copy-first", kind=ExchangeKind.INCOMING_REQUEST, requester="SPOC-FR",
                       facts={"recipient": "LEA-AT", "cc": ["SPOC-AT"], "delivery_order": "copy_first"})
    assert profile_of(forced, "AT")["delivery_order"] == {"copy_first"}
    left_to_the_pushes = _exchange("either", kind=ExchangeKind.INCOMING_REQUEST, requester="SPOC-FR",
                                   facts={"recipient": "LEA-AT", "cc": ["SPOC-AT"]})
    assert "delivery_order" not in profile_of(left_to_the_pushes, "AT")


def test_an_authorisation_pending_past_the_update_interval_is_told_from_the_events() -> None:
    notice = datetime(2026, 3, 27, 17, tzinfo=UTC)
    exchange = _exchange("long", kind=ExchangeKind.INCOMING_REQUEST, requester="SPOC-BE", facts={"judicial": "granted"})
    exchange.add_event("delay_notice", notice)
    exchange.add_event("judicial_granted", notice + timedelta(days=6))
    assert profile_of(exchange, "AT", timedelta(days=2))["judicial"] == {"granted", "pending_past_update"}
    assert profile_of(exchange, "AT", timedelta(days=6))["judicial"] == {"granted"}
    assert profile_of(exchange, "AT")["judicial"] == {"granted"}


def test_the_matrix_names_a_value_no_exchange_exercised() -> None:
    """R-03's urgent designated-authority request is a target of its own: non-urgent ones do not cover it."""
    catalogue = load_catalogue()
    stimulus = {"by": "DESIGNATED_AUTHORITY", "to": "SPOC", "to_state": "NL"}
    only_non_urgent = [_exchange("da", urgent=False, language="en", facts={"stimulus": stimulus},
                                 sent_at=datetime(2026, 3, 27, tzinfo=UTC))]
    matrix = coverage_matrix(catalogue, only_non_urgent, "AT", ["R-03"])
    (row,) = matrix.requirements
    assert "urgency=urgent" in row.uncovered
    assert "sender_role=designated_authority + urgency=urgent" in row.uncovered
    assert "urgency=non_urgent" not in row.uncovered
    assert "channel=i24_7" in row.uncovered  # no request of a designated authority went with a third country
    both = [*only_non_urgent, _exchange("da-urgent", urgent=True, language="en", facts={"stimulus": stimulus}),
            _exchange("da-interpol", urgent=False, language="en",
                      facts={"stimulus": {**stimulus, "third_countries": ["US"]}})]
    assert coverage_matrix(catalogue, both, "AT", ["R-03"]).uncovered == 0
    not_sent = [*only_non_urgent, _exchange("da-unsent", urgent=True, message_id=None, facts={"stimulus": stimulus})]
    assert "urgency=urgent" in coverage_matrix(catalogue, not_sent, "AT", ["R-03"]).requirements[0].uncovered
