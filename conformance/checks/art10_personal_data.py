"""Art 10: personal data provided are up to date, within Annex II Section B, with the elements to assess them."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.campaign.view import CampaignView
from conformance.catalogue import load_catalogue
from conformance.checks._ground_truth import held_records, same_time
from conformance.checks._support import answer_pending, completion, reply_pending
from conformance.ledger import Exchange, ExchangeKind
from conformance.verdicts import Judge, utc_text
from simulators.model.directive import DataSubjectCategory, PersonalDataCategory


@pytest.mark.requirement("R-47", article="Art 10(a)")
def test_inaccurate_data_not_provided(campaign: CampaignView, judge: Judge) -> None:
    """Information found out of date or inaccurate is not provided (Art 10(a), refusal ground DQ)."""
    rule = "personal data provided are accurate, complete and up to date (Art 10(a)); otherwise ground DQ"
    for exchange in campaign.journal.incoming(judge.requirement):
        done = completion(campaign, exchange)
        pending = answer_pending(campaign, exchange, done)
        for item, wanted in exchange.expected.items():
            if wanted == "DQ" and item in done.missing and pending:
                # Not provided yet is not withheld: the answer was still due.
                judge.inconclusive(f"{exchange.key}[{item}]", rule=rule, evidence=campaign.journal.evidence(exchange),
                                   observed=f"{campaign.times.answers_text(exchange)}; {pending}")
            elif wanted == "DQ":
                judge.check(item not in done.provided, f"{exchange.key}[{item}]", rule=rule,
                            evidence=campaign.journal.evidence(exchange),
                            observed=f"{campaign.times.answers_text(exchange)}; item {item} "
                            + ("provided" if item in done.provided else "not provided"),
                            expected="the out-of-date information withheld (refusal on DQ)")
        for reply in campaign.journal.of(exchange, "REPLY"):
            problems = _currency_problems(campaign, exchange, reply.field("information") or [])
            judge.check(not problems, f"{exchange.key}:{reply.message_id}", rule=rule,
                        evidence=campaign.journal.evidence(exchange),
                        observed="; ".join(problems) or "every item the database dates carries that date",
                        expected="the date of last update the national database holds, where it holds one "
                        "(null accepted where it holds none: 'as far as possible')")
    judge.else_not_applicable("no information was provided or withheld for its quality")


def _currency_problems(view: CampaignView, exchange: Exchange, information: list[Any]) -> list[str]:
    """Items whose date of last update differs from the database's: missing where it had one, or another one.

    Art 10(c) asks for the elements "as far as possible": a null date is honest where the database holds none.
    """
    problems: list[str] = []
    for info in information:
        if not isinstance(info, dict):
            continue
        item = str(info.get("item_id"))
        held = held_records(view, exchange, item, info.get("content"))
        dates = [h.last_updated for h in held if h.last_updated is not None]
        given = info.get("last_updated")
        if len(dates) != len(held) or not held:
            continue  # no record found, or one without a date: nothing the database could have passed on
        if not given:
            problems.append(f"item {item} without a date of last update, although the database dates it "
                            f"{', '.join(utc_text(d) for d in dates)}")
        elif not any(same_time(given, d) for d in dates):
            problems.append(f"item {item} dated {given}, although the database dates it "
                            f"{', '.join(utc_text(d) for d in dates)}")
    return problems


def _allowed(subject: str | None) -> frozenset[PersonalDataCategory]:
    whitelist = load_catalogue().personal_data
    if subject is None:
        return whitelist.narrowest()
    try:
        return whitelist.allowed(DataSubjectCategory(subject))
    except ValueError:
        return frozenset()


def _true_category(view: CampaignView, exchange: Exchange, info: dict[str, Any]) -> tuple[str | None, str]:
    """The data subject's category the harness's fixtures hold for the item, and where it came from.

    Falls back on the reply's label only where the harness loaded no record for the item (then said so).
    """
    held = held_records(view, exchange, str(info.get("item_id")), info.get("content"))
    categories = sorted({h.subject_category for h in held if h.subject_category})
    if len(categories) == 1:
        return categories[0], "the national database"
    if len(categories) > 1:
        # Several records of the subject disagree: judge on the narrowest of them.
        narrowest = min(categories, key=lambda c: len(_allowed(c)))
        return narrowest, f"the national database (narrowest of {categories})"
    stated = info.get("subject_category")
    return (str(stated) if stated else None), "the reply (the harness loaded no record for this item)"


@pytest.mark.requirement("R-48", article="Art 10(b)")
def test_personal_data_within_annex_categories(campaign: CampaignView, judge: Judge) -> None:
    """Personal data provided stay within the Annex II Section B categories for the data subject's category."""
    rule = ("the categories of personal data provided, per category of data subject, stay within Annex II "
            "Section B of Regulation (EU) 2016/794 (Art 10(b); catalogue reading); the data subject's category "
            "is the one the national database holds, not the reply's label")
    for exchange in campaign.journal.incoming(judge.requirement):
        reply_pending(campaign, judge, exchange, rule)
        for reply in campaign.journal.of(exchange, "REPLY"):
            for info in reply.field("information") or []:
                if not isinstance(info, dict):
                    continue
                subject, source = _true_category(campaign, exchange, info)
                label = info.get("subject_category")
                categories = [str(c) for c in info.get("data_categories") or []]
                allowed = {a.value for a in _allowed(subject)}
                outside = sorted(c for c in categories if c not in allowed)
                relabelled = f"; the reply labels the subject {label or 'not stated'}" if label != subject else ""
                judge.check(not outside, f"{exchange.key}:{reply.message_id}[{info.get('item_id')}]", rule=rule,
                            evidence=campaign.journal.evidence(exchange),
                            observed=f"data subject {subject or 'not stated'} (per {source}){relabelled}: "
                            f"categories {categories}" + (f"; outside Section B: {outside}" if outside else ""),
                            expected=f"only {sorted(allowed)}")
    _own_initiative_within_categories(campaign, judge, rule)
    judge.else_not_applicable("no personal data were provided")


def _own_initiative_within_categories(campaign: CampaignView, judge: Judge, rule: str) -> None:
    """Art 10(b) binds information provided on own initiative too (Chapter II): the data subject's category is
    the one the harness gave the operator, and with none given only the narrowest list may go."""
    for exchange in campaign.journal.exchanges(ExchangeKind.OWN_INITIATIVE_OUT, requirement=judge.requirement):
        stimulus = exchange.facts.get("stimulus")
        message = campaign.journal.message(exchange.message_id)
        if not isinstance(stimulus, dict) or message is None:
            continue
        subject = str(stimulus["subject_category"]) if stimulus.get("subject_category") else None
        allowed = {a.value for a in _allowed(subject)}
        for info in message.field("information") or []:
            if not isinstance(info, dict):
                continue
            categories = [str(c) for c in info.get("data_categories") or []]
            outside = sorted(c for c in categories if c not in allowed)
            judge.check(not outside, f"{exchange.key}:{message.message_id}[{info.get('item_id')}]", rule=rule,
                        evidence=campaign.journal.evidence(exchange),
                        observed=f"data subject {subject or 'not known to the operator'} (per the stimulus): "
                        f"categories {categories}" + (f"; outside Section B: {outside}" if outside else ""),
                        expected=f"only {sorted(allowed)}")


@pytest.mark.requirement("R-49", article="Art 10(c)")
def test_elements_to_assess_the_data(campaign: CampaignView, judge: Judge) -> None:
    """Personal data come with their source reliability, accuracy and, where the database has it, last update."""
    rule = ("with personal data, the elements to assess their accuracy, completeness, reliability and currency "
            "are supplied at the same time, as far as possible (Art 10(c)): the date of last update where the "
            "national database holds one")
    for exchange in campaign.journal.incoming(judge.requirement):
        reply_pending(campaign, judge, exchange, rule)
        for reply in campaign.journal.of(exchange, "REPLY"):
            for info in reply.field("information") or []:
                if not isinstance(info, dict) or not info.get("data_categories"):
                    continue
                problems = [f"missing {f}" for f in ("source_reliability", "information_accuracy") if not info.get(f)]
                problems += _currency_problems(campaign, exchange, [info])
                judge.check(not problems, f"{exchange.key}:{reply.message_id}[{info.get('item_id')}]", rule=rule,
                            evidence=campaign.journal.evidence(exchange),
                            observed="; ".join(problems) or "reliability, accuracy and the database's date given",
                            expected="source_reliability, information_accuracy and last_updated as the database "
                            "holds it (null where it holds none)")
    judge.else_not_applicable("no personal data were provided")
