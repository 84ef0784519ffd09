"""The tables that decide what a party is served, checked against the hash chain that journaled them.

The chain (`journal`) covers every entry's content, but a party is served from other tables: which
messages exist and which entry holds each (`messages.journal_seq`), which deliveries a mailbox lists
and in what state (`deliveries.status`: PENDING ones are listed, READ ones are not), and what the
audit log shows (`audit`). Someone editing the database could set deliveries to READ to hide mail,
re-point a message to another entry to serve other content, or drop audit rows, without breaking
the chain. Every row of those tables follows from the chain:

- a `message.accepted` entry gives its message row (id, entry, segment, channel, sender, case,
  directive kind, time) and one delivery row per recipient (cursor, id, party, time), PENDING;
- each `delivery.acked` entry raises the state of the deliveries it lists (PENDING < DELIVERED <
  READ; never down);
- each audited entry (`access.refused`, and the channels' own events that carry an audit row) has
  exactly one audit row with its sequence number, time, party and action (and, for a refusal, its
  detail).

`state_disagreement` derives them all from the chain and compares them with the tables; the first
difference fails the journal's verification. Operational columns (push attempts and schedule, last
error) are not evidence and are not checked.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from simulators.runtime.encoding import parse_db_time

__all__ = ["AUDITED_KINDS", "state_disagreement"]

_MESSAGE_ACCEPTED = "message.accepted"
_DELIVERY_ACKED = "delivery.acked"
_ACCESS_REFUSED = "access.refused"
_SEGMENT_STARTED = "segment.started"
# How long after a reset (network time) a send may still have its rows in the segment before it: a
# send accepted while the reset was on its way to the writer (see `_messages_differ`).
_RACE_SECONDS = 60.0
# Entry kinds that write one audit row, and the data field naming the party of that row.
AUDITED_KINDS: dict[str, str] = {_ACCESS_REFUSED: "party", "sirene.reply_overdue": "bureau"}
_RANK = {"PENDING": 0, "DELIVERED": 1, "READ": 2}


def state_disagreement(conn: sqlite3.Connection) -> tuple[int | None, str] | None:
    """(sequence number or None, what differs) for the first table row the chain does not give."""
    messages: dict[str, tuple[Any, ...]] = {}
    deliveries: dict[int, list[Any]] = {}
    by_delivery_id: dict[str, int] = {}
    audited: dict[int, tuple[str, Any, str, str | None]] = {}
    segment_starts: dict[int, str] = {}
    kinds = (_MESSAGE_ACCEPTED, _DELIVERY_ACKED, _SEGMENT_STARTED, *AUDITED_KINDS)
    marks = ",".join("?" * len(kinds))
    for seq, segment, at, kind, text in conn.execute(
        f"SELECT seq, segment, at, kind, data FROM journal WHERE kind IN ({marks}) ORDER BY seq", kinds
    ):
        data = json.loads(text)
        if kind == _MESSAGE_ACCEPTED:
            envelope = data["envelope"]
            directive = envelope.get("directive")
            directive_kind = directive.get("kind") if isinstance(directive, dict) else None
            message_id = envelope["message_id"]
            messages[message_id] = (seq, segment, envelope["channel"], envelope["sender"], envelope.get("case_id"),
                                    directive_kind if isinstance(directive_kind, str) else None, at)
            for delivery in data["deliveries"]:
                cursor = int(delivery["cursor"])
                deliveries[cursor] = [delivery["delivery_id"], message_id, delivery["party"], envelope["channel"],
                                      segment, "PENDING", at]
                by_delivery_id[delivery["delivery_id"]] = cursor
        elif kind == _SEGMENT_STARTED:
            segment_starts[segment] = at
        elif kind == _DELIVERY_ACKED:
            for ack in data["acks"]:
                cursor_of = by_delivery_id.get(ack["delivery_id"])
                if cursor_of is None:
                    return seq, f"entry {seq} acknowledges delivery {ack['delivery_id']}, which no entry created"
                row = deliveries[cursor_of]
                if _RANK[ack["status"]] > _RANK[row[5]]:
                    row[5] = ack["status"]
        else:
            detail = data.get("detail") if kind == _ACCESS_REFUSED else None
            action = data.get("action") if kind == _ACCESS_REFUSED else kind
            audited[seq] = (at, data.get(AUDITED_KINDS[kind]), str(action), detail)
    return (_messages_differ(conn, messages, segment_starts) or _deliveries_differ(conn, deliveries)
            or _audit_differs(conn, audited))


def _messages_differ(conn: sqlite3.Connection, expected: dict[str, tuple[Any, ...]],
                     segment_starts: dict[int, str]) -> tuple[int | None, str] | None:
    seen = 0
    # A send accepted while a reset was on its way to the writer has its rows in the segment that was
    # current when it was accepted, and its entry in the new one: only the first sends of a segment
    # (those before any send whose rows are in it), within `_RACE_SECONDS` of its start, may be one
    # segment behind.
    first_of_segment: dict[int, int] = {}
    behind: list[tuple[int, int, str]] = []
    for row in conn.execute(
        "SELECT message_id, journal_seq, segment, channel, sender, case_id, kind, created_at FROM messages"
    ):
        wanted = expected.get(row[0])
        if wanted is None:
            return None, f"message {row[0]} has no message.accepted entry in the chain"
        if row[2] == wanted[1] - 1 and (row[1], *row[3:]) == (wanted[0], *wanted[2:]) \
                and _soon_after(segment_starts.get(wanted[1]), wanted[-1]):
            behind.append((wanted[0], wanted[1], row[0]))
        elif tuple(row[1:]) != wanted:
            differs = _diff(row[1:], wanted)
            return wanted[0], f"the messages row of {row[0]} differs from its entry {wanted[0]} ({differs})"
        else:
            first_of_segment[wanted[1]] = min(first_of_segment.get(wanted[1], wanted[0]), wanted[0])
        seen += 1
    for seq, segment, message_id in behind:
        if seq > first_of_segment.get(segment, seq + 1):
            return seq, f"the messages row of {message_id} is in segment {segment - 1}, its entry {seq} in {segment}"
    if seen != len(expected):
        missing = sorted(set(expected) - {r[0] for r in conn.execute("SELECT message_id FROM messages")})
        return expected[missing[0]][0], f"message {missing[0]} of entry {expected[missing[0]][0]} has no messages row"
    return None


def _soon_after(start: str | None, at: str) -> bool:
    if start is None:
        return False
    return 0 <= (parse_db_time(at) - parse_db_time(start)).total_seconds() <= _RACE_SECONDS


def _deliveries_differ(conn: sqlite3.Connection, expected: dict[int, list[Any]]) -> tuple[int | None, str] | None:
    seen = 0
    # A delivery is in its message's segment (checked against the chain above), as accepted together.
    for *row, message_segment in conn.execute(
        "SELECT cursor, delivery_id, message_id, party, channel, segment, status, delivered_at, "
        "(SELECT m.segment FROM messages m WHERE m.message_id = d.message_id) FROM deliveries d"
    ):
        wanted = expected.get(row[0])
        if wanted is None:
            return None, f"delivery {row[1]} (cursor {row[0]}) was created by no entry of the chain"
        wanted[4] = message_segment
        if list(row[1:]) != wanted:
            return None, (f"delivery {row[1]} differs from what the chain gives ({_diff(row[1:], wanted)}): "
                          "a delivery state is decided by its delivery.acked entries")
        seen += 1
    if seen != len(expected):
        return None, f"{len(expected) - seen} deliveries of the chain have no deliveries row"
    return None


def _audit_differs(conn: sqlite3.Connection,
                   expected: dict[int, tuple[str, Any, str, str | None]]) -> tuple[int | None, str] | None:
    seen: set[int] = set()
    for seq, at, party, action, detail in conn.execute("SELECT journal_seq, at, party, action, detail FROM audit"):
        wanted = expected.get(seq)
        if wanted is None or seq in seen:
            return seq, f"audit row for entry {seq} matches no audited entry of the chain (or repeats one)"
        if (at, party, action) != wanted[:3] or (wanted[3] is not None and detail != wanted[3]):
            return seq, f"the audit row of entry {seq} differs from the entry"
        seen.add(seq)
    if len(seen) != len(expected):
        first = min(set(expected) - seen)
        return first, f"entry {first} ({expected[first][2]}) has no audit row"
    return None


def _diff(row: Any, wanted: Any) -> str:
    return "; ".join(f"{a!r} instead of {b!r}" for a, b in zip(row, wanted, strict=False) if a != b)
