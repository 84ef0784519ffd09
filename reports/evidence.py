"""The tamper-evident evidence bundle: the run's files, a hash chain over them, an Ed25519 signature.

Layout of a bundle directory:
    manifest.json     format, created_at, genesis, files [{name, sha256, size, link}], head, signature
    public_key.pem    the Ed25519 public key (SubjectPublicKeyInfo PEM) that signed the head
    results.json, journal.jsonl, VERIFY.txt, and any extra files (listed in the manifest)

Chain (all hashes are lowercase hex SHA-256 of UTF-8 text):
    genesis = sha256(format + "\\n" + created_at + "\\n" + public_key_sha256 + "\\n")
    link_i  = sha256(link_(i-1) + "\\n" + name_i + "\\n" + sha256_i)   with link_(-1) = genesis
    head    = link of the last file;  signature = Ed25519(head as ASCII), base64 in the manifest
where public_key_sha256 is the SHA-256 of the 32 raw public-key bytes. The bundle alone proves
integrity, not who signed: a full rewrite signed with another key is self-consistent. The signer is
known only against a key pinned beforehand (a lab's key from reports.signing, checked with
`verify_bundle(..., trusted_fingerprints=...)` or `signed_by_trusted_key`). A run without a lab key
signs with an ephemeral one, and the manifest says so (`signature.key_kind`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, Field, ValidationError

from reports.bundle_manifest import BUNDLE_FORMAT, PUBLIC_KEY_NAME, BundleEntry, BundleManifest, BundleSignature
from reports.bundle_text import describe_manifest, verify_instructions
from reports.private_files import private_dir, private_file
from reports.signing import (
    SigningKey,
    ephemeral_signing_key,
    key_fingerprint,
    normalise_fingerprint,
    public_key_pem,
)

__all__ = [
    "BUNDLE_FORMAT",
    "MANIFEST_NAME",
    "PUBLIC_KEY_NAME",
    "BundleEntry",
    "BundleManifest",
    "BundleProblem",
    "BundleSignature",
    "NotABundleError",
    "TrustLevel",
    "VerifyReport",
    "chain_link",
    "describe_bundle",
    "genesis_link",
    "load_manifest",
    "signed_by_trusted_key",
    "verify_bundle",
    "write_bundle",
]

MANIFEST_NAME = "manifest.json"
RESULTS_NAME = "results.json"
JOURNAL_NAME = "journal.jsonl"
INSTRUCTIONS_NAME = "VERIFY.txt"
_CONTROL_FILES = frozenset({MANIFEST_NAME, PUBLIC_KEY_NAME})
_CHUNK = 1 << 20


class NotABundleError(ValueError):
    """The directory does not exist or holds neither a manifest nor a public key."""


class BundleProblem(BaseModel):
    """One thing found wrong with a bundle; `file` names the file it concerns."""

    file: str
    kind: Literal["missing", "modified", "unexpected", "manifest", "key", "signature", "unsafe-name"]
    detail: str

    def __str__(self) -> str:
        return f"{self.file}: {self.detail}"


TrustLevel = Literal["trusted", "untrusted", "unverified"]


class VerifyReport(BaseModel):
    """What `verify_bundle` found: integrity (files, chain, signature) and trust (whose key signed) apart."""

    bundle: str
    ok: bool = Field(description="Intact, and signed by a trusted key if trusted keys were given.")
    intact: bool = False
    problems: list[BundleProblem] = Field(default_factory=list)
    files_checked: int = 0
    head: str | None = None
    public_key_sha256: str | None = None
    signer: str | None = None
    key_kind: Literal["persistent", "ephemeral"] | None = None
    trust: TrustLevel = "unverified"
    trust_detail: str = "no trusted key was given"

    def render(self) -> str:
        if self.intact:
            lines = [
                f"INTEGRITY OK: {self.bundle}: {self.files_checked} files match the manifest, the hash chain is "
                f"intact (head {self.head}) and the signature verifies with the key sha256 {self.public_key_sha256}"
            ]
        else:
            lines = [f"TAMPERED: {self.bundle}: {len(self.problems)} problem(s)"]
            lines += [f"  {problem}" for problem in self.problems]
        lines.append(f"TRUST {self.trust.upper()}: {self.trust_detail}")
        return "\n".join(lines) + "\n"


def _assess_trust(report: VerifyReport, trusted: frozenset[str]) -> None:
    """Fill in whose key signed and whether it is one of `trusted` (fingerprints, lowercase hex)."""
    who = report.signer or "an unnamed signer"
    if report.key_kind == "ephemeral":
        who = "an EPHEMERAL key (made for the run and discarded; it proves no signer)"
    elif report.key_kind is None:
        who = "a key of unrecorded kind (bundle written before keys were explicit)"
    if report.public_key_sha256 is None:
        report.trust, report.trust_detail = "untrusted", "the bundle's public key is unusable"
    elif not trusted:
        report.trust = "unverified"
        report.trust_detail = (
            f"signed by {who}, key sha256 {report.public_key_sha256}; no trusted key was given, so nothing "
            "shows who signed (pin one with --trust KEY.pub or --trust-fingerprint SHA256)"
        )
    elif report.public_key_sha256 in trusted:
        report.trust = "trusted"
        report.trust_detail = f"signed by {who} with a trusted key ({report.public_key_sha256})"
    else:
        report.trust = "untrusted"
        report.trust_detail = (
            f"key sha256 {report.public_key_sha256} ({who}) is not a trusted key: the bundle was "
            "re-signed with another key, or the trusted key given is not this signer's"
        )


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def genesis_link(format_: str, created_at: str | None, public_key_sha256: str) -> str:
    return _sha256_text(f"{format_}\n{created_at or ''}\n{public_key_sha256}\n")


def chain_link(previous: str, name: str, sha256: str) -> str:
    return _sha256_text(f"{previous}\n{name}\n{sha256}")


def _iso_with_offset(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"created_at {moment.isoformat()} has no UTC offset")
    return moment.isoformat()


def _file_sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _name_problem(name: str) -> str | None:
    """Why `name` cannot be a bundle entry, or None: it must stay inside the bundle and be unambiguous."""
    if not name or "\\" in name or "\n" in name or "\r" in name or name.startswith("/"):
        return "must be a relative '/'-separated path on one line"
    parts = PurePosixPath(name).parts
    if any(part in ("", ".", "..") for part in parts) or str(PurePosixPath(name)) != name:
        return "must not contain '.', '..' or empty parts"
    if name in _CONTROL_FILES:
        return "is reserved for the bundle's own control files"
    return None


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"journal entry value of type {type(value).__name__} is not JSON")


# Long: writing the bundle and chaining it are one sequence (copy, hash, link,
# sign, manifest); apart, the chain's order would be spread over several functions.
def write_bundle(
    bundle_dir: Path,
    *,
    results_path: Path,
    journal_export: Sequence[Mapping[str, Any]] | Path,
    extra_files: Mapping[str, Path] | Iterable[Path] = (),
    created_at: datetime | None = None,
    signing_key: SigningKey | None = None,
) -> BundleManifest:
    """Copy the run's files into `bundle_dir` (new or empty), chain their hashes and sign the head.

    `journal_export` is the message journal: a list of JSON objects (written as journal.jsonl) or
    an exported file (copied as journal + its suffix). `extra_files` maps bundle names to files, or
    is a list of files kept under their own names. `signing_key` is the lab's key (reports.signing);
    without one, an ephemeral key signs and the manifest says so. Files are written 0600 in 0700
    directories: the journal and the exports hold personal data.
    """
    if bundle_dir.exists() and (not bundle_dir.is_dir() or any(bundle_dir.iterdir())):
        raise FileExistsError(f"{bundle_dir} exists and is not an empty directory; a bundle needs a fresh one")
    sources: dict[str, Path] = {RESULTS_NAME: results_path}
    journal_name = JOURNAL_NAME
    if isinstance(journal_export, Path):
        journal_name = f"journal{journal_export.suffix or '.jsonl'}"
        sources[journal_name] = journal_export
    extras = dict(extra_files) if isinstance(extra_files, Mapping) else {path.name: path for path in extra_files}
    for name, source in extras.items():
        problem = _name_problem(name)
        if problem:
            raise ValueError(f"extra file name {name!r} {problem}")
        if name in sources or name in (journal_name, INSTRUCTIONS_NAME):
            raise ValueError(f"extra file name {name!r} is already taken in the bundle")
        sources[name] = source
    for name, source in sources.items():
        if not source.is_file():
            raise FileNotFoundError(f"{source} (for {name} in the bundle) is not a file")

    key = signing_key or ephemeral_signing_key()
    fingerprint = key.fingerprint

    private_dir(bundle_dir)
    for name, source in sources.items():
        target = bundle_dir / name
        private_dir(target.parent)
        with source.open("rb") as reader, private_file(target, "wb") as writer:
            shutil.copyfileobj(reader, writer)
    if not isinstance(journal_export, Path):
        with private_file(bundle_dir / JOURNAL_NAME, "w") as journal:
            for entry in journal_export:
                journal.write(json.dumps(entry, sort_keys=True, ensure_ascii=False, default=_json_default) + "\n")
    with private_file(bundle_dir / INSTRUCTIONS_NAME, "w") as instructions:
        instructions.write(verify_instructions(fingerprint, key))

    names = [RESULTS_NAME, journal_name, INSTRUCTIONS_NAME, *sorted(extras)]
    # Kept as text so that the genesis can be recomputed by hand from the manifest as written.
    stamp = _iso_with_offset(created_at) if created_at is not None else None
    genesis = genesis_link(BUNDLE_FORMAT, stamp, fingerprint)
    entries: list[BundleEntry] = []
    previous = genesis
    for name in names:
        digest, size = _file_sha256(bundle_dir / name)
        previous = chain_link(previous, name, digest)
        entries.append(BundleEntry(name=name, sha256=digest, size=size, link=previous))
    signature = key.private_key.sign(previous.encode("ascii"))
    manifest = BundleManifest(
        format=BUNDLE_FORMAT,
        created_at=stamp,
        genesis=genesis,
        files=entries,
        head=previous,
        signature=BundleSignature(
            public_key_sha256=fingerprint,
            value=base64.b64encode(signature).decode("ascii"),
            signer=key.signer,
            key_kind=key.kind,
        ),
    )
    with private_file(bundle_dir / PUBLIC_KEY_NAME, "wb") as public_key_file:
        public_key_file.write(public_key_pem(key.public_key))
    with private_file(bundle_dir / MANIFEST_NAME, "w") as manifest_file:
        manifest_file.write(manifest.model_dump_json(indent=2) + "\n")
    return manifest


def load_manifest(bundle_dir: Path) -> BundleManifest:
    return BundleManifest.model_validate_json((bundle_dir / MANIFEST_NAME).read_text(encoding="utf-8"))


def _bundle_files(bundle_dir: Path) -> set[str]:
    found: set[str] = set()
    for root, directories, files in os.walk(bundle_dir, followlinks=False):
        base = Path(root)
        for name in files + [d for d in directories if (base / d).is_symlink()]:
            found.add((base / name).relative_to(bundle_dir).as_posix())
    return found


def _load_public_key(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"is a {type(key).__name__}, not an Ed25519 public key")
    return key


# Long: every check of a bundle (key, manifest, chain, each file, signature,
# trust) in the order VERIFY.txt tells a person to make them by hand.
def verify_bundle(bundle_dir: Path, *, trusted_fingerprints: Iterable[str] = ()) -> VerifyReport:
    """Recompute every file hash, the chain and the signature; name each file found tampered with.

    Integrity (`intact`, `problems`) and trust are reported apart: trust is "trusted" only if the
    signing key is one of `trusted_fingerprints`, "untrusted" if it is not, and "unverified" when
    none were given. Raises NotABundleError for a directory that is no bundle at all, and
    reports.signing.KeyFileError for a trusted fingerprint that is not one.
    """
    if not bundle_dir.is_dir():
        raise NotABundleError(f"{bundle_dir} is not a directory")
    manifest_path, key_path = bundle_dir / MANIFEST_NAME, bundle_dir / PUBLIC_KEY_NAME
    if not manifest_path.exists() and not key_path.exists():
        raise NotABundleError(
            f"{bundle_dir} is not an evidence bundle: it has no {MANIFEST_NAME} and no {PUBLIC_KEY_NAME}"
        )
    report = VerifyReport(bundle=str(bundle_dir), ok=False)
    problems = report.problems  # the report's own list: pydantic copies a list given to it

    key: Ed25519PublicKey | None = None
    key_sha256: str | None = None
    if not key_path.exists():
        problems.append(BundleProblem(file=PUBLIC_KEY_NAME, kind="missing", detail="the public key is missing"))
    else:
        try:
            key = _load_public_key(key_path)
            key_sha256 = key_fingerprint(key)
        except ValueError as exc:
            problems.append(BundleProblem(file=PUBLIC_KEY_NAME, kind="key", detail=f"not a usable public key: {exc}"))
    report.public_key_sha256 = key_sha256
    trusted = frozenset(normalise_fingerprint(fingerprint) for fingerprint in trusted_fingerprints)

    try:
        manifest = load_manifest(bundle_dir)
    except FileNotFoundError:
        problems.append(BundleProblem(file=MANIFEST_NAME, kind="missing", detail="the manifest is missing"))
        _report_unlisted(bundle_dir, set(), problems)
        _assess_trust(report, trusted)
        return report
    except (ValidationError, ValueError) as exc:
        first = str(exc).splitlines()[0]
        problems.append(BundleProblem(file=MANIFEST_NAME, kind="manifest", detail=f"unreadable manifest: {first}"))
        _assess_trust(report, trusted)
        return report
    report.head = manifest.head
    report.signer, report.key_kind = manifest.signature.signer, manifest.signature.key_kind

    if key_sha256 is not None and key_sha256 != manifest.signature.public_key_sha256:
        problems.append(
            BundleProblem(
                file=PUBLIC_KEY_NAME,
                kind="key",
                detail=f"key sha256 {key_sha256} is not the key the manifest was signed with "
                f"({manifest.signature.public_key_sha256}): the key was swapped",
            )
        )
    if genesis_link(manifest.format, manifest.created_at, manifest.signature.public_key_sha256) != manifest.genesis:
        problems.append(
            BundleProblem(
                file=MANIFEST_NAME,
                kind="manifest",
                detail="the header (format, created_at or key fingerprint) was changed after signing",
            )
        )

    listed: set[str] = set()
    previous = manifest.genesis
    for entry in manifest.files:
        unsafe = _name_problem(entry.name)
        if unsafe or entry.name in listed:
            problems.append(
                BundleProblem(
                    file=entry.name,
                    kind="unsafe-name",
                    detail=f"manifest entry name {unsafe or 'is listed twice'}",
                )
            )
            previous = entry.link
            continue
        listed.add(entry.name)
        if chain_link(previous, entry.name, entry.sha256) != entry.link:
            problems.append(
                BundleProblem(
                    file=entry.name,
                    kind="manifest",
                    detail=f"its manifest entry was edited after signing (chain link does not follow; {MANIFEST_NAME})",
                )
            )
        previous = entry.link
        _check_file(bundle_dir, entry, problems)
        report.files_checked += 1
    if previous != manifest.head:
        problems.append(
            BundleProblem(
                file=MANIFEST_NAME,
                kind="manifest",
                detail="head is not the last link: entries were added or removed",
            )
        )
    if key is not None:
        try:
            key.verify(base64.b64decode(manifest.signature.value, validate=True), manifest.head.encode("ascii"))
        except (InvalidSignature, binascii.Error, UnicodeEncodeError):
            problems.append(
                BundleProblem(
                    file=MANIFEST_NAME,
                    kind="signature",
                    detail=f"the signature over the head does not verify with {PUBLIC_KEY_NAME}",
                )
            )
    _report_unlisted(bundle_dir, listed, problems)
    report.intact = not problems
    _assess_trust(report, trusted)
    report.ok = report.intact and report.trust != "untrusted"
    return report


def signed_by_trusted_key(bundle_dir: Path, trusted_fingerprints: Iterable[str]) -> bool:
    """True iff the bundle in `bundle_dir` is intact and its signature is by one of the trusted keys.

    `trusted_fingerprints` are SHA-256 fingerprints (hex, as `keys new` prints them, or from
    reports.signing.load_trusted_fingerprint) of keys obtained from their signers out of band. An
    intact bundle signed by any other key, including an ephemeral one, is not trusted: anyone who
    runs the harness can write and sign a bundle. Use `verify_bundle` for the findings themselves.
    """
    fingerprints = list(trusted_fingerprints)
    if not fingerprints:
        return False
    report = verify_bundle(bundle_dir, trusted_fingerprints=fingerprints)
    return report.intact and report.trust == "trusted"


def _check_file(bundle_dir: Path, entry: BundleEntry, problems: list[BundleProblem]) -> None:
    path = bundle_dir / entry.name
    if path.is_symlink() or not path.resolve().is_relative_to(bundle_dir.resolve()):
        problems.append(
            BundleProblem(file=entry.name, kind="modified", detail="was replaced by a symbolic link (or lies "
                                                                   "behind one)")
        )
        return
    if not path.is_file():
        problems.append(BundleProblem(file=entry.name, kind="missing", detail="is listed in the manifest but missing"))
        return
    digest, size = _file_sha256(path)
    if digest != entry.sha256:
        problems.append(
            BundleProblem(
                file=entry.name,
                kind="modified",
                detail=f"content changed: sha256 {digest} ({size} bytes), manifest says {entry.sha256} "
                f"({entry.size} bytes)",
            )
        )
    elif size != entry.size:
        problems.append(
            BundleProblem(file=entry.name, kind="manifest", detail=f"size {size} differs from manifest {entry.size}")
        )


def _report_unlisted(bundle_dir: Path, listed: set[str], problems: list[BundleProblem]) -> None:
    for name in sorted(_bundle_files(bundle_dir) - listed - _CONTROL_FILES):
        problems.append(
            BundleProblem(file=name, kind="unexpected", detail="is not listed in the manifest (added after signing)")
        )


def describe_bundle(bundle_dir: Path) -> str:
    """Human-readable listing of a bundle's manifest (no verification; use verify_bundle for that)."""
    return describe_manifest(bundle_dir, load_manifest(bundle_dir), bundle_dir / RESULTS_NAME)
