"""The reconciliation judges on the journal and the SUT's records: lost, duplicated, late, each named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from load.reconcile import reconcile

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
END = T0 + timedelta(days=10)
OK = {"ok": True}


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def request(mid: str, ref: str, *, at: datetime = T0, acked: bool = True) -> dict[str, Any]:
    return {"message_id": mid, "channel": "SIENA", "sender": "SPOC-DE", "to": ["SPOC-AT"], "created_at": _z(at),
            "in_reply_to": None, "directive": {"kind": "REQUEST", "case_reference": ref},
            "acks": [{"party": "SPOC-AT", "delivered_at": _z(at), "acked_at": _z(at + timedelta(seconds=3))
                      if acked else None}]}


def answer(mid: str, to: dict[str, Any], kind: str, at: datetime) -> dict[str, Any]:
    return {"message_id": mid, "channel": "SIENA", "sender": "SPOC-AT", "to": [to["sender"]], "created_at": _z(at),
            "in_reply_to": to["message_id"], "directive": {"kind": kind,
                                                            "case_reference": to["directive"]["case_reference"]},
            "acks": [{"party": to["sender"], "delivered_at": _z(at)}]}


def case(case_id: str, *message_ids: str) -> dict[str, Any]:
    return {"case_id": case_id, "communications": [{"message_id": m, "direction": "INCOMING"} for m in message_ids]}


def sent(mid: str, cls: str) -> dict[str, Any]:
    return {"message_id": mid, "class": cls}


def run(traffic: list[dict[str, Any]], cases: list[dict[str, Any]], log: list[dict[str, Any]]) -> Any:
    return reconcile(traffic=traffic, cases=cases, sent_log=log, verify=OK, sut_state="AT", seed=1, ended_at=END)


def test_an_urgent_request_answered_within_8_hours_is_met_and_nothing_is_lost() -> None:
    asked = request("SIENA-1", "DE-1")
    result = run([asked, answer("SIENA-2", asked, "REPLY", T0 + timedelta(hours=7))], [case("C1", "SIENA-1")],
                 [sent("SIENA-1", "urgent-direct")])
    assert (result.lost, result.duplicated, result.late, result.open) == ([], [], [], [])
    assert result.outcomes["urgent-direct"]["met"] == 1
    assert result.margins["urgent-direct"] == [3600.0]


def test_an_urgent_answer_after_8_hours_is_late_with_its_article() -> None:
    asked = request("SIENA-1", "DE-1")
    result = run([asked, answer("SIENA-2", asked, "REPLY", T0 + timedelta(hours=9))], [case("C1", "SIENA-1")],
                 [sent("SIENA-1", "urgent-direct")])
    assert [f["message_id"] for f in result.late] == ["SIENA-1"]
    assert "Art 5(1)(a)" in result.late[0]["why"]
    assert "missed by 1.00 h" in result.late[0]["why"]


def test_accepted_by_the_channel_but_missing_from_the_journal_is_lost() -> None:
    result = run([], [], [sent("SIENA-9", "non-urgent")])
    assert [f["message_id"] for f in result.lost] == ["SIENA-9"]


def test_acknowledged_by_the_sut_but_in_none_of_its_cases_is_lost() -> None:
    asked = request("SIENA-1", "DE-1")
    hit = {**request("SIRENE-1", "x"), "channel": "SIRENE", "to": ["SIRENE-AT"], "sender": "SIRENE-DE",
           "directive": None, "acks": [{"party": "SIRENE-AT", "delivered_at": _z(T0), "acked_at": _z(T0)}]}
    result = run([asked, hit], [], [sent("SIENA-1", "non-urgent"), sent("SIRENE-1", "sirene-hit")])
    assert sorted(f["message_id"] for f in result.lost) == ["SIENA-1", "SIRENE-1"]


def test_a_second_case_or_a_second_final_answer_for_one_request_is_duplicated() -> None:
    asked = request("SIENA-1", "DE-1")
    traffic = [asked, answer("SIENA-2", asked, "REPLY", T0 + timedelta(hours=1)),
               answer("SIENA-3", asked, "REPLY", T0 + timedelta(hours=2))]
    result = run(traffic, [case("C1", "SIENA-1"), case("C2", "SIENA-1")], [sent("SIENA-1", "non-urgent")])
    whys = [f["why"] for f in result.duplicated]
    assert any("2 SUT cases" in w for w in whys)
    assert any("2 final answers" in w for w in whys)
    assert result.summary(600)["duplicated"] == 1  # counted per request


def test_the_clarification_suspends_the_clock() -> None:
    asked = request("SIENA-1", "DE-1")
    question = answer("SIENA-2", asked, "CLARIFICATION_REQUEST", T0 + timedelta(hours=1))
    reply = {**request("SIENA-3", "DE-1", at=T0 + timedelta(hours=4)), "in_reply_to": "SIENA-2"}
    reply["directive"] = {"kind": "CLARIFICATION", "case_reference": "DE-1"}
    final = answer("SIENA-4", asked, "REPLY", T0 + timedelta(hours=10))
    result = run([asked, question, reply, final], [case("C1", "SIENA-1", "SIENA-3")],
                 [sent("SIENA-1", "clarification")])
    assert result.late == []
    assert result.outcomes["clarification"]["met"] == 1


def test_a_delay_notice_in_time_covers_a_later_judicial_answer() -> None:
    asked = request("SIENA-1", "DE-1")
    traffic = [asked, answer("SIENA-2", asked, "DELAY_NOTICE", T0 + timedelta(hours=1)),
               answer("SIENA-3", asked, "REPLY", T0 + timedelta(days=8))]
    result = run(traffic, [case("C1", "SIENA-1")], [sent("SIENA-1", "judicial-authorisation")])
    assert result.late == []
    assert result.outcomes["judicial-authorisation"]["met"] == 1


def test_unanswered_and_not_yet_due_is_open_past_due_is_late() -> None:
    fresh = request("SIENA-1", "DE-1", at=END - timedelta(hours=1))
    old = request("SIENA-2", "DE-2", at=END - timedelta(days=8))
    result = run([fresh, old], [case("C1", "SIENA-1"), case("C2", "SIENA-2")],
                 [sent("SIENA-1", "non-urgent"), sent("SIENA-2", "non-urgent")])
    assert [f["message_id"] for f in result.open] == ["SIENA-1"]
    assert [f["message_id"] for f in result.late] == ["SIENA-2"]


def test_an_answer_that_fell_back_to_interpol_is_no_diffusion_and_no_request() -> None:
    """A requester's CMS whose SIENA is out answers on Interpol I-24/7 (a MESSAGE with the REPLY directive): not
    a request of the SUT to judge; a real diffusion (no directive) is one, recorded."""
    fallback = {"message_id": "I247-1", "channel": "INTERPOL", "kind": "MESSAGE", "sender": "NCB-DE",
                "to": ["NCB-AT"], "created_at": _z(T0), "in_reply_to": None,
                "directive": {"kind": "REPLY", "case_reference": "AT-7"},
                "acks": [{"party": "NCB-AT", "delivered_at": _z(T0), "acked_at": _z(T0)}]}
    diffusion = {**fallback, "message_id": "I247-2", "kind": "DIFFUSION", "directive": None}
    result = run([fallback, diffusion], [case("C1", "I247-1", "I247-2")], [])
    assert result.request_ids == ["I247-2"]
    assert result.outcomes["interpol-diffusion"]["recorded"] == 1
