"""The conformance certificate: one page, only for a conformant run in a bundle signed by a trusted key.

Before anything is written the bundle must verify (files, hash chain, signature), its signing key must
be one the evaluator gave (`--trust`), that key must be a lab's persistent key (an ephemeral key proves
no signer), and results.json inside it must say "conformant". Otherwise the certificate is refused and
the reason says which of these failed. Everything on the certificate is read from the verified bundle,
never from files beside it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.evidence import MANIFEST_NAME, RESULTS_NAME, VerifyReport, load_manifest, verify_bundle
from reports.html import _environment
from reports.results import Outcome, RunResults

__all__ = ["Certificate", "CertificateRefused", "certify", "print_pdf", "render_certificate"]

# Settings that are legal readings (how the harness interprets the directive), shown on the certificate.
_READING_KEYS = ("deadline_reading", "copy_tolerance", "immediately", "after_grant_tolerance",
                 "retention_review_within", "siena_obligation_date", "delay_update_within")
PDF_TIMEOUT_SECONDS = 60


class CertificateRefused(ValueError):
    """No certificate for this bundle; the message says why."""


@dataclass(frozen=True)
class Certificate:
    results: RunResults
    verification: VerifyReport
    bundle: Path
    manifest_sha256: str
    product: str
    product_version: str | None
    readings: list[tuple[str, str]]
    warnings: list[str]

    @property
    def accepted_deviations(self) -> list[Any]:
        return list(self.results.deviations.accepted) if self.results.deviations else []


def _sut_info(bundle: Path) -> dict[str, Any]:
    exports = bundle / "cms-exports.json"
    if not exports.is_file():
        return {}
    info = json.loads(exports.read_text(encoding="utf-8")).get("sut_info") or {}
    return info if isinstance(info, dict) else {}


def certify(bundle: Path, trusted_fingerprints: Sequence[str]) -> Certificate:
    """The certificate's content, or CertificateRefused saying why there is none."""
    if not trusted_fingerprints:
        raise CertificateRefused("no trusted key was given (--trust KEY.pub): a certificate needs a known signer")
    report = verify_bundle(bundle, trusted_fingerprints=trusted_fingerprints)
    if not report.intact:
        found = "; ".join(str(problem) for problem in report.problems[:5])
        raise CertificateRefused(f"the bundle does not verify: {found}")
    if report.key_kind == "ephemeral":
        raise CertificateRefused("the bundle is signed by an ephemeral key, which proves no signer; re-run with "
                                 "--signing-key")
    if report.trust != "trusted":
        raise CertificateRefused(f"the bundle is not signed by a trusted key: {report.trust_detail}")
    results = RunResults.model_validate_json((bundle / RESULTS_NAME).read_text(encoding="utf-8"))
    if not results.verdict.conformant:  # conformant, or conformant with warnings (listed on the certificate)
        raise CertificateRefused(f"the run is not conformant: {results.verdict_reason}")
    info = _sut_info(bundle)
    settings = results.settings.model_dump()
    readings = [(key, str(settings[key])) for key in _READING_KEYS if key in settings]
    warnings = [f"{r.id} {r.article}: {r.reason or r.title}" for r in results.requirements
                if r.outcome is Outcome.WARNING]
    return Certificate(
        results=results, verification=report, bundle=bundle,
        manifest_sha256=hashlib.sha256((bundle / MANIFEST_NAME).read_bytes()).hexdigest(),
        product=str(info.get("product") or results.sut.name or "not stated by the SUT"),
        product_version=str(info["version"]) if info.get("version") else None,
        readings=readings, warnings=warnings,
    )


def render_certificate(certificate: Certificate) -> str:
    template = _environment().get_template("certificate.html.j2")
    manifest = load_manifest(certificate.bundle)
    return template.render(c=certificate, results=certificate.results, manifest=manifest,
                           catalogue=certificate.results.settings.model_dump().get("catalogue_sha256"))


def print_pdf(html_path: Path, pdf_path: Path, chromium: str | None = None) -> str | None:
    """Print the page to PDF with headless Chromium; returns why not when it cannot (None when done)."""
    browser = chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        return "Chromium is not installed, so only the HTML certificate was written"
    with tempfile.TemporaryDirectory(prefix="certificate-profile-") as profile:
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                   "--no-pdf-header-footer", f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PDF_TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            return f"Chromium did not print the PDF within {PDF_TIMEOUT_SECONDS} s"
    if done.returncode != 0 or not pdf_path.is_file():
        return f"Chromium could not print the PDF (exit {done.returncode}): {done.stderr.strip()[-300:]}"
    return None
