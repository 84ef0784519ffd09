"""The SUT's own records as the checks read them: its case export, found by exchange or by message."""

from __future__ import annotations

from conformance.campaign.runner import Exports
from conformance.ledger import Exchange, Observed
from conformance.sut import ExportedCaseRecord, ExportedCommunication

__all__ = ["CampaignRecords"]


class CampaignRecords:
    """The case records of one export (the view's), and the copies the SUT recorded inside itself."""

    def __init__(self, exports: Exports, sut_parties: list[str]) -> None:
        self.exports = exports
        self.sut_parties = sut_parties

    def case(self, exchange: Exchange, exports: Exports | None = None) -> ExportedCaseRecord | None:
        source = exports or self.exports
        if exchange.sut_case_id:
            found = next((c for c in source.cases if c.case_id == exchange.sut_case_id), None)
            if found is not None:
                return found
        return source.case_of(exchange.message_id, exchange.reference)

    def cases_of_message(self, message_id: str) -> list[ExportedCaseRecord]:
        return [c for c in self.exports.cases if c.communication(message_id) is not None]

    def internal_copies(self, message: Observed, party: str) -> list[ExportedCommunication]:
        """Copies of `message` to one of the SUT's own parties that never crossed a channel (recorded as such).

        A CMS serving both the SPOC and a domestic authority may hand the SPOC its copy inside the CMS
        (the reference CMS does so when the exchange travels on Interpol, where there is no SPOC address).
        """
        if party not in self.sut_parties:
            return []
        found = []
        for case in self.cases_of_message(message.message_id):
            for com in case.communications:
                if com.message_id != message.message_id and com.copy_reason and (
                        party in com.recipients or com.counterpart == party) and com.at is not None:
                    found.append(com)
        return found
