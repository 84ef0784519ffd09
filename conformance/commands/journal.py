"""`spoc-harness journal verify DIR`: check a channel network's journal where it lies, read-only."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

__all__ = ["journal"]

EXIT_OK = 0
EXIT_BROKEN = 1
EXIT_USAGE = 2


def _parse_head(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise click.BadParameter("give SEQ:HASH, e.g. 42:3f5a... (64 hex digits)", param_hint="--head")
    return int(seq), digest


def _head_from_results(path: Path) -> tuple[int, str]:
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))["channel_journal"]["head"]
        return int(recorded["seq"]), str(recorded["hash"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise click.BadParameter(f"{path} records no channel journal head ({exc})", param_hint="--results") from None


@click.group()
def journal() -> None:
    """Verify the channel network's journal (hash chain, the tables it vouches for, a recorded head)."""


@journal.command()
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--head", "head_text", metavar="SEQ:HASH",
              help="A head recorded earlier (a run prints it and records it in results.json): the journal "
              "must still hold that entry with that hash, which catches deleted or rewritten last entries.")
@click.option("--results", "results_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Take the head from a run's results.json (channel_journal.head).")
@click.option("--json", "as_json", is_flag=True, help="Print the verification as JSON.")
def verify(data_dir: Path, head_text: str | None, results_path: Path | None, as_json: bool) -> None:
    """Verify DATA_DIR/journal.sqlite3 (the directory `serve --data` uses), read-only.

    Recomputes the hash chain, checks that every message, delivery state and audit row follows from
    it, and, with --head or --results, that the recorded head is still there. Exits 0 when the
    journal verifies, 1 when it does not (saying at which entry and why), 2 on a usage error.
    """
    # Start-up time: imported when this command runs, so that every other command starts fast.
    from simulators.runtime.store import verify_file

    if head_text is not None and results_path is not None:
        raise click.UsageError("give --head or --results, not both")
    head = _parse_head(head_text) if results_path is None else _head_from_results(results_path)
    try:
        found = verify_file(data_dir / "journal.sqlite3", head)
    except FileNotFoundError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    if as_json:
        click.echo(found.model_dump_json(indent=2))
    elif found.ok:
        checked = f"; recorded head {head[0]} present" if head else " (no recorded head given: a cut-short tail " \
            "cannot be detected)"
        click.echo(f"OK: {found.entries} entries, head {found.entries}:{found.head}{checked}")
    else:
        click.echo(f"BROKEN at entry {found.first_bad_seq}: {found.detail}")
    sys.exit(EXIT_OK if found.ok else EXIT_BROKEN)
