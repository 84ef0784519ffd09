"""The route registry the OpenAPI 3.1 document is generated from.

A channel adds each operation with `route(app, ...)`: that adds the aiohttp route *and* describes
it (models, parameters, auth, which channel it belongs to), so the document at `/openapi.json`
cannot drift from the routes. Schemas come from the pydantic models (`models_json_schema`); error
answers are RFC 9457 problems. The registry's `guard` wraps each handler in what every request of
the server goes through, reading the same `Operation` (auth level, channel, whether it is a send)
to apply authentication and faults.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from simulators.model.directive import ChannelName, DirectiveMessage
from simulators.runtime.problems import PROBLEM_CONTENT_TYPE, Problem

__all__ = ["OPENAPI", "HeaderParam", "OpenApiRegistry", "Operation", "route"]

Auth = Literal["none", "party", "control"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_PATH_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}")


@dataclass(frozen=True)
class HeaderParam:
    name: str
    description: str
    required: bool = False
    max_length: int = 200


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    auth: Auth = "party"
    channel: ChannelName | None = None
    request: type[BaseModel] | None = None
    responses: Mapping[int, type[BaseModel] | None] = field(default_factory=dict)
    query: type[BaseModel] | None = None
    headers: Sequence[HeaderParam] = ()
    send: bool = False
    description: str = ""
    request_required: bool = True  # False: the body may be left out (the operation has defaults for it)

    @property
    def openapi_path(self) -> str:
        return _PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", self.path)


class OpenApiRegistry:
    """The operations of a server; `guard(operation, handler)`, when given, wraps every handler `route` adds."""

    def __init__(self, guard: Callable[[Operation, Handler], Handler] | None = None) -> None:
        self._operations: dict[tuple[str, str], Operation] = {}
        self._guard = guard

    def add(self, operation: Operation) -> None:
        key = (operation.method.upper(), operation.path)
        if key in self._operations:
            raise ValueError(f"operation {key} registered twice")
        self._operations[key] = operation

    def find(self, method: str, path_template: str) -> Operation | None:
        return self._operations.get((method.upper(), path_template))

    def guarded(self, operation: Operation, handler: Handler) -> Handler:
        return handler if self._guard is None else self._guard(operation, handler)

    @property
    def operations(self) -> list[Operation]:
        return list(self._operations.values())

    # Long: the channels' OpenAPI document assembled in the order of the document
    # (components, then each operation's parameters, bodies and answers).
    def document(self, *, title: str, version: str, description: str = "") -> dict[str, Any]:
        # DirectiveMessage is always published: every `directive` field refers to it (CarriedDirective).
        models: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {
            (Problem, "serialization"): None,
            (DirectiveMessage, "validation"): None,
        }
        for op in self._operations.values():
            if op.request is not None:
                models[(op.request, "validation")] = None
            if op.query is not None:
                models[(op.query, "validation")] = None
            for model in op.responses.values():
                if model is not None:
                    models[(model, "serialization")] = None
        refs, defs = models_json_schema(list(models), ref_template="#/components/schemas/{model}")
        schemas: dict[str, Any] = dict(defs.get("$defs", {}))

        def ref(model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
            return dict(refs[(model, mode)])

        def query_schema(model: type[BaseModel] | None) -> dict[str, Any] | None:
            # The query model's schema is among the components; its enums are referenced from there.
            if model is None:
                return None
            name = str(refs[(model, "validation")]["$ref"]).rsplit("/", 1)[1]
            return dict(schemas[name])

        problem = {PROBLEM_CONTENT_TYPE: {"schema": ref(Problem, "serialization")}}
        paths: dict[str, dict[str, Any]] = {}
        for op in self._operations.values():
            item: dict[str, Any] = {
                "operationId": op.operation_id,
                "summary": op.summary,
                "tags": [op.tag],
                "parameters": self._parameters(op, query_schema(op.query)),
                "responses": {},
            }
            if op.description:
                item["description"] = op.description
            if op.auth != "none":
                item["security"] = [{"bearer": []}]
            if op.request is not None:
                item["requestBody"] = {
                    "required": op.request_required,
                    "content": {"application/json": {"schema": ref(op.request, "validation")}},
                }
            for status, model in sorted(op.responses.items()):
                answer: dict[str, Any] = {"description": _reason(status)}
                if model is not None:
                    answer["content"] = {"application/json": {"schema": ref(model, "serialization")}}
                item["responses"][str(status)] = answer
            item["responses"]["4XX"] = {
                "description": "The request was refused (RFC 9457 problem)",
                "content": problem,
            }
            if op.channel is not None:
                item["responses"]["503"] = {
                    "description": "The channel is unavailable (injected outage or lost acknowledgement)",
                    "content": problem,
                }
            for answer in item["responses"].values():
                answer["headers"] = {NETWORK_TIME: _NETWORK_TIME_HEADER}
            if not item["parameters"]:
                del item["parameters"]
            paths.setdefault(op.openapi_path, {})[op.method.lower()] = item
        return {
            "openapi": "3.1.0",
            "info": {"title": title, "version": version, "description": description},
            "servers": [{"url": "/"}],
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A party token or the control token from credentials.json",
                    }
                },
            },
        }

    @staticmethod
    def _parameters(op: Operation, query: dict[str, Any] | None) -> list[dict[str, Any]]:
        params: list[dict[str, Any]] = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
            for name in _PATH_PARAM.findall(op.path)
        ]
        if query is not None:
            schema = query
            required = set(schema.get("required", []))
            for name, prop in schema.get("properties", {}).items():
                prop = {k: v for k, v in prop.items() if k != "title"}
                description = prop.pop("description", None)
                entry: dict[str, Any] = {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "schema": prop,
                }
                if description:
                    entry["description"] = description
                params.append(entry)
        for header in op.headers:
            params.append(
                {
                    "name": header.name,
                    "in": "header",
                    "required": header.required,
                    "description": header.description,
                    "schema": {"type": "string", "minLength": 1, "maxLength": header.max_length},
                }
            )
        if op.auth == "party":
            params.append(
                {
                    "name": "X-Act-As",
                    "in": "header",
                    "required": False,
                    "description": "With the control token: the party id to act as",
                    "schema": {"type": "string", "maxLength": 64},
                }
            )
        return params


OPENAPI = web.AppKey("openapi_registry", OpenApiRegistry)
NETWORK_TIME = "X-Network-Time"
_NETWORK_TIME_HEADER: dict[str, Any] = {
    "description": "The network time when the answer was made (ISO 8601, UTC)", "required": True,
    "schema": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"}}


def route(
    app: web.Application,
    method: str,
    path: str,
    handler: Handler,
    *,
    operation_id: str,
    summary: str,
    tag: str,
    auth: Auth = "party",
    channel: ChannelName | None = None,
    request: type[BaseModel] | None = None,
    responses: Mapping[int, type[BaseModel] | None] | None = None,
    query: type[BaseModel] | None = None,
    headers: Sequence[HeaderParam] = (),
    send: bool = False,
    description: str = "",
    request_required: bool = True,
) -> Operation:
    """Add `handler` at `method path` and describe it in the OpenAPI document."""
    operation = Operation(
        method=method.upper(),
        path=path,
        operation_id=operation_id,
        summary=summary,
        tag=tag,
        auth=auth,
        channel=channel,
        request=request,
        responses=dict(responses or {200: None}),
        query=query,
        headers=tuple(headers),
        send=send,
        description=description,
        request_required=request_required,
    )
    registry = app[OPENAPI]
    registry.add(operation)
    app.router.add_route(method.upper(), path, registry.guarded(operation, handler))
    return operation


def _reason(status: int) -> str:
    return {200: "OK", 201: "Created", 202: "Accepted", 204: "No content"}.get(status, str(status))
