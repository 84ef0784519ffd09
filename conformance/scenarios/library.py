"""Imports every scenario module so that each registers its scenarios (in a stable order)."""

from __future__ import annotations

from conformance.scenarios import generated, incoming, long_running, outgoing, procedures, received, refusal_grounds

__all__ = ["generated", "incoming", "long_running", "outgoing", "procedures", "received", "refusal_grounds"]
