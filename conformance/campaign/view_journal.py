"""The campaign's journal as the checks read it: exchanges and messages, bounded by an export when the view is.

`CampaignView.as_exported()` bounds the view's ledger with `LedgerAsOf`: its queries leave out the messages
created after the export and remember them, for a records check to say why it did not judge them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from pydantic import PrivateAttr

from conformance.applicability import Profile
from conformance.campaign.runner import CampaignResult
from conformance.catalogue import load_catalogue
from conformance.coverage import profile_of
from conformance.ledger import Exchange, ExchangeKind, Ledger, Observed
from conformance.scenarios.flows import ANSWER_KINDS, belongs_to
from conformance.selection import judged_by
from conformance.verdicts import message_evidence
from reports.results import Evidence
from simulators.model.channels import channel_spec

__all__ = ["CampaignJournal", "Copy", "LedgerAsOf"]


class Copy:
    """A copy of a message to a party: in the same message (To/CC) or as a separate COPY message."""

    def __init__(self, party: str, message: Observed, same_message: bool) -> None:
        self.party = party
        self.message = message
        self.same_message = same_message

    @property
    def at(self) -> datetime:
        return self.message.created_at


class LedgerAsOf(Ledger):
    """The ledger as an export taken at `as_of` could reflect it: its queries see no message created later.

    `observed` stays the whole journal (the channels did give those ids); every query that picks
    messages leaves the later ones out and remembers them in `left_out`, in the order met.
    """

    _as_of: datetime = PrivateAttr()
    _whole: Ledger = PrivateAttr()
    _left_out: dict[str, Observed] = PrivateAttr(default_factory=dict)

    @classmethod
    def of(cls, ledger: Ledger, as_of: datetime) -> LedgerAsOf:
        whole = ledger.whole if isinstance(ledger, LedgerAsOf) else ledger
        bounded = cls.model_construct(**{name: getattr(whole, name) for name in Ledger.model_fields})
        bounded._as_of = as_of
        bounded._whole = whole
        bounded._left_out = {}
        return bounded

    @property
    def whole(self) -> Ledger:
        """The unbounded ledger, for a query that narrows its messages down before bounding them."""
        return self._whole

    @property
    def as_of(self) -> datetime:
        return self._as_of

    @property
    def left_out(self) -> list[Observed]:
        return list(self._left_out.values())

    def after(self, message: Observed) -> bool:
        return message.created_at > self._as_of

    def opened_after(self, exchange: Exchange) -> bool:
        """The exchange began after the export: its first message (or, unobserved, its sending) is later."""
        message = self.observed.get(exchange.message_id) if exchange.message_id else None
        if message is not None:
            if self.after(message):
                self._left_out.setdefault(message.message_id, message)
                return True
            return False
        return exchange.sent_at is not None and exchange.sent_at > self._as_of

    def within(self, found: list[Observed], *, remember: bool = True) -> list[Observed]:
        """`found` without the messages created after the export (remembered as left out, unless told not to)."""
        kept = []
        for message in found:
            if not self.after(message):
                kept.append(message)
            elif remember:
                self._left_out.setdefault(message.message_id, message)
        return kept

    def messages(self) -> list[Observed]:
        return self.within(super().messages())

    def from_sut(self) -> list[Observed]:
        return self.within(super().from_sut())

    def to_sut(self) -> list[Observed]:
        return self.within(super().to_sut())

    def get(self, message_id: str | None) -> Observed | None:
        found = super().get(message_id)
        kept = self.within([found]) if found is not None else []
        return kept[0] if kept else None

    def answers_to(self, exchange: Exchange) -> list[Observed]:
        return self.within(super().answers_to(exchange))

    def of_exchange(self, exchange: Exchange) -> list[Observed]:
        return self.within(super().of_exchange(exchange))


class CampaignJournal:
    """The exchanges and messages of one campaign view, bounded by its export if it has one."""

    def __init__(self, result: CampaignResult) -> None:
        self.result = result
        self._profiles: dict[str, Profile] = {}  # exchange key -> profile: read by every check, made once

    @property
    def ledger(self) -> Ledger:
        return self.result.ledger

    def narrowed(self, pick: Callable[[Ledger], Iterable[Observed]], *, judged: bool = True) -> list[Observed]:
        """Messages a query picks from the whole journal, then bounded by the export (if any).

        Bounding after picking keeps `left_out` to the messages the query was about; messages picked
        only to be shown (`judged=False`) are bounded without counting as left out of a judgement.
        """
        ledger = self.result.ledger
        if isinstance(ledger, LedgerAsOf):
            return ledger.within(list(pick(ledger.whole)), remember=judged)
        return list(pick(ledger))

    @property
    def as_of(self) -> datetime | None:
        """The export time bounding this view, or None for the whole campaign."""
        ledger = self.result.ledger
        return ledger.as_of if isinstance(ledger, LedgerAsOf) else None

    @property
    def left_out(self) -> list[Observed]:
        """Messages to or from the SUT this view's queries met but left out as later than its export."""
        ledger = self.result.ledger
        if not isinstance(ledger, LedgerAsOf):
            return []
        parties = set(ledger.sut_parties)
        return [m for m in ledger.left_out if m.sender in parties or parties & set(m.recipients)]

    def exchanges(self, *kinds: ExchangeKind, requirement: str | None = None) -> list[Exchange]:
        """The exchanges of the kinds (all without), those `requirement` judges (conformance.selection) if given."""
        ledger = self.ledger
        found = [
            e for e in ledger.exchanges.values()
            if (not kinds or e.kind in kinds) and (requirement is None or self.judged_by(requirement, e))
            and not (isinstance(ledger, LedgerAsOf) and ledger.opened_after(e))
        ]
        return sorted(found, key=lambda e: (e.sent_at or self.result.network_start, e.key))

    def judged_by(self, requirement: str, exchange: Exchange) -> bool:
        """Whether the requirement judges the exchange: its scenario declared it or the model admits it."""
        profile = self._profiles.get(exchange.key)
        if profile is None:
            settings = self.result.settings
            profile = self._profiles[exchange.key] = profile_of(exchange, settings.sut_state,
                                                                settings.delay_update_within)
        return judged_by(load_catalogue(), requirement, exchange, profile)

    def incoming(self, requirement: str | None = None) -> list[Exchange]:
        return self.exchanges(ExchangeKind.INCOMING_REQUEST, requirement=requirement)

    def message(self, message_id: str | None) -> Observed | None:
        return self.ledger.get(message_id)

    def messages(self, *kinds: str) -> list[Observed]:
        """Journal messages, optionally of some directive kinds."""
        return self.narrowed(lambda ledger: (m for m in ledger.messages() if not kinds or m.kind in kinds))

    def from_sut(self, *kinds: str) -> list[Observed]:
        return self.narrowed(lambda ledger: (m for m in ledger.from_sut() if not kinds or m.kind in kinds))

    def of(self, exchange: Exchange, *kinds: str) -> list[Observed]:
        """SUT messages belonging to the exchange, optionally of some kinds, in journal order."""
        opened = [exchange.message_id] if exchange.message_id else []
        parties = set(self.ledger.sut_parties)
        # Of the messages citing the exchange's ids or reference (indexed), those belongs_to admits.
        return self.narrowed(lambda ledger: (m for m in ledger.citing(opened, exchange.reference)
                                             if m.sender in parties and belongs_to(m, exchange)
                                             and (not kinds or m.kind in kinds)))

    def exchange_messages(self, exchange: Exchange, *kinds: str) -> list[Observed]:
        """The journal messages of the exchange either way (`Ledger.of_exchange`), optionally of some kinds."""
        return self.narrowed(lambda ledger: (m for m in ledger.of_exchange(exchange) if not kinds or m.kind in kinds))

    def answers(self, exchange: Exchange) -> list[Observed]:
        return self.of(exchange, *ANSWER_KINDS)

    def recipient(self, exchange: Exchange) -> str:
        """The SUT party the exchange's request was addressed to (its SPOC unless the scenario chose another)."""
        return str(exchange.facts.get("recipient") or f"SPOC-{self.result.settings.sut_state}")

    def copies(self, message: Observed, party: str) -> list[Copy]:
        """Copies of `message` to `party`: the party in its To/CC, or COPY messages of it (any channel).

        On Interpol I-24/7 and SIRENE a SPOC is reached through its state's NCB or SIRENE bureau, which
        Art 15(2) makes part of the SPOC: a copy addressed to them there is a copy to the SPOC.
        """
        found: list[Copy] = []
        if _addressed(message, party):
            found.append(Copy(party, message, True))

        def copy_of_message(other: Observed) -> bool:
            if other.kind != "COPY" or not _addressed(other, party):
                return False
            original = other.field("original") or {}
            return other.field("copy_of") == message.message_id or bool(
                message.case_reference and isinstance(original, dict)
                and original.get("case_reference") == message.case_reference
                and original.get("kind") == message.kind
            )

        found += [Copy(party, other, False)
                  for other in self.narrowed(lambda ledger: filter(copy_of_message, ledger.messages()))]
        return found

    def evidence(self, exchange: Exchange, extra: Iterable[Observed] = ()) -> list[Evidence]:
        shown = self.narrowed(lambda ledger: ledger.of_exchange(exchange), judged=False)
        messages = {m.message_id: m for m in shown}
        for m in extra:
            messages[m.message_id] = m
        return [message_evidence(m) for m in sorted(messages.values(), key=lambda m: m.created_at)]


def _addressed(message: Observed, party: str) -> bool:
    if party in message.recipients:
        return True
    # A state's SPOC is addressed through whichever party stands for the state on the message's channel.
    prefix, _, state = party.partition("-")
    if prefix != "SPOC":
        return False
    try:
        stand_in = channel_spec(message.channel).state_party(state)
    except ValueError:  # an unknown channel or state
        return False
    return stand_in is not None and stand_in in message.recipients
