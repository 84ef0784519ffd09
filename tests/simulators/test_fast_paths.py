"""The send/deliver fast paths write exactly what the slow, obvious definitions write.

The journal's hash chain covers the canonical JSON of each entry, and a pull or batch ack answers
with the models' JSON: the quicker encodings (orjson, texts assembled around stored JSON, direct
time formatting) must give the same bytes, or `verify` would report tampering that never happened
and a CMS would read other values than the models promise.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.model.directive import ChannelName
from simulators.model.envelope import BatchAck, Envelope, MailboxPage
from simulators.runtime.network import NETWORK, SendRequest
from simulators.runtime.store import (
    Journal,
    Rows,
    canonical_json,
    db_time,
    db_to_iso,
    iso_utc,
    json_string,
    parse_db_time,
)


def reference_canonical(value: Any) -> str:
    """The definition the journal has always used."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def reference_db_time(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | texts
           | st.floats(allow_nan=False, allow_infinity=False))
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(texts, inner, max_size=5),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_canonical_json_is_the_reference_form(value: Any) -> None:
    assert canonical_json(value) == reference_canonical(value)


class Colour(StrEnum):
    RED = "red"


@pytest.mark.parametrize("value", [
    {Colour.RED: 1}, {"c": Colour.RED}, {"t": (1, 2)}, [1.5, 1e16, 1e-7, -0.0], {"big": 2**64}, {"z": 2**63 - 1},
    {"é": "\u2028\u0000\x7f\"\\/"}, {"b": "a", "a": "b", "B": "c", "\U0001f600": 1, "\uffff": 2},
])
def test_values_orjson_would_write_differently_take_the_reference_path(value: Any) -> None:
    assert canonical_json(value) == reference_canonical(value)


@pytest.mark.parametrize("text", ["2026-03-02T10:00:00.000000Z", "message.accepted", 'a"b', "a\\b", "é", "a\x7f",
                                  "tab\there", "", "line\nbreak", "\u2028"])
def test_json_string_is_canonical(text: str) -> None:
    assert json_string(text) == canonical_json(text)


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9998, 12, 30),
                    timezones=st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))])),
       st.booleans())
def test_time_texts_match_their_definitions(moment: datetime, whole_second: bool) -> None:
    if whole_second:
        moment = moment.replace(microsecond=0)
    text = db_time(moment)
    assert text == reference_db_time(moment)
    assert parse_db_time(text) == datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert iso_utc(moment) == moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    # db_to_iso is how pydantic writes the parsed time: the form the models answer with.
    assert f'"{db_to_iso(text)}"' == Envelope.model_construct(created_at=parse_db_time(text)).model_dump_json(
        include={"created_at"})[len('{"created_at":'):-1]


def test_time_texts_within_one_second_and_across_seconds() -> None:
    # db_time keeps the text of the last second it wrote: the microseconds, the next second, the next
    # day and an instant given in another zone must each come out as the definition writes them.
    start = datetime(2026, 12, 31, 23, 59, 59, 999_998, tzinfo=UTC)
    moments = [start + timedelta(microseconds=step) for step in (0, 1, 2, 3, 1_000_002)]
    moments += [start.astimezone(timezone(timedelta(hours=2))), start.replace(year=2025), start]
    for moment in moments:
        assert db_time(moment) == reference_db_time(moment)
        assert db_time(moment) == reference_db_time(moment)  # and again, from what it kept


class PartyId(str):
    """A party id as a channel might pass it: a str subclass, not a str."""

    __slots__ = ()


@pytest.mark.parametrize(("party", "payload", "directive"), [
    (str, {"subject": "x", "weight": 1e-7}, None),  # orjson writes 1e-7, the definition 1e-07
    (str, {"subject": "x"}, {"kind": "REQUEST", "weight": 1e-7}),
    (PartyId, {"subject": "x", "weight": 1e-7}, None),
])
async def test_an_envelope_orjson_would_write_differently_is_journaled_in_the_reference_form(
    net: Any, party: type[str], payload: dict[str, Any], directive: dict[str, Any] | None
) -> None:
    # The envelope goes the orjson way only when the addressing is exact strs and neither the
    # payload nor the directive holds a float: here one does. The journal and the answer hold the
    # definition's text, and the chain verifies.
    network = net.server.app[NETWORK]
    envelope = await network.accept(SendRequest(channel=ChannelName.SIENA, sender=party("SPOC-DE"),
                                                to=[party("SPOC-AT")], cc=[party("SPOC-FR")], payload=payload,
                                                directive=directive))
    text = envelope.to_json()
    assert text == reference_canonical(json.loads(text))
    assert "1e-07" in text
    assert (json.loads(text)["to"], json.loads(text)["cc"]) == (["SPOC-AT"], ["SPOC-FR"])
    assert (await network.journal.verify()).ok


async def test_append_many_chains_each_entry_and_is_all_or_nothing(tmp_path: Path) -> None:
    journal = await Journal.open(tmp_path / "j.sqlite3")
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    await journal.append("first", {"n": 0}, at=at)
    seqs = await journal.append_many("many", [{"n": 1}, {"n": 2}, {"n": 3}], at=at, statements=[
        ("INSERT INTO meta(key, value) VALUES (?, ?)", Rows([("a", "1"), ("b", "2")]))])
    assert seqs == [2, 3, 4]
    failing = journal.append_many("many", [{"n": 4}, {"n": 5}], at=at, statements=[
        ("INSERT INTO meta(key, value) VALUES (?, ?)", Rows([("c", "3"), ("c", "again")]))])
    after = journal.append("after", {"n": 6}, at=at)
    outcomes = await asyncio.gather(failing, after, return_exceptions=True)
    assert isinstance(outcomes[0], sqlite3.IntegrityError)
    assert outcomes[1] == 5  # the failed batch took no sequence number
    verification = await journal.verify()
    rows = await journal.read(lambda c: c.execute("SELECT key FROM meta ORDER BY key").fetchall())
    await journal.close()
    assert verification.ok
    assert verification.entries == 5
    assert [r[0] for r in rows] == ["a", "b"]


async def _entries(net: Any) -> list[tuple[str, str]]:
    return list(await net.network.journal.read(
        lambda c: c.execute("SELECT kind, data FROM journal ORDER BY seq").fetchall()))


async def test_pull_and_batch_ack_answer_what_the_models_write(net: Any) -> None:
    tricky = {"body": 'Quote " backslash \\ line\nbreak, é, \u2028, \U0001f600',
              "directive": {"kind": "REQUEST", "weight": 1.5, "big": 2**64, "nested": [{"z": 1, "a": None}]}}
    sent = [(await net.send("SPOC-DE", **tricky)).body, (await net.send("SPOC-DE")).body]
    page = await net.call("GET", "/siena/mailbox", party="SPOC-AT")
    assert page.status == 200
    assert page.headers["Content-Type"] == "application/json; charset=utf-8"
    # The page is a MailboxPage as the model writes it; each message is the envelope the send answered.
    assert MailboxPage.model_validate(page.body).model_dump(mode="json") == page.body
    assert [d["message"] for d in page.body["deliveries"]] == sent
    assert page.body["deliveries"][0]["delivered_at"] == "2026-03-02T10:00:00Z"

    ids = [d["delivery_id"] for d in page.body["deliveries"]]
    acked = await net.call("POST", "/siena/mailbox/ack", party="SPOC-AT", json_body={"delivery_ids": ids})
    assert acked.status == 200
    assert BatchAck.model_validate(acked.body).model_dump(mode="json") == acked.body
    assert [(a["delivery_id"], a["status"], a["acked_at"], a["read_at"]) for a in acked.body["acks"]] == [
        (i, "DELIVERED", "2026-03-02T10:00:00Z", None) for i in ids]
    await net.advance(1.5)
    read = await net.call("POST", "/siena/mailbox/ack", party="SPOC-AT",
                          json_body={"delivery_ids": ids[:1], "status": "READ"})
    assert read.body["acks"][0] == {**acked.body["acks"][0], "status": "READ",
                                    "read_at": "2026-03-02T10:00:01.500000Z"}
    # Acknowledging again changes nothing and journals nothing.
    before = len(await _entries(net))
    again = await net.call("POST", "/siena/mailbox/ack", party="SPOC-AT", json_body={"delivery_ids": ids})
    assert [a["status"] for a in again.body["acks"]] == ["READ", "DELIVERED"]
    assert len(await _entries(net)) == before

    # Every entry the fast paths assembled is in canonical form, and the chain verifies.
    entries = await _entries(net)
    assert [k for k, _ in entries if k != "clock.moved"] == [
        "message.accepted", "message.accepted", "delivery.acked", "delivery.acked"]
    for _, data in entries:
        assert data == reference_canonical(json.loads(data))
    # One entry per acknowledging request, naming every delivery it acknowledged.
    batch, receipt = [json.loads(d) for k, d in entries if k == "delivery.acked"]
    assert batch == {"party": "SPOC-AT", "via": "pull", "acks": [
        {"delivery_id": i, "message_id": m["message_id"], "status": "DELIVERED"}
        for i, m in zip(ids, sent, strict=True)]}
    assert receipt["acks"] == [{"delivery_id": ids[0], "message_id": sent[0]["message_id"], "status": "READ"}]
    accepted = json.loads(entries[0][1])
    assert accepted["envelope"] == sent[0]
    assert accepted["deliveries"] == [{"cursor": 1, "delivery_id": ids[0], "party": "SPOC-AT"}]
    assert (await net.call("GET", "/control/journal/verify", control=True)).body["ok"] is True


async def test_mailbox_model_view_matches_the_json_answer(net: Any) -> None:
    from simulators.model.directive import ChannelName

    await net.send("SPOC-DE", cc=["SPOC-FR"])
    page = await net.network.mailbox(ChannelName.SIENA, "SPOC-FR")
    answer = await net.call("GET", "/siena/mailbox", party="SPOC-FR")
    assert page.model_dump(mode="json") == answer.body


async def test_mailbox_page_assembled_by_sqlite_is_the_page_assembled_per_delivery(
    net: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simulators.model.directive import ChannelName
    from simulators.runtime import queries

    await net.send("SPOC-DE", body='Quote " backslash \\ line\nbreak, é, \u2028, \U0001f600')
    await net.advance(0.25)  # a time with a fraction, beside the whole seconds
    for n in range(5):
        await net.send("SPOC-DE", cc=["SPOC-FR"], subject=f"n{n}")
    by_sqlite = [await net.network.mailbox_json(ChannelName.SIENA, "SPOC-AT", after=after, limit=limit)
                 for after, limit in ((0, 100), (2, 3), (10, 10))]
    monkeypatch.setattr(queries, "mailbox_page_answer", lambda *args: None)  # as when the order check fails
    by_python = [await net.network.mailbox_json(ChannelName.SIENA, "SPOC-AT", after=after, limit=limit)
                 for after, limit in ((0, 100), (2, 3), (10, 10))]
    assert by_sqlite == by_python
    assert [len(json.loads(page)["deliveries"]) for page in by_sqlite] == [6, 3, 0]
    assert json.loads(by_sqlite[2])["next_cursor"] == 10


async def test_batch_ack_assembled_by_sqlite_is_the_general_acknowledgement(
    make_net: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simulators.runtime import queries

    async def scenario(data: Path) -> tuple[Any, ...]:
        net = await make_net(data)
        await net.send("SPOC-DE", body='Quote " and \\ é')
        await net.advance(0.25)  # a delivery time with a fraction
        await net.send("SPOC-DE", cc=["SPOC-FR"])
        await net.send("SPOC-DE")
        ids = [d["delivery_id"] for d in (await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"]]
        await net.advance(1)
        acked = await net.call("POST", "/siena/mailbox/ack", party="SPOC-AT", json_body={"delivery_ids": ids})
        entries = [d for k, d in await _entries(net) if k == "delivery.acked"]
        rows = await net.network.journal.read(lambda c: c.execute(
            "SELECT cursor, status, acked_at, read_at, next_attempt_at, attempts FROM deliveries ORDER BY cursor"
        ).fetchall())
        return acked.status, acked.body, entries, rows

    taken: list[Any] = []
    original = queries.pending_acks_answer
    monkeypatch.setattr(queries, "pending_acks_answer", lambda *args: taken.append(original(*args)) or taken[-1])
    fast = await scenario(tmp_path / "fast")
    assert len(taken) == 1
    assert taken[0] is not None  # the batch was acknowledged by the SQLite way
    monkeypatch.setattr(queries, "pending_acks_answer", lambda *args: None)  # every batch the general way
    general = await scenario(tmp_path / "general")
    assert fast == general
    status, answer, entries, _ = fast
    assert status == 200
    assert len(answer["acks"]) == 3
    assert len(entries) == 1
    assert BatchAck.model_validate(fast[1]).model_dump(mode="json") == fast[1]
    assert fast[2][0] == reference_canonical(json.loads(fast[2][0]))


async def test_a_batch_the_sqlite_acknowledgement_does_not_take_goes_the_general_way(net: Any) -> None:
    for _ in range(3):
        await net.send("SPOC-DE")
    ids = [d["delivery_id"] for d in (await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"]]
    await net.call("POST", "/siena/mailbox/ack", party="SPOC-AT", json_body={"delivery_ids": ids[1:2]})
    # Out of order, one of them acknowledged already, one spelt with a short number: all answered.
    short = f"DLV-{int(ids[0].removeprefix('DLV-'))}"
    mixed = await net.call("POST", "/siena/mailbox/ack", party="SPOC-AT", json_body={"delivery_ids": ids[::-1]})
    assert [(a["delivery_id"], a["status"]) for a in mixed.body["acks"]] == [(i, "DELIVERED") for i in ids[::-1]]
    unknown = await net.call("POST", "/siena/mailbox/ack", party="SPOC-AT", json_body={"delivery_ids": [short]})
    assert unknown.status == 404
    other = await net.call("POST", "/siena/mailbox/ack", party="SPOC-FR", json_body={"delivery_ids": ids})
    assert other.status == 404  # as for ids that do not exist


def test_batch_ack_query_looks_deliveries_up_by_their_key() -> None:
    """A long IN list beside party and channel must not send SQLite through the party's whole mailbox."""
    from simulators.runtime import queries
    from simulators.runtime.journal_writer import _SCHEMA

    conn = sqlite3.connect(":memory:")
    conn.executescript(_SCHEMA)
    conn.executemany(
        "INSERT INTO deliveries(cursor, delivery_id, message_id, party, channel, segment, status, delivered_at) "
        "VALUES (?,?,?,?,?,?,?,?)",
        [(n, f"DLV-{n:012d}", f"SIENA-{n:09d}", "SPOC-AT", "SIENA", 1, "PENDING", "2026-03-02T10:00:00.000000Z")
         for n in range(1, 5001)])
    plans: list[str] = []

    class Explaining:
        def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
            plans.extend(str(row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
            return conn.execute(sql, params)

    found = queries.pending_acks(Explaining(), "SPOC-AT", "SIENA", list(range(100, 400)),  # type: ignore[arg-type]
                                 "2026-03-02T10:00:01.000000Z")
    assert found is not None
    assert found[0].count("DLV-") == 300
    assert any("INTEGER PRIMARY KEY" in plan for plan in plans), plans
    assert not any("deliveries_mailbox" in plan for plan in plans), plans


async def test_many_rows_go_in_chunks_and_stay_in_order(tmp_path: Path) -> None:
    journal = await Journal.open(tmp_path / "j.sqlite3")
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    count = 1000  # 3 x 256 + 3 x 64 + 2 x 16 + 2 x 4: every chunk size
    seqs = await journal.append_many("many", [{"n": n} for n in range(count)], at=at, statements=[
        ("INSERT INTO meta(key, value) VALUES {values}", Rows([(f"k{n:04d}", str(n)) for n in range(count)]))])
    assert seqs == list(range(1, count + 1))
    stored = await journal.read(lambda c: c.execute("SELECT seq, data FROM journal ORDER BY seq").fetchall())
    meta = await journal.read(lambda c: c.execute("SELECT key, value FROM meta ORDER BY key").fetchall())
    verification = await journal.verify()
    await journal.close()
    assert [json.loads(data)["n"] for _, data in stored] == list(range(count))
    assert meta == [(f"k{n:04d}", str(n)) for n in range(count)]
    assert verification.ok


def test_a_payload_is_declared_plain_only_when_its_schema_admits_no_float() -> None:
    from typing import Literal

    from pydantic import BaseModel

    from simulators.model.siena import PAYLOAD_IS_PLAIN, _schema_is_plain

    class Decimal(BaseModel):
        x: float

    class Anything(BaseModel):
        x: Any

    class Counts(BaseModel):
        x: dict[str, int]

    class FreeForm(BaseModel):
        x: dict[str, Any]

    class Optional(BaseModel):
        x: int | None = None
        y: list[str] = []

    class FloatChoice(BaseModel):
        x: Literal[1.5, 2]

    class Nested(BaseModel):
        x: list[Decimal] = []

    verdicts = {model.__name__: _schema_is_plain(model.model_json_schema(mode="serialization"))
                for model in (Decimal, Anything, Counts, FreeForm, Optional, FloatChoice, Nested)}
    assert verdicts == {"Decimal": False, "Anything": False, "Counts": True, "FreeForm": False, "Optional": True,
                        "FloatChoice": False, "Nested": False}
    assert PAYLOAD_IS_PLAIN  # the SIENA payload as it stands: its dump is always plain
