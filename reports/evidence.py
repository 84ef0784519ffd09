"""The tamper-evident evidence bundle: the run's files, a hash chain over them, an Ed25519 signature.

Layout of a bundle directory:
    manifest.json     format, created_at, genesis, files [{name, sha256, size, link}], head, signature
    public_key.pem    the Ed25519 public key (SubjectPublicKeyInfo PEM) that signed the head
    results.json, journal.jsonl, VERIFY.txt, and any extra files (listed in the manifest)

Chain (all hashes are lowercase hex SHA-256 of UTF-8 text):
    genesis = sha256(format + "\\n" + created_at + "\\n" + public_key_sha256 + "\\n")
    link_i  = sha256(link_(i-1) + "\\n" + name_i + "\\n" + sha256_i)   with link_(-1) = genesis
    head    = link of the last file;  signature = Ed25519(head as ASCII), base64 in the manifest
where public_key_sha256 is the SHA-256 of the 32 raw public-key bytes. A fresh key signs each bundle
and its private half is never written anywhere, so nobody can re-sign a modified bundle with it. Only
a full rewrite with a new key goes unnoticed by the bundle alone; the key's fingerprint printed at the
end of the run (and passed as `expected_public_key_sha256`) catches that too.
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
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "BUNDLE_FORMAT",
    "MANIFEST_NAME",
    "PUBLIC_KEY_NAME",
    "BundleEntry",
    "BundleManifest",
    "BundleSignature",
    "NotABundleError",
    "Problem",
    "VerifyReport",
    "chain_link",
    "describe_bundle",
    "genesis_link",
    "load_manifest",
    "verify_bundle",
    "write_bundle",
]

BUNDLE_FORMAT = "spoc-evidence-bundle/1"
MANIFEST_NAME = "manifest.json"
PUBLIC_KEY_NAME = "public_key.pem"
RESULTS_NAME = "results.json"
JOURNAL_NAME = "journal.jsonl"
INSTRUCTIONS_NAME = "VERIFY.txt"
_CONTROL_FILES = frozenset({MANIFEST_NAME, PUBLIC_KEY_NAME})
_CHUNK = 1 << 20


class NotABundleError(ValueError):
    """The directory does not exist or holds neither a manifest nor a public key."""


class BundleEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Path inside the bundle, '/'-separated.")
    sha256: str = Field(description="SHA-256 of the file's bytes, lowercase hex.")
    size: int = Field(ge=0, description="Size in bytes.")
    link: str = Field(description="Chain link: sha256(previous link + '\\n' + name + '\\n' + sha256).")


class BundleSignature(BaseModel):
    model_config = ConfigDict(extra="forbid")

    algorithm: Literal["ed25519"] = "ed25519"
    signed: Literal["head"] = Field(default="head", description="The signature is over the head, as ASCII hex.")
    public_key_file: str = PUBLIC_KEY_NAME
    public_key_sha256: str = Field(description="SHA-256 of the 32 raw public-key bytes, lowercase hex.")
    value: str = Field(description="The Ed25519 signature, base64.")


class BundleManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str = BUNDLE_FORMAT
    created_at: str | None = Field(
        default=None,
        description="When the bundle was written, ISO 8601 with offset; hashed into the genesis exactly as written.",
    )
    genesis: str = Field(description="First link: sha256(format, created_at, public key fingerprint).")
    files: list[BundleEntry]
    head: str = Field(description="The last link; what the signature covers.")
    signature: BundleSignature

    @property
    def public_key_sha256(self) -> str:
        return self.signature.public_key_sha256


class Problem(BaseModel):
    """One thing found wrong with a bundle; `file` names the file it concerns."""

    file: str
    kind: Literal["missing", "modified", "unexpected", "manifest", "key", "signature", "unsafe-name"]
    detail: str

    def __str__(self) -> str:
        return f"{self.file}: {self.detail}"


class VerifyReport(BaseModel):
    bundle: str
    ok: bool
    problems: list[Problem] = Field(default_factory=list)
    files_checked: int = 0
    head: str | None = None
    public_key_sha256: str | None = None

    def render(self) -> str:
        if self.ok:
            return (
                f"OK: {self.bundle}: {self.files_checked} files match the manifest, the hash chain is intact "
                f"(head {self.head}) and the signature verifies with the key sha256 "
                f"{self.public_key_sha256}\n"
            )
        lines = [f"TAMPERED: {self.bundle}: {len(self.problems)} problem(s)"]
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines) + "\n"


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


def _key_fingerprint(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


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


def _instructions(public_key_sha256: str) -> str:
    return (
        "Evidence bundle of a spoc-harness conformance run (Directive (EU) 2023/977).\n\n"
        "Verify it with:  spoc-harness evidence verify <this directory> --key " + public_key_sha256 + "\n\n"
        "Or by hand: every file in manifest.json must have the listed sha256 (sha256sum); each link is\n"
        "sha256(previous link + '\\n' + name + '\\n' + file sha256), starting from\n"
        "genesis = sha256(format + '\\n' + created_at + '\\n' + public key sha256 + '\\n');\n"
        "the last link is the "
        "head, and the Ed25519 signature (base64, manifest.signature.value) is over the head as ASCII text:\n"
        "  jq -j .head manifest.json > head.txt; jq -r .signature.value manifest.json | base64 -d > sig.bin\n"
        "  openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in head.txt -sigfile sig.bin\n"
        f"The signing key's fingerprint (sha256 of the raw 32-byte key) is {public_key_sha256}.\n"
    )


def write_bundle(
    bundle_dir: Path,
    *,
    results_path: Path,
    journal_export: Sequence[Mapping[str, Any]] | Path,
    extra_files: Mapping[str, Path] | Iterable[Path] = (),
    created_at: datetime | None = None,
) -> BundleManifest:
    """Copy the run's files into `bundle_dir` (new or empty), chain their hashes and sign the head.

    `journal_export` is the message journal: a list of JSON objects (written as journal.jsonl) or
    an exported file (copied as journal + its suffix). `extra_files` maps bundle names to files, or
    is a list of files kept under their own names. The private key is discarded on return.
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

    private_key = Ed25519PrivateKey.generate()
    public_key = private_key.public_key()
    fingerprint = _key_fingerprint(public_key)

    bundle_dir.mkdir(parents=True, exist_ok=True)
    for name, source in sources.items():
        target = bundle_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    if not isinstance(journal_export, Path):
        with (bundle_dir / JOURNAL_NAME).open("w", encoding="utf-8") as journal:
            for entry in journal_export:
                journal.write(json.dumps(entry, sort_keys=True, ensure_ascii=False, default=_json_default) + "\n")
    (bundle_dir / INSTRUCTIONS_NAME).write_text(_instructions(fingerprint), encoding="utf-8")

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
    signature = private_key.sign(previous.encode("ascii"))
    manifest = BundleManifest(
        format=BUNDLE_FORMAT,
        created_at=stamp,
        genesis=genesis,
        files=entries,
        head=previous,
        signature=BundleSignature(public_key_sha256=fingerprint, value=base64.b64encode(signature).decode("ascii")),
    )
    pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (bundle_dir / PUBLIC_KEY_NAME).write_bytes(pem)
    (bundle_dir / MANIFEST_NAME).write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
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


def verify_bundle(bundle_dir: Path, *, expected_public_key_sha256: str | None = None) -> VerifyReport:
    """Recompute every file hash, the chain and the signature; name each file found tampered with."""
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
        problems.append(Problem(file=PUBLIC_KEY_NAME, kind="missing", detail="the public key is missing"))
    else:
        try:
            key = _load_public_key(key_path)
            key_sha256 = _key_fingerprint(key)
        except ValueError as exc:
            problems.append(Problem(file=PUBLIC_KEY_NAME, kind="key", detail=f"not a usable public key: {exc}"))
    report.public_key_sha256 = key_sha256
    if expected_public_key_sha256 and key_sha256 and key_sha256 != expected_public_key_sha256.strip().lower():
        problems.append(
            Problem(
                file=PUBLIC_KEY_NAME,
                kind="key",
                detail=f"key sha256 {key_sha256} is not the expected {expected_public_key_sha256}: "
                "the bundle was "
                "re-signed with another key",
            )
        )

    try:
        manifest = load_manifest(bundle_dir)
    except FileNotFoundError:
        problems.append(Problem(file=MANIFEST_NAME, kind="missing", detail="the manifest is missing"))
        _report_unlisted(bundle_dir, set(), problems)
        return report
    except (ValidationError, ValueError) as exc:
        first = str(exc).splitlines()[0]
        problems.append(Problem(file=MANIFEST_NAME, kind="manifest", detail=f"unreadable manifest: {first}"))
        return report
    report.head = manifest.head

    if key_sha256 is not None and key_sha256 != manifest.signature.public_key_sha256:
        problems.append(
            Problem(
                file=PUBLIC_KEY_NAME,
                kind="key",
                detail=f"key sha256 {key_sha256} is not the key the manifest was signed with "
                f"({manifest.signature.public_key_sha256}): the key was swapped",
            )
        )
    if genesis_link(manifest.format, manifest.created_at, manifest.signature.public_key_sha256) != manifest.genesis:
        problems.append(
            Problem(
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
                Problem(
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
                Problem(
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
            Problem(
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
                Problem(
                    file=MANIFEST_NAME,
                    kind="signature",
                    detail=f"the signature over the head does not verify with {PUBLIC_KEY_NAME}",
                )
            )
    _report_unlisted(bundle_dir, listed, problems)
    report.ok = not problems
    return report


def _check_file(bundle_dir: Path, entry: BundleEntry, problems: list[Problem]) -> None:
    path = bundle_dir / entry.name
    if path.is_symlink() or not path.resolve().is_relative_to(bundle_dir.resolve()):
        problems.append(
            Problem(file=entry.name, kind="modified", detail="was replaced by a symbolic link (or lies behind one)")
        )
        return
    if not path.is_file():
        problems.append(Problem(file=entry.name, kind="missing", detail="is listed in the manifest but missing"))
        return
    digest, size = _file_sha256(path)
    if digest != entry.sha256:
        problems.append(
            Problem(
                file=entry.name,
                kind="modified",
                detail=f"content changed: sha256 {digest} ({size} bytes), manifest says {entry.sha256} "
                f"({entry.size} bytes)",
            )
        )
    elif size != entry.size:
        problems.append(
            Problem(file=entry.name, kind="manifest", detail=f"size {size} differs from manifest {entry.size}")
        )


def _report_unlisted(bundle_dir: Path, listed: set[str], problems: list[Problem]) -> None:
    for name in sorted(_bundle_files(bundle_dir) - listed - _CONTROL_FILES):
        problems.append(
            Problem(file=name, kind="unexpected", detail="is not listed in the manifest (added after signing)")
        )


def describe_bundle(bundle_dir: Path) -> str:
    """Human-readable listing of a bundle's manifest (no verification; use verify_bundle for that)."""
    manifest = load_manifest(bundle_dir)
    created = manifest.created_at or "not recorded"
    lines = [
        f"Evidence bundle {bundle_dir}",
        f"  format:      {manifest.format}",
        f"  created at:  {created}",
        f"  signing key: ed25519, sha256 {manifest.signature.public_key_sha256} ({manifest.signature.public_key_file})",
        f"  chain head:  {manifest.head}",
        f"  files ({len(manifest.files)}):",
    ]
    width = max((len(entry.name) for entry in manifest.files), default=0)
    lines += [f"    {entry.name:<{width}}  {entry.size:>10} B  sha256 {entry.sha256}" for entry in manifest.files]
    results_path = bundle_dir / RESULTS_NAME
    if results_path.is_file():
        try:
            results = json.loads(results_path.read_text(encoding="utf-8"))
            lines.append(f"  verdict:     {results.get('verdict')} - {results.get('verdict_reason', '')}")
        except (ValueError, AttributeError):
            lines.append(f"  verdict:     ({RESULTS_NAME} is not readable JSON)")
    return "\n".join(lines) + "\n"
