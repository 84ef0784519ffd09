"""Who may do what: a party sends as itself and reads only its own mail; every refusal is journaled."""

from __future__ import annotations

from typing import Any


async def audit_events(net: Any) -> list[dict[str, Any]]:
    answer = await net.call("GET", "/control/audit", control=True)
    assert answer.status == 200
    return list(answer.body["events"])


async def test_sending_as_another_party_is_refused_and_logged(net: Any) -> None:
    answer = await net.call("POST", "/siena/messages", party="SPOC-AT", json_body=net.message("SPOC-DE"))
    assert answer.status == 403
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    (event,) = await audit_events(net)
    assert (event["party"], event["action"]) == ("SPOC-AT", "send")
    assert "SPOC-DE" in event["detail"]
    assert (await net.call("GET", "/control/traffic", control=True)).body["messages"] == []


async def test_mailboxes_are_isolated(net: Any) -> None:
    sent = (await net.send("SPOC-DE", to=["SPOC-AT"])).body
    # Another party's mailbox pull shows only its own (empty) mailbox.
    assert (await net.call("GET", "/siena/mailbox", party="SPOC-FR")).body["deliveries"] == []
    delivery = (await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"][0]
    stolen = await net.call("POST", f"/siena/mailbox/{delivery['delivery_id']}/ack", party="SPOC-FR",
                            json_body={"status": "READ"})
    assert stolen.status == 404  # as for an id that does not exist (test_entitlement)
    peek = await net.call("GET", f"/siena/messages/{sent['message_id']}", party="SPOC-FR")
    assert peek.status == 404
    case = await net.call("GET", f"/siena/cases/{sent['case_id']}", party="SPOC-FR")
    assert case.status == 404
    events = await audit_events(net)
    assert [(e["party"], e["action"]) for e in events] == [("SPOC-FR", "ack"), ("SPOC-FR", "read"),
                                                          ("SPOC-FR", "read")]
    # The refused ack changed nothing.
    assert (await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"][0]["delivery_id"] == \
        delivery["delivery_id"]
    verify = await net.call("GET", "/control/journal/verify", control=True)
    assert verify.body["ok"] is True


async def test_party_token_on_control_api_is_refused_and_logged(net: Any) -> None:
    answer = await net.call("GET", "/control/traffic", party="SPOC-AT")
    assert answer.status == 403
    (event,) = await audit_events(net)
    assert (event["party"], event["action"]) == ("SPOC-AT", "control")


async def test_missing_or_unknown_tokens_get_401(net: Any) -> None:
    none = await net.call("GET", "/siena/mailbox")
    assert none.status == 401
    assert none.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = await net.call("GET", "/siena/mailbox", headers={"Authorization": "Bearer not-a-token"})
    assert wrong.status == 401
    basic = await net.call("GET", "/control/traffic", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert basic.status == 401


async def test_every_spelling_of_a_valid_token_is_its_party_and_only_that(net: Any) -> None:
    token = net.token("SPOC-AT")
    for header in (f"Bearer {token}", f"bearer {token}", f"Bearer   {token}  ", f"BEARER {token}"):
        answer = await net.call("GET", "/siena/mailbox", headers={"Authorization": header})
        assert answer.status == 200, header
    # A token one character off, or with something appended, is refused after the real one was seen.
    for header in (f"Bearer {token[:-1]}", f"Bearer {token}x", f"Bearer {token[:-1]}{chr(ord(token[-1]) ^ 1)}"):
        answer = await net.call("GET", "/siena/mailbox", headers={"Authorization": header})
        assert answer.status == 401, header
    # The answers stay the party's own: another party's token reads another mailbox.
    await net.send("SPOC-DE", to=["SPOC-AT"])
    mine = await net.call("GET", "/siena/mailbox", headers={"Authorization": f"bearer {token}"})
    theirs = await net.call("GET", "/siena/mailbox", party="SPOC-FR")
    assert len(mine.body["deliveries"]) == 1
    assert theirs.body["deliveries"] == []
    # Only the usual spelling is remembered: however a party spells its header, one entry per party.
    from simulators.runtime.http import CREDENTIALS

    remembered = net.server.app[CREDENTIALS].callers
    assert sorted(c.party for c in remembered.values()) == ["SPOC-AT", "SPOC-DE", "SPOC-FR"]


async def test_control_token_acts_as_a_party(net: Any) -> None:
    sent = await net.call("POST", "/siena/messages", control=True, act_as="SPOC-DE", json_body=net.message("SPOC-DE"))
    assert sent.status == 201
    box = await net.call("GET", "/siena/mailbox", control=True, act_as="spoc-at")
    assert len(box.body["deliveries"]) == 1
    # Acting as SPOC-AT, the control token is held to SPOC-AT's rights.
    forged = await net.call("POST", "/siena/messages", control=True, act_as="SPOC-AT", json_body=net.message("SPOC-DE"))
    assert forged.status == 403
    # Without X-Act-As it may read any message, but has no mailbox of its own.
    assert (await net.call("GET", f"/siena/messages/{sent.body['message_id']}", control=True)).status == 200
    bare = await net.call("GET", "/siena/mailbox", control=True)
    assert bare.status == 400
    assert bare.fields == ["X-Act-As"]
    unknown = await net.call("GET", "/siena/mailbox", control=True, act_as="SPOC-XX")
    assert unknown.status == 422
    assert unknown.fields == ["X-Act-As"]


async def test_credentials_are_kept_across_restarts(make_net: Any, tmp_path: Any) -> None:
    first = await make_net(tmp_path / "kept")
    await first.stop()
    second = await make_net(tmp_path / "kept")
    assert second.credentials == first.credentials
    assert len(second.credentials["parties"]) > 100
    assert (tmp_path / "kept" / "credentials.json").stat().st_mode & 0o077 == 0
