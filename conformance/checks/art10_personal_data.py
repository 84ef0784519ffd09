"""Art 10: personal data provided are up to date, within Annex II Section B, with the elements to assess them."""

from __future__ import annotations

import pytest

from conformance.campaign.view import CampaignView
from conformance.catalogue import load_catalogue
from conformance.checks._support import answer_pending, completion, reply_pending
from conformance.verdicts import Judge
from simulators.model.directive import DataSubjectCategory, PersonalDataCategory


@pytest.mark.requirement("R-47", article="Art 10(a)")
def test_inaccurate_data_not_provided(campaign: CampaignView, judge: Judge) -> None:
    """Information found out of date or inaccurate is not provided (Art 10(a), refusal ground DQ)."""
    rule = "personal data provided are accurate, complete and up to date (Art 10(a)); otherwise ground DQ"
    for exchange in campaign.incoming("R-47"):
        done = completion(campaign, exchange)
        pending = answer_pending(campaign, exchange, done)
        for item, wanted in exchange.expected.items():
            if wanted == "DQ" and item in done.missing and pending:
                # Not provided yet is not withheld: the answer was still due.
                judge.inconclusive(f"{exchange.key}[{item}]", rule=rule, evidence=campaign.evidence(exchange),
                                   observed=f"{campaign.answers_text(exchange)}; {pending}")
            elif wanted == "DQ":
                judge.check(item not in done.provided, f"{exchange.key}[{item}]", rule=rule,
                            evidence=campaign.evidence(exchange),
                            observed=f"{campaign.answers_text(exchange)}; item {item} "
                            + ("provided" if item in done.provided else "not provided"),
                            expected="the out-of-date information withheld (refusal on DQ)")
        for reply in campaign.of(exchange, "REPLY"):
            undated = [str(i.get("item_id")) for i in reply.field("information") or []
                       if isinstance(i, dict) and not i.get("last_updated")]
            judge.check(not undated, f"{exchange.key}:{reply.message_id}", rule=rule,
                        observed=f"items without the date of their last update: {undated or 'none'}",
                        expected="every item dated, so that its currency can be judged")
    if not judge.findings:
        judge.not_applicable("no information was provided or withheld for its quality")


def _allowed(subject: str | None) -> frozenset[PersonalDataCategory]:
    whitelist = load_catalogue().personal_data
    if subject is None:
        return whitelist.narrowest()
    try:
        return whitelist.allowed(DataSubjectCategory(subject))
    except ValueError:
        return frozenset()


@pytest.mark.requirement("R-48", article="Art 10(b)")
def test_personal_data_within_annex_categories(campaign: CampaignView, judge: Judge) -> None:
    """Personal data provided stay within the Annex II Section B categories for the data subject's category."""
    rule = ("the categories of personal data provided, per category of data subject, stay within Annex II "
            "Section B of Regulation (EU) 2016/794 (Art 10(b); catalogue reading)")
    for exchange in campaign.incoming("R-48"):
        reply_pending(campaign, judge, exchange, rule)
        for reply in campaign.of(exchange, "REPLY"):
            for info in reply.field("information") or []:
                if not isinstance(info, dict):
                    continue
                subject = info.get("subject_category")
                categories = [str(c) for c in info.get("data_categories") or []]
                outside = sorted(c for c in categories if c not in {a.value for a in _allowed(subject)})
                judge.check(not outside, f"{exchange.key}:{reply.message_id}[{info.get('item_id')}]", rule=rule,
                            evidence=campaign.evidence(exchange),
                            observed=f"data subject {subject or 'not stated'}: categories {categories}"
                            + (f"; outside Section B: {outside}" if outside else ""),
                            expected=f"only {sorted(a.value for a in _allowed(subject))}")
    if not judge.findings:
        judge.not_applicable("no personal data were provided")


@pytest.mark.requirement("R-49", article="Art 10(c)")
def test_elements_to_assess_the_data(campaign: CampaignView, judge: Judge) -> None:
    """Personal data come with their source reliability, accuracy and date of last update."""
    rule = ("with personal data, the elements to assess their accuracy, completeness, reliability and currency "
            "are supplied at the same time (Art 10(c))")
    for exchange in campaign.incoming("R-49"):
        reply_pending(campaign, judge, exchange, rule)
        for reply in campaign.of(exchange, "REPLY"):
            for info in reply.field("information") or []:
                if not isinstance(info, dict) or not info.get("data_categories"):
                    continue
                missing = [f for f in ("source_reliability", "information_accuracy", "last_updated") if not info.get(f)]
                judge.check(not missing, f"{exchange.key}:{reply.message_id}[{info.get('item_id')}]", rule=rule,
                            evidence=campaign.evidence(exchange),
                            observed=f"missing {missing}" if missing else "reliability, accuracy and date given",
                            expected="source_reliability, information_accuracy and last_updated")
    if not judge.findings:
        judge.not_applicable("no personal data were provided")
