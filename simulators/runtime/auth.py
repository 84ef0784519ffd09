"""Bearer tokens of the network: one per party, one for the control API.

`DIR/credentials.json` is written on the first start and kept afterwards, so a CMS configured once
keeps working across restarts. The file holds secrets: it is created with mode 0600.

A channel request is made by exactly one *acting party*: the owner of a party token, or, for the
control token, the party named in `X-Act-As`. `Caller` carries that resolution; handlers decide
what the party may do and call `Network.refuse` (403, journaled) when it may not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import BaseModel, PrivateAttr

from simulators.model.parties import all_parties
from simulators.runtime.problems import FieldError, ProblemError

__all__ = ["ACT_AS_HEADER", "Caller", "Credentials", "load_or_create_credentials", "resolve_caller"]

ACT_AS_HEADER = "X-Act-As"


class Credentials(BaseModel):
    control: str
    parties: dict[str, str]

    _by_digest: dict[bytes, str] = PrivateAttr(default_factory=dict)
    # The Authorization headers that resolved to a party, each to its (immutable) Caller. Only
    # "Bearer <valid party token>" gets in, so it holds at most one entry per party. A dict
    # compares two strings only once their randomised 64-bit hashes are equal, so its timing, like
    # the digest lookup's, says nothing about how close a guess came.
    _callers: dict[str, Caller] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        self._by_digest = {_digest(token): party_id for party_id, token in self.parties.items()}

    def party_for(self, token: str) -> str | None:
        # Looked up by the token's SHA-256: the lookup's timing depends on the digest, which says
        # nothing about how close a guess came to a real token.
        return self._by_digest.get(_digest(token))

    @property
    def callers(self) -> dict[str, Caller]:
        # Read where pydantic keeps private attributes: `self._callers` would go through
        # BaseModel.__getattr__, which costs a microsecond on every request.
        private = self.__pydantic_private__
        assert private is not None
        found: dict[str, Caller] = private["_callers"]
        return found

    def is_control(self, token: str) -> bool:
        # Compared as bytes: `compare_digest` refuses a str with non-ASCII characters (TypeError),
        # and a header may hold any byte aiohttp decoded.
        return hmac.compare_digest(_token_bytes(self.control), _token_bytes(token))


def _token_bytes(token: str) -> bytes:
    return token.encode("utf-8", "surrogatepass")


def _digest(token: str) -> bytes:
    return hashlib.sha256(_token_bytes(token)).digest()


def load_or_create_credentials(directory: Path) -> tuple[Credentials, Path]:
    """Read DIR/credentials.json, adding tokens for parties it lacks; create it when absent."""
    path = directory / "credentials.json"
    directory.mkdir(parents=True, exist_ok=True)
    existing: Credentials | None = None
    if path.exists():
        existing = Credentials.model_validate_json(path.read_text(encoding="utf-8"))
    parties = dict(existing.parties) if existing else {}
    missing = [pid for pid in all_parties() if pid not in parties]
    for pid in missing:
        parties[pid] = secrets.token_urlsafe(24)
    credentials = Credentials(
        control=existing.control if existing else secrets.token_urlsafe(32), parties=parties
    )
    if existing is None or missing:
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(credentials.model_dump(), handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    return credentials, path


@dataclass(frozen=True)
class Caller:
    """Who is calling: `party` is the acting party (None for the control token without X-Act-As)."""

    party: str | None
    control: bool

    def require_party(self) -> str:
        if self.party is None:
            raise ProblemError(
                400,
                "Acting party missing",
                f"the control token must name the party it acts as in the {ACT_AS_HEADER} header",
                slug="act-as-missing",
                errors=[FieldError(field=ACT_AS_HEADER, rule="required with the control token")],
            )
        return self.party


_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="spoc-network"'}


def resolve_caller(request: web.Request, credentials: Credentials) -> Caller:
    """The caller of a request, or a 401 problem."""
    header = request.headers.get("Authorization", "")
    known = credentials.callers.get(header)
    if known is not None:  # a party's header seen before: the usual case, on every request
        return known
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError(
            401,
            "Unauthorized",
            "send Authorization: Bearer <token> (see credentials.json)",
            errors=[FieldError(field="Authorization", rule="a Bearer token is required")],
            headers=_UNAUTHORIZED_HEADERS,
        )
    token = token.strip()
    if credentials.is_control(token):
        act_as = request.headers.get(ACT_AS_HEADER)
        if act_as is None:
            return Caller(party=None, control=True)
        wanted = act_as.strip().upper()
        if wanted not in credentials.parties:
            raise ProblemError(
                422,
                "Unknown party",
                f"{ACT_AS_HEADER} names no party of the network: {act_as!r}",
                slug="unknown-party",
                errors=[FieldError(field=ACT_AS_HEADER, rule="must be a party id such as SPOC-AT")],
            )
        return Caller(party=wanted, control=True)
    party_id = credentials.party_for(token)
    if party_id is None:
        raise ProblemError(
            401,
            "Unauthorized",
            "the bearer token is not known to this network",
            errors=[FieldError(field="Authorization", rule="must be a token from credentials.json")],
            headers=_UNAUTHORIZED_HEADERS,
        )
    found = Caller(party=party_id, control=False)
    if header == f"Bearer {token}":  # the usual spelling only: one entry per party, however it is spelt
        credentials.callers[header] = found
    return found
