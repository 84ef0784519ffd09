"""Signing keys for evidence bundles: a named, persistent Ed25519 key, or an ephemeral one labelled as such.

A signature only says who signed a bundle if the key is known beforehand. `spoc-harness keys new`
writes a private key file (0600) that a lab keeps and reuses for every run (`run --signing-key`);
an evaluator pins its public half (`evidence verify --trust`). Without a key file a run signs with
an ephemeral key made for that run and thrown away: the bundle is then tamper-evident from the end
of the run on, but anyone can write another bundle and sign it the same way, so it proves nothing
about who made it. Everything that shows a signer says which of the two it is.

Key file format: the signer's name on a `# signer: NAME` comment line, then the PKCS#8 PEM
private key (unencrypted; protect it with file permissions). OpenSSL ignores the comment lines,
so `openssl pkey -in FILE -pubout` gives the public key.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "EPHEMERAL_SIGNER",
    "KeyFileError",
    "SigningKey",
    "ephemeral_signing_key",
    "key_fingerprint",
    "load_signing_key",
    "load_trusted_fingerprint",
    "new_key_file",
    "normalise_fingerprint",
    "public_key_pem",
]

EPHEMERAL_SIGNER = "ephemeral key (made for this run and discarded; proves no signer)"
_SIGNER_PREFIX = "# signer:"
_PEM_BEGIN = "-----BEGIN"
KeyKind = Literal["persistent", "ephemeral"]


class KeyFileError(ValueError):
    """A key file cannot be used: missing, unreadable, not Ed25519, or readable by others."""


@dataclass(frozen=True)
class SigningKey:
    """A private key that signs bundles, with who it belongs to and whether it outlives the run."""

    private_key: Ed25519PrivateKey
    signer: str
    kind: KeyKind

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self.public_key)

    @property
    def ephemeral(self) -> bool:
        return self.kind == "ephemeral"

    def label(self) -> str:
        """One line naming the signer, e.g. for a console summary or a report."""
        if self.ephemeral:
            return f"EPHEMERAL key sha256 {self.fingerprint} (made for this run; proves no signer)"
        return f"{self.signer} (key sha256 {self.fingerprint})"


def key_fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the 32 raw public-key bytes, lowercase hex: what a signer is pinned by."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def normalise_fingerprint(text: str) -> str:
    """Lowercase hex without separators; raises KeyFileError unless it is 64 hex digits."""
    cleaned = text.strip().lower().replace(":", "").removeprefix("sha256:")
    if len(cleaned) != 64 or any(c not in "0123456789abcdef" for c in cleaned):
        raise KeyFileError(f"{text!r} is not a key fingerprint (64 hex digits of SHA-256)")
    return cleaned


def ephemeral_signing_key() -> SigningKey:
    return SigningKey(Ed25519PrivateKey.generate(), EPHEMERAL_SIGNER, "ephemeral")


def new_key_file(path: Path, signer: str) -> SigningKey:
    """Write a fresh key to `path` (mode 0600, never over an existing file) and its public half to `path`.pub."""
    signer = signer.strip()
    if not signer or "\n" in signer or "\r" in signer:
        raise KeyFileError("the signer's name must be one non-empty line")
    key = SigningKey(Ed25519PrivateKey.generate(), signer, "persistent")
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    text = f"# spoc-harness evidence signing key\n{_SIGNER_PREFIX} {signer}\n".encode() + pem
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: a key is never silently replaced; 0600 from creation, not chmod-ed afterwards.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; a signing key is never overwritten") from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(text)
    public_path = path.with_name(path.name + ".pub")
    public_path.write_bytes(f"{_SIGNER_PREFIX} {signer}\n".encode() + public_key_pem(key.public_key))
    return key


def _split_key_file(path: Path) -> tuple[str | None, bytes]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"{path}: cannot be read ({exc})") from None
    signer: str | None = None
    for line in text.splitlines():
        if line.startswith(_SIGNER_PREFIX):
            signer = line[len(_SIGNER_PREFIX):].strip() or None
        if line.startswith(_PEM_BEGIN):
            break
    start = text.find(_PEM_BEGIN)
    if start < 0:
        raise KeyFileError(f"{path}: holds no PEM key")
    return signer, text[start:].encode("ascii", errors="replace")


def load_signing_key(path: Path) -> SigningKey:
    """Read a key file written by `new_key_file`; refuses one that group or others can read."""
    if path.is_file() and path.stat().st_mode & 0o077:
        raise KeyFileError(
            f"{path}: mode {oct(path.stat().st_mode & 0o777)} lets others read the private key; chmod 600 it"
        )
    signer, pem = _split_key_file(path)
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path}: not an unencrypted PEM private key ({str(exc).splitlines()[0]})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: is a {type(key).__name__}, not an Ed25519 key")
    return SigningKey(key, signer or path.stem, "persistent")


def load_trusted_fingerprint(path: Path) -> str:
    """The fingerprint of a trusted key given as a file: a public key PEM (`FILE.pub`) or a key file."""
    _, pem = _split_key_file(path)
    try:
        public = serialization.load_pem_public_key(pem)
    except ValueError:
        try:
            private = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError):
            raise KeyFileError(f"{path}: is neither a PEM public key nor an unencrypted private key") from None
        public = private.public_key()
    if not isinstance(public, Ed25519PublicKey):
        raise KeyFileError(f"{path}: is a {type(public).__name__}, not an Ed25519 key")
    return key_fingerprint(public)
