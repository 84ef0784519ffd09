"""The Interpol I-24/7 channel over real HTTP: review, diffusions, restrictions, the public notices mimic."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from simulators.app import ServerConfig, build_app

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DAY = 24 * 3600


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
            data=self.data, clock="virtual", start=START, channels=("interpol",), channel_settings=self.settings
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
        self,
        method: str,
        path: str,
        party: str | None = None,
        body: Any = None,
        *,
        auth: bool = True,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        headers = dict(headers or {})
        if auth:
            headers["Authorization"] = f"Bearer {self.tokens['parties'][party] if party else self.tokens['control']}"
        async with self.session.request(method, self.base + path, json=body, headers=headers) as response:
            return response.status, await response.json(content_type=None)

    async def send(self, party: str, body: dict[str, Any]) -> tuple[int, Any]:
        return await self.call("POST", "/interpol/messages", party, body)

    async def inbox(self, party: str) -> list[dict[str, Any]]:
        _, page = await self.call("GET", "/interpol/mailbox?limit=1000", party)
        return [d["message"] for d in page["deliveries"]]

    async def advance(self, seconds: float) -> None:
        status, _ = await self.call("POST", "/control/clock", body={"advance_seconds": seconds})
        assert status == 200

    async def review(self, message_id: str) -> dict[str, Any]:
        _, view = await self.call("GET", f"/interpol/messages/{message_id}")
        return dict(view["review"])

    async def decided(self, message_id: str) -> dict[str, Any]:
        for _ in range(150):
            review = await self.review(message_id)
            if review["status"] != "REQUEST_BEING_PROCESSED":
                return review
            await asyncio.sleep(0.02)
        raise AssertionError(f"no review decision on {message_id}")


async def running(data: Path, settings: Mapping[str, Mapping[str, Any]] | None = None) -> Net:
    network = Net(data, settings)
    await network.start()
    return network


@pytest.fixture
async def net(tmp_path: Path) -> AsyncIterator[Net]:
    network = await running(tmp_path)
    try:
        yield network
    finally:
        await network.stop()
        await network.session.close()


def red_request(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "NOTICE_REQUEST",
        "sender": "NCB-DE",
        "colour": "RED",
        "language": "en",
        "subject": "Wanted for armed robbery",
        "person": {
            "name": "MUSTERMANN",
            "forename": "MAX",
            "date_of_birth": "1980/05/17",
            "sex_id": "M",
            "nationalities": ["DE", "AT"],
            "languages_spoken_ids": ["GER", "ENG"],
            "height": 1.82,
            "weight": 80,
            "eyes_colors_id": ["BLU"],
        },
        "person_status": "ACCUSED",
        "arrest_warrants": [{"issuing_country_id": "DE", "charge": "Armed robbery of a bank"}],
        "offence_max_penalty_years": 15,
        "public_extract": True,
    }
    body.update(overrides)
    return body


def diffusion(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "DIFFUSION",
        "sender": "NCB-DE",
        "to": ["NCB-FR", "NCB-GB"],
        "colour": "BLUE",
        "language": "en",
        "subject": "Locate and report: fraud suspect",
        "person": {"name": "BEISPIEL", "nationalities": ["DE"]},
        "person_status": "SUSPECT",
        "restrictions": {"excluded_ncbs": ["NCB-TR"], "use_limitations": ["not for judicial proceedings"]},
    }
    body.update(overrides)
    return body


async def test_red_notice_is_reviewed_then_published_to_all_ncbs(net: Net) -> None:
    restricted = red_request(public_extract=False, restrictions={"excluded_ncbs": ["NCB-TR"]})
    status, request = await net.send("NCB-DE", restricted)
    assert status == 201
    assert request["to"] == ["IPSG"]
    assert request["payload"]["review_due_at"] == "2026-03-03T10:00:00Z"
    assert (await net.review(request["message_id"]))["status"] == "REQUEST_BEING_PROCESSED"
    await net.advance(DAY - 60)
    await asyncio.sleep(0.05)
    assert await net.inbox("NCB-FR") == []
    assert (await net.call("GET", "/notices/v1/red", auth=False))[1]["total"] == 0

    await net.advance(60)
    review = await net.decided(request["message_id"])
    assert review["status"] == "PUBLISHED"
    assert review["entity_id"] == "2026/10001"
    for ncb in ("NCB-FR", "NCB-US", "NCB-GB", "NCB-UA", "NCB-DE"):
        [notice] = await net.inbox(ncb)
        assert notice["sender"] == "IPSG"
        assert notice["payload"]["kind"] == "NOTICE"
        assert notice["in_reply_to"] == request["message_id"]
        assert notice["payload"]["restrictions"]["excluded_ncbs"] == ["NCB-TR"]
    assert await net.inbox("NCB-TR") == []


async def test_public_api_mimic_uses_the_public_field_names(net: Net) -> None:
    _, request = await net.send("NCB-DE", red_request())
    _, hidden = await net.send("NCB-FR", red_request(sender="NCB-FR", public_extract=False))
    await net.advance(DAY)
    ids = {(await net.decided(r["message_id"]))["entity_id"] for r in (request, hidden)}
    assert ids == {"2026/10001", "2026/10002"}  # decided at the same moment, numbered apart

    status, doc = await net.call("GET", "/notices/v1/red?nationality=AT&resultPerPage=10", auth=False)
    assert status == 200
    assert doc["total"] == 1
    assert doc["query"] == {"page": 1, "resultPerPage": 10, "nationality": "AT"}
    [item] = doc["_embedded"]["notices"]
    assert item["entity_id"] == "2026/10001"
    assert item["_links"]["self"]["href"] == f"{net.base}/notices/v1/red/2026-10001"
    assert set(doc["_links"]) == {"self", "first", "last"}

    status, detail = await net.call("GET", "/notices/v1/red/2026-10001", auth=False)
    assert status == 200
    assert detail["arrest_warrants"] == [
        {"issuing_country_id": "DE", "charge": "Armed robbery of a bank", "charge_translation": None}
    ]
    assert detail["nationalities"] == ["DE", "AT"]
    assert detail["languages_spoken_ids"] == ["GER", "ENG"]
    assert detail["date_of_birth"] == "1980/05/17"
    assert (detail["height"], detail["weight"], detail["eyes_colors_id"]) == (1.82, 80, ["BLU"])
    assert (await net.call("GET", "/notices/v1/red/2026-10002", auth=False))[0] == 404  # not public
    assert (await net.call("GET", "/notices/v1/yellow/2026-10001", auth=False))[0] == 404
    status, images = await net.call("GET", "/notices/v1/red/2026-10001/images", auth=False)
    assert (status, images["_embedded"]["images"]) == (200, [])
    status, problem = await net.call("GET", "/notices/v1/red?resultPerPage=500", auth=False)
    assert status == 422
    assert problem["errors"][0]["field"] == "query.resultPerPage"


async def test_short_penalty_is_refused_back_to_the_requester(net: Net) -> None:
    _, request = await net.send("NCB-DE", red_request(offence_max_penalty_years=1))
    await net.advance(DAY)
    review = await net.decided(request["message_id"])
    assert review["status"] == "REFUSED"
    assert review["findings"][0]["field"] == "offence_max_penalty_years"
    assert "Art 83(1)(b)(i)" in review["findings"][0]["article"]
    [refusal] = await net.inbox("NCB-DE")
    assert refusal["payload"]["kind"] == "NOTICE_REFUSAL"
    assert "at least 2 years" in refusal["payload"]["body"]
    assert await net.inbox("NCB-FR") == []
    assert (await net.call("GET", "/notices/v1/red", auth=False))[1]["total"] == 0


async def test_political_character_is_refused_under_article_3(net: Net) -> None:
    _, request = await net.send("NCB-DE", red_request(neutrality_concerns=["POLITICAL"]))
    await net.advance(DAY)
    review = await net.decided(request["message_id"])
    assert review["status"] == "REFUSED"
    assert review["findings"][0]["article"] == "Interpol Constitution Art 3"


async def test_invalid_notice_request_is_a_problem(net: Net) -> None:
    status, problem = await net.send("NCB-DE", red_request(arrest_warrants=[]))
    assert status == 422
    assert problem["errors"][0]["field"] == "arrest_warrants"
    assert "Art 83(2)(b)" in problem["errors"][0]["rule"]
    status, problem = await net.send("NCB-DE", red_request(restrictions={"excluded_ncbs": ["NCB-TR"]}))
    assert (status, problem["errors"][0]["field"]) == (422, "public_extract")
    status, _ = await net.send("NCB-FR", red_request())
    assert status == 403


async def test_diffusion_goes_only_to_the_chosen_ncbs(net: Net) -> None:
    status, sent = await net.send("NCB-DE", diffusion())
    assert status == 201
    assert sent["to"] == ["NCB-FR", "NCB-GB"]
    for ncb in ("NCB-FR", "NCB-GB"):
        assert [m["message_id"] for m in await net.inbox(ncb)] == [sent["message_id"]]
    for ncb in ("NCB-IT", "NCB-US", "IPSG"):
        assert await net.inbox(ncb) == []


async def test_restrictions_travel_and_bind_forwarding(net: Net) -> None:
    _, sent = await net.send("NCB-DE", diffusion())
    forward = diffusion(sender="NCB-FR", to=["NCB-TR"], forward_of=sent["message_id"], restrictions={})
    status, problem = await net.send("NCB-FR", forward)
    assert status == 403
    assert problem["errors"][0]["field"] == "to[0]"
    assert "NCB-TR is excluded by the source NCB-DE" in problem["errors"][0]["rule"]
    _, audit = await net.call("GET", "/control/audit")
    assert [e["party"] for e in audit["events"] if e["action"] == "interpol.restriction"] == ["NCB-FR"]
    assert await net.inbox("NCB-TR") == []

    status, passed = await net.send("NCB-FR", {**forward, "to": ["NCB-IT"]})
    assert status == 201
    assert passed["payload"]["source"] == "NCB-DE"
    assert passed["payload"]["restrictions"]["excluded_ncbs"] == ["NCB-TR"]
    assert passed["payload"]["restrictions"]["use_limitations"] == ["not for judicial proceedings"]
    # The onward recipient is bound too.
    again = diffusion(sender="NCB-IT", to=["NCB-TR"], forward_of=passed["message_id"], restrictions={})
    assert (await net.send("NCB-IT", again))[0] == 403
    # Only held data can be passed on.
    status, problem = await net.send("NCB-US", diffusion(sender="NCB-US", to=["NCB-IT"], forward_of=sent["message_id"]))
    assert (status, problem["errors"][0]["field"]) == (422, "forward_of")


async def test_originator_cannot_send_to_an_ncb_it_excluded_or_outside_its_list(net: Net) -> None:
    status, problem = await net.send("NCB-DE", diffusion(to=["NCB-FR", "NCB-TR"]))
    assert (status, problem["errors"][0]["field"]) == (403, "to[1]")
    restricted = diffusion(kind="MESSAGE", to=["NCB-US"], restrictions={"restricted_to_ncbs": ["NCB-FR", "NCB-IT"]})
    status, problem = await net.send("NCB-DE", restricted)
    assert status == 403
    assert "restricted_to_ncbs" in problem["errors"][0]["rule"]


async def test_review_survives_a_restart_and_follows_configured_delay(tmp_path: Path) -> None:
    network = await running(tmp_path, {"interpol": {"review_delay_seconds": 3600}})
    try:
        _, request = await network.send("NCB-DE", red_request())
        assert request["payload"]["review_due_at"] == "2026-03-02T11:00:00Z"
        await network.stop()
        await network.start()
        await network.advance(3600)
        assert (await network.decided(request["message_id"]))["status"] == "PUBLISHED"
        assert len(await network.inbox("NCB-FR")) == 1
        await network.stop()
        await network.start()
        await asyncio.sleep(0.05)
        assert len(await network.inbox("NCB-FR")) == 1  # decided once, not again after a restart
        assert (await network.call("GET", "/notices/v1/red", auth=False))[1]["total"] == 1
    finally:
        await network.stop()
        await network.session.close()


async def test_un_special_notice_published_by_the_general_secretariat(net: Net) -> None:
    un = red_request(
        sender="IPSG",
        colour="UNSC_SPECIAL",
        person_status="OTHER",
        arrest_warrants=[],
        un_listing={"un_reference": "QDi.999", "un_resolution": 1267, "main_activity": "Financier"},
    )
    assert (await net.send("NCB-DE", {**un, "sender": "NCB-DE"}))[0] == 422
    status, _ = await net.call("POST", "/interpol/messages", "IPSG", un)
    assert status == 201
    status, doc = await net.call("GET", "/notices/v1/un?unResolution=1267", auth=False)
    assert doc["total"] == 1
    href = doc["_embedded"]["notices"][0]["_links"]["self"]["href"]
    assert href == f"{net.base}/notices/v1/un/persons/2026-10001"
    status, detail = await net.call("GET", "/notices/v1/un/persons/2026-10001", auth=False)
    assert status == 200
    assert (detail["un_reference"], detail["un_resolution"], detail["main_activity"]) == ("QDi.999", 1267, "Financier")
    assert {"adresses", "name_in_original_script", "associates", "un_reference_date"} <= detail.keys()


async def test_a_retried_send_is_the_original(net: Net) -> None:
    key = {"Idempotency-Key": "req-1"}
    status, first = await net.call("POST", "/interpol/messages", "NCB-DE", red_request(), headers=key)
    assert status == 201
    await net.advance(600)
    status, again = await net.call("POST", "/interpol/messages", "NCB-DE", red_request(), headers=key)
    assert (status, again["message_id"]) == (200, first["message_id"])
    assert again["payload"]["review_due_at"] == first["payload"]["review_due_at"]
    status, _ = await net.call("POST", "/interpol/messages", "NCB-DE", red_request(subject="other"), headers=key)
    assert status == 409
    un = red_request(sender="IPSG", colour="UNSC_SPECIAL", un_listing={"un_reference": "QDi.1", "un_resolution": 1267})
    _, published = await net.call("POST", "/interpol/messages", "IPSG", un, headers=key)
    status, replayed = await net.call("POST", "/interpol/messages", "IPSG", un, headers=key)
    assert (status, replayed["message_id"]) == (200, published["message_id"])
    assert (await net.call("GET", "/notices/v1/un", auth=False))[1]["total"] == 1
