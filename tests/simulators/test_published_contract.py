"""The published contract: generated documents agree with their sources and with what the server serves."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from simulators.model.directive import (
    ChannelException,
    CopyExceptionGround,
    CopyReason,
    DataSubjectCategory,
    MessageKind,
    PersonalDataCategory,
    RefusalGround,
    UrgencyCriterion,
)
from simulators.model.personal_data import load_personal_data_whitelist
from simulators.published import main, render_section, stale_documents

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def test_every_generated_document_equals_its_source() -> None:
    assert stale_documents(ROOT) == [], "regenerate: python -m simulators.published"


def test_check_mode_names_a_stale_document_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("directive-messages.md", "channels-api.md"):
        (tmp_path / "docs").mkdir(exist_ok=True)
        (tmp_path / "docs" / name).write_text((DOCS / name).read_text())
    edited = (tmp_path / "docs" / "directive-messages.md")
    edited.write_text(edited.read_text().replace("| `WITNESS` | B(1)(c) |", "| `WITNESS` | B(1)(x) |"))
    assert main(["--root", str(tmp_path), "--check"]) == 1
    assert "stale: docs/directive-messages.md" in capsys.readouterr().out


def test_a_document_without_the_markers_is_refused_with_the_lines_to_add() -> None:
    with pytest.raises(ValueError, match="generated: parties"):
        render_section("no markers here", "parties", "text")


def _personal_data_rows() -> dict[str, set[str]]:
    text = (DOCS / "directive-messages.md").read_text()
    rows = re.findall(r"^\| `([A-Z_]+)` \| B\(1\)\([a-f]\) \| \w+ \| (.+) \|$", text, re.MULTILINE)
    return {subject: set(re.findall(r"`([A-Z_]+)`", allowed)) for subject, allowed in rows}


def test_the_personal_data_table_is_the_whitelist_the_harness_judges_by() -> None:
    whitelist = load_personal_data_whitelist()
    rows = _personal_data_rows()
    assert set(rows) == {s.value for s in DataSubjectCategory}
    for subject in DataSubjectCategory:
        assert rows[subject.value] == {c.value for c in whitelist.allowed(subject)}, subject
    # A witness may carry far fewer than "all but four" categories: the contract says so by its table.
    assert len(rows["WITNESS"]) < len(PersonalDataCategory) - 4


async def test_served_openapi_and_parties_equal_the_published_files(net: Any) -> None:
    served = (await net.call("GET", "/openapi.json")).body
    assert served == json.loads((DOCS / "channels.openapi.json").read_text())
    parties = await net.call("GET", "/parties")
    assert parties.status == 200
    assert parties.body == json.loads((DOCS / "parties.json").read_text())
    schema = served["paths"]["/parties"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    validator = jsonschema_rs.validator_for({**schema, "components": served["components"]})
    assert validator.is_valid(parties.body)
    austria = next(s for s in parties.body["states"] if s["code"] == "AT")
    assert (austria["languages"], austria["timezone"]) == (["de", "en"], "Europe/Vienna")
    assert {"id": "SPOC-AT", "kind": "SPOC", "state": "AT", "name": "Austria SPOC"} in parties.body["parties"]


def _directive_validator() -> Any:
    document = json.loads((DOCS / "channels.openapi.json").read_text())
    return jsonschema_rs.validator_for({"$ref": "#/components/schemas/DirectiveMessage",
                                        "components": document["components"]})


def test_every_directive_field_of_the_channels_refers_to_the_published_directive_schema() -> None:
    document = json.loads((DOCS / "channels.openapi.json").read_text())
    carriers = {name: schema["properties"]["directive"] for name, schema in document["components"]["schemas"].items()
                if "directive" in schema.get("properties", {})}
    assert {"Envelope", "SienaSendRequest", "SireneForm", "I247Message"} <= set(carriers)
    for name, field in carriers.items():
        assert {"$ref": "#/components/schemas/DirectiveMessage"} in field["anyOf"], name


def test_the_directive_schema_publishes_every_enum_value() -> None:
    schemas = json.loads((DOCS / "channels.openapi.json").read_text())["components"]["schemas"]
    for enum in (MessageKind, RefusalGround, UrgencyCriterion, CopyReason, CopyExceptionGround, ChannelException,
                 DataSubjectCategory, PersonalDataCategory):
        assert schemas[enum.__name__]["enum"] == [member.value for member in enum], enum.__name__


def test_the_directive_schema_states_what_each_kind_must_carry() -> None:
    validator = _directive_validator()
    request = {"reference": "AT-1", "requesting_state": "AT", "requested_state": "DE", "requester": "SPOC-AT",
               "language": "de", "urgent": False}
    assert validator.is_valid({"kind": "REQUEST", "case_reference": "AT-1", "language": "de", "request": request})
    assert not validator.is_valid({"kind": "REQUEST", "case_reference": "AT-1", "language": "de"})
    assert not validator.is_valid({"kind": "REQUEST", "case_reference": "AT-1", "language": "de", "request": None})
    assert not validator.is_valid({"kind": "DELAY_NOTICE", "case_reference": "AT-1", "language": "de"})
    assert not validator.is_valid({"kind": "COPY", "case_reference": "AT-1", "language": "de",
                                   "copy_reason": "ART_4_1"})
    assert not validator.is_valid({"kind": "REFUSAL", "case_reference": "AT-1", "language": "de",
                                   "refusal_grounds": ["XX"]})
    assert not validator.is_valid({"kind": "REPLY", "case_reference": "AT-1", "language": "de", "colour": "red"})
