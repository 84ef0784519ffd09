"""The scenarios in which each named defect shows: a kill-matrix defect run runs only those.

A defect run checks only the defect's requirements, but the model selects every scenario those requirements
judge (conformance/selection.py): a defect naming R-81 or R-55 would run nearly the whole campaign, though
it shows in one or two exchanges. `REVEALING` names, per defect, the scenarios whose exchanges fail the
defect's requirements against the defect (at least one scenario for each requirement), and the scenario that
drives a procedure judged on them (`retention.review`, whose review of the months-old cases R-90 judges: without
it the erasure check has nothing to judge and is inconclusive, not failed); the run takes those of
the scenarios its profile selects (`RunOptions.scenarios`, `spoc-harness run --scenarios`). A defect not
listed runs every scenario its requirements select, as before.

The lists were read off the failing check instances of a kill matrix run with the full selection; for a defect
caught on the yearly statistics or on exchanges no timeline names, one scenario with the kind of exchange the
defect mishandles (a wholly refused request for refused-counted-as-replied, an Art 7 copy for
copies-counted-as-requests) was chosen and the defect's run seen killed with it. They are checked when first
used (`check_revealing`: known defects, known scenarios, each giving evidence on one of the defect's
requirements), and the kill matrix itself (tests/conformance/test_kill_matrix.py,
`test_defect_is_caught`) holds that every defect is still killed with its narrower set. The clean run always
runs every scenario.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from simulators.reference_cms.defects import DEFECTS

__all__ = ["REVEALING", "RevealingError", "check_revealing", "revealing_scenarios"]


class RevealingError(ValueError):
    """A defect's revealing scenarios name an unknown defect or scenario, or one its requirements do not judge."""


REVEALING: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "late-urgent-reply": ("incoming.urgent-direct-night",),
    "deadline-from-first-view": ("incoming.urgent-indirect-holiday",),
    "clarification-restarts-clock": ("incoming.operator-clarification",),
    "refusal-without-ground": ("incoming.refusal",),
    "refusal-of-indirect-information": ("incoming.urgent-indirect-holiday",),
    "reply-in-own-language": ("incoming.partial-refusal",),
    "english-not-accepted": ("incoming.urgent-direct-night",),
    "no-spoc-copy-for-designated-request": ("outgoing.designated-authority",),
    "late-copy": (
        "outgoing.designated-authority", "outgoing.to-competent-authority", "outgoing.competent-authority-direct",
        "outgoing.own-initiative-to-competent-authority", "incoming.designated-authority",
    ),
    "non-siena-without-exception": ("outgoing.request-to-spoc",),
    "no-fallback-on-siena-outage": ("network.siena-outage",),
    "refused-counted-as-replied": ("incoming.refusal",),
    "audit-without-consultations": ("incoming.urgent-direct-night",),
    "no-delay-notice-for-judicial": ("incoming.judicial-granted",),
    "partial-refusal-refuses-all": ("incoming.partial-refusal",),
    "no-europol-decision": ("outgoing.request-to-spoc",),
    "personal-data-outside-categories": ("outgoing.own-initiative-unknown-subject-category",),
    "ignores-harness-clock": ("incoming.urgent-direct-night",),
    "no-reliability-elements": ("incoming.urgent-direct-night",),
    "no-cross-check": ("incoming.cross-check",),
    "late-retention-review": ("outgoing.request-to-spoc",),
    "refuses-instead-of-clarifying": ("incoming.clarification",),
    "no-copy-to-foreign-spoc-for-direct-request": ("outgoing.to-competent-authority",),
    "own-initiative-in-own-language": ("outgoing.own-initiative-to-spoc",),
    "rekeyed-message-ids": ("outgoing.request-to-spoc",),
    "disclosure-without-recipient": ("outgoing.request-to-spoc",),
    "copies-counted-as-requests": ("received.art7-copy",),
    "originator-consent-not-checked": ("incoming.originator-consent",),
    "own-initiative-not-recorded": ("outgoing.own-initiative-to-spoc",),
    "serious-own-initiative-held-for-approval": ("outgoing.own-initiative-to-spoc",),
    "no-spoc-copy-for-authority-own-initiative": ("outgoing.own-initiative-by-competent-authority",),
    "no-spoc-copy-for-authority-reply": ("incoming.direct-to-competent-authority",),
    "copies-withheld-for-restricted-handling": (
        "outgoing.to-competent-authority", "outgoing.competent-authority-direct",
    ),
    "judicial-application-next-working-day": ("incoming.judicial-granted",),
    "out-of-date-data-provided": ("incoming.data-quality",),
    "request-in-own-language": ("outgoing.reply-outside-thread",),
    "request-without-subject-link": ("outgoing.request-to-spoc",),
    "no-necessity-statement": ("outgoing.request-to-spoc",),
    "urgency-not-flagged-on-siena": ("outgoing.urgent-request",),
    "deadline-in-working-days": ("incoming.non-urgent-weekend",),
    "office-hours-only": ("incoming.urgent-direct-night", "incoming.urgent-indirect-holiday"),
    "copy-exception-not-recorded": (
        "outgoing.designated-authority-copy-withheld", "incoming.designated-authority-copy-withheld",
    ),
    "hand-over-outside-cms": ("incoming.non-urgent-holiday",),
    "clarification-request-not-answered": ("outgoing.request-to-spoc",),
    "authority-reply-outside-cms": ("incoming.direct-to-competent-authority",),
    "retention-review-without-erasure": ("incoming.urgent-direct-night", "retention.review"),
    "erasure-leaves-traces": ("incoming.urgent-direct-night", "retention.review"),
    "subject-category-from-request": ("incoming.personal-data",),
    "last-updated-from-import": ("incoming.urgent-direct-night",),
    "audit-without-alterations": ("incoming.cross-check",),
    "no-delay-updates": ("incoming.judicial-pending-long",),
    "copy-exception-defaulted": ("outgoing.designated-authority",),
    "fallback-labelled-third-country": ("network.siena-outage",),
    "urgent-designated-request-without-spoc-copy": ("generated.outgoing[05]",),
    "urgent-designated-reply-without-copy": ("generated.incoming[07]",),
    "urgent-authority-reply-without-spoc-copy": ("generated.incoming[10]",),
    "urgent-request-skips-consent-check": ("generated.incoming[03]",),
    "designated-authority-requests-office-hours-only": ("generated.incoming[03]",),
    "urgent-designated-requests-via-interpol": ("generated.outgoing[05]", "generated.outgoing[06]"),
    "refusal-in-english": ("generated.incoming[08]",),
    "only-open-cases-conclude": ("incoming.judicial-granted",),
    "subjectless-requests-never-queued": ("generated.incoming[30]",),
    "interpol-drops-own-state-copies": ("generated.outgoing[02]",),
    "sirene-requests-filed-as-sirene-business": ("generated.incoming[22]",),
    "contacts-and-informants-as-suspects": ("generated.incoming[25]",),
    "clarification-answered-without-content": ("outgoing.request-to-spoc",),
    "answers-filed-by-reference-only": ("outgoing.request-to-spoc",),
    "copy-read-first-files-request-as-copy": ("incoming.direct-to-competent-authority-copy-first",),
    "court-grant-taken-as-not-needed": ("incoming.judicial-granted-by-court",),
    "own-requests-left-open-when-answered": ("outgoing.request-to-spoc",),
    "separate-copies-filed-apart": ("outgoing.designated-authority-separate-copy",),
    "court-refusal-outweighed-by-grant": ("incoming.judicial-split-decision",),
    "answer-timer-ignores-judicial-wait": ("incoming.judicial-pending-long",),
    "language-read-from-message-not-request": ("incoming.request-language-not-message-language",),
    "answer-copy-processed-again": ("outgoing.designated-authority-partly-answered",),
    "designated-urgent-request-without-reasons": ("generated.outgoing[05]",),
    "urgent-indirect-waits-for-working-day": ("incoming.urgent-indirect-holiday",),
    "delay-updates-stop-at-estimate": ("incoming.judicial-pending-long",),
    "designated-reply-copy-batched": ("incoming.designated-authority",),
    "delay-notice-in-own-language": ("incoming.judicial-granted",),
    "third-country-consent-not-checked": ("generated.incoming[09]",),
    "authority-to-authority-own-initiative-one-copy": ("outgoing.own-initiative-authority-to-authority",),
    "own-initiative-unknown-category-unfiltered": ("outgoing.own-initiative-unknown-subject-category",),
    "europol-copy-dropped-on-fallback": ("network.siena-outage",),
    "fallback-channel-kept-after-outage": ("network.siena-outage",),
    "disclosure-audits-main-addressee": ("incoming.designated-authority",),
    "partial-replies-not-counted-as-replied": ("incoming.partial-refusal",),
    "domestic-disclosures-logged-as-collections": ("incoming.non-urgent-holiday",),
    "answers-filed-by-thread-only": ("outgoing.reply-outside-thread",),
    # The long judicial wait holds the one hand-over slot (its information is indirectly available) when the
    # generated urgent indirect request arrives, which the defect then drops.
    "second-hand-over-dropped": ("incoming.judicial-pending-long", "generated.incoming[26]",
                                 "incoming.urgent-indirect-holiday"),
})


def check_revealing(revealing: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """Problems of the lists (defect -> problems); empty when every name is known and every scenario gives
    evidence on one of its defect's requirements (a scenario the profile does not select would not run)."""
    # The scenario library takes a second to import; only a kill matrix or a defect run needs it.
    from conformance.scenarios.library import gives_evidence_on, load_scenarios

    scenarios = load_scenarios()
    problems: dict[str, list[str]] = {}
    for defect, names in revealing.items():
        found: list[str] = []
        if defect not in DEFECTS:
            found.append("not a named defect of the reference CMS")
        elif not names:
            found.append("names no scenario (leave the defect out to run every scenario)")
        for name in names:
            cls = scenarios.get(name)
            if cls is None:
                found.append(f"{name} is not a scenario of the library")
            elif defect in DEFECTS and not gives_evidence_on(cls, DEFECTS[defect].requirements):
                found.append(f"{name} gives no evidence on {', '.join(DEFECTS[defect].requirements)}")
        if found:
            problems[defect] = found
    return problems


@cache
def _checked() -> Mapping[str, tuple[str, ...]]:
    """`REVEALING`, checked once, at its first use (importing the kill matrix stays cheap)."""
    problems = check_revealing(REVEALING)
    if problems:
        raise RevealingError(f"revealing scenarios named wrongly: {problems}")
    return REVEALING


def revealing_scenarios(defect: str | None) -> list[str] | None:
    """The scenarios a run of `defect` takes (None: every scenario its profile selects, as for the clean run)."""
    revealing = _checked()
    if defect is None or defect not in revealing:
        return None
    return list(revealing[defect])
