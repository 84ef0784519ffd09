"""The operator policy's pure decisions, the defect registry and the clock follower, in process."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from simulators.model.directive import (
    Availability,
    DataSubjectCategory,
    Entity,
    InformationRequest,
    PersonalDataCategory,
    RefusalGround,
    RequestedItem,
)
from simulators.model.sut_interface import FixtureRecord, JudicialAuthorisation
from simulators.reference_cms.clock_follower import CmsClock
from simulators.reference_cms.defects import ActiveDefects, Defect, UnknownDefectError
from simulators.reference_cms.policy import (
    PolicySettings,
    answer_delay,
    europol_rule,
    language_for_recipient,
    permitted_categories,
    plan_items,
    request_availability,
)

NONE = ActiveDefects()


def request(*entities: Entity, items: list[RequestedItem] | None = None) -> InformationRequest:
    return InformationRequest(
        reference="R", requesting_state="DE", requested_state="AT", requester="SPOC-DE", language="en", urgent=False,
        entities=list(entities),
        items=items or [RequestedItem(item_id=f"I{n}", description="x", entity_id=e.entity_id)
                        for n, e in enumerate(entities, 1)])


def person(name: str, entity_id: str = "E1") -> Entity:
    return Entity(entity_id=entity_id, type="PERSON", attributes={"name": name},
                  subject_category=DataSubjectCategory.SUSPECT)


def record(subject: str, **fields: object) -> FixtureRecord:
    return FixtureRecord.model_validate({"subject": subject, "item": "held", **fields})


def test_match_keys_are_case_insensitive_per_entity_type():
    vehicle = Entity(entity_id="E2", type="VEHICLE", attributes={"registration": "w-123ab", "name": "ignored"})
    document = Entity(entity_id="E3", type="DOCUMENT", attributes={"number": "P99"})
    plans = plan_items(request(person("ANNA berger"), vehicle, document),
                       [record("Anna Berger"), record("W-123AB"), record("p99")], NONE)
    assert [p.decision for p in plans] == ["PROVIDE", "PROVIDE", "PROVIDE"]
    assert [p.subject for p in plans] == ["ANNA berger", "w-123ab", "P99"]


def test_an_item_without_entity_id_concerns_the_only_entity():
    single = request(person("Anna"), items=[RequestedItem(item_id="I1", description="x")])
    assert plan_items(single, [record("Anna")], NONE)[0].decision == "PROVIDE"
    two = request(person("Anna"), person("Bert", "E2"), items=[RequestedItem(item_id="I1", description="x")])
    assert plan_items(two, [record("Anna")], NONE)[0].grounds == [RefusalGround.NA]


@pytest.mark.parametrize(("records", "decision", "grounds"), [
    ([], "REFUSE", [RefusalGround.NA]),
    ([{"refusal_ground": "JI"}, {"originator_state": "US"}], "REFUSE", [RefusalGround.JI]),
    ([{"originator_state": "US"}], "REFUSE", [RefusalGround.OC]),
    ([{"originator_state": "US", "originator_consent": True}], "PROVIDE", []),
    ([{"data_categories": ["HEALTH"]}], "REFUSE", [RefusalGround.PD]),
    ([{"judicial_authorisation": "GRANTED"}], "JUDICIAL", []),
    ([{}], "PROVIDE", []),
])
def test_item_decisions_follow_the_documented_order(records: list[dict[str, object]], decision: str,
                                                    grounds: list[RefusalGround]):
    plan = plan_items(request(person("Anna")), [record("Anna", **r) for r in records], NONE)[0]
    assert plan.decision == decision
    assert plan.grounds == grounds


def test_personal_data_outside_the_subjects_categories_is_withheld():
    witness = record("Anna", subject_category="WITNESS", data_categories=["PERSONAL_DETAILS", "FINANCIAL"])
    plan = plan_items(request(person("Anna")), [witness], NONE)[0]
    assert plan.records[0].data_categories == [PersonalDataCategory.PERSONAL_DETAILS]
    assert plan.withheld_categories == [PersonalDataCategory.FINANCIAL]
    broken = plan_items(request(person("Anna")), [witness], ActiveDefects(["personal-data-outside-categories"]))[0]
    assert broken.records[0].data_categories == [PersonalDataCategory.PERSONAL_DETAILS,
                                                 PersonalDataCategory.FINANCIAL]
    assert PersonalDataCategory.HEALTH not in permitted_categories(DataSubjectCategory.SUSPECT)
    assert permitted_categories(None) == permitted_categories(DataSubjectCategory.WITNESS)


def test_pending_judicial_decision_outranks_automatic_ones():
    plan = plan_items(request(person("Anna")), [
        record("Anna", judicial_authorisation="GRANTED", judicial_decision_after_hours=10),
        record("Anna", judicial_authorisation="PENDING")], NONE)[0]
    assert plan.judicial is JudicialAuthorisation.PENDING


def test_request_availability_and_processing_time():
    plans = plan_items(request(person("Anna"), person("Bert", "E2")),
                       [record("Anna"), record("Bert", availability="INDIRECT")], NONE)
    assert request_availability(plans) is Availability.INDIRECT
    assert request_availability(plans[:1]) is Availability.DIRECT
    settings = PolicySettings()
    assert answer_delay(True, Availability.DIRECT, settings, NONE) == timedelta(minutes=30)
    assert answer_delay(False, Availability.INDIRECT, settings, NONE) == timedelta(days=1)
    assert answer_delay(True, Availability.DIRECT, settings, ActiveDefects(["late-urgent-reply"])) > timedelta(hours=8)


def test_partial_refusal_defect_refuses_every_item():
    plans = plan_items(request(person("Anna"), person("Bert", "E2")), [record("Anna")],
                       ActiveDefects(["partial-refusal-refuses-all"]))
    assert [(p.decision, p.grounds) for p in plans] == [("REFUSE", [RefusalGround.NA])] * 2


def test_europol_rule():
    assert europol_rule(["TERRORISM"], True, [])[0] is True
    assert europol_rule(["TERRORISM"], False, [])[0] is False
    assert europol_rule(["PARKING"], True, [])[0] is False
    copy, basis = europol_rule(["TERRORISM"], True, ["US"])
    assert copy is False
    assert "Art 12(2)" in basis


def test_language_for_the_recipient():
    assert language_for_recipient("DE", ["de", "en"]) == "de"
    assert language_for_recipient("FR", ["de", "en"]) == "en"
    assert language_for_recipient("BE", ["fr", "en"]) == "fr"


def test_defect_registry_refuses_unknown_names():
    with pytest.raises(UnknownDefectError):
        ActiveDefects(["no-such-defect"])
    with pytest.raises(UnknownDefectError):
        NONE.active(Defect("typo-in-the-code", ("R-10",), "not in the registry"))
    assert ActiveDefects(["late-copy", "late-copy"]).names == ("late-copy",)


async def test_clock_follows_observed_network_time_and_never_goes_back():
    start = datetime(2026, 3, 2, 8, tzinfo=UTC)
    reads = [start]

    async def read() -> tuple[datetime, str]:
        return reads[-1], "virtual"

    clock = CmsClock(read, poll_interval=0.005)
    await clock.follow()
    try:
        assert clock.now() == start
        waiter = asyncio.ensure_future(clock.sleep_until(start + timedelta(hours=8)))
        await asyncio.sleep(0.02)
        assert not waiter.done()  # real time passing moves nothing
        reads.append(start + timedelta(hours=8))
        await asyncio.wait_for(waiter, 1)
        clock.observe(start)  # an older time seen later is ignored
        assert clock.now() == start + timedelta(hours=8)
    finally:
        await clock.close()


async def test_clock_defect_ignores_the_network():
    async def read() -> tuple[datetime, str]:
        return datetime(2000, 1, 1, tzinfo=UTC), "virtual"

    clock = CmsClock(read, ignore_network=True)
    await clock.follow()
    try:
        assert clock.following
        assert clock.now().year > 2000
    finally:
        await clock.close()


def test_the_reference_cms_imports_no_simulator_internals():
    """It reaches the simulators over HTTP only: of `simulators` it may use only the shared model."""
    import subprocess
    import sys

    code = ("import sys, simulators.reference_cms.app, conformance.commands.cms; "
            "print('\\n'.join(sorted(m for m in sys.modules if m.startswith('simulators'))))")
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    internals = [m for m in loaded if not m.startswith(("simulators.model", "simulators.reference_cms"))
                 and m != "simulators"]
    assert internals == []
