"""The named load profiles: their shape over the run, and the base rate from the yearly volume."""

from __future__ import annotations

import sys

import pytest

from load.shapes import PROFILES, ShapePlan, base_users, profile_factor


def test_a_major_incident_surges_after_15_percent_then_decays() -> None:
    factors = [profile_factor("major-incident", run_seconds=s, duration=100, speed=600) for s in (10, 15, 35, 95)]
    assert factors[0] == 1.0
    assert factors[1] == 9.0
    assert factors[2] == pytest.approx(5.0)  # one half-life later
    assert factors[3] == pytest.approx(1.5)  # four half-lives later


def test_an_ordinary_week_follows_office_hours_in_network_time() -> None:
    # Speed 3600: one wall second is one network hour from Monday 00:00.
    assert profile_factor("ordinary-week", run_seconds=3, duration=200, speed=3600) == 0.5  # Monday 03:00
    assert profile_factor("ordinary-week", run_seconds=10, duration=200, speed=3600) == 1.6  # Monday 10:00
    assert profile_factor("ordinary-week", run_seconds=5 * 24 + 10, duration=200, speed=3600) == 0.6  # Saturday


def test_the_base_follows_the_yearly_volume_speed_and_peak_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPOC_LOAD_USERS", raising=False)
    one = base_users(speed=600, peak_factor=1, pacing=10)
    assert base_users(speed=600, peak_factor=10, pacing=10) == pytest.approx(10 * one, rel=0.1)
    monkeypatch.setenv("SPOC_LOAD_USERS", "7")
    assert base_users(speed=600, peak_factor=10, pacing=10) == 7


def test_the_plan_adds_the_surge_users_in_the_surge_and_ends_with_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOC_LOAD_USERS", "4")
    plan = ShapePlan("major-incident", speed=600, peak_factor=1, pacing=1, duration=100)
    assert plan.tick(1000.0) == (4, False)  # timed from the first tick
    assert plan.tick(1015.0) == (36, True)
    assert plan.tick(1100.0) is None
    assert set(PROFILES) == {"ordinary-week", "major-incident", "holiday-weekend"}


def test_the_shapes_do_not_import_locust() -> None:
    # Importing locust patches the process for gevent; the harness's asyncio processes must stay clean.
    assert "locust" not in sys.modules
