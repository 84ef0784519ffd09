"""A tampered journal is not served, and a journal cut short is caught against a head kept elsewhere.

Each tampering below once went unnoticed: the server started on it without a word. The chain covers
the entries; the tables a party is served from (messages and the entry each points to, delivery
states, the audit log) must follow from it; a chain cut short or rewritten is whole in itself, and
only a head recorded outside the database (by the harness, in results.json) shows it.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.cli import cli
from simulators.runtime.journal_writer import GENESIS_HASH, entry_hash
from simulators.runtime.store import JournalIntegrityError, canonical_json
from tests.simulators.conftest import Net


async def some_traffic(net: Net) -> dict[str, Any]:
    first = (await net.send("SPOC-DE", to=["SPOC-AT"])).body
    await net.send("SPOC-DE", to=["SPOC-AT"])
    await net.call("GET", f"/siena/messages/{first['message_id']}", party="SPOC-FR")  # refused, audited
    head = (await net.call("GET", "/control/journal/verify", control=True)).body
    assert head["ok"] is True
    return {"first": first, "head": (head["entries"], head["head"])}


def tamper(data: Path, *statements: str) -> None:
    conn = sqlite3.connect(data / "journal.sqlite3", isolation_level=None)
    for trigger in ("journal_append_only_u", "journal_append_only_d", "messages_append_only_u",
                    "messages_append_only_d"):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for statement in statements:
        conn.execute(statement)
    conn.close()


def rehash(data: Path) -> None:
    """Recompute the whole chain, as someone who edited an entry would."""
    conn = sqlite3.connect(data / "journal.sqlite3", isolation_level=None)
    prev = GENESIS_HASH
    rows = conn.execute("SELECT seq, segment, at, kind, data FROM journal ORDER BY seq").fetchall()
    for seq, segment, at, kind, text in rows:
        digest = entry_hash(prev, seq, segment, at, kind, canonical_json(json.loads(text)))
        conn.execute("UPDATE journal SET prev_hash=?, hash=? WHERE seq=?", (prev, digest, seq))
        prev = digest
    conn.close()


def journal_verify(data: Path, *more: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["journal", "verify", str(data), *more])
    return result.exit_code, result.output


async def stopped_with_traffic(make_net: Any) -> tuple[Path, dict[str, Any]]:
    net: Net = await make_net()
    seen = await some_traffic(net)
    await net.stop()
    return net.data, seen


@pytest.mark.parametrize("tampering", [
    "UPDATE deliveries SET status='READ'",  # hides pending mail
    "UPDATE messages SET journal_seq=(SELECT MAX(journal_seq) FROM messages) "
    "WHERE message_id='SIENA-000000001'",  # serves another message's content
    "DELETE FROM audit",  # the refused attempt vanishes from the audit log
    "DELETE FROM messages WHERE message_id='SIENA-000000002'",
    "UPDATE journal SET data=replace(data, 'Vehicle keeper', 'Vehicle owner') WHERE seq=1",
])
async def test_a_tampered_journal_is_refused_at_start_up(make_net: Any, tampering: str) -> None:
    data, _ = await stopped_with_traffic(make_net)
    tamper(data, "DROP TRIGGER IF EXISTS messages_append_only_d", tampering)
    with pytest.raises(JournalIntegrityError, match="refusing to serve"):
        await make_net(data)
    code, output = journal_verify(data)
    assert code == 1
    assert output.startswith("BROKEN")
    # Told to, the server starts on it to let it be inspected, and says it fails verification.
    net: Net = await make_net(data, allow_broken_journal=True)
    assert (await net.call("GET", "/control/journal/verify", control=True)).body["ok"] is False


async def test_an_intact_journal_verifies_with_its_recorded_head(make_net: Any) -> None:
    data, seen = await stopped_with_traffic(make_net)
    seq, digest = seen["head"]
    assert journal_verify(data, "--head", f"{seq}:{digest}")[0] == 0
    net: Net = await make_net(data)  # starts
    assert (await net.send("SPOC-DE")).status == 201


async def test_deleting_the_last_entries_is_caught_against_the_recorded_head(make_net: Any) -> None:
    data, seen = await stopped_with_traffic(make_net)
    seq, digest = seen["head"]
    # The last message's entry and every row that follows from it: the rest is a whole chain.
    conn = sqlite3.connect(data / "journal.sqlite3")
    last_message_seq = conn.execute("SELECT journal_seq FROM messages WHERE message_id='SIENA-000000002'").fetchone()[0]
    conn.close()
    tamper(data, f"DELETE FROM audit WHERE journal_seq >= {last_message_seq}",
           "DELETE FROM deliveries WHERE message_id='SIENA-000000002'",
           "DELETE FROM messages WHERE message_id='SIENA-000000002'",
           f"DELETE FROM journal WHERE seq >= {last_message_seq}")
    assert journal_verify(data)[0] == 0  # whole in itself
    code, output = journal_verify(data, "--head", f"{seq}:{digest}")
    assert code == 1
    assert "is gone" in output
    results = data / "results.json"
    results.write_text(json.dumps({"channel_journal": {"head": {"seq": seq, "hash": digest}}}))
    assert journal_verify(data, "--results", str(results))[0] == 1


async def test_an_edited_and_rehashed_chain_is_caught_against_the_recorded_head(make_net: Any) -> None:
    data, seen = await stopped_with_traffic(make_net)
    seq, digest = seen["head"]
    tamper(data, "UPDATE journal SET data=replace(data, 'Vehicle keeper', 'Vehicle owner') WHERE seq=1")
    rehash(data)
    assert journal_verify(data)[0] == 0
    code, output = journal_verify(data, "--head", f"{seq}:{digest}")
    assert code == 1
    assert "rewritten" in output


def test_journal_verify_explains_a_missing_journal(tmp_path: Path) -> None:
    code, output = journal_verify(tmp_path)
    assert code == 2
    assert "no journal" in output
    assert journal_verify(tmp_path, "--head", "nonsense")[0] == 2


async def test_a_send_racing_a_reset_verifies_but_mail_moved_out_of_its_segment_does_not(make_net: Any) -> None:
    net: Net = await make_net()
    await net.send("SPOC-DE")
    assert (await net.call("POST", "/control/reset", control=True)).status == 200
    await net.send("SPOC-DE")  # SIENA-000000002 and -3: the first two sends of segment 2, a minute apart
    await net.advance(61)
    await net.send("SPOC-DE")
    await net.stop()
    data = net.data
    # A send accepted just before the reset reached the writer: its rows in segment 1, its entry in 2.
    tamper(data, "UPDATE messages SET segment=1 WHERE message_id='SIENA-000000002'",
           "UPDATE deliveries SET segment=1 WHERE message_id='SIENA-000000002'")
    assert journal_verify(data)[0] == 0
    # A later send moved back a segment is mail hidden from the mailbox (which lists the current one),
    # even moved with every send before it.
    tamper(data, "UPDATE messages SET segment=1 WHERE message_id='SIENA-000000003'",
           "UPDATE deliveries SET segment=1 WHERE message_id='SIENA-000000003'")
    code, output = journal_verify(data)
    assert code == 1, output
    assert "SIENA-000000003" in output
