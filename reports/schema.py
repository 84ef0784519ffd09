"""The JSON Schema of results.json and the field tables of docs/results-schema.md, both from the models.

`python -m reports.schema` rewrites docs/results.schema.json and the generated part of
docs/results-schema.md; `python -m reports.schema --check` exits 1 if either is out of date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from reports.results import SCHEMA_VERSION, RunResults

__all__ = [
    "SCHEMA_ID",
    "render_field_tables",
    "render_results_schema",
    "results_json_schema",
    "update_docs",
]

SCHEMA_ID = f"urn:spoc-harness:results-schema:{SCHEMA_VERSION}"
GENERATED_BEGIN = "<!-- BEGIN GENERATED FIELD TABLES (python -m reports.schema) -->"
GENERATED_END = "<!-- END GENERATED FIELD TABLES -->"


def results_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of results.json as the harness writes it."""
    schema = RunResults.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": f"spoc-harness results.json (schema {SCHEMA_VERSION})",
    }


def render_results_schema() -> str:
    return json.dumps(results_json_schema(), indent=2, ensure_ascii=False) + "\n"


def _type_of(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        name = str(prop["$ref"]).rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in prop:
        parts = [_type_of(option) for option in prop["anyOf"]]
        return " or ".join(parts)
    if "enum" in prop:
        return "one of " + ", ".join(f"`{value}`" for value in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    kind = prop.get("type")
    if kind == "array":
        return f"list of {_type_of(prop.get('items', {}))}"
    if kind == "string" and prop.get("format") == "date-time":
        return "date-time (ISO 8601, with offset)"
    if kind == "object":
        return "object"
    return str(kind) if kind else "any"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _referenced(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.append(value.rsplit("/", 1)[-1])
            else:
                found.extend(_referenced(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_referenced(item))
    return found


def render_field_tables() -> str:
    """Markdown: one section per model of results.json, its fields in a table, root first."""
    schema = results_json_schema()
    definitions: dict[str, dict[str, Any]] = schema.get("$defs", {})
    order = ["RunResults"]
    queue = _referenced(schema.get("properties", {}))
    while queue:
        name = queue.pop(0)
        if name not in order and name in definitions:
            order.append(name)
            queue.extend(_referenced(definitions[name]))
    lines: list[str] = []
    for name in order:
        node = schema if name == "RunResults" else definitions[name]
        lines += [f"### {name}", ""]
        if node.get("description"):
            lines += [" ".join(str(node["description"]).split()), ""]
        if "enum" in node:
            lines += ["Values: " + ", ".join(f"`{value}`" for value in node["enum"]), ""]
            continue
        required = set(node.get("required", []))
        lines += ["| field | type | required | meaning |", "|---|---|---|---|"]
        for field_name, prop in node.get("properties", {}).items():
            meaning = _cell(" ".join(str(prop.get("description", "")).split()))
            lines.append(
                f"| `{field_name}` | {_cell(_type_of(prop))} | {'yes' if field_name in required else 'no'} "
                f"| {meaning} |"
            )
        if node.get("additionalProperties") is True:
            lines.append("| *(other keys)* | any | no | Further harness options, kept as given. |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _splice(document: str, generated: str) -> str:
    head, begin, rest = document.partition(GENERATED_BEGIN)
    if not begin:
        raise ValueError(f"the document has no '{GENERATED_BEGIN}' marker")
    _, end, tail = rest.partition(GENERATED_END)
    if not end:
        raise ValueError(f"the document has no '{GENERATED_END}' marker")
    return f"{head}{GENERATED_BEGIN}\n\n{generated}\n{GENERATED_END}{tail}"


def update_docs(docs_dir: Path, *, check: bool = False) -> list[Path]:
    """Write (or, with check, only compare) the generated docs; returns the files that were stale."""
    stale: list[Path] = []
    schema_path = docs_dir / "results.schema.json"
    wanted_schema = render_results_schema()
    if not schema_path.exists() or schema_path.read_text(encoding="utf-8") != wanted_schema:
        stale.append(schema_path)
        if not check:
            schema_path.write_text(wanted_schema, encoding="utf-8")
    doc_path = docs_dir / "results-schema.md"
    current = doc_path.read_text(encoding="utf-8")
    wanted_doc = _splice(current, render_field_tables())
    if current != wanted_doc:
        stale.append(doc_path)
        if not check:
            doc_path.write_text(wanted_doc, encoding="utf-8")
    return stale


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    check = "--check" in args
    docs_dir = Path(__file__).resolve().parent.parent / "docs"
    stale = update_docs(docs_dir, check=check)
    for path in stale:
        print(f"{'out of date' if check else 'updated'}: {path}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
