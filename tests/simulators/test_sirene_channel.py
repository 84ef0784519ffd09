"""The SIRENE channel over real HTTP: form rules, field 002, the hit flow and the Art 8(3) timer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from simulators.app import ServerConfig, build_app

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class Net:
    """One simulator server on a loopback port, restartable on the same data directory."""

    def __init__(self, data: Path, settings: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.data = data
        self.settings = settings or {}
        self.runner: web.AppRunner | None = None
        self.base = ""
        self.tokens: dict[str, Any] = {}
        self.session = aiohttp.ClientSession()

    async def start(self) -> None:
        config = ServerConfig(
            data=self.data, clock="virtual", start=START, channels=("sirene",), channel_settings=self.settings
        )
        self.runner = web.AppRunner(await build_app(config), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.base = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        self.tokens = json.loads((self.data / "credentials.json").read_text())

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def call(
        self, method: str, path: str, party: str | None = None, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        token = self.tokens["parties"][party] if party else self.tokens["control"]
        all_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        async with self.session.request(method, self.base + path, json=body, headers=all_headers) as response:
            return response.status, await response.json(content_type=None), response

    async def advance(self, seconds: float) -> None:
        status, _, _ = await self.call("POST", "/control/clock", body={"advance_seconds": seconds})
        assert status == 200

    async def audit(self, action: str) -> list[dict[str, Any]]:
        _, body, _ = await self.call("GET", "/control/audit")
        return [e for e in body["events"] if e["action"] == action]


@pytest.fixture
async def net(tmp_path: Path) -> AsyncIterator[Net]:
    network = Net(tmp_path)
    await network.start()
    try:
        yield network
    finally:
        await network.stop()
        await network.session.close()


def g_form(ref: str = "AT-2026-000001", **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "form_type": "G",
        "f001_sent_at_utc": START.isoformat(),
        "f002_form_ref": ref,
        "f003_sender_bureau": "SIRENE-AT",
        "f004_recipient_bureaux": ["SIRENE-DE"],
        "f005_schengen_id": "DE0000012345",
        "alert_article": "36",
        "hit_place": "Salzburg, A1 border crossing",
        "hit_time_utc": (START - timedelta(minutes=20)).isoformat(),
        "action_taken": "discreet check carried out",
        "language": "de",
    }
    form.update(overrides)
    return form


def m_form(in_reply_to: str, ref: str = "DE-2026-000777", **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "form_type": "M",
        "f001_sent_at_utc": START.isoformat(),
        "f002_form_ref": ref,
        "f003_sender_bureau": "SIRENE-DE",
        "f004_recipient_bureaux": ["SIRENE-AT"],
        "f083_information": "Person is wanted for questioning; please report the travel route.",
        "language": "de",
        "in_reply_to": in_reply_to,
    }
    form.update(overrides)
    return form


async def wait_for(predicate: Any, within: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_invalid_form_is_a_problem_naming_field_and_rule(net: Net) -> None:
    status, body, response = await net.call("POST", "/sirene/forms", "SIRENE-AT", g_form(f311_important="URGENT"))
    assert status == 422
    assert response.content_type == "application/problem+json"
    errors = {e["field"]: e["rule"] for e in body["errors"]}
    assert "URGENT" in errors["f311_reason"]
    assert "field 311" in errors["f311_reason"]

    local = START.astimezone(datetime.fromisoformat("2026-03-02T11:00:00+01:00").tzinfo)
    status, body, _ = await net.call("POST", "/sirene/forms", "SIRENE-AT", g_form(f001_sent_at_utc=local.isoformat()))
    assert status == 422
    assert body["errors"][0]["field"] == "f001_sent_at_utc"

    status, body, _ = await net.call("POST", "/sirene/forms", "SIRENE-AT", g_form(form_type="X"))
    assert status == 422
    assert body["errors"][0]["field"] == "form_type"


async def test_a_bureau_sends_only_as_itself(net: Net) -> None:
    status, body, _ = await net.call("POST", "/sirene/forms", "SIRENE-FR", g_form())
    assert status == 403
    assert "SIRENE-AT" in body["detail"]


async def test_field_002_is_unique_per_sending_state(net: Net) -> None:
    status, first, _ = await net.call("POST", "/sirene/forms", "SIRENE-AT", g_form(), {"Idempotency-Key": "k1"})
    assert status == 201
    status, body, _ = await net.call("POST", "/sirene/forms", "SIRENE-AT", g_form())
    assert status == 409
    assert body["errors"][0]["field"] == "f002_form_ref"
    assert first["message_id"] in body["errors"][0]["rule"]
    # A retry of the same send with its Idempotency-Key is the original, not a conflict, even later.
    await net.advance(300)
    status, again, _ = await net.call("POST", "/sirene/forms", "SIRENE-AT", g_form(), {"Idempotency-Key": "k1"})
    assert (status, again["message_id"]) == (200, first["message_id"])
    assert again["payload"]["reply_timer"] == first["payload"]["reply_timer"]
    changed = g_form(action_taken="none")
    status, _, _ = await net.call("POST", "/sirene/forms", "SIRENE-AT", changed, {"Idempotency-Key": "k1"})
    assert status == 409
    # Another state may use the same reference.
    other = g_form(f003_sender_bureau="SIRENE-FR", f004_recipient_bureaux=["SIRENE-DE"])
    status, _, _ = await net.call("POST", "/sirene/forms", "SIRENE-FR", other)
    assert status == 201


async def test_hit_flow_g_then_m_in_reply(net: Net) -> None:
    status, g, _ = await net.call("POST", "/sirene/forms", "SIRENE-AT", g_form())
    assert status == 201
    assert g["payload"]["reply_timer"]["reply_due_at"] == "2026-03-02T22:00:00Z"

    _, mailbox, _ = await net.call("GET", "/sirene/mailbox", "SIRENE-DE")
    assert [d["message"]["message_id"] for d in mailbox["deliveries"]] == [g["message_id"]]

    status, body, _ = await net.call("POST", "/sirene/forms", "SIRENE-DE", m_form("AT-2026-999999"))
    assert status == 422
    assert body["errors"][0]["field"] == "in_reply_to"
    status, body, _ = await net.call(
        "POST", "/sirene/forms", "SIRENE-DE", m_form("AT-2026-000001", form_type="E", ref="DE-E-1")
    )
    assert status == 422
    assert "M form" in body["errors"][0]["rule"]

    await net.advance(3600)
    status, m, _ = await net.call("POST", "/sirene/forms", "SIRENE-DE", m_form("AT-2026-000001"))
    assert status == 201
    assert m["in_reply_to"] == g["message_id"]
    assert m["case_id"] == g["case_id"]
    assert m["payload"]["reply_timer"] is None

    _, view, _ = await net.call("GET", f"/sirene/forms/{g['message_id']}", "SIRENE-AT")
    assert view["reply_due_at"] == "2026-03-02T22:00:00Z"
    assert view["replies"] == [
        {
            "bureau": "SIRENE-DE",
            "state": "ANSWERED",
            "reply_message_id": m["message_id"],
            "replied_at": "2026-03-02T11:00:00Z",
            "overdue_recorded_at": None,
        }
    ]
    status, _, _ = await net.call("GET", f"/sirene/forms/{g['message_id']}", "SIRENE-FR")
    assert status == 404  # as for a form that does not exist
    _, traffic, _ = await net.call("GET", "/control/traffic?channel=SIRENE")
    assert [
        t["payload"]["reply_timer"] and t["payload"]["reply_timer"]["reply_due_at"] for t in traffic["messages"]
    ] == [
        "2026-03-02T22:00:00Z",
        None,
    ]
    await net.advance(13 * 3600)
    await asyncio.sleep(0.05)
    assert await net.audit("sirene.reply_overdue") == []


async def test_twelve_hour_timer_follows_the_virtual_clock(net: Net) -> None:
    _, g, _ = await net.call("POST", "/sirene/forms", "SIRENE-AT", g_form())
    await net.advance(12 * 3600)  # exactly at the deadline: still in time
    await asyncio.sleep(0.05)
    _, view, _ = await net.call("GET", f"/sirene/forms/{g['message_id']}")
    assert view["replies"][0]["state"] == "PENDING"
    assert await net.audit("sirene.reply_overdue") == []

    await net.advance(1)

    async def recorded() -> bool:
        return bool(await net.audit("sirene.reply_overdue"))

    await wait_for(recorded)
    [event] = await net.audit("sirene.reply_overdue")
    assert event["party"] == "SIRENE-DE"
    assert "AT-2026-000001" in event["detail"]
    assert "Art 8(3)" in event["detail"]
    _, view, _ = await net.call("GET", f"/sirene/forms/{g['message_id']}")
    assert view["replies"][0]["state"] == "OVERDUE"
    assert view["replies"][0]["overdue_recorded_at"] == "2026-03-02T22:00:01Z"
    # A late reply is still accepted and shown as late.
    status, _, _ = await net.call("POST", "/sirene/forms", "SIRENE-DE", m_form("AT-2026-000001"))
    assert status == 201
    _, view, _ = await net.call("GET", f"/sirene/forms/{g['message_id']}")
    assert view["replies"][0]["state"] == "ANSWERED_LATE"


async def test_urgent_request_is_due_within_the_hour(net: Net) -> None:
    e_form = g_form(
        form_type="E",
        ref="AT-E-1",
        f005_schengen_id=None,
        alert_article=None,
        hit_place=None,
        hit_time_utc=None,
        f311_important="URGENT",
        f311_reason="the person boards a flight at 11:30",
        f083_information="Please confirm the identity document numbers.",
        f004_recipient_bureaux=["SIRENE-DE", "SIRENE-FR"],
    )
    _, e, _ = await net.call("POST", "/sirene/forms", "SIRENE-AT", {k: v for k, v in e_form.items() if v is not None})
    timer = e["payload"]["reply_timer"]
    assert timer["reply_due_at"] == "2026-03-02T11:00:00Z"
    assert timer["immediate"] is True
    await net.call("POST", "/sirene/forms", "SIRENE-FR", m_form("AT-E-1", f003_sender_bureau="SIRENE-FR", ref="FR-1"))
    await net.advance(3601)

    async def recorded() -> bool:
        return bool(await net.audit("sirene.reply_overdue"))

    await wait_for(recorded)
    assert [e["party"] for e in await net.audit("sirene.reply_overdue")] == ["SIRENE-DE"]


async def test_immediate_is_configurable(tmp_path: Path) -> None:
    network = Net(tmp_path, {"sirene": {"immediate_seconds": 900}})
    await network.start()
    try:
        form = g_form(f307_offence_category="TERRORISM")
        _, g, _ = await network.call("POST", "/sirene/forms", "SIRENE-AT", form)
        assert g["payload"]["reply_timer"]["reply_due_at"] == "2026-03-02T10:15:00Z"
        assert "terrorist" in g["payload"]["reply_timer"]["basis"]
    finally:
        await network.stop()
        await network.session.close()


async def test_timers_and_references_survive_a_restart(net: Net) -> None:
    _, g, _ = await net.call("POST", "/sirene/forms", "SIRENE-AT", g_form())
    await net.stop()
    await net.start()
    status, _, _ = await net.call("POST", "/sirene/forms", "SIRENE-AT", g_form())
    assert status == 409
    await net.advance(12 * 3600 + 1)

    async def recorded() -> bool:
        return bool(await net.audit("sirene.reply_overdue"))

    await wait_for(recorded)
    _, view, _ = await net.call("GET", f"/sirene/forms/{g['message_id']}")
    assert view["replies"][0]["state"] == "OVERDUE"
    # Restarting again does not record the same missed deadline twice.
    await net.stop()
    await net.start()
    await net.advance(60)
    await asyncio.sleep(0.05)
    assert len(await net.audit("sirene.reply_overdue")) == 1


async def test_directive_content_is_carried_as_sent(net: Net) -> None:
    directive = {"kind": "REQUEST", "case_reference": "AT-REF-1", "language": "de", "channel_exception": "URG"}
    form = g_form(form_type="E", ref="AT-E-2", f083_information="request", directive=directive)
    status, e, _ = await net.call("POST", "/sirene/forms", "SIRENE-AT", form)
    assert status == 201
    assert e["directive"] == directive
    assert "directive" not in e["payload"]
