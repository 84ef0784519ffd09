"""Getting the scenario library ready while the network's processes start.

Importing the library makes the generated plan, and the scenario data's Faker takes a while to build:
otherwise the campaign's first step. Apart from the library so that starting the preparation does not
import what it prepares.
"""

from __future__ import annotations

import threading

__all__ = ["prepare_in_background"]


def prepare_in_background() -> threading.Thread:
    """Import the scenario library and build the scenario data's Faker in a daemon thread; a campaign that
    gets there first waits for the imports (Python's import lock)."""

    def prepare() -> None:
        # Start-up time: this import is the work the thread does in the background.
        import conformance.scenarios.library  # noqa: F401  (registers the scenarios)
        from conformance.scenarios import data

        data.prepare()

    thread = threading.Thread(target=prepare, name="scenario-preparation", daemon=True)
    thread.start()
    return thread
