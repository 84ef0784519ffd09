"""The fenced wire texts (simulators.runtime.wire): each shape agrees with its model, and drift is caught on import."""

from __future__ import annotations

import pytest

from simulators.model.envelope import Ack
from simulators.runtime import wire
from simulators.runtime.wire import JsonShape


def test_every_shape_renders_its_model_and_its_sql_form_gives_the_same_text() -> None:
    wire._check_all()  # what the import ran; here so that a failure reads as a test failure too
    assert wire.ACK.fields == ("delivery_id", "party", "status", "delivered_at", "acked_at", "read_at", "attempts")


@pytest.mark.parametrize(("pattern", "why"), [
    # a field of the model missing
    ('{{"delivery_id":{delivery_id},"party":{party},"status":{status},"delivered_at":{delivered_at},'
     '"acked_at":{acked_at},"read_at":{read_at}}}', "drifted"),
    # two fields swapped: the values are right, the model's order is not
    ('{{"party":{party},"delivery_id":{delivery_id},"status":{status},"delivered_at":{delivered_at},'
     '"acked_at":{acked_at},"read_at":{read_at},"attempts":{attempts}}}', "drifted"),
    # a misspelt key
    ('{{"delivery_id":{delivery_id},"party":{party},"status":{status},"delivered_at":{delivered_at},'
     '"acked_at":{acked_at},"read_at":{read_at},"attempt":{attempts}}}', "drifted|validation error"),
])
def test_a_shape_that_drifts_from_its_model_is_refused(pattern: str, why: str) -> None:
    sample = {"delivery_id": '"DLV-000000000001"', "party": '"SPOC-AT"', "status": '"PENDING"',
              "delivered_at": '"2026-03-27T09:00:00Z"', "acked_at": "null", "read_at": "null", "attempts": "0"}
    drifted = JsonShape("Ack", pattern, Ack, "model")
    with pytest.raises((RuntimeError, ValueError), match=why):
        wire._check_shape(drifted, {k: v for k, v in sample.items() if k in drifted.fields})


def test_a_journal_shape_must_be_canonical() -> None:
    unsorted = JsonShape("acknowledged delivery", '{{"message_id":{message_id},"delivery_id":{delivery_id},'
                         '"status":{status}}}', wire.AckedItem, "canonical")
    with pytest.raises(RuntimeError, match="drifted"):
        wire._check_shape(unsorted, {"delivery_id": '"DLV-1"', "message_id": '"SIENA-1"', "status": '"READ"'})


def test_filling_by_position_gives_the_rendered_text_even_with_a_percent_sign() -> None:
    shape = JsonShape("acknowledged delivery", '{{"delivery_id":{delivery_id},"message_id":{message_id},'
                      '"status":{status}}} 100%s', wire.AckedItem, "canonical")
    values = {"delivery_id": '"DLV-1"', "message_id": '"SIENA-1"', "status": '"READ"'}
    assert shape.fill(*(values[name] for name in shape.fields)) == shape.render(**values)


def test_a_positional_template_that_differs_from_its_pattern_is_refused() -> None:
    sample = {"delivery_id": '"DLV-1"', "message_id": '"SIENA-1"', "status": '"READ"'}
    shape = JsonShape("acknowledged delivery", wire.ACKED_ITEM.pattern, wire.AckedItem, "canonical")
    # Fields the other way round, as a template that fell out of step with its pattern would fill them.
    object.__setattr__(shape, "_template", '{"delivery_id":%s,"message_id":%s,"status":%s}'.replace(
        '"delivery_id":%s,"message_id":%s', '"message_id":%s,"delivery_id":%s'))
    with pytest.raises(RuntimeError, match="filled by position"):
        wire._check_shape(shape, sample)
