"""A pseudonymised copy of an evidence bundle, to share a run without the (fake but realistic) personal data.

What counts as personal data is read from the bundle's own ground truth: the names of the data
subjects (request entities' `name`, the fixtures' `subject`, the exchanges' `subject`), the addresses
the fixtures hold ("lives at ..."), document numbers (passport, identity card, licence numbers) and
vehicle registration numbers (the plates the scenarios generate, and any `plate` attribute). Every
occurrence in every file is replaced, in the forms it takes there (plain, JSON-escaped, HTML-escaped),
longest first, by a pseudonym derived from a secret key with HMAC-SHA256: the same subject gets the
same pseudonym in every file and in every copy made with the same key, and nobody without the key can
link the pseudonym back. Times, message and case ids and verdicts are untouched.

The copy is itself a bundle, signed (with the lab's key when given, else an ephemeral one) and
verifiable as any other; DERIVED_FROM.json records the bundle it was made from (its signed head and
signer) and how many values of each kind were replaced, never the values or the mapping.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reports.evidence import (
    INSTRUCTIONS_NAME,
    JOURNAL_NAME,
    MANIFEST_NAME,
    PUBLIC_KEY_NAME,
    RESULTS_NAME,
    BundleManifest,
    load_manifest,
    verify_bundle,
    write_bundle,
)
from reports.private_files import private_file
from reports.signing import SigningKey

__all__ = ["DERIVED_FROM_NAME", "PseudonymError", "PseudonymKey", "find_personal_data", "pseudonymise_bundle"]

DERIVED_FROM_NAME = "DERIVED_FROM.json"
_MIN_KEY_BYTES = 16
_KINDS = {"name": "Person", "address": "Address", "document": "DOC", "vehicle": "VEH"}
_ADDRESS = re.compile(r"lives at ([^;,\n\"<]+?\d[\w/]*)")
_DOCUMENT = re.compile(r"\b(?:passport|identity card|ID card|licence|license|document)\s+(?:no\.?\s*)?"
                       r"([A-Z0-9][A-Z0-9/\-]{3,}[A-Z0-9])")
_PLATE = re.compile(r"\b[A-Z]{2}-\d{3}-[A-Z]\b")  # the scenarios' registration numbers (conformance.scenarios.data)
_NAME_KEYS = frozenset({"name", "subject"})
# A person's name: capitalised words (with the usual particles), no digits. Keeps message subjects such as
# "Request for information DE-2026-676830" and product names out, so that ids and the SUT's name are kept.
_PERSON = re.compile(r"^[A-ZÀ-Ý][^\W\d_]+(?:[-'’][A-ZÀ-Ý]?[^\W\d_]+)*"
                     r"(?: (?:(?:van|von|de|der|den|di|da|du|del|della|le|la|ten|ter)\b|[A-ZÀ-Ý][^\W\d_]+"
                     r"(?:[-'’][A-ZÀ-Ý]?[^\W\d_]+)*))+$")
_VEHICLE_KEYS = frozenset({"plate", "registration", "registration_number", "vin"})
_DOCUMENT_KEYS = frozenset({"document_number", "passport", "passport_number", "id_number"})


class PseudonymError(ValueError):
    """The copy cannot be made; the message says why (bundle not verifying, bad key, output not empty)."""


class PseudonymKey:
    """The secret key of the keyed replacement (at least 16 random bytes in a file)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < _MIN_KEY_BYTES:
            raise PseudonymError(f"the pseudonymisation key must hold at least {_MIN_KEY_BYTES} bytes")
        self._secret = secret

    @classmethod
    def from_file(cls, path: Path, *, create: bool = False) -> PseudonymKey:
        if not path.exists():
            if not create:
                raise PseudonymError(f"{path}: no such key file (make one with --new-key, and keep it secret)")
            with private_file(path, "wb") as out:
                out.write(secrets.token_bytes(32))
        return cls(path.read_bytes().strip())

    @property
    def key_id(self) -> str:
        """Names the key without revealing it: copies made with the same key share it (and their pseudonyms)."""
        return hmac.new(self._secret, b"spoc-harness pseudonym key id", hashlib.sha256).hexdigest()[:16]

    def pseudonym(self, kind: str, value: str) -> str:
        digest = hmac.new(self._secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:8].upper()
        return f"{_KINDS[kind]}-{digest}"


@dataclass
class PersonalData:
    """kind -> the values of that kind found in a bundle."""

    values: dict[str, set[str]] = field(default_factory=lambda: {kind: set() for kind in _KINDS})

    def add(self, kind: str, value: object) -> None:
        if isinstance(value, str) and len(value.strip()) >= 3:
            self.values[kind].add(value.strip())


def _walk(node: Any, found: PersonalData, key: str | None = None) -> None:
    if isinstance(node, dict):
        for child_key, child in node.items():
            _walk(child, found, str(child_key))
    elif isinstance(node, list):
        for child in node:
            _walk(child, found, key)
    elif isinstance(node, str):
        if key in _NAME_KEYS and len(node) <= 80 and _PERSON.match(node):
            found.add("name", node)
        elif key in _VEHICLE_KEYS:
            found.add("vehicle", node)
        elif key in _DOCUMENT_KEYS:
            found.add("document", node)
        for match in _ADDRESS.finditer(node):
            found.add("address", match.group(1))
        for match in _DOCUMENT.finditer(node):
            found.add("document", match.group(1))
        for match in _PLATE.finditer(node):
            found.add("vehicle", match.group(0))


def _json_documents(path: Path) -> Iterator[Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line)
    else:
        yield json.loads(text)


def find_personal_data(bundle_dir: Path) -> PersonalData:
    """The personal values the bundle's JSON files hold (see the module docstring for where they come from)."""
    found = PersonalData()
    for path in sorted(bundle_dir.iterdir()):
        if path.suffix in (".json", ".jsonl") and path.name != MANIFEST_NAME:
            for document in _json_documents(path):
                _walk(document, found)
    # The surname alone too (a person cited by surname); first names are left, as they also name months and
    # streets ("June", "Mia-Probst-Platz"), and short words match too much.
    for name in list(found.values["name"]):
        surname = name.split()[-1]
        if len(surname) >= 4:
            found.values["name"].add(surname)
    return found


def _forms(value: str) -> set[str]:
    """The spellings a value takes in the bundle's files: as is, JSON-escaped (ASCII), HTML-escaped."""
    return {value, json.dumps(value)[1:-1], html.escape(value), html.escape(value, quote=False)}


def _replacer(found: PersonalData, key: PseudonymKey) -> tuple[re.Pattern[str], dict[str, str]]:
    table: dict[str, str] = {}
    # Whole names before their words, so that "Maria Guidotti" is one pseudonym, not two.
    for kind in ("address", "document", "vehicle", "name"):
        for value in sorted(found.values[kind], key=len, reverse=True):
            for form in _forms(value):
                table.setdefault(form, key.pseudonym(kind, value))
    if not table:
        return re.compile(r"(?!x)x"), table
    alternatives = "|".join(re.escape(form) for form in sorted(table, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w])"), table


def _copy_pseudonymised(source: Path, target: Path, pattern: re.Pattern[str], table: dict[str, str]) -> int:
    text = source.read_text(encoding="utf-8")
    replaced, count = pattern.subn(lambda match: table[match.group(0)], text)
    target.write_text(replaced, encoding="utf-8")
    return count


def pseudonymise_bundle(
    bundle_dir: Path, out_dir: Path, key: PseudonymKey, *, signing_key: SigningKey | None = None
) -> BundleManifest:
    """Write the pseudonymised, signed copy of `bundle_dir` to `out_dir` (new or empty); returns its manifest.

    Refuses (PseudonymError) a bundle that does not verify: a copy must not launder a tampered original.
    """
    report = verify_bundle(bundle_dir)
    if not report.intact:
        problems = "; ".join(str(p) for p in report.problems[:3])
        raise PseudonymError(f"{bundle_dir} does not verify, so no copy is made of it: {problems}")
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise PseudonymError(f"{out_dir} exists and is not empty; give a new directory")
    source = load_manifest(bundle_dir)
    found = find_personal_data(bundle_dir)
    pattern, table = _replacer(found, key)
    with tempfile.TemporaryDirectory(prefix="pseudonymise-") as staging_name:
        staging = Path(staging_name)
        replacements = 0
        copied: dict[str, Path] = {}
        for entry in source.files:
            if entry.name in (INSTRUCTIONS_NAME, MANIFEST_NAME, PUBLIC_KEY_NAME):
                continue  # written anew for the copy
            target = staging / entry.name
            target.parent.mkdir(parents=True, exist_ok=True)
            replacements += _copy_pseudonymised(bundle_dir / entry.name, target, pattern, table)
            copied[entry.name] = target
        derived = staging / DERIVED_FROM_NAME
        derived.write_text(json.dumps({
            "derived_from": {"head": source.head, "created_at": source.created_at,
                             "signer": source.signature.model_dump(exclude={"value"})},
            "pseudonymisation": {"method": "HMAC-SHA256 keyed pseudonyms, consistent across files",
                                 "key_id": key.key_id,
                                 "values_replaced": {kind: len(values) for kind, values in found.values.items()},
                                 "occurrences_replaced": replacements},
            "kept": "times, message and case ids, verdicts and every other field, unchanged",
        }, indent=2) + "\n", encoding="utf-8")
        results, journal = copied.pop(RESULTS_NAME), copied.pop(JOURNAL_NAME)
        copied[DERIVED_FROM_NAME] = derived
        if out_dir.exists():
            shutil.rmtree(out_dir)
        return write_bundle(out_dir, results_path=results, journal_export=journal, extra_files=copied,
                            signing_key=signing_key)
