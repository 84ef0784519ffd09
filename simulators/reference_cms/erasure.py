"""Art 16(3) erasure of a case's personal data, everywhere the CMS keeps it.

The case record loses its persons, items and matches (engine._on_retention_review). What used to stay
behind is erased here too: the names in the request's free-text reasons and in the case's event
details, the stored copies of the messages received for the case (inbox), the audit entries' data and
the planned actions' payloads; then the database file's freed pages, where SQLite would otherwise
keep the old bytes (secure_delete zeroes them; the checkpoint moves the zeroed pages out of the WAL).
That last scrub is asked of the store and done by the worker once the actions due now are done, so that
the reviews falling due at one network time share it; the CMS is not idle before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from simulators.reference_cms.store import CaseState, Store

__all__ = ["ERASED", "FREE_TEXT_FIELDS", "erase_everywhere", "names_of", "redact"]

ERASED = "(erased at the retention review)"
# The request's free-text reasons (Art 4(5)): written by people, they name people.
FREE_TEXT_FIELDS = ("info_requested", "purpose", "availability_reasons", "subject_link", "use_restrictions",
                    "necessity_proportionality", "urgency_reasons")


def names_of(case: CaseState, store: Store) -> set[str]:
    """Every name the case holds: its entities' keys, items' and matches' subjects, its subject index."""
    names = set(store.subjects_of(case.case_id))
    request = case.request or {}
    for entity in request.get("entities") or []:
        attributes = entity.get("attributes") if isinstance(entity, dict) else None
        if isinstance(attributes, dict):
            names |= {value for value in attributes.values() if isinstance(value, str)}
    names |= {item.subject for item in case.items if item.subject}
    names |= {match.subject for match in store.cross_check_matches(case.case_id) if match.subject}
    return {name.strip() for name in names if len(name.strip()) >= 3 and not name.startswith("(erased")}


def redact(value: Any, names: Iterable[str]) -> Any:
    """`value` with every occurrence of each name (any case) replaced, in strings at any depth."""
    wanted = sorted(set(names), key=len, reverse=True)
    if not wanted:
        return value
    pattern = re.compile("|".join(re.escape(name) for name in wanted), re.IGNORECASE)

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return pattern.sub("(erased)", item)
        if isinstance(item, dict):
            return {key: walk(child) for key, child in item.items()}
        if isinstance(item, list):
            return [walk(child) for child in item]
        return item

    return walk(value)


def erase_everywhere(case: CaseState, store: Store, names: set[str]) -> None:
    """Erase `names` from what the case keeps outside its record, and from the database file.

    `names` were taken (names_of) before the record lost them; the case is saved here, so that the
    freed pages scrubbed after it include its old version.
    """
    if case.request:
        request = {key: (ERASED if key in FREE_TEXT_FIELDS and value else value) for key, value in case.request.items()}
        case.request = redact(request, names)
    case.events = redact(case.events, names)
    message_ids = {c.message_id for c in store.communications(case.case_id)}
    store.erase_case_traces(case.case_id, message_ids, lambda text: str(redact(text, names)))
    store.save_case(case)
    store.request_scrub()
