"""The store's shortcuts for load: they answer as the long way did, and nothing acknowledged waits for a batch.

Real SQLite files; a second connection stands for a CMS restarted after a crash: it sees only what was
committed.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from simulators.model.sut_interface import CaseDirection, CaseKind, CaseStatus, Communication, FixtureRecord
from simulators.reference_cms.store import CaseState, Store

_AT = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)


def _case(case_id: str, seq: int, origin: str | None) -> CaseState:
    return CaseState(case_id=case_id, seq=seq, direction=CaseDirection.INCOMING, kind=CaseKind.REQUEST,
                     counterpart="SPOC-DE", own_party="SPOC-AT", reference=f"REF-{seq}", received_at=_AT,
                     status=CaseStatus.OPEN, origin_message_id=origin)


def _sent(message_id: str) -> Communication:
    return Communication(message_id=message_id, channel="SIENA", direction=CaseDirection.OUTGOING, kind="REQUEST",
                         sender="SPOC-AT", recipients=["SPOC-DE"], counterpart="SPOC-DE", at=_AT)


def _committed(path: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as other:
        return [tuple(r) for r in other.execute(query)]


def test_exchanges_with_subject_name_the_message_of_each_case(tmp_path: Path) -> None:
    store = Store(tmp_path / "cms-AT.sqlite3")
    store.save_case(_case("AT-2026-000001", 1, "MSG-RECEIVED"))
    sent = _case("AT-2026-000002", 2, None)  # opened by sending: named by its first communication
    store.save_case(sent)
    store.add_communication(sent.case_id, _sent("MSG-SENT-1"))
    store.add_communication(sent.case_id, _sent("MSG-SENT-2"))
    store.save_case(_case("AT-2026-000003", 3, None))  # nothing sent yet
    for case_id in ("AT-2026-000001", "AT-2026-000002", "AT-2026-000003", "AT-2026-000004"):  # 4: not saved
        store.add_subjects(case_id, ["Ivo Kask"])
    store.add_subjects("AT-2026-000005", ["Someone Else"])

    assert store.exchanges_with_subject("IVO KASK") == [
        ("AT-2026-000001", "MSG-RECEIVED"), ("AT-2026-000002", "MSG-SENT-1"), ("AT-2026-000003", None),
        ("AT-2026-000004", None)]
    store.forget_subjects("AT-2026-000002")
    assert [c for c, _ in store.exchanges_with_subject("ivo kask")] == [
        "AT-2026-000001", "AT-2026-000003", "AT-2026-000004"]


def test_a_store_from_before_the_origin_column_gets_it_filled(tmp_path: Path) -> None:
    path = tmp_path / "cms-AT.sqlite3"
    store = Store(path)
    store.save_case(_case("AT-2026-000001", 1, "MSG-OLD"))
    store.add_subjects("AT-2026-000001", ["Ivo Kask"])
    store.close()
    with sqlite3.connect(path) as old:
        old.execute("ALTER TABLE cases DROP COLUMN origin_message_id")

    reopened = Store(path)
    assert reopened.exchanges_with_subject("Ivo Kask") == [("AT-2026-000001", "MSG-OLD")]


def test_fixtures_are_read_again_after_a_replacement(tmp_path: Path) -> None:
    store = Store(tmp_path / "cms-AT.sqlite3")
    store.replace_fixtures([FixtureRecord(subject="Ivo Kask", item="address")])
    assert [r.subject for r in store.fixtures()] == ["Ivo Kask"]
    store.fixtures().clear()  # a caller's list is its own
    store.replace_fixtures([FixtureRecord(subject="Mari Tamm", item="address")])
    assert [r.subject for r in store.fixtures()] == ["Mari Tamm"]


async def test_a_step_commits_once_and_a_receipt_inside_it_is_acknowledged_with_it(tmp_path: Path) -> None:
    path = tmp_path / "cms-AT.sqlite3"
    store = Store(path)
    await store.durable()  # no step under way: what is written is committed already
    with store.batch(step="action:1"):
        store.plan("AT-2026-000001", "ANSWER", _AT)
        assert store.next_number("cases") == 1  # a transaction inside a batch is a savepoint of it
        assert _committed(path, "SELECT COUNT(*) FROM actions") == [(0,)]
        # A receipt while the step waits for the network: kept in the step's transaction, acknowledged once that
        # commits (a kill before then loses both, and the channel, never told, delivers it again).
        assert store.add_inbox("DLV-000000000001", "SIENA", "SPOC-AT", _AT, {"message_id": "MSG-1"})
        acknowledged = asyncio.ensure_future(store.durable())
        await asyncio.sleep(0)
        assert not acknowledged.done()
        assert _committed(path, "SELECT delivery_id FROM inbox") == []
        store.plan("AT-2026-000001", "FOLLOW_UP", _AT)
        assert _committed(path, "SELECT COUNT(*) FROM actions") == [(0,)]
    await asyncio.wait_for(acknowledged, 1)
    assert _committed(path, "SELECT delivery_id FROM inbox") == [("DLV-000000000001",)]
    assert _committed(path, "SELECT COUNT(*) FROM actions") == [(2,)]
    assert store.get("cases") == "1"


def test_a_failed_transaction_inside_a_batch_undoes_only_itself(tmp_path: Path) -> None:
    store = Store(tmp_path / "cms-AT.sqlite3")
    def half_way() -> None:
        with store.transaction():
            store.put("cases", "41")
            raise RuntimeError("half-way")

    with store.batch():
        store.plan("AT-2026-000001", "ANSWER", _AT)
        with pytest.raises(RuntimeError):
            half_way()
    assert store.get("cases") is None
    assert len(store.pending_actions()) == 1


def test_a_store_from_before_the_cross_checks_table_keeps_its_matches(tmp_path: Path) -> None:
    path = tmp_path / "cms-AT.sqlite3"
    store = Store(path)
    store.save_case(_case("AT-2026-000001", 1, "MSG-OLD"))
    store.close()
    match = {"source": "EXCHANGE", "subject": "Ivo Kask", "case_id": "AT-2026-000000", "message_id": "MSG-0",
             "item": None}
    with sqlite3.connect(path) as old:  # the matches inside the case data, as they were kept before
        old.execute("DROP TABLE cross_checks")
        old.execute("DELETE FROM kv WHERE key = 'cross-checks-apart'")
        old.execute("UPDATE cases SET data = json_set(data, '$.cross_check_matches', json(?))",
                    (json.dumps([match]),))

    reopened = Store(path)
    assert [m.model_dump() for m in reopened.cross_check_matches("AT-2026-000001")] == [match]
    case = reopened.case("AT-2026-000001")
    assert case is not None
    reopened.save_case(case)  # the case data no longer carries them; the table does
    assert [m.model_dump() for m in reopened.cross_check_matches("AT-2026-000001")] == [match]
    assert reopened.cross_check_matches("AT-2026-000002") == []


def test_a_number_taken_back_by_a_rollback_is_given_again(tmp_path: Path) -> None:
    store = Store(tmp_path / "cms-AT.sqlite3")
    assert store.next_number("cases") == 1

    def half_way() -> None:
        with store.transaction():
            assert store.next_number("cases") == 2
            raise RuntimeError("half-way")

    with pytest.raises(RuntimeError):
        half_way()
    assert store.next_number("cases") == 2
    store.put("cases", "41")
    assert store.next_number("cases") == 42
    assert Store(tmp_path / "cms-AT.sqlite3").next_number("cases") == 43
