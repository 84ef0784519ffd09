"""The conformance checks, one module per article group (art05_time_limits.py, ...), collected by the plugin."""

from __future__ import annotations

from pathlib import Path

__all__ = ["CHECKS_DIR"]

CHECKS_DIR = Path(__file__).parent.resolve()
