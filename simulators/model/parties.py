"""The parties of the exchange network: states, their SPOCs and authorities, Europol and Interpol.

State codes are ISO 3166-1 alpha-2 throughout; the EU's own code EL for Greece is accepted on input
and mapped to GR, because the directive's documents use EL while SIENA, SIRENE and Interpol tooling
use the ISO code.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Party",
    "PartyDirectory",
    "PartyKind",
    "State",
    "UnknownPartyError",
    "UnknownStateError",
    "all_parties",
    "all_states",
    "member_states",
    "normalise_state_code",
    "party",
    "party_directory",
    "party_id",
    "state",
]


class UnknownStateError(ValueError):
    """A state code that is neither a directive state nor a modelled third country."""


class UnknownPartyError(ValueError):
    """A party id that names no party of the network."""


class State(BaseModel):
    """A state of the network: an EU member state, a Schengen-associated state or a third country."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="ISO 3166-1 alpha-2 code (GR for Greece)")
    alpha3: str
    name: str
    timezone: str = Field(description="IANA time zone of the state's SPOC")
    eu_code: str = Field(description="Code used by the EU institutions (EL for Greece, else the ISO code)")
    languages: tuple[str, ...] = Field(
        default=(), description="Art 11 language list (ISO 639-1); always contains 'en' for directive states"
    )
    bound: bool = Field(default=True, description="False where the directive does not bind the state (Denmark)")
    schengen_associated: bool = False
    third_country: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def takes_part(self) -> bool:
        """Whether the state exchanges under the directive (has a SPOC in the network)."""
        return not self.third_country


class PartyKind(StrEnum):
    SPOC = "SPOC"
    DESIGNATED_AUTHORITY = "DESIGNATED_AUTHORITY"
    COMPETENT_AUTHORITY = "COMPETENT_AUTHORITY"
    SIRENE_BUREAU = "SIRENE_BUREAU"
    INTERPOL_NCB = "INTERPOL_NCB"
    PCCC = "PCCC"
    EUROPOL = "EUROPOL"
    INTERPOL_GS = "INTERPOL_GS"


_PREFIX: dict[PartyKind, str] = {
    PartyKind.SPOC: "SPOC",
    PartyKind.DESIGNATED_AUTHORITY: "DLEA",
    PartyKind.COMPETENT_AUTHORITY: "LEA",
    PartyKind.SIRENE_BUREAU: "SIRENE",
    PartyKind.INTERPOL_NCB: "NCB",
}

# Police and Customs Cooperation Centres modelled as SIENA parties (channels.md §4); a few real
# border pairs are enough for traffic.
_PCCCS: tuple[tuple[str, str], ...] = (("DE", "FR"), ("FR", "ES"), ("BE", "LU"), ("AT", "IT"))


class Party(BaseModel):
    """One addressable party of the network; `id` is its mailbox and its login."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: PartyKind
    state: str | None = Field(default=None, description="ISO alpha-2 of the party's state; None for Europol/IPSG")
    name: str


@cache
def _data() -> dict[str, dict[str, dict[str, object]]]:
    text = resources.files("simulators.model").joinpath("parties.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@cache
def all_states() -> dict[str, State]:
    """Every state of the network keyed by ISO alpha-2, directive states first."""
    data = _data()
    states: dict[str, State] = {}
    for code, raw in data["states"].items():
        states[code] = State(code=code, eu_code=str(raw.get("eu_code", code)), **_fields(raw))
    for code, raw in data["third_countries"].items():
        states[code] = State(code=code, eu_code=code, third_country=True, bound=False, **_fields(raw))
    return states


def _fields(raw: dict[str, object]) -> dict[str, object]:
    return {k: (tuple(v) if isinstance(v, list) else v) for k, v in raw.items() if k != "eu_code"}


def member_states(*, bound_only: bool = False) -> list[State]:
    """The states that take part in the directive's exchange (EU and Schengen-associated)."""
    return [s for s in all_states().values() if s.takes_part and (s.bound or not bound_only)]


def normalise_state_code(code: str) -> str:
    """Map any accepted spelling of a state code (EL, gr, GRC) to its ISO alpha-2 code."""
    wanted = code.strip().upper()
    states = all_states()
    if wanted in states:
        return wanted
    for s in states.values():
        if wanted in (s.eu_code, s.alpha3):
            return s.code
    raise UnknownStateError(f"unknown state code {code!r}: expected an ISO 3166-1 alpha-2 code such as AT or EL")


def state(code: str) -> State:
    return all_states()[normalise_state_code(code)]


def party_id(kind: PartyKind, state_code: str | None = None) -> str:
    """The network id of a state's party of the given kind, e.g. ('SPOC', 'AT') -> 'SPOC-AT'."""
    if kind is PartyKind.EUROPOL:
        return "EUROPOL"
    if kind is PartyKind.INTERPOL_GS:
        return "IPSG"
    if kind is PartyKind.PCCC:
        raise ValueError("a PCCC is named by its two border states, e.g. PCCC-DE-FR: look it up with party()")
    if state_code is None:
        raise ValueError(f"a {kind} party needs a state")
    return f"{_PREFIX[kind]}-{normalise_state_code(state_code)}"


@cache
def all_parties() -> dict[str, Party]:
    """Every party of the network keyed by id."""
    parties: dict[str, Party] = {
        "EUROPOL": Party(id="EUROPOL", kind=PartyKind.EUROPOL, name="Europol"),
        "IPSG": Party(id="IPSG", kind=PartyKind.INTERPOL_GS, name="Interpol General Secretariat"),
    }
    for s in all_states().values():
        kinds = (
            (PartyKind.INTERPOL_NCB,)
            if s.third_country
            else (
                PartyKind.SPOC,
                PartyKind.DESIGNATED_AUTHORITY,
                PartyKind.COMPETENT_AUTHORITY,
                PartyKind.SIRENE_BUREAU,
                PartyKind.INTERPOL_NCB,
            )
        )
        for kind in kinds:
            pid = party_id(kind, s.code)
            parties[pid] = Party(id=pid, kind=kind, state=s.code, name=f"{s.name} {kind.value.replace('_', ' ')}")
    for a, b in _PCCCS:
        pid = f"PCCC-{a}-{b}"
        parties[pid] = Party(id=pid, kind=PartyKind.PCCC, state=a, name=f"PCCC {a}/{b}")
    return parties


def party(pid: str) -> Party:
    try:
        return all_parties()[pid.upper()]
    except KeyError:
        raise UnknownPartyError(f"unknown party {pid!r}: expected an id such as SPOC-AT, LEA-DE or EUROPOL") from None


class PartyDirectory(BaseModel):
    """Every state and party of the network, as published (`GET /parties`, docs/parties.json).

    A CMS reads here the requested state's Art 11 languages and time zone and the party id to address;
    the harness uses the same data, so the published file and the network cannot disagree.
    """

    model_config = ConfigDict(frozen=True)

    source: str = Field(default="simulators/model/parties.toml", description="Where the data are kept")
    states: list[State] = Field(description="Directive states first, then the modelled third countries")
    parties: list[Party] = Field(description="Every addressable party; `kind` is its role in the network")


@cache
def party_directory() -> PartyDirectory:
    return PartyDirectory(states=list(all_states().values()), parties=list(all_parties().values()))
