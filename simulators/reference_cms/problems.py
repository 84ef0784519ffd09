"""RFC 9457 problem details for the SUT test interface: every error names the field and the rule."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "PROBLEM_TYPE",
    "CmsProblemError",
    "FieldRule",
    "problem_middleware",
    "read_body",
    "validation_problem",
]

PROBLEM_TYPE = "application/problem+json"
MAX_BODY_BYTES = 4 * 1024 * 1024
# Far deeper than any document of the interface (about 5 levels); bounded so that parsing and
# validating a hostile body cannot exhaust the interpreter's recursion limit.
MAX_JSON_DEPTH = 64
_TOO_DEEP = object()
_TYPE_BASE = "https://spoc-harness.invalid/sut/problems/"
_log = logging.getLogger("reference_cms.problems")

M = TypeVar("M", bound=BaseModel)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FieldRule = tuple[str, str]


class CmsProblemError(Exception):
    def __init__(self, status: int, title: str, detail: str, *, errors: Sequence[FieldRule] = (),
                 slug: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.headers = dict(headers or {})
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = list(errors)
        self.slug = slug or title.lower().replace(" ", "-")

    def document(self, instance: str) -> dict[str, Any]:
        document: dict[str, Any] = {"type": _TYPE_BASE + self.slug, "title": self.title, "status": self.status,
                                    "detail": self.detail, "instance": instance}
        if self.errors:
            document["errors"] = [{"field": f, "rule": r} for f, r in self.errors]
        return document


def validation_problem(exc: ValidationError, prefix: str = "") -> CmsProblemError:
    errors: list[FieldRule] = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        # A model-level rule names its field as "field: rule".
        if not location and ": " in message:
            location, message = message.split(": ", 1)
        errors.append((prefix + location if location else prefix.rstrip(".") or "body", message))
    detail = "; ".join(f"{f}: {r}" for f, r in errors)
    return CmsProblemError(422, "Invalid input", detail, errors=errors, slug="validation")


def _too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects nest deeper than `limit` (walked without recursion)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


async def read_body(request: web.Request, model: type[M]) -> M:
    """The body as `model`: JSON only as application/json (a cross-site "simple" POST cannot send
    that without a preflight), nested at most MAX_JSON_DEPTH deep, else a problem naming the rule."""
    if request.content_type != "application/json":
        raise CmsProblemError(415, "Unsupported media type",
                           f"the body is {request.content_type!r}; this interface takes application/json only",
                           errors=[("header.Content-Type", "must be application/json")], slug="unsupported-media-type")
    try:
        raw = await request.json(loads=json.loads)
    except RecursionError:
        raw = _TOO_DEEP
    except ValueError:
        raise CmsProblemError(400, "Malformed JSON", "the body must be a JSON document",
                           errors=[("body", "must be valid JSON")], slug="malformed-json") from None
    if raw is _TOO_DEEP or _too_deep(raw):
        raise CmsProblemError(400, "Malformed JSON", f"the body nests arrays or objects deeper than {MAX_JSON_DEPTH}",
                           errors=[("body", f"must nest at most {MAX_JSON_DEPTH} levels deep")],
                           slug="malformed-json")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise validation_problem(exc) from None


def _respond(problem: CmsProblemError, request: web.Request) -> web.Response:
    return web.Response(status=problem.status, text=json.dumps(problem.document(request.path_qs)),
                        content_type=PROBLEM_TYPE, headers=problem.headers)


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except CmsProblemError as problem:
        return _respond(problem, request)
    except ValidationError as exc:
        return _respond(validation_problem(exc), request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        field, rule = {
            404: ("path", "no such resource"),
            413: ("body", f"at most {MAX_BODY_BYTES} bytes"),
        }.get(exc.status, ("method", f"{request.method} is not allowed here"))
        return _respond(CmsProblemError(exc.status, exc.reason, f"{request.method} {request.path}: {exc.reason}",
                                     errors=[(field, rule)]), request)
    except Exception:
        incident = secrets.token_hex(6)
        _log.exception("incident %s while answering %s %s", incident, request.method, request.path)
        return _respond(CmsProblemError(500, "Internal error", f"incident {incident}; see the CMS log"), request)
