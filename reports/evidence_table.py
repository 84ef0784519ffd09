"""The run's evidence and curl lines, each kept once and cited by id (results.json's `evidence`, `curl_lines`).

A channel message is cited by several checks (about seven each in a full campaign), and its raw excerpt is
most of what a check's evidence weighs: results.json holds each step once, and the checks list ids. An id
is made from the content (a SHA-256 prefix), so the same step gets the same id whichever check cites it
first, and two runs that observed the same step name it alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from reports.results import Evidence

__all__ = ["EvidenceTable"]

_ID_HEX = 16  # 64 bits: no collision among the few thousand steps of a run


def _content_id(prefix: str, text: str) -> str:
    return f"{prefix}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:_ID_HEX]}"


class EvidenceTable:
    """Collects the steps and curl lines of a run's checks; `cite` returns the ids a check keeps."""

    def __init__(self) -> None:
        self.evidence: dict[str, Evidence] = {}
        self.curl_lines: dict[str, str] = {}
        # The checks share Evidence objects (conformance.verdicts renders each message's once): an object seen
        # before is not serialised again to find its id. The object is kept, so its id() cannot be reused.
        self._known: dict[int, tuple[Evidence, str]] = {}

    def cite(self, steps: Iterable[Evidence]) -> list[str]:
        return [self._evidence_id(step) for step in steps]

    def cite_curl(self, lines: Iterable[str]) -> list[str]:
        ids = []
        for line in lines:
            ref = _content_id("curl", line)
            self.curl_lines.setdefault(ref, line)
            ids.append(ref)
        return ids

    def _evidence_id(self, step: Evidence) -> str:
        known = self._known.get(id(step))
        if known is not None and known[0] is step:
            return known[1]
        ref = _content_id("ev", step.model_dump_json())
        self.evidence.setdefault(ref, step)
        self._known[id(step)] = (step, ref)
        return ref
