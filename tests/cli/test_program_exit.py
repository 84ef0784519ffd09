"""A command that asks for it ends its program without the interpreter's teardown, its output and exit code intact."""

from __future__ import annotations

import subprocess
import sys

import pytest

# The program as the console script runs it (`main()`), after a command asked to skip the teardown; an exit
# handler that would print at the teardown shows whether it ran.
_PROGRAM = """
import atexit, sys
from conformance import cli
atexit.register(lambda: print("teardown ran"))
cli.skip_teardown()
sys.argv = ["spoc-harness", *sys.argv[1:]]
cli.main()
"""


@pytest.mark.parametrize(("args", "code", "shown"), [
    (["deadline", "--help"], 0, "Usage: spoc-harness deadline"),
    (["no-such-command"], 2, "No such command"),
])
def test_the_program_ends_with_its_output_and_code_and_no_teardown(args: list[str], code: int, shown: str) -> None:
    ended = subprocess.run([sys.executable, "-c", _PROGRAM, *args], capture_output=True, text=True, timeout=60,
                           check=False)
    assert ended.returncode == code
    assert shown in ended.stdout + ended.stderr  # written through pipes, flushed before the end
    assert "teardown ran" not in ended.stdout


def test_a_command_invoked_in_process_still_raises_system_exit() -> None:
    """Tests and callers that run a command in their own process get SystemExit, never an ended process."""
    from conformance import cli

    cli.skip_teardown()
    try:
        with pytest.raises(SystemExit) as ended:
            cli.main(["deadline", "--help"])
        assert ended.value.code == 0
    finally:
        cli._teardown_skipped = False
