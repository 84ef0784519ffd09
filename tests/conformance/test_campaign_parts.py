"""Settings and profiles, the ledger, seeded data, and the bond between checks, scenarios and the catalogue."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from conformance.catalogue import load_catalogue
from conformance.checks import CHECKS_DIR
from conformance.ledger import Action, Exchange, ExchangeKind, Ledger, Observed
from conformance.scenarios.data import ScenarioData
from conformance.scenarios.library import load_scenarios, scenarios_for
from conformance.settings import CampaignSettings, Profile, ProfileError


def test_profile_selectors() -> None:
    catalogue = load_catalogue()
    everything = Profile.parse("all").resolve(catalogue)
    assert len(everything) == len(catalogue.all())
    assert Profile.parse("R-10").resolve(catalogue) == ["R-10"]
    assert Profile.parse("Art 5(1)").resolve(catalogue) == ["R-10", "R-11", "R-12", "R-13", "R-14"]
    assert Profile.parse("art-5-1").resolve(catalogue) == ["R-10", "R-11", "R-12", "R-13", "R-14"]
    assert set(Profile.parse("chapter:VI").resolve(catalogue)) >= {"R-95", "R-96", "R-97", "R-98", "R-99"}
    assert Profile.parse(" R-99 , Art 16(1)(a) ").resolve(catalogue) == ["R-81", "R-99"]
    with pytest.raises(ProfileError, match="'Art 50' selects no requirement"):
        Profile.parse("Art 50").resolve(catalogue)
    with pytest.raises(ProfileError):
        Profile.parse("R-999").resolve(catalogue)


def test_campaign_start_is_local_time_of_the_sut_state() -> None:
    settings = CampaignSettings()
    assert settings.start_utc == datetime(2026, 3, 27, 9, 0, tzinfo=UTC)  # 10:00 CET
    assert CampaignSettings(sut_state="PT").start_utc == datetime(2026, 3, 27, 10, 0, tzinfo=UTC)
    assert not settings.siena_binding_on(datetime(2026, 4, 1, tzinfo=UTC))
    assert CampaignSettings(siena_obligation_date=date(2026, 3, 27)).siena_binding_on(settings.start_utc)
    shown = settings.shown()
    assert "2027-06-12" in shown["siena_obligation_date"]
    assert "unverified" in shown["siena_obligation_date"]


def test_seeded_data_replays_and_is_independent_per_scenario() -> None:
    first, again = ScenarioData(7, "incoming.refusal"), ScenarioData(7, "incoming.refusal")
    assert [first.person() for _ in range(3)] == [again.person() for _ in range(3)]
    assert first.reference("DE") == again.reference("DE")
    assert ScenarioData(8, "incoming.refusal").person() != ScenarioData(7, "incoming.refusal").person()
    assert ScenarioData(7, "incoming.other").person() != ScenarioData(7, "incoming.refusal").person()


def _message(message_id: str, *, sender: str, to: list[str], acks: list[dict[str, object]] | None = None,
             in_reply_to: str | None = None, reference: str = "DE-1") -> Observed:
    return Observed(message_id=message_id, channel="SIENA", sender=sender, to=to,
                    created_at=datetime(2026, 3, 27, 10, tzinfo=UTC), in_reply_to=in_reply_to,
                    directive={"kind": "REPLY", "case_reference": reference, "language": "en"}, acks=acks or [])


def test_ledger_merges_journal_reads_and_finds_answers() -> None:
    ledger = Ledger(seed=1, sut_parties=["SPOC-AT"])
    request = _message("SIENA-1", sender="SPOC-DE", to=["SPOC-AT"])
    assert ledger.observe([request]) == [request]
    delivered = request.model_copy(update={"acks": [{"party": "SPOC-AT", "status": "DELIVERED",
                                                     "delivered_at": "2026-03-27T10:00:01Z"}]})
    assert ledger.observe([delivered]) == []  # not new, but its acknowledgement is kept
    stored = ledger.get("SIENA-1")
    assert stored is not None
    assert stored.acknowledged_by("SPOC-AT")
    assert stored.delivered_at("SPOC-AT") == datetime(2026, 3, 27, 10, 0, 1, tzinfo=UTC)
    reply = _message("SIENA-2", sender="SPOC-AT", to=["SPOC-DE"], in_reply_to="SIENA-1")
    other = _message("SIENA-3", sender="SPOC-AT", to=["SPOC-FR"], reference="FR-9")
    ledger.observe([reply, other])
    exchange = ledger.add_exchange(Exchange(key="k", scenario="s", requirements=["R-10"],
                                            kind=ExchangeKind.INCOMING_REQUEST, title="t", message_id="SIENA-1",
                                            reference="DE-1"))
    assert [m.message_id for m in ledger.answers_to(exchange)] == ["SIENA-2"]
    with pytest.raises(ValueError, match="twice"):
        ledger.add_exchange(exchange)


def test_replay_curl_never_contains_a_token() -> None:
    action = Action(seq=1, at=datetime(2026, 3, 27, tzinfo=UTC), actor="SPOC-DE", what="send",
                    url="http://127.0.0.1:1/siena/messages", request={"subject": "it's"})
    line = action.curl()
    assert "$TOKEN" in line
    assert "X-Act-As: SPOC-DE" in line
    assert "it" in line


def _check_markers() -> dict[str, set[str]]:
    """check function -> requirement IDs, read from the check modules' source (no import needed)."""
    found: dict[str, set[str]] = {}
    for path in sorted(Path(CHECKS_DIR).glob("art*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
                continue
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", "") == "requirement":
                    ids = {a.value for a in decorator.args if isinstance(a, ast.Constant)}
                    article = {k.arg: k.value for k in decorator.keywords}.get("article")
                    assert isinstance(article, ast.Constant), f"{path.name}:{node.name} names no article"
                    found[f"{path.stem}.{node.name}"] = {str(i) for i in ids}
    return found


def test_every_testable_requirement_has_a_check_and_a_scenario() -> None:
    catalogue = load_catalogue()
    markers = _check_markers()
    cited = {rid for ids in markers.values() for rid in ids}
    testable = {r.id for r in catalogue.testable()}
    assert testable - cited == set(), "requirements of kind channels/records without a check"
    assert cited - {r.id for r in catalogue.all()} == set(), "checks citing IDs the catalogue does not hold"
    assert cited & {r.id for r in catalogue.declarations()} == set(), "a declaration-only requirement has a check"
    for rid in sorted(cited):
        assert scenarios_for([rid]), f"no scenario gives evidence on {rid}"


def test_scenarios_cite_catalogue_requirements_and_have_unique_names() -> None:
    ids = {r.id for r in load_catalogue().all()}
    scenarios = load_scenarios()
    assert len(scenarios) >= 25
    for name, cls in scenarios.items():
        assert cls.requirements <= ids, f"{name} cites unknown requirements {cls.requirements - ids}"
        assert cls.title.strip()
