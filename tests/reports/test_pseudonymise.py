"""Pseudonymisation on a small bundle: every spelling of a value is replaced, ids are not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reports.evidence import verify_bundle, write_bundle
from reports.pseudonymise import PseudonymError, PseudonymKey, pseudonymise_bundle

KEY = PseudonymKey(b"k" * 32)


def _bundle(tmp_path: Path) -> Path:
    record = {"subject": "Jürgen Öztürk", "item": "Jürgen Öztürk: lives at Schöllerstraße 3; passport AT-VB-421-F"}
    ledger = tmp_path / "ledger.json"
    # One file in ASCII-escaped JSON, one raw excerpt inside a string, one plain: the three spellings met.
    ledger.write_text(json.dumps({"actions": [{"what": "fixtures", "request": {"records": [record]}}]}), "utf-8")
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"excerpt": json.dumps(record, ensure_ascii=False),
                                   "case": "AT-2026-FD1CA0", "message": "SIENA-000000016",
                                   "subject": "Request for information AT-2026-FD1CA0"}, ensure_ascii=False), "utf-8")
    bundle = tmp_path / "bundle"
    write_bundle(bundle, results_path=results, journal_export=[{"message_id": "SIENA-000000016", "to": "Öztürk"}],
                 extra_files={"ledger.json": ledger})
    return bundle


def test_every_spelling_of_a_personal_value_is_replaced_and_ids_are_kept(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    pseudonymise_bundle(bundle, tmp_path / "copy", KEY)
    text = "".join(p.read_text(encoding="utf-8") for p in sorted((tmp_path / "copy").iterdir()))
    for value in ("Jürgen Öztürk", "Öztürk", "Schöllerstraße", "VB-421-F"):
        assert value not in text, value
        assert json.dumps(value)[1:-1] not in text, value
    for kept in ("AT-2026-FD1CA0", "SIENA-000000016", "Request for information AT-2026-FD1CA0"):
        assert kept in text, kept
    assert KEY.pseudonym("name", "Jürgen Öztürk") in text
    assert verify_bundle(tmp_path / "copy").intact


def test_a_short_key_and_a_used_output_directory_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PseudonymError, match="at least 16 bytes"):
        PseudonymKey(b"short")
    bundle = _bundle(tmp_path)
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x", encoding="utf-8")
    with pytest.raises(PseudonymError, match="not empty"):
        pseudonymise_bundle(bundle, tmp_path / "used", KEY)
