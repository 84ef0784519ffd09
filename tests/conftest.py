"""Settings shared by all of the project's own tests."""

from __future__ import annotations

import os

from hypothesis import settings

# CI must be reproducible: the same commit gives the same examples. Locally, examples vary from
# run to run so that new counterexamples keep being found.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
