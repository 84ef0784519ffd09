"""The channel registry: every layer reads a channel from its `ChannelSpec`, and a fourth channel is
one spec and its service module (followed on a scratch copy of the simulators, served by the real CLI)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest

import simulators
from simulators.app import ServerConfig
from simulators.model.channels import (
    CHANNELS,
    ChannelName,
    UnknownChannelError,
    channel_spec,
    served_channels,
    spec_for_key,
)
from simulators.model.parties import PartyKind, all_parties

# The recipe's two edits of simulators/model/channels.py, and its service module.
_MEMBER_ANCHOR = '    INTERPOL = "INTERPOL"\n'
_SPEC_ANCHOR = "    # A channel outside the simulated network"
_TOY_SPEC = '''    ChannelSpec(
        name=ChannelName.PRUM,
        title="Pruem-style automated exchange",
        case_prefix="PC",
        send_path="/prum/queries",
        party_kinds=frozenset({PartyKind.SPOC}),
        service_module="simulators.prum",
        mailbox_kinds=(PartyKind.SPOC,),
        state_address=PartyKind.SPOC,
    ),
'''
_TOY_SERVICE = '''"""A toy channel: automated reference queries between SPOCs (Pruem-style)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from simulators.model.channels import CHANNELS, ChannelName
from simulators.model.envelope import Envelope
from simulators.runtime.http import accepted_response, caller, idempotency_key
from simulators.runtime.mailbox import add_mailbox_routes
from simulators.runtime.network import NETWORK, SendRequest
from simulators.runtime.openapi import route
from simulators.runtime.problems import read_model

SPEC = CHANNELS[ChannelName.PRUM]


class PrumQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sender: str
    to: list[str] = Field(min_length=1)
    reference: str


async def send(request: web.Request) -> web.Response:
    party = caller(request).require_party()
    query = await read_model(request, PrumQuery)
    network = request.app[NETWORK]
    if query.sender != party or not all(SPEC.admits(p) for p in (party, *query.to)):
        await network.refuse(party, "send", f"send on {SPEC.title} as {query.sender} to {query.to}")
    envelope = await network.accept(SendRequest(
        channel=SPEC.name, sender=query.sender, to=query.to, payload={"reference": query.reference},
        idempotency_key=idempotency_key(request)))
    return accepted_response(request, envelope, location=f"{SPEC.send_path}/{envelope.message_id}")


def setup(app: web.Application) -> None:
    route(app, "POST", SPEC.send_path, send, operation_id="prum_send", tag=SPEC.name.value, channel=SPEC.name,
          send=True, summary="Send a query", request=PrumQuery, responses={201: Envelope, 200: Envelope})
    add_mailbox_routes(app, SPEC.name)
'''


def test_every_channel_name_has_one_spec_and_each_served_one_a_module() -> None:
    assert set(CHANNELS) == set(ChannelName)
    assert len({spec.case_prefix for spec in CHANNELS.values()}) == len(CHANNELS)
    for spec in served_channels():
        assert spec.service_module is not None
        assert spec.send_path.startswith(spec.url_prefix + "/")
        assert spec.party_kinds >= set(spec.mailbox_kinds)
    assert [s.key for s in served_channels()] == list(ServerConfig(data=Path()).channels)


def test_specs_are_found_by_name_and_key_and_unknown_ones_say_which_exist() -> None:
    assert channel_spec("interpol") is CHANNELS[ChannelName.INTERPOL]
    assert spec_for_key(" SIRENE ") is CHANNELS[ChannelName.SIRENE]
    with pytest.raises(UnknownChannelError, match="choose from siena, sirene, interpol"):
        spec_for_key("other")  # named by the network, served by nobody
    with pytest.raises(UnknownChannelError, match="SIENA, SIRENE, INTERPOL"):
        channel_spec("telex")


def test_a_state_is_addressed_on_each_channel_through_its_stand_in_and_read_through_its_mailboxes() -> None:
    assert CHANNELS[ChannelName.INTERPOL].state_party("AT") == "NCB-AT"
    assert CHANNELS[ChannelName.SIRENE].state_party("AT") == "SIRENE-AT"
    assert CHANNELS[ChannelName.SIENA].state_party("AT") == "SPOC-AT"
    assert CHANNELS[ChannelName.OTHER].state_party("AT") is None
    assert CHANNELS[ChannelName.SIENA].mailboxes("DE") == ["SPOC-DE", "DLEA-DE", "LEA-DE"]
    assert CHANNELS[ChannelName.INTERPOL].admits("IPSG")
    assert not CHANNELS[ChannelName.INTERPOL].admits("SPOC-AT")
    assert not CHANNELS[ChannelName.SIRENE].admits("NO-SUCH-PARTY")
    # Every party of the network can use some channel.
    kinds = {kind for spec in CHANNELS.values() for kind in spec.party_kinds}
    assert {p.kind for p in all_parties().values()} <= kinds <= set(PartyKind)


def _scratch_with_fourth_channel(root: Path) -> Path:
    """A copy of the simulators package with the recipe applied: one member, one spec, one service module."""
    package = root / "simulators"
    shutil.copytree(Path(simulators.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    registry = package / "model" / "channels.py"
    text = registry.read_text(encoding="utf-8")
    assert _MEMBER_ANCHOR in text, "the recipe's anchors moved: update this test"
    assert _SPEC_ANCHOR in text, "the recipe's anchors moved: update this test"
    text = text.replace(_MEMBER_ANCHOR, _MEMBER_ANCHOR + '    PRUM = "PRUM"\n')
    text = text.replace(_SPEC_ANCHOR, _TOY_SPEC + _SPEC_ANCHOR)
    registry.write_text(text, encoding="utf-8")
    (package / "prum.py").write_text(_TOY_SERVICE, encoding="utf-8")
    return root


@contextmanager
def _serving(scratch: Path, data: Path, channels: str) -> Iterator[tuple[str, dict[str, str]]]:
    """`spoc-harness serve` with the scratch copy's simulators first on the path: its URL and party tokens."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(scratch), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-c", "from conformance.cli import main; main()", "serve", "--port", "0",
         "--data", str(data), "--clock", "virtual", "--start", "2026-03-02T10:00:00Z", "--channels", channels],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment, cwd=scratch)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.match(r"serving on (http://127\.0\.0\.1:\d+) credentials=(\S+)$", line.strip())
        assert match, f"no readiness line: {line!r}; stderr: {process.stderr.read() if process.stderr else ''}"
        yield match.group(1), json.loads(Path(match.group(2)).read_text())["parties"]
    finally:
        process.kill()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.slow
async def test_a_fourth_channel_is_one_spec_and_its_service_module(tmp_path: Path) -> None:
    scratch = _scratch_with_fourth_channel(tmp_path / "scratch")
    with _serving(scratch, tmp_path / "net", "siena,prum") as (url, tokens):

        def as_party(pid: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {tokens[pid]}"}

        async with aiohttp.ClientSession() as http:
            query = {"sender": "SPOC-AT", "to": ["SPOC-DE"], "reference": "AT-2026-1"}
            async with http.post(url + "/prum/queries", json=query, headers=as_party("SPOC-AT")) as sent:
                envelope = await sent.json()
                assert sent.status == 201, envelope
            # Numbered and filed as the spec says.
            assert envelope["channel"] == "PRUM"
            assert envelope["message_id"] == "PRUM-000000001"
            assert envelope["case_id"] == "PC-000000001"
            refused = {"sender": "NCB-AT", "to": ["SPOC-DE"], "reference": "x"}
            async with http.post(url + "/prum/queries", json=refused, headers=as_party("NCB-AT")) as wrong:
                assert wrong.status == 403  # a party kind the spec does not admit
            async with http.get(url + "/prum/mailbox", headers=as_party("SPOC-DE")) as pulled:
                page = await pulled.json()
            [delivery] = page["deliveries"]
            assert delivery["message"]["payload"] == {"reference": "AT-2026-1"}
            async with http.post(url + f"/prum/mailbox/{delivery['delivery_id']}/ack", json={"status": "READ"},
                                 headers=as_party("SPOC-DE")) as acked:
                assert acked.status == 200
                assert (await acked.json())["status"] == "READ"
            async with http.get(url + "/siena/mailbox", headers=as_party("SPOC-DE")) as other:
                assert (await other.json())["deliveries"] == []  # a channel's mailbox is its own
            async with http.get(url + "/openapi.json") as described:
                assert "/prum/queries" in (await described.json())["paths"]
