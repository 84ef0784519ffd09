"""The Art 18 statistics of one calendar year, counted from the case records.

Art 18(2): (a) requests submitted, by the SPOC and by competent authorities; (b) requests received
and requests replied to, each by urgent / non-urgent and by requesting member state; (c) requests
refused, by requesting member state and by refusal ground; (d) cases where the Art 5(1) limits
were deviated from for judicial authorisation, by requesting member state. A request counts in the
year it was received (incoming) or sent (outgoing); copies, own-initiative information and other
traffic are not requests.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from simulators.model.directive import RequesterType
from simulators.model.parties import PartyKind, UnknownPartyError
from simulators.model.parties import party as party_of
from simulators.model.sut_interface import ByState, CaseDirection, CaseKind, Counted, ItemState, Statistics
from simulators.reference_cms.defects import (
    COPIES_COUNTED_AS_REQUESTS,
    PARTIAL_REPLIES_NOT_COUNTED_AS_REPLIED,
    REFUSED_COUNTED_AS_REPLIED,
    STATISTICS_IGNORE_COMPETENT_AUTHORITIES,
    STATISTICS_LAST_TWELVE_MONTHS,
    STATISTICS_WITHOUT_STATE_BREAKDOWN,
    ActiveDefects,
)
from simulators.reference_cms.store import CaseState

__all__ = ["DEFINITIONS", "compute_statistics"]

DEFINITIONS = {
    "period": "A request counts in the calendar year (UTC) in which it was received, or sent for (a).",
    "requests_submitted": "Art 18(2)(a): requests sent by the SPOC, and by designated or competent authorities.",
    "requests_received": "Art 18(2)(b): requests received by the SPOC or a competent authority; copies, "
    "own-initiative information and duplicates are not counted.",
    "requests_received_by_receiver": "Art 18(2)(b): the requests received, by the party they were addressed to "
    "(in To): COMPETENT_AUTHORITY for a competent or designated authority, SPOC for the SPOC, its SIRENE bureau "
    "or its Interpol NCB (Art 15(2)). A copy in CC to the SPOC does not make it the receiver.",
    "requests_replied": "Art 18(2)(b): requests for which information was provided, wholly or in part.",
    "requests_refused": "Art 18(2)(c): requests refused wholly or in part; a request refused on two grounds "
    "counts once in the total and once under each ground.",
    "judicial_authorisation_deviations": "Art 18(2)(d): requests for which the requester was told that "
    "judicial authorisation delays the answer (Art 5(2)).",
}


def _tally(cases: list[CaseState], with_states: bool) -> Counted:
    by_state: dict[str, Counter[str]] = defaultdict(Counter)
    for case in cases:
        label = "urgent" if case.urgent else "non_urgent"
        by_state[case.counterpart_state or "unknown"][label] += 1
    totals = Counter(("urgent" if c.urgent else "non_urgent") for c in cases)
    return Counted(
        total=len(cases),
        urgent=totals["urgent"],
        non_urgent=totals["non_urgent"],
        by_requesting_state={
            state: ByState(total=sum(c.values()), urgent=c["urgent"], non_urgent=c["non_urgent"])
            for state, c in sorted(by_state.items())
        } if with_states else None,
    )


def _receiver(own_party: str) -> str:
    try:
        kind = party_of(own_party).kind
    except UnknownPartyError:
        return "SPOC"
    return "COMPETENT_AUTHORITY" if kind in (PartyKind.COMPETENT_AUTHORITY, PartyKind.DESIGNATED_AUTHORITY) else "SPOC"


# Long: the Art 18 statistics as one pass over the cases, with the
# named defects that miscount them next to the counts they change.
def compute_statistics(cases: list[CaseState], year: int, state: str, defects: ActiveDefects,
                       now: datetime | None = None) -> Statistics:
    with_states = not defects.active(STATISTICS_WITHOUT_STATE_BREAKDOWN)
    spoc_only = defects.active(STATISTICS_IGNORE_COMPETENT_AUTHORITIES)
    incoming_kinds = {CaseKind.REQUEST}
    if defects.active(COPIES_COUNTED_AS_REQUESTS):
        incoming_kinds.add(CaseKind.COPY)

    def counted(moment: datetime | None) -> bool:
        if moment is None:
            return False
        if now is not None and defects.active(STATISTICS_LAST_TWELVE_MONTHS):
            return now - timedelta(days=365) < moment <= now  # "the year" read as the last twelve months
        return moment.year == year

    received = [
        c for c in cases
        if c.direction is CaseDirection.INCOMING and c.kind in incoming_kinds and counted(c.received_at)
    ]
    requests = [c for c in received if c.kind is CaseKind.REQUEST]
    replied = [c for c in requests if any(i.state is ItemState.PROVIDED for i in c.items)]
    refused = [c for c in requests if any(i.state is ItemState.REFUSED for i in c.items)
               or (c.outcome == "REFUSED")]
    if defects.active(PARTIAL_REPLIES_NOT_COUNTED_AS_REPLIED):
        replied = [c for c in replied if not any(i.state is ItemState.REFUSED for i in c.items)]
    if defects.active(REFUSED_COUNTED_AS_REPLIED):
        replied = [c for c in requests if c in replied or c in refused]
    submitted = [
        c for c in cases
        if c.direction is CaseDirection.OUTGOING and c.kind is CaseKind.REQUEST and counted(c.sent_at)
    ]
    by_spoc = sum(1 for c in submitted if spoc_only or c.requester_type is RequesterType.SPOC)
    grounds: Counter[str] = Counter()
    refused_by_state: Counter[str] = Counter()
    by_state_ground: dict[str, Counter[str]] = defaultdict(Counter)
    for case in refused:
        case_grounds = {g.value for i in case.items for g in i.refusal_grounds}
        refused_by_state[case.counterpart_state or "unknown"] += 1
        for ground in sorted(case_grounds) or ["NONE_GIVEN"]:
            grounds[ground] += 1
            by_state_ground[case.counterpart_state or "unknown"][ground] += 1
    judicial = [c for c in requests if c.judicial_deviation]
    judicial_by_state = Counter(c.counterpart_state or "unknown" for c in judicial)
    receivers = Counter("SPOC" if spoc_only else _receiver(c.own_party) for c in requests)
    return Statistics(
        year=year,
        state=state,
        requests_submitted={
            "total": len(submitted),
            "by_spoc": by_spoc,
            "by_competent_authorities": len(submitted) - by_spoc,
            "by_requested_state": dict(sorted(Counter(c.counterpart_state or "unknown" for c in submitted).items()))
            if with_states else None,
        },
        requests_received=_tally(received, with_states),
        requests_received_by_receiver=dict(sorted(receivers.items())),
        requests_replied=_tally(replied, with_states),
        requests_refused={
            "total": len(refused),
            "by_ground": dict(sorted(grounds.items())),
            "by_requesting_state": dict(sorted(refused_by_state.items())) if with_states else None,
            "by_requesting_state_and_ground": {s: dict(sorted(g.items())) for s, g in sorted(by_state_ground.items())}
            if with_states else None,
        },
        judicial_authorisation_deviations={
            "total": len(judicial),
            "by_requesting_state": dict(sorted(judicial_by_state.items())) if with_states else None,
        },
        definitions=DEFINITIONS,
    )
