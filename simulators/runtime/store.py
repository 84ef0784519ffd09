"""The network's journal: one SQLite file, append-only, hash-chained, written before any 2xx answer.

Durability. The database runs in WAL mode with `synchronous=FULL`: a commit returns only after the
WAL has been fsync'ed, so an acknowledged message survives not only `kill -9` of the server (which
`NORMAL` would also survive, the WAL being in the OS page cache) but also a power cut or a kernel
crash, which matters because the journal is the evidence a verdict rests on. The price of an fsync
per commit is paid once per *batch*: every write goes through one writer thread that takes all
writes queued while the previous commit was syncing and commits them in one transaction (group
commit), each under its own SAVEPOINT so that one failing write does not fail its neighbours. A
caller's future resolves only after its transaction committed; the HTTP layer answers after that.

Integrity. `journal` is the chain: entry n stores `hash = sha256(hash(n-1) || canonical JSON of
{seq, segment, at, kind, data})`, with 64 zeros before the first entry; triggers refuse UPDATE and
DELETE on it and on `messages`. `verify()` recomputes the chain. The other tables (`deliveries`,
`webhooks`, `faults`, `idempotency`, `timers`) hold the current state; every change to them that
matters as evidence is also appended to the journal in the same transaction.

Reads run on the same thread, after the writes queued before them, so a caller who saw its write
acknowledged always reads it back.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from simulators.runtime.encoding import (
    canonical_json,
    db_time,
    db_to_iso,
    iso_utc,
    json_string,
    parse_db_time,
    plain_json,
)

__all__ = [
    "GENESIS_HASH",
    "LAYOUT_VERSION",
    "CanonicalText",
    "Journal",
    "JournalLayoutError",
    "JournalVerification",
    "Rows",
    "Statement",
    "canonical_json",
    "db_time",
    "db_to_iso",
    "iso_utc",
    "json_string",
    "parse_db_time",
    "plain_json",
]

GENESIS_HASH = "0" * 64
LAYOUT_VERSION = 1  # PRAGMA user_version of the file; raise when the tables change


class JournalLayoutError(RuntimeError):
    """The file was written by a version of the journal with other tables."""
_BATCH_LIMIT = 1024

T = TypeVar("T")
Statement = tuple[str, Sequence[Any]]
StatementsFor = Callable[[int], Sequence[Statement]]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY, segment INTEGER NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL,
    data TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS journal_append_only_u BEFORE UPDATE ON journal
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS journal_append_only_d BEFORE DELETE ON journal
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TABLE IF NOT EXISTS messages (
    message_id TEXT PRIMARY KEY, journal_seq INTEGER NOT NULL REFERENCES journal(seq),
    segment INTEGER NOT NULL, channel TEXT NOT NULL, sender TEXT NOT NULL, case_id TEXT,
    kind TEXT, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS messages_case ON messages(case_id);
CREATE TRIGGER IF NOT EXISTS messages_append_only_u BEFORE UPDATE ON messages
    BEGIN SELECT RAISE(ABORT, 'messages are append-only'); END;
CREATE TRIGGER IF NOT EXISTS messages_append_only_d BEFORE DELETE ON messages
    BEGIN SELECT RAISE(ABORT, 'messages are append-only'); END;
CREATE TABLE IF NOT EXISTS deliveries (
    cursor INTEGER PRIMARY KEY, delivery_id TEXT NOT NULL, message_id TEXT NOT NULL,
    party TEXT NOT NULL, channel TEXT NOT NULL, segment INTEGER NOT NULL, status TEXT NOT NULL,
    delivered_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT,
    acked_at TEXT, read_at TEXT, last_error TEXT);
CREATE INDEX IF NOT EXISTS deliveries_mailbox ON deliveries(party, channel, segment, status, cursor);
CREATE INDEX IF NOT EXISTS deliveries_message ON deliveries(message_id);
CREATE INDEX IF NOT EXISTS deliveries_push ON deliveries(next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS idempotency (
    party TEXT NOT NULL, channel TEXT NOT NULL, key TEXT NOT NULL, body_hash TEXT NOT NULL,
    message_id TEXT NOT NULL, PRIMARY KEY (party, channel, key));
CREATE TABLE IF NOT EXISTS webhooks (
    party TEXT NOT NULL, channel TEXT NOT NULL, url TEXT NOT NULL, PRIMARY KEY (party, channel));
CREATE TABLE IF NOT EXISTS faults (position INTEGER PRIMARY KEY, spec TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY, journal_seq INTEGER NOT NULL, at TEXT NOT NULL, party TEXT,
    action TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS timers (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, due_at TEXT NOT NULL, params TEXT NOT NULL, fired_at TEXT);
"""


_KIND_STRINGS: dict[str, str] = {}


def _kind_string(kind: str) -> str:
    found = _KIND_STRINGS.get(kind)
    if found is None:
        found = json_string(kind)
        if len(_KIND_STRINGS) < 1024:
            _KIND_STRINGS[kind] = found
    return found


def _entry_hash(prev_hash: str, seq: int, segment: int, at: str, kind: str, data_text: str) -> str:
    """sha256(prev_hash || canonical JSON of {seq, segment, at, kind, data}).

    `data_text` is already canonical, so the entry's canonical form is assembled around it (keys in
    sorted order: at, data, kind, segment, seq) instead of serialising the data a second time.
    """
    entry = (f'{{"at":{json_string(at)},"data":{data_text},"kind":{_kind_string(kind)},'
             f'"segment":{segment},"seq":{seq}}}')
    return hashlib.sha256(prev_hash.encode("ascii") + entry.encode("utf-8")).hexdigest()


class _BatchFailed(Exception):
    pass


_INSERT_ENTRY = "INSERT INTO journal(seq, segment, at, kind, data, prev_hash, hash) VALUES (?,?,?,?,?,?,?)"
_INSERT_ENTRIES = "INSERT INTO journal(seq, segment, at, kind, data, prev_hash, hash) VALUES {values}"


class CanonicalText(str):
    """JSON text the caller has already produced with `canonical_json`; appended as it is."""

    __slots__ = ()


class Rows(list[Sequence[Any]]):
    """The parameters of a statement run for several rows: `(sql, Rows([...]))`.

    When `sql` holds `{values}`, it is run once per chunk of rows with `{values}` replaced by one
    `(?,...)` group per row (`INSERT ... VALUES {values}`, `WITH v(...) AS (VALUES {values}) UPDATE
    ... FROM v ...`); otherwise once per row (`executemany`). Why chunks: the sqlite3 module lets go
    of the GIL around every step of a statement, and the writer thread then waits to get it back from
    a busy event loop; a thousand acknowledgements in one statement wait once, not a thousand times.
    """

    __slots__ = ()


_CHUNKS = (256, 64, 16, 4, 1)  # a few chunk sizes: few distinct statements for sqlite3's statement cache
_VALUES_LIMIT = 32766  # SQLite's SQLITE_MAX_VARIABLE_NUMBER (3.32+)


def _run_rows(conn: sqlite3.Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if "{values}" not in sql:
        conn.executemany(sql, rows)
        return
    start = 0
    width = len(rows[0]) if rows else 1
    while start < len(rows):
        size = next(c for c in _CHUNKS if c <= len(rows) - start and c * width <= _VALUES_LIMIT)
        group = "(" + ",".join("?" * width) + ")"
        chunk = rows[start : start + size]
        conn.execute(sql.replace("{values}", ",".join([group] * size)), [v for row in chunk for v in row])
        start += size


class _Gathered:
    """Rows of consecutive `new_rows_only` writes, waiting to be inserted: journal entries first."""

    def __init__(self) -> None:
        self.entries: list[Sequence[Any]] = []
        self.rows: dict[str, list[Sequence[Any]]] = {}

    def take(self, entries: Sequence[Sequence[Any]], statements: Sequence[Statement]) -> bool:
        """Gather a write whose every statement is a `{values}` insert of `Rows`; False if it is not one."""
        if not all(type(params) is Rows and "{values}" in sql for sql, params in statements):
            return False
        self.entries += entries
        for sql, params in statements:
            self.rows.setdefault(sql, []).extend(params)
        return True

    def run(self, conn: sqlite3.Connection) -> None:
        if self.entries:
            _run_rows(conn, _INSERT_ENTRIES, self.entries)
        for sql, rows in self.rows.items():
            _run_rows(conn, sql, rows)
        self.entries, self.rows = [], {}


class JournalVerification(BaseModel):
    ok: bool
    entries: int
    head: str
    first_bad_seq: int | None = None
    detail: str | None = None


@dataclass(slots=True)
class _Append:
    kind: str | None
    data: str | list[str]  # one entry, or several entries of the same kind (`append_many`)
    at: str
    statements: StatementsFor | Sequence[Statement]
    new_segment: bool
    future: asyncio.Future[Any]
    new_rows_only: bool = False


@dataclass(slots=True)
class _Read:
    work: Callable[[sqlite3.Connection], Any]
    future: asyncio.Future[Any]


@dataclass
class _Stop:
    done: threading.Event = field(default_factory=threading.Event)


class Journal:
    """The SQLite journal. Open with `await Journal.open(path)`; close with `await journal.close()`."""

    def __init__(self, path: Path, loop: asyncio.AbstractEventLoop) -> None:
        self.path = path
        self._loop = loop
        self._queue: queue.SimpleQueue[list[_Append | _Read | _Stop]] = queue.SimpleQueue()
        self._pending: list[_Append | _Read | _Stop] = []
        self._conn = self._connect(path)
        self._check_layout(path)
        self._conn.executescript(_SCHEMA)
        self._conn.execute(f"PRAGMA user_version={LAYOUT_VERSION}")
        row = self._conn.execute(
            "SELECT seq, segment, hash FROM journal ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        self._last_seq: int = int(row[0]) if row else 0
        self.segment: int = int(row[1]) if row else 1
        self._head: str = str(row[2]) if row else GENESIS_HASH
        self.commits = 0  # transactions committed (group commit makes this lower than appends)
        self._thread = threading.Thread(target=self._run, name=f"journal:{path.name}", daemon=True)
        self._thread.start()

    @classmethod
    async def open(cls, path: Path) -> Journal:
        path.parent.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, cls, path, loop)

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        return conn

    def _check_layout(self, path: Path) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        tables = self._conn.execute("SELECT count(*) FROM sqlite_master WHERE name='journal'").fetchone()[0]
        if tables and version != LAYOUT_VERSION:
            self._conn.close()
            raise JournalLayoutError(f"{path} was written with journal layout {version}, this version reads "
                                     f"layout {LAYOUT_VERSION}; keep that file as evidence and start with a new "
                                     "data directory")

    @property
    def head(self) -> str:
        return self._head

    # -- public API -------------------------------------------------------------------------

    async def append(
        self,
        kind: str | None,
        data: Any,
        *,
        at: datetime,
        statements: StatementsFor | Sequence[Statement] = (),
        new_segment: bool = False,
        new_rows_only: bool = False,
    ) -> int:
        """Append a journal entry (kind None: state change only) and run `statements` in its transaction.

        `statements` may be a function of the entry's sequence number; a statement may run for
        several rows (`Rows`). Returns that number (0 when `kind` is None) once the transaction is
        durable. `new_rows_only`: every statement is an `INSERT ... VALUES {values}` of rows with new
        keys that no other write reads or changes, so that the journal may insert them together with
        those of the writes queued beside it.
        """
        future: asyncio.Future[int] = self._loop.create_future()
        # Serialised here, on the caller's thread, to keep the writer thread's share of the GIL small.
        text = data if isinstance(data, CanonicalText) else canonical_json(data)
        if not callable(statements) and not isinstance(statements, tuple):
            statements = tuple(statements)  # the caller's list may change after this call
        self._submit(_Append(kind, text, db_time(at), statements, new_segment, future, new_rows_only))
        return await future

    async def append_many(
        self, kind: str, data: Sequence[Any], *, at: datetime, statements: Sequence[Statement] = ()
    ) -> list[int]:
        """Append one entry of `kind` per item of `data`, and `statements`, in one transaction; all or none.

        The entries are chained one by one exactly as if appended separately; their sequence numbers
        are returned once the transaction is durable.
        """
        future: asyncio.Future[list[int]] = self._loop.create_future()
        texts = [item if isinstance(item, CanonicalText) else canonical_json(item) for item in data]
        self._submit(_Append(kind, texts, db_time(at), tuple(statements), False, future))
        return await future

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        future: asyncio.Future[T] = self._loop.create_future()
        self._submit(_Read(work, future))
        return await future

    def _submit(self, op: _Append | _Read | _Stop) -> None:
        # Everything submitted during one turn of the event loop reaches the writer as one item:
        # one thread wake-up per turn instead of one per write.
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(op)

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        self._queue.put(pending)

    async def verify(self) -> JournalVerification:
        return await self.read(_verify)

    async def close(self) -> None:
        stop = _Stop()
        self._submit(stop)
        await self._loop.run_in_executor(None, stop.done.wait)

    # -- writer thread ------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = list(self._queue.get())
            while len(batch) < _BATCH_LIMIT:
                try:
                    batch.extend(self._queue.get_nowait())
                except queue.Empty:
                    break
            appends = [op for op in batch if isinstance(op, _Append)]
            if appends:
                self._commit(appends)
            self._settle([self._do_read(op) for op in batch if isinstance(op, _Read)])
            stop = next((op for op in batch if isinstance(op, _Stop)), None)
            if stop is not None:
                self._shutdown()
                stop.done.set()
                return

    def _commit(self, appends: list[_Append]) -> None:
        # Optimistic: the whole batch in one transaction. Only if a write fails is the batch redone
        # with a SAVEPOINT per write, so that the failing one fails alone.
        try:
            outcomes = self._write(appends, isolate=False)
        except _BatchFailed:
            try:
                outcomes = self._write(appends, isolate=True)
            except Exception as exc:
                self._settle([(op.future, exc) for op in appends])
                return
        except Exception as exc:  # the commit itself failed (disk full, I/O error): nothing is durable
            self._settle([(op.future, exc) for op in appends])
            return
        self._settle(outcomes)

    def _write(self, appends: list[_Append], *, isolate: bool) -> list[tuple[asyncio.Future[Any], Any]]:
        outcomes: list[tuple[asyncio.Future[Any], Any]] = []
        seq, head, segment = self._last_seq, self._head, self.segment
        conn = self._conn
        # Optimistic path: consecutive `new_rows_only` writes are gathered and inserted together,
        # one statement per table, before anything else runs (an isolated rerun goes one by one).
        gathered = _Gathered()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for op in appends:
                if isolate:
                    conn.execute("SAVEPOINT op")
                try:
                    op_segment = segment + 1 if op.new_segment else segment
                    result: Any = 0
                    op_seq, op_head = seq, head
                    entries = []
                    if op.kind is not None:
                        for text in [op.data] if isinstance(op.data, str) else op.data:
                            op_seq += 1
                            digest = _entry_hash(op_head, op_seq, op_segment, op.at, op.kind, text)
                            entries.append((op_seq, op_segment, op.at, op.kind, text, op_head, digest))
                            op_head = digest
                        result = op_seq if isinstance(op.data, str) else [e[0] for e in entries]
                    statements = (op.statements(op_seq if op.kind is not None else 0) if callable(op.statements)
                                  else op.statements)
                    if not (op.new_rows_only and not isolate and gathered.take(entries, statements)):
                        gathered.run(conn)
                        if len(entries) == 1:
                            conn.execute(_INSERT_ENTRY, entries[0])
                        elif entries:
                            _run_rows(conn, _INSERT_ENTRIES, entries)
                        for sql, params in statements:
                            if type(params) is Rows:
                                _run_rows(conn, sql, params)
                            else:
                                conn.execute(sql, params)
                except Exception as exc:
                    if not isolate:
                        raise _BatchFailed from exc
                    conn.execute("ROLLBACK TO op")
                    conn.execute("RELEASE op")
                    outcomes.append((op.future, exc))
                    continue
                if isolate:
                    conn.execute("RELEASE op")
                seq, head, segment = op_seq, op_head, op_segment
                outcomes.append((op.future, result))
            try:
                gathered.run(conn)
            except Exception as exc:
                raise _BatchFailed from exc
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        self._last_seq, self._head, self.segment = seq, head, segment
        self.commits += 1
        return outcomes

    def _do_read(self, op: _Read) -> tuple[asyncio.Future[Any], Any]:
        try:
            return op.future, op.work(self._conn)
        except Exception as exc:
            return op.future, exc

    def _settle(self, outcomes: list[tuple[asyncio.Future[Any], Any]]) -> None:
        """Resolve a whole batch with one wake-up of the event loop."""

        def settle() -> None:
            for future, outcome in outcomes:
                if future.done():
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

        if outcomes:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
                self._loop.call_soon_threadsafe(settle)

    def _shutdown(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.close()


def _verify(conn: sqlite3.Connection) -> JournalVerification:
    prev = GENESIS_HASH
    count = 0
    for seq, segment, at, kind, data, prev_hash, digest in conn.execute(
        "SELECT seq, segment, at, kind, data, prev_hash, hash FROM journal ORDER BY seq"
    ):
        count += 1
        if seq != count:
            return JournalVerification(
                ok=False,
                entries=count,
                head=prev,
                first_bad_seq=seq,
                detail=f"entry {count} is missing (found {seq})",
            )
        if prev_hash != prev:
            return JournalVerification(
                ok=False,
                entries=count,
                head=prev,
                first_bad_seq=seq,
                detail="prev_hash does not match the previous entry's hash",
            )
        if _entry_hash(prev, seq, segment, at, kind, canonical_json(json.loads(data))) != digest:
            return JournalVerification(
                ok=False,
                entries=count,
                head=prev,
                first_bad_seq=seq,
                detail="hash does not match the entry's content",
            )
        prev = digest
    return JournalVerification(ok=True, entries=count, head=prev)
