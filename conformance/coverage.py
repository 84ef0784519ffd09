"""The coverage matrix: per requirement, the values of its applicability and the exchanges that exercised them.

An exchange's profile (its value on each dimension) is read from what the harness set up and observed,
never from the SUT: the parties it made send and receive, the urgency and language it put in the
request, the fixtures it loaded (a generated exchange records the row it was built from in
`facts["profile"]`), the network time it sent at (labels night, weekend, holiday, dst), the court's
decision it stood in for (`facts["judicial"]`), a clarification it asked or gave, which of two own mailboxes
it let a copied message reach first (`facts["delivery_order"]`).
An exchange exercises a requirement it is judged by (conformance.selection: the model admits it, or its
scenario declared it) when its profile has the target's values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta

from conformance.applicability import Applicability, Profile
from conformance.catalogue import Catalogue
from conformance.ledger import Exchange, ExchangeKind
from conformance.selection import judged_by
from reports.results import ApplicabilityCoverage, RequirementApplicability, TargetCoverage
from simulators.model.parties import PartyKind, UnknownPartyError, UnknownStateError, party
from simulators.model.parties import state as state_of

__all__ = ["JUDICIAL_FACTS", "carried_out", "coverage_matrix", "profile_of", "role_of"]

_ROLES = {
    PartyKind.SPOC: "spoc", PartyKind.DESIGNATED_AUTHORITY: "designated_authority",
    PartyKind.COMPETENT_AUTHORITY: "competent_authority", PartyKind.SIRENE_BUREAU: "sirene_bureau",
    PartyKind.INTERPOL_NCB: "ncb",
}
_RECEIPT_LABELS = {"night": "night", "weekend": "weekend", "holiday": "holiday", "dst": "dst_change"}
# How scenarios state the court's part (facts["judicial"]); a long-pending authorisation past an
# Art 5(2) update interval is 'pending_past_update'.
JUDICIAL_FACTS = {"granted": "granted", "court-granted": "granted", "refused": "refused",
                  "pending": "pending_past_update", "pending_past_update": "pending_past_update",
                  "pending-past-update": "pending_past_update"}


def role_of(pid: str | None) -> str | None:
    """The dimension value of a party's role (spoc, designated_authority, ...); None for an unknown party."""
    if not pid:
        return None
    try:
        return _ROLES.get(party(pid).kind)
    except (UnknownPartyError, UnknownStateError, ValueError):
        return None


def _language(language: str | None, sender_state: str | None, recipient_state: str | None) -> str | None:
    if not language:
        return None
    if language == "en":
        return "english"
    try:
        theirs = state_of(recipient_state).languages if recipient_state else ()
        ours = state_of(sender_state).languages if sender_state else ()
    except (UnknownStateError, ValueError):
        return None
    if language in theirs and language in ours:
        return "shared_national"
    return "recipient_only" if language in theirs else None


def profile_of(exchange: Exchange, sut_state: str, update_interval: timedelta | None = None,
               ) -> dict[str, frozenset[str]]:
    """The exchange's values on each dimension it has one on (see the module's docstring for the sources).

    With `update_interval` (the Art 5(2) update interval of the run), an authorisation the harness kept
    pending for longer than it, from the SUT's delay notice to the court's decision it played, is also
    'pending_past_update'.
    """
    found: dict[str, set[str]] = {}

    def add(name: str, value: str | None) -> None:
        if value:
            found.setdefault(name, set()).add(value)

    stimulus = exchange.facts.get("stimulus") if isinstance(exchange.facts.get("stimulus"), dict) else None
    if exchange.urgent is not None:
        add("urgency", "urgent" if exchange.urgent else "non_urgent")
    if exchange.availability:
        add("availability", exchange.availability.lower())
    if stimulus is not None:
        add("sender_role", str(stimulus.get("by", "")).lower() or None)
        add("recipient_role", str(stimulus.get("to", "")).lower() or None)
        add("language", _language(exchange.language, sut_state, str(stimulus.get("to_state") or "") or None))
    else:
        add("sender_role", role_of(exchange.requester))
        add("recipient_role", role_of(str(exchange.facts.get("recipient") or "")))
        requester_state = _state(exchange.requester)
        add("language", _language(exchange.language, requester_state, sut_state))
    if exchange.kind is ExchangeKind.INCOMING_REQUEST:
        for label, value in _RECEIPT_LABELS.items():
            if label in exchange.labels:
                add("receipt", value)
        if not found.get("receipt"):
            add("receipt", "office_hours")
        add("origin", "other_state_not_consented" if "OC" in exchange.expected.values() else None)
        add("subject", "person" if exchange.subject else "none")
        add("judicial", JUDICIAL_FACTS.get(str(exchange.facts.get("judicial", ""))))
        if update_interval is not None and _pending_for(exchange) > update_interval:
            add("judicial", "pending_past_update")
        add("clarification", "requested" if exchange.facts.get("incomplete")
            or exchange.facts.get("operator_clarification") else None)
        # Only an order the harness forced counts (it held the other mailbox back): pushes at the same network
        # time reach the two mailboxes in no order the journal can show.
        add("delivery_order", str(exchange.facts.get("delivery_order") or "") or None)
    # A request the harness told the SUT to send with a third country involved may go on Interpol (Art 13(2)(a)).
    third_country = bool(stimulus and stimulus.get("third_countries"))
    add("channel", "i24_7" if "interpol" in exchange.labels or third_country
        else "sirene" if "sirene" in exchange.labels
        else "fallback" if "outage" in exchange.labels
        else "siena" if exchange.kind in (ExchangeKind.INCOMING_REQUEST, ExchangeKind.OUTGOING_REQUEST) else None)
    if exchange.event("clarification_requested_by_harness") is not None:
        add("clarification", "requested")
    # A generated exchange knows its row: the fixtures' subject category and origin are not on the wire.
    for name, value in (exchange.facts.get("profile") or {}).items():
        found[name] = {str(value)}
    return {name: frozenset(values) for name, values in found.items()}


def _pending_for(exchange: Exchange) -> timedelta:
    notice = exchange.event("delay_notice")
    decided = exchange.event("judicial_granted") or exchange.event("judicial_refused")
    return decided.at - notice.at if notice is not None and decided is not None else timedelta(0)


def _state(pid: str | None) -> str | None:
    try:
        return party(pid).state if pid else None
    except (UnknownPartyError, UnknownStateError, ValueError):
        return None


def carried_out(exchange: Exchange) -> bool:
    """Whether the exchange happened: its opening message is on the journal, or it needs none."""
    if exchange.facts.get("not_done"):
        return False
    opened_by_message = exchange.kind in (ExchangeKind.INCOMING_REQUEST, ExchangeKind.OUTGOING_REQUEST,
                                          ExchangeKind.OWN_INITIATIVE_OUT)
    return exchange.message_id is not None or not opened_by_message


def _matches(profile: Profile, values: Mapping[str, str]) -> bool:
    return all(value in profile.get(name, frozenset()) for name, value in values.items())


def _targets(applicability: Applicability, exercising: Sequence[tuple[Exchange, Profile]]) -> list[TargetCoverage]:
    targets = [TargetCoverage(kind="flow", values={"flow": flow.value},
                              exchanges=[e.key for e, _ in exercising if e.kind is flow])
               for flow in applicability.flows]
    for kind, target in applicability.targets():
        targets.append(TargetCoverage(kind=kind, values=dict(target),
                                      exchanges=[e.key for e, p in exercising if _matches(p, target)]))
    return targets


def coverage_matrix(catalogue: Catalogue, exchanges: Iterable[Exchange], sut_state: str,
                    selected: Iterable[str], *, update_interval: timedelta | None = None) -> ApplicabilityCoverage:
    """The matrix over the requirements of the run (`selected`) that have an applicability model."""
    # By key, not in the order the exchanges were registered: scenarios that open exchanges at the same
    # network time register them in the order their HTTP calls finish, which a busy machine changes.
    done = [(e, profile_of(e, sut_state, update_interval))
            for e in sorted(exchanges, key=lambda exchange: exchange.key) if carried_out(e)]
    rows: list[RequirementApplicability] = []
    for rid in selected:
        applicability = catalogue.applicability_of(rid)
        if applicability is None:
            continue
        exercising = [(e, p) for e, p in done if judged_by(catalogue, rid, e, p)]
        targets = _targets(applicability, exercising)
        rows.append(RequirementApplicability(
            requirement=rid, article=catalogue.get(rid).article, why=applicability.why,
            flows=[f.value for f in applicability.flows],
            dimensions={name: list(values) for name, values in applicability.dimensions.items()},
            pairs=[list(p) for p in applicability.pairs], generated=applicability.generated, targets=targets,
            uncovered=list(dict.fromkeys(t.label for t in targets if not t.exchanges)),
        ))
    return ApplicabilityCoverage(
        exchanges=len(done), generated_exchanges=sum(1 for e, _ in done if e.facts.get("generated")),
        uncovered=sum(len(r.uncovered) for r in rows), requirements=rows,
    )
