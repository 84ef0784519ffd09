"""The scaled network clock: K x wall time, monotonic, movable by the control API, resumed on restart."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from simulators.app import ServerConfig, build_app
from simulators.runtime.clock import ScaledClock

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_network_time_runs_at_speed_times_wall_time() -> None:
    clock = ScaledClock(START, speed=600)
    began = time.monotonic()
    time.sleep(0.2)
    elapsed_network = (clock.now() - START).total_seconds()
    elapsed_wall = time.monotonic() - began
    # At least 600 x the sleep; at most 600 x the wall time measured after reading the clock.
    assert 0.2 * 600 <= elapsed_network <= elapsed_wall * 600
    assert clock.mode == "scaled"
    assert clock.speed == 600


def test_a_move_jumps_and_the_clock_runs_on_from_there_never_back() -> None:
    clock = ScaledClock(START, speed=100)
    later = START + timedelta(days=2)
    clock.set(later)
    time.sleep(0.05)
    assert clock.now() > later + timedelta(seconds=4)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.set(START)
    readings = [clock.now() for _ in range(1000)]
    assert readings == sorted(readings)


def test_a_scaled_clock_needs_a_positive_speed() -> None:
    with pytest.raises(ValueError, match="speed above 0"):
        ScaledClock(START, speed=0)


async def test_served_scaled_clock_is_movable_and_a_restart_resumes_where_the_journal_stood(tmp_path: Path) -> None:
    config = ServerConfig(data=tmp_path, clock="scaled", speed=1000, start=START)
    async with TestClient(TestServer(await build_app(config))) as client:
        token = json.loads((tmp_path / "credentials.json").read_text())["control"]
        control = {"Authorization": f"Bearer {token}"}
        first = await (await client.get("/clock")).json()
        assert first["mode"] == "scaled"
        moved = await client.post("/control/clock", json={"advance_seconds": 86_400}, headers=control)
        assert moved.status == 200, await moved.text()
        after_move = datetime.fromisoformat((await moved.json())["now"].replace("Z", "+00:00"))
        assert after_move >= START + timedelta(days=1)
    # Restarted with an earlier --start: the network resumes at the moved time, never before it.
    async with TestClient(TestServer(await build_app(config))) as client:
        now = datetime.fromisoformat((await (await client.get("/clock")).json())["now"].replace("Z", "+00:00"))
        assert now >= after_move
