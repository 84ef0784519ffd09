"""Locust users playing the operators of every state's SPOC (`spoc-harness load --sut eu`).

Each user is an operator of one state, working its own CMS through the SUT interface
(docs/sut-interface.md): it starts outgoing requests to the other states (`POST
/sut/v1/stimuli/outgoing-request`), and the CMSs exchange among themselves on the channels (requests,
answers, delay notices, copies). The operator then reads its own case (`GET /sut/v1/cases/{id}`) until
the final answer is recorded, and judges it against the Art 5(1) limit as it saw it: from its own
request's sending to the answer's receipt, both legs on the channel included, so never kinder than
the journal. The judgement goes to locust as a custom event: request type `DEADLINE`, name = the
requested state (the one judged), response time = network minutes, a failure when late, answered twice
or answered with another kind than the fixtures call for. The reconciliation after the run judges
again, from the journal (load/eu_reconcile.py).
"""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass, field
from typing import Any

from locust import task

from load.judging import judge_answer
from load.settings import LoadSettings
from load.traffic import CLASSES, EU_CLASSES, FINAL_KINDS, RequestClass, stimulus_body
from load.users import REGISTRY, DeadlineMissed, DuplicateAnswer, PacedUser, UnexpectedAnswer, network_time

__all__ = ["StateOperatorUser"]

_USER_NUMBERS = itertools.count()
_CHECKS_PER_TURN = 4  # outstanding cases read per turn: bounded, however many are outstanding


@dataclass
class Outstanding:
    """One request an operator started, until its final answer is in the operator's case."""

    case_id: str
    reference: str
    message_ids: list[str]
    cls: RequestClass
    to_state: str
    wall_sent: float
    finals: set[str] = field(default_factory=set)


class StateOperatorUser(PacedUser):
    abstract = True

    def on_start(self) -> None:
        settings = LoadSettings.from_env()
        states = sorted(settings.suts)
        number = next(_USER_NUMBERS)
        worker = int(getattr(self.environment.runner, "worker_index", 0) or 0)
        # Users spread over the states, across the workers too: with as many users as states, each
        # state has one operator.
        self.state = states[(number + 11 * worker) % len(states)]
        self.client.base_url = settings.suts[self.state]
        self.others = [s for s in states if s != self.state]
        self.chooser = random.Random(f"{settings.seed}:{worker}:{number}:{self.state}")
        self.choices = [CLASSES[n] for n in EU_CLASSES if settings.mix.get(n, 0) > 0]
        self.weights = [settings.mix[c.name] for c in self.choices]
        self.outstanding: list[Outstanding] = []
        super().on_start()

    @task
    def turn(self) -> None:
        if self.choices and self.others:
            self.start_request(self.chooser.choices(self.choices, self.weights)[0],
                               self.chooser.choice(self.others))
        self.read_cases()

    def start_request(self, cls: RequestClass, to_state: str) -> None:
        settings = LoadSettings.from_env()
        body = stimulus_body(cls, to_state=to_state, seed=settings.seed, chooser=self.chooser)
        wall = time.time()
        with self.client.post("/sut/v1/stimuli/outgoing-request", json=body, name=f"request from {self.state}",
                              catch_response=True) as answer:
            if answer.status_code != 201:
                answer.failure(f"{answer.status_code}: {answer.text[:300]}")
                return
            result = answer.json()
        message_ids = [str(m) for m in result.get("message_ids") or []]
        self.outstanding.append(Outstanding(case_id=str(result["case_id"]), reference=str(result["reference"]),
                                            message_ids=message_ids, cls=cls, to_state=to_state, wall_sent=wall))
        REGISTRY.log("sent", {"message_id": message_ids[0] if message_ids else None, "message_ids": message_ids,
                              "reference": result["reference"], "case_id": result["case_id"], "class": cls.name,
                              "state": self.state, "to_state": to_state, "channel": result.get("channel"),
                              "wall_sent": wall, "wall_accepted": time.time()})

    def read_cases(self) -> None:
        """Read a few outstanding cases, oldest first; the unanswered go to the back of the queue."""
        turn, self.outstanding = self.outstanding[:_CHECKS_PER_TURN], self.outstanding[_CHECKS_PER_TURN:]
        for waiting in turn:
            answer = self.client.get(f"/sut/v1/cases/{waiting.case_id}", name=f"case of {self.state}")
            if answer.status_code != 200 or not self.take(waiting, answer.json()):
                self.outstanding.append(waiting)

    def take(self, waiting: Outstanding, case: dict[str, Any]) -> bool:
        """Judge the case once its final answer is in; True when it is."""
        sent = [c for c in case.get("communications") or [] if c.get("direction") == "OUTGOING"
                and c.get("kind") == "REQUEST"]
        incoming = [c for c in case.get("communications") or [] if c.get("direction") == "INCOMING"]
        finals = sorted((c for c in incoming if c.get("kind") in FINAL_KINDS), key=lambda c: str(c["at"]))
        if not finals or not sent:
            return False
        events = self.environment.events.request
        distinct = {str(c["message_id"]) for c in finals}
        if len(distinct) > 1:
            events.fire(request_type="DEADLINE", name=waiting.to_state, response_time=0, response_length=0,
                        exception=DuplicateAnswer(f"{waiting.reference}: final answers {sorted(distinct)}"),
                        context={})
        final = finals[0]
        notices = [network_time(str(c["at"])) for c in incoming if c.get("kind") == "DELAY_NOTICE"]
        judged = judge_answer(waiting.cls, received_at=min(network_time(str(c["at"])) for c in sent),
                              answered_at=network_time(str(final["at"])),
                              delay_notice_at=min(notices) if notices else None)
        failure: Exception | None = None
        if not judged.met:
            failure = DeadlineMissed(judged.explanation)
        elif final.get("kind") != waiting.cls.expected:
            failure = UnexpectedAnswer(f"{waiting.reference}: expected {waiting.cls.expected}, got {final.get('kind')}")
        events.fire(request_type="DEADLINE", name=waiting.to_state, response_time=judged.delay_seconds / 60,
                    response_length=0, exception=failure, context={"margin_seconds": judged.margin_seconds})
        REGISTRY.log("answers", {"request_id": waiting.message_ids[0] if waiting.message_ids else None,
                                 "class": waiting.cls.name, "state": self.state, "to_state": waiting.to_state,
                                 "kind": final.get("kind"), "message_id": final["message_id"],
                                 "answered_at": final["at"], "wall_seen": time.time(),
                                 "wall_sent": waiting.wall_sent, "margin_seconds": judged.margin_seconds,
                                 "met": judged.met})
        return True
