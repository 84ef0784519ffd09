"""The channel registry: every channel of the network described once, as a `ChannelSpec`.

Each layer reads its channel facts here and nowhere else:
- the channel server (`simulators.app`) loads each served channel's service module, and the network
  numbers a channel's cases with its case prefix;
- the shared mailbox routes live under the channel's URL prefix (`/siena/...`);
- the channels' send models admit only the party kinds the channel has;
- the reference CMS posts to the channel's send path and reads the mailboxes of its own parties of
  the channel's mailbox kinds;
- the campaign view counts a message to the party standing for a state on a channel (its NCB on
  Interpol) as addressed to that state's SPOC;
- the actors and `spoc-harness serve --channels` name channels by their key.

Adding a channel: a member of `ChannelName`, its `ChannelSpec` in `CHANNELS`, and its service module
(a module with `setup(app)`: see `simulators.runtime.network`). Nothing else names a channel's facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from simulators.model.parties import PartyKind, UnknownPartyError, party, party_id

__all__ = [
    "CHANNELS",
    "ChannelName",
    "ChannelSpec",
    "UnknownChannelError",
    "channel_spec",
    "served_channels",
    "spec_for_key",
]


class ChannelName(StrEnum):
    SIENA = "SIENA"
    SIRENE = "SIRENE"
    INTERPOL = "INTERPOL"
    OTHER = "OTHER"


class UnknownChannelError(ValueError):
    pass


@dataclass(frozen=True)
class ChannelSpec:
    """What the network, the reference CMS and the harness know of one channel."""

    name: ChannelName
    title: str  # as people call it, in help texts
    case_prefix: str  # the network's case ids on this channel: f"{case_prefix}-{number:09d}"
    send_path: str  # where a party POSTs a message (a form on SIRENE)
    party_kinds: frozenset[PartyKind]  # the parties that send and receive on it
    # The module whose `setup(app)` adds the channel's routes; None for a channel the network only names.
    service_module: str | None
    # A state's parties whose mailbox of this channel its CMS reads, in the order it reads them.
    mailbox_kinds: tuple[PartyKind, ...]
    # The party that stands for a state on this channel: its SPOC on SIENA, its bureau on SIRENE.
    state_address: PartyKind | None

    @property
    def key(self) -> str:
        """The channel's lower-case name: its URL prefix, its name on the command line and in settings."""
        return self.name.value.lower()

    @property
    def url_prefix(self) -> str:
        return f"/{self.key}"

    def admits(self, pid: str) -> bool:
        """Whether `pid` is a party of the network of a kind this channel has."""
        try:
            return party(pid).kind in self.party_kinds
        except UnknownPartyError:
            return False

    def state_party(self, state: str) -> str | None:
        """The id of the party that stands for `state` on this channel (NCB-AT on Interpol), if any."""
        return party_id(self.state_address, state) if self.state_address is not None else None

    def mailboxes(self, state: str) -> list[str]:
        """The ids of `state`'s parties whose mailboxes of this channel its CMS reads."""
        return [party_id(kind, state) for kind in self.mailbox_kinds]


CHANNELS: Mapping[ChannelName, ChannelSpec] = {spec.name: spec for spec in (
    ChannelSpec(
        name=ChannelName.SIENA,
        title="Europol SIENA",
        case_prefix="SC",
        send_path="/siena/messages",
        party_kinds=frozenset({PartyKind.SPOC, PartyKind.DESIGNATED_AUTHORITY, PartyKind.COMPETENT_AUTHORITY,
                               PartyKind.PCCC, PartyKind.EUROPOL}),
        service_module="simulators.siena",
        mailbox_kinds=(PartyKind.SPOC, PartyKind.DESIGNATED_AUTHORITY, PartyKind.COMPETENT_AUTHORITY),
        state_address=PartyKind.SPOC,
    ),
    ChannelSpec(
        name=ChannelName.SIRENE,
        title="SIRENE (SIS)",
        case_prefix="SRC",
        send_path="/sirene/forms",
        party_kinds=frozenset({PartyKind.SIRENE_BUREAU}),
        service_module="simulators.sirene",
        mailbox_kinds=(PartyKind.SIRENE_BUREAU,),
        state_address=PartyKind.SIRENE_BUREAU,
    ),
    ChannelSpec(
        name=ChannelName.INTERPOL,
        title="Interpol I-24/7",
        case_prefix="IPC",
        send_path="/interpol/messages",
        party_kinds=frozenset({PartyKind.INTERPOL_NCB, PartyKind.INTERPOL_GS}),
        service_module="simulators.interpol",
        mailbox_kinds=(PartyKind.INTERPOL_NCB,),
        state_address=PartyKind.INTERPOL_NCB,
    ),
    # A channel outside the simulated network (Art 13(2)): named in messages, served by nobody.
    ChannelSpec(
        name=ChannelName.OTHER,
        title="another channel",
        case_prefix="XC",
        send_path="",
        party_kinds=frozenset(),
        service_module=None,
        mailbox_kinds=(),
        state_address=None,
    ),
)}


def _check_registry() -> None:
    missing = [name for name in ChannelName if name not in CHANNELS]
    prefixes = [spec.case_prefix for spec in CHANNELS.values()]
    if missing or len(set(prefixes)) != len(prefixes):
        raise RuntimeError(f"channel registry: no spec for {missing}, or a case prefix twice in {prefixes}")


_check_registry()


def channel_spec(name: str | ChannelName) -> ChannelSpec:
    """The spec of a channel by its name, any case (SIENA, siena)."""
    try:
        return CHANNELS[ChannelName(name.upper())]
    except ValueError:
        raise UnknownChannelError(
            f"unknown channel {name!r}; the channels are {', '.join(c.value for c in ChannelName)}") from None


def served_channels() -> list[ChannelSpec]:
    """The channels the network server can carry (each with a service module), in registry order."""
    return [spec for spec in CHANNELS.values() if spec.service_module is not None]


def spec_for_key(key: str) -> ChannelSpec:
    """A served channel by its key (`serve --channels siena,interpol`)."""
    for spec in served_channels():
        if spec.key == key.strip().lower():
            return spec
    raise UnknownChannelError(
        f"unknown channel {key!r}; choose from {', '.join(s.key for s in served_channels())}")
