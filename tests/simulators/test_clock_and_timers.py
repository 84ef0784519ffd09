"""The network clock: virtual moves, timers that follow it, and time that survives a restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any


async def test_virtual_clock_set_and_advance(net: Any) -> None:
    moved = await net.call("POST", "/control/clock", control=True, json_body={"advance_seconds": 3600})
    assert moved.body == {"now": "2026-03-02T11:00:00Z", "mode": "virtual"}
    assert moved.headers["X-Network-Time"] == "2026-03-02T11:00:00.000000Z"
    set_to = await net.call("POST", "/control/clock", control=True, json_body={"set": "2026-03-09T12:00:00+01:00"})
    assert set_to.body["now"] == "2026-03-09T11:00:00Z"
    assert (await net.send("SPOC-DE")).body["created_at"] == "2026-03-09T11:00:00Z"
    back = await net.call("POST", "/control/clock", control=True, json_body={"set": "2026-03-01T00:00:00Z"})
    assert back.status == 422
    assert back.fields == ["set"]
    both = await net.call("POST", "/control/clock", control=True, json_body={"set": "2026-03-10T00:00:00Z",
                                                                           "advance_seconds": 1})
    assert both.status == 422
    naive = await net.call("POST", "/control/clock", control=True, json_body={"set": "2026-03-10T00:00:00"})
    assert naive.status == 422
    assert naive.fields == ["set"]
    too_far = await net.call("POST", "/control/clock", control=True, json_body={"advance_seconds": 1e12})
    assert too_far.status == 422
    assert too_far.fields == ["advance_seconds"]
    assert (await net.call("POST", "/control/clock", control=True,
                           json_body={"set": "9999-12-31T00:00:00Z"})).status == 422
    overflow = await net.call("POST", "/control/clock", control=True, json_body={"advance_seconds": 3.2e10})
    assert overflow.status == 422
    assert overflow.fields == ["advance_seconds"]


async def test_system_clock_cannot_be_moved(make_net: Any, tmp_path: Any) -> None:
    net = await make_net(tmp_path / "system", clock="system", start=None)
    answer = await net.call("POST", "/control/clock", control=True, json_body={"advance_seconds": 1})
    assert answer.status == 409
    assert (await net.call("GET", "/clock")).body["mode"] == "system"


async def test_timers_fire_when_network_time_reaches_them(net: Any) -> None:
    fired: list[datetime] = []

    async def record() -> None:
        fired.append(net.network.clock.now())

    start = net.network.clock.now()
    net.network.schedule_at(start + timedelta(hours=8), "deadline", record)
    net.network.schedule_at(start + timedelta(hours=1), "replaced", record)
    net.network.schedule_at(start + timedelta(hours=2), "replaced", record)  # same name: replaces
    await asyncio.sleep(0.05)
    assert fired == []
    await net.advance(3 * 3600)
    await asyncio.sleep(0.05)
    assert fired == [start + timedelta(hours=3)]
    await net.advance(5 * 3600)
    await asyncio.sleep(0.05)
    assert len(fired) == 2


async def test_durable_timers_survive_a_restart(make_net: Any, tmp_path: Any) -> None:
    fired: list[dict[str, Any]] = []

    async def handler(params: dict[str, Any]) -> None:
        fired.append(params)

    first = await make_net(tmp_path / "durable")
    first.network.register_timer("review", handler)
    due = first.network.clock.now() + timedelta(hours=24)
    await first.network.schedule_durable(due, "review", "notice-1", {"notice": "N-1"})
    await first.stop()

    second = await make_net(tmp_path / "durable")
    # A restarted network arms pending timers once their handler is registered (channels do it in setup).
    second.network.register_timer("review", handler)
    await second.network.durable_timers.arm_pending()
    await second.advance(24 * 3600)
    for _ in range(50):
        if fired:
            break
        await asyncio.sleep(0.02)
    assert fired == [{"notice": "N-1"}]
    await asyncio.sleep(0.05)
    pending = await second.network.journal.read(
        lambda c: c.execute("SELECT fired_at FROM timers WHERE key='notice-1'").fetchone())
    assert pending[0] is not None


async def test_restarted_virtual_clock_resumes_where_it_stood(make_net: Any, tmp_path: Any) -> None:
    first = await make_net(tmp_path / "resume")
    await first.advance(7 * 86400)
    await first.stop()
    second = await make_net(tmp_path / "resume", start=datetime(2026, 1, 1, tzinfo=UTC))
    assert (await second.call("GET", "/clock")).body["now"] == "2026-03-09T10:00:00Z"


async def test_a_clock_time_the_model_cannot_represent_is_refused(net: Any) -> None:
    """Year 9999 left no room for the deadlines, retention and retries computed from it: later sends failed."""
    far = await net.call("POST", "/control/clock", control=True, json_body={"set": "9999-12-31T00:00:00Z"})
    assert far.status == 422, far.body
    assert far.fields == ["set"]
    leap = await net.call("POST", "/control/clock", control=True, json_body={"advance_seconds": 3.2e10})
    assert leap.status == 422, leap.body
    assert leap.fields == ["advance_seconds"]
    assert (await net.call("GET", "/clock")).body["now"].startswith("2026-03-02T10:00:00")
    edge = await net.call("POST", "/control/clock", control=True, json_body={"set": "2999-12-01T00:00:00Z"})
    assert edge.status == 200, edge.body
    assert (await net.send("SPOC-DE")).status == 201
    sirene = await net.call("POST", "/sirene/forms", party="SIRENE-AT", json_body={
        "form_type": "G", "f001_sent_at_utc": "2999-12-01T00:00:00Z", "f002_form_ref": "AT-2999-000001",
        "f003_sender_bureau": "SIRENE-AT", "f004_recipient_bureaux": ["SIRENE-DE"],
        "f005_schengen_id": "DE0000012345", "alert_article": "36", "hit_place": "Salzburg",
        "hit_time_utc": "2999-11-30T23:40:00Z", "action_taken": "discreet check carried out", "language": "de"})
    assert sirene.status == 201, sirene.body
