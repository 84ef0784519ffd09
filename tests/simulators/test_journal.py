"""The journal: append-only, hash-chained, verifiable; reset starts a new segment without losing history."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from simulators.runtime.store import GENESIS_HASH, Journal, canonical_json


async def test_chain_is_recomputable_by_hand(tmp_path: Path) -> None:
    journal = await Journal.open(tmp_path / "j.sqlite3")
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    await journal.append("a", {"x": 1, "é": "ü"}, at=at)
    await journal.append("b", [1, 2], at=at)
    result = await journal.verify()
    await journal.close()
    assert result.ok
    assert result.entries == 2
    prev = GENESIS_HASH
    with sqlite3.connect(tmp_path / "j.sqlite3") as conn:
        for seq, segment, stamp, kind, data, prev_hash, digest in conn.execute("SELECT * FROM journal ORDER BY seq"):
            fields = {"seq": seq, "segment": segment, "at": stamp, "kind": kind, "data": json.loads(data)}
            entry = canonical_json(fields)
            assert prev_hash == prev
            assert digest == hashlib.sha256(prev.encode() + entry.encode()).hexdigest()
            prev = digest
    assert result.head == prev


async def test_tampering_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    journal = await Journal.open(path)
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    for n in range(5):
        await journal.append("entry", {"n": n}, at=at)
    await journal.close()
    with sqlite3.connect(path) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE journal SET data='{\"n\":99}' WHERE seq=3")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM journal WHERE seq=5")
        # Someone with file access drops the guard and edits an entry: the chain shows it.
        conn.execute("DROP TRIGGER journal_append_only_u")
        conn.execute("UPDATE journal SET data='{\"n\":99}' WHERE seq=3")
    reopened = await Journal.open(path)
    result = await reopened.verify()
    await reopened.close()
    assert not result.ok
    assert result.first_bad_seq == 3
    assert result.entries == 3


async def test_a_verification_since_the_last_one_checks_the_new_entries_and_a_full_one_every_segment(
        tmp_path: Path) -> None:
    # A kill-matrix worker's network: run after run, each verifying only its own entries, then one full verification.
    path = tmp_path / "j.sqlite3"
    journal = await Journal.open(path)
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    for n in range(3):
        await journal.append("entry", {"n": n}, at=at)
    first = await journal.verify()
    assert (first.ok, first.entries) == (True, 3)
    await journal.append("segment", {}, at=at, new_segment=True)
    for n in range(3, 6):
        await journal.append("entry", {"n": n}, at=at)
    second = await journal.verify(since_verified=True)
    assert (second.ok, second.entries) == (True, 7)
    assert second.head == journal.head
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER journal_append_only_u")
        # An entry of the earlier segment edited (its hash left): only the full verification recomputes it.
        conn.execute("UPDATE journal SET data='{\"n\":99}' WHERE seq=2")
    await journal.append("entry", {"n": 6}, at=at)
    assert (await journal.verify(since_verified=True)).ok
    full = await journal.verify()
    assert (full.ok, full.first_bad_seq) == (False, 2)
    with sqlite3.connect(path) as conn:
        # The head verified last, re-hashed: a verification since it refuses to start from it.
        conn.execute("UPDATE journal SET hash=? WHERE seq=8", ("0" * 64,))
    since = await journal.verify(since_verified=True)
    assert (since.ok, since.first_bad_seq) == (False, 8)
    await journal.close()


async def test_failed_write_does_not_break_its_batch_or_the_chain(tmp_path: Path) -> None:
    journal = await Journal.open(tmp_path / "j.sqlite3")
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    bad = journal.append("bad", {}, at=at, statements=[("INSERT INTO nowhere VALUES (1)", ())])
    good = [journal.append("good", {"n": n}, at=at) for n in range(3)]
    outcomes = await asyncio.gather(bad, *good, return_exceptions=True)
    assert isinstance(outcomes[0], sqlite3.OperationalError)
    assert outcomes[1:] == [1, 2, 3]
    assert (await journal.verify()).ok
    await journal.close()


async def test_every_change_is_journaled_and_reset_opens_a_segment(net: Any, receiver: Any) -> None:
    sent = (await net.send("SPOC-DE")).body
    delivery = (await net.call("GET", "/siena/mailbox", party="SPOC-AT")).body["deliveries"][0]
    await net.call("POST", f"/siena/mailbox/{delivery['delivery_id']}/ack", party="SPOC-AT", json_body={})
    await net.call("PUT", "/siena/webhook", party="SPOC-FR", json_body={"url": receiver.url})
    await net.call("PUT", "/control/faults", control=True, json_body={"faults": [{"type": "duplicate"}]})
    await net.advance(10)
    await net.call("POST", "/siena/messages", party="SPOC-AT", json_body=net.message("SPOC-DE"))  # refused
    reset = await net.call("POST", "/control/reset", control=True)
    assert reset.body == {"segment": 2}
    after = await net.send("SPOC-DE")
    assert after.body["message_id"] == "SIENA-000000002"  # ids stay unique across segments
    assert [m["message_id"] for m in (await net.call("GET", "/control/traffic", control=True)).body["messages"]] \
        == ["SIENA-000000002"]
    assert (await net.call("GET", "/control/faults", control=True)).body == {"faults": []}
    assert (await net.call("GET", "/siena/webhook", party="SPOC-FR")).body["url"] is None
    # The message of the old segment is still in the journal, just not in current traffic.
    assert (await net.call("GET", f"/siena/messages/{sent['message_id']}", control=True)).status == 200
    kinds = await net.network.journal.read(
        lambda c: [r[0] for r in c.execute("SELECT kind FROM journal ORDER BY seq")])
    assert kinds == ["message.accepted", "delivery.acked", "webhook.set", "faults.set", "clock.moved",
                     "access.refused", "segment.started", "message.accepted"]
    verify = (await net.call("GET", "/control/journal/verify", control=True)).body
    assert verify["ok"]
    assert verify["entries"] == 8


async def test_writes_are_grouped_into_few_commits(tmp_path: Path) -> None:
    journal = await Journal.open(tmp_path / "j.sqlite3")
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    await asyncio.gather(*(journal.append("e", {"n": n}, at=at) for n in range(500)))
    commits = journal.commits
    assert (await journal.verify()).entries == 500
    await journal.close()
    assert commits < 100  # one fsync per batch, not per entry


async def test_a_journal_of_another_layout_is_refused(tmp_path: Path) -> None:
    from simulators.runtime.store import JournalLayoutError

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE journal (seq INTEGER PRIMARY KEY)")
    with pytest.raises(JournalLayoutError, match="new data directory"):
        await Journal.open(path)


async def test_a_second_writer_on_the_same_file_is_refused_until_the_first_is_gone(tmp_path: Path) -> None:
    from simulators.runtime.store import JournalBusyError

    path = tmp_path / "j.sqlite3"
    first = await Journal.open(path)
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    await first.append("a", {"n": 1}, at=at)
    # Two writers would each chain onto the head they read at start: the second one must not start.
    with pytest.raises(JournalBusyError, match="in use by another network server"):
        await Journal.open(path, lock_wait_seconds=0.2)
    await first.close()
    second = await Journal.open(path, lock_wait_seconds=0.2)
    assert await second.append("b", {"n": 2}, at=at) == 2
    assert (await second.verify()).ok
    await second.close()


async def test_writes_fail_clearly_once_the_writer_process_is_gone(tmp_path: Path) -> None:
    from simulators.runtime.store import JournalWriterError

    journal = await Journal.open(tmp_path / "j.sqlite3")
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    await journal.append("a", {"n": 1}, at=at)
    journal._process.kill()  # the writer process dies under the server
    with pytest.raises(JournalWriterError, match="stopped"):
        await journal.append("b", {"n": 2}, at=at)
    with pytest.raises(JournalWriterError, match="cannot be written"):
        await journal.append("c", {"n": 3}, at=at)
    # What was acknowledged before is still readable, and closing does not hang.
    assert (await journal.verify()).entries == 1
    await asyncio.wait_for(journal.close(), 10)


async def test_a_value_the_writer_cannot_take_fails_its_caller_only(tmp_path: Path) -> None:
    journal = await Journal.open(tmp_path / "j.sqlite3")
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    with pytest.raises(TypeError, match="datetime"):
        await journal.append("a", {}, at=at, statements=[("INSERT INTO meta(key, value) VALUES ('k', ?)", (at,))])
    assert await journal.append("b", {"n": 1}, at=at) == 1
    await journal.close()


async def test_a_row_read_by_the_writer_process_sees_every_write_submitted_before(tmp_path: Path) -> None:
    journal = await Journal.open(tmp_path / "j.sqlite3")
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    writes = [journal.append("e", {"n": n}, at=at) for n in range(50)]  # queued, none awaited yet
    assert await journal.read_row("SELECT count(*), max(seq) FROM journal", ()) == (50, 50)
    assert all(write.done() for write in writes)
    assert await journal.read_row("SELECT seq FROM journal WHERE seq > ?", (50,)) is None  # no row
    await journal.close()


async def test_a_row_read_fails_its_caller_only_and_cannot_write(tmp_path: Path) -> None:
    from simulators.runtime.store import JournalWriterError

    journal = await Journal.open(tmp_path / "j.sqlite3")
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    await journal.append("a", {"n": 1}, at=at)
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await journal.read_row("SELECT * FROM nowhere", ())
    with pytest.raises(sqlite3.OperationalError, match="readonly"):  # the reads' connection is query-only
        await journal.read_row("INSERT INTO meta(key, value) VALUES ('k', 'v') RETURNING key", ())
    with pytest.raises(TypeError, match="datetime"):  # a parameter the writer cannot take: not even sent
        await journal.read_row("SELECT ?", (at,))
    assert await journal.read_row("SELECT count(*) FROM journal", ()) == (1,)
    assert await journal.append("b", {"n": 2}, at=at) == 2

    # A read in progress when the writer process dies fails clearly, and so does the next one.
    slow = asyncio.ensure_future(journal.read_row(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) SELECT count(*) FROM n",
        ()))
    await asyncio.sleep(0.3)
    journal._process.kill()
    with pytest.raises(JournalWriterError, match="stopped"):
        await asyncio.wait_for(slow, 10)
    with pytest.raises(JournalWriterError, match="cannot be read"):
        await journal.read_row("SELECT 1", ())
    await asyncio.wait_for(journal.close(), 10)


async def test_reset_with_a_clock_starts_the_new_segment_back_at_that_time(net: Any, make_net: Any) -> None:
    """One server serves campaign after campaign (the kill matrix): a reset may put the virtual clock back to
    where the last campaign began; the new segment's history starts there and the journal still verifies."""
    from tests.simulators.conftest import START

    await net.send("SPOC-DE")
    await net.advance(86_400 * 200)  # a retention review's months
    reset = await net.call("POST", "/control/reset", control=True, json_body={"clock": START.isoformat()})
    assert reset.status == 200, reset.body
    assert reset.body == {"segment": 2}
    clock = (await net.call("GET", "/control/clock", control=True)).body
    assert datetime.fromisoformat(clock["now"]) == START
    sent = (await net.send("SPOC-DE")).body
    assert datetime.fromisoformat(sent["created_at"]) == START
    assert (await net.call("GET", "/control/journal/verify", control=True)).body["ok"]
    # Without a clock the reset leaves the time alone (as before); a later time is just as good as an earlier one.
    assert (await net.call("POST", "/control/reset", control=True)).body == {"segment": 3}
    assert datetime.fromisoformat((await net.call("GET", "/control/clock", control=True)).body["now"]) == START
    # A restarted server never resumes earlier than the latest time its journal holds.
    data = net.data
    await net.stop()
    again = await make_net(data)
    resumed = datetime.fromisoformat((await again.call("GET", "/control/clock", control=True)).body["now"])
    assert resumed > START


async def test_reset_with_a_clock_is_refused_on_the_system_clock_and_beyond_the_latest_time(make_net: Any,
                                                                                          tmp_path: Path) -> None:
    system = await make_net(tmp_path / "system", clock="system", start=None)
    refused = await system.call("POST", "/control/reset", control=True, json_body={"clock": "2026-03-27T00:00:00Z"})
    assert refused.status == 409
    assert refused.body["title"] == "Clock not virtual"
    virtual = await make_net(tmp_path / "virtual")
    late = await virtual.call("POST", "/control/reset", control=True, json_body={"clock": "3001-01-01T00:00:00Z"})
    assert late.status == 422
    naive = await virtual.call("POST", "/control/reset", control=True, json_body={"clock": "2026-03-27T00:00:00"})
    assert naive.status == 422
