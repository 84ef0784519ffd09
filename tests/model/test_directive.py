"""The directive's message vocabulary: Art 4(5) request content, message kinds, refusal grounds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from conformance.catalogue import load_catalogue, parse_article
from simulators.model.directive import (
    DelayNotice,
    DirectiveMessage,
    DirectiveRuleError,
    InformationRequest,
    MessageKind,
    RefusalGround,
    UrgencyCriterion,
    Violation,
    request_content_violations,
)


def complete_request(**changes: Any) -> InformationRequest:
    fields: dict[str, Any] = {
        "reference": "DE-2026-0001",
        "requesting_state": "DE",
        "requested_state": "AT",
        "requester": "SPOC-DE",
        "language": "en",
        "urgent": False,
        "info_requested": "Registered keeper of vehicle W-12345X",
        "purpose": "Burglary series in Passau; the vehicle was seen at two scenes",
        "offence": "Organised burglary",
        "availability_reasons": "The vehicle carries Austrian plates",
        "use_restrictions": "none",
        "items": [{"item_id": "i1", "description": "Keeper of W-12345X"}],
    }
    fields.update(changes)
    return InformationRequest.model_validate(fields)


def test_a_complete_request_has_no_violations() -> None:
    request = complete_request()
    assert request_content_violations(request) == []
    request.require_complete()


@pytest.mark.parametrize(
    ("field", "article"),
    [
        ("info_requested", "Art 4(5)(a)"),
        ("items", "Art 4(5)(a)"),
        ("purpose", "Art 4(5)(b)"),
        ("offence", "Art 4(5)(b)"),
        ("availability_reasons", "Art 4(5)(c)"),
        ("use_restrictions", "Art 4(5)(f)"),
    ],
)
@pytest.mark.parametrize("absent", ["missing", "empty", "blank"])
def test_each_missing_art_4_5_element_is_named_with_its_rule_and_article(
    field: str, article: str, absent: str
) -> None:
    empty: object = [] if field == "items" else ("" if absent == "empty" else "  \t ")
    request = complete_request(**{field: None if absent == "missing" and field != "items" else empty})
    violations = request_content_violations(request)
    assert len(violations) == 1, violations
    (violation,) = violations
    assert violation.field == field
    assert violation.article == article
    assert violation.rule
    assert str(violation) == f"{field}: {violation.rule} ({article})"


def test_subject_link_is_needed_only_where_a_request_concerns_entities() -> None:
    assert request_content_violations(complete_request()) == []
    with_person = complete_request(entities=[{"entity_id": "p1", "type": "PERSON"}])
    assert [(v.field, v.article) for v in request_content_violations(with_person)] == [
        ("subject_link", "Art 4(5)(d)")
    ]
    explained = complete_request(entities=[{"entity_id": "p1", "type": "PERSON"}], subject_link="keeper")
    assert request_content_violations(explained) == []


def test_an_urgent_request_without_reasons_or_criteria_names_both() -> None:
    violations = request_content_violations(complete_request(urgent=True))
    assert [(v.field, v.article) for v in violations] == [
        ("urgency_reasons", "Art 4(4)"),
        ("urgency_criteria", "Art 4(4)"),
    ]
    urgent = complete_request(
        urgent=True, urgency_reasons="Victim held captive", urgency_criteria=[UrgencyCriterion.LIFE]
    )
    assert request_content_violations(urgent) == []


def test_a_non_urgent_request_needs_no_urgency_reasons() -> None:
    assert request_content_violations(complete_request(urgent=False, urgency_reasons=None)) == []


def test_require_complete_raises_with_every_violation() -> None:
    request = complete_request(purpose=None, use_restrictions="", urgent=True)
    with pytest.raises(DirectiveRuleError) as caught:
        request.require_complete()
    fields = [v.field for v in caught.value.violations]
    assert fields == ["purpose", "use_restrictions", "urgency_reasons", "urgency_criteria"]
    for violation in caught.value.violations:
        assert str(violation) in str(caught.value)


def test_violation_articles_are_catalogue_references() -> None:
    catalogue = load_catalogue()
    cited = {f.article for f in catalogue.request_fields} | {r.article for r in catalogue.all()}
    blank = InformationRequest(
        reference="r",
        requesting_state="DE",
        requested_state="AT",
        requester="SPOC-DE",
        language="en",
        urgent=True,
        entities=[{"entity_id": "p1", "type": "PERSON"}],
    )
    violations = request_content_violations(blank)
    assert len(violations) == 9
    for violation in violations:
        parse_article(violation.article)
        assert violation.article in cited, violation


def test_request_rejects_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="extra"):
        complete_request(urgnet=True)


# --- DirectiveMessage --------------------------------------------------------------------------------


def message(**fields: Any) -> DirectiveMessage:
    return DirectiveMessage.model_validate({"case_reference": "DE-2026-0001", "language": "en", **fields})


def violations_of(error: ValidationError) -> list[tuple[str, str]]:
    """(field, article) pairs named by a failed DirectiveMessage validation."""
    found = []
    for detail in error.errors():
        cause = (detail.get("ctx") or {}).get("error")
        assert isinstance(cause, DirectiveRuleError), detail
        found += [(v.field, v.article) for v in cause.violations]
    return found


def test_a_request_message_carries_the_request() -> None:
    assert message(kind="REQUEST", request=complete_request().model_dump()).request is not None
    with pytest.raises(ValidationError) as caught:
        message(kind="REQUEST")
    assert violations_of(caught.value) == [("request", "Art 4")]


def test_a_delay_notice_states_length_and_reasons() -> None:
    notice = message(kind="DELAY_NOTICE", delay={"expected_delay_hours": 36, "reasons": "Court order needed"})
    assert notice.delay == DelayNotice(expected_delay_hours=36, reasons="Court order needed")
    with pytest.raises(ValidationError) as caught:
        message(kind="DELAY_NOTICE")
    assert violations_of(caught.value) == [("delay", "Art 5(2)")]
    for bad in ({"expected_delay_hours": 0, "reasons": "x"}, {"expected_delay_hours": 5, "reasons": ""}):
        with pytest.raises(ValidationError):
            message(kind="DELAY_NOTICE", delay=bad)


def test_a_copy_names_its_reason_and_carries_the_original() -> None:
    original = message(kind="REQUEST", request=complete_request().model_dump())
    copy = message(kind="COPY", copy_reason="ART_4_1", copy_of="m-1", original=original.model_dump())
    assert copy.original == original
    assert DirectiveMessage.model_validate_json(copy.model_dump_json()) == copy
    with pytest.raises(ValidationError) as caught:
        message(kind="COPY", original=original.model_dump())
    assert [field for field, _ in violations_of(caught.value)] == ["copy_reason"]
    with pytest.raises(ValidationError) as caught:
        message(kind="COPY", copy_reason="ART_5_3")
    assert [field for field, _ in violations_of(caught.value)] == ["original"]
    with pytest.raises(ValidationError) as caught:
        message(kind="COPY")
    assert [field for field, _ in violations_of(caught.value)] == ["copy_reason", "original"]


@pytest.mark.parametrize("kind", [MessageKind.REPLY, MessageKind.REFUSAL, MessageKind.CLARIFICATION_REQUEST])
def test_other_kinds_need_no_particular_content_to_be_judged(kind: MessageKind) -> None:
    # A CMS under test may send an empty refusal; the message must parse so that a check can fail it.
    assert message(kind=kind).kind is kind


def test_message_rejects_unknown_kinds_fields_and_grounds() -> None:
    with pytest.raises(ValidationError, match="kind"):
        message(kind="ANSWER")
    with pytest.raises(ValidationError, match="extra"):
        message(kind="REPLY", note="x")
    with pytest.raises(ValidationError, match="refusal_grounds"):
        message(kind="REFUSAL", refusal_grounds=["XX"])


def test_sent_at_must_carry_an_offset() -> None:
    sent = message(kind="REPLY", sent_at="2026-03-29T01:30:00+01:00").sent_at
    assert sent == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    with pytest.raises(ValidationError, match="sent_at"):
        message(kind="REPLY", sent_at="2026-03-29T01:30:00")


# --- refusal grounds ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ground", "article"),
    [
        (RefusalGround.NA, "Art 6(1)(a)"),
        (RefusalGround.NC, "Art 6(1)(b)"),
        (RefusalGround.JR, "Art 6(1)(c)"),
        (RefusalGround.PD, "Art 6(1)(d)"),
        (RefusalGround.DQ, "Art 6(1)(e)"),
        (RefusalGround.NS, "Art 6(1)(f)(i)"),
        (RefusalGround.JI, "Art 6(1)(f)(ii)"),
        (RefusalGround.LP, "Art 6(1)(f)(iii)"),
        (RefusalGround.MO, "Art 6(1)(g)(i)"),
        (RefusalGround.NO, "Art 6(1)(g)(ii)"),
        (RefusalGround.OC, "Art 6(1)(h)"),
    ],
)
def test_refusal_ground_articles(ground: RefusalGround, article: str) -> None:
    assert ground.article == article
    parse_article(ground.article)


def test_refusal_grounds_are_the_eleven_of_art_6_1() -> None:
    assert len(RefusalGround) == 11
    assert len({g.article for g in RefusalGround}) == 11
    assert RefusalGround("OC") is RefusalGround.OC
    assert Violation(field="f", rule="r", article="Art 6(1)(h)") == Violation(
        field="f", rule="r", article="Art 6(1)(h)"
    )
