"""A party reaches only what it has a part in, and cannot tell what exists beyond it.

Message, case and delivery ids are network-wide counters: answering 403 for another pair's id and 404
for a missing one would tell any party which ids exist. Both answer the same 404; the attempt on an
existing id is still journaled. A send naming another pair's case is refused the same way as a send
naming a case that does not exist.
"""

from __future__ import annotations

from typing import Any

from tests.simulators.conftest import Net


async def audit(net: Net) -> list[tuple[str, str]]:
    answer = await net.call("GET", "/control/audit", control=True)
    return [(e["party"], e["action"]) for e in answer.body["events"]]


def same_answer(one: Any, other: Any) -> tuple[Any, ...]:
    """What a caller can tell apart: status, problem type and title, and the shape of the detail."""
    return one.status, one.body["type"], one.body["title"], one.body["detail"].split(" ")[:2]


async def test_a_party_cannot_join_another_pairs_case(net: Net) -> None:
    first = (await net.send("SPOC-DE", to=["SPOC-AT"])).body
    injected = await net.send("SPOC-FR", to=["SPOC-IT"], case_id=first["case_id"])
    assert injected.status == 422, injected.body
    assert injected.fields == ["case_id"]
    missing = await net.send("SPOC-FR", to=["SPOC-IT"], case_id="SC-000000999")
    assert same_answer(injected, missing) == same_answer(missing, missing)
    case = await net.call("GET", f"/siena/cases/{first['case_id']}", party="SPOC-AT")
    assert [m["message_id"] for m in case.body["messages"]] == [first["message_id"]]
    assert await audit(net) == [("SPOC-FR", "send")]
    # A party of the case still joins it, as sender or as recipient.
    reply = await net.send("SPOC-AT", to=["SPOC-DE"], case_id=first["case_id"])
    assert (reply.status, reply.body["case_id"]) == (201, first["case_id"])
    copied = await net.send("SPOC-DE", to=["SPOC-FR"], case_id=first["case_id"])
    assert copied.status == 201
    assert (await net.send("SPOC-FR", to=["SPOC-DE"], case_id=first["case_id"])).status == 201


async def test_existing_and_missing_ids_answer_the_same_to_a_party_not_entitled(net: Net) -> None:
    sent = (await net.send("SPOC-DE", to=["SPOC-AT"])).body
    delivery = (await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"][0]["delivery_id"]
    pairs = [
        ("GET", f"/siena/messages/{sent['message_id']}", "/siena/messages/SIENA-000000999", None),
        ("GET", f"/siena/cases/{sent['case_id']}", "/siena/cases/SC-000000999", None),
        ("POST", f"/siena/mailbox/{delivery}/ack", "/siena/mailbox/DLV-000000000999/ack", {"status": "READ"}),
    ]
    for method, existing, missing, body in pairs:
        seen = await net.call(method, existing, party="SPOC-FR", json_body=body)
        unseen = await net.call(method, missing, party="SPOC-FR", json_body=body)
        assert seen.status == 404, (existing, seen.body)
        assert same_answer(seen, unseen) == same_answer(unseen, unseen), existing
    batch = await net.call("POST", "/siena/mailbox/ack", party="SPOC-FR", json_body={"delivery_ids": [delivery]})
    assert batch.status == 404
    # Each attempt on an existing id is journaled; the missing ones are nobody's.
    assert await audit(net) == [("SPOC-FR", "read"), ("SPOC-FR", "read"), ("SPOC-FR", "ack"), ("SPOC-FR", "ack")]
    # The refused acknowledgements changed nothing.
    assert (await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"][0]["delivery_id"] == delivery


async def test_refusals_beyond_the_budget_are_429_and_journaled_once(make_net: Any) -> None:
    net: Net = await make_net(refusal_limit=5, refusal_window_seconds=600)
    statuses = []
    for _ in range(60):
        answer = await net.call("POST", "/siena/messages", party="SPOC-FR", json_body=net.message("SPOC-DE"))
        statuses.append(answer.status)
    assert statuses == [403] * 5 + [403] + [429] * 54
    assert last_is_problem(answer)
    assert int(answer.headers["Retry-After"]) > 0
    events = (await net.call("GET", "/control/audit", control=True)).body["events"]
    assert len(events) == 6
    assert "refusal burst" in events[-1]["detail"]
    journal = (await net.call("GET", "/control/journal/verify", control=True)).body
    assert journal["ok"] is True
    # Another party is not held back, and a hidden id still answers 404, not 429, within the burst.
    assert (await net.send("SPOC-DE")).status == 201
    hidden = await net.call("GET", "/siena/messages/SIENA-000000001", party="SPOC-FR")
    assert hidden.status == 404


def last_is_problem(answer: Any) -> bool:
    return bool(answer.headers["Content-Type"].startswith("application/problem+json")
                and answer.body["status"] == 429)
