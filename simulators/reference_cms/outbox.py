"""The outbox: every send of a step of the case engine, kept with its Idempotency-Key before it leaves.

A step of the worker (one received message, or one planned action) is one transaction of the store: a
CMS killed in the middle of it (`kill -9`, a power cut) starts again from before the step, and does the
step again. What cannot be rolled back is what the step sent: the channel may have accepted the message
just before the kill. So each send is written here, with its key, channel, sender and exact body, and
committed before the request leaves; its outcome (accepted, with the channel's envelope, or failed) is
written with the step's next send, before that one leaves. The step done again finds its sends in the same
order and, instead of making new ones:

- accepted: takes the envelope kept (the message is not sent a second time);
- failed: fails the same way (so that a fallback to another channel is taken again, not a second
  message on the channel that is back meanwhile);
- under way (no answer before the kill): sends the kept body again under the kept key, which the channel
  answers with the message it accepted, if it did (same key, same content), or accepts now.

A file of its own beside the store (`cms-XX.sqlite3-outbox`): the step's transaction on the store stays
open while the request is under way, so the outbox commits on a connection of its own. Rows live only
as long as their step: once the step is committed in the store they are moot, and deleted with the next
send's commit. Rows of another installation (a store made anew under the same name) are deleted on opening.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Outbox", "OutboxEntry"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    instance TEXT NOT NULL,
    step TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    channel TEXT NOT NULL,
    party TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    body TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT 'UNDER_WAY',
    result TEXT,
    PRIMARY KEY (instance, step, ordinal)
);
"""

_INSERT = ("INSERT OR REPLACE INTO outbox(instance, step, ordinal, channel, party, idempotency_key, body) "
           "VALUES(?,?,?,?,?,?,?)")


@dataclass(frozen=True)
class OutboxEntry:
    """One send of a step: what was (or is about to be) sent, and how it ended, if it did."""

    ordinal: int
    channel: str
    party: str
    key: str
    body: dict[str, Any]
    outcome: str  # UNDER_WAY, ACCEPTED or FAILED
    result: dict[str, Any] | None  # the envelope (ACCEPTED) or the failure (FAILED)

    @property
    def resumed(self) -> bool:
        """Kept by an earlier run of the step (a CMS killed in the middle of it)."""
        return self.outcome != "NEW"


class Outbox:
    """The sends of the steps under way, on a connection of its own (see the module's docstring).

    What must be durable before bytes leave is the row of the send about to leave, and the failures before it
    in the same step (a step done again must fall back the same way): both are committed together, in one
    transaction per send. The rest waits for that next commit, or never happens:

    - an answer is kept in memory until the step's next send writes it; a kill before then does the step
      again with the send under way, sent again under its key, which the channel answers with the message it
      accepted, if it did, and nothing else left the CMS after it;
    - a step committed in the store needs no rows here: they are deleted with the next send's commit (or at
      a scrub, or on closing); the store forgets those of steps done when it opens after a kill;
    - the steps left over from before a restart are read once, on opening: a step finds its kept sends in
      memory, and a step that sends nothing touches nothing.
    """

    def __init__(self, path: Path, instance: str) -> None:
        # Bodies are personal data like the store's: the file is the owner's only.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(_SCHEMA)
        self._instance = instance
        self._db.execute("DELETE FROM outbox WHERE instance != ?", (instance,))
        self._step: str | None = None
        self._ordinal = 0
        self._kept: dict[int, OutboxEntry] = {}
        # The sends kept by runs of steps a kill interrupted, by step: read once, here.
        self._left_over: dict[str, dict[int, OutboxEntry]] = {}
        for row in self._db.execute(
                "SELECT step, ordinal, channel, party, idempotency_key, body, outcome, result FROM outbox "
                "WHERE instance = ?", (instance,)):
            ordinal = int(row[1])
            self._left_over.setdefault(str(row[0]), {})[ordinal] = OutboxEntry(
                ordinal, str(row[2]), str(row[3]), str(row[4]), json.loads(row[5]), str(row[6]),
                json.loads(row[7]) if row[7] else None)
        # Answers of the current step's sends not yet written: (outcome, result, ordinal).
        self._answers: list[tuple[str, dict[str, Any], int]] = []
        # Steps committed in the store whose rows are still here.
        self._finished: list[str] = []

    def close(self) -> None:
        self._delete_finished()
        self._db.close()

    def scrub(self) -> None:
        """Drop every old page version (bodies of finished steps) from the file and its WAL (Art 16(3))."""
        self._delete_finished()
        self._db.execute("VACUUM")
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def steps(self) -> list[str]:
        """The steps with sends kept: one interrupted by a kill, or done in the store but not yet forgotten here."""
        return list(self._left_over)

    def forget(self, step: str) -> None:
        self._left_over.pop(step, None)
        self._db.execute("DELETE FROM outbox WHERE instance = ? AND step = ?", (self._instance, step))

    def begin(self, step: str) -> None:
        """A step starts (`inbox:ROW` or `action:ID`, unique in the store); its sends are numbered from 0."""
        self._step, self._ordinal, self._answers = step, 0, []
        self._kept = self._left_over.pop(step, {}) if self._left_over else {}

    def end(self, step: str) -> None:
        """The step is committed in the store: its sends are history (the case records them), their rows moot."""
        if self._ordinal or self._kept:
            self._finished.append(step)
        self._step, self._kept, self._answers = None, {}, []

    def prepare(self, channel: str, party: str, key: str, body: dict[str, Any]) -> OutboxEntry | None:
        """The send the step makes next: the one kept from an interrupted run of the step, if it made one at this
        place on the same channel, else this one, kept (and committed) before it leaves. None outside a step
        (an operator's stimulus: its caller learns from the answer whether it was sent)."""
        if self._step is None:
            return None
        ordinal = self._ordinal
        self._ordinal += 1
        kept = self._kept.get(ordinal)
        if kept is not None and kept.channel == channel:
            return kept
        row = (self._instance, self._step, ordinal, channel, party, key, json.dumps(body))
        if not self._answers and not self._finished:
            self._db.execute(_INSERT, row)  # on its own: one statement, one commit
            return OutboxEntry(ordinal, channel, party, key, body, "NEW", None)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._write_pending()
            self._db.execute(_INSERT, row)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return OutboxEntry(ordinal, channel, party, key, body, "NEW", None)

    def accepted(self, entry: OutboxEntry, envelope: dict[str, Any]) -> None:
        self._answer(entry, "ACCEPTED", envelope)

    def failed(self, entry: OutboxEntry, failure: dict[str, Any]) -> None:
        self._answer(entry, "FAILED", failure)

    def _answer(self, entry: OutboxEntry, outcome: str, result: dict[str, Any]) -> None:
        if self._step is not None:
            # Written (as JSON) only if the step sends again: a copy, for what the caller does with its own.
            self._answers.append((outcome, dict(result), entry.ordinal))

    def _write_pending(self) -> None:
        """Within the transaction of a send: the answers of the step's earlier sends, the rows of finished steps."""
        if self._answers:
            self._db.executemany(
                "UPDATE outbox SET outcome = ?, result = ? WHERE instance = ? AND step = ? AND ordinal = ?",
                [(outcome, json.dumps(result), self._instance, self._step, ordinal)
                 for outcome, result, ordinal in self._answers])
            self._answers = []
        if self._finished:
            self._db.executemany("DELETE FROM outbox WHERE instance = ? AND step = ?",
                                 [(self._instance, step) for step in self._finished])
            self._finished = []

    def _delete_finished(self) -> None:
        if self._finished:
            self._db.executemany("DELETE FROM outbox WHERE instance = ? AND step = ?",
                                 [(self._instance, step) for step in self._finished])
            self._finished = []
