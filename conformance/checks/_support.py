"""What several check modules share: how an exchange was answered, and the Art 5(1) judgement of it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from conformance.campaign.engine import deadline_marks
from conformance.campaign.runner import Exports
from conformance.campaign.view import CampaignView
from conformance.ledger import Exchange, Observed
from conformance.settings import TimeMode
from conformance.verdicts import Judge, describe_gap, judge_deadline, message_evidence, z
from reports.results import Evidence, Outcome
from simulators.model.parties import state as state_of

__all__ = [
    "Completion",
    "answer_pending",
    "as_exported",
    "completion",
    "copy_finding",
    "deadline_finding",
    "hand_over_not_made",
    "languages_of",
    "limit_availability",
    "real_time_caveat",
    "reply_pending",
]


@dataclass
class Completion:
    """How the SUT answered an exchange's items."""

    provided: dict[str, Observed] = field(default_factory=dict)  # item -> REPLY that provided it
    refused: dict[str, tuple[Observed, list[str]]] = field(default_factory=dict)  # item -> (REFUSAL, grounds)
    wrongly_refused: dict[str, list[str]] = field(default_factory=dict)  # expected 'provide', refused
    wrong_ground: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # expected ground, given grounds
    provided_instead: list[str] = field(default_factory=list)  # expected a refusal, provided
    missing: list[str] = field(default_factory=list)
    done_at: datetime | None = None
    messages: list[Observed] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing


def completion(view: CampaignView, exchange: Exchange) -> Completion:
    result = Completion()
    expected = exchange.expected or {"I1": "provide"}
    answers = view.answers(exchange)
    result.messages = answers
    for message in answers:
        if message.kind == "REPLY":
            for info in message.field("information") or []:
                item = str(info.get("item_id")) if isinstance(info, dict) else ""
                if item and item not in result.provided:
                    result.provided[item] = message
        elif message.kind == "REFUSAL":
            grounds = [str(g) for g in message.field("refusal_grounds") or []]
            items = [str(i) for i in message.field("refused_items") or []] or list(expected)
            for item in items:
                result.refused.setdefault(item, (message, grounds))
    times: list[datetime] = []
    for item, wanted in expected.items():
        if item in result.provided:
            times.append(view.answered_at(result.provided[item], exchange))
            if wanted != "provide":
                result.provided_instead.append(item)
        elif item in result.refused:
            message, grounds = result.refused[item]
            times.append(view.answered_at(message, exchange))
            if wanted == "provide":
                result.wrongly_refused[item] = grounds
            elif wanted not in grounds:
                result.wrong_ground[item] = (wanted, grounds)
        else:
            result.missing.append(item)
    if not result.missing and times:
        result.done_at = max(times)
    return result


def answer_pending(view: CampaignView, exchange: Exchange, done: Completion | None = None) -> str | None:
    """Why the items still unanswered prove nothing yet: in real time mode the campaign stopped watching
    (after --real-wait seconds) before the most lenient Art 5(1) limit of the request had passed.

    None when every item is answered, or when the observation outlasted that limit, and always on a
    virtual timeline (CampaignView.unseen_before): then what is missing is missing. A check judges what it
    did observe first: an answer already given wrongly fails whatever the mode.
    """
    done = done if done is not None else completion(view, exchange)
    received = view.received_at(exchange)
    if not done.missing or received is None:
        return None
    due = max(deadline_marks(exchange, received, view.settings))
    return view.unseen_before(due, f"answer to item(s) {', '.join(done.missing)}")


def reply_pending(view: CampaignView, judge: Judge, exchange: Exchange, rule: str) -> None:
    """No information provided yet while it was still due (answer_pending): what a reply will hold is
    unknown, not inapplicable; recorded as inconclusive."""
    if "provide" not in exchange.expected.values() or view.of(exchange, "REPLY"):
        return
    pending = answer_pending(view, exchange)
    if pending:
        judge.inconclusive(exchange.key, rule=rule, evidence=view.evidence(exchange),
                           observed=f"{view.answers_text(exchange)}; {pending}")


def as_exported(view: CampaignView, judge: Judge, exports: Exports | None = None) -> CampaignView:
    """The view a records check compares with the SUT's exports: the campaign up to the export's time.

    Case records, the audit log and the statistics are judged against what had happened when they
    were exported (the end of the main timeline unless `exports` says otherwise); a message the SUT
    sent or received later cannot be missing from them. The judge's message names those it left out.
    """
    records = view.as_exported(exports)
    judge.note(lambda: _left_out_note(records))
    return records


_NAMED = 8


def _left_out_note(records: CampaignView) -> str | None:
    later = sorted(records.left_out, key=lambda m: m.created_at)
    if not later or records.as_of is None:
        return None
    named = ", ".join(f"{m.message_id} {m.kind or 'message'} at {z(m.created_at)}" for m in later[:_NAMED])
    more = f" and {len(later) - _NAMED} more" if len(later) > _NAMED else ""
    return (f"the SUT's records were exported at {z(records.as_of)}; {len(later)} later message(s) to or from "
            f"the SUT were not judged against them, since an export cannot hold what happened after it: "
            f"{named}{more}")


def limit_availability(view: CampaignView, exchange: Exchange) -> tuple[str | None, str | None]:
    """The availability that sets an urgent request's limit, and a misclassification to report.

    The SUT's exported classification decides (Art 2(6)-(7) is the requested side's call); where it
    contradicts what the harness put into the national databases, the harness's knowledge wins and a
    classification of directly available data as indirect is reported (it would stretch 8 h to 3 days).
    """
    case = view.case(exchange)
    exported = case.availability if case is not None else None
    truth = exchange.availability
    if exported is None:
        return truth, None
    if truth is not None and exported != truth:
        if truth == "DIRECT":
            return truth, (f"the SUT classified the information as {exported} although the national database "
                           "holds it directly (Art 2(6)); the 8-hour limit applies")
        return truth, None
    return exported, None


def deadline_finding(view: CampaignView, judge: Judge, exchange: Exchange, *, what: str) -> None:
    """Judge when the exchange was answered against its Art 5(1) limit (with any suspension)."""
    evidence = view.evidence(exchange)
    received = view.received_at(exchange)
    if received is None:
        judge.inconclusive(exchange.key, rule=what, observed=f"the request was never sent: {exchange.problems}")
        return
    done = completion(view, exchange)
    availability, misclassified = limit_availability(view, exchange) if exchange.urgent else ("INDIRECT", None)
    judgement = judge_deadline(
        what=what, received_at=received, answered_at=done.done_at, urgent=bool(exchange.urgent),
        availability=availability, settings=view.settings, observed_until=view.observed_until,
        suspensions=view.suspensions(exchange), answer="complete answer (information provided or lawfully refused)",
    )
    observed = f"{view.sent_text(exchange)}; {view.answers_text(exchange)}; {judgement.observed}"
    outcome = judgement.outcome
    if done.wrongly_refused:
        outcome = Outcome.FAILED
        observed += "; " + "; ".join(
            f"item {item} was refused ({', '.join(g) or 'no ground'}) although the national database holds it "
            "and no refusal ground applies, so the information was not provided"
            for item, g in done.wrongly_refused.items()
        )
    if misclassified:
        outcome = Outcome.FAILED
        observed += f"; {misclassified}"
    if outcome is Outcome.PASSED and view.settings.time_mode is TimeMode.REAL and exchange.labels:
        outcome = Outcome.INCONCLUSIVE
        observed += f"; real time mode: the {', '.join(exchange.labels)} timing was not reproduced"
    judge.record(outcome, exchange.key, rule=judgement.rule, observed=observed, expected=judgement.expected,
                 evidence=evidence)


def copy_finding(
    view: CampaignView,
    judge: Judge,
    instance: str,
    original: Observed | None,
    party: str,
    *,
    rule: str,
    evidence: Iterable[Evidence] = (),
    exception: str | None = None,
) -> None:
    """A copy of `original` must reach `party` at the same time (within the configured tolerance)."""
    if original is None:
        judge.inconclusive(instance, rule=rule, observed="the message to be copied was never sent")
        return
    tolerance = view.settings.copy_tolerance
    if original.sender == party:
        judge.passed(instance, rule=rule, observed=f"{original.message_id} was sent by {party} itself, which thus "
                     "holds it (no copy needed)")
        return
    copies = view.copies(original, party)
    internal = view.internal_copies(original, party) if not copies else []
    if evidence:
        shown = list(evidence)
    elif instance in view.ledger.exchanges:
        shown = view.evidence(view.ledger.exchanges[instance])
    else:
        shown = [message_evidence(original)]
    if not copies and internal:
        first_internal = min(internal, key=lambda c: c.at or original.created_at)
        at = first_internal.at or original.created_at
        ok = at - original.created_at <= tolerance
        judge.check(ok, instance, rule=rule, evidence=shown,
                    observed=f"{original.summary()}; the copy to {party} stayed inside the CMS "
                    f"({first_internal.message_id} on {first_internal.channel}) at {z(at)}",
                    expected=f"the copy at the same time (within {tolerance.total_seconds():g} s)")
        return
    if not copies and (unseen := view.unseen_before(original.created_at + tolerance, f"copy to {party}")):
        judge.inconclusive(instance, rule=rule, evidence=shown, observed=f"{original.summary()}; {unseen}")
        return
    if not copies:
        if exception:
            judge.passed(instance, rule=rule, observed=f"no copy to {party}; the exception {exception} is recorded",
                         evidence=shown)
            return
        judge.failed(instance, rule=rule, evidence=shown,
                     observed=f"{original.summary()}; no copy reached {party}, and no exception ground is recorded",
                     expected=f"a copy to {party} sent with it (within {tolerance.total_seconds():g} s)")
        return
    first = min(copies, key=lambda c: c.at)
    gap = first.at - original.created_at
    how = "in the same message" if first.same_message else f"as {first.message.message_id} {first.message.kind}"
    if gap <= tolerance:
        judge.passed(instance, rule=rule, evidence=shown,
                     observed=f"copy to {party} {how} at {z(first.at)} with {original.message_id}")
    else:
        judge.failed(instance, rule=rule, evidence=shown,
                     observed=f"{original.summary()}; the copy to {party} went {how} at {z(first.at)}, "
                     f"{describe_gap(original.created_at, first.at)} later",
                     expected=f"the copy at the same time (within {tolerance.total_seconds():g} s)")


def hand_over_not_made(view: CampaignView, judge: Judge, exchange: Exchange, rule: str) -> None:
    """A hand-over the scenario asked for but the SUT did not make: the channelling went untested.

    Inconclusive rather than not applicable, so that a CMS that cannot channel a request to a competent
    authority (Art 14(2)(b)) never passes the checks of that channelling by default.
    """
    wanted = exchange.facts.get("hand_over_requested")
    if not wanted:
        return
    judge.inconclusive(exchange.key, rule=rule, evidence=view.evidence(exchange),
                       observed=f"the operator's hand-over of the request to {wanted} could not be made: "
                       + ("; ".join(exchange.problems) or "no hand-over was recorded by the harness"))


def languages_of(state: str) -> list[str]:
    return list(state_of(state).languages)


def real_time_caveat(view: CampaignView) -> str | None:
    return view.real_time_note()
