"""Who may call the reference CMS: the Host it is addressed by and, optionally, a bearer token.

A browser on the operator's machine can reach a loopback port. Two attacks follow without these checks:
a web page POSTs a stimulus cross-site (a "simple" request, no preflight, so the CMS sends a real
channel message), and DNS rebinding lets a page read the case export under its own host name. The
Host check stops the second, `read_body`'s application/json rule the first, and the token (when set)
both, for any caller that does not hold it. The channels' pushes and /healthz need no token: the
channels never learn it (their webhook URL is this CMS's own address, so the Host check passes).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable

from aiohttp import web
from aiohttp.typedefs import Middleware

from simulators.reference_cms.problems import CmsProblemError, Handler

__all__ = ["LOOPBACK_NAMES", "allowed_host_names", "guard_middleware", "is_loopback"]

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_TOKEN_RULE = "must be 'Bearer' and the SUT token"
_GUARDED_PREFIX = "/sut/"


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_host_names(bound_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Host names a request may address this CMS by: loopback names, the bound address, the allow-list."""
    names = set(LOOPBACK_NAMES) | {name.strip().lower().strip("[]") for name in extra if name.strip()}
    if bound_host not in ("", "0.0.0.0", "::"):
        names.add(bound_host.lower().strip("[]"))
    return frozenset(names)


def _host_name(header: str) -> str:
    """'Example.org:8800' -> 'example.org'; '[::1]:8800' -> '::1'."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _token_matches(header: str, token: bytes) -> bool:
    scheme, _, given = header.partition(" ")
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError, i.e. a 500).
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode("utf-8", "surrogateescape"), token)


def guard_middleware(allowed_hosts: frozenset[str], token: str | None) -> Middleware:
    """Refuse a request addressed to a host not in `allowed_hosts` (421), and one to the SUT interface
    without `token` when a token is set (401). Runs inside the problem middleware."""
    token_bytes = token.encode("utf-8") if token else None

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        host = request.headers.get("Host")
        if host is not None and _host_name(host) not in allowed_hosts:
            raise CmsProblemError(421, "Misdirected request", f"this CMS does not answer to the host name {host!r}",
                               errors=[("header.Host", "must name this CMS's own address or an allowed host")],
                               slug="misdirected-request")
        guarded = token_bytes is not None and request.path.startswith(_GUARDED_PREFIX)
        if guarded and not _token_matches(request.headers.get("Authorization", ""), token_bytes or b""):
            raise CmsProblemError(401, "Unauthorised",
                               "this SUT interface needs its bearer token (Authorization: Bearer ...)",
                               errors=[("header.Authorization", _TOKEN_RULE)], slug="unauthorised",
                               headers={"WWW-Authenticate": 'Bearer realm="sut"'})
        return await handler(request)

    return guard
