"""`spoc-harness`: the one command of the project.

Sub-commands live in `conformance.commands.*` and are imported only when used, so that
`spoc-harness --help` and quick commands such as `deadline` start fast.
"""

from __future__ import annotations

import importlib
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


def main(argv: list[str] | None = None) -> None:
    os.umask(PRIVATE_UMASK)
    # click exits with 2 on a usage error and prints the message; nothing else should reach the
    # user as a traceback, so unexpected errors are reported in one line and exit 1.
    try:
        cli.main(args=argv, prog_name="spoc-harness", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
