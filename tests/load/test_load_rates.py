"""load-results.json's rates say what they are: asked (by the options), offered (attempted by the users) and
achieved (acknowledged by the SUT), offered and achieved per second of the users' sending window.

N users sending every P seconds for D seconds take D/P turns each. The users used to take their first two
turns at once (load/users.py, PacedUser), and the rates were counted per whole second locust saw users in:
a run asked 80/s "offered" 96/s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from load.options import LoadOptions
from load.reconcile import Reconciliation
from load.results import asked_per_second, build_results


def _sent(users: int, pacing: float, duration: float, began: float = 1_000.0) -> list[dict[str, Any]]:
    """What `users` paced users log: a send every `pacing` s from their start (spawned 1 ms apart) for `duration`."""
    stamps = [began + user * 0.001 + turn * pacing for user in range(users) for turn in range(round(duration / pacing))]
    return [{"message_id": f"M{index}", "class": "urgent-direct", "wall_sent": stamp, "wall_accepted": stamp + 0.005}
            for index, stamp in enumerate(stamps)]


def _results(tmp_path: Path, options: LoadOptions, sent: list[dict[str, Any]], acknowledged: int) -> dict[str, Any]:
    reconciliation = Reconciliation(requests=len(sent), acknowledged=acknowledged, journal_ok=True)
    return build_results(options=options, reconciliation=reconciliation, run_seconds=options.duration, sent=sent,
                         answer_wall={}, chaos=[], csv_prefix=tmp_path / "locust")


def test_a_run_asked_80_a_second_offers_80_not_96(tmp_path: Path) -> None:
    options = LoadOptions(report_dir=tmp_path, users=40, pacing=0.5, duration=5.0)
    sent = _sent(40, 0.5, 5.0)
    results = _results(tmp_path, options, sent, acknowledged=380)
    assert results["asked_exchanges_per_second"] == 80.0
    # From the first send to the last (4.5 s of turns, the last user spawned 39 ms after the first), plus its turn.
    assert results["send_window_seconds"] == pytest.approx(5.039, abs=0.01)
    assert results["offered_exchanges_per_second"] == pytest.approx(400 / 5.039, abs=0.01)
    assert results["achieved_exchanges_per_second"] == pytest.approx(380 / 5.039, abs=0.01)


def test_a_generator_faster_than_asked_shows_it(tmp_path: Path) -> None:
    options = LoadOptions(report_dir=tmp_path, users=40, pacing=0.5, duration=5.0)
    results = _results(tmp_path, options, _sent(40, 0.25, 5.0), acknowledged=800)
    assert results["asked_exchanges_per_second"] == 80.0
    assert results["offered_exchanges_per_second"] == pytest.approx(800 / (4.75 + 0.039 + 0.5), abs=0.01)


def test_a_profile_asks_the_mean_of_the_users_it_shapes(tmp_path: Path) -> None:
    # Holiday weekend: half the base, twice the base from 60% to 70% of the run: 0.9 x 0.5 + 0.1 x 2 = 0.65.
    options = LoadOptions(report_dir=tmp_path, users=20, pacing=2.0, duration=100.0, profile="holiday-weekend")
    assert asked_per_second(options) == pytest.approx(20 * 0.65 / 2.0, rel=0.01)


def test_without_sends_the_rates_fall_back_to_the_seconds_with_users(tmp_path: Path) -> None:
    results = _results(tmp_path, LoadOptions(report_dir=tmp_path, users=4, pacing=1.0, duration=3.0), [], 0)
    assert results["send_window_seconds"] == results["load_wall_seconds"] == 3.0
    assert (results["offered_exchanges_per_second"], results["achieved_exchanges_per_second"]) == (0.0, 0.0)
    assert results["asked_exchanges_per_second"] == 4.0
