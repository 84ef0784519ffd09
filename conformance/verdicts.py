"""How a check reaches its outcome and explains it.

A check looks at several instances (every urgent request of the campaign, every copy, ...) and
records one `Finding` per instance with a `Judge`. The check's outcome is the worst finding
(failed > warning > inconclusive > passed; not_applicable when nothing applied). Every finding that
is not a pass states the requirement and article, what was sent, what came back and when (network
time), the rule, and how to reproduce it; `Judge.message()` renders them for the report.

`judge_deadline` is the one place where an Art 5(1) limit is applied, under the configured reading:
- `elapsed`: in time by elapsed time is a pass; late by elapsed time but in time under the Reg
  1182/71 reading is a WARNING (the reading is unverified, so the answer is neither clearly in time
  nor clearly late); later still is a failure;
- `reg1182`: in time under that reading is a pass (saying so when it was late by elapsed time); late
  under it but in time by elapsed time (a day period across a spring clock change can end up to an
  hour earlier under Reg 1182/71) is a WARNING; later still is a failure.
For an urgent request whose availability the SUT did not classify, the strictest limit (8 hours)
decides a pass, more than 3 days decides a failure, and an answer between the two is inconclusive.
When the receipt and answer times are those a SUT with a clock of its own declared (`cross_clock`),
only the span between them is judged: an absence at the end of the campaign, and an Art 6(3) suspension
timed by the network, cannot be set against them (conformance.campaign.clocks).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from conformance.ledger import Action, Observed
from conformance.settings import CampaignSettings
from reports.results import Evidence, Outcome, combine_outcomes, excerpt, finding_text
from simulators.model.deadlines import Deadline, DeadlineMode, compute_deadline, iso_duration
from simulators.model.directive import Availability

__all__ = [
    "DeadlineJudgement",
    "Finding",
    "Judge",
    "action_evidence",
    "describe_gap",
    "judge_deadline",
    "message_evidence",
    "utc_text",
]


def utc_text(moment: datetime | None) -> str:
    """A moment as ISO 8601 with "Z" for UTC (as the journal writes it), or "never"."""
    if moment is None:
        return "never"
    return moment.isoformat().replace("+00:00", "Z")


def describe_gap(start: datetime, end: datetime) -> str:
    """'10 h 5 min after' style spans for messages."""
    span = end - start
    sign = "" if span >= timedelta(0) else "-"
    seconds = abs(int(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    text = " ".join(p for p in parts if p) or f"{secs} s"
    return sign + text


# Each journal message's evidence, rendered once: the checks cite the same messages again and again (about
# seven times each in a full campaign). Keyed by the message object, which is kept with its entry so that
# its id cannot be reused; a ledger replaces a message whose acknowledgements change, never edits it, so
# a new state of a message is a new key. Bounded: a process that runs many campaigns starts afresh.
_RENDERED: dict[int, tuple[Observed, dict[str | None, Evidence]]] = {}
_RENDERED_LIMIT = 20_000


def message_evidence(message: Observed, note: str | None = None) -> Evidence:
    kept = _RENDERED.get(id(message))
    if kept is None or kept[0] is not message:
        if len(_RENDERED) >= _RENDERED_LIMIT:
            _RENDERED.clear()
        kept = (message, {})
        _RENDERED[id(message)] = kept
    by_note = kept[1]
    evidence = by_note.get(note)
    if evidence is None:
        evidence = by_note[note] = _render_message_evidence(message, note)
    return evidence


def _render_message_evidence(message: Observed, note: str | None) -> Evidence:
    return Evidence(
        at=message.created_at,
        channel=message.channel,
        message_id=message.message_id,
        sender=message.sender,
        recipients=message.recipients,
        kind=message.kind,
        summary=note or message.summary(),
        request=excerpt(json.dumps(message.model_dump(mode="json"), ensure_ascii=False)),
    )


def action_evidence(action: Action, note: str | None = None) -> Evidence:
    return Evidence(
        at=action.at,
        channel="sut" if action.actor == "sut" else "control" if action.actor == "control" else "harness",
        message_id=(action.response or {}).get("message_id") if isinstance(action.response, dict) else None,
        sender=action.actor,
        kind=f"{action.method} {action.what}",
        summary=note or f"{action.what} {action.url} -> {action.status}",
        request=excerpt(json.dumps(action.request, ensure_ascii=False)) if action.request is not None else None,
        response=excerpt(json.dumps(action.response, ensure_ascii=False)) if action.response is not None else None,
    )


@dataclass(frozen=True)
class Finding:
    outcome: Outcome
    instance: str
    rule: str
    observed: str
    expected: str | None = None
    evidence: tuple[Evidence, ...] = ()
    curl: tuple[str, ...] = ()

    def text(self) -> str:
        return finding_text(self.instance, self.outcome, self.observed, self.expected, self.rule)


@dataclass
class Judge:
    """Collects the findings of one check; the plugin turns them into its outcome and report."""

    check_id: str
    title: str
    requirements: tuple[str, ...]
    article: str
    settings: CampaignSettings | None = None
    command: str = ""
    findings: list[Finding] = field(default_factory=list)
    not_applicable_reason: str | None = None
    # Said with the outcome whatever it is; a callable is asked when the message is written, so that a
    # note can report on what the check went on to do (e.g. the messages it left out).
    notes: list[str | Callable[[], str | None]] = field(default_factory=list)

    @property
    def requirement(self) -> str:
        """The one requirement the check judges, as its marker states it (the only place a check names it)."""
        if len(self.requirements) != 1:
            raise ValueError(f"check {self.check_id} judges {list(self.requirements) or 'no requirement'}: "
                             "name the one to select by explicitly")
        return self.requirements[0]

    # -- recording --------------------------------------------------------------------------

    def record(
        self,
        outcome: Outcome,
        instance: str,
        *,
        rule: str,
        observed: str,
        expected: str | None = None,
        evidence: Sequence[Evidence] = (),
        curl: Sequence[str] = (),
    ) -> None:
        self.findings.append(
            Finding(outcome, instance, rule, observed, expected, tuple(evidence), tuple(curl))
        )

    def passed(self, instance: str, *, rule: str, observed: str, evidence: Sequence[Evidence] = ()) -> None:
        self.record(Outcome.PASSED, instance, rule=rule, observed=observed, evidence=evidence)

    def failed(
        self,
        instance: str,
        *,
        rule: str,
        observed: str,
        expected: str,
        evidence: Sequence[Evidence] = (),
        curl: Sequence[str] = (),
    ) -> None:
        self.record(Outcome.FAILED, instance, rule=rule, observed=observed, expected=expected,
                    evidence=evidence, curl=curl)

    def warning(
        self, instance: str, *, rule: str, observed: str, expected: str | None = None,
        evidence: Sequence[Evidence] = (),
    ) -> None:
        self.record(Outcome.WARNING, instance, rule=rule, observed=observed, expected=expected, evidence=evidence)

    def inconclusive(
        self, instance: str, *, rule: str, observed: str, evidence: Sequence[Evidence] = ()
    ) -> None:
        self.record(Outcome.INCONCLUSIVE, instance, rule=rule, observed=observed, evidence=evidence)

    def not_applicable(self, reason: str) -> None:
        self.not_applicable_reason = reason

    def else_not_applicable(self, reason: str) -> None:
        """Not applicable, for `reason`, unless a finding was recorded: the closing line of most checks."""
        if not self.findings:
            self.not_applicable(reason)

    def note(self, text: str | Callable[[], str | None]) -> None:
        """Something the reader must know about the check as a whole (not a finding: it grades nothing)."""
        self.notes.append(text)

    def noted(self) -> list[str]:
        said = (note() if callable(note) else note for note in self.notes)
        return [text for text in said if text]

    def check(
        self,
        ok: bool,
        instance: str,
        *,
        rule: str,
        observed: str,
        expected: str,
        evidence: Sequence[Evidence] = (),
    ) -> bool:
        if ok:
            self.passed(instance, rule=rule, observed=observed, evidence=evidence)
        else:
            self.failed(instance, rule=rule, observed=observed, expected=expected, evidence=evidence)
        return ok

    def apply(self, instance: str, judgement: DeadlineJudgement, evidence: Sequence[Evidence] = ()) -> None:
        self.record(judgement.outcome, instance, rule=judgement.rule, observed=judgement.observed,
                    expected=judgement.expected, evidence=evidence)

    # -- result -----------------------------------------------------------------------------

    @property
    def outcome(self) -> Outcome:
        outcome = combine_outcomes(f.outcome for f in self.findings)
        return outcome if outcome is not None else Outcome.NOT_APPLICABLE

    def message(self) -> str:
        """The whole explanation: the summary, each finding that did not pass, and how to reproduce them."""
        notable = self.notable()
        lines = [self.summary(), *(f.text() for f in notable)]
        if notable and self.settings is not None:
            lines.append(f"reproduce: {self.command} (seed {self.settings.seed})")
        return "\n".join(lines)

    def summary(self) -> str:
        """The explanation without the findings that did not pass (results.json keeps those as instances, and
        CheckResult.explanation puts them back): head, counts, notes, and the passed findings when all passed."""
        outcome = self.outcome
        head = f"{', '.join(self.requirements)} {self.article}: {outcome.value.upper()} - {self.title}"
        notes = [f"note: {text}" for text in self.noted()]
        if not self.findings:
            reason = self.not_applicable_reason or "no instance of this rule occurred in the campaign"
            return "\n".join([head, reason, *notes])
        lines = [head]
        counts = {o: sum(1 for f in self.findings if f.outcome is o) for o in Outcome}
        lines.append(
            f"{len(self.findings)} instance(s): "
            + ", ".join(f"{n} {o.value}" for o, n in counts.items() if n)
        )
        lines += notes  # before the findings, which a long report may cut short
        if not self.notable():
            lines += [f.text() for f in self.findings]
        return "\n".join(lines)

    def notable(self) -> list[Finding]:
        """The findings that did not pass."""
        return [f for f in self.findings if f.outcome is not Outcome.PASSED]

    def evidence(self, limit: int = 40) -> list[Evidence]:
        chosen = [f for f in self.findings if f.outcome is not Outcome.PASSED] or self.findings
        seen: set[tuple[str | None, str]] = set()
        evidence: list[Evidence] = []
        for finding in chosen:
            for step in finding.evidence:
                key = (step.message_id, step.summary)
                if key not in seen:
                    seen.add(key)
                    evidence.append(step)
        return sorted(evidence, key=lambda e: e.at)[:limit]

    def curl(self) -> list[str]:
        return list(dict.fromkeys(c for f in self.findings if f.outcome is not Outcome.PASSED for c in f.curl))

    def first(self, outcome: Outcome) -> Finding | None:
        return next((f for f in self.findings if f.outcome is outcome), None)


@dataclass(frozen=True)
class DeadlineJudgement:
    outcome: Outcome
    rule: str
    observed: str
    expected: str
    deadline: Deadline


# Long: the Art 5(1) decision for one answer under both deadline readings, with
# suspensions and the cross-clock caveat; its branches are the legal cases, read together.
def judge_deadline(
    *,
    what: str,
    received_at: datetime,
    answered_at: datetime | None,
    urgent: bool,
    availability: Availability | str | None,
    settings: CampaignSettings,
    observed_until: datetime,
    suspensions: Sequence[tuple[datetime, datetime]] = (),
    answer: str = "answer",
    cross_clock: str | None = None,
) -> DeadlineJudgement:
    """Apply the Art 5(1) limit to one answer (or to its absence at `observed_until`).

    `cross_clock`: set (to the measured disagreement) when `received_at` and `answered_at` are times the SUT
    declared on a clock of its own, which `observed_until` and `suspensions` (network times) are not on.
    """
    if cross_clock is not None:
        return _judge_on_own_clock(what=what, received_at=received_at, answered_at=answered_at, urgent=urgent,
                                   availability=availability, settings=settings, observed_until=observed_until,
                                   suspensions=suspensions, answer=answer, cross_clock=cross_clock)
    if urgent and availability is None:
        return _judge_unclassified(what=what, received_at=received_at, answered_at=answered_at,
                                   settings=settings, observed_until=observed_until,
                                   suspensions=suspensions, answer=answer)
    chosen = Availability(availability) if availability is not None else Availability.INDIRECT

    def due(mode: DeadlineMode) -> Deadline:
        return compute_deadline(received_at, urgent=urgent, availability=chosen, mode=mode,
                                timezone=settings.timezone, suspensions=suspensions)

    elapsed, reg1182 = due(DeadlineMode.ELAPSED), due(DeadlineMode.REG1182)
    primary = elapsed if settings.deadline_reading is DeadlineMode.ELAPSED else reg1182
    rule = (
        f"{what}: {answer} at the latest {primary.limit_iso} after receipt ({primary.basis}; "
        f"{primary.mode.value} reading)"
    )
    expected = f"{answer} by {utc_text(primary.due_utc)} ({primary.due_local.isoformat()} local)"
    received = f"received {utc_text(received_at)}"
    if primary.suspended:
        received += f", clock suspended {iso_duration(primary.suspended)} (Art 6(3) §2)"
    if answered_at is None:
        if observed_until < primary.due_utc:
            note = settings.real_time_note()
            return DeadlineJudgement(Outcome.INCONCLUSIVE, rule,
                                     f"{received}; no {answer} yet when the campaign ended at "
                                     f"{utc_text(observed_until)}, before the deadline" + (f"; {note}" if note else ""),
                                     expected, primary)
        other = reg1182 if primary is elapsed else elapsed
        if observed_until < other.due_utc:
            return DeadlineJudgement(Outcome.WARNING, rule,
                                     f"{received}; no {answer} by {utc_text(primary.due_utc)} ({primary.mode.value} "
                                     f"reading); the campaign ended at {utc_text(observed_until)}, before the "
                                     f"{other.mode.value} due time {utc_text(other.due_utc)}", expected, primary)
        return DeadlineJudgement(Outcome.FAILED, rule,
                                 f"{received}; no {answer} at all by {utc_text(observed_until)}", expected, primary)
    took = describe_gap(received_at, answered_at)
    observed = f"{received}; {answer} at {utc_text(answered_at)} ({took} after receipt)"
    if answered_at <= primary.due_utc:
        if primary is reg1182 and answered_at > elapsed.due_utc:
            observed += f"; in time only under the Reg 1182/71 reading (elapsed due {utc_text(elapsed.due_utc)})"
        return DeadlineJudgement(Outcome.PASSED, rule, observed, expected, primary)
    if primary is elapsed and answered_at <= reg1182.due_utc:
        observed += (
            f"; late by elapsed time (due {utc_text(elapsed.due_utc)}) but in time under the unverified "
            f"Reg 1182/71 reading (due {utc_text(reg1182.due_utc)})"
        )
        return DeadlineJudgement(Outcome.WARNING, rule, observed, expected, primary)
    if primary is reg1182 and answered_at <= elapsed.due_utc:
        # Across a spring clock change a Reg 1182/71 day period can end before the elapsed one; an
        # answer between the two is late only under the unverified reading, so it is not a failure.
        observed += (
            f"; late under the Reg 1182/71 reading (due {utc_text(reg1182.due_utc)}) but in time by elapsed "
            f"time (due {utc_text(elapsed.due_utc)})"
        )
        return DeadlineJudgement(Outcome.WARNING, rule, observed, expected, primary)
    observed += f"; {describe_gap(primary.due_utc, answered_at)} late"
    return DeadlineJudgement(Outcome.FAILED, rule, observed, expected, primary)


def _judge_on_own_clock(
    *,
    what: str,
    received_at: datetime,
    answered_at: datetime | None,
    urgent: bool,
    availability: Availability | str | None,
    settings: CampaignSettings,
    observed_until: datetime,
    suspensions: Sequence[tuple[datetime, datetime]],
    answer: str,
    cross_clock: str,
) -> DeadlineJudgement:
    """The span from receipt to answer, both on the SUT's clock; nothing that needs the network's times.

    A suspension only pushes the due time back, so an answer in time without it is in time; otherwise how
    much of the network's suspension to count on the SUT's clock is unknown, and so is the outcome.
    """
    plain = judge_deadline(what=what, received_at=received_at, answered_at=answered_at, urgent=urgent,
                           availability=availability, settings=settings, observed_until=received_at,
                           answer=answer)
    received = f"received {utc_text(received_at)} by the SUT's clock"
    if answered_at is None:
        return replace(plain, outcome=Outcome.INCONCLUSIVE, observed=(
            f"{received}; no {answer} recorded; whether one was due before the campaign ended at "
            f"{utc_text(observed_until)} by the network's clock cannot be told: {cross_clock}"))
    observed = plain.observed.replace(f"received {utc_text(received_at)}", received, 1)
    spans = ", ".join(f"{utc_text(start)}..{utc_text(end)}" for start, end in suspensions)
    if not suspensions:
        return replace(plain, observed=observed)
    if plain.outcome is Outcome.PASSED:
        return replace(plain, observed=f"{observed}; in time even without the Art 6(3) suspension ({spans} by the "
                       "network's clock)")
    return replace(plain, outcome=Outcome.INCONCLUSIVE, observed=(
        f"{observed} without the Art 6(3) suspension; the suspension ran {spans} by the network's clock, which "
        f"cannot be counted on the SUT's: {cross_clock}"))


def _judge_unclassified(
    *,
    what: str,
    received_at: datetime,
    answered_at: datetime | None,
    settings: CampaignSettings,
    observed_until: datetime,
    suspensions: Sequence[tuple[datetime, datetime]],
    answer: str,
) -> DeadlineJudgement:
    strict = judge_deadline(what=what, received_at=received_at, answered_at=answered_at, urgent=True,
                            availability=Availability.DIRECT, settings=settings, observed_until=observed_until,
                            suspensions=suspensions, answer=answer)
    if strict.outcome in (Outcome.PASSED, Outcome.INCONCLUSIVE):
        return strict
    lenient = judge_deadline(what=what, received_at=received_at, answered_at=answered_at, urgent=True,
                             availability=Availability.INDIRECT, settings=settings,
                             observed_until=observed_until, suspensions=suspensions, answer=answer)
    if lenient.outcome is Outcome.FAILED:
        return lenient
    return DeadlineJudgement(
        Outcome.INCONCLUSIVE,
        f"{what}: the SUT did not export whether the information is directly or indirectly available, "
        "so the limit is 8 hours (Art 5(1)(a)) or 3 calendar days (Art 5(1)(b))",
        f"{strict.observed}; within 3 days but not within 8 hours",
        f"{answer} within 8 hours, or an exported 'INDIRECT' classification",
        strict.deadline,
    )
