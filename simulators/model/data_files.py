"""The error of the project's data files (requirement catalogue, personal-data whitelist)."""

from __future__ import annotations

__all__ = ["DataFileError"]


class DataFileError(ValueError):
    """A data file is malformed; names the file, the entry and the field."""

    def __init__(self, source: str, entry: str | None, field: str | None, problem: str) -> None:
        self.source = source
        self.entry = entry
        self.field = field
        self.problem = problem
        where = ": ".join(part for part in (entry, f"field '{field}'" if field else None) if part)
        super().__init__(f"{source}: {where}: {problem}" if where else f"{source}: {problem}")
