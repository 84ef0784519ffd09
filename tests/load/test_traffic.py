"""The load's traffic as the locust users send it: requests encoded once, sent with fresh references."""

from __future__ import annotations

import json
import random
import sys

from load.traffic import CLASSES, EncodedRequests, TrafficGenerator, foreign_states, worker_share
from simulators.model.directive import DirectiveMessage


def test_an_encoded_request_goes_out_with_its_own_reference_wherever_the_reference_is_written() -> None:
    generator = TrafficGenerator(sut_state="AT", sender_state="DE", seed=1, user_key="test")
    encoded = EncodedRequests(generator, CLASSES["urgent-direct"], "SPOC-DE")
    reference = generator.reference()
    body = json.loads(encoded.body(random.Random(1), reference))
    directive = DirectiveMessage.model_validate(body["directive"])  # still a valid directive message
    assert directive.case_reference == reference
    assert directive.request is not None
    assert directive.request.reference == reference
    assert reference in body["subject"]
    assert not any(built.decode() in json.dumps(body) for _, built in encoded.encoded)
    assert (body["urgency"], body["sender"], body["to"]) == ("URGENT", "SPOC-DE", ["SPOC-AT"])


def test_the_encoded_requests_of_a_party_and_class_are_the_same_in_every_run() -> None:
    def build() -> list[bytes]:
        generator = TrafficGenerator(sut_state="AT", sender_state="FR", seed=7, user_key="bodies:SPOC-FR:non-urgent")
        return [text for text, _ in EncodedRequests(generator, CLASSES["non-urgent"], "SPOC-FR").encoded]

    first = build()
    assert first == build()
    assert len(set(first)) == len(first) > 1  # they vary: names, subjects, items


def test_each_worker_plays_its_own_states_and_together_all_of_them() -> None:
    states = foreign_states("AT")
    shares = [worker_share(states, worker, 2) for worker in range(2)]
    assert not set(shares[0]) & set(shares[1])
    assert sorted(shares[0] + shares[1]) == sorted(states)
    assert worker_share(states, 0, 1) == states
    assert worker_share(["DE"], 1, 2) == ["DE"]  # more workers than states: every worker plays them all


def test_the_traffic_does_not_import_locust() -> None:
    assert "locust" not in sys.modules
