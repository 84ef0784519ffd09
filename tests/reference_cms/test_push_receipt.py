"""A pushed delivery's receipt time: the push's X-Network-Time (`cms --receipt-time-from push`, the default), or a
fresh read of the network clock (`clock`).

The test plays the channel server's push itself, with a header an hour and a half after the network clock (frozen
at START): as if the clock had moved on while the push was on its way. A receipt time taken from the header says
so; one read from the network clock says START. The real push is held back by an outage meanwhile.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from refcms_support import START, call, iso, launch_cms, parse_time, request_body, running_network

PUSHED_AT = parse_time(START) + timedelta(minutes=90)


@pytest.mark.parametrize(("receipt_time_from", "received"), [
    ("push", PUSHED_AT),
    ("clock", parse_time(START)),
])
def test_the_receipt_time_of_a_push(workdir: Path, receipt_time_from: str, received: object) -> None:
    with running_network(workdir, f"push-receipt-{receipt_time_from}") as network:
        cms = launch_cms(network, workdir, "AT", extra_args=("--receipt-time-from", receipt_time_from))
        try:
            network.faults([{"type": "outage", "channel": "SIENA", "party": "SPOC-AT", "params": {"mode": "503"}}])
            sent = network.send("SPOC-DE", request_body(network.reference()))
            (journaled,) = [m for m in network.traffic() if m["message_id"] == sent["message_id"]]
            envelope = {k: v for k, v in journaled.items() if k != "acks"}
            call("POST", f"{cms.url}/channels/siena/SPOC-AT",
                 {"delivery_id": "pushed-by-the-test", "channel": "SIENA", "message": envelope},
                 {"X-Network-Time": iso(PUSHED_AT)})
            case = cms.case_of(sent["message_id"], settle=False)
            assert parse_time(case["received_at"]) == received
        finally:
            cms.process.stop()
            network.clear_faults()
