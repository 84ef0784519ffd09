"""RFC 9457 problem details: the only shape an error takes on the wire.

Handlers raise `ProblemError` (or let pydantic's `ValidationError` escape); the network server's
middleware turns it into `application/problem+json` with `problem_for`. Anything unexpected becomes
a bare 500 whose detail names an incident id that is also in the server log: a stack trace never
reaches a client.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from collections.abc import Sequence
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError

from simulators.runtime.journalable import MAX_DEPTH, OverlongInteger, first_unjournalable

__all__ = [
    "BODY_READ_SECONDS",
    "PROBLEM_CONTENT_TYPE",
    "FieldError",
    "Problem",
    "ProblemError",
    "problem_for",
    "problem_response",
    "read_json",
    "read_model",
    "validation_problem",
]

PROBLEM_CONTENT_TYPE = "application/problem+json"
_TYPE_BASE = "https://spoc-harness.invalid/problems/"
_log = logging.getLogger("simulators.problems")

M = TypeVar("M", bound=BaseModel)


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending field, or the header/parameter name")
    rule: str = Field(description="The rule it breaks")


class Problem(BaseModel):
    """RFC 9457 problem details, with `errors` for validation failures."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


class ProblemError(Exception):
    """Raise from a handler to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        slug: str | None = None,
        errors: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.slug = slug or title.lower().replace(" ", "-")
        self.errors = list(errors)
        self.headers = headers or {}

    def to_problem(self, instance: str | None = None) -> Problem:
        return Problem(
            type=_TYPE_BASE + self.slug,
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
        )


def problem_response(error: ProblemError, instance: str | None = None) -> web.Response:
    body = error.to_problem(instance).model_dump_json(exclude_none=True)
    return web.Response(
        status=error.status, text=body, content_type=PROBLEM_CONTENT_TYPE, headers=error.headers
    )


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(body)"


# Cross-field rules raise ValueError("<field>: <rule>"): the field they name is the one to report.
_NAMED_FIELD = re.compile(r"^(?:Value error, )?([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*): (.+)$", re.DOTALL)


def _field_error(prefix: str, loc: tuple[int | str, ...], message: str) -> FieldError:
    named = _NAMED_FIELD.match(message)
    if named and " " not in named.group(1):
        return FieldError(field=prefix + ".".join([*(str(p) for p in loc), named.group(1)]), rule=named.group(2))
    return FieldError(field=prefix + _location(loc), rule=message.removeprefix("Value error, "))


def validation_problem(exc: ValidationError, *, prefix: str = "") -> ProblemError:
    errors = [_field_error(prefix, e["loc"], e["msg"]) for e in exc.errors()]
    first = errors[0] if errors else FieldError(field="(body)", rule="invalid")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return ProblemError(
        422, "Validation failed", f"{first.field}: {first.rule}{more}", slug="validation", errors=errors
    )


def _require_json(request: web.Request) -> None:
    raw = request.headers.get("Content-Type")
    if raw == "application/json" or raw == "application/json; charset=utf-8":
        return  # what nearly every client sends: no need to parse it
    ctype = request.content_type
    if ctype != "application/json" and not ctype.endswith("+json"):
        raise ProblemError(415, "Unsupported media type",
                           f"send the body as application/json, not {ctype or 'nothing'}",
                           errors=[FieldError(field="Content-Type", rule="must be application/json")])


def _malformed(detail: str) -> ProblemError:
    return ProblemError(400, "Malformed JSON", f"the body is not valid JSON: {detail}", slug="malformed-json",
                        errors=[FieldError(field="(body)", rule="must be a JSON document")])


# Seconds a handler waits for the rest of a body that did not arrive with the head (then 408).
BODY_READ_SECONDS = web.AppKey("body_read_seconds", float)
_DEFAULT_BODY_READ_SECONDS = 30.0


async def _read_body(request: web.Request) -> bytes:
    if request.content.is_eof():  # the usual case: the whole body came with the head
        return await request.read()
    try:
        async with asyncio.timeout(request.app.get(BODY_READ_SECONDS, _DEFAULT_BODY_READ_SECONDS)):
            return await request.read()
    except TimeoutError:
        raise ProblemError(408, "Request timeout", "the request body did not arrive in time", slug="request-timeout",
                           errors=[FieldError(field="(body)", rule="must arrive within the body read timeout")],
                           headers={"Connection": "close"}) from None


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, or a 415/400/422 problem saying what is wrong with it.

    A document the journal could not hold (nested deeper than `MAX_DEPTH`, NaN, Infinity, 1e400, an
    integer beyond the int-string limit, a lone surrogate) is a 422 naming the field, before any
    handler sees it.
    """
    _require_json(request)
    raw = await _read_body(request)
    try:
        value = json.loads(raw, parse_int=_parse_int)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _malformed(str(exc)) from None
    except RecursionError:
        raise ProblemError(422, "Validation failed", f"(body): nested deeper than {MAX_DEPTH} levels",
                           slug="validation",
                           errors=[FieldError(field="(body)", rule=f"nested deeper than {MAX_DEPTH} levels")]) from None
    found = first_unjournalable(value)
    if found is not None:
        field, rule = found
        raise ProblemError(422, "Validation failed", f"{field}: {rule}", slug="validation",
                           errors=[FieldError(field=field, rule=rule)])
    return value


def _parse_int(text: str) -> int | OverlongInteger:
    # Kept as text beyond the int-string limit (int() would raise ValueError), to be named as a field.
    return OverlongInteger(text) if len(text) > 4000 else int(text)


async def read_model(request: web.Request, model: type[M]) -> M:
    """The body validated into `model` (parsed by pydantic straight from the bytes), or a problem."""
    _require_json(request)
    raw = await _read_body(request)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise _malformed(exc.errors()[0]["msg"]) from None
        raise validation_problem(exc) from None


_STATUS_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Validation failed",
}


def _from_http_exception(exc: web.HTTPException) -> ProblemError:
    title = _STATUS_TITLES.get(exc.status, exc.reason)
    detail = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason
    if exc.status == 413:
        detail = "the request body is larger than this server accepts"
    headers = {
        k: v for k, v in exc.headers.items() if k.lower() in ("allow", "www-authenticate", "retry-after")
    }
    return ProblemError(exc.status, title, detail, headers=headers)


def problem_for(request: web.Request, exc: Exception) -> web.Response:
    """The problem answer for an exception a handler raised; an HTTPException below 400 is raised again."""
    if isinstance(exc, ProblemError):
        return problem_response(exc, request.path)
    if isinstance(exc, ValidationError):
        return problem_response(validation_problem(exc), request.path)
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            raise exc
        return problem_response(_from_http_exception(exc), request.path)
    incident = secrets.token_hex(6)
    _log.error("incident %s while serving %s %s", incident, request.method, request.path, exc_info=exc)
    error = ProblemError(
        500,
        "Internal server error",
        f"the server failed; incident {incident} is in its log",
        slug="internal",
    )
    return problem_response(error, request.path)

