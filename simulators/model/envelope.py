"""The envelope every channel wraps its messages in, and the delivery vocabulary of the network.

All three channels (SIENA, SIRENE, Interpol I-24/7) answer a send with the same `Envelope`; only
`payload` is channel specific. A recipient receives a message through a `Delivery` (pulled from its
mailbox or pushed to its webhook) and acknowledges it with an `Ack`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from simulators.model.directive import CarriedDirective, ChannelName

__all__ = [
    "Ack",
    "AckRequest",
    "AckStatus",
    "BatchAck",
    "BatchAckRequest",
    "Delivery",
    "DeliveryStatus",
    "Envelope",
    "MailboxPage",
    "MessageView",
    "PushBody",
    "WebhookRegistration",
    "WebhookView",
]


class Envelope(BaseModel):
    """A message as the network stored it; the answer to every send."""

    model_config = ConfigDict(extra="forbid")

    message_id: str = Field(description="Channel message id, e.g. SIENA-000000123; stable forever")
    channel: ChannelName
    sender: str = Field(description="Party id of the sender, e.g. SPOC-DE")
    to: list[str] = Field(min_length=1)
    cc: list[str] = Field(default_factory=list)
    created_at: AwareDatetime = Field(description="Network time at which the message was accepted (UTC)")
    in_reply_to: str | None = None
    case_id: str | None = Field(default=None, description="Channel case id (SIENA: SC-...)")
    payload: dict[str, Any] = Field(default_factory=dict, description="Channel-specific content")
    directive: CarriedDirective = Field(
        default=None,
        description="Directive (EU) 2023/977 content (shape: simulators.model.directive.DirectiveMessage), "
        "carried "
        "as sent: the channels do not judge it",
    )

    _replayed: bool = PrivateAttr(default=False)
    _json: str | None = PrivateAttr(default=None)

    @classmethod
    def stored(cls, fields: dict[str, Any], text: str | None = None) -> Envelope:
        """An envelope from a value for every field, validated by the network already, and its JSON `text`.

        Built as `model_construct` builds a model, without its per-field loop: every send makes one,
        and each field is given. `fields` becomes the envelope's own (not copied).
        """
        if fields.keys() != _FIELD_NAMES:
            raise ValueError(f"a stored envelope needs exactly the fields {sorted(_FIELD_NAMES)}")
        envelope = cls.__new__(cls)
        _object_setattr(envelope, "__dict__", fields)
        _object_setattr(envelope, "__pydantic_fields_set__", set(_FIELD_NAMES))
        _object_setattr(envelope, "__pydantic_extra__", None)
        _object_setattr(envelope, "__pydantic_private__", {"_replayed": False, "_json": text})
        return envelope

    # The private attributes are read from __pydantic_private__, where pydantic keeps them: the
    # attribute route (BaseModel.__getattr__, reached after a failed lookup) costs microseconds, and
    # every send's answer reads them.
    @property
    def replayed(self) -> bool:
        """True when this is the original answer returned again for a repeated Idempotency-Key."""
        return bool((self.__pydantic_private__ or {}).get("_replayed"))

    def to_json(self) -> str:
        """The JSON text of the envelope (the stored text when the network already produced it)."""
        text = (self.__pydantic_private__ or {}).get("_json")
        return text if isinstance(text, str) else self.model_dump_json()

    def with_json(self, text: str) -> Envelope:
        """Remember `text` (this envelope's JSON, keys in any order) to answer with it."""
        self._json = text
        return self

    def mark_replayed(self) -> Envelope:
        self._replayed = True
        return self

    @property
    def recipients(self) -> list[str]:
        """To and CC recipients, each once, in addressing order."""
        return list(dict.fromkeys([*self.to, *self.cc]))


_FIELD_NAMES = frozenset(Envelope.model_fields)
_object_setattr = object.__setattr__  # what pydantic's model_construct uses: no validation, no hooks


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"  # in the recipient's mailbox, not acknowledged
    DELIVERED = "DELIVERED"  # acknowledged by the recipient (pull ack or 2xx to a push)
    READ = "READ"  # read receipt


class AckStatus(StrEnum):
    DELIVERED = "DELIVERED"
    READ = "READ"


class AckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: AckStatus = AckStatus.DELIVERED


class BatchAckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delivery_ids: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]],
                            Field(min_length=1, max_length=1000)]
    status: AckStatus = AckStatus.DELIVERED


class Ack(BaseModel):
    """One recipient's acknowledgement state of one message."""

    delivery_id: str
    party: str
    status: DeliveryStatus
    delivered_at: AwareDatetime = Field(description="When the message reached the recipient's mailbox")
    acked_at: AwareDatetime | None = None
    read_at: AwareDatetime | None = None
    attempts: int = Field(default=0, description="Push attempts made")


class BatchAck(BaseModel):
    acks: list[Ack]


class MessageView(Envelope):
    """An envelope with the delivery state of each recipient (delivery acknowledgements, read receipts)."""

    acks: list[Ack] = Field(default_factory=list)


class Delivery(BaseModel):
    delivery_id: str = Field(description="Stable across redeliveries; deduplicate on it")
    cursor: int = Field(description="Position in the recipient's mailbox; pass as `after` to page on")
    delivered_at: AwareDatetime
    message: Envelope


class MailboxPage(BaseModel):
    deliveries: list[Delivery]
    next_cursor: int


class PushBody(BaseModel):
    """What the network POSTs to a registered webhook."""

    delivery_id: str
    channel: ChannelName
    message: Envelope


class WebhookRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[
        str,
        Field(
            pattern=r"^https?://[^\s/?#]+(/[^\s]*)?$",
            max_length=2000,
            description="http(s) URL that receives pushed deliveries; by default the server accepts loopback "
            "hosts only",
        ),
    ]

    @field_validator("url")
    @classmethod
    def _parsable(cls, url: str) -> str:
        try:
            parts = urlsplit(url)
            _ = parts.port  # raises on a port out of range
        except ValueError as exc:
            raise ValueError(f"not a usable URL: {exc}") from None
        if not parts.hostname:
            raise ValueError("the URL names no host")
        return url


class WebhookView(BaseModel):
    party: str
    channel: ChannelName
    url: str | None
