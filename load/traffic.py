"""The traffic foreign parties send a SUT under load, built from the campaign's own vocabulary.

Nothing here is a second copy of a domain rule: requests are `InformationRequest`s drawn by the
campaign's `ScenarioData` (every Art 4(5) element, or without the Art 4(5)(c) reasons for the class that
must be clarified), wrapped in `DirectiveMessage`s and sent with the SIENA defaults the harness's actors
use; deadlines come from `simulators.model.deadlines`. What the SUT's national databases hold is set as
fixtures (docs/sut-interface.md), so the harness knows the ground truth of each class: which answer is
due, and whether the information is directly or indirectly available (Art 2(6)-(7)).

Pure functions and data (but `prepare_suts`, which calls the SUT interfaces), so locust users, the
runner and the tests share them.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from faker import Faker

from conformance.actors import SIENA_DEFAULTS
from conformance.scenarios.data import ScenarioData
from load.http import JsonClient
from simulators.model.directive import (
    Availability,
    DirectiveMessage,
    MessageKind,
    RequesterType,
)
from simulators.model.parties import PartyKind, member_states, party_id, state

__all__ = [
    "CLASSES",
    "EU_CLASSES",
    "FINAL_KINDS",
    "EncodedRequests",
    "RequestClass",
    "fixture_records",
    "foreign_states",
    "locale_faker",
    "prepare_suts",
    "stimulus_body",
    "worker_share",
]

# The kinds that conclude a request for the requester: information provided, or refused (Art 5(1), 6).
FINAL_KINDS = frozenset({MessageKind.REPLY.value, MessageKind.REFUSAL.value})

# Faker locales for the names each state's officers write (a state missing here writes en_GB names).
_LOCALES = {
    "AT": "de_AT", "BE": "nl_BE", "BG": "bg_BG", "CY": "el_CY", "CZ": "cs_CZ", "DE": "de_DE", "DK": "da_DK",
    "EE": "et_EE", "ES": "es_ES", "FI": "fi_FI", "FR": "fr_FR", "GR": "el_GR", "HR": "hr_HR", "HU": "hu_HU",
    "IE": "en_IE", "IT": "it_IT", "LT": "lt_LT", "LU": "fr_FR", "LV": "lv_LV", "MT": "en_GB", "NL": "nl_NL",
    "PL": "pl_PL", "PT": "pt_PT", "RO": "ro_RO", "SE": "sv_SE", "SI": "sl_SI", "SK": "sk_SK",
    "CH": "de_CH", "NO": "no_NO", "IS": "is_IS", "LI": "de_DE",
}
_FIXTURE_POOL = 6  # subjects per class in the SUT's national databases
# Requests of one party and class built from the vocabulary per load process: enough for names, subjects, items
# and languages to vary between messages, few enough that building them is paid once, not per message.
_ENCODED_PER_CLASS = 8


@dataclass(frozen=True)
class RequestClass:
    """One kind of exchange a foreign party starts, and what the harness expects of the SUT."""

    name: str
    channel: str  # siena | sirene | interpol
    sender_kind: PartyKind
    weight: int  # share in the ordinary mix
    urgent: bool = False
    availability: Availability = Availability.DIRECT
    expected: str | None = "REPLY"  # final kind expected; None: the SUT only has to record it
    complete: bool = True  # False: without the Art 4(5)(c) reasons, so the SUT must ask (Art 6(3))
    fixture: dict[str, Any] | None = None  # what the SUT's databases hold on this class's subjects

    @property
    def answered(self) -> bool:
        return self.expected is not None


CLASSES: dict[str, RequestClass] = {c.name: c for c in (
    RequestClass("urgent-direct", "siena", PartyKind.SPOC, 12, urgent=True,
                 fixture={"availability": "DIRECT"}),
    RequestClass("urgent-indirect", "siena", PartyKind.SPOC, 4, urgent=True, availability=Availability.INDIRECT,
                 fixture={"availability": "INDIRECT"}),
    RequestClass("non-urgent", "siena", PartyKind.SPOC, 30, fixture={"availability": "DIRECT"}),
    RequestClass("designated-authority", "siena", PartyKind.DESIGNATED_AUTHORITY, 10,
                 fixture={"availability": "DIRECT"}),
    RequestClass("must-refuse", "siena", PartyKind.SPOC, 6, expected="REFUSAL",
                 fixture={"availability": "DIRECT", "refusal_ground": "NS"}),
    RequestClass("clarification", "siena", PartyKind.SPOC, 5, urgent=True, complete=False,
                 fixture={"availability": "DIRECT"}),
    RequestClass("judicial-authorisation", "siena", PartyKind.SPOC, 3,
                 fixture={"availability": "DIRECT", "judicial_authorisation": "GRANTED",
                          "judicial_decision_after_hours": 6}),
    RequestClass("sirene-hit", "sirene", PartyKind.SIRENE_BUREAU, 15, expected=None),
    RequestClass("interpol-diffusion", "interpol", PartyKind.INTERPOL_NCB, 15, expected=None),
)}


# The classes the whole EU exchanges (`--sut eu`): requests an operator starts through the SUT interface's
# outgoing-request stimulus. Not `clarification` (a CMS sends only complete requests, docs/sut-interface.md),
# nor SIRENE hits and Interpol diffusions (the interface has no stimulus for them).
EU_CLASSES = ("urgent-direct", "urgent-indirect", "non-urgent", "designated-authority", "must-refuse",
              "judicial-authorisation")


def stimulus_body(cls: RequestClass, *, to_state: str, seed: int, chooser: random.Random) -> dict[str, Any]:
    """`POST /sut/v1/stimuli/outgoing-request`: an operator of one state asks `to_state` about a subject its
    databases hold for `cls` (its fixtures), so the answer due is known."""
    body: dict[str, Any] = {
        "to_state": to_state,
        "by": "DESIGNATED_AUTHORITY" if cls.sender_kind is PartyKind.DESIGNATED_AUTHORITY else "SPOC",
        "urgent": cls.urgent,
        "subject": chooser.choice(fixture_subjects(to_state, seed, cls)),
        "items": ["criminal record", "last known address"][: chooser.randint(1, 2)],
    }
    if cls.urgent:
        body["urgency_criteria"] = ["U-LIFE"]
    return body


def prepare_suts(suts: Mapping[str, str], seed: int) -> None:
    """Load every state's CMS with its fixtures and make it follow the network clock (`--sut eu`)."""
    def prepare(state: str, url: str) -> None:
        sut = JsonClient(url)
        sut.call("PUT", "/sut/v1/fixtures", body={"records": fixture_records(state, seed)})
        sut.call("PUT", "/sut/v1/clock", body={"follow_network_clock": True})

    # Side by side: thirty CMSs one after the other take seconds.
    with ThreadPoolExecutor(max_workers=8) as pool:
        for done in [pool.submit(prepare, state, url) for state, url in sorted(suts.items())]:
            done.result()


def foreign_states(sut_state: str) -> list[str]:
    """The states whose parties the load plays: every state bound by the directive but the SUT's."""
    return [s.code for s in member_states(bound_only=True) if s.code != sut_state]


# The providers the load draws from (first_name, last_name, city): the draws are the same as with all of them,
# since each provider draws from its locale's `random.Random` alone, and a Faker builds in a sixth of the time.
_PROVIDERS = ["faker.providers.person", "faker.providers.address"]


@functools.cache
def _faker(locale: str) -> Faker:
    return Faker(locale, providers=_PROVIDERS)


def locale_faker(state_code: str, seed: int) -> Faker:
    """The state's Faker, seeded. One per locale and process: thirty of them take a fifth of a second to build
    (locust's workers must not block their event loop per user), and locust users only take turns at I/O."""
    faker = _faker(_LOCALES.get(state_code, "en_GB"))
    faker.seed_instance(seed)
    return faker


def worker_share(states: list[str], worker: int, workers: int) -> list[str]:
    """The states whose parties locust worker `worker` of `workers` plays: every `workers`-th, so that no two
    workers read one party's mailbox (all of them with one worker, or more workers than states)."""
    return states[worker % max(1, workers)::max(1, workers)] or states


def fixture_subjects(sut_state: str, seed: int, cls: RequestClass) -> tuple[str, ...]:
    """The names the SUT's databases hold for a class: seeded, so every load process draws the same."""
    return _fixture_subjects(sut_state, seed, cls.name)


@functools.cache
def _fixture_subjects(sut_state: str, seed: int, class_name: str) -> tuple[str, ...]:
    faker = locale_faker(sut_state, ScenarioData(seed, f"load-fixtures:{class_name}").seed)
    return tuple(f"{faker.first_name()} {faker.last_name()}".replace("'", "") for _ in range(_FIXTURE_POOL))


def fixture_records(sut_state: str, seed: int) -> list[dict[str, Any]]:
    """`PUT /sut/v1/fixtures` records: the ground truth every answered class is judged against."""
    records: list[dict[str, Any]] = []
    for cls in CLASSES.values():
        if cls.fixture is None:
            continue
        for subject in fixture_subjects(sut_state, seed, cls):
            records.append({"subject": subject, "item": f"criminal record and last known address of {subject}",
                            **cls.fixture})
    return records


class TrafficGenerator:
    """One locust user's seeded source of messages, as party `sender` of state `sender_state`."""

    def __init__(self, *, sut_state: str, sender_state: str, seed: int, user_key: str) -> None:
        self.sut_state = sut_state
        self.sender_state = sender_state
        self.seed = seed
        self.data = ScenarioData(seed, f"load:{user_key}")
        self.faker = locale_faker(sender_state, self.data.seed)
        self.random = random.Random(self.data.seed)
        self._subjects = {c.name: fixture_subjects(sut_state, seed, c) for c in CLASSES.values()}

    def reference(self) -> str:
        return self.data.reference(self.sender_state)

    def siena_request(self, cls: RequestClass, sender: str, reference: str | None = None) -> tuple[dict[str, Any], str]:
        """The SIENA body of a request of class `cls`, and its reference (`reference`, else a new one)."""
        requester_type = RequesterType.DESIGNATED_AUTHORITY if cls.sender_kind is PartyKind.DESIGNATED_AUTHORITY \
            else RequesterType.SPOC
        languages = state(self.sut_state).languages or ("en",)
        request = self.data.request(
            requesting_state=self.sender_state, requested_state=self.sut_state,
            requester=f"{self.faker.first_name()} {self.faker.last_name()}, {sender}",
            subject=self.random.choice(self._subjects[cls.name]),
            items=["criminal record", "last known address"][: self.random.randint(1, 2)],
            urgent=cls.urgent, language=self.random.choice(languages), requester_type=requester_type,
            complete=cls.complete, reference=reference,
        )
        directive = DirectiveMessage(kind=MessageKind.REQUEST, case_reference=request.reference,
                                     language=request.language, request=request)
        cc = [party_id(PartyKind.SPOC, self.sender_state)] if cls.sender_kind is PartyKind.DESIGNATED_AUTHORITY \
            else []
        body = siena_body(directive, sender=sender, to=[party_id(PartyKind.SPOC, self.sut_state)], cc=cc,
                          subject=f"Request for information {request.reference}",
                          text=request.info_requested or "Request for information", urgent=cls.urgent,
                          urgency_reason=request.urgency_reasons, restrictions=request.use_restrictions)
        return body, request.reference

    def clarification(self, original: dict[str, Any], asked: dict[str, Any], sender: str) -> dict[str, Any]:
        """The SIENA answer to the SUT's clarification request: the request completed (Art 6(3))."""
        request = dict(original["directive"]["request"])
        request["availability_reasons"] = (f"{request['entities'][0]['attributes']['name']} lived in "
                                           f"{self.sut_state} until 2025 according to our residence records")
        reference = str(original["directive"]["case_reference"])
        directive = DirectiveMessage.model_validate({
            "kind": "CLARIFICATION", "case_reference": reference, "language": request["language"],
            "answers": "The reasons to believe the information is held are now given.",
            "amended_request": request})
        return siena_body(directive, sender=sender, to=[str(asked["sender"])], subject=f"Clarification {reference}",
                          text="Clarification", in_reply_to=str(asked["message_id"]), case_id=asked.get("case_id"))

    def sirene_hit(self, sender_bureau: str, now: datetime) -> tuple[dict[str, Any], str]:
        """A G form: a hit on the SUT state's Art 36 alert, reported to its bureau (SIRENE Manual)."""
        ref = self.reference()
        token = "".join(self.random.choice("0123456789") for _ in range(10))
        form = {
            "form_type": "G", "f001_sent_at_utc": _z(now), "f002_form_ref": ref,
            "f003_sender_bureau": sender_bureau,
            "f004_recipient_bureaux": [party_id(PartyKind.SIRENE_BUREAU, self.sut_state)],
            "f005_schengen_id": f"{self.sut_state}{token}", "alert_article": "36",
            "hit_place": f"{self.faker.city()}, border crossing",
            "hit_time_utc": _z(now - timedelta(minutes=self.random.randint(5, 90))),
            "action_taken": "discreet check carried out", "language": "en",
        }
        return form, ref

    def interpol_diffusion(self, sender_ncb: str) -> tuple[dict[str, Any], str]:
        """A blue diffusion (locate a person) to the SUT state's NCB."""
        ref = self.reference()
        return {
            "kind": "DIFFUSION", "sender": sender_ncb, "to": [party_id(PartyKind.INTERPOL_NCB, self.sut_state)],
            "colour": "BLUE", "language": "en", "subject": f"Locate and report {ref}",
            "body": self.data.sentence(),
            "person": {"name": self.faker.last_name().upper(), "forename": self.faker.first_name(),
                       "nationalities": [self.sender_state]},
            "person_status": "SUSPECT",
        }, ref


class EncodedRequests:
    """A party's SIENA requests of one class, built from the campaign vocabulary (`TrafficGenerator.siena_request`:
    the `InformationRequest` and `DirectiveMessage` models, faker names in the sender's locale) and encoded as
    JSON once; each send takes one with a fresh reference in place of the one it was built with, so a message
    costs a byte replacement, not a model validation and a JSON encoding."""

    def __init__(self, generator: TrafficGenerator, cls: RequestClass, party: str) -> None:
        self.encoded: list[tuple[bytes, bytes]] = []
        for _ in range(_ENCODED_PER_CLASS):
            reference = generator.reference()
            body, _ = generator.siena_request(cls, party, reference=reference)
            self.encoded.append((orjson.dumps(body), reference.encode()))

    def body(self, chooser: random.Random, reference: str) -> bytes:
        encoded, built_with = chooser.choice(self.encoded)
        return encoded.replace(built_with, reference.encode())


def siena_body(
    directive: DirectiveMessage, *, sender: str, to: list[str], subject: str, text: str, cc: list[str] | None = None,
    urgent: bool = False, urgency_reason: str | None = None, restrictions: str | None = None,
    in_reply_to: str | None = None, case_id: Any = None,
) -> dict[str, Any]:
    """A SIENA message as the harness's actors write it (conformance.actors), for a locust user."""
    body: dict[str, Any] = {
        **SIENA_DEFAULTS, "sender": sender, "to": to, "cc": cc or [], "subject": subject, "body": text,
        "language": directive.language, "urgency": "URGENT" if urgent else "NON_URGENT",
        "crime_areas": ["SWINDLING_FRAUD"], "europol_involved": False,
        "directive": directive.model_dump(mode="json", exclude_none=True),
    }
    for key, value in (("urgency_reason", urgency_reason), ("restrictions", restrictions),
                       ("in_reply_to", in_reply_to), ("case_id", case_id)):
        if value:
            body[key] = value
    return body


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
