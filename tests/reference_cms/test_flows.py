"""Each directive flow end to end over HTTP: the test plays the foreign parties, the reference CMS of
Austria answers through the simulated channels, and both the channel traffic and the CMS's exports
are checked."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from refcms_support import Cms, Json, Network, parse_time, request_body

pytestmark = pytest.mark.slow


def kinds(messages: list[Json]) -> list[str]:
    return [m["directive"]["kind"] for m in messages]


def has(network: Network, reference: str, kind: str, count: int = 1) -> Callable[[], bool]:
    return lambda: kinds(network.exchange(reference)).count(kind) >= count


def person(subject: str, item: str, **extra: Any) -> Json:
    return {"subject": subject, "item": item, "data_categories": ["PERSONAL_DETAILS", "CRIMINAL_CONDUCT"],
            "subject_category": "SUSPECT", **extra}


def test_request_answered_in_its_language_with_deadline_cross_check_and_reliability(cms_at: Cms, network: Network):
    cms_at.fixtures(person("Lena Vogt", "convicted of fraud in 2022", data_categories=[
        "PERSONAL_DETAILS", "CRIMINAL_CONDUCT", "HEALTH"], source_reliability="A", information_accuracy="1",
        last_updated="2025-06-01T08:00:00+00:00"))
    earlier = network.reference()
    network.send("SPOC-FR", request_body(earlier, sender="SPOC-FR", subject="Lena Vogt", language="fr"))
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, subject="lena vogt", urgent=True, language="de"))
    case = cms_at.case_of(sent["message_id"])
    received = parse_time(case["received_at"])
    assert received == parse_time(sent["created_at"])
    assert case["deadline"]["basis"] == "Art 5(1)(a)"
    assert parse_time(case["deadline_due"]) == received + timedelta(hours=8)
    sources = {m["source"] for m in case["cross_check_matches"]}
    assert sources == {"EXCHANGE", "HELD_INFORMATION"}, case["cross_check_matches"]

    cms_at.run_until(has(network, reference, "REPLY"), timedelta(hours=8), "reply")
    reply = next(m for m in network.exchange(reference) if m["directive"]["kind"] == "REPLY")
    assert parse_time(reply["created_at"]) - received == timedelta(minutes=30)
    assert reply["sender"] == "SPOC-AT"
    assert reply["to"] == ["SPOC-DE"]
    assert reply["cc"] == []
    assert reply["in_reply_to"] == sent["message_id"]
    assert reply["directive"]["language"] == "de"
    item = reply["directive"]["information"][0]
    assert item["data_categories"] == ["PERSONAL_DETAILS", "CRIMINAL_CONDUCT"]  # HEALTH is outside Art 10(b)
    assert (item["source_reliability"], item["information_accuracy"]) == ("A", "1")
    # Art 10(c): the register's own date of last update is passed on (none is made up where it has none).
    assert parse_time(item["last_updated"]) == datetime(2025, 6, 1, 8, tzinfo=UTC)
    case = cms_at.case(case["case_id"])
    assert case["status"] == "CONCLUDED"
    assert case["outcome"] == "REPLIED"
    assert [c["message_id"] for c in case["communications"]] == [sent["message_id"], reply["message_id"]]
    assert case["europol_decision"]["decision"] == "NO_COPY"
    assert parse_time(case["retention_review_due"]) - parse_time(case["concluded_at"]) <= timedelta(days=183)


def test_english_request_is_accepted_and_answered_in_english(cms_at: Cms, network: Network):
    cms_at.fixtures(person("Jonas Hartl", "known to the police"))
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, subject="Jonas Hartl", language="en"))
    cms_at.case_of(sent["message_id"])
    cms_at.run_until(has(network, reference, "REPLY"), timedelta(days=7), "reply")
    assert {m["directive"]["language"] for m in network.exchange(reference)} == {"en"}


def test_partial_refusal_names_grounds_and_keeps_the_rest(cms_at: Cms, network: Network):
    cms_at.fixtures(
        person("Karl Egger", "address: Hauptstrasse 1, Graz"),
        {"subject": "W-12345A", "item": "registered to a company under investigation", "refusal_ground": "JI"},
        {"subject": "P1234567", "item": "passport issued in 2019", "originator_state": "US"},
    )
    reference = network.reference()
    body = request_body(reference, subject="Karl Egger", items=("address",))
    request = body["directive"]["request"]
    request["entities"] += [{"entity_id": "E2", "type": "VEHICLE", "attributes": {"registration": "W-12345A"}},
                            {"entity_id": "E3", "type": "DOCUMENT", "attributes": {"number": "P1234567"}},
                            {"entity_id": "E4", "type": "PERSON", "attributes": {"name": "Nobody Known"}}]
    request["items"] += [{"item_id": "I2", "description": "keeper", "entity_id": "E2"},
                         {"item_id": "I3", "description": "document", "entity_id": "E3"},
                         {"item_id": "I4", "description": "record", "entity_id": "E4"}]
    sent = network.send("SPOC-DE", body)
    case = cms_at.case_of(sent["message_id"])
    cms_at.run_until(has(network, reference, "REPLY"), timedelta(days=7), "answer")
    messages = network.exchange(reference)[1:]
    reply = next(m for m in messages if m["directive"]["kind"] == "REPLY")
    refusals = {tuple(m["directive"]["refused_items"]): m["directive"] for m in messages
                if m["directive"]["kind"] == "REFUSAL"}
    assert [i["item_id"] for i in reply["directive"]["information"]] == ["I1"]
    assert {k: v["refusal_grounds"] for k, v in refusals.items()} == {("I2",): ["JI"], ("I3",): ["OC"],
                                                                      ("I4",): ["NA"]}
    assert all(v["refusal_reasons"] for v in refusals.values())
    assert {parse_time(m["created_at"]) for m in messages} == {parse_time(reply["created_at"])}
    case = cms_at.case(case["case_id"])
    assert case["outcome"] == "PARTIALLY_REFUSED"
    assert {i["item_id"]: i["refusal_grounds"] for i in case["items"]} == {
        "I1": [], "I2": ["JI"], "I3": ["OC"], "I4": ["NA"]}


def test_incomplete_request_is_clarified_and_the_clock_suspended(cms_at: Cms, network: Network):
    cms_at.fixtures(person("Mira Novak", "wanted for questioning"))
    reference = network.reference()
    body = request_body(reference, subject="Mira Novak", complete=False)
    sent = network.send("SPOC-DE", body)
    case = cms_at.case_of(sent["message_id"])
    received = parse_time(case["received_at"])
    asked = next(m for m in network.exchange(reference) if m["directive"]["kind"] == "CLARIFICATION_REQUEST")
    assert parse_time(asked["created_at"]) == received
    assert "purpose" in asked["directive"]["questions"]
    assert asked["in_reply_to"] == sent["message_id"]
    assert case["status"] == "AWAITING_CLARIFICATION"

    network.advance(timedelta(hours=5))
    completed = request_body(reference, subject="Mira Novak")["directive"]["request"]
    answer = network.send("SPOC-DE", {
        **request_body(reference, subject="Mira Novak"), "in_reply_to": asked["message_id"], "subject": "Clarification",
        "directive": {"kind": "CLARIFICATION", "case_reference": reference, "language": "en",
                      "answers": "purpose and offence added", "amended_request": completed}})
    cms_at.case_of(answer["message_id"])
    case = cms_at.case(case["case_id"])
    assert case["suspensions"] == [[asked["created_at"], answer["created_at"]]]
    assert parse_time(case["deadline_due"]) == received + timedelta(days=7, hours=5)
    assert case["deadline"]["suspended"] == "PT5H"
    audit = cms_at.get("/audit-log", case_id=case["case_id"])["entries"]
    assert "ALTERATION" in {e["operation"] for e in audit}
    cms_at.run_until(has(network, reference, "REPLY"), timedelta(days=7), "reply after clarification")
    reply = next(m for m in network.exchange(reference) if m["directive"]["kind"] == "REPLY")
    assert parse_time(reply["created_at"]) == parse_time(answer["created_at"]) + timedelta(minutes=30)


def test_judicial_authorisation_delay_notice_updates_and_information_once_granted(cms_at: Cms, network: Network):
    cms_at.fixtures(person("Otto Brandl", "bank account details", availability="INDIRECT",
                           judicial_authorisation="GRANTED", judicial_decision_after_hours=50))
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, subject="Otto Brandl", urgent=True))
    case = cms_at.case_of(sent["message_id"])
    received = parse_time(case["received_at"])
    notice = network.exchange(reference)[1]
    assert notice["directive"]["kind"] == "DELAY_NOTICE"
    assert parse_time(notice["created_at"]) == received
    assert notice["directive"]["delay"]["expected_delay_hours"] == 50
    assert "Judicial authorisation" in notice["directive"]["delay"]["reasons"]
    assert case["status"] == "AWAITING_JUDICIAL_AUTHORISATION"
    cms_at.run_until(has(network, reference, "REPLY"), timedelta(days=3), "reply after the grant")
    later = network.exchange(reference)[2:]
    assert kinds(later) == ["DELAY_NOTICE", "DELAY_NOTICE", "REPLY"]
    assert [m["directive"]["delay"]["status"] for m in later[:2]] == ["UPDATE", "UPDATE"]
    assert parse_time(later[-1]["created_at"]) == received + timedelta(hours=50)


def test_judicial_refusal_by_the_operator_and_follow_up_before_the_deadline(cms_at: Cms, network: Network):
    cms_at.fixtures(person("Vera Lind", "telephone records", judicial_authorisation="PENDING"))
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, subject="Vera Lind"))
    case = cms_at.case_of(sent["message_id"])
    network.advance(timedelta(days=6))
    cms_at.settle()
    case = cms_at.case(case["case_id"])
    assert [e["kind"] for e in case["events"]] == ["FOLLOW_UP", "ESCALATION"]
    result = cms_at.post(f"/cases/{case['case_id']}/decision", {"action": "judicial_refused"})
    refusal = next(m for m in network.exchange(reference) if m["message_id"] in result["message_ids"])
    assert refusal["directive"]["refusal_grounds"] == ["JR"]
    assert cms_at.case(case["case_id"])["outcome"] == "REFUSED"


def test_operator_decisions_refuse_clarify_and_hand_over(cms_at: Cms, network: Network):
    cms_at.fixtures(person("Ida Falk", "criminal record: none"), person("Rosa Pichler", "address in Linz"))
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, subject="Ida Falk"))
    case_id = cms_at.case_of(sent["message_id"])["case_id"]
    bad = cms_at.post(f"/cases/{case_id}/decision", {"action": "refuse"}, expect=(422,))
    assert bad["errors"] == [{"field": "grounds", "rule": "a refusal names at least one Art 6(1) ground"}]
    result = cms_at.post(f"/cases/{case_id}/decision", {"action": "refuse", "grounds": ["NS"], "reasons": "security"})
    assert result["status"] == "CONCLUDED"
    assert network.exchange(reference)[-1]["directive"]["refusal_grounds"] == ["NS"]
    again = cms_at.post(f"/cases/{case_id}/decision", {"action": "provide"}, expect=(409,))
    assert again["errors"][0]["field"] == "action"

    handed = network.reference()
    sent = network.send("SPOC-DE", request_body(handed, subject="Rosa Pichler"))
    case_id = cms_at.case_of(sent["message_id"])["case_id"]
    cms_at.post(f"/cases/{case_id}/decision", {"action": "hand_over", "reasons": "address check by local police"})
    cms_at.run_until(has(network, handed, "REPLY"), timedelta(days=2), "reply after hand-over")
    national = [c for c in cms_at.case(case_id)["communications"] if c["channel"] == "NATIONAL"]
    assert [(c["direction"], c["kind"], c["counterpart"]) for c in national] == [
        ("OUTGOING", "HAND_OVER", "LEA-AT"), ("INCOMING", "HAND_BACK", "LEA-AT")]


def test_designated_authority_request_copies_own_spoc_and_replies_copy_theirs(cms_at: Cms, network: Network):
    result = cms_at.post("/stimuli/outgoing-request", {
        "to_state": "DE", "by": "DESIGNATED_AUTHORITY", "subject": "Emil Kranz", "items": ["address"]})
    request = next(m for m in network.traffic() if m["message_id"] == result["message_ids"][0])
    assert request["sender"] == "DLEA-AT"
    assert request["to"] == ["SPOC-DE"]
    assert request["cc"] == ["SPOC-AT"]
    assert request["directive"]["language"] == "de"
    assert not request["directive"]["request"].get("copy_exception")
    case = cms_at.case_of(request["message_id"])
    # The case is opened by the stimulus; the CC to the own SPOC comes back over the channel, pushed on its own
    # time, so wait for its delivery to be recorded rather than read the case once.
    deadline = time.monotonic() + 10
    while True:
        received = [c for c in case["communications"] if c["direction"] == "INCOMING"]
        if received or time.monotonic() > deadline:
            break
        time.sleep(0.05)
        case = cms_at.case(case["case_id"])
    assert [(c["message_id"], c["received_by"]) for c in received] == [(request["message_id"], "SPOC-AT")]

    reply = network.send("SPOC-DE", {
        **request_body(result["reference"], sender="SPOC-DE", to="DLEA-AT"), "in_reply_to": request["message_id"],
        "cc": ["SPOC-AT"], "directive": {"kind": "REPLY", "case_reference": result["reference"], "language": "de",
                                         "information": [{"item_id": "I1", "content": "Berlin"}]}})
    cms_at.case_of(reply["message_id"])
    case = cms_at.case(case["case_id"])
    assert case["outcome"] == "REPLIED"
    assert [c["received_by"] for c in case["communications"] if c["message_id"] == reply["message_id"]] == [
        "DLEA-AT", "SPOC-AT"] or [c["received_by"] for c in case["communications"]
                                  if c["message_id"] == reply["message_id"]] == ["SPOC-AT", "DLEA-AT"]

    cms_at.fixtures(person("Nina Roth", "residence permit"))
    reference = network.reference()
    sent = network.send("DLEA-DE", request_body(reference, sender="DLEA-DE", requester_type="DESIGNATED_AUTHORITY",
                                                subject="Nina Roth", cc=["SPOC-DE"]))
    cms_at.case_of(sent["message_id"])
    cms_at.run_until(has(network, reference, "REPLY"), timedelta(days=7), "reply to a designated authority")
    answer = next(m for m in network.exchange(reference) if m["directive"]["kind"] == "REPLY")
    assert answer["to"] == ["DLEA-DE"]
    assert answer["cc"] == ["SPOC-DE"]


def test_copy_exception_is_sent_as_ground_instead_of_the_copy(cms_at: Cms, network: Network):
    result = cms_at.post("/stimuli/outgoing-request", {
        "to_state": "DE", "by": "DESIGNATED_AUTHORITY", "subject": "Leo Stein", "items": ["record"],
        "copy_exception": "SENSITIVE_INVESTIGATION"})
    request = next(m for m in network.traffic() if m["message_id"] == result["message_ids"][0])
    assert request["cc"] == []
    assert request["directive"]["copy_exception"] == "SENSITIVE_INVESTIGATION"
    assert cms_at.case(result["case_id"])["copy_exception"] == "SENSITIVE_INVESTIGATION"


@pytest.mark.parametrize(("by", "cc", "reason"), [
    ("SPOC", ["SPOC-DE"], "ART_8_1"),
    ("COMPETENT_AUTHORITY", ["SPOC-AT", "SPOC-DE"], "ART_8_2"),
])
def test_direct_requests_to_a_foreign_competent_authority_carry_the_art_8_copies(
        cms_at: Cms, network: Network, by: str, cc: list[str], reason: str):
    result = cms_at.post("/stimuli/outgoing-request", {
        "to_state": "DE", "by": by, "to": "COMPETENT_AUTHORITY", "subject": "Paul Moser", "items": ["record"]})
    request = next(m for m in network.traffic() if m["message_id"] == result["message_ids"][0])
    assert request["to"] == ["LEA-DE"]
    assert request["cc"] == cc
    sent = next(c for c in cms_at.case(result["case_id"])["communications"] if c["direction"] == "OUTGOING")
    assert sent["copy_reason"] == reason


def test_competent_authority_answers_a_direct_request_with_copies_to_both_spocs(cms_at: Cms, network: Network):
    cms_at.fixtures(person("Rita Auer", "vehicle owner"))
    reference = network.reference()
    sent = network.send("LEA-DE", request_body(reference, sender="LEA-DE", to="LEA-AT", subject="Rita Auer",
                                               requester_type="COMPETENT_AUTHORITY", cc=["SPOC-DE"]))
    cms_at.case_of(sent["message_id"])
    cms_at.run_until(has(network, reference, "REPLY"), timedelta(days=7), "reply by the competent authority")
    reply = next(m for m in network.exchange(reference) if m["directive"]["kind"] == "REPLY")
    assert reply["sender"] == "LEA-AT"
    assert reply["to"] == ["LEA-DE"]
    assert sorted(reply["cc"]) == ["SPOC-AT", "SPOC-DE"]


def test_own_initiative_provision_in_a_language_of_the_recipient(cms_at: Cms, network: Network):
    result = cms_at.post("/stimuli/own-initiative", {
        "to_state": "FR", "by": "COMPETENT_AUTHORITY", "to": "COMPETENT_AUTHORITY", "information": "planned robbery",
        "subject": "Hugo Pichler", "subject_category": "WITNESS", "data_categories": ["PERSONAL_DETAILS", "FINANCIAL"],
        "serious_offence": True, "crime_areas": ["ROBBERY_AGGRAVATED_THEFT"]})
    message = next(m for m in network.traffic() if m["message_id"] == result["message_ids"][0])
    assert message["sender"] == "LEA-AT"
    assert message["to"] == ["LEA-FR"]
    assert sorted(message["cc"]) == ["EUROPOL", "SPOC-AT", "SPOC-FR"]
    directive = message["directive"]
    assert directive["kind"] == "OWN_INITIATIVE"
    assert directive["language"] == "en"
    assert directive["information"][0]["data_categories"] == ["PERSONAL_DETAILS"]  # FINANCIAL: not for a witness
    bad = cms_at.post("/stimuli/own-initiative", {"to_state": "FR", "information": "x", "language": "de"},
                      expect=(422,))
    assert bad["errors"][0]["field"] == "language"
    assert "Art 7(3)" in bad["errors"][0]["rule"]


def test_europol_copy_decided_and_sent_with_purposes(cms_at: Cms, network: Network):
    result = cms_at.post("/stimuli/outgoing-request", {
        "to_state": "DE", "subject": "Tom Gruber", "items": ["record"], "serious_offence": True,
        "crime_areas": ["TRAFFICKING_IN_HUMAN_BEINGS"]})
    request = next(m for m in network.traffic() if m["message_id"] == result["message_ids"][0])
    assert request["cc"] == ["EUROPOL"]
    assert request["payload"]["europol_involved"] is True
    assert request["payload"]["processing_purposes"]
    assert request["payload"]["restrictions"]
    decision = cms_at.case(result["case_id"])["europol_decision"]
    assert decision["decision"] == "COPY"
    assert "Art 12(1)" in decision["basis"]
    assert decision["message_ids"] == [request["message_id"]]

    cms_at.fixtures(person("Uwe Haas", "associate of a network"))
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, subject="Uwe Haas", europol=True))
    cms_at.case_of(sent["message_id"])
    cms_at.run_until(has(network, reference, "REPLY"), timedelta(days=7), "reply")
    reply = next(m for m in network.exchange(reference) if m["directive"]["kind"] == "REPLY")
    assert reply["cc"] == ["EUROPOL"]
    assert reply["directive"]["europol_copy_decision"] == "COPY"


def test_redelivered_message_is_recorded_once(cms_at: Cms, network: Network):
    cms_at.fixtures(person("Eva Kern", "no record"))
    network.faults([{"channel": "SIENA", "party": "SPOC-AT", "type": "duplicate", "params": {"copies": 3}}])
    try:
        reference = network.reference()
        sent = network.send("SPOC-DE", request_body(reference, subject="Eva Kern"))
        cms_at.case_of(sent["message_id"])
    finally:
        network.clear_faults()
    assert len(cms_at.get("/cases", message_id=sent["message_id"])["cases"]) == 1
    cms_at.run_until(has(network, reference, "REPLY"), timedelta(days=7), "reply")
    network.advance(timedelta(hours=2))
    cms_at.settle()
    assert kinds(network.exchange(reference)) == ["REQUEST", "REPLY"]


def test_language_outside_the_list_is_clarified(cms_at: Cms, network: Network):
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, language="fr"))
    cms_at.case_of(sent["message_id"])
    asked = network.exchange(reference)[-1]["directive"]
    assert asked["kind"] == "CLARIFICATION_REQUEST"
    assert asked["language"] == "en"
    assert "de, en" in asked["questions"]


def test_clarification_requested_by_the_foreign_spoc_is_answered_at_once(cms_at: Cms, network: Network):
    result = cms_at.post("/stimuli/outgoing-request", {"to_state": "DE", "subject": "Bea Lang", "items": ["address"]})
    question = network.send("SPOC-DE", {
        **request_body(result["reference"], to="SPOC-AT"), "in_reply_to": result["message_ids"][0],
        "directive": {"kind": "CLARIFICATION_REQUEST", "case_reference": result["reference"], "language": "de",
                      "questions": "date of birth?"}})
    cms_at.case_of(question["message_id"])
    answer = network.exchange(result["reference"])[-1]
    assert answer["directive"]["kind"] == "CLARIFICATION"
    assert answer["in_reply_to"] == question["message_id"]
    assert answer["directive"]["amended_request"]["reference"] == result["reference"]


def test_siena_outage_falls_back_to_interpol_with_exception_inc(cms_at: Cms, network: Network):
    cms_at.fixtures(person("Iris Wendt", "registered address"))
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, subject="Iris Wendt", urgent=True))
    case = cms_at.case_of(sent["message_id"])
    network.faults([{"channel": "SIENA", "party": "SPOC-AT", "type": "outage", "params": {"mode": "503"}}])
    try:
        cms_at.run_until(has(network, reference, "REPLY"), timedelta(hours=8), "reply despite the outage")
    finally:
        network.clear_faults()
    reply = next(m for m in network.exchange(reference) if m["directive"]["kind"] == "REPLY")
    assert reply["channel"] == "INTERPOL"
    assert reply["sender"] == "NCB-AT"
    assert reply["to"] == ["NCB-DE"]
    assert reply["directive"]["channel_exception"] == "INC"
    assert parse_time(reply["created_at"]) - parse_time(sent["created_at"]) == timedelta(minutes=30)
    recorded = cms_at.case(case["case_id"])["communications"][-1]
    assert (recorded["message_id"], recorded["channel"], recorded["channel_exception"]) == (
        reply["message_id"], "INTERPOL", "INC")


def test_third_country_involvement_uses_interpol_with_exception_3c(cms_at: Cms, network: Network):
    result = cms_at.post("/stimuli/outgoing-request", {
        "to_state": "DE", "subject": "Zoran Petrovic", "items": ["travel history"], "third_countries": ["US"]})
    assert result["channel"] == "INTERPOL"
    message = next(m for m in network.traffic() if m["message_id"] == result["message_ids"][0])
    assert message["sender"] == "NCB-AT"
    assert message["to"] == ["NCB-DE"]
    assert message["directive"]["channel_exception"] == "3C"
    reply = network.send("NCB-DE", {
        "kind": "MESSAGE", "sender": "NCB-DE", "to": ["NCB-AT"], "language": "en", "subject": "reply",
        "in_reply_to": message["message_id"],
        "directive": {"kind": "REPLY", "case_reference": result["reference"], "language": "de",
                      "channel_exception": "3C", "information": [{"item_id": "I1", "content": "none"}]}},
        channel="interpol")
    case = cms_at.case_of(reply["message_id"])
    assert case["case_id"] == result["case_id"]
    assert case["outcome"] == "REPLIED"


def test_lost_acknowledgement_of_a_send_does_not_duplicate_the_reply(cms_at: Cms, network: Network):
    cms_at.fixtures(person("Hans Moser", "registered address"))
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, subject="Hans Moser"))
    cms_at.case_of(sent["message_id"])
    network.faults([{"channel": "SIENA", "party": "SPOC-AT", "type": "lost_ack",
                     "params": {"mode": "503", "every": 2}}])
    try:
        # One send of SPOC-AT keeps its answer, so the reply's answer (the second) is the one lost.
        network.send("SPOC-AT", {"sender": "SPOC-AT", "to": ["SPOC-DE"], "subject": "note", "body": "-",
                                 "language": "en", "urgency": "NON_URGENT", "crime_areas": ["ROBBERY_AGGRAVATED_THEFT"],
                                 "handling_codes": ["H0"], "security_level": "BPL", "europol_involved": False})
        cms_at.run_until(has(network, reference, "REPLY"), timedelta(days=7), "reply")
    finally:
        network.clear_faults()
    assert kinds(network.exchange(reference)) == ["REQUEST", "REPLY"]
    assert network.exchange(reference)[-1]["channel"] == "SIENA"
