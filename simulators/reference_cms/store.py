"""The reference CMS's own SQLite store: cases, communications, planned actions, audit log, fixtures.

One file per CMS (`--data DIR/cms-XX.sqlite`), WAL mode. A received message is written to the inbox
and committed before its delivery is acknowledged to the channel (`durable`), so nothing acknowledged is
lost; the case engine then processes the inbox in order, each step (one message, one planned action) in
one transaction, so that a CMS killed in the middle of a step does it again from the start. What a step
sends is kept in the outbox beside the store (simulators/reference_cms/outbox.py) before it leaves, so
that the step done again sends nothing twice. Times are stored as fixed-width UTC strings so that they sort.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, Field, TypeAdapter

from simulators.model.directive import CopyReason, RefusalGround
from simulators.model.sut_interface import (
    AuditEntry,
    AuditOperation,
    CaseRecord,
    Communication,
    CrossCheckMatch,
    FixtureRecord,
)
from simulators.reference_cms.outbox import Outbox
from simulators.reference_cms.policy import FixtureIndex

__all__ = ["CaseState", "InboxItem", "ItemWork", "PlannedAction", "Store", "stamp", "unstamp"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT UNIQUE,
    channel TEXT NOT NULL,
    party TEXT NOT NULL,
    received_at TEXT NOT NULL,
    envelope TEXT NOT NULL,
    processed INTEGER NOT NULL DEFAULT 0
);
-- The worker's queue: only the unprocessed rows, so finding the next one never walks the processed
-- rows (their envelopes sit in overflow pages before the `processed` column).
CREATE INDEX IF NOT EXISTS inbox_unprocessed ON inbox(id, received_at) WHERE processed = 0;
CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    reference TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    data TEXT NOT NULL,
    origin_message_id TEXT
);
CREATE INDEX IF NOT EXISTS cases_reference ON cases(reference);
CREATE TABLE IF NOT EXISTS communications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS communications_message ON communications(message_id);
CREATE INDEX IF NOT EXISTS communications_case ON communications(case_id);
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id TEXT,
    kind TEXT NOT NULL,
    due_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'PENDING',
    done_at TEXT
);
CREATE INDEX IF NOT EXISTS actions_due ON actions(status, due_at);
CREATE INDEX IF NOT EXISTS actions_case ON actions(case_id, status);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    operation TEXT NOT NULL,
    case_id TEXT,
    justification TEXT NOT NULL,
    recipient TEXT,
    message_id TEXT,
    data TEXT
);
CREATE TABLE IF NOT EXISTS fixtures (id INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subjects (case_id TEXT NOT NULL, subject TEXT NOT NULL, PRIMARY KEY(case_id, subject));
CREATE INDEX IF NOT EXISTS subjects_subject ON subjects(subject);
-- A case's Art 16(1)(d) cross-check matches (a JSON array of CrossCheckMatch), apart from the case data: under
-- load many requests concern the same few persons, so the list grows with every earlier exchange on them, and
-- the case data is written at every step of the case and read at every planned action. Written once, read for
-- the export.
CREATE TABLE IF NOT EXISTS cross_checks (case_id TEXT PRIMARY KEY, matches TEXT NOT NULL);
"""


def stamp(moment: datetime) -> str:
    """Fixed-width UTC text that sorts like the time it names (YYYY-MM-DDTHH:MM:SS.ffffffZ)."""
    # isoformat with microseconds is as fixed as strftime's "%Y-%m-%dT%H:%M:%S.%fZ" and a fifth of its cost; a
    # case's step stamps a dozen times.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def unstamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class ItemWork(BaseModel):
    """The CMS's working notes on one requested item (not exported)."""

    decision: str = "REFUSE"  # PROVIDE, REFUSE or JUDICIAL (policy.ItemPlan.decision)
    grounds: list[RefusalGround] = Field(default_factory=list)
    records: list[FixtureRecord] = Field(default_factory=list)
    withheld_categories: list[str] = Field(default_factory=list)


class CaseState(CaseRecord):
    """A case as the CMS keeps it: the exported record plus the working state behind it."""

    seq: int = 0
    request: dict[str, Any] | None = None
    work: dict[str, ItemWork] = Field(default_factory=dict)
    first_viewed_at: datetime | None = None
    reply_to: str | None = None
    reply_copies: dict[str, CopyReason] = Field(default_factory=dict)
    reply_channel: str = "SIENA"
    reply_in_thread: bool = True  # false when the request came on another channel: no SIENA thread to answer in
    reply_exception: str | None = None
    crime_areas: list[str] = Field(default_factory=list)
    serious_offence: bool = False
    origin_message_id: str | None = None
    clarification_request_id: str | None = None
    handed_over_to: str | None = None
    judicial_notice_sent: bool = False
    judicial_deviation: bool = False

    def export(self, communications: list[Communication], matches: list[CrossCheckMatch] | None = None) -> CaseRecord:
        """The exported record: with its communications and its cross-check matches (`Store.cross_check_matches`)."""
        data = self.model_dump(include=set(CaseRecord.model_fields))
        data["communications"] = communications
        if matches is not None:
            data["cross_check_matches"] = matches
        return CaseRecord.model_validate(data)


@dataclass(frozen=True)
class InboxItem:
    row_id: int
    delivery_id: str | None
    channel: str
    party: str
    received_at: datetime
    envelope: dict[str, Any]


@dataclass(frozen=True)
class PlannedAction:
    action_id: int
    case_id: str | None
    kind: str
    due_at: datetime
    payload: dict[str, Any]


class Store:
    def __init__(self, path: Path) -> None:
        if not path.parent.is_dir():
            path.parent.mkdir(mode=0o700, parents=True)
        # Case data are personal data: the file is the owner's only (SQLite gives its -wal and -shm
        # files the same mode as the database file).
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Deleted and overwritten content is zeroed, not left in free pages (Art 16(3): irrevocably).
        self._db.execute("PRAGMA secure_delete=ON")
        # The counters' values (next_number), read once: each is written by this connection alone. Dropped with a
        # rolled-back transaction, which may have taken back a number.
        self._counters: dict[str, int] = {}
        self._db.executescript(_SCHEMA)
        self._add_origin_column()
        self._move_cross_checks_apart()
        # What the national databases hold, parsed once per change: every request is checked against all of it.
        self._fixtures: FixtureIndex | None = None
        self._batch_depth = 0
        self.instance_id = self._instance_id()
        # An erasure asks for the freed pages to be scrubbed; the worker does it once the actions due at the
        # current time are done (one VACUUM for a batch of retention reviews, not one per case), and the
        # CMS is not idle until it has.
        self.scrub_pending = False
        # Resolved by the next commit: what a receipt waits for before its delivery is acknowledged.
        self._committed: asyncio.Future[None] | None = None
        self.outbox = Outbox(path.with_name(f"{path.name}-outbox"), self.instance_id)
        for step in self.outbox.steps():
            if self._step_done(step):
                self.outbox.forget(step)  # done before the kill: only its outbox rows were left

    def _step_done(self, step: str) -> bool:
        kind, _, number = step.partition(":")
        if kind == "inbox":
            row = self._db.execute("SELECT processed FROM inbox WHERE id = ?", (number,)).fetchone()
            return row is None or bool(row["processed"])
        row = self._db.execute("SELECT status FROM actions WHERE id = ?", (number,)).fetchone()
        return row is None or row["status"] != "PENDING"

    def _add_origin_column(self) -> None:
        """A store written before `cases.origin_message_id` existed gets the column, filled from the case data."""
        columns = {str(r["name"]) for r in self._db.execute("PRAGMA table_info(cases)")}
        if "origin_message_id" not in columns:
            with self.transaction():
                self._db.execute("ALTER TABLE cases ADD COLUMN origin_message_id TEXT")
                self._db.execute("UPDATE cases SET origin_message_id = json_extract(data, '$.origin_message_id')")

    def _move_cross_checks_apart(self) -> None:
        """A store written when the matches were part of the case data gets them in `cross_checks` (once)."""
        if self.get("cross-checks-apart") is not None:
            return
        with self.transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO cross_checks(case_id, matches) SELECT case_id, "
                "json_extract(data, '$.cross_check_matches') FROM cases "
                "WHERE json_array_length(data, '$.cross_check_matches') > 0")
            self.put("cross-checks-apart", "1")

    def _instance_id(self) -> str:
        """This installation's own random id, made once and kept with its data.

        What the CMS says on the network must be unique across every CMS the network has seen, not only
        within this store: a CMS re-installed with a fresh store (or a second one of the same state, as
        in a test campaign) counts its cases from 1 again, and its Idempotency-Keys and references would
        otherwise repeat those of the earlier installation, which a channel answers with the earlier
        message (same key, same content) or a 409 (same key, other content). Kept in the store so that
        a restarted CMS retries an unacknowledged send under the very key it used before.
        """
        with self.transaction():
            existing = self.get("instance-id")
            if existing is None:
                existing = secrets.token_hex(4).upper()
                self.put("instance-id", existing)
        return existing

    def close(self) -> None:
        if self.scrub_pending:
            self.scrub_free_pages()  # an erasure is never left half done by a stop
        self._db.close()
        self.outbox.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing; inside a batch, a savepoint of it (committed with the batch)."""
        if self._db.in_transaction:
            self._db.execute("SAVEPOINT part")
            try:
                yield
            except BaseException:
                self._counters.clear()
                self._db.execute("ROLLBACK TO part")
                self._db.execute("RELEASE part")
                raise
            self._db.execute("RELEASE part")
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._counters.clear()
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def batch(self, step: str | None = None) -> Iterator[None]:
        """One transaction for the writes of one step of the worker (`step`: `inbox:ROW` or `action:ID`).

        Atomic against a kill: a CMS killed in the middle of a step (while it waits for the channel to take
        a message) finds the store as it was before the step, and does the step again; what the step sent
        meanwhile is in the outbox, so that it is not sent twice (simulators/reference_cms/outbox.py).
        The transaction stays open while the step waits for the network: a delivery received meanwhile is
        written into it and acknowledged once it commits (`durable`). A step that fails with an error keeps
        what it wrote (committed like the rest), as when every statement committed on its own.
        """
        self._batch_depth += 1
        if step is not None:
            self.outbox.begin(step)
        try:
            if self._batch_depth == 1 and not self._db.in_transaction:
                self._db.execute("BEGIN IMMEDIATE")
            yield
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0:
                self._commit()
            if step is not None:
                self.outbox.end(step)

    @contextmanager
    def unbatched(self) -> Iterator[None]:
        """Commit what the batch holds, for what must run outside any transaction (VACUUM); batch again after."""
        self._commit()
        try:
            yield
        finally:
            if self._batch_depth and not self._db.in_transaction:
                self._db.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        if self._db.in_transaction:
            self._db.execute("COMMIT")
        committed, self._committed = self._committed, None
        if committed is not None and not committed.done():
            committed.set_result(None)

    async def durable(self) -> None:
        """Return once everything written so far is committed: at once, or when the step under way commits.

        A receipt waits for this before its delivery is acknowledged to the channel; a kill before the
        commit loses the receipt with the step, and the channel, never told, delivers it again."""
        if not self._db.in_transaction:
            return
        if self._committed is None:
            self._committed = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._committed)

    # -- key/value --------------------------------------------------------------------------

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return default if row is None else str(row["value"])

    def put(self, key: str, value: str) -> None:
        self._counters.pop(key, None)
        self._db.execute("INSERT INTO kv(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = ?",
                         (key, value, value))

    def next_number(self, counter: str) -> int:
        """The counter's next value, kept: one statement, the value read from the database once per counter."""
        value = self._counters.get(counter)
        if value is None:
            value = int(self.get(counter, "0") or "0")
        value += 1
        self.put(counter, str(value))
        self._counters[counter] = value
        return value

    # -- inbox --------------------------------------------------------------------------------

    def add_inbox(self, delivery_id: str | None, channel: str, party: str, received_at: datetime,
                  envelope: dict[str, Any]) -> bool:
        """Keep a received delivery; False when this delivery id was already kept."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO inbox(delivery_id, channel, party, received_at, envelope) VALUES(?,?,?,?,?)",
            (delivery_id, channel, party, stamp(received_at), _json_text(envelope)),
        )
        # Not committed here when a step's transaction is open: the caller awaits `durable` before it acknowledges.
        return cursor.rowcount == 1

    def has_delivery(self, delivery_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM inbox WHERE delivery_id = ?", (delivery_id,)).fetchone() is not None

    def next_inbox(self) -> InboxItem | None:
        row = self._db.execute("SELECT * FROM inbox WHERE processed = 0 ORDER BY id LIMIT 1").fetchone()
        if row is None:
            return None
        return InboxItem(row["id"], row["delivery_id"], row["channel"], row["party"],
                         unstamp(row["received_at"]), orjson.loads(row["envelope"]))

    def mark_processed(self, row_id: int) -> None:
        self._db.execute("UPDATE inbox SET processed = 1 WHERE id = ?", (row_id,))

    def unprocessed_inbox(self) -> tuple[int, datetime | None]:
        row = self._db.execute("SELECT COUNT(*) AS n, MIN(received_at) AS first FROM inbox WHERE processed = 0"
                               ).fetchone()
        return int(row["n"]), (unstamp(row["first"]) if row["first"] else None)

    # -- cases --------------------------------------------------------------------------------

    def save_case(self, case: CaseState) -> None:
        opened = case.received_at or case.sent_at
        assert opened is not None, "a case is opened by a receipt or a sending"
        self._db.execute(
            "INSERT INTO cases(case_id, seq, direction, kind, reference, opened_at, data, origin_message_id) "
            "VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(case_id) DO UPDATE SET data = excluded.data, "
            "reference = excluded.reference, kind = excluded.kind, origin_message_id = excluded.origin_message_id",
            (case.case_id, case.seq, case.direction.value, case.kind.value, case.reference, stamp(opened),
             case.model_dump_json(exclude=_APART), case.origin_message_id),
        )

    def case(self, case_id: str) -> CaseState | None:
        row = self._db.execute("SELECT data FROM cases WHERE case_id = ?", (case_id,)).fetchone()
        return None if row is None else CaseState.model_validate_json(row["data"])

    def cases(self) -> list[CaseState]:
        rows = self._db.execute("SELECT data FROM cases ORDER BY seq").fetchall()
        return [CaseState.model_validate_json(r["data"]) for r in rows]

    def open_requests_waiting_for_others(self) -> int:
        """Incoming requests not yet concluded whose information is only indirectly available (Art 2(7))."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM cases WHERE direction = 'INCOMING' AND kind = 'REQUEST' "
            "AND json_extract(data, '$.status') != 'CONCLUDED' AND json_extract(data, '$.availability') = 'INDIRECT'"
        ).fetchone()
        return int(row[0])

    def cases_with_reference(self, reference: str) -> list[CaseState]:
        rows = self._db.execute("SELECT data FROM cases WHERE reference = ? ORDER BY seq", (reference,)).fetchall()
        return [CaseState.model_validate_json(r["data"]) for r in rows]

    # -- cross-check matches (Art 16(1)(d)) --------------------------------------------------------

    def record_cross_check(self, case_id: str, matches: list[dict[str, str | None]]) -> None:
        """Keep a case's cross-check matches, each as CrossCheckMatch fields (replacing any kept before)."""
        self._db.execute("INSERT OR REPLACE INTO cross_checks(case_id, matches) VALUES(?, ?)",
                         (case_id, _json_text(matches)))

    def cross_check_matches(self, case_id: str) -> list[CrossCheckMatch]:
        row = self._db.execute("SELECT matches FROM cross_checks WHERE case_id = ?", (case_id,)).fetchone()
        return [] if row is None else _MATCHES.validate_json(row["matches"])

    def erase_cross_check_subjects(self, case_id: str) -> None:
        """Art 16(3): the case's matches keep what they link to, no longer whom or what about."""
        matches = [m.model_copy(update={"subject": "(erased)", "item": None})
                   for m in self.cross_check_matches(case_id)]
        if matches:
            self.record_cross_check(case_id, [m.model_dump() for m in matches])

    # -- communications -----------------------------------------------------------------------

    def add_communication(self, case_id: str, communication: Communication) -> None:
        self._db.execute("INSERT INTO communications(case_id, message_id, data) VALUES(?,?,?)",
                         (case_id, communication.message_id, communication.model_dump_json()))

    def communications_numbered(self, case_id: str) -> list[tuple[int, Communication]]:
        rows = self._db.execute("SELECT id, data FROM communications WHERE case_id = ? ORDER BY id",
                                (case_id,)).fetchall()
        return [(int(r["id"]), Communication.model_validate_json(r["data"])) for r in rows]

    def communications(self, case_id: str) -> list[Communication]:
        rows = self._db.execute("SELECT data FROM communications WHERE case_id = ? ORDER BY id",
                                (case_id,)).fetchall()
        return [Communication.model_validate_json(r["data"]) for r in rows]

    def all_communications(self) -> list[tuple[str, Communication]]:
        rows = self._db.execute("SELECT case_id, data FROM communications ORDER BY id").fetchall()
        return [(r["case_id"], Communication.model_validate_json(r["data"])) for r in rows]

    def cases_of_message(self, message_id: str) -> list[str]:
        rows = self._db.execute("SELECT DISTINCT case_id FROM communications WHERE message_id = ? ORDER BY id",
                                (message_id,)).fetchall()
        return [str(r["case_id"]) for r in rows]

    # -- planned actions ----------------------------------------------------------------------

    def plan(self, case_id: str | None, kind: str, due_at: datetime, payload: dict[str, Any] | None = None) -> int:
        cursor = self._db.execute("INSERT INTO actions(case_id, kind, due_at, payload) VALUES(?,?,?,?)",
                                  (case_id, kind, stamp(due_at), json.dumps(payload or {})))
        return int(cursor.lastrowid or 0)

    def next_action(self) -> PlannedAction | None:
        row = self._db.execute("SELECT * FROM actions WHERE status = 'PENDING' ORDER BY due_at, id LIMIT 1"
                               ).fetchone()
        return None if row is None else _action(row)

    def pending_actions(self, case_id: str | None = None) -> list[PlannedAction]:
        if case_id is None:
            rows = self._db.execute("SELECT * FROM actions WHERE status = 'PENDING' ORDER BY due_at, id").fetchall()
        else:
            rows = self._db.execute("SELECT * FROM actions WHERE status = 'PENDING' AND case_id = ? "
                                    "ORDER BY due_at, id", (case_id,)).fetchall()
        return [_action(r) for r in rows]

    def planned(self, limit: int) -> tuple[int, list[tuple[str, str, str | None]]]:
        """How many actions are pending, and the first `limit` of them as (due stamp, kind, case id): the agenda,
        asked at every step of a harness in virtual time, without reading every pending action's payload."""
        count = int(self._db.execute("SELECT COUNT(*) FROM actions WHERE status = 'PENDING'").fetchone()[0])
        rows = self._db.execute("SELECT due_at, kind, case_id FROM actions WHERE status = 'PENDING' "
                                "ORDER BY due_at, id LIMIT ?", (limit,)).fetchall()
        return count, [(str(r["due_at"]), str(r["kind"]), r["case_id"]) for r in rows]

    def finish_action(self, action_id: int, at: datetime, status: str = "DONE") -> None:
        self._db.execute("UPDATE actions SET status = ?, done_at = ? WHERE id = ?", (status, stamp(at), action_id))

    def cancel_actions(self, case_id: str, kinds: tuple[str, ...], at: datetime) -> int:
        marks = ",".join("?" for _ in kinds)
        cursor = self._db.execute(
            f"UPDATE actions SET status = 'CANCELLED', done_at = ? WHERE status = 'PENDING' AND case_id = ? "
            f"AND kind IN ({marks})",
            (stamp(at), case_id, *kinds),
        )
        return cursor.rowcount

    # -- audit ------------------------------------------------------------------------------

    def audit(self, *, at: datetime, actor: str, operation: AuditOperation, justification: str,
              case_id: str | None = None, recipient: str | None = None, message_id: str | None = None,
              data: str | None = None) -> None:
        self._db.execute(
            "INSERT INTO audit(at, actor, operation, case_id, justification, recipient, message_id, data) "
            "VALUES(?,?,?,?,?,?,?,?)",
            (stamp(at), actor, operation.value, case_id, justification, recipient, message_id, data),
        )

    def audit_entries(self, since: datetime | None = None, case_id: str | None = None) -> list[AuditEntry]:
        query, args = "SELECT * FROM audit WHERE 1 = 1", []
        if since is not None:
            query += " AND at >= ?"
            args.append(stamp(since))
        if case_id is not None:
            query += " AND case_id = ?"
            args.append(case_id)
        rows = self._db.execute(query + " ORDER BY id", args).fetchall()
        return [
            AuditEntry(entry_id=r["id"], at=unstamp(r["at"]), actor=r["actor"], operation=r["operation"],
                       case_id=r["case_id"], justification=r["justification"], recipient=r["recipient"],
                       message_id=r["message_id"], data=r["data"])
            for r in rows
        ]

    # -- subjects (for the Art 16(1)(d) cross-check) --------------------------------------------

    def add_subjects(self, case_id: str, subjects: list[str]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO subjects(case_id, subject) VALUES(?, ?)",
                             [(case_id, s.casefold()) for s in subjects])

    def forget_subjects(self, case_id: str) -> None:
        """Erase a case's entries in the subject index (Art 16(3)): it no longer matches anyone."""
        self._db.execute("DELETE FROM subjects WHERE case_id = ?", (case_id,))

    def subjects_of(self, case_id: str) -> list[str]:
        return [str(r["subject"]) for r in self._db.execute("SELECT subject FROM subjects WHERE case_id = ?",
                                                              (case_id,))]

    def erase_case_traces(self, case_id: str, message_ids: set[str], redact: Callable[[str], str]) -> None:
        """Art 16(3) beyond the case record: the received messages of the case kept in the inbox give way
        to a stub, and `redact` is applied to the case's audit data and planned actions' payloads."""
        with self.transaction():
            for row in self._db.execute("SELECT id, envelope FROM inbox WHERE processed = 1").fetchall():
                message_id = json.loads(row["envelope"]).get("message_id")
                if message_id in message_ids:
                    stub = json.dumps({"message_id": message_id, "erased": "at the retention review (Art 16(3))"})
                    self._db.execute("UPDATE inbox SET envelope = ? WHERE id = ?", (stub, row["id"]))
            for row in self._db.execute("SELECT id, data FROM audit WHERE case_id = ? AND data IS NOT NULL",
                                        (case_id,)).fetchall():
                self._db.execute("UPDATE audit SET data = ? WHERE id = ?", (redact(row["data"]), row["id"]))
            for row in self._db.execute("SELECT id, payload FROM actions WHERE case_id = ?", (case_id,)).fetchall():
                self._db.execute("UPDATE actions SET payload = ? WHERE id = ?", (redact(row["payload"]), row["id"]))

    def scrub_free_pages(self) -> None:
        """Rebuild the database file without free pages and empty the WAL, which held old copies.

        secure_delete alone is not enough: pages freed whole (a table emptied) keep their bytes on the
        free list. VACUUM writes a file with no free list; the TRUNCATE checkpoint then drops every old
        page version from the WAL. A small store takes milliseconds (some 15 with its fsyncs).
        """
        with self.unbatched():  # VACUUM runs outside any transaction
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.outbox.scrub()  # the bodies the steps sent, kept there until each step was done
        self.scrub_pending = False

    def request_scrub(self) -> None:
        """Scrub the freed pages before the CMS is next idle (see `scrub_pending`)."""
        self.scrub_pending = True

    def exchanges_with_subject(self, subject: str) -> list[tuple[str, str | None]]:
        """The cases on this subject, each with the message that names the exchange (Art 16(1)(d) cross-check).

        That message is the one that opened the case, or for a case the CMS opened by sending, its first
        communication; none for a case not saved yet. One query, without reading any case record: under
        load many requests concern the same few persons, and each of them is matched against every earlier one.
        """
        # CASE evaluates lazily: the first communication is looked up only for a saved case without an origin.
        rows = self._db.execute(
            "SELECT s.case_id, CASE WHEN c.case_id IS NULL THEN NULL "
            "WHEN c.origin_message_id IS NOT NULL AND c.origin_message_id != '' THEN c.origin_message_id "
            "ELSE (SELECT m.message_id FROM communications m WHERE m.case_id = s.case_id ORDER BY m.id LIMIT 1) END "
            "FROM subjects s LEFT JOIN cases c ON c.case_id = s.case_id WHERE s.subject = ? ORDER BY s.rowid",
            (subject.casefold(),)).fetchall()
        return [(str(r[0]), r[1]) for r in rows]

    # -- fixtures -----------------------------------------------------------------------------

    def replace_fixtures(self, records: list[FixtureRecord]) -> int:
        self._fixtures = None
        with self.transaction():
            removed = self._db.execute("DELETE FROM fixtures").rowcount
            self._db.executemany("INSERT INTO fixtures(record) VALUES(?)", [(r.model_dump_json(),) for r in records])
        return removed

    def fixtures(self) -> list[FixtureRecord]:
        return list(self.fixture_index().records)

    def fixture_index(self) -> FixtureIndex:
        """What the national databases hold, by subject."""
        # Only replace_fixtures writes the table, and nothing alters a record in place (policy copies one
        # before changing it), so the parsed records are kept until the next replacement.
        if self._fixtures is None:
            rows = self._db.execute("SELECT record FROM fixtures ORDER BY id").fetchall()
            self._fixtures = FixtureIndex([FixtureRecord.model_validate_json(r["record"]) for r in rows])
        return self._fixtures


def _json_text(value: Any) -> str:
    """JSON text of what a message or a match holds: orjson's, a tenth of json's cost, unless it cannot write it."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits in a pushed message
        return json.dumps(value)


# Kept in `cross_checks`, not in the case data (see the table).
_APART = {"cross_check_matches"}
_MATCHES = TypeAdapter(list[CrossCheckMatch])


def _action(row: sqlite3.Row) -> PlannedAction:
    return PlannedAction(row["id"], row["case_id"], row["kind"], unstamp(row["due_at"]), json.loads(row["payload"]))
