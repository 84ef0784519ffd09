"""Then steps: each asserts one requirement of the catalogue on the exchanges the scenario is about.

Every assertion is the verdict of the same check function the pytest suite runs
(conformance/checks, evaluated by conformance.evaluation). A failing step's message starts with
the requirement ID and the article, then says what was sent, what came back and when, and the
command that reproduces the run. A verdict the harness could not reach (inconclusive, e.g. a manual
step not done on a vendor CMS, or nothing to judge) skips the scenario with that explanation rather
than passing it.
"""

from __future__ import annotations

from typing import Any

from behave import then

from conformance.evaluation import GherkinRun
from conformance.gherkin import parse_duration, parse_moment, requirement_tags
from reports.results import Outcome
from simulators.model.deadlines import DeadlineMode, compute_deadline
from simulators.model.directive import Availability, RefusalGround


def require(context: Any, requirement: str, *, part: str | None = None, whole: bool = False) -> None:
    """Assert that the checks of `requirement` hold for the scenario's exchanges (or the whole campaign)."""
    harness: GherkinRun = context.harness
    tagged = requirement_tags(context.scenario.effective_tags)
    # The tags are what the traceability matrix and the reader see: a step may assert only those.
    assert requirement in tagged, (
        f"this step asserts {requirement} ({harness.article(requirement)}), which the scenario's tags do not name "
        f"(they name {harness.cited(tagged)})"
    )
    context.asserted.add(requirement)
    verdict = harness.verdict(requirement, None if whole else context.scope, part=part)
    if verdict.outcome in (Outcome.INCONCLUSIVE, Outcome.NOT_APPLICABLE):
        context.scenario.skip(reason=verdict.message())
        return
    if verdict.outcome is Outcome.WARNING:
        print(verdict.message())  # shown in the behave output and the JUnit system-out
    assert verdict.holds, verdict.message()


# -- Article 4 ------------------------------------------------------------------------------------------


@then(
    "each request specifies the information requested, the purpose with the facts and the underlying offence, the objective reasons to believe the information is available, and the restrictions on its use"
)
def request_content(context: Any) -> None:
    require(context, "R-07")


@then("each request meets the requirements of Article 4(2) to 4(6)")
def request_meets_article_4(context: Any) -> None:
    require(context, "R-01")


@then("the request is marked urgent and gives an urgency criterion of Article 4(4) with the reasons")
def urgency_stated(context: Any) -> None:
    require(context, "R-06")


@then("each request is written in one of the languages the requested Member State notified under Article 11")
def request_language(context: Any) -> None:
    require(context, "R-08")


@then("a copy of the request reaches the SPOC under test at the same time")
def designated_copy(context: Any) -> None:
    require(context, "R-03")


# -- Article 5 -----------------------------------------------------------------------------------------


def _deadline(context: Any) -> Any:
    """The Art 5(1) deadline of the exchanges in scope, under the run's reading of calendar days.

    The campaign's generated exchanges reuse the hand-written scenarios' moments of receipt, so a step
    naming one moment can select several requests received then; each must have the same deadline, and
    the step's table speaks of all of them.
    """
    harness: GherkinRun = context.harness
    view = harness.view
    deadlines = []
    for exchange in context.scope:
        received = view.times.received_at(exchange)
        assert received is not None, f"{exchange.key}: the request was never delivered"
        deadlines.append((exchange.key, compute_deadline(
            received,
            urgent=bool(exchange.urgent),
            availability=Availability(exchange.availability or "INDIRECT"),
            mode=view.settings.deadline_reading,
            timezone=view.settings.timezone,
        )))
    assert deadlines, "no exchange in scope"
    first_key, first = deadlines[0]
    for key, deadline in deadlines[1:]:
        assert (deadline.limit, deadline.due_utc) == (first.limit, first.due_utc), (
            f"{key} is due at {deadline.due_local:%Y-%m-%d %H:%M %Z} ({deadline.limit_iso}), but {first_key}, "
            f"received at the same moment, at {first.due_local:%Y-%m-%d %H:%M %Z} ({first.limit_iso})"
        )
    return first


@then("the time limit is {limit}, ending {hours:d} hours after the moment of receipt")
def time_limit(context: Any, limit: str, hours: int) -> None:
    deadline = _deadline(context)
    context.deadline = deadline
    assert deadline.limit == parse_duration(limit), f"{deadline.basis} sets {deadline.limit_iso}, not {limit}"
    assert deadline.limit.total_seconds() == hours * 3600, f"{deadline.basis}: {deadline.limit} is not {hours} hours"


@then("the information is due at the latest at {due}")
def due_moment(context: Any, due: str) -> None:
    deadline = context.deadline
    if deadline.mode is not DeadlineMode.ELAPSED:
        print(
            f"the table gives the elapsed reading; under {deadline.mode.value} the due moment is "
            f"{deadline.due_local:%Y-%m-%d %H:%M %Z}"
        )
        return
    assert deadline.due_utc == parse_moment(due), (
        f"{deadline.requirement} {deadline.basis}: the harness counts the limit to "
        f"{deadline.due_local:%Y-%m-%d %H:%M %Z}, not {due}"
    )


@then("the requested SPOC provides the information, or refuses it with reasons, before it is due")
def answered_before_due(context: Any) -> None:
    deadline = _deadline(context)
    require(context, deadline.requirement)


@then("it does so although the request arrived outside office hours, as the SPOC works 24 hours a day, 7 days a week")
def works_around_the_clock(context: Any) -> None:
    require(context, "R-68")


@then("the case management system of the requested SPOC tracks the time limit of the request")
def cms_tracks_limit(context: Any) -> None:
    require(context, "R-85")


@then(
    "the case management system records as the moment of receipt the moment the channel delivered the request, and counts the time limit from it"
)
def limit_from_receipt(context: Any) -> None:
    require(context, "R-13")


@then(
    "the requested SPOC immediately informs the requesting SPOC of the expected delay, stating its length and its reasons"
)
def delay_notice(context: Any) -> None:
    require(context, "R-15", part="notice")


@then("it keeps the requesting SPOC updated while the authorisation is pending")
def delay_updates(context: Any) -> None:
    require(context, "R-15", part="updates")


@then("the requested SPOC provides the information as soon as possible after the authorisation")
def provided_after_grant(context: Any) -> None:
    require(context, "R-15", part="after grant")


@then("the requested SPOC answers each of them in {language}")
def reply_language(context: Any, language: str) -> None:
    require(context, "R-16")


@then("a copy of the information provided reaches the SPOC of {state} at the same time")
def reply_copied(context: Any, state: str) -> None:
    require(context, "R-17")


# -- Article 6 -----------------------------------------------------------------------------------------


@then("the requested SPOC refuses the information concerned on ground {code}, Article 6(1) point {point}")
def refused_on_ground(context: Any, code: str, point: str) -> None:
    article = RefusalGround(code).article
    assert article == f"Art 6(1){point}", f"ground {code} is {article}, not Article 6(1) point {point}"
    require(context, "R-20")


@then("the requesting SPOC is told of the refusal, with its reasons, within 7 calendar days of receipt")
def refusal_notified(context: Any) -> None:
    require(context, "R-23")


@then(
    "every refusal received names one or more grounds of Article 6(1), and each ground applies to the information refused"
)
def refusals_on_listed_grounds(context: Any) -> None:
    require(context, "R-20", whole=True)


@then("the requested SPOC provides the information on the first person and refuses only the information on the second")
def partial_refusal(context: Any) -> None:
    require(context, "R-22")


@then(
    "every refusal, request for clarification and notice of delay is written in the language of the request it concerns"
)
def communications_language(context: Any) -> None:
    require(context, "R-26")


@then("the requested SPOC withholds the information and refuses it on ground OC, Article 6(1) point (h)")
def originator_consent(context: Any) -> None:
    require(context, "R-27")


@then("the requested SPOC immediately asks the requesting SPOC for clarification")
def clarification_asked(context: Any) -> None:
    require(context, "R-24")


@then(
    "it does not refuse the request for the missing element, as its task under Article 14(2)(e) is to clarify where needed"
)
def clarifies_rather_than_refuses(context: Any) -> None:
    require(context, "R-65")


@then(
    "the case management system suspends the 8-hour time limit from the request for clarification until the clarification"
)
def limit_suspended(context: Any) -> None:
    require(context, "R-25")


@then("the requested SPOC provides the information within 8 hours of receipt, not counting the suspension")
def answered_within_suspended_limit(context: Any) -> None:
    require(context, "R-10")


# -- Articles 7 and 8 --------------------------------------------------------------------------------


@then("the information is written in one of the languages {state} notified under Article 11")
def own_initiative_language(context: Any, state: str) -> None:
    require(context, "R-32")


@then("a copy of the information reaches the SPOC of {state} at the same time")
def own_initiative_copied(context: Any, state: str) -> None:
    require(context, "R-33")


@then("a copy of the information reaches the SPOC under test at the same time")
def domestic_own_initiative_copied(context: Any) -> None:
    require(context, "R-34")


@then("a copy of the request reaches the SPOC of {state} at the same time")
def request_to_authority_copied(context: Any, state: str) -> None:
    require(context, "R-40")


@then("a copy of the information that authority provides in reply reaches the SPOC under test at the same time")
def domestic_reply_copied(context: Any) -> None:
    require(context, "R-41")


@then("copies of the request reach the SPOC under test and the SPOC of {state} at the same time")
def direct_request_copied(context: Any, state: str) -> None:
    require(context, "R-42")


@then("every copy required by Article 8 was sent, or the ground of Article 8(3) for omitting it is recorded")
def omitted_copy_ground(context: Any) -> None:
    require(context, "R-43")


# -- Articles 9 to 13 ---------------------------------------------------------------------------------


@then(
    "the requested SPOC takes the steps to obtain the authorisation at once and tells the requesting SPOC of the delay"
)
def judicial_sought_at_once(context: Any) -> None:
    require(context, "R-46")


@then(
    "the personal data provided on each person stay within the categories allowed for the person's category of data subject"
)
def personal_data_categories(context: Any) -> None:
    require(context, "R-48")


@then(
    "every item of personal data provided states the reliability of its source, the accuracy of the information and, where the database dates it, when it was last updated"
)
def reliability_elements(context: Any) -> None:
    require(context, "R-49")


@then("none of them is refused for its language, and each is answered on its merits")
def english_accepted(context: Any) -> None:
    require(context, "R-50")


@then("the case management system records for each exchange whether a copy goes to Europol, and a decided copy is sent")
def europol_decision(context: Any) -> None:
    require(context, "R-52")


@then("every copy the SPOC under test sends to Europol states the purposes of processing and the restrictions on use")
def europol_copy_content(context: Any) -> None:
    # Copies to Europol are judged message by message, whichever exchange caused them.
    require(context, "R-53", whole=True)


@then(
    "every message about an exchange under the Directive that the SPOC under test sent travelled through SIENA, or states a reason of Article 13(2)"
)
def siena_by_default(context: Any) -> None:
    require(context, "R-54")


@then("the SPOC under test uses another channel only on a ground of Article 13(2), and says which: {ground}")
def channel_exception(context: Any, ground: str) -> None:
    require(context, "R-55")


# -- Article 14 --------------------------------------------------------------------------------------


@then("the requested SPOC evaluates and answers each of them, refusing none as not meeting Article 4")
def notified_languages_accepted(context: Any) -> None:
    require(context, "R-61")


@then("every item of information the national databases hold, and no ground of refusal withholds, is provided")
def provided_on_request(context: Any) -> None:
    require(context, "R-64")


@then("each of them is answered within its time limit, as the SPOC works 24 hours a day, 7 days a week")
def answered_out_of_hours(context: Any) -> None:
    require(context, "R-68")


@then(
    "the requested SPOC channels the request to that authority, records the hand-over and its answer, and provides the information"
)
def channelled(context: Any) -> None:
    require(context, "R-62")


@then("the SPOC under test answers with a clarification of its request that gives the offence and the link it stated")
def clarification_given(context: Any) -> None:
    require(context, "R-66")


# -- Article 16 ----------------------------------------------------------------------------------------


@then("one case management system holds a case for every exchange")
def single_cms(context: Any) -> None:
    require(context, "R-80")


@then(
    "every request, reply, refusal, request for clarification and clarification exchanged on the channels has a matching record, with its direction, counterpart, kind and time"
)
def communications_recorded(context: Any) -> None:
    require(context, "R-81")


@then("every provision of information, on request or on own initiative, is recorded")
def provisions_recorded(context: Any) -> None:
    require(context, "R-83")


@then("the case management system records the communications with that authority")
def domestic_communications_recorded(context: Any) -> None:
    require(context, "R-82")


@then("the case management system flags the match with the earlier exchange or the held information")
def cross_checked(context: Any) -> None:
    require(context, "R-84")


@then(
    "the case management system holds for each request the due moment of its Article 5(1) time limit and the request is answered by then"
)
def deadlines_tracked(context: Any) -> None:
    require(context, "R-85")


@then(
    "every SIENA message the SPOC under test received or sent appears in the case management system under its SIENA message identifier, and a message delivered twice opens only one case"
)
def siena_interoperability(context: Any) -> None:
    require(context, "R-86")


@then("the case management system generates the statistics of Article 18 for the calendar year")
def statistics_generated(context: Any) -> None:
    require(context, "R-87")


@then(
    "the audit log of the case management system records the collection, consultation and disclosure of the information of each exchange, each with its time, the person acting and the justification, and each disclosure with its recipient"
)
def audit_log(context: Any) -> None:
    require(context, "R-88")


@then("the case management system reviewed each concluded exchange no later than six months after its conclusion")
def retention_reviewed(context: Any) -> None:
    require(context, "R-91")


@then("it deleted the personal data it no longer needed, and logged the erasure")
def personal_data_erased(context: Any) -> None:
    require(context, "R-90")


# -- Article 18 ----------------------------------------------------------------------------------------

_FIGURES = {
    "number of requests submitted": "R-96",
    "number of requests received": "R-97",
    "number of requests replied to": "R-97",
    "number of requests refused under Article 6": "R-98",
    "number of deviations from the time limits for a judicial authorisation": "R-99",
}


@then("they cover the exchanges of that calendar year")
def statistics_for_the_year(context: Any) -> None:
    require(context, "R-95")


@then("the {figure} equals the harness's own count, {breakdown}")
def statistics_figure(context: Any, figure: str, breakdown: str) -> None:
    assert figure in _FIGURES, f"no Article 18(2) figure is called {figure!r}: {sorted(_FIGURES)}"
    require(context, _FIGURES[figure])
