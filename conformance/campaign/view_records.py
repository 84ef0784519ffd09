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
        # message id -> the cases recording it, in export order: made on first use; the checks ask for the case
        # of a message over a thousand times, each a scan of every case's communications.
        self._cases_by_message: dict[str, list[ExportedCaseRecord]] | None = None

    def case(self, exchange: Exchange, exports: Exports | None = None) -> ExportedCaseRecord | None:
        source = exports or self.exports
        if exchange.sut_case_id:
            found = next((c for c in source.cases if c.case_id == exchange.sut_case_id), None)
            if found is not None:
                return found
        if source is not self.exports:
            return source.case_of(exchange.message_id, exchange.reference)
        # Exports.case_of, through this export's index of messages.
        if exchange.message_id:
            recording = self.cases_of_message(exchange.message_id)
            if recording:
                return recording[0]
        if exchange.reference:
            return next((c for c in source.cases if c.reference == exchange.reference), None)
        return None

    def cases_of_message(self, message_id: str) -> list[ExportedCaseRecord]:
        """The cases of this export with a communication of the message, in export order."""
        if self._cases_by_message is None:
            index: dict[str, list[ExportedCaseRecord]] = {}
            for case in self.exports.cases:
                for message in dict.fromkeys(c.message_id for c in case.communications if c.message_id):
                    index.setdefault(message, []).append(case)
            self._cases_by_message = index
        return list(self._cases_by_message.get(message_id, ()))

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
