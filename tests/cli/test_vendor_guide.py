"""docs/vendor-guide.md: every command it shows is one `spoc-harness` accepts, option by option.

The commands are parsed by the command line itself (click's own parser, types and checks included), not
run: the ones that start servers and campaigns are run as the README writes them in
test_vendor_contract.py. Files the commands name are created empty, as a vendor's would exist.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from conformance.cli import cli

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "vendor-guide.md"


def guide_commands() -> list[list[str]]:
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    return [shlex.split(line) for block in blocks for line in block.splitlines()
            if line.strip() and not line.startswith("#")]


def test_the_guide_shows_the_whole_path_from_network_to_campaign() -> None:
    shown = [command[1] for command in guide_commands()]
    assert all(command[0] == "spoc-harness" for command in guide_commands())
    for needed in ("serve", "cms", "sut-check", "run", "defects"):
        assert needed in shown, needed
    assert shown.index("serve") < shown.index("sut-check") < shown.index("run")


@pytest.mark.parametrize("command", guide_commands(), ids=lambda c: " ".join(c[1:3]))
def test_every_command_of_the_guide_parses(command: list[str], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for arg in command:
        if arg.endswith(".json"):
            Path(arg).parent.mkdir(parents=True, exist_ok=True)
            Path(arg).write_text("{}")
    with click.Context(cli) as group:
        sub = cli.get_command(group, command[1])
        assert sub is not None, f"no command {command[1]!r}"
        try:
            sub.make_context(f"spoc-harness {command[1]}", command[2:], parent=group)
        except click.UsageError as exc:
            pytest.fail(f"{shlex.join(command)}: {exc.format_message()}")


def test_a_mistyped_option_in_the_guide_would_be_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with click.Context(cli) as group:
        sub = cli.get_command(group, "run")
        assert sub is not None
        with pytest.raises(click.UsageError, match="--real-wiat"):
            sub.make_context("spoc-harness run", ["--sut", "http://127.0.0.1:8800", "--real-wiat", "3"],
                             parent=group)
