"""Interpol message rules, originator restrictions and the General Secretariat review, without a server."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from simulators.model.interpol import (
    I247Message,
    ReviewOutcome,
    ReviewPolicy,
    SourceRestrictions,
    all_ncbs,
    merge_restrictions,
    message_violations,
    publication_recipients,
    restriction_violations,
    review_notice_request,
)

TODAY = date(2026, 3, 2)


def red(**overrides: Any) -> I247Message:
    data: dict[str, Any] = {
        "kind": "NOTICE_REQUEST",
        "sender": "NCB-DE",
        "colour": "RED",
        "language": "en",
        "subject": "Red notice request: armed robbery",
        "person": {
            "name": "MUSTERMANN",
            "forename": "MAX",
            "date_of_birth": "1980/05/17",
            "nationalities": ["DE"],
        },
        "person_status": "ACCUSED",
        "arrest_warrants": [{"issuing_country_id": "DE", "charge": "Armed robbery"}],
        "offence_max_penalty_years": 10,
    }
    data.update(overrides)
    return I247Message.model_validate(data)


def fields(message: I247Message) -> dict[str, str]:
    return {v.field: v.rule for v in message_violations(message, TODAY)}


def test_complete_red_request_is_valid_and_published() -> None:
    assert message_violations(red(), TODAY) == []
    assert review_notice_request(red()).outcome is ReviewOutcome.PUBLISHED


def test_red_request_needs_warrant_status_and_penalty() -> None:
    found = fields(red(arrest_warrants=[], person_status="SUSPECT"))
    assert {"arrest_warrants", "person_status"} <= found.keys()
    assert "offence_max_penalty_years" in fields(red(offence_max_penalty_years=None))
    assert "remaining_sentence_months" in fields(red(person_status="CONVICTED"))


def test_penalty_below_two_years_is_refused_with_the_rule() -> None:
    decision = review_notice_request(red(offence_max_penalty_years=1.5))
    assert decision.outcome is ReviewOutcome.REFUSED
    assert decision.findings[0].field == "offence_max_penalty_years"
    assert "Art 83(1)(b)(i)" in decision.reason
    assert "1.5" in decision.reason
    assert review_notice_request(red(offence_max_penalty_years=2)).outcome is ReviewOutcome.PUBLISHED


def test_sentence_left_to_serve() -> None:
    short = red(person_status="CONVICTED", offence_max_penalty_years=None, remaining_sentence_months=5)
    assert review_notice_request(short).outcome is ReviewOutcome.REFUSED
    enough = red(person_status="CONVICTED", offence_max_penalty_years=None, remaining_sentence_months=6)
    assert review_notice_request(enough).outcome is ReviewOutcome.PUBLISHED


def test_thresholds_are_configurable() -> None:
    policy = ReviewPolicy(min_penalty_years=1)
    assert (
        review_notice_request(red(offence_max_penalty_years=1.5), policy).outcome is ReviewOutcome.PUBLISHED
    )


def test_neutrality_refuses_any_colour() -> None:
    blue = red(colour="BLUE", arrest_warrants=[], neutrality_concerns=["POLITICAL"])
    decision = review_notice_request(blue)
    assert decision.outcome is ReviewOutcome.REFUSED
    assert "Constitution Art 3" in decision.reason


def test_art_83_excluded_offences() -> None:
    decision = review_notice_request(red(excluded_offence_types=["FAMILY_OR_PRIVATE_MATTERS"]))
    assert decision.outcome is ReviewOutcome.REFUSED
    assert "Art 83(1)(a)" in decision.reason


def test_un_special_notices_are_not_requested_by_ncbs() -> None:
    un = red(colour="UNSC_SPECIAL", un_listing={"un_reference": "QDi.432", "un_resolution": 1267})
    assert "Security Council" in fields(un)["colour"]


def test_notice_request_goes_only_to_the_general_secretariat() -> None:
    assert "to" in fields(red(to=["NCB-FR"]))
    assert fields(red(to=["IPSG"])) == {}


def test_diffusion_needs_ncb_recipients() -> None:
    diffusion = red(kind="DIFFUSION", to=["NCB-FR", "NCB-DE", "NCB-ZZ"])
    found = fields(diffusion)
    assert "itself" in found["to[1]"]
    assert "not an Interpol NCB" in found["to[2]"]


def test_retention_in_the_past_or_beyond_five_years() -> None:
    past = red(restrictions={"retain_until": (TODAY - timedelta(days=1)).isoformat()})
    assert "past" in fields(past)["restrictions.retain_until"]
    far = red(restrictions={"retain_until": (TODAY + timedelta(days=6 * 365)).isoformat()})
    assert "5 years" in fields(far)["restrictions.retain_until"]


def test_excluded_and_restricted_ncbs() -> None:
    rules = SourceRestrictions(excluded_ncbs=["NCB-TR"])
    found = restriction_violations(["NCB-FR", "NCB-TR"], rules, source="NCB-DE", sender="NCB-FR", today=TODAY)
    assert [v.field for v in found] == ["to[1]"]
    assert "NCB-TR is excluded by the source NCB-DE" in found[0].rule
    only = SourceRestrictions(restricted_to_ncbs=["NCB-FR", "NCB-AT"])
    found = restriction_violations(["NCB-AT", "NCB-US"], only, source="NCB-DE", sender="NCB-FR", today=TODAY)
    assert [v.field for v in found] == ["to[1]"]
    assert "restricted_to_ncbs" in found[0].rule


def test_expired_retention_blocks_onward_transmission() -> None:
    rules = SourceRestrictions(retain_until=TODAY - timedelta(days=1))
    found = restriction_violations(["NCB-FR"], rules, source="NCB-DE", sender="NCB-AT", today=TODAY)
    assert found[0].field == "restrictions.retain_until"


def test_forwarders_can_only_tighten_restrictions() -> None:
    original = SourceRestrictions(
        excluded_ncbs=["NCB-TR"],
        restricted_to_ncbs=["NCB-FR", "NCB-AT", "NCB-IT"],
        retain_until=date(2027, 1, 1),
        use_limitations=["no judicial use"],
    )
    loosened = SourceRestrictions(restricted_to_ncbs=["NCB-FR", "NCB-US"], retain_until=date(2030, 1, 1))
    merged = merge_restrictions(original, loosened)
    assert merged.excluded_ncbs == ["NCB-TR"]
    assert merged.restricted_to_ncbs == ["NCB-FR"]
    assert merged.retain_until == date(2027, 1, 1)
    assert merged.use_limitations == ["no judicial use"]


@pytest.mark.parametrize("excluded", ["NCB-TR", "NCB-UA"])
def test_publication_goes_to_all_ncbs_but_the_excluded(excluded: str) -> None:
    chosen = publication_recipients("NCB-DE", SourceRestrictions(excluded_ncbs=[excluded]))
    assert excluded not in chosen
    assert set(chosen) == set(all_ncbs()) - {excluded}
    assert {"NCB-US", "NCB-GB", "NCB-DE"} <= set(chosen)


def test_restricted_data_get_no_public_extract() -> None:
    limited = red(public_extract=True, restrictions={"excluded_ncbs": ["NCB-TR"]})
    assert "public" in fields(limited)["public_extract"]
    assert "public_extract" not in fields(red(public_extract=True))
