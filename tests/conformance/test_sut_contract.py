"""The SUT interface's models are the contract, once: the client sends only bodies on it and reads
exports through views whose fields are the contract's."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from conformance import sut
from simulators.model import sut_interface as contract


def test_every_export_view_reads_only_fields_the_contract_defines() -> None:
    assert sut.views_off_contract() == []


def test_a_view_reading_a_field_the_contract_lacks_is_named() -> None:
    class DriftedRecord(BaseModel):
        case_id: str
        received: str | None = None  # the contract's field is received_at

    assert sut.views_off_contract(((DriftedRecord, contract.CaseRecord),)) == [
        "DriftedRecord.received (not in CaseRecord)"]


def test_a_body_off_the_contract_is_the_harness_s_error_before_it_is_sent() -> None:
    decision = {"action": "REFUSE", "grounds": ["NOT_A_GROUND"]}
    with pytest.raises(sut.OffContractBody, match="POST /sut/v1/cases/C-1/decision is not a Decision"):
        sut._on_contract(contract.Decision, decision, "POST /sut/v1/cases/C-1/decision")
    body = {"records": []}
    assert sut._on_contract(contract.FixtureSet, body, "PUT /sut/v1/fixtures") is body  # sent as given
