"""pytest plugin of the conformance campaign (registered as the pytest11 entry point spoc_conformance)."""

from __future__ import annotations
