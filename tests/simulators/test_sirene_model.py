"""The SIRENE form rules and the Art 8(3) reply timer, without a server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from simulators.model.sirene import (
    FormType,
    ReplyState,
    ReplyTimerPolicy,
    SireneForm,
    form_violations,
    is_child_alert,
    reply_state,
    reply_timer,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def form(**overrides: Any) -> SireneForm:
    data: dict[str, Any] = {
        "form_type": "G",
        "f001_sent_at_utc": T0.isoformat(),
        "f002_form_ref": "AT-2026-000001",
        "f003_sender_bureau": "SIRENE-AT",
        "f004_recipient_bureaux": ["SIRENE-DE"],
        "f005_schengen_id": "DE0000012345",
        "alert_article": "36",
        "hit_place": "Salzburg border crossing",
        "hit_time_utc": (T0 - timedelta(minutes=30)).isoformat(),
        "action_taken": "discreet check carried out",
        "language": "de",
    }
    data.update(overrides)
    return SireneForm.model_validate({k: v for k, v in data.items() if v is not None})


def rules(f: SireneForm) -> dict[str, str]:
    return {v.field: v.rule for v in form_violations(f)}


def test_a_complete_g_form_breaks_no_rule() -> None:
    assert form_violations(form()) == []


def test_field_001_must_be_utc() -> None:
    local = T0.astimezone(timezone(timedelta(hours=1)))
    found = rules(form(f001_sent_at_utc=local.isoformat(), hit_time_utc=None))
    assert "UTC" in found["f001_sent_at_utc"]


def test_urgent_needs_its_reason_in_field_311() -> None:
    assert "reason" in rules(form(f311_important="URGENT"))["f311_reason"]
    assert "f311_reason" not in rules(form(f311_important="URGENT", f311_reason="suspect about to board"))


def test_a_g_form_goes_to_the_bureau_that_issued_the_alert() -> None:
    found = rules(form(f004_recipient_bureaux=["SIRENE-FR"]))
    assert "SIRENE-DE" in found["f004_recipient_bureaux"]


def test_g_form_needs_the_alert_and_the_hit() -> None:
    found = rules(form(f005_schengen_id=None, alert_article=None, hit_place=None, hit_time_utc=None))
    assert {"f005_schengen_id", "hit_place", "hit_time_utc"} <= found.keys()


def test_recipients_must_be_other_sirene_bureaux() -> None:
    found = rules(form(f004_recipient_bureaux=["SIRENE-DE", "SIRENE-AT", "SIRENE-DE"]))
    assert "itself" in found["f004_recipient_bureaux[1]"]
    assert "twice" in found["f004_recipient_bureaux[2]"]
    with pytest.raises(ValidationError):
        form(f004_recipient_bureaux=["SPOC-DE"])
    assert (
        "not a SIRENE bureau"
        in rules(form(f004_recipient_bureaux=["SIRENE-DE", "SIRENE-US"]))["f004_recipient_bureaux[1]"]
    )


def test_a_form_rules() -> None:
    found = rules(
        form(
            form_type="A",
            alert_article="32",
            f004_recipient_bureaux=["SIRENE-FR"],
            hit_place=None,
            hit_time_utc=None,
            f005_schengen_id="AT0000000001",
            f002_form_ref="AT-A-1",
        )
    )
    assert "Art 26" in found["alert_article"]
    assert {"person", "f044_description_of_deeds", "f272_eaw_sequence"} <= found.keys()


def test_m_form_carries_field_083() -> None:
    m = form(form_type="M", f005_schengen_id=None, alert_article=None, hit_place=None, hit_time_utc=None)
    assert "083" in rules(m)["f083_information"]


def test_q_form_needs_the_consent_of_the_person() -> None:
    q = form(
        form_type="Q", person={"f006_surname": "MUSTER", "f012_sex": "F"}, hit_place=None, hit_time_utc=None
    )
    assert "consent" in rules(q)["misused_identity_consent"]
    assert "misused_identity_consent" not in rules(q.model_copy(update={"misused_identity_consent": True}))


def test_flags_only_on_articles_26_32_36() -> None:
    f = form(form_type="F", alert_article="38", f083_information="incompatible with national law")
    assert "Art 24(1)" in {v.article for v in form_violations(f) if v.field == "alert_article"}.pop()


def test_geographical_search_names_sis_states() -> None:
    found = rules(form(f311_important="GEOGRAPHICAL_SEARCH", f311_target_states=["FR", "US"]))
    assert "not a SIS state" in found["f311_target_states[1]"]


def test_twelve_hour_timer_for_a_g_form() -> None:
    timer = reply_timer(form(), T0)
    assert timer is not None
    assert timer.reply_due_at == T0 + timedelta(hours=12)
    assert not timer.immediate
    assert "Art 8(3)" in timer.basis


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"f311_important": "URGENT", "f311_reason": "flight leaves at noon"}, "URGENT"),
        ({"f307_offence_category": "TERRORISM"}, "terrorist"),
        ({"alert_article": "32", "child_alert": True}, "child"),
        (
            {"alert_article": "32", "person": {"f006_surname": "KIND", "f009_date_of_birth": "2015-06-01"}},
            "child",
        ),
    ],
)
def test_immediate_timer(overrides: dict[str, Any], reason: str) -> None:
    policy = ReplyTimerPolicy(immediate=timedelta(minutes=30))
    timer = reply_timer(form(**overrides), T0, policy)
    assert timer is not None
    assert timer.immediate
    assert timer.reply_due_at == T0 + timedelta(minutes=30)
    assert any(reason in r for r in timer.reasons)


def test_adult_on_an_art_32_alert_is_not_a_child() -> None:
    adult = form(
        alert_article="32", person={"f006_surname": "ALT", "f009_date_of_birth": date(1990, 1, 1).isoformat()}
    )
    assert not is_child_alert(adult)
    eighteen_tomorrow = form(
        alert_article="32", person={"f006_surname": "X", "f009_date_of_birth": "2008-03-03"}
    )
    assert is_child_alert(eighteen_tomorrow)


def test_forms_that_ask_nothing_start_no_timer() -> None:
    assert reply_timer(form(form_type="M", f083_information="reply"), T0) is None
    assert (
        reply_timer(form(form_type="G"), T0, ReplyTimerPolicy(request_forms=frozenset({FormType.E}))) is None
    )


def test_reply_state_at_and_after_the_deadline() -> None:
    due = T0 + timedelta(hours=12)
    assert reply_state(due, None, due) is ReplyState.PENDING
    assert reply_state(due, None, due + timedelta(seconds=1)) is ReplyState.OVERDUE
    assert reply_state(due, due, due + timedelta(hours=5)) is ReplyState.ANSWERED
    assert reply_state(due, due + timedelta(seconds=1), due) is ReplyState.ANSWERED_LATE
