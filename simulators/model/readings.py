"""How far a reading of the law is verified: the vocabulary the requirement catalogue and the shared
readings (such as the Art 10(b) personal-data whitelist) use to say it.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Basis"]


class Basis(StrEnum):
    """How far the reading of the directive behind a requirement or a reading was verified."""

    VERIFIED = "verified"
    PARTLY_VERIFIED = "partly-verified"
    UNVERIFIED = "unverified"
