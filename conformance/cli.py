"""`spoc-harness`: the one command of the project.

Sub-commands live in `conformance.commands.*` and are imported only when used, so that
`spoc-harness --help` and quick commands such as `deadline` start fast.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys

import click

__all__ = ["main"]

# name -> (module:attribute, one-line purpose shown by --help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("conformance.commands.run:run", "Run the conformance campaign against a CMS and write the reports."),
    "serve": ("conformance.commands.serve:serve", "Start the simulated SIENA, SIRENE and Interpol I-24/7 channels."),
    "cms": ("conformance.commands.cms:cms", "Start the reference SPOC CMS of one state (optionally with defects)."),
    "defects": ("conformance.commands.defects:defects", "List the named defects the reference CMS can be run with."),
    "deadline": ("conformance.commands.deadline:deadline", "Compute the Art 5(1) reply deadline for a request."),
    "requirements": (
        "conformance.commands.requirements:requirements",
        "Print the requirement catalogue of Directive (EU) 2023/977.",
    ),
    "certificate": (
        "conformance.commands.certificate:certificate",
        "Write a one-page certificate for a conformant run signed by a trusted key.",
    ),
    "evidence": ("conformance.commands.evidence:evidence", "Verify or show a signed evidence bundle of a run."),
    "journal": ("conformance.commands.journal:journal", "Verify a channel network's journal in its data directory."),
    "keys": ("conformance.commands.keys:keys", "Make the key that signs a lab's evidence bundles."),
    "sut-check": ("conformance.commands.sutcheck:sut_check", "Preflight a vendor's SUT test interface in under 30 s."),
    "load": ("load.command:load", "Load test a CMS with locust: deadlines kept and nothing lost at peak traffic."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        target, _ = COMMANDS[cmd_name]
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            raise click.ClickException(f"'{cmd_name}' is not available in this installation") from None
        command = getattr(module, attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="spoc-harness")
def cli() -> None:
    """Conformance harness and channel simulator for Directive (EU) 2023/977.

    Checks whether a member state's Single Point of Contact case management system meets the
    directive, through simulated SIENA, SIRENE and Interpol I-24/7 channels and the SUT test
    interface. Run `spoc-harness COMMAND --help` for the options of each command.
    """


# Journals, stores, logs, reports and evidence hold personal data (test data subjects): whatever this
# process and the simulators and CMS it starts create is readable by the user only (files 0600,
# directories 0700), including SQLite's -wal and -shm files, which no code of ours opens.
PRIVATE_UMASK = 0o077


_teardown_skipped = False


def skip_teardown() -> None:
    """Let this process end without the interpreter's teardown once its command has returned (`main` run as the
    program only, never a command invoked in-process). For a command whose work is all done and written by
    then (every file closed, every process it started stopped and waited for, every thread joined): a campaign
    leaves a heap of tens of thousands of objects, whose freeing at exit took a few tenths of a second."""
    global _teardown_skipped
    _teardown_skipped = True


def _end_now(code: object) -> None:
    """The end `sys.exit(code)` would make, less the teardown: output flushed, logs closed, then `os._exit`."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message") prints the message and exits 1
        print(code, file=sys.stderr)
        status = 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(status)


def main(argv: list[str] | None = None) -> None:
    os.umask(PRIVATE_UMASK)
    # click exits with 2 on a usage error and prints the message; nothing else should reach the
    # user as a traceback, so unexpected errors are reported in one line and exit 1.
    try:
        cli.main(args=argv, prog_name="spoc-harness", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except SystemExit as exc:
        if argv is None and _teardown_skipped:  # the program itself, as its command asked
            _end_now(exc.code)
        raise
