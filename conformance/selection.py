"""Which exchanges a requirement judges, and which scenarios give evidence on it: the applicability model decides.

A requirement ID is written once, on the marker of the check that judges it. The check asks the journal for
the exchanges of its requirement (`campaign.journal.incoming(judge.requirement)`,
`campaign.journal.exchanges(kind, requirement=judge.requirement)`) and this module answers from the
catalogue's applicability model: an exchange is judged by a requirement when its kind is one of the
requirement's `flows` and its profile (`coverage.profile_of`: what the harness set up and observed, never
the SUT's account) is admitted by the requirement's dimensions (`applicability.admits`). The model selects
on every flow: incoming and outgoing requests, own-initiative provision sent and received, copies received
and the retention review.

A scenario declares (its `requirements`) only what the model cannot see:
- an obligation of a procedure the scenario drives and no dimension names (an incomplete request, a
  hand-over, a court's decision, a clarification the requested SPOC asks for, a provision on a serious
  offence within Europol's objectives): a requirement whose applicability is not `generated`;
- an exchange the law puts under an obligation although its profile lies outside the requirement's values:
  the German NCB asking for its SPOC (Art 15(2) makes the NCB part of the SPOC), a request received on the
  fallback during a SIENA outage, which still owes its time limit.

The scenario library validates the declarations on import (`check_declarations`): known IDs, and only
requirements that concern the scenario's flow; `tests/conformance/test_selection.py` holds, over a clean run,
that no scenario declares what the model already admits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from conformance.applicability import Applicability, Profile, admits
from conformance.catalogue import Catalogue
from conformance.ledger import Exchange, ExchangeKind

__all__ = ["check_declarations", "gives_evidence", "judged_by", "model_selects"]


def model_selects(applicability: Applicability | None, flow: ExchangeKind) -> bool:
    """Whether the model alone tells which exchanges of this flow the requirement judges: its dimensions say all
    the obligation depends on (it is `generated`) and the flow is one it concerns."""
    return applicability is not None and applicability.generated and flow in applicability.flows


def judged_by(catalogue: Catalogue, requirement: str, exchange: Exchange, profile: Profile) -> bool:
    """Whether `requirement` judges `exchange` (of this profile): its scenario declared it, or the model admits it."""
    if requirement in exchange.requirements:
        return True
    applicability = catalogue.applicability_of(requirement)
    return applicability is not None and model_selects(applicability, exchange.kind) and admits(applicability, profile)


def gives_evidence(catalogue: Catalogue, flow: ExchangeKind, declared: Iterable[str], planned: Profile,
                   wanted: Iterable[str]) -> bool:
    """Whether a scenario of this flow, declaring these requirements and planned with this (partial) profile, may
    record an exchange judged by one of the wanted requirements: a profile run must run it.

    The planned profile holds only what the scenario fixes before it runs (urgency, availability, ...); a
    dimension it leaves open is no bar, so a scenario is run rather than left out when in doubt."""
    wanted = set(wanted)
    if wanted & set(declared):
        return True
    for requirement in wanted:
        applicability = catalogue.applicability_of(requirement)
        if model_selects(applicability, flow) and applicability is not None and admits(applicability, planned):
            return True
    return False


def check_declarations(catalogue: Catalogue, declared: Mapping[str, tuple[ExchangeKind, frozenset[str]]],
                       ) -> dict[str, list[str]]:
    """Problems of the scenarios' declarations (scenario -> problems); empty when they are sound.

    `declared` maps a scenario's name to its flow and declared requirements."""
    known = {requirement.id for requirement in catalogue.all()}
    problems: dict[str, list[str]] = {}
    for name, (flow, requirements) in declared.items():
        found = [f"{rid} is not a requirement of the catalogue" for rid in sorted(requirements - known)]
        for rid in sorted(requirements & known):
            applicability = catalogue.applicability_of(rid)
            if applicability is None or flow not in applicability.flows:
                found.append(f"{rid} does not concern {flow.value} exchanges (its applicability flows)")
        if found:
            problems[name] = found
    return problems
