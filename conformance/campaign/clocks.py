"""Declared time mode: whether the times the SUT recorded are on the network's clock.

In the declared mode the Art 5(1) receipt and answer times are those in the SUT's case export, while every
other time (the end of the campaign, deliveries, copies, notices, suspensions, exports) is the network's. A
SUT that keeps a clock of its own (its machine's wall clock, while the harness moves the network's virtual
clock through days in seconds) records times that cannot be set against network times: neither by a fixed
offset, since the network clock jumps while the SUT's runs, nor by today's date, which would then decide
the outcome. So the harness measures, for every message both sides timed, how far the SUT's time lies
from the network's:

- receipts: a case's recorded `received_at` against the network's delivery of the request to the SUT;
- the SUT's own messages: the `at` of a case communication against the moment the channel accepted it.

Within the tolerance (`declared_clock_tolerance`, 5 s by default) everywhere, the clocks agree and declared
times are judged with network times as usual. Otherwise every judgement that would set a declared time
against a network time is inconclusive, naming the measured disagreement; a span between two declared
times (receipt to answer) is still judged, as long as both kinds of stamp disagree alike, i.e. plausibly
come from the one clock of the SUT's. When one kind agrees with the network and the other does not (a SUT
that copies the channel's delivery time into its receipt but stamps its answers by its own clock, or that
keeps the network clock but misrecords its receipts), even those spans would mix two clocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from conformance.verdicts import describe_gap, utc_text

__all__ = ["ClockComparison", "DeclaredClock", "Stamp", "signed_gap"]


def signed_gap(offset: timedelta) -> str:
    """'+233 d 4 h 57 min' / '-2 h': an offset between two clocks, with its sign."""
    start = datetime(2000, 1, 1)
    text = describe_gap(start, start + offset)
    return text if text.startswith("-") else f"+{text}"


@dataclass(frozen=True)
class Stamp:
    """One message as both sides timed it."""

    message_id: str
    declared: datetime
    network: datetime

    @property
    def offset(self) -> timedelta:
        return self.declared - self.network


@dataclass(frozen=True)
class ClockComparison:
    """The SUT's times of one kind (`what`) against the network's (`network_what`)."""

    what: str
    network_what: str
    stamps: tuple[Stamp, ...]
    tolerance: timedelta

    @property
    def off(self) -> list[Stamp]:
        return [s for s in self.stamps if abs(s.offset) > self.tolerance]

    @property
    def agrees(self) -> bool:
        return not self.off

    def describe(self, *, example: bool = False) -> str:
        """What was measured; with `example`, one message as both sides timed it."""
        if not self.stamps:
            return f"no {self.what} to compare"
        off = self.off
        if not off:
            return (f"the SUT's {self.what} agree with the network's {self.network_what} "
                    f"({len(self.stamps)} compared, within {self.tolerance.total_seconds():g} s)")
        offsets = sorted(s.offset for s in off)
        low, high = signed_gap(offsets[0]), signed_gap(offsets[-1])
        measured = low if low == high else f"{low} to {high}"
        shown = (f"; e.g. {off[0].message_id}: network {utc_text(off[0].network)}, SUT {utc_text(off[0].declared)}"
                 if example else "")
        return (f"the SUT's {self.what} differ from the network's {self.network_what} by {measured} "
                f"({len(off)} of {len(self.stamps)} beyond the {self.tolerance.total_seconds():g} s tolerance{shown})")


@dataclass(frozen=True)
class DeclaredClock:
    """How the SUT's recorded times compare with the network's in a declared-mode campaign."""

    receipts: ClockComparison
    sent: ClockComparison

    @property
    def agrees(self) -> bool:
        return self.receipts.agrees and self.sent.agrees

    @property
    def one_clock(self) -> bool:
        """The SUT's receipts and its own messages disagree with the network alike (or one kind was not seen)."""
        return (self.receipts.agrees == self.sent.agrees) or not self.receipts.stamps or not self.sent.stamps

    def summary(self) -> str:
        return f"{self.receipts.describe(example=True)}; {self.sent.describe(example=True)}"

    def cross_clock(self) -> str | None:
        """Why a declared time cannot be set against a network time; None when the clocks agree."""
        if self.agrees:
            return None
        measured = "; ".join(c.describe() for c in (self.receipts, self.sent) if not c.agrees)
        return f"{measured}; declared times cannot be set against network times"

    def mixed_spans(self) -> str | None:
        """Why even a span between two declared times would mix clocks; None when the SUT's stamps agree alike."""
        if self.one_clock:
            return None
        agreeing = self.receipts if self.receipts.agrees else self.sent
        return (f"{self.cross_clock()}; its {agreeing.what} are the network's, so its receipts and answers are not "
                "on one clock either")
