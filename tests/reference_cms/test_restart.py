"""The reference-only restart (`cms --allow-restart`, POST /sut/reference/restart) the kill matrix reuses a CMS with.

After a network reset with its clock back at its start and a restart with another defect, the CMS must be
what a freshly started process would be: no case, no audit entry, its clock following the network from the
start again, its webhooks registered anew (a message sent now reaches it), the new defect switched on.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from refcms_support import START, call, launch_cms, parse_time, request_body, running_network

RESTART = "/sut/reference/restart"


def _cross_checks(cms: Any, case_id: str) -> list[Any]:
    return [e for e in cms.get("/audit-log", case_id=case_id)["entries"] if "cross-check" in e["justification"]]


def test_a_restarted_cms_is_a_fresh_installation_with_the_defects_asked_for(workdir: Path) -> None:
    with running_network(workdir, "restart") as network:
        cms = launch_cms(network, workdir, "AT", "late-copy", extra_args=("--allow-restart",))
        try:
            first = network.send("SPOC-DE", request_body(network.reference()))
            first_case = cms.case_of(first["message_id"])
            assert _cross_checks(cms, first_case["case_id"])
            instance = call("POST", cms.url + RESTART, {"defects": ["late-copy"]})[1]["instance"]
            network.advance(timedelta(days=200))  # as far as a campaign's retention review takes it

            network._control("POST", "/control/reset", {"clock": START})
            answer = call("POST", cms.url + RESTART, {"defects": ["no-cross-check"]})[1]

            assert answer["defects"] == ["no-cross-check"]
            assert answer["instance"] != instance  # a new installation: its references cannot repeat the old ones'
            assert cms.get("/cases")["cases"] == []
            assert cms.get("/audit-log")["entries"] == []
            clock = cms.get("/clock")
            assert clock["follow_network_clock"] is True
            assert parse_time(clock["now"]) == parse_time(START)
            second = network.send("SPOC-DE", request_body(network.reference()))
            case = cms.case_of(second["message_id"])
            assert parse_time(case["received_at"]) == parse_time(START)
            # The defect asked for is on (no cross-check recorded, R-84), the one before is gone.
            assert _cross_checks(cms, case["case_id"]) == []
            assert answer["defects"] == ["no-cross-check"]
        finally:
            cms.process.stop()


def test_the_restart_is_offered_only_when_asked_for_and_guarded_by_the_sut_token(workdir: Path) -> None:
    with running_network(workdir, "restart-guard") as network:
        plain = launch_cms(network, workdir, "AT")
        try:
            status = call("POST", plain.url + RESTART, {"defects": []}, expect=())[0]
            assert status in (404, 405)  # no such operation on a CMS started without --allow-restart
        finally:
            plain.process.stop()
        guarded = launch_cms(network, workdir, "AT", extra_args=("--allow-restart", "--sut-token", "s3cret"))
        try:
            assert call("POST", guarded.url + RESTART, {"defects": []}, expect=())[0] == 401
            bearer = {"Authorization": "Bearer s3cret"}
            status, refused, _ = call("POST", guarded.url + RESTART, {"defects": ["no-such-defect"]}, bearer, expect=())
            assert status == 422
            assert "no-such-defect" in refused["detail"]
            assert call("POST", guarded.url + RESTART, {"defects": []}, bearer)[1]["defects"] == []
        finally:
            guarded.process.stop()
