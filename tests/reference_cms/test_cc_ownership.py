"""A message to a domestic competent authority with a copy (CC) to the SPOC reaches two of the CMS's mailboxes.

Whichever of the two deliveries the CMS processes first, the exchange is one case that belongs to the
addressee in To: the authority answers it, the statistics count it as received by a competent
authority (Art 18(2)(b)), and the SPOC's delivery is recorded as the copy. The order is forced with a
channel outage on one of the two mailboxes, which holds that delivery back until the outage ends.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from refcms_support import Cms, Json, Network, request_body

pytestmark = pytest.mark.slow

SUBJECT = "Ines Vogler"


def _deliver_in_order(cms: Cms, network: Network, body: Json, first: str, second: str) -> Json:
    """Send `body` as SPOC-DE so that `first`'s mailbox gets it, and is processed, before `second`'s."""
    network.faults([{"channel": "SIENA", "party": second, "type": "outage", "params": {"mode": "503"}}])
    try:
        sent = network.send("SPOC-DE", body)
        case = cms.case_of(sent["message_id"])
        assert [c["received_by"] for c in case["communications"]] == [first], case["communications"]
    finally:
        network.clear_faults()
    # The held-back push is retried after a second of network time (the mailbox sweep, every 2 s of real
    # time, would pick it up as well, only later).
    network.advance(timedelta(seconds=1))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        case = cms.case_of(sent["message_id"])
        if [c["received_by"] for c in case["communications"] if c["message_id"] == sent["message_id"]] == [
                first, second]:
            return sent
        time.sleep(0.05)
    raise AssertionError(f"the delivery to {second} was never recorded: {case['communications']}")


def _receivers(cms: Cms, network: Network) -> dict[str, int]:
    return dict(cms.get("/statistics", year=network.now().year)["requests_received_by_receiver"])


@pytest.mark.parametrize("first", ["LEA", "SPOC"])
def test_request_to_authority_is_the_authoritys_whichever_delivery_comes_first(
        first: str, cms_at: Cms, network: Network) -> None:
    lea, spoc = f"LEA-{cms_at.state}", f"SPOC-{cms_at.state}"
    order = (lea, spoc) if first == "LEA" else (spoc, lea)
    cms_at.fixtures({"subject": SUBJECT, "item": "registered address in Graz", "data_categories": ["PERSONAL_DETAILS"],
                     "subject_category": "SUSPECT"})
    before = _receivers(cms_at, network)
    reference = network.reference()
    sent = _deliver_in_order(cms_at, network, request_body(reference, to=lea, cc=[spoc], subject=SUBJECT), *order)

    cases = cms_at.get("/cases", message_id=sent["message_id"])["cases"]
    assert [(c["kind"], c["own_party"]) for c in cases] == [("REQUEST", lea)]
    entries = [e for e in cms_at.get("/audit-log", case_id=cases[0]["case_id"])["entries"]
               if e["message_id"] == sent["message_id"] and e["operation"] == "COLLECTION"]
    assert len(entries) == 2
    assert [e for e in entries if f"copy to {spoc}" in e["justification"]] != []
    assert not [e for e in entries if f"copy to {lea}" in e["justification"]]

    after = _receivers(cms_at, network)
    assert after.get("COMPETENT_AUTHORITY", 0) - before.get("COMPETENT_AUTHORITY", 0) == 1
    assert after.get("SPOC", 0) == before.get("SPOC", 0)

    cms_at.run_until(lambda: any(m["directive"]["kind"] == "REPLY" for m in network.exchange(reference)),
                     timedelta(days=1), "the authority's reply")
    reply = next(m for m in network.exchange(reference) if m["directive"]["kind"] == "REPLY")
    assert reply["sender"] == lea
    assert reply["to"] == ["SPOC-DE"]
    assert spoc in reply["cc"]  # Art 8(1): the authority's answer to a foreign SPOC copies its own SPOC


@pytest.mark.parametrize("first", ["LEA", "SPOC"])
def test_own_initiative_information_to_authority_is_the_authoritys_whichever_delivery_comes_first(
        first: str, cms_at: Cms, network: Network) -> None:
    lea, spoc = f"LEA-{cms_at.state}", f"SPOC-{cms_at.state}"
    order = (lea, spoc) if first == "LEA" else (spoc, lea)
    reference = network.reference()
    body = request_body(reference, to=lea, cc=[spoc], subject=SUBJECT)
    body["directive"] = {"kind": "OWN_INITIATIVE", "case_reference": reference, "language": "en",
                         "information": [{"item_id": "OI1", "content": f"{SUBJECT} seen at the border"}]}
    sent = _deliver_in_order(cms_at, network, body, *order)
    cases = cms_at.get("/cases", message_id=sent["message_id"])["cases"]
    assert [(c["kind"], c["own_party"]) for c in cases] == [("OWN_INITIATIVE", lea)]
