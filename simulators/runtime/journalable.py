"""What the journal can hold: finding the first value of a parsed body that canonical JSON cannot write.

JSON text may carry values the journal's canonical form refuses: `NaN`, `Infinity` and numbers such as
`1e400` (non-finite floats), integers longer than Python's int-string limit, lone surrogates (not
UTF-8), and nesting deeper than any message needs. `first_unjournalable` walks a parsed value and names
the first such field with the rule it breaks, so that a send can be refused with a 422 naming it
before anything is numbered. It runs only where a body has such a value or is not plain JSON: the
send path's common case never walks.
"""

from __future__ import annotations

import math
import sys
from typing import Any

__all__ = ["MAX_DEPTH", "OverlongInteger", "first_unjournalable"]

# Far beyond any message of the network (the deepest, a SIRENE form, nests 4 levels), far below the
# interpreter's recursion limit.
MAX_DEPTH = 64


class OverlongInteger(str):
    """The text of an integer longer than the int-string limit, as `json.loads(parse_int=...)` keeps it."""


def _int_digits_limit() -> int:
    limit: int = sys.get_int_max_str_digits()
    return limit or 4300


def first_unjournalable(value: Any, path: str = "", depth: int = 0) -> tuple[str, str] | None:
    """(dotted path, rule) of the first value canonical JSON cannot write, or None when there is none."""
    if depth > MAX_DEPTH:
        return path or "(body)", f"nested deeper than {MAX_DEPTH} levels"
    kind = type(value)
    if kind is OverlongInteger:
        return path or "(body)", f"an integer has at most {_int_digits_limit()} digits"
    if kind is str or isinstance(value, str):
        return _string_rule(value, path)
    if kind is float or isinstance(value, float):
        if not math.isfinite(value):
            return path or "(body)", "must be a finite number (NaN, Infinity and overflowing numbers are not JSON)"
        return None
    if kind is int or (isinstance(value, int) and not isinstance(value, bool)):
        # bit_length * log10(2) is the digit count to within one: no conversion of a huge number needed
        if value.bit_length() * 0.30103 > _int_digits_limit() - 1:
            return path or "(body)", f"an integer has at most {_int_digits_limit()} digits"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            key_text = str(key)
            if isinstance(key, str) and (found := _string_rule(key, _join(path, key_text))) is not None:
                return found
            if (found := first_unjournalable(item, _join(path, key_text), depth + 1)) is not None:
                return found
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if (found := first_unjournalable(item, _join(path, str(index)), depth + 1)) is not None:
                return found
    return None


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


def _string_rule(text: str, path: str) -> tuple[str, str] | None:
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return path or "(body)", "must be valid Unicode text (a lone surrogate is not)"
    return None
