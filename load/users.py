"""Locust users playing the foreign parties: SPOCs, designated authorities, SIRENE bureaux, Interpol NCBs.

Each user is one party of another state, logged in with that party's own token, sending the SUT the
traffic of load/traffic.py on the real channel API. SIENA users also read their own mailbox, match
each answer to the request it answers (by `in_reply_to`, else by the directive's case reference),
acknowledge what they recognise and leave the rest for its owner (another process may play the same
party), answer clarification requests, and judge each final answer against its Art 5(1) limit in
network time. The judgement goes to locust as a custom event: request type `DEADLINE`, name = the
request class, response time = network minutes from sending to the answer, a failure when late (or
when an answer comes twice). The reconciliation after the run judges again from the journal.

What one exchange costs the generator is kept small, since on one machine it shares the cores with the
channel server and the CMS it measures (benchmarks/load_capacity.py prints the cost per process group):
locust's `FastHttpUser` (geventhttpclient) rather than python-requests; a party's SIENA requests of a
class encoded once per process from the campaign vocabulary and sent with a fresh reference (no model
validation or JSON encoding per message); a party's mailbox read by one user of a process at a time, at
most once a second, only while that process awaits answers from it; with locust workers, each worker
plays its own share of the states, so no mailbox is read by two processes.
"""

from __future__ import annotations

import io
import itertools
import math
import os
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import orjson
from locust import FastHttpUser, task
from locust.runners import WorkerRunner

from load.judging import judge_answer
from load.settings import LoadSettings
from load.traffic import (
    CLASSES,
    FINAL_KINDS,
    EncodedRequests,
    RequestClass,
    TrafficGenerator,
    foreign_states,
    worker_share,
)
from simulators.model.parties import PartyKind, party_id

__all__ = ["DesignatedAuthorityUser", "ForeignSpocUser", "InterpolNcbUser", "SireneBureauUser", "UrgentSurgeUser"]

_USER_NUMBERS = itertools.count()
_CHANNEL_PATH = {"siena": "/siena/messages", "sirene": "/sirene/forms", "interpol": "/interpol/messages"}
_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
# Bodies go out as the bytes encoded once: geventhttpclient sends bytes untouched, though FastHttpSession's
# annotation names only str and dict (hence the `type: ignore[arg-type]` where they are posted).

# A party's mailbox is read at most this often (wall seconds) by a process awaiting answers from it. Reading
# late does not move a judgement (the answer's own network times are judged); it delays only the requester's
# clarification, which the Art 6(3) suspension leaves out of the SUT's time.
_MAILBOX_INTERVAL = 1.0
# ... and this often while nothing is awaited, so that a second final answer is still seen and flagged.
_IDLE_MAILBOX_INTERVAL = 5.0


class DeadlineMissed(Exception):
    """A final answer after its Art 5(1) limit (in network time)."""


class DuplicateAnswer(Exception):
    """A second final answer to one request."""


class UnexpectedAnswer(Exception):
    """A final answer of another kind than the ground truth calls for (e.g. a refusal of held information)."""


@dataclass
class Sent:
    """One request of this process, until its final answer."""

    message_id: str
    reference: str
    cls: RequestClass
    party: str
    body: bytes  # the request as sent (JSON), parsed again only to answer a clarification request
    accepted_at: datetime
    wall_sent: float
    clarification_asked_at: datetime | None = None
    clarified_at: datetime | None = None
    delay_notice_at: datetime | None = None
    final_message_id: str | None = None
    seen: set[str] = field(default_factory=set)


@dataclass
class Mailbox:
    """One party's SIENA mailbox as this process reads it: one cursor for all the process's users of the
    party, so that each delivery is fetched and parsed once per process, not once per user."""

    cursor: int = 0
    read_at: float = -math.inf  # monotonic wall time of the last read
    reading: bool = False
    awaited: int = 0  # requests of this process from the party still without a final answer

    def due(self, now: float) -> bool:
        interval = _MAILBOX_INTERVAL if self.awaited else _IDLE_MAILBOX_INTERVAL
        return not self.reading and now - self.read_at >= interval


class _Registry:
    """The requests this process sent and awaits, its parties' mailboxes and request bodies, and its
    JSON-lines record for the reconciliation."""

    def __init__(self) -> None:
        self.by_message: dict[str, Sent] = {}
        self.by_reference: dict[str, str] = {}
        self.mailboxes: dict[str, Mailbox] = {}
        self.bodies: dict[tuple[str, str], EncodedRequests] = {}
        self._files: dict[str, io.FileIO] = {}

    def add(self, sent: Sent) -> None:
        self.by_message[sent.message_id] = sent
        self.by_reference[sent.reference] = sent.message_id
        self.mailbox(sent.party).awaited += 1

    def mailbox(self, party: str) -> Mailbox:
        box = self.mailboxes.get(party)
        if box is None:
            box = self.mailboxes[party] = Mailbox()
        return box

    def request_bodies(self, cls: RequestClass, party: str, sut_state: str, seed: int) -> EncodedRequests:
        bodies = self.bodies.get((party, cls.name))
        if bodies is None:
            # Seeded by party and class, not by the user that happens to send first: the same bodies in every run.
            generator = TrafficGenerator(sut_state=sut_state, sender_state=party.rsplit("-", 1)[-1], seed=seed,
                                         user_key=f"bodies:{party}:{cls.name}")
            bodies = self.bodies[(party, cls.name)] = EncodedRequests(generator, cls, party)
        return bodies

    def find(self, message: dict[str, Any]) -> Sent | None:
        found = self.by_message.get(str(message.get("in_reply_to")))
        if found is None:
            reference = (message.get("directive") or {}).get("case_reference")
            found = self.by_message.get(self.by_reference.get(str(reference), ""))
        return found

    def log(self, what: str, record: dict[str, Any]) -> None:
        log_dir = LoadSettings.from_env().log_dir
        if log_dir is None:
            return
        out = self._files.get(what)
        if out is None:
            # Unbuffered: each record reaches the file in one write, whenever the process ends.
            out = self._files[what] = io.FileIO(log_dir / f"{what}-{os.getpid()}.jsonl", "a")
        out.write(orjson.dumps(record) + b"\n")


REGISTRY = _Registry()


def network_time(text: str) -> datetime:
    """A time as the channels and the SUT interface write it (ISO 8601, `Z` or an offset), in UTC."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class PacedUser(FastHttpUser):
    """A locust user that starts one turn every `pacing` wall seconds, however long the turn took: the offered
    rate is then set by the number of users and the pacing, not by how fast the SUT answers.

    A subclass's `on_start` ends with `super().on_start()`: the first turn begins there. (Without it the first
    wait found no turn begun and was none: every user took its first two turns at once, and a run offered
    more than the users and the pacing ask for.)"""

    abstract = True
    _cycle_began = 0.0

    def on_start(self) -> None:
        self._cycle_began = time.monotonic()

    def wait_time(self) -> float:
        now = time.monotonic()
        wait = max(0.0, LoadSettings.from_env().pacing - (now - self._cycle_began)) if self._cycle_began else 0.0
        self._cycle_began = now + wait
        return wait


class _ForeignParty(PacedUser):
    abstract = True
    party_kind: ClassVar[PartyKind] = PartyKind.SPOC
    request_classes: ClassVar[tuple[str, ...]] = ()

    def on_start(self) -> None:
        settings = LoadSettings.from_env()
        number = next(_USER_NUMBERS)
        worker, workers = self.worker_share()
        # Each worker its own share of the states, its users spread over them: one party, one process reading
        # its mailbox.
        states = worker_share(foreign_states(settings.state), worker, workers)
        self.sender_state = states[number % len(states)]
        self.party = party_id(self.party_kind, self.sender_state)
        self.headers = {**_JSON_HEADERS, "Authorization": f"Bearer {settings.tokens[self.party]}"}
        self.traffic = TrafficGenerator(sut_state=settings.state, sender_state=self.sender_state,
                                        seed=settings.seed, user_key=f"{worker}:{number}:{self.party}")
        self.choices = [CLASSES[n] for n in self.request_classes if settings.mix.get(n, 0) > 0]
        self.weights = [settings.mix[c.name] for c in self.choices]
        self.chooser = random.Random(self.traffic.data.seed)
        super().on_start()

    def worker_share(self) -> tuple[int, int]:
        """(this process's worker index, the number of workers); (0, 1) in a single process. Locust's master
        passes its `--expect-workers` to the workers with the users it sends them."""
        runner = self.environment.runner
        if not isinstance(runner, WorkerRunner):
            return 0, 1
        workers = int(getattr(self.environment.parsed_options, "expect_workers", 1) or 1)
        return max(0, int(runner.worker_index)), max(1, workers)

    @task
    def exchange(self) -> None:
        if self.choices:
            self.send(self.chooser.choices(self.choices, self.weights)[0])
        if self.party_kind in (PartyKind.SPOC, PartyKind.DESIGNATED_AUTHORITY):
            self.read_mailbox()

    def send(self, cls: RequestClass) -> None:
        if cls.channel == "siena":
            reference = self.traffic.reference()
            settings = LoadSettings.from_env()
            body = REGISTRY.request_bodies(cls, self.party, settings.state, settings.seed).body(self.chooser, reference)
        elif cls.channel == "sirene":
            form, reference = self.traffic.sirene_hit(self.party, self.network_now())
            body = orjson.dumps(form)
        else:
            diffusion, reference = self.traffic.interpol_diffusion(self.party)
            body = orjson.dumps(diffusion)
        wall = time.time()
        with self.client.post(_CHANNEL_PATH[cls.channel], data=body,  # type: ignore[arg-type]
                              name=f"send {cls.name}",
                              headers={**self.headers, "Idempotency-Key": f"load:{reference}"},
                              catch_response=True) as answer:
            if answer.status_code not in (200, 201):
                answer.failure(f"{answer.status_code}: {(answer.text or '')[:300]}")
                return
            envelope = orjson.loads(answer.content or b"{}")
        sent = Sent(message_id=str(envelope["message_id"]), reference=reference, cls=cls, party=self.party,
                    body=body, accepted_at=network_time(str(envelope["created_at"])), wall_sent=wall)
        if cls.answered:
            REGISTRY.add(sent)
        REGISTRY.log("sent", {"message_id": sent.message_id, "reference": reference, "class": cls.name,
                              "party": self.party, "channel": cls.channel, "accepted_at": envelope["created_at"],
                              "wall_sent": wall, "wall_accepted": time.time()})

    def network_now(self) -> datetime:
        answer = self.client.get("/clock", name="GET /clock", headers=self.headers)
        return network_time(str(orjson.loads(answer.content or b"{}")["now"]))

    def read_mailbox(self) -> None:
        """Read the party's mailbox, when it is this process's turn to (`Mailbox.due`), and acknowledge at once
        what is ours; what another process's users sent is left for them."""
        box = REGISTRY.mailbox(self.party)
        now = time.monotonic()
        if not box.due(now):
            return
        box.reading, box.read_at = True, now
        try:
            answer = self.client.get(f"/siena/mailbox?after={box.cursor}&limit=200", name="GET /siena/mailbox",
                                     headers=self.headers)
        finally:
            box.reading = False
        if answer.status_code != 200:
            return
        page = orjson.loads(answer.content or b"{}")
        box.cursor = max(box.cursor, int(page.get("next_cursor") or box.cursor))
        recognised: list[str] = []
        for delivery in page.get("deliveries", []):
            message = delivery["message"]
            sent = REGISTRY.find(message)
            if sent is None:
                continue  # another process's exchange (same party), or not an answer: left for its owner
            recognised.append(str(delivery["delivery_id"]))
            self.take(sent, message, network_time(str(delivery["delivered_at"])))
        if recognised:
            acks = orjson.dumps({"delivery_ids": recognised, "status": "READ"})
            self.client.post("/siena/mailbox/ack", data=acks,  # type: ignore[arg-type]
                             headers=self.headers, name="POST /siena/mailbox/ack")

    def take(self, sent: Sent, message: dict[str, Any], delivered_at: datetime) -> None:
        message_id = str(message["message_id"])
        kind = str((message.get("directive") or {}).get("kind", ""))
        if message_id in sent.seen:
            return  # the same message in a second mailbox of ours (a copy), or redelivered
        sent.seen.add(message_id)
        created = network_time(str(message["created_at"]))
        if kind == "CLARIFICATION_REQUEST" and sent.clarification_asked_at is None:
            sent.clarification_asked_at = delivered_at
            self.clarify(sent, message)
        elif kind == "DELAY_NOTICE" and sent.delay_notice_at is None:
            sent.delay_notice_at = created
        elif kind in FINAL_KINDS:
            self.judge(sent, message_id, kind, created)

    def clarify(self, sent: Sent, asked: dict[str, Any]) -> None:
        body = self.traffic.clarification(orjson.loads(sent.body), asked, sent.party)
        with self.client.post("/siena/messages", data=orjson.dumps(body),  # type: ignore[arg-type]
                              name="answer clarification request",
                              headers={**self.headers, "Idempotency-Key": f"load:{sent.reference}:clarification"},
                              catch_response=True) as answer:
            if answer.status_code not in (200, 201):
                answer.failure(f"{answer.status_code}: {(answer.text or '')[:300]}")
                return
            sent.clarified_at = network_time(str(orjson.loads(answer.content or b"{}")["created_at"]))

    def judge(self, sent: Sent, message_id: str, kind: str, answered_at: datetime) -> None:
        events = self.environment.events.request
        if sent.final_message_id is not None:
            events.fire(request_type="DEADLINE", name=sent.cls.name, response_time=0, response_length=0,
                        exception=DuplicateAnswer(f"{sent.message_id}: second final answer {message_id}"),
                        context={})
            return
        sent.final_message_id = message_id
        REGISTRY.mailbox(sent.party).awaited -= 1
        suspensions = [(sent.clarification_asked_at, sent.clarified_at)] \
            if sent.clarification_asked_at and sent.clarified_at else []
        judged = judge_answer(sent.cls, received_at=sent.accepted_at, answered_at=answered_at,
                              delay_notice_at=sent.delay_notice_at, suspensions=suspensions)
        failure: Exception | None = None
        if not judged.met:
            failure = DeadlineMissed(judged.explanation)
        elif kind != sent.cls.expected:
            failure = UnexpectedAnswer(f"{sent.message_id}: expected {sent.cls.expected}, got {kind} {message_id}")
        events.fire(request_type="DEADLINE", name=sent.cls.name, response_time=judged.delay_seconds / 60,
                    response_length=0, exception=failure, context={"margin_seconds": judged.margin_seconds})
        REGISTRY.log("answers", {"request_id": sent.message_id, "class": sent.cls.name, "kind": kind,
                                 "message_id": message_id, "answered_at": answered_at.isoformat(),
                                 "wall_seen": time.time(), "wall_sent": sent.wall_sent,
                                 "margin_seconds": judged.margin_seconds, "met": judged.met})
        sent.body = b""  # kept, lighter, so that a second final answer is still recognised (and flagged)


def _classes(*kinds: PartyKind, urgent_only: bool = False) -> tuple[str, ...]:
    return tuple(c.name for c in CLASSES.values()
                 if c.sender_kind in kinds and (c.urgent or not urgent_only))


class ForeignSpocUser(_ForeignParty):
    abstract = True
    party_kind = PartyKind.SPOC
    request_classes = _classes(PartyKind.SPOC)


class DesignatedAuthorityUser(_ForeignParty):
    abstract = True
    party_kind = PartyKind.DESIGNATED_AUTHORITY
    request_classes = _classes(PartyKind.DESIGNATED_AUTHORITY)


class SireneBureauUser(_ForeignParty):
    abstract = True
    party_kind = PartyKind.SIRENE_BUREAU
    request_classes = _classes(PartyKind.SIRENE_BUREAU)


class InterpolNcbUser(_ForeignParty):
    abstract = True
    party_kind = PartyKind.INTERPOL_NCB
    request_classes = _classes(PartyKind.INTERPOL_NCB)


class UrgentSurgeUser(_ForeignParty):
    """The SPOCs of a major incident: urgent requests only (load/shapes.py `major-incident`)."""

    abstract = True
    party_kind = PartyKind.SPOC
    request_classes = _classes(PartyKind.SPOC, urgent_only=True)
