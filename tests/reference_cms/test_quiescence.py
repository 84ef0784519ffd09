"""The quiescence signal `GET /sut/v1/agenda?wait=`: when it says idle, the CMS's work at that network time is done."""

from __future__ import annotations

from refcms_support import Cms, Network, call, iso, parse_time, request_body


def test_idle_answer_comes_after_the_work_due_at_the_new_network_time(cms_at: Cms, network: Network) -> None:
    cms_at.fixtures({"subject": "Petra Lang", "item": "known to the police", "subject_category": "SUSPECT",
                     "data_categories": ["PERSONAL_DETAILS", "CRIMINAL_CONDUCT"]})
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, subject="Petra Lang", urgent=True))
    cms_at.case_of(sent["message_id"], settle=False)  # delivered (the harness reads that from the channels)
    quiet = cms_at.get("/agenda", wait=5)
    assert quiet["idle"] is True
    assert parse_time(quiet["now"]) == network.now()
    due = parse_time(quiet["next_action_at"])
    assert due > network.now()  # the answer is planned for later network time: nothing due now
    network.set_clock(due)
    told = cms_at.get("/agenda", wait=5)  # no sleeping, no polling: the signal answers once the work is done
    assert told["idle"] is True
    assert parse_time(told["now"]) == due
    assert all(parse_time(action["at"]) > due for action in told["actions"]), told  # nothing due is left
    kinds = [m["directive"]["kind"] for m in network.exchange(reference)]
    assert "REPLY" in kinds or "REFUSAL" in kinds, kinds


def test_agenda_without_wait_says_nothing_of_idleness(cms_at: Cms) -> None:
    plain = cms_at.get("/agenda")
    assert plain.get("idle") is None
    assert "next_action_at" in plain


def test_malformed_wait_is_a_problem_naming_the_field(cms_at: Cms) -> None:
    for bad in ("soon", "-1", "31"):
        problem = cms_at.get("/agenda", expect=(422,), wait=bad)
        assert [e["field"] for e in problem["errors"]] == ["query.wait"], problem


def test_a_quiescence_request_telling_the_network_time_is_answered_at_that_time(cms_at: Cms, network: Network) -> None:
    """The harness tells the time it set (X-Network-Time) with the request; the answer is the same as when the CMS
    reads the channels' clock itself: the work due at that time done, and stamped with it."""
    cms_at.fixtures({"subject": "Jonas Weber", "item": "known to the police", "subject_category": "SUSPECT",
                     "data_categories": ["PERSONAL_DETAILS"]})
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, subject="Jonas Weber", urgent=True))
    cms_at.case_of(sent["message_id"], settle=False)
    due = parse_time(cms_at.get("/agenda", wait=5)["next_action_at"])
    network.set_clock(due)
    _, told, _ = call("GET", f"{cms_at.url}/sut/v1/agenda?wait=5", headers={"X-Network-Time": iso(due)})
    assert told["idle"] is True
    assert parse_time(told["now"]) == due
    assert all(parse_time(action["at"]) > due for action in told["actions"]), told
    answers = [m for m in network.exchange(reference) if m["directive"]["kind"] in ("REPLY", "REFUSAL")]
    assert answers, network.exchange(reference)
    assert {parse_time(m["created_at"]) for m in answers} == {due}
