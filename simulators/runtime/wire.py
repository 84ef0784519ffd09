"""The network's hand-written JSON texts and SQL, fenced in one module and checked on import.

The channel server writes its busiest texts (journal entries of sends and acknowledgements, mailbox
pages, acknowledgement answers, push bodies) directly rather than through pydantic, and lets SQLite
assemble some of them. Each such wire shape is spelled once, here, as a `JsonShape`: a `str.format`
pattern whose fields are JSON texts. The same pattern gives the text in Python (`render`) and the
SQL expression that builds it inside a query (`sql`). When this module is imported, every shape is
rendered from sample values and checked against its pydantic model: an answer must hold the model's
JSON values with its fields in the model's order, a journal entry must be the canonical JSON of its
model; and every SQL form is run on
an in-memory SQLite and must give the same bytes as the Python form. A shape that drifts from its
model fails the import, not a campaign.

The send path's SQL statements are here too: what a send and an acknowledgement write.

Micro-optimisations kept on the send path, each measured with `benchmarks/channel_throughput.py`
(SIENA send+pull, 64 sends in flight, server CPU per message with the optimisation and without it,
each in a run of its own; the machine was shared, load average 12 to 22 on 2 cores, so msg/s was
noise and CPU per message is the figure):
- pages of a mailbox and batches of acknowledgements assembled and checked by SQLite in one
  statement step (`queries.mailbox_page_query`, `queries.pending_acks_query`): 298 us per message
  with, 416 us without (+40%);
- canonical JSON by orjson for plain values (`encoding.canonical_json`), the handler telling the
  network when a payload is plain (`SendRequest.payload_is_plain`): 298 us with, 313 us without (+5%);
- the stored envelope answered, pushed and paged as the very text it was journaled with, never parsed
  and re-serialised: not measured on its own (the read paths have no other form to switch to).
- the send path's time and texts made once: `Journal.append` takes the acceptance time already
  formatted for the rows (`at_text`), the two send-path shapes are filled by position from a
  %-template each shape compiles once (`JsonShape.fill`, checked on import to give the bytes of
  `render`), and the usual send (no Idempotency-Key, a new case) is written by `Accepting.accept`
  itself through a plain `_write`, without a coroutine more. Measured together, alternated with the
  main before it in one session (load average 3.6-9.3 on 2 cores): `Network.accept` in process, 64 sends
  at a time, best of 7 rounds, 35.2-41.0 us of CPU per send against 40.4-47.3 (best against best -13%,
  about 5 us). In `benchmarks/channel_throughput.py` (64 in flight, 3 rounds, three runs each) that is
  about 2% of the server's CPU per message and under the noise: send+pull against bare in the same run
  0.50, 0.53, 0.39 with these against 0.48, 0.45, 0.71 without (0.45 for the commit before the fence),
  server CPU per message 2.36, 2.08, 2.27 times the bare endpoint's against 2.20, 2.76, 2.26. Kept
  because they cost the design nothing (one spelling, checked on import); each part on its own is
  worth about 1%, below what this machine can show.
Left out, because the design asks for it: the module-global cache of `db_time`, reading an enum's
private `_value_`, and `accept` handing on an awaitable with its parameters bound positionally. The
frozen `SendRequest` costs about 2.5 us a send more than a plain one (timeit); kept, as the design asks.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from string import Formatter
from typing import Literal

from pydantic import BaseModel

from simulators.model.envelope import Ack, BatchAck, Delivery, DeliveryStatus, Envelope, MailboxPage, PushBody
from simulators.runtime.store import CanonicalText, canonical_json, json_string

__all__ = [
    "ACCEPTED_DELIVERY",
    "ACCEPTED_ENTRY",
    "ACK",
    "ACKED",
    "ACKED_ENTRY",
    "ACKED_ITEM",
    "ACK_DELIVERIES",
    "BATCH_ACK",
    "DELIVERED",
    "INSERT_DELIVERIES",
    "INSERT_KEYS",
    "INSERT_MESSAGES",
    "MAILBOX_DELIVERY",
    "MAILBOX_PAGE",
    "PENDING",
    "PUSH",
    "JsonShape",
    "ack_text",
    "acked_entry",
    "sql_iso",
    "sql_string",
]


class AcceptedDelivery(BaseModel):
    cursor: int
    delivery_id: str
    party: str


class AcceptedEntry(BaseModel):
    """The `message.accepted` journal entry: the envelope and a delivery per recipient."""

    deliveries: list[AcceptedDelivery]
    envelope: Envelope


class AckedItem(BaseModel):
    delivery_id: str
    message_id: str
    status: DeliveryStatus


class AckedEntry(BaseModel):
    """The `delivery.acked` journal entry: the deliveries a party acknowledged in one request."""

    acks: list[AckedItem]
    party: str
    via: Literal["pull", "push"]


@dataclass(frozen=True)
class JsonShape:
    """One wire shape: a `str.format` pattern whose fields take JSON texts, and the model it must match.

    `form`: "model" for a text that must hold the model's JSON values, fields in the model's order (an
    answer; a nested envelope is its stored text), "canonical" for one that must be the canonical JSON
    of the model's dump (a journal entry: sorted keys).
    """

    name: str
    pattern: str
    model: type[BaseModel]
    form: Literal["model", "canonical"]
    # The pattern compiled once to a positional %-template, fields in the pattern's order (`fill`).
    _template: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = []
        for literal, name, _, _ in Formatter().parse(self.pattern):  # (parse turns "{{" back into "{")
            parts.append(literal.replace("%", "%%"))
            if name is not None:
                parts.append("%s")
        object.__setattr__(self, "_template", "".join(parts))

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(name for _, name, _, _ in Formatter().parse(self.pattern) if name is not None)

    def render(self, **json_texts: object) -> str:
        """The text, each field given as its JSON text (or a value whose str() is, such as an int)."""
        return self.pattern.format(**json_texts)

    def fill(self, *json_texts: object) -> str:
        """`render` with the fields given in the order of `fields`: for the send path, where it is quicker."""
        return self._template % json_texts

    def sql(self, **expressions: str) -> str:
        """A SQL expression giving the same text, each field given as a SQL expression of its JSON text."""
        parts: list[str] = []
        for literal, name, _, _ in Formatter().parse(self.pattern):  # (parse turns "{{" back into "{")
            if literal:
                parts.append("'" + literal.replace("'", "''") + "'")
            if name is not None:
                parts.append(f"({expressions[name]})")
        return " || ".join(parts)


def sql_string(column: str) -> str:
    """SQL for the JSON string of a value the network made (ids, party ids): nothing in it to escape."""
    return f"'\"' || {column} || '\"'"


def sql_iso(column: str) -> str:
    """SQL for the JSON string of `db_to_iso(column)`: the ISO form pydantic writes (no zero fraction)."""
    return (f"'\"' || CASE WHEN substr({column}, 20) = '.000000Z' THEN substr({column}, 1, 19) || 'Z' "
            f"ELSE {column} END || '\"'")


ACCEPTED_DELIVERY = JsonShape("accepted delivery", '{{"cursor":{cursor},"delivery_id":{delivery_id},"party":{party}}}',
                              AcceptedDelivery, "canonical")
ACCEPTED_ENTRY = JsonShape("message.accepted entry", '{{"deliveries":[{deliveries}],"envelope":{envelope}}}',
                           AcceptedEntry, "canonical")
ACKED_ITEM = JsonShape("acknowledged delivery",
                       '{{"delivery_id":{delivery_id},"message_id":{message_id},"status":{status}}}',
                       AckedItem, "canonical")
ACKED_ENTRY = JsonShape("delivery.acked entry", '{{"acks":[{acks}],"party":{party},"via":{via}}}',
                        AckedEntry, "canonical")
ACK = JsonShape("Ack", '{{"delivery_id":{delivery_id},"party":{party},"status":{status},'
                '"delivered_at":{delivered_at},"acked_at":{acked_at},"read_at":{read_at},"attempts":{attempts}}}',
                Ack, "model")
BATCH_ACK = JsonShape("BatchAck", '{{"acks":[{acks}]}}', BatchAck, "model")
MAILBOX_DELIVERY = JsonShape(
    "Delivery", '{{"delivery_id":{delivery_id},"cursor":{cursor},"delivered_at":{delivered_at},"message":{message}}}',
    Delivery, "model")
MAILBOX_PAGE = JsonShape("MailboxPage", '{{"deliveries":[{deliveries}],"next_cursor":{next_cursor}}}',
                         MailboxPage, "model")
PUSH = JsonShape("PushBody", '{{"delivery_id":{delivery_id},"channel":{channel},"message":{message}}}',
                 PushBody, "model")

ACKED = "delivery.acked"


def ack_text(delivery_id: str, message_id: str, status: DeliveryStatus) -> str:
    """One acknowledgement in a `delivery.acked` entry: canonical_json of {delivery_id, message_id, status}."""
    return ACKED_ITEM.render(delivery_id=json_string(delivery_id), message_id=json_string(message_id),
                                  status=f'"{status.value}"')


def acked_entry(party: str, via: str, acks: Sequence[str]) -> CanonicalText:
    """The `delivery.acked` entry: the deliveries a party acknowledged in one go (`via` pull or push).

    canonical_json of {"acks": [{delivery_id, message_id, status}, ...], "party", "via"}, keys in
    order; one entry per request rather than per delivery, so that a batch of a thousand
    acknowledgements costs the chain one link.
    """
    return CanonicalText(ACKED_ENTRY.render(acks=",".join(acks), party=json_string(party), via=json_string(via)))


PENDING = DeliveryStatus.PENDING.value
DELIVERED = DeliveryStatus.DELIVERED.value

INSERT_MESSAGES = ("INSERT INTO messages(message_id, journal_seq, segment, channel, sender, case_id, kind, "
                   "created_at) VALUES {values}")
INSERT_DELIVERIES = ("INSERT INTO deliveries(cursor, delivery_id, message_id, party, channel, segment, "
                     "status, delivered_at, next_attempt_at) VALUES {values}")
INSERT_KEYS = "INSERT INTO idempotency(party, channel, key, body_hash, message_id) VALUES {values}"
# Monotonic whatever the row holds by then (a push may have completed meanwhile): a status never
# goes back (PENDING < DELIVERED < READ) and a time once set is kept.
ACK_DELIVERIES = ("WITH acked(cursor, status, acked_at, read_at) AS (VALUES {values}) "
                  "UPDATE deliveries SET status=CASE WHEN 'READ' IN (deliveries.status, acked.status) THEN 'READ' "
                  "ELSE acked.status END, acked_at=COALESCE(deliveries.acked_at, acked.acked_at), "
                  "read_at=COALESCE(deliveries.read_at, acked.read_at), "
                  "next_attempt_at=NULL FROM acked WHERE deliveries.cursor=acked.cursor")


# -- the import-time check ---------------------------------------------------------------------------

_ENVELOPE_SAMPLE = (
    '{"case_id":"SC-000000001","cc":[],"channel":"SIENA","created_at":"2026-03-27T09:00:00.250000Z",'
    '"directive":null,"in_reply_to":null,"message_id":"SIENA-000000001","payload":{"subject":"x"},'
    '"sender":"SPOC-DE","to":["SPOC-AT"]}'
)


def _samples() -> dict[JsonShape, dict[str, str]]:
    accepted = ACCEPTED_DELIVERY.render(cursor=7, delivery_id='"DLV-000000000007"', party='"SPOC-AT"')
    acked = ACKED_ITEM.render(delivery_id='"DLV-000000000007"', message_id='"SIENA-000000001"', status='"READ"')
    ack = {"delivery_id": '"DLV-000000000007"', "party": '"SPOC-AT"', "status": '"DELIVERED"',
           "delivered_at": '"2026-03-27T09:00:00.250000Z"', "acked_at": '"2026-03-27T09:00:01Z"',
           "read_at": "null", "attempts": "0"}
    delivery = {"delivery_id": '"DLV-000000000007"', "cursor": "7", "delivered_at": '"2026-03-27T09:00:00Z"',
                "message": _ENVELOPE_SAMPLE}
    return {
        ACCEPTED_DELIVERY: {"cursor": "7", "delivery_id": '"DLV-000000000007"', "party": '"SPOC-AT"'},
        ACCEPTED_ENTRY: {"deliveries": f"{accepted},{accepted}", "envelope": _ENVELOPE_SAMPLE},
        ACKED_ITEM: {"delivery_id": '"DLV-000000000007"', "message_id": '"SIENA-000000001"', "status": '"READ"'},
        ACKED_ENTRY: {"acks": acked, "party": '"SPOC-AT"', "via": '"pull"'},
        ACK: ack,
        BATCH_ACK: {"acks": ACK.render(**ack)},
        MAILBOX_DELIVERY: delivery,
        MAILBOX_PAGE: {"deliveries": MAILBOX_DELIVERY.render(**delivery), "next_cursor": "7"},
        PUSH: {"delivery_id": '"DLV-000000000007"', "channel": '"SIENA"', "message": _ENVELOPE_SAMPLE},
    }


def _check_shape(shape: JsonShape, sample: Mapping[str, str]) -> None:
    if set(shape.fields) != set(sample):
        raise RuntimeError(f"wire shape {shape.name}: fields {shape.fields}, sample has {sorted(sample)}")
    text = shape.render(**sample)
    filled = shape.fill(*(sample[name] for name in shape.fields))
    if filled != text:
        raise RuntimeError(f"wire shape {shape.name}: filled by position it gives {filled!r}, not {text!r}")
    dumped = shape.model.model_validate_json(text).model_dump(mode="json")
    if shape.form == "canonical":
        drifted = text != canonical_json(dumped)
    else:  # the model's fields in its order; a nested envelope is its stored (canonical) text
        written = json.loads(text)
        drifted = written != dumped or list(written) != list(dumped)
    if drifted:
        raise RuntimeError(f"wire shape {shape.name} drifted from {shape.model.__name__}: {text}")
    # The SQL form: every field a literal of its JSON text, the result the same bytes.
    literals = {name: "'" + value.replace("'", "''") + "'" for name, value in sample.items()}
    with sqlite3.connect(":memory:") as conn:
        from_sql = conn.execute("SELECT " + shape.sql(**literals)).fetchone()[0]
    conn.close()
    if from_sql != text:
        raise RuntimeError(f"wire shape {shape.name}: its SQL form gives {from_sql!r}, not {text!r}")


def _check_sql_helpers() -> None:
    with sqlite3.connect(":memory:") as conn:
        for stored in ("2026-03-27T09:00:00.000000Z", "2026-03-27T09:00:00.250000Z"):
            row = conn.execute(f"SELECT {sql_iso('t')}, {sql_string('t')} FROM (SELECT ? AS t)", (stored,)).fetchone()
            pydantic_form = json.dumps(Ack(delivery_id="d", party="p", status=DeliveryStatus.PENDING,
                                           delivered_at=stored).model_dump(mode="json")["delivered_at"])
            if row != (pydantic_form, json.dumps(stored)):
                raise RuntimeError(f"sql_iso/sql_string: {row} for {stored!r}, expected {pydantic_form}")
    conn.close()


def _check_all() -> None:
    for shape, sample in _samples().items():
        _check_shape(shape, sample)
    _check_sql_helpers()


_check_all()
