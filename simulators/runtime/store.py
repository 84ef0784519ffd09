"""The network's journal: one SQLite file, append-only, hash-chained, written before any 2xx answer.

Durability. The database runs in WAL mode with `synchronous=FULL`: a commit returns only after the
WAL has been fsync'ed, so an acknowledged message survives not only `kill -9` of the server (which
`NORMAL` would also survive, the WAL being in the OS page cache) but also a power cut or a kernel
crash, which matters because the journal is the evidence a verdict rests on. Every write goes to
one writer process (`journal_writer`), which commits all writes that arrived while the previous
commit was syncing in one transaction (group commit). A caller's `append` returns only after its
transaction committed; the HTTP layer answers after that.

Integrity. `journal` is the chain: entry n stores `hash = sha256(hash(n-1) || canonical JSON of
{seq, segment, at, kind, data})`, with 64 zeros before the first entry; triggers refuse UPDATE and
DELETE on it and on `messages`. `verify()` recomputes the chain. The other tables (`deliveries`,
`webhooks`, `faults`, `idempotency`, `timers`) hold the current state; every change to them that
matters as evidence is also appended to the journal in the same transaction.

Reads run on connections of their own (WAL lets them read while the writer writes): `read` on a
reader thread of this process, for any work on a connection; `read_row`, for the large reads of the
hot paths (a mailbox page, a batch of acknowledgements), on a thread of the writer process, where
they share no GIL with the event loop. A read waits for every write submitted before it, so a caller
always reads back what it wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import marshal
import queue
import socket
import sqlite3
import subprocess
import sys
import threading
from collections import deque
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
from simulators.runtime.journal_state import state_disagreement
from simulators.runtime.journal_writer import (
    ENTRY_SEQ,
    GENESIS_HASH,
    LAYOUT_VERSION,
    CanonicalText,
    JournalBusyError,
    JournalLayoutError,
    JournalOpenError,
    Rows,
    Statement,
    encode,
    entry_hash,
    pack,
)

__all__ = [
    "ENTRY_SEQ",
    "GENESIS_HASH",
    "LAYOUT_VERSION",
    "CanonicalText",
    "Journal",
    "JournalBusyError",
    "JournalIntegrityError",
    "JournalLayoutError",
    "JournalOpenError",
    "JournalVerification",
    "JournalWriterError",
    "Rows",
    "Statement",
    "canonical_json",
    "db_time",
    "db_to_iso",
    "iso_utc",
    "json_string",
    "parse_db_time",
    "plain_json",
    "verify_file",
]

T = TypeVar("T")
_START_SECONDS = 60.0  # for the writer process to start (beyond the wait for an old writer's lock)


class JournalVerification(BaseModel):
    ok: bool
    entries: int
    head: str
    first_bad_seq: int | None = None
    detail: str | None = None


class JournalIntegrityError(JournalOpenError):
    """The journal's verification failed at start-up: the server refuses to serve it (unless told to)."""


class JournalWriterError(RuntimeError):
    """The writer process went away: nothing more can be journaled."""


@dataclass(slots=True)
class _Read:
    work: Callable[[sqlite3.Connection], Any]
    future: asyncio.Future[Any]


@dataclass
class _Stop:
    done: threading.Event = field(default_factory=threading.Event)


class Journal:
    """The SQLite journal. Open with `await Journal.open(path)`; close with `await journal.close()`."""

    def __init__(self, path: Path, process: subprocess.Popen[bytes], reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, ready: tuple[Any, ...]) -> None:
        self.path = path
        self._loop = asyncio.get_running_loop()
        self._process = process
        self._stream_reader, self._stream_writer = reader, writer
        self._last_seq: int = ready[1]
        self.segment: int = ready[2]
        self._head: str = ready[3]
        self.commits = 0  # transactions committed (group commit makes this lower than appends)
        self._verified: tuple[int, str] | None = None  # (seq, hash) of the head the last sound verification found
        self._pending_ops: list[bytes] = []
        self._waiting: deque[asyncio.Future[Any]] = deque()  # one per op sent, answered in order
        self._last_write: asyncio.Future[Any] | None = None
        self._failure: BaseException | None = None
        self._rows: dict[int, asyncio.Future[Any]] = {}  # `read_row`s sent, by number
        self._read_numbers = 0
        self._stopped: asyncio.Future[None] = self._loop.create_future()
        self._answers = self._loop.create_task(self._read_answers(), name=f"journal answers:{path.name}")
        # Reads: a thread and a connection of their own.
        self._reads: queue.SimpleQueue[list[_Read] | _Stop] = queue.SimpleQueue()
        self._pending_reads: list[_Read] = []
        self._read_conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._read_conn.execute("PRAGMA query_only=ON")
        self._read_conn.execute("PRAGMA busy_timeout=5000")
        self._reader = threading.Thread(target=self._run_reads, name=f"journal reads:{path.name}", daemon=True)
        self._reader.start()

    @classmethod
    async def open(cls, path: Path, *, lock_wait_seconds: float = 5.0) -> Journal:
        """Start the writer process for the file at `path` (created if new) and connect to it.

        Raises `JournalLayoutError` for a file of another layout, `JournalBusyError` when another
        server's writer still holds the file after `lock_wait_seconds`.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        command = [sys.executable, "-m", "simulators.runtime.journal_writer", str(theirs.fileno()), str(path),
                   str(lock_wait_seconds)]
        with theirs:
            process = await asyncio.get_running_loop().run_in_executor(
                None, lambda: subprocess.Popen(command, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL))
        try:
            reader, writer = await asyncio.open_unix_connection(sock=ours, limit=1 << 24)
            ready = marshal.loads(await asyncio.wait_for(_read_frame(reader), _START_SECONDS + lock_wait_seconds))
        except (asyncio.IncompleteReadError, TimeoutError, OSError) as exc:
            process.kill()
            raise JournalOpenError(f"the journal writer for {path} did not start ({exc!r})") from None
        if ready[0] == "error":
            writer.close()
            await asyncio.get_running_loop().run_in_executor(None, process.wait)
            error = {"layout": JournalLayoutError, "busy": JournalBusyError}.get(ready[1], JournalOpenError)
            raise error(ready[2] if error is not JournalOpenError else f"cannot open {path}: {ready[2]}")
        return cls(path, process, reader, writer, ready)

    @property
    def head(self) -> str:
        return self._head

    # -- public API -------------------------------------------------------------------------

    def append(
        self,
        kind: str | None,
        data: Any,
        *,
        at: datetime,
        statements: Sequence[Statement] = (),
        new_segment: bool = False,
        new_rows_only: bool = False,
        at_text: str | None = None,
    ) -> asyncio.Future[int]:
        """Append a journal entry (kind None: state change only) and run `statements` in its transaction.

        A statement may run for several rows (`Rows`); `ENTRY_SEQ` among its parameters stands for
        the entry's sequence number. The write is queued at once, in the order of the calls; the
        future gives that number (0 when `kind` is None) once the transaction is durable.
        `new_rows_only`: every statement is an `INSERT ... VALUES {values}` of rows with new keys that
        no other write reads or changes, so that the journal may insert them together with those of
        the writes queued beside it. `at_text`: `db_time(at)`, when the caller has formatted it already
        (a send has, for its rows), so that it is not formatted twice.

        A plain function returning the future rather than a coroutine: every send awaits one, and a
        coroutine layer costs each of them a frame to create and resume.
        """
        # Serialised here, in the caller's turn: the writer gets plain text.
        text = str(data) if isinstance(data, CanonicalText) else canonical_json(data)
        return self._submit((kind, text, db_time(at) if at_text is None else at_text, _plain(statements), new_segment,
                             new_rows_only))

    def append_many(
        self, kind: str, data: Sequence[Any], *, at: datetime, statements: Sequence[Statement] = ()
    ) -> asyncio.Future[list[int]]:
        """Append one entry of `kind` per item of `data`, and `statements`, in one transaction; all or none.

        The entries are chained one by one exactly as if appended separately; the future gives their
        sequence numbers once the transaction is durable.
        """
        texts = [str(item) if isinstance(item, CanonicalText) else canonical_json(item) for item in data]
        return self._submit((kind, texts, db_time(at), _plain(statements), False, False))

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(connection)` on the reader thread, after every write submitted before this call."""
        last = self._last_write
        if last is not None and not last.done():
            await asyncio.wait([last])
        future: asyncio.Future[T] = self._loop.create_future()
        if not self._pending_reads:
            self._loop.call_soon(self._flush_reads)
        self._pending_reads.append(_Read(work, future))
        return await future

    async def read_row(self, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
        """The first row of one query, run by the writer process, after every write submitted before.

        For the reads on the hot paths, where the whole answer is assembled by SQLite: they cost the
        event loop two frames and no GIL shared with a thread (`journal_writer._Reads`). The query
        fails its caller with the same sqlite3 exception class it raised there.
        """
        last = self._last_write
        if last is not None and not last.done():
            await asyncio.wait([last])
        if self._failure is not None:
            raise JournalWriterError(f"the journal cannot be read: {self._failure}")
        self._read_numbers += 1
        number = self._read_numbers
        frame = pack(("read", number, sql, list(params)))  # here: a parameter marshal cannot take fails this caller
        future: asyncio.Future[Any] = self._loop.create_future()
        self._rows[number] = future
        try:
            self._stream_writer.write(frame)
            row: tuple[Any, ...] | None = await future
        finally:
            self._rows.pop(number, None)
        return row

    async def verify(self, *, since_verified: bool = False) -> JournalVerification:
        """Recompute the chain and compare the tables with it.

        `since_verified`: recompute only the entries after the head the last sound verification of this server
        found (that entry must still carry the hash it had then), so that a network reused campaign after
        campaign (a kill-matrix worker's) does not re-check every earlier segment each time. An entry edited
        before that head, without its hash being recomputed, goes unseen until the next full verification, which
        the harness makes at the end of the reused network's work; the tables are compared in full either way."""
        since = self._verified if since_verified else None
        found = await self.read(lambda conn: _verify(conn, since))
        if found.ok:
            self._verified = (found.entries, found.head)
        return found

    async def close(self) -> None:
        """Let every write finish, stop the reader and the writer (which checkpoints the WAL)."""
        if self._last_write is not None and not self._last_write.done():
            await asyncio.wait([self._last_write])
        stop = _Stop()
        self._flush_reads()
        self._reads.put(stop)
        await self._loop.run_in_executor(None, stop.done.wait)
        if self._failure is None:
            self._stream_writer.write(pack(("stop",)))
            with contextlib.suppress(ConnectionError):
                await self._stream_writer.drain()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._stopped), _START_SECONDS)
        self._answers.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._answers
        self._stream_writer.close()
        with contextlib.suppress(ConnectionError):
            await self._stream_writer.wait_closed()
        await self._loop.run_in_executor(None, self._process.wait)

    # -- writes ---------------------------------------------------------------------------------

    def _submit(self, op: tuple[Any, ...]) -> asyncio.Future[Any]:
        if self._failure is not None:
            raise JournalWriterError(f"the journal cannot be written: {self._failure}")
        encoded = encode(op)  # here, so that a parameter the writer cannot take fails this caller
        future: asyncio.Future[Any] = self._loop.create_future()
        # Everything submitted during one turn of the event loop goes to the writer as one frame.
        if not self._pending_ops:
            self._loop.call_soon(self._flush_ops)
        self._pending_ops.append(encoded)
        self._waiting.append(future)
        self._last_write = future
        return future

    def _flush_ops(self) -> None:
        ops, self._pending_ops = self._pending_ops, []
        if ops and self._failure is None:
            self._stream_writer.write(pack(("batch", ops)))

    async def _read_answers(self) -> None:
        try:
            while True:
                answer = marshal.loads(await _read_frame(self._stream_reader))
                if answer[0] == "row":
                    row_future = self._rows.get(answer[1])
                    if row_future is not None and not row_future.done():
                        if answer[2]:
                            row_future.set_result(None if answer[3] is None else tuple(answer[3]))
                        else:
                            row_future.set_exception(_error(answer[3], answer[4]))
                    continue
                if answer[0] == "stopped":
                    self._stopped.set_result(None)
                    return
                _, outcomes, self._last_seq, self.segment, self._head, self.commits = answer
                waiting = self._waiting
                for outcome in outcomes:
                    future = waiting.popleft()
                    if future.done():
                        continue
                    if outcome[0]:
                        future.set_result(outcome[1])
                    else:
                        future.set_exception(_error(outcome[1], outcome[2]))
        except Exception as exc:  # the writer went away (or answered nonsense): nothing more can be written
            self._failure = JournalWriterError(f"the journal writer for {self.path} stopped ({exc!r})")
            while self._waiting:
                future = self._waiting.popleft()
                if not future.done():
                    future.set_exception(self._failure)
            for future in self._rows.values():
                if not future.done():
                    future.set_exception(self._failure)
            if not self._stopped.done():
                self._stopped.set_result(None)

    # -- reads ----------------------------------------------------------------------------------

    def _flush_reads(self) -> None:
        reads, self._pending_reads = self._pending_reads, []
        if reads:
            self._reads.put(reads)

    def _run_reads(self) -> None:
        while True:
            item = self._reads.get()
            if isinstance(item, _Stop):
                self._read_conn.close()
                item.done.set()
                return
            outcomes = []
            for op in item:
                try:
                    outcomes.append((op.future, op.work(self._read_conn)))
                except Exception as exc:
                    outcomes.append((op.future, exc))
            self._settle(outcomes)

    def _settle(self, outcomes: list[tuple[asyncio.Future[Any], Any]]) -> None:
        """Resolve a whole batch of reads with one wake-up of the event loop."""

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


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    header = await reader.readexactly(4)
    return await reader.readexactly(int.from_bytes(header, "big"))


def _plain(statements: Sequence[Statement]) -> list[tuple[str, Any, bool]]:
    """Statements as the writer takes them: `(sql, params, many)`, with the rows of `Rows` as a plain list."""
    return [(sql, list(params), True) if type(params) is Rows else (sql, params, False) for sql, params in statements]


def _error(name: str, message: str) -> Exception:
    """The writer's failure as an exception of the same sqlite3 class when it is one."""
    found = getattr(sqlite3, name, None)
    if isinstance(found, type) and issubclass(found, Exception):
        return found(message)
    return JournalWriterError(f"{name}: {message}")


def verify_file(path: Path, head: tuple[int, str] | None = None) -> JournalVerification:
    """Verify the journal file at `path` read-only (a server may be running on it): chain and tables.

    `head`: a (sequence, hash) recorded earlier outside the database, e.g. by the harness in
    results.json. The journal must still hold that entry with that hash: a chain cut short (its last
    entries deleted) or rewritten from some entry on (edited, then re-hashed) is whole in itself, and
    only a head kept elsewhere shows it.
    """
    if not path.is_file():
        raise FileNotFoundError(f"no journal at {path}")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout=5000")
        found = _verify(conn)
        if found.ok and head is not None:
            row = conn.execute("SELECT hash FROM journal WHERE seq=?", (head[0],)).fetchone()
            if row is None:
                return found.model_copy(update={"ok": False, "first_bad_seq": head[0], "detail": (
                    f"the recorded head, entry {head[0]}, is gone: the journal ends at entry {found.entries}")})
            if row[0] != head[1]:
                return found.model_copy(update={"ok": False, "first_bad_seq": head[0], "detail": (
                    f"entry {head[0]} has hash {row[0]}, not the recorded head's {head[1]}: "
                    "the chain was rewritten up to it")})
        return found
    finally:
        conn.close()


def _verify(conn: sqlite3.Connection, since: tuple[int, str] | None = None) -> JournalVerification:
    """The chain from its start, or from `since` (a (seq, hash) verified before) on, then the tables."""
    prev = GENESIS_HASH
    count = 0
    if since is not None:
        row = conn.execute("SELECT hash FROM journal WHERE seq=?", (since[0],)).fetchone()
        if row is None or row[0] != since[1]:
            return JournalVerification(ok=False, entries=since[0], head=since[1], first_bad_seq=since[0], detail=(
                f"entry {since[0]}, the head verified before, is gone or has another hash"))
        count, prev = since
    for seq, segment, at, kind, data, prev_hash, digest in conn.execute(
        "SELECT seq, segment, at, kind, data, prev_hash, hash FROM journal WHERE seq > ? ORDER BY seq", (count,)
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
        if entry_hash(prev, seq, segment, at, kind, canonical_json(json.loads(data))) != digest:
            return JournalVerification(
                ok=False,
                entries=count,
                head=prev,
                first_bad_seq=seq,
                detail="hash does not match the entry's content",
            )
        prev = digest
    found = state_disagreement(conn)
    if found is not None:
        return JournalVerification(ok=False, entries=count, head=prev, first_bad_seq=found[0], detail=found[1])
    return JournalVerification(ok=True, entries=count, head=prev)
