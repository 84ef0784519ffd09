"""manifest.json of an evidence bundle: its files, the hash chain's links and head, and the signature.

How the chain and the signature are computed and checked is in reports/evidence.py; the texts that
describe a manifest to people are in reports/bundle_text.py. Both read these models.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["BUNDLE_FORMAT", "PUBLIC_KEY_NAME", "BundleEntry", "BundleManifest", "BundleSignature"]

BUNDLE_FORMAT = "spoc-evidence-bundle/1"
PUBLIC_KEY_NAME = "public_key.pem"


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
    signer: str | None = Field(default=None, description="Name on the signing key file; a label, not a proof.")
    key_kind: Literal["persistent", "ephemeral"] | None = Field(
        default=None,
        description="'persistent': a lab's key from `keys new`, which can be pinned; 'ephemeral': made for the "
        "run and discarded, so it proves no signer. Absent in bundles written before keys were explicit.",
    )


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
