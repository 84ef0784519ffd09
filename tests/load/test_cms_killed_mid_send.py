"""A reference CMS killed (`kill -9`) in the middle of a send, and restarted on its store, sends nothing twice
and leaves nothing unanswered.

Real processes: the channel server on the scaled clock (900 x wall time: an urgent answer, due 30 network
minutes after receipt, leaves 2 s later) and the reference CMS. The channel holds the answers to the CMS's
sends until one of its replies is journaled; the CMS is then killed while it waits for that answer
(load/chaos.py, as `load --chaos` does), and its restart must send the step's reply under the key it kept,
which the channel answers with the reply it accepted, not a second one.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from load.chaos import Chaos
from load.http import JsonClient
from load.network import ChannelServer, ReferenceCmsProcess, free_port
from load.reconcile import reconcile
from load.traffic import CLASSES, TrafficGenerator, prepare_suts

pytestmark = pytest.mark.slow

_REQUESTS = 4


def _final_answers(control: JsonClient) -> list[dict[str, Any]]:
    traffic = control.get("/control/traffic", party="SPOC-AT", limit="1000")["messages"]
    return [m for m in traffic if m["sender"] == "SPOC-AT"
            and (m.get("directive") or {}).get("kind") in ("REPLY", "REFUSAL")]


def test_a_cms_killed_while_its_reply_is_under_way_neither_doubles_nor_drops_it(tmp_path: Path) -> None:
    server = ChannelServer(tmp_path / "channels", speed=900, port=free_port())
    server.start()
    cms = ReferenceCmsProcess(tmp_path / "cms", state="AT", channels_url=server.url,
                              credentials=server.credentials, port=free_port())
    try:
        cms.start()
        prepare_suts({"AT": cms.url}, seed=1)
        control = JsonClient(server.url, str(json.loads(server.credentials.read_text())["control"]))
        generator = TrafficGenerator(sut_state="AT", sender_state="BE", seed=1, user_key="kill-test")
        sent: list[dict[str, Any]] = []
        for _ in range(_REQUESTS):
            body, reference = generator.siena_request(CLASSES["urgent-direct"], "SPOC-BE")
            envelope = control.call("POST", "/siena/messages", body=body,
                                    headers={"X-Act-As": "SPOC-BE", "Idempotency-Key": f"load:{reference}"})
            sent.append({"message_id": envelope["message_id"], "class": "urgent-direct"})
        log: list[str] = []
        chaos = Chaos(control, server=server, cms={cms: [cms.url]}, states=["AT"], duration=10, echo=log.append)
        chaos.kill_cms()
        assert "while the channel held the answer to its REPLY" in log[-1], log
        # Every request answered (the killed step's reply among them), and the CMS idle: nothing more to send.
        give_up = time.monotonic() + 30
        while len(_final_answers(control)) < _REQUESTS and time.monotonic() < give_up:
            time.sleep(0.2)
        assert JsonClient(cms.url).get("/sut/v1/agenda", wait="5")["idle"]
        result = reconcile(traffic=control.get("/control/traffic", limit="1000")["messages"],
                           cases=JsonClient(cms.url).get("/sut/v1/cases")["cases"], sent_log=sent,
                           verify=control.get("/control/journal/verify"), sut_state="AT", seed=1,
                           ended_at=_network_now(control))
        assert (result.lost, result.duplicated, result.late, result.open) == ([], [], [], [])
        assert len(_final_answers(control)) == result.requests == _REQUESTS
        assert result.journal_ok
        # The case records the reply the channel accepted before the kill: the step done again took it (same
        # key, same body) instead of failing on a key used for a different message (409).
        recorded = {str(c.get("message_id")) for case in JsonClient(cms.url).get("/sut/v1/cases")["cases"]
                    for c in case.get("communications", [])}
        assert {str(m["message_id"]) for m in _final_answers(control)} <= recorded
    finally:
        cms.stop()
        server.kill_hard()  # a clean stop would wait out the held answer (load/chaos.py holds it 10 s)


def _network_now(control: JsonClient) -> datetime:
    return datetime.fromisoformat(str(control.get("/clock")["now"]).replace("Z", "+00:00"))
