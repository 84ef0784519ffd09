"""Exports of a fresh CMS (Sweden): exact Art 18 statistics, the audit log, the message log, retention review.

The module runs on a network of its own: its checks compare the CMS's exports with every message the
channels carried for the state, which holds only where no other test's Swedish CMS has used the same
network, and its retention review moves network time by six months.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from refcms_support import Cms, Json, Network, parse_time, request_body, running_cms, running_network

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def network(workdir: Path) -> Iterator[Network]:
    """This module's own network (overrides the shared one of conftest)."""
    with running_network(workdir, "records") as own:
        yield own


@pytest.fixture(scope="module")
def cms_se(network: Network, workdir: Path) -> Iterator[Cms]:
    with running_cms(network, workdir, "SE") as cms:
        yield cms


def _traffic_of(network: Network, references: list[str]) -> list[Json]:
    return [m for m in network.traffic() if (m.get("directive") or {}).get("case_reference") in references]


@pytest.fixture(scope="module")
def year_of_exchanges(cms_se: Cms, network: Network) -> dict[str, str]:
    """Drive a known set of exchanges through the Swedish CMS; returns reference -> what it is."""
    cms_se.fixtures(
        {"subject": "Sven Berg", "item": "convicted 2020", "data_categories": ["CRIMINAL_CONDUCT"]},
        {"subject": "Olle Dahl", "item": "under protection", "refusal_ground": "NS"},
        {"subject": "Kaj Lund", "item": "bank statements", "judicial_authorisation": "GRANTED",
         "judicial_decision_after_hours": 10},
    )
    plan = [
        ("SPOC-DE", dict(subject="Sven Berg", urgent=True), "replied"),
        ("SPOC-DE", dict(subject="Olle Dahl"), "refused NS"),
        ("SPOC-DE", dict(subject="Nobody Here"), "refused NA"),
        ("SPOC-FR", dict(subject="Kaj Lund", language="fr"), "judicial, replied"),
        ("SPOC-FR", dict(subject="Sven Berg", urgent=True, items=("record",)), "partial"),
    ]
    references: dict[str, str] = {}
    for sender, options, what in plan:
        reference = network.reference(sender[-2:])
        body = request_body(reference, sender=sender, to="SPOC-SE", **options)  # type: ignore[arg-type]
        if what == "partial":
            request = body["directive"]["request"]
            request["entities"].append({"entity_id": "E2", "type": "PERSON", "attributes": {"name": "Unknown Person"}})
            request["items"].append({"item_id": "I2", "description": "record", "entity_id": "E2"})
        if options.get("language") == "fr":
            body["language"] = "en"  # SIENA envelope language; the request itself is in French (not on SE's list)
            body["directive"]["language"] = body["directive"]["request"]["language"] = "en"
        sent = network.send(sender, body)
        cms_se.case_of(sent["message_id"])
        references[reference] = what
    # A copy received (the state's SPOC only in CC of a foreign direct exchange) is no request.
    copy = network.send("LEA-DE", request_body(network.reference(), sender="LEA-DE", to="LEA-FR", cc=["SPOC-SE"],
                                               requester_type="COMPETENT_AUTHORITY"))
    cms_se.case_of(copy["message_id"])
    for stimulus in ({"to_state": "DE", "subject": "A", "items": ["x"]},
                     {"to_state": "FR", "by": "DESIGNATED_AUTHORITY", "subject": "B", "items": ["x"]},
                     {"to_state": "DE", "by": "COMPETENT_AUTHORITY", "to": "COMPETENT_AUTHORITY", "subject": "C",
                      "items": ["x"]}):
        cms_se.post("/stimuli/outgoing-request", stimulus)
    cms_se.run_until(lambda: all(c["status"] == "CONCLUDED" for c in cms_se.get("/cases", direction="INCOMING")[
        "cases"]), timedelta(days=3), "every request answered")
    return references


def test_statistics_give_exact_art_18_figures_with_breakdowns(cms_se: Cms, network: Network,
                                                              year_of_exchanges: dict[str, str]):
    year = parse_time(cms_se.get("/cases")["cases"][0]["received_at"]).year
    stats = cms_se.get("/statistics", year=year)
    assert stats["requests_submitted"] == {"total": 3, "by_spoc": 1, "by_competent_authorities": 2,
                                           "by_requested_state": {"DE": 2, "FR": 1}}
    assert stats["requests_received"] == {"total": 5, "urgent": 2, "non_urgent": 3, "by_requesting_state": {
        "DE": {"total": 3, "urgent": 1, "non_urgent": 2}, "FR": {"total": 2, "urgent": 1, "non_urgent": 1}}}
    assert stats["requests_replied"] == {"total": 3, "urgent": 2, "non_urgent": 1, "by_requesting_state": {
        "DE": {"total": 1, "urgent": 1, "non_urgent": 0}, "FR": {"total": 2, "urgent": 1, "non_urgent": 1}}}
    assert stats["requests_refused"] == {"total": 3, "by_ground": {"NA": 2, "NS": 1},
                                         "by_requesting_state": {"DE": 2, "FR": 1},
                                         "by_requesting_state_and_ground": {"DE": {"NA": 1, "NS": 1}, "FR": {"NA": 1}}}
    assert stats["judicial_authorisation_deviations"] == {"total": 1, "by_requesting_state": {"FR": 1}}
    assert cms_se.get("/statistics", year=year - 1)["requests_received"]["total"] == 0


def test_audit_log_has_every_art_25_operation_with_time_actor_and_justification(
        cms_se: Cms, network: Network, year_of_exchanges: dict[str, str]):
    entries = cms_se.get("/audit-log")["entries"]
    operations = {e["operation"] for e in entries}
    assert {"COLLECTION", "CONSULTATION", "DISCLOSURE", "COMBINATION"} <= operations
    assert all(e["at"] and e["actor"] and e["justification"] for e in entries)
    disclosures = [e for e in entries if e["operation"] == "DISCLOSURE"]
    sent = {m["message_id"]: m for m in network.traffic() if m["sender"].endswith("-SE")}
    assert {e["message_id"] for e in disclosures} == set(sent)
    for entry in disclosures:
        message = sent[entry["message_id"]]
        assert entry["recipient"] == ", ".join(message["to"] + message["cc"])
    # Sven Berg was asked for twice: the second request is combined with the first exchange.
    combined = [e for e in entries if e["operation"] == "COMBINATION"]
    assert any("EXCHANGE" in (e["data"] or "") for e in combined)
    since = entries[len(entries) // 2]["at"]
    assert all(parse_time(e["at"]) >= parse_time(since) for e in cms_se.get("/audit-log", since=since)["entries"])


def test_message_log_correlates_with_the_channels_by_message_id(cms_se: Cms, network: Network,
                                                                year_of_exchanges: dict[str, str]):
    logged = {m["message_id"]: m for m in cms_se.get("/messages")["messages"]}
    channel = {m["message_id"]: m for m in network.traffic()
               if m["sender"].endswith("-SE") or any(p.endswith("-SE") for p in m["to"] + m["cc"])}
    assert set(logged) == set(channel)
    for message_id, entry in logged.items():
        assert entry["channel"] == channel[message_id]["channel"] == "SIENA"
        assert entry["channel_exception"] is None
        if entry["direction"] == "OUTGOING":
            assert parse_time(entry["at"]) == parse_time(channel[message_id]["created_at"])


def test_retention_review_erases_personal_data_within_six_months(cms_se: Cms, network: Network,
                                                                 year_of_exchanges: dict[str, str]):
    cases = cms_se.get("/cases", direction="INCOMING")["cases"]
    first = min(cases, key=lambda c: c["retention_review_due"])
    due = parse_time(first["retention_review_due"])
    assert due - parse_time(first["concluded_at"]) <= timedelta(days=183)
    assert "unverified" in first["retention_review_basis"]
    cms_se.run_until(lambda: any(e["operation"] == "ERASURE" for e in cms_se.get("/audit-log", case_id=first[
        "case_id"])["entries"]), due - network.now() + timedelta(minutes=1), "first retention review")
    erased = cms_se.case(first["case_id"])
    assert erased["events"][-1]["kind"] == "RETENTION_REVIEW"
