"""Read queries of the journal, run on its reader thread (`Journal.read(fn)`); plain functions of a connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from simulators.model.envelope import Ack, DeliveryStatus, Envelope, MessageView
from simulators.runtime import wire
from simulators.runtime.store import db_to_iso, json_string, parse_db_time
from simulators.runtime.wire import sql_iso, sql_string

__all__ = [
    "DeliveryRow",
    "TrafficFilter",
    "ack_json",
    "ack_of",
    "acks_for",
    "counters",
    "cursor_of",
    "deliveries",
    "delivery",
    "due_pushes",
    "idempotent_message",
    "mailbox_page",
    "mailbox_texts",
    "message",
    "message_views",
    "next_push_due",
    "pending_acks",
]


class DeliveryRow(NamedTuple):
    cursor: int
    delivery_id: str
    message_id: str
    party: str
    channel: str
    segment: int
    status: DeliveryStatus
    delivered_at: str
    attempts: int
    next_attempt_at: str | None
    acked_at: str | None
    read_at: str | None


_DELIVERY_COLUMNS = (
    "cursor, delivery_id, message_id, party, channel, segment, status, delivered_at, attempts, "
    "next_attempt_at, acked_at, read_at"
)


def _delivery(row: Sequence[Any]) -> DeliveryRow:
    values = list(row)
    values[6] = DeliveryStatus(values[6])
    return DeliveryRow._make(values)


def ack_of(row: DeliveryRow) -> Ack:
    return Ack(
        delivery_id=row.delivery_id,
        party=row.party,
        status=row.status,
        delivered_at=parse_db_time(row.delivered_at),
        acked_at=parse_db_time(row.acked_at) if row.acked_at else None,
        read_at=parse_db_time(row.read_at) if row.read_at else None,
        attempts=row.attempts,
    )


def ack_json(row: DeliveryRow) -> str:
    """`ack_of(row)` as JSON, written directly (a batch acknowledgement answers with hundreds)."""
    return wire.ACK.render(
        delivery_id=json_string(row.delivery_id), party=json_string(row.party), status=f'"{row.status.value}"',
        delivered_at=f'"{db_to_iso(row.delivered_at)}"',
        acked_at=f'"{db_to_iso(row.acked_at)}"' if row.acked_at else "null",
        read_at=f'"{db_to_iso(row.read_at)}"' if row.read_at else "null", attempts=row.attempts)


def cursor_of(delivery_id: str) -> int | None:
    # Delivery ids are DLV-<cursor>: looked up through the cursor, the table's primary key.
    prefix, _, number = delivery_id.partition("-")
    if prefix != "DLV" or not number.isdigit() or len(number) > 18:
        return None
    return int(number)


def counters(conn: sqlite3.Connection) -> tuple[dict[str, int], dict[str, int], int]:
    """Highest message number per channel, highest case number per case prefix, highest cursor."""
    messages: dict[str, int] = {}
    for channel, highest in conn.execute(
        "SELECT channel, MAX(CAST(substr(message_id, length(channel) + 2) AS INTEGER)) "
        "FROM messages GROUP BY channel"
    ):
        messages[channel] = int(highest or 0)
    cases: dict[str, int] = {}
    for (case_id,) in conn.execute("SELECT DISTINCT case_id FROM messages WHERE case_id IS NOT NULL"):
        prefix, _, number = str(case_id).rpartition("-")
        if number.isdigit():
            cases[prefix] = max(cases.get(prefix, 0), int(number))
    cursor = conn.execute("SELECT COALESCE(MAX(cursor), 0) FROM deliveries").fetchone()[0]
    return messages, cases, int(cursor)


# The envelope is stored once, in its journal entry ({"deliveries": [...], "envelope": {...}}).
_ENVELOPE = "(SELECT json_extract(j.data, '$.envelope') FROM journal j WHERE j.seq = m.journal_seq)"


def message(conn: sqlite3.Connection, message_id: str) -> tuple[Envelope, int] | None:
    row = conn.execute(
        f"SELECT {_ENVELOPE}, m.segment FROM messages m WHERE m.message_id = ?", (message_id,)
    ).fetchone()
    return (Envelope.model_validate_json(row[0]), int(row[1])) if row else None


def case_part(conn: sqlite3.Connection, channel: str, case_id: str, party: str) -> bool | None:
    """None when `channel` has no case `case_id`; else whether `party` sent or received one of its messages."""
    return case_part_answer(conn.execute(CASE_PART, (party, channel, case_id)).fetchone())


def case_part_answer(row: Sequence[Any] | None) -> bool | None:
    """`case_part` from the row of `CASE_PART`."""
    return None if row is None or row[0] is None else bool(row[0])


def acks_for(conn: sqlite3.Connection, message_ids: Sequence[str]) -> dict[str, list[Ack]]:
    found: dict[str, list[Ack]] = {mid: [] for mid in message_ids}
    for start in range(0, len(message_ids), 500):
        chunk = message_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE message_id IN ({marks}) ORDER BY cursor",
            tuple(chunk),
        ):
            d = _delivery(row)
            found[d.message_id].append(ack_of(d))
    return found


def message_views(conn: sqlite3.Connection, envelopes: Sequence[Envelope]) -> list[MessageView]:
    acks = acks_for(conn, [e.message_id for e in envelopes])
    return [MessageView(**e.model_dump(), acks=acks[e.message_id]) for e in envelopes]


# The queries of a send with an Idempotency-Key, a case id or a reply, run where `Journal.read_row` runs
# them (one row each): in the journal's writer process, not on a thread sharing the event loop's GIL.
IDEMPOTENT_MESSAGE = "SELECT body_hash, message_id FROM idempotency WHERE party=? AND channel=? AND key=?"
# The channel, case, sender and To/CC recipients (JSON arrays) of a message: whether a reply may follow it.
THREAD_PARENT = ("SELECT m.channel, m.case_id, m.sender, json_extract(j.data, '$.envelope.to'), "
                 "json_extract(j.data, '$.envelope.cc') FROM messages m JOIN journal j ON j.seq = m.journal_seq "
                 "WHERE m.message_id = ?")
# NULL when the channel has no such case; else whether the party sent or received one of its messages.
CASE_PART = ("SELECT MAX(m.sender = ?1 OR EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.message_id "
             "AND d.party = ?1)) FROM messages m WHERE m.channel = ?2 AND m.case_id = ?3")


def idempotent_message(
    conn: sqlite3.Connection, party: str, channel: str, key: str
) -> tuple[str, str] | None:
    return idempotent_message_answer(conn.execute(IDEMPOTENT_MESSAGE, (party, channel, key)).fetchone())


def idempotent_message_answer(row: Sequence[Any] | None) -> tuple[str, str] | None:
    """(body hash, message id) from the row of `IDEMPOTENT_MESSAGE`."""
    return (str(row[0]), str(row[1])) if row else None


def delivery(conn: sqlite3.Connection, delivery_id: str) -> DeliveryRow | None:
    return deliveries(conn, [delivery_id])[0]


def deliveries(conn: sqlite3.Connection, delivery_ids: Sequence[str]) -> list[DeliveryRow | None]:
    """The rows of `delivery_ids`, in their order (None for an unknown id); one query per 500 ids."""
    wanted = [(did, cursor_of(did)) for did in delivery_ids]
    cursors = [c for _, c in wanted if c is not None]
    found: dict[int, DeliveryRow] = {}
    for start in range(0, len(cursors), 500):
        chunk = cursors[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for values in _aggregated(conn, f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE cursor IN ({marks})",
                                  _DELIVERY_COLUMNS, chunk):
            found[values[0]] = _delivery(values)
    rows: list[DeliveryRow | None] = []
    for did, cursor in wanted:
        row = found.get(cursor) if cursor is not None else None
        rows.append(row if row is not None and row.delivery_id == did else None)
    return rows


def _aggregated(conn: sqlite3.Connection, select: str, columns: str, params: Sequence[Any]) -> list[list[Any]]:
    """The rows of `select` (whose result columns are `columns`), fetched as one JSON array.

    One statement step instead of one per row: the sqlite3 module lets go of the GIL at every step,
    and this thread then waits for a busy event loop to hand it back, a thousand times for a page of
    a thousand deliveries. Text values come back exactly (a JSON string round trip is lossless).
    """
    row = conn.execute(f"SELECT json_group_array(json_array({columns})) FROM ({select})", params).fetchone()
    return list(orjson.loads(row[0])) if row and row[0] else []


def mailbox_texts(
    conn: sqlite3.Connection, party: str, channel: str, segment: int, after: int, limit: int
) -> list[tuple[int, str, str, str]]:
    """The pending deliveries of `party` after `after`: (cursor, delivery_id, delivered_at, envelope JSON text)."""
    rows = _aggregated(
        conn,
        # `'' ||` makes the envelope plain text, so that json_array keeps it as a string, not as JSON.
        f"SELECT d.cursor AS cursor, d.delivery_id AS delivery_id, d.delivered_at AS delivered_at, "
        f"'' || {_ENVELOPE} AS envelope "
        "FROM deliveries d JOIN messages m ON m.message_id = d.message_id "
        "WHERE d.party=? AND d.channel=? AND d.segment=? AND d.status=? AND d.cursor>? "
        "ORDER BY d.cursor LIMIT ?",
        "cursor, delivery_id, delivered_at, envelope",
        (party, channel, segment, DeliveryStatus.PENDING.value, after, limit),
    )
    rows.sort(key=lambda r: int(r[0]))  # an aggregate's input order is not promised: the cursor is
    return [(int(c), str(d), str(t), str(e)) for c, d, t, e in rows]


# The SQL forms of the wire shapes SQLite assembles (simulators.runtime.wire): a page's deliveries, and
# a pending delivery once acknowledged (its journal item and its Ack, acknowledged at the parameter).
_PAGE_ITEM = wire.MAILBOX_DELIVERY.sql(delivery_id=sql_string("d.delivery_id"), cursor="d.cursor",
                                       delivered_at=sql_iso("d.delivered_at"), message=_ENVELOPE)
_ACKED_ITEM = wire.ACKED_ITEM.sql(delivery_id=sql_string("delivery_id"), message_id=sql_string("message_id"),
                                  status=f"'\"{DeliveryStatus.DELIVERED.value}\"'")
_ACKED_ANSWER = wire.ACK.sql(delivery_id=sql_string("delivery_id"), party=sql_string("party"),
                             status=f"'\"{DeliveryStatus.DELIVERED.value}\"'", delivered_at=sql_iso("delivered_at"),
                             acked_at="?", read_at="'null'", attempts="attempts")


def mailbox_page(
    conn: sqlite3.Connection, party: str, channel: str, segment: int, after: int, limit: int
) -> tuple[str, int] | None:
    """`mailbox_texts` as the JSON text of the page's deliveries, comma-separated, and the last cursor.

    The page is assembled by SQLite in one step, each delivery as `Network.mailbox_json` writes it,
    so neither this thread nor the event loop touches every message. An aggregate's input order is
    not promised, so the cursors are aggregated beside the items and checked: None when they are
    not in ascending order (then read the page with `mailbox_texts`).
    """
    sql, params = mailbox_page_query(party, channel, segment, after, limit)
    return mailbox_page_answer(conn.execute(sql, params).fetchone(), after)


def mailbox_page_query(party: str, channel: str, segment: int, after: int, limit: int) -> tuple[str, tuple[Any, ...]]:
    """`mailbox_page`'s query and parameters, for a connection elsewhere (`Journal.read_row`)."""
    return (
        "SELECT group_concat(item, ','), json_group_array(cursor) FROM ("
        # delivery ids are DLV-<digits> and times the fixed db_time form: nothing to escape
        f"SELECT d.cursor AS cursor, {_PAGE_ITEM} AS item "
        "FROM deliveries d JOIN messages m ON m.message_id = d.message_id "
        "WHERE d.party=? AND d.channel=? AND d.segment=? AND d.status=? AND d.cursor>? "
        "ORDER BY d.cursor LIMIT ?)",
        (party, channel, segment, DeliveryStatus.PENDING.value, after, limit),
    )


def mailbox_page_answer(row: Sequence[Any] | None, after: int) -> tuple[str, int] | None:
    """`mailbox_page` from the row of `mailbox_page_query`."""
    if not row or row[0] is None:
        return "", after
    cursors: list[int] = orjson.loads(row[1])
    if cursors != sorted(cursors):  # (cursors are unique: the primary key)
        return None
    return str(row[0]), cursors[-1]


def pending_acks(
    conn: sqlite3.Connection, party: str, channel: str, cursors: Sequence[int], acked_at: str
) -> tuple[str, str] | None:
    """The usual acknowledgement, assembled by SQLite: every delivery of `cursors` pending for `party`.

    `cursors` in ascending order, each once. Returns the `delivery.acked` items (`ack_text` of each,
    status DELIVERED) and the answer's `Ack`s (`ack_json` of each once acknowledged at `acked_at`),
    both comma-separated in the order of `cursors`; None unless every cursor is such a delivery (then
    `deliveries` and the general rules decide). The aggregated cursors are checked against `cursors`,
    which also proves the aggregates took the rows in order.
    """
    if not cursors:
        return None
    sql, params = pending_acks_query(party, channel, cursors, acked_at)
    return pending_acks_answer(conn.execute(sql, params).fetchone(), cursors)


def pending_acks_query(
    party: str, channel: str, cursors: Sequence[int], acked_at: str
) -> tuple[str, tuple[Any, ...]]:
    """`pending_acks`'s query and parameters (`cursors` not empty), for a connection elsewhere."""
    return (
        "SELECT json_group_array(cursor), group_concat(entry, ','), group_concat(answer, ',') FROM ("
        # ids, parties and times are the network's own: nothing to escape
        f"SELECT cursor, {_ACKED_ITEM} AS entry, {_ACKED_ANSWER} AS answer "
        # The unary + keeps the planner on the primary key: with a long IN list it would otherwise
        # walk the party's whole mailbox index (measured: 1.3 ms instead of 30 us for 95 ids).
        f"FROM deliveries WHERE cursor IN ({','.join('?' * len(cursors))}) AND +party=? AND +channel=? "
        "AND +status='PENDING' AND acked_at IS NULL ORDER BY cursor)",
        (f'"{db_to_iso(acked_at)}"', *cursors, party, channel),
    )


def pending_acks_answer(row: Sequence[Any] | None, cursors: Sequence[int]) -> tuple[str, str] | None:
    """`pending_acks` from the row of `pending_acks_query`."""
    if not row or row[0] is None or orjson.loads(row[0]) != list(cursors):
        return None
    return str(row[1]), str(row[2])


def due_pushes(
    conn: sqlite3.Connection, now: str, exclude: Sequence[str], limit: int
) -> list[tuple[DeliveryRow, str]]:
    """Pending pushes due at `now`, oldest first, leaving out the "party|channel" groups in `exclude`."""
    marks = ",".join("?" * len(exclude))
    skip = f"AND (d.party || '|' || d.channel) NOT IN ({marks}) " if exclude else ""
    rows = _aggregated(
        conn,
        f"SELECT {', '.join('d.' + c.strip() for c in _DELIVERY_COLUMNS.split(','))}, '' || {_ENVELOPE} AS envelope "
        "FROM deliveries d JOIN messages m ON m.message_id = d.message_id "
        f"WHERE d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= ? {skip}"
        "ORDER BY d.cursor LIMIT ?",
        f"{_DELIVERY_COLUMNS}, envelope",
        (now, *exclude, limit),
    )
    rows.sort(key=lambda r: int(r[0]))
    return [(_delivery(r[:12]), str(r[12])) for r in rows]


def next_push_due(conn: sqlite3.Connection, after: str) -> str | None:
    row = conn.execute(
        "SELECT MIN(next_attempt_at) FROM deliveries WHERE next_attempt_at > ?", (after,)
    ).fetchone()
    return str(row[0]) if row and row[0] else None


def push_schedule(
    conn: sqlite3.Connection, now: str, exclude: Sequence[str], limit: int
) -> tuple[list[tuple[DeliveryRow, str]], str | None]:
    """`due_pushes`, and `next_push_due` after `now` when fewer than `limit` were due (else None).

    One read for the pusher's two questions: each read is a trip to the reader thread and back, and
    the pusher asks both after every push.
    """
    due = due_pushes(conn, now, exclude, limit)
    return due, next_push_due(conn, now) if len(due) < limit else None


@dataclass(frozen=True)
class TrafficFilter:
    segment: int
    party: str | None = None
    channel: str | None = None
    kind: str | None = None
    since: str | None = None
    until: str | None = None
    case_id: str | None = None
    limit: int = 10_000


def traffic(conn: sqlite3.Connection, query: TrafficFilter) -> list[Envelope]:
    clauses = ["segment = ?"]
    params: list[Any] = [query.segment]
    if query.party:
        clauses.append("(sender = ? OR message_id IN (SELECT message_id FROM deliveries WHERE party = ?))")
        params += [query.party, query.party]
    for column, value in (("channel", query.channel), ("kind", query.kind), ("case_id", query.case_id)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if query.since:
        clauses.append("created_at >= ?")
        params.append(query.since)
    if query.until:
        clauses.append("created_at <= ?")
        params.append(query.until)
    sql = f"SELECT {_ENVELOPE} FROM messages m WHERE {' AND '.join(clauses)} ORDER BY m.journal_seq LIMIT ?"
    return [Envelope.model_validate_json(r[0]) for r in conn.execute(sql, (*params, query.limit))]


def case_messages(conn: sqlite3.Connection, channel: str, case_id: str, segment: int) -> list[Envelope]:
    rows = conn.execute(
        f"SELECT {_ENVELOPE} FROM messages m WHERE m.channel=? AND m.case_id=? AND m.segment=? "
        "ORDER BY m.journal_seq",
        (channel, case_id, segment),
    )
    return [Envelope.model_validate_json(r[0]) for r in rows]
