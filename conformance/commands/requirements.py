"""`spoc-harness requirements`: print the requirement catalogue, as a table or as JSON."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from conformance.catalogue import Basis, Catalogue, CatalogueError, CheckKind, Requirement, load_catalogue

__all__ = ["requirements"]

_BASIS_STYLE = {Basis.VERIFIED: "green", Basis.PARTLY_VERIFIED: "yellow", Basis.UNVERIFIED: "red"}


@click.command(
    "requirements",
    epilog=(
        "Examples:\n\n"
        "  spoc-harness requirements --kind declaration\n\n"
        "  spoc-harness requirements --article 'Art 5(1)' --json\n\n"
        "  spoc-harness requirements --basis unverified --kind channels"
    ),
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice([k.value for k in CheckKind], case_sensitive=False),
    help="Only items checkable this way: channels (black box), records (CMS exports), declaration "
    "(declaration or inspection). Repeat to allow several.",
)
@click.option(
    "--basis",
    "bases",
    multiple=True,
    type=click.Choice([b.value for b in Basis], case_sensitive=False),
    help="Only items whose reading of the directive is verified, partly-verified or unverified. Repeatable.",
)
@click.option(
    "--article",
    "article_prefix",
    metavar="PREFIX",
    help="Only items citing a provision under PREFIX, e.g. 'Art 5' (not Art 50), 'Art 16(1)' or art-6-3.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print a JSON object with every matching item instead of a table."
)
@click.option(
    "--catalogue",
    "catalogue_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read this data file instead of the packaged one (to validate an edited reading).",
)
def requirements(
    kinds: Sequence[str],
    bases: Sequence[str],
    article_prefix: str | None,
    as_json: bool,
    catalogue_path: Path | None,
) -> None:
    """Print the requirement catalogue of Directive (EU) 2023/977.

    One line per requirement (R-01 ... R-100): its article, directive chapter, how a check can observe
    it (kinds) and how far its reading of the directive is verified (basis). Items checkable only by
    declaration carry the reason no test can observe them (shown with --json). A summary line counts
    the items per kind and per basis; an item may have several kinds.
    """
    try:
        catalogue = load_catalogue(catalogue_path)
    except CatalogueError as exc:
        raise click.ClickException(str(exc)) from None

    selected = catalogue.all()
    if article_prefix is not None:
        try:
            selected = [r for r in catalogue.by_article(article_prefix) if r in selected]
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--article'") from None
    if kinds:
        wanted_kinds = {CheckKind(k.lower()) for k in kinds}
        selected = [r for r in selected if wanted_kinds & set(r.kinds)]
    if bases:
        wanted_bases = {Basis(b.lower()) for b in bases}
        selected = [r for r in selected if r.basis in wanted_bases]

    if as_json:
        filters = {
            "kind": sorted(k.lower() for k in kinds),
            "basis": sorted(b.lower() for b in bases),
            "article": article_prefix,
        }
        click.echo(json.dumps(_as_json(catalogue, selected, filters), indent=2, ensure_ascii=False))
    else:
        _print_table(catalogue, selected)


def _summary(selected: Sequence[Requirement]) -> dict[str, Any]:
    by_kind = Counter(kind.value for r in selected for kind in r.kinds)
    by_basis = Counter(r.basis.value for r in selected)
    return {
        "count": len(selected),
        "by_kind": {k.value: by_kind.get(k.value, 0) for k in CheckKind},
        "by_basis": {b.value: by_basis.get(b.value, 0) for b in Basis},
        "testable": sum(r.testable for r in selected),
        "declaration_only": sum(r.declaration_only for r in selected),
    }


def _as_json(
    catalogue: Catalogue, selected: Sequence[Requirement], filters: dict[str, Any]
) -> dict[str, Any]:
    return {
        "catalogue": catalogue.source,
        "filters": filters,
        "summary": _summary(selected),
        "requirements": [r.model_dump(mode="json") for r in selected],
    }


def _print_table(catalogue: Catalogue, selected: Sequence[Requirement]) -> None:
    console = Console(highlight=False)
    table = Table(title=f"Directive (EU) 2023/977 requirements ({catalogue.source})", title_justify="left")
    table.add_column("ID", no_wrap=True)
    table.add_column("Article", no_wrap=True)
    table.add_column("Ch.", no_wrap=True)
    table.add_column("Kinds")
    table.add_column("Basis", no_wrap=True)
    table.add_column("Title")
    for r in selected:
        title = r.title if r.member_state_obligation else f"{r.title} (not a member-state obligation)"
        table.add_row(
            r.id,
            r.article,
            r.chapter,
            ", ".join(k.value for k in r.kinds),
            f"[{_BASIS_STYLE[r.basis]}]{r.basis.value}[/]",
            title,
        )
    console.print(table)
    summary = _summary(selected)
    kinds = ", ".join(f"{name} {count}" for name, count in summary["by_kind"].items())
    bases = ", ".join(f"{name} {count}" for name, count in summary["by_basis"].items())
    console.print(
        f"{summary['count']} of {len(catalogue.requirements)} requirements; "
        f"by kind: {kinds}; by basis: {bases}; "
        f"{summary['testable']} testable, {summary['declaration_only']} declaration-only.",
        markup=False,
    )
