"""What several check modules share: how an exchange was answered, and the Art 5(1) judgement of it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from conformance.campaign.engine import deadline_marks
from conformance.campaign.runner import Exports
from conformance.campaign.view import CampaignView
from conformance.ledger import Exchange, Observed
from conformance.settings import TimeMode
from conformance.sut import ExportedCommunication
from conformance.verdicts import DeadlineJudgement, Judge, describe_gap, judge_deadline, message_evidence, utc_text
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
    "judge_limit",
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
    done_at: datetime | None = None  # the Art 5(1) time: the network's, or in declared mode the SUT's record
    network_done_at: datetime | None = None  # the network's time, whatever the mode (for everything else)
    answered_by: list[Observed] = field(default_factory=list)  # the answers whose times count
    messages: list[Observed] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing


def completion(view: CampaignView, exchange: Exchange) -> Completion:
    result = Completion()
    expected = exchange.expected or {"I1": "provide"}
    answers = view.journal.answers(exchange)
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
    counted: dict[str, Observed] = {}
    for item, wanted in expected.items():
        if item in result.provided:
            counted.setdefault(result.provided[item].message_id, result.provided[item])
            if wanted != "provide":
                result.provided_instead.append(item)
        elif item in result.refused:
            message, grounds = result.refused[item]
            counted.setdefault(message.message_id, message)
            if wanted == "provide":
                result.wrongly_refused[item] = grounds
            elif wanted not in grounds:
                result.wrong_ground[item] = (wanted, grounds)
        else:
            result.missing.append(item)
    if not result.missing and counted:
        result.answered_by = list(counted.values())
        result.done_at = max(view.times.answered_at(m, exchange) for m in result.answered_by)
        result.network_done_at = max(m.created_at for m in result.answered_by)
    return result


def answer_pending(view: CampaignView, exchange: Exchange, done: Completion | None = None) -> str | None:
    """Why the items still unanswered prove nothing yet: in real time mode the campaign stopped watching
    (after --real-wait seconds) before the most lenient Art 5(1) limit of the request had passed.

    None when every item is answered, or when the observation outlasted that limit, and always on a
    virtual timeline (CampaignTimes.unseen_before): then what is missing is missing. A check judges what it
    did observe first: an answer already given wrongly fails whatever the mode.
    """
    done = done if done is not None else completion(view, exchange)
    received = view.times.network_received_at(exchange)
    if not done.missing or received is None:
        return None
    due = max(deadline_marks(exchange, received, view.settings))
    return view.times.unseen_before(due, f"answer to item(s) {', '.join(done.missing)}")


def reply_pending(view: CampaignView, judge: Judge, exchange: Exchange, rule: str) -> None:
    """No information provided yet while it was still due (answer_pending): what a reply will hold is
    unknown, not inapplicable; recorded as inconclusive."""
    if "provide" not in exchange.expected.values() or view.journal.of(exchange, "REPLY"):
        return
    pending = answer_pending(view, exchange)
    if pending:
        judge.inconclusive(exchange.key, rule=rule, evidence=view.journal.evidence(exchange),
                           observed=f"{view.times.answers_text(exchange)}; {pending}")


def as_exported(view: CampaignView, judge: Judge, exports: Exports | None = None) -> CampaignView:
    """The view a records check compares with the SUT's exports: the campaign up to the export's time.

    Case records, the audit log and the statistics are judged against what had happened when they
    were exported (the end of the main timeline unless `exports` says otherwise); a message the SUT
    sent or received later cannot be missing from them. The judge's message names those it left out.
    """
    exported = view.as_exported(exports)
    judge.note(lambda: _left_out_note(exported))
    return exported


_NAMED = 8


def _left_out_note(exported: CampaignView) -> str | None:
    later = sorted(exported.left_out, key=lambda m: m.created_at)
    if not later or exported.as_of is None:
        return None
    named = ", ".join(f"{m.message_id} {m.kind or 'message'} at {utc_text(m.created_at)}" for m in later[:_NAMED])
    more = f" and {len(later) - _NAMED} more" if len(later) > _NAMED else ""
    return (f"the SUT's records were exported at {utc_text(exported.as_of)}; {len(later)} later message(s) to or from "
            f"the SUT were not judged against them, since an export cannot hold what happened after it: "
            f"{named}{more}")


def limit_availability(view: CampaignView, exchange: Exchange) -> tuple[str | None, str | None]:
    """The availability that sets an urgent request's limit, and a misclassification to report.

    The SUT's exported classification decides (Art 2(6)-(7) is the requested side's call); where it
    contradicts what the harness put into the national databases, the harness's knowledge wins and a
    classification of directly available data as indirect is reported (it would stretch 8 h to 3 days).
    """
    case = view.records.case(exchange)
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


def judge_limit(
    view: CampaignView,
    exchange: Exchange,
    *,
    what: str,
    answers: Sequence[Observed],
    answered_at: datetime | None,
    availability: str | None,
    answer: str,
    received_at: datetime | None = None,
    suspensions: Sequence[tuple[datetime, datetime]] | None = None,
) -> DeadlineJudgement | None:
    """`judge_deadline` on the times the time mode prescribes (None when the request was never received).

    `answers` are the SUT's messages whose times make `answered_at`. In the declared mode with a SUT clock
    that disagrees with the network's (`CampaignTimes.cross_clock`), only a span between two times the SUT
    recorded is judged: a receipt or answer it did not record cannot be replaced by the network's time.
    """
    received = received_at or view.times.received_at(exchange)
    if received is None:
        return None
    cross_clock = view.times.cross_clock
    judgement = judge_deadline(
        what=what, received_at=received, answered_at=answered_at, urgent=bool(exchange.urgent),
        availability=availability, settings=view.settings, observed_until=view.observed_until,
        suspensions=view.times.suspensions(exchange) if suspensions is None else suspensions, answer=answer,
        cross_clock=cross_clock,
    )
    if cross_clock is None:
        return judgement
    undeclared = _not_on_the_sut_clock(view, exchange, answers, answered_at, cross_clock)
    return replace(judgement, outcome=Outcome.INCONCLUSIVE, observed=undeclared) if undeclared else judgement


def _not_on_the_sut_clock(view: CampaignView, exchange: Exchange, answers: Sequence[Observed],
                          answered_at: datetime | None, cross_clock: str) -> str | None:
    """Why the span from receipt to answer is not one between two times of the SUT's own clock; else None.

    With no answer yet, `judge_deadline` says why its absence proves nothing. An end that is no message of the
    SUT's (its own deadline, `answers` empty) is on the clock of its receipts.
    """
    if view.times.declared_received_at(exchange) is None:
        return (f"the SUT recorded no receipt of {exchange.message_id}, and the network's delivery cannot stand in "
                f"for it: {cross_clock}")
    if answered_at is None or not answers:
        return None
    if view.times.mixed_spans is not None:
        return f"the receipt and answer times the SUT recorded cannot be judged: {view.times.mixed_spans}"
    unrecorded = [m.message_id for m in answers if view.times.declared_at(m, exchange) is None]
    if unrecorded:
        return (f"the SUT recorded no time for its answer {', '.join(unrecorded)}, and the network's cannot stand "
                f"in for it: {cross_clock}")
    return None


def deadline_finding(view: CampaignView, judge: Judge, exchange: Exchange, *, what: str) -> None:
    """Judge when the exchange was answered against its Art 5(1) limit (with any suspension)."""
    evidence = view.journal.evidence(exchange)
    done = completion(view, exchange)
    availability, misclassified = limit_availability(view, exchange) if exchange.urgent else ("INDIRECT", None)
    judgement = judge_limit(view, exchange, what=what, answers=done.answered_by, answered_at=done.done_at,
                            availability=availability,
                            answer="complete answer (information provided or lawfully refused)")
    if judgement is None:
        judge.inconclusive(exchange.key, rule=what, observed=f"the request was never sent: {exchange.problems}")
        return
    observed = f"{view.times.sent_text(exchange)}; {view.times.answers_text(exchange)}; {judgement.observed}"
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
    elif outcome is Outcome.PASSED and view.times.cross_clock is not None and exchange.labels:
        outcome = Outcome.INCONCLUSIVE
        observed += (f"; the {', '.join(exchange.labels)} timing was the network's, not the SUT's clock's: "
                     f"{view.times.cross_clock}")
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
    invalid_exception: str | None = None,
) -> None:
    """A copy of `original` must reach `party` at the same time (within the configured tolerance).

    `exception` excuses a missing copy; `invalid_exception` says why a ground the SUT recorded does not."""
    if original is None:
        judge.inconclusive(instance, rule=rule, observed="the message to be copied was never sent")
        return
    tolerance = view.settings.copy_tolerance
    if original.sender == party:
        judge.passed(instance, rule=rule, observed=f"{original.message_id} was sent by {party} itself, which thus "
                     "holds it (no copy needed)")
        return
    copies = view.journal.copies(original, party)
    internal = view.records.internal_copies(original, party) if not copies else []
    if evidence:
        shown = list(evidence)
    elif instance in view.ledger.exchanges:
        shown = view.journal.evidence(view.ledger.exchanges[instance])
    else:
        shown = [message_evidence(original)]
    if not copies and internal:
        _internal_copy_finding(view, judge, instance, original, party, internal, rule=rule, evidence=shown)
        return
    if not copies and (unseen := view.times.unseen_before(original.created_at + tolerance, f"copy to {party}")):
        judge.inconclusive(instance, rule=rule, evidence=shown, observed=f"{original.summary()}; {unseen}")
        return
    if not copies:
        if exception:
            judge.passed(instance, rule=rule, observed=f"no copy to {party}; the exception {exception} is recorded",
                         evidence=shown)
            return
        judge.failed(instance, rule=rule, evidence=shown,
                     observed=f"{original.summary()}; no copy reached {party}, and "
                     + (invalid_exception or "no exception ground is recorded"),
                     expected=f"a copy to {party} sent with it (within {tolerance.total_seconds():g} s)")
        return
    first = min(copies, key=lambda c: c.at)
    gap = first.at - original.created_at
    how = "in the same message" if first.same_message else f"as {first.message.message_id} {first.message.kind}"
    if gap <= tolerance:
        judge.passed(instance, rule=rule, evidence=shown,
                     observed=f"copy to {party} {how} at {utc_text(first.at)} with {original.message_id}")
    else:
        judge.failed(instance, rule=rule, evidence=shown,
                     observed=f"{original.summary()}; the copy to {party} went {how} at {utc_text(first.at)}, "
                     f"{describe_gap(original.created_at, first.at)} later",
                     expected=f"the copy at the same time (within {tolerance.total_seconds():g} s)")


def _internal_copy_finding(view: CampaignView, judge: Judge, instance: str, original: Observed, party: str,
                           internal: list[ExportedCommunication], *, rule: str, evidence: list[Evidence]) -> None:
    """A copy that stayed inside the CMS has only the CMS's time: against the original's network time, or, when
    the SUT keeps a clock of its own (declared mode), against the time it recorded for the original."""
    tolerance = view.settings.copy_tolerance
    first_internal = min(internal, key=lambda c: c.at or original.created_at)
    at = first_internal.at or original.created_at
    against, which = original.created_at, ""
    cross_clock = view.times.cross_clock
    if cross_clock is not None:
        recorded = [c.at for case in view.records.cases_of_message(original.message_id) for c in case.communications
                    if c.message_id == original.message_id and c.at is not None]
        if first_internal.at is None or not recorded:
            judge.inconclusive(instance, rule=rule, evidence=evidence,
                               observed=f"{original.summary()}; the copy to {party} stayed inside the CMS "
                               f"({first_internal.message_id}), and the SUT recorded no time for "
                               f"{'the copy' if first_internal.at is None else 'the original'}, so only a network "
                               f"time could be set against it: {cross_clock}")
            return
        against, which = min(recorded), f" (the SUT recorded {original.message_id} at {utc_text(min(recorded))})"
    judge.check(at - against <= tolerance, instance, rule=rule, evidence=evidence,
                observed=f"{original.summary()}; the copy to {party} stayed inside the CMS "
                f"({first_internal.message_id} on {first_internal.channel}) at {utc_text(at)}{which}",
                expected=f"the copy at the same time (within {tolerance.total_seconds():g} s)")


def hand_over_not_made(view: CampaignView, judge: Judge, exchange: Exchange, rule: str) -> None:
    """A hand-over the scenario asked for but the SUT did not make: the channelling went untested.

    Inconclusive rather than not applicable, so that a CMS that cannot channel a request to a competent
    authority (Art 14(2)(b)) never passes the checks of that channelling by default.
    """
    wanted = exchange.facts.get("hand_over_requested")
    if not wanted:
        return
    judge.inconclusive(exchange.key, rule=rule, evidence=view.journal.evidence(exchange),
                       observed=f"the operator's hand-over of the request to {wanted} could not be made: "
                       + ("; ".join(exchange.problems) or "no hand-over was recorded by the harness"))


def languages_of(state: str) -> list[str]:
    return list(state_of(state).languages)


def real_time_caveat(view: CampaignView) -> str | None:
    return view.times.real_time_note()
