"""The byte forms the journal and the answers are made of: canonical JSON, time texts.

`canonical_json` is the form the journal's hash chain covers (sorted keys, no whitespace, UTF-8
kept), defined by the standard library's `json.dumps`; for plain values orjson writes the same
bytes several times faster, and anything else takes the standard library's path. The time texts:
`db_time` (fixed width, microseconds always shown, so that string order is time order in SQL) and
the ISO form pydantic writes for an aware datetime (`iso_utc`, `db_to_iso`).
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = [
    "canonical_json",
    "db_time",
    "db_to_iso",
    "iso_utc",
    "json_string",
    "parse_db_time",
    "plain_json",
]

_SCALARS = frozenset({str, int, bool, type(None)})


def plain_json(value: Any) -> bool:
    """True when `value` holds nothing but dicts, lists, str, int, bool and None (exact types, no float).

    For such values orjson writes, byte for byte, what `json.dumps(sort_keys=True, separators=(",",":"),
    ensure_ascii=False)` writes: the same escapes, keys in code-point order, integers in full (orjson
    refuses those beyond 64 bits rather than rounding them; they go the slow way). Floats (whose
    exponent forms differ), enums and other types always take the standard library's path.
    """
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is dict:
        items: Any = value.values()
    elif kind is list:
        items = value
    else:
        return False
    for item in items:  # noqa: SIM110 - a plain loop: all() over a generator costs twice as much
        if type(item) not in _SCALARS and not plain_json(item):
            return False
    return True


def canonical_json(value: Any, *, plain: bool = False) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: the byte form the hash chain covers.

    `plain=True`: the caller has found `plain_json(value)` true already.
    """
    if plain or plain_json(value):
        # try/except rather than contextlib.suppress: costs nothing unless raised, and every send
        # comes here.
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")
        except TypeError:  # non-str keys, integers beyond 64 bits, lone surrogates
            pass
    return _stdlib_canonical(value)


def _stdlib_canonical(value: Any) -> str:
    # The definition of the canonical form; the orjson path above is a faster way to the same text.
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if not text.isascii():
        # A lone surrogate passes json.dumps but not the journal's UTF-8: refused here, where the
        # caller can still say which field it was (orjson refused it already on the fast path).
        text.encode("utf-8")
    return text


def db_time(moment: datetime) -> str:
    """Fixed-width UTC text (microseconds always shown), so that string order is time order in SQL."""
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)  # the clocks' own times are in UTC
    return (f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
            f".{utc.microsecond:06d}Z")


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, as pydantic writes an aware datetime in JSON."""
    if moment.tzinfo is UTC:
        return moment.isoformat()[:-6] + "Z"
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def db_to_iso(text: str) -> str:
    """`iso_utc(parse_db_time(text))` without the round trip: pydantic's JSON form of a db_time text."""
    return text[:19] + "Z" if text.endswith(".000000Z") else text


def parse_db_time(text: str) -> datetime:
    if len(text) == 27 and text[4] == text[7] == "-" and text[10] == "T" and text[13] == text[16] == ":" \
            and text[19] == "." and text[26] == "Z":
        # The fixed db_time layout: fromisoformat reads it exactly as the format below, 50 times faster.
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(text[:26]).replace(tzinfo=UTC)
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def json_string(text: str) -> str:
    """canonical_json(text) for a string, quicker for the usual ids and timestamps."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'  # what json.dumps writes for printable ASCII without quote or backslash
    return canonical_json(text)
