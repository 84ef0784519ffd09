from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reports.results import RunResults
from reports.schema import render_field_tables, render_results_schema, results_json_schema, update_docs

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_committed_schema_and_field_tables_are_current() -> None:
    stale = update_docs(DOCS, check=True)
    assert stale == [], f"regenerate with `python -m reports.schema`: {stale}"


def test_every_field_is_documented() -> None:
    schema = results_json_schema()
    undocumented = [
        f"{model}.{field}"
        for model, node in [("RunResults", schema), *schema["$defs"].items()]
        for field, prop in node.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert undocumented == []


def test_field_tables_name_every_model_and_field() -> None:
    tables = render_field_tables()
    for model, node in [("RunResults", results_json_schema()), *results_json_schema()["$defs"].items()]:
        assert f"### {model}\n" in tables
        for field in node.get("properties", {}):
            assert f"| `{field}` |" in tables


def test_written_results_validate_against_the_published_schema(sample_results: RunResults) -> None:
    jsonschema_rs: Any = pytest.importorskip("jsonschema_rs")
    validator = jsonschema_rs.Draft202012Validator(json.loads(render_results_schema()))
    instance = json.loads(sample_results.model_dump_json())
    assert validator.is_valid(instance)
    broken = dict(instance, verdict="mostly fine")
    assert not validator.is_valid(broken)
    missing = {key: value for key, value in instance.items() if key != "checks"}
    assert not validator.is_valid(missing)


def test_update_docs_rewrites_a_stale_copy(tmp_path: Path) -> None:
    (tmp_path / "results-schema.md").write_text(
        (DOCS / "results-schema.md").read_text().replace("| `verdict` |", "| `x` |")
    )
    (tmp_path / "results.schema.json").write_text("{}")
    assert len(update_docs(tmp_path, check=True)) == 2
    assert len(update_docs(tmp_path)) == 2
    assert update_docs(tmp_path, check=True) == []
