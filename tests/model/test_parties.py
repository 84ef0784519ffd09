"""The parties of the exchange network: states, their Art 11 languages, zones and party ids."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from simulators.model.parties import (
    PartyKind,
    UnknownPartyError,
    UnknownStateError,
    all_parties,
    all_states,
    member_states,
    normalise_state_code,
    party,
    party_id,
    state,
)

EU_27 = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
}  # fmt: skip
SCHENGEN_ASSOCIATED = {"IS", "LI", "NO", "CH"}
# The 24 official languages of the Union (ISO 639-1): what an Art 11 list may contain.
OFFICIAL_UNION_LANGUAGES = {
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it",
    "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
}  # fmt: skip
STATE_PARTY_KINDS = (
    PartyKind.SPOC,
    PartyKind.DESIGNATED_AUTHORITY,
    PartyKind.COMPETENT_AUTHORITY,
    PartyKind.SIRENE_BUREAU,
    PartyKind.INTERPOL_NCB,
)


def test_the_directive_states_are_the_27_and_the_4_schengen_associated() -> None:
    codes = [s.code for s in member_states()]
    assert len(codes) == 31
    assert set(codes) == EU_27 | SCHENGEN_ASSOCIATED
    assert {s.code for s in member_states() if s.schengen_associated} == SCHENGEN_ASSOCIATED


def test_denmark_takes_part_but_is_not_bound() -> None:
    assert not state("DK").bound
    assert state("DK").takes_part
    assert [s.code for s in member_states() if not s.bound] == ["DK"]
    bound = {s.code for s in member_states(bound_only=True)}
    assert bound == (EU_27 | SCHENGEN_ASSOCIATED) - {"DK"}


@pytest.mark.parametrize("spelling", ["EL", "el", " gr ", "GR", "GRC", "grc"])
def test_greece_is_gr_whatever_the_spelling(spelling: str) -> None:
    assert normalise_state_code(spelling) == "GR"
    assert state(spelling).eu_code == "EL"


def test_only_greece_has_an_eu_code_of_its_own() -> None:
    assert {s.code: s.eu_code for s in member_states() if s.eu_code != s.code} == {"GR": "EL"}
    assert party_id(PartyKind.SPOC, "EL") == "SPOC-GR"


@pytest.mark.parametrize("code", sorted(EU_27 | SCHENGEN_ASSOCIATED))
def test_every_language_list_has_english_and_only_union_languages(code: str) -> None:
    languages = state(code).languages
    assert "en" in languages  # Art 11(1), catalogue R-50
    assert len(set(languages)) == len(languages)
    assert set(languages) <= OFFICIAL_UNION_LANGUAGES


def test_every_zone_is_a_valid_iana_zone() -> None:
    winter = datetime(2026, 1, 15, 12, tzinfo=UTC)
    for s in all_states().values():
        zone = s.zone
        assert isinstance(zone, ZoneInfo)
        offset = winter.astimezone(zone).utcoffset()
        assert offset is not None, s.code
        # Every modelled state lies between New York (UTC-5) and Nicosia/Kyiv/Istanbul (UTC+3).
        assert -5 * 3600 <= offset.total_seconds() <= 3 * 3600, s.code
    assert state("FI").timezone == "Europe/Helsinki"
    assert state("PT").timezone == "Europe/Lisbon"


def test_third_countries_take_no_part_and_reach_the_network_only_through_interpol() -> None:
    third = {code for code, s in all_states().items() if s.third_country}
    assert third == {"US", "GB", "TR", "UA"}
    assert not third & {s.code for s in member_states()}
    for code in third:
        assert not state(code).bound
        assert not state(code).takes_part
        kinds = {p.kind for p in all_parties().values() if p.state == code}
        assert kinds == {PartyKind.INTERPOL_NCB}


@pytest.mark.parametrize("code", sorted(EU_27 | SCHENGEN_ASSOCIATED))
def test_every_directive_state_has_its_five_parties(code: str) -> None:
    prefixes = {"SPOC", "DLEA", "LEA", "SIRENE", "NCB"}
    ids = {p.id for p in all_parties().values() if p.state == code and p.kind is not PartyKind.PCCC}
    assert ids == {f"{prefix}-{code}" for prefix in prefixes}
    for kind in STATE_PARTY_KINDS:
        pid = party_id(kind, code.lower())
        assert party(pid).kind is kind
        assert party(pid).state == code


def test_party_ids_are_their_keys_and_name_known_states() -> None:
    parties = all_parties()
    for pid, p in parties.items():
        assert p.id == pid
        assert p.state is None or p.state in all_states()
    assert party("europol").kind is PartyKind.EUROPOL
    assert party_id(PartyKind.EUROPOL) == "EUROPOL"
    assert party_id(PartyKind.INTERPOL_GS) == "IPSG"
    assert party("PCCC-DE-FR").kind is PartyKind.PCCC
    assert party("spoc-at").id == "SPOC-AT"


@pytest.mark.parametrize("code", ["XX", "", "EU", "GRE", "ZZZ"])
def test_unknown_state_codes_are_refused_with_the_code(code: str) -> None:
    with pytest.raises(UnknownStateError, match="unknown state code"):
        normalise_state_code(code)
    with pytest.raises(UnknownStateError):
        state(code)
    with pytest.raises(UnknownStateError):
        party_id(PartyKind.SPOC, code)


@pytest.mark.parametrize("pid", ["SPOC-XX", "SPOC", "POLICE-AT", "NCB-CN", ""])
def test_unknown_party_ids_are_refused(pid: str) -> None:
    with pytest.raises(UnknownPartyError, match=f"unknown party {pid!r}"):
        party(pid)


def test_party_id_needs_what_names_the_party() -> None:
    with pytest.raises(ValueError, match="needs a state"):
        party_id(PartyKind.SPOC)
    with pytest.raises(ValueError, match="PCCC-DE-FR"):
        party_id(PartyKind.PCCC, "DE")
