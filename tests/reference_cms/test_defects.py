"""Each named defect changes exactly the observable behaviour it names.

For every defect the same scenario runs twice: against the correct CMS (Austria, shared) and against a
CMS started with only that defect (another state). What the channels carried or the CMS exported must
be right in the first run and wrong, in the named way, in the second.

Cases share one network. Two cases may give their defective CMS the same state: each CMS installation
sends Idempotency-Keys and generates references under its own random instance id (kept in its store),
so the second never repeats the first's keys, which the channel would answer with the first's message
or a 409. A fresh network per case would only hide such a collision, which a re-installed CMS meets in
the field on the same network: the CMS itself rules it out. Only a case that moves network time by
months gets a network of its own, so that the shared clock stays where the other cases expect it.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from refcms_support import Cms, Json, Network, iso, parse_time, request_body, running_cms, running_network

from simulators.model.parties import state as state_of
from simulators.reference_cms.defects import DEFECTS

pytestmark = pytest.mark.slow


# -- scenario building blocks ----------------------------------------------------------------

# How long a defect that waits for the office to open may keep the requester waiting, wherever the shared
# clock stands: from the Thursday before Easter the office next opens on Tuesday morning (Good Friday,
# the weekend and Easter Monday are closed), up to five and a half days later.
LONGEST_OFFICE_CLOSURE = timedelta(days=7)


def spoc(cms: Cms) -> str:
    return f"SPOC-{cms.state}"


def ask(cms: Cms, network: Network, subject: str = "Greta Holm", **options: Any) -> tuple[str, Json]:
    """SPOC-DE sends the CMS's SPOC a request; returns its reference and envelope once recorded."""
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, to=spoc(cms), subject=subject, **options))
    cms.case_of(sent["message_id"])
    return reference, sent


def held(cms: Cms, subject: str = "Greta Holm", **extra: Any) -> None:
    cms.fixtures({"subject": subject, "item": "known to the police", "data_categories": ["PERSONAL_DETAILS"],
                  "subject_category": "SUSPECT", **extra})


def answers(network: Network, reference: str) -> list[Json]:
    return [m for m in network.exchange(reference) if m["directive"]["kind"] != "REQUEST"]


def first_answer(cms: Cms, network: Network, reference: str, horizon: timedelta = timedelta(days=8),
                 kinds: tuple[str, ...] = ("REPLY", "REFUSAL", "CLARIFICATION_REQUEST")) -> Json:
    cms.run_until(lambda: any(m["directive"]["kind"] in kinds for m in answers(network, reference)), horizon,
                  f"an answer to {reference}")
    return next(m for m in answers(network, reference) if m["directive"]["kind"] in kinds)


def message(network: Network, message_id: str) -> Json:
    return next(m for m in network.traffic() if m["message_id"] == message_id)


def statistics(cms: Cms, network: Network) -> Json:
    return dict(cms.get("/statistics", year=network.now().year))


def quiesce(cms: Cms) -> None:
    """Let every exchange in progress finish, so that a difference of statistics is ours alone."""
    busy = ("ANSWER", "JUDICIAL_DECISION", "JUDICIAL_UPDATE", "RETRY_SEND", "LATE_COPY")
    cms.run_until(lambda: not any(a["kind"] in busy for a in cms.get("/agenda")["actions"]), timedelta(days=10),
                  "no exchange in progress")


# -- the scenarios: each returns an observation -------------------------------------------------


def late_urgent_reply(cms: Cms, network: Network) -> timedelta:
    held(cms)
    reference, sent = ask(cms, network, urgent=True)
    reply = first_answer(cms, network, reference, timedelta(days=2))
    return parse_time(reply["created_at"]) - parse_time(sent["created_at"])


def deadline_from_first_view(cms: Cms, network: Network) -> timedelta:
    held(cms)
    reference, sent = ask(cms, network)
    first_answer(cms, network, reference)
    case = cms.case_of(sent["message_id"])
    return parse_time(case["deadline_due"]) - parse_time(case["received_at"])


def clarification_restarts_clock(cms: Cms, network: Network) -> timedelta:
    """Urgent, indirectly available (3 days); clarification asked 20 h in, answered 2 h later."""
    held(cms, availability="INDIRECT")
    reference, sent = ask(cms, network, urgent=True)
    received = parse_time(sent["created_at"])
    case_id = cms.case_of(sent["message_id"])["case_id"]
    network.set_clock(received + timedelta(hours=20))
    cms.settle()
    asked = cms.post(f"/cases/{case_id}/decision", {"action": "clarify", "questions": "date of birth?"})
    network.set_clock(received + timedelta(hours=22))
    body = request_body(reference, to=spoc(cms), subject="Greta Holm", urgent=True)
    clarification = network.send("SPOC-DE", {**body, "in_reply_to": asked["message_ids"][0], "directive": {
        "kind": "CLARIFICATION", "case_reference": reference, "language": "en", "answers": "born 1990"}})
    cms.case_of(clarification["message_id"])
    reply = first_answer(cms, network, reference, timedelta(days=4), kinds=("REPLY",))
    correct_due = received + timedelta(hours=72 + 2)
    return parse_time(reply["created_at"]) - correct_due  # <= 0: in time


def refusal_without_ground(cms: Cms, network: Network) -> list[str]:
    held(cms, refusal_ground="NS")
    reference, _ = ask(cms, network)
    return list(first_answer(cms, network, reference)["directive"]["refusal_grounds"])


def refusal_of_indirect_information(cms: Cms, network: Network) -> str:
    held(cms, availability="INDIRECT")
    reference, _ = ask(cms, network)
    return str(first_answer(cms, network, reference)["directive"]["kind"])


def reply_in_own_language(cms: Cms, network: Network) -> str:
    held(cms)
    reference, _ = ask(cms, network, language="en")
    return str(first_answer(cms, network, reference)["directive"]["language"])


def english_not_accepted(cms: Cms, network: Network) -> str:
    held(cms)
    reference, _ = ask(cms, network, language="en")
    return str(first_answer(cms, network, reference)["directive"]["kind"])


def language_read_from_message_not_request(cms: Cms, network: Network) -> str:
    """A request in English (on every list) under a covering message in Czech (not on the CMS state's)."""
    held(cms)
    reference, _ = ask(cms, network, language="en", message_language="cs")
    return str(first_answer(cms, network, reference)["directive"]["kind"])


def no_spoc_copy_for_designated_request(cms: Cms, network: Network) -> list[str]:
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "by": "DESIGNATED_AUTHORITY",
                                                     "subject": "Ole Brun", "items": ["address"]})
    return list(message(network, result["message_ids"][0])["cc"])


def late_copy(cms: Cms, network: Network) -> timedelta:
    """How long after the designated authority's request its own SPOC got the copy."""
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "by": "DESIGNATED_AUTHORITY",
                                                     "subject": "Ole Brun", "items": ["address"]})
    request = message(network, result["message_ids"][0])
    if spoc(cms) in request["cc"]:
        return timedelta(0)
    cms.run_until(lambda: any(m["directive"]["kind"] == "COPY" for m in network.exchange(result["reference"])),
                  timedelta(days=1), "the copy")
    copy = next(m for m in network.exchange(result["reference"]) if m["directive"]["kind"] == "COPY")
    assert copy["to"] == [spoc(cms)]
    return parse_time(copy["created_at"]) - parse_time(request["created_at"])


def non_siena_without_exception(cms: Cms, network: Network) -> tuple[str, str | None]:
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "subject": "Ole Brun", "items": ["address"]})
    sent = message(network, result["message_ids"][0])
    return sent["channel"], sent["directive"].get("channel_exception")


def no_fallback_on_siena_outage(cms: Cms, network: Network) -> tuple[str, str | None] | None:
    """The channel and exception of the urgent reply within 8 hours of receipt, or None if there was none."""
    held(cms)
    reference, _ = ask(cms, network, urgent=True)
    network.faults([{"channel": "SIENA", "party": spoc(cms), "type": "outage", "params": {"mode": "503"}}])
    try:
        cms.run_until(lambda: bool(answers(network, reference)), timedelta(hours=8), "reply")
    except AssertionError:
        return None
    finally:
        network.clear_faults()
    reply = answers(network, reference)[0]
    return reply["channel"], reply["directive"].get("channel_exception")


def duplicate_delivery_opens_second_case(cms: Cms, network: Network) -> int:
    held(cms)
    network.faults([{"channel": "SIENA", "party": spoc(cms), "type": "duplicate", "params": {"copies": 2}}])
    try:
        _, sent = ask(cms, network)
        time.sleep(0.3)
        cms.settle()
    finally:
        network.clear_faults()
    return len(cms.get("/cases", message_id=sent["message_id"])["cases"])


def refused_counted_as_replied(cms: Cms, network: Network) -> tuple[int, int]:
    quiesce(cms)
    before = statistics(cms, network)
    cms.fixtures()
    reference, _ = ask(cms, network, subject="Nobody Held")
    first_answer(cms, network, reference)
    after = statistics(cms, network)
    return (after["requests_replied"]["total"] - before["requests_replied"]["total"],
            after["requests_refused"]["total"] - before["requests_refused"]["total"])


def statistics_without_state_breakdown(cms: Cms, network: Network) -> Any:
    held(cms)
    ask(cms, network)
    return statistics(cms, network)["requests_received"]["by_requesting_state"]


def audit_without_consultations(cms: Cms, network: Network) -> set[str]:
    held(cms)
    _, sent = ask(cms, network)
    case_id = cms.case_of(sent["message_id"])["case_id"]
    return {e["operation"] for e in cms.get("/audit-log", case_id=case_id)["entries"]}


def no_delay_notice_for_judicial(cms: Cms, network: Network) -> list[str]:
    held(cms, judicial_authorisation="GRANTED", judicial_decision_after_hours=10)
    reference, _ = ask(cms, network)
    first_answer(cms, network, reference, timedelta(days=1), kinds=("REPLY",))
    kinds = [m["directive"]["kind"] for m in answers(network, reference)]
    return kinds[:kinds.index("REPLY")]


def court_refusal_outweighed_by_grant(cms: Cms, network: Network) -> str:
    """The first answer to an item held in two records: the court grants one after 2 hours, refuses the other."""
    cms.fixtures(*({"subject": "Greta Holm", "item": item, "data_categories": ["PERSONAL_DETAILS"],
                    "subject_category": "SUSPECT", "judicial_authorisation": decision,
                    "judicial_decision_after_hours": 2} for item, decision in (("bank accounts", "GRANTED"),
                                                                                ("phone records", "REFUSED"))))
    reference, _ = ask(cms, network)
    answer = first_answer(cms, network, reference, timedelta(days=1), kinds=("REPLY", "REFUSAL"))
    return str(answer["directive"]["kind"])


def partial_refusal_refuses_all(cms: Cms, network: Network) -> set[str]:
    """The item ids provided (I1 is held, I2 is not)."""
    held(cms)
    reference = network.reference()
    body = request_body(reference, to=spoc(cms), subject="Greta Holm")
    request = body["directive"]["request"]
    request["entities"].append({"entity_id": "E2", "type": "PERSON", "attributes": {"name": "Not Held"}})
    request["items"].append({"item_id": "I2", "description": "record", "entity_id": "E2"})
    sent = network.send("SPOC-DE", body)
    cms.case_of(sent["message_id"])
    first_answer(cms, network, reference, kinds=("REFUSAL",))
    cms.settle()
    return {i["item_id"] for m in answers(network, reference) for i in m["directive"].get("information", [])}


def no_europol_decision(cms: Cms, network: Network) -> tuple[bool, Any]:
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "subject": "Ole Brun", "items": ["x"],
                                                     "serious_offence": True, "crime_areas": ["TERRORISM"]})
    sent = message(network, result["message_ids"][0])
    decision = cms.case(result["case_id"])["europol_decision"]
    return "EUROPOL" in sent["cc"], decision["decision"] if decision else None


def personal_data_outside_categories(cms: Cms, network: Network) -> list[str]:
    held(cms, data_categories=["PERSONAL_DETAILS", "HEALTH", "RELIGION"])
    reference, _ = ask(cms, network)
    reply = first_answer(cms, network, reference)
    return list(reply["directive"]["information"][0]["data_categories"])


def ignores_harness_clock(cms: Cms, network: Network) -> tuple[timedelta, bool]:
    """How far the recorded receipt is from the network's, and whether a reply came within 8 network hours."""
    held(cms)
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, to=spoc(cms), subject="Greta Holm", urgent=True))
    # Without settling: a CMS on the machine's clock keeps its agenda in the machine's time, which is never
    # "done by network time" while the network's virtual clock runs ahead of the machine's.
    case = cms.case_of(sent["message_id"], settle=False)
    offset = abs(parse_time(case["received_at"]) - parse_time(sent["created_at"]))
    network.advance(timedelta(hours=8))
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and not answers(network, reference):
        time.sleep(0.05)
    return offset, bool(answers(network, reference))


def no_reliability_elements(cms: Cms, network: Network) -> tuple[Any, Any, Any]:
    held(cms, last_updated=REGISTER_DATE)
    reference, _ = ask(cms, network)
    item = first_answer(cms, network, reference)["directive"]["information"][0]
    return item.get("source_reliability"), item.get("information_accuracy"), item.get("last_updated")


def no_cross_check(cms: Cms, network: Network) -> int:
    held(cms)
    _, sent = ask(cms, network)
    return len(cms.case_of(sent["message_id"])["cross_check_matches"])


def late_retention_review(cms: Cms, network: Network) -> timedelta:
    held(cms)
    reference, sent = ask(cms, network)
    first_answer(cms, network, reference)
    case = cms.case_of(sent["message_id"])
    return parse_time(case["retention_review_due"]) - parse_time(case["concluded_at"])


def refuses_instead_of_clarifying(cms: Cms, network: Network) -> str:
    held(cms)
    reference, _ = ask(cms, network, complete=False)
    return str(first_answer(cms, network, reference)["directive"]["kind"])


def no_copy_to_foreign_spoc_for_direct_request(cms: Cms, network: Network) -> list[str]:
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "to": "COMPETENT_AUTHORITY",
                                                     "subject": "Ole Brun", "items": ["x"]})
    return list(message(network, result["message_ids"][0])["cc"])


def own_initiative_in_own_language(cms: Cms, network: Network) -> str:
    result = cms.post("/stimuli/own-initiative", {"to_state": "FR", "information": "seen at the border"})
    return str(message(network, result["message_ids"][0])["directive"]["language"])


def rekeyed_message_ids(cms: Cms, network: Network) -> bool:
    """Whether the case record holds the channel's id of the request."""
    held(cms)
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, to=spoc(cms), subject="Greta Holm"))
    first_answer(cms, network, reference)
    case = next(c for c in cms.get("/cases", reference=reference)["cases"])
    return sent["message_id"] in {c["message_id"] for c in case["communications"]}


def europol_copy_without_purposes(cms: Cms, network: Network) -> tuple[list[str], Any]:
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "subject": "Ole Brun", "items": ["x"],
                                                     "serious_offence": True, "crime_areas": ["TERRORISM"]})
    payload = message(network, result["message_ids"][0])["payload"]
    return list(payload.get("processing_purposes") or []), payload.get("restrictions")


RESTRICTED = "H3: not to be used as evidence without the provider's consent"


def europol_copy_restriction_defaulted(cms: Cms, network: Network) -> Any:
    """The restriction a request copied to Europol states, where the requester set one of its own."""
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "subject": "Ole Brun", "items": ["x"],
                                                     "serious_offence": True, "crime_areas": ["TERRORISM"],
                                                     "use_restrictions": RESTRICTED})
    return message(network, result["message_ids"][0])["payload"].get("restrictions")


def disclosure_without_recipient(cms: Cms, network: Network) -> list[Any]:
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "subject": "Ole Brun", "items": ["x"]})
    return [e["recipient"] for e in cms.get("/audit-log", case_id=result["case_id"])["entries"]
            if e["operation"] == "DISCLOSURE"]


def copies_counted_as_requests(cms: Cms, network: Network) -> int:
    quiesce(cms)
    before = statistics(cms, network)
    copy = network.send("LEA-DE", request_body(network.reference(), sender="LEA-DE", to="LEA-IT", cc=[spoc(cms)],
                                               requester_type="COMPETENT_AUTHORITY"))
    cms.case_of(copy["message_id"])
    return int(statistics(cms, network)["requests_received"]["total"] - before["requests_received"]["total"])


def originator_consent_not_checked(cms: Cms, network: Network) -> tuple[str, list[str]]:
    """The answer's kind and refusal grounds for a record France gave without consenting to its provision."""
    held(cms, originator_state="FR", originator_consent=False)
    reference, _ = ask(cms, network)
    directive = first_answer(cms, network, reference)["directive"]
    return str(directive["kind"]), list(directive.get("refusal_grounds") or [])


def own_initiative_not_recorded(cms: Cms, network: Network) -> bool:
    """Whether the case of the own-initiative provision holds the message the channel carried."""
    result = cms.post("/stimuli/own-initiative", {"to_state": "FR", "information": "seen at the border"})
    sent = [m["message_id"] for m in network.exchange(result["reference"])]
    assert len(sent) == 1, sent
    return sent[0] in {c["message_id"] for c in cms.case(result["case_id"])["communications"]}


def serious_own_initiative_held_for_approval(cms: Cms, network: Network) -> int:
    """How many OWN_INITIATIVE messages on a serious offence reached the channel within a day."""
    result = cms.post("/stimuli/own-initiative", {"to_state": "DE", "information": "40 kg of heroin on the way",
                                                  "serious_offence": True, "crime_areas": ["DRUG_TRAFFICKING"]})

    def provided() -> int:
        return sum(m["directive"]["kind"] == "OWN_INITIATIVE" for m in network.exchange(result["reference"]))

    with contextlib.suppress(AssertionError):
        cms.run_until(lambda: provided() > 0, timedelta(days=1), "the provision")
    return provided()


def no_spoc_copy_for_authority_own_initiative(cms: Cms, network: Network) -> list[str]:
    result = cms.post("/stimuli/own-initiative", {"to_state": "FR", "by": "COMPETENT_AUTHORITY",
                                                  "information": "seen at the border"})
    return [p for p in message(network, result["message_ids"][0])["cc"] if p != "EUROPOL"]


def no_spoc_copy_for_authority_reply(cms: Cms, network: Network) -> list[str]:
    """The copies of the competent authority's reply to a foreign SPOC's direct request (Art 8(1))."""
    held(cms)
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, to=f"LEA-{cms.state}", cc=[spoc(cms)],
                                                subject="Greta Holm"))
    cms.case_of(sent["message_id"])
    reply = first_answer(cms, network, reference, kinds=("REPLY",))
    assert reply["sender"] == f"LEA-{cms.state}"
    return [p for p in reply["cc"] if p != "EUROPOL"]


def copies_withheld_for_restricted_handling(cms: Cms, network: Network) -> tuple[list[str], Any, Any]:
    """An H2 request of the competent authority to a German one: its copies and the Art 8(3) ground recorded."""
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "by": "COMPETENT_AUTHORITY",
                                                     "to": "COMPETENT_AUTHORITY", "subject": "Ole Brun", "items": ["x"],
                                                     "use_restrictions": "Investigation only (H2)"})
    sent = message(network, result["message_ids"][0])
    return (sorted(p for p in sent["cc"] if p != "EUROPOL"), sent["directive"].get("copy_exception"),
            cms.case(result["case_id"])["copy_exception"])


def judicial_application_next_working_day(cms: Cms, network: Network) -> timedelta:
    """How long after receipt the requester hears that judicial authorisation is being sought."""
    held(cms, judicial_authorisation="GRANTED", judicial_decision_after_hours=10)
    reference, sent = ask(cms, network)
    notice = first_answer(cms, network, reference, LONGEST_OFFICE_CLOSURE, kinds=("DELAY_NOTICE",))
    return parse_time(notice["created_at"]) - parse_time(sent["created_at"])


def out_of_date_data_provided(cms: Cms, network: Network) -> tuple[str, list[str]]:
    """The answer to a request for a record the register marks out of date: its kind and grounds or accuracy."""
    held(cms, refusal_ground="DQ")
    reference, _ = ask(cms, network)
    directive = first_answer(cms, network, reference)["directive"]
    if directive["kind"] == "REFUSAL":
        return "REFUSAL", list(directive["refusal_grounds"])
    return str(directive["kind"]), [str(i.get("information_accuracy")) for i in directive["information"]]


def outgoing(cms: Cms, network: Network, **body: Any) -> tuple[Json, Json]:
    """The CMS sends a request when told to; returns the stimulus result and the message the channel carried."""
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "subject": "Ole Brun", "items": ["address"],
                                                     **body})
    return result, message(network, result["message_ids"][0])


def request_in_own_language(cms: Cms, network: Network) -> str:
    _, sent = outgoing(cms, network, to_state="FR")
    return str(sent["directive"]["request"]["language"])


def request_without_subject_link(cms: Cms, network: Network) -> Any:
    _, sent = outgoing(cms, network)
    return sent["directive"]["request"].get("subject_link")


def no_necessity_statement(cms: Cms, network: Network) -> Any:
    _, sent = outgoing(cms, network)
    return sent["directive"]["request"].get("necessity_proportionality")


def urgency_not_flagged_on_siena(cms: Cms, network: Network) -> tuple[Any, Any]:
    """An urgent request: the SIENA priority, and the urgency its content states."""
    _, sent = outgoing(cms, network, urgent=True, urgency_criteria=["U-LIFE"],
                       urgency_reasons="imminent threat to life")
    return sent["payload"].get("urgency"), sent["directive"]["request"]["urgent"]


def deadline_in_working_days(cms: Cms, network: Network) -> tuple[timedelta, timedelta]:
    """A non-urgent request: the CMS's deadline and its answer, each counted from receipt."""
    held(cms)
    reference, sent = ask(cms, network)
    received = parse_time(sent["created_at"])
    answer = first_answer(cms, network, reference, timedelta(days=14))
    case = cms.case_of(sent["message_id"])
    return parse_time(case["deadline_due"]) - received, parse_time(answer["created_at"]) - received


def office_hours_only(cms: Cms, network: Network) -> timedelta:
    """How long an urgent request for directly available information received on a Saturday at 02:00 waits."""
    zone = ZoneInfo(state_of(cms.state).timezone)
    local = network.now().astimezone(zone)
    saturday = local.date() + timedelta(days=(5 - local.weekday()) % 7 or 7)
    network.set_clock(datetime.combine(saturday, datetime.min.time(), tzinfo=zone).replace(hour=2))
    cms.settle()
    held(cms)
    reference, sent = ask(cms, network, urgent=True)
    reply = first_answer(cms, network, reference, LONGEST_OFFICE_CLOSURE)
    return parse_time(reply["created_at"]) - parse_time(sent["created_at"])


def copy_exception_not_recorded(cms: Cms, network: Network) -> tuple[Any, ...]:
    """Copies withheld on a ground (Art 4(2), Art 5(3) §3): the copies sent, and where the ground is recorded."""
    result, request = outgoing(cms, network, by="DESIGNATED_AUTHORITY", copy_exception="PERSON_SAFETY")
    held(cms)
    reference = network.reference()
    asked = network.send("DLEA-DE", request_body(reference, sender="DLEA-DE", to=spoc(cms), subject="Greta Holm",
                                                 requester_type="DESIGNATED_AUTHORITY",
                                                 copy_exception="SENSITIVE_INVESTIGATION"))
    cms.case_of(asked["message_id"])
    reply = first_answer(cms, network, reference, kinds=("REPLY",))
    return (request["cc"], request["directive"].get("copy_exception"), cms.case(result["case_id"])["copy_exception"],
            [p for p in reply["cc"] if p != "EUROPOL"], reply["directive"].get("copy_exception"),
            cms.case_of(asked["message_id"])["copy_exception"])


def hand_over_outside_cms(cms: Cms, network: Network) -> tuple[list[tuple[str, str]], bool]:
    """The case's communications with the domestic authority, and whether the request was answered."""
    held(cms)
    reference, sent = ask(cms, network)
    case_id = cms.case_of(sent["message_id"])["case_id"]
    cms.post(f"/cases/{case_id}/decision", {"action": "hand_over", "reasons": "the local police keep the register"})
    first_answer(cms, network, reference, kinds=("REPLY",))
    national = [(c["direction"], c["kind"]) for c in cms.case(case_id)["communications"] if c["channel"] == "NATIONAL"]
    return national, True


def partial_refusal_not_sent(cms: Cms, network: Network) -> tuple[list[str], list[str]]:
    """The answers sent (I1 is held, I2 is not), and the item states the case records."""
    held(cms)
    reference = network.reference()
    body = request_body(reference, to=spoc(cms), subject="Greta Holm")
    request = body["directive"]["request"]
    request["entities"].append({"entity_id": "E2", "type": "PERSON", "attributes": {"name": "Not Held"}})
    request["items"].append({"item_id": "I2", "description": "record", "entity_id": "E2"})
    sent = network.send("SPOC-DE", body)
    cms.case_of(sent["message_id"])
    first_answer(cms, network, reference, kinds=("REPLY",))
    case = cms.case_of(sent["message_id"])
    kinds = sorted(m["directive"]["kind"] for m in answers(network, reference))
    return kinds, sorted(i["state"] for i in case["items"])


def clarification_request_not_answered(cms: Cms, network: Network) -> list[str]:
    """What the state sent after the requested SPOC asked it to clarify its request."""
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "subject": "Ole Brun", "items": ["address"]})
    request = message(network, result["message_ids"][0])
    asked = network.send("SPOC-DE", {
        **request_body(result["reference"], sender="SPOC-DE", to=request["sender"]),
        "in_reply_to": request["message_id"],
        "directive": {"kind": "CLARIFICATION_REQUEST", "case_reference": result["reference"],
                      "language": request["directive"]["language"], "questions": "date of birth?"}})
    cms.case_of(asked["message_id"])
    return [m["directive"]["kind"] for m in network.exchange(result["reference"])
            if m["sender"] == request["sender"] and m["message_id"] != request["message_id"]]


def ncb_exchanges_outside_cms(cms: Cms, network: Network) -> tuple[bool, bool, bool]:
    """Whether the NCB's request on Interpol was answered, is in the case export, and in the message log."""
    held(cms)
    reference = network.reference()
    directive = {**request_body(reference, to=spoc(cms), subject="Greta Holm")["directive"], "channel_exception": "3C"}
    sent = network.send("NCB-DE", {"kind": "MESSAGE", "sender": "NCB-DE", "to": [f"NCB-{cms.state}"], "language": "en",
                                   "subject": f"Request {reference}", "body": "request", "directive": directive},
                        channel="interpol")
    cms.run_until(lambda: bool(answers(network, reference)), timedelta(days=2), "an answer on Interpol")
    logged = {m["message_id"] for m in cms.get("/messages")["messages"]}
    return (bool(answers(network, reference)), bool(cms.get("/cases", message_id=sent["message_id"])["cases"]),
            sent["message_id"] in logged)


def authority_reply_outside_cms(cms: Cms, network: Network) -> list[tuple[str, Any]]:
    """How the competent authority's reply to a direct request (copied to its SPOC) is recorded in the case."""
    held(cms)
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, to=f"LEA-{cms.state}", cc=[spoc(cms)],
                                                subject="Greta Holm"))
    cms.case_of(sent["message_id"])
    reply = first_answer(cms, network, reference, kinds=("REPLY",))
    case = cms.case_of(sent["message_id"])
    return sorted(((c["direction"], c["received_by"]) for c in case["communications"]
                   if c["message_id"] == reply["message_id"]), key=str)


def statistics_compiled_by_hand(cms: Cms, network: Network) -> tuple[bool, Any]:
    """Whether the statistics export gives the figures, and the problem status it answers otherwise."""
    body = cms.get("/statistics", expect=(200, 501), year=network.now().year)
    return "requests_received" in body, body.get("status")


def automated_processing_without_actor(cms: Cms, network: Network) -> list[str]:
    """The actors of the audit entries of a request answered by the automated policy."""
    held(cms)
    reference, sent = ask(cms, network)
    first_answer(cms, network, reference)
    case_id = cms.case_of(sent["message_id"])["case_id"]
    return [e["actor"] for e in cms.get("/audit-log", case_id=case_id)["entries"]]


def statistics_last_twelve_months(cms: Cms, network: Network) -> int:
    """How much the previous calendar year's figure grows with a request received this year."""
    year = network.now().year - 1
    before = cms.get("/statistics", year=year)["requests_received"]["total"]
    held(cms)
    ask(cms, network)
    return int(cms.get("/statistics", year=year)["requests_received"]["total"] - before)


def statistics_ignore_competent_authorities(cms: Cms, network: Network) -> tuple[int, int]:
    """Growth of requests submitted by competent authorities and of those received by one, after one of each."""
    before = statistics(cms, network)
    cms.post("/stimuli/outgoing-request", {"to_state": "DE", "by": "COMPETENT_AUTHORITY", "to": "COMPETENT_AUTHORITY",
                                           "subject": "Ole Brun", "items": ["x"]})
    sent = network.send("SPOC-DE", request_body(network.reference(), to=f"LEA-{cms.state}", cc=[spoc(cms)]))
    cms.case_of(sent["message_id"])
    after = statistics(cms, network)
    submitted, received = "requests_submitted", "requests_received_by_receiver"
    return (after[submitted]["by_competent_authorities"] - before[submitted]["by_competent_authorities"],
            after[received].get("COMPETENT_AUTHORITY", 0) - before[received].get("COMPETENT_AUTHORITY", 0))


def retention_review_without_erasure(cms: Cms, network: Network) -> tuple[int, bool]:
    """After the first retention review: the case's erasure entries, and whether it still names the person.

    Moves network time past the review, about six months on (so it runs on a network of its own).
    """
    subject = "Mara Lindqvist"
    held(cms, subject=subject)
    reference, sent = ask(cms, network, subject=subject)
    first_answer(cms, network, reference)
    case = cms.case_of(sent["message_id"])
    network.set_clock(parse_time(case["retention_review_due"]) + timedelta(minutes=1))
    cms.run_until(lambda: any(e["kind"] == "RETENTION_REVIEW" for e in cms.case(case["case_id"])["events"]),
                  timedelta(hours=1), "the retention review")
    erasures = [e for e in cms.get("/audit-log", case_id=case["case_id"])["entries"] if e["operation"] == "ERASURE"]
    return len(erasures), subject.casefold() in json.dumps(cms.case(case["case_id"])).casefold()


def erasure_leaves_traces(cms: Cms, network: Network) -> tuple[int, bool, bool]:
    """After the first retention review: erasure entries, whether the case record and the audit log still
    name the person. Moves network time about six months on (a network of its own)."""
    subject = "Ilse Varenholt"
    held(cms, subject=subject)
    reference, sent = ask(cms, network, subject=subject)
    first_answer(cms, network, reference)
    case = cms.case_of(sent["message_id"])
    network.set_clock(parse_time(case["retention_review_due"]) + timedelta(minutes=1))
    cms.run_until(lambda: any(e["kind"] == "RETENTION_REVIEW" for e in cms.case(case["case_id"])["events"]),
                  timedelta(hours=1), "the retention review")
    audit = cms.get("/audit-log", case_id=case["case_id"])["entries"]
    erasures = [e for e in audit if e["operation"] == "ERASURE"]
    return (len(erasures), subject.casefold() in json.dumps(cms.case(case["case_id"])).casefold(),
            subject.casefold() in json.dumps(audit).casefold())


# -- defects only one combination of the dimensions shows (generated exchanges reach them) ------------


def _designated_request(cms: Cms, network: Network, **options: Any) -> tuple[str, Json]:
    reference = network.reference()
    sent = network.send("DLEA-DE", request_body(reference, sender="DLEA-DE", to=spoc(cms),
                                                requester_type="DESIGNATED_AUTHORITY", subject="Greta Holm",
                                                **options))
    cms.case_of(sent["message_id"])
    return reference, sent


def urgent_designated_request_without_spoc_copy(cms: Cms, network: Network) -> list[str]:
    result = cms.post("/stimuli/outgoing-request", {
        "to_state": "DE", "by": "DESIGNATED_AUTHORITY", "subject": "Ole Brun", "items": ["address"], "urgent": True,
        "urgency_criteria": ["U-LIFE"], "urgency_reasons": "an attack is planned within 24 hours"})
    return list(message(network, result["message_ids"][0])["cc"])


def urgent_designated_requests_via_interpol(cms: Cms, network: Network) -> tuple[str, str | None]:
    result = cms.post("/stimuli/outgoing-request", {
        "to_state": "DE", "by": "DESIGNATED_AUTHORITY", "subject": "Ole Brun", "items": ["address"], "urgent": True,
        "urgency_criteria": ["U-LIFE"], "urgency_reasons": "an attack is planned within 24 hours"})
    sent = message(network, result["message_ids"][0])
    return sent["channel"], sent["directive"].get("channel_exception")


def urgent_designated_reply_without_copy(cms: Cms, network: Network) -> list[str]:
    """The copies of the reply to an urgent request of the German designated authority."""
    held(cms)
    reference, _ = _designated_request(cms, network, urgent=True)
    reply = first_answer(cms, network, reference, timedelta(days=1), kinds=("REPLY",))
    return [p for p in reply["cc"] if p != "EUROPOL"]


def urgent_authority_reply_without_spoc_copy(cms: Cms, network: Network) -> list[str]:
    """The copies of the competent authority's reply to an urgent direct request of a foreign SPOC."""
    held(cms)
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, to=f"LEA-{cms.state}", cc=[spoc(cms)],
                                                subject="Greta Holm", urgent=True))
    cms.case_of(sent["message_id"])
    reply = first_answer(cms, network, reference, timedelta(days=1), kinds=("REPLY",))
    return [p for p in reply["cc"] if p != "EUROPOL"]


def urgent_request_skips_consent_check(cms: Cms, network: Network) -> tuple[str, list[str]]:
    """The answer to an urgent request for a record France gave without consenting to its provision."""
    held(cms, originator_state="FR", originator_consent=False)
    reference, _ = ask(cms, network, urgent=True)
    directive = first_answer(cms, network, reference, timedelta(days=1))["directive"]
    return str(directive["kind"]), list(directive.get("refusal_grounds") or [])


def refusal_in_english(cms: Cms, network: Network) -> tuple[str, str]:
    held(cms, refusal_ground="NS")
    reference, _ = ask(cms, network, language="de")
    directive = first_answer(cms, network, reference)["directive"]
    return str(directive["kind"]), str(directive["language"])


def contacts_and_informants_as_suspects(cms: Cms, network: Network) -> list[str]:
    held(cms, subject_category="CONTACT", data_categories=["PERSONAL_DETAILS", "FINANCIAL"])
    reference, _ = ask(cms, network)
    reply = first_answer(cms, network, reference, kinds=("REPLY",))
    return list(reply["directive"]["information"][0]["data_categories"])


def designated_authority_requests_office_hours_only(cms: Cms, network: Network) -> timedelta:
    """How long an urgent request of a foreign designated authority received on a Saturday at 02:00 waits."""
    zone = ZoneInfo(state_of(cms.state).timezone)
    local = network.now().astimezone(zone)
    saturday = local.date() + timedelta(days=(5 - local.weekday()) % 7 or 7)
    network.set_clock(datetime.combine(saturday, datetime.min.time(), tzinfo=zone).replace(hour=2))
    cms.settle()
    held(cms)
    reference, sent = _designated_request(cms, network, urgent=True)
    reply = first_answer(cms, network, reference, LONGEST_OFFICE_CLOSURE)
    return parse_time(reply["created_at"]) - parse_time(sent["created_at"])


# -- expectations ---------------------------------------------------------------------------


REGISTER_DATE = "2025-11-04T09:15:00+00:00"


def subject_category_from_request(cms: Cms, network: Network) -> tuple[Any, list[str]]:
    """The register holds a witness the requester calls a suspect: the label and categories provided."""
    held(cms, subject_category="WITNESS", data_categories=["PERSONAL_DETAILS", "FINANCIAL"])
    reference, _ = ask(cms, network)
    item = first_answer(cms, network, reference)["directive"]["information"][0]
    return item.get("subject_category"), list(item["data_categories"])


def last_updated_from_import(cms: Cms, network: Network) -> Any:
    held(cms, last_updated=REGISTER_DATE)
    reference, _ = ask(cms, network)
    return first_answer(cms, network, reference)["directive"]["information"][0].get("last_updated")


def audit_without_alterations(cms: Cms, network: Network) -> set[str]:
    """The request's subject is held: the cross-check links the record to the case (a combination)."""
    held(cms)
    _, sent = ask(cms, network)
    case_id = cms.case_of(sent["message_id"])["case_id"]
    return {e["operation"] for e in cms.get("/audit-log", case_id=case_id)["entries"]}


def no_delay_updates(cms: Cms, network: Network) -> int:
    """Delay notices within three days of a request whose judicial authorisation stays pending (then granted)."""
    held(cms, judicial_authorisation="PENDING")
    reference, sent = ask(cms, network)

    def notices() -> int:
        return sum(1 for m in answers(network, reference) if m["directive"]["kind"] == "DELAY_NOTICE")

    with contextlib.suppress(AssertionError):
        cms.run_until(lambda: notices() >= 3, timedelta(days=3), "three delay notices")
    seen = notices()
    court_decides(cms, sent)
    return seen


def copy_exception_defaulted(cms: Cms, network: Network) -> tuple[list[str], Any]:
    _, request = outgoing(cms, network, by="DESIGNATED_AUTHORITY")
    return list(request["cc"]), request["directive"].get("copy_exception")


def fallback_labelled_third_country(cms: Cms, network: Network) -> tuple[str, str | None] | None:
    return no_fallback_on_siena_outage(cms, network)


# -- defects on paths only the conclusion, a request naming no one, or another channel reach ----------------


def answers_within(cms: Cms, network: Network, reference: str, horizon: timedelta) -> list[Json]:
    """The answers to `reference` once one came or `horizon` passed (none is an observation, not a failure)."""
    with contextlib.suppress(AssertionError):
        cms.run_until(lambda: bool(answers(network, reference)), horizon, f"an answer to {reference}")
    return answers(network, reference)


def second_hand_over_dropped(cms: Cms, network: Network) -> tuple[int, int]:
    """Two requests for information another authority holds, the second received while the first waits for it:
    how many opened a case, and how many were answered."""
    held(cms, availability="INDIRECT")
    sent: list[tuple[str, Json]] = []
    for _ in range(2):
        reference = network.reference()
        sent.append((reference, network.send("SPOC-DE", request_body(reference, to=spoc(cms), subject="Greta Holm"))))
    cms.case_of(sent[0][1]["message_id"])
    answered = sum(1 for reference, _ in sent if answers_within(cms, network, reference, timedelta(days=2)))
    # Counted once the answers are due: every delivery has long been received and processed by then.
    cases = sum(1 for _, envelope in sent if cms.get("/cases", message_id=envelope["message_id"])["cases"])
    return cases, answered


def only_open_cases_conclude(cms: Cms, network: Network) -> tuple[str, bool]:
    """The status of a case once the court's grant let its only item be provided, and whether it has concluded_at."""
    held(cms, judicial_authorisation="GRANTED", judicial_decision_after_hours=10)
    reference, sent = ask(cms, network)
    first_answer(cms, network, reference, timedelta(days=1), kinds=("REPLY",))
    case = cms.case_of(sent["message_id"])
    return case["status"], case.get("concluded_at") is not None


def subjectless_requests_never_queued(cms: Cms, network: Network) -> list[tuple[str, list[str]]]:
    """The answers to a request about a telephone number named only in its text (no person or object)."""
    reference = network.reference()
    body = request_body(reference, to=spoc(cms), items=("subscriber of +43 660 1234567",))
    request = body["directive"]["request"]
    request["entities"] = []
    request["items"] = [{"item_id": "I1", "description": "subscriber of +43 660 1234567"}]
    request.pop("subject_link")
    sent = network.send("SPOC-DE", body)
    cms.case_of(sent["message_id"])
    return [(m["directive"]["kind"], m["directive"].get("refusal_grounds", []))
            for m in answers_within(cms, network, reference, timedelta(days=8))]


def interpol_drops_own_state_copies(cms: Cms, network: Network) -> list[tuple[str, list[str], Any]]:
    """The domestic copies a designated authority's request over Interpol (a third country involved) records."""
    result = cms.post("/stimuli/outgoing-request", {
        "to_state": "DE", "by": "DESIGNATED_AUTHORITY", "subject": "Ole Brun", "items": ["address"],
        "third_countries": ["US"]})
    case = cms.case(result["case_id"])
    return [(c["channel"], c["recipients"], c.get("copy_reason")) for c in case["communications"]
            if c["channel"] == "NATIONAL"]


def sirene_requests_filed_as_sirene_business(cms: Cms, network: Network) -> list[tuple[str, str, list[str]]]:
    """The answers to an urgent request the German SIRENE bureau sends as an E form (Art 13(2)(b))."""
    held(cms)
    reference = network.reference()
    directive = {**request_body(reference, to=spoc(cms), subject="Greta Holm", urgent=True)["directive"],
                 "channel_exception": "URG"}
    form = {"form_type": "E", "f001_sent_at_utc": iso(network.now()), "f002_form_ref": reference,
            "f003_sender_bureau": "SIRENE-DE", "f004_recipient_bureaux": [f"SIRENE-{cms.state}"],
            "f083_information": "criminal record of Greta Holm", "language": "en", "f311_important": "URGENT",
            "f311_reason": "imminent threat to life", "directive": directive}
    sent = network.send("SIRENE-DE", form, channel="sirene")
    cms.case_of(sent["message_id"])
    return [(m["directive"]["kind"], m["channel"], m["to"])
            for m in answers_within(cms, network, reference, timedelta(days=1))]


def clarification_answered_without_content(cms: Cms, network: Network) -> Any:
    """The offence the state's CLARIFICATION states when the requested SPOC asks for it (None: not stated)."""
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "subject": "Ole Brun", "items": ["address"],
                                                     "offence": "burglary of a pharmacy"})
    request = message(network, result["message_ids"][0])
    asked = network.send("SPOC-DE", {
        **request_body(result["reference"], sender="SPOC-DE", to=request["sender"]),
        "in_reply_to": request["message_id"],
        "directive": {"kind": "CLARIFICATION_REQUEST", "case_reference": result["reference"],
                      "language": request["directive"]["language"], "questions": "Which offence?"}})
    cms.case_of(asked["message_id"])
    answer = next(m for m in network.exchange(result["reference"]) if m["directive"]["kind"] == "CLARIFICATION")
    return (answer["directive"].get("amended_request") or {}).get("offence")


def answers_filed_by_reference_only(cms: Cms, network: Network) -> bool:
    """Whether the case of the state's request records a reply that threads to it but quotes the German SPOC's
    own reference."""
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "subject": "Ole Brun", "items": ["address"]})
    request = message(network, result["message_ids"][0])
    own_reference = network.reference()
    reply = network.send("SPOC-DE", {
        **request_body(own_reference, sender="SPOC-DE", to=request["sender"]),
        "in_reply_to": request["message_id"],
        "directive": {"kind": "REPLY", "case_reference": own_reference, "language": request["directive"]["language"],
                      "information": [{"item_id": "I1", "content": "no record", "data_categories": []}]}})
    cms.case_of(reply["message_id"])
    return any(c["message_id"] == reply["message_id"] for c in cms.case(result["case_id"])["communications"])


def own_requests_left_open_when_answered(cms: Cms, network: Network) -> tuple[str, str | None, bool]:
    """The status, outcome and concluded_at of the state's request once the German SPOC's reply is filed."""
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "subject": "Ole Brun", "items": ["address"]})
    request = message(network, result["message_ids"][0])
    reply = network.send("SPOC-DE", {
        **request_body(request["directive"]["case_reference"], sender="SPOC-DE", to=request["sender"]),
        "in_reply_to": request["message_id"],
        "directive": {"kind": "REPLY", "case_reference": request["directive"]["case_reference"],
                      "language": request["directive"]["language"],
                      "information": [{"item_id": "I1", "content": "no record", "data_categories": []}]}})
    cms.case_of(reply["message_id"])
    case = cms.case(result["case_id"])
    return case["status"], case.get("outcome"), case.get("concluded_at") is not None


def separate_copies_filed_apart(cms: Cms, network: Network) -> bool:
    """Whether the case of a designated authority's request records the Finnish SPOC's Art 5(3) copy, sent as a
    message of its own under the Finnish reference, naming the reply it copies."""
    result = cms.post("/stimuli/outgoing-request", {"to_state": "FI", "subject": "Ole Brun", "items": ["address"],
                                                    "by": "DESIGNATED_AUTHORITY"})
    request = message(network, result["message_ids"][0])
    own_reference = network.reference()
    reply_directive = {"kind": "REPLY", "case_reference": own_reference, "language": request["directive"]["language"],
                       "information": [{"item_id": "I1", "content": "no record", "data_categories": []}]}
    reply = network.send("SPOC-FI", {**request_body(own_reference, sender="SPOC-FI", to=request["sender"]),
                                     "in_reply_to": request["message_id"], "directive": reply_directive})
    cms.case_of(reply["message_id"])
    copy = network.send("SPOC-FI", {
        **request_body(own_reference, sender="SPOC-FI", to=spoc(cms)),
        "directive": {"kind": "COPY", "case_reference": own_reference, "language": reply_directive["language"],
                      "copy_reason": "ART_5_3", "copy_of": reply["message_id"], "original": reply_directive}})
    cms.case_of(copy["message_id"])
    return any(c["message_id"] == copy["message_id"] for c in cms.case(result["case_id"])["communications"])


def answer_copy_processed_again(cms: Cms, network: Network) -> str | None:
    """The outcome of a designated authority's request that the German SPOC answers in part: a reply (item I1) and
    a refusal (item I2), each to the authority with the Art 5(3) copy to the SPOC, so each reaches two mailboxes."""
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "subject": "Ole Brun",
                                                    "by": "DESIGNATED_AUTHORITY",
                                                    "items": ["criminal record", "address"]})
    request = message(network, result["message_ids"][0])
    reference = request["directive"]["case_reference"]
    language = request["directive"]["language"]
    answers = [
        {"kind": "REPLY", "case_reference": reference, "language": language,
         "information": [{"item_id": "I1", "content": "no record", "data_categories": []}]},
        {"kind": "REFUSAL", "case_reference": reference, "language": language, "refused_items": ["I2"],
         "refusal_grounds": ["NA"], "refusal_reasons": "I2: no address is held"},
    ]
    for directive in answers:
        sent = network.send("SPOC-DE", {**request_body(reference, sender="SPOC-DE", to=request["sender"],
                                                       cc=[spoc(cms)]),
                                        "in_reply_to": request["message_id"], "directive": directive})
        cms.case_of(sent["message_id"])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len([c for c in cms.case(result["case_id"])["communications"]
                                                   if c["message_id"] == sent["message_id"]]) < 2:
            time.sleep(0.05)
        cms.settle()
    return cms.case(result["case_id"]).get("outcome")


def domestic_disclosures_logged_as_collections(cms: Cms, network: Network) -> list[tuple[str, str | None]]:
    """The audit entries of a request's hand-over to the local police (Art 14(2)(b)): operation and recipient."""
    held(cms)
    _, sent = ask(cms, network)
    case_id = cms.case_of(sent["message_id"])["case_id"]
    cms.post(f"/cases/{case_id}/decision", {"action": "hand_over", "reasons": "the local police keep the register"})
    national = {c["message_id"] for c in cms.case(case_id)["communications"] if c["kind"] == "HAND_OVER"}
    return [(e["operation"], e.get("recipient")) for e in cms.get("/audit-log", case_id=case_id)["entries"]
            if e.get("message_id") in national]


def answers_filed_by_thread_only(cms: Cms, network: Network) -> tuple[bool, str | None]:
    """The German SPOC answers one of the CMS's own requests in a new message, outside the request's thread,
    quoting its case reference: whether the reply is filed in the request's case, and the case's outcome."""
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "subject": "Ida Lund", "items": ["address"]})
    request = message(network, result["message_ids"][0])
    reference = request["directive"]["case_reference"]
    reply = {"kind": "REPLY", "case_reference": reference, "language": request["directive"]["language"],
             "information": [{"item_id": "I1", "content": "no address is held", "data_categories": []}]}
    sent = network.send("SPOC-DE", {**request_body(reference, sender="SPOC-DE", to=request["sender"]),
                                    "directive": reply})
    cms.case_of(sent["message_id"])
    case = cms.case(result["case_id"])
    return any(c["message_id"] == sent["message_id"] for c in case["communications"]), case.get("outcome")


def answer_timer_ignores_judicial_wait(cms: Cms, network: Network) -> list[tuple[str, str]]:
    """The case's communications with the domestic authority two days after a request awaiting the court was
    handed over to it (the court does not decide in that time; it grants afterwards)."""
    held(cms, judicial_authorisation="PENDING", availability="INDIRECT")
    _, sent = ask(cms, network)
    case_id = cms.case_of(sent["message_id"])["case_id"]
    cms.post(f"/cases/{case_id}/decision", {"action": "hand_over", "reasons": "the authority applies to the court"})

    def national() -> list[tuple[str, str]]:
        return [(c["direction"], c["kind"]) for c in cms.case(case_id)["communications"] if c["channel"] == "NATIONAL"]

    with contextlib.suppress(AssertionError):
        cms.run_until(lambda: len(national()) > 1, timedelta(days=2), "a second communication with the authority")
    seen = national()
    court_decides(cms, sent)
    return seen


def copy_read_first_files_request_as_copy(cms: Cms, network: Network) -> list[str]:
    """The answers to a direct request to the domestic authority whose copy to the SPOC is processed first."""
    held(cms)
    reference = network.reference()
    lea = f"LEA-{cms.state}"
    network.faults([{"channel": "SIENA", "party": lea, "type": "outage", "params": {"mode": "503"}}])
    try:
        sent = network.send("SPOC-DE", request_body(reference, to=lea, cc=[spoc(cms)], subject="Greta Holm"))
        cms.case_of(sent["message_id"])
    finally:
        network.clear_faults()
    network.advance(timedelta(seconds=1))  # the held-back push to the authority follows

    def received_by() -> list[str]:
        return [c["received_by"] for case in cms.get("/cases", message_id=sent["message_id"])["cases"]
                for c in cms.case(case["case_id"])["communications"] if c["message_id"] == sent["message_id"]]

    deadline = time.monotonic() + 15
    while len(received_by()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(received_by()) == sorted([spoc(cms), lea]), received_by()
    with contextlib.suppress(AssertionError):
        first_answer(cms, network, reference, timedelta(days=1), kinds=("REPLY",))
    return [m["directive"]["kind"] for m in answers(network, reference)]


# -- an outside tester's set (benchmarks/outside-defects.md) -------------------------------------------------


def designated_urgent_request_without_reasons(cms: Cms, network: Network) -> str | None:
    """The urgency reasons of an urgent request the designated authority sends, criteria ticked."""
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "by": "DESIGNATED_AUTHORITY", "urgent": True,
                                                     "urgency_criteria": ["U-LIFE"], "subject": "Ole Brun",
                                                     "items": ["address"]})
    reasons = message(network, result["message_ids"][0])["directive"]["request"].get("urgency_reasons")
    return str(reasons) if reasons else None


def urgent_indirect_waits_for_working_day(cms: Cms, network: Network) -> timedelta:
    """How long an urgent request for indirectly available information received on a Saturday at 02:00 waits."""
    zone = ZoneInfo(state_of(cms.state).timezone)
    local = network.now().astimezone(zone)
    saturday = local.date() + timedelta(days=(5 - local.weekday()) % 7 or 7)
    network.set_clock(datetime.combine(saturday, datetime.min.time(), tzinfo=zone).replace(hour=2))
    cms.settle()
    held(cms, availability="INDIRECT")
    reference, sent = ask(cms, network, urgent=True)
    reply = first_answer(cms, network, reference, LONGEST_OFFICE_CLOSURE)
    return parse_time(reply["created_at"]) - parse_time(sent["created_at"])


def delay_updates_stop_at_estimate(cms: Cms, network: Network) -> int:
    """Delay-notice updates in the 50 hours after a request whose court (expected in 10 hours) is late."""
    held(cms, judicial_authorisation="PENDING", judicial_decision_after_hours=10)
    reference, sent = ask(cms, network)

    def updates() -> int:
        return sum(1 for m in answers(network, reference)
                   if m["directive"]["kind"] == "DELAY_NOTICE" and m["directive"]["delay"]["status"] == "UPDATE")

    with contextlib.suppress(AssertionError):
        cms.run_until(lambda: updates() >= 2, timedelta(hours=50), "two updates")
    seen = updates()
    court_decides(cms, sent)
    return seen


def court_decides(cms: Cms, sent: Json) -> None:
    """The court grants a PENDING authorisation, so that no update stays planned for the shared CMS's later tests."""
    cms.post(f"/cases/{cms.case_of(sent['message_id'])['case_id']}/decision", {"action": "judicial_granted"})
    cms.settle()


def delay_notice_in_own_language(cms: Cms, network: Network) -> str:
    """The language of the delay notice on a request made in English."""
    held(cms, judicial_authorisation="PENDING")
    reference, sent = ask(cms, network, language="en")
    language = str(first_answer(cms, network, reference, kinds=("DELAY_NOTICE",))["directive"]["language"])
    court_decides(cms, sent)
    return language


def third_country_consent_not_checked(cms: Cms, network: Network) -> tuple[str, list[str]]:
    """The answer about a record the United States gave without consenting to its provision."""
    held(cms, originator_state="US", originator_consent=False)
    reference, _ = ask(cms, network)
    directive = first_answer(cms, network, reference)["directive"]
    return str(directive["kind"]), list(directive.get("refusal_grounds") or [])


def authority_to_authority_own_initiative_one_copy(cms: Cms, network: Network) -> list[str]:
    """The copies of the competent authority's own-initiative information to a German competent authority."""
    result = cms.post("/stimuli/own-initiative", {"to_state": "DE", "by": "COMPETENT_AUTHORITY",
                                                   "to": "COMPETENT_AUTHORITY", "subject": "Ole Brun",
                                                   "information": "seen at the border"})
    return sorted(p for p in message(network, result["message_ids"][0])["cc"] if p != "EUROPOL")


def own_initiative_unknown_category_unfiltered(cms: Cms, network: Network) -> list[str]:
    """The categories sent of own-initiative information on a person of no stated category."""
    result = cms.post("/stimuli/own-initiative", {"to_state": "DE", "subject": "Ole Brun",
                                                   "data_categories": ["PERSONAL_DETAILS", "FINANCIAL"],
                                                   "information": "bank details of a witness"})
    sent = message(network, result["message_ids"][0])
    return sorted(sent["directive"]["information"][0]["data_categories"])


def europol_copy_dropped_on_fallback(cms: Cms, network: Network) -> bool:
    """Whether Europol gets its copy of a reply that fell back to Interpol in a SIENA outage."""
    held(cms)
    reference = network.reference()
    sent = network.send("SPOC-DE", request_body(reference, to=spoc(cms), subject="Greta Holm", europol=True))
    cms.case_of(sent["message_id"])
    network.faults([{"channel": "SIENA", "party": spoc(cms), "type": "outage", "params": {"mode": "503"}}])
    try:
        first_answer(cms, network, reference, timedelta(hours=8), kinds=("REPLY",))
    finally:
        network.clear_faults()

    def to_europol() -> bool:
        return any("EUROPOL" in [*m["to"], *m.get("cc", [])] for m in answers(network, reference))

    with contextlib.suppress(AssertionError):
        cms.run_until(to_europol, timedelta(hours=6), "the Europol copy")
    return to_europol()


def fallback_channel_kept_after_outage(cms: Cms, network: Network) -> str:
    """The channel of the information a court granted after SIENA came back, the case having fallen back."""
    held(cms, judicial_authorisation="PENDING", judicial_decision_after_hours=10)
    reference, sent = ask(cms, network)
    case_id = cms.case_of(sent["message_id"])["case_id"]
    network.faults([{"channel": "SIENA", "party": spoc(cms), "type": "outage", "params": {"mode": "503"}}])
    try:
        cms.run_until(lambda: any(m["channel"] == "INTERPOL" for m in answers(network, reference)),
                      timedelta(hours=30), "an update on the fallback")
    finally:
        network.clear_faults()
    cms.post(f"/cases/{case_id}/decision", {"action": "judicial_granted"})
    reply = first_answer(cms, network, reference, timedelta(hours=1), kinds=("REPLY",))
    return str(reply["channel"])


def disclosure_audits_main_addressee(cms: Cms, network: Network) -> list[str]:
    """The recipients the audit log names for the designated authority's request copied to its SPOC."""
    result = cms.post("/stimuli/outgoing-request", {"to_state": "DE", "by": "DESIGNATED_AUTHORITY",
                                                     "subject": "Ole Brun", "items": ["address"]})
    entries = cms.get("/audit-log", case_id=result["case_id"])["entries"]
    named = [e["recipient"] for e in entries
             if e["operation"] == "DISCLOSURE" and e["message_id"] == result["message_ids"][0]]
    return sorted(p.strip() for r in named for p in (r or "").split(","))


def partial_replies_not_counted_as_replied(cms: Cms, network: Network) -> tuple[int, int]:
    """How a request answered in part and refused in part moves the replied and refused counts."""
    quiesce(cms)
    before = statistics(cms, network)
    partial_refusal_not_sent(cms, network)
    after = statistics(cms, network)
    return (after["requests_replied"]["total"] - before["requests_replied"]["total"],
            after["requests_refused"]["total"] - before["requests_refused"]["total"])


@dataclass(frozen=True)
class Expectation:
    scenario: Callable[[Cms, Network], Any]
    correct: Callable[[Any], bool]
    defective: Callable[[Any], bool]
    state: str
    # The scenario moves network time by months: it runs on a network of its own (with its own correct
    # CMS), so that the shared clock stays where the other tests expect it.
    own_network: bool = False


H8 = timedelta(hours=8)
EXPECTED: dict[str, Expectation] = {
    "late-urgent-reply": Expectation(late_urgent_reply, lambda d: d <= H8, lambda d: d > H8, "BE"),
    "deadline-from-first-view": Expectation(deadline_from_first_view, lambda d: d == timedelta(days=7),
                                            lambda d: d > timedelta(days=7), "CZ"),
    "clarification-restarts-clock": Expectation(clarification_restarts_clock, lambda late: late <= timedelta(0),
                                                lambda late: late > timedelta(0), "HR"),
    "refusal-without-ground": Expectation(refusal_without_ground, lambda g: g == ["NS"], lambda g: g == [], "CY"),
    "refusal-of-indirect-information": Expectation(refusal_of_indirect_information, lambda k: k == "REPLY",
                                                   lambda k: k == "REFUSAL", "EE"),
    "reply-in-own-language": Expectation(reply_in_own_language, lambda lang: lang == "en",
                                         lambda lang: lang == "bg", "BG"),
    "english-not-accepted": Expectation(english_not_accepted, lambda k: k == "REPLY", lambda k: k == "REFUSAL", "FI"),
    "language-read-from-message-not-request": Expectation(language_read_from_message_not_request,
                                                          lambda k: k == "REPLY",
                                                          lambda k: k == "CLARIFICATION_REQUEST", "LI"),
    "no-spoc-copy-for-designated-request": Expectation(no_spoc_copy_for_designated_request, lambda cc: len(cc) == 1,
                                                       lambda cc: cc == [], "GR"),
    "late-copy": Expectation(late_copy, lambda d: d == timedelta(0), lambda d: d >= timedelta(hours=1), "HU"),
    "non-siena-without-exception": Expectation(non_siena_without_exception, lambda c: c == ("SIENA", None),
                                               lambda c: c == ("INTERPOL", None), "IE"),
    "no-fallback-on-siena-outage": Expectation(no_fallback_on_siena_outage, lambda r: r == ("INTERPOL", "INC"),
                                               lambda r: r is None, "IT"),
    "duplicate-delivery-opens-second-case": Expectation(duplicate_delivery_opens_second_case, lambda n: n == 1,
                                                        lambda n: n == 2, "LV"),
    "refused-counted-as-replied": Expectation(refused_counted_as_replied, lambda d: d == (0, 1),
                                              lambda d: d == (1, 1), "LT"),
    "statistics-without-state-breakdown": Expectation(statistics_without_state_breakdown,
                                                      lambda b: isinstance(b, dict) and "DE" in b,
                                                      lambda b: b is None, "LU"),
    "audit-without-consultations": Expectation(audit_without_consultations, lambda ops: "CONSULTATION" in ops,
                                               lambda ops: "CONSULTATION" not in ops and "COLLECTION" in ops, "MT"),
    "no-delay-notice-for-judicial": Expectation(no_delay_notice_for_judicial,
                                                lambda before: before[:1] == ["DELAY_NOTICE"],
                                                lambda before: "DELAY_NOTICE" not in before, "NL"),
    "partial-refusal-refuses-all": Expectation(partial_refusal_refuses_all, lambda ids: ids == {"I1"},
                                               lambda ids: ids == set(), "PL"),
    "no-europol-decision": Expectation(no_europol_decision, lambda o: o == (True, "COPY"), lambda o: o == (False, None),
                                       "PT"),
    "personal-data-outside-categories": Expectation(personal_data_outside_categories,
                                                    lambda c: c == ["PERSONAL_DETAILS"],
                                                    lambda c: "HEALTH" in c and "RELIGION" in c, "RO"),
    "ignores-harness-clock": Expectation(ignores_harness_clock, lambda o: o == (timedelta(0), True),
                                         lambda o: o[0] > timedelta(hours=1) and not o[1], "SK"),
    "no-reliability-elements": Expectation(no_reliability_elements, lambda o: all(o), lambda o: not any(o), "SI"),
    "no-cross-check": Expectation(no_cross_check, lambda n: n >= 1, lambda n: n == 0, "ES"),
    "late-retention-review": Expectation(late_retention_review, lambda d: d <= timedelta(days=183),
                                         lambda d: d > timedelta(days=183), "NO"),
    "refuses-instead-of-clarifying": Expectation(refuses_instead_of_clarifying,
                                                 lambda k: k == "CLARIFICATION_REQUEST",
                                                 lambda k: k == "REFUSAL", "CH"),
    "no-copy-to-foreign-spoc-for-direct-request": Expectation(no_copy_to_foreign_spoc_for_direct_request,
                                                              lambda cc: cc == ["SPOC-DE"], lambda cc: cc == [], "IS"),
    "own-initiative-in-own-language": Expectation(own_initiative_in_own_language, lambda lang: lang in ("fr", "en"),
                                                  lambda lang: lang == "hr", "HR"),
    "rekeyed-message-ids": Expectation(rekeyed_message_ids, lambda found: found, lambda found: not found, "LI"),
    "europol-copy-without-purposes": Expectation(europol_copy_without_purposes, lambda o: bool(o[0] and o[1]),
                                                 lambda o: o == ([], None), "BE"),
    "disclosure-without-recipient": Expectation(disclosure_without_recipient, lambda r: bool(r) and all(r),
                                                lambda r: bool(r) and not any(r), "CZ"),
    "copies-counted-as-requests": Expectation(copies_counted_as_requests, lambda n: n == 0, lambda n: n == 1, "EE"),
    "originator-consent-not-checked": Expectation(originator_consent_not_checked,
                                                  lambda o: o == ("REFUSAL", ["OC"]), lambda o: o[0] == "REPLY", "SE"),
    "own-initiative-not-recorded": Expectation(own_initiative_not_recorded, lambda found: found,
                                               lambda found: not found, "DK"),
    "serious-own-initiative-held-for-approval": Expectation(serious_own_initiative_held_for_approval,
                                                            lambda n: n == 1, lambda n: n == 0, "FR"),
    "no-spoc-copy-for-authority-own-initiative": Expectation(no_spoc_copy_for_authority_own_initiative,
                                                             lambda cc: len(cc) == 1 and cc[0].startswith("SPOC-"),
                                                             lambda cc: cc == [], "LV"),
    "no-spoc-copy-for-authority-reply": Expectation(no_spoc_copy_for_authority_reply, lambda cc: len(cc) == 1,
                                                    lambda cc: cc == [], "MT"),
    "copies-withheld-for-restricted-handling": Expectation(
        copies_withheld_for_restricted_handling, lambda o: len(o[0]) == 2 and o[1] is None,
        lambda o: o == ([], None, None), "PL"),
    "judicial-application-next-working-day": Expectation(judicial_application_next_working_day,
                                                         lambda d: d <= timedelta(minutes=5),
                                                         lambda d: d >= timedelta(hours=8), "IE"),
    "out-of-date-data-provided": Expectation(out_of_date_data_provided, lambda o: o == ("REFUSAL", ["DQ"]),
                                             lambda o: o == ("REPLY", ["4"]), "PT"),
    "request-in-own-language": Expectation(request_in_own_language, lambda lang: lang in ("fr", "en"),
                                           lambda lang: lang == "pl", "PL"),
    "request-without-subject-link": Expectation(request_without_subject_link, lambda link: bool(link),
                                                lambda link: link is None, "SE"),
    "no-necessity-statement": Expectation(no_necessity_statement, lambda text: bool(text),
                                          lambda text: text is None, "DK"),
    "urgency-not-flagged-on-siena": Expectation(urgency_not_flagged_on_siena, lambda o: o == ("URGENT", True),
                                                lambda o: o == ("NON_URGENT", True), "SK"),
    # Seven working days span at least nine calendar days (a weekend at least), kept at the same local time
    # of day: an hour less in UTC across the spring change of summer time.
    "deadline-in-working-days": Expectation(
        deadline_in_working_days, lambda o: o[0] == timedelta(days=7) and o[1] <= timedelta(days=7),
        lambda o: o[0] >= timedelta(days=9, hours=-1) and o[1] > timedelta(days=7), "RO"),
    "office-hours-only": Expectation(office_hours_only, lambda d: d <= H8, lambda d: d >= timedelta(hours=24), "FR"),
    "copy-exception-not-recorded": Expectation(
        copy_exception_not_recorded,
        lambda o: o == ([], "PERSON_SAFETY", "PERSON_SAFETY", [], "SENSITIVE_INVESTIGATION", "SENSITIVE_INVESTIGATION"),
        lambda o: o == ([], None, None, [], None, None), "LV"),
    "hand-over-outside-cms": Expectation(
        hand_over_outside_cms, lambda o: o == ([("OUTGOING", "HAND_OVER"), ("INCOMING", "HAND_BACK")], True),
        lambda o: o == ([], True), "LT"),
    "partial-refusal-not-sent": Expectation(partial_refusal_not_sent,
                                            lambda o: o == (["REFUSAL", "REPLY"], ["PROVIDED", "REFUSED"]),
                                            lambda o: o == (["REPLY"], ["PROVIDED", "REFUSED"]), "IS"),
    "clarification-request-not-answered": Expectation(clarification_request_not_answered,
                                                      lambda kinds: kinds == ["CLARIFICATION"],
                                                      lambda kinds: kinds == [], "BG"),
    "ncb-exchanges-outside-cms": Expectation(ncb_exchanges_outside_cms, lambda o: o == (True, True, True),
                                             lambda o: o == (True, False, False), "CY"),
    "authority-reply-outside-cms": Expectation(authority_reply_outside_cms, lambda r: ("OUTGOING", None) in r,
                                               lambda r: bool(r) and all(d == "INCOMING" for d, _ in r), "CZ"),
    "statistics-compiled-by-hand": Expectation(statistics_compiled_by_hand, lambda o: o == (True, None),
                                               lambda o: o == (False, 501), "EE"),
    "automated-processing-without-actor": Expectation(automated_processing_without_actor,
                                                      lambda actors: bool(actors) and all(actors),
                                                      lambda actors: "" in actors, "FI"),
    "statistics-last-twelve-months": Expectation(statistics_last_twelve_months, lambda n: n == 0, lambda n: n == 1,
                                                 "GR"),
    "statistics-ignore-competent-authorities": Expectation(statistics_ignore_competent_authorities,
                                                           lambda o: o == (1, 1), lambda o: o == (0, 0), "HU"),
    "subject-category-from-request": Expectation(subject_category_from_request,
                                                 lambda o: o == ("WITNESS", ["PERSONAL_DETAILS"]),
                                                 lambda o: o[0] == "SUSPECT" and "FINANCIAL" in o[1], "SE"),
    "last-updated-from-import": Expectation(last_updated_from_import,
                                            lambda d: d is not None and parse_time(d) == parse_time(REGISTER_DATE),
                                            lambda d: d is not None and parse_time(d) != parse_time(REGISTER_DATE),
                                            "DK"),
    "audit-without-alterations": Expectation(audit_without_alterations, lambda ops: "COMBINATION" in ops,
                                             lambda ops: "COMBINATION" not in ops and "CONSULTATION" in ops, "FR"),
    "no-delay-updates": Expectation(no_delay_updates, lambda n: n >= 3, lambda n: n == 1, "BE"),
    "copy-exception-defaulted": Expectation(copy_exception_defaulted, lambda o: len(o[0]) == 1 and o[1] is None,
                                            lambda o: o == ([], "PERSON_SAFETY"), "LV"),
    "fallback-labelled-third-country": Expectation(fallback_labelled_third_country,
                                                   lambda r: r == ("INTERPOL", "INC"),
                                                   lambda r: r == ("INTERPOL", "3C"), "MT"),
    "retention-review-without-erasure": Expectation(retention_review_without_erasure, lambda o: o == (1, False),
                                                    lambda o: o == (0, True), "IE", own_network=True),
    "erasure-leaves-traces": Expectation(erasure_leaves_traces, lambda o: o == (1, False, False),
                                         lambda o: o == (1, False, True), "NL", own_network=True),
    "urgent-designated-request-without-spoc-copy": Expectation(
        urgent_designated_request_without_spoc_copy, lambda cc: len(cc) == 1, lambda cc: cc == [], "SK"),
    "urgent-designated-reply-without-copy": Expectation(urgent_designated_reply_without_copy,
                                                        lambda cc: cc == ["SPOC-DE"], lambda cc: cc == [], "SI"),
    "urgent-authority-reply-without-spoc-copy": Expectation(urgent_authority_reply_without_spoc_copy,
                                                            lambda cc: len(cc) == 1, lambda cc: cc == [], "PT"),
    "urgent-request-skips-consent-check": Expectation(urgent_request_skips_consent_check,
                                                      lambda o: o == ("REFUSAL", ["OC"]), lambda o: o[0] == "REPLY",
                                                      "SE"),
    "urgent-designated-requests-via-interpol": Expectation(
        urgent_designated_requests_via_interpol, lambda c: c == ("SIENA", None), lambda c: c == ("INTERPOL", None),
        "MT"),
    "refusal-in-english": Expectation(refusal_in_english, lambda o: o == ("REFUSAL", "de"),
                                      lambda o: o == ("REFUSAL", "en"), "LU"),
    "contacts-and-informants-as-suspects": Expectation(contacts_and_informants_as_suspects,
                                                       lambda c: c == ["PERSONAL_DETAILS"],
                                                       lambda c: c == ["PERSONAL_DETAILS", "FINANCIAL"], "NL"),
    "only-open-cases-conclude": Expectation(only_open_cases_conclude, lambda o: o == ("CONCLUDED", True),
                                            lambda o: o == ("AWAITING_JUDICIAL_AUTHORISATION", False), "HR"),
    "subjectless-requests-never-queued": Expectation(subjectless_requests_never_queued,
                                                     lambda o: o == [("REFUSAL", ["NA"])], lambda o: o == [], "LU"),
    "interpol-drops-own-state-copies": Expectation(
        interpol_drops_own_state_copies, lambda o: [(c, r) for c, r, _ in o] == [("NATIONAL", ["SPOC-AT"])],
        lambda o: o == [], "CY"),
    "sirene-requests-filed-as-sirene-business": Expectation(
        sirene_requests_filed_as_sirene_business,
        lambda o: [k for k, _, _ in o] == ["REPLY"] and o[0][1:] == ("SIENA", ["SPOC-DE"]), lambda o: o == [], "LV"),
    "designated-authority-requests-office-hours-only": Expectation(
        designated_authority_requests_office_hours_only, lambda d: d <= H8, lambda d: d >= timedelta(hours=24), "BE"),
    "clarification-answered-without-content": Expectation(clarification_answered_without_content,
                                                          lambda o: o == "burglary of a pharmacy", lambda o: o is None,
                                                          "ES"),
    "answers-filed-by-reference-only": Expectation(answers_filed_by_reference_only, lambda filed: filed is True,
                                                   lambda filed: filed is False, "IT"),
    "answer-timer-ignores-judicial-wait": Expectation(
        answer_timer_ignores_judicial_wait, lambda n: n == [("OUTGOING", "HAND_OVER")],
        lambda n: ("INCOMING", "HAND_BACK") in n, "NO"),
    "own-requests-left-open-when-answered": Expectation(own_requests_left_open_when_answered,
                                                        lambda o: o == ("CONCLUDED", "REPLIED", True),
                                                        lambda o: o == ("AWAITING_REPLY", None, False), "SK"),
    "separate-copies-filed-apart": Expectation(separate_copies_filed_apart, lambda filed: filed is True,
                                               lambda filed: filed is False, "LT"),
    "copy-read-first-files-request-as-copy": Expectation(copy_read_first_files_request_as_copy,
                                                         lambda kinds: "REPLY" in kinds, lambda kinds: kinds == [],
                                                         "CH"),
    "answer-copy-processed-again": Expectation(answer_copy_processed_again, lambda o: o == "PARTIALLY_REFUSED",
                                               lambda o: o in ("REFUSED", "REPLIED"), "LU"),
    "answers-filed-by-thread-only": Expectation(answers_filed_by_thread_only, lambda o: o == (True, "REPLIED"),
                                                lambda o: o == (False, None), "GR"),
    "europol-copy-restriction-defaulted": Expectation(europol_copy_restriction_defaulted, lambda r: r == RESTRICTED,
                                                      lambda r: str(r).startswith("H0:"), "DK"),
    "domestic-disclosures-logged-as-collections": Expectation(
        domestic_disclosures_logged_as_collections,
        lambda o: [op for op, _ in o] == ["DISCLOSURE"] and str(o[0][1]).startswith("LEA-"),
        lambda o: o == [("COLLECTION", None)], "HR"),
    # The same request as for no-delay-notice-for-judicial: a court that grants after 10 hours.
    "court-grant-taken-as-not-needed": Expectation(no_delay_notice_for_judicial,
                                                   lambda before: before[:1] == ["DELAY_NOTICE"],
                                                   lambda before: before == [], "AT"),
    "court-refusal-outweighed-by-grant": Expectation(court_refusal_outweighed_by_grant, lambda k: k == "REFUSAL",
                                                     lambda k: k == "REPLY", "PL"),
    # An outside tester's set (benchmarks/outside-defects.md).
    "designated-urgent-request-without-reasons": Expectation(designated_urgent_request_without_reasons,
                                                             lambda r: bool(r), lambda r: r is None, "NL"),
    "urgent-indirect-waits-for-working-day": Expectation(urgent_indirect_waits_for_working_day,
                                                         lambda d: d <= timedelta(days=1),
                                                         lambda d: d > timedelta(days=1, hours=12), "PL"),
    "delay-updates-stop-at-estimate": Expectation(delay_updates_stop_at_estimate, lambda n: n >= 2,
                                                  lambda n: n == 0, "PT"),
    "designated-reply-copy-batched": Expectation(urgent_designated_reply_without_copy, lambda cc: cc == ["SPOC-DE"],
                                                 lambda cc: cc == [], "RO"),
    "delay-notice-in-own-language": Expectation(delay_notice_in_own_language, lambda lang: lang == "en",
                                                lambda lang: lang == "fr", "FR"),
    "third-country-consent-not-checked": Expectation(third_country_consent_not_checked,
                                                     lambda a: a == ("REFUSAL", ["OC"]), lambda a: a[0] == "REPLY",
                                                     "SK"),
    "authority-to-authority-own-initiative-one-copy": Expectation(
        authority_to_authority_own_initiative_one_copy, lambda cc: len(cc) == 2 and "SPOC-DE" in cc,
        lambda cc: len(cc) == 1 and "SPOC-DE" not in cc, "HR"),
    "own-initiative-unknown-category-unfiltered": Expectation(own_initiative_unknown_category_unfiltered,
                                                              lambda c: c == ["PERSONAL_DETAILS"],
                                                              lambda c: "FINANCIAL" in c, "HU"),
    "europol-copy-dropped-on-fallback": Expectation(europol_copy_dropped_on_fallback, lambda sent: sent is True,
                                                    lambda sent: sent is False, "ES"),
    "fallback-channel-kept-after-outage": Expectation(fallback_channel_kept_after_outage,
                                                      lambda channel: channel == "SIENA",
                                                      lambda channel: channel == "INTERPOL", "FI"),
    "disclosure-audits-main-addressee": Expectation(disclosure_audits_main_addressee,
                                                    lambda named: "SPOC-DE" in named and len(named) == 2,
                                                    lambda named: named == ["SPOC-DE"], "SE"),
    "partial-replies-not-counted-as-replied": Expectation(partial_replies_not_counted_as_replied,
                                                          lambda d: d == (1, 1), lambda d: d == (0, 1), "CY"),
    "second-hand-over-dropped": Expectation(second_hand_over_dropped, lambda d: d == (2, 2), lambda d: d == (1, 1),
                                            "IE"),
}


def test_every_defect_has_a_scenario():
    assert set(EXPECTED) == set(DEFECTS)


@pytest.mark.parametrize("name", list(DEFECTS))
def test_defect_changes_the_behaviour_it_names(name: str, cms_at: Cms, network: Network, workdir: Path) -> None:
    expectation = EXPECTED[name]
    with contextlib.ExitStack() as own:
        if expectation.own_network:
            network = own.enter_context(running_network(workdir, name))
            cms_at = own.enter_context(running_cms(network, workdir, "AT"))
        if name == "ignores-harness-clock" and abs(datetime.now(UTC) - network.now()) < timedelta(hours=2):
            pytest.skip("the machine's clock is too close to the network's virtual time to tell them apart")
        correct = expectation.scenario(cms_at, network)
        assert expectation.correct(correct), f"the correct CMS shows {correct!r}"
        with running_cms(network, workdir, expectation.state, name) as broken:
            assert broken.get("/info")["defects"] == [name]
            observed = expectation.scenario(broken, network)
    assert expectation.defective(observed), f"with defect {name} the CMS shows {observed!r} (correct: {correct!r})"
