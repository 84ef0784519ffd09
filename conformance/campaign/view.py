"""What the checks look at: the campaign's result, with the questions checks keep asking of it.

`CampaignView` is the façade a check receives; the questions themselves live in its three parts, each
reading one source:
- `journal` (conformance.campaign.view_journal): the exchanges and messages the channels recorded;
- `records` (conformance.campaign.view_records): the SUT's own case export;
- `times` (conformance.campaign.view_times): when things happened, on the network's clock or, in the
  declared time mode, on the clock the SUT recorded (and whether the two agree).

The SUT's exports (case records, audit log, statistics) are taken at one moment, `Exports.at`: when
the main timeline ends, and again after the retention review. A record can only be judged against
what had happened by then, so `CampaignView.as_exported()` gives the view a records check compares
with an export: its journal answers with the messages created up to the export only, and keeps the
later ones it left out (a late answer, anything in the retention phase), for the check to say so.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from conformance.campaign.runner import CampaignResult, Exports
from conformance.campaign.view_journal import CampaignJournal, Copy, LedgerAsOf
from conformance.campaign.view_records import CampaignRecords
from conformance.campaign.view_times import CampaignTimes
from conformance.ledger import Ledger, Observed
from conformance.settings import CampaignSettings

__all__ = ["CampaignView", "Copy", "LedgerAsOf"]


class CampaignView:
    """One campaign as the checks see it: the basics, and the parts that answer the questions."""

    def __init__(self, result: CampaignResult) -> None:
        self.result = result
        self.journal = CampaignJournal(result)
        self.records = CampaignRecords(result.exports, result.ledger.sut_parties)
        self.times = CampaignTimes(result, self.journal, self.records)

    def as_exported(self, exports: Exports | None = None) -> CampaignView:
        """The campaign as the records of `exports` (the main timeline's by default) could show it.

        A case record must hold every message sent or received up to the export, the statistics count
        exactly the exchanges up to it, and the audit log logs the processing up to it; none of them can
        hold what happened later, so the later messages are left out of the judgement (see
        `left_out`), never counted as missing from the records.
        """
        source = exports or self.exports
        return CampaignView(replace(self.result, ledger=LedgerAsOf.of(self.result.ledger, source.at),
                                    exports=source))

    @property
    def as_of(self) -> datetime | None:
        """The export time bounding this view, or None for the whole campaign."""
        return self.journal.as_of

    @property
    def left_out(self) -> list[Observed]:
        """Messages to or from the SUT this view's queries met but left out as later than its export."""
        return self.journal.left_out

    @property
    def settings(self) -> CampaignSettings:
        return self.result.settings

    @property
    def ledger(self) -> Ledger:
        return self.result.ledger

    @property
    def exports(self) -> Exports:
        return self.result.exports

    @property
    def observed_until(self) -> datetime:
        return self.result.network_end

    @property
    def sut_state(self) -> str:
        return self.settings.sut_state

    @property
    def spoc(self) -> str:
        return f"SPOC-{self.sut_state}"

    @property
    def sut_parties(self) -> list[str]:
        return self.ledger.sut_parties
