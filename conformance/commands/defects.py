"""`spoc-harness defects`: the named defects the reference CMS can be run with (`cms --defect NAME`)."""

from __future__ import annotations

import json

import click

__all__ = ["defects"]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the registry as JSON.")
def defects(as_json: bool) -> None:
    """List the named defects of the reference CMS with the requirements each one violates."""
    # Start-up time: imported when this command runs, so that every other command starts fast.
    from simulators.reference_cms.defects import DEFECTS

    if as_json:
        click.echo(json.dumps({"defects": [d.as_dict() for d in DEFECTS.values()]}, indent=2))
        return
    width = max(len(name) for name in DEFECTS)
    for defect in DEFECTS.values():
        click.echo(f"{defect.name:<{width}}  {', '.join(defect.requirements)}")
        click.echo(f"{'':<{width}}  {defect.summary}")
