"""The OpenAPI 3.1 document of the SUT test interface, generated from the route table and the models.

The repository keeps the generated document as docs/sut-interface.openapi.json (a test checks the
file equals what the reference CMS serves). After changing the interface, regenerate it with
`python -m simulators.reference_cms.openapi docs/sut-interface.openapi.json`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from simulators.model.sut_interface import INTERFACE_VERSION
from simulators.reference_cms.sut_api import BASE, ROUTES

__all__ = ["build_openapi", "main"]

_PROBLEM: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `errors` names each offending field and the rule it breaks",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "rule"],
                "properties": {"field": {"type": "string"}, "rule": {"type": "string"}},
            },
        },
    },
}

_ERRORS = {
    "400": "Malformed JSON (problem document), or a request the HTTP server cannot parse (plain text)",
    "404": "No such case or resource",
    "409": "Not possible in the case's current state",
    "413": "Request body too large",
    "422": "Invalid input: the field and the rule are named",
    "502": "The channels refused or could not be reached",
    "401": "The CMS requires its bearer token (sutToken) and the request did not carry it",
    "421": "The Host header names neither the CMS's address nor an allowed host name (DNS rebinding)",
}
_BODY_ERRORS = {"415": "The body is not sent as application/json"}
_SUT_TOKEN = {
    "type": "http",
    "scheme": "bearer",
    "description": "Optional. A test deployment may require 'Authorization: Bearer <token>' on every call; "
                   "the harness sends it when given `spoc-harness run --sut-token` (or SPOC_SUT_TOKEN).",
}


# Long: the SUT interface's OpenAPI document assembled in the order of the
# document itself (components, paths, operations, security).
def build_openapi() -> dict[str, Any]:
    wanted: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = []
    for route in ROUTES:
        if route.body is not None and (route.body, "validation") not in wanted:
            wanted.append((route.body, "validation"))
        if route.response is not None and (route.response, "serialization") not in wanted:
            wanted.append((route.response, "serialization"))
    keys, schema = models_json_schema(wanted, ref_template="#/components/schemas/{model}")
    components: dict[str, Any] = dict(schema.get("$defs", {}))
    components["Problem"] = _PROBLEM
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        operation: dict[str, Any] = {
            "operationId": route.operation,
            "summary": route.summary,
            "description": f"Manual equivalent: {route.manual}." + (" OPTIONAL: a CMS may omit it." if route.optional
                                                                     else ""),
            "tags": [route.tag],
            "x-manual-equivalent": route.manual,
            "x-optional": route.optional,
            "x-capabilities": list(route.capabilities),
        }
        parameters: list[dict[str, Any]] = []
        if "{case_id}" in route.path:
            parameters.append({"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"},
                               "description": "The CMS's case id"})
        for param in route.query:
            param_schema: dict[str, Any] = {"type": param.type}
            if param.format:
                param_schema["format"] = param.format
            if param.enum:
                param_schema["enum"] = list(param.enum)
            if param.minimum is not None:
                param_schema["minimum"] = param.minimum
            if param.maximum is not None:
                param_schema["maximum"] = param.maximum
            parameters.append({"name": param.name, "in": "query", "required": False, "schema": param_schema,
                               "description": param.description})
        if parameters:
            operation["parameters"] = parameters
        if route.body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": keys[(route.body, "validation")]}}}
        ok: dict[str, Any] = {"description": "OK" if route.status == 200 else "Created"}
        if route.response is not None:
            ok["content"] = {"application/json": {"schema": keys[(route.response, "serialization")]}}
        else:
            ok["content"] = {"application/json": {"schema": {"type": "object"}}}
        responses: dict[str, Any] = {str(route.status): ok}
        errors = _ERRORS | (_BODY_ERRORS if route.body is not None else {})
        for status, text in sorted(errors.items()):
            content: dict[str, Any] = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
            if status == "400":
                # The HTTP server itself refuses a request it cannot parse (e.g. a request line over 8 KB)
                # before the interface sees it, in plain text.
                content["text/plain"] = {"schema": {"type": "string"}}
            responses[status] = {"description": text, "content": content}
        operation["responses"] = responses
        paths.setdefault(BASE + route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SPOC CMS test interface (SUT interface)",
            "version": INTERFACE_VERSION,
            "description": "The HTTP interface a vendor adds to a test deployment of its case management system "
                           "so that the conformance harness for Directive (EU) 2023/977 can drive and read it. "
                           "Contract: docs/sut-interface.md.",
            "x-interface-version": INTERFACE_VERSION,
        },
        "servers": [{"url": "http://127.0.0.1:8800"}],
        "paths": paths,
        # Either no authentication or the bearer token: the contract lets a vendor choose.
        "security": [{}, {"sutToken": []}],
        "components": {"schemas": dict(sorted(components.items())), "securitySchemes": {"sutToken": _SUT_TOKEN}},
    }


def render() -> str:
    return json.dumps(build_openapi(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
