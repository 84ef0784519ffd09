"""The texts of an evidence bundle: VERIFY.txt (how to check it by hand) and the listing of `evidence show`."""

from __future__ import annotations

import json
from pathlib import Path

from reports.bundle_manifest import BundleManifest, BundleSignature
from reports.signing import SigningKey

__all__ = ["describe_manifest", "verify_instructions"]


def verify_instructions(public_key_sha256: str, key: SigningKey) -> str:
    if key.ephemeral:
        signer = (
            "It was signed with an EPHEMERAL key, made for the run and discarded: the signature shows the files\n"
            "are as they were at the end of the run, but anyone can sign another bundle the same way, so it\n"
            "proves nothing about who signed. Certification runs sign with a lab key (run --signing-key).\n\n"
        )
    else:
        signer = (
            f"It was signed by {key.signer!r}. The signature proves who signed only if you compare the key with\n"
            "one you obtained from that signer by other means: --trust KEY.pub or --trust-fingerprint SHA256.\n\n"
        )
    return (
        "Evidence bundle of a spoc-harness conformance run (Directive (EU) 2023/977).\n\n"
        + signer
        + "Verify it with:  spoc-harness evidence verify <this directory> --require-trust "
        "--trust-fingerprint <the signer's fingerprint, obtained out of band>\n\n"
        "Or by hand: every file in manifest.json must have the listed sha256 (sha256sum); each link is\n"
        "sha256(previous link + '\\n' + name + '\\n' + file sha256), starting from\n"
        "genesis = sha256(format + '\\n' + created_at + '\\n' + public key sha256 + '\\n');\n"
        "the last link is the "
        "head, and the Ed25519 signature (base64, manifest.signature.value) is over the head as ASCII text:\n"
        "  jq -j .head manifest.json > head.txt; jq -r .signature.value manifest.json | base64 -d > sig.bin\n"
        "  openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in head.txt -sigfile sig.bin\n"
        f"The signing key's fingerprint (sha256 of the raw 32-byte key) is {public_key_sha256}.\n"
        "The openssl check proves integrity only: public_key.pem travels with the bundle, so also compare\n"
        "its fingerprint with the trusted one.\n"
    )


def _signer_label(signature: BundleSignature) -> str:
    if signature.key_kind == "ephemeral":
        return "EPHEMERAL key (made for the run and discarded; proves no signer)"
    if signature.key_kind is None:
        return "not recorded (bundle written before keys were explicit)"
    return f"{signature.signer} (persistent key; trust it only if its sha256 matches one you pinned)"


def describe_manifest(bundle_dir: Path, manifest: BundleManifest, results_path: Path) -> str:
    """Human-readable listing of a bundle's manifest, with the verdict of its results.json."""
    created = manifest.created_at or "not recorded"
    lines = [
        f"Evidence bundle {bundle_dir}",
        f"  format:      {manifest.format}",
        f"  created at:  {created}",
        f"  signing key: ed25519, sha256 {manifest.signature.public_key_sha256} ({manifest.signature.public_key_file})",
        f"  signer:      {_signer_label(manifest.signature)}",
        f"  chain head:  {manifest.head}",
        f"  files ({len(manifest.files)}):",
    ]
    width = max((len(entry.name) for entry in manifest.files), default=0)
    lines += [f"    {entry.name:<{width}}  {entry.size:>10} B  sha256 {entry.sha256}" for entry in manifest.files]
    if results_path.is_file():
        try:
            results = json.loads(results_path.read_text(encoding="utf-8"))
            lines.append(f"  verdict:     {results.get('verdict')} - {results.get('verdict_reason', '')}")
        except (ValueError, AttributeError):
            lines.append(f"  verdict:     ({results_path.name} is not readable JSON)")
    return "\n".join(lines) + "\n"
