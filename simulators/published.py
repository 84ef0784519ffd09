"""The generated parts of the published contract, so that the documents a vendor reads cannot drift.

One source each: the directive payload from `simulators.model.directive` (the same JSON Schema the
channel server publishes in its OpenAPI components), the parties from `parties.toml` (the same data
`GET /parties` serves) and the personal-data whitelist from `personal_data.toml` (the same reading the
harness judges by and the reference CMS filters by). Generated Markdown sits between markers in the
docs; `tests/simulators/test_published_contract.py` checks that every generated part equals what is
written.

Regenerate after changing a source: `python -m simulators.published` (from the repository root);
`--check` only reports what differs (exit 1).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import re
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema

from simulators.model import directive as directive_module
from simulators.model.directive import DirectiveMessage, RefusalGround
from simulators.model.parties import party_directory
from simulators.model.personal_data import PACKAGED_SOURCE, load_personal_data_whitelist

__all__ = [
    "GENERATED_FILES",
    "GENERATED_SECTIONS",
    "channels_openapi_document",
    "directive_schemas",
    "directive_tables",
    "parties_document",
    "parties_table",
    "personal_data_table",
    "render_section",
    "stale_documents",
]

_MARK = "<!-- generated: {name} (python -m simulators.published); edit the source, not this text -->"
_END = "<!-- end generated: {name} -->"


def directive_schemas() -> dict[str, Any]:
    """The JSON Schemas of DirectiveMessage and every type it uses, keyed by component name."""
    _, defs = models_json_schema([(DirectiveMessage, "validation")], ref_template="#/components/schemas/{model}")
    return dict(defs["$defs"])


def _type_text(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in schema:
        return " or ".join(_type_text(part) for part in schema["anyOf"])
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = schema.get("type")
    if kind == "array":
        return f"list of {_type_text(schema.get('items', {}))}"
    if kind == "object":
        return "object of string" if schema.get("additionalProperties") else "object"
    if kind == "null":
        return "null"
    text = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}.get(str(kind), "any")
    if schema.get("format") == "date-time":
        text = "date-time with a UTC offset"
    limits = [f"{word} {schema[key]}" for key, word in (("exclusiveMinimum", ">"), ("minLength", "length >="))
              if key in schema]
    return text + (f" ({', '.join(limits)})" if limits else "")


def _model_table(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"#### {name}", "", str(schema.get("description", "")).strip().replace("\n\n", " ").replace("\n", " "),
             "", "| field | type | required | meaning |", "|---|---|---|---|"]
    required = set(schema.get("required", []))
    for field, prop in schema.get("properties", {}).items():
        default = f" (default `{json.dumps(prop['default'])}`)" if "default" in prop and prop["default"] is not None \
            else ""
        meaning = str(prop.get("description", "")).replace("|", "\\|")
        lines.append(f"| `{field}` | {_type_text(prop)}{default} | {'yes' if field in required else 'no'} | "
                     f"{meaning} |")
    for rule in schema.get("allOf", []):
        kind = rule["if"]["properties"]["kind"]["const"]
        lines.append("")
        lines.append(f"Rule: a `{kind}` carries {' and '.join(f'`{f}`' for f in rule['then']['required'])} "
                     "(not null).")
    return [*lines, ""]


_MEMBER = re.compile(r'^\s+[A-Z_0-9]+ = "([^"]+)"\s*#\s*(.+)$', re.MULTILINE)


_POINT = re.compile(r"^(\([a-z]+\))+\s*")


@cache
def _value_meanings(name: str) -> dict[str, str]:
    """What each value of an enum of the directive module means: the comment beside it in the source."""
    enum = getattr(directive_module, name, None)
    if enum is None:
        return {}
    return dict(_MEMBER.findall(inspect.getsource(enum)))


def _enum_table(name: str, schema: dict[str, Any]) -> list[str]:
    description = str(schema.get("description", "")).strip().replace("\n", " ")
    meanings = _value_meanings(name)
    rows = []
    for value in schema["enum"]:
        meaning = meanings.get(value, "")
        if name == RefusalGround.__name__:
            # The comment starts with the point the article already names: "(f)(i) national security".
            meaning = f"{RefusalGround(value).article}: {_POINT.sub('', meaning)}"
        escaped = meaning.replace("|", "\\|")
        rows.append(f"| `{value}` | {escaped} |")
    return [f"#### {name}", "", *([description, ""] if description else []), "| value | meaning |", "|---|---|",
            *rows, ""]


def directive_tables() -> str:
    """Markdown: every object and enum of the directive payload, from the published JSON Schema."""
    schemas = directive_schemas()
    objects = [n for n, s in schemas.items() if "enum" not in s]
    enums = [n for n, s in schemas.items() if "enum" in s]
    objects.sort(key=lambda n: (n != DirectiveMessage.__name__, n))
    lines: list[str] = []
    for name in objects:
        lines += _model_table(name, schemas[name])
    for name in sorted(enums):
        lines += _enum_table(name, schemas[name])
    return "\n".join(lines).rstrip() + "\n"


def channels_openapi_document() -> str:
    """docs/channels.openapi.json: what `GET /openapi.json` of a server with every channel serves."""
    # The app module builds a server; imported here so that the Markdown generators stay I/O free.
    from simulators.app import ServerConfig, build_app, network_openapi

    async def build() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="spoc-openapi-") as data:
            app = await build_app(ServerConfig(data=Path(data), clock="virtual"))
            try:
                return network_openapi(app)
            finally:
                await app.cleanup()

    return json.dumps(asyncio.run(build()), indent=1, ensure_ascii=False) + "\n"


def parties_document() -> str:
    """docs/parties.json: the same JSON `GET /parties` serves."""
    return json.dumps(party_directory().model_dump(mode="json"), indent=1, ensure_ascii=False) + "\n"


def parties_table() -> str:
    directory = party_directory()
    lines = ["| state | name | Art 11 languages | time zone | bound | parties (role) |", "|---|---|---|---|---|---|"]
    by_state: dict[str | None, list[str]] = {}
    for entry in directory.parties:
        by_state.setdefault(entry.state, []).append(f"`{entry.id}` ({entry.kind.value})")
    for state in directory.states:
        if state.third_country:
            bound = "third country"
        else:
            bound = "yes" if state.bound else "no (not bound)"
            bound += ", Schengen-associated" if state.schengen_associated else ""
        languages = ", ".join(state.languages) or "none (not a directive state)"
        lines.append(f"| {state.code} | {state.name} | {languages} | {state.timezone} | {bound} | "
                     f"{', '.join(by_state.get(state.code, []))} |")
    lines.append(f"| - | Union and international bodies | - | - | - | {', '.join(by_state.get(None, []))} |")
    return "\n".join(lines) + "\n"


def personal_data_table() -> str:
    whitelist = load_personal_data_whitelist()
    lines = [f"Basis: **{whitelist.basis.value}** reading of {whitelist.reference} ({whitelist.article}); "
             f"source `{PACKAGED_SOURCE}`.", "",
             "| data subject category | Annex II point | reading | personal data categories allowed |",
             "|---|---|---|---|"]
    for entry in whitelist.subjects:
        allowed = ", ".join(f"`{c.value}`" for c in entry.allowed)
        lines.append(f"| `{entry.subject.value}` | {entry.point} | {entry.reading} | {allowed} |")
    narrowest = ", ".join(f"`{c.value}`" for c in sorted(whitelist.narrowest()))
    lines += ["", f"No category known for a person: the narrowest list ({narrowest})."]
    return "\n".join(lines) + "\n"


# (document, section name) -> the generator of its text.
GENERATED_SECTIONS: dict[tuple[str, str], Callable[[], str]] = {
    ("docs/directive-messages.md", "directive-payload"): directive_tables,
    ("docs/directive-messages.md", "personal-data"): personal_data_table,
    ("docs/channels-api.md", "parties"): parties_table,
}
GENERATED_FILES: dict[str, Callable[[], str]] = {
    "docs/parties.json": parties_document,
    "docs/channels.openapi.json": channels_openapi_document,
}


def render_section(document: str, name: str, content: str) -> str:
    """`document` with the text between the markers of section `name` replaced by `content`."""
    start, end = _MARK.format(name=name), _END.format(name=name)
    pattern = re.compile(re.escape(start) + r"\n.*?" + re.escape(end), re.DOTALL)
    if not pattern.search(document):
        raise ValueError(f"no generated section {name!r}: add the lines\n{start}\n{end}")
    return pattern.sub(lambda _: f"{start}\n{content}{end}", document, count=1)


def stale_documents(root: Path, *, write: bool = False) -> list[str]:
    """The generated documents under `root` that differ from their sources (rewritten when `write`)."""
    wanted: dict[str, str] = {}
    for (path, name), generate in GENERATED_SECTIONS.items():
        current = wanted.get(path) or (root / path).read_text(encoding="utf-8")
        wanted[path] = render_section(current, name, generate())
    for path, generate in GENERATED_FILES.items():
        wanted[path] = generate()
    stale = []
    for path, text in wanted.items():
        target = root / path
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            stale.append(path)
            if write:
                target.write_text(text, encoding="utf-8")
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators.published", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the repository root (default: here)")
    parser.add_argument("--check", action="store_true", help="only report documents that differ (exit 1)")
    args = parser.parse_args(argv)
    stale = stale_documents(args.root, write=not args.check)
    for path in stale:
        print(f"{'stale' if args.check else 'rewrote'}: {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
