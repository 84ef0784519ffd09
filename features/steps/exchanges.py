"""Given/When steps: which exchanges of the campaign a scenario is about.

The campaign (conformance.scenarios) drove every exchange before the first step runs; these steps
only pick, by the facts the scenario states, the exchanges its Then steps judge. A step that finds
no such exchange fails and lists what the campaign did instead: the scenario text and the campaign
must describe the same exchanges.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from behave import step

from conformance.evaluation import GherkinRun
from conformance.gherkin import parse_language, parse_moment, parse_state
from conformance.ledger import Exchange, ExchangeKind
from conformance.settings import TimeMode

Predicate = Callable[[Exchange], bool]

_AVAILABILITY = {"directly available": "DIRECT", "indirectly available": "INDIRECT"}
_URGENCY = {"urgent": True, "non-urgent": False}
_OUT_OF_HOURS = {"night", "weekend", "holiday", "dst"}


def _harness(context: Any) -> GherkinRun:
    harness: GherkinRun = context.harness
    return harness


def _summary(exchange: Exchange, harness: GherkinRun) -> str:
    when = harness.view.settings.local(exchange.sent_at).strftime("%a %Y-%m-%d %H:%M %Z") if exchange.sent_at else "?"
    urgency = "" if exchange.urgent is None else (" urgent" if exchange.urgent else " non-urgent")
    return f"{exchange.key} ({exchange.kind.value}{urgency}, {exchange.availability or '-'}, {when})"


def _wanted(context: Any, exchange: Exchange) -> bool:
    """The facts the Given steps stated so far."""
    want: dict[str, Any] = context.want
    if "availability" in want and exchange.availability != want["availability"]:
        return False
    if "judicial" in want and not exchange.facts.get("judicial"):
        return False
    if want.get("judicial") in ("granted", "refused") and exchange.facts.get("judicial") != want["judicial"]:
        return False
    if "incomplete" in want and want["incomplete"] not in (exchange.facts.get("incomplete") or []):
        return False
    if "ground" in want and want["ground"] not in exchange.expected.values():
        return False
    if "items" in want and len(exchange.expected) != want["items"]:
        return False
    if "handed_over" in want and not exchange.facts.get("handed_over_to"):
        return False
    journal = _harness(context).view.journal
    return not ("personal_data" in want
                and not any(journal.judged_by(rid, exchange) for rid in ("R-48", "R-49")))


def _select(context: Any, description: str, predicate: Predicate, *, kinds: tuple[ExchangeKind, ...] = ()) -> None:
    harness = _harness(context)
    candidates = harness.view.journal.exchanges(*kinds)
    found = [e for e in candidates if predicate(e) and _wanted(context, e)]
    if not found:
        stated = f" ({', '.join(f'{k}={v}' for k, v in context.want.items())})" if context.want else ""
        listing = "\n  ".join(_summary(e, harness) for e in candidates) or "none"
        raise AssertionError(
            f"{harness.cited(context.scenario.effective_tags)}: "
            f"the campaign drove no exchange matching the scenario: {description}{stated}.\n"
            f"Its exchanges of that kind were:\n  {listing}"
        )
    context.scope = found


def _at_moment(context: Any, text: str) -> Predicate:
    harness = _harness(context)
    if harness.view.settings.time_mode is TimeMode.REAL:
        context.scenario.skip(
            reason="the moments of receipt are reproduced only on the network clock (-D time_mode=virtual)"
        )
    moment = parse_moment(text)

    def predicate(exchange: Exchange) -> bool:
        received = harness.view.times.received_at(exchange)
        return received is not None and received == moment

    return predicate


def _stimulus(exchange: Exchange, field: str) -> Any:
    stimulus = exchange.facts.get("stimulus")
    return stimulus.get(field) if isinstance(stimulus, dict) else None


def _incoming(context: Any, description: str, predicate: Predicate = lambda e: True) -> None:
    _select(context, description, predicate, kinds=(ExchangeKind.INCOMING_REQUEST,))


def _outgoing(context: Any, description: str, predicate: Predicate, kind: ExchangeKind) -> None:
    _select(context, description, predicate, kinds=(kind,))


# -- roles (Background) ---------------------------------------------------------------------------


@step("the SPOC of the Member State under test is the {role} SPOC")
def role_of_the_sut(context: Any, role: str) -> None:
    assert role in ("requested", "requesting"), f"unknown role {role!r}"
    view = _harness(context).view  # runs the campaign on first use: a failure to run shows here
    assert view.spoc in view.sut_parties, f"the SUT does not operate {view.spoc}: {view.sut_parties}"
    context.role = role


@step("the SPOC of the Member State under test provides information on its own initiative")
def sut_provides_on_own_initiative(context: Any) -> None:
    role_of_the_sut(context, "requesting")


@step("the harness plays {parties}")
def harness_plays(context: Any, parties: str) -> None:
    # The harness acts as any party of the network through the channels' control token; naming the
    # parties is for the reader. Touching the campaign here surfaces a run that could not start.
    _harness(context).view  # noqa: B018


# -- what the national databases hold (Given) ------------------------------------------------------


@step(
    "the national databases of the requested Member State hold {availability} information on the subject of the request"
)
def databases_hold(context: Any, availability: str) -> None:
    context.want["availability"] = _AVAILABILITY[availability]


@step("its national law requires a judicial authorisation to provide that information")
def judicial_authorisation_needed(context: Any) -> None:
    context.want["judicial"] = True


@step("its national law requires a judicial authorisation to provide that information, which the court {decision}")
def judicial_authorisation_decided(context: Any, decision: str) -> None:
    context.want["judicial"] = {"grants": "granted", "refuses": "refused"}[decision]


@step(
    "the request omits the objective reasons to believe that the information is available, which Article 4(5)(c) requires"
)
def request_lacks_availability_reasons(context: Any) -> None:
    context.want["incomplete"] = "availability_reasons"


@step("ground {code} applies to the information requested: {situation}")
def ground_applies(context: Any, code: str, situation: str) -> None:
    context.want["ground"] = code


@step("the request asks for information on two persons")
def request_on_two_persons(context: Any) -> None:
    context.want["items"] = 2


@step(
    "the information on the subject of the request is held by a competent law enforcement authority of the Member State under test"
)
def held_by_domestic_authority(context: Any) -> None:
    context.want["handed_over"] = True


@step(
    "the national databases of the requested Member State hold personal data on suspects and witnesses, including data on a witness's finances and health"
)
def databases_hold_personal_data(context: Any) -> None:
    context.want["personal_data"] = True


# -- requests the SUT receives (When) ------------------------------------------------------------------


@step("the requested SPOC receives a request marked {urgency} for that information on {moment}, at {received}")
def receives_at(context: Any, urgency: str, moment: str, received: str) -> None:
    urgent, at = _URGENCY[urgency], _at_moment(context, received)
    _incoming(
        context,
        f"a request marked {urgency} received on {moment}, at {received}",
        lambda e: e.urgent is urgent and at(e),
    )


@step("the requested SPOC receives a request marked {urgency} for that information")
def receives(context: Any, urgency: str) -> None:
    urgent = _URGENCY[urgency]
    _incoming(context, f"a request marked {urgency}", lambda e: e.urgent is urgent)


@step("the requested SPOC receives requests for that information written in {language}")
def receives_in_language(context: Any, language: str) -> None:
    code = parse_language(language)
    _incoming(context, f"requests written in {language}", lambda e: e.language == code)


@step("the requested SPOC receives requests for that information")
def receives_requests(context: Any) -> None:
    _incoming(context, "requests for that information")


@step("the requested SPOC receives requests for information on those persons")
def receives_requests_on_persons(context: Any) -> None:
    _incoming(context, "requests for personal data on suspects and witnesses")


@step("the requested SPOC receives requests at night, at weekends and on public holidays")
def receives_out_of_hours(context: Any) -> None:
    _incoming(
        context,
        "requests received at night, at weekends or on public holidays",
        lambda e: bool(_OUT_OF_HOURS & set(e.labels)),
    )


@step(
    "the requested SPOC receives a request about a person on whom it exchanged information six days earlier, or a copy about a person its databases hold"
)
def receives_known_person(context: Any) -> None:
    _select(
        context,
        "a request or a copy about a known person",
        lambda e: bool(e.facts.get("cross_check_with")) or e.kind is ExchangeKind.DOMESTIC_COPY,
    )


@step(
    "a designated law enforcement authority of {state} sends a request for that information directly to the requested SPOC"
)
def designated_authority_asks(context: Any, state: str) -> None:
    requester = f"DLEA-{parse_state(state)}"
    _incoming(context, f"a request of {requester}", lambda e: e.requester == requester)


@step(
    "the SPOC of {state} sends a request directly to a competent law enforcement authority of the Member State under test"
)
def foreign_spoc_asks_domestic_authority(context: Any, state: str) -> None:
    requester = f"SPOC-{parse_state(state)}"
    _incoming(
        context,
        f"a request of {requester} to a domestic competent authority",
        lambda e: e.requester == requester and str(e.facts.get("recipient", "")).startswith("LEA-"),
    )


@step("the requesting SPOC sends the clarification two days after it received the request for clarification")
def clarified_two_days_later(context: Any) -> None:
    def two_days(e: Exchange) -> bool:
        asked, answered = e.event("clarification_requested"), e.event("clarification_received")
        return (
            asked is not None
            and answered is not None
            and abs(answered.at - asked.at - timedelta(days=2)) <= timedelta(hours=1)
        )

    _narrow(context, "the clarification was sent two days after the request for clarification", two_days)


@step("the court grants the judicial authorisation two days later")
def court_grants(context: Any) -> None:
    _narrow(context, "the judicial authorisation was granted", lambda e: e.event("judicial_granted") is not None)


def _narrow(context: Any, description: str, predicate: Predicate) -> None:
    scope: list[Exchange] = context.scope or []
    found = [e for e in scope if predicate(e)]
    if not found:
        raise AssertionError(
            f"{_harness(context).cited(context.scenario.effective_tags)}: in the campaign, not so: {description}, "
            f"for {[e.key for e in scope] or 'no exchange'}"
        )
    context.scope = found


@step("the requesting SPOCs have sent all the campaign's requests to the requested SPOC")
def all_incoming(context: Any) -> None:
    _incoming(context, "requests to the SUT")


@step("the campaign's exchanges with the SPOC under test have taken place")
def whole_campaign(context: Any) -> None:
    assert _harness(context).view.journal.exchanges(), "the campaign drove no exchange"
    context.scope = None


@step("the campaign's exchanges with the SPOC under test have taken place, including a request SIENA delivered twice")
def whole_campaign_with_duplicate(context: Any) -> None:
    _select(context, "a request delivered twice", lambda e: "duplicate" in e.labels)
    context.scope = None


@step(
    "the campaign's exchanges with the SPOC under test have been concluded and six months of network time have passed"
)
def retention_phase(context: Any) -> None:
    _select(context, "the retention phase", lambda e: e.kind is ExchangeKind.RETENTION)
    context.scope = None


@step("the campaign's direct exchanges between competent law enforcement authorities have taken place")
def direct_exchanges(context: Any) -> None:
    def demands_art8_copy(e: Exchange) -> bool:
        roles = e.facts.get("recipients") or {}
        return any(str(role).startswith("copy:ART_8") for role in roles.values())

    _outgoing(context, "exchanges demanding an Art 8 copy", demands_art8_copy, ExchangeKind.OUTGOING_REQUEST)


@step("SIENA is unavailable to the SPOC under test for 12 hours right after an urgent request arrives")
def siena_outage(context: Any) -> None:
    _incoming(
        context,
        "an urgent request followed by a 12-hour SIENA outage",
        lambda e: "outage" in e.labels and bool(e.urgent),
    )


@step("the statistics of the case management system for the calendar year of the campaign are exported")
def statistics_exported(context: Any) -> None:
    view = _harness(context).view
    year = view.settings.start_utc.year
    assert year in view.exports.statistics, f"the campaign did not ask for the statistics of {year}"
    context.scope = None


# -- what the SUT sends (When) ---------------------------------------------------------------------------


@step("the SPOC under test sends its requests for information to the SPOCs of other Member States")
def sut_sends_requests(context: Any) -> None:
    _outgoing(
        context,
        "requests from the SUT to foreign SPOCs",
        lambda e: str(e.counterpart or "").startswith("SPOC-"),
        ExchangeKind.OUTGOING_REQUEST,
    )


@step("the SPOC under test sends an urgent request for information to the SPOC of {state}")
def sut_sends_urgent(context: Any, state: str) -> None:
    to = f"SPOC-{parse_state(state)}"
    _outgoing(
        context,
        f"an urgent request to {to}",
        lambda e: e.counterpart == to and bool(e.urgent),
        ExchangeKind.OUTGOING_REQUEST,
    )


@step("the SPOC under test sends a request for information to the SPOC of {state}")
def sut_sends_request(context: Any, state: str) -> None:
    to = f"SPOC-{parse_state(state)}"
    _outgoing(
        context,
        f"a request of the SPOC to {to}",
        lambda e: e.counterpart == to and _stimulus(e, "by") == "SPOC",
        ExchangeKind.OUTGOING_REQUEST,
    )


@step("the SPOC of {state} asks the SPOC under test for clarification of the offence and of the link between the "
      "purpose and the person")
def foreign_spoc_asks_clarification(context: Any, state: str) -> None:
    _narrow(
        context,
        f"the SPOC of {state} asked for clarification of the offence and the subject link",
        lambda e: e.event("clarification_requested_by_harness") is not None
        and set(e.facts.get("clarification_asked") or []) >= {"offence", "subject_link"},
    )


@step("a designated law enforcement authority of the Member State under test sends a request to the SPOC of {state}")
def domestic_designated_sends(context: Any, state: str) -> None:
    to = f"SPOC-{parse_state(state)}"
    _outgoing(
        context,
        f"a request of a domestic designated authority to {to}",
        lambda e: e.counterpart == to and _stimulus(e, "by") == "DESIGNATED_AUTHORITY",
        ExchangeKind.OUTGOING_REQUEST,
    )


@step("the SPOC under test sends a request directly to a competent law enforcement authority of {state}")
def sut_asks_foreign_authority(context: Any, state: str) -> None:
    to = f"COMPETENT_AUTHORITY-{parse_state(state)}"
    _outgoing(
        context,
        f"a request of the SPOC to {to}",
        lambda e: e.counterpart == to and _stimulus(e, "by") == "SPOC",
        ExchangeKind.OUTGOING_REQUEST,
    )


@step(
    "a competent law enforcement authority of the Member State under test sends a request directly to a competent law enforcement authority of {state}"
)
def domestic_authority_asks_foreign(context: Any, state: str) -> None:
    to = f"COMPETENT_AUTHORITY-{parse_state(state)}"
    _outgoing(
        context,
        f"a request of a domestic competent authority to {to}",
        lambda e: e.counterpart == to and _stimulus(e, "by") == "COMPETENT_AUTHORITY",
        ExchangeKind.OUTGOING_REQUEST,
    )


@step("the SPOC under test sends a request that involves a third country, the United States")
def sut_request_with_third_country(context: Any) -> None:
    _outgoing(
        context,
        "a request involving the United States",
        lambda e: "US" in (_stimulus(e, "third_countries") or []),
        ExchangeKind.OUTGOING_REQUEST,
    )


@step("the SPOC under test provides information on its own initiative to the SPOC of {state}")
def sut_informs_spoc(context: Any, state: str) -> None:
    to = f"SPOC-{parse_state(state)}"
    _outgoing(
        context,
        f"own-initiative information of the SPOC to {to}",
        lambda e: e.counterpart == to and _stimulus(e, "by") == "SPOC",
        ExchangeKind.OWN_INITIATIVE_OUT,
    )


@step(
    "the SPOC under test provides information on a serious criminal offence on its own initiative to the SPOC of {state}"
)
def sut_informs_spoc_serious(context: Any, state: str) -> None:
    to = f"SPOC-{parse_state(state)}"
    _outgoing(
        context,
        f"own-initiative information on a serious offence to {to}",
        lambda e: e.counterpart == to and bool(_stimulus(e, "serious_offence")),
        ExchangeKind.OWN_INITIATIVE_OUT,
    )


@step(
    "the SPOC under test provides information on its own initiative to a competent law enforcement authority of {state}"
)
def sut_informs_foreign_authority(context: Any, state: str) -> None:
    to = f"COMPETENT_AUTHORITY-{parse_state(state)}"
    _outgoing(
        context,
        f"own-initiative information of the SPOC to {to}",
        lambda e: e.counterpart == to,
        ExchangeKind.OWN_INITIATIVE_OUT,
    )


@step(
    "a competent law enforcement authority of the Member State under test provides information on its own initiative to the SPOC of {state}"
)
def domestic_authority_informs(context: Any, state: str) -> None:
    to = f"SPOC-{parse_state(state)}"
    _outgoing(
        context,
        f"own-initiative information of a domestic competent authority to {to}",
        lambda e: e.counterpart == to and _stimulus(e, "by") == "COMPETENT_AUTHORITY",
        ExchangeKind.OWN_INITIATIVE_OUT,
    )
