"""Generated data for the scenarios: people, vehicles, references, offences (Faker, seeded).

Each scenario draws from its own generator, seeded from the campaign seed and the scenario's name,
so that a run replays exactly with the same seed, and selecting fewer scenarios (a profile) does not
change the data of the others. Building a five-locale Faker costs tens of milliseconds, so one is built per
process and shared: a seeded Faker's whole state is one `random.Random` per locale, and each scenario keeps
its own and lends them to the shared Faker for every draw (draws never await, so they cannot interleave).
It loads only the providers the draws use (person, address, lorem: the draws are the same as with all of
them, since each provider draws from its locale's `random.Random` alone), and it is built while the harness
waits for the network's processes (conformance.scenarios.base.prepare_in_background): importing faker alone
costs about half a second, and the campaign should not start by paying it.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from simulators.model.directive import (
    DataSubjectCategory,
    Entity,
    InformationRequest,
    RequestedItem,
    RequesterType,
    UrgencyCriterion,
)

if TYPE_CHECKING:
    from faker import Faker

__all__ = ["ScenarioData", "derived_seed", "prepare"]

_LOCALES = ("de_AT", "fr_FR", "it_IT", "nl_NL", "en_GB")
# The providers ScenarioData draws from (first_name, last_name, street_address, sentence).
_PROVIDERS = ("faker.providers.person", "faker.providers.address", "faker.providers.lorem")
_shared_faker: Faker | None = None
_faker_lock = threading.Lock()
T = TypeVar("T")


def _faker() -> Faker:
    global _shared_faker
    with _faker_lock:  # the background preparation and a first draw never build two
        if _shared_faker is None:
            # Start-up time: Faker is slow to import; it is built in the background while the network starts.
            from faker import Faker

            _shared_faker = Faker(list(_LOCALES), providers=list(_PROVIDERS))
        return _shared_faker


def prepare() -> None:
    """Build the shared Faker now (conformance.scenarios.base.prepare_in_background does it in a thread)."""
    _faker()

_OFFENCES = (
    ("fraud of EUR 240 000 through forged invoices", "SWINDLING_FRAUD"),
    ("trafficking of 12 kg of cocaine", "DRUG_TRAFFICKING"),
    ("theft of construction machinery across the border", "MOTOR_VEHICLE_CRIME"),
    ("armed robbery of a jewellery shop", "ROBBERY_AGGRAVATED_THEFT"),
    ("laundering of proceeds through shell companies", "MONEY_LAUNDERING"),
    ("smuggling of migrants in a lorry", "MIGRANT_SMUGGLING"),
)


def derived_seed(seed: int, name: str) -> int:
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class ScenarioData:
    """A scenario's own seeded generator."""

    def __init__(self, seed: int, scenario: str) -> None:
        self.seed = derived_seed(seed, scenario)
        self.scenario = scenario
        # What `Faker.seed_instance(seed)` gives each locale's generator: its own Random seeded alike.
        self._faker_randoms = [random.Random(self.seed) for _ in _LOCALES]
        self.random = random.Random(self.seed)
        self._counter = 0

    def _draw(self, draw: Callable[[Faker], T]) -> T:
        faker = _faker()
        generators = faker.factories
        lent = [g.random for g in generators]
        for generator, own in zip(generators, self._faker_randoms, strict=True):
            generator.random = own
        try:
            return draw(faker)
        finally:
            for generator, previous in zip(generators, lent, strict=True):
                generator.random = previous

    def person(self) -> str:
        # Two words, no titles: the CMS matches fixtures on the exact name.
        return self._draw(lambda f: f"{f.first_name()} {f.last_name()}".replace("'", ""))

    def street_address(self) -> str:
        return self._draw(lambda f: str(f["de_AT"].street_address()))

    def plate(self) -> str:
        return f"{self.random.choice('ABCDEFGHKLMNPRSTUVWZ')}{self.random.choice('ABCDEFGHKLMNPRSTUVWZ')}-" \
               f"{self.random.randint(100, 999)}-{self.random.choice('ABCDEFGHKLMNPRSTUVWZ')}"

    def reference(self, state: str) -> str:
        self._counter += 1
        token = hashlib.sha256(f"{self.seed}:{self._counter}".encode()).hexdigest()[:6].upper()
        return f"{state}-2026-{token}"

    def offence(self) -> tuple[str, str]:
        return self.random.choice(_OFFENCES)

    def sentence(self) -> str:
        return self._draw(lambda f: str(f["en_GB"].sentence(nb_words=10)))

    def request(
        self,
        *,
        requesting_state: str,
        requested_state: str,
        requester: str,
        subject: str,
        items: list[str],
        urgent: bool = False,
        language: str = "en",
        requester_type: RequesterType = RequesterType.SPOC,
        subject_category: DataSubjectCategory = DataSubjectCategory.SUSPECT,
        complete: bool = True,
        reference: str | None = None,
    ) -> InformationRequest:
        """A request with every Art 4(5) element (or, with complete=False, without the Art 4(5)(c) reasons)."""
        offence, _ = self.offence()
        entity = Entity(entity_id="P1", type="PERSON", attributes={"name": subject}, subject_category=subject_category)
        return InformationRequest(
            reference=reference or self.reference(requesting_state),
            requesting_state=requesting_state,
            requested_state=requested_state,
            requester_type=requester_type,
            requester=requester,
            language=language,
            urgent=urgent,
            urgency_criteria=[UrgencyCriterion.LIFE] if urgent else [],
            urgency_reasons=(f"{subject} is believed to plan an attack within the next 24 hours" if urgent else None),
            info_requested="; ".join(items),
            purpose=f"Investigation of {offence}: {self.sentence()}",
            offence=offence,
            availability_reasons=(
                f"{subject} lived in {requested_state} until 2025 according to our residence records"
                if complete else None
            ),
            subject_link=f"{subject} is a suspect in the investigation",
            use_restrictions="For the investigation stated only; no onward transmission without consent (H2)",
            necessity_proportionality="Needed to identify the co-perpetrators; no less intrusive means available",
            items=[RequestedItem(item_id=f"I{n}", description=text, entity_id="P1") for n, text in enumerate(items, 1)],
            entities=[entity],
        )
