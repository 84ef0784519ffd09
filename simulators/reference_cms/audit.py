"""The audit log of Art 16(1)(h): every processing operation of Art 25 of Directive (EU) 2016/680.

Collection, alteration, consultation, disclosure (with its recipients), combination and erasure,
each with the network time, the actor and the justification. The log is append-only; the export is
`GET /sut/v1/audit-log`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from simulators.model.sut_interface import AuditOperation
from simulators.reference_cms.defects import (
    AUDIT_WITHOUT_ALTERATIONS,
    AUDIT_WITHOUT_CONSULTATIONS,
    AUTOMATED_PROCESSING_WITHOUT_ACTOR,
    DISCLOSURE_WITHOUT_RECIPIENT,
    ActiveDefects,
)
from simulators.reference_cms.store import Store

__all__ = ["AuditTrail"]


class AuditTrail:
    def __init__(self, store: Store, defects: ActiveDefects, now: Callable[[], datetime], state: str) -> None:
        self._store = store
        self._defects = defects
        self._now = now
        self.policy_actor = f"SPOC-{state}/reference-operator (automated policy)"
        self.operator_actor = f"SPOC-{state}/operator (SUT stimulus)"
        self.system_actor = f"SPOC-{state}/cms"

    def record(
        self,
        operation: AuditOperation,
        justification: str,
        *,
        actor: str | None = None,
        case_id: str | None = None,
        recipient: str | None = None,
        message_id: str | None = None,
        data: str | None = None,
        at: datetime | None = None,
    ) -> None:
        if operation is AuditOperation.CONSULTATION and self._defects.active(AUDIT_WITHOUT_CONSULTATIONS):
            return
        if operation in (AuditOperation.ALTERATION, AuditOperation.COMBINATION) \
                and self._defects.active(AUDIT_WITHOUT_ALTERATIONS):
            return
        if operation is AuditOperation.DISCLOSURE and self._defects.active(DISCLOSURE_WITHOUT_RECIPIENT):
            recipient = None
        if actor in (None, self.policy_actor) and self._defects.active(AUTOMATED_PROCESSING_WITHOUT_ACTOR):
            actor = ""  # a background job has no user session to take the actor from
        self._store.audit(
            at=at or self._now(),
            actor=self.system_actor if actor is None else actor,
            operation=operation,
            justification=justification,
            case_id=case_id,
            recipient=recipient,
            message_id=message_id,
            data=data,
        )
