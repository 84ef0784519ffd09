"""The whole EU's reconciliation: per requested state, and every acknowledged delivery in its state's cases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from load.eu_reconcile import reconcile_eu, state_figures
from tests.load.test_reconcile import END, OK, T0, _z, answer, case, request


def _acked(message: dict[str, Any]) -> dict[str, Any]:
    return {**message, "acks": [{**a, "acked_at": a["delivered_at"]} for a in message["acks"]]}


def _outgoing(case_id: str, *message_ids: str) -> dict[str, Any]:
    return {"case_id": case_id, "communications": [{"message_id": m, "direction": "OUTGOING"} for m in message_ids]}


def _run(traffic: list[dict[str, Any]], cases: dict[str, list[dict[str, Any]]]) -> Any:
    log = [{"message_id": "SIENA-1", "message_ids": ["SIENA-1"], "class": "urgent-direct", "state": "DE",
            "to_state": "AT"}]
    return reconcile_eu(traffic=traffic, cases_by_state=cases, sent_log=log, verify=OK, seed=1, ended_at=END), log


def test_a_request_answered_in_time_and_recorded_on_both_sides_is_met_with_nothing_lost() -> None:
    asked = request("SIENA-1", "DE-1")
    replied = _acked(answer("SIENA-2", asked, "REPLY", T0 + timedelta(hours=1)))
    (merged, per_state), log = _run([asked, replied], {
        "AT": [case("AT-1", "SIENA-1")],
        "DE": [{**_outgoing("DE-1", "SIENA-1"), "communications": [
            {"message_id": "SIENA-1", "direction": "OUTGOING"}, {"message_id": "SIENA-2", "direction": "INCOMING"}]}],
    })
    assert (merged.lost, merged.duplicated, merged.late, merged.open) == ([], [], [], [])
    figures = state_figures(per_state, log)
    assert (figures["AT"]["received"], figures["AT"]["answered"], figures["AT"]["sent"]) == (1, 1, 0)
    assert (figures["DE"]["received"], figures["DE"]["sent"]) == (0, 1)


def test_an_answer_the_requester_acknowledged_but_never_recorded_is_lost_by_the_requester() -> None:
    asked = request("SIENA-1", "DE-1")
    replied = _acked(answer("SIENA-2", asked, "REPLY", T0 + timedelta(hours=1)))
    (merged, per_state), _ = _run([asked, replied], {"AT": [case("AT-1", "SIENA-1")],
                                                     "DE": [_outgoing("DE-1", "SIENA-1")]})
    assert [(f["message_id"], f["state"]) for f in merged.lost] == [("SIENA-2", "DE")]
    assert "acknowledged by SPOC-DE but in none of DE's case records" in merged.lost[0]["why"]
    assert len(per_state["DE"].lost) == 1
    assert not per_state["AT"].lost


def test_one_message_in_two_cases_of_a_state_is_duplicated_and_a_late_answer_is_the_requested_states() -> None:
    asked = request("SIENA-1", "DE-1")
    replied = _acked(answer("SIENA-2", asked, "REPLY", T0 + timedelta(hours=9)))
    replied["acks"][0]["delivered_at"] = _z(T0 + timedelta(hours=9))
    (merged, per_state), _ = _run([asked, replied], {
        "AT": [case("AT-1", "SIENA-1")],
        "DE": [_outgoing("DE-1", "SIENA-1"), case("DE-1", "SIENA-2"), case("DE-2", "SIENA-2")],
    })
    assert [(f["message_id"], f["state"]) for f in merged.duplicated] == [("SIENA-2", "DE")]
    assert [(f["message_id"], f["state"]) for f in merged.late] == [("SIENA-1", "AT")]
    assert per_state["AT"].late
    assert not per_state["DE"].late
