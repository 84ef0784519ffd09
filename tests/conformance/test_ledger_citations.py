"""The ledger's index of what ties a message to an exchange gives exactly what a scan of the journal gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conformance.ledger import Exchange, ExchangeKind, Ledger, Observed

AT = datetime(2026, 3, 27, 9, tzinfo=UTC)


def _message(number: int, minutes: int, *, reply_to: str | None = None, reference: str | None = None) -> Observed:
    directive = {"kind": "REPLY", "case_reference": reference} if reference else None
    return Observed(message_id=f"M-{number}", channel="SIENA", sender="SPOC-AT", to=["SPOC-DE"],
                    created_at=AT + timedelta(minutes=minutes), in_reply_to=reply_to, directive=directive)


def _exchange(reference: str | None = None) -> Exchange:
    return Exchange(key="incoming.x", scenario="incoming", requirements=["R-10"], kind=ExchangeKind.INCOMING_REQUEST,
                    title="an incoming request", message_id="M-1", reference=reference)


def _scanned(ledger: Ledger, exchange: Exchange) -> list[Observed]:
    """Ledger.of_exchange as the whole journal, scanned, answers it."""
    ids = {e.message_id for e in exchange.events if e.message_id} | {exchange.message_id or ""}
    found = [m for m in ledger.observed.values()
             if m.message_id in ids or (exchange.reference and m.case_reference == exchange.reference)
             or m.in_reply_to in ids]
    return sorted(found, key=lambda m: m.created_at)


def test_the_messages_of_an_exchange_are_those_a_scan_finds_in_the_same_order() -> None:
    ledger = Ledger(seed=1)
    # Equal creation times keep the journal's order; a reply to an event's message belongs too.
    ledger.observe([_message(1, 0), _message(2, 5, reply_to="M-1"), _message(3, 5, reference="AT-1"),
                    _message(4, 1, reply_to="M-9"), _message(5, 2, reference="AT-2"), _message(6, 5, reply_to="M-4")])
    exchange = _exchange(reference="AT-1")
    exchange.add_event("clarification", AT, message_id="M-4")
    assert [m.message_id for m in ledger.of_exchange(exchange)] == [m.message_id for m in _scanned(ledger, exchange)]
    assert [m.message_id for m in ledger.of_exchange(exchange)] == ["M-1", "M-4", "M-2", "M-3", "M-6"]


def test_a_message_observed_later_is_found_by_the_next_query() -> None:
    ledger = Ledger(seed=1)
    ledger.observe([_message(1, 0)])
    exchange = _exchange()
    assert [m.message_id for m in ledger.of_exchange(exchange)] == ["M-1"]
    ledger.observe([_message(2, 3, reply_to="M-1")])
    assert [m.message_id for m in ledger.of_exchange(exchange)] == ["M-1", "M-2"]
