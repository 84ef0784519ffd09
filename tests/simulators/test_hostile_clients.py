"""Hostile clients with a valid party token (or a malformed one): problems, never 500s or used-up numbers.

Each body here once answered 500 and used up a message and a case number: a 1,000-deep document, the
non-finite numbers JSON itself does not have (NaN, Infinity, 1e400), an integer longer than Python's
int-string limit, a lone surrogate. Each must be a 4xx problem naming the field, and the next valid
send must get the very numbers it would have had.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.simulators.conftest import Net

DEEP = "[" * 1000 + "]" * 1000
HUGE_INT = "9" * 5000

SIRENE_G = {
    "form_type": "G",
    "f001_sent_at_utc": "2026-03-02T10:00:00+00:00",
    "f002_form_ref": "AT-2026-000001",
    "f003_sender_bureau": "SIRENE-AT",
    "f004_recipient_bureaux": ["SIRENE-DE"],
    "f005_schengen_id": "DE0000012345",
    "alert_article": "36",
    "hit_place": "Salzburg, A1 border crossing",
    "hit_time_utc": "2026-03-02T09:40:00+00:00",
    "action_taken": "discreet check carried out",
    "language": "de",
}
INTERPOL_DIFFUSION = {
    "kind": "DIFFUSION",
    "sender": "NCB-DE",
    "to": ["NCB-FR"],
    "colour": "BLUE",
    "language": "en",
    "subject": "Locate and report: fraud suspect",
    "person": {"name": "BEISPIEL", "nationalities": ["DE"]},
    "person_status": "SUSPECT",
    "offence_max_penalty_years": 5,
}
DIRECTIVE = {"kind": "REQUEST", "urgency": "NON_URGENT"}


def _with(base: dict[str, Any], field: str, raw_value: str) -> bytes:
    """`base` as JSON text with `field` set to the raw JSON text `raw_value` (not valid Python JSON)."""
    import json

    marker = "__RAW__"
    text = json.dumps({**base, field: marker})
    return text.replace(f'"{marker}"', raw_value).encode()


SIENA_PATH, SIRENE_PATH, INTERPOL_PATH = "/siena/messages", "/sirene/forms", "/interpol/messages"
CHANNELS = {
    "siena": (SIENA_PATH, "SPOC-DE", None),
    "sirene": (SIRENE_PATH, "SIRENE-AT", SIRENE_G),
    "interpol": (INTERPOL_PATH, "NCB-DE", INTERPOL_DIFFUSION),
}
HOSTILE: dict[str, tuple[str, str]] = {  # name: (field, raw JSON value)
    "deep": ("subject", DEEP),
    "nan": ("directive", '{"kind": "REQUEST", "weight": NaN}'),
    "infinity": ("directive", '{"kind": "REQUEST", "weight": -Infinity}'),
    "overflow": ("directive", '{"kind": "REQUEST", "weight": 1e400}'),
    "huge_int": ("directive", '{"kind": "REQUEST", "weight": ' + HUGE_INT + "}"),
    "surrogate": ("subject", '"\\ud800 alone"'),
}


def _valid(channel: str, sender: str) -> dict[str, Any]:
    base = CHANNELS[channel][2]
    return dict(base) if base is not None else Net.message(sender)


async def _numbers(net: Net) -> tuple[dict[str, int], dict[str, int]]:
    network = net.network
    # (a number given back leaves its counter at 0, which is the same as no counter)
    return ({k: v for k, v in network.accepting.message_numbers.items() if v},
            {k: v for k, v in network.accepting.case_numbers.items() if v})


@pytest.mark.parametrize("channel", sorted(CHANNELS))
@pytest.mark.parametrize("hostile", sorted(HOSTILE))
async def test_hostile_body_is_a_problem_and_uses_up_no_number(net: Net, channel: str, hostile: str) -> None:
    path, sender, _ = CHANNELS[channel]
    field, raw = HOSTILE[hostile]
    if channel == "sirene" and field == "subject":
        field = "hit_place"
    body = _with(_valid(channel, sender), field, raw)
    before = await _numbers(net)
    answer = await net.call("POST", path, party=sender, raw=body, headers={"Content-Type": "application/json"})
    assert answer.status in (400, 422), (answer.status, answer.body)
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    named = " ".join(answer.fields)
    # The field, or the body where the parser itself refused the text (400, or nesting it cannot walk).
    assert field in named if answer.status == 422 and hostile != "deep" else named == "(body)", answer.body
    assert await _numbers(net) == before
    traffic = await net.call("GET", "/control/traffic", control=True)
    assert traffic.body["messages"] == []
    verify = await net.call("GET", "/control/journal/verify", control=True)
    assert verify.body["ok"] is True, verify.body


async def test_after_hostile_sends_the_next_send_gets_the_first_numbers(net: Net) -> None:
    for field, raw in HOSTILE.values():
        await net.call("POST", SIENA_PATH, party="SPOC-DE", raw=_with(Net.message("SPOC-DE"), field, raw),
                       headers={"Content-Type": "application/json"})
    sent = await net.send("SPOC-DE")
    assert sent.status == 201
    assert (sent.body["message_id"], sent.body["case_id"]) == ("SIENA-000000001", "SC-000000001")


@pytest.mark.parametrize("token", ["tök", "\u20ac\u20ac", "tok\udcff"])
async def test_a_non_ascii_bearer_token_is_401(net: Net, token: str, caplog: pytest.LogCaptureFixture) -> None:
    header = f"Bearer {token}".encode("utf-8", "surrogateescape")
    for path in ("/siena/mailbox", "/control/traffic"):
        answer = await net.call("GET", path, headers={"Authorization": header.decode("latin-1")})
        assert answer.status == 401, answer.body
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        assert answer.fields == ["Authorization"]
    assert "Traceback" not in caplog.text
    assert "incident" not in caplog.text


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "1e400", HUGE_INT])
async def test_a_hostile_penalty_is_named(net: Net, raw: str) -> None:
    body = _with(INTERPOL_DIFFUSION, "offence_max_penalty_years", raw)
    answer = await net.call("POST", INTERPOL_PATH, party="NCB-DE", raw=body,
                            headers={"Content-Type": "application/json"})
    assert answer.status == 422, answer.body
    assert answer.fields == ["offence_max_penalty_years"]
