"""The outbox's own promises, on a real SQLite file read by a second connection (what a restart would find).

The send about to leave, and the failures of the step before it, are committed before it leaves; a step that
sends nothing writes nothing; a step committed in the store leaves rows that only the next send deletes, and
which a restart finds among the steps to forget.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from simulators.reference_cms.outbox import Outbox


def _rows(path: Path) -> list[tuple[str, int, str]]:
    with sqlite3.connect(path) as other:
        return [(str(r[0]), int(r[1]), str(r[2]))
                for r in other.execute("SELECT step, ordinal, outcome FROM outbox ORDER BY step, ordinal")]


def test_a_send_is_committed_before_it_leaves_and_a_failure_before_the_next_one(tmp_path: Path) -> None:
    path = tmp_path / "cms.sqlite3-outbox"
    outbox = Outbox(path, "I1")
    outbox.begin("inbox:1")
    first = outbox.prepare("siena", "SPOC-BE", "k1", {"text": "one"})
    assert first is not None
    assert not first.resumed
    assert _rows(path) == [("inbox:1", 0, "UNDER_WAY")]
    outbox.failed(first, {"unavailable": True, "status": 503})
    second = outbox.prepare("sirene", "SPOC-BE", "k2", {"text": "one"})
    assert second is not None
    # The failure is on disk before the fallback leaves: a step done again falls back the same way.
    assert _rows(path) == [("inbox:1", 0, "FAILED"), ("inbox:1", 1, "UNDER_WAY")]
    outbox.accepted(second, {"message_id": "M1"})
    outbox.end("inbox:1")

    outbox.begin("action:7")
    outbox.end("action:7")  # sends nothing: writes nothing
    assert _rows(path) == [("inbox:1", 0, "FAILED"), ("inbox:1", 1, "UNDER_WAY")]

    outbox.begin("action:8")
    assert outbox.prepare("siena", "SPOC-DE", "k3", {"text": "two"}) is not None
    # The committed step's rows went with the next send's commit.
    assert _rows(path) == [("action:8", 0, "UNDER_WAY")]
    outbox.close()  # killed here, in effect: the step under way is kept

    reopened = Outbox(path, "I1")
    assert reopened.steps() == ["action:8"]
    reopened.begin("action:8")
    resumed = reopened.prepare("siena", "SPOC-DE", "k3", {"text": "two"})
    assert resumed is not None
    assert resumed.resumed
    assert resumed.key == "k3"
    reopened.end("action:8")
    reopened.close()
    assert _rows(path) == []


def test_a_scrub_deletes_the_rows_of_committed_steps_first(tmp_path: Path) -> None:
    path = tmp_path / "cms.sqlite3-outbox"
    outbox = Outbox(path, "I1")
    outbox.begin("inbox:1")
    entry = outbox.prepare("siena", "SPOC-BE", "k1", {"text": "personal"})
    assert entry is not None
    outbox.accepted(entry, {"message_id": "M1"})
    outbox.end("inbox:1")
    outbox.scrub()
    assert _rows(path) == []
    assert b"personal" not in path.read_bytes()
    outbox.close()
