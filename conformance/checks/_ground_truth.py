"""What the harness itself knows about an exchange: the national-database records it loaded as fixtures
and the request it sent. Checks judge the SUT's replies against these, never against the reply's own
description of the data (a CMS that mislabels a witness as a suspect must not pass on its own label).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from conformance.campaign.view import CampaignView
from conformance.ledger import Exchange

__all__ = ["HeldRecord", "decided_exception", "held_records", "loaded_fixtures", "parse_time", "same_time"]

# The match keys of a fixture record, by entity type (docs/sut-interface.md, fixtures).
_MATCH_ATTRIBUTE = {"PERSON": "name", "ORGANISATION": "name", "VEHICLE": "registration", "DOCUMENT": "number"}
# A date of last update passed on is the database's own: equal to the second (JSON may drop microseconds).
_SAME_TIME = timedelta(seconds=1)


@dataclass(frozen=True)
class HeldRecord:
    """A fixture record the harness loaded, seen from the requested item it answers."""

    record: dict[str, Any]
    stated_category: str | None  # the data subject's category the harness's request stated, if any

    @property
    def subject_category(self) -> str | None:
        """The database's category of the data subject; the request's statement where the record has none
        (the order the SUT test interface documents for fixtures)."""
        value = self.record.get("subject_category")
        return str(value) if value else self.stated_category

    @property
    def last_updated(self) -> datetime | None:
        return parse_time(self.record.get("last_updated"))

    @property
    def item(self) -> str:
        return str(self.record.get("item", ""))


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def same_time(given: Any, held: datetime) -> bool:
    moment = parse_time(given)
    return moment is not None and moment.tzinfo is not None and abs(moment - held) <= _SAME_TIME


def loaded_fixtures(view: CampaignView) -> list[dict[str, Any]]:
    """The records of the last fixture load the SUT accepted (an empty list when none was)."""
    for action in reversed(view.ledger.actions):
        if action.what == "fixtures" and action.method == "PUT" and (action.status or 500) < 300 \
                and isinstance(action.request, dict):
            return [r for r in action.request.get("records") or [] if isinstance(r, dict)]
    return []


def _request_of(view: CampaignView, exchange: Exchange) -> dict[str, Any]:
    opened = view.ledger.get(exchange.message_id)
    request = opened.field("request") if opened is not None else None
    return request if isinstance(request, dict) else {}


def held_records(view: CampaignView, exchange: Exchange, item_id: str, content: Any = None) -> list[HeldRecord]:
    """The loaded records that answer `item_id` of the exchange's request: those about its entity, narrowed to
    the one whose text the reply carries when there is such a record."""
    request = _request_of(view, exchange)
    item = next((i for i in request.get("items") or [] if isinstance(i, dict) and i.get("item_id") == item_id), None)
    entities = [e for e in request.get("entities") or [] if isinstance(e, dict)]
    entity = next((e for e in entities if item and e.get("entity_id") == item.get("entity_id")), None)
    if entity is None:
        return []
    attribute = _MATCH_ATTRIBUTE.get(str(entity.get("type")), "name")
    key = str((entity.get("attributes") or {}).get(attribute, "")).casefold()
    stated = entity.get("subject_category")
    found = [HeldRecord(r, str(stated) if stated else None) for r in loaded_fixtures(view)
             if key and str(r.get("subject", "")).casefold() == key]
    exact = [h for h in found if content is not None and h.item == str(content)]
    return exact or found


def decided_exception(exchange: Exchange, recorded: Any) -> tuple[str | None, str | None]:
    """The copy exception that may excuse an omitted copy, and why a recorded one may not.

    Omitting a copy is the operator's decision, case by case (Arts 4(2), 7, 8(3)). On an exchange the harness
    stimulated, it made that decision itself (the stimulus's `copy_exception`), so a ground the SUT recorded
    counts only if it is the one decided: a CMS that fills the ground in by itself does not excuse the omission.
    Elsewhere (no stimulus) the recorded ground is all there is to judge.
    """
    stimulus = exchange.facts.get("stimulus")
    if not isinstance(stimulus, dict):
        return (str(recorded) if recorded else None), None
    decided = stimulus.get("copy_exception")
    if not recorded:
        return None, None
    if decided and str(decided) == str(recorded):
        return str(recorded), None
    return None, (f"the SUT recorded the exception {recorded}, but the operator decided "
                  f"{decided or 'no exception'} (the harness's stimulus), so it does not excuse an omitted copy")
