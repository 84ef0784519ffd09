"""The SUT test interface (docs/sut-interface.md) as the harness uses it, and the manual fallback.

The harness reaches the CMS only through this interface and the channels. The contract is
`simulators.model.sut_interface`, defined once: every fixture set, stimulus and decision the client
sends is checked against its model there first (a body off the contract is the harness's error, and
is raised as such, before the CMS could be blamed). The export models here (`ExportedCaseRecord`,
`ExportedCommunication`, `ExportedAuditEntry`, `ReportedAgenda`) are lenient views of the contract's
(extra fields kept, most fields optional): a vendor CMS that exports less is judged
"inconclusive" on what it does not export, never crashes the campaign. Each field a view reads is a
field of its contract model (checked when this module is imported), so a view cannot drift from the
contract unnoticed.

Where `GET /sut/v1/info` does not list an operation as automated, `SutClient.perform` prints the
step for a person and waits (up to `--manual-timeout`) for its evidence to appear; if it does not,
the step is recorded as not done and the checks that depend on it are inconclusive.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from conformance.campaign.http import HttpCaller, HttpProblem, parse_time
from simulators.model import sut_interface as contract

__all__ = [
    "ExportedAuditEntry",
    "ExportedCaseRecord",
    "ExportedCommunication",
    "ManualStepNotDone",
    "OffContractBody",
    "ReportedAgenda",
    "SutClient",
    "SutInfo",
]


class SutInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    state: str
    parties: list[str] = Field(default_factory=list)
    interface_version: str = "1"
    automated: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    product: str | None = None


class ExportedCommunication(BaseModel):
    model_config = ConfigDict(extra="allow")

    message_id: str | None = None
    channel: str | None = None
    direction: str | None = None
    kind: str | None = None
    counterpart: str | None = None
    at: datetime | None = None
    channel_exception: str | None = None
    sender: str | None = None
    recipients: list[str] = Field(default_factory=list)
    language: str | None = None
    copy_reason: str | None = None
    copy_exception: str | None = None
    in_reply_to: str | None = None


class ExportedCaseRecord(BaseModel):
    model_config = ConfigDict(extra="allow")

    case_id: str
    direction: str | None = None
    kind: str | None = None
    counterpart: str | None = None
    requester_type: str | None = None
    reference: str | None = None
    urgent: bool | None = None
    availability: str | None = None
    received_at: datetime | None = None
    deadline_due: datetime | None = None
    deadline_basis: str | None = None
    status: str | None = None
    cross_check_matches: list[dict[str, Any]] = Field(default_factory=list)
    europol_decision: Any = None
    retention_review_due: datetime | None = None
    communications: list[ExportedCommunication] = Field(default_factory=list)
    # Optional details a CMS may export (the reference CMS does); absent ones make checks inconclusive.
    own_party: str | None = None
    counterpart_state: str | None = None
    language: str | None = None
    sent_at: datetime | None = None
    deadline: dict[str, Any] | None = None
    suspensions: list[list[datetime | None]] = Field(default_factory=list)
    outcome: str | None = None
    items: list[dict[str, Any]] = Field(default_factory=list)
    copy_exception: str | None = None
    concluded_at: datetime | None = None
    retention_review_basis: str | None = None
    events: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def europol(self) -> str | None:
        """The recorded Art 12 decision (COPY / NO_COPY), whatever shape the export gives it."""
        value = self.europol_decision
        if isinstance(value, dict):
            found = value.get("decision")
            return str(found) if found else None
        return str(value) if value else None

    def communication(self, message_id: str) -> ExportedCommunication | None:
        return next((c for c in self.communications if c.message_id == message_id), None)


class ExportedAuditEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    at: datetime | None = None
    actor: str | None = None
    operation: str | None = None
    case_id: str | None = None
    justification: str | None = None
    recipient: str | None = None
    message_id: str | None = None
    data: str | None = None


class ReportedAgenda(BaseModel):
    """What the CMS plans to do next (optional operation `GET /sut/v1/agenda`)."""

    model_config = ConfigDict(extra="allow")

    next_action_at: datetime | None = Field(
        default=None, description="Network time of the earliest planned action; at or before now = acting now"
    )
    pending: int = Field(default=0, description="Planned actions and received messages not yet processed")
    idle: bool | None = Field(
        default=None, description="Asked with `wait`: quiescent at `now` (the signal); absent when not offered"
    )
    now: datetime | None = Field(default=None, description="Asked with `wait`: the CMS's network time")


# Each lenient view and the contract model it reads (its fields must be the contract's).
_VIEWS: tuple[tuple[type[BaseModel], type[BaseModel]], ...] = (
    (SutInfo, contract.Info),
    (ExportedCommunication, contract.Communication),
    (ExportedCaseRecord, contract.CaseRecord),
    (ExportedAuditEntry, contract.AuditEntry),
    (ReportedAgenda, contract.Agenda),
)


def views_off_contract(views: tuple[tuple[type[BaseModel], type[BaseModel]], ...] = _VIEWS) -> list[str]:
    """`view.field` for every field a view reads that its contract model does not define."""
    return [f"{view.__name__}.{name} (not in {model.__name__})" for view, model in views
            for name in view.model_fields if name not in model.model_fields]


if _off := views_off_contract():
    raise RuntimeError(f"the SUT client's export views read fields the contract does not define: {', '.join(_off)}")


class OffContractBody(ValueError):
    """The harness was about to send the SUT a body its own contract refuses."""


def _on_contract(model: type[BaseModel], body: dict[str, Any], what: str) -> dict[str, Any]:
    try:
        model.model_validate(body)
    except ValidationError as exc:
        raise OffContractBody(f"{what} is not a {model.__name__} of the SUT interface: {exc}") from None
    return body


class ManualStepNotDone(Exception):
    """A person was asked to do a step the SUT does not automate, and its evidence did not appear."""


class SutClient:
    """Calls the SUT test interface; `perform` falls back to a person for non-automated operations."""

    def __init__(
        self,
        caller: HttpCaller,
        *,
        manual_timeout: float = 0.0,
        announce: Callable[[str], None] = print,
    ) -> None:
        self.caller = caller
        self.manual_timeout = manual_timeout
        self.announce = announce
        self.info_cache: SutInfo | None = None
        self._agenda_supported: bool | None = None
        self._quiescence_supported: bool | None = None

    @property
    def base_url(self) -> str:
        return self.caller.base_url

    # -- info and clock ---------------------------------------------------------------------

    async def info(self) -> SutInfo:
        if self.info_cache is None:
            reply = await self.caller.call("GET", "/sut/v1/info")
            self.info_cache = SutInfo.model_validate(reply.body)
        return self.info_cache

    async def automated(self, operation: str) -> bool:
        """Whether the SUT automates an operation; `operation` may list accepted names separated by '|'."""
        offered = set((await self.info()).automated)
        return any(name in offered for name in operation.split("|"))

    async def follow_network_clock(self) -> bool:
        body = _on_contract(contract.ClockSetting, {"follow_network_clock": True}, "PUT /sut/v1/clock")
        reply = await self.caller.call("PUT", "/sut/v1/clock", body=body,
                                       record="stimulus", actor="sut", allowed=(404, 405, 409, 501))
        return reply.status < 400

    async def agenda(self) -> ReportedAgenda | None:
        if self._agenda_supported is False:
            return None
        reply = await self.caller.call("GET", "/sut/v1/agenda", allowed=(404, 405, 501))
        if reply.status >= 400:
            self._agenda_supported = False
            return None
        self._agenda_supported = True
        return ReportedAgenda.model_validate(reply.body)

    async def quiescence(self, wait: float) -> ReportedAgenda | None:
        """The quiescence signal (`GET /sut/v1/agenda?wait=`): an agenda with `idle` set once the SUT has nothing
        due at or before the network time, or after `wait` real seconds; None when the SUT does not offer it."""
        if self._agenda_supported is False or self._quiescence_supported is False:
            return None
        reply = await self.caller.call("GET", "/sut/v1/agenda", params={"wait": f"{wait:g}"},
                                       allowed=(400, 404, 405, 422, 501))
        agenda = ReportedAgenda.model_validate(reply.body) if reply.status < 400 else None
        self._quiescence_supported = agenda is not None and agenda.idle is not None
        return agenda if self._quiescence_supported else None

    # -- fixtures and stimuli ---------------------------------------------------------------

    async def put_fixtures(self, records: list[dict[str, Any]], *, scenario: str | None = None) -> None:
        body = _on_contract(contract.FixtureSet, {"records": records}, "PUT /sut/v1/fixtures")
        await self.caller.call("PUT", "/sut/v1/fixtures", body=body, record="fixtures",
                               actor="sut", scenario=scenario)

    async def outgoing_request(self, body: dict[str, Any], *, scenario: str | None = None) -> dict[str, Any]:
        body = _on_contract(contract.OutgoingRequestStimulus, body, "POST /sut/v1/stimuli/outgoing-request")
        reply = await self.caller.call("POST", "/sut/v1/stimuli/outgoing-request", body=body, record="stimulus",
                                       actor="sut", scenario=scenario)
        return dict(reply.body or {})

    async def own_initiative(self, body: dict[str, Any], *, scenario: str | None = None) -> dict[str, Any]:
        body = _on_contract(contract.OwnInitiativeStimulus, body, "POST /sut/v1/stimuli/own-initiative")
        reply = await self.caller.call("POST", "/sut/v1/stimuli/own-initiative", body=body, record="stimulus",
                                       actor="sut", scenario=scenario)
        return dict(reply.body or {})

    async def decision(self, case_id: str, body: dict[str, Any], *, scenario: str | None = None) -> dict[str, Any]:
        body = _on_contract(contract.Decision, body, f"POST /sut/v1/cases/{case_id}/decision")
        reply = await self.caller.call("POST", f"/sut/v1/cases/{case_id}/decision", body=body, record="decision",
                                       actor="sut", scenario=scenario)
        return dict(reply.body or {}) if isinstance(reply.body, dict) else {}

    # -- exports ------------------------------------------------------------------------------

    async def cases(self) -> list[ExportedCaseRecord]:
        reply = await self.caller.call("GET", "/sut/v1/cases")
        return [ExportedCaseRecord.model_validate(c) for c in reply.body.get("cases", [])]

    async def audit_log(self, since: datetime | None = None) -> list[ExportedAuditEntry]:
        params = {"since": since.isoformat().replace("+00:00", "Z")} if since else None
        reply = await self.caller.call("GET", "/sut/v1/audit-log", params=params)
        return [ExportedAuditEntry.model_validate(e) for e in reply.body.get("entries", [])]

    async def statistics(self, year: int) -> dict[str, Any] | None:
        reply = await self.caller.call("GET", "/sut/v1/statistics", params={"year": str(year)},
                                       allowed=(404, 501))
        return dict(reply.body) if reply.status < 400 and isinstance(reply.body, dict) else None

    # -- the manual fallback --------------------------------------------------------------------

    async def perform(
        self,
        operation: str,
        automated_call: Callable[[], Awaitable[dict[str, Any]]],
        *,
        instructions: str,
        evidence: Callable[[], Awaitable[dict[str, Any] | None]],
    ) -> dict[str, Any]:
        """Run an operation through the interface if automated, else ask a person and wait for `evidence`."""
        if await self.automated(operation):
            return await automated_call()
        if self.manual_timeout <= 0:
            raise ManualStepNotDone(
                f"the SUT does not automate {operation} and no manual timeout was given (--manual-timeout)"
            )
        self.announce(f"\nMANUAL STEP ({operation}): {instructions}\n"
                      f"  waiting up to {self.manual_timeout:g} s for it to show in the channels or exports...")
        deadline = time.monotonic() + self.manual_timeout
        while time.monotonic() < deadline:
            try:
                found = await evidence()
            except HttpProblem:
                found = None
            if found is not None:
                self.announce(f"  done: {operation}")
                return found
            await asyncio.sleep(1.0)
        raise ManualStepNotDone(f"{operation}: nobody did it within {self.manual_timeout:g} s ({instructions})")


def parse_optional_time(value: object) -> datetime | None:
    return parse_time(str(value)) if value else None
