"""SIENA over HTTP: sending, reading, cases, mailbox and acks, and the channel's refusals."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest


async def test_send_returns_stored_envelope_and_new_case(net: Any) -> None:
    answer = await net.send("SPOC-DE", to=["SPOC-AT"], cc=["SPOC-FR"])
    assert answer.status == 201, answer.body
    envelope = answer.body
    assert envelope["message_id"] == "SIENA-000000001"
    assert envelope["case_id"] == "SC-000000001"
    assert envelope["created_at"] == "2026-03-02T10:00:00Z"
    assert (envelope["sender"], envelope["to"], envelope["cc"]) == ("SPOC-DE", ["SPOC-AT"], ["SPOC-FR"])
    assert envelope["payload"]["kind"] == "INFO"
    assert answer.headers["Location"] == "/siena/messages/SIENA-000000001"
    assert answer.headers["X-Network-Time"] == "2026-03-02T10:00:00.000000Z"


async def test_reply_joins_the_case_and_both_recipients_get_a_delivery(net: Any) -> None:
    first = (await net.send("SPOC-DE", to=["SPOC-AT"], cc=["SPOC-FR"])).body
    reply = await net.send("SPOC-AT", to=["SPOC-DE"], in_reply_to=first["message_id"])
    assert reply.status == 201, reply.body
    assert reply.body["case_id"] == first["case_id"]
    case = await net.call("GET", f"/siena/cases/{first['case_id']}", party="SPOC-DE")
    assert [m["message_id"] for m in case.body["messages"]] == [first["message_id"], reply.body["message_id"]]
    assert case.body["crime_areas"] == ["MOTOR_VEHICLE_CRIME"]
    # SPOC-FR was copied on the first message only: it sees that one.
    copied = await net.call("GET", f"/siena/cases/{first['case_id']}", party="SPOC-FR")
    assert [m["message_id"] for m in copied.body["messages"]] == [first["message_id"]]
    for party in ("SPOC-AT", "SPOC-FR"):
        box = await net.call("GET", "/siena/mailbox", party=party)
        assert [d["message"]["message_id"] for d in box.body["deliveries"]] == [first["message_id"]]


async def test_mailbox_ack_and_read_receipt_are_visible_to_the_sender(net: Any) -> None:
    sent = (await net.send("SPOC-DE")).body
    box = await net.call("GET", "/siena/mailbox", party="SPOC-AT")
    delivery = box.body["deliveries"][0]
    assert delivery["delivered_at"] == "2026-03-02T10:00:00Z"
    assert box.body["next_cursor"] == delivery["cursor"]
    await net.advance(60)
    ack = await net.call("POST", f"/siena/mailbox/{delivery['delivery_id']}/ack", party="SPOC-AT",
                         json_body={"status": "DELIVERED"})
    assert ack.status == 200
    assert ack.body["status"] == "DELIVERED"
    assert (await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"] == []
    await net.advance(60)
    read = await net.call("POST", f"/siena/mailbox/{delivery['delivery_id']}/ack", party="SPOC-AT",
                          json_body={"status": "READ"})
    assert read.body["status"] == "READ"
    # A late DELIVERED does not downgrade the read receipt.
    again = await net.call("POST", f"/siena/mailbox/{delivery['delivery_id']}/ack", party="SPOC-AT",
                           json_body={"status": "DELIVERED"})
    assert again.body["status"] == "READ"
    view = await net.call("GET", f"/siena/messages/{sent['message_id']}", party="SPOC-DE")
    (acked,) = view.body["acks"]
    assert acked["party"] == "SPOC-AT"
    assert (acked["acked_at"], acked["read_at"]) == ("2026-03-02T10:01:00Z", "2026-03-02T10:02:00Z")


async def test_concurrent_acknowledgements_never_undo_a_read_receipt(net: Any) -> None:
    for _ in range(10):
        await net.send("SPOC-DE")
    deliveries = (await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"]
    for delivery in deliveries:
        # A read receipt and a plain acknowledgement of the same delivery, in flight together.
        read, delivered = await asyncio.gather(
            net.call("POST", "/siena/mailbox/ack", party="SPOC-AT",
                     json_body={"delivery_ids": [delivery["delivery_id"]], "status": "READ"}),
            net.call("POST", "/siena/mailbox/ack", party="SPOC-AT",
                     json_body={"delivery_ids": [delivery["delivery_id"]]}),
        )
        assert read.status == delivered.status == 200
        assert read.body["acks"][0]["status"] == delivered.body["acks"][0]["status"] == "READ"
    for delivery in deliveries:
        view = await net.call("GET", f"/siena/messages/{delivery['message']['message_id']}", party="SPOC-DE")
        (acked,) = view.body["acks"]
        assert (acked["status"], acked["read_at"]) == ("READ", "2026-03-02T10:00:00Z"), acked


async def test_mailbox_pages_with_the_cursor(net: Any) -> None:
    for _ in range(5):
        await net.send("SPOC-DE")
    first = await net.call("GET", "/siena/mailbox?limit=2", party="SPOC-AT")
    second = await net.call("GET", f"/siena/mailbox?limit=2&after={first.body['next_cursor']}", party="SPOC-AT")
    ids = [d["message"]["message_id"] for d in first.body["deliveries"] + second.body["deliveries"]]
    assert ids == ["SIENA-000000001", "SIENA-000000002", "SIENA-000000003", "SIENA-000000004"]
    bad = await net.call("GET", "/siena/mailbox?limit=0", party="SPOC-AT")
    assert bad.status == 422
    assert bad.fields == ["query.limit"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"handling_codes": ["H0", "H3"]}, "h3_text"),
        ({"urgency": "URGENT"}, "urgency_reason"),
        ({"security_level": "EU_SECRET"}, "security_level"),
        ({"security_level": "TOP_SECRET"}, "security_level"),
        ({"attachments": [{"filename": "a.bin", "mime_type": "application/octet-stream",
                           "size_bytes": 50 * 1024 * 1024 + 1, "sha256": "0" * 64}]}, "attachments.0.size_bytes"),
        ({"attachments": [{"filename": f"{i}.bin", "mime_type": "application/pdf", "size_bytes": 20 * 1024 * 1024,
                           "sha256": "a" * 64} for i in range(3)]}, "attachments"),
        ({"crime_areas": []}, "crime_areas"),
        ({"crime_areas": ["JAYWALKING"]}, "crime_areas.0"),
        ({"source_reliability": "D"}, "source_reliability"),
        ({"information_accuracy": "5"}, "information_accuracy"),
        ({"language": "xx"}, "language"),
        ({"to": ["SPOC-XX"]}, "to.0"),
        ({"to": ["SPOC-DE"]}, "to.0"),
        ({"to": ["EUROPOL"]}, "europol_involved"),
        ({"in_reply_to": "SIENA-999999999"}, "in_reply_to"),
        ({"case_id": "SC-999999999"}, "case_id"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_channel_rules_are_refused_with_the_field(net: Any, overrides: dict[str, Any], field: str) -> None:
    answer = await net.send("SPOC-DE", **overrides)
    assert answer.status == 422, answer.body
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert field in answer.fields, answer.body
    assert answer.body["status"] == 422
    assert answer.body["detail"]
    assert (await net.call("GET", "/control/traffic", control=True)).body["messages"] == []


async def test_h3_text_and_eu_confidential_are_accepted(net: Any) -> None:
    answer = await net.send("SPOC-DE", handling_codes=["H2", "H3"], h3_text="No onward transfer to third states",
                            security_level="EU_CONFIDENTIAL", urgency="URGENT", urgency_reason="Imminent threat",
                            source_reliability="B", information_accuracy="2")
    assert answer.status == 201, answer.body
    assert answer.body["payload"]["h3_text"] == "No onward transfer to third states"


async def test_directive_content_is_carried_as_sent(net: Any) -> None:
    directive = {"kind": "REFUSAL", "case_reference": "AT-1", "language": "en"}  # no ground: not the channel's call
    answer = await net.send("SPOC-DE", directive=directive)
    assert answer.status == 201, answer.body
    assert answer.body["directive"] == directive
    assert answer.body["payload"]["kind"] == "REFUSAL"
    traffic = await net.call("GET", "/control/traffic?kind=REFUSAL", control=True)
    assert [m["message_id"] for m in traffic.body["messages"]] == [answer.body["message_id"]]


async def test_malformed_bodies_get_problems_not_crashes(net: Any) -> None:
    not_json = await net.call("POST", "/siena/messages", party="SPOC-DE", raw=b"{nope",
                              headers={"Content-Type": "application/json"})
    assert not_json.status == 400
    assert not_json.body["title"] == "Malformed JSON"
    wrong_type = await net.call("POST", "/siena/messages", party="SPOC-DE", raw=b"a=b",
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert wrong_type.status == 415
    assert wrong_type.fields == ["Content-Type"]
    huge = await net.call("POST", "/siena/messages", party="SPOC-DE", raw=b"[" + b"1," * 1_500_000 + b"1]",
                          headers={"Content-Type": "application/json"})
    assert huge.status == 413
    assert huge.headers["Content-Type"].startswith("application/problem+json")
    array = await net.call("POST", "/siena/messages", party="SPOC-DE", json_body=[1, 2])
    assert array.status == 422
    unknown_route = await net.call("GET", "/siena/nothing-here", party="SPOC-DE")
    assert unknown_route.status == 404
    assert "X-Network-Time" in unknown_route.headers
    wrong_method = await net.call("DELETE", "/siena/messages", party="SPOC-DE")
    assert wrong_method.status == 405
    assert wrong_method.headers["Allow"] == "POST"
    assert wrong_method.headers["Content-Type"].startswith("application/problem+json")
    odd_path = await net.call("GET", "/siena/nothing%0Ahere", party="SPOC-DE")
    assert odd_path.status == 404
    assert odd_path.headers["Content-Type"].startswith("application/problem+json")
    for answer in (not_json, wrong_type, huge, array, unknown_route, wrong_method, odd_path):
        assert "Traceback" not in str(answer.body)
        # Problems carry the network time like every other answer.
        assert answer.headers["X-Network-Time"] == "2026-03-02T10:00:00.000000Z"
    # A content type spelt otherwise than the usual "application/json" is still read as JSON.
    for spelling in ("Application/JSON", "application/json;charset=UTF-8", "application/vnd.siena+json"):
        sent = await net.call("POST", "/siena/messages", party="SPOC-DE", raw=json.dumps(net.message()).encode(),
                              headers={"Content-Type": spelling})
        assert sent.status == 201, (spelling, sent.body)


async def test_public_routes(net: Any) -> None:
    assert (await net.call("GET", "/healthz")).body == {"status": "ok"}
    assert (await net.call("GET", "/clock")).body == {"now": "2026-03-02T10:00:00Z", "mode": "virtual"}


async def test_one_channel_alone(make_net: Any, tmp_path: Any) -> None:
    alone = await make_net(tmp_path / "alone", channels=("siena",))
    assert (await alone.send("SPOC-DE")).status == 201
    assert (await alone.call("GET", "/sirene/mailbox", party="SPOC-AT")).status == 404
    paths = (await alone.call("GET", "/openapi.json")).body["paths"]
    assert all(not p.startswith(("/sirene", "/interpol")) for p in paths)


async def test_batch_ack_is_all_or_nothing(net: Any) -> None:
    await net.send("SPOC-DE", to=["SPOC-AT"])
    await net.send("SPOC-DE", to=["SPOC-AT"])
    await net.send("SPOC-DE", to=["SPOC-FR"])
    mine = [d["delivery_id"] for d in (await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"]]
    theirs = (await net.call("GET", "/siena/mailbox", party="SPOC-FR")).body["deliveries"][0]["delivery_id"]
    refused = await net.call("POST", "/siena/mailbox/ack", party="SPOC-AT",
                             json_body={"delivery_ids": [*mine, theirs]})
    assert refused.status == 404  # another party's delivery answers as one that does not exist
    unknown = await net.call("POST", "/siena/mailbox/ack", party="SPOC-AT",
                             json_body={"delivery_ids": [*mine, "DLV-999999999999"]})
    assert unknown.status == 404
    assert len((await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"]) == 2
    done = await net.call("POST", "/siena/mailbox/ack", party="SPOC-AT",
                          json_body={"delivery_ids": [*mine, mine[0]], "status": "READ"})
    assert done.status == 200
    assert [(a["delivery_id"], a["status"]) for a in done.body["acks"]] == [(d, "READ") for d in mine]
    assert (await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"] == []
