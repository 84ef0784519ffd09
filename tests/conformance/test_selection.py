"""Selection by the applicability model (conformance/selection.py): which exchanges a requirement judges, on every
flow, what a scenario may declare, which scenarios a profile run needs; and, over a clean run, that the scenarios'
plans hold and that they declare only what the model cannot see."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from conformance.applicability import Profile, admits
from conformance.catalogue import load_catalogue
from conformance.coverage import profile_of
from conformance.ledger import Exchange, ExchangeKind, Ledger
from conformance.scenarios.base import Scenario
from conformance.scenarios.library import ScenarioRequirementError, _check_requirements, load_scenarios, scenarios_for
from conformance.selection import check_declarations, judged_by, model_selects

CATALOGUE = load_catalogue()
URGENT_DIRECT: Profile = {
    "urgency": frozenset({"urgent"}), "availability": frozenset({"direct"}), "sender_role": frozenset({"spoc"}),
    "recipient_role": frozenset({"spoc"}), "channel": frozenset({"siena"}), "receipt": frozenset({"night"}),
}
NON_URGENT: Profile = {**URGENT_DIRECT, "urgency": frozenset({"non_urgent"})}


def _exchange(kind: ExchangeKind, *declared: str) -> Exchange:
    return Exchange(key="k", scenario="s", requirements=list(declared), kind=kind, title="t")


def test_an_incoming_request_is_judged_by_the_requirements_the_model_admits_it_to() -> None:
    incoming = _exchange(ExchangeKind.INCOMING_REQUEST)
    assert judged_by(CATALOGUE, "R-10", incoming, URGENT_DIRECT)
    assert not judged_by(CATALOGUE, "R-10", incoming, NON_URGENT), "8 hours are owed on urgent requests only"
    assert judged_by(CATALOGUE, "R-12", incoming, NON_URGENT)
    assert not judged_by(CATALOGUE, "R-40", incoming, URGENT_DIRECT), "R-40 concerns outgoing requests"


def test_what_the_model_cannot_see_is_judged_only_where_a_scenario_declares_it() -> None:
    assert not CATALOGUE.applicability_of("R-24").generated  # type: ignore[union-attr]
    clarified = {**NON_URGENT, "clarification": frozenset({"requested"})}
    assert not judged_by(CATALOGUE, "R-24", _exchange(ExchangeKind.INCOMING_REQUEST), clarified)
    assert judged_by(CATALOGUE, "R-24", _exchange(ExchangeKind.INCOMING_REQUEST, "R-24"), clarified)


def test_every_flow_is_judged_by_the_model() -> None:
    outgoing = _exchange(ExchangeKind.OUTGOING_REQUEST)
    by_spoc: Profile = {"urgency": frozenset({"non_urgent"}), "sender_role": frozenset({"spoc"}),
                        "recipient_role": frozenset({"competent_authority"}), "channel": frozenset({"siena"})}
    by_authority: Profile = {**by_spoc, "sender_role": frozenset({"competent_authority"})}
    assert judged_by(CATALOGUE, "R-05", outgoing, by_spoc)
    assert not judged_by(CATALOGUE, "R-05", outgoing, by_authority), "Art 4(3) binds the SPOC and designated ones"
    assert judged_by(CATALOGUE, "R-40", outgoing, by_spoc)
    assert not judged_by(CATALOGUE, "R-40", outgoing, by_authority), "Art 8(2) copies are R-42's"
    assert judged_by(CATALOGUE, "R-52", outgoing, by_spoc), "a Europol decision on a request to an authority too"
    provided = _exchange(ExchangeKind.OWN_INITIATIVE_OUT)
    assert judged_by(CATALOGUE, "R-54", provided, {"sender_role": frozenset({"spoc"})})
    assert not judged_by(CATALOGUE, "R-54", outgoing, {**by_spoc, "channel": frozenset({"i24_7"})}), (
        "a request on Interpol with a third country involved is R-55's")
    assert judged_by(CATALOGUE, "R-81", _exchange(ExchangeKind.OWN_INITIATIVE_IN), {})


def test_declarations_name_known_requirements_of_the_scenarios_flow() -> None:
    incoming = ExchangeKind.INCOMING_REQUEST
    problems = check_declarations(CATALOGUE, {
        "typo": (incoming, frozenset({"R-999"})),
        "wrong-flow": (incoming, frozenset({"R-40"})),
        "sound": (incoming, frozenset({"R-24"})),
        "outgoing": (ExchangeKind.OUTGOING_REQUEST, frozenset({"R-66"})),
        "outgoing-wrong-flow": (ExchangeKind.OUTGOING_REQUEST, frozenset({"R-10"})),
    })
    assert set(problems) == {"typo", "wrong-flow", "outgoing-wrong-flow"}
    assert "R-999 is not a requirement" in problems["typo"][0]
    assert "R-40 does not concern incoming_request" in problems["wrong-flow"][0]


def test_a_scenario_declaring_wrongly_or_without_a_flow_fails_the_library() -> None:
    class WrongFlow(Scenario):
        name = "test.wrong-flow"
        title = "declares an outgoing obligation on an incoming request"
        flow = ExchangeKind.INCOMING_REQUEST
        requirements = frozenset({"R-40"})

    class NoFlow(Scenario):
        name = "test.no-flow"
        title = "says no flow"

    with pytest.raises(ScenarioRequirementError, match="R-40"):
        _check_requirements({WrongFlow.name: WrongFlow})
    with pytest.raises(ScenarioRequirementError, match="without a flow"):
        _check_requirements({NoFlow.name: NoFlow})


def test_a_profile_run_takes_the_scenarios_whose_plan_the_model_admits() -> None:
    chosen = {cls.name for cls in scenarios_for(["R-17"])}  # a designated authority's request
    assert "incoming.designated-authority" in chosen
    assert "incoming.urgent-direct-night" not in chosen  # a SPOC's request
    clarified = {cls.name for cls in scenarios_for(["R-24"])}  # declared: the model cannot see an incomplete request
    assert clarified == {"incoming.clarification", "incoming.operator-clarification"}
    to_authority = {cls.name for cls in scenarios_for(["R-40"])}  # the SPOC's request to a foreign authority
    assert "outgoing.to-competent-authority" in to_authority
    assert not to_authority & {"outgoing.request-to-spoc", "outgoing.competent-authority-direct"}
    assert not any(name.startswith("incoming.") for name in to_authority)


def test_a_plan_is_the_profile_it_stands_for() -> None:
    class Planned(Scenario):
        plan: ClassVar[Mapping[str, str]] = {"urgency": "urgent"}

    assert Planned.planned_profile() == {"urgency": frozenset({"urgent"})}


@pytest.fixture(scope="module")
def clean_ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    """The ledger of one clean campaign against the reference CMS, run as users run it."""
    report_dir = tmp_path_factory.mktemp("selection-clean")
    done = subprocess.run([str(Path(sys.executable).parent / "spoc-harness"), "run", "--sut", "reference",
                           "--report-dir", str(report_dir), "--quiet"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return Ledger.model_validate_json((report_dir / "evidence" / "ledger.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_each_scenario_plan_matches_the_profiles_its_exchanges_record(clean_ledger: Ledger) -> None:
    scenarios = load_scenarios()
    off: list[str] = []
    for exchange in clean_ledger.exchanges.values():
        cls = scenarios[exchange.scenario]
        profile = profile_of(exchange, "AT")
        off += [f"{exchange.key}: {name} planned {sorted(values)}, recorded {sorted(profile.get(name, ()))}"
                for name, values in cls.planned_profile().items() if not values <= profile.get(name, frozenset())]
        assert exchange.kind is cls.flow, exchange.key
    assert not off, "a plan that leaves a scenario out of the profile runs needing it:\n" + "\n".join(off)


@pytest.mark.slow
def test_declarations_name_only_what_the_model_cannot_see(clean_ledger: Ledger) -> None:
    redundant = [f"{e.key}: {rid}" for e in clean_ledger.exchanges.values() for rid in e.requirements
                 if (a := CATALOGUE.applicability_of(rid)) is not None and model_selects(a, e.kind)
                 and admits(a, profile_of(e, "AT"))]
    assert not redundant, "declared although the model selects them: drop them from the scenario\n" + "\n".join(
        redundant)
