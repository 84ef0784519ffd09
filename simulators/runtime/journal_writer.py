"""The journal's writer: a process of its own that owns every write to the SQLite file.

Why a process and not a thread: the sqlite3 module lets go of the GIL around each step, and a writer
thread then waits to get it back from the busy event loop of the HTTP server, while the event loop,
handing it over at every socket call, waits for the writer in turn. In a process of its own the
writer commits at the pace of the disk, on the other core, and the server's event loop keeps the
GIL to itself.

The protocol, over one Unix stream socket: frames of a 4-byte big-endian length and a `marshal`
payload (plain values only: str, int, float, bytes, None, lists, tuples; `ENTRY_SEQ` is Ellipsis).

* writer -> server, first: `("ready", last_seq, segment, head)` or `("error", kind, message)`.
* server -> writer: `("batch", [op, ...])`, each op in marshal form of its own (so that a value the
  writer cannot take fails its caller, not the batch): `(kind | None, data, at, statements,
  new_segment, new_rows_only)` with `data` one canonical JSON text or a list of them, `statements`
  a list of `(sql, params, many)`; `("stop",)` to checkpoint and close.
* writer -> server, once per transaction: `("done", outcomes, last_seq, segment, head, commits)`,
  one outcome per op in the order sent: `(True, seq | [seq, ...])` or `(False, error type, message)`.
  After a stop: `("stopped",)`.
* server -> writer: `("read", number, sql, params)`, one query whose first row the server wants;
  answered, in any order among the other answers, with `("row", number, True, row | None)` or
  `("row", number, False, error type, message)`. Reads run on a thread of their own with a read-only
  connection, beside the transactions: see `_Reads`.

Group commit: every frame that has arrived while the previous transaction was syncing is written in
one transaction, each op under its own SAVEPOINT only if the optimistic whole-batch attempt failed,
so that one failing write does not fail its neighbours. A result is sent only after COMMIT returned,
i.e. after the WAL was fsync'ed (`synchronous=FULL`).

One writer per file: the writer holds an exclusive lock on `<journal>.lock` for its whole life, so a
server restarted after `kill -9` waits for a writer of the old server still finishing a commit before
it reads the chain's head (else it would chain onto a stale head), and a second server on the same
data directory is refused.

Kept free of pydantic and aiohttp: this module is all the writer process imports.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import marshal
import os
import queue
import signal
import socket
import sqlite3
import struct
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simulators.runtime.encoding import json_string

__all__ = [
    "ENTRY_SEQ",
    "GENESIS_HASH",
    "LAYOUT_VERSION",
    "CanonicalText",
    "JournalBusyError",
    "JournalLayoutError",
    "JournalOpenError",
    "Rows",
    "Statement",
    "encode",
    "entry_hash",
    "pack",
    "plain_values",
]

GENESIS_HASH = "0" * 64
LAYOUT_VERSION = 1  # PRAGMA user_version of the file; raise when the tables change
# A statement parameter standing for the sequence number of the op's (last) journal entry, which
# only the writer knows: e.g. `(INSERT INTO audit(journal_seq, ...) VALUES (?, ...), (ENTRY_SEQ, ...))`.
ENTRY_SEQ: Any = Ellipsis  # marshal carries Ellipsis as it is
_BATCH_LIMIT = 1024
_LOCK_WAIT_SECONDS = 5.0  # default wait for the lock of a writer still finishing
_HEADER = struct.Struct(">I")

Statement = tuple[str, Sequence[Any]]

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


class CanonicalText(str):
    """JSON text the caller has already produced with `canonical_json`; appended as it is."""

    __slots__ = ()


class Rows(list[Sequence[Any]]):
    """The parameters of a statement run for several rows: `(sql, Rows([...]))`.

    When `sql` holds `{values}`, it is run once per chunk of rows with `{values}` replaced by one
    `(?,...)` group per row (`INSERT ... VALUES {values}`, `WITH v(...) AS (VALUES {values}) UPDATE
    ... FROM v ...`); otherwise once per row (`executemany`). Fewer, larger statements: each step
    of the sqlite3 module has a fixed cost, and a thousand acknowledgements are one statement.
    """

    __slots__ = ()


# -- the chain -----------------------------------------------------------------------------------

_KIND_STRINGS: dict[str, str] = {}


def _kind_string(kind: str) -> str:
    found = _KIND_STRINGS.get(kind)
    if found is None:
        found = json_string(kind)
        if len(_KIND_STRINGS) < 1024:
            _KIND_STRINGS[kind] = found
    return found


def entry_hash(prev_hash: str, seq: int, segment: int, at: str, kind: str, data_text: str) -> str:
    """sha256(prev_hash || canonical JSON of {seq, segment, at, kind, data}).

    `data_text` is already canonical, so the entry's canonical form is assembled around it (keys in
    sorted order: at, data, kind, segment, seq) instead of serialising the data a second time.
    """
    entry = (f'{{"at":{json_string(at)},"data":{data_text},"kind":{_kind_string(kind)},'
             f'"segment":{segment},"seq":{seq}}}')
    return hashlib.sha256(prev_hash.encode("ascii") + entry.encode("utf-8")).hexdigest()


# -- frames --------------------------------------------------------------------------------------

def plain_values(value: Any) -> Any:
    """`value` with every str, int and float subclass (enums, CanonicalText) made plain, for marshal."""
    kind = type(value)
    if isinstance(value, (list, tuple)):
        items = [plain_values(item) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    if kind in (str, int, float, bool, bytes) or value is None or value is Ellipsis:
        return value
    for base in (bool, int, float, str):  # bool before int: True must stay True
        if isinstance(value, base):
            return base(value)
    raise TypeError(f"a journal statement parameter must be str, int, float, bytes or None, not {kind.__name__}")


def encode(value: Any) -> bytes:
    """`value` in marshal form; raises TypeError for a value the writer cannot take (a datetime, say)."""
    try:
        return marshal.dumps(value)
    except ValueError:  # a subclass of a plain type somewhere (an enum member, a Rows)
        return marshal.dumps(plain_values(value))


def pack(message: Any) -> bytes:
    body = encode(message)
    return _HEADER.pack(len(body)) + body


class _FrameReader:
    """Complete frames from a blocking socket: `wait()` blocks for one, `ready()` takes what has arrived."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self.closed = False

    def _frames(self) -> list[Any]:
        frames = []
        view = self._buffer
        start = 0
        while len(view) - start >= 4:
            (size,) = _HEADER.unpack_from(view, start)
            if len(view) - start - 4 < size:
                break
            frames.append(marshal.loads(bytes(view[start + 4 : start + 4 + size])))
            start += 4 + size
        del view[:start]
        return frames

    def _receive(self, flags: int) -> bool:
        try:
            chunk = self._sock.recv(1 << 20, flags)
        except BlockingIOError:
            return False
        except OSError as exc:
            if exc.errno in (errno.ECONNRESET, errno.EPIPE):
                self.closed = True
                return False
            raise
        if not chunk:
            self.closed = True
            return False
        self._buffer += chunk
        return True

    def wait(self) -> list[Any]:
        """At least one frame (blocking), plus every further frame already received; [] once closed."""
        frames = self._frames()
        while not frames and not self.closed:
            self._receive(0)
            frames = self._frames()
        return frames + self.ready()

    def ready(self) -> list[Any]:
        frames: list[Any] = []
        while not self.closed and self._receive(socket.MSG_DONTWAIT):
            frames += self._frames()
        return frames


# -- writing -------------------------------------------------------------------------------------

_INSERT_ENTRY = "INSERT INTO journal(seq, segment, at, kind, data, prev_hash, hash) VALUES (?,?,?,?,?,?,?)"
_INSERT_ENTRIES = "INSERT INTO journal(seq, segment, at, kind, data, prev_hash, hash) VALUES {values}"
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


def _with_seq(params: Sequence[Any], seq: int) -> Sequence[Any]:
    return [seq if value is Ellipsis else value for value in params] if Ellipsis in params else params


class _Gathered:
    """Rows of consecutive `new_rows_only` ops, waiting to be inserted: journal entries first."""

    def __init__(self) -> None:
        self.entries: list[Sequence[Any]] = []
        self.rows: dict[str, list[Sequence[Any]]] = {}

    def take(self, entries: list[Sequence[Any]], statements: list[tuple[str, Any, bool]]) -> bool:
        """Gather an op whose every statement is a `{values}` insert of several rows; False if it is not one."""
        if not all(many and "{values}" in sql for sql, _, many in statements):
            return False
        self.entries += entries
        for sql, rows, _ in statements:
            self.rows.setdefault(sql, []).extend(rows)
        return True

    def run(self, conn: sqlite3.Connection) -> None:
        if self.entries:
            _run_rows(conn, _INSERT_ENTRIES, self.entries)
        for sql, rows in self.rows.items():
            _run_rows(conn, sql, rows)
        self.entries, self.rows = [], {}


class _BatchFailed(Exception):
    pass


Outcome = tuple[Any, ...]


class JournalOpenError(RuntimeError):
    """The journal cannot be opened; the message says why and what to do."""


class JournalLayoutError(JournalOpenError):
    """The file was written by a version of the journal with other tables."""


class JournalBusyError(JournalOpenError):
    """Another writer (another network server) holds the file."""


class Writer:
    """The chain's head and the write transactions, on the writer process's own connection."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA busy_timeout=5000")
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        tables = self.conn.execute("SELECT count(*) FROM sqlite_master WHERE name='journal'").fetchone()[0]
        if tables and version != LAYOUT_VERSION:
            self.conn.close()
            raise JournalLayoutError(
                f"{path} was written with journal layout {version}, this version reads layout {LAYOUT_VERSION}; "
                "keep that file as evidence and start with a new data directory")
        self.conn.executescript(_SCHEMA)
        self.conn.execute(f"PRAGMA user_version={LAYOUT_VERSION}")
        row = self.conn.execute("SELECT seq, segment, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        self.last_seq: int = int(row[0]) if row else 0
        self.segment: int = int(row[1]) if row else 1
        self.head: str = str(row[2]) if row else GENESIS_HASH
        self.commits = 0

    def commit(self, ops: list[Any]) -> list[Outcome]:
        # Optimistic: the whole batch in one transaction. Only if an op fails is the batch redone
        # with a SAVEPOINT per op, so that the failing one fails alone.
        try:
            return self._write(ops, isolate=False)
        except _BatchFailed:
            try:
                return self._write(ops, isolate=True)
            except Exception as exc:
                return [_failure(exc)] * len(ops)
        except Exception as exc:  # the commit itself failed (disk full, I/O error): nothing is durable
            return [_failure(exc)] * len(ops)

    # Long: the journal's one write transaction (gathered inserts, savepoints for
    # an isolated rerun, hash chain); split, the transaction's boundaries would no longer be visible in one place.
    def _write(self, ops: list[Any], *, isolate: bool) -> list[Outcome]:
        outcomes: list[Outcome] = []
        seq, head, segment = self.last_seq, self.head, self.segment
        conn = self.conn
        # Optimistic path: consecutive `new_rows_only` ops are gathered and inserted together,
        # one statement per table, before anything else runs (an isolated rerun goes one by one).
        gathered = _Gathered()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for kind, data, at, statements, new_segment, new_rows_only in ops:
                if isolate:
                    conn.execute("SAVEPOINT op")
                try:
                    op_segment = segment + 1 if new_segment else segment
                    result: Any = 0
                    op_seq, op_head = seq, head
                    entries: list[Sequence[Any]] = []
                    if kind is not None:
                        for text in [data] if isinstance(data, str) else data:
                            op_seq += 1
                            digest = entry_hash(op_head, op_seq, op_segment, at, kind, text)
                            entries.append((op_seq, op_segment, at, kind, text, op_head, digest))
                            op_head = digest
                        result = op_seq if isinstance(data, str) else [e[0] for e in entries]
                    entry_seq = op_seq if kind is not None else 0
                    statements = [(sql, [_with_seq(row, entry_seq) for row in params] if many
                                   else _with_seq(params, entry_seq), many) for sql, params, many in statements]
                    if not (new_rows_only and not isolate and gathered.take(entries, statements)):
                        gathered.run(conn)
                        if len(entries) == 1:
                            conn.execute(_INSERT_ENTRY, entries[0])
                        elif entries:
                            _run_rows(conn, _INSERT_ENTRIES, entries)
                        for sql, params, many in statements:
                            if many:
                                _run_rows(conn, sql, params)
                            else:
                                conn.execute(sql, params)
                except Exception as exc:
                    if not isolate:
                        raise _BatchFailed from exc
                    conn.execute("ROLLBACK TO op")
                    conn.execute("RELEASE op")
                    outcomes.append(_failure(exc))
                    continue
                if isolate:
                    conn.execute("RELEASE op")
                seq, head, segment = op_seq, op_head, op_segment
                outcomes.append((True, result))
            try:
                gathered.run(conn)
            except Exception as exc:
                raise _BatchFailed from exc
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        self.last_seq, self.head, self.segment = seq, head, segment
        self.commits += 1
        return outcomes

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()


def _failure(exc: BaseException) -> Outcome:
    return (False, type(exc).__name__, str(exc))


# -- the process ---------------------------------------------------------------------------------

def _lock(path: Path, wait_seconds: float) -> int:
    """Hold `<journal>.lock` exclusively for the life of this process (released by the kernel at exit).

    Waits a little for a writer that is still finishing: that of a server just killed, say.
    """
    handle = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise JournalBusyError(
                    f"{path} is in use by another network server (its journal writer holds {path}.lock); "
                    "stop that server or give this one another data directory") from None
            time.sleep(0.01)


class _Sender:
    """Frames to the server from the writer and the reads' thread alike, one whole frame at a time."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._lock = threading.Lock()

    def send(self, message: Any) -> None:
        frame = pack(message)
        with self._lock:
            self._sock.sendall(frame)


class _Reads:
    """The server's hot reads (a mailbox page, a batch of acknowledgements), run in this process.

    Why here and not on a thread of the server: a thread there shares the server's GIL with the
    event loop, and each time it takes the GIL back after a query the event loop may wait for it to
    be scheduled (measured: the loop idle 7-18% of the time while a recipient pulls). Here a query
    costs the server only the frames. A thread of their own, with a read-only connection, so that
    a long page does not hold up a commit, and a commit does not hold up a page.
    """

    def __init__(self, path: Path, sender: _Sender) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA query_only=ON")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._sender = sender
        self._queue: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="journal reads", daemon=True)
        self._thread.start()

    def submit(self, frame: tuple[Any, ...]) -> None:
        self._queue.put(frame)

    def _run(self) -> None:
        while (frame := self._queue.get()) is not None:
            _, number, sql, params = frame
            try:
                answer: tuple[Any, ...] = ("row", number, True, self._conn.execute(sql, params).fetchone())
            except Exception as exc:
                answer = ("row", number, False, type(exc).__name__, str(exc))
            try:
                self._sender.send(answer)
            except OSError:  # the server went away: nobody waits for the answer
                return

    def close(self) -> None:
        """Answer every read already received, then close the connection."""
        self._queue.put(None)
        self._thread.join()
        self._conn.close()


def serve(sock: socket.socket, path: Path, lock_wait_seconds: float = _LOCK_WAIT_SECONDS) -> None:
    """Write for the server at the other end of `sock` until it says stop or goes away."""
    sender = _Sender(sock)
    try:
        _lock(path, lock_wait_seconds)
        writer = Writer(path)
    except (JournalOpenError, sqlite3.Error, OSError) as exc:
        kind = ("layout" if isinstance(exc, JournalLayoutError)
                else "busy" if isinstance(exc, JournalBusyError) else "open")
        sender.send(("error", kind, str(exc)))
        return
    reads = _Reads(path, sender)
    sender.send(("ready", writer.last_seq, writer.segment, writer.head))
    frames = _FrameReader(sock)
    while True:
        batch = frames.wait()
        if not batch:  # the server went away (kill -9 included): nobody waits for an answer
            writer.conn.close()
            return
        ops: list[Any] = []
        stop = False
        for frame in batch:
            if frame[0] == "batch":
                ops += map(marshal.loads, frame[1])
            elif frame[0] == "read":
                reads.submit(frame)
            elif frame[0] == "stop":
                stop = True
        for start in range(0, len(ops), _BATCH_LIMIT):
            chunk = ops[start : start + _BATCH_LIMIT]
            outcomes = writer.commit(chunk)
            sender.send(("done", outcomes, writer.last_seq, writer.segment, writer.head, writer.commits))
        if stop:
            reads.close()
            writer.close()
            sender.send(("stopped",))
            return


def main() -> None:
    # The writer ends when its server says stop or goes away, never on a signal meant for the server:
    # a Ctrl-C or a SIGTERM to the whole process group must not take it away while the server is
    # still finishing the requests in flight.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    fd, path, lock_wait_seconds = int(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    sock = socket.socket(fileno=fd)
    try:
        serve(sock, path, lock_wait_seconds)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server went away while we answered
    finally:
        sock.close()


if __name__ == "__main__":
    main()
